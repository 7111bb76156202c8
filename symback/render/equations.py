r"""Equations that fit the page: a chain ``lhs = a = b ≈ c`` set on as few rows as its width allows, and a sum
too wide for one row broken before a + or − (as a lecturer breaks a long chain rule or a softmax denominator);
a term still too wide is broken before a · of its product, inside the brackets of a function's argument, or as
numerator / denominator, the brackets then written ``\bigl( … \bigr)``, which may span rows.

Widths are estimated from the LaTeX (a fraction as wide as its wider part, a command as one glyph, sub- and
superscripts at two thirds): :data:`WIDTH` such units fill a row of a display on an A4 page in 10 pt type.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from ..derive.formulas import Apply, Negative, Over, Plus, Subtracted, Times
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


class Piece(NamedTuple):
    """A piece of a formula set on rows: ``glue`` before it on the same row as the piece before, ``lead`` before
    it at the start of a row (a product's factor: a space or a dot on the row, a dot at the start of a row)."""

    text: str
    glue: str = " "
    lead: str = ""


def broken_terms(expr, notation: Notation, width: float = WIDTH) -> list[Piece]:
    r""":func:`terms` as :class:`Piece`\ s, each term wider than ``width`` broken further where the formula
    allows: a product before a factor, a function's argument or a quotient inside ``\bigl( … \bigr)``.

    >>> from symback.derive.formulas import name_symbol
    >>> x = name_symbol("x")
    >>> [piece.text for piece in broken_terms(Times(*[x] * 30), Notation(), width=10)][:2]
    ['x x x x x x x x x x', 'x x x x x x x x x x']
    """
    if isinstance(expr, (str, list)):
        return [Piece(term, " " if k else "") for k, term in enumerate(terms(expr, notation))]
    chain = [("", expr)]
    if isinstance(expr, Plus):
        chain = [("", expr.args[0])] + [("- ", term.args[0]) if isinstance(term, Subtracted) else ("+ ", term)
                                        for term in expr.args[1:]]
    pieces = []
    for k, ((sign, term), whole) in enumerate(zip(chain, terms(expr, notation), strict=True)):
        if visual_width(whole) <= width:
            pieces.append(Piece(whole, " " if k else ""))
            continue
        bracketed = bool(sign) and (isinstance(term, Plus) or whole[2:].lstrip().startswith("-"))
        parts = _bracketed(term, notation, width) if bracketed else _split(term, notation, width)
        first = parts[0]
        pieces.extend(_packed([Piece(sign + first.text, " " if k else "")] + parts[1:], width))
    return pieces


def _split(expr, notation: Notation, width: float) -> list[Piece]:
    """A formula too wide for a row as pieces at its own structure's break points; whole where it has none."""
    if isinstance(expr, Plus):
        return broken_terms(expr, notation, width)
    if isinstance(expr, Negative):
        parts = _factor(expr.args[0], notation, width)
        return [parts[0]._replace(text="-" + parts[0].text)] + parts[1:]
    if isinstance(expr, Times):
        whole, position, pieces = notation.latex(expr), 0, []
        for k, factor in enumerate(expr.args):
            shown = _factor_latex(factor, notation)
            glue = ""
            if k:  # the printer's own separator: a space, or a dot before a number
                glue = r" \cdot " if whole.startswith(r" \cdot ", position) else " "
                position += len(glue)
            position += len(shown)
            parts = [Piece(shown)] if visual_width(shown) <= width else _factor(factor, notation, width)
            pieces.extend([Piece(parts[0].text, glue, r"\cdot " if k else "")] + parts[1:])
        return _packed(pieces, width)
    if isinstance(expr, Over):
        top = _bracketed(expr.args[0], notation, width)
        bottom = _bracketed(expr.args[1], notation, width)
        return top + [Piece(bottom[0].text, r" \big/ ", r"\big/ ")] + bottom[1:]
    if isinstance(expr, Apply) and len(expr.args) == 2:
        head = notation.latex(expr).split(r"\left(", 1)[0]
        inner = _bracketed(expr.args[1], notation, width - visual_width(head) - 1)
        return [inner[0]._replace(text=head + inner[0].text)] + inner[1:]
    return [Piece(notation.latex(expr), "")]


def _factor_latex(expr, notation: Notation) -> str:
    """A factor as a product prints it: bracketed when it is a sum or a negative."""
    shown = notation.latex(expr)
    return rf"\left({shown}\right)" if isinstance(expr, (Plus, Negative, Subtracted)) else shown


def _factor(expr, notation: Notation, width: float) -> list[Piece]:
    if isinstance(expr, (Plus, Negative, Subtracted)):
        return _bracketed(expr, notation, width)
    return _split(expr, notation, width)


def _bracketed(expr, notation: Notation, width: float) -> list[Piece]:
    r"""``\bigl(`` pieces ``\bigr)``: brackets that may span rows (``\left``/``\right`` may not)."""
    parts = _split(expr, notation, width - 2)
    parts[0] = parts[0]._replace(text=r"\bigl(" + parts[0].text)
    parts[-1] = parts[-1]._replace(text=parts[-1].text + r"\bigr)")
    return _packed(parts, width)


def _packed(pieces: list[Piece], width: float) -> list[Piece]:
    """Neighbouring pieces joined while they fit in ``width`` together (fewer, fuller rows)."""
    packed: list[Piece] = []
    for piece in pieces:
        if packed and visual_width(packed[-1].text + piece.glue + piece.text) <= width:
            packed[-1] = packed[-1]._replace(text=packed[-1].text + piece.glue + piece.text)
        else:
            packed.append(piece)
    return packed


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
        parts = broken_terms(formula, notation, width - 6)
        whole = "".join(part.glue + part.text for part in parts)
        needed = visual_width(whole) + 2
        if not fresh and used + needed > width:
            rows.append(current)
            current, used, fresh = "&", 2.0, True
        current += f"{'' if fresh else ' '}{relation} "
        used += 2
        for k, part in enumerate(parts):
            part_width = visual_width(part.text) + 1
            if k and used + part_width > width:
                rows.append(current.rstrip())
                current, used = r"&\quad " + part.lead, 4.0 + visual_width(part.lead)
            elif k:
                current = current.rstrip() + part.glue
            current += part.text + " "
            used += part_width
        current = current.rstrip()
        fresh = False
    rows.append(current)
    return [row.replace("& ", "&", 1) if row.startswith("& ") else row for row in rows]


CELL_WIDTH = 12  # estimated glyphs of inline math that surely fits the narrowest column of a table
_LONG_NAME = r"\\mathit\{[^{}]{6,}\}(?:[_^]\{[^{}]*\})*"  # a name of six letters or more, with its indices
_LONG_NAME_END, _LONG_NAME_START = re.compile(_LONG_NAME + "$"), re.compile("^" + _LONG_NAME)

_OPERATOR_END = re.compile(r"(?:[=+\-<>,(]|\\(?:cdot|approx|to|times|quad|left\(|bigl\(|big/))$")
_OPERATOR_START = re.compile(r"^(?:[=+\-<>),]|\\(?:cdot|approx|to|times|right|bigr))")


def breakable_math(latex: str) -> str:
    r"""Inline math that may break beside a long name in a product, as it may after + or =: in a narrow table
    cell a product of long names would otherwise run into the next column. ``\allowbreak`` is set only at the
    formula's outer level (between brace groups and ``\left … \right`` pairs), where TeX can use it.

    >>> breakable_math(r"\mathit{xcoord} \mathit{ycoord} = 2 \cdot 3")
    '\\mathit{xcoord} \\allowbreak \\mathit{ycoord} = 2 \\cdot 3'
    >>> breakable_math(r"\frac{a b}{c}")
    '\\frac{a b}{c}'
    """
    out, depth, start = [], 0, 0
    for position, character in enumerate(latex):
        if character == "{":
            depth += 1
        elif character == "}":
            depth -= 1
        elif latex.startswith(r"\left", position) and not latex.startswith(r"\leftarrow", position):
            depth += 1
        elif latex.startswith(r"\right", position) and not latex.startswith(r"\rightarrow", position):
            depth -= 1
        elif character == " " and depth == 0 and position > 0:
            before, after = latex[start:position].rstrip(), latex[position + 1:].lstrip()
            if before and after and not _OPERATOR_END.search(before) and not _OPERATOR_START.match(after) \
                    and (_LONG_NAME_END.search(before) or _LONG_NAME_START.match(after)):
                out.append(latex[start:position] + r" \allowbreak")
                start = position
    out.append(latex[start:])
    return "".join(out)


def breakable_cells(row: str) -> str:
    r"""A table row of LaTeX with its wide inline formulas made :func:`breakable_math` (narrow ones as they are,
    so that the source stays as a person writes it).

    >>> breakable_cells(r"$x$ & $\mathit{intermediate} \mathit{ycoordinate}$ \\")
    '$x$ & $\\mathit{intermediate} \\allowbreak \\mathit{ycoordinate}$ \\\\'
    """
    parts = row.split("$")
    return "$".join(breakable_math(part) if k % 2 and visual_width(part) > CELL_WIDTH else part
                    for k, part in enumerate(parts))
