"""What a pass refuses, and how it says so: values outside a node's domain, and exact values too large to go on.

An exact pass checks every node's domain before computing it (the operation's own check, and the loss's) and
names the node that fails; a graph that guards sizes (an expression's, whose stages may double a value's size
each time) also refuses exact values with too many digits or too many operations to print. Signs on a kink
are decided exactly where SymEngine can, else with bounded work (more digits; SymPy's ``simplify`` on small values
only), else refused.
"""

from __future__ import annotations

import decimal
import functools
import math

import symengine
import sympy

from ..errors import SymbackError
from ..numbers.arithmetic import DecimalArithmetic, ExactArithmetic, UndecidableSign
from ..numbers.parse import MAX_DIGITS
from ..numbers.tidy import MAX_EXPANDED_TERMS, expanded_terms_at_most
from .graph import Graph, Node

MAX_VALUE_DIGITS = 4 * MAX_DIGITS  # an exact rational may have this many digits: Python writes 4,300 at most
MAX_TREE_NODES = 100_000  # nodes of an exact value written out as a tree: beyond, printing and SymPy take minutes
TOO_MANY_DIGITS = f"the exact value would have more than {MAX_VALUE_DIGITS} digits"
TOO_LONG = (f"its exact value would have more than {MAX_TREE_NODES} operations written out (a value used twice in "
            "every stage doubles it each stage)")
_UNDEFINED = (symengine.zoo, symengine.nan, symengine.oo, -symengine.oo)


class DomainError(SymbackError):
    """A value outside the domain a node needs (log of 0, division by 0, ŷ = 2 for binary cross-entropy)."""


class ExactTooLarge(DomainError):
    """An exact value too large to go on with, or a sign on a kink the exact arithmetic cannot decide: the point
    is in the domain as far as anyone can tell, and decimals may still go on (an optimizer's later steps)."""


DIGITS_NODES = 120  # nodes of a value evaluated to 1900 digits when 120 cannot tell its sign
PROOF_NODES = 40  # nodes of a value SymPy may try to prove 0 (simplify's cost has no bound of its own)
PROOF_E_DEGREE = 12  # highest power of e (in its common step) simplify may meet: e^144 took it seconds
PROOF_E_EXPONENT = 1000  # largest exponent of e simplify may meet: it evaluates e^(8·10^10) to all its digits


def node_count_at_most(value, limit: int) -> bool:
    """Whether a SymPy or SymEngine value has at most ``limit`` nodes written out as a tree; stops as soon as it
    has more (a shared subexpression counts once per use, so a deep network's value is never walked whole).

    >>> node_count_at_most(symengine.exp(1) / (1 + symengine.exp(1)), 10), node_count_at_most(sympy.E ** 2 + 1, 2)
    (True, False)
    """
    stack, seen = [value], 0
    while stack:
        seen += 1
        if seen > limit:
            return False
        stack.extend(stack.pop().args)
    return True


def bounded_sign(value) -> int:
    """The sign of an exact SymEngine value, decided with bounded work where 120 digits cannot tell: up to 1900
    digits for a value of at most :data:`DIGITS_NODES` nodes, then, for one of at most :data:`PROOF_NODES` whose
    powers of sums expand to few terms, a proof that it is 0 by expanding its numerator, or by SymPy's
    ``simplify`` on a rational function of e of degree at most :data:`PROOF_E_DEGREE` (simplify's cost grows
    with the degree: σ(49) − σ(−95), of degree 144, took seconds), each proof tried once for a value and its
    negative. A value none of these settle raises :class:`UndecidableSign`: neither 0 nor not 0 is claimed.

    >>> bounded_sign(1 / (1 + symengine.exp(-400)) - 1)  # −e^{-400}: 0 to 173 places, then not
    -1
    >>> bounded_sign(symengine.sin(3) ** 2 + symengine.cos(3) ** 2 - 1)
    0
    """
    try:
        return ExactArithmetic.sign(value)
    except UndecidableSign:
        pass  # within 10^-100 of 0: more digits, an exact proof, or a refusal, not a guess
    if node_count_at_most(value, DIGITS_NODES):
        for bits in (1600, 6400):  # as ExactArithmetic.sign at 400 bits: 20 digits kept as margin
            approximation = float(value.n(bits, real=True) * symengine.Integer(10) ** (int(bits * 0.301) - 20))
            if abs(approximation) > 1:
                return 1 if approximation > 0 else -1
    if node_count_at_most(value, PROOF_NODES):
        as_sympy = value._sympy_()  # SymPy's form is canonical: −(a + b − c) and c − (a + b) are one
        negated = -as_sympy  # a − b and b − a are one question (a tie is asked by the value, each partial, the table)
        if _proved_zero(negated if hash(negated) < hash(as_sympy) else as_sympy):
            return 0
    raise UndecidableSign(f"{_shortened(value)} is 0 to at least 100 decimal places, but no exact proof that it is 0 "
                          "was found within the work budget")


@functools.lru_cache(maxsize=256)  # a cache, as for compiled rules: the same tie is asked about several times
def _proved_zero(expr: sympy.Expr) -> bool:
    """Whether a small SymPy value is proved 0: written as 0, or its numerator expanded to 0, or ``simplify`` on a
    rational function of e of low degree; powers of sums that expand to many terms are not tried."""
    if expr == 0:
        return True
    if not expanded_terms_at_most(expr, MAX_EXPANDED_TERMS):
        return False  # (a + b + c + 1)^30 in a few nodes: thousands of terms for expand and simplify
    if sympy.expand(sympy.numer(sympy.together(expr))) == 0:
        return True
    return _low_degree_in_e(expr) and sympy.simplify(expr) == 0


def _low_degree_in_e(expr: sympy.Expr) -> bool:
    """Whether every power of e in ``expr`` is a small whole multiple of one step (e^{1/2}, e^3: yes; e^49
    beside e^95: no) and none is huge (e^(10^10): no), the only values ``simplify`` settles quickly."""
    exponents = [power.args[0] for power in expr.atoms(sympy.exp)] + ([sympy.Integer(1)] if expr.has(sympy.E) else [])
    if any(not exponent.is_Rational or abs(exponent) > PROOF_E_EXPONENT for exponent in exponents):
        return False
    exponents = [exponent for exponent in exponents if exponent != 0]
    if not exponents:
        return True
    step = sympy.Rational(math.gcd(*(abs(int(e.p)) for e in exponents)), math.lcm(*(int(e.q) for e in exponents)))
    return max(abs(exponent / step) for exponent in exponents) <= PROOF_E_DEGREE


def _shortened(value) -> str:
    text = str(value) if node_count_at_most(value, 60) else "a long exact value"
    return text if len(text) <= 60 else text[:57] + "..."


class DecidingExactArithmetic(ExactArithmetic):
    """Exact arithmetic whose sign also recognizes zeros SymEngine leaves unsimplified, such as
    ``exp(log(2)) - 2``, with bounded work (:func:`bounded_sign`): a tie of max or min, relu or abs on its kink,
    a log of 0; a sign that cannot be decided within the budget stays undecidable.

    >>> EXACT_DECIDING.sign(symengine.exp(symengine.log(2)) - 2)
    0
    """

    name = "exact-deciding"
    sign = staticmethod(bounded_sign)


EXACT_DECIDING = DecidingExactArithmetic()


def mixed_sign(arithmetic):
    """A sign for a decimal pass's domain checks, where constant operands keep their exact values.

    >>> from symback.numbers.arithmetic import DECIMAL
    >>> sign = mixed_sign(DECIMAL)
    >>> sign(decimal.Decimal("-0.5")), sign(symengine.Integer(0))
    (-1, 0)
    """

    def sign(value) -> int:
        return arithmetic.sign(value) if isinstance(value, decimal.Decimal) else EXACT_DECIDING.sign(value)

    return sign


def where(node: Node) -> str:
    """Where a node sits, for messages: its stage and its formula (an expression's), or its name.

    >>> where(Node("q3", "operation", "log", (2,), stage="f", function=sympy.log(sympy.Symbol("q2"))))
    'expression stage f, node q3 = log(q2)'
    """
    if node.function is None:
        return f"node {node.name}"
    place = f"expression stage {node.stage}" if node.stage else "the loss"
    return f"{place}, node {node.name} = {node.function}"


def fail(graph: Graph, node: Node, operand_values: list, problem: str, error_type: type = DomainError):
    """Raise ``error_type`` naming the node and its operands' values ("{0}" in ``problem`` is the first).

    >>> graph = Graph()
    >>> x = graph.add(Node("x", "variable", "variable"))
    >>> q = graph.add(Node("q1", "operation", "log", (x,), stage="f", function=sympy.log(sympy.Symbol("x"))))
    >>> fail(graph, graph.nodes[q], [symengine.Integer(0)], "log needs an argument > 0, but {0}")
    Traceback (most recent call last):
    symback.engine.guards.DomainError: expression stage f, node q1 = log(x): log needs an argument > 0, but x = 0
    """
    labels = [_label(graph, operand, value) for operand, value in zip(node.operands, operand_values)]
    if node.kind != "loss":
        place = where(node)
    elif node.function is None:  # a network's loss: the message names ŷ itself
        raise error_type(problem.format(*labels))
    else:
        place = f"the loss, node {node.name} = {graph.loss.name}({graph.nodes[node.operands[0]].name}, y)"
    raise error_type(f"{place}: {problem.format(*labels)}")


def _label(graph: Graph, operand, value) -> str:
    shown = f"{value:.6g}" if isinstance(value, decimal.Decimal) else str(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return f"{graph.nodes[operand].name} = {shown}" if isinstance(operand, int) else shown


def domain_problem(graph: Graph, node_id: int, values: list, sign) -> str | None:
    """What is wrong with the operands' values of a node, or None (the rule's own check).

    >>> from symback.engine.circuit import build_circuit
    >>> from symback.problem.model import ExpressionSpec
    >>> graph = build_circuit(ExpressionSpec((("f", "log(x)"),), {"x": 1}))
    >>> domain_problem(graph, graph.index["f"], [symengine.Integer(0)], EXACT_DECIDING.sign)
    'log needs an argument > 0, but {0}'
    """
    rule = graph.rules[node_id]
    check = getattr(rule, "domain", None)
    if check is None:
        return None
    return check(values, [isinstance(operand, int) for operand in graph.nodes[node_id].operands], sign)


def decimal_node_problem(values: list) -> str | None:
    """A decimal pass's value or partial that is not a finite number.

    >>> decimal_node_problem([decimal.Decimal(1), None]), decimal_node_problem([decimal.Decimal("Infinity")])
    (None, 'the value is undefined or infinite')
    """
    if not all(number is None or number.is_finite() for number in values):
        return "the value is undefined or infinite"
    return None


class TreeSizes:
    """How many nodes a SymEngine value has written out as a tree, each shared subexpression counted once per
    use but measured once: s·x + sin(s) over many stages doubles the tree a stage at no cost here.

    >>> x = symengine.Symbol("x")
    >>> TreeSizes()(x * (x + 1))
    5
    """

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


def power_fits(values: list) -> bool:
    """Whether base^exponent stays within :data:`MAX_VALUE_DIGITS` digits (exact operands of a pow node).

    >>> power_fits([symengine.Integer(10), symengine.Integer(100)]), power_fits([symengine.Integer(10), symengine.Integer(10**6)])
    (True, False)
    """
    base, exponent = values
    if not isinstance(exponent, symengine.Rational):
        return True
    numerator, denominator = (abs(int(part)) for part in exponent.get_num_den())
    return (numerator / denominator) * _digits(base) <= MAX_VALUE_DIGITS


def activation_powers_fit(function: sympy.Expr, slot: sympy.Symbol, argument) -> bool:
    """Whether the powers in an author's activation (``z^1000``) stay within :data:`MAX_VALUE_DIGITS` digits at
    ``slot = argument``, checked before SymEngine computes them (2^(10^12) would take it hours); a base other than
    z itself is taken to have a digit more than z.

    >>> z = sympy.Symbol("z")
    >>> activation_powers_fit(z**1000, z, symengine.Integer(2)), activation_powers_fit(z**10**6, z, symengine.Integer(2))
    (True, False)
    >>> activation_powers_fit((z + 1)**10**9, z, symengine.Integer(0))
    False
    """
    digits = _digits(argument)
    for power in function.atoms(sympy.Pow):
        if isinstance(power.exp, sympy.Rational) and power.base.has(slot):
            base_digits = digits if power.base == slot else digits + 1
            if abs(power.exp) * base_digits > MAX_VALUE_DIGITS:
                return False
    return True


def size_problem(values: list, tree_size: TreeSizes) -> str | None:
    """What makes an exact value too large to go on with (or undefined), or None.

    >>> size_problem([symengine.Integer(2) ** 100], TreeSizes()), size_problem([symengine.zoo], TreeSizes())
    (None, 'the value is undefined or infinite')
    """
    for value in values:
        if value is None:
            continue
        if tree_size(value) > MAX_TREE_NODES:
            return TOO_LONG
        parts = _parts(value)
        if any(part in _UNDEFINED for part in parts):
            return "the value is undefined or infinite"
        if sum(_rational_digits(part) for part in parts if isinstance(part, symengine.Rational)) > MAX_VALUE_DIGITS:
            return TOO_MANY_DIGITS
    return None


def check_gradient_sizes(graph: Graph, gradients: list, tree_size: TreeSizes) -> None:
    """Refuse a gradient too long to write out (:class:`ExactTooLarge` naming it).

    >>> graph = Graph()
    >>> graph.top = graph.add(Node("f", "variable", "variable"))
    >>> check_gradient_sizes(graph, [symengine.Integer(1)], TreeSizes()) is None
    True
    """
    for node, gradient in zip(graph.nodes, gradients):
        if gradient is not None and tree_size(gradient) > MAX_TREE_NODES:
            top = graph.nodes[graph.top].name
            raise ExactTooLarge(f"the gradient d{top}/d{node.name}: {TOO_LONG}")


def is_decimal(arithmetic) -> bool:
    """Whether a pass in ``arithmetic`` computes in decimals (and decides its branches from them).

    >>> from symback.numbers.arithmetic import DECIMAL
    >>> is_decimal(DECIMAL), is_decimal(EXACT_DECIDING)
    (True, False)
    """
    return isinstance(arithmetic, DecimalArithmetic)
