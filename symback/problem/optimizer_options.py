"""The optimizers a problem file may name, with each one's options: their exact defaults and allowed ranges.

The rules themselves (how a step is computed) live in :mod:`symback.runs.optimizers`, which takes its defaults
from here, so that a file is checked against the very options the rules use.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

import sympy

from ..errors import ArgumentError

EPS = sympy.Rational(1, 10**8)
MOMENTUM_DEFAULTS = MappingProxyType({"momentum": sympy.Rational(9, 10)})
RMSPROP_DEFAULTS = MappingProxyType({"rho": sympy.Rational(99, 100), "eps": EPS})
ADAM_DEFAULTS = MappingProxyType({"beta1": sympy.Rational(9, 10), "beta2": sympy.Rational(999, 1000), "eps": EPS})
ADAMW_DEFAULTS = MappingProxyType({**ADAM_DEFAULTS, "weight_decay": sympy.Rational(1, 100)})

OPTIMIZER_DEFAULTS: Mapping[str, Mapping[str, sympy.Expr]] = MappingProxyType({
    "sgd": MappingProxyType({}),
    "momentum": MOMENTUM_DEFAULTS,
    "nesterov": MOMENTUM_DEFAULTS,
    "rmsprop": RMSPROP_DEFAULTS,
    "adam": ADAM_DEFAULTS,
    "adamw": ADAMW_DEFAULTS,
})
"""Every optimizer's name -> its options' exact defaults (the option names are the problem-file keys)."""

OPTION_RANGES = MappingProxyType({  # as PyTorch checks them, and rho below 1 (with rho = 1, s stays 0: ÷ ε)
    "momentum": ("0 <= momentum", lambda v: v >= 0),
    "rho": ("0 <= rho < 1", lambda v: (v >= 0) & (v < 1)),
    "beta1": ("0 <= beta1 < 1", lambda v: (v >= 0) & (v < 1)),
    "beta2": ("0 <= beta2 < 1", lambda v: (v >= 0) & (v < 1)),
    "eps": ("eps >= 0", lambda v: v >= 0),
    "weight_decay": ("weight_decay >= 0", lambda v: v >= 0),
})
"""Each option's allowed values: the range in words and a test of an exact value."""


def optimizer_defaults(name: str) -> Mapping[str, sympy.Expr]:
    """The options of the optimizer ``name`` with their defaults; an unknown name is an error naming the known.

    >>> dict(optimizer_defaults("momentum"))
    {'momentum': 9/10}
    >>> optimizer_defaults("nadam")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    symback.errors.ArgumentError: unknown optimizer 'nadam' (known: sgd, momentum, ...)
    """
    try:
        return OPTIMIZER_DEFAULTS[name]
    except (KeyError, TypeError):
        raise ArgumentError(f"unknown optimizer {name!r} (known: {', '.join(OPTIMIZER_DEFAULTS)})") from None


def range_problem(name: str, value: sympy.Expr) -> str | None:
    """What is wrong with an option's exact value, or None if it is in its range (:data:`OPTION_RANGES`).

    >>> range_problem("rho", sympy.Rational(1, 2)), range_problem("eps", sympy.Integer(-1))
    (None, 'expected eps >= 0, got -1')
    """
    if name not in OPTION_RANGES:
        return None
    words, test = OPTION_RANGES[name]
    try:
        inside = bool(test(value))
    except Exception:  # a comparison SymPy cannot decide (or that overflows): refuse rather than guess
        inside = False
    return None if inside else f"expected {words}, got {value}"
