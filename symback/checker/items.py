"""The items of one exercise: each quantity with its right value and the rules that give it.

An :class:`Item` is one quantity (``z1_2``, ``yhat``, ``L``, a chain-rule factor ``dh1_2/dz1_2``, a gradient
``dL/da22``, an update ``a22'``) with its rule as a function of the items it is computed from, compiled for
50-digit decimals. A derivative of σ, tanh or softplus has a second rule through the unit's output, as it is
taught (σ'(z) = h(1 − h)), so that a student who follows either is understood.
"""

from __future__ import annotations

import decimal
import re
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Callable, Sequence

import sympy

from ..derive.exercise import ExerciseResult
from ..derive.steps import Quantity
from ..engine.result import to_sympy
from ..numbers.arithmetic import DECIMAL, compile_expression
from ..numbers.rounding import plain_exact, round_significant, terminating_decimal
from ..numbers.text import format_exact
from ..problem.activations import H
from .answer_parse import PRECISION

HYPERPARAMETERS = {name: sympy.Symbol(name, positive=True) for name in
                   ("alpha", "beta1", "beta2", "epsilon", "mu", "rho", "lambda")}
"""Symbols of the hyperparameters in rules: they print in LaTeX as α, β₁, … and in plain text as the letters;
a file's variable of the same name has no assumptions, so it is another symbol."""
RATE = HYPERPARAMETERS["alpha"]  # the learning rate in an update's rule
_PLAIN = {symbol: sympy.Symbol(letter) for symbol, letter in
          zip(HYPERPARAMETERS.values(), ("α", "β₁", "β₂", "ε", "μ", "ρ", "λ"))}
_NEAR_TIE = re.compile(r"^(50*|49*)$")  # digits after the shown ones that a 50-digit value cannot round safely


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
    alternatives: tuple[Rule, ...] = ()  # other rules a student may follow: σ'(z) as h(1 − h)
    shown_rule: str = ""  # the rule as a person writes it, where that differs from the formula (σ(z1_1))

    @property
    def rule_text(self) -> str:
        """``key = rule`` as plain text (the syntax answers files accept), or just the key."""
        if self.rule is None:
            return self.key
        forms = [self.shown_rule or plain_rule(self.rule)] + [plain_rule(rule.expression) for rule in self.alternatives]
        return f"{self.key} = " + " = ".join(dict.fromkeys(forms))

    @property
    def rules(self) -> tuple[Rule, ...]:
        """The item's rule and its alternatives (empty where there is no rule)."""
        own = (Rule(self.rule, self.inputs, self.compute),) if self.compute is not None else ()
        return own + self.alternatives


@dataclass(frozen=True)
class Rule:
    """A right-hand side in symbols named by item keys, the keys it reads and the compiled rule."""

    expression: sympy.Expr
    inputs: tuple[str, ...]
    compute: Callable[[Sequence[Decimal]], Decimal] = field(compare=False, repr=False)


def plain_rule(expr: sympy.Expr) -> str:
    """A rule as plain text, products of chain-rule factors joined by ``·``.

    >>> plain_rule(sympy.Symbol("dL/dyhat") * sympy.Symbol("dyhat/db12"))
    'dL/dyhat · dyhat/db12'
    """
    if isinstance(expr, sympy.Mul) and all(s.is_Symbol and "/" in s.name for s in expr.args):
        return " · ".join(s.name for s in expr.args)
    if expr.has(RATE) and isinstance(expr, sympy.Add) and len(expr.args) == 2:  # θ − α·g, in the order built
        parameter, step = expr.args
        others = [s for s in step.free_symbols if s != RATE]
        if parameter.is_Symbol and len(others) == 1 and set(step.args) == {sympy.S.NegativeOne, RATE, others[0]}:
            return f"{parameter} - α·{others[0]}"
    if isinstance(expr, sympy.Add) and all(isinstance(a, sympy.Mul) or a.is_Symbol for a in expr.args):
        if any("/" in s.name for s in expr.free_symbols):
            return " + ".join(plain_rule(a) for a in expr.args)
    return format_exact(expr.xreplace(_PLAIN))  # α, where a parameter named alpha stays alpha


def number_text(value: sympy.Expr) -> str:
    """An exact number as written on a sheet: a terminating decimal as a decimal, else exactly.

    >>> number_text(sympy.Rational(157, 50)), number_text(sympy.Rational(1, 3))
    ('3.14', '1/3')
    """
    if value.is_Rational:
        as_decimal = terminating_decimal(int(value.p), int(value.q))
        if as_decimal is not None:
            return format(as_decimal, "f") if -30 < as_decimal.adjusted() < 30 else str(as_decimal).replace("E", "e")
    return format_exact(value)


def display_decimal(reference: Decimal, exact: sympy.Expr, digits: int) -> Decimal | None:
    """``reference`` (``exact`` to 50 digits) correctly rounded to ``digits`` significant digits, or None where
    the 50 digits sit too near a tie to tell (then the caller rounds from the exact value itself).

    >>> display_decimal(Decimal("0.73105857863000487925115924182183627436514464016505"), sympy.E / (1 + sympy.E), 4)
    Decimal('0.7311')
    >>> display_decimal(Decimal("4"), sympy.Integer(4), 4)
    Decimal('4')
    """
    if exact.is_Rational:
        fraction = Fraction(int(exact.p), int(exact.q))
        if fraction == Fraction(reference):  # the decimal is the value itself: 4, not 4.000
            rounded = round_significant(reference, digits)
            if Fraction(rounded) == fraction:
                return plain_exact(rounded)
            return rounded
    if reference == 0:
        return Decimal(0)
    shown = f"{abs(reference):.{PRECISION - 1}e}".split("e")[0].replace(".", "")
    if _NEAR_TIE.match(shown[digits:]):
        return None
    return round_significant(reference, digits)


class ItemBuilder:
    """Items from one exercise's steps (computed at 50 digits): the rules of each, compiled over what they read."""

    def __init__(self, precise: ExerciseResult, context: int, digits: int):
        self.steps = precise.steps
        self.exercise = precise.exercise
        self.context, self.digits = context, digits
        result = precise.result
        graph = result.graph
        self.answerable = {node.name for node in graph.nodes if node.kind in ("affine", "activation", "loss")}
        self.constants = {
            node.name: to_sympy(result.exact(node.name)) for node in graph.nodes if node.kind in ("input", "parameter")
        }
        self.constants.update({s.name: value for s, value in zip(graph.loss.targets, result.y)})
        self.activations = {node.name: (graph.nodes[source].name, activation)
                            for node, (source, activation) in ((node, graph.activation_of(n))
                                                               for n, node in enumerate(graph.nodes)
                                                               if node.kind == "activation")}
        self.outputs = {graph.nodes[o].name for o in graph.outputs}

    def items(self) -> list[Item]:
        found: dict[str, Item] = {}
        for step in self.steps:
            for item in getattr(self, f"_{step.kind}", lambda step: [])(step):
                found.setdefault(item.key, item)
        return list(found.values())

    def shown(self, quantity: Quantity) -> Quantity:
        """The quantity with its decimal at the sheet's digits (from the 50-digit one, correctly rounded)."""
        decimal_shown = display_decimal(quantity.decimal, quantity.exact, self.digits)
        if decimal_shown is None:  # 50 digits sit on a tie: round from 60 more digits of the exact value
            decimal_shown = round_significant(Decimal(str(sympy.N(quantity.exact, PRECISION + 60))), self.digits)
        return Quantity(quantity.name, quantity.exact, decimal_shown)

    def rule(self, expression: sympy.Expr, own_symbols=()) -> Rule:
        """The rule compiled over the answerable symbols in it; constants are put in exactly."""
        symbols = sorted(expression.free_symbols, key=lambda s: s.name)
        inputs = [s for s in symbols if s.name in self.answerable or s in own_symbols]
        numbers = {s: self.constants[s.name] for s in symbols if s not in inputs and s.name in self.constants}
        if RATE in expression.free_symbols:
            numbers[RATE] = self.exercise.lr
        with decimal.localcontext(prec=PRECISION + 10):  # rational constants are converted while compiling
            function = compile_expression(expression.xreplace(numbers), inputs, DECIMAL)

        def compute(values: Sequence[Decimal]) -> Decimal:
            with decimal.localcontext(prec=PRECISION + 10):
                return function(*values)

        return Rule(expression, tuple(s.name for s in inputs), compute)

    def item(self, quantity: Quantity, kind: str, description: str, rule: sympy.Expr | None, asked: bool, *,
             own_symbols=(), alternatives: tuple[Rule, ...] = (), shown_rule: str = "") -> Item:
        main = self.rule(rule, own_symbols) if rule is not None else None
        return Item(self.exercise.id, self.context, quantity.name, kind, description, rule,
                    main.inputs if main else (), self.shown(quantity), quantity.decimal, asked,
                    main.compute if main else None, alternatives, shown_rule)

    def _forward(self, step) -> list[Item]:
        name = step.quantity.name
        if name in self.outputs:
            what = "the network's output ŷ" if name == "yhat" else f"output {name[4:]} of the network"
        else:
            what = f"output of {_unit(name)}" if step.function is not None else f"{_unit(name)} before its activation"
        shown_rule = ""
        if step.function is not None:
            source, activation = self.activations[name]
            description = f"{what}: {activation.name} of {step.argument}"
            if activation.name not in ("custom", "zero"):
                shown_rule = f"{activation.name}({source})"
        else:
            description = what if name in self.outputs else f"{what} (weighted sum)"
        asked = name in self.outputs and self.exercise.task in ("forward", "loss") or name in self.exercise.show
        return [self.item(step.quantity, "forward", description, step.definition, asked, shown_rule=shown_rule)]

    def _loss(self, step) -> list[Item]:
        return [self.item(step.quantity, "loss", "the loss", step.definition, self.exercise.task in ("loss", "forward"))]

    def _gradient(self, step) -> list[Item]:
        items, paths = [], []
        for path in step.paths:
            factors = []
            for factor in path:
                key = f"d{factor.numerator}/d{factor.denominator}"
                factors.append(sympy.Symbol(key))
                quantity = Quantity(key, factor.exact, factor.decimal)
                if factor.numerator == "L" and factor.formula.is_Symbol:  # an adjoint: given, not derived here
                    items.append(self.item(quantity, "factor", f"∂L/∂{factor.denominator}, the adjoint", None, False))
                    continue
                description = f"∂{factor.numerator}/∂{factor.denominator}, a chain-rule factor of dL/d{step.parameter}"
                items.append(self.factor_item(quantity, description, factor))
            paths.append(sympy.Mul(*factors, evaluate=False) if len(factors) > 1 else factors[0])
        rule = sympy.Add(*paths, evaluate=False) if len(paths) > 1 else paths[0]
        keys = set().union(*(p.free_symbols for p in paths))
        description = f"∂L/∂{step.parameter} by the chain rule"
        asked = self.exercise.task == "gradient"  # in an SGD exercise the gradient is working on the way
        items.append(self.item(step.quantity, "gradient", description, rule, asked, own_symbols=keys))
        return items

    def factor_item(self, quantity: Quantity, description: str, factor) -> Item:
        """A chain-rule factor; an activation's derivative also through its output (σ' = h(1 − h))."""
        activation = self.activations.get(factor.numerator)
        alternatives, shown_rule = (), ""
        if activation is not None and activation[0] == factor.denominator:
            source, function = activation
            if function.name not in ("custom", "zero"):
                shown_rule = f"{function.name}'({source})"
            if function.derivative_in_output is not None:
                output = sympy.Symbol(factor.numerator, real=True)
                alternatives = (self.rule(function.derivative_in_output.xreplace({H: output})),)
        return self.item(quantity, "factor", description, factor.formula, False, alternatives=alternatives,
                         shown_rule=shown_rule)

    def _update(self, step) -> list[Item]:
        gradient = sympy.Symbol(step.gradient.name)
        rule = sympy.Add(sympy.Symbol(step.parameter), sympy.Mul(-1, RATE, gradient, evaluate=False), evaluate=False)
        description = f"{step.parameter} after one step of gradient descent, α = {number_text(step.rate)}"
        return [self.item(step.new, "update", description, rule, True, own_symbols={gradient})]


def _unit(name: str) -> str:
    """``z1_2`` -> ``unit 2 of layer 1``."""
    layer, unit = name[1:].split("_")
    return f"unit {unit} of layer {layer}"
