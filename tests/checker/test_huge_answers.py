"""A value far from 1 is rounded to decimal places as a student would write it (found by the fuzzing campaign: a
training run carried from a student's wrong values reached 1.9·10^130, whose rounding to 2 places needed 133
digits and ended `symback check --tolerance decimal_places=2` in decimal.InvalidOperation). Expected values are
cut from the digits as written."""

from __future__ import annotations

from decimal import Decimal

from symback.checker.rule_values import round_places, rounded_forms
from symback.numbers.tolerance import Tolerance

HUGE = Decimal("1.94242639524125593658420883601769921936620862195160000000000E+130")  # 60 digits, as found


def test_a_huge_value_has_no_other_form_to_decimal_places():
    assert round_places(HUGE, 2) == HUGE and round_places(HUGE, 3) == HUGE  # no digit past the point to round
    assert rounded_forms(HUGE, Tolerance("decimal_places", 2, "test")) == []


def test_a_long_value_with_decimals_is_rounded_half_up():
    whole = "7" * 70
    assert round_places(Decimal(whole + ".125"), 2) == Decimal(whole + ".13")
    assert round_places(Decimal("-" + whole + ".125"), 2) == Decimal("-" + whole + ".13")
    assert round_places(Decimal(whole + ".1249"), 2) == Decimal(whole + ".12")
