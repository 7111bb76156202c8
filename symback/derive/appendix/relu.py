"""Appendix b: the same exercise with ReLU instead of the sigmoid; dead units; σ' ≤ 1/4."""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from ...engine.result import BackpropResult
from ...numbers.arithmetic import EXACT
from ...problem.activations import H, Z, make_activation
from ...problem.model import ActivationSpec, Problem
from ..prose import MAX_NAMED, Partial, Prose, math, relation, sentence, some_names
from ..steps import GradientStep, Quantity
from .common import (
    P,
    asked_parameters,
    exercise_pass,
    gradient_steps,
    plain_sgd_exercise,
    rounded_quantities,
)


@dataclass(frozen=True)
class HiddenUnit:
    """One hidden unit of a layer switched to ReLU."""

    name: str  # h1_2
    z: Quantity  # its pre-activation in the ReLU network
    relu_derivative: Quantity  # ReLU'(z): 1 for z > 0, 0 for z ≤ 0
    sigmoid_derivative: Quantity  # σ'(z) of the same unit in the sigmoid network
    dead: bool  # z ≤ 0: no gradient passes through this unit


@dataclass(frozen=True)
class DerivativeBound:
    """σ'(z) ≤ 1/4, found by SymPy: σ' = p(1 − p) with p = σ(z) ∈ (0, 1), a parabola in p."""

    sigmoid_derivative: sympy.Expr  # σ'(z)
    in_p: sympy.Expr  # σ'(z) written in p = σ(z), as a polynomial (its critical points are found on it)
    critical_p: tuple[sympy.Expr, ...]  # solutions of d/dp σ' = 0
    argmax: sympy.Expr  # z where σ' is largest
    maximum: sympy.Expr  # 1/4
    at_ends: tuple[sympy.Expr, sympy.Expr]  # σ' as p → 0 and p → 1 (z → ∓∞)
    is_maximum: bool  # larger than at both ends: the maximum over all z, not just a critical value
    relu_derivative: sympy.Expr  # piecewise
    relu_values: tuple[sympy.Expr, ...]  # the values ReLU' takes: 0 and 1
    taught: sympy.Expr  # the same in its taught form, p(1 − p)
    taught_in_h: sympy.Expr  # and in a unit's output h = σ(z): h(1 − h), as the sheet writes it


@dataclass(frozen=True)
class ReluSection:
    exercise: str
    layers: tuple[int, ...]  # the layers switched from the sigmoid to ReLU
    sigmoid: tuple[GradientStep, ...]  # the gradients asked for, sigmoid network
    relu: tuple[GradientStep, ...]  # the same with ReLU
    units: tuple[HiddenUnit, ...]
    dead: tuple[str, ...]
    bound: DerivativeBound
    conclusion: Prose
    outputs: tuple = ()  # Quantity of each output and the loss of the ReLU network: what its gradients put in
    kind: str = "relu"


def relu_section(problem: Problem, digits: int = 4) -> ReluSection | None:
    """The first plain SGD exercise with ReLU for the sigmoid in the hidden layers; None without either.

    >>> import symback
    >>> s = relu_section(symback.load("problems/ws23_backprop.toml"))
    >>> [step.quantity.exact for step in s.relu], s.dead, s.bound.maximum
    ([-4, 12], (), 1/4)
    """
    exercise = plain_sgd_exercise(problem)
    if exercise is None:
        return None
    sigmoid = exercise_pass(problem, exercise)
    layers = tuple(
        number for number, activation in enumerate(sigmoid.graph.layer_activations[:-1], start=1)
        if activation.name == "sigmoid"
    )
    if not layers:
        return None
    relu = exercise_pass(problem, exercise, activation={number: "relu" for number in layers})
    names = asked_parameters(problem, exercise)
    units = _hidden_units(sigmoid, relu, [(number, unit) for number in layers
                                          for unit in range(1, problem.network.layers[number - 1].units + 1)], digits)
    dead = tuple(unit.name for unit in units if unit.dead)
    bound = sigmoid_bound()
    steps = gradient_steps(sigmoid, names, digits), gradient_steps(relu, names, digits)
    conclusion = _relu_conclusion(units, dead, bound, *steps)
    tops = [relu.graph.nodes[node].name for node in relu.graph.outputs] + [relu.top]
    found = rounded_quantities(relu, lambda p: {name: p.values[relu.graph.index[name]] for name in tops}, digits)
    return ReluSection(exercise.id, layers, *steps, units, dead, bound, conclusion, tuple(found[n] for n in tops))


def _hidden_units(sigmoid: BackpropResult, relu: BackpropResult, units: list[tuple[int, int]],
                  digits: int) -> tuple[HiddenUnit, ...]:
    """Each hidden unit's z, ReLU'(z) and σ'(z), every decimal of a network rounded together: one set of decimal
    passes per network, not one per unit (a layer of 30 units took seconds)."""
    ids = [(relu.graph.index[f"z{layer}_{unit}"], relu.graph.index[f"h{layer}_{unit}"]) for layer, unit in units]

    def in_relu(p) -> dict:
        return {key: value for k, (z_id, h_id) in enumerate(ids)
                for key, value in (((k, "z"), p.values[z_id]), ((k, "ReLU'"), p.local_partial(h_id, z_id)))}

    def in_sigmoid(p) -> dict:
        return {(k, "σ'"): p.local_partial(h_id, z_id) for k, (z_id, h_id) in enumerate(ids)}

    exact = {**in_relu(relu.exact_pass), **in_sigmoid(sigmoid.exact_pass)}  # engine values: SymPy only if shown
    rounded = {**relu.rounded(in_relu, digits), **sigmoid.rounded(in_sigmoid, digits)}

    def quantity(k: int, what: str, name: str) -> Quantity:
        return Quantity(name, exact[k, what], rounded[k, what])

    return tuple(HiddenUnit(f"h{layer}_{unit}", quantity(k, "z", f"z{layer}_{unit}"), quantity(k, "ReLU'", "ReLU'"),
                            quantity(k, "σ'", "σ'"), EXACT.sign(relu.exact_pass.values[z_id]) <= 0)
                 for k, ((layer, unit), (z_id, _)) in enumerate(zip(units, ids)))


def sigmoid_bound() -> DerivativeBound:
    """The largest value of σ'(z), and the values of ReLU', by SymPy.

    >>> b = sigmoid_bound()
    >>> b.in_p, b.taught, b.argmax, b.maximum, b.is_maximum, b.relu_values
    (-p**2 + p, p*(1 - p), 0, 1/4, True, (0, 1))
    """
    sigmoid, relu = make_activation(ActivationSpec("sigmoid")), make_activation(ActivationSpec("relu"))
    # e^z = p/(1 − p) turns σ'(z) into a polynomial in p ∈ (0, 1), whose extrema are at its critical points
    in_p = sympy.cancel(sigmoid.derivative.subs(sympy.exp(Z), P / (1 - P)))
    critical = tuple(r for r in sympy.Poly(sympy.diff(in_p, P), P).real_roots() if 0 < r < 1)
    best = max(critical, key=lambda point: in_p.subs(P, point))
    maximum, ends = in_p.subs(P, best), (in_p.subs(P, 0), in_p.subs(P, 1))
    argmax = sympy.log(best / (1 - best))  # z = σ⁻¹(p)
    values = tuple(sorted({value for value, _ in relu.derivative.args}))
    taught = sigmoid.derivative_in_output.xreplace({H: P})
    assert sympy.expand(taught - in_p) == 0  # the taught form is the polynomial
    return DerivativeBound(sigmoid.derivative, in_p, critical, argmax, maximum, ends,
                           all(maximum > end for end in ends), relu.derivative, values, taught,
                           sigmoid.derivative_in_output)


def _relu_conclusion(units, dead, bound, sigmoid_steps, relu_steps) -> Prose:
    """What the table shows, bounded whatever the network's size: how many units are dead (a few named), the
    range of σ' at the live ones, and at most a few gradients side by side."""
    count = len(units)
    if not dead:
        state = ["No ReLU unit is dead."]
    else:
        are = "is" if len(dead) == 1 else "are"
        state = [f"{len(dead)} of the {count} ReLU units {are} dead (", math("z", "≤", 0), ", so ",
                 math("ReLU'", "=", 0), "): ", *some_names(dead), "."]
    alive = [u.sigmoid_derivative for u in units if not u.dead]
    passes = []
    if alive:
        low, high = min(alive, key=lambda q: q.decimal), max(alive, key=lambda q: q.decimal)
        where = [math("σ'(z)", relation(low), low.decimal)] if low.decimal == high.decimal else \
            [math("σ'(z)"), " between ", math(relation(low), low.decimal), " and ", math(relation(high), high.decimal)]
        passes = [" Where ", math("z", ">", 0), ", ", math("ReLU'", "=", 1), " passes ", math(Partial("L", "h")),
                  " on unchanged; the sigmoid's ", *where, " (at most ", math(bound.maximum), ") shrinks it."]
    compared = []
    for s, r in list(zip(sigmoid_steps, relu_steps))[:MAX_NAMED]:
        gradient = Partial("L", s.parameter)
        compared += ["; " if compared else " ", math(gradient, relation(r.quantity), r.quantity.decimal),
                     " with ReLU against ", math(relation(s.quantity), s.quantity.decimal), " with the sigmoid"]
    if compared:
        compared.append(".")
    return sentence(*state, *passes, *compared)
