"""Correctly rounded decimals of a whole run (many steps) by :func:`symback.rounding.correctly_rounded`, with
values that stay at the level of rounding noise taken as exactly 0.

Ziv's strategy can never round a quantity that is exactly 0 but computes as a tiny nonzero residue (a
parameter that lands exactly on 0 through inexact decimals, the loss of a sample fitted exactly): its leading
digits change with every precision. Left alone, such a value drives the whole run up to 2,000 digits, where the
decimal module's ``exp`` and ``ln`` take a tenth of a second each. So a value counts as rounding noise at
precision p when ``|v| <= S·10^(GUARD − p)``, S being the largest magnitude in the run (at least the data's), and
one that is noise at every precision tried, at least two of them, is returned as an exact 0 from then on. A true
value is then 0 by Ziv's own test: 0 at two consecutive precisions. A value that is not 0 but below about
10^(GUARD − p₃)·S (p₃ the third precision, 100 for 4 digits: 10^-94 of the run's scale) is also reported as 0.
Values that are exactly Decimal zero need none of this: two zeros agree, and Ziv stops.
"""

from __future__ import annotations

import decimal
from decimal import Decimal
from typing import Callable, Hashable, Iterable, Mapping

import sympy

from .rounding import correctly_rounded

GUARD = 6  # decimal digits of error growth allowed over a run before a value is no longer called noise


def rounded_run(evaluate: Callable[[], Mapping[Hashable, Decimal]], digits: int,
                scale_floor: Decimal = Decimal(0)) -> dict[Hashable, Decimal]:
    """Every value of ``evaluate()`` (run in the current decimal context) correctly rounded to ``digits``
    significant digits; a value that is rounding noise at every precision tried is 0.

    ``scale_floor`` is a magnitude the noise scale is at least (the largest number of the data, say).

    >>> third = lambda: {"a": Decimal(1) / 3, "gone": Decimal(1) / 3 * 3 - 1}
    >>> rounded_run(third, 4)
    {'a': Decimal('0.3333'), 'gone': Decimal('0')}
    """
    history: dict[Hashable, bool] = {}  # name -> noise at every precision so far
    calls = [0]

    def evaluate_with_noise_as_zero() -> dict[Hashable, Decimal]:
        values = evaluate()
        calls[0] += 1
        scale = max([scale_floor, *(abs(v) for v in values.values())])
        floor = scale.scaleb(GUARD - decimal.getcontext().prec) if scale else Decimal(0)
        result = {}
        for name, value in values.items():
            noise = history.get(name, True) and abs(value) <= floor
            history[name] = noise
            result[name] = Decimal(0) if noise and calls[0] >= 2 else value
        return result

    return correctly_rounded(evaluate_with_noise_as_zero, digits, refine_zeros_to=None)  # noise handled above


def largest_magnitude(numbers: Iterable) -> Decimal:
    """The largest absolute value of exact numbers (SymPy, int), as a Decimal at 20 digits.

    >>> import sympy
    >>> largest_magnitude([sympy.Rational(-7, 2), 3])
    Decimal('3.5')
    """
    found = [abs(Decimal(str(sympy.N(n, 20)))).normalize() for n in numbers]
    return max(found, default=Decimal(0))
