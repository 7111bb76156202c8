r"""Equations that fit the page: a chain ``lhs = a = b ≈ c`` set on as few rows as its width allows, and a sum
too wide for one row broken before a + or − (as a lecturer breaks a long chain rule or a softmax denominator).

Widths are estimated from the LaTeX (a fraction as wide as its wider part, a command as one glyph, sub- and
superscripts at two thirds): :data:`WIDTH` such units fill a row of a display on an A4 page in 10 pt type.
"""

from __future__ import annotations

import re

from ..derive.formulas import Plus, Subtracted
from .notation import Notation

WIDTH = 56  # estimated glyphs on one row of a displayed equation


def visual_width(latex: str) -> float:
    r"""An estimate of how many glyphs wide ``latex`` prints.

    >>> visual_width(r"\frac{e}{1 + e}") < visual_width(r"e + 1 + e")
    True
    """
    text = re.sub(r"\\(?:left|right)\b|\\[,;!: ]|\s", "", latex)
    return _width(text, 0)[0]


def _group(text: str, start: int) -> tuple[str, int]:
    """The brace group starting at ``start`` (an opening brace) and the position after it."""
    depth = 0
    for position in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[position], 0)
        if depth == 0:
            return text[start + 1:position], position + 1
    return text[start + 1:], len(text)


def _width(text: str, position: int) -> tuple[float, int]:
    total = 0.0
    while position < len(text):
        character = text[position]
        if text.startswith(r"\frac", position) or text.startswith(r"\tfrac", position):
            position = text.index("{", position)
            top, position = _group(text, position)
            bottom, position = _group(text, position) if position < len(text) and text[position] == "{" else ("", position)
            total += max(_width(top, 0)[0], _width(bottom, 0)[0]) + 0.5
        elif character == "\\":
            match = re.match(r"\\[A-Za-z]+|\\.", text[position:])
            name = match.group()
            position += len(match.group())
            if name in (r"\operatorname", r"\mathit", r"\mathrm", r"\text") and position < len(text) and text[position] == "{":
                inner, position = _group(text, position)
                total += len(inner) * 0.9
            elif name in (r"\hat", r"\sqrt", r"\tilde", r"\bar") and position < len(text) and text[position] == "{":
                inner, position = _group(text, position)
                total += _width(inner, 0)[0] + (1 if name == r"\sqrt" else 0)
            else:
                total += 1.6 if name in (r"\cdot", r"\approx", r"\quad") else 1
        elif character in "_^":
            position += 1
            if position < len(text) and text[position] == "{":
                inner, position = _group(text, position)
            else:
                inner, position = text[position:position + 1], position + 1
            total += 0.7 * _width(inner, 0)[0]
        elif character in "{}":
            position += 1
        else:
            total += 1.6 if character in "=+-<>" else 1
            position += 1
    return total, position


def terms(expr, notation: Notation) -> list[str]:
    r"""A sum's terms as LaTeX, each after the first with its sign (``+ b``, ``- c``); anything else whole.

    >>> from symback.derive.formulas import Minus, name_symbol
    >>> a, b, c = (name_symbol(n) for n in "abc")
    >>> terms(Minus(Plus(a, b), c), Notation())
    ['a', '+ b', '- c']
    """
    if isinstance(expr, str):
        return [expr]
    if isinstance(expr, list):  # terms already written: a sum over chain-rule paths
        return [expr[0]] + [f"+ {term}" for term in expr[1:]]
    chain = [("", expr)]
    if isinstance(expr, Plus):
        chain = [("", expr.args[0])] + [("- ", term.args[0]) if isinstance(term, Subtracted) else ("+ ", term)
                                        for term in expr.args[1:]]
    shown = []
    for sign, term in chain:
        latex = notation.latex(term)
        if sign and (isinstance(term, Plus) or latex.lstrip().startswith("-")):
            latex = rf"\left({latex}\right)"  # a - (b + c), a + (-0.1): the bracket the printer would have set
        shown.append(sign + latex)
    return shown


def equation_rows(lhs: str, pieces, notation: Notation, width: float = WIDTH) -> list[str]:
    r"""``lhs`` followed by (relation, formula) pieces, as the rows of an ``aligned`` block: ``lhs &= a = b``,
    then ``&= c`` …, each row at most ``width`` wide where a piece allows; a sum wider than a row is broken
    before a + or −, its further rows indented.

    >>> from symback.derive.formulas import name_symbol
    >>> equation_rows("z", [("=", Plus(name_symbol("a"), name_symbol("b"))), ("=", "3")], Notation())
    ['z &= a + b = 3']
    >>> len(equation_rows("s", [("=", "x" * 40), ("=", "y" * 40)], Notation()))
    2
    """
    rows, current, used = [], f"{lhs} &", visual_width(lhs) + 2
    fresh = True  # nothing on the current row after its alignment point yet
    for relation, formula in pieces:
        parts = terms(formula, notation)
        whole = " ".join(parts)
        needed = visual_width(whole) + 2
        if not fresh and used + needed > width:
            rows.append(current)
            current, used, fresh = "&", 2.0, True
        current += f"{'' if fresh else ' '}{relation} "
        used += 2
        for k, part in enumerate(parts):
            part_width = visual_width(part) + 1
            if k and used + part_width > width:
                rows.append(current.rstrip())
                current, used = r"&\quad ", 4.0
            current += part + " "
            used += part_width
        current = current.rstrip()
        fresh = False
    rows.append(current)
    return [row.replace("& ", "&", 1) if row.startswith("& ") else row for row in rows]
