"""The taught forms a sheet writes are the mathematics (held against SymPy's diff), and a sheet of a deep network
never turns an exact value past the budget into a SymPy tree (counted, not timed)."""

from __future__ import annotations

import sympy
from deadline import no_hang

import symback
import symback.engine.result as result_module
from symback.derive.budget import MAX_NODES, node_count_at_most, within_budget
from symback.problem.activations import H, Z, make_activation
from symback.problem.losses import KNOWN_LOSSES, make_loss
from symback.problem.model import ActivationSpec
from symback.render.environment import render
from symback.render.sheet import build_sheet


def test_taught_loss_partials_are_the_derivatives():
    for name in KNOWN_LOSSES:
        for outputs in (1, 2, 3):
            if name == "softmax_cross_entropy" and outputs == 1:
                continue
            loss = make_loss(name, outputs)
            probabilities = dict(loss.probabilities)
            for yhat, taught in zip(loss.outputs, loss.taught_partials):
                difference = taught.xreplace(probabilities) - sympy.diff(loss.expression, yhat)
                if name == "softmax_cross_entropy":  # p − y is the derivative for a one-hot target: Σ y = 1
                    difference = difference.subs(loss.targets[0], 1 - sum(loss.targets[1:]))
                assert sympy.simplify(difference) == 0, (name, outputs, taught)
            taught_loss = loss.taught.xreplace(probabilities)
            if name == "softmax_cross_entropy":
                taught_loss = taught_loss.subs(loss.targets[0], 1 - sum(loss.targets[1:]))
                expression = loss.expression.subs(loss.targets[0], 1 - sum(loss.targets[1:]))
            else:
                expression = loss.expression
            point = {s: sympy.Rational(k + 2, 7) for k, s in enumerate(loss.outputs + loss.targets)}
            assert abs(sympy.N((sympy.expand_log(taught_loss, force=True) - expression).subs(point), 30)) < 1e-25


def test_derivatives_written_through_the_output_are_the_derivatives():
    for name in ("sigmoid", "tanh", "softplus"):
        activation = make_activation(ActivationSpec(name))
        through = activation.derivative_in_output.xreplace({H: activation.expression})
        assert sympy.simplify(through - sympy.diff(activation.expression, Z)) == 0, name


def test_the_budget_keeps_the_sheet_forms_and_refuses_towers():
    e = sympy.E
    for kept in (e / (1 + e), 12 * e / (1 + e) ** 2, 4 * (39 + 14 * e) ** 2 / (625 * (1 + e) ** 2), sympy.Rational(53, 25)):
        assert within_budget(kept), kept
    tower = e
    for _ in range(3):
        tower = sympy.exp(tower) / (1 + sympy.exp(tower))
    for refused in (tower, sum(sympy.tanh(sympy.Rational(1, k)) for k in range(2, 6)), sympy.Integer(2) ** 400):
        assert not within_budget(refused), refused


DEEP = """
title = "Four sigmoid layers"
[network]
inputs = 2
[[network.layers]]
weights = "A"
values = [[0.5, -0.3], [0.2, 0.7]]
activation = "sigmoid"
[[network.layers]]
weights = "B"
values = [[0.4, 0.1], [-0.6, 0.9]]
activation = "sigmoid"
[[network.layers]]
weights = "C"
values = [[1.2, -0.8], [0.3, 0.5]]
activation = "sigmoid"
[[network.layers]]
weights = "D"
values = [[0.7, -1.1], [0.2, 0.4]]
activation = "sigmoid"
[loss]
kind = "half_squared_error"
[[exercises]]
id = "1"
task = "sgd"
x = [1, -1]
y = [1, 0]
lr = 0.5
params = ["a11", "d12"]
"""


def test_a_deep_sheet_converts_no_exact_value_past_the_budget(monkeypatch):
    converted = []
    original = result_module.tidy  # every engine value on its way to SymPy passes here (engine.result.to_sympy)

    def counting(value):
        converted.append(node_count_at_most(value, 4 * MAX_NODES))
        return original(value)

    monkeypatch.setattr(result_module, "tidy", counting)
    with no_hang():
        sheet = build_sheet(symback.loads(DEEP))
        text = render(sheet, "md") + render(sheet, "tex")
    assert converted and all(converted), f"{converted.count(False)} exact values past the budget became SymPy"
    assert "\\approx" in text
