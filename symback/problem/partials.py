"""All first partial derivatives of a sum at once, each term differentiated once per shape.

A loss summed over K outputs has K terms of one shape, (ŷ_k − y_k)² for every k. Differentiating the whole sum by
each ŷ_k would take K² term derivatives (K = 2000 took minutes); here each term is differentiated only by the
symbols it contains, and a term's derivative (put in its shortest form) is worked out once per shape, with its
symbols renamed to stand-ins, then renamed back for every k.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sympy

RENAMED = 8  # symbols at most in an expression worked out through stand-ins; one in more is seldom repeated


def partials_of(expression: sympy.Expr, symbols: Sequence[sympy.Symbol],
                tidy: Callable[[sympy.Expr], sympy.Expr] = lambda expr: expr) -> tuple[sympy.Expr, ...]:
    """∂expression/∂s for each symbol s, by ``sympy.diff`` of the terms of the sum that contain s, each put through
    ``tidy`` (once per shape).

    >>> a, b = sympy.symbols("a b")
    >>> partials_of(a**2 + a*b + 3*b, (a, b))
    (2*a + b, a + 3)
    """
    wanted = set(symbols)
    terms_with: dict[sympy.Symbol, list[sympy.Expr]] = {symbol: [] for symbol in symbols}
    through_inner: dict[sympy.Symbol, list[sympy.Expr]] = {symbol: [] for symbol in symbols}
    for term in sympy.Add.make_args(expression):
        held = term.free_symbols & wanted
        chained = _through_inner_sum(term, [symbol for symbol in symbols if symbol in held]) \
            if len(held) > RENAMED else None
        for symbol in held:
            if chained is None:
                terms_with[symbol].append(term)
            else:
                through_inner[symbol].append(chained[symbol])
    derived, tidied = {}, {}
    partials = []
    for symbol in symbols:
        summed = sympy.Add(*[_once(derived, term, symbol, lambda t, s: t.diff(s)) for term in terms_with[symbol]],
                           *through_inner[symbol])
        partials.append(_once(tidied, summed, None, lambda t, _: tidy(t)))
    return tuple(partials)


def _through_inner_sum(term: sympy.Expr, held: list[sympy.Symbol]) -> dict[sympy.Symbol, sympy.Expr] | None:
    """∂term/∂s for each held symbol s by the chain rule through the sum u inside ``term`` that holds them all
    (softmax's Σ_j e^{ŷ_j} in log u): ∂term/∂u once, times ∂u/∂s from :func:`partials_of` of u, whose terms
    each hold one symbol. None where no such sum carries all of the term's dependence on them."""
    inner = next((node for node in sympy.preorder_traversal(term)
                  if node.is_Add and node is not term and set(held) <= node.free_symbols), None)
    if inner is None:
        return None
    stand_in = sympy.Dummy("u")
    outer = term.xreplace({inner: stand_in})
    if outer.free_symbols & set(held):
        return None
    outer_derivative = outer.diff(stand_in).xreplace({stand_in: inner})
    return {symbol: outer_derivative * partial for symbol, partial in zip(held, partials_of(inner, held))}


def _once(done: dict, expr: sympy.Expr, symbol: sympy.Symbol | None, work: Callable) -> sympy.Expr:
    """``work(expr, symbol)``, worked out on ``expr`` with its symbols renamed to stand-ins, so that it is done
    once for all expressions in ``done`` that differ only in their symbols' names."""
    symbols = sorted(expr.free_symbols | ({symbol} if symbol is not None else set()), key=lambda s: s.name)
    if len(symbols) > RENAMED:
        return work(expr, symbol)
    stand_ins = [sympy.Symbol(f"_{position}", **old.assumptions0) for position, old in enumerate(symbols)]
    forward, back = dict(zip(symbols, stand_ins)), dict(zip(stand_ins, symbols))
    key = (expr.xreplace(forward), forward.get(symbol))
    if key not in done:
        done[key] = work(*key)
    return done[key].xreplace(back)
