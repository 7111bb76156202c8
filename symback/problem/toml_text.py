"""Read a problem file's TOML text; every failure, the TOML reader's own included, is a ProblemError.

tomllib lets Python's own errors out for two kinds of number: an integer of more digits than Python converts
from text (4,300 by default) and a float whose exponent no Decimal holds (``1e99999999999999999999``). Such a
number is found in the text and named by its key, found by reading the text again with a marker in its place.
"""

from __future__ import annotations

import decimal
import re
import sys
import tomllib
from typing import Any

from ..errors import ProblemError
from ..numbers.parse import MAX_DIGITS
from .fields import index_key, join_key

# a decimal number where TOML allows a value (not the fraction or exponent of another, not part of a word)
_NUMBER = re.compile(r"(?<![\w.+-])[+-]?([0-9][0-9_]*)(\.[0-9_]*)?(?:[eE][+-]?([0-9_]+))?(?![\w.])")
_MARKER = '"symback: the number that cannot be read"'
_LONGEST_EXPONENT = 15  # digits of a float's exponent that a Decimal surely holds (its limit is about 10**18)
_TRIED = 5  # candidates read again at most, looking for the key (a number inside a string is no value)


def read_toml(text: str) -> dict:
    """The TOML document in ``text``, its floats as exact Decimals.

    >>> read_toml("lr = 0.1")
    {'lr': Decimal('0.1')}
    >>> read_toml("[loss]\\nkind = 1e" + "9" * 30)
    Traceback (most recent call last):
    symback.errors.ProblemError: loss.kind: number's exponent is too large (it has 30 digits; line 2)
    """
    try:
        return tomllib.loads(text, parse_float=exact_decimal)
    except tomllib.TOMLDecodeError as error:
        raise ProblemError("toml", str(error)) from None
    except RecursionError:  # tomllib recurses into nested arrays and tables
        raise ProblemError("toml", "cannot read the TOML: nested too deeply") from None
    except ValueError:  # int()'s limit on digits, or exact_decimal's refusal
        raise _number_error(text) from None


class ExponentTooLarge(ValueError):
    """A float whose exponent no Decimal holds (``1e`` and 30 digits)."""


def exact_decimal(text: str) -> decimal.Decimal:
    """A TOML or JSON float as the exact Decimal it spells; ExponentTooLarge where no Decimal holds it.

    >>> exact_decimal("0.1")
    Decimal('0.1')
    """
    try:
        return decimal.Decimal(text)
    except decimal.InvalidOperation:  # an exponent beyond what a Decimal holds
        raise ExponentTooLarge(f"the number {text[:20]}… has an exponent far too large") from None


def _number_error(text: str) -> ProblemError:
    """The error naming the first number tomllib cannot convert, by its key where it can be found."""
    int_limit = sys.get_int_max_str_digits() or sys.maxsize
    tried = 0
    for match in _NUMBER.finditer(text):
        whole, fraction, exponent = match.groups()
        line = text.count("\n", 0, match.start()) + 1
        if fraction is None and exponent is None and len(whole.replace("_", "")) > int_limit:
            digits = len(whole.replace("_", ""))
            problem = f"an integer of {digits} digits (numbers may have at most {MAX_DIGITS}; line {line})"
        elif exponent is not None and len(exponent.replace("_", "")) > _LONGEST_EXPONENT:
            problem = f"number's exponent is too large (it has {len(exponent.replace('_', ''))} digits; line {line})"
        else:
            continue
        key = _key_of(text[:match.start()] + _MARKER + text[match.end():])
        if key is not None:
            return ProblemError(key, problem)
        tried += 1
        if tried == _TRIED:
            break
    return ProblemError("toml", "cannot read the TOML: a number too large to read")


def _key_of(marked: str) -> str | None:
    """The key path of the marker's value in the marked text (None if it is no value, or the text no TOML)."""
    try:
        data = tomllib.loads(marked, parse_float=exact_decimal)
    except (tomllib.TOMLDecodeError, ValueError, RecursionError):
        return None
    wanted = _MARKER.strip('"')
    pending: list[tuple[Any, str]] = [(data, "")]
    while pending:
        value, path = pending.pop()
        if value == wanted:
            return path
        if isinstance(value, dict):
            pending.extend((item, join_key(path, name)) for name, item in value.items())
        elif isinstance(value, list):
            pending.extend((item, index_key(path, position)) for position, item in enumerate(value, 1))
    return None
