"""How a value is shown: its exact form while that is short (or, in a table cell, compact), its decimal always.

The rule of the house (design.md): a quantity's exact form is written while it is short, otherwise its correctly
rounded decimal stands for it. :class:`Shown` records that choice once, for the templates' value macros
(``templates/{md,tex}/values.*.j2``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

import sympy

from ..derive.budget import within_budget
from ..derive.steps import Quantity
from ..numbers.tidy import at_most
from .notation import Notation

SHORT_FORMULA = 60  # a formula in symbols (h(1 − h)) is shown up to this many characters of LaTeX; values: the budget
CELL_EXACT = 32  # an exact form in a table cell: up to this many characters (a column is a fifth of the line)


@dataclass(frozen=True)
class Shown:
    """A value as the sheet shows it: the exact form where it is short (``exact``), the decimal always;
    ``equal`` where the decimal is the exact value itself (``=``, not ``≈``)."""

    quantity: Quantity
    exact: bool
    equal: bool

    @property
    def negative(self) -> bool:
        return self.quantity.decimal < 0


def plain(latex: str) -> str:
    r"""LaTeX without spaces and the ``\left``/``\right`` before brackets (they print nothing of their own).

    >>> plain(r"\left(x + 1\right)")
    '(x+1)'
    """
    return re.sub(r"\\(?:left|right)\b|\s", "", latex)


def short(expr, notation: Notation) -> bool:
    """Whether an exact form is short enough to show: a value within the exact-form budget of
    :mod:`symback.derive.budget` (few nodes, few transcendental numbers, none of another), a formula in symbols
    within SHORT_FORMULA characters.

    >>> import sympy
    >>> short(sympy.E / (1 + sympy.E), Notation()), short(sum(sympy.exp(sympy.Rational(1, k)) for k in range(2, 12)), Notation())
    (True, False)
    """
    if isinstance(expr, Quantity):
        return expr.short
    if not expr.free_symbols:
        return within_budget(expr)
    if not at_most(expr, 4 * SHORT_FORMULA):  # far too many nodes to print in SHORT_FORMULA characters
        return False
    return len(plain(notation.latex(expr))) <= SHORT_FORMULA


def compact(expr, notation: Notation) -> bool:
    """Whether an exact form fits a table cell: short, at most :data:`CELL_EXACT` characters of LaTeX, and no
    fraction inside a fraction (inline, that prints too small to read).

    >>> import sympy
    >>> e = sympy.E
    >>> compact(e / (1 + e), Notation()), compact(1 / (1 + 1 / (1 + e)), Notation()), compact((4 + 3 * e**4) * e**3 / ((1 + 2 * e**3) ** 2 * (1 + e**4)), Notation())
    (True, False, False)
    """
    return short(expr, notation) and fits_cell(notation.latex(expr))


def fits_cell(latex: str) -> bool:
    r"""Whether a formula's LaTeX is narrow and flat enough for a table cell.

    >>> fits_cell(r"\frac{1 + e^{3}}{1 + 2 e^{3}}"), fits_cell(r"\frac{1}{1 + \frac{1}{1 + e}}")
    (True, False)
    """
    return len(plain(latex)) <= CELL_EXACT and not _nested_fraction(latex)


def _nested_fraction(latex: str) -> bool:
    depth, inside = 0, []  # brace depth, and the depths at which the arguments of open fractions close
    for match in re.finditer(r"\\frac|\\\\.|[{}]", latex):
        token = match.group()
        if token == "\\frac":
            if inside:
                return True
            inside.append(depth)
        elif token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
            if inside and depth == inside[-1] and latex[match.end():match.end() + 1] != "{":
                inside.pop()  # the fraction's second argument has closed
    return False


def shown(quantity: Quantity, notation: Notation, table: bool = True) -> Shown:
    """How a value is shown: exact if compact enough for a table cell (``table``) or short enough for a
    display, the decimal always.

    >>> import sympy
    >>> from decimal import Decimal
    >>> value = shown(Quantity("h", sympy.Rational(1, 2), Decimal("0.5")), Notation())
    >>> value.exact, value.equal
    (True, True)
    """
    exact = quantity.exact if quantity.short else sympy.nan
    equal = bool(exact.is_Rational and quantity.decimal.is_finite()
                 and Fraction(int(exact.p), int(exact.q)) == Fraction(quantity.decimal))
    fits = quantity.short and (not table or fits_cell(notation.latex(quantity.exact)))
    return Shown(quantity, fits, equal)


def only_in_display(values, notation: Notation) -> tuple[tuple[str, Shown], ...]:
    """The values a table shows as decimals whose exact form is still short enough for a displayed formula:
    (name, Shown in a table) pairs in, (name, Shown in a display) out.

    >>> import sympy
    >>> from decimal import Decimal
    >>> tall = Quantity("q", 1 / (1 + 1 / (1 + sympy.E)), Decimal("0.5755"))
    >>> [name for name, _ in only_in_display([("q", shown(tall, Notation()))], Notation())]
    ['q']
    """
    return tuple((name, shown(value.quantity, notation, False)) for name, value in values
                 if not value.exact and value.quantity.short)
