"""Helpers the appendix sections share: passes, quantities, readable values."""

from __future__ import annotations

import sympy

from ...engine.backprop import backprop
from ...engine.result import BackpropResult, to_sympy
from ...numbers.arithmetic import decimal_from_sympy
from ...numbers.rounding import correctly_rounded, trimmed
from ...problem.model import ExerciseSpec, Problem
from ..chain_rule import Deriver
from ..steps import GradientStep, Quantity

RATE_FACTORS = (sympy.Rational(1, 2), sympy.Integer(1), sympy.Integer(2), sympy.Integer(5), sympy.Integer(10))
COMPARISON_POINTS = (sympy.Integer(-4), sympy.Integer(0), sympy.Integer(4))
P = sympy.Symbol("p", positive=True)
FINE_DIGITS = 30  # losses rounded this finely are compared first (see lower() in learning_rates_section)


def sgd_exercises(problem: Problem) -> list[ExerciseSpec]:
    """The problem's SGD exercises, in file order."""
    return [e for e in problem.exercises if e.task == "sgd"]


def plain_sgd_exercise(problem: Problem) -> ExerciseSpec | None:
    """The first SGD exercise that keeps the network's own activations (not an f ≡ 0 override)."""
    return next((e for e in sgd_exercises(problem) if all(a.kind != "zero" for a in e.activations.values())), None)


def exercise_pass(problem: Problem, exercise: ExerciseSpec, activation=None, parameters=None) -> BackpropResult:
    """The exact pass at an exercise's point, with further activation overrides or parameter values."""
    overrides = {**exercise.activations, **(activation or {})}
    loss = exercise.loss.kind if exercise.loss else None
    return backprop(problem, exercise.x, exercise.y, activation=overrides, loss=loss, parameters=parameters)


def asked_parameters(problem: Problem, exercise: ExerciseSpec) -> list[str]:
    """The parameters an exercise asks about: its ``params``, else every trainable one."""
    return list(exercise.params) if exercise.params is not None else list(problem.network.trainable)


def rounded_quantities(result: BackpropResult, compute, digits: int, exact: dict | None = None) -> dict[str, Quantity]:
    """name -> Quantity: decimals of ``compute(pass)`` correctly rounded; exact values as given, else from the
    exact pass. Given exact values come from the same rule run in SymPy (cheaper to read and to build)."""
    decimals = result.rounded(compute, digits)
    if exact is None:
        exact = compute(result.exact_pass)  # engine values: SymPy only when shown (they may be huge)
    return {name: Quantity(name, value, decimals[name]) for name, value in exact.items()}


def constant_quantities(values: dict[str, sympy.Expr], digits: int) -> dict[str, Quantity]:
    """name -> Quantity for exact SymPy constants, correctly rounded (Ziv's loop over decimal passes)."""
    zeros = [name for name, value in values.items() if value == 0]
    rounded = correctly_rounded(lambda: {n: decimal_from_sympy(v) for n, v in values.items()}, digits, zeros)
    return {name: Quantity(name, value, trimmed(rounded[name], value)) for name, value in values.items()}


def readable(value) -> sympy.Expr:
    """``to_sympy(value)``, skipping tidy where it would keep the value as it is: exp of a non-integer (as in the
    loss after a step) is no rational function of e, and tidy spends ~60 ms per such value finding that out."""
    raw = value._sympy_()
    if any(not power.args[0].is_Integer for power in raw.atoms(sympy.exp)):
        return raw
    return to_sympy(value)


def gradient_steps(result: BackpropResult, names: list[str], digits: int, paths: bool = False) -> tuple[GradientStep, ...]:
    """The chain-rule steps of ``names``' gradients on one pass, decimals to ``digits`` (``paths``: along their
    paths even where a sheet would go through adjoints, to count factors)."""
    deriver = Deriver(result, digits)
    builders = [deriver.gradient_step(name, paths=paths) for name in names]
    quantity = deriver.finish()
    return tuple(build(quantity) for build in builders)


def gradients_at(p, names, index) -> dict:
    """name -> ∂L/∂name on the pass ``p`` (exact or decimal), ``index`` giving each name's node."""
    return {n: p.gradient(index[n]) for n in names}


def exact_sign(quantity: Quantity) -> int:
    """The exact sign: a correctly rounded decimal is 0 only for 0 and otherwise has the exact value's sign."""
    return (quantity.decimal > 0) - (quantity.decimal < 0)


def listed(values) -> str:
    """Values joined for a sentence.

    >>> listed([1, "b"])
    '1, b'
    """
    return ", ".join(str(v) for v in values)
