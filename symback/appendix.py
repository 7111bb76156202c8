"""The appendix of a solution sheet: the sheet's follow-up questions, answered by computing on its own network.

:func:`build_appendix` returns plain frozen data for templates that print and never compute: exact SymPy
values, correctly rounded decimals (:class:`~symback.steps.Quantity`) and one sentence of interpretation per
section, put together from those numbers. Each section's ``kind`` names the template that prints it.
"""

from __future__ import annotations

import dataclasses
import string
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import sympy

from .activations import Z, make_activation
from .api import BackpropResult, backprop, to_sympy
from .arithmetic import EXACT, decimal_from_sympy
from .derivation import Deriver
from .losses import make_loss
from .model import ActivationSpec, ExerciseSpec, LayerSpec, Problem
from .optimizers import ADAM_DEFAULTS, adam_step, sgd_step
from .problem_values import matrix_entry_names
from .rounding import correctly_rounded
from .steps import GradientStep, Quantity

RATE_FACTORS = (sympy.Rational(1, 2), sympy.Integer(1), sympy.Integer(2), sympy.Integer(5), sympy.Integer(10))
COMPARISON_POINTS = (sympy.Integer(-4), sympy.Integer(0), sympy.Integer(4))
P = sympy.Symbol("p", positive=True)


@dataclass(frozen=True)
class Appendix:
    """The sections that apply to the problem, in order; ``section(kind)`` finds one (None if skipped)."""

    title: str
    digits: int
    sections: tuple

    def section(self, kind: str):
        return next((s for s in self.sections if s.kind == kind), None)


def build_appendix(problem: Problem, digits: int = 4) -> Appendix:
    """Every appendix section the problem has an exercise for, decimals to ``digits`` significant digits.

    >>> import symback
    >>> appendix = build_appendix(symback.load("problems/ws23_backprop.toml"))
    >>> [section.kind for section in appendix.sections]
    ['learning_rates', 'relu', 'adam', 'loss_comparison', 'deeper']
    """
    builders = (learning_rates_section, relu_section, adam_section, loss_comparison_section, deeper_section)
    sections = (build(problem, digits) for build in builders)
    return Appendix(problem.title, digits, tuple(s for s in sections if s is not None))


# --- shared helpers


def _sgd_exercises(problem: Problem) -> list[ExerciseSpec]:
    return [e for e in problem.exercises if e.task == "sgd"]


def _plain_sgd_exercise(problem: Problem) -> ExerciseSpec | None:
    """The first SGD exercise that keeps the network's own activations (not an f ≡ 0 override)."""
    return next((e for e in _sgd_exercises(problem) if all(a.kind != "zero" for a in e.activations.values())), None)


def _pass(problem: Problem, exercise: ExerciseSpec, activation=None, parameters=None) -> BackpropResult:
    overrides = {**exercise.activations, **(activation or {})}
    loss = exercise.loss.kind if exercise.loss else None
    return backprop(problem, exercise.x, exercise.y, activation=overrides, loss=loss, parameters=parameters)


def _parameters(problem: Problem, exercise: ExerciseSpec) -> list[str]:
    return list(exercise.params) if exercise.params is not None else list(problem.network.trainable)


def _measured(result: BackpropResult, compute, digits: int) -> dict[str, Quantity]:
    """name -> Quantity for ``compute(pass)``: exact on the exact pass, decimals correctly rounded."""
    decimals = result.rounded(compute, digits)
    return {name: Quantity(name, to_sympy(v), decimals[name]) for name, v in compute(result.exact_pass).items()}


def _constants(values: dict[str, sympy.Expr], digits: int) -> dict[str, Quantity]:
    """name -> Quantity for exact SymPy constants, correctly rounded (Ziv's loop over decimal evaluations)."""
    zeros = [name for name, value in values.items() if value == 0]
    rounded = correctly_rounded(lambda: {n: decimal_from_sympy(v) for n, v in values.items()}, digits, zeros)
    return {name: Quantity(name, value, _tidy(rounded[name], value)) for name, value in values.items()}


def _tidy(rounded: Decimal, exact: sympy.Expr) -> Decimal:
    """1/4 prints 0.25, not 0.2500: trailing zeros go where the decimal is the exact value."""
    if exact.is_Rational and Fraction(rounded) == Fraction(int(exact.p), int(exact.q)):
        return rounded.quantize(Decimal(1)) if rounded == rounded.to_integral_value() else rounded.normalize()
    return rounded


def _gradient_steps(result: BackpropResult, names: list[str], digits: int) -> tuple[GradientStep, ...]:
    deriver = Deriver(result, digits)
    builders = [deriver.gradient_step(name) for name in names]
    quantity = deriver.finish()
    return tuple(build(quantity) for build in builders)


def _sign(quantity: Quantity) -> int:
    """The exact sign: a nonzero correctly rounded decimal has the sign of the exact value."""
    return (quantity.decimal > 0) - (quantity.decimal < 0)


def _listed(values) -> str:
    return ", ".join(str(v) for v in values)


# --- a. larger learning rates


@dataclass(frozen=True)
class RateRow:
    """One SGD step with rate α = factor · (the exercise's α): the updated parameters and the loss after it."""

    factor: sympy.Expr
    rate: sympy.Expr
    updated: tuple[Quantity, ...]  # θ' per parameter of the exercise, named "b12'"
    loss: Quantity  # L' at the same x, y
    change: Quantity  # L' − L
    versus_previous: Quantity | None  # L' − L' of the previous (smaller) rate


@dataclass(frozen=True)
class LearningRateSection:
    exercise: str
    parameters: tuple[str, ...]
    rate: sympy.Expr  # the exercise's α
    loss: Quantity  # L before the step
    gradients: tuple[Quantity, ...]
    rows: tuple[RateRow, ...]
    lowering: tuple[sympy.Expr, ...]  # rates with L' < L
    raising: tuple[sympy.Expr, ...]  # rates with L' > L
    best: sympy.Expr  # the rate with the smallest L'
    conclusion: str
    kind: str = "learning_rates"


def learning_rates_section(problem: Problem, digits: int = 4) -> LearningRateSection | None:
    """SGD on the first plain SGD exercise with its α times 1/2, 1, 2, 5, 10; None without such an exercise.

    >>> import symback
    >>> s = learning_rates_section(symback.load("problems/ws23_backprop.toml"))
    >>> [(row.rate, row.loss.decimal) for row in s.rows][:2]
    [(1, Decimal('1.599')), (2, Decimal('1.610'))]
    """
    exercise = _plain_sgd_exercise(problem)
    if exercise is None:
        return None
    result, names = _pass(problem, exercise), _parameters(problem, exercise)
    index, loss_node = result.graph.index, result.graph.loss_node
    before = _measured(result, lambda p: {"L": p.values[loss_node], **_named_gradients(p, names, index)}, digits)
    rows: list[RateRow] = []
    for factor in RATE_FACTORS:
        updated = _measured(result, _sgd_quantities(names, index, exercise.lr * factor), digits)
        after = _pass(problem, exercise, parameters={n: updated[f"{n}'"].exact for n in names})
        loss = _measured(after, _loss_change(loss_node, before["L"].exact), digits)
        previous = _difference(loss["L'"], rows[-1].loss, digits) if rows else None
        rows.append(RateRow(factor, exercise.lr * factor, tuple(updated.values()), loss["L'"], loss["L' - L"], previous))
    best = rows[0]
    for row in rows[1:]:
        best = row if _sign(_difference(row.loss, best.loss, digits)) < 0 else best
    lowering = tuple(r.rate for r in rows if _sign(r.change) < 0)
    raising = tuple(r.rate for r in rows if _sign(r.change) > 0)
    gradients = tuple(before[f"dL/d{n}"] for n in names)
    conclusion = _rates_conclusion(before["L"], rows, lowering, raising, best)
    return LearningRateSection(exercise.id, tuple(names), exercise.lr, before["L"], gradients, tuple(rows), lowering,
                               raising, best.rate, conclusion)


def _sgd_quantities(names, index, rate):
    def compute(p):
        theta = {n: p.values[index[n]] for n in names}
        new = sgd_step(theta, _gradients(p, names, index), rate, arithmetic=p.arithmetic)[0]
        return {f"{n}'": value for n, value in new.items()}

    return compute


def _loss_change(loss_node, old):
    return lambda p: {"L'": p.values[loss_node], "L' - L": p.values[loss_node] - p.arithmetic.from_sympy(old)}


def _difference(a: Quantity, b: Quantity, digits: int) -> Quantity:
    name = f"{a.name} - {b.name}"
    return _constants({name: a.exact - b.exact}, digits)[name]


def _gradients(p, names, index) -> dict:
    return {n: p.gradient(index[n]) for n in names}


def _named_gradients(p, names, index) -> dict:
    return {f"dL/d{n}": g for n, g in _gradients(p, names, index).items()}


def _rates_conclusion(loss, rows, lowering, raising, best) -> str:
    parts = [f"One SGD step with α = {_listed(r.rate for r in rows)} takes L = {loss.decimal} to "
             f"L' ≈ {_listed(r.loss.decimal for r in rows)}."]
    if lowering:
        parts.append(f"α = {_listed(lowering)} lower{'s' * (len(lowering) == 1)} the loss.")
    if raising:
        parts.append(f"α = {_listed(raising)} raise{'s' * (len(raising) == 1)} it: the step overshoots.")
    later = [r for r in rows if r.rate > best.rate]
    parts.append(f"The smallest L' is at α = {best.rate}.")
    if later and all(_sign(r.versus_previous) > 0 for r in later):
        parts.append(f"For larger α, L' grows with α: a longer step overshoots.")
    return " ".join(parts)
