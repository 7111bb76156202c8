"""Exact values as plain text in the syntax problem files accept, and numbers read from a comma-separated list."""

from __future__ import annotations

import sympy
from sympy.printing.str import StrPrinter

from ..errors import ArgumentError, ParseError
from .parse import exact_number


class _ReadablePrinter(StrPrinter):
    """SymPy's str printer, but Euler's number as ``e`` so that the text reads back with the safe parser."""

    def _print_Exp1(self, expr):
        return "e"


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
