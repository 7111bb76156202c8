"""The WS23 sheet end to end, held against an independent route written here: the whole network as one SymPy
expression (matrices read from the TOML with tomllib, not through symback's loader), SymPy's diff, mpmath."""

from __future__ import annotations

import tomllib
from decimal import ROUND_HALF_UP, Context
from fractions import Fraction
from pathlib import Path

import mpmath
import pytest
import sympy

import symback
from symback.derive.exercise import run_exercise

PROBLEM = Path(__file__).resolve().parents[2] / "problems" / "ws23_backprop.toml"
RAW = tomllib.loads(PROBLEM.read_text(encoding="utf-8"))


def _exact(value) -> sympy.Expr:
    return sympy.Rational(Fraction(str(value)))


A_VALUES = [[_exact(v) for v in row] for row in RAW["network"]["layers"][0]["values"]]
B_VALUES = [[_exact(v) for v in row] for row in RAW["network"]["layers"][1]["values"]]
A_SYMBOLS = sympy.Matrix(2, 2, lambda i, j: sympy.Symbol(f"a{i + 1}{j + 1}"))
B_SYMBOLS = sympy.Matrix(1, 2, lambda i, j: sympy.Symbol(f"b{i + 1}{j + 1}"))
VALUES = {A_SYMBOLS[i, j]: A_VALUES[i][j] for i in range(2) for j in range(2)}
VALUES.update({B_SYMBOLS[0, j]: B_VALUES[0][j] for j in range(2)})


def sigmoid(z):
    return 1 / (1 + sympy.exp(-z))


def whole_loss(x, y, f=sigmoid):
    """L(ŷ, y) = (B f(A x) − y)² as one SymPy expression in the parameter symbols."""
    hidden = (A_SYMBOLS * sympy.Matrix(x)).applyfunc(f)
    prediction = (B_SYMBOLS * hidden)[0, 0]
    return prediction, (prediction - y) ** 2


def exercise(id_):
    spec = next(e for e in RAW["exercises"] if e["id"] == id_)
    point = next(e for e in RAW["exercises"] if e["id"] == spec["at"]) if "at" in spec else spec
    return spec, [_exact(v) for v in point["x"]], _exact(point["y"])


def same(a, b) -> bool:
    return sympy.simplify(sympy.nsimplify(a) - b) == 0 or abs(sympy.N(a - b, 60)) < sympy.Float("1e-55")


@pytest.fixture(scope="module")
def problem():
    return symback.load(PROBLEM)


@pytest.mark.parametrize("id_", ["1", "2", "3"])
def test_forward_pass_and_loss(problem, id_):
    _, x, y = exercise(id_)
    prediction, loss = whole_loss(x, y)
    quantities = run_exercise(problem, id_).quantities()
    assert same(quantities["yhat"].exact, prediction.subs(VALUES))
    assert same(quantities["L"].exact, loss.subs(VALUES))


def test_exercise_3_claim_holds_exactly(problem):
    _, x, y = exercise("3")
    prediction, _ = whole_loss(x, y)
    assert sympy.simplify(prediction.subs(VALUES)) == 0
    claims = run_exercise(problem, "3").of_kind("claim")
    assert [c.holds for c in claims] == [True]
    assert symback.backprop(problem, x, y).output == [0]


@pytest.mark.parametrize("id_", ["4", "5"])
def test_gradients_match_diff_of_the_whole_loss(problem, id_):
    spec, x, y = exercise(id_)
    _, loss = whole_loss(x, y)
    steps = run_exercise(problem, id_).of_kind("gradient")
    assert [s.parameter for s in steps] == spec["params"]
    for step in steps:
        expected = sympy.diff(loss, sympy.Symbol(step.parameter)).subs(VALUES)
        assert same(step.quantity.exact, expected)
        # the chain rule: the product of the factors along each path, summed, is the gradient
        assert same(sympy.Add(*[sympy.Mul(*[f.exact for f in path]) for path in step.paths]), expected)
        assert step.paths[0][0].numerator == "L" and step.paths[0][-1].denominator == step.parameter


def test_sgd_updates(problem):
    spec, x, y = exercise("5")
    _, loss = whole_loss(x, y)
    rate = _exact(spec["lr"])
    for step in run_exercise(problem, "5").of_kind("update"):
        symbol = sympy.Symbol(step.parameter)
        expected = VALUES[symbol] - rate * sympy.diff(loss, symbol).subs(VALUES)
        assert same(step.new.exact, expected)
    r = symback.backprop(problem, x, y)
    assert symback.sgd(problem, {"a22": r.grad["a22"]}, lr=rate)["a22"] == VALUES[sympy.Symbol("a22")] - rate * r.grad["a22"]


def test_zero_activation_leaves_a_unchanged(problem):
    spec, x, y = exercise("6")
    _, loss = whole_loss(x, y, f=lambda z: sympy.Integer(0))
    result = run_exercise(problem, "6")
    for step in result.of_kind("gradient"):
        assert step.quantity.exact == sympy.diff(loss, sympy.Symbol(step.parameter)).subs(VALUES) == 0
        assert step.vanishes
    for step in result.of_kind("update"):
        assert step.new.exact == VALUES[sympy.Symbol(step.parameter)]
    assert _exact(spec["lr"]) == sympy.Rational(157, 50)


def test_decimals_are_correctly_rounded_to_30_digits(problem):
    _, x, y = exercise("4")
    _, loss = whole_loss(x, y)
    decimals = symback.backprop(problem, x, y).decimals(30)
    for name in ("a11", "a22", "b12"):
        with mpmath.workdps(80):
            reference = mpmath.mpf(sympy.N(sympy.diff(loss, sympy.Symbol(name)).subs(VALUES), 80))
            rounded = Context(prec=30, rounding=ROUND_HALF_UP).create_decimal(mpmath.nstr(reference, 70))
        assert decimals[f"dL/d{name}"] == rounded


def test_cross_entropy_analysis(problem):
    step = run_exercise(problem, "7").steps[0]
    p, y, z = sympy.symbols("p y z", real=True)
    loss = -(y * sympy.log(p) + (1 - y) * sympy.log(1 - p))
    assert step.minimise
    # limits, held against mpmath near the ends of (0, 1)
    for row in step.limits:
        with mpmath.workdps(50):
            near = mpmath.mpf("1e-40") if row.approach == "0+" else 1 - mpmath.mpf("1e-40")
            value = (-mpmath.log(near)) if row.target == 1 else (-mpmath.log(1 - near))
        assert (row.limit == sympy.oo) == (value > 50)
        assert (row.limit == 0) == (value < 1e-30)
    # ∂L/∂p as taught, (p − y)/(p(1 − p)), checked by differentiating L directly
    shown = {symbol.name: symbol for symbol in step.derivative.free_symbols}
    assert sympy.simplify(step.derivative.subs({shown["p"]: p, shown["y"]: y}) - sympy.diff(loss, p)) == 0
    # through a sigmoid: dL/dz = p - y, checked by differentiating L(σ(z)) directly
    direct = sympy.diff(loss.subs(p, sigmoid(z)), z)
    by_name = {symbol.name: symbol for symbol in step.through_sigmoid.free_symbols}
    claimed = step.through_sigmoid.subs({by_name["p"]: sigmoid(z), by_name["y"]: y})
    assert sympy.simplify(direct - claimed) == 0
