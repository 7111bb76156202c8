"""The forward and the backward pass over a :class:`~symback.engine.circuit.Circuit`, exact or in decimals.

Forward, node by node: the value from the operands' values, and the local partial ∂node/∂operand for every
operand (compiled from the node's SymPy rule). Backward, from ∂top/∂top = 1 (top is f, or L with a loss): a
node's gradient is the sum of what its uses send it, gradient of the user × local partial (gradients add at
forks). The exact pass checks every operation's domain first and names the node that fails. A decimal pass
follows an exact pass: abs, relu, max and min take the branch and tie rule the exact pass decided (their
partials there are exact rationals, and their value is Σ partial · operand), so that decimals never take
another branch than the exact values at a kink. A decimal pass with nothing to follow (an optimizer's later
steps, whose exact values grew too large) decides every branch and domain from its own decimals.

Variables take their values from the exact ``point``, or from ``given`` values already in the pass's arithmetic
(an optimizer's parameters as it moves them).
"""

from __future__ import annotations

import decimal
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Mapping

import symengine
import sympy

from ..numbers.arithmetic import (
    DecimalArithmetic,
    ExactArithmetic,
    UndecidableSign,
    compile_expression,
)
from ..numbers.parse import MAX_DIGITS
from ..problem.operations import OPERATIONS
from .circuit import Circuit, CircuitNode
from .passes import DomainError

MAX_VALUE_DIGITS = 10 * MAX_DIGITS  # an exact rational in the circuit may have this many digits, no more
MAX_TREE_NODES = 100_000  # nodes of an exact value written out as a tree: beyond, printing and SymPy take minutes
_TOO_MANY_DIGITS = f"the exact value would have more than {MAX_VALUE_DIGITS} digits"
_TOO_LONG = (f"its exact value would have more than {MAX_TREE_NODES} operations written out (a value used twice in "
             "every stage doubles it each stage)")
_UNDEFINED = (symengine.zoo, symengine.nan, symengine.oo, -symengine.oo)


class CircuitDomainError(DomainError):
    """A node that cannot be computed or differentiated at the point (log of 0, division by 0, a huge value)."""


class ExactTooLarge(CircuitDomainError):
    """An exact value too large to go on with, or a sign on a kink the exact arithmetic cannot decide: the point
    is in the domain as far as anyone can tell, and decimals may still go on (an optimizer's later steps)."""


class DecidingExactArithmetic(ExactArithmetic):
    """Exact arithmetic whose sign also recognizes zeros SymEngine leaves unsimplified, such as
    ``exp(log(2)) - 2``: where 120 digits cannot tell, SymPy's evaluation and ``simplify`` decide (a tie of max
    or min, relu or abs on its kink, a log of 0), else the sign stays undecidable."""

    name = "exact-deciding"

    @staticmethod
    def sign(value) -> int:
        try:
            return ExactArithmetic.sign(value)
        except UndecidableSign:
            as_sympy = value._sympy_()
            if as_sympy == 0 or (sympy.count_ops(as_sympy) <= 200 and sympy.simplify(as_sympy) == 0):
                return 0
            raise


EXACT_DECIDING = DecidingExactArithmetic()


@dataclass
class CircuitPass:
    """Values, local partials, contributions and gradients of every node in one arithmetic.

    ``partials[i][k]`` is ∂node_i/∂(its k-th operand) (None for a constant operand); ``contributions[i][k]`` is
    ``gradients[i] * partials[i][k]``, what node i sends back to that operand; ``gradients[i]`` is ∂top/∂node_i.
    """

    circuit: Circuit
    arithmetic: object
    values: list
    partials: list[tuple]
    contributions: list[tuple]
    gradients: list


def run_circuit_pass(
    circuit: Circuit,
    arithmetic,
    point: Mapping[str, sympy.Expr],
    target: sympy.Expr | None = None,
    *,
    follow: CircuitPass | None = None,
    given: Mapping[str, object] | None = None,
) -> CircuitPass:
    """Forward and backward pass at ``point`` (variable -> exact SymPy value); ``target`` is y for the loss.

    An exact pass (``arithmetic`` is :data:`EXACT_DECIDING` or :data:`symback.numbers.arithmetic.EXACT`) and a decimal
    pass without ``follow`` check each node's domain, and errors name the node. A decimal pass may ``follow``
    an exact one (see the module's docstring). ``given`` values (in ``arithmetic``) override ``point``'s.

    >>> from symback.engine.circuit import build_circuit
    >>> from symback.problem.model import ExpressionSpec
    >>> circuit = build_circuit(ExpressionSpec((("f", "(x + y) * z"),), {"x": -2, "y": 5, "z": -4}))
    >>> point = {"x": sympy.Integer(-2), "y": sympy.Integer(5), "z": sympy.Integer(-4)}
    >>> p = run_circuit_pass(circuit, EXACT_DECIDING, point)
    >>> p.values[-1], p.gradients[:4]
    (-12, [-4, -4, 3, -4])
    """
    convert = arithmetic.from_sympy
    nodes, rules = circuit.nodes, circuit.rules
    values: list = [None] * len(nodes)
    partials: list[tuple] = [()] * len(nodes)
    constants: dict = {}
    given = given or {}
    for i in circuit.variables:
        name = nodes[i].name
        values[i] = given[name] if name in given else convert(point[name])
    extra = [] if circuit.loss is None else [convert(target)]
    if circuit.loss is not None and follow is None:
        _check_target(circuit, target)
    deciding = follow is None and isinstance(arithmetic, DecimalArithmetic)
    tree_size = _TreeSizes()
    for i, (node, rule) in enumerate(zip(nodes, rules)):
        if rule is None:
            continue
        operand_values = [values[o] if isinstance(o, int) else _constant(o, convert, constants) for o in node.operands]
        arguments = [values[o] for o in node.operands if isinstance(o, int)] + extra * bool(rule.extra)
        if deciding:
            values[i], partials[i] = _decimal_node(circuit, i, operand_values, arguments, arithmetic)
        elif follow is None:
            values[i], partials[i] = _exact_node(circuit, i, operand_values, arguments, arithmetic, tree_size)
        elif rule.piecewise_linear:
            weights = tuple(_as_decimal(weight) for weight in follow.partials[i])
            values[i] = arithmetic.add([w * v for w, v in zip(weights, operand_values)])
            partials[i] = weights
        else:
            values[i] = _compiled(circuit, i, "value", arithmetic)(*arguments)
            partials[i] = _partials(circuit, i, arithmetic, arguments)
    contributions, gradients = _backward(circuit, arithmetic, partials)
    if follow is None and not deciding:
        _check_gradient_sizes(circuit, gradients, tree_size)
    return CircuitPass(circuit, arithmetic, values, partials, contributions, gradients)


def _backward(circuit: Circuit, arithmetic, partials: list[tuple]) -> tuple[list, list]:
    """Reverse accumulation from ∂top/∂top = 1: each node's gradient is the sum of what its uses send it."""
    gradients: list = [arithmetic.zero] * len(circuit.nodes)
    contributions: list[tuple] = [()] * len(circuit.nodes)
    received: dict[int, list] = {circuit.top: [arithmetic.one]}
    for i in range(circuit.top, -1, -1):
        gradient = arithmetic.add(received.pop(i, []))
        gradients[i] = gradient
        sent = []
        for operand, partial in zip(circuit.nodes[i].operands, partials[i]):
            if not isinstance(operand, int):
                sent.append(None)
                continue
            sent.append(arithmetic.mul([gradient, partial]))
            received.setdefault(operand, []).append(sent[-1])
        contributions[i] = tuple(sent)
    return contributions, gradients


def _check_gradient_sizes(circuit: Circuit, gradients: list, tree_size: _TreeSizes) -> None:
    for node, gradient in zip(circuit.nodes, gradients):
        if tree_size(gradient) > MAX_TREE_NODES:
            top = circuit.nodes[circuit.top].name
            raise ExactTooLarge(f"the gradient d{top}/d{node.name}: {_TOO_LONG}")


def _exact_node(circuit: Circuit, i: int, operand_values: list, arguments: list, arithmetic,
                tree_size: _TreeSizes) -> tuple:
    node = circuit.nodes[i]
    error_type = CircuitDomainError
    try:
        problem = _domain_problem(circuit, node, operand_values, arithmetic.sign)
        if problem is None and node.operation == "pow" and not _power_fits(operand_values):
            problem, error_type = f"{{0}} raised to {operand_values[1]}: {_TOO_MANY_DIGITS}", ExactTooLarge
        if problem is None:
            value = _compiled(circuit, i, "value", arithmetic)(*arguments)
            partials = _partials(circuit, i, arithmetic, arguments)
            problem = _size_problem([value, *partials], tree_size)
            error_type = ExactTooLarge
    except UndecidableSign as error:
        problem, error_type = f"cannot decide the sign of a value on a kink ({error})", ExactTooLarge
    except (ArithmeticError, RuntimeError, ValueError) as error:  # whatever SymEngine raises on odd values
        problem = f"cannot compute this: {type(error).__name__}: {str(error)[:80]}"
    if problem is not None:
        _fail(circuit, node, operand_values, problem, error_type)
    return value, partials


def _decimal_node(circuit: Circuit, i: int, operand_values: list, arguments: list, arithmetic) -> tuple:
    """A node in decimals, its domain judged from the decimals (constant operands keep their exact values, so
    that (−2)^2 is still an integer power)."""
    node = circuit.nodes[i]
    judged = [value if isinstance(operand, int) else EXACT_DECIDING.from_sympy(operand)
              for operand, value in zip(node.operands, operand_values)]
    try:
        problem = _domain_problem(circuit, node, judged, _mixed_sign)
    except (TypeError, ValueError, RuntimeError):  # a check written for exact values only (tan's cos = 0)
        problem = None
    if problem is None:
        try:
            value = _compiled(circuit, i, "value", arithmetic)(*arguments)
            partials = _partials(circuit, i, arithmetic, arguments)
            if not all(number is None or number.is_finite() for number in (value, *partials)):
                problem = "the value is undefined or infinite"
        except decimal.DecimalException as error:
            problem = f"cannot compute this in decimals ({type(error).__name__}: the numbers are far too large?)"
    if problem is not None:
        _fail(circuit, node, operand_values, problem)
    return value, partials


def _mixed_sign(value) -> int:
    return DecimalArithmetic.sign(value) if isinstance(value, decimal.Decimal) else EXACT_DECIDING.sign(value)


def _fail(circuit: Circuit, node: CircuitNode, operand_values: list, problem: str,
          error_type: type = CircuitDomainError):
    labels = [_label(circuit, operand, value) for operand, value in zip(node.operands, operand_values)]
    place = where(node) if node.operation != "loss" else \
        f"the loss, node {node.name} = {circuit.loss.name}({circuit.nodes[node.operands[0]].name}, y)"
    raise error_type(f"{place}: {problem.format(*labels)}")


def where(node: CircuitNode) -> str:
    """Where a node sits, for messages: its stage and its formula.

    >>> where(CircuitNode("q3", "log", (2,), "f", sympy.log(sympy.Symbol("q2"))))
    'expression stage f, node q3 = log(q2)'
    """
    place = f"expression stage {node.stage}" if node.stage else "the loss"
    return f"{place}, node {node.name} = {node.function}"


def _label(circuit: Circuit, operand, value) -> str:
    shown = f"{value:.6g}" if isinstance(value, decimal.Decimal) else str(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return f"{circuit.nodes[operand].name} = {shown}" if isinstance(operand, int) else shown


def _domain_problem(circuit: Circuit, node: CircuitNode, values: list, sign) -> str | None:
    if node.operation == "loss":
        return _loss_problem(circuit, values[0], sign)
    entry = OPERATIONS[node.operation]
    if entry.domain is None:
        return None
    return entry.domain(values, [isinstance(operand, int) for operand in node.operands], sign)


def _loss_problem(circuit: Circuit, output, sign) -> str | None:
    if circuit.loss.name == "binary_cross_entropy" and (sign(output) <= 0 or sign(1 - output) <= 0):
        return "binary_cross_entropy needs 0 < f < 1, but {0}"
    return None


def _check_target(circuit: Circuit, target: sympy.Expr) -> None:
    name = circuit.loss.name
    if name == "binary_cross_entropy" and not 0 <= target <= 1:
        raise CircuitDomainError(f"binary_cross_entropy needs a target y between 0 and 1, got y = {target}")
    if name == "softmax_cross_entropy" and target != 1:
        raise CircuitDomainError(f"softmax_cross_entropy of one output needs the one-hot target y = 1, got y = {target}")


def _parts(value) -> list:
    """The distinct subexpressions of a SymEngine value, each visited once (shared parts are not walked again)."""
    seen, pending = set(), [value]
    while pending:
        node = pending.pop()
        if node not in seen:
            seen.add(node)
            pending.extend(node.args)
    return list(seen)


def _digits(value) -> float:
    """Digits of the exact rationals inside a SymEngine value (the largest numerator or denominator, summed)."""
    if not isinstance(value, symengine.Basic):
        return 0.0
    return sum(_rational_digits(part) for part in _parts(value) if isinstance(part, symengine.Rational))


def _rational_digits(number) -> float:
    numerator, denominator = (abs(int(part)) for part in number.get_num_den())
    return (max(numerator, denominator, 1).bit_length() - 1) * math.log10(2)  # ±1 and 0: none


class _TreeSizes:
    """How many nodes a SymEngine value has written out as a tree, each shared subexpression counted once per
    use but measured once: s·x + sin(s) over many stages doubles the tree a stage at no cost here."""

    def __init__(self):
        self.sizes: dict = {}

    def __call__(self, value) -> int:
        pending = [value]
        while pending:
            node = pending[-1]
            if node in self.sizes:
                pending.pop()
                continue
            missing = [arg for arg in node.args if arg not in self.sizes]
            if missing:
                pending.extend(missing)
            else:
                self.sizes[pending.pop()] = 1 + sum(self.sizes[arg] for arg in node.args)
        return self.sizes[value]


def _power_fits(values: list) -> bool:
    base, exponent = values
    if not isinstance(exponent, symengine.Rational):
        return True
    numerator, denominator = (abs(int(part)) for part in exponent.get_num_den())
    return (numerator / denominator) * _digits(base) <= MAX_VALUE_DIGITS


def _size_problem(values: list, tree_size: _TreeSizes) -> str | None:
    for value in values:
        if value is None:
            continue
        if tree_size(value) > MAX_TREE_NODES:
            return _TOO_LONG
        parts = _parts(value)
        if any(part in _UNDEFINED for part in parts):
            return "the value is undefined or infinite"
        if sum(_rational_digits(part) for part in parts if isinstance(part, symengine.Rational)) > MAX_VALUE_DIGITS:
            return _TOO_MANY_DIGITS
    return None


def _compiled(circuit: Circuit, i: int, what, arithmetic) -> Callable:
    key = (i, what, arithmetic.name)
    if key not in circuit.compiled:
        rule = circuit.rules[i]
        expression = rule.function if what == "value" else rule.partials[what]
        circuit.compiled[key] = compile_expression(expression, rule.arguments, arithmetic)
    return circuit.compiled[key]


def _partials(circuit: Circuit, i: int, arithmetic, arguments: list) -> tuple:
    rule = circuit.rules[i]
    return tuple(None if partial is None else _compiled(circuit, i, k, arithmetic)(*arguments)
                 for k, partial in enumerate(rule.partials))


def _constant(value: sympy.Expr, convert, cache: dict):
    if value not in cache:
        cache[value] = convert(value)
    return cache[value]


def _as_decimal(weight) -> Decimal:
    """An exact rational weight (0, ±1, 1/2, 1/3, ...) of the exact pass in the current decimal context."""
    numerator, denominator = (int(part) for part in weight.get_num_den())
    return Decimal(numerator) / Decimal(denominator)
