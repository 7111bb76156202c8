"""Rules that scale each step by a running average of g², exactly: RMSprop, Adam (bias-corrected) and AdamW.

Conventions are PyTorch's. RMSprop: s_t = ρ·s_{t−1} + (1 − ρ)·g², θ_t = θ_{t−1} − α·g/(√s_t + ε), with ε outside
the root and no bias correction; ``rho`` is what ``torch.optim.RMSprop`` calls ``alpha`` (default 0.99; Keras
calls it ``rho`` too but defaults to 0.9), renamed so that α stays the learning rate. Adam: Kingma and Ba's
Algorithm 1. AdamW (Loshchilov and Hutter, as ``torch.optim.AdamW``): first the decoupled weight decay
θ̃ = θ − α·λ·θ, then Adam's step from θ̃.

Where g = 0 and no memory moves a parameter, its step is exactly 0 (also with ε = 0, where it would be 0/0).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from ...problem.optimizer_options import ADAM_DEFAULTS, ADAMW_DEFAULTS, RMSPROP_DEFAULTS
from .base import SYMPY, constant, frozen, ratio, small_rational, step_inputs

# --- RMSprop


@dataclass(frozen=True)
class RmspropState:
    """RMSprop's memory after ``t`` steps: the moving average s of g² per parameter."""

    t: int = 0
    s: Mapping = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "s", frozen(self.s))


@dataclass(frozen=True)
class RmspropRow:
    """One parameter in step ``t`` of RMSprop: s = ρ·s + (1 − ρ)·g², Δθ = −α·g/(√s + ε), θ' = θ + Δθ."""

    parameter: str
    t: int
    theta: object
    g: object
    s: object
    update: object
    new: object
    kind: str = "rmsprop"


def rmsprop_step(theta: Mapping, grad: Mapping, lr, state: RmspropState | None = None, *,
                 rho=RMSPROP_DEFAULTS["rho"], eps=RMSPROP_DEFAULTS["eps"], arithmetic=SYMPY):
    """One step of RMSprop (PyTorch's form; ``rho`` is its ``alpha``), exactly.

    >>> new, state, (row,) = rmsprop_step({"w": 1}, {"w": 3}, lr=1, rho="3/4", eps=0)
    >>> row.s, row.update, new["w"]
    (9/4, -2, -1)
    """
    theta, grad = step_inputs(theta, grad, arithmetic)
    rate, decay, epsilon = (constant(v, arithmetic, n) for n, v in (("lr", lr), ("rho", rho), ("eps", eps)))
    zero, one, half = (small_rational(n, d, arithmetic) for n, d in ((0, 1), (1, 1), (1, 2)))
    state = state or RmspropState()
    t = state.t + 1
    new, averages, rows = dict(theta), dict(state.s), []
    for name, g in grad.items():
        s = decay * averages.get(name, zero) + (one - decay) * g * g
        update = ratio(-rate * g, arithmetic.power(s, half) + epsilon, zero)
        new[name], averages[name] = theta[name] + update, s
        rows.append(RmspropRow(name, t, theta[name], g, s, update, new[name]))
    return new, RmspropState(t, averages), tuple(rows)


# --- Adam and AdamW


@dataclass(frozen=True)
class AdamState:
    """Adam's memory after ``t`` steps: the moving averages m (of g) and v (of g²) per parameter."""

    t: int = 0
    m: Mapping = field(default_factory=dict)
    v: Mapping = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "m", frozen(self.m))
        object.__setattr__(self, "v", frozen(self.v))


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


@dataclass(frozen=True)
class AdamWRow:
    """One parameter in step ``t`` of AdamW: θ̃ = θ − α·λ·θ, then m, v, m̂, v̂ as Adam's and
    θ' = θ̃ − α·m̂/(√v̂ + ε); Δθ = θ' − θ is the whole change."""

    parameter: str
    t: int
    theta: object
    g: object
    decayed: object
    m: object
    v: object
    m_hat: object
    v_hat: object
    update: object
    new: object
    kind: str = "adamw"


def adam_step(theta: Mapping, grad: Mapping, lr, state: AdamState | None = None, *,
              beta1=ADAM_DEFAULTS["beta1"], beta2=ADAM_DEFAULTS["beta2"], eps=ADAM_DEFAULTS["eps"],
              arithmetic=SYMPY):
    """One step of Adam with bias correction (Kingma and Ba), exactly; hyperparameters are exact numbers.

    In the first step m̂ = g and v̂ = g², so Δθ = −α·g/(|g| + ε): about −α·sign(g), and exactly 0 where g = 0.

    >>> new, state, rows = adam_step({"w": 1, "u": 5}, {"w": -4, "u": 0}, lr=2)
    >>> [(r.parameter, r.m_hat, r.v_hat, r.update) for r in rows]
    [('w', -4, 16, 800000000/400000001), ('u', 0, 0, 0)]
    >>> new["w"], state.t, state.m["w"]
    (1200000001/400000001, 1, -2/5)
    """
    return _adam(theta, grad, lr, state, (beta1, beta2, eps), None, arithmetic)


def adamw_step(theta: Mapping, grad: Mapping, lr, state: AdamState | None = None, *,
               beta1=ADAMW_DEFAULTS["beta1"], beta2=ADAMW_DEFAULTS["beta2"], eps=ADAMW_DEFAULTS["eps"],
               weight_decay=ADAMW_DEFAULTS["weight_decay"], arithmetic=SYMPY):
    """One step of AdamW (decoupled weight decay, PyTorch's order): θ̃ = θ − α·λ·θ, then Adam's step from θ̃.

    >>> new, _, (row,) = adamw_step({"w": 10}, {"w": 0}, lr="1/2", weight_decay="1/5")
    >>> row.decayed, row.update, new["w"]
    (9, -1, 9)
    """
    return _adam(theta, grad, lr, state, (beta1, beta2, eps), weight_decay, arithmetic)


def _adam(theta, grad, lr, state, betas_and_eps, weight_decay, arithmetic):
    theta, grad = step_inputs(theta, grad, arithmetic)
    names = ("beta1", "beta2", "eps")
    b1, b2, epsilon = (constant(v, arithmetic, n) for n, v in zip(names, betas_and_eps))
    rate = constant(lr, arithmetic, "lr")
    decay = None if weight_decay is None else constant(weight_decay, arithmetic, "weight_decay")
    zero, one, half = (small_rational(n, d, arithmetic) for n, d in ((0, 1), (1, 1), (1, 2)))
    state = state or AdamState()
    t = state.t + 1
    correction1 = one - arithmetic.power(b1, t)
    correction2 = one - arithmetic.power(b2, t)
    new, m_all, v_all, rows = dict(theta), dict(state.m), dict(state.v), []
    for name, g in grad.items():
        m = b1 * m_all.get(name, zero) + (one - b1) * g
        v = b2 * v_all.get(name, zero) + (one - b2) * g * g
        m_hat, v_hat = m / correction1, v / correction2
        adam = ratio(-rate * m_hat, arithmetic.power(v_hat, half) + epsilon, zero)
        if decay is None:
            row = AdamRow(name, t, theta[name], g, m, v, m_hat, v_hat, adam, theta[name] + adam)
        else:
            shrink = -rate * decay * theta[name]
            row = AdamWRow(name, t, theta[name], g, theta[name] + shrink, m, v, m_hat, v_hat, shrink + adam,
                           theta[name] + shrink + adam)
        new[name], m_all[name], v_all[name] = row.new, m, v
        rows.append(row)
    return new, AdamState(t, m_all, v_all), tuple(rows)
