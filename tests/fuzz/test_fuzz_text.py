"""Number and expression text from the grammar (grammar.py), read by the safe parser directly and in its places
in problem files (a weight, an input, a rate; an activation, a circuit's f or stage), through the API and the
command line: a value or one line of the project's own error, nothing written outside the output folder, no hang.
The default run reads the text directly (the whole pipeline on each example is the long run's)."""

from __future__ import annotations

import pytest
import sympy
from grammar import answer_texts, expression_texts, number_texts
from harness import LONG, ends_well, quick, sandbox
from hypothesis import given
from routes import command_cases, problem_via_api, problem_via_cli
from strategies import expressions_in_problems, numbers_in_problems

from symback.checker.answer_parse import read_answer
from symback.numbers.parse import exact_number, parse_expression, parse_number
from symback.numbers.rounding import round_exact
from symback.numbers.text import format_exact, split_numbers

Z = sympy.Symbol("z", real=True)


def read_number(text, fuzz_base, findings):
    """The parser, the command line's list reader and the answers' reader on the text; a value is printed
    exactly and rounded."""
    with findings.kept("number text", text), sandbox(fuzz_base) as box, box.watch():
        for read in (parse_number, lambda t: exact_number(t, what="x"), lambda t: split_numbers(t, "--x"),
                     lambda t: read_answer(t).value):
            value = ends_well(lambda read=read: read(text))
            for number in value if isinstance(value, list) else [value]:
                if isinstance(number, sympy.Expr):
                    ends_well(lambda number=number: format_exact(number))
                    ends_well(lambda number=number: round_exact(number, 4))


def read_expression(text, fuzz_base, findings):
    with findings.kept("expression text", text), sandbox(fuzz_base) as box, box.watch():
        value = ends_well(lambda: parse_expression(text, {"z": Z}))
        if value is not None:
            ends_well(lambda: format_exact(value))


@quick(25)
@given(text=number_texts())
def test_number_text(text, fuzz_base, findings):
    read_number(text, fuzz_base, findings)


@quick(15)
@given(text=answer_texts())
def test_answer_text(text, fuzz_base, findings):
    read_number(text, fuzz_base, findings)


@quick(25)
@given(text=expression_texts())
def test_expression_text(text, fuzz_base, findings):
    read_expression(text, fuzz_base, findings)


@pytest.mark.fuzz
@LONG
@given(text=number_texts())
def test_number_text_long(text, fuzz_base, findings):
    read_number(text, fuzz_base, findings)


@pytest.mark.fuzz
@LONG
@given(text=answer_texts())
def test_answer_text_long(text, fuzz_base, findings):
    read_number(text, fuzz_base, findings)


@pytest.mark.fuzz
@LONG
@given(text=expression_texts())
def test_expression_text_long(text, fuzz_base, findings):
    read_expression(text, fuzz_base, findings)


@pytest.mark.fuzz
@LONG
@given(case=numbers_in_problems())
def test_number_text_in_problems_via_api_long(case, fuzz_base, findings):
    problem_via_api(case, fuzz_base, findings)


@pytest.mark.fuzz
@LONG
@given(case=expressions_in_problems())
def test_expression_text_in_problems_via_api_long(case, fuzz_base, findings):
    problem_via_api(case, fuzz_base, findings)


@pytest.mark.fuzz
@LONG
@given(case=command_cases(numbers_in_problems(), long=True))
def test_number_text_in_problems_via_cli_long(case, fuzz_base, slowest, findings):
    problem_via_cli(case, fuzz_base, slowest, findings)


@pytest.mark.fuzz
@LONG
@given(case=command_cases(expressions_in_problems(), long=True))
def test_expression_text_in_problems_via_cli_long(case, fuzz_base, slowest, findings):
    problem_via_cli(case, fuzz_base, slowest, findings)
