"""The builders of the tasks that run over several steps on a network problem, for the task registry of
:mod:`symback.derive.exercise`: ``optimize`` (an optimizer at one point, :mod:`symback.runs.optimize`) and ``train`` (a
training run on the problem's samples, :mod:`symback.runs.training`). Each gives one step record
(:mod:`symback.derive.run_steps`) and no single network pass.

>>> import symback
>>> steps = symback.run_exercise(symback.load("problems/ws23_optimizers.toml"), "1").steps
>>> [(step.kind, step.steps, str(step.final_loss.decimal)) for step in steps]
[('optimizer_run', 3, '1.345')]
"""

from __future__ import annotations

from ..errors import ArgumentError
from ..problem.model import ExerciseSpec, Problem
from ..runs.optimize import run_optimizer
from ..runs.training import train
from ..runs.training_plan import DATASET_LOSS, plan_run
from .run_steps import optimizer_run_step, training_run_step


def optimize_task(problem: Problem, exercise: ExerciseSpec, digits: int):
    """``exercise.steps`` steps of the exercise's optimizer at its point: one ``optimizer_run`` step."""
    run = run_optimizer(problem, exercise, digits)
    given = exercise.optimizer.options if exercise.optimizer is not None else {}
    return [optimizer_run_step(run, tuple(given))], None


def train_task(problem: Problem, exercise: ExerciseSpec, digits: int):
    """The exercise's training run: one ``training_run`` step. The loss over all samples is measured before every
    step, or, where that would take too many sample passes, before each epoch, or else not at all
    (:func:`dataset_loss_mode`)."""
    mode = dataset_loss_mode(problem, exercise)
    run = train(problem, exercise, digits=digits, dataset_loss=mode)
    return [training_run_step(run, problem, mode)], None


def dataset_loss_mode(problem: Problem, exercise: ExerciseSpec) -> str:
    """The most often the loss over all samples can be measured within the run's limit of sample passes:
    ``step``, else ``epoch``, else ``none`` (a run too long even so is an error, as :func:`~symback.runs.training.train`
    says).

    >>> import symback
    >>> from symback.runs.training import TOY
    >>> toy = symback.loads(TOY)
    >>> dataset_loss_mode(toy, toy.exercise("fit"))
    'step'
    """
    for mode in DATASET_LOSS:
        try:
            plan_run(problem, exercise, mode)
        except ArgumentError:
            if mode == DATASET_LOSS[-1]:
                raise
            continue
        return mode
    raise AssertionError("unreachable")
