"""How close an answer must be to count: a relative error, significant figures or decimal places.

A tolerance policy is set in a problem file or an answers file as a table with exactly one key::

    [tolerance]
    relative = 1e-3            # or: significant_figures = 3, or: decimal_places = 3

Comparisons run on decimals of 50 significant digits, so only the policy decides, never floating-point noise.
"""

from __future__ import annotations

import decimal
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .errors import ProblemError

KINDS = ("relative", "significant_figures", "decimal_places")
_MAX_FIGURES = 40  # beyond this the 50-digit comparison itself would decide


@dataclass(frozen=True)
class Tolerance:
    """One policy; ``source`` says where it was set (``default``, ``problem file``, ``answers file``).

    >>> policy = Tolerance("decimal_places", 3)
    >>> policy.within(Decimal("0.731"), Decimal("0.7310585786")), policy.within(Decimal("0.73"), Decimal("0.7310585786"))
    (True, False)
    >>> policy.describe()
    'correct to 3 decimal places (|answer − exact| ≤ 0.0005)'
    """

    kind: str = "relative"
    amount: Decimal | int = Decimal("0.001")
    source: str = "default"

    def within(self, answer: Decimal, reference: Decimal) -> bool:
        """Whether ``answer`` is close enough to ``reference`` under this policy (boundaries included)."""
        with decimal.localcontext(prec=60):
            error = abs(answer - reference)
            if self.kind == "relative":
                return error <= self.amount * abs(reference)
            if self.kind == "decimal_places":
                return error <= Decimal(5).scaleb(-self.amount - 1)
            if reference == 0:
                return answer == 0
            return error <= Decimal(5).scaleb(reference.adjusted() - self.amount)

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
        return max(1, math.ceil(-self.amount.log10() - Decimal("1e-9")))

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


DEFAULT = Tolerance()


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
    entry = f"{key}.{kind}"
    if kind == "relative":
        number = _decimal(amount)
        if number is None or not 0 < number < 1:
            raise ProblemError(entry, f"expected a number greater than 0 and less than 1, got {amount!r}"
                               if not isinstance(amount, (int, Decimal)) else
                               f"expected a number greater than 0 and less than 1, got {amount}")
        return Tolerance(kind, number, source)
    if type(amount) is not int or not 1 <= amount <= _MAX_FIGURES:
        raise ProblemError(entry, f"expected a whole number from 1 to {_MAX_FIGURES}, got {amount!r}")
    return Tolerance(kind, amount, source)


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return None
    number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    return number if number.is_finite() else None
