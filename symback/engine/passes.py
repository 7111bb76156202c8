"""The forward pass and reverse accumulation over a :class:`~symback.engine.network.Graph`, in either arithmetic.

Node by node: each value is computed from its parents' values, each adjoint ∂L/∂node from its children's
adjoints times the local partials (``sympy.diff`` of the activation and of the loss; ∂z/∂w = h and ∂z/∂h = w
for an affine node). Cost is linear in the number of edges; no closed form of the whole loss is ever built.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import sympy

from ..errors import SymbackError
from ..numbers.arithmetic import compile_expression
from ..problem.activations import Z
from ..problem.losses import target_problem
from .network import Graph


class DomainError(SymbackError):
    """A value outside the domain a loss needs (say ŷ = 2 for binary cross-entropy)."""


@dataclass
class Pass:
    """Values and adjoints of every node in one arithmetic. ``adjoints[i]`` is None for inputs and parameters."""

    graph: Graph
    arithmetic: object
    values: list
    adjoints: list
    targets: list

    def gradient(self, parameter_id: int):
        """∂L/∂θ for a parameter node: the sum over the places θ enters of adjoint times partner value."""
        values, adjoints = self.values, self.adjoints
        contributions = [
            adjoints[affine] if source is None else adjoints[affine] * values[source]
            for affine, source in self.graph.uses[parameter_id]
        ]
        return contributions[0] if len(contributions) == 1 else self.arithmetic.add(contributions)

    def gradients(self) -> dict:
        """∂L/∂θ of every parameter node: node id -> value."""
        return {parameter: self.gradient(parameter) for parameter in self.graph.parameters}

    def local_partial(self, child: int, parent: int):
        """∂child/∂parent at this pass's values (summed where a tied weight appears twice)."""
        graph, arithmetic, values = self.graph, self.arithmetic, self.values
        if child == graph.loss_node:
            k = graph.outputs.index(parent)
            return compiled(graph, ("loss_partial", k), arithmetic)(*self._loss_arguments())
        if child in graph.activation_of:
            source, activation = graph.activation_of[child]
            return compiled(graph, ("derivative", activation), arithmetic)(values[source])
        parts = []
        for weight, source in graph.terms[child]:
            if source == parent:
                parts.append(values[weight] if isinstance(weight, int) else arithmetic.from_sympy(weight))
            if weight == parent and isinstance(weight, int):
                parts.append(values[source])
        if graph.bias.get(child) == parent:
            parts.append(arithmetic.one)
        return arithmetic.add(parts)

    def _loss_arguments(self) -> list:
        return [self.values[o] for o in self.graph.outputs] + list(self.targets)


def compiled(graph: Graph, key: tuple, arithmetic) -> Callable:
    """The compiled function for an activation, its derivative, the loss or a loss partial (cached per graph)."""
    cache = graph.compiled
    cache_key = key + (arithmetic.name,)
    if cache_key not in cache:
        what, detail = key
        loss = graph.loss
        loss_variables = list(loss.outputs) + list(loss.targets)
        expression, variables = {
            "activation": lambda: (detail.expression, [Z]),
            "derivative": lambda: (detail.derivative, [Z]),
            "loss": lambda: (loss.expression, loss_variables),
            "loss_partial": lambda: (loss.partials[detail] if isinstance(detail, int) else None, loss_variables),
        }[what]()
        cache[cache_key] = compile_expression(expression, variables, arithmetic)
    return cache[cache_key]


def run_pass(
    graph: Graph,
    arithmetic,
    inputs: Sequence[sympy.Expr],
    targets: Sequence[sympy.Expr],
    parameters: Sequence[sympy.Expr],
    *,
    parameters_in_arithmetic: bool = False,
) -> Pass:
    """Forward values and adjoints of every node; ``inputs``, ``targets``, ``parameters`` are exact SymPy numbers
    (parameters in the order of ``graph.parameters``), or, with ``parameters_in_arithmetic``, the parameters are
    already values of ``arithmetic`` (an optimizer's later steps: Decimals, or SymEngine values).
    """
    convert = arithmetic.from_sympy
    values: list = [None] * len(graph.nodes)
    for node_id, value in zip(graph.inputs, inputs):
        values[node_id] = convert(value)
    for node_id, value in zip(graph.parameters, parameters):
        values[node_id] = value if parameters_in_arithmetic else convert(value)
    target_values = [convert(value) for value in targets]
    _check_targets(graph, targets)
    constants: dict = {}
    for node_id in range(len(graph.nodes)):
        if node_id in graph.terms:
            values[node_id] = _affine_value(graph, node_id, values, arithmetic, constants)
        elif node_id in graph.activation_of:
            source, activation = graph.activation_of[node_id]
            values[node_id] = compiled(graph, ("activation", activation), arithmetic)(values[source])
    _check_outputs(graph, arithmetic, [values[o] for o in graph.outputs])
    values[graph.loss_node] = compiled(graph, ("loss", None), arithmetic)(
        *([values[o] for o in graph.outputs] + target_values)
    )
    the_pass = Pass(graph, arithmetic, values, [None] * len(graph.nodes), target_values)
    _backward(the_pass, constants)
    return the_pass


def _constant(weight, arithmetic, constants):
    if weight not in constants:
        constants[weight] = arithmetic.from_sympy(weight)
    return constants[weight]


def _affine_value(graph, node_id, values, arithmetic, constants):
    products = [
        (values[weight] if isinstance(weight, int) else _constant(weight, arithmetic, constants)) * values[source]
        for weight, source in graph.terms[node_id]
    ]
    bias = graph.bias[node_id]
    if bias is not None:
        products.append(values[bias] if isinstance(bias, int) else _constant(bias, arithmetic, constants))
    return arithmetic.add(products)


def _backward(the_pass: Pass, constants: dict) -> None:
    """Reverse accumulation from ∂L/∂L = 1: each node's adjoint is the sum of what its children send it."""
    graph, arithmetic, values = the_pass.graph, the_pass.arithmetic, the_pass.values
    received: dict[int, list] = {graph.loss_node: [arithmetic.one]}
    mul = arithmetic.mul
    for node_id in range(len(graph.nodes) - 1, -1, -1):
        node = graph.nodes[node_id]
        if node.kind in ("input", "parameter"):
            continue
        adjoint = arithmetic.add(received.pop(node_id, []))
        the_pass.adjoints[node_id] = adjoint
        if node_id == graph.loss_node:
            for k, output in enumerate(graph.outputs):
                partial = the_pass.local_partial(node_id, output)
                received.setdefault(output, []).append(partial)
        elif node_id in graph.activation_of:
            source = graph.activation_of[node_id][0]
            received.setdefault(source, []).append(mul([adjoint, the_pass.local_partial(node_id, source)]))
        else:
            for weight, source in graph.terms[node_id]:
                if graph.nodes[source].kind == "input":
                    continue
                weight_value = values[weight] if isinstance(weight, int) else _constant(weight, arithmetic, constants)
                received.setdefault(source, []).append(adjoint * weight_value)


def _check_targets(graph: Graph, targets: Sequence[sympy.Expr]) -> None:
    problem = target_problem(graph.loss.name, targets)
    if problem is not None:
        raise DomainError(problem)


def _check_outputs(graph: Graph, arithmetic, outputs: list) -> None:
    if graph.loss.name != "binary_cross_entropy":
        return
    for symbol, value in zip(graph.loss.outputs, outputs):
        if arithmetic.sign(value) <= 0 or arithmetic.sign(arithmetic.one - value) <= 0:
            raise DomainError(
                f"binary_cross_entropy needs 0 < {symbol} < 1, but {symbol} = {value}; "
                "use a sigmoid output layer"
            )
