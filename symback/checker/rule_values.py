"""A rule applied to a student's values: the value it gives, and what rounding on the way could have given.

A student who leaves a value out of their working may still have rounded it on the way (σ'(1) ≈ 0.197 on the
calculator, never written down). :func:`rounding_outcomes` gives the rule's value for every way of rounding the
values the student did not write to the policy's precision or one digit more (3 or 4 significant figures for a
relative 1e-3): an answer that agrees with one of them is explained by rounding. At most :data:`MAX_FREE` values
are varied (3**4 combinations).
"""

from __future__ import annotations

import decimal
import itertools
from decimal import Decimal
from typing import Sequence

from ..errors import SymbackError
from ..numbers.rounding import round_significant
from ..numbers.tolerance import Tolerance
from .answer_parse import PRECISION
from .items import Rule

MAX_FREE = 4  # values varied at once


def apply_rule(rule: Rule, values: Sequence[Decimal]) -> Decimal | None:
    """The rule on these values; None where they leave its domain (log of a non-positive ŷ, 1/0, overflow).

    >>> import sympy
    >>> from symback.checker.items import Rule
    >>> half = Rule(sympy.Symbol("h"), ("h",), lambda values: 1 / values[0])
    >>> apply_rule(half, [Decimal(4)]), apply_rule(half, [Decimal(0)])
    (Decimal('0.25'), None)
    """
    try:
        value = rule.compute(values)
    except (ArithmeticError, ValueError, OverflowError, SymbackError):
        return None
    return value if value.is_finite() else None


def carried_slack(rule: Rule, values: Sequence[Decimal], slacks: Sequence[Decimal], own: Decimal) -> Decimal:
    """How far the rule's value ``own`` may move when each value moves by up to its slack (the rounding a student
    carries): the sum over the values of the largest change one of them makes at either end (first order).

    >>> import sympy
    >>> from symback.checker.items import Rule
    >>> product = Rule(sympy.Symbol("p"), ("a", "b"), lambda v: v[0] * v[1])
    >>> carried_slack(product, [Decimal("0.731"), Decimal(3)], [Decimal("0.0005"), Decimal(0)], Decimal("2.193"))
    Decimal('0.0015')
    """
    total = Decimal(0)
    values = list(values)
    for index, slack in enumerate(slacks):
        if not slack:
            continue
        changes = []
        for moved in (values[index] - slack, values[index] + slack):
            result = apply_rule(rule, values[:index] + [moved] + values[index + 1:])
            if result is not None:
                changes.append(abs(result - own))
        total += max(changes, default=Decimal(0))  # outside the rule's domain both ways: no allowance
    return total


def rounded_forms(value: Decimal, policy: Tolerance) -> list[Decimal]:
    """``value`` rounded as a student keeping the policy's precision (or one digit more) would write it.

    >>> rounded_forms(Decimal("0.19661193"), Tolerance())
    [Decimal('0.197'), Decimal('0.1966')]
    >>> rounded_forms(Decimal("3"), Tolerance())
    []
    """
    if value == 0:
        return []
    if policy.kind == "decimal_places":
        forms = [round_places(value, policy.amount), round_places(value, policy.amount + 1)]
    else:
        figures = policy.amount if policy.kind == "significant_figures" else policy.figures_for_relative()
        forms = [round_significant(value, figures), round_significant(value, figures + 1)]
    return [form for form in dict.fromkeys(forms) if form != value]


def round_places(value: Decimal, places: int) -> Decimal:
    """``value`` to ``places`` decimal places, ties half up (as students are taught); a value with no digit past
    that place is itself (a value of 10^100 to 2 places would need 103 digits: past the context's precision).

    >>> round_places(Decimal("0.125"), 2), round_places(Decimal("1.5E+100"), 2)
    (Decimal('0.13'), Decimal('1.5E+100'))
    """
    if value.as_tuple().exponent >= -places:
        return value
    with decimal.localcontext(prec=max(PRECISION + 10, value.adjusted() + places + 2)):
        return value.quantize(Decimal(1).scaleb(-places), rounding=decimal.ROUND_HALF_UP)


def rounding_outcomes(rule: Rule, values: Sequence[Decimal], written: Sequence[bool],
                      policy: Tolerance) -> list[Decimal]:
    """The rule's value for each way of rounding the values that were not ``written`` (the unrounded way left out)."""
    choices = [[value] + (rounded_forms(value, policy) if not was_written else [])
               for value, was_written in zip(values, written)]
    if sum(len(choice) > 1 for choice in choices) > MAX_FREE:
        return []
    outcomes = []
    for combination in itertools.islice(itertools.product(*choices), 1, None):
        result = apply_rule(rule, combination)
        if result is not None:
            outcomes.append(result)
    return outcomes
