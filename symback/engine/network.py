"""A dense network and its loss as a :class:`~symback.engine.graph.Graph`: one weighted-sum node and one
activation node per unit, in layer order, then L.

Node names are the names a sheet and an answers file use: inputs as declared (``x1``), parameters by their entry
names (``a22``), a layer's pre-activations ``z{layer}_{unit}`` and activations ``h{layer}_{unit}``, the outputs
``yhat`` (or ``yhat1 … yhatK``) and the loss ``L``. A layer whose activation is the identity has no separate h
node; the last layer's output is ŷ.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import sympy

from ..numbers.parse import exact_number
from ..problem.activations import Z, make_activation
from ..problem.losses import (
    Loss,
    make_loss,
    names_probabilities,
    probability_letter,
    target_problem,
)
from ..problem.model import ActivationSpec, LossSpec, NetworkSpec
from .graph import Graph, LocalRule, Node, WeightedSum


def build_graph(
    network: NetworkSpec,
    loss_spec: LossSpec,
    activation_overrides: Mapping[int, ActivationSpec] | None = None,
) -> Graph:
    """Build the graph of ``network`` followed by the loss; overrides replace a layer's activation (1-based).

    >>> from symback.problem.model import *
    >>> net = NetworkSpec(("x1",), (LayerSpec((("w",),), ActivationSpec("sigmoid")),), {"w": sympy.Integer(2)})
    >>> [node.name for node in build_graph(net, LossSpec("squared_error")).nodes]
    ['x1', 'w', 'z1_1', 'yhat', 'L']
    """
    overrides = dict(activation_overrides or {})
    letter = probability_letter(network.parameters) if names_probabilities(loss_spec.kind) else "p"  # 100k names
    loss = make_loss(loss_spec.kind, network.outputs, letter)
    graph = Graph(frozen=frozenset(network.frozen), loss=loss, targets=loss.targets,
                  check_targets=lambda targets: target_problem(loss.name, targets))
    graph.inputs = graph.add_leaves(network.inputs, "input")
    graph.parameters = graph.add_leaves(list(network.parameters), "parameter")
    output_names = [symbol.name for symbol in loss.outputs]
    below = list(graph.inputs)
    for layer_number, layer in enumerate(network.layers, start=1):
        activation = make_activation(overrides.get(layer_number, layer.activation))
        graph.layer_activations.append(activation)
        rule = LocalRule((Z,), activation.expression, (activation.derivative,))
        is_last = layer_number == len(network.layers)
        below = [
            _add_unit(graph, layer, layer_number, unit, below, activation, rule, is_last and output_names[unit - 1])
            for unit in range(1, layer.units + 1)
        ]
    graph.outputs = below
    # an author's activation (z^1000) may grow values as an expression's stages do: every exact value is checked
    graph.guard_sizes = any(activation.name == "custom" for activation in graph.layer_activations)
    graph.top = graph.add(Node("L", "loss", "loss", tuple(below)), loss_rule(loss, loss.outputs, loss.targets,
                                                                                output_names, "; use a sigmoid output layer"))
    return graph


def _add_unit(graph, layer, layer_number, unit, below, activation, rule, output_name) -> int:
    """Add one unit's affine node (and activation node); return the node the next layer reads."""
    keeps_z = not activation.is_identity
    affine_name = f"z{layer_number}_{unit}" if keeps_z or not output_name else output_name
    index = graph.index
    weights = [index[entry] if entry.__class__ is str else _weight(graph, entry) for entry in layer.weights[unit - 1]]
    operands: list = [None] * (2 * len(weights))
    operands[0::2], operands[1::2] = weights, below  # (w1, h1, w2, h2, …): the load checked the shapes
    if layer.bias:
        operands.append(_weight(graph, layer.bias[unit - 1]))
    affine = graph.add(Node(affine_name, "affine", "affine", tuple(operands), layer_number, unit),
                       WeightedSum(bool(layer.bias)))
    if not keeps_z:
        return affine
    name = output_name or f"h{layer_number}_{unit}"
    return graph.add(Node(name, "activation", activation.name, (affine,), layer_number, unit), rule)


def _weight(graph: Graph, entry):
    """A parameter's node index, or the entry as an exact SymPy constant (a Python 3 is a constant, not node 3)."""
    return graph.index[entry] if isinstance(entry, str) else exact_number(entry, what="weight")


def loss_rule(loss: Loss, slots: Sequence[sympy.Symbol], targets: Sequence[sympy.Symbol], output_names: Sequence[str],
              hint: str = "") -> LocalRule:
    """The rule of the loss node: L and ∂L/∂ŷ_k in one slot per output, the ``targets`` symbols as further
    arguments; for binary cross-entropy the outputs' domain (0, 1), named ``output_names`` in messages (with
    ``hint``).

    >>> loss = make_loss("squared_error", 1)
    >>> rule = loss_rule(loss, loss.outputs, loss.targets, ["yhat"])
    >>> rule.function, rule.partials, rule.extra
    ((-y + yhat)**2, (-2*y + 2*yhat,), (y,))
    """
    renamed = {old: new for old, new in [*zip(loss.outputs, slots), *zip(loss.targets, targets)] if old != new}
    rename = (lambda expr: expr.xreplace(renamed)) if renamed else (lambda expr: expr)  # a symbol "renamed" to
    # itself still rebuilds the sum above it: for a loss over 2000 outputs, 10 s
    rule = LocalRule(tuple(slots), rename(loss.expression), tuple(rename(partial) for partial in loss.partials),
                     extra=tuple(targets))
    if loss.name != "binary_cross_entropy":
        return rule

    def inside_unit_interval(values, is_node, sign):
        for k, (name, value) in enumerate(zip(output_names, values)):
            if sign(value) <= 0 or sign(1 - value) <= 0:
                return f"binary_cross_entropy needs 0 < {name} < 1, but {{{k}}}{hint}"
        return None

    return LocalRule(rule.slots, rule.function, rule.partials, extra=rule.extra, domain=inside_unit_interval)
