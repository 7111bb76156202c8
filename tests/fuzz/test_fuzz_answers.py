"""Mutated answers files (TOML and JSON), filled with what students write, marked through the API and by
``symback check``: a report or one line of the project's own error, nothing written outside the output folder,
no file half-written, no hang."""

from __future__ import annotations

import pytest
from harness import FRESH_SHARE, LONG, PDF_SHARE, quick, sandbox
from hypothesis import given
from hypothesis import strategies as st
from routes import CommandCase, answers_through_api, command_through_cli, seed_checklist
from strategies import answers_texts, problem_seeds


def answers_via_api(case, json_format, fuzz_base, findings):
    problem, text = case
    with findings.kept("answers via API", case), sandbox(fuzz_base) as box, box.watch():
        answers_through_api(seed_checklist(problem), text, json_format=json_format)


@st.composite
def check_commands(draw, json_format: bool, long: bool = False, quick: bool = False) -> CommandCase:
    """``symback check PROBLEM ANSWERS`` with a feedback file, JSON or a tolerance, or a folder of answers."""
    problem, text = draw(answers_texts(json_format, quick))
    suffix = ".json" if json_format else ".toml"
    options = draw(st.sampled_from([[], ["-o", "{out}/feedback.md"], ["-o", "{out}/feedback.tex"],
                                    ["-o", "{out}/feedback.json"], ["--json"], ["--tolerance=decimal_places=2"],
                                    ["--tolerance=significant_figures=0"], ["--tolerance=relative=abc"]]))
    if long and draw(st.integers(1, PDF_SHARE)) == 1:
        options = ["-o", "{out}/feedback.pdf"]
    return CommandCase(["check", "{problem}", "{answers}", *options], problem_seeds()[problem], text,
                       answers_suffix=suffix, problem_name=problem,
                       fresh=long and draw(st.integers(1, FRESH_SHARE)) == 1)


def answers_via_cli(case, fuzz_base, slowest, findings):
    with findings.kept("answers via CLI", vars(case)), sandbox(fuzz_base) as box:
        command_through_cli(case, box, slowest)


@quick(4)
@given(case=answers_texts(quick=True), json_format=st.just(False))
def test_mutated_answers_via_api(case, json_format, fuzz_base, findings):
    answers_via_api(case, json_format, fuzz_base, findings)


@quick(3)
@given(case=answers_texts(json_format=True, quick=True), json_format=st.just(True))
def test_mutated_json_answers_via_api(case, json_format, fuzz_base, findings):
    answers_via_api(case, json_format, fuzz_base, findings)


@quick(3)
@given(case=st.one_of(check_commands(False, quick=True), check_commands(True, quick=True)))
def test_mutated_answers_via_cli(case, fuzz_base, slowest, findings):
    answers_via_cli(case, fuzz_base, slowest, findings)


@pytest.mark.fuzz
@LONG
@given(case=answers_texts(), json_format=st.just(False))
def test_mutated_answers_via_api_long(case, json_format, fuzz_base, findings):
    answers_via_api(case, json_format, fuzz_base, findings)


@pytest.mark.fuzz
@LONG
@given(case=check_commands(False, long=True))
def test_mutated_answers_via_cli_long(case, fuzz_base, slowest, findings):
    answers_via_cli(case, fuzz_base, slowest, findings)


@pytest.mark.fuzz
@LONG
@given(case=answers_texts(json_format=True), json_format=st.just(True))
def test_mutated_json_answers_via_api_long(case, json_format, fuzz_base, findings):
    answers_via_api(case, json_format, fuzz_base, findings)


@pytest.mark.fuzz
@LONG
@given(case=check_commands(True, long=True))
def test_mutated_json_answers_via_cli_long(case, fuzz_base, slowest, findings):
    answers_via_cli(case, fuzz_base, slowest, findings)
