"""How names print: ``a22`` as a_{22}, ``z1_2`` as z_2 (or z^{(1)}_2 with several hidden layers), ``yhat`` as ŷ.

Pure functions of a name (and whether layer numbers are shown); the renderers use them, the engine never does.
"""

from __future__ import annotations

import decimal
import functools
import re
from dataclasses import dataclass

import sympy
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE

from ..numbers.rounding import terminating_decimal
from ..numbers.text import positive_first

_NODE = re.compile(r"^(z|h)(\d+)_(\d+|i)$")  # unit i: a layer table's column
_LETTER_INDEX = re.compile(r"^([A-Za-z]+)(\d+)(?:_(\d+))?$")
_OUTPUT = re.compile(r"^yhat(\d*|i)$")
_TARGET = re.compile(r"^y(\d*)$")
_RUN_VALUE = re.compile(r"^([a-z_]+)\[(\d+)\]:([A-Za-z]\w*)$")  # an optimizer run's value: m_hat[2]:b12
_RUN_AFTER = re.compile(r"^([A-Za-z]\w*)\[(\d+)\]$")  # a parameter after a step: b12[3]
_RUN_SYMBOLS = {"g": "g", "m": "m", "v": "v", "s": "s", "velocity": "v", "direction": "d", "m_hat": r"\hat{m}",
                "v_hat": r"\hat{v}", "decayed": r"\tilde{\theta}", "update": r"\Delta\theta"}
_PARTIAL = re.compile(r"^d([A-Za-z][A-Za-z0-9_]*)/d([A-Za-z][A-Za-z0-9_]*)$")  # a chain-rule factor: dyhat/dh1_2, dh1_2/dz1_2
_GREEK = {name: "\\" + name for name in (  # the learning rate alpha; an expression's variables named theta, ...
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu", "nu",
    "xi", "rho", "sigma", "tau", "phi", "chi", "psi", "omega")}
_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_SUBSCRIPTED = re.compile(r"^([A-Za-z]+)_([A-Za-z0-9]+)$")  # an author's name such as x_1 or w_out


@dataclass(frozen=True)
class Notation:
    """Printing choices for one sheet.

    >>> Notation(show_layers=False).latex_name("z1_2"), Notation(show_layers=True).latex_name("z1_2")
    ('z_{2}', 'z^{(1)}_{2}')
    >>> Notation().latex_name("dL/da22")
    '\\\\frac{\\\\partial L}{\\\\partial a_{22}}'
    >>> Notation().latex_name("dh1_2/dz1_2"), Notation().latex_name("alpha")
    ('\\\\frac{\\\\partial h_{2}}{\\\\partial z_{2}}', '\\\\alpha')
    >>> Notation().latex_name("df/dq3"), Notation().latex_name("theta1"), Notation().latex_name("w_out")
    ('\\\\frac{\\\\partial f}{\\\\partial q_{3}}', '\\\\theta_{1}', 'w_{\\\\mathit{out}}')
    """

    show_layers: bool = False

    def latex_name(self, name: str) -> str:
        """A node, parameter or derived quantity's name in LaTeX.

        An optimizer run's values by step and parameter print with the step as a subscript:

        >>> Notation().latex_name("m_hat[2]:b12"), Notation().latex_name("b12[3]")
        ('\\\\hat{m}_{2}(b_{12})', 'b_{12}^{(3)}')
        """
        run_value = _RUN_VALUE.match(name)
        if run_value:
            column, step, parameter = run_value.groups()
            symbol = _RUN_SYMBOLS.get(column, rf"\mathit{{{_escape_math_text(column)}}}")
            return f"{symbol}_{{{step}}}({self.latex_name(parameter)})"
        after_step = _RUN_AFTER.match(name)
        if after_step:
            parameter, step = after_step.groups()
            return f"{self.latex_name(parameter)}^{{({step})}}"
        if name.startswith("dL/d"):
            return rf"\frac{{\partial L}}{{\partial {self.latex_name(name[4:])}}}"
        if name.endswith("'"):
            return self.latex_name(name[:-1]) + "'"
        factor = _PARTIAL.match(name)
        if factor:
            return self.partial(*factor.groups())
        if name in _GREEK:
            return _GREEK[name]
        node = _NODE.match(name)
        if node:
            letter, layer, unit = node.groups()
            return f"{letter}^{{({layer})}}_{{{unit}}}" if self.show_layers else f"{letter}_{{{unit}}}"
        output = _OUTPUT.match(name)
        if output:
            return r"\hat{y}" + (f"_{{{output.group(1)}}}" if output.group(1) else "")
        target = _TARGET.match(name)
        if target:
            return "y" + (f"_{{{target.group(1)}}}" if target.group(1) else "")
        indexed = _LETTER_INDEX.match(name)
        if indexed:
            letters, first, second = indexed.groups()
            return f"{_head(letters)}_{{{first}{',' + second if second else ''}}}"
        subscripted = _SUBSCRIPTED.match(name)
        if subscripted:
            letters, index = subscripted.groups()
            return f"{_head(letters)}_{{{index if index.isdigit() or len(index) == 1 else _head(index)}}}"
        return name if len(name) == 1 else rf"\mathit{{{_escape_math_text(name)}}}"

    def partial(self, numerator: str, denominator: str) -> str:
        """∂numerator/∂denominator in LaTeX."""
        return rf"\frac{{\partial {self.latex_name(numerator)}}}{{\partial {self.latex_name(denominator)}}}"

    def latex(self, expr) -> str:
        """A SymPy expression in LaTeX, symbols named as on the sheet, terms in the order they were built."""
        if isinstance(expr, str):
            return expr
        return _latex(self, expr)

    def plain_name(self, name: str) -> str:
        """A name for plain-text places (diagram labels), typeset in Unicode as the LaTeX name prints:
        a22 -> a₂₂, yhat -> ŷ, h1_2 -> h₂ (or h₂⁽¹⁾ where layer numbers are shown).

        >>> Notation().plain_name("a22"), Notation().plain_name("yhat"), Notation(show_layers=True).plain_name("h1_2")
        ('a₂₂', 'ŷ', 'h₂⁽¹⁾')
        """
        subscript = str.maketrans("0123456789_", "₀₁₂₃₄₅₆₇₈₉,")
        node = _NODE.match(name)
        if node:
            letter, layer, unit = node.groups()
            layer_mark = f"⁽{layer.translate(_SUPERSCRIPT)}⁾" if self.show_layers else ""
            return f"{letter}{unit.translate(subscript)}{layer_mark}"
        if _OUTPUT.match(name):
            return "ŷ" + _OUTPUT.match(name).group(1).translate(subscript)
        indexed = _LETTER_INDEX.match(name)
        if indexed and len(indexed.group(1)) == 1:
            return indexed.group(1) + name[1:].translate(subscript)
        return name


@functools.lru_cache(maxsize=4096)
def _latex(notation: Notation, expr) -> str:
    """Printing is pure and the same values recur (a feedback sheet per student shows the same right values)."""
    names = {symbol: notation.latex_name(symbol.name) for symbol in getattr(expr, "free_symbols", ())}
    return _SheetLatexPrinter({"symbol_names": names, "order": "none"}).doprint(expr)


class _SheetLatexPrinter(LatexPrinter):
    """SymPy's LaTeX printer, but a product left unevaluated (numbers put in) shows every factor: 1 · 3, a
    long number that is a short decimal times a power of ten is written so: 10^{-300}, not 1/1000…0, and a sum
    starts with a positive term where it has one: e - 1, not -1 + e."""

    def _as_ordered_terms(self, expr, order=None):
        return positive_first(super()._as_ordered_terms(expr, order=order))

    def _print_Rational(self, expr):
        return _scientific(expr) or _short_decimal(expr) or super()._print_Rational(expr)

    def _print_Integer(self, expr):
        return _scientific(expr) or super()._print_Rational(expr)

    def _print_Mul(self, expr):
        unevaluated_product = isinstance(expr, sympy.Mul) and len(expr.args) > 1 and sympy.Mul(*expr.args) != expr
        has_denominator = any(arg.is_Pow and arg.exp.is_negative for arg in expr.args)
        if unevaluated_product and not has_denominator:
            return r" \cdot ".join(self.parenthesize(arg, PRECEDENCE["Mul"], strict=True) for arg in expr.args)
        return super()._print_Mul(expr)


def _head(letters: str) -> str:
    """Letters in math: one letter as it is, a Greek letter's name as the letter, else a word in \\mathit."""
    if len(letters) == 1:
        return letters
    return _GREEK.get(letters, rf"\mathit{{{letters}}}")


def _escape_math_text(text: str) -> str:
    return re.sub(r"([_#%&$])", r"\\\1", text)


def latex_number(value: sympy.Expr) -> str:
    """An exact number in LaTeX (for matrices and tables).

    >>> latex_number(sympy.Rational(-4, 5)), latex_number(sympy.Rational(1, 3))
    ('-0.8', '\\\\frac{1}{3}')
    """
    return _SheetLatexPrinter().doprint(value)


def _short_decimal(number: sympy.Rational) -> str | None:
    r"""A fraction that is a decimal of at most 8 significant digits, written as people write it (and as problem
    files give it): 3.14 for 157/50, -0.5, 10^{-8}, 1.181152 (a run's parameter after three steps; as a
    fraction, 36911/31250, it is unreadable in a table cell); None for any other number (1/3 stays a fraction).

    >>> _short_decimal(sympy.Rational(157, 50)), _short_decimal(sympy.Rational(-1, 2)), _short_decimal(sympy.Rational(1, 10**8))
    ('3.14', '-0.5', '10^{-8}')
    >>> _short_decimal(sympy.Rational(36911, 31250)), _short_decimal(sympy.Rational(1, 3)), _short_decimal(sympy.Integer(4))
    ('1.181152', None, None)
    """
    if number.q == 1:
        return None
    value = terminating_decimal(int(number.p), int(number.q))
    if value is None or len(value.as_tuple().digits) > 8:
        return None
    exponent = value.adjusted()
    if exponent >= -4:
        return format(value, "f")
    mantissa = value.scaleb(-exponent)
    sign = "-" if mantissa < 0 else ""
    power = f"10^{{{exponent}}}"
    return sign + power if abs(mantissa) == 1 else f"{mantissa} \\cdot {power}"


def _scientific(number: sympy.Rational) -> str | None:
    r"""``m \cdot 10^{e}`` for an exact number of more than 24 digits that is a decimal of at most 15
    significant digits (lr = 1e-300 as 10^{-300}); None for any other number.

    >>> _scientific(sympy.Rational(1, 10**300)), _scientific(sympy.Integer(-25 * 10**30)), _scientific(sympy.Integer(2**100))
    ('10^{-300}', '-2.5 \\cdot 10^{31}', None)
    """
    numerator, denominator = int(number.p), int(number.q)
    if max(len(str(abs(numerator))), len(str(denominator))) <= 24:
        return None
    value = terminating_decimal(numerator, denominator)
    if value is None:
        return None
    value = value.normalize(decimal.Context(prec=len(value.as_tuple().digits)))
    sign, digits, _ = value.as_tuple()
    if len(digits) > 15:
        return None
    exponent = value.adjusted()
    mantissa = value.scaleb(-exponent)
    power = f"10^{{{exponent}}}"
    if mantissa.copy_abs() == 1:
        return ("-" if sign else "") + power
    return f"{mantissa} \\cdot {power}"
