"""An author's activation: its derivative is put in a shorter form only while factoring it is cheap (counted, not
timed), and whatever form is kept equals SymPy's diff of the activation, checked in mpmath at a few points."""

from __future__ import annotations

import mpmath
import pytest
import sympy

from symback.problem import activations
from symback.problem.activations import Z, make_activation
from symback.problem.model import ActivationSpec

LARGE = {
    "a high degree": "z^1000/(1+z^999)",
    "an exponent of 10^18": "z^(10^18)/(1+z^(10^17))",
    "a coefficient of 10^309": "sigmoid(z*1e309)",  # found by the fuzzing campaign: minutes in factor
    "a long quotient of exponentials": "+".join(f"exp(z/{k})" for k in range(2, 14))
    + "/(1+" + "+".join(f"exp({k}*z)" for k in range(1, 12)) + ")",
}
SMALL = {"softsign": "z/(1+z^2)", "a sigmoid written out": "exp(z)/(1+exp(z)) - exp(2*z)/(1+exp(z))^2"}


def factor_calls(monkeypatch, refuse: bool = False) -> list:
    """The calls of sympy.factor from here on; with ``refuse``, the first fails at once (the old code's never
    ended)."""
    calls = []
    original = sympy.factor

    def factor(*args, **kwargs):
        calls.append(args)
        if refuse:
            raise AssertionError(f"factor called on {str(args[0])[:60]}")
        return original(*args, **kwargs)

    monkeypatch.setattr(activations.sympy, "factor", factor)
    return calls


def same_function(left: sympy.Expr, right: sympy.Expr, points=(-0.7, 0.3, 0.9)) -> bool:
    mpmath.mp.dps = 30
    for point in points:
        a = sympy.lambdify(Z, left, "mpmath")(mpmath.mpf(point))
        b = sympy.lambdify(Z, right, "mpmath")(mpmath.mpf(point))
        if not mpmath.almosteq(a, b, rel_eps=mpmath.mpf(10) ** -20, abs_eps=mpmath.mpf(10) ** -20):
            return False
    return True


@pytest.mark.parametrize("text", LARGE.values(), ids=LARGE.keys())
def test_a_large_activations_derivative_is_not_factored(monkeypatch, text):
    make_activation.cache_clear()
    calls = factor_calls(monkeypatch, refuse=True)
    activation = make_activation(ActivationSpec("custom", expression=text))
    assert calls == []  # before: factor ran on each (28 s, 24 GiB, and no end)
    if "10^18" not in text:  # mpmath cannot take z^(10^18) at a point either; diff's own form is kept there
        assert same_function(activation.derivative, sympy.diff(activation.expression, Z))
    else:
        assert activation.derivative == sympy.diff(activation.expression, Z)


@pytest.mark.parametrize("text", SMALL.values(), ids=SMALL.keys())
def test_a_small_activations_derivative_is_put_in_a_shorter_equal_form(monkeypatch, text):
    make_activation.cache_clear()
    calls = factor_calls(monkeypatch)
    activation = make_activation(ActivationSpec("custom", expression=text))
    derivative = sympy.diff(activation.expression, Z)
    assert len(calls) == 1
    assert sympy.count_ops(activation.derivative) <= sympy.count_ops(derivative)
    assert same_function(activation.derivative, derivative)
