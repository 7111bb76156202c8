"""A rounded decimal put into a formula (a DecimalLeaf) prints every digit it has, at any size (found by the
fuzzing campaign: a weight of -3333333333333333.538/2 made a decimal of 10^-723824136505420, whose LaTeX ended in
decimal.InvalidOperation; Decimal.scaleb also rounded a mantissa to the context's 28 digits).

The expected text is cut from the decimal's own string, digit by digit.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
import sympy

from symback.derive.formulas import DecimalLeaf


def scientific(text: str) -> str:
    """'d.ddd \\cdot 10^{e}' from a decimal's string 'd.dddE±e' (digits and exponent read off, nothing computed)."""
    mantissa, _, exponent = text.partition("E")
    return f"{mantissa} \\cdot 10^{{{int(exponent)}}}"


@pytest.mark.parametrize("text", ["4.754E-723824136505420", "-1.5E+999999999", "1.234567890123456789012345678901234E+20",
                                  "-9.000000000000000000000000000000000000001E-40"])
def test_a_decimal_leaf_prints_every_digit_at_any_size(text):
    assert sympy.latex(DecimalLeaf(Decimal(text))) == scientific(text)


def test_a_moderate_decimal_leaf_is_positional():
    assert sympy.latex(DecimalLeaf(Decimal("0.7311"))) == "0.7311"
    assert sympy.latex(DecimalLeaf(Decimal("-123456789012.5"))) == "-123456789012.5"
