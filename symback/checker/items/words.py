"""Each node of a graph in words, as the answers skeleton and the feedback describe it: a network's units by layer
and unit, an expression's operations by stage, the loss against its target.
"""

from __future__ import annotations

from typing import Callable

from ...engine.graph import Graph
from ...problem.operations import OPERATIONS
from .record import number_text

_INFIX = ("add", "sub", "mul", "div")


def node_description(graph: Graph, i: int) -> str:
    """What node ``i`` is, for any node computed (an affine node, an activation, an operation).

    >>> import symback
    >>> from symback.engine.backprop import problem_graph
    >>> graph = problem_graph(symback.load("problems/ws23_backprop.toml"))
    >>> node_description(graph, graph.index["z1_2"])
    'unit 2 of layer 1 before its activation (weighted sum)'
    >>> node_description(graph, graph.index["h1_2"]), node_description(graph, graph.index["yhat"])
    ('output of unit 2 of layer 1: sigmoid of z1_2', "the network's output ŷ")
    """
    return _DESCRIPTIONS[graph.nodes[i].kind](graph, i)


def loss_description(graph: Graph, target: str | None) -> str:
    """The loss as a table of nodes says it: against what (``target`` as written, ``t = 1``; None where there are
    several targets) and by which rule.

    >>> from symback.engine.circuit import build_circuit
    >>> from symback.problem.model import ExpressionSpec
    >>> graph = build_circuit(ExpressionSpec((("f", "x * y"),), {"x": 1, "y": 2}), "squared_error")
    >>> loss_description(graph, "t = 1")
    'the loss of f against the target t = 1: squared error (ŷ − y)², no factor ½, summed over outputs'
    """
    if target is None:
        return f"the loss of the outputs against their targets: {graph.loss.remark}"
    return f"the loss of {graph.nodes[graph.output].name} against the target {target}: {graph.loss.remark}"


def _affine(graph: Graph, i: int) -> str:
    if i in graph.outputs:
        return _output(graph, i)
    return f"{_unit(graph, i)} before its activation (weighted sum)"


def _activation(graph: Graph, i: int) -> str:
    source, activation = graph.activation_of(i)
    what = _output(graph, i) if i in graph.outputs else f"output of {_unit(graph, i)}"
    return f"{what}: {activation.name} of {graph.nodes[source].name}"


def _operation(graph: Graph, i: int) -> str:
    node = graph.nodes[i]
    definition = f"{node.name} = {operation_text(graph, i)}"
    if i == graph.output:
        return f"the function {definition}"
    if node.name == node.stage:
        return f"stage {definition}"
    return f"{definition}, a node of stage {node.stage}"


def _output(graph: Graph, i: int) -> str:
    name = graph.nodes[i].name
    return "the network's output ŷ" if name == "yhat" else f"output {name[4:]} of the network"


def _unit(graph: Graph, i: int) -> str:
    node = graph.nodes[i]
    return f"unit {node.unit} of layer {node.layer}"


_DESCRIPTIONS: dict[str, Callable[[Graph, int], str]] = {
    "affine": _affine,
    "activation": _activation,
    "operation": _operation,
}


def operation_text(graph: Graph, i: int) -> str:
    """An operation node in its operands' names as a person writes it: ``σ(y)``, ``num / den``, ``−x``.

    >>> from symback.engine.circuit import build_circuit
    >>> from symback.problem.model import ExpressionSpec
    >>> graph = build_circuit(ExpressionSpec((("f", "(x + y) / 2"),), {"x": 1, "y": 2}))
    >>> operation_text(graph, graph.index["q1"]), operation_text(graph, graph.index["f"])
    ('x + y', 'q1 / 2')
    """
    node = graph.nodes[i]
    operands = [_operand_text(graph, operand) for operand in node.operands]
    operation = OPERATIONS[node.operation]
    if node.operation == "id":
        return operands[0]
    if node.operation == "neg":
        return f"−{operands[0]}"
    if node.operation in _INFIX:
        return f" {operation.text} ".join(operands)
    if node.operation == "pow":
        return "^".join(operands)
    if node.operation == "abs":
        return f"|{operands[0]}|"
    return f"{operation.text}({', '.join(operands)})"


def _operand_text(graph: Graph, operand) -> str:
    if isinstance(operand, int):
        return graph.nodes[operand].name
    text = number_text(operand).replace("-", "−")
    return text if text.replace(".", "").isdigit() else f"({text})"
