"""The checker marks like a careful person (issue 13, points 1-3): rounding carried forward, values near zero,
and a right value from wrong working.

Each test builds a student here, independently of the checker: a forward and backward pass in mpmath, every
value rounded to n significant figures and carried forward rounded, as a student with a calculator does, with a
slip put in where the test says. The expected verdicts follow from that model: the slip is wrong; what the slip
moved is carried forward; what it did not move scores as correct or rounding.
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
SCORING_CLEAN = {"correct", "rounding"}
POLICIES = [symback.Tolerance(), symback.Tolerance("significant_figures", 3)]  # both accept 3 figures

# Mazur's "step by step backpropagation example": inputs 0.05, 0.10, targets 0.01, 0.99, half squared error.
# Mazur's w1..w8 are w11 w12 w21 w22 (layer 1) and v11 v12 v21 v22 (layer 2); his w6 is v12, his w7 is v21.
MAZUR = """
title = "Mazur's 2-2-2 network"
[network]
inputs = ["i1", "i2"]
[[network.layers]]
weights = "w"
values = [[0.15, 0.20], [0.25, 0.30]]
bias = "b"
bias_values = [0.35, 0.35]
activation = "sigmoid"
[[network.layers]]
weights = "v"
values = [[0.40, 0.45], [0.50, 0.55]]
bias = "c"
bias_values = [0.60, 0.60]
activation = "sigmoid"
[loss]
kind = "half_squared_error"
[[exercises]]
id = "1"
task = "gradient"
x = [0.05, 0.10]
y = [0.01, 0.99]
params = ["w11", "w12", "b1"]
"""
W = {"w11": "0.15", "w12": "0.20", "w21": "0.25", "w22": "0.30", "b1": "0.35", "b2": "0.35",
     "v11": "0.40", "v12": "0.45", "v21": "0.50", "v22": "0.55", "c1": "0.60", "c2": "0.60"}
X, Y = ("0.05", "0.10"), ("0.01", "0.99")


def mazur_student(figures=3, w6_for_w7=False, sigma_for_derivative=False):
    """Every quantity of the sheet as the student works it out, rounded to ``figures`` and carried forward.

    The gradient is worked out the textbook way, through δ terms the sheet does not ask for, each rounded too.
    ``w6_for_w7``: the backward pass reads w6 (v12) where w7 (v21) belongs; the forward pass is right."""
    r = rounded_to(figures)
    p = {name: mpmath.mpf(value) for name, value in W.items()}
    i1, i2 = (mpmath.mpf(v) for v in X)
    y1, y2 = (mpmath.mpf(v) for v in Y)
    v21 = p["v12"] if w6_for_w7 else p["v21"]  # in the backward pass only
    s = {}
    s["z1_1"] = r(p["b1"] + i1 * p["w11"] + i2 * p["w12"])
    s["h1_1"] = r(sigmoid(s["z1_1"]))
    s["z1_2"] = r(p["b2"] + i1 * p["w21"] + i2 * p["w22"])
    s["h1_2"] = r(sigmoid(s["z1_2"]))
    s["z2_1"] = r(p["c1"] + s["h1_1"] * p["v11"] + s["h1_2"] * p["v12"])
    s["yhat1"] = r(sigmoid(s["z2_1"]))
    s["z2_2"] = r(p["c2"] + s["h1_1"] * p["v21"] + s["h1_2"] * p["v22"])
    s["yhat2"] = r(sigmoid(s["z2_2"]))
    s["L"] = r((s["yhat1"] - y1) ** 2 / 2 + (s["yhat2"] - y2) ** 2 / 2)
    s["dL/dyhat1"] = r(s["yhat1"] - y1)
    s["dyhat1/dz2_1"] = r(s["yhat1"] * (1 - s["yhat1"]))
    s["dz2_1/dh1_1"] = p["v11"]
    s["dh1_1/dz1_1"] = r(s["h1_1"] if sigma_for_derivative else s["h1_1"] * (1 - s["h1_1"]))
    s["dz1_1/dw11"] = i1
    s["dL/dyhat2"] = r(s["yhat2"] - y2)
    s["dyhat2/dz2_2"] = r(s["yhat2"] * (1 - s["yhat2"]))
    s["dz2_2/dh1_1"] = v21
    s["dz1_1/dw12"] = i2
    s["dz1_1/db1"] = mpmath.mpf(1)
    delta1 = r(s["dL/dyhat1"] * s["dyhat1/dz2_1"])
    delta2 = r(s["dL/dyhat2"] * s["dyhat2/dz2_2"])
    through_h1 = r(delta1 * s["dz2_1/dh1_1"] + delta2 * s["dz2_2/dh1_1"])
    delta_h1 = r(through_h1 * s["dh1_1/dz1_1"])
    s["dL/dw11"] = r(delta_h1 * i1)
    s["dL/dw12"] = r(delta_h1 * i2)
    s["dL/db1"] = r(delta_h1)
    return s


def written(values, figures=3):
    return {key: mpmath.nstr(value, figures) for key, value in values.items()}


def far_from(value, exact, relative="0.001"):
    return abs(value - exact) > mpmath.mpf(relative) * abs(exact)


@pytest.fixture(scope="module")
def mazur():
    return build_checklist(symback.loads(MAZUR))


@pytest.fixture(scope="module")
def ws23():
    return build_checklist(symback.load(ROOT / "problems" / "ws23_backprop.toml"))


def statuses(report, exercise):
    return {v.key: v.status for v in report.verdicts if v.exercise == exercise and v.status != "missing"}


def expected_from_model(student, clean, slips):
    """The careful marker's verdicts: the slips are wrong; a value the slips moved (against the same student
    without them, rounding alike) by more than 1 % is carried forward; one they did not move scores as correct
    or rounding (which of the two depends on the rounding only). A value moved by less is left out: either is
    defensible."""
    expected = {}
    for key in student:
        if key in slips:
            expected[key] = "wrong"
        elif far_from(student[key], clean[key], "0.01"):
            expected[key] = "carried forward"
        elif student[key] == clean[key]:
            expected[key] = "clean"
    return expected


def assert_marked_as(report, exercise, expected):
    got = statuses(report, exercise)
    mismatched = {key: (want, got.get(key)) for key, want in expected.items()
                  if not (got.get(key) == want or (want == "clean" and got.get(key) in SCORING_CLEAN))}
    assert not mismatched, mismatched


# 1. Carried forward keeps the rounding allowance of the figures the student carries ---------------------------------

@pytest.mark.parametrize("policy", POLICIES, ids=["relative", "figures"])
def test_clean_work_at_three_figures_carried_forward_is_never_wrong(mazur, policy):
    student, exact = mazur_student(3), mazur_student(None)
    assert any(far_from(student[key], exact[key]) for key in student)  # rounding alone: not all within 1e-3
    report = symback.check(mazur, {"1": written(student)}, tolerance=policy)
    assert set(statuses(report, "1").values()) <= SCORING_CLEAN, statuses(report, "1")


@pytest.mark.parametrize("policy", POLICIES, ids=["relative", "figures"])
def test_w6_for_w7_at_three_figures_carries_forward_to_the_gradient(mazur, policy):
    student, clean = mazur_student(3, w6_for_w7=True), mazur_student(3)
    # the case: the gradient from the student's written factors, in exact arithmetic, is 0.0004572, not
    # the 0.000456 of a student rounding their δ terms: more than half a unit in the 3rd figure, and 2.6e-3 off
    own = sum(student[a] * student[b] * student[c] for a, b, c in (("dL/dyhat1", "dyhat1/dz2_1", "dz2_1/dh1_1"),
                                                                  ("dL/dyhat2", "dyhat2/dz2_2", "dz2_2/dh1_1")))
    own_w11 = own * student["dh1_1/dz1_1"] * student["dz1_1/dw11"]
    assert mpmath.nstr(own_w11, 4) == "0.0004572" and mpmath.nstr(student["dL/dw11"], 3) == "0.000456"
    assert abs(own_w11 - student["dL/dw11"]) > mpmath.mpf("5e-7") and far_from(student["dL/dw11"], own_w11)
    expected = expected_from_model(student, clean, slips={"dz2_2/dh1_1"})
    assert expected["dL/dw11"] == expected["dL/dw12"] == expected["dL/db1"] == "carried forward"
    report = symback.check(mazur, {"1": written(student)}, tolerance=policy)
    assert_marked_as(report, "1", expected)
    assert report.first_wrong.key == "dz2_2/dh1_1"


@pytest.mark.parametrize("policy", POLICIES, ids=["relative", "figures"])
def test_sigma_for_its_derivative_at_three_figures_costs_one_mark_not_four(mazur, policy):
    student, clean = mazur_student(3, sigma_for_derivative=True), mazur_student(3)
    expected = expected_from_model(student, clean, slips={"dh1_1/dz1_1"})
    assert [key for key in ("dL/dw11", "dL/dw12", "dL/db1") if expected[key] == "carried forward"] == \
        ["dL/dw11", "dL/dw12", "dL/db1"]
    report = symback.check(mazur, {"1": written(student)}, tolerance=policy)
    assert_marked_as(report, "1", expected)
    assert sum(1 for status in statuses(report, "1").values() if status == "wrong") == 1


def ws23_student(figures, sigma_for_derivative=False, dl_dyhat_sign=1, uphill=False):
    """WS23 exercises 3 to 5 (x = (1, 3), y = 2, α = 2) as the student works them, rounded to ``figures``."""
    r = rounded_to(figures)
    a11, a12, a21, a22, b11, b12 = (mpmath.mpf(v) for v in (1, 0, -2, 1, 1, -1))
    x1, x2, y, rate = mpmath.mpf(1), mpmath.mpf(3), mpmath.mpf(2), mpmath.mpf(2)
    s = {}
    s["z1_1"] = r(a11 * x1 + a12 * x2)
    s["h1_1"] = r(sigmoid(s["z1_1"]))
    s["z1_2"] = r(a21 * x1 + a22 * x2)
    s["h1_2"] = r(sigmoid(s["z1_2"]))
    s["yhat"] = r(b11 * s["h1_1"] + b12 * s["h1_2"])
    s["L"] = r((s["yhat"] - y) ** 2)
    s["dL/dyhat"] = r(dl_dyhat_sign * (2 * s["yhat"] - 2 * y))
    s["dyhat/db12"] = s["h1_2"]
    s["dL/db12"] = r(s["dL/dyhat"] * s["dyhat/db12"])
    s["dyhat/dh1_2"] = b12
    s["dh1_2/dz1_2"] = r(s["h1_2"] if sigma_for_derivative else s["h1_2"] * (1 - s["h1_2"]))
    s["dz1_2/da22"] = x2
    s["dL/da22"] = r(s["dL/dyhat"] * s["dyhat/dh1_2"] * s["dh1_2/dz1_2"] * s["dz1_2/da22"])
    step = 1 if uphill else -1
    s["b12'"] = r(b12 + step * rate * s["dL/db12"])
    s["a22'"] = r(a22 + step * rate * s["dL/da22"])
    return s


WS23_EXERCISE = {"z1_1": "3", "h1_1": "3", "z1_2": "3", "h1_2": "3", "yhat": "3", "L": "3", "b12'": "5", "a22'": "5"}


def ws23_answers(student, figures):
    answers = {}
    for key, value in written(student, figures).items():
        answers.setdefault(WS23_EXERCISE.get(key, "4"), {})[key] = value
    return answers


@pytest.mark.parametrize("figures", [3, 4])
def test_ws23_sigma_for_its_derivative_is_one_slip(ws23, figures):
    student, clean = ws23_student(figures, sigma_for_derivative=True), ws23_student(figures)
    expected = expected_from_model(student, clean, slips={"dh1_2/dz1_2"})
    assert expected["dL/da22"] == expected["a22'"] == "carried forward"
    report = symback.check(ws23, ws23_answers(student, figures))
    for exercise in ("3", "4", "5"):
        assert_marked_as(report, exercise, {k: v for k, v in expected.items() if WS23_EXERCISE.get(k, "4") == exercise})


# 2. Values whose own-values result is near zero ----------------------------------------------------------------------

@pytest.mark.parametrize("h1_1", ["0.7311", "e/(1+e)", None])
def test_yhat_zero_from_a_sign_slip_in_z_is_carried_forward(ws23, h1_1):
    """Exercise 2 (x = (1, 1)): z1_2 = −1, written 1; h1_2 left out; then ŷ = σ(1) − σ(1) = 0 from the student's
    own values (the docs' example of a chain followed through a gap)."""
    e = mpmath.e
    own_yhat = (mpmath.mpf("0.7311") if h1_1 == "0.7311" else e / (1 + e)) - sigmoid(1)
    assert abs(own_yhat) < mpmath.mpf("5e-5")  # zero, to the rounding of the student's h1_1
    exact_yhat = sigmoid(1) - sigmoid(-1)
    assert far_from(mpmath.mpf(0), exact_yhat)
    answers = {"z1_1": "1", "z1_2": "1", "yhat": "0", "L": mpmath.nstr((0 - mpmath.mpf("2.12")) ** 2, 4)}
    if h1_1:
        answers["h1_1"] = h1_1
    report = symback.check(ws23, {"2": answers})
    got = statuses(report, "2")
    assert got["z1_2"] == "wrong"
    assert got["yhat"] == "carried forward" and got["L"] == "carried forward", got
    assert "E-" not in report.headline and "0.0000414" not in report.headline


def test_an_exact_zero_stays_exact(ws23):
    """With nothing rounded on the way, the student's own ŷ is exactly 0: a small number is not 0."""
    report = symback.check(ws23, {"2": {"z1_1": "1", "h1_1": "e/(1+e)", "z1_2": "1", "h1_2": "e/(1+e)",
                                        "yhat": "0.0001"}})
    assert statuses(report, "2")["yhat"] == "wrong"
    report = symback.check(ws23, {"3": {"h1_1": "e/(1+e)", "h1_2": "e/(1+e)", "yhat": "0.0001"}})  # right ŷ: 0
    assert statuses(report, "3")["yhat"] == "wrong"


def test_a_value_left_out_may_have_been_rounded_near_zero(ws23):
    """h1_1 and h1_2 left out and rounded on the calculator (0.731 each): ŷ = 0 in exercise 2 after z1_2 = 1."""
    report = symback.check(ws23, {"2": {"z1_1": "1", "z1_2": "1", "yhat": "0"}})
    assert statuses(report, "2")["yhat"] == "carried forward"


# 3. A right value from wrong working ---------------------------------------------------------------------------------

def test_two_slips_that_cancel_are_not_plain_correct(ws23):
    """∂L/∂ŷ with the wrong sign, then θ + α·g: b12' comes out right, but the student's own working gives
    b12 − α·(their ∂L/∂b12)."""
    student, exact = ws23_student(4, dl_dyhat_sign=-1, uphill=True), ws23_student(None)
    assert abs(student["b12'"] - exact["b12'"]) <= mpmath.mpf("0.001") * abs(exact["b12'"])  # the right value
    own = mpmath.mpf(-1) - 2 * student["dL/db12"]
    assert mpmath.nstr(own, 4) == "-6.848"
    answers = ws23_answers(student, 4)
    del answers["5"]["a22'"]
    report = symback.check(ws23, answers)
    found = next(v for v in report.verdicts if (v.exercise, v.key) == ("5", "b12'"))
    assert statuses(report, "4")["dL/dyhat"] == "wrong"
    assert found.status == "wrong working" and found.points == 0
    assert found.carried_from == ("4", "dL/dyhat")
    explained = found.explanation(4)
    assert "-6.848" in explained and "right value" in explained and "subtracts" in explained
    assert not report.all_right and report.first_wrong.key == "dL/dyhat"
    assert report.as_dict()["verdicts"][[v.key for v in report.verdicts].index("b12'")]["status"] == "wrong working"


def test_a_right_value_from_right_working_after_a_slip_elsewhere_is_correct(ws23):
    """A slip in a22's chain does not touch b12': its right value stays plain correct."""
    student = ws23_student(4, sigma_for_derivative=True)
    report = symback.check(ws23, ws23_answers(student, 4))
    assert statuses(report, "5")["b12'"] in SCORING_CLEAN


def test_a_slip_in_writing_a_value_down_then_the_right_step_is_credited(ws23):
    """z1_2 written as 1.2 but σ(1) used next (a slip in copying): h1_2 is right, not from the written z1_2;
    credited, and everything after it is clean."""
    student = ws23_student(4)
    answers = ws23_answers(student, 4)
    answers["3"]["z1_2"] = "1.2"
    assert mpmath.nstr(sigmoid(mpmath.mpf("1.2")), 4) != answers["3"]["h1_2"]  # the written z1_2 gives another h
    report = symback.check(ws23, answers)
    found = next(v for v in report.verdicts if (v.exercise, v.key) == ("3", "h1_2"))
    assert found.status == "wrong working" and found.credited and found.points == 1
    assert "credited" in found.explanation(4) and found.carried_from == ("3", "z1_2")
    later = {key: status for key, status in statuses(report, "4").items()} | statuses(report, "5")
    assert set(later.values()) <= SCORING_CLEAN, later
    written_down = [v for v in report.verdicts if v.exercise in ("3", "4", "5") and v.status != "missing"]
    assert sum(v.points for v in written_down) == len(written_down) - 1  # only z1_2 costs a point
