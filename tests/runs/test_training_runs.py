"""Training runs against a route written here: a dense network's forward and backward pass by hand, with SGD and
Adam loops from the formulas (PyTorch's conventions), in float64 and in mpmath at 60 digits; and the loss plot
(SVG, pgfplots text) for well-formed, escaped, deterministic output."""

from __future__ import annotations

import dataclasses
import math
import re
import xml.etree.ElementTree as ET
from decimal import ROUND_HALF_UP, Context, Decimal
from fractions import Fraction
from types import SimpleNamespace

import mpmath
import pytest
import sympy
from deadline import no_hang

import symback
from symback.errors import ArgumentError
from symback.numbers.rounding import Rounding
from symback.problem.model import DatasetSpec, ExerciseSpec, OptimizerSpec
from symback.render.plot_svg import (
    MAX_DRAWN,
    line_plot_svg,
    nice_ticks,
    pgfplots_coordinates,
    plain_decimal,
    thin,
    xml_text,
)
from symback.render.training_plot import pgfplots
from symback.runs.training import TOY, batches, exact_first_step, train

# --- the reference: a dense network by hand, generic in the number type


FLOAT = SimpleNamespace(exp=math.exp, log=math.log, sqrt=math.sqrt, num=lambda f: float(Fraction(f)))
MP = SimpleNamespace(exp=mpmath.exp, log=mpmath.log, sqrt=mpmath.sqrt,
                     num=lambda f: mpmath.mpf(Fraction(f).numerator) / Fraction(f).denominator)

WS23_LAYERS = [([["a11", "a12"], ["a21", "a22"]], None, "sigmoid"), ([["b11", "b12"]], None, "identity")]
XOR_LAYERS = [([["w11", "w12"], ["w21", "w22"]], ["b1", "b2"], "sigmoid"), ([["v11", "v12"]], ["c1"], "sigmoid")]


def forward_backward(layers, theta, x, y, loss, ns):
    """L and dL/dθ for one sample: z = W h + b, h' = f(z); deltas backwards from dL/dŷ."""
    def act(kind, z):
        return 1 / (1 + ns.exp(-z)) if kind == "sigmoid" else z

    def slope(kind, h):
        return h * (1 - h) if kind == "sigmoid" else 1

    hs = [list(x)]
    for names, bias, kind in layers:
        z = [sum(theta[w] * h for w, h in zip(row, hs[-1])) + (theta[bias[i]] if bias else 0)
             for i, row in enumerate(names)]
        hs.append([act(kind, v) for v in z])
    out = hs[-1]
    if loss == "squared_error":
        value, upstream = sum((p - t) ** 2 for p, t in zip(out, y)), [2 * (p - t) for p, t in zip(out, y)]
    elif loss == "half_squared_error":
        value, upstream = sum((p - t) ** 2 for p, t in zip(out, y)) / 2, [p - t for p, t in zip(out, y)]
    else:  # binary cross-entropy
        value = -sum(t * ns.log(p) + (1 - t) * ns.log(1 - p) for p, t in zip(out, y))
        upstream = [-t / p + (1 - t) / (1 - p) for p, t in zip(out, y)]
    grads = {}
    for depth in range(len(layers) - 1, -1, -1):
        names, bias, kind = layers[depth]
        delta = [u * slope(kind, h) for u, h in zip(upstream, hs[depth + 1])]
        for i, row in enumerate(names):
            for j, w in enumerate(row):
                grads[w] = delta[i] * hs[depth][j]
            if bias:
                grads[bias[i]] = delta[i]
        upstream = [sum(theta[names[i][j]] * delta[i] for i in range(len(names))) for j in range(len(hs[depth]))]
    return value, grads


def train_reference(layers, loss, start, xs, ys, *, batch, epochs, kind, lr, trainable, ns, beta1="0.9",
                    beta2="0.999", eps="1e-8"):
    """The run: batches in file order, mean loss and mean gradient, then an SGD or Adam step (bias-corrected)."""
    theta = {name: ns.num(value) for name, value in start.items()}
    data = [([ns.num(v) for v in x], [ns.num(v) for v in y]) for x, y in zip(xs, ys)]
    rate, b1, b2, epsilon = ns.num(lr), ns.num(beta1), ns.num(beta2), ns.num(eps)
    size = batch or len(data)
    m = {name: 0 for name in trainable}
    v = {name: 0 for name in trainable}
    t, steps = 0, []
    for _ in range(epochs):
        for first in range(0, len(data), size):
            members = range(first, min(first + size, len(data)))
            results = [forward_backward(layers, theta, *data[i], loss, ns) for i in range(len(data))]
            batch_loss = sum(results[i][0] for i in members) / len(members)
            dataset_loss = sum(r[0] for r in results) / len(results)
            grad = {name: sum(results[i][1][name] for i in members) / len(members) for name in trainable}
            t += 1
            for name in trainable:
                if kind == "sgd":
                    theta[name] -= rate * grad[name]
                else:
                    m[name] = b1 * m[name] + (1 - b1) * grad[name]
                    v[name] = b2 * v[name] + (1 - b2) * grad[name] ** 2
                    m_hat, v_hat = m[name] / (1 - b1**t), v[name] / (1 - b2**t)
                    theta[name] -= rate * m_hat / (ns.sqrt(v_hat) + epsilon)
            steps.append((batch_loss, dataset_loss, grad, dict(theta)))
    final = sum(forward_backward(layers, theta, *d, loss, ns)[0] for d in data) / len(data)
    return steps, final


def close(decimal_value, reference, rel=1e-8, abs_=1e-11):
    return math.isclose(float(decimal_value), float(reference), rel_tol=rel, abs_tol=abs_)


def assert_matches(run, reference):
    steps, final = reference
    assert len(run.steps) == len(steps)
    for got, (batch_loss, dataset_loss, grad, theta) in zip(run.steps, steps):
        assert close(got.batch_loss, batch_loss) and close(got.dataset_loss, dataset_loss), got.step
        assert set(got.gradient) == set(grad)
        assert all(close(got.gradient[n], grad[n]) for n in grad), (got.step, dict(got.gradient), grad)
        assert all(close(got.parameters[n], theta[n]) for n in theta), (got.step, dict(got.parameters), theta)
    assert close(run.final_loss, final)


# --- problems


XOR = """
title = "XOR <2-2-1> & \\"friends\\""
[network]
inputs = ["x1", "x2"]
{frozen}
[[network.layers]]
weights = "W"
values = [[0.5, -0.4], [0.3, 0.8]]
bias = "b"
bias_values = [0.1, -0.2]
activation = "sigmoid"
[[network.layers]]
weights = "V"
values = [[0.7, -0.6]]
bias = "c"
bias_values = [0.05]
activation = "sigmoid"
[loss]
kind = "binary_cross_entropy"
[data]
x = [[0, 0], [0, 1], [1, 0], [1, 1]]
y = [0, 1, 1, 0]
[[exercises]]
id = "online"
task = "train"
lr = 0.5
batch = 1
epochs = 50
[[exercises]]
id = "adam"
task = "train"
optimizer = {{ kind = "adam", lr = 0.05, beta2 = 0.99 }}
batch = 2
epochs = 10
[[exercises]]
id = "short"
task = "train"
optimizer = "sgd"
lr = "1/2"
batch = 2
epochs = 2
[[exercises]]
id = "adam-short"
task = "train"
optimizer = {{ kind = "adam", lr = 0.1 }}
batch = 3
epochs = 2
[[exercises]]
id = "first-layer"
task = "train"
lr = 1
batch = "full"
epochs = 3
params = ["w11", "w22", "b2"]
"""

XOR_START = {"w11": "0.5", "w12": "-0.4", "w21": "0.3", "w22": "0.8", "b1": "0.1", "b2": "-0.2", "v11": "0.7",
             "v12": "-0.6", "c1": "0.05"}
XOR_X, XOR_Y = [(0, 0), (0, 1), (1, 0), (1, 1)], [(0,), (1,), (1,), (0,)]


@pytest.fixture(scope="module")
def xor():
    return symback.loads(XOR.format(frozen=""))


def ws23_with(xs, ys):
    problem = symback.load("problems/ws23_backprop.toml")
    data = DatasetSpec(tuple(tuple(sympy.Rational(v) for v in x) for x in xs),
                       tuple(tuple(sympy.Rational(v) for v in y) for y in ys))
    return dataclasses.replace(problem, data=data)


WS23_START = {"a11": 1, "a12": 0, "a21": -2, "a22": 1, "b11": 1, "b12": -1}
WS23_X, WS23_Y = [(1, 3), (0, 0), (1, 1)], [(2,), (1,), ("53/25",)]


def spec(**changes):
    fields = dict(id="run", task="train", optimizer=OptimizerSpec("sgd", sympy.Rational(1, 10)), epochs=4)
    fields.update(changes)
    return ExerciseSpec(**fields)


# --- the schedule


def test_batches_in_file_order_with_a_smaller_last_batch():
    assert batches(5, 2) == [(0, 1), (2, 3), (4,)]
    assert batches(4, None) == [(0, 1, 2, 3)]
    assert batches(3, 1) == [(0,), (1,), (2,)]
    assert batches(4, 4) == [(0, 1, 2, 3)]


def test_steps_record_epoch_step_and_one_based_samples(xor):
    run = train(xor, "short", digits=6)
    assert [(s.epoch, s.step, s.samples) for s in run.steps] == [(1, 1, (1, 2)), (1, 2, (3, 4)), (2, 3, (1, 2)),
                                                                 (2, 4, (3, 4))]
    assert run.batch == 2 and run.epochs == 2 and run.samples == 4 and run.optimizer.kind == "sgd"
    assert all(len(value.as_tuple().digits) <= 6 for s in run.steps for value in s.parameters.values())


# --- against float64


@pytest.mark.parametrize("batch, epochs", [(None, 6), (2, 3), (1, 2)])
def test_ws23_full_mini_and_single_sample_batches_match_float64(batch, epochs):
    problem = ws23_with(WS23_X, WS23_Y)
    run = train(problem, spec(batch=batch, epochs=epochs), digits=14)
    names = tuple(WS23_START)
    reference = train_reference(WS23_LAYERS, "squared_error", WS23_START, WS23_X, WS23_Y, batch=batch,
                                epochs=epochs, kind="sgd", lr="0.1", trainable=names, ns=FLOAT)
    assert_matches(run, reference)
    assert len(run.steps) == epochs * len(batches(3, batch))
    if batch == 2:
        assert [s.samples for s in run.steps[:2]] == [(1, 2), (3,)]  # the last batch holds the one left over


@pytest.mark.slow
def test_xor_one_sample_at_a_time_200_steps_matches_float64(xor):
    with no_hang():
        run = train(xor, "online", digits=12)
    assert len(run.steps) == 200
    reference = train_reference(XOR_LAYERS, "bce", XOR_START, XOR_X, XOR_Y, batch=1, epochs=50, kind="sgd",
                                lr="0.5", trainable=tuple(XOR_START), ns=FLOAT)
    assert_matches(run, reference)


def test_xor_adam_with_mini_batches_and_squared_error_matches_float64(xor):
    exercise = dataclasses.replace(xor.exercise("adam"), loss=symback.problem.model.LossSpec("squared_error"))
    run = train(xor, exercise, digits=12)
    assert run.hyperparameters["beta2"] == sympy.Rational(99, 100)  # the file's option, the other defaults
    assert run.hyperparameters["beta1"] == sympy.Rational(9, 10)
    reference = train_reference(XOR_LAYERS, "squared_error", XOR_START, XOR_X, XOR_Y, batch=2, epochs=10,
                                kind="adam", lr="0.05", beta2="0.99", trainable=tuple(XOR_START), ns=FLOAT)
    assert_matches(run, reference)


def test_the_batch_gradient_is_the_mean_of_the_samples_gradients(xor):
    run = train(xor, "adam-short", digits=15)
    first = run.steps[0]
    assert first.samples == (1, 2, 3)
    exact = [symback.backprop(xor, x=x, y=y) for x, y in zip(XOR_X[:3], XOR_Y[:3])]
    for name in XOR_START:
        mean = sum(r.grad[name] for r in exact) / 3
        assert close(first.gradient[name], sympy.N(mean, 30), rel=1e-13)
    assert close(first.batch_loss, sympy.N(sum(r.loss for r in exact) / 3, 30), rel=1e-13)
    assert run.steps[1].samples == (4,)  # then the one sample left over


def test_loss_decreases_for_a_small_learning_rate_on_a_convex_problem():
    problem = symback.loads("""
title = "least squares"
[network]
inputs = 2
[[network.layers]]
weights = "W"
values = [[0, 0]]
bias = "b"
bias_values = [0]
activation = "identity"
[loss]
kind = "squared_error"
[data]
x = [[1, 2], [2, 0], [0, 1], [3, 1]]
y = [1, 2, -1, "1/3"]
[[exercises]]
id = "fit"
task = "train"
lr = 0.02
epochs = 40
""")
    run = train(problem, "fit", digits=8)
    losses = [loss for _, loss in run.dataset_loss_points]
    assert len(losses) == 41 and all(later < earlier for earlier, later in zip(losses, losses[1:]))


# --- correctly rounded, against mpmath at 60 digits


def half_up(value, digits):
    text = mpmath.nstr(value, 60, strip_zeros=False, min_fixed=1, max_fixed=0)
    return Decimal(0) if value == 0 else Context(prec=digits, rounding=ROUND_HALF_UP).plus(Decimal(text))


@pytest.mark.parametrize("exercise, kind, lr, batch", [("short", "sgd", "0.5", 2), ("adam-short", "adam", "0.1", 3)])
@pytest.mark.parametrize("digits", [4, 12])
def test_decimals_are_correctly_rounded_against_mpmath(xor, exercise, kind, lr, batch, digits):
    with mpmath.workdps(60):
        steps, final = train_reference(XOR_LAYERS, "bce", XOR_START, XOR_X, XOR_Y, batch=batch, epochs=2,
                                       kind=kind, lr=lr, trainable=tuple(XOR_START), ns=MP)
        expected = [(half_up(b, digits), half_up(d, digits), {n: half_up(g[n], digits) for n in g},
                     {n: half_up(t[n], digits) for n in t}) for b, d, g, t in steps]
        expected_final = half_up(final, digits)
    run = train(xor, exercise, digits=digits)
    got = [(s.batch_loss, s.dataset_loss, dict(s.gradient), dict(s.parameters)) for s in run.steps]
    assert got == expected
    assert run.final_loss == expected_final


# --- what moves


def test_only_the_exercises_params_move_and_frozen_ones_never(xor):
    run = train(xor, "first-layer", digits=12)
    moving = ("w11", "w22", "b2")
    assert run.trainable == moving and set(run.steps[0].gradient) == set(moving)
    for step in run.steps:
        assert {n: v for n, v in step.parameters.items() if n not in moving} == \
               {n: Decimal(XOR_START[n]) for n in XOR_START if n not in moving}
    reference = train_reference(XOR_LAYERS, "bce", XOR_START, XOR_X, XOR_Y, batch=None, epochs=3, kind="sgd",
                                lr="1", trainable=moving, ns=FLOAT)
    assert_matches(run, reference)

    frozen = symback.loads(XOR.format(frozen='frozen = ["c1", "v12"]').replace('params = ["w11", "w22", "b2"]', ""))
    run = train(frozen, "short", digits=8)
    assert "c1" not in run.trainable and "v12" not in run.trainable
    assert all(s.parameters["c1"] == Decimal("0.05") and s.parameters["v12"] == Decimal("-0.6") for s in run.steps)
    with pytest.raises(ArgumentError, match="frozen"):
        train(frozen, dataclasses.replace(frozen.exercise("short"), params=("c1",)))


def test_activation_and_loss_overrides_of_the_exercise_apply():
    problem = ws23_with(WS23_X, WS23_Y)
    zero = train(problem, spec(activations={1: symback.problem.model.ActivationSpec("zero")}, epochs=2), digits=10)
    for step in zero.steps:  # f ≡ 0: nothing reaches layer 1, so its weights get exactly 0 and stay put
        assert all(step.gradient[n] == 0 and step.parameters[n] == WS23_START[n] for n in ("a11", "a12", "a21", "a22"))
    plain = train(problem, spec(epochs=1), digits=10)
    half = train(problem, spec(epochs=1, loss=symback.problem.model.LossSpec("half_squared_error")), digits=10)
    assert close(half.steps[0].batch_loss * 2, plain.steps[0].batch_loss, rel=1e-9)
    assert close(half.steps[0].gradient["b12"] * 2, plain.steps[0].gradient["b12"], rel=1e-9)


def test_exact_zeros_and_values_that_are_zero_only_up_to_rounding_finish_quickly():
    problem = ws23_with([(1, 3)], [(0,)])  # ŷ = σ(1) − σ(1) = 0 = y: loss and every gradient exactly 0
    run = train(problem, spec(epochs=3), digits=6)
    assert all(s.batch_loss == 0 and set(s.gradient.values()) == {0} for s in run.steps)
    fitted = symback.loads("""
title = "an exact fit through 1/3"
[network]
inputs = 1
[[network.layers]]
weights = "W"
values = [["1/3"]]
activation = "identity"
[loss]
kind = "squared_error"
[data]
x = [3, 3]
y = [1, 1]
[[exercises]]
id = "fit"
task = "train"
lr = 0.05
batch = 1
epochs = 100
""")
    with no_hang():
        run = train(fitted, "fit")  # in decimals 3 · 0.333… ≠ 1: a residue at every precision, never exactly 0
    assert all(s.batch_loss == 0 and s.gradient["w11"] == 0 for s in run.steps)
    assert run.final_parameters["w11"] == Decimal("0.3333") and run.final_loss == 0


def test_the_dataset_loss_can_be_measured_each_epoch_or_not_at_all(xor):
    per_epoch = train(xor, "short", dataset_loss="epoch")
    assert [s.dataset_loss is not None for s in per_epoch.steps] == [True, False, True, False]
    assert [t for t, _ in per_epoch.dataset_loss_points] == [0, 2, 4]
    assert per_epoch.steps[0].dataset_loss == train(xor, "short").steps[0].dataset_loss
    none = train(xor, "short", dataset_loss="none")
    assert none.final_loss is None and all(s.dataset_loss is None for s in none.steps)


def test_exact_first_step_when_short_and_none_when_long(xor):
    toy = symback.loads(TOY)
    step = exact_first_step(toy, "fit")
    assert (step.batch_loss, step.gradient["w11"], step.parameters["w11"]) == (sympy.Rational(1, 2), -1,
                                                                                sympy.Rational(11, 10))
    assert step.dataset_loss == sympy.Rational(1, 3)  # (1 + 0 + 0)/3 at w = 1
    assert Decimal(str(sympy.N(step.parameters["w11"], 10))) == train(toy, "fit", digits=10).steps[0].parameters["w11"]
    assert exact_first_step(xor, "online") is None


def test_bad_requests_are_argument_errors(xor):
    with pytest.raises(ArgumentError, match="no exercise"):
        train(xor, "nope")
    with pytest.raises(ArgumentError, match="not train"):
        train(xor, dataclasses.replace(xor.exercise("short"), task="sgd"))
    with pytest.raises(ArgumentError, match="data"):
        train(symback.load("problems/ws23_backprop.toml"), spec())
    with pytest.raises(ArgumentError, match="batch of 5"):
        train(xor, dataclasses.replace(xor.exercise("short"), batch=5))
    with pytest.raises(ArgumentError, match="no option 'beta1'"):
        train(xor, dataclasses.replace(xor.exercise("short"), optimizer=OptimizerSpec("sgd", 1, {"beta1": 0})))
    with pytest.raises(ArgumentError, match="unknown optimizer"):
        train(xor, dataclasses.replace(xor.exercise("short"), optimizer=OptimizerSpec("nadam", 1)))
    with pytest.raises(ArgumentError, match="digits"):
        train(xor, "short", digits=0)
    with pytest.raises(ArgumentError, match="dataset_loss"):
        train(xor, "short", dataset_loss="sometimes")
    many = ws23_with([(i, 1) for i in range(30)], [(1,)] * 30)
    with pytest.raises(ArgumentError, match="sample passes"):
        train(many, spec(batch=1, epochs=1000))


def test_a_problem_file_with_data_and_a_train_exercise_loads_and_runs():
    problem = symback.loads("""
title = "OR, in a file"
digits = 5
[network]
inputs = 2
[[network.layers]]
weights = "W"
values = [[1, -1]]
bias = [0]
activation = "sigmoid"
[loss]
kind = "binary_cross_entropy"
[data]
x = [[0, 0], [0, 1], [1, 0], [1, 1]]
y = [0, 1, 1, 1]
[[exercises]]
id = "7"
task = "train"
optimizer = { kind = "adam", lr = 0.1, eps = "1/1000" }
batch = 3
epochs = 3
""")
    run = train(problem, "7")
    assert run.digits == Rounding(5) and run.hyperparameters["eps"] == sympy.Rational(1, 1000)
    assert [s.samples for s in run.steps] == [(1, 2, 3), (4,)] * 3
    reference = train_reference([([["w11", "w12"]], None, "sigmoid")], "bce", {"w11": 1, "w12": -1}, XOR_X,
                                [(0,), (1,), (1,), (1,)], batch=3, epochs=3, kind="adam", lr="0.1", eps="0.001",
                                trainable=("w11", "w12"), ns=FLOAT)
    steps, final = reference
    assert all(close(s.parameters[n], r[3][n], rel=1e-4) for s, r in zip(run.steps, steps) for n in r[3])


# --- the plot


def polyline_points(svg):
    root = ET.fromstring(svg)
    return [len(line.get("points").split()) for line in root.iter("{http://www.w3.org/2000/svg}polyline")]


@pytest.mark.parametrize("count", [1, 2, 7, 500, MAX_DRAWN])
def test_svg_draws_every_point_up_to_the_limit(count):
    points = [(k, 1 / (k + 1)) for k in range(count)]
    svg = line_plot_svg([("loss", points)], title="t", x_label="step", y_label="loss")
    assert polyline_points(svg) == [count]


def test_svg_thins_huge_series_keeping_the_extremes():
    points = [(k, math.sin(k / 50) + (5 if k == 7777 else 0)) for k in range(10_000)]
    svg = line_plot_svg([("loss", points), ("other", points[:10])])
    drawn = polyline_points(svg)
    assert drawn[0] <= MAX_DRAWN and drawn[1] == 10
    assert len(svg) < 200_000
    kept = thin(points)
    assert len(kept) <= MAX_DRAWN and (7777, points[7777][1]) in kept and kept == sorted(kept)
    assert min(kept, key=lambda p: p[1]) == min(points, key=lambda p: p[1])


def test_svg_escapes_hostile_text_and_is_deterministic():
    hostile = '<script>alert("pwned")</script> & \'quotes\' \x00\x1b end'
    svg = line_plot_svg([(hostile, [(0, 1), (1, 0.5)])], title=hostile, x_label=hostile, y_label="&amp;")
    root = ET.fromstring(svg)  # well-formed despite everything
    assert not list(root.iter("{http://www.w3.org/2000/svg}script")) and "<script" not in svg
    texts = [element.text for element in root.iter("{http://www.w3.org/2000/svg}text")]
    assert texts.count('<script>alert("pwned")</script> & \'quotes\'  end') == 3
    assert "&amp;" in texts
    assert svg == line_plot_svg([(hostile, [(0, 1), (1, 0.5)])], title=hostile, x_label=hostile, y_label="&amp;")
    assert xml_text("x" * 1000).endswith("…") and len(xml_text("x" * 1000)) <= 160


def test_svg_handles_a_single_point_and_a_constant_series():
    for points in ([(3, Decimal("0.25"))], [(k, 2) for k in range(5)], [(0, 0), (1, 0)]):
        root = ET.fromstring(line_plot_svg([("loss", points)]))
        labels = [e.text for e in root.iter("{http://www.w3.org/2000/svg}text")]
        assert labels and all(re.fullmatch(r"-?[0-9.]+(e[-+][0-9]+)?|loss|line plot", t) for t in labels)
    with pytest.raises(ArgumentError):
        line_plot_svg([("loss", [])])
    with pytest.raises(ArgumentError):
        line_plot_svg([("loss", [(0, float("inf"))])])


def test_ticks_are_round_numbers():
    for low, high in [(0.0312, 0.977), (0, 200), (1e-9, 3e-9), (-7, 13), (0.69, 0.7)]:
        ticks = nice_ticks(low, high)
        gaps = {b - a for a, b in zip(ticks, ticks[1:])}
        assert len(gaps) == 1 and 3 <= len(ticks) <= 12
        assert float(ticks[0]) <= low * (1 + 1e-12) and float(ticks[-1]) >= high * (1 - 1e-12)
        gap = gaps.pop()
        assert gap.normalize().as_tuple().digits in ((1,), (2,), (5,))
    assert nice_ticks(0, 3, whole=True) == [0, 1, 2, 3]


def test_pgfplots_text_parses_back_to_the_numbers():
    points = [(k, Decimal(1) / Decimal(k + 3)) for k in range(20)] + [(20, Decimal("1.5E-9")), (21, 0.125)]
    text = pgfplots_coordinates(points)
    assert text.startswith("coordinates {(0,") and text.endswith(")}")
    pairs = re.findall(r"\(([^,()]+),([^,()]+)\)", text)
    assert [(int(x), Decimal(y)) for x, y in pairs] == [(x, Decimal(str(y))) for x, y in points]
    assert not re.search(r"[eE]", text.replace("coordinates", ""))
    assert plain_decimal(Decimal("-0")) == "0"
    assert len(re.findall(r"\(", pgfplots_coordinates([(k, k) for k in range(10_000)]))) <= MAX_DRAWN


def test_a_run_plots_its_losses(xor):
    run = train(xor, "short")
    svg = run.svg()
    assert polyline_points(svg) == [4, 5]  # batch loss before each step; loss over all samples, and the final one
    assert "XOR &lt;2-2-1&gt; &amp; &quot;friends&quot;: exercise short" in svg
    coordinates = pgfplots(run)
    assert set(coordinates) == {"batch", "dataset"} and coordinates["dataset"].count("(") == 5
    full = train(xor, "first-layer")
    assert polyline_points(full.svg(title="")) == [4]  # full batch: one curve, the final loss included


def test_a_saturated_sigmoid_that_rounds_to_1_at_low_precision_still_trains():
    problem = symback.loads("""
title = "confident"
[network]
inputs = 1
[[network.layers]]
weights = "W"
values = [[100]]
activation = "sigmoid"
[loss]
kind = "binary_cross_entropy"
[data]
x = [1]
y = [1]
[[exercises]]
id = "1"
task = "train"
lr = 1
epochs = 2
""")
    run = train(problem, "1", digits=6)  # σ(100) = 1 − 4·10⁻⁴⁴ rounds to 1 or more at 18 digits; BCE needs ŷ < 1
    with mpmath.workdps(50):
        assert run.steps[0].batch_loss == half_up(mpmath.log(1 + mpmath.exp(-100)), 6)


def test_every_registered_optimizer_runs(xor):
    from symback.runs.optimizers import OPTIMIZERS
    first = train(xor, "short").steps[0]
    for kind in OPTIMIZERS:
        exercise = dataclasses.replace(xor.exercise("short"), optimizer=OptimizerSpec(kind, sympy.Rational(1, 10)))
        run = train(xor, exercise)
        assert run.steps[0].batch_loss == first.batch_loss and run.steps[0].gradient == first.gradient
        assert len(run.steps) == 4 and run.final_loss > 0
