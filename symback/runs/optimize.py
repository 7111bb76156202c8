"""An optimizer over several steps at one point: each step takes the gradient at the current parameters and applies
the rule, and every value of every step comes out exact where that stays readable and correctly rounded always
(how: :mod:`symback.runs.loop`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType

import sympy

from ..errors import ArgumentError, NumericError
from ..numbers.arithmetic import DECIMAL
from ..numbers.rounding import (
    as_rounding,
    correctly_rounded,
    trimmed,
    valid_rounding,
)
from ..problem.model import ExerciseSpec, OptimizerSpec, Problem
from ..problem.optimizer_options import range_problem
from .gradient_source import gradient_source
from .kinks import KinkNode, kink_nodes
from .loop import GradientAt, Readable, StepLoop, key, loss_key, rounded_run
from .optimizers import Optimizer, optimizer
from .optimizers.base import exact_input
from .optimizers.notation import Equation


@dataclass(frozen=True)
class RunValue:
    """A value of the run: ``exact`` (SymPy; None where too long to read) and ``decimal``, correctly rounded."""

    exact: sympy.Expr | None
    decimal: Decimal


@dataclass(frozen=True)
class OptimizerStep:
    """Step ``t``: the loss L(θ_{t−1}) it starts from and, per parameter, the rule's row (column -> value)."""

    t: int
    loss: RunValue
    rows: Mapping[str, Mapping[str, RunValue]]


@dataclass(frozen=True)
class RuleLine:
    """One equation of the rule at one step for one parameter: the values its symbols take and its result.

    A sheet prints ``equation.latex(t)`` = ``equation.substituted({name: its number})`` = ``result``.
    """

    equation: Equation
    t: int
    values: Mapping[str, RunValue]
    result: RunValue


@dataclass(frozen=True)
class OptimizerRun:
    """Every step of an optimizer run. ``hyperparameters`` holds lr and every option (defaults filled in);
    ``final_loss`` is L after the last step; ``exact_steps`` counts the steps whose values were computed exactly
    (later ones have only decimals)."""

    rule: Optimizer
    parameters: tuple[str, ...]
    hyperparameters: Mapping[str, RunValue]
    steps: tuple[OptimizerStep, ...]
    final_loss: RunValue
    digits: int
    exact_steps: int
    objective: str = "L"  # the name of what is minimised: L, or an expression's f when it has no loss
    kinks: tuple[KinkNode, ...] = ()  # the graph's kink nodes over the run (runs/kinks.py)

    @property
    def kind(self) -> str:
        return self.rule.name

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns of a row, as :attr:`Optimizer.columns` (θ, g, ..., Δθ, θ')."""
        return self.rule.columns

    def table(self) -> tuple[dict, ...]:
        """One row per step and parameter: ``t``, ``parameter``, ``loss`` (before the step) and the columns."""
        return tuple({"t": step.t, "parameter": name, "loss": step.loss, **step.rows[name]}
                     for step in self.steps for name in self.parameters)

    def values_at(self, t: int, parameter: str) -> dict[str, RunValue]:
        """Every name the rule's equations use at step ``t``: lr and the options, t, the memories before the step
        (``m_prev``: 0 at t = 1) and the columns of ``parameter``'s row."""
        zero = RunValue(sympy.Integer(0), Decimal(0))
        values = dict(self.hyperparameters)
        values["t"] = RunValue(sympy.Integer(t), Decimal(t))
        for memory in self.rule.state:
            values[f"{memory}_prev"] = self.steps[t - 2].rows[parameter][memory] if t > 1 else zero
        values.update(self.steps[t - 1].rows[parameter])
        return values

    def rule_lines(self, parameter: str, t: int = 1) -> tuple[RuleLine, ...]:
        """The rule's equations with the numbers of step ``t`` (the first by default) for ``parameter``.

        >>> from symback.problem.model import OptimizerSpec
        >>> def gradient_at(arithmetic, p):           # L = w², dL/dw = 2w
        ...     return p["w"] * p["w"], {"w": p["w"] + p["w"]}
        >>> run = optimize_with(gradient_at, {"w": sympy.Integer(3)}, ["w"], OptimizerSpec("momentum", 1), 2)
        >>> line = run.rule_lines("w", t=2)[0]
        >>> line.equation.latex(2), line.result.exact
        ('v_{2} = \\\\mu v_{1} + g_{2}', -3/5)
        >>> {name: value.decimal for name, value in line.values.items()}
        {'momentum': Decimal('0.9'), 'velocity_prev': Decimal('6'), 'g': Decimal('-6')}
        """
        values = self.values_at(t, parameter)
        return tuple(RuleLine(e, t, {n: values[n] for n in e.names}, values[e.target]) for e in self.rule.equations)

    def __repr__(self) -> str:
        return f"OptimizerRun({self.kind}, {len(self.steps)} steps, parameters={list(self.parameters)})"


def optimize(problem: Problem, exercise_id: str, digits: int | None = None) -> OptimizerRun:
    """The optimizer run of exercise ``exercise_id`` (task ``optimize``, or one step of an ``sgd`` exercise).

    >>> import symback
    >>> p = symback.loads('''
    ... title = "one weight"
    ... [network]
    ... inputs = 1
    ... [[network.layers]]
    ... weights = "W"
    ... values = [[3]]
    ... activation = "identity"
    ... [loss]
    ... kind = "squared_error"
    ... [[exercises]]
    ... id = "1"
    ... task = "optimize"
    ... x = 1
    ... y = 1
    ... optimizer = { kind = "momentum", lr = 0.25, momentum = 0.5 }
    ... steps = 2
    ... ''')
    >>> run = optimize(p, "1")
    >>> [(row["t"], row["loss"].exact, row["g"].exact, row["velocity"].exact, row["new"].exact) for row in run.table()]
    [(1, 4, 4, 4, 2), (2, 1, 2, 4, 1)]
    """
    try:
        exercise = problem.exercise(exercise_id)
    except KeyError as err:
        raise ArgumentError(err.args[0]) from None
    return run_optimizer(problem, exercise, digits)


def run_optimizer(problem: Problem, exercise: ExerciseSpec, digits: int | None = None) -> OptimizerRun:
    """``exercise.steps`` steps (1 if not given) of the exercise's optimizer, moving ``exercise.params`` (None:
    every trainable parameter): on the problem's network at the exercise's x and y (with its activation and
    loss overrides), or on its expression's circuit at the exercise's values (minimising f, or the loss around
    it with a target y); ``digits`` defaults to the problem's.

    >>> import symback
    >>> p = symback.loads('title = "t"\\n[expression]\\nf = "(w - 1)^2"\\nat = { w = 3 }\\n'
    ...                   '[[exercises]]\\nid = "1"\\ntask = "optimize"\\nlr = 0.25\\nsteps = 2\\n')
    >>> [(row["t"], row["loss"].exact, row["g"].exact, row["new"].exact) for row in optimize(p, "1").table()]
    [(1, 4, 4, 2), (2, 1, 2, 3/2)]
    """
    spec = exercise.optimizer
    if spec is None and exercise.lr is None:
        raise ArgumentError(f"exercise {exercise.id} has no optimizer (or lr for SGD)")
    spec = spec or OptimizerSpec("sgd", exercise.lr)
    source = gradient_source(problem, exercise)
    try:
        run = optimize_with(source.gradient_at, source.start, source.names, spec, exercise.steps or 1,
                            problem.rounding if digits is None else digits)
    except NumericError as err:  # one line that says where: the file and the exercise
        raise err.in_exercise(problem.source, exercise.id) from err
    passes = source.passes(len(run.steps) + 1)
    kinks = kink_nodes(passes, source.names, _pass_value(run.digits)) if passes else ()
    return dataclasses.replace(run, objective=source.objective, kinks=kinks)


def _pass_value(digits: int) -> Callable[[object], RunValue]:
    """A number of a pass as a RunValue: an exact one with its readable form and correctly rounded decimal,
    a decimal one (past the run's exact steps, at the run's last precision) rounded to ``digits``."""
    readable = Readable()

    def value(number) -> RunValue:
        if isinstance(number, Decimal):
            return RunValue(None, as_rounding(digits).round(number))
        exact = number._sympy_()
        rounded = correctly_rounded(lambda: {"v": DECIMAL.from_sympy(exact)}, digits, [] if exact != 0 else ["v"])
        shown = readable(number)
        return RunValue(shown, trimmed(rounded["v"], shown))

    return value


def optimize_with(gradient_at: GradientAt, start: Mapping[str, sympy.Expr], parameters: Sequence[str],
                  spec: OptimizerSpec, steps: int, digits: int = 4) -> OptimizerRun:
    """``steps`` steps of ``spec``'s rule from the exact values ``start`` (every parameter the gradient needs),
    moving the ``parameters`` named; ``gradient_at`` gives the loss and gradients (see :data:`GradientAt`).

    >>> from symback.problem.model import OptimizerSpec
    >>> def quadratic(arithmetic, p):        # L = (2w − 1)², dL/dw = 4(2w − 1)
    ...     two, one = arithmetic.from_sympy(sympy.Integer(2)), arithmetic.from_sympy(sympy.Integer(1))
    ...     r = two * p["w"] - one
    ...     return r * r, {"w": two * two * r}
    >>> run = optimize_with(quadratic, {"w": sympy.Integer(1)}, ["w"], OptimizerSpec("sgd", sympy.Rational(1, 10)), 2)
    >>> [(s.loss.exact, s.rows["w"]["new"].exact, s.rows["w"]["new"].decimal) for s in run.steps]
    [(1, 3/5, Decimal('0.6')), (1/25, 13/25, Decimal('0.52'))]
    """
    if not valid_rounding(digits):
        raise ArgumentError(f"digits must be a whole number from 1 to 1000 (or a Rounding), got {digits!r}")
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 1:
        raise ArgumentError(f"steps must be a whole number from 1, got {steps!r}")
    rule = optimizer(spec.kind)
    unknown = [name for name in spec.options if name not in rule.defaults]
    if unknown:
        known = ", ".join(rule.defaults) or "none"
        raise ArgumentError(f"{rule.name} has no option {unknown[0]!r} (its options: {known})")
    missing = [name for name in parameters if name not in start]
    if missing:
        raise ArgumentError(f"unknown parameter(s): {', '.join(missing)}")
    options = {**rule.defaults, **{name: exact_input(value, name) for name, value in spec.options.items()}}
    for name, value in options.items():
        problem = range_problem(name, value)
        if problem is not None:
            raise ArgumentError(f"{rule.name} option {name}: {problem}")
    lr = exact_input(spec.lr, "lr")
    constants = {"lr": lr, **options}
    start = {name: exact_input(value, name) for name, value in start.items()}
    loop = StepLoop(gradient_at, start, tuple(parameters), rule, lr, options, steps)
    exact = loop.exact()
    rounded = rounded_run(loop, constants, exact, digits)
    readable = Readable()

    def value(name: str) -> RunValue:
        shown = readable(exact[name]) if name in exact else None
        return RunValue(shown, trimmed(rounded[name], shown))

    records = tuple(
        OptimizerStep(t, value(loss_key(t - 1)), MappingProxyType({
            name: MappingProxyType({column: value(key(t, name, column)) for column in rule.columns})
            for name in loop.names
        }))
        for t in range(1, steps + 1)
    )
    hyperparameters = MappingProxyType(
        {name: RunValue(number, trimmed(rounded[name], number)) for name, number in constants.items()})
    exact_steps = loop.exact_steps(exact)
    return OptimizerRun(rule, loop.names, hyperparameters, records, value(loss_key(steps)), digits, exact_steps)
