r"""The chain-rule steps as rows of equations (:func:`symback.render.equations.equation_rows`): what is written,
the values put in, the value — exact while short, else its decimal after ≈.

``name = written = values put in = exact ≈ decimal``; a value past the budget ends the chain with ``≈ decimal``
alone, and a step that put a rounded decimal in ends with ≈ too. Nothing is computed here but layout.
"""

from __future__ import annotations

from fractions import Fraction

from ..derive.chain_rule import plain_enough
from ..derive.formulas import Times
from ..derive.steps import GradientStep, LossStep, Quantity, UpdateStep
from ..numbers.rounding import terminating_decimal
from ..numbers.text import decimal_text
from .equations import equation_rows
from .notation import Notation

MAX_WRITTEN_PATHS = 4  # a sum over more chain-rule paths is named by its count where only its shape matters


def conclusion(quantity: Quantity, approximate: bool = False, before=None) -> list[tuple[str, object]]:
    r"""The end of a chain: ``= exact`` where short and no decimal was put in (unless the chain already ends
    with it), then ``= d`` where the decimal is the exact value, ``≈ d`` where it is not, nothing after a whole
    number.

    >>> import sympy
    >>> from decimal import Decimal
    >>> conclusion(Quantity("h", sympy.E / (1 + sympy.E), Decimal("0.7311")))
    [('=', E/(1 + E)), ('\\approx', '0.7311')]
    >>> conclusion(Quantity("h", sympy.E / (1 + sympy.E), Decimal("0.7311")), approximate=True)
    [('\\approx', '0.7311')]
    """
    pieces: list[tuple[str, object]] = []
    exact_shown = quantity.short and not approximate
    if exact_shown and (before is None or before != quantity.exact) and not _prints_as(before, quantity.exact):
        pieces.append(("=", quantity.exact))
    exact_value = quantity.exact if quantity.short else None
    if exact_shown and exact_value.is_Integer:
        return pieces
    equal = bool(exact_value is not None and exact_value.is_Rational and quantity.decimal.is_finite()
                 and Fraction(int(exact_value.p), int(exact_value.q)) == Fraction(quantity.decimal))
    if equal and pieces and pieces[-1][1] == exact_value and exact_value.q != 1 and terminating_decimal(int(exact_value.p), int(exact_value.q)) is not None:
        return pieces  # 0.5 = 0.5 says nothing
    pieces.append(("=" if equal else r"\approx", decimal_text(quantity.decimal)))
    return pieces


def _prints_as(before, exact) -> bool:
    """Whether a formula already prints as the exact value (σ(0.2) put in is tanh(0.2) written otherwise)."""
    if before is None or isinstance(before, str):
        return False
    printer = Notation()
    return printer.latex(before).replace(r"{\left(", r"\left(").replace(r" \right)}", r"\right)") == \
        printer.latex(exact).replace(r"{\left(", r"\left(").replace(r" \right)}", r"\right)")


def step_rows(step, notation: Notation) -> list[str]:
    """The rows of a forward, probability or loss step.

    >>> import symback
    >>> result = symback.run_exercise(symback.load("problems/ws23_backprop.toml"), "3")
    >>> step_rows(result.steps[1], Notation())
    ['h_{1} &= \\\\sigma\\\\left(z_{1}\\\\right) = \\\\sigma\\\\left(1\\\\right) = \\\\frac{e}{1 + e} \\\\approx 0.7311']
    """
    lhs = notation.latex_name(step.quantity.name)
    pieces = [("=", step.written)]
    if isinstance(step, LossStep) and step.with_targets is not None:
        pieces.append(("=", step.with_targets))
    if step.substituted != pieces[-1][1]:
        pieces.append(("=", step.substituted))
    return equation_rows(lhs, pieces + conclusion(step.quantity, step.approximate, step.substituted), notation)


def gradient_rows(step: GradientStep, notation: Notation) -> list[str]:
    """The rows of a gradient (or an adjoint): the paths in ∂ symbols, as taught, with the values put in, and
    the value.

    >>> import symback
    >>> step = symback.run_exercise(symback.load("problems/ws23_backprop.toml"), "4").of_kind("gradient")[0]
    >>> gradient_rows(step, Notation())[-1]
    '&\\\\approx -2.924'
    """
    lhs = notation.latex_name(step.quantity.name)
    symbols = [r" \cdot ".join(notation.partial(f.numerator, f.denominator) for f in path) for path in step.paths]
    written = [_product([f.written for f in path]) for path in step.paths]
    numbers = [_product([f.substituted for f in path]) for path in step.paths]
    pieces = [("=", _sum(written, notation))]
    if symbols != [lhs]:  # ∂L/∂ŷ = ∂L/∂ŷ says nothing: a one-factor path from the top starts with its formula
        pieces.insert(0, ("=", _sum(symbols, notation)))
    if numbers != written:
        pieces.append(("=", _sum(numbers, notation)))
    last = numbers[0] if len(numbers) == 1 else None
    rows = equation_rows(lhs, pieces + conclusion(step.quantity, step.approximate, last), notation)
    return rows + _exactly(lhs, step.quantity, step.approximate, notation)


def _exactly(lhs: str, quantity: Quantity, approximate: bool, notation: Notation) -> list[str]:
    """Where decimals were put in but the value's exact form is short and plain (e/(1 + e), not a fraction of
    e^{0.1632}), the exact value on a row of its own."""
    if not approximate or not quantity.short or quantity.exact.is_Rational or not plain_enough(quantity.exact):
        return []
    return equation_rows(lhs, [("=", quantity.exact), (r"\approx", decimal_text(quantity.decimal))], notation)


def symbol_rows(step: GradientStep, notation: Notation) -> list[str]:
    """A gradient's chain-rule paths in ∂ symbols only, then its value (where only the shape of the paths
    matters, as when a layer is added)."""
    symbols = [r" \cdot ".join(notation.partial(f.numerator, f.denominator) for f in path) for path in step.paths]
    if len(symbols) > MAX_WRITTEN_PATHS:
        symbols = [rf"\text{{a sum over {len(symbols)} chain-rule paths}}"]
    lhs = notation.latex_name(step.quantity.name)
    return equation_rows(lhs, [("=", _sum(symbols, notation))] + conclusion(step.quantity), notation)


def update_rows(step: UpdateStep, gradient_shown: bool, notation: Notation) -> list[str]:
    """θ' = θ − α ∂L/∂θ = the numbers = the value (the gradient by its exact form where short, else its
    decimal, then ≈)."""
    lhs = notation.latex_name(step.new.name)
    rule = rf"{notation.latex_name(step.parameter)} - \alpha \, {notation.latex_name(step.gradient.name)}"
    gradient = step.gradient
    approximate = not (gradient.short and step.new.short)
    shown = notation.latex(gradient.exact) if gradient.short and not approximate else decimal_text(gradient.decimal)
    negative = gradient.decimal < 0 or (gradient.short and gradient.exact.could_extract_minus_sign())
    numbers = rf"{notation.latex(step.old)} - {notation.latex(step.rate)} \cdot " + (
        rf"\left({shown}\right)" if negative or (gradient.short and not approximate and gradient.exact.is_Add) else shown)
    rounded = approximate and conclusion(gradient)[-1][0] != "="  # a rounded gradient put in: ≈ from here on
    return equation_rows(lhs, [("=", rule), (r"\approx" if rounded else "=", numbers)] + conclusion(step.new, approximate),
                         notation)


def _product(factors: list):
    return factors[0] if len(factors) == 1 else Times(*factors)


def _sum(parts: list, notation: Notation) -> str | list:
    """Several paths as a sum, a term each; one path as it is."""
    if len(parts) == 1:
        return parts[0]
    return [notation.latex(p) if not isinstance(p, str) else p for p in parts]
