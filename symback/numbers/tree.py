"""Expression texts as operation trees, read by the same safe parser as every other text.

:class:`symback.numbers.parse.Parser` reads the text; only its ``build`` step is replaced, so that each
operation becomes a tree node *as written* (``x*x`` stays a product of two uses of x, ``x - x`` a
subtraction) instead of SymPy's simplified value. Every operation is still handed to the safe parser's own
``build`` as well, so the limits (length, nesting, sizes, time) and the errors (:class:`ParseError` with the
position) are exactly those of the safe parser.

Operations on numbers only are folded into one constant (``-3``, ``1/2``, ``sqrt(2)``, ``exp(1)``): numbers
are constants, not nodes of the circuit.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Union

import sympy

from ..errors import ParseError
from .parse import (
    CONSTANTS,
    FUNCTIONS,
    NAME_PATTERN,
    Parser,
    apply_function,
    divide,
    finish,
    parse_text,
    power,
)


@dataclass(frozen=True)
class Constant:
    """An exact number in the text (``2``, ``e``, ``1/3`` after folding)."""

    value: sympy.Expr


@dataclass(frozen=True)
class Name:
    """A variable or an earlier stage, by name; ``value`` is the real Symbol the safe parser reads it as."""

    name: str
    value: sympy.Symbol = field(repr=False)


@dataclass(frozen=True)
class Apply:
    """One operation on its operands, in the order written.

    ``operation`` is a key of :data:`symback.problem.operations.OPERATIONS` (``add``, ``sub``, ``mul``, ``div``,
    ``neg``, ``pow`` or a function name); ``value`` is the subtree as the safe parser builds it in SymPy.
    """

    operation: str
    operands: tuple["Tree", ...]
    value: sympy.Expr = field(repr=False)


Tree = Union[Constant, Name, Apply]

_OPERATOR_NAMES = {operator.add: "add", operator.sub: "sub", operator.mul: "mul", divide: "div",
                   operator.neg: "neg", power: "pow"}
FUNCTION_ALIASES = {"ln": "log", "arctan": "atan"}


class _TreeParser(Parser):
    """The safe parser, building :data:`Tree` nodes; each step still runs the safe parser's own checks."""

    def build(self, token, constructor, *args: Any):
        function = args[0] if constructor is apply_function else None
        operands = [_as_tree(arg) for arg in (args[1:] if constructor is apply_function else args)]
        leading = (function,) if function is not None else ()
        value = super().build(token, constructor, *leading, *(operand.value for operand in operands))
        if constructor is finish:
            return Constant(value) if isinstance(operands[0], Constant) else operands[0]
        if all(isinstance(operand, Constant) for operand in operands):
            return Constant(value)
        operation = FUNCTION_ALIASES.get(function, function) if function else _OPERATOR_NAMES[constructor]
        return Apply(operation, tuple(operands), value)


def _as_tree(value: Any) -> Tree:
    return value if isinstance(value, (Constant, Name, Apply)) else Constant(value)


def parse_tree(text: Any, names: Iterable[str]) -> Tree:
    """The operation tree of ``text``, which may use ``names`` (variables or earlier stages) and constants.

    >>> tree = parse_tree("x*x - 2*y", ["x", "y"])
    >>> tree.operation, [operand.operation for operand in tree.operands]
    ('sub', ['mul', 'mul'])
    >>> parse_tree("-1/2", [])
    Constant(value=-1/2)
    >>> parse_tree("x.real", ["x"])
    Traceback (most recent call last):
    symback.errors.ParseError: attribute access is not allowed (in 'x.real' at character 2)
    """
    known: dict[str, Tree] = {name: Constant(value) for name, value in CONSTANTS.items()}
    for name in names:
        if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name) or name in CONSTANTS or name in FUNCTIONS:
            raise ParseError(f"{name!r} cannot be a name in an expression (use an identifier other than e, pi "
                             "or a function)")
        known[name] = Name(name, sympy.Symbol(name, real=True))
    return parse_text(text, known, parser=_TreeParser)  # the safe parser's own checks of type and length
