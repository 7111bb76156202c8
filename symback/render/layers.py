"""A network problem as given, for ``templates/{md,tex}/problem_network.*.j2``: its layers, the formula
g(x) = B σ(A x), its weight matrices and biases, the loss and a diagram of the units.

Everything is picked from the problem and its graph; nothing is computed but layout (which symbols a matrix
holds, which nodes a diagram column shows). This is the network's entry of the problem-part registry
(:data:`symback.render.sheet.PROBLEM_PARTS`).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from ..derive.appendix import build_appendix
from ..derive.formulas import Apply, as_display
from ..engine.graph import Graph
from ..engine.network import build_graph
from ..problem.activations import H, Z, make_activation
from ..problem.model import Problem
from .layer_diagram import Diagram, network_diagram
from .notation import Notation


ACTIVATION_WORDS = {"relu": "ReLU", "leaky_relu": "leaky ReLU"}  # as a sheet names them; others as they are


@dataclass(frozen=True)
class MatrixView:
    """A weight matrix or bias vector as given: its label, entries (names or constants) and exact values."""

    label: str
    entries: tuple[tuple[sympy.Expr, ...], ...]
    values: tuple[tuple[sympy.Expr, ...], ...]


@dataclass(frozen=True)
class LayerView:
    number: int
    weights: MatrixView
    bias: MatrixView | None
    activation_name: str
    activation_latex: str
    activation_expression: sympy.Expr
    activation_derivative: sympy.Expr
    is_identity: bool


@dataclass(frozen=True)
class NetworkPart:
    """The network as the sheet states it before the exercises."""

    layers: tuple[LayerView, ...]
    formula: str  # the network as a formula in LaTeX, g(x) = B σ(A x)
    loss_latex: str  # the loss in the registry's general notation (sums over outputs)
    loss_expression: sympy.Expr  # the loss for this network's outputs, as taught (in p for softmax)
    loss_remark: str
    inputs: tuple[str, ...]
    diagram: Diagram
    probabilities: tuple[tuple[str, sympy.Expr], ...] = ()  # softmax: p_k and its definition in the outputs

    @property
    def probability_letter(self) -> str:
        """The softmax probabilities' letter (p, unless a parameter is already named p1, p2, …)."""
        return self.probabilities[0][0].rstrip("0123456789") if self.probabilities else "p"


def network_notation(problem: Problem) -> Notation:
    """Layer numbers are shown wherever two layers have a z (two hidden layers, or an output layer with its own
    activation): z^{(1)}_2; else not: z_2.

    >>> import symback
    >>> network_notation(symback.load("problems/ws23_backprop.toml")).show_layers
    False
    """
    layers = problem.network.layers
    output_keeps_z = len(layers) == 2 and make_activation(layers[-1].activation).expression != Z
    return Notation(show_layers=len(layers) > 2 or output_keeps_z)


def network_part(problem: Problem, notation: Notation) -> NetworkPart:
    """The network of ``problem``: layers, formula, loss and diagram.

    >>> import symback
    >>> part = network_part(symback.load("problems/ws23_backprop.toml"), Notation())
    >>> part.formula, part.diagram.columns
    ('g(x) = B\\\\,\\\\sigma\\\\left(A x\\\\right)', (('x1', 'x2'), ('h1_1', 'h1_2'), ('yhat',)))
    """
    network = problem.network
    graph = build_graph(network, problem.loss)
    layers = tuple(_layer_view(problem, graph, number) for number in range(1, len(network.layers) + 1))
    loss = graph.loss
    return NetworkPart(
        layers=layers,
        formula=network_formula(layers),
        loss_latex=loss.latex,
        loss_expression=as_display(loss.taught),
        loss_remark=loss.remark,
        probabilities=tuple((symbol.name, as_display(formula)) for symbol, formula in loss.probabilities),
        inputs=network.inputs,
        diagram=network_diagram(graph, notation, tuple(_matrix_names(layer) for layer in layers)),
    )


def network_conventions(problem: Problem, part: NetworkPart, exercises) -> list[str]:
    """The loss's remark, each layer's activation's, the exercises' own, and how updates are taken.

    >>> import symback
    >>> p = symback.load("problems/ws23_backprop.toml")
    >>> network_conventions(p, network_part(p, Notation()), ())[2:]
    ['identity: f(z) = z', '']
    """
    conventions = [part.loss_remark] + list(dict.fromkeys(layer_remark(problem, n) for n in range(len(part.layers))))
    conventions += list(dict.fromkeys(r for e in exercises for r in e.result.conventions.activations))
    conventions.append(exercises[0].result.conventions.updates if exercises else "")
    return conventions


def network_appendix(problem: Problem, digits: int, guard=None):
    """The appendix's follow-up questions, computed on the same network (:func:`~symback.derive.appendix.build_appendix`).

    >>> import symback
    >>> [s.kind for s in network_appendix(symback.load("problems/ws23_backprop.toml"), 4).sections][:2]
    ['learning_rates', 'relu']
    """
    return build_appendix(problem, digits, guard=guard)


def layer_remark(problem: Problem, index: int) -> str:
    """The remark of layer ``index``'s activation (0-based), as the conventions box states it.

    >>> import symback
    >>> layer_remark(symback.load("problems/ws23_backprop.toml"), 1)
    'identity: f(z) = z'
    """
    return make_activation(problem.network.layers[index].activation).remark


def _layer_view(problem: Problem, graph: Graph, number: int) -> LayerView:
    layer = problem.network.layers[number - 1]
    parameters = problem.network.parameters
    activation = graph.layer_activations[number - 1]

    def entry(item):
        return sympy.Symbol(item, real=True) if isinstance(item, str) else item

    def value(item):
        return parameters[item] if isinstance(item, str) else item

    weights = MatrixView(
        layer.weights_label or f"W^{{({number})}}",
        tuple(tuple(entry(e) for e in row) for row in layer.weights),
        tuple(tuple(value(e) for e in row) for row in layer.weights),
    )
    bias = None
    if layer.bias:
        bias = MatrixView(
            layer.bias_label or f"b^{{({number})}}",
            tuple((entry(e),) for e in layer.bias),
            tuple((value(e),) for e in layer.bias),
        )
    return LayerView(
        number, weights, bias, ACTIVATION_WORDS.get(activation.name, activation.name), activation.latex,
        activation.shown, taught_derivative(activation),
        activation.is_identity,
    )


def taught_derivative(activation) -> sympy.Expr:
    """f'(z) as taught: through f itself where a course writes it so (σ(z)(1 − σ(z)), 1 − tanh²(z)), else
    SymPy's derivative.

    >>> from symback.numbers.text import format_exact
    >>> from symback.problem.activations import make_activation
    >>> from symback.problem.model import ActivationSpec
    >>> format_exact(taught_derivative(make_activation(ActivationSpec("sigmoid"))))
    'sigmoid(z)*(1 - sigmoid(z))'
    """
    if activation.derivative_in_output is None:
        return activation.derivative
    applied = Apply(sympy.Symbol(activation.name), Z)
    return as_display(activation.derivative_in_output).xreplace({H: applied})


def network_formula(layers: tuple[LayerView, ...]) -> str:
    """The network as nested function applications in LaTeX: g(x) = B σ(A x).

    >>> import symback
    >>> print(network_formula(network_part(symback.load("problems/ws23_backprop.toml"), Notation()).layers))
    g(x) = B\\,\\sigma\\left(A x\\right)
    """
    inner = "x"
    for layer in layers:
        inner = f"{layer.weights.label} {inner}" if inner == "x" else f"{layer.weights.label}\\,{inner}"
        if layer.bias:
            inner = f"{inner} + {layer.bias.label}"
        if not layer.is_identity:
            inner = f"{layer.activation_latex}\\left({inner}\\right)"
    return f"g(x) = {inner}"


def _matrix_names(layer: LayerView) -> str:
    """A layer's weights and biases by name, for a diagram gap whose edges carry no labels."""
    return f"{layer.weights.label},\\ {layer.bias.label}" if layer.bias else layer.weights.label
