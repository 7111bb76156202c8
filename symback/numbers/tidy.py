"""Shorter equal forms of exact values for people to read: 1/(1 + e), not exp(-1)/(exp(-1) + 1)."""

from __future__ import annotations

import functools
import math

import sympy

_E = sympy.Symbol("_e_", positive=True)


def at_most(expr: sympy.Expr, nodes: int) -> bool:
    """Whether ``expr`` has at most this many nodes; stops counting early (count_ops walks all of a huge value)."""
    for count, _ in enumerate(sympy.preorder_traversal(expr), 1):
        if count > nodes:
            return False
    return True


@functools.lru_cache(maxsize=4096)
def tidy(expr: sympy.Expr) -> sympy.Expr:
    """An equal, shorter form of an exact value that is a rational function of e; other values as they are.

    >>> tidy(sympy.exp(-1) / (sympy.exp(-1) + 1))
    1/(1 + E)
    >>> tidy(sympy.E / (1 + sympy.E) - 1 / (1 + sympy.E))
    (-1 + E)/(1 + E)
    >>> tidy(1 / ((1 + sympy.exp(sympy.Rational(-11, 4))) * sympy.exp(sympy.Rational(11, 4))))
    1/(1 + exp(11/4))

    A form with a fraction inside a fraction (unreadable inline) gives way to one flat fraction:

    >>> tidy((3 + 1 / (1 + sympy.exp(4))) / (1 + 1 / (1 + sympy.exp(-3))))
    (1 + exp(3))*(4 + 3*exp(4))/((1 + 2*exp(3))*(1 + exp(4)))
    """
    if expr.is_Rational or not isinstance(expr, sympy.Expr) or not at_most(expr, 200):
        return expr
    if any(max(abs(number.p), number.q).bit_length() > COEFFICIENT_BITS for number in expr.atoms(sympy.Rational)):
        return expr  # factor's work grows with the coefficients: one of 10^180 took it a second
    powers_of_e = expr.atoms(sympy.exp)
    exponents = [power.args[0] for power in powers_of_e] + ([sympy.Integer(1)] if expr.has(sympy.E) else [])
    if not exponents or any(not exponent.is_Rational for exponent in exponents):
        return expr  # exp of an irrational is no power of one number: not a rational function of one
    step = _common_step(exponents)  # every exponent is a whole multiple of it: e^{11/4} and e^{-11/4} of e^{11/4}
    if max(abs(exponent / step) for exponent in exponents) > 12:
        # a polynomial of high degree in e^step: cancelling it costs more than it tidies; a shift may still do
        shift = at_most(expr, 60) and len(exponents) <= 4 and expanded_terms_at_most(expr, MAX_EXPANDED_TERMS)
        return _shortest([expr, *_shifted(expr, exponents)]) if shift else expr
    as_rational_function = expr.xreplace({power: _E ** (power.args[0] / step) for power in powers_of_e}).xreplace(
        {sympy.E: _E ** (1 / step)}
    )
    if not as_rational_function.is_rational_function(_E) or sympy.count_ops(as_rational_function) > 60 or \
            not expanded_terms_at_most(as_rational_function, MAX_EXPANDED_TERMS):
        return expr  # cancel is only cheap and canonical for a small rational function of e, and few terms expanded
    cancelled = sympy.cancel(as_rational_function)
    base = sympy.exp(step)
    return _shortest([expr, cancelled.subs(_E, base), sympy.factor(cancelled).subs(_E, base),
                      sympy.together(as_rational_function).subs(_E, base)])  # together keeps 1 + e^3 whole


COEFFICIENT_BITS = 128  # bits of the largest numerator or denominator of a value tidy works on (39 digits)
MAX_EXPANDED_TERMS = 64  # terms a power of a sum in a value may expand to before a shifted form is tried


def expanded_terms_at_most(expr: sympy.Expr, terms: int) -> bool:
    """Whether every power of a sum in ``expr`` expands to at most ``terms`` terms ((a + b + c + 1)^30 expands to
    5,456, which ``expand`` takes seconds over), counted before anything is expanded.

    >>> a, b = sympy.exp(sympy.Rational(1, 3)), sympy.exp(sympy.Rational(1, 5))
    >>> expanded_terms_at_most((a + b + 1) ** 5, 64), expanded_terms_at_most((a + b + 1) ** 30, 64)
    (True, False)
    """
    for node in sympy.preorder_traversal(expr):
        if node.is_Pow and node.base.is_Add and node.exp.is_Integer:
            count = len(node.base.args)
            if math.comb(abs(int(node.exp)) + count - 1, count - 1) > terms:
                return False
    return True


def _shortest(candidates: list) -> sympy.Expr:
    """The fewest operations, but never a fraction inside a fraction where a flat form is among them."""
    return min(candidates, key=lambda c: (nested_fraction(c), sympy.count_ops(c), len(str(c))))


def nested_fraction(expr: sympy.Expr) -> bool:
    """Whether ``expr`` prints with a fraction inside a fraction's numerator or denominator (a sum of fractions
    is not one; e^{-3} prints as a power, not a fraction).

    >>> e = sympy.E
    >>> nested_fraction(1 / (1 + 1 / (1 + e))), nested_fraction(8 * e / (1 + e) - 1), nested_fraction((e / 2 + 1) / (1 + e))
    (True, False, True)
    """
    for node in sympy.preorder_traversal(expr):
        if node.is_Mul or node.is_Pow:
            numerator, denominator = sympy.fraction(node)
            if denominator != 1 and (_has_fraction(numerator) or _has_fraction(denominator)):
                return True
    return False


def _has_fraction(expr: sympy.Expr) -> bool:
    for node in sympy.preorder_traversal(expr):
        if (node.is_Rational and not node.is_Integer) or (node.is_Pow and node.exp.is_negative):
            return True
    return False


def _shifted(expr: sympy.Expr, exponents) -> list:
    """``expr`` as one fraction with numerator and denominator times e^(−c), for c = 0 and each exponent:
    a softmax probability e^a/(e^a + e^b) becomes 1/(1 + e^(b − a)).

    >>> a, b = sympy.Rational(-3, 5), sympy.Rational(23, 10)
    >>> _shortest(_shifted(sympy.exp(a) / (sympy.exp(a) + sympy.exp(b)), [a, b]))
    1/(1 + exp(29/10))
    """
    numerator, denominator = sympy.fraction(sympy.together(expr))
    shifted = []
    for c in dict.fromkeys([sympy.Integer(0), *exponents]):
        top = sympy.powsimp(sympy.expand(sympy.powsimp(numerator * sympy.exp(-c))))
        bottom = sympy.powsimp(sympy.expand(sympy.powsimp(denominator * sympy.exp(-c))))
        shifted.append(top / bottom)
    return shifted


def _common_step(exponents) -> sympy.Rational:
    """The largest rational of which every exponent is a whole multiple.

    >>> _common_step([sympy.Rational(11, 4), sympy.Rational(-11, 4)]), _common_step([sympy.Integer(1), sympy.Rational(1, 2)])
    (11/4, 1/2)
    """
    numerators = [abs(int(e.p)) for e in exponents if e != 0]
    denominators = [int(e.q) for e in exponents if e != 0]
    if not numerators:
        return sympy.Integer(1)
    return sympy.Rational(math.gcd(*numerators), math.lcm(*denominators))
