"""What a student can be asked for: every quantity of every exercise, with the rule that gives it.

The items themselves (:class:`~symback.checker.items.Item`) are built in :mod:`symback.checker.items`; the
checker applies their rules to a student's own values to tell a slip from an error carried forward.

Exercises that share a point (the same x, y, activations and loss) share their quantities: each quantity
belongs to the first exercise that needs it, so the forward pass of exercise 3 is not asked again in 4 and 5.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from ..derive.exercise import run_exercise
from ..numbers.tolerance import DEFAULT, Tolerance
from ..problem.model import ExerciseSpec, Problem
from .answer_parse import PRECISION
from .circuit_items import CIRCUIT_CHECKED_TASKS, circuit_items
from .items import Item, ItemBuilder, Rule, plain_rule
from .run_items import RUN_CHECKED_TASKS, run_items
from .training_items import TRAINING_CHECKED_TASKS, training_items

CHECKED_TASKS = ("forward", "loss", "gradient", "sgd", "cross_entropy_analysis")  # of network problems
# An expression problem's exercises are checked node by node on its circuit (symback.checker.circuit_items);
# a network's optimizer runs (task "optimize") step by step (symback.checker.run_items), its training runs (task
# "train") step by step too (symback.checker.training_items).

__all__ = ["Checklist", "ExerciseChecklist", "Item", "Rule", "build_checklist", "plain_rule"]


@dataclass(frozen=True)
class ExerciseChecklist:
    """One exercise's items: those it owns, in order, and the keys of earlier exercises' items it reads."""

    exercise: ExerciseSpec
    items: tuple[Item, ...]
    uses: tuple[tuple[str, str], ...]  # (exercise id, key) of items owned elsewhere
    context: int  # exercises with the same context number share a point
    checked: bool = True  # False for exercises the checker does not cover yet (runs of many steps)


@dataclass(frozen=True)
class Checklist:
    """Every checkable quantity of a problem, exercise by exercise, and the default tolerance."""

    problem: Problem
    exercises: tuple[ExerciseChecklist, ...]
    tolerance: Tolerance

    @property
    def items(self) -> list[Item]:
        """All items in order: exercise by exercise, each after the items it is computed from."""
        return [item for exercise in self.exercises for item in exercise.items]

    def item(self, context: int, key: str) -> Item:
        """The item named ``key`` at one point (KeyError if there is none); updates are never looked up."""
        return self._lookup[(context, key)]

    @functools.cached_property
    def _lookup(self) -> dict[tuple[int, str], Item]:
        return {(item.context, item.key): item for item in self.items if item.kind != "update"}

    def exercise(self, exercise_id: str) -> ExerciseChecklist:
        """The checklist of one exercise (KeyError if there is none)."""
        for entry in self.exercises:
            if entry.exercise.id == exercise_id:
                return entry
        raise KeyError(exercise_id)


def build_checklist(problem: Problem) -> Checklist:
    """The checklist of every exercise with a network pass (a discussion such as exercise 7 has none).

    >>> import symback
    >>> checklist = build_checklist(symback.load("problems/ws23_backprop.toml"))
    >>> [item.key for item in checklist.exercise("5").items]
    ["b12'", "a22'"]
    >>> checklist.exercise("5").uses[-1]
    ('4', 'dL/da22')
    """
    contexts: dict[tuple, int] = {}
    owners: dict[tuple[int, str, object], str] = {}  # (context, key, detail) -> exercise id that owns it
    entries = []
    for exercise in problem.exercises:
        context = contexts.setdefault(_point(exercise), len(contexts))
        if problem.expression is not None and exercise.task in CIRCUIT_CHECKED_TASKS:
            items = circuit_items(problem, exercise, context)  # an expression's exercise: its circuit's nodes
            if exercise.task in RUN_CHECKED_TASKS:  # then the optimizer's steps, a run's values its own
                items += run_items(problem, exercise, contexts.setdefault(("run", exercise.id), len(contexts)))
        elif exercise.task in RUN_CHECKED_TASKS:
            context = contexts.setdefault(("run", exercise.id), len(contexts))  # a run's values are its own
            items = run_items(problem, exercise, context)
        elif problem.network is not None and exercise.task in TRAINING_CHECKED_TASKS:
            context = contexts.setdefault(("run", exercise.id), len(contexts))  # a run's values are its own
            items = training_items(problem, exercise, context)
        elif problem.network is None or exercise.task not in CHECKED_TASKS:
            entries.append(ExerciseChecklist(exercise, (), (), context, checked=False))
            continue
        else:
            shown = run_exercise(problem, exercise.id, digits=PRECISION)  # one pass; display decimals from it
            if shown.result is None:
                entries.append(ExerciseChecklist(exercise, (), (), context))
                continue
            items = ItemBuilder(shown, context, problem.digits).items()
        own, uses = [], []
        for item in items:
            identity = (item.context, item.key, exercise.lr if item.kind == "update" else None)
            if identity in owners:
                uses.append((owners[identity], item.key))
            else:
                owners[identity] = exercise.id
                own.append(item)
        entries.append(ExerciseChecklist(exercise, tuple(own), tuple(dict.fromkeys(uses)), context))
    return Checklist(problem, tuple(entries), problem.tolerance or DEFAULT)


def _point(exercise: ExerciseSpec) -> tuple:
    """What makes two exercises' quantities the same: a network's x, y, activations and loss; an expression's
    variables set anew (``values``), y and loss."""
    activations = tuple(sorted((layer, spec) for layer, spec in exercise.activations.items()))
    values = tuple(sorted(exercise.values.items()))
    return exercise.x, exercise.y, activations, exercise.loss, values
