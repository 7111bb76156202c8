"""Read an activation from a problem file: a name, an expression in z, or a table with options.

Shared by layers (``network.layers[i].activation``) and exercises that override a layer's activation.
"""

from __future__ import annotations

from typing import Any, Mapping

import sympy

from ..errors import ParseError, ProblemError
from ..numbers.parse import parse_expression
from .activations import KNOWN_ACTIVATIONS
from .fields import IDENTIFIER, Fields, describe, join_key, read_number
from .model import ActivationSpec

_ACTIVATION_KEYS = ("kind", "slope", "derivative_at_zero", "expression")
ACTIVATION_OPTIONS = {"slope": ("leaky_relu",), "derivative_at_zero": ("relu", "leaky_relu")}  # option: kinds that take it
_Z = sympy.Symbol("z", real=True)


def read_activation(
    value: Any, key: str, options: Mapping[str, Any] | None = None, options_path: str = ""
) -> ActivationSpec:
    """An :class:`ActivationSpec` from a name, an expression in z, or a table ``{ kind = ..., ... }``.

    ``options`` are ``slope``/``derivative_at_zero`` written next to a string activation, in the
    table at ``options_path``.

    >>> read_activation("relu", "layer.activation", {"derivative_at_zero": 1}, "layer")
    ActivationSpec(kind='relu', slope=None, derivative_at_zero=1, expression=None)
    >>> read_activation({"kind": "custom", "expression": "z/(1+abs(z))"}, "activation").expression
    'z/(1+abs(z))'
    >>> read_activation({"kind": "tanh", "slope": 1}, "activation")
    Traceback (most recent call last):
    symback.errors.ProblemError: activation.slope: 'slope' goes with leaky_relu only, not tanh
    """
    options = options or {}
    if isinstance(value, dict):
        if options:
            raise ProblemError(join_key(options_path, next(iter(options))), "put this inside the activation table")
        table = Fields(value, key, _ACTIVATION_KEYS)
        kind = table.string("kind", required=True)
        if kind == "custom":
            expression = table.get("expression", required=True, why=" (kind custom needs it)")
            spec = _custom(expression, table.key("expression"))
        elif "expression" in table:
            raise ProblemError(table.key("expression"), "'expression' goes with kind = \"custom\" only")
        elif kind not in KNOWN_ACTIVATIONS:
            raise ProblemError(table.key("kind"), _unknown_activation(kind))
        else:
            spec = ActivationSpec(kind)
        return _with_options(spec, {name: table.get(name) for name in ACTIVATION_OPTIONS if name in table}, key)
    if not isinstance(value, str):
        raise ProblemError(key, f"expected an activation name, an expression in z or a table, got {describe(value)}")
    if value in KNOWN_ACTIVATIONS:
        spec = ActivationSpec(value)
    elif value == "custom":
        raise ProblemError(key, 'write the expression itself, or { kind = "custom", expression = "..." }')
    elif IDENTIFIER.fullmatch(value) and value != "z":  # a misspelt name, not an expression
        raise ProblemError(key, _unknown_activation(value))
    else:
        spec = _custom(value, key)
    return _with_options(spec, options, options_path or key)


def _unknown_activation(name: str) -> str:
    known = ", ".join(KNOWN_ACTIVATIONS)
    return f'unknown activation {name!r} (known: {known}; or an expression in z such as "z/(1+abs(z))")'


def _custom(expression: Any, key: str) -> ActivationSpec:
    if not isinstance(expression, str):
        raise ProblemError(key, f"expected an expression in z (a string), got {describe(expression)}")
    try:
        parse_expression(expression, {"z": _Z})  # only to validate; the activation registry builds it
    except ParseError as error:
        raise ProblemError(key, f"cannot read the activation expression: {error}") from None
    return ActivationSpec("custom", expression=expression)


def _with_options(spec: ActivationSpec, options: Mapping[str, Any], path: str) -> ActivationSpec:
    read = {}
    for name, kinds in ACTIVATION_OPTIONS.items():
        if name in options:
            if spec.kind not in kinds:
                goes_with = " and ".join(kinds)
                raise ProblemError(join_key(path, name), f"{name!r} goes with {goes_with} only, not {spec.kind}")
            read[name] = read_number(options[name], join_key(path, name))
    return ActivationSpec(spec.kind, expression=spec.expression, **read)
