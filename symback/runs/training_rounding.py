"""Correctly rounded decimals of a whole run (many steps) by :func:`symback.numbers.rounding.correctly_rounded`, with
values that stay at the level of rounding noise taken as exactly 0.

Ziv's strategy can never round a quantity that is exactly 0 but computes as a tiny nonzero residue (a
parameter that lands exactly on 0 through inexact decimals, the loss of a sample fitted exactly): its leading
digits change with every precision. Left alone, such a value drives the whole run up to 2,000 digits, where the
decimal module's ``exp`` and ``ln`` take a tenth of a second each. So from the second precision on, a value counts as rounding noise, and is returned as an exact 0, when
``|v| <= S·10^(GUARD − p)`` at precision p, S being the largest magnitude in the run (at least the data's), and it
shrank since the last precision it was not 0 at by at least half the digits added since (or is 0 now): a residue
of cancellation shrinks as the precision grows (and may come out as exactly 0 at some precisions between), a true
value stays what it is. A true 0 is then 0 by Ziv's own test: 0 at two
consecutive precisions, the second of at least :data:`ZERO_CHECKED` digits (1 − σ(150) is 0 up to 65 digits). A true value far below S (the first losses of a run that diverges to 10^100, a gradient
of e^−300 at a saturated sigmoid) keeps its digits, since it does not shrink; a value 0 at one precision and
not at the next is no evidence either way (a true value lost to cancellation at the lower one). What remains
is the limit of any such test: a true value below the noise floor at the precisions the run needed, about
S·10^(GUARD − p) (the loss of a run that has converged to 10⁻²⁶⁴ when its largest number is 9 and p = 212),
shrinks like noise and is reported as 0.
"""

from __future__ import annotations

import decimal
from decimal import Decimal
from typing import Callable, Hashable, Iterable, Mapping

import sympy

from ..numbers.rounding import correctly_rounded

GUARD = 6  # decimal digits of error growth allowed over a run before a value is no longer called noise
ZERO_CHECKED = 100  # a value computed as exactly 0 is believed once it is 0 at this many digits


def rounded_run(evaluate: Callable[[], Mapping[Hashable, Decimal]], digits: int,
                scale_floor: Decimal = Decimal(0)) -> dict[Hashable, Decimal]:
    """Every value of ``evaluate()`` (run in the current decimal context) correctly rounded to ``digits``
    significant digits; a value that is rounding noise (see the module) is 0, and so is one computed as exactly 0
    at two precisions, the second at least :data:`ZERO_CHECKED` digits.

    ``scale_floor`` is a magnitude the noise scale is at least (the largest number of the data, say).

    >>> third = lambda: {"a": Decimal(1) / 3, "gone": Decimal(1) / 3 * 3 - 1}
    >>> rounded_run(third, 4)
    {'a': Decimal('0.3333'), 'gone': Decimal('0')}
    """
    # name -> its last nonzero value and the precision it had: a residue may come out as exactly 0 at one
    # precision and as a tiny number at the next (2E-136, 0, 1E-580, 0 at 136, 284, 580, 1172 digits), so it is
    # held against the last nonzero one, which it is far below, rather than against the 0
    before: dict[Hashable, tuple[Decimal, int]] = {}
    calls, precisions = [0], [0]

    def evaluate_with_noise_as_zero() -> dict[Hashable, Decimal]:
        values = evaluate()
        precision = decimal.getcontext().prec
        calls[0] += 1
        scale = max([scale_floor, *(abs(v) for v in values.values())])
        floor = scale.scaleb(GUARD - precision) if scale else Decimal(0)
        result = {}
        for name, value in values.items():
            earlier, then = before.get(name, (Decimal(0), precisions[0]))
            noise = calls[0] >= 2 and abs(value) <= floor and _shrank(earlier, value, (precision - then) // 2)
            if value:
                before[name] = (value, precision)
            result[name] = Decimal(0) if noise else value
        precisions[0] = precision
        return result

    # a value computed as exactly 0 up to 44 digits may still be a true value lost to cancellation (1 − σ(150)):
    # it is taken as 0 only when it is 0 at 100 digits too
    return correctly_rounded(evaluate_with_noise_as_zero, digits, refine_zeros_to=ZERO_CHECKED)


def _shrank(earlier: Decimal, now: Decimal, orders: int) -> bool:
    """Whether ``now`` is 0 or at least ``orders`` orders of magnitude below a nonzero ``earlier`` (a value 0 at
    the lower precision and not at the higher one may be a true value lost to cancellation: no evidence).

    >>> _shrank(Decimal("1E-20"), Decimal("3E-48"), 14), _shrank(Decimal("0.3333"), Decimal("0.33333333"), 14)
    (True, False)
    >>> _shrank(Decimal(0), Decimal("7.7E-53"), 14), _shrank(Decimal("7.7E-53"), Decimal(0), 14)
    (False, True)
    """
    if not now:
        return True
    return bool(earlier) and abs(now) <= abs(earlier).scaleb(-max(orders, 1))


def largest_magnitude(numbers: Iterable) -> Decimal:
    """The largest absolute value of exact numbers (SymPy, int), as a Decimal at 20 digits.

    >>> import sympy
    >>> largest_magnitude([sympy.Rational(-7, 2), 3])
    Decimal('3.5')
    """
    found = [abs(Decimal(str(sympy.N(n, 20)))).normalize() for n in numbers]
    return max(found, default=Decimal(0))
