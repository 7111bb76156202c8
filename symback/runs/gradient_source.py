"""What an optimizer run moves and how it gets its gradients: a network at an exercise's x and y, or an
expression's circuit at the exercise's point. Both give a :data:`~symback.runs.loop.GradientAt` callback
that runs in exact or decimal arithmetic, the exact start values and the names of the parameters that move.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Mapping

import sympy

from ..engine.circuit_pass import (
    EXACT_DECIDING,
    CircuitDomainError,
    ExactTooLarge,
    run_circuit_pass,
)
from ..engine.circuit_result import backprop_exercise
from ..engine.network_gradient import loss_and_gradients, network_graph
from ..errors import ArgumentError
from ..numbers.arithmetic import ExactArithmetic
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
    if problem.expression is not None:
        return _circuit_source(problem, exercise)
    return _network_source(problem, exercise)


def _network_source(problem: Problem, exercise: ExerciseSpec) -> GradientSource:
    if exercise.x is None or exercise.y is None:
        raise ArgumentError(f"exercise {exercise.id} has no point (x and y) to optimize at")
    network = problem.network
    names = tuple(exercise.params) if exercise.params is not None else network.trainable
    frozen = [name for name in names if name in network.frozen]
    if frozen:
        raise ArgumentError(f"frozen parameter(s) cannot move: {', '.join(frozen)}")
    graph = network_graph(problem, exercise.activations, exercise.loss)

    def gradient_at(arithmetic, parameters):
        return loss_and_gradients(graph, arithmetic, exercise.x, exercise.y, parameters)

    return GradientSource(gradient_at, network.parameters, names)


def _circuit_source(problem: Problem, exercise: ExerciseSpec) -> GradientSource:
    """The circuit at the exercise's point (its values and target y); f itself is minimised without a loss.
    Exact passes decide kinks and ties exactly; once they cannot go on, decimal passes decide them alone."""
    spec = problem.expression
    start = backprop_exercise(problem, exercise)  # the exact pass at the start: its domain errors are the file's
    circuit, point, target = start.circuit, start.point, start.target
    if exercise.params is not None:
        names = tuple(exercise.params)
    else:
        names = tuple(spec.params) if spec.params is not None else tuple(spec.variables)
    outside = [name for name in names if spec.params is not None and name not in spec.params]
    if outside:
        raise ArgumentError(f"not among expression.params, so they cannot move: {', '.join(outside)}")
    gradient_at = _CircuitGradient(circuit, point, target, names)
    return GradientSource(gradient_at, point, names, start.top)


class _CircuitGradient:
    """f (or L) and the gradients of the moving parameters by a pass through the circuit. An optimizer loop says
    which step it is at (:meth:`at_step`): the exact pass of each step is kept, and the decimal pass of the same
    step follows it at kinks and ties, so that decimals take the branch the exact values decided (a parameter
    landing exactly on relu's kink is 1e−50 off it in decimals). Past the exact steps, or called without a step
    (the checker, at a student's own parameters), decimals decide alone."""

    def __init__(self, circuit, point, target, names):
        self.circuit, self.point, self.target, self.names = circuit, point, target, names
        self.indices = {name: circuit.index[name] for name in names}
        self.exact_passes: dict[int, object] = {}
        self.step: int | None = None

    def at_step(self, step: int) -> None:
        self.step = step

    def __call__(self, arithmetic, parameters):
        step, self.step = self.step, None  # said for this call only
        exact = isinstance(arithmetic, ExactArithmetic)
        follow = None if exact or step is None else self.exact_passes.get(step)
        try:
            the_pass = run_circuit_pass(self.circuit, EXACT_DECIDING if exact else arithmetic, self.point,
                                        self.target, given=parameters, follow=follow)
        except ExactTooLarge as error:
            raise ExactRunStops(str(error)) from error  # decimals go on alone
        except CircuitDomainError as error:
            at = ", ".join(f"{name} = {_short(parameters[name])}" for name in self.names)
            raise CircuitDomainError(f"the optimizer moved the parameters to {at}, where {error}") from None
        if exact and step is not None:
            self.exact_passes[step] = the_pass
        gradients = {name: the_pass.gradients[i] for name, i in self.indices.items()}
        return the_pass.values[self.circuit.top], gradients


def _short(value) -> str:
    """A parameter's value for a message: a decimal to 6 digits, an exact value as written (cut at 40 characters)."""
    if isinstance(value, Decimal):
        return f"{value:.6g}"
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."
