"""Training runs: a problem's network trained on its ``[data]`` samples, step by step, in correctly rounded decimals.

The schedule is deterministic, with no shuffling: every epoch visits the samples in file order. A batch is a run
of ``batch`` consecutive samples; when the number of samples is not a multiple of ``batch``, the last batch of
each epoch holds the samples left over (fewer than ``batch``, as PyTorch's ``DataLoader`` with
``drop_last=False``), and no batch reaches into the next epoch. ``batch`` None is full batch (one step per
epoch), 1 is one sample at a time.

In each step the batch's loss is the mean of its samples' losses and its gradient the mean of their gradients,
both at the parameters before the step; then one step of the exercise's optimizer moves the trainable
parameters (the exercise's ``params``, else every parameter that is not frozen), its state (momenta, t) carried
across steps and epochs. The loss over the whole dataset is recorded before every step and after the last.

The whole run is computed in decimal arithmetic at growing precision until every recorded number is correctly
rounded (:mod:`symback.runs.training_rounding`); nothing is converted back to exact values between steps.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Mapping

import sympy

from ..display import present
from ..engine.guards import DomainError
from ..engine.result import to_sympy
from ..errors import ArgumentError, NumericError
from ..numbers.arithmetic import DECIMAL, EXACT
from ..numbers.rounding import valid_rounding, working_context
from ..problem.model import ExerciseSpec, OptimizerSpec, Problem
from .training_plan import (
    DATASET_LOSS,
    MAX_PASSES,
    RunPlan,
    batches,
    plan_run,
    simulate,
)
from .training_rounding import largest_magnitude, rounded_run

__all__ = ["DATASET_LOSS", "MAX_PASSES", "ExactStep", "NumericError", "TrainingRun", "TrainingStep", "batches",
           "exact_first_step", "train"]


@dataclass(frozen=True)
class TrainingStep:
    """One optimizer step. ``samples`` are 1-based positions in ``[data]``; ``batch_loss`` and ``gradient`` (per
    trainable parameter) are means over the batch at the parameters before the step, ``dataset_loss`` the mean
    loss over all samples there (None where not measured); ``parameters`` holds every parameter after the step."""

    epoch: int
    step: int
    samples: tuple[int, ...]
    batch_loss: Decimal
    dataset_loss: Decimal | None
    gradient: Mapping[str, Decimal]
    parameters: Mapping[str, Decimal]


@dataclass(frozen=True)
class TrainingRun:
    """A whole run, every number correctly rounded to ``digits`` significant digits (ties half up).

    ``hyperparameters`` are the optimizer's options with its defaults filled in (exact); ``batch`` None is full
    batch; ``initial`` holds the parameters before the first step; ``final_loss`` is the loss over all samples
    after the last step (None when the run does not measure it). Losses are plotted against t, the number of
    steps taken: the batch loss of step k at t = k − 1, the loss over all samples after t steps at t.

    >>> import symback
    >>> run = train(symback.loads(TOY), "fit")
    >>> run.batch_loss_points[:2], run.dataset_loss_points[-1]
    ([(0, Decimal('0.5')), (1, Decimal('0.09'))], (4, Decimal('0.3761')))
    >>> run.svg().count("<polyline")
    2
    """

    title: str
    exercise_id: str
    optimizer: OptimizerSpec
    hyperparameters: Mapping[str, sympy.Expr]
    batch: int | None
    epochs: int
    samples: int
    trainable: tuple[str, ...]
    digits: int
    initial: Mapping[str, Decimal]
    steps: tuple[TrainingStep, ...]
    final_loss: Decimal | None

    @property
    def final_parameters(self) -> Mapping[str, Decimal]:
        """Every parameter after the last step."""
        return self.steps[-1].parameters if self.steps else self.initial

    @property
    def batch_loss_points(self) -> list[tuple[int, Decimal]]:
        """(t, batch loss) for each step, t = the steps taken before it (0 for the first step)."""
        return [(step.step - 1, step.batch_loss) for step in self.steps]

    @property
    def dataset_loss_points(self) -> list[tuple[int, Decimal]]:
        """(t, loss over all samples after t steps), where measured, ending with the final loss."""
        points = [(step.step - 1, step.dataset_loss) for step in self.steps if step.dataset_loss is not None]
        return points + ([(len(self.steps), self.final_loss)] if self.final_loss is not None else [])

    def svg(self, title: str | None = None) -> str:
        """The loss per step as an SVG line plot (see :func:`symback.render.training_plot.training_svg`);
        ``title`` replaces the default "<title>: exercise <id>"."""
        return present(self, "svg", title=title)  # plotting sits above the run: through the one display hook


def train(problem: Problem, exercise: str | ExerciseSpec, *, digits: int | None = None,
          dataset_loss: str = "step") -> TrainingRun:
    """Run the training exercise ``exercise`` (an id or an :class:`~symback.problem.model.ExerciseSpec`) of ``problem``.

    ``digits`` defaults to the problem's; ``dataset_loss`` is when the loss over all samples is measured:
    before every ``step``, before the first step of each ``epoch``, or ``none`` (both with the final loss, but for
    none).

    >>> import symback
    >>> run = train(symback.loads(TOY), "fit")
    >>> [(s.epoch, s.step, s.samples, s.batch_loss) for s in run.steps[:2]]
    [(1, 1, (1, 2), Decimal('0.5')), (1, 2, (3,), Decimal('0.09'))]
    >>> run.final_parameters["w11"], run.final_loss
    (Decimal('0.9520'), Decimal('0.3761'))
    """
    spec = _spec(problem, exercise)
    digits = problem.rounding if digits is None else digits
    if not valid_rounding(digits):
        raise ArgumentError(f"digits must be a whole number from 1 to 1000 (or a Rounding), got {digits!r}")
    plan = plan_run(problem, spec, dataset_loss)
    try:
        flat = rounded_run(lambda: _flatten(plan), digits, largest_magnitude(_exact_numbers(plan)))
    except NumericError as err:  # one line that says where: the file and the exercise
        raise err.in_exercise(problem.source, spec.id) from err
    return _assemble(problem, spec, plan, digits, flat)


def _spec(problem: Problem, exercise: str | ExerciseSpec) -> ExerciseSpec:
    if isinstance(exercise, ExerciseSpec):
        return exercise
    try:
        return problem.exercise(str(exercise))
    except KeyError as err:
        raise ArgumentError(err.args[0]) from None


def _exact_numbers(plan: RunPlan) -> list:
    return [*plan.start.values(), *(v for row in plan.xs + plan.ys for v in row)]


def _flatten(plan: RunPlan) -> dict[tuple, Decimal]:
    initial, records, final = _simulate_in_decimals(plan)
    flat: dict[tuple, Decimal] = {("initial", name): value for name, value in initial.items()}
    for k, record in enumerate(records):
        flat[("batch_loss", k)] = record.batch_loss
        if record.dataset_loss is not None:
            flat[("dataset_loss", k)] = record.dataset_loss
        flat.update({("gradient", k, name): value for name, value in record.gradient.items()})
        flat.update({("parameter", k, name): value for name, value in record.parameters.items()})
    if final is not None:
        flat[("final_loss",)] = final
    return flat


def _simulate_in_decimals(plan: RunPlan, retries: int = 3):
    """The run at the current precision; where a saturated output rounds to a bound a loss excludes (σ(40) is 1
    at 16 digits, and binary cross-entropy needs ŷ < 1), at twice the precision, up to ``retries`` times."""
    precision = decimal.getcontext().prec
    for attempt in range(retries + 1):
        try:
            with decimal.localcontext(working_context(precision)):
                return simulate(plan, DECIMAL)
        except DomainError:
            if attempt == retries:
                raise
            precision *= 2
        except (decimal.DecimalException, OverflowError) as err:
            raise NumericError("a decimal value of the run overflows or is undefined (a learning rate that makes "
                               "it diverge, or a pre-activation too large for an exponential?)") from err
    raise AssertionError("unreachable")


def _assemble(problem: Problem, spec: ExerciseSpec, plan: RunPlan, digits: int, flat: dict) -> TrainingRun:
    names = tuple(plan.start)
    steps = tuple(
        TrainingStep(
            epoch, k + 1, tuple(i + 1 for i in batch), flat[("batch_loss", k)], flat.get(("dataset_loss", k)),
            MappingProxyType({name: flat[("gradient", k, name)] for name in plan.trainable}),
            MappingProxyType({name: flat[("parameter", k, name)] for name in names}),
        )
        for k, (epoch, batch, _) in enumerate(plan.schedule)
    )
    return TrainingRun(
        problem.title, spec.id, plan.optimizer, plan.hyperparameters, spec.batch,
        1 if spec.epochs is None else spec.epochs, len(plan.xs), plan.trainable, digits,
        MappingProxyType({name: flat[("initial", name)] for name in names}), steps, flat.get(("final_loss",)),
    )


@dataclass(frozen=True)
class ExactStep:
    """The first step of a run exactly (SymPy values): the batch's mean loss, the mean loss over all samples,
    the mean gradient per trainable parameter and every parameter after the step."""

    batch_loss: sympy.Expr
    dataset_loss: sympy.Expr
    gradient: Mapping[str, sympy.Expr]
    parameters: Mapping[str, sympy.Expr]


def exact_first_step(problem: Problem, exercise: str | ExerciseSpec, max_length: int = 60,
                     max_samples: int = 64) -> ExactStep | None:
    """The first step of a training run in exact arithmetic, or None when an exact value would be longer than
    ``max_length`` characters (decimals are then the readable form) or the data has more than ``max_samples``.

    >>> import symback
    >>> step = exact_first_step(symback.loads(TOY), "fit")
    >>> step.batch_loss, step.gradient["w11"], step.parameters["w11"]
    (1/2, -1, 11/10)
    """
    plan = plan_run(problem, _spec(problem, exercise), "step")
    if len(plan.xs) > max_samples:
        return None
    _, (record,), _ = simulate(plan, EXACT, steps=1)
    values = {"batch_loss": record.batch_loss, "dataset_loss": record.dataset_loss,
              **{("gradient", n): v for n, v in record.gradient.items()},
              **{("parameter", n): v for n, v in record.parameters.items()}}
    if any(len(str(value)) > max_length for value in values.values()):
        return None
    exact = {key: to_sympy(value) for key, value in values.items()}
    return ExactStep(
        exact["batch_loss"], exact["dataset_loss"],
        MappingProxyType({n: exact[("gradient", n)] for n in record.gradient}),
        MappingProxyType({n: exact[("parameter", n)] for n in record.parameters}),
    )


TOY = '''
title = "one weight, three samples"
[network]
inputs = 1
[[network.layers]]
weights = "W"
values = [[1]]
activation = "identity"
[loss]
kind = "squared_error"
[data]
x = [1, 2, 3]
y = [2, 2, 3]
[[exercises]]
id = "fit"
task = "train"
lr = 0.1
batch = 2
epochs = 2
'''
"""A tiny problem for the examples: ŷ = w·x, three samples, batches of two."""
