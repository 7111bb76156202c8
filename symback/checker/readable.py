"""Formulas for people in plain text (the terminal, ``str()`` of a report): the answers file's names, but no
program syntax: ``h1_2·(1 − h1_2)``, ``12·e/(1 + e)²``, ``σ′(z1_2)``, not ``h1_2*(1 - h1_2)`` or ``**2``.

Only plain text is made here; the feedback sheets typeset the same formulas as mathematics
(:mod:`symback.checker.feedback_text`). This module loads no renderer (``symback check`` prints without one).
"""

from __future__ import annotations

import re

_SUPERSCRIPT = str.maketrans("0123456789-−", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁻")
_POWER = re.compile(r"\*\*(\d+|\(-\d+\))")  # an integer power: written as a superscript
_EXP_INTEGER = re.compile(r"\bexp\((−?\d+)\)")  # after the minus is made −: e⁴, e⁻²
_FUNCTION_NAMES = {"sigmoid": "σ"}  # as the sheets write them
_PRIME = re.compile(r"(?<=[\w)])'(?=\()")  # sigmoid'(z): a derivative's prime, not an updated parameter's b12'
_PARTIAL_KEY = re.compile(r"^d([A-Za-z][\w\[\]:]*)/d([A-Za-z][\w\[\]:]*)$")


def readable(text: str) -> str:
    """Program syntax in ``text`` (as :func:`symback.numbers.text.format_exact` writes it) made readable.

    >>> readable("h1_2*(1 - h1_2)"), readable("12*e/(1 + e)**2"), readable("m[2]:b12/(1 - β₁**(-2))")
    ('h1_2·(1 − h1_2)', '12·e/(1 + e)²', 'm[2]:b12/(1 − β₁⁻²)')
    >>> readable("sigmoid'(z1_2)"), readable("-2*y + 2*yhat"), readable("x**(k + 1)"), readable("b12'")
    ('σ′(z1_2)', '−2·y + 2·yhat', 'x^(k + 1)', "b12'")
    >>> readable("1/(1 + exp(4))"), readable("exp(-2)*exp(y)")
    ('1/(1 + e⁴)', 'e⁻²·exp(y)')
    """
    text = _POWER.sub(lambda power: power.group(1).strip("()").translate(_SUPERSCRIPT), text)
    text = text.replace("**", "^").replace("*", "·").replace("-", "−")
    text = _EXP_INTEGER.sub(lambda power: "e" + power.group(1).translate(_SUPERSCRIPT), text)
    text = _PRIME.sub("′", text)
    for name, symbol in _FUNCTION_NAMES.items():
        text = re.sub(rf"\b{name}(?=[′(])", symbol, text)
    return text


def readable_key(key: str) -> str:
    """An answers file's key with its derivative written as one: ``dL/da22`` as ``∂L/∂a22``; others as they are.

    >>> readable_key("dL/da22"), readable_key("dh1_2/dz1_2"), readable_key("b12'"), readable_key("m[2]:b12")
    ('∂L/∂a22', '∂h1_2/∂z1_2', "b12'", 'm[2]:b12')
    """
    partial = _PARTIAL_KEY.match(key)
    return f"∂{partial.group(1)}/∂{partial.group(2)}" if partial else key
