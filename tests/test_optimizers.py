"""The optimizer registry against routes written here: Adam in float64 with math, SGD with Fractions, and the exact
facts of Adam's first step (Δθ = −α·g/(|g| + ε), exactly 0 where g = 0)."""

from __future__ import annotations

import dataclasses
import decimal
import math
from fractions import Fraction

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from symback.arithmetic import DECIMAL, EXACT
from symback.errors import ArgumentError
from symback.optimizers import (
    ADAM_DEFAULTS,
    OPTIMIZERS,
    AdamState,
    adam_step,
    optimizer,
    optimizer_step,
    sgd_step,
)


def adam_float(theta: dict, gradients: list[dict], lr: float, beta1=0.9, beta2=0.999, eps=1e-8) -> list[dict]:
    """Adam (Kingma and Ba, Algorithm 1) in float64: θ after each step."""
    m = {name: 0.0 for name in theta}
    v = {name: 0.0 for name in theta}
    theta, history = dict(theta), []
    for t, grad in enumerate(gradients, start=1):
        for name, g in grad.items():
            m[name] = beta1 * m[name] + (1 - beta1) * g
            v[name] = beta2 * v[name] + (1 - beta2) * g * g
            m_hat = m[name] / (1 - beta1**t)
            v_hat = v[name] / (1 - beta2**t)
            theta[name] -= lr * m_hat / (math.sqrt(v_hat) + eps)
        history.append(dict(theta))
    return history


fractions = st.fractions(min_value=-20, max_value=20, max_denominator=50)


@settings(max_examples=40, deadline=None)
@given(
    theta=st.dictionaries(st.sampled_from(["w", "u", "b"]), fractions, min_size=1, max_size=3),
    steps=st.integers(min_value=1, max_value=3),
    lr=st.fractions(min_value=Fraction(1, 100), max_value=5, max_denominator=100),
    data=st.data(),
)
def test_adam_matches_a_float64_implementation(theta, steps, lr, data):
    gradients = [{name: data.draw(fractions) for name in theta} for _ in range(steps)]
    expected = adam_float({n: float(v) for n, v in theta.items()},
                          [{n: float(g) for n, g in grad.items()} for grad in gradients], float(lr))
    current, state = dict(theta), None
    for step, grad in enumerate(gradients):
        current, state, rows = adam_step(current, grad, lr, state)
        assert state.t == step + 1 and [row.t for row in rows] == [step + 1] * len(grad)
        for name, value in current.items():
            assert float(value) == pytest.approx(expected[step][name], rel=1e-9, abs=1e-9)


@settings(max_examples=30, deadline=None)
@given(g=fractions, lr=st.fractions(min_value=Fraction(1, 10), max_value=10, max_denominator=20))
def test_first_adam_step_is_alpha_g_over_abs_g_plus_eps(g, lr):
    g, lr = sympy.Rational(g.numerator, g.denominator), sympy.Rational(lr.numerator, lr.denominator)
    eps = sympy.Rational(1, 10**8)
    _, _, (row,) = adam_step({"w": 0}, {"w": g}, lr)
    assert row.m_hat == g and row.v_hat == g**2
    assert row.update == -lr * g / (abs(g) + eps)
    if g == 0:
        assert row.update == 0 and row.new == 0 and row.m == 0 and row.v == 0
    else:
        assert sympy.sign(row.update) == -sympy.sign(g)
        assert abs(row.update) < lr and lr - abs(row.update) == lr * eps / (abs(g) + eps)


def test_first_adam_step_of_a_transcendental_gradient_is_exact():
    g = -4 * sympy.E / (1 + sympy.E)
    _, _, (row,) = adam_step({"b12": -1}, {"b12": g}, 2)
    expected = -2 * g / (-g + sympy.Rational(1, 10**8))  # |g| = −g here
    assert sympy.simplify(row.update - expected) == 0
    assert sympy.simplify(row.v_hat - g**2) == 0 and sympy.simplify(row.m_hat - g) == 0


def test_adam_in_the_engines_arithmetics_agrees_with_sympy():
    theta, grad = {"w": sympy.Integer(1)}, {"w": 12 * sympy.E / (1 + sympy.E) ** 2}
    _, _, (exact,) = adam_step(theta, grad, sympy.Rational(157, 50))
    as_symengine = {name: EXACT.from_sympy(v) for name, v in grad.items()}
    _, _, (engine,) = adam_step({"w": EXACT.from_sympy(theta["w"])}, as_symengine, "3.14", arithmetic=EXACT)
    assert sympy.simplify(engine.update._sympy_() - exact.update) == 0
    with decimal.localcontext(prec=60):
        as_decimal = {name: DECIMAL.from_sympy(v) for name, v in grad.items()}
        _, _, (dec,) = adam_step({"w": decimal.Decimal(1)}, as_decimal, 3.14, arithmetic=DECIMAL)
    assert abs(sympy.N(exact.update - sympy.Rational(str(dec.update)), 70)) < sympy.Float("1e-55")


def test_adam_state_carries_the_moments_and_is_immutable():
    _, state, _ = adam_step({"w": 0}, {"w": 1}, 1)
    assert state.m["w"] == sympy.Rational(1, 10) and state.v["w"] == sympy.Rational(1, 1000)
    with pytest.raises(dataclasses.FrozenInstanceError):
        state.t = 5
    with pytest.raises(TypeError):
        state.m["w"] = 0
    assert AdamState().t == 0


def test_hyperparameters_are_exact():
    assert ADAM_DEFAULTS["beta1"] == sympy.Rational(9, 10)
    assert ADAM_DEFAULTS["beta2"] == sympy.Rational(999, 1000)
    assert ADAM_DEFAULTS["eps"] == sympy.Rational(1, 10**8)
    _, _, (row,) = adam_step({"w": 0}, {"w": 2}, 1, beta1=0.5, eps=0)
    assert row.m == 1 and row.update == -1  # 0.5 is read as exactly 1/2; with ε = 0 the step is −α·sign(g)


@settings(max_examples=30, deadline=None)
@given(theta=fractions, g=fractions, lr=fractions)
def test_sgd_against_fractions(theta, g, lr):
    new, state, (row,) = sgd_step({"w": theta, "frozen": 7}, {"w": g}, lr)
    assert new["w"] == sympy.Rational(theta - lr * g) and new["frozen"] == 7
    assert row.update == sympy.Rational(-lr * g) and state.t == 1


def test_registry():
    assert set(OPTIMIZERS) >= {"sgd", "adam"}
    assert optimizer("adam").step is adam_step and optimizer("sgd").step is sgd_step
    assert optimizer_step("sgd", {"w": 1}, {"w": 2}, "1/2")[0] == {"w": 0}
    new, _, _ = optimizer_step("adam", {"w": 1}, {"w": 0}, 2)
    assert new == {"w": 1}
    with pytest.raises(ArgumentError, match="unknown optimizer 'nope'"):
        optimizer("nope")


def test_gradient_for_an_unknown_parameter_is_an_error():
    with pytest.raises(ArgumentError, match="unknown parameter"):
        adam_step({"w": 1}, {"v": 1}, 1)
    with pytest.raises(ArgumentError):
        sgd_step({"w": 1}, {"w": "not a number"}, 1)
