"""Mutated problem files, through the API and the command line: a result or one line of the project's own error,
nothing written outside the output folder, no file half-written, no hang."""

from __future__ import annotations

import pytest
from harness import LONG, quick
from hypothesis import given
from routes import command_cases, problem_via_api, problem_via_cli
from strategies import problem_texts


@quick(5)
@given(case=problem_texts(quick=True))
def test_mutated_problem_via_api(case, fuzz_base, findings):
    problem_via_api(case, fuzz_base, findings)


@quick(5)
@given(case=command_cases(problem_texts(quick=True)))
def test_mutated_problem_via_cli(case, fuzz_base, slowest, findings):
    problem_via_cli(case, fuzz_base, slowest, findings)


@pytest.mark.fuzz
@LONG
@given(case=problem_texts())
def test_mutated_problem_via_api_long(case, fuzz_base, findings):
    problem_via_api(case, fuzz_base, findings)


@pytest.mark.fuzz
@LONG
@given(case=command_cases(problem_texts(), long=True))
def test_mutated_problem_via_cli_long(case, fuzz_base, slowest, findings):
    problem_via_cli(case, fuzz_base, slowest, findings)
