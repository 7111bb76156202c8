"""Hints for a wrong answer: the slips students make most, recognised from the numbers alone.

Each hint is a small test on the wrong value ``v`` and the value ``t`` the student's own inputs give (or the
right value where there is no rule); the first that fits is shown. They are tried in the order listed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Callable

from .answer_parse import Answer
from .checklist import Checklist, Item
from .losses import make_loss
from .tolerance import Tolerance

Hint = Callable[[Item, Decimal, Decimal, Tolerance, Checklist], str | None]


def _sign(item, value, target, policy, checklist):
    if target != 0 and policy.within(-value, target):
        return "the sign is wrong"
    return None


def _loss_remark(item: Item, checklist: Checklist) -> str:
    exercise = checklist.exercise(item.exercise).exercise
    kind = (exercise.loss or checklist.problem.loss).kind
    return make_loss(kind, checklist.problem.network.outputs).remark


def _touches_loss(item: Item) -> bool:
    return item.kind == "loss" or item.key.startswith("dL/dyhat")


def _half(item, value, target, policy, checklist):
    if target == 0 or not policy.within(2 * value, target):
        return None
    if _touches_loss(item):
        return f"half the right value: check the factor ½ of the loss ({_loss_remark(item, checklist)})"
    return "half the value its inputs give: a factor 2 is missing"


def _double(item, value, target, policy, checklist):
    if target == 0 or not policy.within(value, 2 * target):
        return None
    if _touches_loss(item):
        return f"twice the right value: check the factor ½ of the loss ({_loss_remark(item, checklist)})"
    return "twice the value its inputs give"


def _function_not_derivative(item, value, target, policy, checklist):
    """∂h/∂z answered with h itself: σ(z) written for σ'(z)."""
    if item.kind != "factor" or "/" not in item.key:
        return None
    numerator = item.key.split("/")[0][1:]
    try:
        node = checklist.item(item.context, numerator)
    except KeyError:
        return None
    if node.reference != target and policy.within(value, node.reference):
        return f"this is {numerator} itself, not its derivative"
    return None


def _other_quantity(item, value, target, policy, checklist):
    for other in checklist.items:
        if other.context == item.context and other.key != item.key and other.kind != "update":
            if other.reference != item.reference and policy.within(value, other.reference):
                return f"this is the value of {other.key}"
    return None


HINTS: tuple[Hint, ...] = (_sign, _half, _double, _function_not_derivative, _other_quantity)


def hint_for(item: Item, answer: Answer, own: Decimal | None, policy: Tolerance, checklist: Checklist) -> str:
    """The first hint that fits a wrong answer, or "".

    >>> import symback
    >>> from symback.answer_parse import read_answer
    >>> from symback.checklist import build_checklist
    >>> checklist = build_checklist(symback.load("problems/ws23_backprop.toml"))
    >>> item = checklist.item(checklist.exercise("4").context, "dL/db12")
    >>> hint_for(item, read_answer("2.924"), item.reference, checklist.tolerance, checklist)
    'the sign is wrong'
    """
    target = own if own is not None else item.reference
    for hint in HINTS:
        text = hint(item, answer.number, target, policy, checklist)
        if text:
            return text
    return ""
