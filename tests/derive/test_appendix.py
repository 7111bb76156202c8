"""The appendix of the WS23 sheet, every number held against a route written here: the whole network as one SymPy
expression of its parameters (matrices read from the TOML with tomllib), SymPy's diff and mpmath, and Adam in
float64."""

from __future__ import annotations

import dataclasses
import math
import tomllib
from decimal import ROUND_HALF_UP, Context, Decimal
from fractions import Fraction
from pathlib import Path

import mpmath
import pytest
import sympy

import symback
from symback.derive.appendix import (
    build_appendix,
    deeper_section,
    learning_rates_section,
    loss_comparison_section,
    relu_section,
    with_extra_layer,
)
from symback.problem.model import ActivationSpec

PROBLEM = Path(__file__).resolve().parents[2] / "problems" / "ws23_backprop.toml"
TEXT = PROBLEM.read_text(encoding="utf-8")
RAW = tomllib.loads(TEXT)
DIGITS = 4


def _exact(value) -> sympy.Expr:
    return sympy.Rational(Fraction(str(value)))


def matrix(letter: str, rows: int, columns: int) -> sympy.Matrix:
    return sympy.Matrix(rows, columns, lambda i, j: sympy.Symbol(f"{letter}{i + 1}{j + 1}"))


A, B = matrix("a", 2, 2), matrix("b", 1, 2)
VALUES = {A[i, j]: _exact(RAW["network"]["layers"][0]["values"][i][j]) for i in range(2) for j in range(2)}
VALUES.update({B[0, j]: _exact(RAW["network"]["layers"][1]["values"][0][j]) for j in range(2)})
X = [_exact(v) for v in next(e for e in RAW["exercises"] if e["id"] == "3")["x"]]
Y = _exact(next(e for e in RAW["exercises"] if e["id"] == "3")["y"])
SGD_EXERCISE = next(e for e in RAW["exercises"] if e["task"] == "sgd" and "activation" not in e)


def sigmoid(z):
    return 1 / (1 + sympy.exp(-z))


def relu(z):
    return sympy.Max(0, z)


def whole_loss(f=sigmoid, x=X, y=Y, extra: sympy.Matrix | None = None) -> sympy.Expr:
    """(B f(A x) − y)², or (B σ(C f(A x)) − y)² with an extra sigmoid layer C."""
    hidden = (A * sympy.Matrix(x)).applyfunc(f)
    if extra is not None:
        hidden = (extra * hidden).applyfunc(sigmoid)
    return ((B * hidden)[0, 0] - y) ** 2


def close(a, b, digits=50) -> bool:
    return abs(sympy.N(a - b, digits + 10)) < sympy.Float(10) ** -digits


def rounded(value: sympy.Expr, digits: int = DIGITS) -> Decimal:
    """The decimal of ``value`` to ``digits`` significant digits, ties half up, from mpmath at 60 digits."""
    with mpmath.workdps(60):
        text = mpmath.nstr(mpmath.mpf(sympy.N(value, 60)), 55)
    return Context(prec=digits, rounding=ROUND_HALF_UP).create_decimal(text)


def check(quantity, expected: sympy.Expr) -> None:
    if quantity.exact is not None:  # no exact form is kept past the budget: the decimal alone is checked
        assert close(quantity.exact, expected), (quantity.name, quantity.exact, expected)
    assert quantity.decimal == rounded(expected), (quantity.name, quantity.decimal, rounded(expected))


@pytest.fixture(scope="module")
def problem():
    return symback.load(PROBLEM)


@pytest.fixture(scope="module")
def appendix(problem):
    return build_appendix(problem, DIGITS)


def test_sections_and_kinds(appendix):
    assert [s.kind for s in appendix.sections] == ["learning_rates", "relu", "adam", "loss_comparison", "deeper"]
    assert appendix.section("adam").kind == "adam" and appendix.section("nothing") is None
    for section in appendix.sections:
        with pytest.raises(dataclasses.FrozenInstanceError):
            section.kind = "x"


# --- a. learning rates


def test_learning_rates_against_the_whole_loss(appendix):
    section = appendix.section("learning_rates")
    loss = whole_loss()
    names = SGD_EXERCISE["params"]
    base = _exact(SGD_EXERCISE["lr"])
    gradient = {n: sympy.diff(loss, sympy.Symbol(n)).subs(VALUES) for n in names}
    check(section.loss, loss.subs(VALUES))
    for quantity, name in zip(section.gradients, names):
        check(quantity, gradient[name])
    losses = []
    for row, factor in zip(section.rows, [sympy.Rational(1, 2), 1, 2, 5, 10]):
        assert row.rate == base * factor
        updated = dict(VALUES)
        for quantity, name in zip(row.updated, names):
            expected = VALUES[sympy.Symbol(name)] - row.rate * gradient[name]
            check(quantity, expected)
            updated[sympy.Symbol(name)] = expected
        after = loss.subs(updated)
        check(row.loss, after)
        check(row.change, after - loss.subs(VALUES))
        losses.append(sympy.N(after, 50))
    before = sympy.N(loss.subs(VALUES), 50)
    assert section.lowering == tuple(r.rate for r, v in zip(section.rows, losses) if v < before)
    assert section.raising == tuple(r.rate for r, v in zip(section.rows, losses) if v > before)
    best = min(range(len(losses)), key=lambda i: losses[i])
    assert section.best == section.rows[best].rate
    shown = [rounded(v) for v in losses]  # the words follow the numbers as the table shows them
    assert section.growing == all(shown[i - 1] < shown[i] for i in range(best + 1, len(shown)))
    assert f"at α = {_decimal(section.best)}" in str(section.conclusion)
    assert section.trend == runs_of(shown)


def runs_of(values) -> tuple:
    """Where a sequence falls, stays or rises: (word, first, last), written here from the definition."""
    words = ["falls" if b < a else "rises" if b > a else "stays" for a, b in zip(values, values[1:])]
    runs, start = [], 0
    for k in range(1, len(words) + 1):
        if k == len(words) or words[k] != words[start]:
            runs.append((words[start], start, k))
            start = k
    return tuple(runs)


def test_learning_rates_say_plateau_not_overshoot_where_h2_saturates(appendix):
    # every α from 2 on takes L' to (2 − σ(1))² to four digits: b12 and a22 move so far that h₂ saturates and
    # ŷ ≈ h₁ = σ(1); every step lowers L = 4, so nothing overshoots
    section = appendix.section("learning_rates")
    limit = rounded((2 - sigmoid(sympy.Integer(1))) ** 2)
    assert [row.loss.decimal for row in section.rows if row.rate >= 2] == [limit] * 4
    text = str(section.conclusion)
    assert "overshoot" not in text.replace("not an overshoot", "")
    assert f"stays at ≈ {limit} from α = 2 to α = 20" in text and "plateau" in text


def test_learning_rates_raise_the_loss_where_the_step_overshoots():
    # a quadratic bowl L = (w − 1)² from w = 3: steps with α > 1 land further from the minimum than they started
    problem = symback.loads(
        'title = "bowl"\n[network]\ninputs = 1\n[[network.layers]]\nweights = "W"\nvalues = [[3]]\n'
        'activation = "identity"\n[loss]\nkind = "squared_error"\n'
        '[[exercises]]\nid = "1"\ntask = "sgd"\nx = [1]\ny = 1\nlr = "1/4"\n'
    )
    section = learning_rates_section(problem)
    w = sympy.Symbol("w")
    before, losses = (3 - 1) ** 2, []
    for row in section.rows:
        new = 3 - row.rate * sympy.diff((w - 1) ** 2, w).subs(w, 3)
        check(row.updated[0], new)
        check(row.loss, (new - 1) ** 2)
        losses.append((new - 1) ** 2)
    assert section.raising == tuple(r.rate for r, v in zip(section.rows, losses) if v > before) != ()
    assert section.lowering == tuple(r.rate for r, v in zip(section.rows, losses) if v < before) != ()
    best = min(range(len(losses)), key=lambda i: losses[i])
    assert section.best == section.rows[best].rate and section.growing
    assert f"α = {_listed(section.raising)} raise it: the step overshoots" in str(section.conclusion)


def _decimal(value: sympy.Rational) -> str:
    """A rate as the table prints it (a terminating decimal): 5/4 -> 1.25."""
    return str(Decimal(int(value.p)) / Decimal(int(value.q)))


def _listed(values) -> str:
    return ", ".join(_decimal(v) for v in values)


# --- b. ReLU


def test_relu_gradients_against_diff_of_max(appendix):
    section = appendix.section("relu")
    loss = whole_loss(relu)
    assert section.layers == (1,)
    for step, name in zip(section.relu, SGD_EXERCISE["params"]):
        assert step.parameter == name
        check(step.quantity, sympy.diff(loss, sympy.Symbol(name)).subs(VALUES))
    for step, name in zip(section.sigmoid, SGD_EXERCISE["params"]):
        check(step.quantity, sympy.diff(whole_loss(), sympy.Symbol(name)).subs(VALUES))
    z = (A * sympy.Matrix(X)).subs(VALUES)
    for unit, value in zip(section.units, z):
        check(unit.z, value)
        assert unit.dead == (value <= 0)
        check(unit.relu_derivative, sympy.Integer(1 if value > 0 else 0))
        t = sympy.Symbol("t")
        check(unit.sigmoid_derivative, sympy.diff(sigmoid(t), t).subs(t, value))
    assert section.dead == tuple(u.name for u in section.units if u.dead)


def test_a_dead_relu_unit_passes_no_gradient():
    # x = (1, 1) gives z1_2 = −2 + 1 < 0 for the second hidden unit
    problem = symback.loads(TEXT.replace("x = [1, 3]", "x = [1, 1]"))
    section = relu_section(problem)
    x = [sympy.Integer(1), sympy.Integer(1)]
    loss = whole_loss(relu, x=x)
    assert section.dead == ("h1_2",)
    for step in section.relu:
        expected = sympy.diff(loss, sympy.Symbol(step.parameter)).subs(VALUES)
        check(step.quantity, expected)
        assert expected == 0  # b12 sees h1_2 = 0, a22 sits behind the dead unit
    assert str(section.conclusion).startswith("1 of the 2 ReLU units is dead") and "h1_2" in str(section.conclusion)


def test_sigmoid_derivative_bound(appendix):
    bound = appendix.section("relu").bound
    z = sympy.Symbol("z", real=True)
    derivative = sympy.diff(sigmoid(z), z)
    # 1/4 − σ'(z) = (e^z − 1)² / (4 (e^z + 1)²) ≥ 0, with equality only at z = 0
    assert sympy.simplify(sympy.Rational(1, 4) - derivative - (sympy.exp(z) - 1) ** 2 / (4 * (sympy.exp(z) + 1) ** 2)) == 0
    assert bound.maximum == derivative.subs(z, 0) == sympy.Rational(1, 4) and bound.argmax == 0
    assert bound.is_maximum and bound.at_ends == (0, 0)
    by_name = {s.name: s for s in bound.sigmoid_derivative.free_symbols}
    assert sympy.simplify(bound.sigmoid_derivative.subs(by_name["z"], z) - derivative) == 0
    assert bound.relu_values == (0, 1)


# --- c. Adam


def adam_first_step(theta: float, g: float, lr: float, beta1=0.9, beta2=0.999, eps=1e-8):
    m, v = (1 - beta1) * g, (1 - beta2) * g * g
    m_hat, v_hat = m / (1 - beta1), v / (1 - beta2)
    update = -lr * m_hat / (math.sqrt(v_hat) + eps)
    return m_hat, v_hat, update, theta + update


def test_adam_against_float64(appendix):
    sgd_exercises = [e for e in RAW["exercises"] if e["task"] == "sgd"]
    section = appendix.section("adam")
    assert [e.exercise for e in section.exercises] == [e["id"] for e in sgd_exercises]
    for part, spec in zip(section.exercises, sgd_exercises):
        f = (lambda z: sympy.Integer(0)) if "activation" in spec else sigmoid
        loss = whole_loss(f)
        lr = _exact(spec["lr"])
        for step, name in zip(part.steps, spec["params"]):
            g = sympy.diff(loss, sympy.Symbol(name)).subs(VALUES)
            check(step.g, g)
            theta = VALUES[sympy.Symbol(name)]
            expected = adam_first_step(float(theta), float(g), float(lr))
            for quantity, value in zip((step.m_hat, step.v_hat, step.update, step.new), expected):
                assert float(quantity.exact) == pytest.approx(value, rel=1e-12, abs=1e-12)
                assert float(quantity.decimal) == pytest.approx(value, rel=1e-3, abs=1e-12)
            # exact: Δθ = −α·g/(|g| + ε), correctly rounded
            check(step.update, -lr * g / (abs(g) + sympy.Rational(1, 10**8)))
            check(step.sgd_update, -lr * g)
            assert step.sign == sympy.sign(sympy.N(g, 30))
            if g == 0:
                assert step.update.exact == 0 and step.new.exact == theta and step.m_hat.exact == 0
            else:
                assert 0 < abs(float(step.off_sign_step.exact)) < 1e-7
                assert (step.update.decimal < 0) == (g > 0)


def test_adam_with_f_zero_moves_nothing(appendix):
    part = appendix.section("adam").exercises[1]
    assert part.moved == () and part.still == ("a11", "a12", "a21", "a22")
    assert "A does not move" in str(part.remark)


# --- d. squared error vs cross-entropy


def test_loss_comparison_against_diff():
    section = loss_comparison_section()
    z, y = sympy.Symbol("z", real=True), sympy.Symbol("y", real=True)
    p_of_z = sigmoid(z)
    squared = (p_of_z - y) ** 2
    cross = -(y * sympy.log(p_of_z) + (1 - y) * sympy.log(1 - p_of_z))
    for loss, claimed in ((squared, section.squared_error_dz), (cross, section.cross_entropy_dz)):
        names = {s.name: s for s in claimed.free_symbols}
        as_z = claimed.subs({names["p"]: p_of_z, names["y"]: y})
        assert sympy.simplify(sympy.diff(loss, z) - as_z) == 0
        for row in section.rows:
            assert close(as_z.subs({z: row.z, y: 1}), sympy.diff(loss, z).subs({z: row.z, y: 1}))
    for row in section.rows:
        check(row.p, p_of_z.subs(z, row.z))
        check(row.sigmoid_derivative, sympy.diff(p_of_z, z).subs(z, row.z))
        check(row.squared_error, sympy.diff(squared, z).subs({z: row.z, y: 1}))
        check(row.cross_entropy, sympy.diff(cross, z).subs({z: row.z, y: 1}))
        check(row.ratio, (sympy.diff(squared, z) / sympy.diff(cross, z)).subs({z: row.z, y: 1}))
    wrong = section.rows[0]
    assert wrong.z == -4 and abs(wrong.squared_error.decimal) < abs(wrong.cross_entropy.decimal) / 20
    assert str(wrong.squared_error.decimal) in str(section.conclusion)


# --- e. one more layer


def test_deeper_network_gradient_against_diff(appendix, problem):
    section = appendix.section("deeper")
    C = matrix("c", 2, 2)
    values = dict(VALUES)
    values.update({C[i, j]: sympy.Integer(int(i == j)) for i in range(2) for j in range(2)})
    loss = whole_loss(extra=C)
    assert section.label == "C" and section.weights == (("c11", "c12"), ("c21", "c22"))
    gradient_spec = next(e for e in RAW["exercises"] if e["task"] == "gradient")
    first_layer = [n for n in gradient_spec["params"] if n.startswith("a")]
    assert [g.parameter for g in section.gradients] == first_layer
    for g in section.gradients:
        symbol = sympy.Symbol(g.parameter)
        after, before = sympy.diff(loss, symbol).subs(values), sympy.diff(whole_loss(), symbol).subs(VALUES)
        check(g.after.quantity, after)
        check(g.before.quantity, before)
        check(g.ratio, after / before)
        # each path: the chain rule's product of its factors; a sigmoid layer adds the pair ∂h/∂z · ∂z/∂h
        assert g.factors_after == g.factors_before + 2
        assert close(sympy.Add(*[sympy.Mul(*[f.exact for f in path]) for path in g.after.paths]), after)
    # the deeper problem still has the sheet's output at x = (1, 3): B σ(σ(A x)) = σ(σ(1)) − σ(σ(1)) = 0
    deeper_result = symback.backprop(section.problem, X, Y)
    assert deeper_result.output == [0]


def test_with_extra_layer_moves_activation_overrides():
    problem = symback.load(PROBLEM)
    exercise = dataclasses.replace(problem.exercise("6"), activations={2: ActivationSpec("zero")})
    problem = dataclasses.replace(problem, exercises=(exercise,))
    deeper, letter = with_extra_layer(problem)
    assert dict(deeper.exercise("6").activations) == {3: ActivationSpec("zero")}
    assert list(deeper.network.parameters) == ["a11", "a12", "a21", "a22", "c11", "c12", "c21", "c22", "b11", "b12"]


def test_sections_are_skipped_without_their_exercises():
    base = TEXT.split("[[exercises]]")[0]
    loss_only = symback.loads(base + '[[exercises]]\nid = "1"\ntask = "loss"\nx = [0, 0]\ny = 1\n')
    assert [s.kind for s in build_appendix(loss_only).sections] == ["loss_comparison"]
    gradient = symback.loads(base + '[[exercises]]\nid = "1"\ntask = "gradient"\nx = [1, 3]\ny = 2\n'
                                    'params = ["b12"]\n')
    assert [s.kind for s in build_appendix(gradient).sections] == ["loss_comparison"]  # no first-layer parameter
    assert deeper_section(gradient) is None
