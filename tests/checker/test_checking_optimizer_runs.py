"""The checker on optimizer runs (``task = "optimize"``): every value of every step of problems/ws23_optimizers.toml.

Expected values are computed here independently, in mpmath: the WS23 network's forward and backward pass written
out by hand (A = [[1, 0], [-2, 1]], B = [[1, -1]], sigmoid hidden layer, identity output, L = (ŷ − y)², x = (1, 3),
y = 2) and each optimizer's loop written out from its textbook form, never from the engine's records. Answer sets
are built the way students make them: all right, one early slip with everything after it computed honestly from
it, every value rounded to 4 significant figures and the rounded value used further on.
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
from symback.checker.items.runs import key
from symback.checker.skeleton import answers_skeleton

ROOT = Path(__file__).resolve().parents[2]
OPTIMIZERS = ROOT / "problems" / "ws23_optimizers.toml"
mp = mpmath.mp
DIGITS = 60
PARAMS = ("b12", "a22")
STEPS = 3
F = mpmath.mpf

# the exercises of ws23_optimizers.toml: id -> (kind, hyperparameters)
EXERCISES = {
    "1": ("sgd", {"lr": "0.5"}),
    "2": ("adam", {"lr": "0.1", "beta1": "0.9", "beta2": "0.999", "eps": "1e-8"}),
    "3": ("momentum", {"lr": "0.5", "momentum": "0.9"}),
    "4": ("nesterov", {"lr": "0.5", "momentum": "0.9"}),
    "5": ("rmsprop", {"lr": "0.1", "rho": "0.9", "eps": "1e-8"}),
    "6": ("adamw", {"lr": "0.1", "beta1": "0.9", "beta2": "0.999", "eps": "1e-8", "weight_decay": "0.01"}),
}


@pytest.fixture(autouse=True)
def precision():
    with mpmath.workdps(DIGITS):
        yield


@pytest.fixture(scope="module")
def checklist():
    return build_checklist(symback.load(OPTIMIZERS))


# independent values -------------------------------------------------------------------------------------------------

def sigmoid(z):
    return 1 / (1 + mpmath.exp(-z))


def gradients(b12, a22):
    """∂L/∂b12 and ∂L/∂a22 of the WS23 network at x = (1, 3), y = 2, the other parameters at their start values."""
    x1, x2, y = F(1), F(3), F(2)
    a11, a12, a21, b11 = F(1), F(0), F(-2), F(1)
    h1, h2 = sigmoid(a11 * x1 + a12 * x2), sigmoid(a21 * x1 + a22 * x2)
    yhat = b11 * h1 + b12 * h2
    dyhat = 2 * (yhat - y)
    return {"b12": dyhat * h2, "a22": dyhat * b12 * h2 * (1 - h2) * x2}


def work(kind: str, hyper: dict, *, slips=None, figures: int | None = None) -> dict[str, mpmath.mpf]:
    """Every value of the run as a student computes it: a slip replaces a value, rounding rounds each value
    written down, and what follows is computed from the values written."""
    slips = slips or {}
    h = {name: F(value) for name, value in hyper.items()}
    lr = h["lr"]
    theta = {"b12": F(-1), "a22": F(1)}
    memory = {p: {"velocity": F(0), "s": F(0), "m": F(0), "v": F(0)} for p in PARAMS}
    out = {}

    def put(name, value):
        if name in slips:
            value = slips[name](value)
        if figures is not None:
            value = F(mpmath.nstr(value, figures))
        out[name] = value
        return value

    for t in range(1, STEPS + 1):
        grads = gradients(theta["b12"], theta["a22"])
        after = dict(theta)
        for p in PARAMS:
            k = lambda column: key(t, p, column)  # noqa: E731
            th, mem = theta[p], memory[p]
            g = put(k("g"), grads[p])
            if kind == "sgd":
                update = put(k("update"), -lr * g)
            elif kind in ("momentum", "nesterov"):
                mem["velocity"] = velocity = put(k("velocity"), h["momentum"] * mem["velocity"] + g)
                if kind == "momentum":
                    update = put(k("update"), -lr * velocity)
                else:
                    direction = put(k("direction"), g + h["momentum"] * velocity)
                    update = put(k("update"), -lr * direction)
            elif kind == "rmsprop":
                mem["s"] = s = put(k("s"), h["rho"] * mem["s"] + (1 - h["rho"]) * g**2)
                update = put(k("update"), -lr * g / (mpmath.sqrt(s) + h["eps"]))
            else:
                if kind == "adamw":
                    put(k("decayed"), th - lr * h["weight_decay"] * th)
                mem["m"] = m = put(k("m"), h["beta1"] * mem["m"] + (1 - h["beta1"]) * g)
                mem["v"] = v = put(k("v"), h["beta2"] * mem["v"] + (1 - h["beta2"]) * g**2)
                m_hat = put(k("m_hat"), m / (1 - h["beta1"] ** t))
                v_hat = put(k("v_hat"), v / (1 - h["beta2"] ** t))
                step = -lr * m_hat / (mpmath.sqrt(v_hat) + h["eps"])
                decay = -lr * h["weight_decay"] * th if kind == "adamw" else 0
                update = put(k("update"), decay + step)
            after[p] = put(k("new"), th + update)
        theta = after
    return out


def text(value, digits: int = 15) -> str:
    return mpmath.nstr(value, digits, strip_zeros=False, min_fixed=-mpmath.inf, max_fixed=mpmath.inf)


def answers(exercise: str, values: dict, digits: int = 15) -> dict:
    return {exercise: {name: text(value, digits) for name, value in values.items()}}


def statuses(report) -> dict:
    return {(v.exercise, v.key): v.status for v in report.verdicts}


# the items ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("exercise", list(EXERCISES))
def test_every_value_of_every_step_is_an_item_with_its_independent_value(checklist, exercise):
    kind, hyper = EXERCISES[exercise]
    expected = work(kind, hyper)
    items = checklist.exercise(exercise).items
    assert [item.key for item in items] == list(expected)
    for item in items:
        assert mpmath.almosteq(F(str(item.reference)), expected[item.key], rel_eps=F("1e-45"), abs_eps=F("1e-55")), item.key
        shown = F(str(item.right.decimal))
        assert abs(shown - expected[item.key]) <= abs(expected[item.key]) * F("6e-4"), item.key  # 4 figures
    asked = [item.key for item in items if item.asked]
    assert asked == [f"{p}[{t}]" for t in range(1, STEPS + 1) for p in PARAMS]


def test_runs_have_contexts_of_their_own(checklist):
    contexts = [checklist.exercise(e).context for e in EXERCISES]
    assert len(set(contexts)) == len(contexts)
    assert all(not entry.uses for entry in checklist.exercises)


def test_rules_and_descriptions(checklist):
    adam = {item.key: item for item in checklist.exercise("2").items}
    m = adam["m[2]:b12"]
    assert m.description == "m after step 2 for b12: β₁m + (1 − β₁)g"
    assert m.inputs == ("b12[1]", "g[2]:b12", "m[1]:b12", "v[1]:b12")
    assert adam["m_hat[2]:b12"].rule_text.endswith("= m[2]:b12/(1 - β₁**2)")  # hyperparameters as symbols
    assert adam["g[2]:a22"].inputs == ("b12[1]", "a22[1]")
    assert adam["g[2]:a22"].rule_text == "g[2]:a22 = ∂L/∂a22 at b12 = b12[1], a22 = a22[1]"
    assert adam["g[1]:b12"].inputs == () and adam["g[1]:b12"].compute(()) == adam["g[1]:b12"].reference
    assert adam["b12[1]"].kind == "parameter" and adam["b12[1]"].asked and not adam["m[1]:b12"].asked


@pytest.mark.parametrize("exercise", list(EXERCISES))
def test_every_rule_gives_its_value_from_the_right_inputs(checklist, exercise):
    items = checklist.exercise(exercise).items
    values = {item.key: item.reference for item in items}
    for item in items:
        for rule in item.rules:
            got = rule.compute([values[name] for name in rule.inputs])
            assert abs(got - item.reference) <= abs(item.reference) * Decimal("1e-40") + Decimal("1e-50"), \
                (item.key, rule.expression)


# marking ------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("exercise", list(EXERCISES))
def test_all_right_is_all_correct(checklist, exercise):
    report = symback.check(checklist, answers(exercise, work(*EXERCISES[exercise])))
    mine = {k: s for k, s in statuses(report).items() if k[0] == exercise}
    assert set(mine.values()) == {"correct"}


def test_only_what_is_asked_is_enough(checklist):
    values = work(*EXERCISES["2"])
    asked = {name: value for name, value in values.items() if "[" in name and ":" not in name}
    report = symback.check(checklist, answers("2", asked))
    mine = {k[1]: s for k, s in statuses(report).items() if k[0] == "2"}
    assert {mine[name] for name in asked} == {"correct"}


def test_a_slip_in_the_first_gradient_is_carried_forward_momentum(checklist):
    kind, hyper = EXERCISES["3"]
    values = work(kind, hyper, slips={"g[1]:b12": lambda g: g + F("0.5")})
    report = symback.check(checklist, answers("3", values))
    got = {k[1]: s for k, s in statuses(report).items() if k[0] == "3"}
    assert got["g[1]:b12"] == "wrong" and got["g[1]:a22"] == "correct"
    assert got["velocity[1]:a22"] == got["update[1]:a22"] == got["a22[1]"] == "correct"
    later = [name for name in values if name not in ("g[1]:b12", "g[1]:a22", "velocity[1]:a22", "update[1]:a22",
                                                      "a22[1]")]
    assert {got[name] for name in later} == {"carried forward"}
    verdict = next(v for v in report.verdicts if v.key == "a22[3]" and v.exercise == "3")
    assert verdict.carried_from == ("3", "g[1]:b12")
    assert report.first_wrong.key == "g[1]:b12"


@pytest.mark.parametrize("exercise", ["1", "4", "5"])
def test_a_slip_in_the_first_gradient_is_carried_to_the_end(checklist, exercise):
    values = work(*EXERCISES[exercise], slips={"g[1]:a22": lambda g: -g})
    report = symback.check(checklist, answers(exercise, values))
    got = {k[1]: s for k, s in statuses(report).items() if k[0] == exercise}
    assert got["g[1]:a22"] == "wrong"
    assert got["a22[1]"] == got["g[2]:b12"] == got["b12[3]"] == got["a22[3]"] == "carried forward"
    assert "wrong" not in [s for name, s in got.items() if name != "g[1]:a22"]


def test_a_slip_in_the_first_gradient_is_carried_into_adams_memories(checklist):
    values = work(*EXERCISES["2"], slips={"g[1]:b12": lambda g: g + F("0.5")})
    report = symback.check(checklist, answers("2", values))
    got = {k[1]: s for k, s in statuses(report).items() if k[0] == "2"}
    assert got["g[1]:b12"] == "wrong"
    for name in ("m[1]:b12", "v[1]:b12", "m_hat[1]:b12", "v_hat[1]:b12", "m[2]:b12", "v[2]:b12", "m[3]:b12"):
        assert got[name] == "carried forward", name
    assert "wrong" not in [s for name, s in got.items() if name != "g[1]:b12"]


def test_a_slip_in_m_is_followed_through_m_hat_within_the_step(checklist):
    values = work(*EXERCISES["2"], slips={"m[2]:a22": lambda m: 2 * m})
    report = symback.check(checklist, answers("2", values))
    got = {k[1]: s for k, s in statuses(report).items() if k[0] == "2"}
    assert got["m[2]:a22"] == "wrong"
    assert got["m_hat[2]:a22"] == got["update[2]:a22"] == got["a22[2]"] == got["m[3]:a22"] == "carried forward"
    assert got["v[2]:a22"] == got["v_hat[2]:a22"] == "correct"


def test_a_value_left_out_is_followed(checklist):
    values = work(*EXERCISES["3"], slips={"g[1]:b12": lambda g: g + 1})
    del values["velocity[1]:b12"], values["update[1]:b12"]
    report = symback.check(checklist, answers("3", values))
    got = {k[1]: s for k, s in statuses(report).items() if k[0] == "3"}
    assert got["velocity[1]:b12"] == "missing" and got["b12[1]"] == "carried forward"


@pytest.mark.parametrize("exercise", list(EXERCISES))
def test_rounding_to_four_figures_at_every_step_is_never_wrong(checklist, exercise):
    values = work(*EXERCISES[exercise], figures=4)
    report = symback.check(checklist, {exercise: {name: mpmath.nstr(value, 4) for name, value in values.items()}})
    mine = {k: s for k, s in statuses(report).items() if k[0] == exercise}
    assert set(mine.values()) <= {"correct", "rounding"}, {k: s for k, s in mine.items() if s not in ("correct", "rounding")}
    assert report.first_wrong is None


def test_marking_many_files_stays_fast(checklist, monkeypatch):
    """Marking costs passes at a student's own parameters only: at most one per step of each run the slip moved,
    and none at all when the same values are marked again (200 files of a class share most of them)."""
    import symback.engine.gradients as gradients

    passes = []
    counted = gradients.compute_pass
    monkeypatch.setattr(gradients, "compute_pass", lambda *a, **k: passes.append(1) or counted(*a, **k))
    sheets = [answers(e, work(*EXERCISES[e], slips={"g[1]:b12": lambda g: g + 1})) for e in EXERCISES]
    merged = {e: sheet[e] for sheet in sheets for e in sheet}
    symback.check(checklist, merged)
    first = len(passes)
    for _ in range(4):
        symback.check(checklist, merged)
    steps = sum(checklist.problem.exercise(e).steps or 1 for e in EXERCISES)
    assert first <= steps + len(EXERCISES)  # each step's pass and the loss after the last (fewer: shared)
    assert len(passes) == first


# the skeleton and the command line ----------------------------------------------------------------------------------

def test_the_skeleton_lists_every_item_once(checklist):
    skeleton = answers_skeleton(checklist)
    data = tomllib.loads(skeleton)
    listed = [(exercise, name) for exercise, section in data["exercises"].items() for name in section]
    assert listed == [(item.exercise, item.key) for item in checklist.items]
    assert len(set(listed)) == len(listed) and "not covered" not in skeleton
    assert '"m[1]:b12"' in skeleton and "# m after step 1 for b12: β₁m + (1 − β₁)g" in skeleton
    assert '"b12[3]"' in skeleton and "asked: b12 after step 3" in skeleton




def test_answers_and_check_end_to_end(capsys, tmp_path):
    skeleton_file = tmp_path / "skeleton.toml"
    code, _, err = run(capsys, "answers", OPTIMIZERS, "-o", skeleton_file)
    assert code == 0 and err == ""
    skeleton = skeleton_file.read_text(encoding="utf-8")
    right = {}
    for exercise, (kind, hyper) in EXERCISES.items():
        right.update(answers(exercise, work(kind, hyper), digits=8))
    mine = tmp_path / "mine.toml"
    mine.write_text(fill_skeleton(skeleton, right), encoding="utf-8")
    code, out, err = run(capsys, "check", OPTIMIZERS, mine)
    assert code == 0 and err == "", out

    slipped = dict(right)
    slipped.update(answers("3", work(*EXERCISES["3"], slips={"g[1]:b12": lambda g: g + F("0.5")}), digits=8))
    theirs = tmp_path / "theirs.toml"
    theirs.write_text(fill_skeleton(skeleton, slipped), encoding="utf-8")
    code, out, err = run(capsys, "check", OPTIMIZERS, theirs, "--json")
    assert code == 1 and err == ""
    verdicts = {(v["exercise"], v["key"]): v for v in json.loads(out)["verdicts"]}
    assert verdicts[("3", "g[1]:b12")]["status"] == "wrong"
    assert verdicts[("3", "b12[3]")]["status"] == "carried forward"
    assert verdicts[("3", "b12[3]")]["carried_from"] == ["3", "g[1]:b12"]
    assert verdicts[("2", "b12[3]")]["status"] == "correct"

    feedback = tmp_path / "feedback.md"
    code, _, err = run(capsys, "check", OPTIMIZERS, theirs, "-o", feedback)
    assert code == 1 and "g_{1}(b_{12})" in feedback.read_text(encoding="utf-8")  # the name as the sheet prints it


@pytest.mark.slow
def test_a_long_run_has_a_skeleton_check_reads_and_is_checked_by_its_final_values(tmp_path, capsys):
    """1000 Adam steps: rules keep β₁ᵗ as a symbol (written out, 0.9¹⁰⁰⁰ has a thousand digits) and runs of more
    than 200 steps are checked by their final parameters, so the skeleton stays far below the 1 MB answers limit."""
    text = OPTIMIZERS.read_text(encoding="utf-8").replace("steps = 3", "steps = 1000", 1)
    path = tmp_path / "long.toml"
    path.write_text(text, encoding="utf-8")
    code, _, err = run(capsys, "answers", path, "-o", tmp_path / "a.toml")
    assert code == 0, err
    skeleton = (tmp_path / "a.toml").read_text(encoding="utf-8")
    assert len(skeleton.encode()) < 200_000
    first = skeleton.split("[exercises.1]")[1].split("[exercises.")[0]
    assert '"b12[1000]"' in first and '"b12[999]"' not in first and "final values only" in first
    code, _, err = run(capsys, "check", path, tmp_path / "a.toml")
    assert code == 1 and "missing" in _ + err
