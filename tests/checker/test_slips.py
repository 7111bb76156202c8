"""Slips a careful marker recognises: σ' written through h, rounding on the way, and the hints that name a slip.

Expected values are computed here with mpmath (σ, σ' and the WS23 numbers: A = [[1,0],[-2,1]], B = [1,-1],
x = (1, 3), y = 2, α = 2), never taken from the product.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import mpmath
import pytest
from cli_helpers import run

import symback
from symback.checker.checklist import build_checklist
from symback.errors import ArgumentError
from symback.problem.activations import H
from symback.problem.model import ActivationSpec

ROOT = Path(__file__).resolve().parents[2]
PROBLEM = ROOT / "problems" / "ws23_backprop.toml"
mpmath.mp.dps = 40


def sigmoid(z):
    return 1 / (1 + mpmath.exp(-z))


def text(value, places: int) -> str:
    return mpmath.nstr(mpmath.mpf(value), 40, strip_zeros=False) if places is None else f"{float(value):.{places}f}"


@pytest.fixture(scope="module")
def checklist():
    return build_checklist(symback.load(PROBLEM))


def verdict(report, exercise, key):
    return next(v for v in report.verdicts if (v.exercise, v.key) == (exercise, key))


@pytest.mark.parametrize("kind", ["sigmoid", "tanh", "softplus"])
def test_derivative_through_the_output_is_the_derivative(kind):
    activation = symback.problem.activations.make_activation(ActivationSpec(kind))
    functions = {"sigmoid": (sigmoid, lambda z: sigmoid(z) * (1 - sigmoid(z))),
                 "tanh": (mpmath.tanh, lambda z: 1 - mpmath.tanh(z) ** 2),
                 "softplus": (lambda z: mpmath.log(1 + mpmath.exp(z)), sigmoid)}
    function, derivative = functions[kind]
    for z in (-2.5, -0.3, 0, 0.7, 3):
        through_output = activation.derivative_in_output.subs(H, function(z))
        assert abs(float(through_output) - float(derivative(z))) < 1e-12


def test_sigma_prime_as_h_times_one_minus_h_follows_a_slip_in_h(checklist):
    h = mpmath.mpf("0.75")  # a slip: σ(1) = 0.7311
    report = symback.check(checklist, {"3": {"h1_2": "0.75"}, "4": {"dh1_2/dz1_2": text(h * (1 - h), None)}})
    assert verdict(report, "3", "h1_2").status == "wrong"
    followed = verdict(report, "4", "dh1_2/dz1_2")
    assert followed.status == "carried forward" and followed.carried_from == ("3", "h1_2")


SATURATED = """
title = "One saturated unit"
[network]
inputs = 1
[[network.layers]]
weights = "W"
values = [[3.5]]
activation = "sigmoid"
[loss]
kind = "squared_error"
[[exercises]]
id = "1"
task = "gradient"
x = [1]
y = 1
"""


def test_sigma_prime_from_h_rounded_to_three_figures_is_rounding():
    h = sigmoid(mpmath.mpf("3.5"))
    h3 = mpmath.mpf(mpmath.nstr(h, 3))  # what the student wrote: 3 significant figures
    derivative = h3 * (1 - h3)
    exact = h * (1 - h)
    assert abs(derivative - exact) > mpmath.mpf("0.005") * exact  # 1 % off: far outside 1e-3
    report = symback.check(symback.loads(SATURATED), {"1": {"yhat": mpmath.nstr(h, 3),
                                                            "dyhat/dz1_1": mpmath.nstr(derivative, 4)}})
    assert verdict(report, "1", "dyhat/dz1_1").status == "rounding"


def test_rounding_on_the_way_in_working_left_out_is_rounding(checklist):
    e = mpmath.e
    rounded_derivative = mpmath.mpf(mpmath.nstr(e / (1 + e) ** 2, 3))  # σ'(1) ≈ 0.197 on the calculator
    answer = (-4) * (-1) * rounded_derivative * 3
    exact = 12 * e / (1 + e) ** 2
    assert abs(answer - exact) > exact / 1000  # not within the default tolerance
    report = symback.check(checklist, {"4": {"dL/da22": mpmath.nstr(answer, 4)}})
    assert verdict(report, "4", "dL/da22").status == "rounding"
    # the same distance from the right value in the other direction has no rounding to explain it
    report = symback.check(checklist, {"4": {"dL/da22": mpmath.nstr(2 * exact - answer, 4)}})
    assert verdict(report, "4", "dL/da22").status == "wrong"


def ws23_gradient_b12():
    e = mpmath.e
    return -4 * e / (1 + e)


@pytest.mark.parametrize("answer, words", [
    (lambda g: -1 + 2 * g, "subtracts"),  # θ + α·g: uphill
    (lambda g: -1 - g, "learning rate"),  # α left out
])
def test_update_slips_are_named(checklist, answer, words):
    value = answer(ws23_gradient_b12())
    report = symback.check(checklist, {"5": {"b12'": mpmath.nstr(value, 8)}})
    wrong = verdict(report, "5", "b12'")
    assert wrong.status == "wrong" and words in wrong.reason


def test_activation_left_out_is_named(checklist):
    report = symback.check(checklist, {"3": {"z1_2": "1", "h1_2": "1"}})  # h = z: σ not applied
    assert "not applied" in verdict(report, "3", "h1_2").reason


def test_too_few_figures_and_cut_off_digits_are_named(checklist):
    e = mpmath.e
    h = e / (1 + e)
    two_figures = mpmath.nstr(h, 2)
    cut = mpmath.nstr(mpmath.floor(e / (1 + e) ** 2 * 1000) / 1000, 3)  # σ'(1) = 0.19661… cut to 0.196
    report = symback.check(checklist, {"3": {"h1_1": two_figures}, "4": {"dh1_2/dz1_2": cut}})
    assert "significant figures" in verdict(report, "3", "h1_1").reason
    assert "cut off" in verdict(report, "4", "dh1_2/dz1_2").reason


def test_small_integers_do_not_name_another_quantity(checklist):
    report = symback.check(checklist, {"3": {"z1_2": "3"}})  # 3 is also x2 and ∂z/∂a22: no hint from that
    assert "value of" not in verdict(report, "3", "z1_2").reason


def test_tolerance_is_checked_when_made_and_reported_as_given():
    assert symback.Tolerance("relative", 0.01).amount == Decimal("0.01")
    assert symback.Tolerance("decimal_places", 3.0).amount == 3
    for bad in [("relative", 5), ("sig_figs", 3), ("decimal_places", 2.5), ("relative", "abc")]:
        with pytest.raises(ArgumentError):
            symback.Tolerance(*bad)
    report = symback.check(symback.load(PROBLEM), {}, tolerance=symback.Tolerance("decimal_places", 2))
    assert report.tolerance.source == "argument"



def test_a_misspelt_exercises_table_is_an_error(capsys, tmp_path):
    answers = tmp_path / "a.toml"
    answers.write_text('[exercise.3]\nz1_1 = "1"\n', encoding="utf-8")
    code, _, err = run(capsys, "check", PROBLEM, answers)
    assert code == 2 and "exercise: unknown key" in err and "[exercises.ID]" in err and err.count("\n") == 1


def test_unwritable_feedback_and_misused_options_are_one_line(capsys, tmp_path):
    answers = tmp_path / "a.toml"
    answers.write_text('[exercises.3]\nz1_1 = "1"\n', encoding="utf-8")
    for args in (["-o", answers / "under" / "a file.md"], ["-o", tmp_path], ["--format", "pdf"]):  # (a missing folder is made)
        code, _, err = run(capsys, "check", PROBLEM, answers, *args)
        assert code == 2 and err.startswith("symback: ") and err.count("\n") == 1, (args, err)
    assert not list((tmp_path).glob(".*.partial"))


def test_zero_for_a_tie_share_is_not_called_a_cut_off_digit():
    """max(x, y, w) at a tie of x and y gives each ½ (ties split); 0 is a wrong rule at the kink, not a cut."""
    p = symback.loads('title = "t"\n[expression]\nf = "max(x, y, w) * z"\nat = { x = 1, y = 1, w = 0, z = 2 }\n'
                      '[[exercises]]\nid = "1"\ntask = "gradient"\n')
    report = symback.check(p, {"1": {"dq1/dx": "0"}})
    found = verdict(report, "1", "dq1/dx")
    assert found.status == "wrong" and "cut off" not in (found.reason or "")
