"""What a sheet says under an optimizer run's table about its kinks (from :mod:`symback.runs.kinks`): where a kink
node's argument changes branch between two steps and what that does to the gradient through the kink, or that it
never does. Data for the templates ``steps/optimizer_run``; the numbers are the run's, shown as its cells.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType

from ..runs.kinks import KinkNode

KINK_WORDS = MappingProxyType({"max": "max", "min": "min", "relu": "ReLU", "abs": "abs", "leaky_relu": "leaky ReLU"})
MOST_CHANGES = 8
"""At most this many changes of branch are written out; the rest are counted."""
MOST_STEADY = 3
"""Up to this many kinks that keep their branch get a sentence each; more are named in one."""


@dataclass(frozen=True)
class KinkChange:
    """The branch of a kink changes in step ``step`` (its parameters θ_step differ in branch from θ_{step−1}):
    the argument's value before and after it, the gradient through the kink before and after, and how the
    argument moves (``motion``: sign, reaches, leaves or crosses). Without an argument, the node operands the
    gradient goes to before and after."""

    step: int
    last: bool  # the run's last step: no step of the run takes the new branch
    before: object | None
    after: object | None
    slope_before: object | None
    slope_after: object | None
    motion: str
    to_before: tuple[str, ...]
    to_after: tuple[str, ...]


@dataclass(frozen=True)
class KinkReport:
    """One kink node over the run: its changes of branch, or (``changes`` empty) where it stays: ``side``
    (negative, positive or None) and the argument's first and last value, the gradient through it ``slope``
    (None where it varies), the operands it goes to ``to`` (without an argument)."""

    node: str
    word: str  # max, ReLU, leaky ReLU ...
    argument: str | None
    changes: tuple[KinkChange, ...]
    side: str | None
    first: object | None
    last: object | None
    slope: object | None
    to: tuple[str, ...]
    constant: bool = False  # the argument has one value throughout


@dataclass(frozen=True)
class KinkSummary:
    """The kinks of a run as the sheet words them: a report per kink written out, the steady ones only named
    (``steady``), the changes not written out counted (``more``)."""

    reports: tuple[KinkReport, ...]
    steady: tuple[str, ...]
    more: int
    steps: int


def kink_summary(kinks: tuple[KinkNode, ...], steps: int, cell: Callable) -> KinkSummary | None:
    """The summary of a run's kink nodes over ``steps`` steps (None without kinks); ``cell`` shows a RunValue.

    >>> from decimal import Decimal
    >>> from symback.runs.optimize import RunValue
    >>> v = lambda x: RunValue(None, Decimal(x))
    >>> node = KinkNode("f", "max", ("z", "q2"), "z", (v("-0.5"), v("-0.17"), v("0.14")),
    ...                 (v("0.2"), v("0.2"), v("1")), ((v(0), v(1)),) * 2 + ((v(1), v(0)),), (1,))
    >>> change = kink_summary((node,), 2, lambda value: value.decimal).reports[0].changes[0]
    >>> change.step, change.last, change.motion, change.slope_before, change.slope_after
    (2, True, 'sign', Decimal('0.2'), Decimal('1'))
    """
    if not kinks:
        return None
    reports, steady, written = [], [], 0
    crossing = [kink for kink in kinks if kink.crossings]
    quiet = [kink for kink in kinks if not kink.crossings]
    for kink in crossing:
        room = MOST_CHANGES - written
        if room <= 0:
            break
        changes = tuple(_change(kink, k, steps, cell) for k in kink.crossings[:room])
        written += len(changes)
        reports.append(_report(kink, changes, cell))
    if len(quiet) <= MOST_STEADY:
        reports.extend(_report(kink, (), cell) for kink in quiet)
    else:
        steady = [kink.node for kink in quiet]
    more = sum(len(kink.crossings) for kink in crossing) - written
    return KinkSummary(tuple(reports), tuple(steady), more, steps)


def _change(kink: KinkNode, k: int, steps: int, cell: Callable) -> KinkChange:
    has_argument = kink.argument is not None
    before = kink.values[k] if has_argument else None
    after = kink.values[k + 1] if has_argument else None
    return KinkChange(
        step=k + 1,
        last=k + 1 == steps,
        before=cell(before) if has_argument else None,
        after=cell(after) if has_argument else None,
        slope_before=cell(kink.slopes[k]) if has_argument else None,
        slope_after=cell(kink.slopes[k + 1]) if has_argument else None,
        motion=_motion(before.decimal, after.decimal) if has_argument else "crosses",
        to_before=_receivers(kink, k),
        to_after=_receivers(kink, k + 1),
    )


def _motion(before, after) -> str:
    if before * after < 0:
        return "sign"
    if after == 0 and before != 0:
        return "reaches"
    if before == 0 and after != 0:
        return "leaves"
    return "crosses"


def _receivers(kink: KinkNode, k: int) -> tuple[str, ...]:
    return tuple(name for name, share in zip(kink.operands, kink.shares[k]) if share.decimal != 0)


def _report(kink: KinkNode, changes: tuple[KinkChange, ...], cell: Callable) -> KinkReport:
    word = KINK_WORDS.get(kink.operation, kink.operation.replace("_", " "))
    side, first, last, slope = None, None, None, None
    if kink.argument is not None:
        signs = {(value.decimal > 0) - (value.decimal < 0) for value in kink.values}
        side = {frozenset({-1}): "negative", frozenset({1}): "positive"}.get(frozenset(signs))
        first, last = cell(kink.values[0]), cell(kink.values[-1])
        if len({value.decimal for value in kink.slopes}) == 1:
            slope = cell(kink.slopes[0])
    constant = kink.argument is not None and len({value.decimal for value in kink.values}) == 1
    return KinkReport(kink.node, word, kink.argument, changes, side, first, last, slope, _receivers(kink, 0), constant)
