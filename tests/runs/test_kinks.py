"""Where optimizer runs cross kinks (symback/runs/kinks.py, derive/run_kinks.py, steps/run_kinks).

The independent route: each run re-done here by hand, in float64 (Adam) or in Python Fractions (SGD and momentum
on piecewise-linear graphs are rational), with the kink's branch decided from the re-run's own values; what the
run reports (the steps whose parameters take another branch, the argument before and after, the gradient through
the kink) must agree, and the sheet must say it.
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import pytest

import symback
from symback.render.environment import render
from symback.render.sheet import build_sheet
from symback.runs.optimize import optimize

ROOT = Path(__file__).resolve().parents[2]
LEAKY = ROOT / "problems" / "circuit_optimizers.toml"


# --- the independent routes ------------------------------------------------------------------------------------

def _leaky_run(rule: str, steps: int = 4):
    """f = max(z, z/5), z = w·x + b at x = 2, L = (f − 1)², from w = 1/4, b = −1: z before each step and after
    the last, and df/dz there (1 for z > 0, 1/5 for z < 0; z = 0 does not occur here)."""
    exact = rule != "adam"
    def num(a, b=1):
        return Fraction(a, b) if exact else a / b

    w, b, x = num(1, 4), num(-1), num(2)
    lr = num(3, 20) if rule != "adam" else 0.1
    state = {"w": [0.0, 0.0], "b": [0.0, 0.0]} if rule == "adam" else {"w": num(0), "b": num(0)}
    zs, slopes = [], []
    for t in range(1, steps + 2):
        z = w * x + b
        slope = num(1) if z > 0 else num(1, 5)
        zs.append(z)
        slopes.append(slope)
        if t > steps:
            break
        f = z * slope
        g_z = 2 * (f - 1) * slope
        grads = {"w": g_z * x, "b": g_z}
        new = {}
        for name, value in (("w", w), ("b", b)):
            g = grads[name]
            if rule == "sgd":
                new[name] = value - lr * g
            elif rule == "momentum":
                state[name] = Fraction(9, 10) * state[name] + g
                new[name] = value - lr * state[name]
            else:
                m, v = state[name]
                m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g * g
                state[name] = [m, v]
                m_hat, v_hat = m / (1 - 0.9**t), v / (1 - 0.999**t)
                new[name] = value - lr * m_hat / (math.sqrt(v_hat) + 1e-8)
        w, b = new["w"], new["b"]
    return zs, slopes


def _relu_net_run(params: dict, lr: Fraction, momentum: Fraction | None, y: Fraction, steps: int):
    """The 2-2-1 network of RELU_NET (ReLU hidden layer, identity output, squared error) at x = (1, 2), by SGD or
    heavy-ball momentum in Fractions: z1 and z2 before each step and after the last. relu'(0) = 0."""
    p = {k: Fraction(v) for k, v in params.items()}
    velocity = {k: Fraction(0) for k in p}
    x1, x2 = Fraction(1), Fraction(2)
    zs = []
    for t in range(steps + 1):
        z1 = p["a11"] * x1 + p["a12"] * x2
        z2 = p["a21"] * x1 + p["a22"] * x2
        zs.append((z1, z2))
        if t == steps:
            break
        h1, h2 = max(z1, 0), max(z2, 0)
        d1, d2 = Fraction(int(z1 > 0)), Fraction(int(z2 > 0))
        yhat = p["b11"] * h1 + p["b12"] * h2
        g_y = 2 * (yhat - y)
        grads = {"b11": g_y * h1, "b12": g_y * h2,
                 "a11": g_y * p["b11"] * d1 * x1, "a12": g_y * p["b11"] * d1 * x2,
                 "a21": g_y * p["b12"] * d2 * x1, "a22": g_y * p["b12"] * d2 * x2}
        for k in p:
            if momentum is None:
                p[k] -= lr * grads[k]
            else:
                velocity[k] = momentum * velocity[k] + grads[k]
                p[k] -= lr * velocity[k]
    return zs


def _changes(values) -> list[int]:
    """The k where the branch at θ_k differs from θ_{k+1}: the sign of the argument (relu: z > 0 or not)."""
    branch = [v > 0 for v in values]
    return [k for k in range(len(values) - 1) if branch[k] != branch[k + 1]]


RELU_NET = """
title = "A ReLU network"
[network]
inputs = ["x1", "x2"]
[[network.layers]]
weights = "A"
values = [[1, -1], [0.5, 0.25]]
activation = "relu"
[[network.layers]]
weights = "B"
values = [[1, -2]]
activation = "identity"
[loss]
kind = "squared_error"
[[exercises]]
id = "1"
task = "gradient"
presentation = "table"
x = [1, 2]
y = 3
[[exercises]]
id = "2"
task = "optimize"
x = [1, 2]
y = {y}
optimizer = {optimizer}
steps = {steps}
"""
def render_markdown(problem) -> str:
    return render(build_sheet(problem, appendix=False), "md")


START = {"a11": 1, "a12": -1, "a21": Fraction(1, 2), "a22": Fraction(1, 4), "b11": 1, "b12": -2}


# --- tests -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("exercise", "rule"), [("2", "sgd"), ("3", "momentum"), ("4", "adam")])
def test_the_leaky_relu_unit_crosses_where_a_rerun_says(exercise, rule):
    zs, slopes = _leaky_run(rule)
    run = optimize(symback.load(LEAKY), exercise)
    (kink,) = run.kinks
    assert (kink.node, kink.operation, kink.argument) == ("f", "max", "z")
    assert list(kink.crossings) == _changes(zs)
    assert kink.crossings, "the shipped problem is meant to cross the kink"
    for reported, mine in zip(kink.values, zs):
        if isinstance(mine, Fraction):
            assert reported.exact is not None and Fraction(str(reported.exact)) == mine
        assert float(reported.decimal) == pytest.approx(float(mine), rel=1e-3)
    assert [Fraction(str(s.decimal)) for s in kink.slopes] == [Fraction(s).limit_denominator(10) for s in slopes]


def test_the_sheet_answers_where_z_crosses_the_kink():
    zs, _ = _leaky_run("sgd")
    (k,) = _changes(zs)
    md = render_markdown(symback.load(LEAKY))
    exercise = md.split("## Exercise 2")[1].split("## Exercise 3")[0]
    sentence = next(line for line in exercise.splitlines() if "changes sign" in line)
    assert f"changes sign in step {k + 1} (" in sentence  # z before the step and after it, from the rerun
    assert f"$z = {float(zs[k]):g}$ before it" in sentence  # both are exact decimals here
    assert f"$z = {float(zs[k + 1]):g}$ after it" in sentence
    assert "changes from $0.2$ to $1$ from step 3 on" in sentence
    assert exercise.index("**Kinks.**") > exercise.index("| $t$ |"), "under the run's table"


@pytest.mark.parametrize(("optimizer", "y", "steps", "lr", "momentum"), [
    ('{ kind = "momentum", lr = 0.03 }', -1, 6, Fraction(3, 100), Fraction(9, 10)),   # crosses mid-run
    ('{ kind = "sgd", lr = 0.05 }', -1, 3, Fraction(1, 20), None),                    # lands on 0
    ('{ kind = "sgd", lr = 0.01 }', -1, 3, Fraction(1, 100), None),                   # never crosses
])
def test_relu_networks_use_the_same_code(optimizer, y, steps, lr, momentum):
    problem = symback.loads(RELU_NET.format(optimizer=optimizer, y=y, steps=steps))
    zs = _relu_net_run(START, lr, momentum, Fraction(y), steps)
    run = optimize(problem, "2")
    kinks = {kink.node: kink for kink in run.kinks}
    assert set(kinks) == {"h1_1", "h1_2"}
    for unit, name in ((0, "h1_1"), (1, "h1_2")):
        mine = [z[unit] for z in zs]
        kink = kinks[name]
        assert kink.argument == f"z1_{unit + 1}"
        assert [Fraction(str(v.exact)) for v in kink.values] == mine
        assert list(kink.crossings) == _changes(mine)
        assert [s.decimal for s in kink.slopes] == [int(z > 0) for z in mine]
    md = render_markdown(problem)
    under = md.split("**Kinks.**")[1].split("##")[0]
    crossed = [name for name in ("h1_1", "h1_2") if kinks[name].crossings]
    assert under.count("never crosses") == 2 - len(crossed)
    if any(z[1] == 0 for z in zs) and not any(z[1] < 0 for z in zs):
        assert "reaches $0$, the kink of ReLU" in under


def test_max_of_independent_operands_says_where_the_gradient_goes():
    problem = symback.loads('title = "t"\n[expression]\nf = "max(w, v)^2"\nat = { w = 3, v = 2 }\n'
                            '[[exercises]]\nid = "1"\ntask = "optimize"\nlr = 0.1\nsteps = 4\n')
    w, v, winners = Fraction(3), Fraction(2), []
    for _ in range(5):  # the re-run: the larger one gets 2·max, the other nothing
        winners.append("w" if w > v else "v")
        if w > v:
            w -= Fraction(1, 10) * 2 * w
        else:
            v -= Fraction(1, 10) * 2 * v
    (kink,) = optimize(problem, "1").kinks
    assert kink.argument is None
    assert list(kink.crossings) == [k for k in range(4) if winners[k] != winners[k + 1]]
    md = render_markdown(problem)
    k = kink.crossings[0]
    assert (f"its gradient goes to ${winners[k]}$ up to step {k + 1} and to ${winners[k + 1]}$ from step {k + 2} on"
            in md)


def test_a_run_without_kinks_says_nothing_of_kinks():
    md = render_markdown(symback.load(ROOT / "problems" / "ws23_optimizers.toml"))
    assert "**Kinks.**" not in md
