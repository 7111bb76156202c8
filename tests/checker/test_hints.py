"""Hints that name the cause of a slip: a weight read in place of another, log base 10 for ln, an activation the
exercise sets ignored; and the sign named only where the sign is the cause.

Every student here is an independent model written in this file: their forward and backward pass in mpmath with
the slip made, each value rounded to n significant figures as they write it and carried forward (the rounded
value is what the next step reads). Nothing expected comes from the checker's own code.
"""

from __future__ import annotations

from pathlib import Path

import mpmath
import pytest
from student_model import rounded_to, sigmoid

import symback
from symback.checker.checklist import build_checklist

ROOT = Path(__file__).resolve().parents[2]
mpmath.mp.dps = 40

WS23_A = [[1, 0], [-2, 1]]
WS23_B = [1, -1]


def written(values: dict, figures) -> dict:
    """The answers as a student writes them: decimals with ``figures`` significant figures (20 for all)."""
    return {key: mpmath.nstr(mpmath.mpf(value), figures or 20, strip_zeros=False) for key, value in values.items()}


def verdict(report, exercise, key):
    return next(v for v in report.verdicts if (v.exercise, v.key) == (exercise, key))


@pytest.fixture(scope="module")
def ws23():
    return build_checklist(symback.load(ROOT / "problems" / "ws23_backprop.toml"))


# --- WS23: 2–2–1, σ then identity, L = (ŷ − y)², no biases


def ws23_student(x, y, *, A=WS23_A, B=WS23_B, f=sigmoid, lr=None, figures=4) -> dict:
    """Every quantity of a WS23 exercise at (x, y) as a student computes it with weights A, B and activation f
    (σ' through their own h: h(1 − h); f' by finite differences for another f), rounding as they go."""
    keep = rounded_to(figures)
    values = {}
    h = []
    for i in (1, 2):
        z = values[f"z1_{i}"] = keep(A[i - 1][0] * x[0] + A[i - 1][1] * x[1])
        h.append(keep(f(z)))
        values[f"h1_{i}"] = h[-1]
    yhat = values["yhat"] = keep(B[0] * h[0] + B[1] * h[1])
    values["L"] = keep((yhat - y) ** 2)
    d_yhat = values["dL/dyhat"] = keep(2 * (yhat - y))
    for i in (1, 2):
        z = values[f"z1_{i}"]
        slope = h[i - 1] * (1 - h[i - 1]) if f is sigmoid else mpmath.diff(f, z)
        values[f"dyhat/dh1_{i}"] = B[i - 1]
        values[f"dh1_{i}/dz1_{i}"] = keep(slope)
        for j in (1, 2):
            values[f"dz1_{i}/da{i}{j}"] = x[j - 1]
            gradient = values[f"dL/da{i}{j}"] = keep(d_yhat * B[i - 1] * values[f"dh1_{i}/dz1_{i}"] * x[j - 1])
            if lr is not None:
                values[f"a{i}{j}'"] = keep(WS23_A[i - 1][j - 1] - lr * gradient)
        values[f"dyhat/db1{i}"] = h[i - 1]
        gradient = values[f"dL/db1{i}"] = keep(d_yhat * h[i - 1])
        if lr is not None:
            values[f"b1{i}'"] = keep(WS23_B[i - 1] - lr * gradient)
    return values


def only(values: dict, keys) -> dict:
    return {key: values[key] for key in keys}


@pytest.mark.parametrize("figures", [None, 4, 3])
def test_the_transposed_weight_is_named_not_the_sign(ws23, figures):
    """Exercise 2, x = (1, 1): a12 = 0 read for a21 = −2 gives z1_2 = 1 where −1 is right: the sign flips, but
    the cause is the transposed entry (the old hint said "the sign is wrong")."""
    transposed = [[1, 0], [0, 1]]  # a21 read as a12
    student = ws23_student((1, 1), mpmath.mpf("2.12"), A=transposed, figures=figures)
    assert student["z1_2"] == -ws23_student((1, 1), mpmath.mpf("2.12"), figures=None)["z1_2"]  # the sign flips
    answers = written(only(student, ["z1_1", "h1_1", "z1_2", "h1_2", "yhat", "L"]), figures)
    report = symback.check(ws23, {"2": answers})
    first = report.first_wrong
    assert (first.key, first.status) == ("z1_2", "wrong")
    assert "a12 in place of a21" in first.reason and "transposed" in first.reason
    assert "sign" not in first.reason


@pytest.mark.parametrize("key", ["h1_2", "yhat", "L"])
def test_the_transposed_weight_is_named_through_working_left_out(ws23, key):
    """Only a later value written: z1_2 (and h1_2) left out, the slip still named."""
    student = ws23_student((1, 1), mpmath.mpf("2.12"), A=[[1, 0], [0, 1]], figures=4)
    report = symback.check(ws23, {"2": written({key: student[key]}, 4)})
    found = verdict(report, "2", key)
    assert found.status == "wrong" and "a12 in place of a21" in found.reason


def test_the_neighbouring_output_weight_is_named(ws23):
    """b11 read for b12 in the forward pass: ŷ = σ(1) + σ(1) where 0 is right."""
    student = ws23_student((1, 3), 2, B=[1, 1], figures=4)
    report = symback.check(ws23, {"3": written(only(student, ["yhat"]), 4)})
    found = verdict(report, "3", "yhat")
    assert found.status == "wrong" and "b11 in place of b12" in found.reason


def test_a_weight_read_for_its_negative_is_the_sign(ws23):
    """∂ŷ/∂h1_2 = b12 = −1 written as 1: that is b11 as well, but a wrong sign explains it as well: the sign."""
    report = symback.check(ws23, {"4": {"dyhat/dh1_2": "1"}})
    assert verdict(report, "4", "dyhat/dh1_2").reason == "the sign is wrong"


# --- f ≡ 0 ignored: WS23 exercise 6 worked with σ anyway


@pytest.mark.parametrize("figures", [None, 4, 3])
def test_zero_activation_ignored_is_named(ws23, figures):
    """Exercise 6 sets f ≡ 0, so every ∂L/∂a is 0 and A stays; this student used σ all the same."""
    student = ws23_student((1, 3), 2, lr=mpmath.mpf("3.14"), figures=figures)
    working = ["z1_1", "h1_1", "z1_2", "h1_2", "yhat", "L", "dL/dyhat"]
    report = symback.check(ws23, {"6": written(only(student, working), figures)})
    first = report.first_wrong
    assert (first.key, first.status) == ("h1_1", "wrong") and "f ≡ 0" in first.reason
    updates = [f"a{i}{j}'" for i in (1, 2) for j in (1, 2)]
    report = symback.check(ws23, {"6": written(only(student, updates), figures)})  # the working left out
    for key in updates:
        found = verdict(report, "6", key)
        assert found.status == "wrong" and "f ≡ 0" in found.reason and "sigmoid" in found.reason, key


def test_zero_activation_derivative_written_as_sigma_prime_is_named(ws23):
    student = ws23_student((1, 3), 2, lr=mpmath.mpf("3.14"), figures=4)
    report = symback.check(ws23, {"6": written(only(student, ["dh1_2/dz1_2", "dL/da21"]), 4)})
    assert "f ≡ 0" in verdict(report, "6", "dh1_2/dz1_2").reason
    assert verdict(report, "6", "dL/da21").status == "carried forward"


# --- a neighbouring weight: Mazur's 2–2–2 network (sigmoid, shared biases, ½ squared error)

MAZUR = """
title = "Mazur's step-by-step example"
[network]
inputs = ["x1", "x2"]
[[network.layers]]
weights = [["w1", "w2"], ["w3", "w4"]]
bias = ["b1", "b1"]
activation = "sigmoid"
[[network.layers]]
weights = [["w5", "w6"], ["w7", "w8"]]
bias = ["b2", "b2"]
activation = "sigmoid"
[parameters]
w1 = 0.15
w2 = 0.20
w3 = 0.25
w4 = 0.30
w5 = 0.40
w6 = 0.45
w7 = 0.50
w8 = 0.55
b1 = 0.35
b2 = 0.60
[loss]
kind = "half_squared_error"
[[exercises]]
id = "1"
task = "gradient"
x = [0.05, 0.10]
y = [0.01, 0.99]
params = ["w1", "w7"]
"""
MAZUR_W = {"w1": "0.15", "w2": "0.20", "w3": "0.25", "w4": "0.30", "w5": "0.40", "w6": "0.45", "w7": "0.50",
           "w8": "0.55", "b1": "0.35", "b2": "0.60"}


def mazur_student(forward: dict, backward: dict, figures=4) -> dict:
    """Mazur's forward pass with the weights ``forward``, the chain-rule factors ∂z2/∂h1_1 with ``backward``."""
    keep = rounded_to(figures)
    w = {name: mpmath.mpf(value) for name, value in forward.items()}
    x, y = (mpmath.mpf("0.05"), mpmath.mpf("0.10")), (mpmath.mpf("0.01"), mpmath.mpf("0.99"))
    v = {}
    v["z1_1"] = keep(w["w1"] * x[0] + w["w2"] * x[1] + w["b1"])
    v["z1_2"] = keep(w["w3"] * x[0] + w["w4"] * x[1] + w["b1"])
    h1, h2 = v["h1_1"], v["h1_2"] = keep(sigmoid(v["z1_1"])), keep(sigmoid(v["z1_2"]))
    v["z2_1"] = keep(w["w5"] * h1 + w["w6"] * h2 + w["b2"])
    v["z2_2"] = keep(w["w7"] * h1 + w["w8"] * h2 + w["b2"])
    o1, o2 = v["yhat1"], v["yhat2"] = keep(sigmoid(v["z2_1"])), keep(sigmoid(v["z2_2"]))
    v["L"] = keep(((o1 - y[0]) ** 2 + (o2 - y[1]) ** 2) / 2)
    v["dL/dyhat1"], v["dL/dyhat2"] = keep(o1 - y[0]), keep(o2 - y[1])
    v["dyhat1/dz2_1"], v["dyhat2/dz2_2"] = keep(o1 * (1 - o1)), keep(o2 * (1 - o2))
    v["dz2_1/dh1_1"], v["dz2_2/dh1_1"] = mpmath.mpf(backward["w5"]), mpmath.mpf(backward["w7"])
    v["dh1_1/dz1_1"] = keep(h1 * (1 - h1))
    v["dz1_1/dw1"] = x[0]
    v["dL/dw1"] = keep((v["dL/dyhat1"] * v["dyhat1/dz2_1"] * v["dz2_1/dh1_1"]
                        + v["dL/dyhat2"] * v["dyhat2/dz2_2"] * v["dz2_2/dh1_1"]) * v["dh1_1/dz1_1"] * x[0])
    v["dz2_2/dw7"] = h1
    v["dL/dw7"] = keep(v["dL/dyhat2"] * v["dyhat2/dz2_2"] * h1)
    return v


@pytest.fixture(scope="module")
def mazur():
    return build_checklist(symback.loads(MAZUR))


@pytest.mark.parametrize("used, words", [
    ("w6", "transposed"),  # row 1, column 2 for row 2, column 1
    ("w5", "neighbouring unit's weight"),  # o1's weight from h1 for o2's
    ("w8", "same unit's weight from another input"),  # o2's weight from h2 for its weight from h1
])
@pytest.mark.parametrize("figures", [4, 3])
def test_a_neighbouring_weight_is_named(mazur, used, words, figures):
    """w7 read as another weight of its layer, in the forward pass: z2_2 is the first wrong value; its hint
    names which weight was used."""
    slipped = dict(MAZUR_W, w7=MAZUR_W[used])
    student = mazur_student(slipped, slipped, figures)
    report = symback.check(mazur, {"1": written(student, figures)})
    first = report.first_wrong
    assert (first.key, first.status) == ("z2_2", "wrong")
    assert f"{used} in place of w7 gives" in first.reason and words in first.reason


@pytest.mark.parametrize("figures", [4, 3])
def test_a_neighbouring_weight_in_the_chain_rule_is_named(mazur, figures):
    """The forward pass right, ∂z2_2/∂h1_1 = w7 read as w6 (the issue's student: ∂L/∂w1 = 0.000456…): the
    factor gets the hint; with the factors left out, ∂L/∂w1 itself does."""
    student = mazur_student(MAZUR_W, dict(MAZUR_W, w7=MAZUR_W["w6"]), figures)
    report = symback.check(mazur, {"1": written(student, figures)})
    first = report.first_wrong
    assert first.key == "dz2_2/dh1_1" and "w6 in place of w7" in first.reason
    report = symback.check(mazur, {"1": written({"dL/dw1": student["dL/dw1"]}, figures)})
    found = verdict(report, "1", "dL/dw1")
    assert found.status == "wrong" and "w6 in place of w7" in found.reason


# --- log base 10 for ln in a cross-entropy

BCE = """
title = "WS23's network with a sigmoid output and binary cross-entropy"
[network]
inputs = ["x1", "x2"]
[[network.layers]]
weights = "A"
values = [[1, 0], [-2, 1]]
activation = "sigmoid"
[[network.layers]]
weights = "B"
values = [[1, -1]]
activation = "sigmoid"
[loss]
kind = "binary_cross_entropy"
[[exercises]]
id = "1"
task = "sgd"
x = [1, 1]
y = 1
lr = 0.5
params = ["b12", "a22"]
"""


def bce_student(log, figures=4) -> dict:
    """Forward, L = −[y log ŷ + (1 − y) log(1 − ŷ)] and its gradients with the logarithm ``log``: with log₁₀,
    ∂L/∂ŷ = d/dŷ of that L (by mpmath's own differentiation, not a formula from the checker)."""
    keep = rounded_to(figures)
    x, y, lr = (1, 1), 1, mpmath.mpf("0.5")
    v = {}
    v["z1_1"] = keep(WS23_A[0][0] * x[0] + WS23_A[0][1] * x[1])
    v["z1_2"] = keep(WS23_A[1][0] * x[0] + WS23_A[1][1] * x[1])
    h1, h2 = v["h1_1"], v["h1_2"] = keep(sigmoid(v["z1_1"])), keep(sigmoid(v["z1_2"]))
    v["z2_1"] = keep(WS23_B[0] * h1 + WS23_B[1] * h2)
    yhat = v["yhat"] = keep(sigmoid(v["z2_1"]))

    def loss(p):
        return -(y * log(p) + (1 - y) * log(1 - p))

    v["L"] = keep(loss(yhat))
    d_yhat = v["dL/dyhat"] = keep(mpmath.diff(loss, yhat))
    d_z2 = v["dyhat/dz2_1"] = keep(yhat * (1 - yhat))
    v["dz2_1/db12"] = h2
    v["dL/db12"] = keep(d_yhat * d_z2 * h2)
    v["dz2_1/dh1_2"] = WS23_B[1]
    v["dh1_2/dz1_2"] = keep(h2 * (1 - h2))
    v["dz1_2/da22"] = x[1]
    v["dL/da22"] = keep(d_yhat * d_z2 * WS23_B[1] * v["dh1_2/dz1_2"] * x[1])
    v["b12'"] = keep(WS23_B[1] - lr * v["dL/db12"])
    v["a22'"] = keep(WS23_A[1][1] - lr * v["dL/da22"])
    return v


@pytest.fixture(scope="module")
def bce():
    return build_checklist(symback.loads(BCE))


@pytest.mark.parametrize("figures", [None, 4, 3])
def test_log_base_10_in_the_loss_is_named(bce, figures):
    student = bce_student(mpmath.log10, figures)
    report = symback.check(bce, {"1": written(student, figures)})
    first = report.first_wrong
    assert (first.key, first.status) == ("L", "wrong") and "log base 10" in first.reason


@pytest.mark.parametrize("key", ["dL/dyhat", "dL/db12", "dL/da22", "b12'", "a22'"])
def test_log_base_10_in_the_derivative_is_named_where_it_first_shows(bce, key):
    """L written right, the derivative (or only what follows from it) taken with log₁₀."""
    right, slipped = bce_student(mpmath.log, 4), bce_student(mpmath.log10, 4)
    answers = {"L": right["L"], key: slipped[key]}
    report = symback.check(bce, {"1": written(answers, 4)})
    found = verdict(report, "1", key)
    assert found.status == "wrong" and "log base 10" in found.reason


# --- the sign only where the sign is the cause


def test_a_sign_slip_is_still_named(ws23):
    right = ws23_student((1, 3), 2, lr=2, figures=None)
    report = symback.check(ws23, {"4": written({"dL/dyhat": -right["dL/dyhat"]}, 4)})
    assert verdict(report, "4", "dL/dyhat").reason == "the sign is wrong"
    report = symback.check(ws23, {"4": written({"dL/da22": -right["dL/da22"]}, 4)})
    assert verdict(report, "4", "dL/da22").reason == "the sign is wrong"


@pytest.mark.parametrize("slip", [
    lambda v: v * mpmath.mpf("1.25"),  # a factor misread
    lambda v: v + mpmath.mpf("0.3"),  # a term added wrongly
    lambda v: -v * mpmath.mpf("0.8"),  # another sign and a wrong factor: −value does not match
    lambda v: v / 3,  # a factor divided instead of multiplied
])
@pytest.mark.parametrize("key", ["z1_2", "h1_2", "dL/dyhat", "dh1_2/dz1_2", "dL/db12", "dL/da22", "b12'"])
def test_an_arithmetic_slip_gets_no_sign_hint(ws23, slip, key):
    right = ws23_student((1, 3), 2, lr=2, figures=None)
    exercise = {"z1_2": "3", "h1_2": "3", "b12'": "5"}.get(key, "4")
    report = symback.check(ws23, {exercise: written({key: slip(right[key])}, 4)})
    found = verdict(report, exercise, key)
    assert found.status == "wrong" and "sign" not in found.reason


# --- the work a hint does: passes counted, never timed


def counting_passes(monkeypatch) -> list:
    from symback.checker import (
        slip_values,  # here, so that the file runs on a checker without it
    )

    made = []
    real = slip_values.compute_pass

    def counted(*args, **kwargs):
        made.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(slip_values, "compute_pass", counted)
    return made


def test_slip_passes_are_made_once_for_every_student(monkeypatch):
    checklist = build_checklist(symback.load(ROOT / "problems" / "ws23_backprop.toml"))
    made = counting_passes(monkeypatch)
    student = written(only(ws23_student((1, 3), 2, lr=mpmath.mpf("3.14"), figures=4), ["h1_1", "a11'", "a22'"]), 4)
    answers = {"6": student, "2": {"z1_2": "1", "yhat": "0.1"}, "4": {"dL/da22": "2.5"}}
    first = symback.check(checklist, answers)
    after_one = len(made)
    assert after_one > 0
    for _ in range(4):
        assert symback.check(checklist, answers).verdicts == first.verdicts
    assert len(made) == after_one


def test_no_slip_pass_for_a_network_too_large_to_work_by_hand(monkeypatch):
    n = 15  # 225 weights
    rows = ", ".join("[" + ", ".join(str((i + j) % 3 - 1) for j in range(n)) + "]" for i in range(n))
    problem = symback.loads(f"""
title = "wide"
[network]
inputs = {n}
[[network.layers]]
weights = "A"
values = [{rows}]
activation = "sigmoid"
[[network.layers]]
weights = "B"
values = [[{", ".join(["1"] * n)}]]
activation = "identity"
[loss]
kind = "squared_error"
[[exercises]]
id = "1"
task = "sgd"
x = [{", ".join(["1"] * n)}]
y = 1
lr = 1
params = ["b1_1"]
activation = {{ "1" = "zero" }}
""")
    made = counting_passes(monkeypatch)
    report = symback.check(problem, {"1": {"yhat": "5", "b1_1'": "7"}})
    assert verdict(report, "1", "b1_1'").status == "wrong" and made == []


SOFTMAX = """
title = "Two logits, softmax cross-entropy"
[network]
inputs = ["x1", "x2"]
[[network.layers]]
weights = "W"
values = [[1, 2], [-1, 0.5]]
activation = "identity"
[loss]
kind = "softmax_cross_entropy"
[[exercises]]
id = "1"
task = "gradient"
x = [1, 2]
y = [0, 1]
params = ["w21"]
"""


@pytest.mark.parametrize("figures", [None, 4])
def test_log_base_10_in_softmax_cross_entropy_is_named(figures):
    """L = −log p₂ of the softmax of the logits (1·1 + 2·2, −1·1 + 0.5·2), written with log₁₀."""
    logits = [mpmath.mpf(5), mpmath.mpf(0)]
    p2 = mpmath.exp(logits[1]) / (mpmath.exp(logits[0]) + mpmath.exp(logits[1]))
    report = symback.check(symback.loads(SOFTMAX), {"1": written({"L": -mpmath.log10(p2)}, figures)})
    found = verdict(report, "1", "L")
    assert found.status == "wrong" and "log base 10" in found.reason
