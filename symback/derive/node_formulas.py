"""Each node's formula and local partials in its operands' names, for any graph: what a derivation writes.

A weighted sum is Σ w·h (+ b), an activation f(z), an expression's operation its own function, the loss its
expression in the outputs and the target. :func:`definition` and :func:`partial` are mathematics (SymPy),
for chain-rule factors and the checker's rules; :func:`shown_definition` and :func:`shown_partial` are the same
as a teacher writes them (display operations of :mod:`symback.derive.formulas`: σ' = q(1 − q), [a > b]).
Every name is a real :func:`~symback.derive.formulas.name_symbol`; the loss's target is written by the name the sheet shows it by.
"""

from __future__ import annotations

import sympy

from ..engine.graph import Graph, Node
from ..problem.activations import H, Z
from .formulas import (Apply, Indicator, Plus, Times, as_display, local_partial_display, name_symbol,
                       operation_display)


def target_name(taken) -> str:
    """The name an expression's target is shown by: y, unless the expression already has a y.

    >>> target_name({"x", "y", "f"})
    't'
    """
    return next((name for name in ("y", "t", "target") if name not in taken), "y_target")


def target_symbols(graph: Graph) -> dict:
    """The loss rule's target symbols -> the symbols the sheet shows them by (an expression's y is renamed
    where the expression has a variable y; a network's y₁ … y_K stay as they are).

    >>> from symback.engine.circuit import build_circuit
    >>> from symback.problem.model import ExpressionSpec
    >>> graph = build_circuit(ExpressionSpec((("f", "y * x"),), {"x": 1, "y": 2}), "squared_error")
    >>> list(target_symbols(graph).values())
    [t]
    """
    if graph.loss is None or not graph.variables:
        return {}
    name = target_name({node.name for node in graph.nodes})
    return {graph.targets[0]: name_symbol(name)}


def operand_symbols(graph: Graph, node: Node) -> tuple:
    """A node's operands as written: node names as symbols, constants as they are.

    >>> from symback.engine.circuit import build_circuit
    >>> from symback.problem.model import ExpressionSpec
    >>> graph = build_circuit(ExpressionSpec((("f", "2 * x"),), {"x": 1}))
    >>> operand_symbols(graph, graph.node("f"))
    (2, x)
    """
    return tuple(name_symbol(graph.nodes[o].name) if isinstance(o, int) else o for o in node.operands)


def definition(graph: Graph, i: int) -> sympy.Expr:
    """The node in its operands' symbols (mathematics: SymPy evaluates as it builds).

    >>> import symback
    >>> from symback.engine.backprop import problem_graph
    >>> graph = problem_graph(symback.load("problems/ws23_backprop.toml"))
    >>> definition(graph, graph.index["z1_2"]), definition(graph, graph.index["h1_2"])
    (a21*x1 + a22*x2, exp(z1_2)/(exp(z1_2) + 1))
    """
    known = graph.compiled.get(("definition", i))  # a step, its check and its table row each ask
    if known is None:
        known = graph.compiled[("definition", i)] = _definition(graph, i)
    return known


def _definition(graph: Graph, i: int) -> sympy.Expr:
    node = graph.nodes[i]
    if node.kind == "affine":
        products = [_operand(graph, w) * name_symbol(graph.nodes[s].name) for w, s in graph.terms(i)]
        bias = graph.bias(i)
        return sympy.Add(*products, *([_operand(graph, bias)] if bias is not None else []))
    if node.kind == "activation":
        source, activation = graph.activation_of(i)
        return activation.expression.xreplace({Z: name_symbol(graph.nodes[source].name)})
    if node.kind == "loss" and node.function is None:  # a network's loss: in the outputs' own names ŷ, y
        return graph.loss.expression
    return node.function.xreplace(target_symbols(graph))


def partial(graph: Graph, child: int, parent: int) -> sympy.Expr:
    """∂child/∂parent in the child's operands' symbols (summed where the parent is an operand twice).

    >>> import symback
    >>> from symback.engine.backprop import problem_graph
    >>> graph = problem_graph(symback.load("problems/ws23_backprop.toml"))
    >>> partial(graph, graph.index["z1_2"], graph.index["a22"]), partial(graph, graph.index["L"], graph.index["yhat"])
    (x2, -2*y + 2*yhat)
    """
    node = graph.nodes[child]
    if node.kind == "affine":
        parts = []
        for weight, source in graph.terms(child):
            if source == parent:
                parts.append(_operand(graph, weight))
            if weight == parent:
                parts.append(name_symbol(graph.nodes[source].name))
        if graph.bias(child) == parent:
            parts.append(sympy.Integer(1))
        return sympy.Add(*parts)
    if node.kind == "activation":
        source, activation = graph.activation_of(child)
        return activation.derivative.xreplace({Z: name_symbol(graph.nodes[source].name)})
    if node.kind == "loss" and node.function is None:
        return graph.loss.partials[graph.outputs.index(parent)]
    renamed = target_symbols(graph)
    return sympy.Add(*[node.partials[position].xreplace(renamed)
                       for position, operand in node.node_operands() if operand == parent])


def numbers(graph: Graph, values, targets=()) -> dict:
    """Every node's symbol -> its exact value (``values`` maps node names to them), and the targets' symbols
    as the formulas of :func:`definition` and :func:`partial` write them -> the exercise's y.

    >>> from symback.engine.circuit import build_circuit
    >>> from symback.problem.model import ExpressionSpec
    >>> graph = build_circuit(ExpressionSpec((("f", "2 * x"),), {"x": 1}), "squared_error")
    >>> numbers(graph, {"x": 1, "f": 2, "L": 1}, [3])
    {x: 1, f: 2, L: 1, y: 3}
    """
    found = {name_symbol(node.name): values[node.name] for node in graph.nodes if node.name in values}
    shown = target_symbols(graph)
    found.update({shown.get(s, s): value for s, value in zip(graph.targets, targets)})
    return found


def shown_definition(graph: Graph, i: int) -> sympy.Expr:
    """The node as a teacher writes it, in display operations that keep their shape when numbers are put in.

    >>> from symback.engine.circuit import build_circuit
    >>> from symback.numbers.text import format_exact
    >>> from symback.problem.model import ExpressionSpec
    >>> graph = build_circuit(ExpressionSpec((("f", "x - sigmoid(y)"),), {"x": 1, "y": 2}))
    >>> format_exact(shown_definition(graph, graph.index["f"]))
    'x - q1'
    """
    node = graph.nodes[i]
    if node.kind == "operation":
        return operation_display(node.operation, operand_symbols(graph, node))
    if node.kind == "activation" and node.operation in _NAMED_ACTIVATIONS:
        return operation_display(node.operation, operand_symbols(graph, node))
    return as_display(definition(graph, i))


def shown_partial(graph: Graph, child: int, position: int) -> sympy.Expr:
    """∂child/∂(operand at ``position``) as a teacher writes it (σ' = q(1 − q), [a > 0] for relu).

    >>> from symback.engine.circuit import build_circuit
    >>> from symback.numbers.text import format_exact
    >>> from symback.problem.model import ExpressionSpec
    >>> graph = build_circuit(ExpressionSpec((("f", "sigmoid(x)"),), {"x": 1}))
    >>> format_exact(shown_partial(graph, graph.index["f"], 0))
    'f*(1 - f)'
    """
    node = graph.nodes[child]
    parent = node.operands[position]
    if node.kind == "operation" or (node.kind == "activation" and node.operation in _NAMED_ACTIVATIONS):
        own = node.partials[position].xreplace(target_symbols(graph)) if node.partials else partial(graph, child, parent)
        return local_partial_display(node.operation, operand_symbols(graph, node), position, name_symbol(node.name), own)
    return as_display(partial(graph, child, parent))


_NAMED_ACTIVATIONS = ("sigmoid", "tanh", "relu", "softplus")  # written as the operation of the same name


def _operand(graph: Graph, operand) -> sympy.Expr:
    return name_symbol(graph.nodes[operand].name) if isinstance(operand, int) else operand


def written_definition(graph: Graph, i: int) -> sympy.Expr:
    """The node as the chain-rule sheet writes it, in display operations: z = w₁x₁ + w₂x₂ + b, h = σ(z),
    L in the taught form of its loss (in p = softmax(ŷ) for softmax cross-entropy).

    >>> import symback
    >>> from symback.engine.backprop import problem_graph
    >>> from symback.numbers.text import format_exact
    >>> graph = problem_graph(symback.load("problems/ws23_backprop.toml"))
    >>> [format_exact(written_definition(graph, graph.index[name])) for name in ("z1_2", "h1_2", "L")]
    ['a21*x1 + a22*x2', 'sigmoid(z1_2)', '(yhat - y)**2']
    """
    node = graph.nodes[i]
    if node.kind == "affine":
        terms = [Times(_operand(graph, w), name_symbol(graph.nodes[s].name)) for w, s in graph.terms(i)]
        bias = graph.bias(i)
        terms += [_operand(graph, bias)] if bias is not None else []
        return _sum(terms)
    if node.kind == "activation":
        source, activation = graph.activation_of(i)
        argument = name_symbol(graph.nodes[source].name)
        if activation.is_identity:
            return argument
        name = activation.name if activation.name in _APPLIED else "f"
        return Apply(sympy.Symbol(name), argument)
    if node.kind == "loss" and node.function is None:
        return as_display(graph.loss.taught)
    return shown_definition(graph, i)


def written_partial(graph: Graph, child: int, parent: int) -> sympy.Expr:
    """∂child/∂parent as the chain-rule sheet writes it: the weight or the input of a weighted sum, h(1 − h) or
    1 − h² for σ and tanh, [z > 0] for ReLU, 2(ŷ − y) or p − y for the loss (summed where used twice).

    >>> import symback
    >>> from symback.engine.backprop import problem_graph
    >>> from symback.numbers.text import format_exact
    >>> graph = problem_graph(symback.load("problems/ws23_backprop.toml"))
    >>> [format_exact(written_partial(graph, graph.index[c], graph.index[p])) for c, p in (("L", "yhat"), ("h1_2", "z1_2"))]
    ['2*(yhat - y)', 'h1_2*(1 - h1_2)']
    """
    node = graph.nodes[child]
    if node.kind == "activation":
        _, activation = graph.activation_of(child)
        own = name_symbol(node.name)
        if activation.derivative_in_output is not None:
            return as_display(activation.derivative_in_output.xreplace({H: own}))
        if activation.name == "relu" and activation.derivative.has(sympy.Piecewise):
            return Indicator(name_symbol(graph.nodes[parent].name), sympy.Integer(0))
        return as_display(activation.derivative.xreplace({Z: name_symbol(graph.nodes[parent].name)}))
    if node.kind == "loss" and node.function is None:
        return as_display(graph.loss.taught_partials[graph.outputs.index(parent)])
    if node.kind == "affine":
        return as_display(partial(graph, child, parent))
    parts = [shown_partial(graph, child, position) for position, operand in node.node_operands() if operand == parent]
    return _sum(parts)


_APPLIED = ("sigmoid", "tanh", "relu", "leaky_relu", "softplus")  # activations written by their own name


def _sum(terms: list) -> sympy.Expr:
    if not terms:
        return sympy.Integer(0)
    total = terms[0]
    for term in terms[1:]:
        total = Plus(total, term)
    return total
