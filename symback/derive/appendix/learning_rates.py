"""Appendix a: one SGD step at several larger learning rates, and the loss after it.

Bounded work: the step and the loss after it are computed in decimal passes (the gradient at growing precision,
θ' = θ − α·g, then a forward pass at θ'), correctly rounded by Ziv's loop; exact forms are built only where the
gradient's exact value is short, and never converted to SymPy when long. The conclusion is read off the numbers
as the table shows them: where L' falls, stays (a plateau) or rises, and which rates raise L (an overshoot).
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from decimal import Decimal

import sympy

from ...engine.guards import ExactTooLarge
from ...engine.passes import compute_pass
from ...engine.result import to_sympy
from ...errors import NumericError
from ...numbers.arithmetic import DECIMAL
from ...numbers.rounding import Rounding, as_rounding, correctly_rounded, trimmed
from ...problem.model import Problem
from ..budget import worth_exact_work
from ..prose import Prose, math, relation, sentence
from ..steps import Quantity
from .common import (
    FINE_DIGITS,
    RATE_FACTORS,
    asked_parameters,
    exercise_pass,
    plain_sgd_exercise,
    readable,
)


@dataclass(frozen=True)
class RateRow:
    """One SGD step with α = factor · (the exercise's α): the updated parameters and the loss after it (exact
    forms None where they are long)."""

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
    growing: bool  # L' grows with α beyond the best rate (in the digits shown)
    conclusion: Prose
    trend: tuple[tuple[str, int, int], ...] = ()  # runs of the shown L': ("falls"|"stays"|"rises", first, last row)
    kind: str = "learning_rates"


def learning_rates_section(problem: Problem, digits: int | Rounding = 4) -> LearningRateSection | None:
    """SGD on the first plain SGD exercise with its α times 1/2, 1, 2, 5, 10; None without such an exercise.

    >>> import symback
    >>> s = learning_rates_section(symback.load("problems/ws23_backprop.toml"))
    >>> [(row.rate, row.loss.decimal) for row in s.rows][:2], s.best, s.trend
    ([(1, Decimal('1.599')), (2, Decimal('1.610'))], 1, (('rises', 0, 1), ('stays', 1, 4)))
    """
    exercise = plain_sgd_exercise(problem)
    if exercise is None:
        return None
    rounding = as_rounding(digits)
    result, names = exercise_pass(problem, exercise), asked_parameters(problem, exercise)
    graph, exact_pass = result.graph, result.exact_pass
    index, loss_node = graph.index, graph.loss_node
    rates = [exercise.lr * factor for factor in RATE_FACTORS]

    def evaluate() -> dict[str, Decimal]:
        try:
            before = compute_pass(graph, DECIMAL, result.point, result.targets, follow=exact_pass)
            found = {"L": before.values[loss_node]}
            found.update({f"dL/d{n}": before.gradients[index[n]] for n in names})
            for k, rate in enumerate(rates):
                step = DECIMAL.from_sympy(rate)
                new = {n: before.values[index[n]] - step * before.gradients[index[n]] for n in names}
                after = compute_pass(graph, DECIMAL, result.point, result.targets, given=new)
                found.update({f"{k}:{n}'": value for n, value in new.items()})
                found[f"{k}:L'"] = after.values[loss_node]
                found[f"{k}:L' - L"] = after.values[loss_node] - found["L"]
            return found
        except decimal.DecimalException as err:
            raise NumericError("a decimal value overflows after a step with a larger learning rate") from err

    flat_zero = [n for n in names if exact_pass.gradients[index[n]] == 0]
    zeros = [f"dL/d{n}" for n in flat_zero] + ([f"{k}:L' - L" for k in range(len(rates))]
                                               if len(flat_zero) == len(names) else [])
    shown = correctly_rounded(evaluate, rounding, zeros)
    fine = correctly_rounded(evaluate, Rounding(FINE_DIGITS), zeros)
    exact = _exact_forms(result, exercise, names, rates, index, loss_node)
    q = {name: Quantity(name, exact.get(name), trimmed(value, exact.get(name))) for name, value in shown.items()}
    rows = tuple(RateRow(factor, rate, tuple(q[f"{k}:{n}'"] for n in names), q[f"{k}:L'"], q[f"{k}:L' - L"])
                 for k, (factor, rate) in enumerate(zip(RATE_FACTORS, rates)))
    after = [fine[f"{k}:L'"] for k in range(len(rows))]
    best = min(range(len(rows)), key=lambda k: after[k])  # the first of equal smallest values
    lowering = tuple(r.rate for k, r in enumerate(rows) if fine[f"{k}:L' - L"] < 0)
    raising = tuple(r.rate for k, r in enumerate(rows) if fine[f"{k}:L' - L"] > 0)
    trend = shape([row.loss.decimal for row in rows])
    growing = best + 1 < len(rows) and all(rows[k - 1].loss.decimal < rows[k].loss.decimal
                                           for k in range(best + 1, len(rows)))
    gradients = tuple(q[f"dL/d{n}"] for n in names)
    conclusion = rates_conclusion(exercise.lr, q["L"], rows, lowering, raising, best, trend)
    return LearningRateSection(exercise.id, tuple(names), exercise.lr, q["L"], gradients, rows, lowering, raising,
                               rows[best].rate, growing, conclusion, trend)


def _exact_forms(result, exercise, names, rates, index, loss_node) -> dict[str, sympy.Expr]:
    """Exact L, gradients, θ' and L' where they are short: the engine's values are measured as text before any
    is turned into SymPy, and the pass after the step runs exactly only where every θ' is short."""
    exact_pass = result.exact_pass
    forms = {}
    loss = exact_pass.values[loss_node]
    if worth_exact_work(loss):
        forms["L"] = to_sympy(loss)
    gradients = {n: exact_pass.gradients[index[n]] for n in names}
    if not all(worth_exact_work(g) for g in gradients.values()):
        return forms
    grad = {n: to_sympy(g) for n, g in gradients.items()}
    forms.update({f"dL/d{n}": g for n, g in grad.items()})
    theta = {n: result.point[n] for n in names}
    for k, rate in enumerate(rates):
        new = {n: theta[n] - rate * grad[n] for n in names}
        forms.update({f"{k}:{n}'": value for n, value in new.items()})
        if "L" not in forms or not all(worth_exact_work(v) for v in new.values()):
            continue
        try:
            after = exercise_pass(result.problem, exercise, parameters=new).exact_pass.values[loss_node]
        except ExactTooLarge:  # far too large to be short: the decimals say it
            continue
        if worth_exact_work(after):
            forms[f"{k}:L'"] = readable(after)
            forms[f"{k}:L' - L"] = forms[f"{k}:L'"] - forms["L"]
    return forms


def shape(values: list[Decimal]) -> tuple[tuple[str, int, int], ...]:
    """The runs of a sequence as shown: where it falls, stays or rises, as (word, first index, last index).

    >>> shape([Decimal("1.599"), Decimal("1.610"), Decimal("1.610"), Decimal("1.610")])
    (('rises', 0, 1), ('stays', 1, 3))
    >>> shape([Decimal(3), Decimal(2), Decimal(1)])
    (('falls', 0, 2),)
    """
    runs: list[list] = []
    for k in range(1, len(values)):
        word = "falls" if values[k] < values[k - 1] else "rises" if values[k] > values[k - 1] else "stays"
        if runs and runs[-1][0] == word:
            runs[-1][2] = k
        else:
            runs.append([word, k - 1, k])
    return tuple(tuple(run) for run in runs)


def rates_conclusion(base, loss, rows, lowering, raising, best, trend) -> Prose:
    """What the table shows, in words that follow from its numbers and never repeat its rows: which rates lower
    or raise L, where L' is smallest, and where it stays the same (to the digits shown) or turns as α grows.

    >>> import symback
    >>> str(learning_rates_section(symback.load("problems/ws23_backprop.toml")).conclusion)[:58]
    "Every rate in the table lowers L. L' is smallest, ≈ 1.599,"
    """
    loss_before, loss_after = math("L"), math("L'")
    parts: list = []
    if len(lowering) == len(rows):
        parts += ["Every rate in the table lowers ", loss_before, ". "]
    elif lowering:
        parts += [math("α", "=", *_comma(lowering)), f" lower{'s' * (len(lowering) == 1)} ", loss_before, ". "]
    if raising:
        parts += [math("α", "=", *_comma(raising)), f" raise{'s' * (len(raising) == 1)} it: the step overshoots. "]
    low = rows[best].loss
    parts += [loss_after, " is smallest, ", math(relation(low), low.decimal), ", at ", math("α", "=", rows[best].rate),
              "."]
    if len(trend) > 1 or any(word == "stays" for word, _, _ in trend):
        moves: list = []
        for word, first, last in trend:
            a, b = rows[first], rows[last]
            then = "; then it " if moves else ""
            if word == "stays":
                moves += [f"{then}stays at ", math("≈", b.loss.decimal), " from ", math("α", "=", a.rate), " to ",
                          math("α", "=", b.rate)]
            else:
                moves += [f"{then}{word} to ", math("≈", b.loss.decimal), " at ", math("α", "=", b.rate)]
        parts += [" As ", math("α"), " grows, ", loss_after, " ", *moves, "."]
    if any(word == "stays" for word, _, _ in trend):
        still = [", not an overshoot (each of these steps still lowers ", loss_before, ")"] if not raising else []
        plateau = " stays the same, the larger steps change it by less than the digits shown: a plateau"
        parts += [" Where ", loss_after, plateau, *still, "."]
    return sentence(*parts)


def _comma(values) -> list:
    """Exact numbers as items of one formula: 0.05, 0.1."""
    items: list = []
    for k, value in enumerate(values):
        items += [","] * bool(k) + [value]
    return items
