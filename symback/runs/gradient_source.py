"""What an optimizer run moves and how it gets its gradients: the exercise's graph at its point, a network's at
its x and y or an expression's at its values. One :data:`~symback.runs.loop.GradientAt` callback serves both,
in exact or decimal arithmetic, with the exact start values and the names of the parameters that move.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Mapping

import sympy

from ..engine.backprop import backprop_exercise, moving_parameters, problem_kind
from ..engine.gradients import objective_and_gradients
from ..engine.guards import EXACT_DECIDING, DomainError, ExactTooLarge
from ..errors import ArgumentError
from ..numbers.arithmetic import ExactArithmetic, UndecidableSign
from ..problem.model import ExerciseSpec, Problem
from .loop import ExactRunStops, GradientAt


@dataclass(frozen=True)
class GradientSource:
    """``gradient_at(arithmetic, parameters) -> (loss, gradients of the moving parameters)``; ``start`` holds
    the exact value of every parameter the callback needs, ``names`` those that move; ``objective`` names what
    is minimised (L, or an expression's f without a loss)."""

    gradient_at: GradientAt
    start: Mapping[str, sympy.Expr]
    names: tuple[str, ...]
    objective: str = "L"

    def passes(self, count: int) -> list:
        """The passes of the run just taken at θ_0 … θ_{count − 1}: exact where the run's exact values reached,
        else the last decimal pass (the one at the highest precision); empty for a callback that keeps none."""
        kept = getattr(self.gradient_at, "kept", None)
        return [] if kept is None else kept(count)


def gradient_source(problem: Problem, exercise: ExerciseSpec) -> GradientSource:
    """The gradient callback of an exercise's optimizer run, on the problem's network or its expression.

    >>> import symback
    >>> from symback.numbers.arithmetic import EXACT
    >>> p = symback.loads('title = "t"\\n[expression]\\nf = "w*w - x*w"\\nat = { w = 3, x = 1 }\\n'
    ...                   'params = ["w"]\\n[[exercises]]\\nid = "1"\\ntask = "optimize"\\nlr = 0.1\\nsteps = 2\\n')
    >>> source = gradient_source(p, p.exercise("1"))
    >>> source.names, source.gradient_at(EXACT, {"w": EXACT.from_sympy(sympy.Integer(2))})
    (('w',), (2, {'w': 3}))
    """
    if any(getattr(exercise, key) is None for key in problem_kind(problem).point_keys):
        raise ArgumentError(f"exercise {exercise.id} has no point (x and y) to optimize at")
    names = moving_parameters(problem, exercise)
    start = backprop_exercise(problem, exercise)  # the exact pass at the start: its domain errors are the file's
    graph = start.graph
    moving = {graph.nodes[i].name for i in graph.parameters}
    gradient_at = _GraphGradient(start.graph, start.point, start.targets, names)
    return GradientSource(gradient_at, {name: value for name, value in start.point.items() if name in moving},
                          names, start.top)


class _GraphGradient:
    """The top (L, or f) and the gradients of the moving parameters by a pass through the graph. An optimizer
    loop says which step it is at (:meth:`at_step`): the exact pass of each step is kept, and the decimal pass
    of the same step follows it at kinks and ties, so that decimals take the branch the exact values decided
    (a parameter landing exactly on relu's kink is 1e−50 off it in decimals). Past the exact steps, or called
    without a step (the checker, at a student's own parameters), decimals decide alone."""

    def __init__(self, graph, point, targets, names):
        self.graph, self.point, self.targets, self.names = graph, point, targets, names
        self.exact_passes: dict[int, object] = {}
        self.decimal_passes: dict[int, object] = {}
        self.step: int | None = None

    def at_step(self, step: int) -> None:
        self.step = step

    def __call__(self, arithmetic, parameters):
        step, self.step = self.step, None  # said for this call only
        exact = isinstance(arithmetic, ExactArithmetic)
        follow = None if exact or step is None else self.exact_passes.get(step)
        try:
            top, gradients, the_pass = objective_and_gradients(
                self.graph, EXACT_DECIDING if exact else arithmetic, self.point, self.targets, parameters,
                self.names, follow=follow)
        except (ExactTooLarge, UndecidableSign) as error:
            raise ExactRunStops(str(error)) from error  # decimals go on alone
        except DomainError as error:
            at = ", ".join(f"{name} = {_short(parameters[name])}" for name in self.names)
            raise DomainError(f"the optimizer moved the parameters to {at}, where {error}") from None
        if step is not None:
            (self.exact_passes if exact else self.decimal_passes)[step] = the_pass
        return top, gradients

    def kept(self, count: int) -> list:
        """The pass at each of the first ``count`` steps' parameters, exact where there is one (empty where a
        step has none)."""
        passes = [self.exact_passes.get(step, self.decimal_passes.get(step)) for step in range(count)]
        return [] if any(p is None for p in passes) else passes


def _short(value) -> str:
    """A parameter's value for a message: a decimal to 6 digits, an exact value as written (cut at 40 characters)."""
    if isinstance(value, Decimal):
        return f"{value:.6g}"
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."
