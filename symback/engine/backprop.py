"""The engine's entry points: a problem's graph at a point, one pass of backpropagation, one SGD step.

This is the one place that tells a network problem from an expression problem (:func:`problem_kind`): a network
is built as layers of weighted sums and activations at an input x, with its weights and biases as the
parameters; an expression as one node per operation, with its variables as the leaves and ``params`` those a
step may move. Everything after that, passes, results, optimizer runs, derivations and the checker, is the
same for both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Callable

import sympy

from ..errors import ArgumentError
from ..problem.model import ActivationSpec, ExerciseSpec, LossSpec, Problem
from .circuit import build_circuit
from .graph import Graph
from .network import build_graph
from .result import BackpropResult, exact_vector


@dataclass(frozen=True)
class ProblemKind:
    """What differs between a network and an expression, once: how the graph is built, which leaves are
    given (``start``: a network's parameters, an expression's variables), which of them a step moves by
    default, and the words that name them."""

    name: str
    graph: Callable[[Problem, Mapping[int, ActivationSpec], str | None, bool], Graph]
    start: Callable[[Problem], Mapping[str, sympy.Expr]]
    moving: Callable[[Problem], tuple[str, ...]]
    frozen: Callable[[Problem], frozenset]
    leaf: str  # "parameter" or "variable"
    gradient_label: str  # how an error names a gradient given for a leaf: dL/d{name} or d/d{name}
    point_keys: tuple[str, ...]  # what an exercise must give to be taken somewhere: a network's x and y
    presentation: str  # how its exercises are derived unless they say: chain-rule "paths" or a "table" of nodes


def _network_graph(problem: Problem, activations, loss: str | None, with_target: bool) -> Graph:
    return build_graph(problem.network, LossSpec(loss) if loss else problem.loss, dict(activations or {}))


def _expression_graph(problem: Problem, activations, loss: str | None, with_target: bool) -> Graph:
    if activations:
        raise ArgumentError("an expression has no layers to change the activation of")
    kind = loss or (problem.loss.kind if problem.loss is not None else None)
    if not with_target and loss is not None:
        raise ArgumentError(f"loss {kind!r} needs a target y")
    if with_target and kind is None:
        raise ArgumentError("y is the target of a loss, but the problem has no [loss] (give loss=...)")
    return build_circuit(problem.expression, kind if with_target else None)


NETWORK = ProblemKind(
    "network", _network_graph, lambda problem: problem.network.parameters,
    lambda problem: problem.network.trainable, lambda problem: frozenset(problem.network.frozen),
    "parameter", "dL/d{name}", ("x", "y"), "paths",
)
EXPRESSION = ProblemKind(
    "expression", _expression_graph, lambda problem: problem.expression.at,
    lambda problem: tuple(problem.expression.params if problem.expression.params is not None
                          else problem.expression.variables),
    lambda problem: frozenset(), "variable", "d/d{name}", (), "table",
)


def problem_kind(problem: Problem) -> ProblemKind:
    """:data:`EXPRESSION` for a problem with an ``[expression]``, else :data:`NETWORK`.

    >>> import symback
    >>> problem_kind(symback.load("problems/circuit_cs231n.toml")).name
    'expression'
    """
    return EXPRESSION if problem.expression is not None else NETWORK


def backprop(
    problem: Problem,
    x=None,
    y=None,
    *,
    activation: Mapping[int, ActivationSpec | str] | None = None,
    loss: str | None = None,
    parameters: Mapping[str, object] | None = None,
    values: Mapping[str, object] | None = None,
) -> BackpropResult:
    """Exact forward pass, loss and gradients of ``problem`` at input ``x`` and target ``y``.

    ``activation`` replaces layers' activations ({1: "zero"}), ``loss`` the loss kind, ``parameters`` some
    parameter values (numbers in any form the problem file accepts).

    For an expression problem (``[expression]``) there is no x: ``values`` (or ``parameters``) override
    variables of ``expression.at``, and a target ``y`` puts the loss around f (the problem's ``[loss]``, or
    ``loss``); without one, gradients are ∂f/∂·.

    >>> import symback
    >>> p = symback.loads('''
    ... title = "one weight"
    ... [network]
    ... inputs = 1
    ... [[network.layers]]
    ... weights = "W"
    ... values = [[3]]
    ... activation = "identity"
    ... [loss]
    ... kind = "squared_error"
    ... ''')
    >>> r = symback.backprop(p, x=2, y=1)
    >>> r.output, r.loss, dict(r.grad)
    ([6], 25, {'w11': 20})
    >>> e = symback.loads('title = "t"\\n[expression]\\nf = "(x + y) * z"\\nat = { x = -2, y = 5, z = -4 }\\n')
    >>> r = symback.backprop(e)
    >>> r.output, dict(r.grad), r.values["q1"], r.values["df/dq1"]
    (-12, {'x': -4, 'y': -4, 'z': 3}, 3, -4)
    >>> symback.backprop(e, y=1, loss="half_squared_error").loss
    169/2
    """
    kind = problem_kind(problem)
    if kind is EXPRESSION and x is not None:
        raise ArgumentError("an expression problem has no input x: set its variables with values={...}")
    if kind is NETWORK and values is not None:
        raise ArgumentError("values= sets an expression's variables; a network's input is x")
    if kind is NETWORK and (x is None or y is None):
        raise ArgumentError("a network problem needs an input x and a target y")
    overrides = {int(layer): spec if isinstance(spec, ActivationSpec) else ActivationSpec(spec)
                 for layer, spec in (activation or {}).items()}
    graph = kind.graph(problem, overrides, loss, y is not None)
    point = problem_point(problem, x, {**(parameters or {}), **(values or {})})
    targets = exact_vector(y, len(graph.targets), "y") if y is not None else ()
    return BackpropResult(problem, graph, point, targets)


def problem_graph(problem: Problem, activations: Mapping[int, ActivationSpec] | None = None,
                  loss: str | LossSpec | None = None, *, with_target: bool = True) -> Graph:
    """The graph of ``problem`` with an exercise's overrides: its network's layers (``activations`` replacing
    a layer's) and loss, or its expression's circuit, with the loss around f where there is a target.

    >>> import symback
    >>> [node.name for node in problem_graph(symback.load("problems/ws23_backprop.toml")).nodes][-3:]
    ['h1_2', 'yhat', 'L']
    """
    loss = loss.kind if isinstance(loss, LossSpec) else loss
    return problem_kind(problem).graph(problem, activations or {}, loss, with_target)


def problem_point(problem: Problem, x=None, given: Mapping[str, object] | None = None) -> dict[str, sympy.Expr]:
    """The exact value of every leaf of the problem's graph: the input ``x`` and the parameters of a network,
    or an expression's variables at ``expression.at``; ``given`` replaces some (numbers in any form the API
    takes).

    >>> import symback
    >>> p = symback.loads('title = "t"\\n[expression]\\nf = "x*y"\\nat = { x = 3, y = -4 }\\n')
    >>> problem_point(p, given={"y": "1/2"})
    {'x': 3, 'y': 1/2}
    """
    kind = problem_kind(problem)
    start = kind.start(problem)
    point = dict(start)  # exact already: the problem file's reader made them so
    if x is not None:
        point.update(zip(problem.network.inputs, exact_vector(x, len(problem.network.inputs), "x")))
    for name, value in (given or {}).items():
        if name not in start:
            known = f" (variables: {', '.join(start)})" if kind is EXPRESSION else ""
            raise ArgumentError(f"unknown {kind.leaf} {name!r}{known}")
        point[name] = exact_vector(value, 1, name)[0]
    return point


def backprop_exercise(problem: Problem, exercise: ExerciseSpec | str) -> BackpropResult:
    """The pass an exercise asks for: its point (x, or an expression's ``values``), its target y, its loss and
    activations (a network exercise without y is taken at y = 0, for its forward values).

    >>> import symback
    >>> p = symback.loads('title = "t"\\n[expression]\\nf = "x*y"\\nat = { x = 3, y = -4 }\\n'
    ...                   '[[exercises]]\\nid = "1"\\ntask = "gradient"\\nvalues = { y = 2 }\\n')
    >>> dict(backprop_exercise(p, "1").grad)
    {'x': 2, 'y': 3}
    """
    if not isinstance(exercise, ExerciseSpec):
        try:
            exercise = problem.exercise(str(exercise))
        except KeyError as err:
            raise ArgumentError(err.args[0]) from err
    if problem_kind(problem) is EXPRESSION:
        y = exercise.y[0] if exercise.y else None
        loss = exercise.loss.kind if exercise.loss is not None and y is not None else None
        return backprop(problem, y=y, loss=loss, values=exercise.values)
    y = exercise.y if exercise.y is not None else (sympy.Integer(0),) * problem.network.outputs
    return backprop(problem, exercise.x, y, activation=dict(exercise.activations),
                    loss=exercise.loss.kind if exercise.loss else None)


def moving_parameters(problem: Problem, exercise: ExerciseSpec) -> tuple[str, ...]:
    """The parameters an exercise's steps move: its ``params``, else every trainable parameter of the network
    or every parameter (``expression.params``) of the expression.

    >>> import symback
    >>> p = symback.load("problems/ws23_backprop.toml")
    >>> moving_parameters(p, p.exercise("5"))
    ('b12', 'a22')
    """
    kind = problem_kind(problem)
    names = tuple(exercise.params) if exercise.params is not None else kind.moving(problem)
    if kind is EXPRESSION:
        params = problem.expression.params
        outside = [name for name in names if params is not None and name not in params]
        if outside:
            raise ArgumentError(f"not among expression.params, so they cannot move: {', '.join(outside)}")
    frozen = [name for name in names if name in kind.frozen(problem)]
    if frozen:
        raise ArgumentError(f"frozen parameter(s) cannot move: {', '.join(frozen)}")
    return names


def sgd(problem: Problem, grad: Mapping[str, object], lr, *, parameters: Mapping[str, object] | None = None) -> dict:
    """One step of gradient descent: θ' = θ − lr · ∂L/∂θ for every parameter in ``grad``, exactly.

    For an expression problem the parameters are ``expression.params`` (every variable by default); ``grad``
    may hold other variables too (as a result's ``grad`` does), which keep their values and are left out.

    >>> import symback
    >>> p = symback.loads('title = "t"\\n[network]\\ninputs = 1\\n[[network.layers]]\\nweights = "W"\\n'
    ...                   'values = [[3]]\\nactivation = "identity"\\n[loss]\\nkind = "squared_error"\\n')
    >>> symback.sgd(p, {"w11": 20}, lr=0.1)
    {'w11': 1}
    >>> e = symback.loads('title = "t"\\n[expression]\\nf = "w*x"\\nat = { w = 2, x = 3 }\\nparams = ["w"]\\n')
    >>> symback.sgd(e, symback.backprop(e).grad, lr=0.1)
    {'w': 17/10}
    """
    kind = problem_kind(problem)
    rate = exact_vector(lr, 1, "lr")[0]
    current = problem_point(problem, given=parameters)
    start, frozen = kind.start(problem), kind.frozen(problem)
    moving = set(kind.moving(problem))
    updated = {}
    for name, gradient in grad.items():
        if name not in start:
            known = f" (variables: {', '.join(start)})" if kind is EXPRESSION else ""
            raise ArgumentError(f"unknown {kind.leaf} {name!r}{known}")
        if name in frozen:
            raise ArgumentError(f"parameter {name!r} is frozen")
        if name not in moving:
            continue  # an expression's variable that is not a parameter: it keeps its value
        label = kind.gradient_label.format(name=name)
        gradient = gradient if isinstance(gradient, sympy.Basic) else exact_vector(gradient, 1, label)[0]
        updated[name] = current[name] - rate * gradient
    return updated
