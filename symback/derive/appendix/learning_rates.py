"""Appendix a: one SGD step at several larger learning rates, and the loss after it."""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from ...problem.model import Problem
from ...runs.optimizers import sgd_step
from ..steps import Quantity
from .common import (
    FINE_DIGITS,
    RATE_FACTORS,
    asked_parameters,
    constant_quantities,
    exact_sign,
    exercise_pass,
    gradients_at,
    listed,
    plain_sgd_exercise,
    readable,
    rounded_quantities,
)


@dataclass(frozen=True)
class RateRow:
    """One SGD step with α = factor · (the exercise's α): the updated parameters and the loss after it."""

    factor: sympy.Expr
    rate: sympy.Expr
    updated: tuple[Quantity, ...]  # θ' per parameter of the exercise, named "b12'"
    loss: Quantity  # L' at the same x, y
    change: Quantity  # L' − L


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
    growing: bool  # L' grows with α beyond the best rate
    conclusion: str
    kind: str = "learning_rates"


def learning_rates_section(problem: Problem, digits: int = 4) -> LearningRateSection | None:
    """SGD on the first plain SGD exercise with its α times 1/2, 1, 2, 5, 10; None without such an exercise.

    >>> import symback
    >>> s = learning_rates_section(symback.load("problems/ws23_backprop.toml"))
    >>> [(row.rate, row.loss.decimal) for row in s.rows][:2], s.best
    ([(1, Decimal('1.599')), (2, Decimal('1.610'))], 1)
    """
    exercise = plain_sgd_exercise(problem)
    if exercise is None:
        return None
    result, names = exercise_pass(problem, exercise), asked_parameters(problem, exercise)
    index, loss_node = result.graph.index, result.graph.loss_node
    theta = {n: problem.network.parameters[n] for n in names}
    grad = {n: result.grad[n] for n in names}
    exact = {"L": result.loss, **{f"dL/d{n}": grad[n] for n in names}}
    before = rounded_quantities(result, lambda p: {"L": p.values[loss_node], **_named(gradients_at(p, names, index))},
                         digits, exact)
    rows, fine = [], []
    for factor in RATE_FACTORS:
        rate = exercise.lr * factor
        new = sgd_step(theta, grad, rate)[0]
        updated = rounded_quantities(result, _sgd_update(names, index, rate), digits, {f"{n}'": new[n] for n in names})
        after = exercise_pass(problem, exercise, parameters=new)
        new_loss = readable(after.exact_pass.values[loss_node])
        loss = rounded_quantities(after, _loss_change(loss_node, exact["L"]), digits,
                           {"L'": new_loss, "L' - L": new_loss - exact["L"]})
        fine.append(after.rounded(lambda p: {"L'": p.values[loss_node]}, FINE_DIGITS)["L'"])
        rows.append(RateRow(factor, rate, tuple(updated.values()), loss["L'"], loss["L' - L"]))

    def lower(i: int, j: int) -> bool:  # L'_i < L'_j exactly: differing correctly rounded values keep the order
        if fine[i] != fine[j]:
            return fine[i] < fine[j]
        return exact_sign(constant_quantities({"d": rows[i].loss.exact - rows[j].loss.exact}, digits)["d"]) < 0

    best = 0
    for i in range(1, len(rows)):
        best = i if lower(i, best) else best
    growing = best + 1 < len(rows) and all(lower(i - 1, i) for i in range(best + 1, len(rows)))
    lowering = tuple(r.rate for r in rows if exact_sign(r.change) < 0)
    raising = tuple(r.rate for r in rows if exact_sign(r.change) > 0)
    gradients = tuple(before[f"dL/d{n}"] for n in names)
    conclusion = _rates_conclusion(exercise.lr, before["L"], rows, lowering, raising, rows[best].rate, growing)
    return LearningRateSection(exercise.id, tuple(names), exercise.lr, before["L"], gradients, tuple(rows),
                               lowering, raising, rows[best].rate, growing, conclusion)


def _named(gradients: dict) -> dict:
    return {f"dL/d{n}": g for n, g in gradients.items()}


def _sgd_update(names, index, rate):
    def compute(p):
        theta = {n: p.values[index[n]] for n in names}
        new = sgd_step(theta, gradients_at(p, names, index), rate, arithmetic=p.arithmetic)[0]
        return {f"{n}'": value for n, value in new.items()}

    return compute


def _loss_change(loss_node, old):
    return lambda p: {"L'": p.values[loss_node], "L' - L": p.values[loss_node] - p.arithmetic.from_sympy(old)}


def _rates_conclusion(base, loss, rows, lowering, raising, best, growing) -> str:
    parts = [f"One SGD step with α = {listed(r.rate for r in rows)} (the exercise's α = {base} times "
             f"{listed(r.factor for r in rows)}) takes L = {loss.decimal} to "
             f"L' ≈ {listed(r.loss.decimal for r in rows)}."]
    if len(lowering) == len(rows):
        parts.append("Every one of these rates lowers the loss.")
    elif lowering:
        parts.append(f"α = {listed(lowering)} lower{'s' * (len(lowering) == 1)} the loss.")
    if raising:
        parts.append(f"α = {listed(raising)} raise{'s' * (len(raising) == 1)} it: the step overshoots.")
    parts.append(f"The smallest L' is at α = {best}" + (
        "; beyond it L' grows with α: the longer steps overshoot." if growing else "."))
    return " ".join(parts)
