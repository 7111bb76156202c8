"""The forward and the backward pass over a :class:`~symback.engine.graph.Graph`, exact or in decimals.

Forward, node by node: the value from the operands' values, and the local partial ∂node/∂operand for every
operand (a weighted sum's directly: ∂z/∂w = h, ∂z/∂h = w; any other node's compiled from its SymPy rule).
Backward, from ∂top/∂top = 1 (top is L, or an expression's f without a loss): a node's gradient is the sum of
what its uses send it, the user's gradient × the local partial, so gradients add at forks. Cost is linear in
the number of wires; no closed form of the whole function is ever built.

An exact pass checks every node's domain first and names the node that fails (:mod:`symback.engine.guards`).
A decimal pass may *follow* an exact one: piecewise-linear operations (abs, relu, max, min) take the branch and
tie rule the exact pass decided (their partials there are exact rationals, and their value is
Σ partial · operand), so that decimals never take another branch than the exact values at a kink. A decimal
pass with nothing to follow (an optimizer's later steps, a training run) decides every branch and domain from
its own decimals.

Leaves take their values from the exact ``point``, or from ``given`` values already in the pass's arithmetic
(an optimizer's parameters as it moves them).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Mapping, Sequence

import sympy

from ..numbers.arithmetic import DECIMAL, EXACT, UndecidableSign, compile_expression
from .graph import Graph, LocalRule, WeightedSum
from .guards import (
    EXACT_DECIDING,
    TOO_MANY_DIGITS,
    DomainError,
    ExactTooLarge,
    TreeSizes,
    activation_powers_fit,
    check_gradient_sizes,
    decimal_node_problem,
    domain_problem,
    fail,
    is_decimal,
    mixed_sign,
    power_fits,
    size_problem,
)


@dataclass
class Pass:
    """Values, local partials and gradients of every node in one arithmetic.

    ``partials[i][k]`` is ∂node_i/∂(its k-th operand) (None for a constant operand); ``gradients[i]`` is
    ∂top/∂node_i (None for an input, which nothing is differentiated by). ``targets`` are the loss's y in the
    pass's arithmetic.
    """

    graph: Graph
    arithmetic: object
    values: list
    partials: list[tuple]
    gradients: list
    targets: list

    def gradient(self, node_id: int):
        """∂top/∂node."""
        return self.gradients[node_id]

    def contribution(self, child: int, position: int):
        """What ``child`` sends back along its operand at ``position``: its gradient × the local partial."""
        return self.gradients[child] * self.partials[child][position]

    def local_partial(self, child: int, parent: int):
        """∂child/∂parent at this pass's values (summed where the parent is an operand twice, as a tied weight)."""
        parts = [self.partials[child][position] for position, operand in self.graph.nodes[child].node_operands()
                 if operand == parent]
        return parts[0] if len(parts) == 1 else self.arithmetic.add(parts)


def compute_pass(
    graph: Graph,
    arithmetic,
    point: Mapping[str, sympy.Expr],
    targets: Sequence[sympy.Expr] = (),
    *,
    given: Mapping[str, object] | None = None,
    follow: Pass | None = None,
) -> Pass:
    """Forward values and gradients of every node: ``point`` maps every leaf's name to its exact SymPy value
    (``given`` values, already in ``arithmetic``, take precedence), ``targets`` are the loss's y (exact).

    >>> from symback.engine.circuit import build_circuit
    >>> from symback.engine.guards import EXACT_DECIDING
    >>> from symback.problem.model import ExpressionSpec
    >>> graph = build_circuit(ExpressionSpec((("f", "(x + y) * z"),), {"x": -2, "y": 5, "z": -4}))
    >>> p = compute_pass(graph, EXACT_DECIDING, {"x": sympy.Integer(-2), "y": sympy.Integer(5), "z": sympy.Integer(-4)})
    >>> p.values[-1], p.gradients[:4]
    (-12, [-4, -4, 3, -4])
    """
    convert = arithmetic.from_sympy
    nodes, rules = graph.nodes, graph.rules
    values: list = [None] * len(nodes)
    partials: list[tuple] = [()] * len(nodes)
    given = given or {}
    leaf_values: dict = {}  # a big layer repeats its short decimals: each converted once
    for i in (*graph.inputs, *graph.parameters):
        name = nodes[i].name
        values[i] = given[name] if name in given else _constant(point[name], convert, leaf_values)
    target_values = [convert(target) for target in targets]
    if graph.loss is not None and follow is None:
        problem = graph.check_targets(targets)
        if problem is not None:
            raise DomainError(problem)
    mode = _Mode(graph, arithmetic, follow)
    constants: dict = {}
    all_nodes = graph.operands_all_nodes()
    for i, rule in enumerate(rules):
        if rule is None:
            continue
        operands = nodes[i].operands
        if all_nodes[i]:
            operand_values = [values[o] for o in operands]
        else:
            operand_values = [values[o] if isinstance(o, int) else _constant(o, convert, constants) for o in operands]
        if isinstance(rule, WeightedSum):
            values[i], partials[i] = _weighted_sum(arithmetic, operand_values, rule.bias)
            continue
        arguments = [values[o] for o in operands if isinstance(o, int)] + (target_values if rule.extra else [])
        values[i], partials[i] = mode.node(i, rule, operand_values, arguments)
    gradients = _backward(graph, arithmetic, partials)
    if mode.exact and graph.guard_sizes:
        check_gradient_sizes(graph, gradients, mode.tree_size)
    return Pass(graph, arithmetic, values, partials, gradients, target_values)


def _weighted_sum(arithmetic, operand_values: list, bias: bool) -> tuple:
    """z = Σ w·h (+ b) with its partials (h for each w, w for each h, 1 for b), as the operands are laid out."""
    end = len(operand_values) - bias
    weights, sources = operand_values[0:end:2], operand_values[1:end:2]
    products = [w * h for w, h in zip(weights, sources)]
    partials = list(operand_values)
    partials[0:end:2], partials[1:end:2] = sources, weights
    if bias:
        products.append(operand_values[-1])
        partials[-1] = arithmetic.one
    return arithmetic.add(products), tuple(partials)


class _Mode:
    """How one pass computes a node: exactly with every check, in decimals deciding branches and domains alone,
    or in decimals following an exact pass's branches."""

    def __init__(self, graph: Graph, arithmetic, follow: Pass | None):
        self.graph, self.arithmetic, self.follow = graph, arithmetic, follow
        self.deciding = follow is None and is_decimal(arithmetic)
        self.exact = follow is None and not self.deciding
        self.tree_size = TreeSizes()

    def node(self, i: int, rule: LocalRule, operand_values: list, arguments: list) -> tuple:
        if self.deciding:
            return self._deciding(i, rule, operand_values, arguments)
        if self.exact:
            return self._exact(i, rule, operand_values, arguments)
        if rule.piecewise_linear:
            weights = tuple(_as_decimal(weight) for weight in self.follow.partials[i])
            return self.arithmetic.add([w * v for w, v in zip(weights, operand_values)]), weights
        return self._compute(i, rule, arguments)

    def _compute(self, i: int, rule: LocalRule, arguments: list) -> tuple:
        value = _compiled(self.graph, rule, "value", self.arithmetic)(*arguments)
        partials = tuple(None if partial is None else _compiled(self.graph, rule, k, self.arithmetic)(*arguments)
                         for k, partial in enumerate(rule.partials))
        return value, partials

    def _exact(self, i: int, rule: LocalRule, operand_values: list, arguments: list) -> tuple:
        graph, node = self.graph, self.graph.nodes[i]
        error_type = DomainError
        try:
            problem = domain_problem(graph, i, operand_values, self.arithmetic.sign)
            if problem is None and node.operation == "pow" and not power_fits(operand_values):
                problem, error_type = f"{{0}} raised to {operand_values[1]}: {TOO_MANY_DIGITS}", ExactTooLarge
            if problem is None and node.operation == "custom" and \
                    not activation_powers_fit(rule.function, rule.slots[0], operand_values[0]):
                problem, error_type = f"f({{0}}): {TOO_MANY_DIGITS}", ExactTooLarge
            if problem is None:
                value, partials = self._compute(i, rule, arguments)
                if graph.guard_sizes:
                    problem, error_type = size_problem([value, *partials], self.tree_size), ExactTooLarge
        except UndecidableSign as error:
            problem, error_type = f"cannot decide the sign of a value on a kink ({error})", ExactTooLarge
        except (ArithmeticError, RuntimeError, ValueError) as error:  # whatever SymEngine raises on odd values
            problem = f"cannot compute this: {type(error).__name__}: {str(error)[:80]}"
        if problem is not None:
            fail(graph, node, operand_values, problem, error_type)
        return value, partials

    def _deciding(self, i: int, rule: LocalRule, operand_values: list, arguments: list) -> tuple:
        """A node in decimals, its domain judged from the decimals (constant operands keep their exact values,
        so that (−2)^2 is still an integer power)."""
        graph, node = self.graph, self.graph.nodes[i]
        judged = [value if isinstance(operand, int) else EXACT_DECIDING.from_sympy(operand)
                  for operand, value in zip(node.operands, operand_values)]
        try:
            problem = domain_problem(graph, i, judged, mixed_sign(self.arithmetic))
        except (TypeError, ValueError, RuntimeError):  # a check written for exact values only (tan's cos = 0)
            problem = None
        if problem is None:
            value, partials = self._compute(i, rule, arguments)
            problem = decimal_node_problem([value, *partials])
        if problem is not None:
            fail(graph, node, operand_values, problem)
        return value, partials


def _backward(graph: Graph, arithmetic, partials: list[tuple]) -> list:
    """Reverse accumulation from ∂top/∂top = 1: each node's gradient is the sum of what its uses send it (a node
    used once takes what its one use sends, as it comes). Inputs get none (nothing is differentiated by them);
    a node the top does not use gets 0."""
    add, zero = arithmetic.add, arithmetic.zero
    plan = graph.backward_plan()
    gradients: list = [None] * len(graph.nodes)
    gradients[graph.top] = arithmetic.one
    received: dict[int, list] = {}
    for i in range(graph.top, -1, -1):
        block, sole, shared, wanted, forked = plan[i]
        if not wanted:
            continue
        if forked:
            parts = received.pop(i, None)
            gradients[i] = zero if parts is None else add(parts)
        elif gradients[i] is None:
            gradients[i] = zero
        gradient, local = gradients[i], partials[i]
        if block is not None:  # a layer's weights: ∂z/∂w is the source h, at the weight's own position
            first, stop = block
            gradients[first:stop] = [gradient * source for source in local[0:2 * (stop - first):2]]
        for operand, position in sole:  # the operand's only use: what it sends is its gradient
            gradients[operand] = gradient * local[position]
        for operand, position in shared:
            received.setdefault(operand, []).append(gradient * local[position])
    for i in range(graph.top + 1, len(graph.nodes)):  # nodes after the top (none so far) are not differentiated
        gradients[i] = zero if plan[i][3] else None
    return gradients


def _compiled(graph: Graph, rule: LocalRule, what, arithmetic) -> Callable:
    key = (id(rule), what, arithmetic.name)  # hashing a rule hashes its partials: 2000 of them, at every node
    cache = graph.compiled
    found = cache.get(key)
    if found is None or found[0] is not rule:  # (the rule kept beside: an id is only unique while its object lives)
        expression = rule.function if what == "value" else rule.partials[what]
        shared = arithmetic is EXACT or arithmetic is DECIMAL or arithmetic is EXACT_DECIDING  # no state of their own
        found = cache[key] = rule, (_compile if shared else compile_expression)(expression, rule.arguments, arithmetic)
    return found[1]


@functools.lru_cache(maxsize=512)  # a cache: every graph of a network has the same few activations and losses
def _compile(expression: sympy.Expr, arguments: tuple, arithmetic) -> Callable:
    return compile_expression(expression, arguments, arithmetic)


def _constant(value: sympy.Expr, convert, cache: dict):
    key = (value.p, value.q) if getattr(value, "is_Rational", False) else value  # SymPy hashes a Rational slowly
    if key not in cache:
        cache[key] = convert(value)
    return cache[key]


def _as_decimal(weight) -> Decimal:
    """An exact rational weight (0, ±1, 1/2, 1/3, ...) of the exact pass in the current decimal context."""
    numerator, denominator = (int(part) for part in weight.get_num_den())
    return Decimal(numerator) / Decimal(denominator)

