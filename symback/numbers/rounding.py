"""Correctly rounded decimals from passes at growing precision (Ziv's strategy).

A value is rounded as a :class:`Rounding` asks (significant digits, or fixed decimal places) once two passes at
different precisions round to the same decimal; otherwise the precision grows. Ties round half up, as taught in
school (0.125 → 0.13).
"""

from __future__ import annotations

import decimal
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import sympy

MAX_DIGITS = 2000
ZERO_DIGITS = 400  # a value still exactly 0 at this many digits is taken to be 0
GUARD_DIGITS = 3  # fixed places are settled only at a precision this many digits past the last place


@dataclass(frozen=True)
class Rounding:
    """How a sheet rounds its decimals: to ``count`` significant digits, or (``fixed``) to ``count`` decimal
    places. One value passed down from the problem file or the command line to every place that rounds.

    >>> Rounding(4).round(Decimal("3.14159")), Rounding(2, fixed=True).round(Decimal("3.14159"))
    (Decimal('3.142'), Decimal('3.14'))
    >>> str(Rounding(4)), str(Rounding(2, fixed=True)), str(Rounding(1, fixed=True))
    ('4 significant digits', '2 decimal places', '1 decimal place')
    """

    count: int
    fixed: bool = False

    def round(self, value: Decimal) -> Decimal:
        """``value`` rounded, ties half up; a value that rounds to 0 is 0 without a sign (never "−0.00")."""
        if self.fixed:
            if not value:
                return Decimal(0).quantize(Decimal(1).scaleb(-self.count))
            room = max(value.adjusted(), 0) + self.count + 2  # enough digits for the quantized result
            context = decimal.Context(prec=room, rounding=ROUND_HALF_UP, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)
            rounded = value.quantize(Decimal(1).scaleb(-self.count), context=context)
            return rounded.copy_abs() if not rounded else rounded
        return round_significant(value, self.count)

    def settled(self, earlier: Decimal, now: Decimal, precision: int) -> bool:
        """Whether two passes (the later at ``precision`` digits) fix the rounded value: they round alike, and for
        fixed places the precision reaches past the last place (a large value needs digits before the point)."""
        return self.round(earlier) == self.round(now) and self.reaches(now, precision)

    def reaches(self, now: Decimal, precision: int) -> bool:
        """Whether ``precision`` digits reach ``now``'s last place (always, for significant digits)."""
        return not self.fixed or not now or precision >= now.adjusted() + 1 + self.count + GUARD_DIGITS

    def rounder(self) -> Callable[[Decimal], Decimal]:
        """:meth:`round` as one function, its context looked up once (for rounding many values).

        >>> Rounding(2).rounder()(Decimal("0.125")), Rounding(2, fixed=True).rounder()(Decimal("0.125"))
        (Decimal('0.13'), Decimal('0.13'))
        """
        if self.fixed:
            return self.round
        plus, zero = _rounding_context(self.count).plus, Decimal(0)
        return lambda value: plus(value) if value else zero

    def working_digits(self, magnitude: int = 0) -> int:
        """Significant digits enough to round a value near 10^``magnitude`` (before any guard digits)."""
        return self.count + max(magnitude + 1, 1) if self.fixed else self.count

    def __str__(self) -> str:
        unit = ("decimal place" if self.fixed else "significant digit") + ("s" if self.count != 1 else "")
        return f"{self.count} {unit}"


def as_rounding(digits: int | Rounding) -> Rounding:
    """A Rounding from a count of significant digits (the API's ``digits=4``) or a Rounding as it is.

    >>> as_rounding(4) == Rounding(4), as_rounding(Rounding(2, fixed=True)).fixed
    (True, True)
    """
    return digits if isinstance(digits, Rounding) else Rounding(digits)


def valid_rounding(digits) -> bool:
    """Whether ``digits`` is a Rounding or a count of significant digits the API accepts (1 to 1000; 0 to 1000
    fixed places).

    >>> valid_rounding(4), valid_rounding(0), valid_rounding(Rounding(0, fixed=True)), valid_rounding(True)
    (True, False, True, False)
    """
    if isinstance(digits, Rounding):
        return type(digits.count) is int and (0 if digits.fixed else 1) <= digits.count <= 1000
    return isinstance(digits, int) and not isinstance(digits, bool) and 1 <= digits <= 1000


def round_exact(value, rounding: int | Rounding, guard: int = 30) -> Decimal:
    """A SymPy number rounded as ``rounding`` asks, from ``guard`` digits more than it needs (for values whose
    exact form is at hand and small; a pass's values go through :func:`correctly_rounded`).

    >>> import sympy
    >>> round_exact(sympy.pi * 1000, Rounding(2, fixed=True)), round_exact(sympy.pi, 3)
    (Decimal('3141.59'), Decimal('3.14'))
    """
    rounding = as_rounding(rounding)
    magnitude = 0
    if rounding.fixed and value != 0:
        magnitude = max(int(sympy.floor(sympy.log(abs(sympy.N(value, 15)), 10))), 0)
    return rounding.round(Decimal(str(sympy.N(value, rounding.working_digits(magnitude) + guard))))


def round_significant(value: Decimal, digits: int) -> Decimal:
    """``value`` rounded to ``digits`` significant digits, ties half up.

    >>> round_significant(Decimal("0.0123456"), 3)
    Decimal('0.0123')
    >>> round_significant(Decimal("0.125"), 2)
    Decimal('0.13')
    """
    if not value:
        return Decimal(0)
    return _rounding_context(digits).plus(value)


@functools.lru_cache(maxsize=64)
def _rounding_context(digits: int) -> decimal.Context:
    return decimal.Context(prec=digits, rounding=ROUND_HALF_UP, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)


def working_context(digits: int) -> decimal.Context:
    """A decimal context at ``digits`` digits with room for any exponent and no traps but invalid operations."""
    return decimal.Context(
        prec=digits,
        Emax=decimal.MAX_EMAX,
        Emin=decimal.MIN_EMIN,
        traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
    )


def correctly_rounded(
    evaluate: Callable[[], Mapping[str, Decimal]],
    digits: int | Rounding,
    known_zero: Iterable[str] = (),
    *,
    refine_zeros_to: int | None = ZERO_DIGITS,
    max_digits: int = MAX_DIGITS,
) -> dict[str, Decimal]:
    """Round every quantity ``evaluate()`` returns as ``digits`` asks (significant digits, or a Rounding), correctly.

    ``evaluate`` computes all quantities in the current decimal context; it is called at growing precision
    until consecutive results agree after rounding. ``known_zero`` names quantities whose exact value is 0.
    Any other value computed as exactly 0 may be a tiny value lost to cancellation, so it is refined until it
    is not 0, or still 0 at ``refine_zeros_to`` digits (None: two zeros in a row are taken as 0, for callers
    with no exact values to tell zeros by). Precision stops growing at ``max_digits``: a value still moving there
    is a residue of cancellation if it is below 10^(−max_digits/2), and 0 (a value that small needs more digits
    than that to compute at all), else it is rounded from the last precision.

    >>> correctly_rounded(lambda: {"third": Decimal(1) / 3}, 5)
    {'third': Decimal('0.33333')}
    >>> tiny = lambda: {"d": Decimal(81).exp() / (Decimal(81).exp() + 1) - 1}   # −e⁻⁸¹/(1 + e⁻⁸¹)
    >>> correctly_rounded(tiny, 3)     # exactly 0 at 15 and at 42 digits
    {'d': Decimal('-6.64E-36')}
    >>> correctly_rounded(lambda: {"big": Decimal(10) ** 30 / 3}, Rounding(2, fixed=True))["big"]
    Decimal('333333333333333333333333333333.33')
    """
    names: list[str] = []
    zeros = set(known_zero)

    def evaluate_values() -> list[Decimal]:
        found = evaluate()
        if not names:
            names.extend(found)
        return [found[name] for name in names]

    with decimal.localcontext(working_context(as_rounding(digits).count + 12)):  # the first precision, as below
        first = [evaluate_values()]  # evaluated here to learn the names; handed over as the first pass

    def passes() -> list[Decimal]:
        return first.pop() if first else evaluate_values()

    rounded = correctly_rounded_values(passes, digits, [name in zeros for name in names],
                                       refine_zeros_to=refine_zeros_to, max_digits=max_digits)
    return dict(zip(names, rounded))


def correctly_rounded_values(
    evaluate: Callable[[], Sequence[Decimal]],
    digits: int | Rounding,
    known_zero: Sequence[bool],
    *,
    refine_zeros_to: int | None = ZERO_DIGITS,
    max_digits: int = MAX_DIGITS,
) -> list[Decimal]:
    """:func:`correctly_rounded` for quantities by position: ``evaluate()`` gives a sequence of decimals, and
    ``known_zero[k]`` says whether the k-th is exactly 0. Each value is rounded once per precision.

    >>> correctly_rounded_values(lambda: [Decimal(1) / 3, Decimal(0)], 5, [False, True])
    [Decimal('0.33333'), Decimal('0')]
    """
    rounding = as_rounding(digits)
    round_value = rounding.rounder()
    precision = rounding.count + 12
    with decimal.localcontext(working_context(precision)):
        previous = evaluate()
    zero = rounding.round(Decimal(0))
    result = [zero if is_zero else None for is_zero in known_zero]
    pending = [k for k, is_zero in enumerate(known_zero) if not is_zero]
    earlier = [None] * len(result)  # the values of the pending quantities at the last precision, rounded
    for k in pending:
        earlier[k] = round_value(previous[k])
    check_reach = rounding.fixed
    while pending:
        precision = min(2 * precision + 12, max_digits)
        with decimal.localcontext(working_context(precision)):
            current = evaluate()
        refining = refine_zeros_to is not None and precision < refine_zeros_to
        unresolved = []
        for k in pending:
            now = current[k]
            now_rounded = round_value(now)
            if (refining and not now) or now_rounded != earlier[k] or (
                    check_reach and not rounding.reaches(now, precision)):
                unresolved.append(k)
                earlier[k] = now_rounded
            else:
                result[k] = now_rounded
        if precision >= max_digits:
            # Still moving at the last precision: a zero that the exact arithmetic did not see as zero.
            for k in unresolved:
                value = current[k]
                result[k] = rounding.round(Decimal(0) if value.adjusted() < -max_digits // 2 else value)
            break
        pending = unresolved
    return result


def terminating_decimal(numerator: int, denominator: int) -> Decimal | None:
    """numerator/denominator as an exact Decimal where it terminates (the denominator has no prime but 2 and 5),
    without trailing zeros; None where it does not.

    >>> terminating_decimal(157, 50), terminating_decimal(1, 3), terminating_decimal(10**30 + 7, 1)
    (Decimal('3.14'), None, Decimal('1000000000000000000000000000007'))
    """
    rest = denominator
    for prime in (2, 5):
        while rest % prime == 0:
            rest //= prime
    if rest != 1:
        return None
    digits = len(str(abs(numerator))) + len(str(denominator)) + 2  # enough for the quotient to be exact
    with decimal.localcontext(decimal.Context(prec=digits, Emin=-999999, Emax=999999)):
        value = (Decimal(numerator) / Decimal(denominator)).normalize()
    return Decimal(int(value)) if value == value.to_integral_value() and value.adjusted() < digits else value


def plain_exact(rounded: Decimal) -> Decimal:
    """A decimal known to be exact without its trailing zeros: an integer of up to 28 digits written out, any
    other number in its shortest form (no rounding: nothing is left to round).

    >>> plain_exact(Decimal("4.000")), plain_exact(Decimal("1.000E+30"))
    (Decimal('4'), Decimal('1E+30'))
    """
    if rounded == rounded.to_integral_value() and rounded.adjusted() < 28:
        return Decimal(int(rounded))
    return rounded.normalize(decimal.Context(prec=max(len(rounded.as_tuple().digits), 1)))


def trimmed(rounded: Decimal, exact) -> Decimal:
    """1/4 shows 0.25, not 0.2500: trailing zeros go where the decimal is the exact value itself. ``exact`` is
    a SymPy or SymEngine value (or None, where there is no exact value).

    >>> import sympy, symengine
    >>> trimmed(Decimal("0.2500"), sympy.Rational(1, 4)), trimmed(Decimal("0.3333"), sympy.Rational(1, 3))
    (Decimal('0.25'), Decimal('0.3333'))
    >>> trimmed(Decimal("1.000E+30"), symengine.Integer(10**30))
    Decimal('1E+30')
    """
    fraction = _rational(exact)
    if fraction is not None and rounded.is_finite() and Fraction(rounded) == fraction:
        return plain_exact(rounded)
    return rounded


def _rational(exact) -> Fraction | None:
    """An exact rational value (SymPy or SymEngine: both have p and q) as a Fraction; None for anything else."""
    if exact is None or not getattr(exact, "is_Rational", False):
        return None
    return Fraction(int(exact.p), int(exact.q))
