"""Shorter equal forms of exact values for people to read: 1/(1 + e), not exp(-1)/(exp(-1) + 1)."""

from __future__ import annotations

import functools

import sympy

_E = sympy.Symbol("_e_", positive=True)
MAX_LENGTH = 400  # longer values are left as they are: tidying them costs more than it helps


@functools.lru_cache(maxsize=4096)
def tidy(expr: sympy.Expr) -> sympy.Expr:
    """An equal, shorter form of an exact value that is a rational function of e; other values as they are.

    >>> tidy(sympy.exp(-1) / (sympy.exp(-1) + 1))
    1/(1 + E)
    >>> tidy(sympy.E / (1 + sympy.E) - 1 / (1 + sympy.E))
    (-1 + E)/(1 + E)
    """
    if expr.is_Rational or not isinstance(expr, sympy.Expr) or len(str(expr)) > MAX_LENGTH:
        return expr
    as_rational_function = expr.replace(
        lambda e: isinstance(e, sympy.exp) and e.args[0].is_Integer, lambda e: _E ** e.args[0]
    ).subs(sympy.E, _E)
    if not as_rational_function.is_rational_function(_E) or sympy.count_ops(as_rational_function) > 60:
        return expr  # cancel is only cheap and canonical for a small rational function of e
    cancelled = sympy.cancel(as_rational_function)
    candidates = [expr, cancelled.subs(_E, sympy.E), sympy.factor(cancelled).subs(_E, sympy.E)]
    return min(candidates, key=lambda c: (sympy.count_ops(c), len(str(c))))
