"""An optimizer run whose values pass 10^999999 (Python's default decimal exponent limit) is still marked: its
right values are shown rounded (found by the fuzzing campaign: with the activation z^999, momentum's second step
reached 10^1206503, and the checklist ended in decimal.Overflow)."""

from __future__ import annotations

from decimal import Decimal

import sympy

import symback
from symback.checker.checklist import build_checklist
from symback.checker.items.record import display_decimal

DIVERGING = """
title = "a power that explodes"
[network]
inputs = 1
[[network.layers]]
weights = "W"
values = [[2]]
activation = "z^999"
[loss]
kind = "squared_error"
[[exercises]]
id = "1"
task = "optimize"
x = 1
y = 0
optimizer = "momentum"
lr = 0.5
steps = 2
"""


def test_a_reference_past_the_default_exponent_limit_is_rounded():
    digits = "58190674224022726131819711938896917702137789554432"
    for sign, exponent in (("-", 1206503), ("", -1206503)):
        reference = Decimal(f"{sign}{digits[0]}.{digits[1:]}E{exponent}")
        # four significant digits read off the digits themselves: 5.819|0… rounds down
        assert display_decimal(reference, sympy.Float(str(reference), 50), 4) == Decimal(f"{sign}5.819E{exponent}")


def test_a_run_past_ten_to_the_million_has_a_checklist():
    problem = symback.loads(DIVERGING)
    g = 2 * 2**999 * 999 * 2**998  # dL/dw at w = 2, x = 1: 2·ŷ·f'(z)·x with ŷ = z^999, f' = 999 z^998
    assert symback.backprop(problem, x=[1], y=0).grad["w11"] == g
    checklist = build_checklist(problem)
    assert any(item.exercise == "1" for item in checklist.items)
