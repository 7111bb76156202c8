"""Exact values as plain text in the syntax problem files accept, and numbers read from a comma-separated list."""

from __future__ import annotations

import decimal

import sympy
from sympy.printing.str import StrPrinter

from ..errors import ArgumentError, ParseError
from .parse import exact_number


def positive_first(terms) -> list:
    """A sum's terms in print order: the first positive term moved to the front, the rest as they were, so that
    ``-1 + e`` prints as ``e - 1``; a sum of negative terms only is left as it is (its minus leads). The terms are
    the same, only their order changes, so the sum's value cannot.

    >>> e, y, p = sympy.E, sympy.Symbol("y"), sympy.Symbol("p")
    >>> positive_first([-1, e]), positive_first([-2 * y, 2 * p, -3]), positive_first([-1, -e])
    ([E, -1], [2*p, -2*y, -3], [-1, -E])
    """
    terms = list(terms)
    for position, term in enumerate(terms):
        if not _reads_negative(term):
            return [term] + terms[:position] + terms[position + 1:]
    return terms


def _reads_negative(term) -> bool:
    # the printers' own test for writing a term with a minus (a plain int from a caller has no such method)
    return term.could_extract_minus_sign() if isinstance(term, sympy.Basic) else term < 0


class _ReadablePrinter(StrPrinter):
    """SymPy's str printer, but Euler's number as ``e`` so that the text reads back with the safe parser, and a
    sum starting with a positive term (``e - 1``, not ``-1 + e``)."""

    def _print_Exp1(self, expr):
        return "e"

    def _as_ordered_terms(self, expr, order=None):
        return positive_first(super()._as_ordered_terms(expr, order=order))


def format_exact(value: sympy.Expr) -> str:
    """An exact value as text that problem and answers files accept.

    >>> format_exact(12 * sympy.E / (1 + sympy.E) ** 2)
    '12*e/(1 + e)**2'
    """
    return _ReadablePrinter({"order": "none"}).doprint(value)


def split_numbers(text: str, what: str) -> list[sympy.Expr]:
    """Comma-separated numbers (commas inside parentheses belong to a function call).

    >>> split_numbers("1, max(2, 3)/2", "--x")
    [1, 3/2]
    """
    parts, depth, current = [], 0, ""
    for character in text:
        depth += {"(": 1, ")": -1}.get(character, 0)
        if character == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += character
    parts.append(current)
    try:
        return [exact_number(part.strip(), what=what) for part in parts]
    except ParseError as err:
        raise ArgumentError(f"{what}: {err}") from err


def decimal_text(value) -> str:
    """A correctly rounded decimal as LaTeX: positional for moderate sizes, else a power of ten.

    >>> from decimal import Decimal
    >>> decimal_text(Decimal("0.7311")), decimal_text(Decimal("1.234E-9"))
    ('0.7311', '1.234 \\\\cdot 10^{-9}')
    >>> decimal_text(Decimal("1000000000000000000000000000007"))  # every digit kept, past the context's 28
    '1.000000000000000000000000000007 \\\\cdot 10^{30}'
    """
    if not value.is_finite():
        return str(value)
    exponent = value.adjusted()
    if -5 <= exponent <= 12:
        return format(value, "f")
    sign, digits, _ = value.as_tuple()
    mantissa = decimal.Decimal((sign, digits, 1 - len(digits)))  # d.ddd, built exactly: scaleb fails past 10^999999
    return f"{format(mantissa, 'f')} \\cdot 10^{{{exponent}}}"
