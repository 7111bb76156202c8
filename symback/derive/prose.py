"""Sentences with mathematics in them, as data: the appendix's conclusions say what its numbers show, and the
renderer sets them with the sheet's names and numbers (h₁⁽¹⁾, 0.05), never the program's (h1_1, 1/20).

A :class:`Prose` is a tuple of parts: text (``str``) or :class:`Math`, whose items are names (:class:`Name`),
partial derivatives (:class:`Partial`), rounded decimals (``Decimal``), exact SymPy numbers and a few symbols
(``=``, ``≈``, ``≤``, ``×``, ``→``…) that a renderer maps to its own. ``str()`` gives plain text (for tests and
terminals).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import sympy

from ..numbers.rounding import terminating_decimal

MAX_NAMED = 3  # a sentence names at most this many units or parameters, then says how many there are


class Name(str):
    """A quantity's name as the API spells it (``h1_2``, ``a11``); a sheet prints it in its notation."""


@dataclass(frozen=True)
class Partial:
    """∂numerator/∂denominator, both names."""

    numerator: str
    denominator: str

    def __str__(self):
        return f"∂{self.numerator}/∂{self.denominator}"


@dataclass(frozen=True)
class Math:
    """One formula in a sentence: its items set side by side."""

    items: tuple

    def __str__(self):
        return " ".join(plain_item(item) for item in self.items).replace(" ,", ",")


class Prose(tuple):
    """Text and :class:`Math` parts of one paragraph.

    >>> from decimal import Decimal
    >>> str(Prose(("so ", math(Name("h1_2"), "≈", Decimal("0.25")), " is small.")))
    'so h1_2 ≈ 0.25 is small.'
    """

    def __str__(self):
        return "".join(str(part) for part in self)


def math(*items) -> Math:
    """A formula of the given items."""
    return Math(tuple(items))


def plain_item(item) -> str:
    """An item of a formula as plain text: an exact number that is a short decimal as that decimal (0.05).

    >>> plain_item(sympy.Rational(1, 20)), plain_item(sympy.Rational(1, 3)), plain_item(Name("a11"))
    ('0.05', '1/3', 'a11')
    """
    if isinstance(item, sympy.Rational) and not isinstance(item, sympy.Integer):
        value = terminating_decimal(int(item.p), int(item.q))
        return str(value) if value is not None else str(item)
    return str(item)


def relation(quantity) -> str:
    """``=`` where a quantity's decimal is its exact value (and that is short enough to write), else ``≈``.

    >>> from decimal import Decimal
    >>> from symback.derive.steps import Quantity
    >>> relation(Quantity("L", sympy.Integer(4), Decimal("4"))), relation(Quantity("L", None, Decimal("1.261")))
    ('=', '≈')
    """
    if not quantity.short:  # also where no exact form is kept; never turns a long engine value into SymPy
        return "≈"
    exact = quantity.exact
    return "=" if exact.is_Rational and Fraction(int(exact.p), int(exact.q)) == Fraction(quantity.decimal) else "≈"


def sentence(*parts) -> Prose:
    """Parts joined into one paragraph (empty parts left out)."""
    return Prose(part for part in parts if part != "")


def joined(*paragraphs: Prose, separator: str = " ") -> Prose:
    """Paragraphs as one, separated by ``separator``."""
    parts: list = []
    for paragraph in paragraphs:
        if paragraph:
            parts.extend(([separator] if parts else []) + list(paragraph))
    return Prose(parts)


def listing(items, word: str = "and") -> list:
    """Formulas (or text) listed for a sentence: ``a, b and c``.

    >>> str(Prose(listing([math(Name("a")), math(Name("b")), math(Name("c"))])))
    'a, b and c'
    """
    items = list(items)
    parts: list = []
    for k, item in enumerate(items):
        if k:
            parts.append(f" {word} " if k == len(items) - 1 else ", ")
        parts.append(item)
    return parts


def some_names(names, total: int | None = None) -> list:
    """At most :data:`MAX_NAMED` names as formulas, then how many more: ``h1_1, h1_2, h1_4 and 18 more`` (one
    more is named rather than counted).

    >>> str(Prose(some_names(["a", "b", "c", "d", "e"]))), str(Prose(some_names(["a", "b", "c", "d"])))
    ('a, b, c and 2 more', 'a, b, c and d')
    """
    names = list(names)
    shown = [math(Name(n)) for n in names[:MAX_NAMED + (len(names) == MAX_NAMED + 1)]]
    rest = len(names) - len(shown) if total is None else total - len(shown)
    return listing(shown + ([f"{rest} more"] if rest > 0 else []))
