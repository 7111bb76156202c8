"""The checker's report: one verdict per quantity, the first wrong step, counts and a score.

Scoring, with error carried forward: a quantity scores 1 when it is correct, off only by rounding or carried
forward, else 0. A right value that the student's own (wrong) earlier values do not give is ``wrong working``,
and the feedback says what their own values give. It scores 1 (``credited``) where the wrong value the rule
reads is a slip as written, read at once (a value copied wrong, the right one used next); 0 where their working
carried a wrong value to it (two slips that cancel, or a value copied from the sheet's "show that"), since error
carried forward credits what follows from the working. What an exercise asks for always counts; working (z, h, chain-rule factors) counts only
where the student wrote it down.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

import sympy

from ..derive.budget import nested_transcendental, node_count_at_most
from ..display import present
from ..numbers.rounding import round_significant
from ..numbers.text import format_exact
from ..numbers.tolerance import Tolerance
from ..problem.model import Problem
from .checklist import Item
from .readable import readable, readable_key

WRONG_WORKING = "wrong working"  # a right value that the student's own values do not lead to
STATUSES = ("correct", "rounding", "carried forward", WRONG_WORKING, "wrong", "missing", "unreadable")
SCORING = ("correct", "rounding", "carried forward")


@dataclass(frozen=True)
class Verdict:
    """The verdict on one quantity: what was written, what it was read as, what the rule gives from the
    student's own values (``own``; None where there is no rule) and the right value (``item.right``)."""

    item: Item
    status: str
    answer: str | None
    given: Decimal | None
    own: Decimal | None
    reason: str = ""  # unreadable: why; wrong: a hint, if one fits
    carried_from: tuple[str, str] | None = None  # carried forward, wrong working: (exercise, key) of the wrong step
    credited: bool = False  # wrong working: whether it scores (see the module's docstring)

    @property
    def exercise(self) -> str:
        return self.item.exercise

    @property
    def key(self) -> str:
        return self.item.key

    @property
    def counted(self) -> bool:
        """Whether the quantity is part of the score (asked, or working the student wrote down)."""
        return self.item.asked or self.status != "missing"

    @property
    def points(self) -> int:
        return int(self.status in SCORING or (self.status == WRONG_WORKING and self.credited))

    def own_differs(self, digits: int) -> bool:
        """Whether the student's own values lead somewhere else than the exact values do, to ``digits``
        significant digits (the same rounded number twice would say nothing)."""
        if self.own is None:
            return False
        return round_significant(self.own, digits) != round_significant(self.item.reference, digits)

    def own_shown(self, digits: int) -> str:
        """``own`` rounded for display."""
        if self.own is None:
            return ""
        rounded = round_significant(self.own, digits).normalize()
        return format(rounded, "f") if -6 <= rounded.adjusted() <= 15 else str(rounded)

    def right_shown(self) -> str:
        """The right value: exact, and its decimal where the exact form is not a short number."""
        exact, decimal = written_exact(self.item.right), self.item.right.decimal
        if exact is None or exact.has(sympy.Float):  # long, or known as a decimal only (a run's later steps)
            return f"≈ {decimal}"
        text = readable(format_exact(exact))  # for people: 12·e/(1 + e)², not 12*e/(1 + e)**2
        if exact.is_Rational and len(text) <= 8:
            return text
        return f"{text} ≈ {decimal}" if len(text) <= 40 else f"≈ {decimal}"  # a long exact form reads as noise

    def explanation(self, digits: int) -> str:
        """One line on what went wrong (empty for a right answer)."""
        rule = self.item.readable_rule if self.item.rule is not None else None  # "key = rule", as taught
        if self.status == "missing":
            return "no answer"
        if self.status == "unreadable":
            return f"could not read '{self.answer}': {self.reason}"  # as written: a repr would double each backslash
        if self.status == "carried forward":
            exercise, key = self.carried_from
            return f"follows from your {key} (exercise {exercise}), which is wrong; right: {self.right_shown()}"
        if self.status == WRONG_WORKING:
            return self._unsupported(digits, rule)
        if self.status != "wrong":
            return ""
        text = f"you wrote {self.answer}"
        if rule is not None and self.own_differs(digits):
            text += f"; from your own values, {rule} gives {self.own_shown(digits)}; right: {self.right_shown()}"
        elif rule is not None:
            text += f"; {rule} gives {self.right_shown()}"
        else:
            text += f"; right: {self.right_shown()}"
        return text + (f" (hint: {self.reason})" if self.reason else "")

    def _unsupported(self, digits: int, rule: str | None) -> str:
        """Why a right value is not credited: what the student's own values give, and the wrong step behind it."""
        text = f"you wrote {self.answer}, the right value, but your own values do not give it"
        if rule is not None and self.own is not None:
            text += f": from them, {rule} gives {self.own_shown(digits)}"
        if self.carried_from is not None:
            exercise, key = self.carried_from
            text += f" (your {key}, exercise {exercise}, is wrong)"
        text += ("; credited: this step is right, as after a slip in writing down the value before it"
                 if self.credited else "; not credited: your working does not lead to it")
        return text + (f" (hint: {self.reason})" if self.reason else "")

    def note(self, digits: int) -> str:
        """The explanation for a table that already shows the answer, the rule and the right value."""
        if self.status == "carried forward":
            exercise, key = self.carried_from
            return f"follows from your {key} (exercise {exercise}), which is wrong"
        if self.status == WRONG_WORKING:
            parts = ["right, but not from your own values" + (f", which give {self.own_shown(digits)}" if self.own is not None else "")
                     + ("; credited" if self.credited else "; not credited")]
            return "; ".join(parts + ([f"hint: {self.reason}"] if self.reason else []))
        if self.status == "wrong":
            parts = [f"your own values give {self.own_shown(digits)}"] if self.own_differs(digits) else []
            return "; ".join(parts + ([f"hint: {self.reason}"] if self.reason else []))
        if self.status == "unreadable":
            return f"could not read it: {self.reason}"
        return ""

    def as_dict(self, digits: int) -> dict:
        """The verdict as plain data (for JSON)."""
        return {
            "exercise": self.exercise, "key": self.key, "status": self.status, "asked": self.item.asked,
            "description": self.item.description, "rule": self.item.rule_text, "answer": self.answer,
            "value": None if self.given is None else str(self.given),
            "own": None if self.own is None else self.own_shown(digits + 6),
            "right": {"exact": _text(written_exact(self.item.right)), "decimal": str(self.item.right.decimal),
                      "digits50": str(self.item.reference)},
            "reason": self.reason, "carried_from": list(self.carried_from) if self.carried_from else None,
            "points": self.points,
            "explanation": self.explanation(digits),
        }


@dataclass(frozen=True)
class Report:
    """One student's marked answers."""

    problem: Problem
    student: str | None
    source: str
    tolerance: Tolerance
    verdicts: tuple[Verdict, ...]
    notes: tuple[str, ...] = ()

    @property
    def first_wrong(self) -> Verdict | None:
        """The first quantity, in the order of the sheet, whose verdict is ``wrong``."""
        return next((v for v in self.verdicts if v.status == "wrong"), None)

    @property
    def counts(self) -> dict[str, int]:
        found = Counter(v.status for v in self.verdicts if v.counted or v.status != "missing")
        return {status: found[status] for status in STATUSES}

    @property
    def points(self) -> int:
        return sum(v.points for v in self.verdicts if v.counted)

    @property
    def total(self) -> int:
        return sum(1 for v in self.verdicts if v.counted)

    @property
    def all_right(self) -> bool:
        """Nothing wrong, carried forward or unreadable, and nothing asked for is missing."""
        return all(v.status in ("correct", "rounding") or (v.status == "missing" and not v.item.asked)
                   for v in self.verdicts)

    @property
    def exit_code(self) -> int:
        return 0 if self.all_right else 1

    @property
    def headline(self) -> str:
        """The report's first line: the first wrong step, or what else keeps it from being all right."""
        digits = self.problem.digits
        wrong = self.first_wrong
        if wrong is not None:
            return f"First wrong step: exercise {wrong.exercise}, {wrong.key}: {wrong.explanation(digits)}"
        counts = self.counts
        unreadable = [v for v in self.verdicts if v.status == "unreadable"]
        if unreadable:
            first = unreadable[0]
            return (f"Nothing wrong, but {len(unreadable)} answer{'s' * (len(unreadable) > 1)} could not be read; "
                    f"the first: exercise {first.exercise}, {first.key}: {first.reason}")
        missing = [v for v in self.verdicts if v.status == "missing" and v.item.asked]
        if missing:
            names = ", ".join(f"{v.key} (exercise {v.exercise})" for v in missing[:4])
            more = f" and {len(missing) - 4} more" if len(missing) > 4 else ""
            return f"Nothing wrong so far; {len(missing)} asked for missing: {names}{more}"
        if not any(v.status != "missing" for v in self.verdicts):
            return "No answers given"
        return (f"Everything is right: {counts['correct']} correct, {counts['rounding']} off only by rounding"
                + (f", {counts['missing']} working steps left out" if counts["missing"] else ""))

    def __str__(self) -> str:
        """A short summary: the score, the counts and the first wrong step (the whole report is
        :func:`symback.checker.terminal.format_report`, the feedback sheet, or :meth:`as_dict`).

        >>> import symback
        >>> print(symback.check(symback.load("problems/ws23_backprop.toml"), {"4": {"dL/db12": "2.924"}}))
        Report: 0 of 14 right (1 wrong, 13 missing); first wrong: ∂L/∂b12 (exercise 4)
        """
        counts = ", ".join(f"{count} {status}" for status, count in self.counts.items()
                           if count and status not in ("correct", "rounding"))
        text = f"Report{' on ' + self.student if self.student else ''}: {self.points} of {self.total} right"
        text += f" ({counts})" if counts else ""
        wrong = self.first_wrong
        return text + (f"; first wrong: {readable_key(wrong.key)} (exercise {wrong.exercise})" if wrong else "")

    def __repr__(self) -> str:
        return f"<{self}>"

    def _repr_markdown_(self) -> str:
        return present(self, "md")  # the feedback sheet sits above the report: through the one display hook

    def as_dict(self) -> dict:
        """The whole report as plain data (what ``symback check --json`` prints)."""
        digits = self.problem.digits
        wrong = self.first_wrong
        return {
            "problem": self.problem.title, "problem_file": self.problem.source, "answers_file": self.source,
            "student": self.student, "headline": self.headline, "all_right": self.all_right,
            "first_wrong": None if wrong is None else {"exercise": wrong.exercise, "key": wrong.key},
            "score": {"points": self.points, "total": self.total}, "counts": self.counts,
            "tolerance": {**self.tolerance.as_dict(), "text": self.tolerance.describe()},
            "verdicts": [v.as_dict(digits) for v in self.verdicts], "notes": list(self.notes),
        }


WRITTEN_NODES = 60  # nodes of an exact value a report writes out (more print longer than a line)


def written_exact(quantity) -> sympy.Expr | None:
    """A right value's exact form for a report, as SymPy; None where it is past :data:`WRITTEN_NODES` nodes or
    a transcendental function of a transcendental number, judged before anything is converted (SymPy takes
    minutes to build a deep network's value).

    >>> import symengine
    >>> from symback.derive.steps import Quantity
    >>> written_exact(Quantity("h", 1 / (1 + symengine.exp(-1)), Decimal("0.7311")))
    E/(1 + E)
    >>> written_exact(Quantity("g", symengine.exp(1 / (1 + symengine.exp(-1))), Decimal("2.077"))) is None
    True
    """
    value = quantity.value
    if not isinstance(value, sympy.Basic) and (not node_count_at_most(value, WRITTEN_NODES)
                                               or nested_transcendental(value)):
        return None
    return quantity.exact


def _text(exact: sympy.Expr | None) -> str | None:
    return None if exact is None else format_exact(exact)
