"""The checker on training runs (``task = "train"``): every step's loss, gradient and parameters, and the final loss.

Expected values are computed here independently, in mpmath: the XOR network of problems/xor_training.toml
(2-2-1, sigmoid units, binary cross-entropy) and a one-weight sigmoid unit trained with momentum, each with its
forward and backward pass written out by hand and its training loop (batches in file order, mean loss and mean
gradient, then the optimizer's textbook step) written out here, never read from the engine's records. Answer
sets are made the way students make them: all right, one early slip with everything after it computed honestly
from it, every value rounded to 4 significant figures and the rounded value used further on.
"""

from __future__ import annotations

import json
import tomllib
from decimal import Decimal
from pathlib import Path

import mpmath
import pytest
from cli_helpers import fill_skeleton, run

import symback
from symback.checker.checklist import build_checklist
from symback.checker.items.runs import MAX_STEPS
from symback.checker.skeleton import answers_skeleton

ROOT = Path(__file__).resolve().parents[2]
XOR = ROOT / "problems" / "xor_training.toml"
F = mpmath.mpf
DIGITS = 60
XOR_NAMES = ("a11", "a12", "a21", "a22", "c1", "c2", "b11", "b12", "d1")
XOR_DATA = [((0, 0), 0), ((0, 1), 1), ((1, 0), 1), ((1, 1), 0)]
XOR_BATCH = {"1": 4, "2": 2, "3": 1}  # exercise -> batch size; all sgd, lr = 1, 5 epochs

UNIT = '''
title = "one sigmoid unit, momentum"
[network]
inputs = 1
[[network.layers]]
weights = "W"
values = [[0.5]]
bias = "b"
bias_values = [-0.25]
activation = "sigmoid"
[loss]
kind = "squared_error"
[data]
x = [1, -2, 3]
y = [1, 0, 1]
[[exercises]]
id = "m"
task = "train"
optimizer = { kind = "momentum", lr = 0.5, momentum = 0.9 }
batch = 2
epochs = 2
[[exercises]]
id = "long"
task = "train"
lr = 0.1
epochs = 201
'''
UNIT_DATA = [(1, 1), (-2, 0), (3, 1)]


@pytest.fixture(autouse=True)
def precision():
    with mpmath.workdps(DIGITS):
        yield


@pytest.fixture(scope="module")
def xor():
    return build_checklist(symback.load(XOR))


@pytest.fixture(scope="module")
def unit():
    return build_checklist(symback.loads(UNIT))


# independent values -------------------------------------------------------------------------------------------------

def sigmoid(z):
    return 1 / (1 + mpmath.exp(-z))


def xor_pass(p, x, y):
    """Loss and gradients of the 2-2-1 XOR network at one sample (binary cross-entropy)."""
    x1, x2 = F(x[0]), F(x[1])
    h1 = sigmoid(p["a11"] * x1 + p["a12"] * x2 + p["c1"])
    h2 = sigmoid(p["a21"] * x1 + p["a22"] * x2 + p["c2"])
    yhat = sigmoid(p["b11"] * h1 + p["b12"] * h2 + p["d1"])
    loss = -(y * mpmath.log(yhat) + (1 - y) * mpmath.log(1 - yhat))
    dz = yhat - y
    dz1, dz2 = dz * p["b11"] * h1 * (1 - h1), dz * p["b12"] * h2 * (1 - h2)
    return loss, {"b11": dz * h1, "b12": dz * h2, "d1": dz, "c1": dz1, "c2": dz2,
                  "a11": dz1 * x1, "a12": dz1 * x2, "a21": dz2 * x1, "a22": dz2 * x2}


def unit_pass(p, x, y):
    """Loss and gradients of ŷ = σ(w·x + b), L = (ŷ − y)²."""
    yhat = sigmoid(p["w11"] * x + p["b1"])
    dz = 2 * (yhat - y) * yhat * (1 - yhat)
    return (yhat - y) ** 2, {"w11": dz * x, "b1": dz}


def train_by_hand(one_pass, data, start, batch, epochs, lr, momentum=None, *, slips=None, figures=None):
    """Every value of the run as a student writes it: a slip replaces a value, rounding rounds each value
    written, and what follows is computed from the values written."""
    slips, out = slips or {}, {}
    theta = {name: F(value) for name, value in start.items()}
    velocity = {name: F(0) for name in theta}

    def put(name, value):
        if name in slips:
            value = slips[name](value)
        if figures is not None:
            value = F(mpmath.nstr(value, figures))
        out[name] = value
        return value

    k = 0
    for _ in range(epochs):
        for first in range(0, len(data), batch):
            k += 1
            chunk = data[first:first + batch]
            passes = [one_pass(theta, x, y) for x, y in chunk]
            put(f"L[{k}]", mpmath.fsum(loss for loss, _ in passes) / len(chunk))
            grads = {n: put(f"g[{k}]:{n}", mpmath.fsum(g[n] for _, g in passes) / len(chunk)) for n in theta}
            new = {}
            for n in theta:
                if momentum is None:
                    step = grads[n]
                else:
                    velocity[n] = momentum * velocity[n] + grads[n]
                    step = velocity[n]
                new[n] = put(f"{n}[{k}]", theta[n] - lr * step)
            theta = new
    put("L[final]", mpmath.fsum(one_pass(theta, x, y)[0] for x, y in data) / len(data))
    return out


XOR_START = {"a11": 1, "a12": -1, "a21": -1, "a22": 1, "c1": 0, "c2": 0, "b11": 1, "b12": 1, "d1": F("-0.5")}
UNIT_START = {"w11": F("0.5"), "b1": F("-0.25")}


def xor_work(exercise, **options):
    return train_by_hand(xor_pass, XOR_DATA, XOR_START, XOR_BATCH[exercise], 5, F(1), **options)


def unit_work(**options):
    return train_by_hand(unit_pass, UNIT_DATA, UNIT_START, 2, 2, F("0.5"), F("0.9"), **options)


def text(value, digits: int = 15) -> str:
    return mpmath.nstr(value, digits, strip_zeros=False, min_fixed=-mpmath.inf, max_fixed=mpmath.inf)


def answers(exercise: str, values: dict, digits: int = 15) -> dict:
    return {exercise: {name: text(value, digits) for name, value in values.items()}}


def mine(report, exercise) -> dict:
    return {v.key: v.status for v in report.verdicts if v.exercise == exercise}


# the items ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("exercise", list(XOR_BATCH))
def test_every_step_is_an_item_with_its_independent_value(xor, exercise):
    expected = xor_work(exercise)
    items = xor.exercise(exercise).items
    assert [item.key for item in items] == list(expected)
    for item in items:
        assert mpmath.almosteq(F(str(item.reference)), expected[item.key], rel_eps=F("1e-45"), abs_eps=F("1e-55")), \
            item.key
        shown = F(str(item.right.decimal))
        assert abs(shown - expected[item.key]) <= abs(expected[item.key]) * F("6e-4"), item.key  # 4 figures
    steps = 20 // XOR_BATCH[exercise]
    assert [item.key for item in items if item.asked] == [f"{n}[{steps}]" for n in XOR_NAMES] + ["L[final]"]


def test_momentum_items_match_the_independent_run(unit):
    expected = unit_work()
    items = unit.exercise("m").items
    assert [item.key for item in items] == list(expected)
    for item in items:
        assert mpmath.almosteq(F(str(item.reference)), expected[item.key], rel_eps=F("1e-45"), abs_eps=F("1e-55")), \
            item.key


def test_runs_have_contexts_of_their_own(xor):
    contexts = [entry.context for entry in xor.exercises]
    assert len(set(contexts)) == len(contexts) and all(not entry.uses for entry in xor.exercises)
    assert all(entry.checked for entry in xor.exercises)


def test_rules_and_descriptions(xor):
    items = {item.key: item for item in xor.exercise("2").items}
    assert items["L[1]"].inputs == () and items["L[1]"].compute(()) == items["L[1]"].reference
    assert items["L[2]"].inputs == tuple(f"{n}[1]" for n in XOR_NAMES)
    assert items["g[3]:b12"].inputs == tuple(f"{n}[2]" for n in XOR_NAMES)
    assert "samples 3, 4" in items["L[2]"].description
    assert items["a11[2]"].inputs == ("a11[1]", "g[2]:a11")
    assert items["a11[2]"].rule_text == "a11[2] = a11[1] - α·g[2]:a11"
    assert items["a11[1]"].inputs == ("g[1]:a11",)
    assert items["L[final]"].inputs == tuple(f"{n}[10]" for n in XOR_NAMES)


@pytest.mark.parametrize("exercise", list(XOR_BATCH))
def test_every_rule_gives_its_value_from_the_right_inputs(xor, exercise):
    items = xor.exercise(exercise).items
    values = {item.key: item.reference for item in items}
    for item in items:
        for rule in item.rules:
            got = rule.compute([values[name] for name in rule.inputs])
            assert abs(got - item.reference) <= abs(item.reference) * Decimal("1e-40") + Decimal("1e-50"), item.key


# marking ------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("exercise", list(XOR_BATCH))
def test_all_right_is_all_correct(xor, exercise):
    report = symback.check(xor, answers(exercise, xor_work(exercise)))
    assert set(mine(report, exercise).values()) == {"correct"}


def test_all_right_with_momentum_is_all_correct(unit):
    report = symback.check(unit, answers("m", unit_work()))
    assert set(mine(report, "m").values()) == {"correct"}


def test_only_what_is_asked_is_enough(xor):
    values = xor_work("1")
    asked = {name: values[name] for name in [f"{n}[5]" for n in XOR_NAMES] + ["L[final]"]}
    report = symback.check(xor, answers("1", asked))
    got = mine(report, "1")
    assert {got[name] for name in asked} == {"correct"}


@pytest.mark.parametrize("exercise", list(XOR_BATCH))
def test_a_slip_in_an_early_parameter_is_carried_forward(xor, exercise):
    values = xor_work(exercise, slips={"d1[1]": lambda v: v + 1})
    report = symback.check(xor, answers(exercise, values))
    got = mine(report, exercise)
    assert got["d1[1]"] == "wrong"
    assert {got[f"{n}[1]"] for n in XOR_NAMES if n != "d1"} == {"correct"}
    assert got["L[2]"] == got["g[2]:d1"] == got["d1[2]"] == got[f"d1[{20 // XOR_BATCH[exercise]}]"] == "carried forward"
    assert "wrong" not in [status for name, status in got.items() if name != "d1[1]"]
    # a later value the slip happens to leave within the tolerance (a gradient of a weight on a zero input) is correct
    assert sum(status == "carried forward" for status in got.values()) > len(got) / 2
    verdict = next(v for v in report.verdicts if v.exercise == exercise and v.key == "d1[2]")
    assert verdict.carried_from == (exercise, "d1[1]")
    assert report.first_wrong.key == "d1[1]"


def test_a_slip_in_a_parameter_is_carried_through_momentum(unit):
    values = unit_work(slips={"w11[1]": lambda v: v - F("0.3")})
    report = symback.check(unit, answers("m", values))
    got = mine(report, "m")
    assert got["w11[1]"] == "wrong" and got["b1[1]"] == "correct"
    assert got["L[2]"] == got["g[2]:w11"] == got["w11[4]"] == got["b1[4]"] == got["L[final]"] == "carried forward"
    assert got["w11[3]"] == "carried forward"  # its velocity is the student's own, from their g[2] and g[3]
    assert "wrong" not in [status for name, status in got.items() if name != "w11[1]"]


@pytest.mark.parametrize("exercise", list(XOR_BATCH))
def test_rounding_to_four_figures_at_every_step_is_never_wrong(xor, exercise):
    values = xor_work(exercise, figures=4)
    report = symback.check(xor, {exercise: {name: mpmath.nstr(value, 4) for name, value in values.items()}})
    got = mine(report, exercise)
    assert set(got.values()) <= {"correct", "rounding"}, {k: s for k, s in got.items() if s not in ("correct", "rounding")}
    assert report.first_wrong is None


def test_rounding_with_momentum_is_never_wrong(unit):
    values = unit_work(figures=4)
    report = symback.check(unit, {"m": {name: mpmath.nstr(value, 4) for name, value in values.items()}})
    assert set(mine(report, "m").values()) <= {"correct", "rounding"}


def test_a_long_run_is_checked_by_its_final_quantities(unit):
    items = unit.exercise("long").items
    assert 201 > MAX_STEPS
    assert [item.key for item in items] == ["w11[201]", "b1[201]", "L[final]"]
    assert all(item.asked for item in items) and items[0].compute is None
    expected = train_by_hand(unit_pass, UNIT_DATA, UNIT_START, 3, 201, F("0.1"))
    for item in items:
        assert mpmath.almosteq(F(str(item.reference)), expected[item.key], rel_eps=F("1e-45")), item.key
    wrong = {name: expected[name] for name in ("w11[201]", "b1[201]")}
    wrong["w11[201]"] += F("0.5")
    theirs = dict(wrong)
    at = {"w11": wrong["w11[201]"], "b1": wrong["b1[201]"]}
    theirs["L[final]"] = mpmath.fsum(unit_pass(at, x, y)[0] for x, y in UNIT_DATA) / 3
    got = mine(symback.check(unit, answers("long", theirs)), "long")
    assert got == {"w11[201]": "wrong", "b1[201]": "correct", "L[final]": "carried forward"}


def test_marking_stays_fast(xor, monkeypatch):
    """Marking costs passes at a student's own parameters only, and none when the same values are marked
    again: the passes of a class's files are shared."""
    import symback.engine.gradients as gradients

    passes = []
    counted = gradients.compute_pass
    monkeypatch.setattr(gradients, "compute_pass", lambda *a, **k: passes.append(1) or counted(*a, **k))
    merged = {}
    for exercise in XOR_BATCH:
        merged.update(answers(exercise, xor_work(exercise, slips={"d1[1]": lambda v: v + 1})))
    symback.check(xor, merged)
    first = len(passes)
    for _ in range(2):
        symback.check(xor, merged)
    assert first <= len(xor.items)  # at most a pass per quantity (fewer: earlier markings share theirs)
    assert len(passes) == first


# the skeleton and the command line ----------------------------------------------------------------------------------

def test_the_skeleton_lists_every_item_once(xor):
    skeleton = answers_skeleton(xor)
    data = tomllib.loads(skeleton)
    listed = [(exercise, name) for exercise, section in data["exercises"].items() for name in section]
    assert listed == [(item.exercise, item.key) for item in xor.items]
    assert len(set(listed)) == len(listed) and "not covered" not in skeleton
    assert '"L[1]"' in skeleton and '"g[1]:a11"' in skeleton and '"L[final]"' in skeleton
    assert "asked: a11 after step 5" in skeleton




def test_answers_and_check_end_to_end(capsys, tmp_path):
    skeleton_file = tmp_path / "skeleton.toml"
    code, _, err = run(capsys, "answers", XOR, "-o", skeleton_file)
    assert code == 0 and err == ""
    skeleton = skeleton_file.read_text(encoding="utf-8")
    right = {}
    for exercise in XOR_BATCH:
        right.update(answers(exercise, xor_work(exercise), digits=8))
    ours = tmp_path / "mine.toml"
    ours.write_text(fill_skeleton(skeleton, right), encoding="utf-8")
    code, out, err = run(capsys, "check", XOR, ours)
    assert code == 0 and err == "", out

    slipped = dict(right)
    slipped.update(answers("2", xor_work("2", slips={"d1[1]": lambda v: v + 1}), digits=8))
    theirs = tmp_path / "theirs.toml"
    theirs.write_text(fill_skeleton(skeleton, slipped), encoding="utf-8")
    code, out, err = run(capsys, "check", XOR, theirs, "--json")
    assert code == 1 and err == ""
    verdicts = {(v["exercise"], v["key"]): v for v in json.loads(out)["verdicts"]}
    assert verdicts[("2", "d1[1]")]["status"] == "wrong"
    assert verdicts[("2", "d1[10]")]["status"] == "carried forward"
    assert verdicts[("2", "d1[10]")]["carried_from"] == ["2", "d1[1]"]
    assert verdicts[("1", "L[final]")]["status"] == "correct"


def test_shown_decimals_are_the_training_tables_decimals(xor):
    """The decimals shown are those of the run at the sheet's digits (which rounds correctly itself)."""
    from symback.runs.training import train

    for entry in xor.exercises:
        run = train(xor.problem, entry.exercise.id, dataset_loss="epoch")
        decimals = {"L[final]": run.final_loss}
        for step in run.steps:
            decimals[f"L[{step.step}]"] = step.batch_loss
            decimals.update({f"g[{step.step}]:{n}": v for n, v in step.gradient.items()})
            decimals.update({f"{n}[{step.step}]": v for n, v in step.parameters.items()})
        for item in entry.items:
            assert str(item.right.decimal) == str(decimals[item.key]), (entry.exercise.id, item.key)
