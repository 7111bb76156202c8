"""Sums print as a person writes them: a positive term first where there is one ((e − 1)/(1 + e), p(p − 1),
2ŷ − 2y), the other terms in SymPy's order, and the value untouched (the printers reorder terms, never the
expression). The value is checked by SymPy on the terms and by the safe parser on the plain text read back."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sympy

import symback
from symback.numbers.parse import exact_number
from symback.numbers.text import format_exact, positive_first
from symback.render.environment import render
from symback.render.notation import Notation
from symback.render.sheet import build_sheet

ROOT = Path(__file__).resolve().parents[2]
E = sympy.E
P, Y, YHAT, Q = (sympy.Symbol(name, real=True) for name in ("p", "y", "yhat", "q1"))

MIXED = [  # sums SymPy stores with a negative term first
    -1 + E,
    -1 + P,
    -2 * Y + 2 * YHAT,
    -1 + 8 * E / (1 + E),
    -3 - 2 * P + Q,
    -sympy.Rational(1, 2) + E**2,
]


@pytest.mark.parametrize("expr", MIXED, ids=str)
def test_a_sum_with_a_positive_term_prints_it_first(expr):
    assert expr.args[0].could_extract_minus_sign()  # the case that printed with a leading minus
    terms = positive_first(expr.args)
    assert sympy.Add(*terms) == expr and sorted(terms, key=str) == sorted(expr.args, key=str)
    assert not terms[0].could_extract_minus_sign()
    rest = [term for term in expr.args if term is not terms[0]]
    assert terms[1:] == rest  # the others keep their order
    latex = Notation().latex(expr)
    assert not latex.startswith("-") and latex.startswith(Notation().latex(terms[0]))
    text = format_exact(expr)
    assert not text.startswith("-")
    if not expr.free_symbols:
        assert exact_number(text, what="test") == expr  # the plain text reads back to the same value


@pytest.mark.parametrize("expr", [-1 - E, -P - 2 * Y, -sympy.Rational(1, 3) - E])
def test_a_sum_of_negative_terms_keeps_its_leading_minus(expr):
    assert positive_first(expr.args) == list(expr.args)
    assert Notation().latex(expr).startswith("-") and format_exact(expr).startswith("-")


@pytest.mark.parametrize(("expr", "written"), [
    ((-1 + E) / (1 + E), r"\frac{e - 1}{1 + e}"),
    (P * (-1 + P), r"p \left(p - 1\right)"),
    (-2 * Y + 2 * YHAT, r"2 \hat{y} - 2 y"),
    (1 - 24 * E / (1 + E) ** 2, r"1 - \frac{24 e}{\left(1 + e\right)^{2}}"),
])
def test_inside_products_and_fractions_as_a_lecturer_writes(expr, written):
    assert Notation().latex(expr) == written


def test_the_ws23_sheet_has_no_sum_led_by_a_minus_where_a_plus_would_do():
    """The loss-comparison appendix's (−1 + e)/(1 + e) and p(−1 + p), the updates' −1 + 8e/(1 + e)."""
    tex = render(build_sheet(symback.load(ROOT / "problems" / "ws23_backprop.toml")), "tex")
    assert r"\frac{e - 1}{1 + e}" in tex and r"\frac{p - y}{p \left(1 - p\right)}" in tex  # ∂L/∂p as taught
    assert not re.findall(r"(?:\{|\\left\(|= )-1 \+ [a-z\\]", tex)
