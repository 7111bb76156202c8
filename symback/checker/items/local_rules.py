"""What a student may write for a local gradient ∂child/∂parent, for any node of any graph, in either
presentation (a chain-rule factor on a path, or the local gradient of a wire in a table).

* A network's activation h = f(z): the derivative in z, shown f'(z), and where the activation has one, the
  derivative in its output as it is taught (σ'(z) = h(1 − h)).
* An expression's σ, exp and tanh: in the node's own value first, as the sheet writes it (q(1 − q), q,
  1 − q²), and in the operand too.
* max, min, relu, abs (piecewise linear): the partial, shown as the sheet writes it ([a > b]), or for a tied
  argument of max or min the tie rule in words (the indicator is 0 at a tie whatever the rule).
* Everything else (a weighted sum, the loss, an expression's other operations): the partial in the child's
  operands, summed where the child uses the parent more than once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

import sympy

from ...derive.formulas import local_partial_display, name_symbol
from ...derive.node_formulas import operand_symbols, partial
from ...engine.graph import Graph
from ...numbers.text import format_exact
from ...problem.activations import H
from ...problem.operations import OPERATIONS, remark

# Local gradients as the sheet writes them, in the node's own value q: σ' = q(1 − q), (eᵃ)' = q, tanh' = 1 − q².
_IN_OUTPUT = {
    "sigmoid": lambda q: q * (1 - q),
    "exp": lambda q: q,
    "tanh": lambda q: 1 - q**2,
}
# A tied argument of max or min: [a > b] is 0 there whatever the rule, so the rule is said in words.
_TIE_RULES = {
    "split": 'an equal share among the tied arguments (a tie, ties = "split")',
    "first": 'all of it if the first tied argument, else 0 (a tie, ties = "first")',
}


@dataclass(frozen=True)
class LocalRules:
    """The rule of a local gradient, the other rules a student may follow, the rule as a person writes it (where
    that differs from the formula) and a remark on the operation's convention (at kinks and ties)."""

    main: sympy.Expr
    alternatives: tuple[sympy.Expr, ...] = ()
    shown_rule: str = ""
    remark: str = ""


def local_rules(graph: Graph, child: int, parent: int, put_in: Mapping | None = None,
                tied: Callable[[int], bool] = lambda position: False) -> LocalRules:
    """The rules of ∂child/∂parent (node indices); ``put_in`` maps symbols to the numbers put into the formula
    (a table writes its target's value in), ``tied(position)`` says whether the child's operand at ``position``
    is tied with another (max and min).

    >>> import symback
    >>> from symback.engine.backprop import problem_graph
    >>> graph = problem_graph(symback.load("problems/ws23_backprop.toml"))
    >>> rules = local_rules(graph, graph.index["h1_2"], graph.index["z1_2"])
    >>> rules.main, rules.alternatives, rules.shown_rule
    (exp(z1_2)/(exp(z1_2) + 1)**2, (h1_2*(1 - h1_2),), "sigmoid'(z1_2)")
    """
    node = graph.nodes[child]
    formula = partial(graph, child, parent).xreplace(dict(put_in or {}))
    if node.kind == "activation":
        _, activation = graph.activation_of(child)
        shown = f"{activation.name}'({graph.nodes[parent].name})" if activation.name not in ("custom", "zero") else ""
        in_output = activation.derivative_in_output
        alternatives = (in_output.xreplace({H: name_symbol(node.name)}),) if in_output is not None else ()
        return LocalRules(formula, alternatives, shown)
    if node.kind != "operation":
        return LocalRules(formula)
    positions = [position for position, operand in node.node_operands() if operand == parent]
    in_output = _IN_OUTPUT.get(node.operation)
    if in_output is not None and len(positions) == 1:  # the sheet's form first; the partial in the operand too
        return LocalRules(in_output(name_symbol(node.name)), (formula,))
    if not OPERATIONS[node.operation].piecewise_linear:
        return LocalRules(formula)
    operands = operand_symbols(graph, node)  # [a > b] as the sheet writes it, not a Piecewise
    parts = [_TIE_RULES[graph.ties] if tied(position) else format_exact(local_partial_display(
        node.operation, operands, position, name_symbol(node.name), formula)) for position in positions]
    same = len(parts) > 1 and len(set(parts)) == 1 and all(tied(position) for position in positions)
    shown = f"{len(parts)} × {parts[0]}" if same else " + ".join(parts)
    return LocalRules(formula, (), shown, remark(node.operation, graph.ties))
