"""How a run's numbers are written on a sheet: a :class:`Cell` per value (an exact form only while short and flat,
else the correctly rounded decimal; a terminating decimal as itself), and a line of the update rule with the
numbers of a step put in (:func:`shown_rule_line`), each where its exact form is plain and makes no fraction of
fractions, else by its rounded decimal, the line then ending with ≈.
"""

from __future__ import annotations

import decimal
import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import sympy

from ..numbers.parse import exact_number
from ..numbers.rounding import round_exact, terminating_decimal
from ..numbers.tidy import MAX_EXPANDED_TERMS, expanded_terms_at_most
from ..runs.loop import MAX_TIDY_DEGREE
from ..runs.optimize import RuleLine, RunValue
from ..runs.optimizers.notation import POWER_SUFFIX, Equation
from .budget import MAX_NODES, node_count_at_most, short_text, within_budget
from .chain_rule import plain_enough

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
    fraction) in :func:`one_form`; a terminating decimal as itself up to
    :data:`SHORT_DECIMAL` digits, else rounded.

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
    form = one_form(exact)  # side by side, values look alike: where this form is too long, the decimal alone
    if short_text(form, limit) and not _long_integers(form) and within_budget(form) and flat(form):
        return Cell(form, rounded)
    return Cell(None, rounded)


_X = sympy.Symbol("_x_", positive=True)
ONE_FORM_NODES = 4 * MAX_NODES  # nodes of a value brought into one form (cancelled, it may become short)


@functools.lru_cache(maxsize=4096)
def one_form(value: sympy.Expr) -> sympy.Expr:
    """The one form a run writes a rational function of e in, so that values side by side look alike: a single
    fraction with numerator and denominator factored (−2e/(5(1 + e)) beside 6e/(5(1 + e)²), not −2e/(5 + 5e));
    a polynomial in e expanded; any other value (e^{1/2}, tanh(0.2)) as it is.

    >>> e = sympy.E
    >>> one_form(-2 * e / (5 + 5 * e)), one_form(-1 + 19 * e / (5 + 5 * e)), one_form(12 * e / (1 + e) ** 2)
    (-2*E/(5*(1 + E)), (-5 + 14*E)/(5*(1 + E)), 12*E/(1 + E)**2)
    >>> one_form(1 + e), one_form(sympy.exp(sympy.Rational(1, 2)) + 1)
    (1 + E, 1 + exp(1/2))
    """
    if value.is_Rational or not isinstance(value, sympy.Expr):
        return value
    if not node_count_at_most(value, ONE_FORM_NODES) or not expanded_terms_at_most(value, MAX_EXPANDED_TERMS):
        return value  # cancel and factor cost more than a large value repays: it is shown by its decimal anyway
    powers = value.atoms(sympy.exp)
    if any(not power.args[0].is_Integer or abs(power.args[0]) > MAX_TIDY_DEGREE for power in powers):
        return value  # e^{1/2}, e^{1000}: not a polynomial of small degree in e
    in_x = value.xreplace({power: _X ** int(power.args[0]) for power in powers}).xreplace({sympy.E: _X})
    if in_x.free_symbols != {_X} or not in_x.is_rational_function(_X):
        return value
    numerator, denominator = sympy.fraction(sympy.cancel(in_x))
    written = sympy.expand(numerator) if denominator == 1 else sympy.factor(numerator) / sympy.factor(denominator)
    return written.xreplace({_X: sympy.E})


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
            power = line.values[name.removesuffix(POWER_SUFFIX)].exact ** line.t
            number = cell(RunValue(power, round_exact(power, digits)))
        else:
            number = given.get(name) or cell(line.values[name])
        if number.exact is not None and not _put_in_exactly(number.exact, equation.definition, name):
            number = Cell(None, number.decimal)
        rounded = rounded or (number.exact is None and number.approximate)
        numbers[name] = number
    result = Cell(None, line.result.decimal) if rounded else cell(line.result, SHORT_LINE)
    return ShownRuleLine(line.t, *line.equation.latex(line.t).split(" = ", 1), equation, numbers, result)


def _put_in_exactly(exact: sympy.Expr, definition: str, name: str) -> bool:
    """Whether an exact value goes into the rule as it is: plain, and not a fraction where the rule has a
    fraction or a root around «name»."""
    return plain_enough(exact) and not ("\\frac" in sympy.latex(exact) and inside_fraction(definition, name))
