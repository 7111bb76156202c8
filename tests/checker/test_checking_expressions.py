"""The checker on expression problems (circuits): every node forwards and backwards, each wire's local gradient,
SGD on the variables.

Expected values are computed here independently, in mpmath from the formulas as a student works them (the
backward pass written out by hand, and the gradients held against mpmath's numerical derivative of the whole
function), never from the engine's records. Answer sets are built the way students make them: all right, one
early slip with everything after it computed honestly from it, a sign error in a gradient, every value rounded
to 3 decimals and the rounded value used further on.
"""

from __future__ import annotations

import json
import tomllib
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import mpmath
import pytest
from cli_helpers import fill_skeleton, run

import symback
from symback.checker.checklist import build_checklist
from symback.checker.skeleton import answers_skeleton
from symback.derive.exercise import run_exercise

ROOT = Path(__file__).resolve().parents[2]
CS231N = ROOT / "problems" / "circuit_cs231n.toml"
mp = mpmath.mp
DIGITS = 60  # mpmath's working precision here (other test modules set theirs at import: each test sets its own)


@pytest.fixture(autouse=True)
def precision():
    with mpmath.workdps(DIGITS):
        yield

SIMPLE = """
title = "The warm-up circuit"
[expression]
f = "(x + y) * z"
at = { x = -2, y = 5, z = -4 }

[[exercises]]
id = "1"
task = "forward"

[[exercises]]
id = "2"
task = "gradient"

[[exercises]]
id = "3"
task = "sgd"
lr = 0.5
params = ["x", "z"]
"""

WITH_LOSS = """
title = "A circuit with a loss"
[expression]
f = "(x + y) * z"
at = { x = -2, y = 5, z = -4 }

[loss]
kind = "half_squared_error"

[[exercises]]
id = "1"
task = "gradient"
y = 1
"""

TWICE = """
title = "A value used twice by one node"
[expression]
stages = ["g = x * x", "f = g * y"]
at = { x = 3, y = -2 }

[[exercises]]
id = "1"
task = "gradient"
"""


def sigmoid(a):
    return 1 / (1 + mp.exp(-a))


# Each circuit as a student works it: (quantity, formula over the values so far), in order. Local gradients of
# σ are taken through the node's own value, q(1 − q), as the sheet teaches.
CS231N_WORK = [
    ("q1", lambda v: sigmoid(v["y"])),
    ("num", lambda v: v["x"] + v["q1"]),
    ("q2", lambda v: sigmoid(v["x"])),
    ("q3", lambda v: v["x"] + v["y"]),
    ("q4", lambda v: v["q3"] ** 2),
    ("den", lambda v: v["q2"] + v["q4"]),
    ("f", lambda v: v["num"] / v["den"]),
    ("df/dden", lambda v: -v["num"] / v["den"] ** 2),
    ("dden/dq2", lambda v: mp.mpf(1)),
    ("dden/dq4", lambda v: mp.mpf(1)),
    ("df/dq4", lambda v: v["df/dden"] * v["dden/dq4"]),
    ("dq4/dq3", lambda v: 2 * v["q3"]),
    ("df/dq3", lambda v: v["df/dq4"] * v["dq4/dq3"]),
    ("dq3/dx", lambda v: mp.mpf(1)),
    ("dq3/dy", lambda v: mp.mpf(1)),
    ("df/dq2", lambda v: v["df/dden"] * v["dden/dq2"]),
    ("dq2/dx", lambda v: v["q2"] * (1 - v["q2"])),
    ("df/dnum", lambda v: 1 / v["den"]),
    ("dnum/dx", lambda v: mp.mpf(1)),
    ("dnum/dq1", lambda v: mp.mpf(1)),
    ("df/dq1", lambda v: v["df/dnum"] * v["dnum/dq1"]),
    ("dq1/dy", lambda v: v["q1"] * (1 - v["q1"])),
    ("df/dy", lambda v: v["df/dq3"] * v["dq3/dy"] + v["df/dq1"] * v["dq1/dy"]),
    ("df/dx", lambda v: v["df/dq3"] * v["dq3/dx"] + v["df/dq2"] * v["dq2/dx"] + v["df/dnum"] * v["dnum/dx"]),
    ("x'", lambda v: v["x"] - mp.mpf("0.1") * v["df/dx"]),
    ("y'", lambda v: v["y"] - mp.mpf("0.1") * v["df/dy"]),
]
CS231N_AT = {"x": mp.mpf(3), "y": mp.mpf(-4)}

SIMPLE_WORK = [
    ("q1", lambda v: v["x"] + v["y"]),
    ("f", lambda v: v["q1"] * v["z"]),
    ("df/dq1", lambda v: v["z"]),
    ("dq1/dx", lambda v: mp.mpf(1)),
    ("dq1/dy", lambda v: mp.mpf(1)),
    ("df/dz", lambda v: v["q1"]),
    ("df/dy", lambda v: v["df/dq1"] * v["dq1/dy"]),
    ("df/dx", lambda v: v["df/dq1"] * v["dq1/dx"]),
    ("x'", lambda v: v["x"] - mp.mpf("0.5") * v["df/dx"]),
    ("z'", lambda v: v["z"] - mp.mpf("0.5") * v["df/dz"]),
]
SIMPLE_AT = {"x": mp.mpf(-2), "y": mp.mpf(5), "z": mp.mpf(-4)}


def work(steps, at, slips=None, places=None) -> dict:
    """Every quantity as a student computes it: a slip changes one value, ``places`` rounds each value written
    (half up) and the rounded value is used further on."""
    slips = slips or {}
    values = dict(at)
    found = {}
    for key, formula in steps:
        value = formula(values)
        if key in slips:
            value = slips[key](value)
        if places is not None:
            value = mp.mpf(str(_decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)))
        values[key] = found[key] = value
    return found


def _decimal(value) -> Decimal:
    return Decimal(mp.nstr(value, 55, strip_zeros=False, min_fixed=-mp.inf, max_fixed=mp.inf))


def text(value, places=None) -> str:
    shown = _decimal(value)
    return str(shown.quantize(Decimal(1).scaleb(-places))) if places is not None else str(shown)


def answers_for(checklist, values: dict, places=None) -> dict:
    """An answers dict: each value under the exercise that owns the quantity."""
    answers: dict = {}
    for item in checklist.items:
        answers.setdefault(item.exercise, {})[item.key] = text(values[item.key], places)
    return answers


@pytest.fixture(scope="module")
def cs231n():
    return build_checklist(symback.load(CS231N))


@pytest.fixture(scope="module")
def simple():
    return build_checklist(symback.loads(SIMPLE, source="simple.toml"))


def statuses(report) -> dict:
    return {verdict.key: verdict.status for verdict in report.verdicts}


# the items and their right values ------------------------------------------------------------------------------

def test_every_quantity_is_an_item_once_with_its_independent_value(cs231n):
    expected = work(CS231N_WORK, CS231N_AT)
    assert [item.key for item in cs231n.items] == list(expected)
    for item in cs231n.items:
        assert abs(item.reference - _decimal(expected[item.key])) <= Decimal("1e-45"), item.key


def test_gradients_agree_with_numerical_derivatives_of_the_whole_function(cs231n):
    def f(x, y):
        return (x + sigmoid(y)) / (sigmoid(x) + (x + y) ** 2)

    x, y = CS231N_AT["x"], CS231N_AT["y"]
    reference = {item.key: item.reference for item in cs231n.items}
    assert abs(reference["df/dx"] - _decimal(mpmath.diff(lambda t: f(t, y), x))) < Decimal("1e-40")
    assert abs(reference["df/dy"] - _decimal(mpmath.diff(lambda t: f(x, t), y))) < Decimal("1e-40")


def test_what_each_exercise_asks_for_and_what_it_shares(cs231n):
    asked = {entry.exercise.id: [item.key for item in entry.items if item.asked] for entry in cs231n.exercises}
    assert asked == {"1": ["f"], "2": ["df/dy", "df/dx"], "3": ["x'", "y'"]}
    assert {key for _, key in cs231n.exercise("2").uses} == {"q1", "num", "q2", "q3", "q4", "den", "f"}
    assert {owner for owner, _ in cs231n.exercise("3").uses} == {"1", "2"}
    assert all(entry.checked for entry in cs231n.exercises)


def test_rules_and_descriptions_read_as_the_sheet_writes_them(cs231n):
    item = {item.key: item for item in cs231n.items}
    assert item["q1"].description.startswith("q1 = σ(y)") and item["q1"].rule_text == "q1 = sigmoid(y)"
    assert item["f"].description == "the function f = num / den"
    assert item["dq1/dy"].rule_text.startswith("dq1/dy = q1*(1 - q1)")
    assert item["dq1/dy"].inputs == ("q1",)
    assert item["df/dx"].rule_text == "df/dx = df/dq3 · dq3/dx + df/dq2 · dq2/dx + df/dnum · dnum/dx"
    assert item["x'"].rule_text == "x' = x - α·df/dx"


def test_shown_decimals_are_the_solution_sheets(cs231n):
    problem = cs231n.problem
    shown = {}
    for exercise in problem.exercises:
        for step in run_exercise(problem, exercise.id).steps:
            if step.kind == "forward_table":
                shown.update({row.name: row.quantity.decimal for row in step.rows})
            elif step.kind == "backward_table":
                shown.update({wire.local.name: wire.local.decimal for wire in step.wires})
                shown.update({g.quantity.name: g.quantity.decimal for g in step.gradients})
            elif step.kind == "update":
                shown[step.new.name] = step.new.decimal
    for item in cs231n.items:
        assert str(item.right.decimal) == str(shown[item.key]), item.key


@pytest.mark.parametrize("source", [SIMPLE, WITH_LOSS, TWICE])
def test_every_rule_gives_its_value_from_the_right_inputs(source):
    checklist = build_checklist(symback.loads(source))
    values: dict = {}
    for item in checklist.items:
        for rule in item.rules:
            got = rule.compute([values[(item.context, key)] for key in rule.inputs])
            assert abs(got - item.reference) <= Decimal("1e-45") * max(abs(item.reference), 1), item.key
        values[(item.context, item.key)] = item.reference


def test_a_loss_around_the_circuit():
    checklist = build_checklist(symback.loads(WITH_LOSS))
    item = {item.key: item for item in checklist.items}
    q1, z, t = 3, -4, 1
    f = q1 * z
    expected = {"L": mp.mpf(f - t) ** 2 / 2, "dL/df": f - t, "dL/dq1": (f - t) * z, "dL/dz": (f - t) * q1,
                "dL/dx": (f - t) * z, "df/dq1": z}
    for key, value in expected.items():
        assert item[key].reference == _decimal(mp.mpf(value)), key
    assert "L" in item and "dL/dL" not in item and "df/dz" in item  # the local gradient into f, not into L
    assert [key for key, entry in item.items() if entry.asked] == ["dL/dz", "dL/dy", "dL/dx"]
    report = symback.check(checklist, {"1": {"dL/dx": "52", "L": "169/2", "dL/df": "-13"}})
    assert {v.key: v.status for v in report.verdicts if v.status != "missing"} == {
        "L": "correct", "dL/df": "correct", "dL/dx": "correct"}


def test_a_node_that_uses_a_value_twice_gets_both_local_gradients_summed():
    checklist = build_checklist(symback.loads(TWICE))
    item = {item.key: item for item in checklist.items}
    x, y = 3, -2
    assert item["dg/dx"].reference == 2 * x and "2 wires" in item["dg/dx"].description
    assert item["df/dx"].reference == y * 2 * x
    report = symback.check(checklist, {"1": {"dg/dx": "3", "df/dx": "-6"}})  # one wire's share only
    assert statuses(report)["dg/dx"] == "wrong" and statuses(report)["df/dx"] == "carried forward"


# marking answer sets ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("which", ["cs231n", "simple"])
def test_all_right_is_all_correct(which, cs231n, simple):
    checklist, steps, at = (cs231n, CS231N_WORK, CS231N_AT) if which == "cs231n" else (simple, SIMPLE_WORK, SIMPLE_AT)
    report = symback.check(checklist, answers_for(checklist, work(steps, at)))
    assert set(statuses(report).values()) == {"correct"} and report.all_right
    assert report.points == report.total == len(checklist.items)


def test_only_what_is_asked_is_enough(cs231n):
    values = work(CS231N_WORK, CS231N_AT)
    answers = {entry.exercise.id: {item.key: text(values[item.key], 4) for item in entry.items if item.asked}
               for entry in cs231n.exercises}
    report = symback.check(cs231n, answers)
    assert report.all_right and report.first_wrong is None


def test_an_early_slip_is_carried_forward_through_values_and_gradients(cs231n):
    right = work(CS231N_WORK, CS231N_AT)
    slipped = work(CS231N_WORK, CS231N_AT, slips={"q1": lambda value: mp.mpf("0.5")})  # σ(0) for σ(−4)
    report = symback.check(cs231n, answers_for(cs231n, slipped))
    got = statuses(report)
    assert got["q1"] == "wrong" and report.first_wrong.key == "q1"
    followed = {key for key in right if key != "q1" and abs(slipped[key] - right[key]) > 1e-3 * abs(right[key])}
    assert {"num", "f", "df/dden", "dq1/dy", "df/dx", "df/dy", "x'", "y'"} <= followed
    for verdict in report.verdicts:
        if verdict.key in followed:
            assert verdict.status == "carried forward" and verdict.carried_from == ("1", "q1"), verdict.key
        elif verdict.key != "q1":
            assert verdict.status == "correct", verdict.key
    assert "q1" in report.headline


def test_a_slip_is_followed_through_values_left_out(cs231n):
    slipped = work(CS231N_WORK, CS231N_AT, slips={"q1": lambda value: mp.mpf("0.5")})
    answers = {"1": {"q1": text(slipped["q1"]), "f": text(slipped["f"])},  # num left out
               "2": {"df/dy": text(slipped["df/dy"])}}  # every step of the backward pass left out
    got = statuses(symback.check(cs231n, answers))
    assert (got["q1"], got["f"], got["df/dy"]) == ("wrong", "carried forward", "carried forward")


def test_a_sign_error_in_a_gradient_is_wrong_with_a_hint(cs231n):
    right = work(CS231N_WORK, CS231N_AT)
    flipped = work(CS231N_WORK, CS231N_AT, slips={"df/dden": lambda value: -value})
    report = symback.check(cs231n, answers_for(cs231n, flipped))
    verdict = report.first_wrong
    assert (verdict.key, verdict.status, verdict.reason) == ("df/dden", "wrong", "the sign is wrong")
    assert "df/dden = −num/den²" in report.headline  # for people: no program syntax
    got = {v.key: v for v in report.verdicts}
    for key in ("df/dq4", "df/dq2", "df/dq3", "df/dx", "df/dy", "x'", "y'"):
        assert got[key].status == "carried forward" and got[key].carried_from == ("2", "df/dden"), key
    for key in ("f", "df/dnum", "df/dq1", "dq1/dy", "dq4/dq3"):
        assert got[key].status == "correct", key
    assert abs(flipped["df/dx"] - right["df/dx"]) > 1  # the error did travel


def test_a_sign_error_in_the_warm_up(simple):
    values = work(SIMPLE_WORK, SIMPLE_AT, slips={"df/dq1": lambda value: -value})
    report = symback.check(simple, answers_for(simple, values))
    got = statuses(report)
    assert got["df/dq1"] == "wrong" and report.first_wrong.reason == "the sign is wrong"
    assert got["df/dx"] == got["df/dy"] == got["x'"] == "carried forward"
    assert got["df/dz"] == got["z'"] == got["f"] == "correct"


def test_a_half_or_a_missing_learning_rate_gets_a_hint(cs231n, simple):
    values = work(CS231N_WORK, CS231N_AT)
    report = symback.check(cs231n, {"2": {"df/dx": text(values["df/dx"] / 2)}})
    assert report.first_wrong.key == "df/dx" and "factor 2" in report.first_wrong.reason
    values = work(SIMPLE_WORK, SIMPLE_AT)
    report = symback.check(simple, {"3": {"x'": text(SIMPLE_AT["x"] - values["df/dx"])}})
    assert report.first_wrong.key == "x'" and "learning rate" in report.first_wrong.reason


@pytest.mark.parametrize("which", ["cs231n", "simple"])
def test_rounding_to_three_decimals_at_each_step_is_never_wrong(which, cs231n, simple):
    checklist, steps, at = (cs231n, CS231N_WORK, CS231N_AT) if which == "cs231n" else (simple, SIMPLE_WORK, SIMPLE_AT)
    rounded = work(steps, at, places=3)
    report = symback.check(checklist, answers_for(checklist, rounded, places=3))
    assert set(statuses(report).values()) <= {"correct", "rounding"} and report.all_right
    if which == "cs231n":
        assert "rounding" in statuses(report).values()


# the skeleton and the command line -------------------------------------------------------------------------------

@pytest.mark.parametrize("which", ["cs231n", "simple"])
def test_the_skeleton_lists_every_item_once(which, cs231n, simple):
    checklist = cs231n if which == "cs231n" else simple
    skeleton = answers_skeleton(checklist)
    data = tomllib.loads(skeleton)
    listed = [(exercise, key) for exercise, section in data["exercises"].items() for key in section]
    assert listed == [(item.exercise, item.key) for item in checklist.items]
    assert len(set(listed)) == len(listed) and "not covered" not in skeleton




def test_answers_and_check_end_to_end(capsys, tmp_path, cs231n):
    skeleton_file = tmp_path / "skeleton.toml"
    code, _, err = run(capsys, "answers", CS231N, "-o", skeleton_file)
    assert code == 0 and err == ""
    skeleton = skeleton_file.read_text(encoding="utf-8")
    right = answers_for(cs231n, work(CS231N_WORK, CS231N_AT), places=6)
    mine = tmp_path / "mine.toml"
    mine.write_text(fill_skeleton(skeleton, right), encoding="utf-8")
    code, out, err = run(capsys, "check", CS231N, mine)
    assert code == 0 and err == ""

    slipped = answers_for(cs231n, work(CS231N_WORK, CS231N_AT, slips={"q1": lambda value: mp.mpf("0.5")}), places=6)
    theirs = tmp_path / "theirs.toml"
    theirs.write_text(fill_skeleton(skeleton, slipped), encoding="utf-8")
    code, out, err = run(capsys, "check", CS231N, theirs, "--json")
    assert code == 1 and err == ""
    report = json.loads(out)
    verdicts = {(v["exercise"], v["key"]): v for v in report["verdicts"]}
    assert verdicts[("1", "q1")]["status"] == "wrong"
    assert verdicts[("3", "x'")]["status"] == "carried forward" and verdicts[("3", "x'")]["carried_from"] == ["1", "q1"]

    feedback = tmp_path / "feedback.md"
    code, _, err = run(capsys, "check", CS231N, theirs, "-o", feedback)
    assert code == 1 and "q_{1}" in feedback.read_text(encoding="utf-8")  # named as the sheet names it


def test_an_answer_under_a_later_exercise_is_credited(cs231n):
    values = work(CS231N_WORK, CS231N_AT)
    report = symback.check(cs231n, {"3": {"f": text(values["f"], 5), "df/dx": text(values["df/dx"], 5)}})
    got = {v.key: v.status for v in report.verdicts}
    assert got["f"] == got["df/dx"] == "correct" and not report.notes
