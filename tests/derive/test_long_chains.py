"""A long chain of products and quotients as written (x/x*x/x*…, 1,000 operations, within the documented limit
of 2,000 nodes) is a shallow display formula, so that SymPy and the printers do not run out of recursion (found by
the fuzzing campaign: such a stage ended `symback solve` in a RecursionError; a sum was fine already).

Each display formula is printed as text and read back by the safe parser, and held against the parser's own
reading of the text as written, both evaluated exactly at two rational points (SymPy's arithmetic, an independent
route).
"""

from __future__ import annotations

import pytest
import sympy

from symback.derive.formulas import Over, Times
from symback.numbers.parse import parse_expression
from symback.numbers.text import format_exact
from symback.numbers.tree import parse_tree
from symback.render.stages import _display

X, Y = sympy.Symbol("x", real=True), sympy.Symbol("y", real=True)


def depth(expr) -> int:
    """Nesting depth of a SymPy tree, with a stack of its own (a deep tree would overflow a recursive count)."""
    deepest, pending = 0, [(expr, 1)]
    while pending:
        node, level = pending.pop()
        deepest = max(deepest, level)
        pending.extend((arg, level + 1) for arg in node.args)
    return deepest


CHAINS = {"alternating": "x" + "/x*y" * 450, "divisions": "x" + "/y" * 900, "products": "x" + "*y" * 900,
          "short": "x" + "/y/x*y*y/x" * 3, "brackets": "(x + 1)/y/(x - y)*2/3", "one": "2*x/y"}
LONG = ("alternating", "divisions", "products")  # half a second each: in the slow set


@pytest.mark.parametrize("name", [pytest.param(name, marks=pytest.mark.slow) if name in LONG else name
                                  for name in sorted(CHAINS)])
def test_a_chain_of_products_and_quotients_is_shallow_and_means_what_was_written(name):
    text = CHAINS[name]
    display = _display(parse_tree(text, ["x", "y"]))
    assert depth(display) <= 6
    variables = {"x": X, "y": Y}
    shown, written = parse_expression(format_exact(display), variables), parse_expression(text, variables)
    for point in ({X: sympy.Rational(3, 7), Y: sympy.Rational(-5, 11)}, {X: 2, Y: sympy.Rational(1, 3)}):
        assert shown.xreplace(point) == written.xreplace(point)  # exact rationals: equal as numbers
    assert sympy.latex(display).count(r"\frac") <= 1 + text.count("(")  # one fraction, not one inside another


def test_a_quotient_divided_again_is_one_fraction():
    assert Over(Over(X, Y), X) == Over(X, Times(Y, X))
    assert Times(Over(X, Y), X) == Over(Times(X, X), Y)
