"""Run one exercise of a problem by id and return all of its steps (a task registry: task name -> builder)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import sympy

from ..display import present
from ..engine.backprop import backprop_exercise
from ..engine.guards import DomainError
from ..engine.result import BackpropResult
from ..errors import ArgumentError, ProblemError
from ..problem.losses import make_loss
from ..problem.model import ExerciseSpec, Problem
from .analysis import cross_entropy_analysis
from .chain_rule import Deriver
from .run_tasks import optimize_task, train_task
from .steps import ClaimStep, Conventions


@dataclass(frozen=True)
class ExerciseResult:
    """The steps of one exercise in the order a solution sheet shows them.

    ``result`` is the pass the steps came from (None for tasks without a network pass).
    """

    problem: Problem
    exercise: ExerciseSpec
    steps: tuple
    conventions: Conventions
    result: BackpropResult | None = None

    def of_kind(self, kind: str) -> list:
        """The steps of one kind (``forward``, ``loss``, ``gradient``, ``update``, ...)."""
        return [step for step in self.steps if step.kind == kind]

    def _repr_markdown_(self) -> str:
        return present(self, "md")  # rendering sits above the derivation: through the one display hook

    def _repr_latex_(self) -> str:
        return present(self, "tex")

    def quantities(self) -> dict:
        """Every quantity the steps show, by name: name -> Quantity."""
        found = {}
        for step in self.steps:
            for attribute in ("quantity", "gradient", "new", "actual"):
                value = getattr(step, attribute, None)
                if value is not None and hasattr(value, "name"):
                    found[value.name] = value
        return found


def run_exercise(problem: Problem, exercise_id, digits: int | None = None) -> ExerciseResult:
    """All steps of exercise ``exercise_id``, with decimals to ``digits`` significant digits.

    >>> import symback
    >>> p = symback.load("problems/ws23_backprop.toml")
    >>> [step.quantity.exact for step in run_exercise(p, "4").of_kind("gradient")]
    [-4*E/(1 + E), 12*E/(1 + E)**2]
    """
    try:
        exercise = problem.exercise(str(exercise_id))
    except KeyError as err:
        raise ArgumentError(err.args[0]) from err
    digits = problem.digits if digits is None else digits
    if problem.expression is not None:
        from .circuit_tasks import (
            CIRCUIT_TASKS,  # an expression's exercises run on its circuit
        )

        tasks = CIRCUIT_TASKS
    else:
        tasks = TASKS
    builder = tasks.get(exercise.task)
    if builder is None:
        raise ArgumentError(f"exercise {exercise.id}: task {exercise.task} has no worked solution yet")
    try:
        steps, result = builder(problem, exercise, digits)
    except DomainError as err:  # the exercise's numbers leave a function's domain: the file's key says which
        raise ProblemError(f"exercises[id={exercise.id}]", str(err), source=problem.source) from err
    return ExerciseResult(problem, exercise, tuple(steps), conventions(problem, result), result)


def conventions(problem: Problem, result: BackpropResult | None) -> Conventions:
    """The conventions box: the loss's remark and each distinct activation's remark."""
    if problem.expression is not None:
        from .circuit_tasks import (
            circuit_conventions,  # an expression's operations have remarks of their own
        )

        return circuit_conventions(problem, result)
    loss = result.graph.loss if result else make_loss(problem.loss.kind, problem.network.outputs)
    remarks = tuple(dict.fromkeys(a.remark for a in result.graph.layer_activations)) if result else ()
    return Conventions(loss.remark, remarks)


def _forward(problem, exercise, digits, *, with_loss=True, claims=True):
    result = backprop_exercise(problem, exercise)
    deriver = Deriver(result, digits)
    pending = deriver.forward_steps()
    if not with_loss or exercise.y is None:
        pending = pending[:-1]
    claim_names = [deriver.value_request(result.graph.index[name]) for name in exercise.show] if claims else []
    return deriver, pending, claim_names, result


def _claims(exercise, names, quantity) -> list:
    steps = []
    for name in names:
        actual = quantity(name)
        claimed = exercise.show[name]
        steps.append(ClaimStep(name, claimed, actual, sympy.simplify(actual.exact - claimed) == 0))
    return steps


def _check_shown(problem: Problem, exercise: ExerciseSpec, result: BackpropResult) -> None:
    for name in exercise.show:
        if name not in result.graph.index:
            raise ProblemError(f"exercises[id={exercise.id}].show", f"no quantity named {name!r}", source=problem.source)


def forward_task(problem, exercise, digits):
    deriver, pending, claim_names, result = _forward(problem, exercise, digits)
    _check_shown(problem, exercise, result)
    quantity = deriver.finish()
    return [build(quantity) for build in pending] + _claims(exercise, claim_names, quantity), result


def gradient_task(problem, exercise, digits, *, rate=None):
    deriver, pending, claim_names, result = _forward(problem, exercise, digits)
    _check_shown(problem, exercise, result)
    parameters = list(exercise.params) if exercise.params is not None else list(result.grad)
    pending += [deriver.gradient_step(name) for name in parameters]
    if rate is not None:
        pending += [deriver.update_step(name, rate) for name in parameters]
    quantity = deriver.finish()
    return [build(quantity) for build in pending] + _claims(exercise, claim_names, quantity), result


def sgd_task(problem, exercise, digits):
    return gradient_task(problem, exercise, digits, rate=exercise.lr)


def analysis_task(problem, exercise, digits):
    return [cross_entropy_analysis(digits)], None


TASKS: dict[str, Callable] = {
    "forward": forward_task,
    "loss": forward_task,
    "gradient": gradient_task,
    "sgd": sgd_task,
    "cross_entropy_analysis": analysis_task,
    "optimize": optimize_task,
    "train": train_task,
}
