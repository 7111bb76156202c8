"""Read the ``[expression]`` table of a problem file: a function computed as a circuit.

::

    [expression]
    f = "(x + sigmoid(y)) / (sigmoid(x) + (x + y)^2)"     # or stages = ["num = x + sigmoid(y)", ..., "f = num / den"]
    at = { x = 3, y = -4 }
    params = ["x"]          # optional: the variables gradient descent may update (default: all)
    ties = "split"          # optional: max/min at a tie share the gradient ("split") or give it to the "first"

Every text is read by the safe parser, with the variables of ``at`` and earlier stages' names as its only names.
"""

from __future__ import annotations

import re
from typing import Any

import sympy

from ..errors import ParseError, ProblemError
from ..numbers.parse import CONSTANTS, FUNCTIONS, parse_expression
from .fields import (
    IDENTIFIER,
    Fields,
    check_name_length,
    describe,
    index_key,
    join_key,
    read_number,
)
from .limits import Limits
from .model import ExpressionSpec

_KEYS = ("f", "stages", "at", "params", "ties")
_STAGE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(?!=)(.*)$", re.DOTALL)
TIES = ("split", "first")
# an operation of the circuit: an operator (a sign or a folded constant counts too: an upper bound) or a call
_OPERATION = re.compile(r"[-+*/^\u00b7\u00d7\u2212]|[A-Za-z_][A-Za-z0-9_]*[ \t]*\(")


def read_expression(table: Any, limits: Limits | None = None) -> ExpressionSpec:
    """An :class:`ExpressionSpec` from the ``[expression]`` table, within ``limits`` (None: the defaults);
    mistakes name the key.

    >>> spec = read_expression({"f": "x*y + max(x, y)", "at": {"x": 2, "y": -1}})
    >>> spec.stages, dict(spec.at), spec.ties
    ((('f', 'x*y + max(x, y)'),), {'x': 2, 'y': -1}, 'split')
    >>> read_expression({"f": "x + q", "at": {"x": 1}})
    Traceback (most recent call last):
    symback.errors.ProblemError: expression.f: unknown name 'q' (in 'x + q' at character 5); the variables are those of expression.at: x
    """
    fields = Fields(table, "expression", _KEYS)
    at = _read_at(fields.get("at", required=True), fields.key("at"))
    if ("f" in fields) == ("stages" in fields):
        raise ProblemError("expression", "give either f (one expression) or stages (a list of \"name = expression\")")
    stages = _read_stages(fields, at, limits or Limits())
    params = _read_params(fields.get("params"), fields.key("params"), at)
    ties = fields.get("ties") if "ties" in fields else "split"
    if ties not in TIES:
        raise ProblemError(fields.key("ties"), f"expected one of {', '.join(map(repr, TIES))}, got {ties!r}")
    return ExpressionSpec(stages, at, params, ties)


def _read_at(value: Any, key: str) -> dict[str, sympy.Expr]:
    if not isinstance(value, dict) or not value:
        raise ProblemError(key, f"expected a table of variable = value, such as {{ x = 3, y = -4 }}, got {_what(value)}")
    at = {}
    for name, number in value.items():
        entry = join_key(key, name)
        _check_name(name, entry, "a variable")
        at[name] = read_number(number, entry)
    return at


def _check_name(name: str, key: str, what: str) -> None:
    if not IDENTIFIER.fullmatch(name) or name in CONSTANTS or name in FUNCTIONS:
        raise ProblemError(key, f"{name!r} cannot be {what} (letters, digits and _; not e, pi or a function name)")
    check_name_length(name, key)


def _read_stages(fields: Fields, at: dict[str, sympy.Expr], limits: Limits) -> tuple[tuple[str, str], ...]:
    if "f" in fields:
        texts = [(fields.key("f"), fields.get("f"), "f")]
    else:
        raw = fields.get("stages")
        if not isinstance(raw, list) or not raw:
            raise ProblemError(fields.key("stages"), f"expected 1 to {limits.stages} strings \"name = expression\", "
                                                     f"got {_what(raw)}")
        limits.check("stages", len(raw), fields.key("stages"))
        texts = [(index_key(fields.key("stages"), i), text, None) for i, text in enumerate(raw, 1)]
    names = {name: sympy.Symbol(name, real=True) for name in at}
    stages = []
    operations = 0
    for key, text, name in texts:
        if not isinstance(text, str):
            raise ProblemError(key, f"expected a string, got {describe(text)}")
        if name is None:
            match = _STAGE.match(text)
            if not match:
                raise ProblemError(key, f"expected \"name = expression\", got {text!r}")
            name, text = match.group(1), match.group(2).strip()
            _check_name(name, key, "a stage's name")
        if name in names:
            also = "; the function given as f is named f: rename the variable" if key == fields.key("f") else ""
            raise ProblemError(key, f"{name!r} is already {'a variable' if name in at else 'a stage'}{also}")
        try:
            parse_expression(text, names)  # only to validate here; the circuit is built from the text
        except ParseError as error:
            variables = ", ".join(at)
            raise ProblemError(key, f"{error}; the variables are those of expression.at: {variables}") from None
        operations = _count_operations(text, operations, key, limits)
        names[name] = sympy.Symbol(name, real=True)
        stages.append((name, text))
    unused = [name for name in at if not any(re.search(rf"\b{name}\b", text) for _, text in stages)]
    if unused:
        raise ProblemError(join_key(fields.key("at"), unused[0]), f"variable {unused[0]!r} does not occur in the expression")
    return tuple(stages)


def _count_operations(text: str, before: int, key: str, limits: Limits) -> int:
    """The operations of the expression so far with those of ``text``, refused past the limit of nodes (counted
    in the text: the circuit is built later, from the texts).

    >>> _count_operations("max(x, y) + 2*x", 0, "expression.f", Limits())
    3
    """
    here = len(_OPERATION.findall(text))
    total = before + here
    said = f"{here} operations" + ("" if total == here else f", {total} with the stages before")
    limits.check("nodes", total, key, said + " (counted from the operators and function calls)")
    return total


def _read_params(value: Any, key: str, at: dict) -> tuple[str, ...] | None:
    if value is None or value == "all":
        return None
    if not isinstance(value, list) or not value:
        raise ProblemError(key, f'expected "all" or a non-empty array of variable names, got {_what(value)}')
    names: list[str] = []
    for position, name in enumerate(value, 1):
        if not isinstance(name, str):
            raise ProblemError(index_key(key, position), f"expected a variable's name (a string), got {describe(name)}")
        if name not in at or name in names:
            problem = "is listed twice" if name in names else f"is not a variable of expression.at ({', '.join(at)})"
            raise ProblemError(index_key(key, position), f"{name!r} {problem}")
        names.append(name)
    return tuple(names)


def _what(value: Any) -> str:
    """``describe(value)``, with the size of an array or table where the size is what is wrong.

    >>> _what([]), _what({}), _what(["a"] * 201), _what("x")
    ('an empty array', 'an empty table', 'an array of 201', 'a string')
    """
    if isinstance(value, list):
        return f"an array of {len(value)}" if value else "an empty array"
    if isinstance(value, dict) and not value:
        return "an empty table"
    return describe(value)
