"""LaTeX answers with implied products, "{,}" decimal commas, and what an unreadable answer or a broken answers
file says back (issue 13, points 4 and 6).

Every expected value is built here with SymPy's constructors from the numbers written in the test, never by
parsing text; an expected message is held against what the student wrote, in words, never a Python repr.
"""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from fractions import Fraction

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symback
from symback.checker.answer_parse import PRECISION, read_answer, shown_answer
from symback.checker.answers_file import answer_sheet, loads_answers
from symback.errors import ParseError, ProblemError

E, PI = sympy.E, sympy.pi
R = sympy.Rational


def reads_as(text: str, expected: sympy.Expr) -> None:
    """``text`` reads to exactly ``expected``, and its 50-digit number is ``expected``'s."""
    answer = read_answer(text)
    assert sympy.simplify(answer.value - expected) == 0, (text, answer.value, expected)
    exact = Decimal(str(sympy.N(expected, PRECISION + 10)))
    assert abs(answer.number - exact) <= abs(exact) * Decimal(10) ** (1 - PRECISION)


# the forms first; each value is the product the LaTeX means, typed as SymPy constructors
IMPLIED = [
    (r"-\frac{4e}{1+e}", -4 * E / (1 + E)),
    (r"8\frac{e}{1+e}", 8 * E / (1 + E)),
    (r"\frac{12e}{(1+e)^2}", 12 * E / (1 + E) ** 2),
    (r"\frac{12 e}{(1+e)^{2}}", 12 * E / (1 + E) ** 2),
    (r"\frac{12\mathrm{e}}{(1+\mathrm{e})^2}", 12 * E / (1 + E) ** 2),
    (r"$12e/(1+e)^2$", 12 * E / (1 + E) ** 2),  # "$…$" marks LaTeX even without a command
    (r"$2(1+e)$", 2 * (1 + E)),
    (r"2\sqrt{e}", 2 * sympy.sqrt(E)),
    (r"2 \, \pi", 2 * PI),
    (r"\pi e", PI * E),
    (r"e\left(1+e\right)", E * (1 + E)),
    (r"\frac{1}{2}\frac{1}{3}", R(1, 6)),
    (r"\frac12 e", E / 2),
    (r"\frac{12e^{-1}}{(1+e^{-1})^2}", 12 * sympy.exp(-1) / (1 + sympy.exp(-1)) ** 2),
    (r"e^{2}e", E**3),  # the power binds first
    (r"$e^2e$", E**3),
    (r"2^{-1}e", E / 2),
    (r"e^2\frac12", sympy.exp(2) / 2),  # the 2 is an exponent, not the whole part of a mixed number
    (r"1{,}5\frac{1}{2}", R(3, 4)),  # nor is a decimal
    (r"\sigma(1)(1-\sigma(1))", 1 / (1 + sympy.exp(-1)) * (1 - 1 / (1 + sympy.exp(-1)))),
    (r"\ln(2)e", E * sympy.log(2)),
    (r"2\exp(1)", 2 * E),
    (r"1{,}5e", R(3, 2) * E),
    (r"\frac{0{,}5e}{1+e}", R(1, 2) * E / (1 + E)),
    (r"\frac{e}{1+e}\cdot 2e", 2 * E**2 / (1 + E)),  # after an explicit product: one reading
    (r"-\frac{4e}{1+e} \approx -2{,}924", -4 * E / (1 + E)),
]


@pytest.mark.parametrize("text, expected", IMPLIED)
def test_latex_implied_products_read_to_the_value_meant(text, expected):
    reads_as(text, expected)
    assert read_answer(text).places is None  # an exact form, not a decimal


@pytest.mark.parametrize(
    "text, value, places, figures",
    [
        ("0{,}7311", Fraction("0.7311"), 4, 4),
        ("-0{,}7311", Fraction("-0.7311"), 4, 4),
        ("$0{,}7311$", Fraction("0.7311"), 4, 4),
        ("2{,}359", Fraction("2.359"), 3, 4),
        ("0{,}0120", Fraction("0.012"), 4, 3),
        ("0{,}7311 \\approx 0{,}73", Fraction("0.7311"), 4, 4),
    ],
)
def test_latex_decimal_comma_is_a_decimal_with_its_digits(text, value, places, figures):
    answer = read_answer(text)
    assert Fraction(int(answer.value.p), int(answer.value.q)) == value
    assert (answer.places, answer.figures, answer.text) == (places, figures, text)


@pytest.mark.parametrize(
    "text, reason",
    [
        (r"2\frac{1}{2}", "mixed number"),  # 2½ or 1?
        (r"3 \tfrac12", "mixed number"),
        (r"\frac{2e-1}{3}", "power of ten"),  # 2e − 1 or 0.2?
        (r"\frac{1}{1.5E3}", "power of ten"),
        (r"$1/2e$", "after '/'"),  # 1/(2e) or e/2?
        (r"$e/(1+e)(1-e)$", "after '/'"),
        (r"1/2\frac{e}{1+e}", "after '/'"),
        (r"\frac{1}{2}3", "number right after"),
        (r"(1+e)^{-1}2", "number right after"),
        (r"1\,000", "number right after"),  # a thin space between digit groups, or a product?
        (r"$2 3$", "number right after"),
    ],
)
def test_ambiguous_implied_products_are_refused_in_one_line(text, reason):
    with pytest.raises(ParseError) as error:
        read_answer(text)
    assert reason in error.value.reason and "\n" not in error.value.reason
    assert "((" not in error.value.reason and "*" not in error.value.reason  # not our translation of the text


@pytest.mark.parametrize("text", ["2e", "12*e/(1+e)^2 + 2e", "2(1+e)", "2e ≈ 5.4"])
def test_plain_text_still_needs_a_written_product(text):
    with pytest.raises(ParseError) as error:
        read_answer(text)
    assert "write '*'" in error.value.reason


def test_whole_scientific_literal_stays_a_decimal_in_latex():
    answer = read_answer("$2.36e-1$")
    assert answer.value == R(236, 1000) and (answer.places, answer.figures) == (3, 3)


# factors a student writes side by side: (LaTeX, value); a number may come only first (after another value a
# number is ambiguous), and a \frac never has two whole numbers (after a number that is a mixed number)
FACTORS = st.one_of(
    st.just(("e", E)),
    st.just((r"\pi", PI)),
    st.integers(1, 9).map(lambda k: (f"e^{{{k}}}", E**k)),
    st.integers(2, 30).map(lambda k: (rf"\sqrt{{{k}}}", sympy.sqrt(k))),
    st.integers(1, 9).map(lambda k: (f"({k}+e)", k + E)),
    st.integers(1, 9).map(lambda k: (rf"\left(1-\frac{{{k}}}{{e}}\right)", 1 - R(k) / E)),
    st.tuples(st.integers(1, 20), st.integers(1, 9)).map(
        lambda ab: (rf"\frac{{{ab[0]}e}}{{{ab[1]}+e}}", ab[0] * E / (ab[1] + E))),
)
LEADING_NUMBER = st.one_of(
    st.integers(1, 999).map(lambda k: (str(k), sympy.Integer(k))),
    st.tuples(st.integers(0, 9), st.integers(1, 99)).map(
        lambda ab: (f"{ab[0]}{{,}}{ab[1]:02d}", ab[0] + R(ab[1], 100))),
)


def joined(left: str, right: str, spaced: bool) -> str:
    """Two factors side by side; a space where two letters would otherwise run into one name."""
    return left + (" " if spaced or (left[-1].isalpha() and right[0].isalpha()) else "") + right


@settings(max_examples=25, deadline=None)
@given(st.one_of(st.none(), LEADING_NUMBER), st.lists(FACTORS, min_size=1, max_size=3),
       st.lists(st.booleans(), min_size=3, max_size=3), st.sampled_from(["plain", "minus", "numerator", "dollars"]))
def test_implied_products_read_as_the_product(number, factors, spaces, wrapping):
    parts = ([number] if number else []) + factors
    text, expected = parts[0]
    for (latex, value), spaced in zip(parts[1:], spaces):
        text, expected = joined(text, latex, spaced), expected * value
    if wrapping == "minus":
        text, expected = "-" + text, -expected
    elif wrapping == "numerator":
        text, expected = rf"\frac{{{text}}}{{(1+e)^{{2}}}}", expected / (1 + E) ** 2
    if wrapping == "dollars" or not any(mark in text for mark in "\\{"):  # LaTeX, as "$…$" at least says
        text = f"${text}$"
    reads_as(text, expected)


# --- what an unreadable answer shows: as written, the reason in words -------------------------------------

UNREADABLE = [
    (Decimal("NaN"), "nan", "not a number (NaN)"),
    (Decimal("-Infinity"), "-inf", "infinite"),
    (float("inf"), "inf", "infinite"),
    (datetime.datetime(1979, 5, 27, 7, 32), "1979-05-27T07:32:00", "a date and time, not a number"),
    (datetime.date(1979, 5, 27), "1979-05-27", "a date, not a number"),
    (datetime.time(7, 32), "07:32:00", "a time of day, not a number"),
    ([Decimal("0.5")], "[…]", "an array, not a number"),
    ({"x": 1}, "{…}", "a table, not a number"),
    (True, "true", "true is a truth value, not a number"),
    (10**5000, "an integer of 5001 digits", "more than 1000 digits"),
    (Fraction(10**5000, 3), "a number too long to show", "more than 1000 digits"),
    (Decimal("0." + "9" * 3000), "a number of 3000 digits", "more than 1000 digits"),
]


@pytest.mark.parametrize("raw, shown, reason", UNREADABLE, ids=[str(i) for i in range(len(UNREADABLE))])
def test_unreadable_answer_is_shown_as_written_with_the_reason_in_words(raw, shown, reason):
    with pytest.raises(ParseError) as error:
        read_answer(raw)
    assert reason in error.value.reason
    assert shown_answer(raw) == shown


@pytest.fixture(scope="module")
def checklist():
    return symback.build_checklist(symback.load("problems/ws23_backprop.toml"))


def test_feedback_on_unreadable_answers_has_no_python_repr(checklist):
    answers = {"3": {"z1_1": Decimal("NaN"), "z1_2": datetime.datetime(1979, 5, 27, 7, 32),
                     "h1_1": datetime.date(1979, 5, 27), "h1_2": [Decimal("0.5")], "yhat": 10**5000}}
    report = symback.check(checklist, answers)
    lines = [v.explanation(4) for v in report.verdicts if v.status == "unreadable"]
    assert len(lines) == 5
    for line in lines + [str(v.answer) for v in report.verdicts]:
        for repr_part in ("Decimal(", "datetime.", "'NaN'", "too large to show>"):
            assert repr_part not in line
    assert any("'1979-05-27': a date, not a number" in line for line in lines)
    assert any("'nan': not a number (NaN)" in line for line in lines)


# --- the answers file: numbers past Python's digit limit, very long keys --------------------------------

def test_toml_integer_past_pythons_digit_limit_is_one_clear_line():
    text = '[exercises.3]\n"z1_1" = "1"\n"z1_2" = ' + "9" * 5000 + "\n"
    with pytest.raises(ProblemError) as error:
        loads_answers(text, "mine.toml")
    message = str(error.value)
    assert message == ("mine.toml: toml: cannot read the TOML: line 3: a number of 5000 digits; "
                       "numbers in an answers file have at most 1000 digits")


def test_json_integer_past_pythons_digit_limit_is_one_clear_line():
    text = json.dumps({"exercises": {"3": {"z1_1": "1"}}})[:-2] + ',\n"z1_2": ' + "7" * 4500 + "}}"
    with pytest.raises(ProblemError) as error:
        loads_answers(text, "mine.json", json_format=True)
    assert str(error.value).endswith("line 2: a number of 4500 digits; numbers in an answers file have at most "
                                     "1000 digits")


def test_long_integer_within_the_limits_is_read_exactly():
    sheet = loads_answers('[exercises.3]\n"z1_1" = ' + "9" * 1000 + "\n")
    assert read_answer(sheet.exercises["3"]["z1_1"]).value == sympy.Integer(10) ** 1000 - 1
    too_long = loads_answers('[exercises.3]\n"z1_1" = ' + "9" * 4000 + "\n").exercises["3"]["z1_1"]
    with pytest.raises(ParseError, match="more than 1000 digits"):
        read_answer(too_long)


def test_a_very_long_key_is_shortened_everywhere(checklist):
    key = "k" * 450_000  # twice in the file, within the 1 MB limit of an answers file
    sheet = loads_answers(f'[exercises.3]\n"{key}" = 1\n"z1_1" = "1"\n[exercises.{key}]\n"a" = 1\n')
    shortened = "k" * 40 + "…"
    assert set(sheet.exercises) == {"3", shortened} and set(sheet.exercises["3"]) == {shortened, "z1_1"}
    report = symback.check(checklist, sheet)
    assert len(report.notes) == 2 and all(len(note) < 200 for note in report.notes)
    assert all(shortened in note for note in report.notes)
    with pytest.raises(ProblemError) as error:
        loads_answers(f'"{key}" = 1\n', "mine.toml")
    assert str(error.value).startswith(f"mine.toml: {shortened}: unknown key") and len(str(error.value)) < 200


def test_a_key_long_only_by_its_spaces_still_names_its_quantity(checklist):
    sheet = answer_sheet({"3": {"z1_1" + " " * 300: "1"}})
    report = symback.check(checklist, sheet)
    assert not report.notes
    assert next(v for v in report.verdicts if v.key == "z1_1" and v.exercise == "3").status == "correct"


def test_a_python_int_key_past_the_digit_limit_is_named_in_words():
    sheet = answer_sheet({10**5000: {"a": 1}, "3": {10**5000: 1}})
    assert set(sheet.exercises) == {"3", "an integer of more than 4300 digits"}
    assert set(sheet.exercises["3"]) == {"an integer of more than 4300 digits"}


@pytest.mark.parametrize("json_format", [False, True])
def test_a_float_whose_exponent_no_decimal_holds_is_one_clear_line(json_format):
    exponent = "9" * 30
    text = (f'{{"exercises": {{"1": {{"yhat": 1e{exponent}}}}}}}' if json_format
            else f"[exercises.1]\nyhat = 1e{exponent}\n")
    with pytest.raises(ProblemError) as caught:
        loads_answers(text, "mine", json_format=json_format)
    assert "exponent far too large" in str(caught.value) and str(caught.value).startswith("mine: ")
