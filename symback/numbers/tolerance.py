"""How close an answer must be to count: a relative error, significant figures or decimal places.

A tolerance policy is set in a problem file or an answers file as a table with exactly one key::

    [tolerance]
    relative = 1e-3            # or: significant_figures = 3, or: decimal_places = 3

Comparisons run on decimals of 50 significant digits, so only the policy decides, never floating-point noise.
"""

from __future__ import annotations

import decimal
import functools
import math
import sys
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..errors import ArgumentError, ProblemError

KINDS = ("relative", "significant_figures", "decimal_places")
_MAX_FIGURES = 40  # beyond this the 50-digit comparison itself would decide
SHOWN_LENGTH = 40  # characters of a wrong amount quoted in a message


@dataclass(frozen=True)
class Tolerance:
    """One policy; ``source`` says where it was set (``default``, ``problem file``, ``answers file``,
    ``command line``, or ``argument`` when a program passed it). Amounts are checked and normalised: a float
    0.01 is the decimal 0.01, and 3.0 digits are 3.

    >>> policy = Tolerance("decimal_places", 3)
    >>> policy.within(Decimal("0.731"), Decimal("0.7310585786")), policy.within(Decimal("0.73"), Decimal("0.7310585786"))
    (True, False)
    >>> policy.describe()
    'correct to 3 decimal places (|answer − exact| ≤ 0.0005)'
    """

    kind: str = "relative"
    amount: Decimal | int = Decimal("0.001")
    source: str = "argument"

    def __post_init__(self):
        object.__setattr__(self, "amount", _checked_amount(self.kind, self.amount))

    def same_policy(self, other: "Tolerance") -> bool:
        """The same rule, wherever each was set."""
        return (self.kind, self.amount) == (other.kind, other.amount)

    def within(self, answer: Decimal, reference: Decimal, floor: Decimal = Decimal(0)) -> bool:
        """Whether ``answer`` is close enough to ``reference`` under this policy (boundaries included).

        ``floor`` is an absolute allowance added to the policy's (PrairieLearn's atol next to rtol): the
        rounding a value computed from rounded inputs may carry. With no floor an exact zero stays exact.

        >>> policy = Tolerance()
        >>> policy.within(Decimal(0), Decimal("0.0000414")), policy.within(Decimal(0), Decimal("0.0000414"), Decimal("5e-5"))
        (False, True)
        """
        with decimal.localcontext(prec=60):
            return abs(answer - reference) <= self._allowance(reference) + floor

    def allowance(self, reference: Decimal) -> Decimal:
        """The largest |answer − reference| the policy accepts, on its own (no floor).

        >>> Tolerance().allowance(Decimal(2)), Tolerance("decimal_places", 2).allowance(Decimal(0))
        (Decimal('0.002'), Decimal('0.005'))
        >>> Tolerance("significant_figures", 3).allowance(Decimal("0.7311")), Tolerance("significant_figures", 3).allowance(Decimal(0))
        (Decimal('0.0005'), Decimal('0'))
        """
        with decimal.localcontext(prec=60):
            return self._allowance(reference)

    def _allowance(self, reference: Decimal) -> Decimal:
        if self.kind == "relative":
            return self.amount * abs(reference)
        if self.kind == "decimal_places":
            return Decimal(5).scaleb(-self.amount - 1)
        if reference == 0:
            return Decimal(0)
        return Decimal(5).scaleb(reference.adjusted() - self.amount)

    def allows_rounding(self, places: int | None, figures: int | None) -> bool:
        """Whether an answer written with this many decimal places and significant figures is precise enough
        that its own rounding (half a unit in its last place) may be forgiven."""
        if places is None or figures is None:
            return False
        if self.kind == "decimal_places":
            return places >= self.amount
        if self.kind == "significant_figures":
            return figures >= self.amount
        needed = self.figures_for_relative()
        return figures >= needed or places >= needed  # "3 significant figures or 3 decimal places"

    def figures_for_relative(self) -> int:
        """Significant figures a relative tolerance asks for, ⌈−log10 r⌉: 1e-3 -> 3, 0.05 -> 2."""
        return _figures_for(self.amount)

    def describe(self) -> str:
        """The policy in words, as feedback states it."""
        if self.kind == "relative":
            return f"relative error at most {_plain(self.amount)} (|answer − exact| ≤ {_plain(self.amount)}·|exact|)"
        if self.kind == "decimal_places":
            bound = _plain(Decimal(5).scaleb(-self.amount - 1))
            return f"correct to {self.amount} decimal place{'s' * (self.amount != 1)} (|answer − exact| ≤ {bound})"
        return f"correct to {self.amount} significant figure{'s' * (self.amount != 1)}"

    def as_dict(self) -> dict:
        """The policy as plain data (for JSON)."""
        return {"kind": self.kind, "amount": str(self.amount), "source": self.source}




@functools.lru_cache(maxsize=64)
def _figures_for(relative: Decimal) -> int:
    return max(1, math.ceil(-relative.log10() - Decimal("1e-9")))


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def read_tolerance(value: Any, key: str, source: str) -> Tolerance:
    """A ``[tolerance]`` table from a problem or answers file; a mistake is a ProblemError naming ``key``.

    >>> read_tolerance({"significant_figures": 3}, "tolerance", "answers file")
    Tolerance(kind='significant_figures', amount=3, source='answers file')
    >>> read_tolerance({"relative": 2}, "tolerance", "problem file")
    Traceback (most recent call last):
    symback.errors.ProblemError: tolerance.relative: expected a number greater than 0 and less than 1, got 2
    """
    if not isinstance(value, dict):
        raise ProblemError(key, "expected a table such as { relative = 1e-3 }, { significant_figures = 3 } "
                                "or { decimal_places = 3 }")
    unknown = [name for name in value if name not in KINDS]
    if unknown or len(value) != 1:
        what = f"unknown key {unknown[0]!r}" if unknown else f"{len(value)} keys"
        raise ProblemError(key, f"{what}: give exactly one of {', '.join(KINDS)}")
    (kind, amount), = value.items()
    try:
        return Tolerance(kind, amount, source)
    except ArgumentError as error:
        raise ProblemError(f"{key}.{kind}", str(error)) from None


def _checked_amount(kind: str, amount: Any) -> Decimal | int:
    """The amount of a policy as the comparisons need it: a Decimal fraction, or a whole number of digits."""
    if kind not in KINDS:
        raise ArgumentError(f"unknown tolerance kind {kind!r} (known: {', '.join(KINDS)})")
    shown = _shown(amount)
    number = _decimal(amount)
    if kind == "relative":
        if number is None or not 0 < number < 1:
            raise ArgumentError(f"expected a number greater than 0 and less than 1, got {shown}")
        return number
    if number is None or number != number.to_integral_value() or not 1 <= number <= _MAX_FIGURES:
        raise ArgumentError(f"expected a whole number from 1 to {_MAX_FIGURES}, got {shown}")
    return int(number)


def _shown(amount: Any) -> str:
    """An amount as a message quotes it: numbers as written, anything else as its repr, cut after SHOWN_LENGTH
    characters (an amount of 4,000 digits is named, not quoted in full).

    >>> _shown(3), _shown("3"), _shown(10**100)
    ('3', "'3'", '1000000000000000000000000000000000000000… (101 characters)')
    """
    try:
        shown = str(amount) if isinstance(amount, (int, Decimal)) and not isinstance(amount, bool) else repr(amount)
    except ValueError:  # an int past Python's digit limit for str()
        return f"an integer of more than {sys.get_int_max_str_digits()} digits"
    return shown if len(shown) <= SHOWN_LENGTH else f"{shown[:SHOWN_LENGTH]}… ({len(shown)} characters)"


def _decimal(value: Any) -> Decimal | None:
    """A number given as int, float (as it prints), Decimal or text; None for anything else."""
    if isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip()) if isinstance(value, (float, str)) else Decimal(value)
    except (TypeError, ValueError, ArithmeticError):
        return None
    return number if number.is_finite() else None


DEFAULT = Tolerance(source="default")
