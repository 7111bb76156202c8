"""What a student can be asked for: every quantity of every exercise, with the rule that gives it.

The items themselves (:class:`~symback.checker.items.Item`) are built in :mod:`symback.checker.items`; the
checker applies their rules to a student's own values to tell a slip from an error carried forward. Which items
an exercise has follows from its task (:data:`TASK_ITEMS`) and its steps, whatever the kind of problem and the
presentation: a pass's steps, an optimizer run's values, a training run's values, nothing for a discussion.

Exercises that share a point (the same x, y, activations and loss) share their quantities: each quantity
belongs to the first exercise that needs it, so the forward pass of exercise 3 is not asked again in 4 and 5.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

from ..derive.budget import section_work
from ..derive.exercise import run_exercise
from ..numbers.tolerance import DEFAULT, Tolerance
from ..problem.model import ExerciseSpec, Problem
from .answer_parse import PRECISION
from .items import Item, Rule, plain_rule
from .items.optimizer_run import optimizer_run_items
from .items.steps import step_items
from .items.training_run import training_run_items

__all__ = ["Checklist", "ExerciseChecklist", "Item", "Rule", "build_checklist", "plain_rule"]


@dataclass(frozen=True)
class ExerciseChecklist:
    """One exercise's items: those it owns, in order, and the keys of earlier exercises' items it reads."""

    exercise: ExerciseSpec
    items: tuple[Item, ...]
    uses: tuple[tuple[str, str], ...]  # (exercise id, key) of items owned elsewhere
    context: int  # exercises with the same context number share a point
    checked: bool = True  # False for an exercise whose task the checker does not cover (none in TASK_ITEMS)


@dataclass(frozen=True)
class Checklist:
    """Every checkable quantity of a problem, exercise by exercise, and the default tolerance."""

    problem: Problem
    exercises: tuple[ExerciseChecklist, ...]
    tolerance: Tolerance
    left_out: tuple[str, ...] = ()  # a sentence for each exercise whose work took longer than the command allowed

    @property
    def items(self) -> list[Item]:
        """All items in order: exercise by exercise, each after the items it is computed from."""
        return [item for exercise in self.exercises for item in exercise.items]

    def item(self, context: int, key: str) -> Item:
        """The item named ``key`` at one point (KeyError if there is none); updates are never looked up."""
        return self._lookup[(context, key)]

    @functools.cached_property
    def memo(self) -> dict:
        """A cache for what marking works out once and reuses for every student (the passes a hint makes again
        with a slip), keyed by its user; it lives as long as the checklist."""
        return {}

    @functools.cached_property
    def _lookup(self) -> dict[tuple[int, str], Item]:
        return {(item.context, item.key): item for item in self.items if item.kind != "update"}

    def exercise(self, exercise_id: str) -> ExerciseChecklist:
        """The checklist of one exercise (KeyError if there is none)."""
        for entry in self.exercises:
            if entry.exercise.id == exercise_id:
                return entry
        raise KeyError(exercise_id)


def build_checklist(problem: Problem, guard=None) -> Checklist:
    """The checklist of every exercise (a discussion such as exercise 7 has no items); each exercise's under
    ``guard`` (:func:`~symback.derive.budget.section_work`): one that overran is not checked, with a sentence in
    ``left_out``.

    >>> import symback
    >>> checklist = build_checklist(symback.load("problems/ws23_backprop.toml"))
    >>> [item.key for item in checklist.exercise("5").items]
    ["b12'", "a22'"]
    >>> checklist.exercise("5").uses[-1]
    ('4', 'dL/da22')
    """
    contexts = Contexts()
    owners: dict[tuple[int, str, object], str] = {}  # (context, key, detail) -> exercise id that owns it
    entries, left_out = [], []
    for exercise in problem.exercises:
        point = contexts.point(exercise)
        task_items = TASK_ITEMS.get(exercise.task)
        found = None if task_items is None else section_work(
            guard, f"Exercise {exercise.id}", functools.partial(task_items, problem, exercise, point, contexts),
            left_out)
        if found is None:
            entries.append(ExerciseChecklist(exercise, (), (), point, checked=False))
            continue
        items, context = found
        own, uses = [], []
        for item in items:
            identity = (item.context, item.key, exercise.lr if item.kind == "update" else None)
            if identity in owners:
                uses.append((owners[identity], item.key))
            else:
                owners[identity] = exercise.id
                own.append(item)
        entries.append(ExerciseChecklist(exercise, tuple(own), tuple(dict.fromkeys(uses)), context))
    return Checklist(problem, tuple(entries), problem.tolerance or DEFAULT, tuple(left_out))


class Contexts:
    """Numbers of contexts, the first time each is needed: exercises at one point share theirs; a run's values
    are its own.

    >>> import symback
    >>> p, contexts = symback.load("problems/ws23_backprop.toml"), Contexts()
    >>> contexts.point(p.exercise("3")), contexts.point(p.exercise("4")), contexts.run(p.exercise("4"))
    (0, 0, 1)
    """

    def __init__(self):
        self.numbers: dict[tuple, int] = {}

    def point(self, exercise: ExerciseSpec) -> int:
        """The context of the exercise's point."""
        return self.numbers.setdefault(_point(exercise), len(self.numbers))

    def run(self, exercise: ExerciseSpec) -> int:
        """The context of the exercise's run."""
        return self.numbers.setdefault(("run", exercise.id), len(self.numbers))


TaskItems = Callable[[Problem, ExerciseSpec, int, Contexts], "tuple[list[Item], int]"]
"""An exercise's items and the context of its entry, from the problem, the exercise, its point's context and the
contexts so far."""


def pass_items(problem: Problem, exercise: ExerciseSpec, point: int, contexts: Contexts) -> tuple[list[Item], int]:
    """The items of the steps of the exercise's pass (forward, loss, gradient, sgd), at its point.

    >>> import symback
    >>> p = symback.load("problems/ws23_backprop.toml")
    >>> [item.key for item in pass_items(p, p.exercise("1"), 0, Contexts())[0]][-2:]
    ['yhat', 'L']
    """
    precise = run_exercise(problem, exercise.id, digits=PRECISION)  # one pass; display decimals from it
    return step_items(precise, point, problem.digits), point


def optimizer_items(problem: Problem, exercise: ExerciseSpec, point: int, contexts: Contexts
                    ) -> tuple[list[Item], int]:
    """The items of an optimize exercise: its pass's, where its presentation derives step 1's gradient (a table;
    at the point), then every value of its run (in a context of the run's own).

    >>> import symback
    >>> p = symback.load("problems/circuit_optimizers.toml")
    >>> items, context = optimizer_items(p, p.exercise("2"), 0, Contexts())
    >>> items[0].key, items[-1].key, context
    ('q1', 'b[4]', 0)
    """
    precise = run_exercise(problem, exercise.id, digits=PRECISION)  # the run at 50 digits with it
    items = step_items(precise, point, problem.digits)
    context = contexts.run(exercise)
    for step in precise.of_kind("optimizer_run"):
        items += optimizer_run_items(problem, exercise, context, step.run)
    return items, point if precise.result is not None else context


def training_items(problem: Problem, exercise: ExerciseSpec, point: int, contexts: Contexts
                   ) -> tuple[list[Item], int]:
    """The items of a train exercise: every checked value of its run, in a context of the run's own (the run is
    made at 50 digits with the loss over all samples measured every epoch, whatever the sheet shows).

    >>> import symback
    >>> p = symback.load("problems/xor_training.toml")
    >>> items, context = training_items(p, p.exercise("1"), 0, Contexts())
    >>> items[0].key, context
    ('L[1]', 0)
    """
    context = contexts.run(exercise)
    return training_run_items(problem, exercise, context), context


def discussion_items(problem: Problem, exercise: ExerciseSpec, point: int, contexts: Contexts
                     ) -> tuple[list[Item], int]:
    """A discussion (cross_entropy_analysis) has no values to check.

    >>> discussion_items(None, None, 0, Contexts())
    ([], 0)
    """
    return [], point


TASK_ITEMS: dict[str, TaskItems] = {
    "forward": pass_items,
    "loss": pass_items,
    "gradient": pass_items,
    "sgd": pass_items,
    "optimize": optimizer_items,
    "train": training_items,
    "cross_entropy_analysis": discussion_items,
}
"""Task -> what gives its exercise's items; an exercise whose task is not here is not covered by the checker."""


def _point(exercise: ExerciseSpec) -> tuple:
    """What makes two exercises' quantities the same: a network's x, y, activations and loss; an expression's
    variables set anew (``values``), y and loss."""
    activations = tuple(sorted((layer, spec) for layer, spec in exercise.activations.items()))
    values = tuple(sorted(exercise.values.items()))
    return exercise.x, exercise.y, activations, exercise.loss, values
