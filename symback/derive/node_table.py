"""The table presentation of a pass: a row per node forwards, a row per wire and per node backwards.

Forwards, every node in evaluation order: its definition as written (:func:`~symback.derive.node_formulas.
shown_definition`), the numbers put in, its value; the leaves are given. Backwards, from ∂top/∂top = 1: every
wire's local gradient (as a teacher writes it), the upstream gradient of the node it feeds, and their product,
what flows back along the wire; then every node's gradient, the sum of the products on its wires (gradients
add at forks). This is how CS231n teaches backpropagation; it serves any graph, a network's as an expression's.
"""

from __future__ import annotations

from typing import Callable

import symengine
import sympy

from ..engine.graph import Graph, Node
from ..engine.guards import bounded_sign
from ..engine.result import to_sympy
from ..numbers.arithmetic import EXACT, UndecidableSign
from .context import ExerciseContext
from .formulas import with_numbers
from .node_formulas import shown_definition, shown_partial
from .steps import (
    BackwardTableStep,
    ForwardTableStep,
    NodeGradient,
    NodeRow,
    Quantity,
    WireRow,
)


def forward_table(context: ExerciseContext) -> ForwardTableStep:
    """One row per node: its definition as written, the numbers put in, its value (the loss only where the
    exercise gives a target).

    >>> import symback
    >>> context = ExerciseContext(symback.load("problems/ws23_backprop.toml"), "3", 4)
    >>> [(row.name, row.quantity.exact) for row in forward_table(context).rows][-3:]
    [('h1_2', E/(1 + E)), ('yhat', 0), ('L', 4)]
    """
    graph, rows = context.graph, []
    for i, node in enumerate(graph.nodes):
        if node.kind == "loss" and not context.has_target:
            continue
        quantity = context.quantity(node.name)
        if node.is_leaf:
            rows.append(NodeRow(node.name, node.operation, None, (), None, None, quantity))
            continue
        definition = shown_definition(graph, i)
        operands = tuple(graph.operand_name(o) for o in node.operands)
        substituted = with_numbers(definition, context.numbers)
        rows.append(NodeRow(node.name, node.operation, node.stage, operands, definition, substituted, quantity))
    loss = graph.nodes[graph.top].name if graph.loss is not None and context.has_target else None
    target = context.result.targets[0] if loss and len(context.result.targets) == 1 else None
    return ForwardTableStep(tuple(rows), graph.nodes[graph.output].name, loss, target,
                            context.target_name if target is not None else None)


def backward_table(context: ExerciseContext, asked: tuple[str, ...]) -> BackwardTableStep:
    """Every wire's local and upstream gradient and their product, backwards; every node's gradient.

    >>> import symback
    >>> context = ExerciseContext(symback.load("problems/ws23_backprop.toml"), "4", 4)
    >>> step = backward_table(context, ("a22",))
    >>> step.gradient("a22").quantity.exact, [(w.child, w.parent) for w in step.wires][:2]
    (12*E/(1 + E)**2, [('L', 'yhat'), ('yhat', 'b11')])
    """
    graph, result, top = context.graph, context.result, context.top
    rounded = result.edge_decimals(context.digits)
    edges = result.exact_edges  # SymPy only for what is shown exactly: a large value would take minutes
    order = sorted(range(len(edges)), key=lambda k: -graph.index[edges[k].child])
    wires = []
    for k in order:
        edge, decimals = edges[k], rounded[k]
        child = graph.index[edge.child]
        node = graph.nodes[child]
        formula = shown_partial(graph, child, edge.position)
        tie = tied(graph, context.result.exact, node, edge.position)
        if tie:
            formula = to_sympy(edge.local)  # the tie rule's share (½, 1 or 0), stated in the conventions
        wires.append(WireRow(
            edge.child, edge.parent, edge.position, formula, with_numbers(formula, context.numbers),
            Quantity(f"d{edge.child}/d{edge.parent}", edge.local, decimals.local),
            Quantity(f"d{top}/d{edge.child}", edge.upstream, decimals.upstream),
            Quantity(f"d{top}/d{edge.child}*d{edge.child}/d{edge.parent}", edge.contribution, decimals.contribution),
            tie,
        ))
    gradients = []
    for index in range(graph.top, -1, -1):
        node = graph.nodes[index]
        if node.kind == "input":
            continue  # nothing is differentiated by an input
        uses = tuple(k for k, wire in enumerate(wires) if wire.parent == node.name)
        gradients.append(NodeGradient(node.name, context.quantity(f"d{top}/d{node.name}"), uses))
    return BackwardTableStep(top, tuple(wires), tuple(gradients), asked)


def tied(graph: Graph, exact: Callable[[str], object], node: Node, position: int) -> bool:
    """Whether the operand at ``position`` of a max or min node equals another of its operands (a tie: the tie
    rule then decides its share of the gradient); ``exact`` gives a node's exact value by name (SymEngine's, or
    SymPy's). Decided as the exact pass decides it, with bounded work
    (:func:`~symback.engine.guards.bounded_sign`); operands whose equality that cannot settle count as no tie
    (the wire then shows the rule's general formula, which holds either way).

    >>> from symback.engine.circuit import build_circuit
    >>> from symback.problem.model import ExpressionSpec
    >>> graph = build_circuit(ExpressionSpec((("f", "max(x, y)"),), {"x": 1, "y": 1}))
    >>> tied(graph, {"x": 1, "y": 1}.get, graph.node("f"), 0), tied(graph, {"x": 1, "y": 2}.get, graph.node("f"), 0)
    (True, False)
    """
    if node.kind != "operation" or node.operation not in ("max", "min"):
        return False
    values = [_engine_value(exact(graph.nodes[o].name) if isinstance(o, int) else o) for o in node.operands]
    mine = values[position]
    return any(k != position and _equal(value, mine) for k, value in enumerate(values))


def _engine_value(value):
    """A value as SymEngine holds it: SymPy's (or a Python integer) converted; never text to be parsed."""
    if isinstance(value, symengine.Basic):
        return value
    return EXACT.from_sympy(sympy.Integer(value) if isinstance(value, int) else value)


def _equal(a, b) -> bool:
    if a == b:
        return True
    try:
        return bounded_sign(a - b) == 0
    except UndecidableSign:
        return False
