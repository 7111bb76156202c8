"""The engine of a training run, in any arithmetic: the schedule of batches over the epochs, and the steps.

Samples are visited in file order, with no shuffling; a batch is a run of ``batch`` consecutive samples, the last
batch of an epoch holding what is left over, and no batch reaches into the next epoch. Each step takes the mean of
the batch's losses and the mean of its gradients at the parameters before the step, then one optimizer step.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice
from types import MappingProxyType
from typing import Mapping, Sequence

import sympy

from ..engine.backprop import problem_graph
from ..engine.gradients import objective_and_gradients
from ..engine.graph import Graph
from ..errors import ArgumentError
from ..numbers.arithmetic import DECIMAL, DecimalArithmetic
from ..problem.limits import Limits
from ..problem.model import ExerciseSpec, OptimizerSpec, Problem
from .optimizers import optimizer, optimizer_step

MAX_PASSES = Limits().passes  # the default limit of sample passes over a whole run (the problem's limits rule)
DATASET_LOSS = ("step", "epoch", "none")  # when the loss over all samples is measured


def batches(samples: int, batch: int | None) -> list[tuple[int, ...]]:
    """One epoch's batches as 0-based sample positions, in file order; the last batch holds the rest.

    >>> batches(5, 2)
    [(0, 1), (2, 3), (4,)]
    >>> batches(3, None)
    [(0, 1, 2)]
    """
    size = samples if batch is None else batch
    return [tuple(range(start, min(start + size, samples))) for start in range(0, samples, size)]


@dataclass(frozen=True)
class RunPlan:
    """What a run computes, before any arithmetic: the graph, the samples (exact), the start values of all
    parameters, the trainable ones, the optimizer, and per step (epoch, batch, measure the dataset loss?)."""

    graph: Graph
    xs: tuple[tuple[sympy.Expr, ...], ...]
    ys: tuple[tuple[sympy.Expr, ...], ...]
    start: Mapping[str, sympy.Expr]
    trainable: tuple[str, ...]
    optimizer: OptimizerSpec
    hyperparameters: Mapping[str, sympy.Expr]
    schedule: tuple[tuple[int, tuple[int, ...], bool], ...]
    final: bool

    @property
    def passes(self) -> int:
        """Sample passes (forward and backward) one run takes."""
        everyone = len(self.xs)
        return sum(everyone if measure else len(batch) for _, batch, measure in self.schedule) + everyone * self.final


def plan_run(problem: Problem, exercise: ExerciseSpec, dataset_loss: str = "step") -> RunPlan:
    """Check a training exercise against its problem and lay out its steps.

    >>> import symback
    >>> from symback.runs.training import TOY
    >>> p = symback.loads(TOY)
    >>> [(epoch, batch) for epoch, batch, _ in plan_run(p, p.exercise("fit")).schedule]
    [(1, (0, 1)), (1, (2,)), (2, (0, 1)), (2, (2,))]
    """
    network, data = problem.network, problem.data
    if network is None or data is None:
        raise ArgumentError("a training run needs a [network] and [data] samples")
    if exercise.task != "train":
        raise ArgumentError(f"exercise {exercise.id} is a {exercise.task} exercise, not train")
    spec = exercise.optimizer or (OptimizerSpec("sgd", exercise.lr) if exercise.lr is not None else None)
    if spec is None:
        raise ArgumentError(f"exercise {exercise.id} gives no optimizer (or lr for plain SGD)")
    if exercise.batch is not None and not 1 <= exercise.batch <= len(data):
        raise ArgumentError(f"a batch of {exercise.batch} from {len(data)} samples")
    unknown = [name for name in spec.options if name not in optimizer(spec.kind).defaults]
    if unknown:
        raise ArgumentError(f"{spec.kind} has no option {unknown[0]!r} (its options: "
                            f"{', '.join(optimizer(spec.kind).defaults) or 'none'})")
    epochs = 1 if exercise.epochs is None else exercise.epochs
    if epochs < 1:
        raise ArgumentError(f"epochs must be at least 1, got {epochs}")
    if dataset_loss not in DATASET_LOSS:
        raise ArgumentError(f"dataset_loss must be one of {', '.join(DATASET_LOSS)}, got {dataset_loss!r}")
    trainable = exercise.params if exercise.params is not None else network.trainable
    for name in trainable:
        if name not in network.parameters:
            raise ArgumentError(f"unknown parameter {name!r}")
        if name in network.frozen:
            raise ArgumentError(f"parameter {name!r} is frozen, so training cannot update it")
    one_epoch = batches(len(data), exercise.batch)
    schedule = tuple(
        (epoch, batch, dataset_loss == "step" or (dataset_loss == "epoch" and position == 0))
        for epoch in range(1, epochs + 1) for position, batch in enumerate(one_epoch)
    )
    plan = RunPlan(
        problem_graph(problem, exercise.activations, exercise.loss), data.x, data.y, network.parameters,
        tuple(trainable), spec, MappingProxyType({**optimizer(spec.kind).defaults, **spec.options}), schedule,
        dataset_loss != "none",
    )
    if plan.passes > problem.limits.passes:
        raise ArgumentError(f"this run takes {plan.passes} sample passes; {problem.limits.beyond('passes')}, or use "
                            "fewer epochs, larger batches, or measure the loss over all samples less often")
    return plan


SIGN_GUARD = 6  # decimal digits of error growth allowed before a value near a kink is told from 0


class RunDecimal(DecimalArithmetic):
    """Decimals whose sign is 0 within rounding noise of 0: ``|v| <= scale·10^(SIGN_GUARD − precision)``, the
    scale being the largest term of the sum ``v`` was computed as (a pre-activation w·x + c), or for any other
    value :attr:`scale`.

    A pre-activation that is exactly 0 (relu at its kink) computes in decimals as a residue like 3·10⁻¹⁷ once a
    value such as 2/3 has been rounded; its sign would choose relu's branch for z > 0. A true value that small
    is told from 0 at a higher precision, where the noise floor is lower, so the run changes and the rounding
    loop goes on; a true 0 stays 0 at every precision.

    >>> run = RunDecimal()
    >>> with decimal.localcontext(prec=16):
    ...     z = run.add([Decimal(2) / 3 * 3, Decimal(-2)])
    ...     run.sign(z), run.sign(run.add([Decimal("1E-9"), Decimal(0)])), run.sign(Decimal("-0.5"))
    (0, 1, -1)
    """

    name = "decimal-run"

    def __init__(self):
        self.scale = Decimal(1)
        self.sums: dict[int, tuple[Decimal, Decimal]] = {}  # id of a sum -> (the sum, its largest term)

    def add(self, values) -> Decimal:
        total = sum(values, Decimal(0))
        if values:
            self.sums[id(total)] = (total, max(abs(v) for v in values))
        return total

    def forget(self) -> None:
        """Drop the sums remembered so far (before each pass: their values are used within it)."""
        self.sums.clear()

    def sign(self, value: Decimal) -> int:
        found = self.sums.get(id(value))
        scale = found[1] if found is not None and found[0] is value else self.scale
        if abs(value) <= scale.scaleb(SIGN_GUARD - decimal.getcontext().prec):
            return 0
        return (value > 0) - (value < 0)


@dataclass(frozen=True)
class RawStep:
    """One step's numbers in the run's arithmetic (Decimals at one precision, or exact values)."""

    batch_loss: object
    dataset_loss: object | None
    gradient: dict[str, object]
    parameters: dict[str, object]


def simulate(plan: RunPlan, arithmetic, steps: int | None = None) -> tuple[dict, list[RawStep], object | None]:
    """Run ``plan`` (its first ``steps`` steps) in ``arithmetic``: (start parameters, the steps, final loss).

    The final loss over all samples comes only with the whole run. Decimals use the current decimal context.

    >>> import symback
    >>> from symback.numbers.arithmetic import EXACT
    >>> from symback.runs.training import TOY
    >>> p = symback.loads(TOY)
    >>> initial, steps, final = simulate(plan_run(p, p.exercise("fit")), EXACT, steps=2)
    >>> [(s.batch_loss, s.dataset_loss, s.gradient["w11"], s.parameters["w11"]) for s in steps]
    [(1/2, 1/3, -1, 11/10), (9/100, 47/150, 9/5, 23/25)]
    """
    graph, xs, ys, spec = plan.graph, plan.xs, plan.ys, plan.optimizer
    inputs = [graph.nodes[i].name for i in graph.inputs]
    deciding = None
    if arithmetic is DECIMAL:  # signs near 0 (kinks) decided within rounding noise, see RunDecimal
        arithmetic = deciding = RunDecimal()
        data = [DECIMAL.from_sympy(v) for row in xs + ys for v in row]

    def one_pass(i: int):
        if deciding is not None:
            deciding.forget()
            deciding.scale = max([Decimal(1), *(abs(v) for v in data), *(abs(v) for v in theta.values())])
        point = dict(zip(inputs, xs[i]))
        return objective_and_gradients(graph, arithmetic, point, ys[i], theta, plan.trainable)[:2]

    theta = {name: arithmetic.from_sympy(value) for name, value in plan.start.items()}
    initial, state, records = dict(theta), None, []
    everyone = tuple(range(len(xs)))
    for _, batch, measure in islice(plan.schedule, steps):
        needed = everyone if measure else batch
        evaluated = {i: one_pass(i) for i in needed}
        batch_loss = _mean(arithmetic, [evaluated[i][0] for i in batch])
        gradient = {name: _mean(arithmetic, [evaluated[i][1][name] for i in batch]) for name in plan.trainable}
        dataset = _mean(arithmetic, [evaluated[i][0] for i in everyone]) if measure else None
        theta, state, _ = optimizer_step(spec.kind, theta, gradient, spec.lr, state, arithmetic=arithmetic,
                                         **plan.hyperparameters)
        records.append(RawStep(batch_loss, dataset, gradient, dict(theta)))
    final = None
    if steps is None and plan.final:
        final = _mean(arithmetic, [one_pass(i)[0] for i in everyone])
    if deciding is not None:
        deciding.forget()
    return initial, records, final


def _mean(arithmetic, values: Sequence):
    if len(values) == 1:
        return values[0]
    return arithmetic.add(values) / arithmetic.from_sympy(sympy.Integer(len(values)))


def dataset_loss_mode(problem: Problem, exercise: ExerciseSpec) -> str:
    """The most often the loss over all samples can be measured within the run's limit of sample passes:
    ``step``, else ``epoch``, else ``none`` (a run too long even so is an error).

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
