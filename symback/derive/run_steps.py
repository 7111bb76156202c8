"""Step records of the runs over several steps: an optimizer at one point (task ``optimize``) and a training run on
the problem's samples (task ``train``), as immutable data for the templates ``steps/optimizer_run`` and
``steps/training_run``.

Nothing here computes a number of the run: the values come from :class:`~symback.runs.optimize.OptimizerRun` and
:class:`~symback.runs.training.TrainingRun`, which each record keeps. A record picks what a sheet shows: which exact
forms are short enough to print beside their decimal (:mod:`symback.derive.run_cells`), which rows of a long run a table holds, which series the
plot draws.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import sympy

from ..problem.model import Problem
from ..runs.optimize import OptimizerRun, RunValue
from ..runs.optimizers import optimizer
from ..runs.optimizers.notation import LABELS, symbol
from ..runs.training import TrainingRun, TrainingStep
from .run_cells import (
    SHORT_LINE,
    Cell,
    ShownRuleLine,
    cell,
    exact_cell,
    shown_rule_line,
)
from .run_kinks import KinkSummary, kink_summary

MAX_ROWS = 60
"""A table of more rows shows the first :data:`FIRST_STEPS` and the last :data:`LAST_STEPS` steps only."""
FIRST_STEPS = 30
LAST_STEPS = 20


@dataclass(frozen=True)
class Hyperparameter:
    """A hyperparameter as stated on the sheet: its name in the problem file (``lr``, ``beta1``), its LaTeX symbol,
    its value, and whether the rule's default filled it in."""

    name: str
    symbol: str
    value: Cell
    default: bool


@dataclass(frozen=True)
class RunRow:
    """One row of an optimizer run's table: step ``t``, one parameter, one cell per column of
    :attr:`OptimizerRunStep.columns`, and the loss before (``loss``) and after the step (``loss_after``), both
    in the first row of each step only."""

    t: int
    parameter: str
    loss: Cell | None
    cells: tuple[Cell, ...]
    loss_after: Cell | None = None


@dataclass(frozen=True)
class OptimizerRunStep:
    """An optimizer over several steps at one point, as a sheet shows it: the rule once in symbols
    (``equations``), written out with the numbers of step 1 for ``parameter`` (``rule_lines``), and a table with a
    row per step and parameter (``head``; for a long run also ``tail``, with ``left_out`` steps between)."""

    run: OptimizerRun
    title: str  # the rule's name: Adam (bias-corrected)
    hyperparameters: tuple[Hyperparameter, ...]
    equations: tuple[tuple[str, str], ...]  # (target, right-hand side) in general symbols
    memories: tuple[str, ...]  # the rule's memories before step 1 (each 0), in LaTeX: m_{0}, v_{0}
    start: tuple[tuple[str, Cell], ...]  # each moving parameter before step 1
    start_loss: Cell  # the loss before step 1
    parameter: str  # the parameter whose first step is written out
    first_g: Cell  # its gradient in step 1
    rule_lines: tuple[ShownRuleLine, ...]
    columns: tuple[str, ...]  # the row's columns shown: g, the rule's own quantities, Δθ, θ'
    headings: tuple[str, ...]  # LaTeX heading per column (g_t, \hat{m}_t, \theta_t)
    labels: tuple[str, ...]  # plain-text heading per column (g, m̂, θ')
    head: tuple[RunRow, ...]
    left_out: int
    tail: tuple[RunRow, ...]
    final_loss: Cell
    steps: int
    kinks: KinkSummary | None = None  # where the run crosses the kinks of its graph (derive/run_kinks.py)
    kind: str = "optimizer_run"

    @property
    def objective(self) -> str:
        """What the run minimises: L, or an expression's f (``objective_words`` says it in words)."""
        return self.run.objective

    @property
    def objective_words(self) -> str:
        return "the loss" if self.run.objective == "L" else "the value"

    @property
    def rows(self) -> tuple[RunRow, ...]:
        """Every row shown (head and tail)."""
        return self.head + self.tail


def optimizer_run_step(run: OptimizerRun, given: Sequence[str] = ()) -> OptimizerRunStep:
    """What a sheet shows of ``run``; ``given`` names the hyperparameters the problem file sets (the others are
    the rule's defaults).

    >>> from symback.problem.model import OptimizerSpec
    >>> from symback.runs.optimize import optimize_with
    >>> def gradient_at(arithmetic, p):           # L = w², dL/dw = 2w
    ...     return p["w"] * p["w"], {"w": p["w"] + p["w"]}
    >>> run = optimize_with(gradient_at, {"w": sympy.Integer(3)}, ["w"], OptimizerSpec("momentum", 1), 2)
    >>> step = optimizer_run_step(run)
    >>> step.columns, [(h.name, h.value.decimal, h.default) for h in step.hyperparameters]
    (('g', 'velocity', 'update', 'new'), [('lr', Decimal('1'), False), ('momentum', Decimal('0.9'), True)])
    >>> [(row.t, row.cells[-1].decimal) for row in step.rows]
    [(1, Decimal('-3')), (2, Decimal('-2.4'))]
    """
    rule = run.rule
    stated = {name: exact_cell(value.exact, run.digits) if value.exact is not None else cell(value)
              for name, value in run.hyperparameters.items()}
    hyperparameters = tuple(Hyperparameter(name, symbol(name), value, name != "lr" and name not in given)
                            for name, value in stated.items())
    columns = tuple(column for column in rule.columns if column != "theta")
    start = {name: _start_cell(run.steps[0].rows[name]["theta"], run.digits) for name in run.parameters}
    parameter = run.parameters[0]
    rule_lines = tuple(shown_rule_line(line, {**stated, "theta": start[parameter]}, run.digits)
                       for line in run.rule_lines(parameter, 1))

    def loss_after(t: int) -> RunValue:
        return run.steps[t].loss if t < len(run.steps) else run.final_loss

    def rows(steps) -> tuple[RunRow, ...]:
        return tuple(
            RunRow(step.t, name, cell(step.loss) if k == 0 else None,
                   tuple(cell(step.rows[name][column]) for column in columns),
                   cell(loss_after(step.t)) if k == 0 else None)
            for step in steps for k, name in enumerate(run.parameters)
        )

    head, left_out, tail = elide(run.steps, len(run.parameters))
    return OptimizerRunStep(
        run=run,
        title=rule.title or rule.name,
        hyperparameters=hyperparameters,
        equations=tuple(tuple(equation.latex().split(" = ", 1)) for equation in rule.equations),
        memories=tuple(symbol(f"{memory}_prev", 1) for memory in rule.state),
        start=tuple(start.items()),
        start_loss=cell(run.steps[0].loss),
        parameter=parameter,
        first_g=cell(run.steps[0].rows[parameter]["g"], SHORT_LINE),
        rule_lines=rule_lines,
        columns=columns,
        headings=tuple(symbol(column) for column in columns),
        labels=tuple(LABELS[column] for column in columns),
        head=rows(head),
        left_out=left_out,
        tail=rows(tail),
        final_loss=cell(run.final_loss),
        steps=len(run.steps),
        kinks=kink_summary(run.kinks, len(run.steps), cell),
    )


def _start_cell(value: RunValue, digits) -> Cell:
    """A parameter before the run, as the file gives it."""
    return exact_cell(value.exact, digits) if value.exact is not None else cell(value)


def elide(steps: Sequence, rows_per_step: int = 1) -> tuple[tuple, int, tuple]:
    """(first steps, how many are left out, last steps): all of them while the table has at most :data:`MAX_ROWS`
    rows, else the first :data:`FIRST_STEPS` and last :data:`LAST_STEPS` rows' worth.

    >>> head, left_out, tail = elide(range(100))
    >>> len(head), left_out, tail[0]
    (30, 50, 80)
    >>> elide(range(3), 2)
    ((0, 1, 2), 0, ())
    """
    steps = tuple(steps)
    if len(steps) * rows_per_step <= MAX_ROWS:
        return steps, 0, ()
    first = max(FIRST_STEPS // rows_per_step, 1)
    last = max(LAST_STEPS // rows_per_step, 1)
    return steps[:first], len(steps) - first - last, steps[-last:]


@dataclass(frozen=True)
class ParameterChange:
    """A trainable parameter before the first step and after the last."""

    name: str
    start: Decimal
    end: Decimal


@dataclass(frozen=True)
class Sample:
    """A sample of the data as given: its 1-based position, input and target (exact)."""

    position: int
    x: tuple[sympy.Expr, ...]
    y: tuple[sympy.Expr, ...]


@dataclass(frozen=True)
class TrainingRunStep:
    """A training run as a sheet shows it: the setup (``title`` and ``hyperparameters`` of the optimizer, the
    batches), the loss per step (``head``; for a long run also ``tail``, with ``left_out`` steps between), every
    trainable parameter before and after, the final loss; the plot of the loss per step is drawn from ``run``'s
    points by :mod:`symback.render.training_plot`."""

    run: TrainingRun
    title: str
    hyperparameters: tuple[Hyperparameter, ...]
    equations: tuple[tuple[str, str], ...]
    data: tuple[Sample, ...]  # the samples (for a long dataset the first ones, then ``data_tail``)
    data_left_out: int
    data_tail: tuple[Sample, ...]
    batching: str  # "full", "mini" or "single"
    batch_size: int  # samples per step (the whole dataset for full batch)
    batches_per_epoch: int
    last_batch: int | None  # the size of each epoch's smaller last batch, None when every batch is full
    dataset_loss: str  # when the loss over all samples is measured: "step", "epoch" or "none"
    head: tuple[TrainingStep, ...]
    left_out: int
    tail: tuple[TrainingStep, ...]
    parameters: tuple[ParameterChange, ...]
    fixed: tuple[str, ...]  # parameters the run does not move
    final_loss: Decimal | None
    kind: str = "training_run"

    @property
    def rows(self) -> tuple[TrainingStep, ...]:
        return self.head + self.tail

    @property
    def start_loss(self) -> Decimal | None:
        """The loss over all samples before the first step (None where the run does not measure it)."""
        return self.run.steps[0].dataset_loss if self.run.steps else None

    def loss_after(self, step: TrainingStep) -> Decimal | None:
        """The loss over all samples after ``step`` (None where the run does not measure it there: measured per
        epoch, it is known after each epoch's last step).

        >>> import symback
        >>> from symback.runs.training import TOY, train
        >>> toy = symback.loads(TOY)
        >>> step = training_run_step(train(toy, "fit"), toy)
        >>> [step.loss_after(s) for s in step.rows] == [s.dataset_loss for s in step.rows[1:]] + [step.final_loss]
        True
        """
        steps = self.run.steps
        return steps[step.step].dataset_loss if step.step < len(steps) else self.final_loss


def training_run_step(run: TrainingRun, problem: Problem, dataset_loss: str = "step") -> TrainingRunStep:
    """What a sheet shows of ``run``, a run on ``problem``'s data (its parameters that the run does not train are
    listed as fixed); ``dataset_loss`` says when the run measured the loss over all samples.

    >>> import symback
    >>> from symback.runs.training import TOY, train
    >>> toy = symback.loads(TOY)
    >>> step = training_run_step(train(toy, "fit"), toy)
    >>> step.batching, step.batches_per_epoch, step.last_batch, [s.step for s in step.rows]
    ('mini', 2, 1, [1, 2, 3, 4])
    """
    rule = optimizer(run.optimizer.kind)
    given = set(run.optimizer.options)
    values = {"lr": run.optimizer.lr, **run.hyperparameters}
    hyperparameters = tuple(
        Hyperparameter(name, symbol(name), exact_cell(value, run.digits), name != "lr" and name not in given)
        for name, value in values.items()
    )
    size = run.samples if run.batch is None else run.batch
    batching = "full" if size == run.samples else "single" if size == 1 else "mini"
    leftover = run.samples % size
    head, left_out, tail = elide(run.steps)
    samples = [Sample(k + 1, x, y) for k, (x, y) in enumerate(zip(problem.data.x, problem.data.y))]
    data, data_left_out, data_tail = elide(samples)
    return TrainingRunStep(
        run=run,
        title=rule.title or rule.name,
        hyperparameters=hyperparameters,
        equations=tuple(tuple(equation.latex().split(" = ", 1)) for equation in rule.equations),
        data=data,
        data_left_out=data_left_out,
        data_tail=data_tail,
        batching=batching,
        batch_size=size,
        batches_per_epoch=-(-run.samples // size),
        last_batch=leftover or None,
        dataset_loss=dataset_loss,
        head=head,
        left_out=left_out,
        tail=tail,
        parameters=tuple(ParameterChange(name, run.initial[name], run.final_parameters[name])
                         for name in run.trainable),
        fixed=tuple(name for name in problem.network.parameters if name not in run.trainable),
        final_loss=run.final_loss,
    )
