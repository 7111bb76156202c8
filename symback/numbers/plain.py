"""Plain numbers (integers and decimals with an optional exponent, and fractions of two) read by one pattern:
the shortcut that keeps a matrix of 100,000 entries out of the expression parser."""

from __future__ import annotations

import functools
import re

import sympy

_LITERAL = r"([0-9]+)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?|\.([0-9]+)(?:[eE]([+-]?[0-9]+))?"
_PLAIN_NUMBER = re.compile(rf"\s*([+\-\u2212]?)\s*(?:{_LITERAL})\s*(?:/\s*([+\-\u2212]?)\s*(?:{_LITERAL})\s*)?")
_PLAIN_DIGITS, _PLAIN_EXPONENT = 40, 300  # far inside the parser's limits: larger ones take its route and checks


@functools.lru_cache(maxsize=4096)  # a cache: a big matrix repeats its short decimals many times
def plain_number(text: str) -> sympy.Rational | None:
    """The value of a plain number, an integer or decimal with an optional exponent or a fraction of two
    ("2.12", "-3/10", "1e-3"), read without the expression parser; None for any other text (the parser
    reads it, with all its checks and messages, also for plain numbers too long for this shortcut).

    >>> plain_number("-0.037"), plain_number(" 2.12 / -4 "), plain_number("1e-3"), plain_number("2^3")
    (-37/1000, -53/100, 1/1000, None)
    """
    match = _PLAIN_NUMBER.fullmatch(text)
    if match is None:
        return None
    groups = match.groups()
    top = _plain_ratio(*groups[1:6])
    bottom = (1, 1) if groups[7] is None and groups[10] is None else _plain_ratio(*groups[7:12])
    if top is None or bottom is None or bottom[0] == 0:
        return None  # too long, or a division by zero: the parser says what is wrong
    numerator, denominator = top[0] * bottom[1], top[1] * bottom[0]
    if (groups[0] in ("-", "\u2212")) != (groups[6] in ("-", "\u2212")):
        numerator = -numerator
    return sympy.Rational(numerator, denominator)


def _plain_ratio(whole, fraction, exponent, only_fraction, its_exponent) -> tuple[int, int] | None:
    """(numerator, denominator) of one unsigned decimal literal from its pieces; None if it is long."""
    if whole is None:
        whole, fraction, exponent = "", only_fraction, its_exponent
    fraction, exponent = fraction or "", exponent or "0"
    if len(whole) + len(fraction) > _PLAIN_DIGITS or len(exponent) > 5 or abs(int(exponent)) > _PLAIN_EXPONENT:
        return None
    scale = int(exponent) - len(fraction)
    mantissa = int(whole + fraction or "0")
    return (mantissa * 10**scale, 1) if scale >= 0 else (mantissa, 10**-scale)
