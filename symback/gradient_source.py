"""What an optimizer run moves and how it gets its gradients: a network at an exercise's x and y, or an
expression's circuit at the exercise's point. Both give a :data:`~symback.optimize_loop.GradientAt` callback
that runs in exact or decimal arithmetic, the exact start values and the names of the parameters that move.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import sympy

from .arithmetic import ExactArithmetic
from .circuit_api import backprop_exercise
from .circuit_pass import EXACT_DECIDING, CircuitDomainError, run_circuit_pass
from .errors import ArgumentError
from .model import ExerciseSpec, Problem
from .network_gradient import loss_and_gradients, network_graph
from .optimize_loop import ExactRunStops, GradientAt


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
    >>> from symback.arithmetic import EXACT
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
    indices = {name: circuit.index[name] for name in names}

    def gradient_at(arithmetic, parameters):
        exact = isinstance(arithmetic, ExactArithmetic)
        try:
            the_pass = run_circuit_pass(circuit, EXACT_DECIDING if exact else arithmetic, point, target,
                                        given=parameters)
        except CircuitDomainError as error:
            if exact:
                raise ExactRunStops(str(error)) from error  # the decimal run reports it, or goes past it
            at = ", ".join(f"{name} = {parameters[name]:.6g}" for name in names)
            raise CircuitDomainError(f"the optimizer moved the parameters to {at}, where {error}") from None
        gradients = {name: the_pass.gradients[i] for name, i in indices.items()}
        return the_pass.values[circuit.top], gradients

    return GradientSource(gradient_at, point, names, start.top)
