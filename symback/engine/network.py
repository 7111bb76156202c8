"""The computation graph of a dense network and its loss: nodes in topological order, edges with structure.

Node names are the names a sheet and an answers file use:
inputs as declared (``x1``), parameters by their entry names (``a22``), a layer's pre-activations
``z{layer}_{unit}`` and activations ``h{layer}_{unit}``, the outputs ``yhat`` (or ``yhat1 … yhatK``) and the loss
``L``. A layer whose activation is the identity has no separate h node; the last layer's output is ŷ.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, NamedTuple, Union

import sympy

from ..numbers.parse import exact_number
from ..problem.activations import Activation, make_activation
from ..problem.losses import Loss, make_loss
from ..problem.model import ActivationSpec, LossSpec, NetworkSpec

Weight = Union[int, sympy.Expr]  # a parameter's node id, or an exact constant


class Node(NamedTuple):
    """One named quantity. ``kind`` is input, parameter, affine, activation or loss."""

    name: str
    kind: str
    layer: int = 0
    unit: int = 0


@dataclass
class Graph:
    """A network with its loss, ready for the forward and the backward pass.

    ``terms[n]`` lists an affine node's (weight, source node) pairs and ``bias[n]`` its bias;
    ``activation_of[n]`` is an activation node's (source node, activation); ``uses[p]`` lists, for a
    parameter p, the (affine node, source node or None for a bias) pairs that it enters.
    """

    nodes: list[Node] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)
    inputs: list[int] = field(default_factory=list)
    parameters: list[int] = field(default_factory=list)
    terms: dict[int, list[tuple[Weight, int]]] = field(default_factory=dict)
    bias: dict[int, Weight | None] = field(default_factory=dict)
    activation_of: dict[int, tuple[int, Activation]] = field(default_factory=dict)
    uses: dict[int, list[tuple[int, int | None]]] = field(default_factory=dict)
    layer_activations: list[Activation] = field(default_factory=list)
    outputs: list[int] = field(default_factory=list)
    loss: Loss | None = None
    loss_node: int = -1
    compiled: dict = field(default_factory=dict)  # (what, detail, arithmetic) -> compiled function, filled lazily

    def add(self, node: Node) -> int:
        self.index[node.name] = len(self.nodes)
        self.nodes.append(node)
        return len(self.nodes) - 1

    def node(self, name: str) -> Node:
        return self.nodes[self.index[name]]

    def parents(self, node_id: int) -> list[int]:
        """The nodes ``node_id`` is computed from (parameters included), in order."""
        if node_id in self.terms:
            found = []
            for weight, source in self.terms[node_id]:
                found.extend(([weight] if isinstance(weight, int) else []) + [source])
            bias = self.bias.get(node_id)
            return found + ([bias] if isinstance(bias, int) else [])
        if node_id in self.activation_of:
            return [self.activation_of[node_id][0]]
        if node_id == self.loss_node:
            return list(self.outputs)
        return []

    def children(self) -> dict[int, list[int]]:
        """For every node, the nodes computed from it."""
        found: dict[int, list[int]] = {i: [] for i in range(len(self.nodes))}
        for node_id in range(len(self.nodes)):
            for parent in dict.fromkeys(self.parents(node_id)):
                found[parent].append(node_id)
        return found


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
    graph = Graph()
    graph.inputs = [graph.add(Node(name, "input")) for name in network.inputs]
    for name in network.parameters:
        graph.parameters.append(graph.add(Node(name, "parameter")))
        graph.uses[graph.index[name]] = []
    output_names = [s.name for s in make_loss(loss_spec.kind, network.outputs).outputs]
    below = list(graph.inputs)
    for layer_number, layer in enumerate(network.layers, start=1):
        activation = make_activation(overrides.get(layer_number, layer.activation))
        graph.layer_activations.append(activation)
        is_last = layer_number == len(network.layers)
        below = [
            _add_unit(graph, network, layer, layer_number, unit, below, activation, is_last and output_names[unit - 1])
            for unit in range(1, layer.units + 1)
        ]
    graph.outputs = below
    graph.loss = make_loss(loss_spec.kind, network.outputs)
    graph.loss_node = graph.add(Node("L", "loss"))
    return graph


def _add_unit(graph, network, layer, layer_number, unit, below, activation, output_name) -> int:
    """Add one unit's affine node (and activation node); return the node the next layer reads."""
    keeps_z = not activation.is_identity
    affine_name = f"z{layer_number}_{unit}" if keeps_z or not output_name else output_name
    affine = graph.add(Node(affine_name, "affine", layer_number, unit))
    terms = [(_weight(graph, entry), source) for entry, source in zip(layer.weights[unit - 1], below)]
    graph.terms[affine] = terms
    bias = _weight(graph, layer.bias[unit - 1]) if layer.bias else None
    graph.bias[affine] = bias
    for weight, source in terms:
        if isinstance(weight, int):
            graph.uses[weight].append((affine, source))
    if isinstance(bias, int):
        graph.uses[bias].append((affine, None))
    if not keeps_z:
        return affine
    name = output_name or f"h{layer_number}_{unit}"
    activated = graph.add(Node(name, "activation", layer_number, unit))
    graph.activation_of[activated] = (affine, activation)
    return activated


def _weight(graph: Graph, entry) -> Weight:
    """A parameter's node id, or the entry as an exact SymPy constant (a Python 3 is a constant, not node 3)."""
    return graph.index[entry] if isinstance(entry, str) else exact_number(entry, what="weight")
