"""Significant digits and fixed decimal places: one Rounding, held against routes written here (Fraction arithmetic
for rationals, mpmath at 80 digits with decimal's ROUND_HALF_EVEN for irrationals, where no tie can occur)."""

from __future__ import annotations

import decimal
import random
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import mpmath
import pytest
import sympy
from cli_helpers import run

import symback
from symback.numbers.rounding import Rounding, correctly_rounded, round_exact
from symback.render.environment import render
from symback.render.sheet import build_sheet

WS23 = Path(__file__).resolve().parents[2] / "problems" / "ws23_backprop.toml"


def fixed_from_fraction(value: Fraction, places: int) -> Decimal:
    """value to ``places`` decimal places, ties half up, in integer arithmetic."""
    scaled = abs(value) * 10**places
    whole = scaled.numerator // scaled.denominator
    if scaled - whole >= Fraction(1, 2):
        whole += 1
    sign = "-" if value < 0 and whole else ""
    return Decimal(f"{sign}{whole}").scaleb(-places, decimal.Context(prec=200))


def fixed_from_mpmath(value, places: int) -> Decimal:
    """``value`` (an mpmath number, or a function giving one) to ``places`` places, computed at 80 digits."""
    with mpmath.workdps(80):
        text = mpmath.nstr(value() if callable(value) else value, 75, strip_zeros=False)
    return Decimal(text).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN, context=decimal.Context(prec=100))


def test_fixed_places_of_rationals_against_fractions():
    rng = random.Random(11)
    for _ in range(300):
        value = Fraction(rng.randint(-10**9, 10**9), rng.choice([1, 3, 7, 8, 125, 999, 10**6 + 3]))
        places = rng.randint(0, 6)
        got = correctly_rounded(lambda: {"v": Decimal(value.numerator) / Decimal(value.denominator)},
                                Rounding(places, fixed=True))["v"]
        assert got == fixed_from_fraction(value, places) and str(got) == str(fixed_from_fraction(value, places))


def test_ties_round_half_up_as_on_sheets():
    assert Rounding(2, fixed=True).round(Decimal("0.125")) == Decimal("0.13")
    assert Rounding(2, fixed=True).round(Decimal("-0.125")) == Decimal("-0.13")
    assert Decimal("0.125").quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) == Decimal("0.13")


def test_fixed_places_of_irrationals_and_large_values_against_mpmath():
    cases = [(sympy.E / (1 + sympy.E), lambda: mpmath.e / (1 + mpmath.e)),
             (sympy.pi * 10**25, lambda: mpmath.pi * 10**25), (sympy.exp(-30), lambda: mpmath.exp(-30)),
             (-sympy.sqrt(2) / 1000, lambda: -mpmath.sqrt(2) / 1000)]
    for exact, reference in cases:
        for places in (0, 2, 5):
            assert round_exact(exact, Rounding(places, fixed=True)) == fixed_from_mpmath(reference, places)
            got = correctly_rounded(lambda: {"v": Decimal(str(sympy.N(exact, decimal.getcontext().prec)))},
                                    Rounding(places, fixed=True))["v"]
            assert got == fixed_from_mpmath(reference, places)


def test_a_value_that_rounds_to_zero_has_no_sign():
    assert str(Rounding(2, fixed=True).round(Decimal("-0.0001"))) == "0.00"


def test_large_values_wait_for_the_digits_before_the_point():
    # 10^40/3 needs 42 digits to be rounded to two places: a pass at 14 digits must not settle it
    got = correctly_rounded(lambda: {"v": Decimal(10) ** 40 / 3}, Rounding(2, fixed=True))["v"]
    assert got == fixed_from_fraction(Fraction(10**40, 3), 2)


def test_sheet_in_fixed_places_against_an_independent_route():
    problem = symback.load(WS23)
    sheet = build_sheet(problem, Rounding(2, fixed=True), appendix=False)
    md = render(sheet, "md")
    assert "correctly rounded to 2 decimal places" in md
    # ∂L/∂a22 = 12e/(1 + e)² ≈ 2.359; ∂L/∂b12 = −4e/(1 + e) ≈ −2.924; to two places by mpmath
    e = mpmath.e
    for value in (lambda: 12 * e / (1 + e) ** 2, lambda: -4 * e / (1 + e)):
        assert str(fixed_from_mpmath(value, 2)) in md
    steps = symback.run_exercise(problem, "4", Rounding(2, fixed=True)).steps
    step = next(s for s in steps if s.kind == "gradient" and s.parameter == "a22")
    assert step.quantity.decimal == fixed_from_mpmath(lambda: 12 * e / (1 + e) ** 2, 2)


def test_equal_sign_where_the_value_is_its_rounding():
    # y = 2.12 and ŷ = 0 in exercise 2's neighbourhood: L = (ŷ − 2.12)² is rational; with 4 places it is exact
    problem = symback.loads(
        'title = "t"\ndecimals = 4\n[network]\ninputs = 1\n[[network.layers]]\nweights = "W"\nvalues = [[0.5]]\n'
        'activation = "identity"\n[loss]\nkind = "squared_error"\n[[exercises]]\nid = "1"\ntask = "loss"\n'
        'x = 1\ny = 2.12\n')
    md = render(build_sheet(problem), "md")
    loss = (Fraction(1, 2) - Fraction(212, 100)) ** 2  # 2.6244: four places hold it exactly
    assert "= 2.6244" in md and r"\approx 2.6244" not in md
    assert fixed_from_fraction(loss, 4) == Decimal("2.6244")
    two = render(build_sheet(problem, Rounding(2, fixed=True)), "md")
    assert rf"\approx {fixed_from_fraction(loss, 2)}" in two


def test_problem_file_keys_and_errors():
    base = ('title = "t"\n{}\n[network]\ninputs = 1\n[[network.layers]]\nweights = "W"\nvalues = [[2]]\n'
            'activation = "sigmoid"\n[loss]\nkind = "squared_error"\n')
    assert symback.loads(base.format("decimals = 2")).rounding == Rounding(2, fixed=True)
    assert symback.loads(base.format("digits = 6")).rounding == Rounding(6)
    for keys, message in [("digits = 3\ndecimals = 2", "decimals: give either digits"),
                          ("decimals = -1", "decimals: expected an integer from 0 to 100"),
                          ("decimals = 2.5", "decimals: expected an integer from 0 to 100 (fixed decimal places"),
                          ("digits = 0", "digits: expected an integer from 1 to 100 (significant digits")]:
        with pytest.raises(symback.errors.ProblemError, match=message.replace("(", r"\(")) as caught:
            symback.loads(base.format(keys), source="p.toml")
        assert "\n" not in str(caught.value) and str(caught.value).startswith("p.toml: ")


def test_cli_digits_and_decimals_exclude_each_other(capsys, tmp_path):
    with pytest.raises(SystemExit) as stopped:  # argparse's own check, exit code 2 as every bad argument
        run(capsys, "grad", WS23, "--x", "1,3", "--y", "2", "--digits", "3", "--decimals", "2")
    assert stopped.value.code == 2 and "not allowed with argument --digits" in capsys.readouterr().err
    code, out, _ = run(capsys, "grad", WS23, "--x", "1,3", "--y", "2", "--params", "a22", "--decimals", "2")
    e = mpmath.e
    assert code == 0 and f"≈ {fixed_from_mpmath(lambda: 12 * e / (1 + e) ** 2, 2)}" in out.splitlines()[-1]
    code, _, err = run(capsys, "solve", WS23, "-o", tmp_path, "--format", "md", "--decimals", "-1")
    assert code == 2 and err.count("\n") == 1 and "--decimals" in err
    code, _, _ = run(capsys, "solve", WS23, "-o", tmp_path, "--format", "md", "--decimals", "3", "--no-appendix")
    text = (tmp_path / "ws23_backprop.md").read_text(encoding="utf-8")
    assert code == 0 and "3 decimal places" in text and "Appendix" not in text
