"""Step records of the runs over several steps: an optimizer at one point (task ``optimize``) and a training run on
the problem's samples (task ``train``), as immutable data for the templates ``steps/optimizer_run`` and
``steps/training_run``.

Nothing here computes a number of the run: the values come from :class:`~symback.runs.optimize.OptimizerRun` and
:class:`~symback.runs.training.TrainingRun`, which each record keeps. A record picks what a sheet shows: which exact
forms are short enough to print beside their decimal, which rows of a long run a table holds, which series the
plot draws.
"""

from __future__ import annotations

import decimal
import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Callable, Mapping, Sequence

import sympy

from ..numbers.parse import exact_number
from ..numbers.rounding import round_exact, terminating_decimal
from ..problem.model import Problem
from ..runs.optimize import OptimizerRun, RuleLine, RunValue
from ..runs.optimizers import optimizer
from ..runs.optimizers.notation import LABELS, POWER_SUFFIX, Equation, symbol
from ..runs.training import TrainingRun, TrainingStep
from .budget import short_text, within_budget
from .chain_rule import plain_enough
from .run_kinks import KinkSummary, kink_summary

SHORT_CELL = 32
"""An exact form goes into a table cell when it prints in at most this many characters (``str``) ..."""
SHORT_LINE = 60
"""... and into a displayed equation up to this many."""
LONG_INTEGER = 10**6
"""An exact form holding an integer this large (``40000000*e/(1 + 400000001*e)``) is left to its decimal."""
SHORT_DECIMAL = 6
"""A value that is a terminating decimal of at most this many significant digits is written as that decimal
(0.12408, as the sheet writes numbers from the file); a longer one as its rounded decimal (≈ 1.069, not
267289/250000)."""
MAX_ROWS = 60
"""A table of more rows shows the first :data:`FIRST_STEPS` and the last :data:`LAST_STEPS` steps only."""
FIRST_STEPS = 30
LAST_STEPS = 20


@dataclass(frozen=True)
class Cell:
    """A number as a sheet shows it: ``decimal`` always; ``exact`` where the run gives an exact form that is short,
    flat and says more than the decimal (None: the decimal alone); ``approximate`` unless the decimal is the exact
    value itself (``=`` or ``≈`` before it). A cell holds one value: a terminating decimal is never shown beside
    its own rounding.

    >>> cell(RunValue(sympy.E / (1 + sympy.E), Decimal("0.7311")))
    Cell(exact=E/(1 + E), decimal=Decimal('0.7311'), approximate=True)
    >>> cell(RunValue(sympy.Rational(1, 4), Decimal("0.25")))
    Cell(exact=None, decimal=Decimal('0.25'), approximate=False)
    """

    exact: sympy.Expr | None
    decimal: Decimal
    approximate: bool = True

    @property
    def grouped(self) -> bool:
        """Whether the exact form shown is a sum (parentheses around it inside a product or under a power)."""
        return self.exact is not None and self.exact.is_Add


def cell(value: RunValue, limit: int = SHORT_CELL) -> Cell:
    """The :class:`Cell` of a value of a run: its exact form where that is within the sheet's budget
    (:func:`~symback.derive.budget.within_budget`), at most ``limit`` characters and flat (no fraction inside a
    fraction); a terminating decimal as itself up to :data:`SHORT_DECIMAL` digits, else rounded.

    >>> [cell(RunValue(sympy.Rational(p, q), Decimal(d))) for p, q, d in ((3102, 25000, "0.1241"),
    ...                                                                    (267289, 250000, "1.069"))]
    [Cell(exact=None, decimal=Decimal('0.12408'), approximate=False), Cell(exact=None, decimal=Decimal('1.069'), approximate=True)]
    >>> cell(RunValue(sympy.Rational(1, 3), Decimal("0.3333"))).exact
    1/3
    """
    exact, rounded = value.exact, value.decimal
    if exact is None:
        return Cell(None, rounded)
    if exact.is_Rational:
        written = terminating_decimal(int(exact.p), int(exact.q))
        if written is not None:
            shortest = _shortest(written)
            if len(shortest.as_tuple().digits) <= SHORT_DECIMAL:
                return Cell(None, shortest, approximate=False)
            return Cell(None, rounded, approximate=Fraction(rounded) != Fraction(int(exact.p), int(exact.q)))
    if not short_text(exact, limit) or _long_integers(exact) or not within_budget(exact) or not flat(exact):
        return Cell(None, rounded)
    return Cell(exact, rounded)


def _shortest(value: Decimal) -> Decimal:
    """An exact decimal without trailing zeros (10^30 is 1E+30, not thirty zeros, nor the context's 28 digits)."""
    return value.normalize(decimal.Context(prec=max(len(value.as_tuple().digits), 1)))


def _long_integers(exact: sympy.Expr) -> bool:
    return any(abs(number.p) >= LONG_INTEGER or number.q >= LONG_INTEGER for number in exact.atoms(sympy.Rational))


def flat(exact: sympy.Expr) -> bool:
    """Whether an exact value prints without a fraction inside a fraction or under a root.

    >>> e = sympy.E
    >>> flat(12 * e / (1 + e) ** 2), flat(1 / (1 + e / (1 + e) ** 2)), flat(sympy.sqrt(e / 2) + 1)
    (True, False, False)
    """
    return not nested_fraction(sympy.latex(exact))


_ARGUMENTS = {"frac": 2, "sqrt": 1}
_COMMAND = re.compile(r"\\(frac|sqrt)(\[[^\]]*\])?")


def _argument_spans(latex: str) -> list[tuple[int, int]]:
    """The spans of the braced arguments of every \\frac and \\sqrt in ``latex``."""
    spans = []
    for command in _COMMAND.finditer(latex):
        position = command.end()
        for _ in range(_ARGUMENTS[command.group(1)]):
            while position < len(latex) and latex[position] == " ":
                position += 1
            if position >= len(latex) or latex[position] != "{":
                break
            depth, start = 0, position
            for position in range(start, len(latex)):
                depth += {"{": 1, "}": -1}.get(latex[position], 0)
                if depth == 0:
                    break
            spans.append((start, position))
            position += 1
    return spans


def nested_fraction(latex: str) -> bool:
    r"""Whether LaTeX holds a fraction inside a fraction's numerator or denominator or under a root.

    >>> nested_fraction(r"\frac{2 e}{5 \left(1 + e\right)}"), nested_fraction(r"\frac{\frac{2 e}{5}}{1 - 0.9}")
    (False, True)
    >>> nested_fraction(r"-0.1 \cdot \frac{-2.924}{\sqrt{\frac{16 e^{2}}{9}} + 10^{-8}}")
    True
    """
    return any("\\frac" in latex[start:end] for start, end in _argument_spans(latex))


def inside_fraction(definition: str, name: str) -> bool:
    """Whether «name» stands in a fraction's numerator or denominator or under a root of a rule's definition: a
    number with a fraction bar put in there would make a fraction of fractions.

    >>> inside_fraction(r"-«lr»«*»\\frac{«g»}{\\sqrt{«s»} + «eps»}", "s"), inside_fraction("-«lr»«*»«g»", "g")
    (True, False)
    """
    spans = _argument_spans(definition)
    return any(start < match.start() < end for match in re.finditer(f"«{re.escape(name)}»", definition)
               for start, end in spans)


def exact_cell(value, digits: int) -> Cell:
    """The cell of an exact constant (a hyperparameter, a starting value): exact where it is a terminating
    decimal, whatever its length (numbers from the file as written), else as :func:`cell` shows it.

    >>> exact_cell(sympy.Rational(1, 100000000), 4), exact_cell(sympy.Rational(1, 3), 4).decimal
    (Cell(exact=None, decimal=Decimal('1E-8'), approximate=False), Decimal('0.3333'))
    >>> exact_cell(sympy.Integer(10)**30 + 7, 4).decimal  # 31 digits, more than the default context's 28
    Decimal('1000000000000000000000000000007')
    >>> [exact_cell(v, 4).decimal for v in (sympy.Integer(10)**30, sympy.Integer(100), sympy.Rational(-5, 2), 0)]
    [Decimal('1E+30'), Decimal('1E+2'), Decimal('-2.5'), Decimal('0')]
    >>> exact_cell(sympy.Rational(1234567, 10**7), 4)
    Cell(exact=None, decimal=Decimal('0.1234567'), approximate=False)
    """
    value = exact_number(value, what="hyperparameter")  # already exact; plain ints become Integers
    if value.is_Rational:
        exact_decimal = terminating_decimal(int(value.p), int(value.q))
        if exact_decimal is not None:
            return Cell(None, _shortest(exact_decimal), approximate=False)
    return cell(RunValue(value, round_exact(value, digits)))


@dataclass(frozen=True)
class Hyperparameter:
    """A hyperparameter as stated on the sheet: its name in the problem file (``lr``, ``beta1``), its LaTeX symbol,
    its value, and whether the rule's default filled it in."""

    name: str
    symbol: str
    value: Cell
    default: bool


@dataclass(frozen=True)
class ShownRuleLine:
    """One equation of the rule at step ``t``: ``target = symbols``, then the same with the numbers put in
    (:meth:`with_numbers`), then ``result``."""

    t: int
    target: str  # LaTeX of the quantity at step t, m_{1}
    symbols: str  # the right-hand side in symbols at step t
    equation: Equation
    numbers: Mapping[str, Cell]
    result: Cell

    def with_numbers(self, number: Callable[[Cell], str]) -> str:
        """The right-hand side with each symbol's number written by ``number`` (a renderer's macro: the exact form
        where shown, else the decimal); an exact sum goes in parentheses where it is not a term of a sum, an exact
        negative value wherever it does not open the definition or a group (as decimals do).

        >>> from symback.runs.optimizers import optimizer
        >>> numbers = {"beta1": Cell(None, Decimal("0.9")), "m_prev": Cell(None, Decimal(0)),
        ...            "g": Cell(1 + sympy.E, Decimal("3.718"))}
        >>> line = ShownRuleLine(1, "m_{1}", "", optimizer("adam").equations[0], numbers, Cell(None, Decimal(0)))
        >>> line.with_numbers(lambda c: str(c.exact if c.exact is not None else c.decimal))
        '0.9 \\\\cdot 0 + (1 - 0.9) \\\\cdot \\\\left(1 + E\\\\right)'
        """
        texts = {}
        definition = self.equation.definition
        for name, value in self.numbers.items():
            text = str(number(value)).strip()
            if value.exact is not None and (value.grouped and _operand(definition, name)
                                            or text.startswith("-") and not _opening(definition, name)):
                text = rf"\left({text}\right)"
            elif _powered(definition, name) and not text.startswith("-") and not _PLAIN_NUMBER.fullmatch(text):
                text = rf"\left({text}\right)"  # e^{2} squared: (e^{2})^2, as LaTeX refuses e^{2}^2
            texts[name] = text
        return self.equation.substituted(texts)


def _opening(definition: str, name: str) -> bool:
    """Whether every «name» in ``definition`` opens it or a group (``{«name»``), where a sign needs no brackets."""
    return all(match.start() == 0 or definition[match.start() - 1] == "{"
               for match in re.finditer(f"«{re.escape(name)}»", definition))


_PLAIN_NUMBER = re.compile(r"[0-9]+(\.[0-9]+)?")


def _powered(definition: str, name: str) -> bool:
    """Whether «name» is somewhere the base of a power (``«g»^2``), where anything but a plain unsigned number
    needs brackets: ``e^{2}^2`` is a LaTeX error, ``1.2 \\cdot 10^{-5}^2`` squares only the power of ten.

    >>> _powered("«beta2»«*»«v_prev» + (1 - «beta2»)«*»«g»^2", "g"), _powered("«beta1»«*»«g»", "g")
    (True, False)
    """
    return any(definition.startswith("^", match.end()) for match in re.finditer(f"«{re.escape(name)}»", definition))


def _operand(definition: str, name: str) -> bool:
    """Whether «name» stands anywhere in ``definition`` but as a term of a sum (after ``+``, an opening bracket or
    nothing, and before ``+``, ``-``, a closing bracket or nothing): there a sum needs parentheses.

    >>> _operand("«theta» + «update»", "update"), _operand("«momentum»«*»«velocity_prev» + «g»", "velocity_prev")
    (False, True)
    """
    for match in re.finditer(f"«{re.escape(name)}»", definition):
        before, after = definition[:match.start()].rstrip(), definition[match.end():].lstrip()
        alone_before = not before or before.endswith(("+", "{", "("))
        alone_after = not after or after.startswith(("+", "-", "}", ")"))
        if not (alone_before and alone_after):
            return True
    return False


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


def shown_rule_line(line: RuleLine, given: Mapping[str, Cell], digits) -> ShownRuleLine:
    """A line of the rule as the sheet writes it: each number put in exactly where its exact form is plain
    (:func:`~symback.derive.chain_rule.plain_enough`) and no fraction would stand inside a fraction or a root,
    else its rounded decimal; the result exact only where every number went in exactly, else ``≈`` its decimal.
    ``given`` holds the numbers as the file states them (hyperparameters, θ₀ at step 1).

    >>> from symback.runs.optimizers import optimizer
    >>> adam = optimizer("adam").equations
    >>> m1 = RunValue(-2 * sympy.E / (5 * (1 + sympy.E)), Decimal("-0.2924"))
    >>> hat = RuleLine(adam[2], 1, {"m": m1, "beta1": RunValue(sympy.Rational(9, 10), Decimal("0.9")),
    ...                             "t": RunValue(sympy.Integer(1), Decimal(1))},
    ...                RunValue(-4 * sympy.E / (1 + sympy.E), Decimal("-2.924")))
    >>> shown = shown_rule_line(hat, {}, 4)
    >>> shown.symbols, shown.with_numbers(lambda c: str(c.decimal)), shown.result
    ('\\\\frac{m_{1}}{1 - \\\\beta_1}', '\\\\frac{-0.2924}{1 - 0.9}', Cell(exact=None, decimal=Decimal('-2.924'), approximate=True))
    """
    equation = line.equation.at_step(line.t)
    numbers, rounded = {}, False
    for name in equation.names:
        if name.endswith(POWER_SUFFIX):  # β₁ to the t, evaluated: 0.81 at t = 2
            number = exact_cell(line.values[name.removesuffix(POWER_SUFFIX)].exact ** line.t, digits)
        else:
            number = given.get(name) or cell(line.values[name])
        if number.exact is not None and not (plain_enough(number.exact) and not (
                "\\frac" in sympy.latex(number.exact) and inside_fraction(equation.definition, name))):
            number = Cell(None, number.decimal)
        rounded = rounded or (number.exact is None and number.approximate)
        numbers[name] = number
    result = Cell(None, line.result.decimal) if rounded else cell(line.result, SHORT_LINE)
    return ShownRuleLine(line.t, *line.equation.latex(line.t).split(" = ", 1), equation, numbers, result)


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
