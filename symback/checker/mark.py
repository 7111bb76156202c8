"""Mark a student's answers quantity by quantity, telling a slip from an error carried forward.

Each quantity gets one verdict:

- ``correct``: within the tolerance of the exact value;
- ``rounding``: off only by rounding, the student's own or that of earlier values (the rule applied to the
  student's own rounded values agrees);
- ``carried forward``: wrong only because an earlier value was wrong (the rule applied to the student's own
  values agrees);
- ``wrong working``: the right value, but the rule applied to the student's own values (one of them wrong) does
  not give it: two slips that cancel; it scores 0, and says what their values give;
- ``wrong``: neither; the verdict shows the rule, the value the student's own inputs give and the right one;
- ``missing`` or ``unreadable`` (with the reason).

A value the student left out is taken as what the rule gives from their own values, so a chain can be
followed through gaps. Quantities are judged in order, each after the ones it is computed from.

The student's own values are held with the rounding they carry (``slack``): half a unit in the last digit of a
decimal written to the policy's precision, and for a value left out what its inputs' slack does to its rule. What
the slack does to a step is an absolute allowance next to the policy's, so a student rounding to 3 figures is
followed after a slip as on a clean path, and a value whose own result is near zero is not compared relatively.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Mapping

from ..errors import ParseError
from ..numbers.tolerance import Tolerance
from ..problem.model import Problem
from .answer_parse import Answer, read_answer, shown_answer
from .answers_file import AnswerSheet, answer_sheet, load_answers, shown_key
from .checklist import Checklist, Item, build_checklist
from .hints import hint_for
from .report import WRONG_WORKING, Report, Verdict
from .rule_values import apply_rule, carried_slack, rounding_outcomes

MAX_NOTES = 20
_SAME = Decimal("1e-40")  # relative difference below which two 50-digit values are one number
CLEAN, ROUNDED, OFF = 0, 1, 2  # how far a value the next steps read is from the exact one, and why


@dataclass(frozen=True)
class _State:
    """The value later steps read for one item, how it came to differ from the exact one, and from where.

    ``slack`` is how far the value the student carried on may be from ``value`` by rounding alone: half a unit
    in the last digit of a decimal they wrote (their calculator may hold more), and for a value they left out,
    what the slack of its inputs does to its rule."""

    value: Decimal
    taint: int
    culprit: tuple[str, str] | None = None  # (exercise, key) of the first wrong step it depends on
    written: bool = True  # False where the student left it out and the rule's value stands in
    slack: Decimal | _Pending = Decimal(0)
    slip: bool = False  # the wrong step itself, as written (not a value that follows from one)


class _Pending:
    """The slack of a value left out, worked out only when an answer needs it (a run's rule costs a network
    pass at every value it is tried at)."""

    __slots__ = ("inputs", "own", "rule", "value")

    def __init__(self, rule, inputs: list[_State], own: Decimal):
        self.rule, self.inputs, self.own, self.value = rule, inputs, own, None


def _slack(state: _State) -> Decimal:
    """The state's slack, working out pending ones first (without recursion: a run chains hundreds of them)."""
    if not isinstance(state.slack, _Pending):
        return state.slack
    stack = [state.slack]
    while stack:
        top = stack[-1]
        if top.value is not None:
            stack.pop()
            continue
        waiting = [s.slack for s in top.inputs if isinstance(s.slack, _Pending) and s.slack.value is None]
        if waiting:
            stack.extend(waiting)
            continue
        top.value = _carried(top.rule, top.inputs, top.own)
        stack.pop()
    return state.slack.value


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
    notes = [f"{sentence} (not marked)" for sentence in checklist.left_out] + notes
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
            notes.append(f"exercises.{shown_key(exercise_id)}: there is no exercise {exercise_id!r}; its answers were ignored")
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
        rule, inputs = rules[0]
        pending = _Pending(rule, inputs, own) if any(state.slack for state in inputs) else Decimal(0)
        fallback = _State(own, *_upstream(inputs), written=False, slack=pending)
    if raw is None:
        return Verdict(item, "missing", None, None, own), fallback
    try:
        answer = read_answer(raw)
    except ParseError as error:
        return Verdict(item, "unreadable", _shown(raw), None, own, reason=error.reason), fallback
    value, reference = answer.number, item.reference
    right = policy.within(value, reference)
    if right or _rounded_from(answer, reference, policy):
        state = _State(value, CLEAN if value == reference else ROUNDED, slack=_written_slack(answer, policy))
        if _from_wrong_working(answer, rules, owns, policy):
            return _wrong_working(item, answer, own, rules, policy, checklist), state
        return Verdict(item, "correct" if right else "rounding", answer.text, value, own), state
    followed = _explaining_rule(answer, rules, owns, policy)
    if followed is not None:
        return _followed(item, answer, own, followed, policy)
    hint = hint_for(item, answer, own, [s.value for s in rules[0][1]] if rules else [], policy, checklist)
    return (Verdict(item, "wrong", answer.text, value, own, reason=hint),
            _State(value, OFF, (item.exercise, item.key), slack=_written_slack(answer, policy), slip=True))


def _explaining_rule(answer: Answer, rules: list, owns: list, policy: Tolerance) -> list[_State] | None:
    """The inputs of the first rule that, applied to the student's own values, gives their answer: exactly, to
    the rounding those values carry, or once values they left out are rounded on the way; None if none does."""
    for (rule, inputs), rule_own in zip(rules, owns):
        if rule_own is not None and _agrees(answer, rule_own, policy, _noise(rule_own, inputs)):
            return inputs
    for (rule, inputs), rule_own in zip(rules, owns):  # the figures the student carried
        if rule_own is not None and any(state.slack for state in inputs):
            floor = _carried(rule, inputs, rule_own) + _noise(rule_own, inputs)
            if _agrees(answer, rule_own, policy, floor):
                return inputs
    for rule, inputs in rules:  # values they left out, rounded on the way
        outcomes = rounding_outcomes(rule, [s.value for s in inputs], [s.written for s in inputs], policy)
        if any(_matches(answer, outcome, policy) for outcome in outcomes):
            return inputs
    return None


def _from_wrong_working(answer: Answer, rules: list, owns: list, policy: Tolerance) -> bool:
    """A right answer that the student's own values do not give: some rule reads a wrong earlier value, and no
    rule applied to their values (with the rounding they carry) explains the answer."""
    if not any(state.taint == OFF for _, inputs in rules for state in inputs):
        return False
    if all(rule_own is None for rule_own in owns):
        return False
    return _explaining_rule(answer, rules, owns, policy) is None


def _wrong_working(item: Item, answer: Answer, own: Decimal | None, rules: list, policy: Tolerance,
                   checklist: Checklist) -> Verdict:
    """The verdict on a right value that the student's own (wrong) earlier values do not give.

    Credited where every wrong value the rule reads is a slip as written, read at once (a value copied wrong,
    the right one used next: z1_2 = 1.2, then h1_2 = σ(1)); not where the working carried a wrong value to it
    (a value carried forward, or one left out that follows from a slip): two slips that cancel."""
    inputs = rules[0][1]
    _, culprit = _upstream(inputs)
    if culprit is None:
        culprit = next((_upstream(found)[1] for _, found in rules if _upstream(found)[1]), None)
    credited = all(state.slip for state in inputs if state.taint == OFF)
    as_exact = dataclasses.replace(answer, places=None, figures=None)  # a right value: no hint on its digits
    hint = hint_for(item, as_exact, own, [s.value for s in inputs], policy, checklist)
    return Verdict(item, WRONG_WORKING, answer.text, answer.number, own, reason=hint, carried_from=culprit,
                   credited=credited)


def _carried(rule, inputs: list[_State], own: Decimal) -> Decimal:
    """How far the rule's value may move with the rounding its inputs carry."""
    slacks = [_slack(state) for state in inputs]
    if not any(slacks):
        return Decimal(0)
    return carried_slack(rule, [state.value for state in inputs], slacks, own)


def _written_slack(answer: Answer, policy: Tolerance) -> Decimal:
    """Half a unit in the last digit of a decimal written to the policy's precision (the student may have
    carried more digits than they wrote); 0 for an exact form or a number that is not a rounded one."""
    if answer.places is None or not policy.allows_rounding(answer.places, answer.figures):
        return Decimal(0)
    return Decimal(5).scaleb(-answer.places - 1)


def _noise(own: Decimal, inputs: list[_State]) -> Decimal:
    """The 50-digit residue below which a value is zero: relative to the size of what the rule read, so
    σ(1) − σ(1) = 3E-51 is 0, not a number to compare relatively."""
    scale = max([abs(own), Decimal(1)] + [abs(state.value) for state in inputs])
    return _SAME * scale


def _upstream(inputs: list[_State]) -> tuple[int, tuple[str, str] | None]:
    """How the values a rule read differ from the exact ones, and the first wrong step behind them."""
    taint = max((state.taint for state in inputs), default=CLEAN)
    return taint, next((state.culprit for state in inputs if state.taint == OFF), None)


def _followed(item: Item, answer: Answer, own: Decimal | None, inputs: list[_State],
              policy: Tolerance) -> tuple[Verdict, _State]:
    """The answer follows from the student's own values: carried forward if one of them was wrong."""
    taint, culprit = _upstream(inputs)
    slack = _written_slack(answer, policy)
    if taint == OFF:
        return (Verdict(item, "carried forward", answer.text, answer.number, own, carried_from=culprit),
                _State(answer.number, OFF, culprit, slack=slack))
    return Verdict(item, "rounding", answer.text, answer.number, own), _State(answer.number, ROUNDED, slack=slack)


def _agrees(answer: Answer, reference: Decimal, policy: Tolerance, floor: Decimal) -> bool:
    """Within the tolerance of ``reference``, or ``reference`` rounded at the answer's last digit, either with an
    absolute ``floor`` for the rounding the inputs carry and the residue of 50-digit arithmetic."""
    return policy.within(answer.number, reference, floor) or _rounded_from(answer, reference, policy, floor)


def _matches(answer: Answer, computed: Decimal, policy: Tolerance) -> bool:
    """The answer is ``computed`` as written: to its own last digit, not merely within the tolerance (a value
    from rounded inputs already spends the rounding the tolerance allows)."""
    if answer.places is None:
        return abs(answer.number - computed) <= _SAME * max(abs(computed), Decimal(1))
    return _rounded_from(answer, computed, policy)


def _rounded_from(answer: Answer, reference: Decimal, policy: Tolerance, floor: Decimal = Decimal(0)) -> bool:
    """The answer is ``reference`` rounded at the answer's own last digit (and carries enough digits)."""
    if not policy.allows_rounding(answer.places, answer.figures):
        return False
    return abs(answer.number - reference) <= Decimal(5).scaleb(-answer.places - 1) + floor


def _shown(raw: Any) -> str:
    text = shown_answer(raw)  # as written, or in words: never a Python repr
    return text if len(text) <= 80 else text[:77] + "..."
