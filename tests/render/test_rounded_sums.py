"""A gradient that adds at a fork shows its rounded terms' sum where it differs from the rounded value, at any
number of digits a sheet asks for (found by the fuzzing campaign: `symback solve circuit_cs231n.toml --digits 29`
ended in decimal.InvalidOperation, Python's 28-digit default context being too short for the sum and its place).

The expected sums are worked out with Fractions, exactly, and rounded half-even to the value's last place.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
import sympy

import symback
from symback.derive.steps import Quantity
from symback.render.environment import render
from symback.render.sheet import build_sheet
from symback.render.shown import Shown
from symback.render.table import GradientView

ROOT = Path(__file__).resolve().parents[2]


def rounded(value: Fraction, places: int) -> Decimal:
    """``value`` to ``places`` decimal places, ties to even, by integer arithmetic."""
    scaled = value * 10**places
    whole, rest = divmod(scaled.numerator, scaled.denominator)
    if 2 * rest > scaled.denominator or (2 * rest == scaled.denominator and whole % 2):
        whole += 1
    return Decimal(f"{whole}E-{places}")  # read exactly (scaleb would round to the context's 28 digits)


def shown(value: Fraction, places: int) -> Shown:
    return Shown(Quantity("q", sympy.Rational(value.numerator, value.denominator), rounded(value, places)), False, False)


TERMS = {"mixed": [Fraction(1, 3), Fraction(2, 7), Fraction(-5, 11)],
         "drift": [Fraction(1, 3)] * 3}  # 0.333…3 three times is 0.999…9, the value 1.000…0: always differs


@pytest.mark.parametrize("places", [4, 28, 29, 40, 1000])
@pytest.mark.parametrize("kind", sorted(TERMS))
def test_the_rounded_terms_of_a_fork_add_up_exactly_at_any_digits(kind, places):
    terms = TERMS[kind]
    view = GradientView("x", "df/dx", shown(sum(terms), places), ("a", "b", "c"), tuple(shown(t, places) for t in terms))
    term_sum = rounded(sum(Fraction(rounded(t, places)) for t in terms), places)  # the terms as shown, added
    value = rounded(sum(terms), places)
    assert term_sum != value or kind != "drift"
    assert view.rounded_sum == (None if term_sum == value else term_sum)


def test_a_circuit_sheet_with_forks_renders_at_forty_digits():
    sheet = build_sheet(symback.load(ROOT / "problems" / "circuit_cs231n.toml"), 40, appendix=False)
    forks = [g for exercise in sheet.exercises for g in getattr(exercise.body, "gradients", ()) if len(g.terms) > 1]
    assert forks  # df/dx and df/dy add at forks
    assert render(sheet, "tex").rstrip().endswith("\\end{document}")
    assert render(sheet, "md").startswith("# ")
