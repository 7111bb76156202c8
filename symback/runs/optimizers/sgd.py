"""Gradient descent and its momentum forms, exactly: SGD, heavy-ball momentum and Nesterov momentum.

Momentum follows PyTorch's ``torch.optim.SGD`` with dampening 0: the velocity v_t = μ·v_{t−1} + g_t starts from
v_0 = 0 (so v_1 = g_1); heavy ball steps θ_t = θ_{t−1} − α·v_t, Nesterov θ_t = θ_{t−1} − α·(g_t + μ·v_t).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from ...problem.optimizer_options import MOMENTUM_DEFAULTS
from .base import SYMPY, constant, frozen, small_rational, step_inputs


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
    theta, grad = step_inputs(theta, grad, arithmetic)
    rate = constant(lr, arithmetic, "lr")
    t = (state or SgdState()).t + 1
    new, rows = dict(theta), []
    for name, g in grad.items():
        update = -rate * g
        new[name] = theta[name] + update
        rows.append(SgdRow(name, t, theta[name], g, update, new[name]))
    return new, SgdState(t), tuple(rows)


@dataclass(frozen=True)
class MomentumState:
    """The velocity v per parameter after ``t`` steps (0 for a parameter not stepped yet)."""

    t: int = 0
    velocity: Mapping = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "velocity", frozen(self.velocity))


@dataclass(frozen=True)
class MomentumRow:
    """One parameter in step ``t`` of heavy-ball momentum: v = μ·v + g, Δθ = −α·v, θ' = θ + Δθ."""

    parameter: str
    t: int
    theta: object
    g: object
    velocity: object
    update: object
    new: object
    kind: str = "momentum"


@dataclass(frozen=True)
class NesterovRow:
    """One parameter in step ``t`` of Nesterov momentum: v = μ·v + g, d = g + μ·v, Δθ = −α·d, θ' = θ + Δθ."""

    parameter: str
    t: int
    theta: object
    g: object
    velocity: object
    direction: object
    update: object
    new: object
    kind: str = "nesterov"


def momentum_step(theta: Mapping, grad: Mapping, lr, state: MomentumState | None = None, *,
                  momentum=MOMENTUM_DEFAULTS["momentum"], arithmetic=SYMPY):
    """One step of heavy-ball momentum (PyTorch's SGD with ``momentum``, dampening 0): v = μ·v + g, θ' = θ − α·v.

    >>> new, state, _ = momentum_step({"w": 0}, {"w": 1}, lr=1, momentum="1/2")
    >>> new, state = momentum_step(new, {"w": 1}, 1, state, momentum="1/2")[:2]
    >>> new["w"], state.velocity["w"]
    (-5/2, 3/2)
    """
    return _momentum(theta, grad, lr, state, momentum, arithmetic, nesterov=False)


def nesterov_step(theta: Mapping, grad: Mapping, lr, state: MomentumState | None = None, *,
                  momentum=MOMENTUM_DEFAULTS["momentum"], arithmetic=SYMPY):
    """One step of Nesterov momentum (PyTorch's SGD with ``nesterov=True``): v = μ·v + g, θ' = θ − α·(g + μ·v).

    >>> new, state, (row,) = nesterov_step({"w": 0}, {"w": 1}, lr=1, momentum="1/2")
    >>> row.velocity, row.direction, new["w"]
    (1, 3/2, -3/2)
    """
    return _momentum(theta, grad, lr, state, momentum, arithmetic, nesterov=True)


def _momentum(theta, grad, lr, state, momentum, arithmetic, *, nesterov: bool):
    theta, grad = step_inputs(theta, grad, arithmetic)
    rate, mu = constant(lr, arithmetic, "lr"), constant(momentum, arithmetic, "momentum")
    zero = small_rational(0, 1, arithmetic)
    state = state or MomentumState()
    t = state.t + 1
    new, velocities, rows = dict(theta), dict(state.velocity), []
    for name, g in grad.items():
        velocity = mu * velocities.get(name, zero) + g
        if nesterov:
            direction = g + mu * velocity
            update = -rate * direction
            row = NesterovRow(name, t, theta[name], g, velocity, direction, update, theta[name] + update)
        else:
            update = -rate * velocity
            row = MomentumRow(name, t, theta[name], g, velocity, update, theta[name] + update)
        new[name], velocities[name] = row.new, velocity
        rows.append(row)
    return new, MomentumState(t, velocities), tuple(rows)
