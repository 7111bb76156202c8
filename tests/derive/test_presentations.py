"""Both presentations of a pass on both kinds of problem: chain-rule paths and a table of nodes and wires.

Every value is held against SymPy's diff of the whole function written out here, independently of the engine.
"""

from __future__ import annotations

import pytest
import sympy

import symback
from symback.derive.exercise import presentation_of
from symback.errors import ProblemError

NETWORK = """
title = "WS23's network"
[network]
inputs = ["x1", "x2"]
[[network.layers]]
weights = "A"
values = [[1, 0], [-2, 1]]
bias = "c"
bias_values = [0.5, -1]
activation = "{activation}"
[[network.layers]]
weights = "B"
values = [[1, -1]]
activation = "identity"
[loss]
kind = "squared_error"
[[exercises]]
id = "1"
task = "sgd"
x = [1, 3]
y = 2
lr = 0.5
presentation = "{presentation}"
"""

EXPRESSION = """
title = "CS231n's circuit"
[expression]
stages = ["num = x + sigmoid(y)", "den = sigmoid(x) + (x + y)^2", "f = num / den"]
at = {{ x = 3, y = -4 }}
[[exercises]]
id = "1"
task = "sgd"
lr = 0.1
presentation = "{presentation}"
"""


def network_loss():
    """L(a, b, biases) of NETWORK written out, and the values of its parameters."""
    a11, a12, a21, a22, c1, c2, b11, b12 = sympy.symbols("a11 a12 a21 a22 c1 c2 b11 b12")
    sigma = lambda z: 1 / (1 + sympy.exp(-z))  # noqa: E731
    x1, x2, y = 1, 3, 2
    h1, h2 = sigma(a11 * x1 + a12 * x2 + c1), sigma(a21 * x1 + a22 * x2 + c2)
    loss = (b11 * h1 + b12 * h2 - y) ** 2
    values = {a11: 1, a12: 0, a21: -2, a22: 1, c1: sympy.Rational(1, 2), c2: -1, b11: 1, b12: -1}
    return loss, values


def expression_function():
    x, y = sympy.symbols("x y")
    sigma = lambda z: 1 / (1 + sympy.exp(-z))  # noqa: E731
    return (x + sigma(y)) / (sigma(x) + (x + y) ** 2), {x: 3, y: -4}


def gradients_by_diff(function, values) -> dict:
    return {symbol.name: sympy.diff(function, symbol).subs(values) for symbol in values}


def gradients_shown(result) -> dict:
    """∂top/∂θ for each parameter the exercise's steps derive, whichever presentation they are in."""
    found = {}
    for step in result.steps:
        if step.kind == "gradient":
            found[step.parameter] = step.quantity.exact
        if step.kind == "backward_table":
            found.update({g.node: g.quantity.exact for g in step.gradients if g.node in step.asked})
    return found


def updates_shown(result) -> dict:
    return {step.parameter: step.new.exact for step in result.steps if step.kind == "update"}


@pytest.mark.parametrize("presentation", ["paths", "table"])
def test_a_network_exercise_in_either_presentation_has_sympys_gradients(presentation):
    problem = symback.loads(NETWORK.format(activation="sigmoid", presentation=presentation))
    result = symback.run_exercise(problem, "1")
    assert result.presentation == presentation
    loss, values = network_loss()
    expected = gradients_by_diff(loss, values)
    shown = gradients_shown(result)
    assert sorted(shown) == sorted(expected)
    for name, value in shown.items():
        assert sympy.simplify(value - expected[name]) == 0, name
    for name, new in updates_shown(result).items():
        old = next(v for s, v in values.items() if s.name == name)
        assert sympy.simplify(new - (old - sympy.Rational(1, 2) * expected[name])) == 0, name


@pytest.mark.parametrize("presentation", ["paths", "table"])
def test_an_expression_exercise_in_either_presentation_has_sympys_gradients(presentation):
    problem = symback.loads(EXPRESSION.format(presentation=presentation))
    result = symback.run_exercise(problem, "1")
    assert result.presentation == presentation
    function, values = expression_function()
    expected = gradients_by_diff(function, values)
    shown = gradients_shown(result)
    assert sorted(shown) == ["x", "y"]
    for name, value in shown.items():
        assert abs(float(value) - float(expected[name])) < 1e-12, name
        assert sympy.simplify(value - expected[name]) == 0, name


def test_paths_on_an_expression_multiply_local_partials_along_every_path():
    result = symback.run_exercise(symback.loads(EXPRESSION.format(presentation="paths")), "1")
    function, values = expression_function()
    for step in result.of_kind("gradient"):
        total = sum(sympy.Mul(*[factor.exact for factor in path]) for path in step.paths)
        assert abs(float(total) - float(step.quantity.exact)) < 1e-12
        assert len(step.paths) == (2 if step.parameter == "y" else 3)  # x reaches f through num, σ(x) and (x + y)²


def test_a_table_of_a_network_has_a_row_per_node_and_a_wire_per_operand():
    result = symback.run_exercise(symback.loads(NETWORK.format(activation="relu", presentation="table")), "1")
    forward, backward = result.steps[0], result.steps[1]
    graph = result.result.graph
    assert [row.name for row in forward.rows] == [node.name for node in graph.nodes]
    operands = sum(len(node.node_operands()) for node in graph.nodes
                   for _ in [0] if node.kind != "input")
    wires_from_inputs = sum(1 for node in graph.nodes for _, parent in node.node_operands()
                            if graph.nodes[parent].kind == "input")
    assert len(backward.wires) == operands - wires_from_inputs
    for gradient in backward.gradients:  # a node's gradient is the sum of the products on its wires
        if gradient.wires:
            total = sum(backward.wires[k].product.exact for k in gradient.wires)
            assert sympy.simplify(total - gradient.quantity.exact) == 0, gradient.node


def test_the_default_presentation_is_the_kind_of_problems_own():
    network = symback.load("problems/ws23_backprop.toml")
    expression = symback.load("problems/circuit_cs231n.toml")
    assert presentation_of(network, network.exercise("4")).name == "paths"
    assert presentation_of(expression, expression.exercise("2")).name == "table"


def test_an_unknown_presentation_is_one_line_naming_the_key():
    with pytest.raises(ProblemError, match=r"exercises\[id=1\]\.presentation: expected one of 'paths', 'table'"):
        symback.loads(NETWORK.format(activation="sigmoid", presentation="tree"))


def test_a_table_shows_a_frozen_parameters_gradient_which_no_update_moves():
    problem = symback.loads(NETWORK.format(activation="sigmoid", presentation="table").replace(
        "[network]\n", '[network]\nfrozen = ["c1"]\n'))
    result = symback.run_exercise(problem, "1")
    backward = result.of_kind("backward_table")[0]
    loss, values = network_loss()
    expected = gradients_by_diff(loss, values)
    frozen = next(g for g in backward.gradients if g.node == "c1")
    assert sympy.simplify(frozen.quantity.exact - expected["c1"]) == 0
    assert "c1" not in backward.asked and "c1" not in updates_shown(result)
