"""The exact-form budget: a value is written exactly while its exact form is short, otherwise by its name and its
correctly rounded decimal, as a lecturer writes it: h₁⁽³⁾ = σ(z₁⁽³⁾) = σ(0.3912) ≈ 0.5966.

Short means: few nodes (counted on the engine's value before anything is converted, so that a value of unbounded
size is never turned into a SymPy tree), at most :data:`MAX_ATOMS` distinct transcendental numbers (e and its
powers count as one), no transcendental function of a transcendental number (no e^{e/(1+e)}), and at most
:data:`MAX_LATEX` characters of LaTeX, and every number in it readable (a short decimal or a small fraction, not
1376363/312500). It keeps e/(1 + e), 12e/(1 + e)² and 4(39 + 14e)²/(625(1 + e)²).
"""

from __future__ import annotations

import functools
import re

import symengine
import sympy

from ..engine.guards import node_count_at_most
from ..engine.result import to_sympy
from ..errors import SectionOverrun
from ..numbers.rounding import terminating_decimal

MAX_NODES = 120  # nodes of the engine's (untidied) value; past this its tidy form cannot print in MAX_LATEX
MAX_ATOMS = 2  # distinct transcendental numbers in one exact form
MAX_LATEX = 80  # characters of LaTeX, not counting spaces and \left/\right (a line of a display holds about 90)
MAX_WORK_TEXT = 200  # characters of an engine value's text up to which further exact work is done with it
# (an appendix's step, pass or ratio on exact values); what is then shown still follows within_budget


def worth_exact_work(value) -> bool:
    """Whether an engine value is small enough to compute further exact values from (the work budget; the
    display budget is :func:`within_budget`).

    >>> import symengine
    >>> worth_exact_work(symengine.exp(1) / (1 + symengine.exp(1)))
    True
    """
    return short_text(value, MAX_WORK_TEXT)
MAX_DECIMAL_DIGITS = 6  # significant digits of a number written as a decimal (2.0528, not 4.4043616)
MAX_FRACTION_DIGITS = 6  # digits of numerator and denominator of a fraction that is no short decimal (1/3, 355/113)


def short_text(value, characters: int) -> bool:
    """Whether an engine value's text is at most ``characters`` long, its nodes counted first (a deep network's
    value is a shared graph whose text would be exponentially long).

    >>> import symengine
    >>> short_text(symengine.exp(1) / 2, 20), short_text(symengine.exp(1) / 2, 3)
    (True, False)
    """
    return node_count_at_most(value, MAX_NODES) and len(str(value)) <= characters


def _transcendental(expr) -> bool:
    if isinstance(expr, sympy.Function):
        return getattr(expr, "transcendental", True)  # a display operation says (formulas.Display)
    if expr is sympy.E:
        return True
    return bool(expr.is_Pow and not expr.exp.is_Integer)


def _atom(expr):
    """A transcendental number up to integer powers of e: exp(2) and E count as e."""
    if isinstance(expr, sympy.exp) and expr.args[0].is_Integer:
        return sympy.E
    return expr


def _transcendentals(expr) -> tuple[set, bool]:
    """The distinct transcendental numbers in ``expr``, and whether one is a function of another."""
    atoms, nested = set(), False
    for node in sympy.preorder_traversal(expr):
        if _transcendental(node):
            atoms.add(_atom(node))
            if node.args and any(_transcendental(inner) for arg in node.args for inner in sympy.preorder_traversal(arg)):
                nested = nested or not (node.is_Pow and node.base is sympy.E)
    return atoms, nested


def nested_transcendental(value) -> bool:
    """Whether a SymEngine value (of few nodes) holds a transcendental function of a transcendental number:
    e^(e/(1 + e)), σ(σ(1)), sin(√2); not e², e^(1/2), √2 + e or log(3).

    >>> import symengine
    >>> e = symengine.E
    >>> [nested_transcendental(v) for v in (symengine.exp(e / (1 + e)), symengine.sin(symengine.sqrt(2)))]
    [True, True]
    >>> [nested_transcendental(v) for v in (e**2, symengine.exp(symengine.Rational(1, 2)), symengine.sqrt(2) + e)]
    [False, False, False]
    """
    return any(_engine_transcendental(node) and any(_holds_transcendental(inner) for inner in _arguments(node))
               for node in _engine_nodes(value))


def _engine_nodes(value) -> list:
    nodes, pending = [], [value]
    while pending:
        node = pending.pop()
        nodes.append(node)
        pending.extend(node.args)
    return nodes


def _engine_transcendental(node) -> bool:
    if node.is_Pow:
        return not node.args[1].is_Integer
    return (not node.args and not node.is_Number) or (node.args and not (node.is_Add or node.is_Mul))  # e, π, sin


def _arguments(node) -> tuple:
    """What a transcendental node is a function of: e^x of x alone, b^x of b and x."""
    return node.args[1:] if node.is_Pow and node.args[0] == symengine.E else node.args


def _holds_transcendental(value) -> bool:
    return any(_engine_transcendental(node) for node in _engine_nodes(value))


@functools.lru_cache(maxsize=4096)  # a value is measured for its step, its check and its table row
def plain_latex_length(expr) -> int:
    r"""Characters of ``expr``'s LaTeX without spaces and ``\left``/``\right`` (they print nothing of their own).

    >>> plain_latex_length(sympy.E / (1 + sympy.E))
    13
    """
    return len(re.sub(r"\\(?:left|right)\b|\s", "", sympy.latex(expr)))


def readable_number(number: sympy.Rational) -> bool:
    """Whether an exact rational is written as it is: a decimal of at most :data:`MAX_DECIMAL_DIGITS`
    significant digits (as a sheet prints it), or a fraction of few digits; 1376363/312500 = 4.4043616 is not.

    >>> [readable_number(sympy.Rational(p, q)) for p, q in ((5132, 2500), (1, 3), (1376363, 312500), (10**9, 1))]
    [True, True, False, True]
    """
    numerator, denominator = int(number.p), int(number.q)
    value = terminating_decimal(numerator, denominator)
    if value is not None and len(value.normalize().as_tuple().digits) <= MAX_DECIMAL_DIGITS:
        return True
    return len(str(abs(numerator))) + len(str(denominator)) * (denominator != 1) <= MAX_FRACTION_DIGITS


def within_budget(value) -> bool:
    """Whether an exact value (SymPy or SymEngine) is short enough to write out.

    >>> e = sympy.E
    >>> [within_budget(v) for v in (e / (1 + e), 12 * e / (1 + e) ** 2, 4 * (39 + 14 * e) ** 2 / (625 * (1 + e) ** 2))]
    [True, True, True]
    >>> within_budget(sympy.exp(e / (1 + e))), within_budget(sympy.tanh(sympy.Rational(1, 5)) + sympy.tanh(2) + sympy.tanh(3))
    (False, False)
    >>> within_budget(sympy.Rational(1796202774193, 156250000000))
    False
    """
    if not node_count_at_most(value, MAX_NODES):
        return False
    if not isinstance(value, sympy.Basic) and nested_transcendental(value):
        return False  # decided before SymPy sees it: SymPy evaluates e^(e^(…)) to decide its assumptions, slowly
    expr = value if isinstance(value, sympy.Basic) else to_sympy(value)
    atoms, nested = _transcendentals(expr)
    if nested or len(atoms) > MAX_ATOMS:
        return False
    if not all(readable_number(number) for number in expr.atoms(sympy.Rational)):
        return False  # a long fraction goes in as its rounded decimal, as the main sheet's values do
    return plain_latex_length(expr) <= MAX_LATEX


def section_work(guard, section: str, work, left_out: list[str]):
    """``work()`` as one section of a sheet or a checklist, under ``guard(section)`` where a guard is given (the
    command line's time for a section; the library sets none): where the section overran, None, and the sentence
    that says it was left out goes to ``left_out``.

    >>> left_out = []
    >>> section_work(None, "exercise 1", lambda: 42, left_out), left_out
    (42, [])
    """
    if guard is None:
        return work()
    try:
        with guard(section):
            return work()
    except SectionOverrun as overrun:
        left_out.append(str(overrun))
        return None

