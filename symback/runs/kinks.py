"""Where an optimizer run crosses a kink: a node whose local gradient is piecewise constant (abs, relu, max, min,
a network's ReLU or leaky ReLU) takes another branch at the parameters after one step than before it.

The run's passes at θ₀ … θₙ (exact where the run's exact values reach, else its decimals) say, for every kink
node, its local gradient per operand (the branch), the value of its *argument* (the node every moving
parameter reaches it through: z in max(z, 0.2·z)) and the gradient through the kink, ∂node/∂argument. Nothing
here rounds or words anything: a value converter passed in does the one, :mod:`symback.derive.run_steps` the
other.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import sympy

from ..engine.graph import LocalRule
from ..engine.passes import Pass


@dataclass(frozen=True)
class KinkNode:
    """A kink node over a run: ``values[k]`` the argument at θ_k (empty without an argument), ``slopes[k]`` the
    gradient through the kink there (∂node/∂argument), ``shares[k]`` its local gradient per node operand, and
    ``crossings`` the k whose branch differs from that at θ_{k+1} (step k + 1 carries it across)."""

    node: str
    operation: str  # max, min, relu, abs, leaky_relu
    operands: tuple[str, ...]  # the node operands, in order
    argument: str | None
    values: tuple
    slopes: tuple
    shares: tuple[tuple, ...]
    crossings: tuple[int, ...]


def is_kink(rule) -> bool:
    """Whether a node's rule has a piecewise-constant local gradient: a kink its branches meet at.

    >>> a = sympy.Symbol("a")
    >>> is_kink(LocalRule((a,), sympy.Max(0, a), (sympy.Piecewise((1, a > 0), (0, True)),)))
    True
    >>> is_kink(LocalRule((a,), a**2, (2 * a,)))
    False
    """
    if not isinstance(rule, LocalRule):
        return False
    if rule.piecewise_linear:
        return True
    partials = [partial for partial in rule.partials if partial is not None]
    return bool(partials) and all(_piecewise_constant(partial) for partial in partials) \
        and any(not partial.is_Number for partial in partials)


def _piecewise_constant(expr: sympy.Expr) -> bool:
    if expr.is_Number:
        return True
    if isinstance(expr, sympy.Piecewise):
        return all(piece.expr.is_Number for piece in expr.args)
    if expr.func in (sympy.sign, sympy.Heaviside):
        return True
    return expr.is_Mul and all(_piecewise_constant(factor) for factor in expr.args)


def kink_nodes(passes: Sequence[Pass], moving: Sequence[str], value: Callable[[object], object]
               ) -> tuple[KinkNode, ...]:
    """Every kink node of the passes' graph (one pass at each θ_k of a run, k = 0 … n) that a moving parameter
    reaches, over the run; ``value`` turns a pass's number into what the record keeps (a rounded value).

    >>> import symback
    >>> from symback.engine.backprop import backprop_exercise
    >>> from symback.engine.gradients import objective_and_gradients
    >>> from symback.numbers.arithmetic import EXACT
    >>> p = symback.loads('title = "t"\\n[expression]\\nf = "relu(w - 1)"\\nat = { w = 0 }\\n'
    ...                   '[[exercises]]\\nid = "1"\\ntask = "gradient"\\n')
    >>> graph = backprop_exercise(p, p.exercise("1")).graph
    >>> passes = [objective_and_gradients(graph, EXACT, {}, [], {"w": EXACT.from_sympy(sympy.Integer(w))})[2]
    ...           for w in (0, 2, 3)]
    >>> [(k.node, k.argument, k.values, k.slopes, k.crossings) for k in kink_nodes(passes, ["w"], str)]
    [('f', 'q1', ('-1', '1', '2'), ('0', '1', '1'), (0,))]
    """
    if not passes:
        return ()
    graph = passes[0].graph
    moving_ids = {graph.index[name] for name in moving if name in graph.index}
    reached = _reached_from(graph, moving_ids)
    found = []
    for i, rule in enumerate(graph.rules):
        if not is_kink(rule) or i not in reached:
            continue
        node = graph.nodes[i]
        operands = [operand for _, operand in node.node_operands()]
        argument = _argument(graph, operands, moving_ids)
        branches = [tuple(_fraction(partial) for partial in p.partials[i] if partial is not None) for p in passes]
        found.append(KinkNode(
            node=node.name,
            operation=node.operation,
            operands=tuple(graph.nodes[o].name for o in operands),
            argument=None if argument is None else graph.nodes[argument].name,
            values=() if argument is None else tuple(value(p.values[argument]) for p in passes),
            slopes=() if argument is None else tuple(value(_slope(p, argument, i)) for p in passes),
            shares=tuple(tuple(value(p.partials[i][position]) for position, _ in node.node_operands())
                         for p in passes),
            crossings=tuple(k for k in range(len(passes) - 1) if not _same(branches[k], branches[k + 1])),
        ))
    return tuple(found)


def _reached_from(graph, sources: set[int]) -> set[int]:
    """The nodes that depend on one of ``sources`` (the sources too)."""
    reached = set(sources)
    for i, node in enumerate(graph.nodes):
        if any(operand in reached for _, operand in node.node_operands()):
            reached.add(i)
    return reached


def _argument(graph, operands: list[int], moving: set[int]) -> int | None:
    """The latest node that every path from a moving parameter to the operands runs through (the operand itself
    where there is one); None where the operands depend on the parameters independently (max(x, y))."""
    if len(operands) == 1:
        return operands[0]
    ancestors = [_ancestors(graph, operand) for operand in operands]
    common = set.intersection(*ancestors)
    for candidate in sorted(common, reverse=True):
        if not _reaches_around(graph, operands, candidate, moving):
            return candidate
    return None


def _ancestors(graph, node_id: int) -> set[int]:
    found, pending = set(), [node_id]
    while pending:
        current = pending.pop()
        if current not in found:
            found.add(current)
            pending.extend(graph.parents(current))
    return found


def _reaches_around(graph, operands: list[int], block: int, moving: set[int]) -> bool:
    """Whether a moving parameter reaches one of ``operands`` on a path that avoids ``block``."""
    seen, pending = {block}, list(operands)
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        if current in moving:
            return True
        pending.extend(graph.parents(current))
    return False


def _slope(the_pass: Pass, argument: int, node_id: int):
    """∂node/∂argument at the pass's values: forward accumulation over the nodes between the two."""
    graph, add = the_pass.graph, the_pass.arithmetic.add
    tangent = {argument: the_pass.arithmetic.one}
    for i in range(argument + 1, node_id + 1):
        terms = [the_pass.partials[i][position] * tangent[operand]
                 for position, operand in graph.nodes[i].node_operands() if operand in tangent]
        if terms:
            tangent[i] = terms[0] if len(terms) == 1 else add(terms)
    return tangent.get(node_id, the_pass.arithmetic.zero)


def _fraction(number) -> Fraction:
    """A branch's local gradient (a rational of the exact pass, a Decimal of a decimal one) as a Fraction."""
    if isinstance(number, Decimal):
        return Fraction(number)
    numerator, denominator = number.get_num_den()
    return Fraction(int(numerator), int(denominator))


def _same(branch: tuple, other: tuple) -> bool:
    """Whether two branches are one: equal local gradients, up to the rounding of a decimal pass (1/3 there
    is 0.333…3 to the pass's precision, far finer than any two branches differ)."""
    return all(abs(a - b) <= Fraction(1, 10**12) * max(1, abs(a)) for a, b in zip(branch, other))
