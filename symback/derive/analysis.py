"""Binary cross-entropy as a function of the prediction p: limits, derivative, minimum, by SymPy."""

from __future__ import annotations

import functools
from decimal import Decimal

import sympy

from ..numbers.rounding import round_exact
from .prose import Prose, math, sentence
from .steps import CrossEntropyAnalysisStep, LimitRow, Quantity

P = sympy.Symbol("p", positive=True)
Y = sympy.Symbol("y", real=True)
TABLE_POINTS = (sympy.Rational(1, 100), sympy.Rational(1, 10), sympy.Rational(1, 2), sympy.Rational(9, 10),
                sympy.Rational(99, 100))


def _decimal(value: sympy.Expr, digits: int) -> Decimal:
    return round_exact(value, digits, guard=20)


def end_limit(form: sympy.Expr, point: int) -> sympy.Expr:
    """The limit of ``form`` as p tends to ``point`` (0 or 1) from inside (0, 1), for ``form`` a sum of constants
    and constant multiples of log(a(p)) with a(p) a polynomial: a(p) tends to a(point); where that is positive the
    log tends to log(a(point)), where it is 0 and a(p) is positive just inside, to −∞. Anything else, or +∞ − ∞,
    goes to ``sympy.limit``. SymPy's answer without its series machinery (it cost more than the rest of the
    analysis); tests/cli/test_startup.py holds the two against each other.

    >>> end_limit(-sympy.log(P), 0), end_limit(-sympy.log(1 - P), 0), end_limit(2 * sympy.log(P * (1 - P)), 1)
    (oo, 0, -oo)
    """
    if point not in (0, 1):
        raise ValueError(f"p tends to 0 or 1 from inside (0, 1), not to {point}")
    total, infinite = sympy.Integer(0), set()
    for term in sympy.Add.make_args(sympy.expand_log(form, force=False)):
        coefficient, logarithm = term.as_independent(P, as_Add=False)
        if logarithm == 1 and coefficient.is_finite:  # a constant term
            total += coefficient
            continue
        if not (isinstance(logarithm, sympy.log) and logarithm.args[0].is_polynomial(P) and coefficient.is_real):
            return _sympy_limit(form, point)
        at_point = logarithm.args[0].subs(P, point)
        if at_point == 0 and coefficient != 0 and _positive_inside(logarithm.args[0], point):
            infinite.add(-sympy.sign(coefficient))  # log → −∞ times the coefficient
        elif at_point.is_positive:
            total += coefficient * sympy.log(at_point)
        else:
            return _sympy_limit(form, point)
    if len(infinite) > 1:
        return _sympy_limit(form, point)  # +∞ − ∞: SymPy weighs the rates
    return infinite.pop() * sympy.oo if infinite else total


def _positive_inside(polynomial: sympy.Expr, point: int) -> bool:
    """Whether a polynomial in p that is 0 at ``point`` is positive just inside (0, 1): its lowest nonzero term
    in the distance t from the end is."""
    t = sympy.Dummy("t", positive=True)
    shifted = sympy.Poly(polynomial.subs(P, t if point == 0 else 1 - t), t)
    lowest = next((c for c in reversed(shifted.all_coeffs()) if c != 0), None)
    return bool(lowest is not None and lowest.is_positive)


def _sympy_limit(form: sympy.Expr, point: int) -> sympy.Expr:
    return sympy.limit(form, P, point, "+" if point == 0 else "-")


@functools.lru_cache(maxsize=16)
def cross_entropy_analysis(digits: int = 4) -> CrossEntropyAnalysisStep:
    """Analyse L(p, y) = −[y log p + (1 − y) log(1 − p)] symbolically (once per rounding in a process: the
    analysis does not depend on the problem).

    >>> step = cross_entropy_analysis()
    >>> [(row.target, row.approach, row.limit) for row in step.limits]
    [(1, '0+', oo), (1, '1-', 0), (0, '0+', 0), (0, '1-', oo)]
    >>> step.through_sigmoid
    p - y
    """
    loss = -(Y * sympy.log(P) + (1 - Y) * sympy.log(1 - P))
    by_target = tuple((target, loss.subs(Y, target)) for target in (sympy.Integer(1), sympy.Integer(0)))
    limits = tuple(
        LimitRow(target, side, form, end_limit(form, point))
        for target, form in by_target
        for side, point in (("0+", 0), ("1-", 1))
    )
    derivative = sympy.together(sympy.diff(loss, P))  # one fraction is enough for its zeros (factor costs more)
    numerator, _ = sympy.fraction(derivative)
    taught = (P - Y) / (P * (1 - P))  # as taught (SymPy factors it as (y − p)/(p(p − 1))); a test holds it
    stationary = tuple(sympy.solve(numerator, P))  # the denominator p(1 − p) is never 0 on (0, 1)
    # p = σ(z) has dp/dz = σ'(z) = p(1 − p), so the chain rule gives ∂L/∂z in terms of p.
    through_sigmoid = sympy.expand(sympy.cancel(derivative * P * (1 - P)))
    table = tuple(
        (point, tuple(Quantity(f"L(p={point}, y={t})", form.subs(P, point), _decimal(form.subs(P, point), digits))
                      for t, form in by_target))
        for point in TABLE_POINTS
    )
    # Minimise: L ≥ 0 with the infimum 0 reached as p → y; towards the wrong end it grows without bound.
    lowest = [row.limit for row in limits]
    minimise = min(lowest) == 0 and max(lowest) == sympy.oo
    best = sentence(math("p", "→", "y"), ", a limit (", *_ends(limits, lambda limit: limit == 0), "), where ",
                    math("L", "→", 0), "; ", math("p", "=", "σ(z)"), " never reaches 0 or 1, so ", math("L"),
                    " has no minimum: its infimum ", math(0), " is approached as the prediction nears the label")
    worst = sentence(math("p", "→", 1, "−", "y"), ", a confident wrong prediction (",
                     *_ends(limits, lambda limit: limit == sympy.oo), "), where ", math("L", "→", "+∞"),
                     "; there is no maximum, the supremum is ", math("+∞"))
    return CrossEntropyAnalysisStep(
        loss, by_target, limits, taught, stationary, through_sigmoid, table, minimise, best, worst
    )


def _ends(limits, chosen) -> list:
    """Where p tends, by target, for the limit rows whose limit is ``chosen``: "p → 1 for y = 1, p → 0 for y = 0".

    >>> from symback.derive.steps import LimitRow
    >>> str(Prose(_ends([LimitRow(sympy.Integer(1), "0+", None, sympy.oo)], lambda limit: limit == sympy.oo)))
    'p → 0 for y = 1'
    """
    ends = {"0+": 0, "1-": 1}
    found = [[math("p", "→", ends[row.approach]), " for ", math("y", "=", row.target)] for row in limits
             if chosen(row.limit)]
    return [part for k, parts in enumerate(found) for part in ([", "] if k else []) + parts]
