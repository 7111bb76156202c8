"""Mark a student's answers quantity by quantity, telling a slip from an error carried forward.

Each quantity gets one verdict:

- ``correct``: within the tolerance of the exact value;
- ``rounding``: off only by rounding, the student's own or that of earlier values (the rule applied to the
  student's own rounded values agrees);
- ``carried forward``: wrong only because an earlier value was wrong (the rule applied to the student's own
  values agrees);
- ``wrong``: neither; the verdict shows the rule, the value the student's own inputs give and the right one;
- ``missing`` or ``unreadable`` (with the reason).

A value the student left out is taken as what the rule gives from their own values, so a chain can be
followed through gaps. Quantities are judged in order, each after the ones it is computed from.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Mapping

from ..errors import ParseError
from ..numbers.tolerance import Tolerance
from ..problem.model import Problem
from .answer_parse import Answer, read_answer, shown_answer
from .answers_file import AnswerSheet, answer_sheet, load_answers
from .checklist import Checklist, Item, build_checklist
from .hints import hint_for
from .report import Report, Verdict
from .rule_values import apply_rule, rounding_outcomes

MAX_NOTES = 20
_SAME = Decimal("1e-40")  # relative difference below which two 50-digit values are one number
CLEAN, ROUNDED, OFF = 0, 1, 2  # how far a value the next steps read is from the exact one, and why


@dataclass(frozen=True)
class _State:
    """The value later steps read for one item, how it came to differ from the exact one, and from where."""

    value: Decimal
    taint: int
    culprit: tuple[str, str] | None = None  # (exercise, key) of the first wrong step it depends on
    written: bool = True  # False where the student left it out and the rule's value stands in


def check(problem: Problem | Checklist, answers: AnswerSheet | Mapping[str, Any] | str | os.PathLike, *,
          tolerance: Tolerance | None = None) -> Report:
    """Mark ``answers`` (exercise id -> quantity name -> value, or an answers file's path) against ``problem``.

    The tolerance is ``tolerance`` if given, else the answers file's, else the problem file's, else a relative
    error of 1e-3. Pass a :class:`~symback.checker.checklist.Checklist` to mark many students without rebuilding it.

    >>> import symback
    >>> problem = symback.load("problems/ws23_backprop.toml")
    >>> report = symback.check(problem, {"1": {"yhat": "0", "L": "0.5"}})
    >>> report.first_wrong.key, report.first_wrong.status
    ('L', 'wrong')
    >>> print(report.headline)
    First wrong step: exercise 1, L: you wrote 0.5; L = (yhat − y)² gives 1 (hint: half the right value: check the factor ½ of the loss (squared error (ŷ − y)², no factor ½, summed over outputs))
    """
    checklist = problem if isinstance(problem, Checklist) else build_checklist(problem)
    sheet = load_answers(answers) if isinstance(answers, (str, os.PathLike)) else answer_sheet(answers)
    policy = tolerance or sheet.tolerance or checklist.tolerance
    given, notes = _collect(checklist, sheet)
    states: dict[tuple[int, str], _State] = {}
    verdicts = []
    for item in checklist.items:
        verdict, state = _judge(item, given.get((item.exercise, item.key)), states, policy, checklist)
        if item.kind != "update":
            states[(item.context, item.key)] = state
        verdicts.append(verdict)
    return Report(checklist.problem, sheet.student, sheet.source, policy, tuple(verdicts), tuple(notes))


def normalise_key(key: str) -> str:
    """A quantity name as students may write it, in the form the checklist uses.

    >>> normalise_key(" ∂L/∂ŷ "), normalise_key("a22’")
    ('dL/dyhat', "a22'")
    """
    for written, meant in (("∂", "d"), ("ŷ", "yhat"), ("’", "'"), ("′", "'"), (" ", "")):
        key = key.replace(written, meant)
    return key.strip()


def _collect(checklist: Checklist, sheet: AnswerSheet) -> tuple[dict[tuple[str, str], Any], list[str]]:
    """Each answer under (owning exercise, key); a quantity may also be answered in a later exercise that uses it."""
    given: dict[tuple[str, str], Any] = {}
    where: dict[tuple[str, str], str] = {}
    notes = []
    known = {entry.exercise.id: entry for entry in checklist.exercises}
    for exercise_id in sorted(sheet.exercises, key=lambda i: list(known).index(i) if i in known else len(known)):
        if exercise_id not in known:
            notes.append(f"exercises.{exercise_id}: there is no exercise {exercise_id!r}; its answers were ignored")
            continue
        entry = known[exercise_id]
        owners = {item.key: exercise_id for item in entry.items} | {key: owner for owner, key in entry.uses}
        for written, value in sheet.exercises[exercise_id].items():
            key = normalise_key(written)
            if key not in owners:
                notes.append(f"exercises.{exercise_id}: {written!r} is not a quantity of exercise {exercise_id}; ignored")
                continue
            slot = (owners[key], key)
            if _blank(value):
                continue
            if slot in given:
                if str(given[slot]).strip() != str(value).strip():
                    notes.append(f"exercises.{exercise_id}: {key} is also answered in exercise {where[slot]}; "
                                 f"that answer counts")
                continue
            given[slot], where[slot] = value, exercise_id
    if len(notes) > MAX_NOTES:  # a file of a thousand stray keys needs a summary, not a thousand lines
        notes[MAX_NOTES:] = [f"and {len(notes) - MAX_NOTES} more notes like these"]
    return given, notes


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _judge(item: Item, raw: Any, states: dict, policy: Tolerance, checklist: Checklist) -> tuple[Verdict, _State]:
    rules = [(rule, [states[(item.context, key)] for key in rule.inputs]) for rule in item.rules]
    owns = [apply_rule(rule, [state.value for state in inputs]) for rule, inputs in rules]
    own = owns[0] if item.compute is not None else None
    fallback = _State(item.reference, CLEAN, written=False)
    if own is not None:
        fallback = _State(own, *_upstream(rules[0][1]), written=False)
    if raw is None:
        return Verdict(item, "missing", None, None, own), fallback
    try:
        answer = read_answer(raw)
    except ParseError as error:
        return Verdict(item, "unreadable", _shown(raw), None, own, reason=error.reason), fallback
    value, reference = answer.number, item.reference
    if policy.within(value, reference):
        return Verdict(item, "correct", answer.text, value, own), _State(value, CLEAN if value == reference else ROUNDED)
    if _rounded_from(answer, reference, policy):
        return Verdict(item, "rounding", answer.text, value, own), _State(value, ROUNDED)
    for (rule, inputs), rule_own in zip(rules, owns):  # the student's own values explain the answer
        if rule_own is not None and _agrees(answer, rule_own, policy):
            return _followed(item, answer, own, inputs)
    for rule, inputs in rules:  # ... once the values they left out may have been rounded on the way
        outcomes = rounding_outcomes(rule, [s.value for s in inputs], [s.written for s in inputs], policy)
        if any(_matches(answer, outcome, policy) for outcome in outcomes):
            return _followed(item, answer, own, inputs)
    hint = hint_for(item, answer, own, [s.value for s in rules[0][1]] if rules else [], policy, checklist)
    return (Verdict(item, "wrong", answer.text, value, own, reason=hint),
            _State(value, OFF, (item.exercise, item.key)))


def _upstream(inputs: list[_State]) -> tuple[int, tuple[str, str] | None]:
    """How the values a rule read differ from the exact ones, and the first wrong step behind them."""
    taint = max((state.taint for state in inputs), default=CLEAN)
    return taint, next((state.culprit for state in inputs if state.taint == OFF), None)


def _followed(item: Item, answer: Answer, own: Decimal | None, inputs: list[_State]) -> tuple[Verdict, _State]:
    """The answer follows from the student's own values: carried forward if one of them was wrong."""
    taint, culprit = _upstream(inputs)
    if taint == OFF:
        return (Verdict(item, "carried forward", answer.text, answer.number, own, carried_from=culprit),
                _State(answer.number, OFF, culprit))
    return Verdict(item, "rounding", answer.text, answer.number, own), _State(answer.number, ROUNDED)


def _agrees(answer: Answer, reference: Decimal, policy: Tolerance) -> bool:
    return policy.within(answer.number, reference) or _rounded_from(answer, reference, policy)


def _matches(answer: Answer, computed: Decimal, policy: Tolerance) -> bool:
    """The answer is ``computed`` as written: to its own last digit, not merely within the tolerance (a value
    from rounded inputs already spends the rounding the tolerance allows)."""
    if answer.places is None:
        return abs(answer.number - computed) <= _SAME * max(abs(computed), Decimal(1))
    return _rounded_from(answer, computed, policy)


def _rounded_from(answer: Answer, reference: Decimal, policy: Tolerance) -> bool:
    """The answer is ``reference`` rounded at the answer's own last digit (and carries enough digits)."""
    if not policy.allows_rounding(answer.places, answer.figures):
        return False
    return abs(answer.number - reference) <= Decimal(5).scaleb(-answer.places - 1)


def _shown(raw: Any) -> str:
    text = shown_answer(raw)  # as written, or in words: never a Python repr
    return text if len(text) <= 80 else text[:77] + "..."
