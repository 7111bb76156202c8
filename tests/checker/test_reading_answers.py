"""Reading students' answers: exact values, places and figures as written, LaTeX, and hostile input."""

from __future__ import annotations

import dataclasses
import doctest
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import mpmath
import pytest
import sympy
from deadline import no_hang
from hypothesis import given
from hypothesis import strategies as st

import symback.checker.answer_parse as answer_parse
import symback.checker.answer_syntax as answer_syntax
from symback.checker.answer_parse import PRECISION, Answer, read_answer
from symback.errors import ParseError

E = sympy.E


def fraction_of(value: sympy.Expr) -> Fraction:
    assert value.is_Rational
    return Fraction(int(value.p), int(value.q))


# text -> (exact value, places, figures), the places and figures counted by hand
PLAIN_DECIMALS = {
    "0.731": (Fraction("0.731"), 3, 3),
    "-3.728": (Fraction("-3.728"), 3, 4),
    "2.36e-1": (Fraction("0.236"), 3, 3),
    "2.36E-1": (Fraction("0.236"), 3, 3),
    "1e-3": (Fraction(1, 1000), 3, 1),
    "4": (Fraction(4), 0, 1),
    ".5": (Fraction(1, 2), 1, 1),
    "+2": (Fraction(2), 0, 1),
    "0.0120": (Fraction("0.012"), 4, 3),
    "1200": (Fraction(1200), 0, 4),
    "-0": (Fraction(0), 0, 1),
    "1.20e3": (Fraction(1200), 0, 3),
    "0.000": (Fraction(0), 3, 1),
    "5.": (Fraction(5), 0, 1),
}


@pytest.mark.parametrize("text", PLAIN_DECIMALS)
def test_plain_decimals_keep_places_and_figures(text):
    value, places, figures = PLAIN_DECIMALS[text]
    answer = read_answer(text)
    assert fraction_of(answer.value) == value
    assert (answer.places, answer.figures, answer.text) == (places, figures, text)
    assert Fraction(answer.number) == value


@pytest.mark.parametrize(
    "raw, text, value, places, figures",
    [
        (4, "4", Fraction(4), 0, 1),
        (-1200, "-1200", Fraction(-1200), 0, 4),
        (Decimal("0.7310"), "0.7310", Fraction("0.731"), 4, 4),
        (Decimal("-0.0120"), "-0.0120", Fraction("-0.012"), 4, 3),
        (Decimal("1E+2"), "1E+2", Fraction(100), 0, 1),
        (0.1, "0.1", Fraction(1, 10), 1, 1),
        (2.5e-07, "2.5e-07", Fraction(25, 10**8), 8, 2),
        (Fraction(3, 8), "3/8", Fraction(3, 8), None, None),
    ],
)
def test_numbers_of_other_types(raw, text, value, places, figures):
    answer = read_answer(raw)
    assert (answer.text, fraction_of(answer.value), answer.places, answer.figures) == (text, value, places, figures)


@pytest.mark.parametrize(
    "text, value",
    [
        ("  0.731 ", Fraction("0.731")),
        ("≈ 0.731", Fraction("0.731")),
        ("~0.731", Fraction("0.731")),
        ("= 0.731", Fraction("0.731")),
        ("\\approx 0.731", Fraction("0.731")),
        ("$\\approx 0.731$", Fraction("0.731")),
        ("−0.731", Fraction("-0.731")),
        ("–0.731", Fraction("-0.731")),
        ("0,731", Fraction("0.731")),
        ("-0,731", Fraction("-0.731")),
        ("2.36 × 10^-1", Fraction("0.236")),
        ("2.36 \\times 10^{-1}", Fraction("0.236")),
        ("2.36*10**(-1)", Fraction("0.236")),
        ("2.36×10⁻¹", Fraction("0.236")),
        ("2.36 · 10⁻¹", Fraction("0.236")),
        ("-2.36⋅10⁻¹", Fraction("-0.236")),
        ("0.0236×10¹", Fraction("0.236")),
        ("0.731 ≈ e/(1+e)", Fraction("0.731")),
        ("2.36 × 10⁻¹ ≈ 0.24", Fraction("0.236")),
    ],
)
def test_normalised_decimals_are_still_plain_decimals(text, value):
    answer = read_answer(text)
    assert fraction_of(answer.value) == value
    assert answer.text == text.strip()
    assert answer.places == 3 and answer.figures == 3


@pytest.mark.parametrize(
    "text, value",
    [
        ("3/8", sympy.Rational(3, 8)),
        ("= 3/8", sympy.Rational(3, 8)),
        ("e/(1+e)", E / (1 + E)),
        ("-4*e/(1+e)", -4 * E / (1 + E)),
        ("12*exp(1)/(1+exp(1))^2", 12 * E / (1 + E) ** 2),
        ("12·e/(1+e)**2", 12 * E / (1 + E) ** 2),
        ("2×3", sympy.Integer(6)),
        ("1,5*e", 3 * E / 2),
        ("max(1,2)", sympy.Integer(2)),
        ("sigmoid(1)", 1 / (1 + sympy.exp(-1))),
        ("\\frac{e}{1+e}", E / (1 + E)),
        ("\\dfrac{e}{1+e}", E / (1 + E)),
        ("\\tfrac{e}{1+e}", E / (1 + E)),
        ("-\\frac{4 \\cdot e}{1+e}", -4 * E / (1 + E)),
        ("\\frac{12 \\cdot e}{(1+e)^{2}}", 12 * E / (1 + E) ** 2),
        ("\\frac{12 \\cdot \\mathrm{e}}{\\left(1+\\mathrm e\\right)^{2}}", 12 * E / (1 + E) ** 2),
        ("\\frac{1}{1+e^{-1}}", 1 / (1 + sympy.exp(-1))),
        ("\\frac{\\frac{1}{2}}{\\frac{3}{4}}", sympy.Rational(2, 3)),
        ("\\frac{e^{2}}{3}", sympy.exp(2) / 3),
        ("\\frac12", sympy.Rational(1, 2)),
        ("\\frac1{1+e}", 1 / (1 + E)),
        ("\\sqrt{2}/2", sympy.sqrt(2) / 2),
        ("\\sqrt2", sympy.sqrt(2)),
        ("$\\frac{3}{8}$", sympy.Rational(3, 8)),
        ("$$\\frac{3}{8}$$", sympy.Rational(3, 8)),
        ("\\(\\frac{3}{8}\\)", sympy.Rational(3, 8)),
        ("e^{1}/(1+e^{1})", E / (1 + E)),
        ("\\exp(1) / (1 + \\exp{1})", E / (1 + E)),
        ("\\sigma(1)", 1 / (1 + sympy.exp(-1))),
        ("\\operatorname{e}^{\\ln(2)}", sympy.Integer(2)),
        ("\\pi \\cdot \\frac{1}{4}", sympy.pi / 4),
        ("\\left[1+e\\right]^{-1}", 1 / (1 + E)),
    ],
)
def test_exact_forms_and_latex(text, value):
    answer = read_answer(text)
    assert sympy.simplify(answer.value - value) == 0
    assert answer.places is None and answer.figures is None
    assert answer.text == text


@pytest.mark.parametrize(
    "text",
    ["2e", "2√2", "2σ(1)", "2e ≈ 5.4", "2(1+e)"],  # LaTeX may imply products (test_answer_syntax); plain text not
)
def test_implicit_multiplication_in_plain_text_is_unreadable_with_a_hint(text):
    with pytest.raises(ParseError) as error:
        read_answer(text)
    assert "write '*'" in error.value.reason


@pytest.mark.parametrize(
    "text, reason",
    [
        ("\\foo", "unknown LaTeX command \\foo"),
        ("\\input{/etc/passwd}", "unknown LaTeX command \\input"),
        ("\\def\\x{}", "unknown LaTeX command \\def"),
        ("\\e", "unknown LaTeX command \\e"),
        ("\\frac{1}", "\\frac is missing"),
        ("\\frac\\pi2", "braces"),
        ("\\sqrt[3]{8}", "square roots"),
        ("{1", "missing '}'"),
        ("1}", "unmatched '}'"),
        ("\\left|x\\right|", "\\left("),
    ],
)
def test_bad_latex_names_the_problem(text, reason):
    with pytest.raises(ParseError) as error:
        read_answer(text)
    assert reason in error.value.reason
    assert "\n" not in error.value.reason


def close_to(number: Decimal, expected) -> bool:
    """number agrees with the expected value (a Fraction, or a function computing it in mpmath) to PRECISION digits."""
    with mpmath.workdps(60):
        exact = isinstance(expected, Fraction)
        expected = mpmath.mpf(expected.numerator) / expected.denominator if exact else expected()
        return abs(mpmath.mpf(str(number)) - expected) <= abs(expected) * mpmath.mpf(10) ** (1 - PRECISION)


# exact part written with its decimal value: the exact part is read, the text kept as written
WITH_DECIMALS = {
    "e/(1+e) ≈ 0.7311": lambda: mpmath.e / (1 + mpmath.e),
    "e/(1+e) = 0.7311": lambda: mpmath.e / (1 + mpmath.e),
    "e/(1+e)≈0.7311": lambda: mpmath.e / (1 + mpmath.e),
    "12*e/(1+e)^2 ~ 2.359": lambda: 12 * mpmath.e / (1 + mpmath.e) ** 2,
    "≈ e/(1+e) ≈ 0.7311": lambda: mpmath.e / (1 + mpmath.e),
    "−e/(1+e) ≈ −0,7311": lambda: -mpmath.e / (1 + mpmath.e),
    "3/8 = 0.375": lambda: mpmath.mpf(3) / 8,
    "sigmoid(1) = e/(1+e) ≈ 0.731": lambda: 1 / (1 + mpmath.exp(-1)),
    "$\\frac{e}{1+e}$ ≈ 0.7311": lambda: mpmath.e / (1 + mpmath.e),
    "$\\frac{e}{1+e} \\approx 0.7311$": lambda: mpmath.e / (1 + mpmath.e),
    "\\frac{e}{1+e} \\sim 0.73": lambda: mpmath.e / (1 + mpmath.e),
    "\\frac{e}{1+e} = 0.7311": lambda: mpmath.e / (1 + mpmath.e),
    "2~\\cdot~\\pi": lambda: 2 * mpmath.pi,  # in LaTeX "~" is a space, not "about"
}


@pytest.mark.parametrize("text", WITH_DECIMALS)
def test_exact_form_with_its_decimal_reads_the_exact_part(text):
    answer = read_answer(text)
    assert close_to(answer.number, WITH_DECIMALS[text])
    assert (answer.text, answer.places, answer.figures) == (text, None, None)


# unicode as students type it -> value computed independently (Fraction when rational)
UNICODE_FORMS = {
    "σ(1)": lambda: 1 / (1 + mpmath.exp(-1)),
    "1 - σ(2)": lambda: 1 - 1 / (1 + mpmath.exp(-2)),
    "√2": lambda: mpmath.sqrt(2),
    "√ 2": lambda: mpmath.sqrt(2),
    "√2.25": Fraction(3, 2),
    "−√2": lambda: -mpmath.sqrt(2),
    "√(1+e)": lambda: mpmath.sqrt(1 + mpmath.e),
    "√e": lambda: mpmath.sqrt(mpmath.e),
    "√π": lambda: mpmath.sqrt(mpmath.pi),
    "√√16": Fraction(2),
    "√exp(2)": lambda: mpmath.e,
    "√2²": Fraction(2),  # √ takes the number: (√2)²
    "√2/2": lambda: mpmath.sqrt(2) / 2,
    "\\frac{√2}{2}": lambda: mpmath.sqrt(2) / 2,
    "½": Fraction(1, 2),
    "¼ + ¾": Fraction(1),
    "⅓": Fraction(1, 3),
    "⅔": Fraction(2, 3),
    "⅕": Fraction(1, 5),
    "⅛": Fraction(1, 8),
    "2·½": Fraction(1),
    "½²": Fraction(1, 4),
    "½·e": lambda: mpmath.e / 2,
    "10⁻¹": Fraction(1, 10),
    "10⁻¹²": Fraction(1, 10**12),
    "2⁺³": Fraction(8),
    "e²": lambda: mpmath.exp(2),
    "e⁻¹": lambda: mpmath.exp(-1),
    "(1+e)²": lambda: (1 + mpmath.e) ** 2,
    "12·e/(1+e)²": lambda: 12 * mpmath.e / (1 + mpmath.e) ** 2,
    "1/(1+e⁻¹)": lambda: 1 / (1 + mpmath.exp(-1)),
    "3⁄8": Fraction(3, 8),
    "1÷4": Fraction(1, 4),
    "2⋅e": lambda: 2 * mpmath.e,
    "σ(1) ≈ 0.731": lambda: 1 / (1 + mpmath.exp(-1)),
}


@pytest.mark.parametrize("text", UNICODE_FORMS)
def test_unicode_forms(text):
    answer = read_answer(text)
    expected = UNICODE_FORMS[text]
    if isinstance(expected, Fraction):
        assert fraction_of(answer.value) == expected
    assert close_to(answer.number, expected)
    assert (answer.text, answer.places, answer.figures) == (text, None, None)


@pytest.mark.parametrize(
    "raw, text, expected, places, figures",
    [
        (sympy.Integer(1), "1", Fraction(1), 0, 1),
        (sympy.Integer(-1200), "-1200", Fraction(-1200), 0, 4),
        (sympy.Rational(3, 8), "3/8", Fraction(3, 8), None, None),
        (E / (1 + E), "E/(1 + E)", lambda: mpmath.e / (1 + mpmath.e), None, None),
        (sympy.sqrt(2) / 2, "sqrt(2)/2", lambda: mpmath.sqrt(2) / 2, None, None),
        (sympy.Float(0.25), "0.250000000000000", Fraction(1, 4), 15, 15),  # as it prints: 15 places
        (sympy.Float("-2.5e-7"), "-2.50000000000000e-7", Fraction(-25, 10**8), 21, 15),
    ],
)
def test_sympy_values(raw, text, expected, places, figures):
    answer = read_answer(raw)
    if isinstance(expected, Fraction):
        assert fraction_of(answer.value) == expected
    assert close_to(answer.number, expected)
    assert (answer.text, answer.places, answer.figures) == (text, places, figures)


def test_numpy_values():
    np = pytest.importorskip("numpy")
    cases = [
        (np.int64(1), "1", Fraction(1), 0, 1),
        (np.int32(-1200), "-1200", Fraction(-1200), 0, 4),
        (np.uint8(255), "255", Fraction(255), 0, 3),
        (np.float64(0.25), "0.25", Fraction(1, 4), 2, 2),
        (np.float32(0.5), "0.5", Fraction(1, 2), 1, 1),
        (np.float16(-0.125), "-0.125", Fraction(-1, 8), 3, 3),
    ]
    as_float = float(np.float32(0.1))  # float32 0.1 is not 0.1: read as the float it converts to
    cases.append((np.float32(0.1), repr(as_float), Fraction(repr(as_float)), len(repr(as_float)) - 2, None))
    for raw, text, value, places, figures in cases:
        answer = read_answer(raw)
        assert (answer.text, fraction_of(answer.value), answer.places) == (text, value, places)
        assert figures is None or answer.figures == figures
    for raw, reason in [(np.bool_(True), "a truth value"), (np.float64("nan"), "not a number (NaN)"),
                        (np.float32("inf"), "infinite"), (np.array([0.5]), "ndarray, not a number")]:
        with pytest.raises(ParseError) as error:
            read_answer(raw)
        assert reason in error.value.reason


@pytest.mark.parametrize(
    "raw, reason",
    [
        (sympy.Float(0.5) * E, "floating-point"),
        (sympy.Symbol("x") + 1, "variable"),
        (sympy.I, "real"),
        (sympy.oo, "finite"),
        (sympy.nan, "finite"),
        (sympy.zoo, "finite"),
        (sympy.true, "a truth value"),
        (sympy.Integer(10) ** 5000, "digits"),
        (sympy.Rational(1, 10**5000), "digits"),
        (sympy.Add(*[sympy.sqrt(i) for i in range(2, 3000)]), "too large"),
        (sympy.exp(sympy.exp(sympy.exp(100))), "cannot evaluate"),
        (sympy.exp(sympy.Integer(10) ** 100), "cannot evaluate"),
    ],
)
def test_sympy_values_that_are_refused_quickly(raw, reason):
    with no_hang(), pytest.raises(ParseError) as error:
        read_answer(raw)
    assert reason in error.value.reason


def reference(text: str) -> mpmath.mpf:
    """The value of each expression below, computed independently in mpmath."""
    e = mpmath.e
    return {
        "e/(1+e)": e / (1 + e),
        "12*exp(1)/(1+exp(1))^2": 12 * e / (1 + e) ** 2,
        "sqrt(2)": mpmath.sqrt(2),
        "exp(-3)": mpmath.exp(-3),
        "sigmoid(1)": 1 / (1 + mpmath.exp(-1)),
        "log(2)": mpmath.log(2),
        "pi": mpmath.pi,
        "tanh(1/2)": mpmath.tanh(mpmath.mpf(1) / 2),
        "softplus(1)": mpmath.log(1 + e),
        "2^(1/3)": mpmath.cbrt(2),
        "sin(1)": mpmath.sin(1),
        "max(e, pi)": mpmath.pi,
        "abs(-sqrt(2))": mpmath.sqrt(2),
        "exp(200)": mpmath.exp(200),
        "1/3": mpmath.mpf(1) / 3,
        "-2/7": mpmath.mpf(-2) / 7,
    }[text]


@pytest.mark.parametrize(
    "text",
    ["e/(1+e)", "12*exp(1)/(1+exp(1))^2", "sqrt(2)", "exp(-3)", "sigmoid(1)", "log(2)", "pi", "tanh(1/2)",
     "softplus(1)", "2^(1/3)", "sin(1)", "max(e, pi)", "abs(-sqrt(2))", "exp(200)", "1/3", "-2/7"],
)
def test_number_has_precision_digits(text):
    with mpmath.workdps(60):
        expected = reference(text)
        number = read_answer(text).number
        assert len(number.as_tuple().digits) <= PRECISION
        assert abs(mpmath.mpf(str(number)) - expected) <= abs(expected) * mpmath.mpf(10) ** (1 - PRECISION)


def test_rational_number_is_correctly_rounded():
    assert read_answer("1/3").number == Decimal("0." + "3" * PRECISION)
    assert read_answer("2/3").number == Decimal("0." + "6" * (PRECISION - 1) + "7")
    assert read_answer("0." + "1" * 60).number == Decimal("0." + "1" * PRECISION)


def test_answer_is_immutable_and_cached():
    answer = read_answer("e/(1+e)")
    assert isinstance(answer, Answer)
    with pytest.raises(dataclasses.FrozenInstanceError):
        answer.value = sympy.Integer(0)  # type: ignore[misc]
    assert read_answer(" e/(1+e) ") is answer  # same text once stripped: the cached object


def test_plain_decimals_are_fast(monkeypatch):
    """Plain decimals are read by a pattern, never by the expression parser (which is 100 times slower)."""
    parsed = []
    monkeypatch.setattr(answer_parse, "parse_number", lambda text: parsed.append(text))
    texts = [f"{i / 997:.4f}" for i in range(2000)]
    values = [read_answer(text).value for text in texts]
    assert parsed == []
    assert values == [sympy.Rational(text) for text in texts]


@given(
    coefficient=st.integers(-(10**15), 10**15),
    exponent=st.integers(-30, 30),
)
def test_decimals_read_exactly(coefficient, exponent):
    d = Decimal(f"{coefficient}E{exponent}")
    _, digits, exp = d.as_tuple()
    expected_figures = len("".join(map(str, digits)).lstrip("0")) or 1
    for raw in (str(d), d):
        answer = read_answer(raw)
        assert fraction_of(answer.value) == Fraction(d)
        assert answer.places == max(0, -exp)
        assert answer.figures == expected_figures
        assert answer.number == d


@pytest.mark.parametrize(
    "raw, reason",
    [
        ("", "empty"),
        ("$$", "empty"),
        ("≈", "empty"),
        (True, "true is a truth value, not a number"),
        (None, "nothing, not a number"),
        ([0.7], "an array, not a number"),
        ({"x": 1}, "a table, not a number"),
        (b"0.7", "bytes, not a number"),
        (object(), "an object, not a number"),
        (float("nan"), "not a number (NaN)"),
        (float("inf"), "infinite"),
        (Decimal("NaN"), "not a number (NaN)"),
        (Decimal("-Infinity"), "infinite"),
        ("nan", "finite"),
        ("-inf", "finite"),
        ("\\infty", "finite"),
        ("1/0", "division by zero"),
        ("0/0", "division by zero"),
        ("log(0)", "undefined"),
        ("sqrt(-1)", "real"),
        ("x", "unknown name"),
        ("1 =", "'='"),
        ("e/(1+e) =", "'='"),
        ("y = 0.731", "unknown name 'y' (reading the part before '=')"),
        ("1½", "mixed number"),
        ("2 ¾", "mixed number"),
        ("√", "√ must be followed"),
        ("√-1", "√ must be followed"),
        ("√exp(2", "missing ')'"),
        ("½√", "√ must be followed"),
        ("e⁻", "expected a number"),
    ],
)
def test_unreadable_values_say_why(raw, reason):
    with pytest.raises(ParseError) as error:
        read_answer(raw)
    assert reason in error.value.reason


HOSTILE = [
    "1" * 1_000_000,
    "(" * 10_000 + "1" + ")" * 10_000,
    "(" * 900 + "1" + ")" * 900,
    "\\frac{" * 10_000 + "1",
    "\\frac{" * 150 + "1" + "}{2}" * 150,  # within the length limit: nested too deeply for the parser
    "{" * 900 + "1" + "}" * 900,
    "\\sigma(" * 200 + "1" + ")" * 200,
    "\\sqrt{" * 200 + "2" + "}" * 200,
    "__import__('os').system('ls')",
    "().__class__.__bases__[0]",
    "2**2**2**2**2**2**2",
    "exp(exp(exp(100)))",
    "1e999999999",
    "1e-3000",
    "10^10^10",
    "9" * 1500,
    "1\x00",
    "\x00",
    "\\input{/etc/passwd}",
    "\\def\\x{}",
    "\u202e\u0663\ufeff\U0001f600",
    "٣.١",
    "-" * 5000,
    "-" * 1000 + "1",
    "\\" * 1000,
    "√" * 1999 + "2",
    "√" * 100 + "2",
    "√(" * 90 + "2" + ")" * 90,
    "√exp(" * 90 + "1" + ")" * 90,
    "½" * 1999,
    "²" * 1999,
    "2" + "⁹" * 1990,
    "σ(" * 600 + "1" + ")" * 600,
    "≈" * 1999 + "1",
    "$" * 1000,
    10**5000,
    Decimal("1E+999999"),
    Fraction(10**4000, 3),
]


@pytest.mark.parametrize("raw", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_input_is_refused_quickly(raw):
    with no_hang(), pytest.raises(ParseError) as error:
        read_answer(raw)
    assert "\n" not in error.value.reason


def test_answer_text_doctests():
    assert doctest.testmod(answer_syntax).failed == 0


def test_source_never_runs_text():
    source = Path(answer_parse.__file__).read_text() + Path(answer_syntax.__file__).read_text()
    for banned in ("ev" + "al(", "ex" + "ec(", "symp" + "ify(", "parse_" + "expr(", "parse_" + "latex("):
        assert banned not in source
