"""The checker on the two presentations crossed with the two kinds of problem: a network's gradient exercise
presented as a table of nodes and wires, an expression's presented as chain-rule paths.

Expected values come from routes written here: a float64 forward and backward pass of the network by hand (its
gradients held against central finite differences of the loss), the circuit's local gradients by hand and its
gradients from SymPy's diff of the whole function. The keys the answers skeleton must list are derived here from
the graph written out by hand (its wires, its chain-rule paths), never read from the checker's records.
"""

from __future__ import annotations

import math
import tomllib
from itertools import pairwise

import pytest
import sympy
from cli_helpers import run

import symback
from symback.checker.checklist import build_checklist

# --- a network, its exercise 1 as a table ------------------------------------------------------------------------

NETWORK = """
title = "A small network, backpropagated in a table"

[network]
inputs = ["x1", "x2"]

[[network.layers]]
weights = "A"
values = [[0.5, -1], [1.5, 0.25]]
bias = "c"
bias_values = [0.1, -0.2]
activation = "sigmoid"

[[network.layers]]
weights = "B"
values = [[2, -1]]
bias = "d"
bias_values = [0.3]
activation = "identity"

[loss]
kind = "squared_error"

[[exercises]]
id = "1"
task = "gradient"
presentation = "table"
x = [1, 2]
y = 0.5

[[exercises]]
id = "2"
task = "sgd"
presentation = "table"
at = "1"
lr = 0.5
params = ["a22", "d1"]
"""
X, Y = (1.0, 2.0), 0.5
A, C, B, D = ((0.5, -1.0), (1.5, 0.25)), (0.1, -0.2), (2.0, -1.0), 0.3
LR = 0.5


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def network_loss(A, C, B, D) -> float:
    h = [sigmoid(A[k][0] * X[0] + A[k][1] * X[1] + C[k]) for k in range(2)]
    return (B[0] * h[0] + B[1] * h[1] + D - Y) ** 2


def network_by_hand(slips=None) -> dict[str, float]:
    """Every value of the table, forwards then backwards, in float64; ``slips`` (key -> value) replaces a value
    as a student would get it wrong, and everything after it is computed from it."""
    slips = slips or {}
    v: dict[str, float] = {}

    def put(key, value):
        v[key] = slips.get(key, value)
        return v[key]

    for k in (1, 2):
        z = put(f"z1_{k}", A[k - 1][0] * X[0] + A[k - 1][1] * X[1] + C[k - 1])
        put(f"h1_{k}", sigmoid(z))
    yhat = put("yhat", B[0] * v["h1_1"] + B[1] * v["h1_2"] + D)
    put("L", (yhat - Y) ** 2)
    upstream = put("dL/dyhat", 2 * (yhat - Y))
    put("dL/dd1", upstream * put("dyhat/dd1", 1.0))
    for k in (1, 2):
        put(f"dL/db1{k}", upstream * put(f"dyhat/db1{k}", v[f"h1_{k}"]))
        dh = put(f"dL/dh1_{k}", upstream * put(f"dyhat/dh1_{k}", B[k - 1]))
        h = v[f"h1_{k}"]
        dz = put(f"dL/dz1_{k}", dh * put(f"dh1_{k}/dz1_{k}", h * (1 - h)))
        put(f"dL/dc{k}", dz * put(f"dz1_{k}/dc{k}", 1.0))
        for j in (1, 2):
            put(f"dL/da{k}{j}", dz * put(f"dz1_{k}/da{k}{j}", X[j - 1]))
    put("a22'", A[1][1] - LR * v["dL/da22"])
    put("d1'", D - LR * v["dL/dd1"])
    return v


def finite_differences() -> dict[str, float]:
    """dL/dθ for every parameter by central differences of the loss."""
    step, found = 1e-6, {}
    flat = {"a11": (0, 0), "a12": (0, 1), "a21": (1, 0), "a22": (1, 1)}
    for name, (k, j) in flat.items():
        moved = []
        for sign in (1, -1):
            rows = [list(row) for row in A]
            rows[k][j] += sign * step
            moved.append(network_loss(rows, C, B, D))
        found[f"dL/d{name}"] = (moved[0] - moved[1]) / (2 * step)
    for k in (0, 1):
        up, down = list(C), list(C)
        up[k] += step
        down[k] -= step
        found[f"dL/dc{k + 1}"] = (network_loss(A, up, B, D) - network_loss(A, down, B, D)) / (2 * step)
        up, down = list(B), list(B)
        up[k] += step
        down[k] -= step
        found[f"dL/db1{k + 1}"] = (network_loss(A, C, up, D) - network_loss(A, C, down, D)) / (2 * step)
    found["dL/dd1"] = (network_loss(A, C, B, D + step) - network_loss(A, C, B, D - step)) / (2 * step)
    return found


def network_table_keys() -> set[str]:
    """What a table of the network shows: each node computed, each wire's local gradient (but the wire into L,
    whose local gradient is ∂L/∂ŷ itself), each node's gradient (not the inputs', not L's)."""
    parents = {"z1_1": ["a11", "a12", "c1"], "z1_2": ["a21", "a22", "c2"], "h1_1": ["z1_1"], "h1_2": ["z1_2"],
               "yhat": ["b11", "h1_1", "b12", "h1_2", "d1"]}
    nodes = ["z1_1", "h1_1", "z1_2", "h1_2", "yhat", "L"]
    wires = {f"d{child}/d{parent}" for child, operands in parents.items() for parent in operands}
    gradients = {f"dL/d{name}" for name in {*parents, *sum(parents.values(), [])}}
    return set(nodes) | wires | gradients


def text(value: float) -> str:
    return f"{value:.9g}"


def answers(values: dict[str, float], checklist) -> dict:
    return {entry.exercise.id: {item.key: text(values[item.key]) for item in entry.items}
            for entry in checklist.exercises}


def statuses(report) -> dict[str, str]:
    return {verdict.key: verdict.status for verdict in report.verdicts}


@pytest.fixture(scope="module")
def network():
    return build_checklist(symback.loads(NETWORK))


def test_the_route_by_hand_agrees_with_finite_differences():
    by_hand, differences = network_by_hand(), finite_differences()
    for key, value in differences.items():
        assert abs(by_hand[key] - value) < 1e-6, key


def test_a_network_table_asks_for_every_node_wire_and_gradient(network):
    assert {item.key for item in network.exercise("1").items} == network_table_keys()
    assert [item.key for item in network.exercise("2").items] == ["a22'", "d1'"]
    asked = [item.key for item in network.exercise("1").items if item.asked]
    assert sorted(asked) == sorted(f"dL/d{name}" for name in ("a11", "a12", "a21", "a22", "b11", "b12", "c1", "c2",
                                                              "d1"))


def test_a_network_table_reads_as_a_table(network):
    item = {item.key: item for item in network.items}
    assert item["dL/dz1_2"].rule_text == "dL/dz1_2 = dL/dh1_2 · dh1_2/dz1_2"
    assert item["dL/da22"].inputs == ("dL/dz1_2", "dz1_2/da22")
    assert item["dyhat/dh1_2"].description == "∂yhat/∂h1_2, the local gradient of the wire h1_2 → yhat"
    assert item["dh1_2/dz1_2"].rule_text.endswith("h1_2*(1 - h1_2)")
    assert item["L"].description.startswith("the loss of yhat against the target y = 0.5")
    assert item["h1_2"].description == "output of unit 2 of layer 1: sigmoid of z1_2"


def test_right_network_table_answers_are_correct(network):
    values = network_by_hand()
    for item in network.items:
        assert abs(float(item.reference) - values[item.key]) <= 1e-12 * max(1, abs(values[item.key])), item.key
    report = symback.check(network, answers(values, network))
    assert set(statuses(report).values()) == {"correct"} and report.all_right


def test_a_slip_in_a_network_table_is_carried_forward(network):
    right = network_by_hand()
    slipped = network_by_hand({"dh1_2/dz1_2": right["h1_2"]})  # σ(z) written for σ'(z)
    report = symback.check(network, answers(slipped, network))
    got = {verdict.key: verdict for verdict in report.verdicts}
    assert got["dh1_2/dz1_2"].status == "wrong" and report.first_wrong.key == "dh1_2/dz1_2"
    followed = {key for key in right if abs(slipped[key] - right[key]) > 1e-3 * abs(right[key])} - {"dh1_2/dz1_2"}
    assert followed == {"dL/dz1_2", "dL/da21", "dL/da22", "dL/dc2", "a22'"}
    for key, verdict in got.items():
        if key in followed:
            assert verdict.status == "carried forward" and verdict.carried_from == ("1", "dh1_2/dz1_2"), key
        elif key != "dh1_2/dz1_2":
            assert verdict.status == "correct", key


# --- an expression, its exercise 2 as chain-rule paths -----------------------------------------------------------

CIRCUIT = """
title = "CS231n's circuit, backpropagated along paths"

[expression]
stages = [
  "num = x + sigmoid(y)",
  "den = sigmoid(x) + (x + y)^2",
  "f = num / den",
]
at = { x = 3, y = -4 }

[[exercises]]
id = "1"
task = "forward"

[[exercises]]
id = "2"
task = "gradient"
presentation = "paths"

[[exercises]]
id = "3"
task = "sgd"
presentation = "paths"
lr = 0.1
"""
AT = {"x": 3.0, "y": -4.0}
# the circuit's wires as the sheet names its nodes: q1 = σ(y), q2 = σ(x), q3 = x + y, q4 = q3²
WIRES = {"f": ["num", "den"], "num": ["x", "q1"], "q1": ["y"], "den": ["q2", "q4"], "q2": ["x"], "q4": ["q3"],
         "q3": ["x", "y"]}


def circuit_by_hand(slips=None) -> dict[str, float]:
    """Every value of the paths, in float64, the gradients as sums over paths of products of the factors
    (``slips`` as for the network)."""
    slips = slips or {}
    x, y = AT["x"], AT["y"]
    v = {"x": x, "y": y}
    for key, value in (("q1", lambda: sigmoid(y)), ("num", lambda: x + v["q1"]), ("q2", lambda: sigmoid(x)),
                       ("q3", lambda: x + y), ("q4", lambda: v["q3"] ** 2), ("den", lambda: v["q2"] + v["q4"]),
                       ("f", lambda: v["num"] / v["den"])):
        v[key] = slips.get(key, value())
    local = {"df/dnum": 1 / v["den"], "df/dden": -v["num"] / v["den"] ** 2, "dnum/dx": 1.0, "dnum/dq1": 1.0,
             "dq1/dy": v["q1"] * (1 - v["q1"]), "dden/dq2": 1.0, "dden/dq4": 1.0, "dq2/dx": v["q2"] * (1 - v["q2"]),
             "dq4/dq3": 2 * v["q3"], "dq3/dx": 1.0, "dq3/dy": 1.0}
    v.update({key: slips.get(key, value) for key, value in local.items()})
    for variable in ("x", "y"):
        v[f"df/d{variable}"] = slips.get(f"df/d{variable}", sum(
            math.prod(v[f"d{a}/d{b}"] for a, b in pairwise(path)) for path in paths("f", variable)))
        v[f"{variable}'"] = AT[variable] - 0.1 * v[f"df/d{variable}"]
    return v


def paths(node: str, variable: str) -> list[list[str]]:
    """Every path of wires from ``node`` down to ``variable``."""
    if node == variable:
        return [[variable]]
    return [[node] + rest for parent in WIRES.get(node, []) for rest in paths(parent, variable)]


def whole_function_gradients() -> dict[str, float]:
    """∂f/∂x and ∂f/∂y by SymPy's diff of f written out whole."""
    x, y = sympy.symbols("x y")
    f = (x + 1 / (1 + sympy.exp(-y))) / (1 / (1 + sympy.exp(-x)) + (x + y) ** 2)
    return {f"df/d{s}": float(sympy.diff(f, s).subs({x: 3, y: -4}).evalf(30)) for s in (x, y)}


@pytest.fixture(scope="module")
def circuit():
    return build_checklist(symback.loads(CIRCUIT))


def test_the_circuit_by_hand_agrees_with_the_whole_functions_derivative():
    by_hand, whole = circuit_by_hand(), whole_function_gradients()
    for key, value in whole.items():
        assert abs(by_hand[key] - value) <= 1e-12 * abs(value), key


def test_expression_paths_ask_for_every_factor_of_every_path(circuit):
    factors = {f"d{a}/d{b}" for variable in ("x", "y") for path in paths("f", variable) for a, b in pairwise(path)}
    assert {item.key for item in circuit.exercise("2").items} == factors | {"df/dx", "df/dy"}
    assert [item.key for item in circuit.exercise("2").items if item.asked] == ["df/dx", "df/dy"]
    assert [item.key for item in circuit.exercise("3").items] == ["x'", "y'"]
    item = {item.key: item for item in circuit.items}
    assert item["df/dy"].rule_text == "df/dy = df/dnum · dnum/dq1 · dq1/dy + df/dden · dden/dq4 · dq4/dq3 · dq3/dy"
    assert item["dq1/dy"].description == "∂q1/∂y, a chain-rule factor of df/dy"
    assert item["dq1/dy"].rule_text.startswith("dq1/dy = q1*(1 - q1)")  # σ' in the node's own value, as taught
    assert item["f"].description == "the function f = num / den"


def test_right_expression_path_answers_are_correct(circuit):
    values, whole = circuit_by_hand(), whole_function_gradients()
    for item in circuit.items:
        expected = whole.get(item.key, values[item.key])
        assert abs(float(item.reference) - expected) <= 1e-12 * max(1, abs(expected)), item.key
    report = symback.check(circuit, answers(values, circuit))
    assert set(statuses(report).values()) == {"correct"} and report.all_right


def test_a_slip_on_a_path_is_carried_forward(circuit):
    right = circuit_by_hand()
    slipped = circuit_by_hand({"dq4/dq3": right["q3"]})  # the 2 of (q3²)' = 2·q3 forgotten
    report = symback.check(circuit, answers(slipped, circuit))
    got = {verdict.key: verdict for verdict in report.verdicts}
    assert got["dq4/dq3"].status == "wrong" and report.first_wrong.key == "dq4/dq3"
    for key in ("df/dx", "df/dy", "x'", "y'"):
        assert abs(slipped[key] - right[key]) > 1e-3 * abs(right[key]), key  # the slip did travel
        assert got[key].status == "carried forward" and got[key].carried_from == ("2", "dq4/dq3"), key
    assert {key for key, verdict in got.items() if verdict.status == "correct"} == set(got) - {
        "dq4/dq3", "df/dx", "df/dy", "x'", "y'"}


# --- the skeleton lists both, through the command line -----------------------------------------------------------

@pytest.mark.parametrize("source, exercise, expected", [
    (NETWORK, "1", network_table_keys()),
    (CIRCUIT, "2", {f"d{a}/d{b}" for variable in ("x", "y") for path in paths("f", variable)
                    for a, b in pairwise(path)} | {"df/dx", "df/dy"}),
])
def test_the_answers_skeleton_lists_the_keys(capsys, tmp_path, source, exercise, expected):
    problem, skeleton = tmp_path / "problem.toml", tmp_path / "answers.toml"
    problem.write_text(source, encoding="utf-8")
    code, _, err = run(capsys, "answers", problem, "-o", skeleton)
    assert code == 0 and err == ""
    listed = tomllib.loads(skeleton.read_text(encoding="utf-8"))["exercises"][exercise]
    assert set(listed) == expected and all(value == "" for value in listed.values())
