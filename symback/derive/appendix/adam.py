"""Appendix c: the first bias-corrected Adam step in place of SGD."""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from ...problem.model import ExerciseSpec, Problem
from ...runs.optimizers import ADAM_DEFAULTS, adam_step
from ..budget import worth_exact_work
from ..prose import Prose, math, sentence, some_names
from ..steps import Quantity
from .common import (
    asked_parameters,
    exercise_pass,
    gradients_at,
    rounded_quantities,
    sgd_exercises,
)


@dataclass(frozen=True)
class AdamParameterStep:
    """The first bias-corrected Adam step for one parameter, with SGD's step beside it."""

    parameter: str
    theta: Quantity
    g: Quantity
    m_hat: Quantity
    v_hat: Quantity
    update: Quantity  # Δθ = −α·m̂/(√v̂ + ε)
    new: Quantity  # θ' = θ + Δθ
    sgd_update: Quantity  # −α·g
    off_sign_step: Quantity  # Δθ + α·sign(g): how far Adam's step is from −α·sign(g)
    sign: int  # sign of g


@dataclass(frozen=True)
class AdamExercise:
    exercise: str
    rate: sympy.Expr
    steps: tuple[AdamParameterStep, ...]
    moved: tuple[str, ...]  # parameters with g ≠ 0
    still: tuple[str, ...]  # parameters with g = 0: Δθ = 0 exactly
    remark: Prose


@dataclass(frozen=True)
class AdamSection:
    beta1: sympy.Expr
    beta2: sympy.Expr
    eps: sympy.Expr
    exercises: tuple[AdamExercise, ...]
    kind: str = "adam"


def adam_section(problem: Problem, digits: int = 4) -> AdamSection | None:
    """The first Adam step (default hyperparameters) in place of SGD, for every SGD exercise; None without one.

    >>> import symback
    >>> s = adam_section(symback.load("problems/ws23_backprop.toml"))
    >>> [(step.parameter, step.update.decimal) for step in s.exercises[0].steps]
    [('b12', Decimal('2.000')), ('a22', Decimal('-2.000'))]
    """
    exercises = tuple(_adam_exercise(problem, exercise, digits) for exercise in sgd_exercises(problem))
    if not exercises:
        return None
    return AdamSection(ADAM_DEFAULTS["beta1"], ADAM_DEFAULTS["beta2"], ADAM_DEFAULTS["eps"], exercises)


def _adam_exercise(problem: Problem, exercise: ExerciseSpec, digits: int) -> AdamExercise:
    result, names = exercise_pass(problem, exercise), asked_parameters(problem, exercise)
    index, rate = result.graph.index, exercise.lr
    gradients = result.rounded(lambda p: {n: p.gradient(index[n]) for n in names}, digits)
    signs = {n: (g > 0) - (g < 0) for n, g in gradients.items()}  # a correctly rounded decimal has the exact sign
    theta = {n: problem.network.parameters[n] for n in names}
    fields = ("{}", "dL/d{}", "m̂({})", "v̂({})", "Δ{}", "{}'", "−α·dL/d{}", "Δ{} + α·sign(g)")
    if all(worth_exact_work(g) for g in (result.exact_pass.gradient(index[n]) for n in names)):
        exact = _adam_values(adam_step(theta, {n: result.grad[n] for n in names}, rate)[2], rate, signs, lambda v: v)
    else:  # long gradients: decimals only (a SymPy Adam step on towers of exponentials does not finish)
        exact = {f.format(n): None for n in names for f in fields}

    def compute(p):
        rows = adam_step({n: p.values[index[n]] for n in names}, gradients_at(p, names, index), rate,
                         arithmetic=p.arithmetic)[2]
        return _adam_values(rows, p.arithmetic.from_sympy(rate), signs, p.arithmetic.from_sympy)

    q = rounded_quantities(result, compute, digits, exact)
    steps = tuple(AdamParameterStep(n, *(q[f.format(n)] for f in fields), signs[n]) for n in names)
    moved = tuple(s.parameter for s in steps if s.sign)
    still = tuple(s.parameter for s in steps if not s.sign)
    return AdamExercise(exercise.id, rate, steps, moved, still, _adam_remark(problem, rate, steps, moved, still))


def _adam_values(rows, rate, signs, number) -> dict:
    """The values a sheet shows for Adam's rows, in the rows' arithmetic (``number`` converts exact integers)."""
    found = {}
    for row in rows:
        n, sign = row.parameter, number(sympy.Integer(signs[row.parameter]))
        found.update({n: row.theta, f"dL/d{n}": row.g, f"m̂({n})": row.m_hat, f"v̂({n})": row.v_hat,
                      f"Δ{n}": row.update, f"{n}'": row.new, f"−α·dL/d{n}": -rate * row.g,
                      f"Δ{n} + α·sign(g)": row.update + rate * sign})
    return found


def _adam_remark(problem: Problem, rate, steps, moved, still) -> Prose:
    """What the table shows, in a sentence or two of bounded length whatever the number of parameters."""
    parts: list = []
    if moved:
        taken = [s for s in steps if s.sign]
        off = max(abs(s.off_sign_step.decimal) for s in taken)
        sizes = sorted(abs(s.sgd_update.decimal) for s in taken)
        which = {1: "The parameter", 2: "Both parameters"}.get(len(taken), f"All {len(taken)} parameters") \
            if not still else f"{len(taken)} of {len(steps)} parameters"
        move = "moves" if len(taken) == 1 else "move"
        sgd = [math("≈", sizes[0])] if sizes[0] == sizes[-1] else \
            ["between ", math("≈", sizes[0]), " and ", math("≈", sizes[-1])]
        nonzero = [" with ", math("g", "≠", 0)] if still else []
        parts += [which, *nonzero, f" {move} by ", math("α", "=", rate),
                  f" against the sign of {'its' if len(taken) == 1 else 'their'} gradient, to within ", math(off), ", whatever the size of ",
                  math("g"), "; SGD's steps ", math("−", "α", "g"), " are ", *sgd, " in size."]
    if still:
        matrices = [
            layer.weights_label for layer in problem.network.layers
            if layer.weights_label and {e for row in layer.weights for e in row if isinstance(e, str)} <= set(still)
        ]
        whole = ["; ", *some_names(matrices), f" {'does' if len(matrices) == 1 else 'do'} not move"] \
            if matrices else []
        parts += [" " if parts else "", math("g", "=", 0), " for ", *some_names(still), ", so ",
                  math("m̂", "=", "v̂", "=", 0), " and ", math("Δθ", "=", 0), " exactly", *whole, "."]
    return sentence(*parts)
