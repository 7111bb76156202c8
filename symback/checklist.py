"""What a student can be asked for: every quantity of every exercise, with the rule that gives it.

An :class:`Item` is one quantity (``z1_2``, ``yhat``, ``L``, a chain-rule factor ``dh1_2/dz1_2``, a gradient
``dL/da22``, an update ``a22'``) with its right value and its rule as a function of the items it is computed
from. The checker applies the rule to a student's own values to tell a slip from an error carried forward.

Exercises that share a point (the same x, y, activations and loss) share their quantities: each quantity
belongs to the first exercise that needs it, so the forward pass of exercise 3 is not asked again in 4 and 5.
"""

from __future__ import annotations

import decimal
import functools
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable, Sequence

import sympy

from .answer_parse import PRECISION
from .api import to_sympy
from .arithmetic import DECIMAL, compile_expression
from .exercises import ExerciseResult, run_exercise
from .model import ExerciseSpec, Problem
from .steps import Quantity
from .text import format_exact
from .tolerance import DEFAULT, Tolerance

RATE = sympy.Symbol("alpha", positive=True)  # the learning rate in an update's rule


@dataclass(frozen=True)
class Item:
    """One quantity to check.

    ``rule`` is its right-hand side in symbols named by item keys and constants (``a11*x1 + a12*x2``);
    ``inputs`` are the keys of the items the rule reads; ``compute`` applies the rule to their values
    (None where a value has no rule a student would follow). ``asked`` is True for what the exercise asks
    for (ŷ and L, a gradient, an update); False for the working on the way (z, h, chain-rule factors).
    """

    exercise: str
    context: int  # items of exercises at the same point share a context; inputs are looked up in it
    key: str
    kind: str
    description: str
    rule: sympy.Expr | None
    inputs: tuple[str, ...]
    right: Quantity
    reference: Decimal
    asked: bool
    compute: Callable[[Sequence[Decimal]], Decimal] | None = field(default=None, compare=False, repr=False)

    @property
    def rule_text(self) -> str:
        """``key = rule`` as plain text (the syntax answers files accept), or just the key."""
        return f"{self.key} = {plain_rule(self.rule)}" if self.rule is not None else self.key


@dataclass(frozen=True)
class ExerciseChecklist:
    """One exercise's items: those it owns, in order, and the keys of earlier exercises' items it reads."""

    exercise: ExerciseSpec
    items: tuple[Item, ...]
    uses: tuple[tuple[str, str], ...]  # (exercise id, key) of items owned elsewhere
    context: int  # exercises with the same context number share a point


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


def plain_rule(expr: sympy.Expr) -> str:
    """A rule as plain text, products of chain-rule factors joined by ``·``.

    >>> plain_rule(sympy.Symbol("dL/dyhat") * sympy.Symbol("dyhat/db12"))
    'dL/dyhat · dyhat/db12'
    """
    if isinstance(expr, sympy.Mul) and all(s.is_Symbol and "/" in s.name for s in expr.args):
        return " · ".join(s.name for s in expr.args)
    if expr.has(RATE) and isinstance(expr, sympy.Add):  # an update, θ − α·g, in the order it was built
        parameter, step = expr.args
        gradient = next(s for s in step.free_symbols if s != RATE)
        return f"{parameter} - α·{gradient}"
    if isinstance(expr, sympy.Add) and all(isinstance(a, sympy.Mul) or a.is_Symbol for a in expr.args):
        if any("/" in s.name for s in expr.free_symbols):
            return " + ".join(plain_rule(a) for a in expr.args)
    return format_exact(expr).replace("alpha", "α")


def number_text(value: sympy.Expr) -> str:
    """An exact number as written on a sheet: a terminating decimal as a decimal, else exactly.

    >>> number_text(sympy.Rational(157, 50)), number_text(sympy.Rational(1, 3))
    ('3.14', '1/3')
    """
    if value.is_Rational and set(sympy.factorint(value.q)) <= {2, 5}:
        return str(Decimal(int(value.p)) / Decimal(int(value.q)))
    return format_exact(value)


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
        shown = run_exercise(problem, exercise.id)
        if shown.result is None:
            entries.append(ExerciseChecklist(exercise, (), (), context))
            continue
        precise = run_exercise(problem, exercise.id, digits=PRECISION)
        builder = _ItemBuilder(shown, _precise_values(precise), context)
        own, uses = [], []
        for item in builder.items():
            identity = (context, item.key, exercise.lr if item.kind == "update" else None)
            if identity in owners:
                uses.append((owners[identity], item.key))
            else:
                owners[identity] = exercise.id
                own.append(item)
        entries.append(ExerciseChecklist(exercise, tuple(own), tuple(dict.fromkeys(uses)), context))
    return Checklist(problem, tuple(entries), problem.tolerance or DEFAULT)


def _precise_values(result: ExerciseResult) -> dict[str, Decimal]:
    """Every quantity's decimal, chain-rule factors included, by name."""
    values = {name: quantity.decimal for name, quantity in result.quantities().items()}
    for step in result.of_kind("gradient"):
        for factor in (factor for path in step.paths for factor in path):
            values[f"d{factor.numerator}/d{factor.denominator}"] = factor.decimal
    return values


def _point(exercise: ExerciseSpec) -> tuple:
    activations = tuple(sorted((layer, spec) for layer, spec in exercise.activations.items()))
    return exercise.x, exercise.y, activations, exercise.loss


class _ItemBuilder:
    """Items from one exercise's steps: the rule of each, compiled over the items it reads."""

    def __init__(self, shown: ExerciseResult, precise: dict[str, Decimal], context: int):
        self.shown = shown
        self.context = context
        self.exercise_id = shown.exercise.id
        self.precise = precise
        result = shown.result
        graph = result.graph
        self.answerable = {node.name for node in graph.nodes if node.kind in ("affine", "activation", "loss")}
        self.constants = {
            node.name: to_sympy(result.exact(node.name)) for node in graph.nodes if node.kind in ("input", "parameter")
        }
        self.constants.update({s.name: value for s, value in zip(graph.loss.targets, result.y)})
        self.activation_names = {graph.nodes[n].name: a for n, (_, a) in graph.activation_of.items()}
        self.outputs = {graph.nodes[o].name for o in graph.outputs}
        self.task = shown.exercise.task

    def items(self) -> list[Item]:
        found: dict[str, Item] = {}
        for step in self.shown.steps:
            for item in getattr(self, f"_{step.kind}", lambda step: [])(step):
                found.setdefault(item.key, item)
        return list(found.values())

    def _item(self, quantity: Quantity, kind: str, description: str, rule, asked: bool, *, own_symbols=()) -> Item:
        """An item whose rule reads the answerable symbols in it; constants are put in exactly."""
        if rule is None:
            return Item(self.exercise_id, self.context, quantity.name, kind, description, None, (), quantity,
                        self.precise[quantity.name], asked)
        symbols = sorted(rule.free_symbols, key=lambda s: s.name)
        inputs = [s for s in symbols if s.name in self.answerable or s in own_symbols]
        numbers = {s: self.constants[s.name] for s in symbols if s not in inputs and s.name in self.constants}
        if RATE in rule.free_symbols:
            numbers[RATE] = self.shown.exercise.lr
        with decimal.localcontext(prec=PRECISION + 10):  # rational constants are converted while compiling
            function = compile_expression(rule.xreplace(numbers), inputs, DECIMAL)

        def compute(values: Sequence[Decimal]) -> Decimal:
            with decimal.localcontext(prec=PRECISION + 10):
                return function(*values)

        return Item(self.exercise_id, self.context, quantity.name, kind, description, rule, tuple(s.name for s in inputs),
                    quantity, self.precise[quantity.name], asked, compute)

    def _forward(self, step) -> list[Item]:
        name = step.quantity.name
        if name in self.outputs:
            what = "the network's output ŷ" if name == "yhat" else f"output {name[4:]} of the network"
        else:
            what = f"output of {_unit(name)}" if step.function is not None else f"{_unit(name)} before its activation"
        if step.function is not None:
            description = f"{what}: {self.activation_names[name].name} of {step.argument}"
        else:
            description = what if name in self.outputs else f"{what} (weighted sum)"
        asked = name in self.outputs and self.task in ("forward", "loss") or name in self.shown.exercise.show
        return [self._item(step.quantity, "forward", description, step.definition, asked)]

    def _loss(self, step) -> list[Item]:
        return [self._item(step.quantity, "loss", "the loss", step.definition, self.task in ("loss", "forward"))]

    def _gradient(self, step) -> list[Item]:
        items, paths = [], []
        for path in step.paths:
            factors = []
            for factor in path:
                key = f"d{factor.numerator}/d{factor.denominator}"
                factors.append(sympy.Symbol(key))
                quantity = Quantity(key, factor.exact, factor.decimal)
                if factor.numerator == "L" and factor.formula.is_Symbol:  # an adjoint: given, not derived here
                    items.append(self._item(quantity, "factor", f"∂L/∂{factor.denominator}, the adjoint", None, False))
                    continue
                description = f"∂{factor.numerator}/∂{factor.denominator}, a chain-rule factor of dL/d{step.parameter}"
                items.append(self._item(quantity, "factor", description, factor.formula, False))
            paths.append(sympy.Mul(*factors, evaluate=False) if len(factors) > 1 else factors[0])
        rule = sympy.Add(*paths, evaluate=False) if len(paths) > 1 else paths[0]
        keys = set().union(*(p.free_symbols for p in paths))
        description = f"∂L/∂{step.parameter} by the chain rule"
        asked = self.task == "gradient"  # in an SGD exercise the gradient is working on the way to the update
        items.append(self._item(step.quantity, "gradient", description, rule, asked, own_symbols=keys))
        return items

    def _update(self, step) -> list[Item]:
        gradient = sympy.Symbol(step.gradient.name)
        rule = sympy.Add(sympy.Symbol(step.parameter), sympy.Mul(-1, RATE, gradient, evaluate=False), evaluate=False)
        description = f"{step.parameter} after one step of gradient descent, α = {number_text(step.rate)}"
        return [self._item(step.new, "update", description, rule, True, own_symbols={gradient})]


def _unit(name: str) -> str:
    """``z1_2`` -> ``unit 2 of layer 1``."""
    layer, unit = name[1:].split("_")
    return f"unit {unit} of layer {layer}"
