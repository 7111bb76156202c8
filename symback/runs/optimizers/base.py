"""What every optimizer rule shares: the SymPy arithmetic the rules run in by default, reading exact inputs and
hyperparameters, and immutable per-parameter memories.

A rule uses nothing but + − × ÷, ``arithmetic.power`` and ``arithmetic.from_sympy`` on its values, so it runs
alike on exact SymPy numbers (:data:`SYMPY`), on SymEngine values and on Decimals (see :mod:`symback.numbers.arithmetic`).
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

import sympy

from ...errors import ArgumentError, ParseError
from ...numbers.parse import exact_number


class SympyArithmetic:
    """Exact SymPy values: the default arithmetic of the rules."""

    name = "sympy"

    @staticmethod
    def from_sympy(value: sympy.Expr) -> sympy.Expr:
        return value

    @staticmethod
    def power(base, exponent):
        return base**exponent


SYMPY = SympyArithmetic()


def exact_input(value, what: str) -> sympy.Expr:
    """A number given exactly (int, str, Fraction, SymPy, a float as it prints) as a SymPy number.

    >>> exact_input("0.9", "beta1")
    9/10
    """
    try:
        return exact_number(value, what=what)
    except ParseError as err:
        raise ArgumentError(str(err)) from err


def constant(value, arithmetic, what: str):
    """A hyperparameter given exactly, as a value of ``arithmetic``.

    >>> constant(0.5, SYMPY, "rho")
    1/2
    """
    if getattr(arithmetic, "symbolic", False):  # a rule written out in symbols (β₁) for display
        return value
    return arithmetic.from_sympy(exact_input(value, what))


def small_rational(numerator: int, denominator: int, arithmetic):
    """numerator/denominator in ``arithmetic`` (0, 1 and ½ the rules need).

    >>> small_rational(1, 2, SYMPY)
    1/2
    """
    return arithmetic.from_sympy(sympy.Rational(numerator, denominator))


def step_inputs(theta: Mapping, grad: Mapping, arithmetic) -> tuple[dict, dict]:
    """θ and g as the rule computes with them; a gradient for a parameter θ lacks is an error.

    >>> step_inputs({"w": "0.5"}, {"w": 2}, SYMPY)
    ({'w': 1/2}, {'w': 2})
    """
    unknown = [name for name in grad if name not in theta]
    if unknown:
        raise ArgumentError(f"gradient for unknown parameter(s): {', '.join(unknown)}")
    if arithmetic is not SYMPY:  # values of an engine pass are already in their arithmetic
        return dict(theta), dict(grad)
    return (
        {name: exact_input(value, name) for name, value in theta.items()},
        {name: exact_input(value, f"dL/d{name}") for name, value in grad.items()},
    )


def frozen(mapping: Mapping) -> Mapping:
    """A read-only copy: optimizer states are immutable."""
    return MappingProxyType(dict(mapping))


def ratio(numerator, denominator, zero):
    """numerator/denominator, and exactly 0 where the numerator is exactly 0 (a parameter with g = 0 stays put
    even with ε = 0, where the quotient would be 0/0).

    >>> ratio(sympy.Integer(0), sympy.Integer(0), sympy.Integer(0)), ratio(sympy.Integer(1), sympy.Integer(4), 0)
    (0, 1/4)
    """
    return zero if numerator == 0 else numerator / denominator
