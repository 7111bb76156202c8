"""Read one student answer (a value from an answers file) into an exact SymPy number, safely.

An answer may be a decimal ("0.731", "2.36e-1", "2.36 × 10^-1", "0,731"), an exact form ("e/(1+e)", "3/8") or
simple LaTeX ("\\frac{e}{1+e}"). Text is tidied (a leading "≈", "$…$", unicode minus, decimal comma), LaTeX is
translated here by plain string work, and the result goes through :func:`symback.safe_parse.parse_number`:
nothing is ever run. Every answer that can't be read raises :class:`~symback.errors.ParseError` with a
one-line reason, as an unreadable answer is a verdict, not a crash. For a plain decimal the places and
significant figures written are kept, since a tolerance policy may be stated in those terms.
"""

from __future__ import annotations

import decimal
import fractions
import functools
import math
import re
from dataclasses import dataclass
from typing import Any

import sympy

from symback.arithmetic import decimal_from_sympy
from symback.errors import ParseError
from symback.safe_parse import MAX_DIGITS, MAX_TEXT_LENGTH, parse_number

PRECISION = 50  # significant digits of Answer.number


@dataclass(frozen=True)
class Answer:
    """One answer as read: what was written, its exact value, and the precision it was written to."""

    text: str  # the answer as written (str of the raw value, stripped)
    value: sympy.Expr  # exact value
    number: decimal.Decimal  # value to PRECISION significant digits (for comparisons)
    places: int | None  # decimal places written, for a plain decimal literal; None for an exact form
    figures: int | None  # significant figures written, for a plain decimal literal; None for an exact form


_PLAIN_DECIMAL = re.compile(r"([+-]?)(?=\.?[0-9])([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?")
# "2.36 * 10^-1" as written by hand (after "×" and "\times" became "*")
_TIMES_POWER_OF_TEN = re.compile(r"([+-]?[0-9.]+)\s*\*\s*10\s*(?:\^|\*\*)\s*(?:\(\s*([+-]?[0-9]+)\s*\)|([+-]?[0-9]+))")
_DECIMAL_COMMA = re.compile(r"[0-9],[0-9]")
_NOT_FINITE = frozenset({"nan", "inf", "infinity", "∞", "\\infty"})
_PREFIXES = ("\\approx", "≈", "~", "=")
_DELIMITERS = (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]"))
_CHARACTERS = str.maketrans({"−": "-", "–": "-", "·": "*", "×": "*"})

# LaTeX tokens: \left( or \right) with their delimiter, a command, a brace, or a run of other text
_LATEX_TOKEN = re.compile(r"\\(?:left|right)\s*([()\[\]])|\\([A-Za-z]+|.?)|([{}])|([^\\{}]+)", re.DOTALL)
_LATEX_WORDS = {name: f" {name} " for name in ("exp", "ln", "log", "sin", "cos", "tan", "sinh", "cosh", "tanh",
                                                 "max", "min", "pi")}
_LATEX_WORDS |= {"arctan": " atan ", "sigma": " sigmoid ", "cdot": "*", "times": "*",
                 ",": " ", ";": " ", ":": " ", "!": " ", " ": " ", "quad": " ", "qquad": " "}
# commands taking brace groups: the text each group opens and closes with (\frac{A}{B} -> ((A)/(B)))
_LATEX_GROUPS = {"frac": ("(", (("(", ")/"), ("(", "))"))), "sqrt": (" sqrt", (("(", ")"),))}
_LATEX_GROUPS |= {"dfrac": _LATEX_GROUPS["frac"], "tfrac": _LATEX_GROUPS["frac"], "cfrac": _LATEX_GROUPS["frac"]}
_LATEX_GROUPS |= {name: ("", ((" ", " "),)) for name in ("mathrm", "operatorname", "text", "mathit")}


def read_answer(raw: Any) -> Answer:
    """Read one answer: a str, int, Decimal (TOML floats), float or Fraction.

    >>> read_answer("0.0120")
    Answer(text='0.0120', value=3/250, number=Decimal('0.0120'), places=4, figures=3)
    >>> answer = read_answer("\\\\frac{e}{1+e}")
    >>> answer.value, answer.number.quantize(decimal.Decimal("0.0001")), answer.places
    (E/(1 + E), Decimal('0.7311'), None)
    """
    if isinstance(raw, str):
        return _read_text(raw.strip())
    if isinstance(raw, bool):  # before int: True is an int
        raise ParseError(f"expected a number or an expression, got a bool ({raw})")
    if isinstance(raw, int):
        if raw.bit_length() > 3.33 * MAX_DIGITS:  # before str(), which refuses very long ints
            raise ParseError(f"number has more than {MAX_DIGITS} digits")
        return _read_text(str(raw))
    if isinstance(raw, (float, decimal.Decimal)):
        if not (raw.is_finite() if isinstance(raw, decimal.Decimal) else math.isfinite(raw)):
            raise ParseError(f"expected a finite number, got {raw}")
        return _read_text(float.__repr__(raw) if isinstance(raw, float) else str(raw))
    if isinstance(raw, fractions.Fraction):
        if max(abs(raw.numerator), raw.denominator).bit_length() > 3.33 * MAX_DIGITS:
            raise ParseError(f"number has more than {MAX_DIGITS} digits")
        value = sympy.Rational(raw.numerator, raw.denominator)
        return Answer(str(raw), value, _number_of(value), None, None)
    kind = "None" if raw is None else f"a {type(raw).__name__}"
    raise ParseError(f"expected a number or an expression, got {kind}")


def _read_text(text: str) -> Answer:
    if not text:
        raise ParseError("empty")
    if len(text) > MAX_TEXT_LENGTH:  # before any regex or translation, so huge strings cost nothing
        raise ParseError(f"text is too long ({len(text)} characters; the limit is {MAX_TEXT_LENGTH})")
    literal = _PLAIN_DECIMAL.fullmatch(text)
    if literal:  # the common case, kept off the cache and the parser for speed
        return _from_literal(text, literal)
    return _read_written_form(text)


@functools.lru_cache(maxsize=4096)  # many students write the same exact forms; Answer is immutable
def _read_written_form(text: str) -> Answer:
    plain = _normalise(text)
    if plain.lstrip("+-").lower() in _NOT_FINITE:
        raise ParseError(f"not a finite number: {text}")
    is_latex = "\\" in plain or "{" in plain or "}" in plain
    try:
        plain = _latex_to_plain(plain) if is_latex else plain
        scientific = _TIMES_POWER_OF_TEN.fullmatch(plain)
        if scientific and _PLAIN_DECIMAL.fullmatch(scientific[1]):
            plain = f"{scientific[1]}e{scientific[2] or scientific[3]}"
        literal = _PLAIN_DECIMAL.fullmatch(plain)
        if literal:
            return _from_literal(text, literal, number_text=plain)
        value = parse_number(plain)
    except ParseError as error:
        if is_latex:  # point at the LaTeX as written, not at our translation of it
            raise ParseError(error.reason, text=text) from None
        raise
    if value.free_symbols or value.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo) or value.is_extended_real is False:
        raise ParseError(f"not a finite real number: {str(value)[:40]}")
    return Answer(text, value, _number_of(value), None, None)


def _normalise(text: str) -> str:
    """Tidy what students copy from calculators and typeset notes: '≈ 0,731', '$\\frac{3}{8}$', '−2'."""
    for opening, closing in _DELIMITERS:
        if len(text) >= len(opening) + len(closing) and text.startswith(opening) and text.endswith(closing):
            text = text[len(opening) : -len(closing)].strip()
            break
    for prefix in _PREFIXES:
        if text.startswith(prefix):
            text = text[len(prefix) :].strip()
            break
    text = text.translate(_CHARACTERS)
    if text.count(",") == 1 and "(" not in text and _DECIMAL_COMMA.search(text):  # "0,731" on German sheets
        text = text.replace(",", ".")
    if not text:
        raise ParseError("empty")
    return text


def _latex_to_plain(latex: str) -> str:
    """Translate simple LaTeX into the safe parser's syntax, iteratively (no recursion on nesting).

    >>> _latex_to_plain("\\\\frac{1}{1+e^{-1}}")
    '((1)/(1+e^(-1)))'
    """
    out: list[str] = []
    groups: list[tuple[str, list, str]] = []  # open braces: (closing text, awaited groups outside, command)
    awaited: list[tuple[str, str]] = []  # brace groups the last command still needs: (opening, closing)
    command = ""
    for token in _LATEX_TOKEN.finditer(latex):
        delimiter, name, brace, text = token.groups()
        if text is not None and awaited:  # \frac12 or \sqrt2: a single character is a whole argument
            text = text.lstrip()
            while awaited and text:
                if command == "sqrt" and text[0] == "[":
                    raise ParseError("only square roots are supported: write x^(1/n) for \\sqrt[n]{x}")
                if not text[0].isalnum():
                    raise ParseError(f"write the arguments of \\{command} in braces {{…}}")
                opening, closing = awaited.pop(0)
                out.append(opening + text[0] + closing)
                text = text[1:].lstrip()
            out.append(text)
        elif awaited and brace != "{" and (text is None or text.strip()):
            raise ParseError(f"write the arguments of \\{command} in braces {{…}}")
        elif text is not None:
            out.append(text)
        elif brace == "{":
            opening, closing = awaited.pop(0) if awaited else ("(", ")")
            groups.append((closing, awaited, command))
            out.append(opening)
            awaited = []
        elif brace == "}":
            if not groups:
                raise ParseError("unmatched '}'")
            closing, awaited, command = groups.pop()
            out.append(closing)
        elif delimiter is not None:
            out.append("(" if delimiter in "([" else ")")
        elif name in _LATEX_WORDS:
            out.append(_LATEX_WORDS[name])
        elif name in _LATEX_GROUPS:
            opening, awaited = _LATEX_GROUPS[name][0], list(_LATEX_GROUPS[name][1])
            out.append(opening)
            command = name
        elif name in ("left", "right"):
            raise ParseError(f"only \\{name}( and \\{name}[ style delimiters are supported, as parentheses")
        else:
            raise ParseError(f"unknown LaTeX command \\{name}")
    if awaited:
        raise ParseError(f"\\{command} is missing its arguments in braces {{…}}")
    if groups:
        raise ParseError("missing '}'")
    return "".join(out)


def _from_literal(text: str, literal: re.Match, number_text: str | None = None) -> Answer:
    """A plain decimal: its exact value, and the places and significant figures as written."""
    sign, whole, fraction, exponent_text = literal.groups()
    fraction = fraction or ""
    if exponent_text and len(exponent_text.lstrip("+-")) > 6:
        raise ParseError(f"number's exponent is too large (limit {MAX_DIGITS})")
    exponent = int(exponent_text or 0)
    significant = (whole + fraction).lstrip("0")
    scale = exponent - len(fraction)  # value = significant * 10**scale
    if len(significant) > MAX_DIGITS or (significant and abs(scale) + len(significant) > MAX_DIGITS + 1) or (
        abs(exponent) > 3 * MAX_DIGITS
    ):
        raise ParseError(f"number too large or too small: its exact value needs more than {MAX_DIGITS + 1} digits")
    magnitude = int(significant or 0)
    value = sympy.Integer(magnitude * 10**scale) if scale >= 0 else sympy.Rational(magnitude, 10**-scale)
    with decimal.localcontext(prec=PRECISION):
        number = +decimal.Decimal(number_text or text)  # exact, then rounded; also turns -0 into 0
    return Answer(text, -value if sign == "-" else value, number, max(0, -scale), len(significant) or 1)


def _number_of(value: sympy.Expr) -> decimal.Decimal:
    """value to PRECISION significant digits: exactly rounded for rationals, else via a few guard digits."""
    if value.is_Rational:
        with decimal.localcontext(prec=PRECISION):
            return decimal.Decimal(int(value.p)) / decimal.Decimal(int(value.q))
    try:
        with decimal.localcontext(prec=PRECISION + 5):
            guarded = decimal_from_sympy(value)
        with decimal.localcontext(prec=PRECISION):
            number = +guarded
    except Exception as error:  # decimal traps, mpmath domain errors: unreadable, never a crash
        raise ParseError(f"cannot evaluate this value: {type(error).__name__}: {str(error)[:80]}") from None
    if not number.is_finite():
        raise ParseError("not a finite real number")
    return number
