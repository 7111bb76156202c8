"""The entry points of the engine: one pass of backpropagation, and one SGD step, on either kind of problem.

A network problem runs on its network's graph (:class:`~symback.engine.result.BackpropResult`), an expression
problem on its circuit (:class:`~symback.engine.circuit_result.CircuitResult`).
"""

from __future__ import annotations

from collections.abc import Mapping

import sympy

from ..errors import ArgumentError
from ..problem.model import ActivationSpec, LossSpec, Problem
from .circuit_result import backprop_expression, sgd_expression
from .network import build_graph
from .result import BackpropResult, exact_vector


def backprop(
    problem: Problem,
    x=None,
    y=None,
    *,
    activation: Mapping[int, ActivationSpec | str] | None = None,
    loss: str | None = None,
    parameters: Mapping[str, object] | None = None,
    values: Mapping[str, object] | None = None,
):
    """Exact forward pass, loss and gradients of ``problem``'s network at input ``x`` and target ``y``.

    ``activation`` replaces layers' activations ({1: "zero"}), ``loss`` the loss kind, ``parameters`` some
    parameter values (numbers in any form the problem file accepts).

    For an expression problem (``[expression]``) there is no x: ``values`` (or ``parameters``) override
    variables of ``expression.at``, and a target ``y`` puts the loss around f; the result is a
    :class:`symback.engine.circuit_result.CircuitResult` (see :func:`symback.engine.circuit_result.backprop_expression`).

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
    """
    if problem.expression is not None:
        if x is not None:
            raise ArgumentError("an expression problem has no input x: set its variables with values={...}")
        if activation:
            raise ArgumentError("an expression has no layers to change the activation of")
        return backprop_expression(problem, values={**(parameters or {}), **(values or {})}, y=y, loss=loss)
    if values is not None:
        raise ArgumentError("values= sets an expression's variables; a network's input is x")
    if x is None or y is None:
        raise ArgumentError("a network problem needs an input x and a target y")
    network = problem.network
    overrides = {
        int(layer): spec if isinstance(spec, ActivationSpec) else ActivationSpec(spec)
        for layer, spec in (activation or {}).items()
    }
    graph = build_graph(network, LossSpec(loss) if loss else problem.loss, overrides)
    inputs = exact_vector(x, len(network.inputs), "x")
    targets = exact_vector(y, network.outputs, "y")
    values = dict(network.parameters)
    for name, value in (parameters or {}).items():
        if name not in values:
            raise ArgumentError(f"unknown parameter {name!r}")
        values[name] = exact_vector(value, 1, name)[0]
    ordered = [values[graph.nodes[p].name] for p in graph.parameters]
    return BackpropResult(problem, graph, inputs, targets, ordered)


def sgd(problem: Problem, grad: Mapping[str, object], lr, *, parameters: Mapping[str, object] | None = None) -> dict:
    """One step of gradient descent: θ' = θ − lr · ∂L/∂θ for every parameter in ``grad``, exactly.

    >>> import symback, sympy
    >>> p = symback.loads('title = "t"\\n[network]\\ninputs = 1\\n[[network.layers]]\\nweights = "W"\\n'
    ...                   'values = [[3]]\\nactivation = "identity"\\n[loss]\\nkind = "squared_error"\\n')
    >>> symback.sgd(p, {"w11": 20}, lr=0.1)
    {'w11': 1}

    For an expression problem the parameters are ``expression.params`` (every variable by default); ``grad``
    may hold other variables too, which keep their values (see :func:`symback.engine.circuit_result.sgd_expression`).
    """
    if problem.expression is not None:
        return sgd_expression(problem, grad, lr, values=parameters)
    network = problem.network
    rate = exact_vector(lr, 1, "lr")[0]
    current = dict(network.parameters)
    current.update({name: exact_vector(v, 1, name)[0] for name, v in (parameters or {}).items()})
    updated = {}
    for name, gradient in grad.items():
        if name not in current:
            raise ArgumentError(f"unknown parameter {name!r}")
        if name in network.frozen:
            raise ArgumentError(f"parameter {name!r} is frozen")
        gradient = gradient if isinstance(gradient, sympy.Basic) else exact_vector(gradient, 1, f"dL/d{name}")[0]
        updated[name] = current[name] - rate * gradient
    return updated
