"""Optimizer rules in exact arithmetic: a registry name -> one step of the rule, with one row of data per parameter.

Every rule has the same shape, ``step(theta, grad, lr, state=None, *, arithmetic=SYMPY, **hyperparameters)
-> (new_theta, new_state, rows)``: ``theta`` and ``grad`` map parameter names to values, only the parameters in
``grad`` move, and ``rows`` records each intermediate value of the step for a solution sheet to print.

Values are exact SymPy numbers by default. The rules use nothing but + − × ÷, ``arithmetic.power`` and
``arithmetic.from_sympy``, so the same code also runs on a pass of the engine (SymEngine or decimal, see
:mod:`symback.arithmetic`): correctly rounded decimals come from the very rule that gives the exact values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Callable, Mapping

import sympy

from .errors import ArgumentError, ParseError
from .safe_parse import exact_number


class SympyArithmetic:
    """Exact SymPy values: the default arithmetic of the rules."""

    name = "sympy"

    @staticmethod
    def from_sympy(value: sympy.Expr) -> sympy.Expr:
        return value

    @staticmethod
    def power(base, exponent):
        return base**exponent


SYMPY = SympyArithmetic()


def _exact(value, what: str) -> sympy.Expr:
    try:
        return exact_number(value, what=what)
    except ParseError as err:
        raise ArgumentError(str(err)) from err


def _constant(value, arithmetic, what: str):
    """A number given exactly (int, str, Fraction, SymPy, float as printed) in ``arithmetic``."""
    return arithmetic.from_sympy(_exact(value, what))


def _inputs(theta: Mapping, grad: Mapping, arithmetic) -> tuple[dict, dict]:
    unknown = [name for name in grad if name not in theta]
    if unknown:
        raise ArgumentError(f"gradient for unknown parameter(s): {', '.join(unknown)}")
    if arithmetic is not SYMPY:  # values of an engine pass are already in their arithmetic
        return dict(theta), dict(grad)
    return (
        {name: _exact(value, name) for name, value in theta.items()},
        {name: _exact(value, f"dL/d{name}") for name, value in grad.items()},
    )


def _frozen(mapping: Mapping) -> Mapping:
    return MappingProxyType(dict(mapping))


# --- SGD


@dataclass(frozen=True)
class SgdState:
    """SGD keeps no memory; ``t`` counts the steps taken."""

    t: int = 0


@dataclass(frozen=True)
class SgdRow:
    """One parameter in step ``t`` of SGD: Δθ = −α·g, θ' = θ + Δθ."""

    parameter: str
    t: int
    theta: object
    g: object
    update: object
    new: object
    kind: str = "sgd"


def sgd_step(theta: Mapping, grad: Mapping, lr, state: SgdState | None = None, *, arithmetic=SYMPY):
    """One step of (stochastic) gradient descent, θ' = θ − α·∂L/∂θ, for every parameter in ``grad``.

    >>> new, state, rows = sgd_step({"w": 3, "b": 1}, {"w": 20}, lr="1/10")
    >>> new, state.t, rows[0].update
    ({'w': 1, 'b': 1}, 1, -2)
    """
    theta, grad = _inputs(theta, grad, arithmetic)
    rate = _constant(lr, arithmetic, "lr")
    t = (state or SgdState()).t + 1
    new, rows = dict(theta), []
    for name, g in grad.items():
        update = -rate * g
        new[name] = theta[name] + update
        rows.append(SgdRow(name, t, theta[name], g, update, new[name]))
    return new, SgdState(t), tuple(rows)


# --- Adam

ADAM_DEFAULTS = MappingProxyType(
    {"beta1": sympy.Rational(9, 10), "beta2": sympy.Rational(999, 1000), "eps": sympy.Rational(1, 10**8)}
)


@dataclass(frozen=True)
class AdamState:
    """Adam's memory after ``t`` steps: the moving averages m (of g) and v (of g²) per parameter."""

    t: int = 0
    m: Mapping = field(default_factory=dict)
    v: Mapping = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "m", _frozen(self.m))
        object.__setattr__(self, "v", _frozen(self.v))


@dataclass(frozen=True)
class AdamRow:
    """One parameter in step ``t`` of Adam.

    m = β₁m + (1 − β₁)g, v = β₂v + (1 − β₂)g², m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ), Δθ = −α·m̂/(√v̂ + ε).
    """

    parameter: str
    t: int
    theta: object
    g: object
    m: object
    v: object
    m_hat: object
    v_hat: object
    update: object
    new: object
    kind: str = "adam"


def adam_step(
    theta: Mapping,
    grad: Mapping,
    lr,
    state: AdamState | None = None,
    *,
    beta1=ADAM_DEFAULTS["beta1"],
    beta2=ADAM_DEFAULTS["beta2"],
    eps=ADAM_DEFAULTS["eps"],
    arithmetic=SYMPY,
):
    """One step of Adam with bias correction (Kingma and Ba), exactly; hyperparameters are exact numbers.

    In the first step m̂ = g and v̂ = g², so Δθ = −α·g/(|g| + ε): about −α·sign(g), and exactly 0 where g = 0.

    >>> new, state, rows = adam_step({"w": 1, "u": 5}, {"w": -4, "u": 0}, lr=2)
    >>> [(r.parameter, r.m_hat, r.v_hat, r.update) for r in rows]
    [('w', -4, 16, 800000000/400000001), ('u', 0, 0, 0)]
    >>> new["w"], state.t, state.m["w"]
    (1200000001/400000001, 1, -2/5)
    """
    theta, grad = _inputs(theta, grad, arithmetic)
    b1, b2, epsilon = (_constant(v, arithmetic, name) for name, v in (("beta1", beta1), ("beta2", beta2), ("eps", eps)))
    rate = _constant(lr, arithmetic, "lr")
    zero, one, half = (arithmetic.from_sympy(sympy.Rational(n, d)) for n, d in ((0, 1), (1, 1), (1, 2)))
    state = state or AdamState()
    t = state.t + 1
    correction1 = one - arithmetic.power(b1, t)
    correction2 = one - arithmetic.power(b2, t)
    new, m_all, v_all, rows = dict(theta), dict(state.m), dict(state.v), []
    for name, g in grad.items():
        m = b1 * m_all.get(name, zero) + (one - b1) * g
        v = b2 * v_all.get(name, zero) + (one - b2) * g * g
        m_hat, v_hat = m / correction1, v / correction2
        update = -rate * m_hat / (arithmetic.power(v_hat, half) + epsilon)
        new[name], m_all[name], v_all[name] = theta[name] + update, m, v
        rows.append(AdamRow(name, t, theta[name], g, m, v, m_hat, v_hat, update, new[name]))
    return new, AdamState(t, m_all, v_all), tuple(rows)


# --- the registry


@dataclass(frozen=True)
class Optimizer:
    """A rule: its step function, its hyperparameters' exact defaults and its update in words."""

    name: str
    step: Callable
    defaults: Mapping[str, sympy.Expr]
    rule: str


OPTIMIZERS: dict[str, Optimizer] = {
    "sgd": Optimizer("sgd", sgd_step, MappingProxyType({}), "θ' = θ − α·g"),
    "adam": Optimizer(
        "adam",
        adam_step,
        ADAM_DEFAULTS,
        "m = β₁m + (1 − β₁)g, v = β₂v + (1 − β₂)g², m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ), "
        "θ' = θ − α·m̂/(√v̂ + ε)",
    ),
}


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
