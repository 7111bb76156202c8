"""A :class:`~symback.derive.prose.Prose` paragraph set for a sheet: text escaped, its mathematics in ``$…$``
with the sheet's names (:class:`~symback.render.notation.Notation`) and decimals as the tables print them."""

from __future__ import annotations

from decimal import Decimal
from types import MappingProxyType

import sympy

from ..derive.prose import Math, Name, Partial
from ..numbers.text import decimal_text
from .notation import Notation

SYMBOLS = MappingProxyType({  # the few symbols and words a sentence's formulas use, in LaTeX
    "≈": r"\approx", "≤": r"\le", "≥": r"\ge", "×": r"\times", "·": r"\cdot", "−": "-", "→": r"\to", "…": r"\dots",
    "≠": r"\ne", "α": r"\alpha", "ε": r"\varepsilon", "Δθ": r"\Delta\theta", "m̂": r"\hat m", "v̂": r"\hat v",
    "σ'": r"\sigma'", "σ'(z)": r"\sigma'(z)", "σ(z)": r"\sigma(z)", "+∞": r"+\infty", "ReLU'": r"\operatorname{ReLU}'",
})


def math_item(item, notation: Notation) -> str:
    r"""One item of a formula in LaTeX.

    >>> math_item(Name("h1_2"), Notation(show_layers=True)), math_item(sympy.Rational(1, 20), Notation())
    ('h^{(1)}_{2}', '0.05')
    """
    if isinstance(item, Name):
        return notation.latex_name(item)
    if isinstance(item, Partial):
        return notation.partial(item.numerator, item.denominator)
    if isinstance(item, Decimal):
        return decimal_text(item)
    if isinstance(item, (sympy.Basic, int)):
        return notation.latex(sympy.Integer(item) if isinstance(item, int) else item)
    return SYMBOLS.get(item, item)


def set_prose(paragraph, notation: Notation, escape) -> str:
    r"""A paragraph's text escaped with ``escape``, each formula in ``$…$``.

    >>> from symback.derive.prose import math
    >>> set_prose(("so ", math(Name("a11"), "≈", Decimal("-0.5")), "."), Notation(), str)
    'so $a_{11} \\approx -0.5$.'
    """
    return "".join(
        f"${' '.join(math_item(item, notation) for item in part.items)}$" if isinstance(part, Math) else escape(part)
        for part in paragraph
    )
