"""Read one student answer (a value from an answers file, or a Python number) into an exact SymPy number, safely.

Accepted: text, int, float, Decimal (TOML floats), Fraction and any other ``numbers.Integral`` (NumPy and SymPy
integers), ``numbers.Rational`` or ``numbers.Real`` (NumPy floats, read as ``repr(float(x))``), and SymPy
constants (checked by :func:`symback.numbers.parse.exact_number`; a SymPy Float is read as the decimal it prints as).
Text may be a decimal ("0.731", "2.36e-1", "2.36 × 10^-1", "2.36×10⁻¹", "0,731"), an exact form ("e/(1+e)",
"3/8", "√(1+e)", "σ(1)", "½", "e²") or simple LaTeX ("\\frac{e}{1+e}", with products implied where unambiguous
as in "8\\frac{e}{1+e}", and "{,}" as a decimal comma as in "0{,}7311"), also written with its decimal value
("e/(1+e) ≈ 0.7311": the exact part is read). :mod:`symback.checker.answer_syntax` tidies and translates the text by
plain string work, and the result goes through :func:`symback.numbers.parse.parse_number`: nothing is ever run.
Every answer that can't be read raises :class:`~symback.errors.ParseError` with a one-line reason in words (never
a Python repr), as an unreadable answer is a verdict, not a crash; :func:`shown_answer` quotes it back as written.
For a plain decimal (and an integer) the places and significant figures written are kept, since a tolerance policy
may be stated in those terms; an exact form has None.
"""

from __future__ import annotations

import datetime
import decimal
import fractions
import functools
import math
import numbers
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sympy

from symback.checker.answer_syntax import latex_to_plain, normalise
from symback.errors import ParseError
from symback.numbers.arithmetic import decimal_from_sympy
from symback.numbers.parse import (
    MAX_DIGITS,
    MAX_TEXT_LENGTH,
    exact_number,
    parse_number,
)

PRECISION = 50  # significant digits of Answer.number
MAX_NODES = 1000  # size of a SymPy value given directly (text is bounded by its length instead)


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
_NOT_FINITE = frozenset({"nan", "inf", "infinity", "∞", "\\infty"})


def read_answer(raw: Any) -> Answer:
    """Read one answer: text, or a Python, NumPy or SymPy number (see the module docstring).

    >>> read_answer("0.0120")
    Answer(text='0.0120', value=3/250, number=Decimal('0.0120'), places=4, figures=3)
    >>> answer = read_answer("\\\\frac{e}{1+e} ≈ 0.7311")
    >>> answer.value, answer.number.quantize(decimal.Decimal("0.0001")), answer.places
    (E/(1 + E), Decimal('0.7311'), None)
    """
    if isinstance(raw, str):
        return _read_text(raw.strip())
    if isinstance(raw, bool):  # before int: True is an int
        raise ParseError(f"{shown_answer(raw)} is a truth value, not a number")
    if isinstance(raw, numbers.Integral):  # int, and NumPy's and SymPy's integers
        raw = int(raw)
        if raw.bit_length() > 3.33 * MAX_DIGITS:  # before str(), which refuses very long ints
            raise ParseError(f"number has more than {MAX_DIGITS} digits")
        return _read_text(str(raw))
    if isinstance(raw, sympy.Expr):
        return _read_sympy(raw)
    if isinstance(raw, (float, decimal.Decimal)):
        if not (raw.is_finite() if isinstance(raw, decimal.Decimal) else math.isfinite(raw)):
            raise ParseError("not a number (NaN)" if _is_nan(raw) else "infinite, not a finite number")
        if isinstance(raw, decimal.Decimal) and len(raw.as_tuple().digits) > MAX_DIGITS:
            raise ParseError(f"number has more than {MAX_DIGITS} digits")
        return _read_text(float.__repr__(raw) if isinstance(raw, float) else str(raw))
    if isinstance(raw, numbers.Rational):  # Fraction and the like: exact
        numerator, denominator = int(raw.numerator), int(raw.denominator)
        if max(abs(numerator), denominator).bit_length() > 3.33 * MAX_DIGITS:
            raise ParseError(f"number has more than {MAX_DIGITS} digits")
        value = sympy.Rational(numerator, denominator)
        return Answer(str(fractions.Fraction(numerator, denominator)), value, _number_of(value), None, None)
    if isinstance(raw, numbers.Real):  # NumPy's other floats, ...: as the float they convert to
        try:
            as_float = float(raw)
        except (TypeError, ValueError, OverflowError, ArithmeticError) as error:
            raise ParseError(f"cannot read a {type(raw).__name__} as a float: {str(error)[:80]}") from None
        return read_answer(as_float)
    raise ParseError(f"{_kind_of(raw)}, not a number or an expression")


def shown_answer(raw: Any) -> str:
    """An answer as the student wrote it (a TOML value as TOML spells it), or in words where it is no number.

    Never a Python repr: this is what feedback quotes back to the student.

    >>> import datetime
    >>> shown_answer("2.359"), shown_answer(decimal.Decimal("0.5")), shown_answer(True), shown_answer([1, 2])
    ('2.359', '0.5', 'true', '[…]')
    >>> shown_answer(decimal.Decimal("NaN")), shown_answer(datetime.date(2023, 11, 7)), shown_answer(10**5000)
    ('nan', '2023-11-07', 'an integer of 5001 digits')
    """
    if isinstance(raw, str):
        return raw
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, numbers.Integral):
        raw = int(raw)
        if raw.bit_length() > 3.33 * MAX_DIGITS:  # str() refuses very long ints; counting digits is cheap
            return f"an integer of {_digit_count(abs(raw))} digits"
        return str(raw)
    if isinstance(raw, float) and not math.isfinite(raw) or isinstance(raw, decimal.Decimal) and not raw.is_finite():
        return "nan" if _is_nan(raw) else "-inf" if math.copysign(1, raw) < 0 else "inf"  # as TOML writes them
    if isinstance(raw, float):
        return float.__repr__(raw)
    if isinstance(raw, decimal.Decimal) and len(raw.as_tuple().digits) > MAX_DIGITS:
        return f"a number of {len(raw.as_tuple().digits)} digits"
    if isinstance(raw, (decimal.Decimal, numbers.Rational, sympy.Expr)):
        try:
            text = str(raw)
        except ValueError:  # an integer part past Python's digit limit for str()
            return "a number too long to show"
        return text if len(text) <= MAX_TEXT_LENGTH else f"a number of {len(text)} characters"
    if isinstance(raw, (datetime.date, datetime.time)):
        return raw.isoformat()
    if isinstance(raw, (list, tuple)):
        return "[…]"
    if isinstance(raw, Mapping):
        return "{…}"
    return _kind_of(raw)


def _is_nan(value: float | decimal.Decimal) -> bool:
    return value.is_nan() if isinstance(value, decimal.Decimal) else math.isnan(value)  # sNaN refuses comparisons


def _digit_count(value: int) -> int:
    """Decimal digits of a non-negative int, without str() (which refuses very long ints)."""
    estimate = max(1, int(value.bit_length() * math.log10(2)))
    return estimate + (value >= 10**estimate)


def _kind_of(raw: Any) -> str:
    """What a value that is no number is, in words."""
    if raw is None:
        return "nothing"
    if isinstance(raw, datetime.datetime):  # before date: a datetime is a date
        return "a date and time"
    for kind, name in ((datetime.date, "a date"), (datetime.time, "a time of day"), (bool, "a truth value"),
                       (str, "text"), (bytes, "bytes"), (list, "an array"), (tuple, "an array"),
                       (Mapping, "a table")):
        if isinstance(raw, kind):
            return name
    name = type(raw).__name__
    if name.lower().startswith("bool"):  # NumPy's bool_, SymPy's BooleanTrue
        return "a truth value"
    return f"an {name}" if name[:1].lower() in "aeiou" else f"a {name}"


def _read_sympy(value: sympy.Expr) -> Answer:
    """A SymPy constant: checked for size first (iteratively), then by exact_number."""
    if isinstance(value, sympy.Float):  # inexact, so like a float: the decimal it prints as
        return _read_text(str(value))
    pending, seen = [value], 0
    while pending:
        node = pending.pop()
        seen += 1
        if seen > MAX_NODES:
            raise ParseError(f"SymPy value is too large (more than {MAX_NODES} parts)")
        if node.is_Rational and max(abs(node.p), node.q).bit_length() > 3.33 * MAX_DIGITS:
            raise ParseError(f"number has more than {MAX_DIGITS} digits")
        pending.extend(node.args)
    exact = exact_number(value, what="SymPy value")
    return Answer(str(exact), exact, _number_of(exact), None, None)


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
    plain, separator, spelled_out, is_latex = normalise(text)
    if plain.lstrip("+-").lower() in _NOT_FINITE:
        raise ParseError(f"not a finite number: {text}")
    try:
        literal = _PLAIN_DECIMAL.fullmatch(plain)  # "$2.36e-1$" or "0{,}7311": a decimal, whole
        if literal:
            return _from_literal(text, literal, number_text=plain)
        plain = latex_to_plain(plain) if is_latex else plain
        scientific = _TIMES_POWER_OF_TEN.fullmatch(plain)
        if scientific and _PLAIN_DECIMAL.fullmatch(scientific[1]):
            plain = f"{scientific[1]}e{scientific[2] or scientific[3]}"
        literal = _PLAIN_DECIMAL.fullmatch(plain)
        if literal:
            return _from_literal(text, literal, number_text=plain)
        value = parse_number(plain)
    except ParseError as error:
        reason = error.reason + (f" (reading the part before '{separator}')" if separator else "")
        if is_latex or spelled_out:  # point at the answer as written, not at our translation of it
            raise ParseError(reason, text=text) from None
        raise ParseError(reason, text=error.text, position=error.position) from None
    if value.free_symbols or value.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo) or value.is_extended_real is False:
        raise ParseError(f"not a finite real number: {str(value)[:40]}")
    return Answer(text, value, _number_of(value), None, None)


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
