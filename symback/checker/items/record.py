"""What the checker holds a student's value against: an :class:`Item` per quantity, with its right value and the
rules that give it, and the helpers every kind of item shares.

An item is one quantity (``z1_2``, ``yhat``, ``L``, a chain-rule factor ``dh1_2/dz1_2``, a gradient ``dL/da22``,
an update ``a22'``, a run's ``m[2]:b12``) with its rule as a function of the items it is computed from, compiled
for 50-digit decimals (:func:`compiled_rule`). A derivative of σ, tanh or softplus has a second rule through the
unit's output, as it is taught (σ'(z) = h(1 − h)), so that a student who follows either is understood.
"""

from __future__ import annotations

import decimal
import re
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Callable, Mapping, Sequence

import sympy

from ...derive.steps import Quantity
from ...numbers.arithmetic import DECIMAL, compile_expression
from ...numbers.rounding import plain_exact, round_significant, terminating_decimal
from ...numbers.text import format_exact
from ..answer_parse import PRECISION
from ..readable import readable

WORKING = PRECISION + 10  # digits the rules compute with

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
    def readable_rule(self) -> str:
        """:attr:`rule_text` for people (the terminal): the same names, no program syntax (``·``, ``²``, ``−``,
        ``σ′``; :func:`symback.checker.readable.readable`)."""
        return readable(self.rule_text)

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
    shown = f"{reference.copy_abs():.{PRECISION - 1}e}".split("e")[0].replace(".", "")  # abs() overflows past 10^999999
    if _NEAR_TIE.match(shown[digits:]):
        return None
    return round_significant(reference, digits)


def compiled_rule(expression: sympy.Expr, inputs: Sequence[sympy.Symbol], numbers: Mapping) -> Rule:
    """A rule that reads the values of ``inputs`` (item symbols) and has ``numbers`` put in exactly, computing
    with :data:`WORKING` digits.

    >>> a, b = sympy.symbols("a b")
    >>> rule = compiled_rule(a * b + 1, [a], {b: sympy.Rational(1, 4)})
    >>> rule.inputs, rule.compute([Decimal(2)])
    (('a',), Decimal('1.50'))
    """
    with decimal.localcontext(prec=WORKING):  # rational constants are converted while compiling
        function = compile_expression(expression.xreplace(dict(numbers)), list(inputs), DECIMAL)

    def compute(values: Sequence[Decimal]) -> Decimal:
        with decimal.localcontext(prec=WORKING):
            return function(*values)

    return Rule(expression, tuple(s.name for s in inputs), compute)


def shown_decimal(reference: Decimal, exact, digits: int) -> Decimal:
    """``reference`` (``exact`` to 50 digits) correctly rounded to ``digits`` significant digits; where the 50
    digits sit on a tie, rounded from 60 more digits of the exact value. ``exact`` is a SymPy value or a
    :class:`~symback.derive.steps.Quantity`, whose exact value becomes SymPy only where a number needs it (a
    large one would take minutes).

    >>> shown_decimal(Decimal("0.125"), sympy.Rational(1, 8), 2)
    Decimal('0.13')
    """
    quantity = exact if isinstance(exact, Quantity) else None
    if quantity is not None:
        number = isinstance(quantity.value, sympy.Basic) or getattr(quantity.value, "is_Number", False)
        exact = quantity.exact if number else sympy.nan  # not a rational: only its decimal is looked at
    shown = display_decimal(reference, exact, digits)
    if shown is None:
        value = quantity.exact if quantity is not None else exact
        shown = round_significant(Decimal(str(sympy.N(value, PRECISION + 60))), digits)
    return shown
