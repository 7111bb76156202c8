"""Optimizer rules in exact arithmetic: a registry name -> one step of the rule, with one row of data per parameter.

Every rule has the same shape, ``step(theta, grad, lr, state=None, *, arithmetic=SYMPY, **hyperparameters)
-> (new_theta, new_state, rows)``: ``theta`` and ``grad`` map parameter names to values, only the parameters in
``grad`` move, and ``rows`` records each intermediate value of the step for a solution sheet to print.

Values are exact SymPy numbers by default. The rules use nothing but + − × ÷, ``arithmetic.power`` and
``arithmetic.from_sympy``, so the same code also runs on a pass of the engine (SymEngine or decimal, see
:mod:`symback.numbers.arithmetic`): correctly rounded decimals come from the very rule that gives the exact values.

The rules live in :mod:`symback.runs.optimizers.sgd` (sgd, momentum, nesterov) and :mod:`symback.runs.optimizers.adaptive`
(rmsprop, adam, adamw); how they are written, in :mod:`symback.runs.optimizers.notation`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from types import MappingProxyType
from typing import Callable, Mapping

import sympy

from ...errors import ArgumentError
from .adaptive import (
    ADAM_DEFAULTS,
    ADAMW_DEFAULTS,
    RMSPROP_DEFAULTS,
    AdamRow,
    AdamState,
    AdamWRow,
    RmspropRow,
    RmspropState,
    adam_step,
    adamw_step,
    rmsprop_step,
)
from .base import SYMPY, SympyArithmetic
from .notation import EQUATIONS, LABELS, Equation, symbol
from .sgd import (
    MOMENTUM_DEFAULTS,
    MomentumRow,
    MomentumState,
    NesterovRow,
    SgdRow,
    SgdState,
    momentum_step,
    nesterov_step,
    sgd_step,
)

__all__ = [
    "ADAM_DEFAULTS", "ADAMW_DEFAULTS", "MOMENTUM_DEFAULTS", "OPTIMIZERS", "RMSPROP_DEFAULTS", "SYMPY",
    "AdamRow", "AdamState", "AdamWRow", "Equation", "MomentumRow", "MomentumState", "NesterovRow", "Optimizer",
    "RmspropRow", "RmspropState", "SgdRow", "SgdState", "SympyArithmetic",
    "adam_step", "adamw_step", "momentum_step", "nesterov_step", "optimizer", "optimizer_step", "rmsprop_step",
    "sgd_step",
]


@dataclass(frozen=True)
class Optimizer:
    """A rule: its step function, its hyperparameters' exact defaults (their names are the problem-file keys)
    and its update in words; for a sheet, its title, the columns of its rows, the memories it carries from step
    to step (each starts at 0) and its equations in LaTeX."""

    name: str
    step: Callable
    defaults: Mapping[str, sympy.Expr]
    rule: str
    title: str = ""
    row: type | None = None
    state: tuple[str, ...] = ()
    equations: tuple[Equation, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        """The value columns of a row in order: θ before the step, g, the rule's quantities, Δθ, θ' after it.

        >>> optimizer("adam").columns
        ('theta', 'g', 'm', 'v', 'm_hat', 'v_hat', 'update', 'new')
        """
        return tuple(f.name for f in dataclasses.fields(self.row) if f.name not in ("parameter", "t", "kind"))

    @property
    def labels(self) -> dict[str, str]:
        """Plain-text headings of the columns (θ, g, m̂, Δθ, θ')."""
        return {column: LABELS[column] for column in self.columns}

    @property
    def symbols(self) -> dict[str, str]:
        """LaTeX symbols of the columns (θ_{t-1}, g_t, ..., θ_t)."""
        return {column: symbol(column) for column in self.columns}

    @property
    def latex(self) -> tuple[str, ...]:
        """The rule in LaTeX, one equation a line.

        >>> optimizer("momentum").latex[0]
        'v_t = \\\\mu v_{t-1} + g_t'
        """
        return tuple(equation.latex() for equation in self.equations)


def _entry(name, step, defaults, rule, title, row, state=()) -> Optimizer:
    return Optimizer(name, step, MappingProxyType(dict(defaults)), rule, title, row, state, EQUATIONS[name])


OPTIMIZERS: Mapping[str, Optimizer] = MappingProxyType({
    entry.name: entry
    for entry in (
        _entry("sgd", sgd_step, {}, "θ' = θ − α·g", "Gradient descent", SgdRow),
        _entry("momentum", momentum_step, MOMENTUM_DEFAULTS, "v = μv + g, θ' = θ − α·v",
               "Momentum (heavy ball)", MomentumRow, ("velocity",)),
        _entry("nesterov", nesterov_step, MOMENTUM_DEFAULTS, "v = μv + g, θ' = θ − α·(g + μv)",
               "Nesterov momentum", NesterovRow, ("velocity",)),
        _entry("rmsprop", rmsprop_step, RMSPROP_DEFAULTS, "s = ρs + (1 − ρ)g², θ' = θ − α·g/(√s + ε)",
               "RMSprop", RmspropRow, ("s",)),
        _entry("adam", adam_step, ADAM_DEFAULTS,
               "m = β₁m + (1 − β₁)g, v = β₂v + (1 − β₂)g², m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ), "
               "θ' = θ − α·m̂/(√v̂ + ε)", "Adam (bias-corrected)", AdamRow, ("m", "v")),
        _entry("adamw", adamw_step, ADAMW_DEFAULTS,
               "θ̃ = θ − αλθ, m = β₁m + (1 − β₁)g, v = β₂v + (1 − β₂)g², m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ), "
               "θ' = θ̃ − α·m̂/(√v̂ + ε)", "AdamW (decoupled weight decay)", AdamWRow, ("m", "v")),
    )
})


def optimizer(name: str) -> Optimizer:
    """The optimizer registered as ``name``.

    >>> optimizer("adam").defaults["beta2"]
    999/1000
    """
    try:
        return OPTIMIZERS[name]
    except KeyError:
        raise ArgumentError(f"unknown optimizer {name!r} (known: {', '.join(OPTIMIZERS)})") from None


def optimizer_step(name: str, theta: Mapping, grad: Mapping, lr, state=None, **options):
    """One step of the optimizer ``name``; ``options`` are its hyperparameters and ``arithmetic``.

    >>> optimizer_step("sgd", {"w": 1}, {"w": 2}, lr=3)[0]
    {'w': -5}
    """
    return optimizer(name).step(theta, grad, lr, state, **options)
