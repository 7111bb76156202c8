"""Shorter equal forms of exact values for people to read: 1/(1 + e), not exp(-1)/(exp(-1) + 1)."""

from __future__ import annotations

import functools

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
    """
    if expr.is_Rational or not isinstance(expr, sympy.Expr) or not at_most(expr, 200):
        return expr
    powers_of_e = expr.atoms(sympy.exp)
    if any(not power.args[0].is_Integer for power in powers_of_e):
        return expr  # exp of a non-integer is no power of e: not a rational function of e
    as_rational_function = expr.xreplace({power: _E ** power.args[0] for power in powers_of_e}).xreplace(
        {sympy.E: _E}
    )
    if not as_rational_function.is_rational_function(_E) or sympy.count_ops(as_rational_function) > 60:
        return expr  # cancel is only cheap and canonical for a small rational function of e
    cancelled = sympy.cancel(as_rational_function)
    candidates = [expr, cancelled.subs(_E, sympy.E), sympy.factor(cancelled).subs(_E, sympy.E)]
    return min(candidates, key=lambda c: (sympy.count_ops(c), len(str(c))))
