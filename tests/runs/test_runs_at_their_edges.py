"""Review of optimizer and training runs against routes written here (float64 loops), on the edges: diverging
runs, degenerate hyperparameters, odd batches."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

import symback
from symback.render.training_plot import log_scale, pgfplots

LINEAR = '''
title = "a line"
[network]
inputs = 1
[[network.layers]]
weights = "W"
values = [[1]]
bias = "c"
bias_values = [0]
activation = "identity"
[loss]
kind = "squared_error"
[data]
x = [1, 2, 3]
y = [2, 2, 3]
[[exercises]]
id = "1"
task = "train"
lr = {lr}
batch = {batch}
epochs = {epochs}
'''


def linear_float(lr: float, batch: int, epochs: int, xs=(1.0, 2.0, 3.0), ys=(2.0, 2.0, 3.0)):
    """ŷ = w·x + c, L = (ŷ − y)², plain SGD over batches in file order: (batch loss, dataset loss, w, c) per
    step."""
    w, c, out = 1.0, 0.0, []
    for _ in range(epochs):
        for start in range(0, len(xs), batch):
            part = list(range(start, min(start + batch, len(xs))))
            loss = sum((w * xs[i] + c - ys[i]) ** 2 for i in part) / len(part)
            whole = sum((w * x + c - y) ** 2 for x, y in zip(xs, ys)) / len(xs)
            gw = sum(2 * (w * xs[i] + c - ys[i]) * xs[i] for i in part) / len(part)
            gc = sum(2 * (w * xs[i] + c - ys[i]) for i in part) / len(part)
            w, c = w - lr * gw, c - lr * gc
            out.append((loss, whole, w, c))
    return out


@pytest.mark.parametrize("lr, batch, epochs", [(1, 3, 50), (0.3, 2, 40), (0.05, 1, 30)])
def test_a_diverging_run_keeps_its_early_losses(lr, batch, epochs):
    """A run that diverges reaches values 10⁹⁸ times the first ones; the early losses (1/3 at the start) must not be
    taken for rounding noise of the large ones and reported as 0."""
    problem = symback.loads(LINEAR.format(lr=lr, batch=batch, epochs=epochs))
    run = symback.train(problem, "1")
    expected = linear_float(lr, batch, epochs)
    assert len(run.steps) == len(expected)
    for step, (loss, whole, w, c) in zip(run.steps, expected):
        assert float(step.batch_loss) == pytest.approx(loss, rel=1e-3, abs=0)
        assert float(step.dataset_loss) == pytest.approx(whole, rel=1e-3, abs=0)
        assert float(step.parameters["w11"]) == pytest.approx(w, rel=1e-3, abs=0)
        assert float(step.parameters["c1"]) == pytest.approx(c, rel=1e-3, abs=0)


SATURATED = '''
title = "a saturated sigmoid"
[network]
inputs = 1
[[network.layers]]
weights = "W"
values = [[1]]
activation = "sigmoid"
[loss]
kind = "squared_error"
[data]
x = [{x}]
y = [1]
[[exercises]]
id = "1"
task = "train"
lr = 1
epochs = 2
'''


@pytest.mark.parametrize("x", [40, 60, 150, 200])
def test_a_vanishing_gradient_keeps_its_digits(x):
    """At a saturated sigmoid the gradient is tiny (about e^(−2x)), not 0: it is correctly rounded, and the loss
    too."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 400
    run = symback.train(symback.loads(SATURATED.format(x=x)), "1")
    w = mpmath.mpf(1)
    for step in run.steps:
        s = 1 / (1 + mpmath.exp(-w * x))
        loss, grad = (s - 1) ** 2, 2 * (s - 1) * s * (1 - s) * x
        for got, want in ((step.batch_loss, loss), (step.gradient["w11"], grad)):
            assert got != 0
            assert abs(mpmath.mpf(str(got)) / want - 1) < mpmath.mpf("5e-4")
        w = w - grad


XOR5 = '''
title = "XOR and one more"
[network]
inputs = 2
[[network.layers]]
weights = "A"
values = [[1, -1], [-1, 1]]
bias = "c"
bias_values = [0, 0]
activation = "sigmoid"
[[network.layers]]
weights = "B"
values = [[1, 1]]
activation = "sigmoid"
[loss]
kind = "binary_cross_entropy"
[data]
x = [[0, 0], [0, 1], [1, 0], [1, 1], [2, 2]]
y = [0, 1, 1, 0, 1]
[[exercises]]
id = "1"
task = "train"
optimizer = {{ kind = "{kind}", lr = 0.1{options} }}
batch = {batch}
epochs = {epochs}
'''


def xor5_adam_float(batch: int, epochs: int, lr=0.1, b1=0.9, b2=0.999, eps=1e-8, weight_decay=None):
    """The 2-2-1 sigmoid network with binary cross-entropy, trained with Adam (AdamW with ``weight_decay``) in
    float64 (PyTorch's loops)."""
    xs = [(0, 0), (0, 1), (1, 0), (1, 1), (2, 2)]
    ys = [0, 1, 1, 0, 1]
    p = {"a11": 1.0, "a12": -1.0, "a21": -1.0, "a22": 1.0, "c1": 0.0, "c2": 0.0, "b11": 1.0, "b12": 1.0}
    m = dict.fromkeys(p, 0.0)
    v = dict.fromkeys(p, 0.0)
    sig = lambda z: 1 / (1 + math.exp(-z))
    t, losses = 0, []

    def sample(x, y):
        h1 = sig(p["a11"] * x[0] + p["a12"] * x[1] + p["c1"])
        h2 = sig(p["a21"] * x[0] + p["a22"] * x[1] + p["c2"])
        yh = sig(p["b11"] * h1 + p["b12"] * h2)
        loss = -(y * math.log(yh) + (1 - y) * math.log(1 - yh))
        d = yh - y  # dL/dz of the output for sigmoid with cross-entropy
        d1, d2 = d * p["b11"] * h1 * (1 - h1), d * p["b12"] * h2 * (1 - h2)
        return loss, {"a11": d1 * x[0], "a12": d1 * x[1], "c1": d1, "a21": d2 * x[0], "a22": d2 * x[1], "c2": d2,
                      "b11": d * h1, "b12": d * h2}

    for _ in range(epochs):
        for start in range(0, len(xs), batch):
            part = range(start, min(start + batch, len(xs)))
            results = [sample(xs[i], ys[i]) for i in part]
            losses.append(sum(r[0] for r in results) / len(results))
            g = {n: sum(r[1][n] for r in results) / len(results) for n in p}
            t += 1
            for n in p:
                if weight_decay is not None:
                    p[n] *= 1 - lr * weight_decay
                m[n] = b1 * m[n] + (1 - b1) * g[n]
                v[n] = b2 * v[n] + (1 - b2) * g[n] ** 2
                p[n] -= lr * (m[n] / (1 - b1**t)) / (math.sqrt(v[n] / (1 - b2**t)) + eps)
    final = sum(sample(x, y)[0] for x, y in zip(xs, ys)) / len(xs)
    return losses, p, final


@pytest.mark.parametrize("batch, epochs", [pytest.param(1, 200, marks=pytest.mark.slow), pytest.param(2, 60, marks=pytest.mark.slow), (5, 100)])
def test_a_long_adam_run_matches_float64(batch, epochs):
    """1000 steps of Adam, one sample at a time (the sample (0, 0) gives exact zero gradients for A), mini-batches
    that do not divide the data, and full batch."""
    run = symback.train(symback.loads(XOR5.format(kind="adam", options="", batch=batch, epochs=epochs)), "1")
    losses, final_parameters, final_loss = xor5_adam_float(batch, epochs)
    assert [float(s.batch_loss) for s in run.steps] == pytest.approx(losses, rel=6e-4)
    for name, value in final_parameters.items():
        assert float(run.final_parameters[name]) == pytest.approx(value, rel=6e-4, abs=1e-12)
    assert float(run.final_loss) == pytest.approx(final_loss, rel=6e-4)


OPTIMIZE = '''
title = "one weight"
[network]
inputs = 1
[[network.layers]]
weights = "W"
values = [[2]]
activation = "sigmoid"
[loss]
kind = "squared_error"
[[exercises]]
id = "1"
task = "optimize"
x = 1
y = 0
optimizer = {optimizer}
steps = {steps}
'''


@pytest.mark.parametrize("optimizer, key, words", [
    ('{ kind = "adam", lr = 0.1, beta1 = 1 }', "beta1", "0 <= beta1 < 1"),
    ('{ kind = "adamw", lr = 0.1, beta2 = 1 }', "beta2", "0 <= beta2 < 1"),
    ('{ kind = "adam", lr = 0.1, beta1 = -0.5 }', "beta1", "0 <= beta1 < 1"),
    ('{ kind = "rmsprop", lr = 0.1, rho = 1, eps = 0 }', "rho", "0 <= rho < 1"),
    ('{ kind = "rmsprop", lr = 0.1, rho = 2 }', "rho", "0 <= rho < 1"),
    ('{ kind = "adam", lr = 0.1, eps = -1 }', "eps", "eps >= 0"),
    ('{ kind = "adam", lr = 0.1, eps = "pi - 355/113" }', "eps", "eps >= 0"),
    ('{ kind = "adamw", lr = 0.1, weight_decay = -0.01 }', "weight_decay", "weight_decay >= 0"),
    ('{ kind = "nesterov", lr = 0.1, momentum = -0.9 }', "momentum", "0 <= momentum"),
])
def test_an_option_out_of_range_is_one_line_naming_its_key(optimizer, key, words):
    """β = 1 divides by 1 − βᵗ = 0, ρ = 1 with ε = 0 by √0 + 0, a negative ε can make √v̂ + ε vanish: each is an
    error naming the key, not a crash or a message about the learning rate."""
    with pytest.raises(symback.errors.ProblemError) as caught:
        symback.loads(OPTIMIZE.format(optimizer=optimizer, steps=3))
    assert str(caught.value).startswith(f"<string>: exercises[id=1].optimizer.{key}: expected {words}, got ")


@pytest.mark.parametrize("optimizer", [
    '{ kind = "adam", lr = 0.1, beta1 = 0, beta2 = 0, eps = 0 }',
    '{ kind = "rmsprop", lr = 0.1, rho = 0, eps = 0 }',
    '{ kind = "momentum", lr = 0.1, momentum = 0 }',
    '{ kind = "nesterov", lr = 0.1, momentum = 1 }',
    '{ kind = "adamw", lr = 0.1, weight_decay = 0 }',
])
def test_options_at_the_edge_of_their_range_are_allowed(optimizer):
    run = symback.optimize(symback.loads(OPTIMIZE.format(optimizer=optimizer, steps=3)), "1")
    assert len(run.steps) == 3


@pytest.mark.parametrize("steps, shown", [('"3"', "a string '3'"), ("2.5", "a float 2.5"), ("true", "a boolean true"),
                                          ("0", "0")])
def test_a_count_of_the_wrong_type_is_named_in_toml_words(steps, shown):
    with pytest.raises(symback.errors.ProblemError) as caught:
        symback.loads(OPTIMIZE.format(optimizer='"sgd"\nlr = 1', steps=steps))
    assert str(caught.value) == f"<string>: exercises[id=1].steps: expected a whole number of steps from 1 to 1000, got {shown}"


def test_a_run_diverging_past_float_range_is_plotted_on_a_log_scale(tmp_path):
    """Losses up to 10¹²²³ (beyond float64) used to stop the whole sheet with "cannot plot the point"; they are drawn
    on a log scale, in the SVG and in pgfplots, and the PDF builds."""
    import xml.etree.ElementTree as ElementTree

    from symback.render.pdf import latex_available
    from symback.render.write import write_sheets

    problem_path = tmp_path / "diverge.toml"
    problem_path.write_text(LINEAR.format(lr=10, batch=3, epochs=300), encoding="utf-8")
    problem = symback.load(problem_path)
    run = symback.train(problem, "1")
    losses = [w for _, w, _, _ in linear_float(10, 3, 40)]
    assert [float(s.dataset_loss) for s in run.steps[:40]] == pytest.approx(losses, rel=1e-3)
    assert run.final_loss > Decimal("1e1000") and log_scale(run)
    root = ElementTree.fromstring(run.svg())
    ticks = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "1" in ticks and "1e+500" in ticks and "loss (log scale)" in ticks
    for line in root.iter("{http://www.w3.org/2000/svg}polyline"):
        numbers = [float(v) for pair in line.get("points").split() for v in pair.split(",")]
        assert all(math.isfinite(v) and 0 <= v <= 640 for v in numbers)
    assert "e1223" in pgfplots(run)["dataset"]
    formats = ("md", "tex", "pdf") if latex_available() else ("md", "tex")
    report = write_sheets(problem, tmp_path / "out", formats=formats)
    tex = (tmp_path / "out" / "diverge.tex").read_text(encoding="utf-8")
    assert "ymode=log" in tex
    assert {path.suffix for path in report.written} >= {"." + f for f in formats} | {".svg"}


def test_an_ordinary_run_keeps_a_linear_axis():
    run = symback.train(symback.loads(LINEAR.format(lr=0.05, batch=3, epochs=5)), "1")
    assert not log_scale(run) and "log scale" not in run.svg() and "e-" not in pgfplots(run)["dataset"]


@pytest.mark.parametrize("batch, epochs, options", [(3, 20, ", weight_decay = 0.1"), (4, 10, ", beta1 = 0, eps = 0")])
def test_adamw_and_degenerate_adam_runs_match_float64(batch, epochs, options):
    """AdamW with batches of 3 from 5 samples (3, then the 2 left over), and Adam with β₁ = 0 and ε = 0."""
    kind = "adamw" if "weight_decay" in options else "adam"
    run = symback.train(symback.loads(XOR5.format(kind=kind, options=options, batch=batch, epochs=epochs)), "1")
    if kind == "adamw":
        losses, final_parameters, final_loss = xor5_adam_float(batch, epochs, weight_decay=0.1)
    else:
        losses, final_parameters, final_loss = xor5_adam_float(batch, epochs, b1=0.0, eps=0.0)
    assert [s.samples for s in run.steps[:2]] == ([(1, 2, 3), (4, 5)] if batch == 3 else [(1, 2, 3, 4), (5,)])
    assert [float(s.batch_loss) for s in run.steps] == pytest.approx(losses, rel=6e-4)
    for name, value in final_parameters.items():
        assert float(run.final_parameters[name]) == pytest.approx(value, rel=6e-4, abs=1e-12)
    assert float(run.final_loss) == pytest.approx(final_loss, rel=6e-4)


KINK = '''
title = "relu at its kink after a step"
[network]
inputs = 1
[[network.layers]]
weights = "W"
values = [[1]]
bias = "c"
bias_values = [0]
activation = "relu"
[[network.layers]]
weights = "B"
values = [[1]]
activation = "identity"
[loss]
kind = "squared_error"
[data]
x = ["{x}"]
y = [-1]
[[exercises]]
id = "1"
task = "train"
lr = "{lr}"
params = ["c1"]
epochs = 3
'''


def kink_fractions(x: Fraction, lr: Fraction, steps: int):
    """ŷ = relu(x + c), L = (ŷ + 1)², c trained by SGD, in exact fractions with relu'(0) = 0: (L, g) per step."""
    c, out = Fraction(0), []
    for _ in range(steps):
        z = x + c
        h, slope = (z, 1) if z > 0 else (Fraction(0), 0)
        g = 2 * (h + 1) * slope
        out.append(((h + 1) ** 2, g))
        c -= lr * g
    return out


@pytest.mark.parametrize("x", [Fraction(2, 3), Fraction(5, 7), Fraction(4, 11), Fraction(1, 6), Fraction(1, 3)])
def test_relu_exactly_at_its_kink_after_a_step(x):
    """The learning rate is chosen so that step 1 puts the pre-activation exactly on 0, where relu'(0) = 0 stops
    the run; in decimals x + c is a residue of ±10⁻¹⁷ whose sign used to pick the branch z > 0 (gradient 2)."""
    lr = x / (2 * (x + 1))
    run = symback.train(symback.loads(KINK.format(x=x, lr=lr)), "1")
    expected = kink_fractions(x, lr, 3)
    assert expected[1] == (1, 0)
    for step, (loss, gradient) in zip(run.steps, expected):
        assert Fraction(step.batch_loss) == pytest.approx(loss, rel=5e-4)
        assert Fraction(step.gradient["c1"]) == pytest.approx(gradient, rel=5e-4, abs=0)


@pytest.mark.slow
def test_the_skeleton_of_a_200_step_training_run_can_be_checked(tmp_path, capsys):
    """200 steps of the XOR network (9 parameters) one sample at a time: the answers skeleton used to be 1.2 MB, and
    `check` refuses answers files over 1 MB, so the file `answers` wrote could not be marked."""
    from cli_helpers import run

    source = (Path(__file__).resolve().parents[2] / "problems" / "xor_training.toml").read_text(encoding="utf-8")
    problem = tmp_path / "long.toml"
    problem.write_text(source + '\n[[exercises]]\nid = "4"\ntask = "train"\noptimizer = { kind = "adam", lr = 0.05 }\n'
                       'batch = 1\nepochs = 50\n', encoding="utf-8")
    answers = tmp_path / "mine.toml"
    code, _, err = run(capsys, "answers", problem, "-o", answers)
    assert code == 0, err
    text = answers.read_text(encoding="utf-8")
    assert '"d1[200]"' in text and len(text.encode("utf-8")) < 700_000
    code, out, err = run(capsys, "check", problem, answers)
    assert code == 1 and "missing" in out, err


@pytest.mark.parametrize("data, message", [
    ("x = [[0], [1]]\ny = [1]", "data.y: 1 target for 2 samples of x"),
    ("x = []\ny = []", "data.x: expected an array of 1 to 10000 samples, got an empty array"),
    ("x = 3\ny = [1]", "data.x: expected an array of 1 to 10000 samples, got an integer"),
])
def test_data_of_the_wrong_shape_is_one_clear_line(data, message):
    text = LINEAR.format(lr=1, batch=1, epochs=1).replace("x = [1, 2, 3]\ny = [2, 2, 3]", data)
    with pytest.raises(symback.errors.ProblemError) as caught:
        symback.loads(text)
    assert str(caught.value) == "<string>: " + message


SOFTMAX = '''
title = "softmax"
[network]
inputs = 2
frozen = ["a11"]
[[network.layers]]
weights = "A"
values = [[1, 0], [0, 1], [1, 1]]
bias = "c"
bias_values = [0, 0, 0]
activation = "identity"
[loss]
kind = "softmax_cross_entropy"
[data]
x = [[1, 2], [0, 1], [2, 0]]
y = [[0, 0, 1], [1, 0, 0], [0, 1, 0]]
[[exercises]]
id = "1"
task = "train"
optimizer = { kind = "rmsprop", lr = 0.1, rho = 0.9 }
batch = 2
epochs = 4
[[exercises]]
id = "2"
task = "train"
optimizer = { kind = "nesterov", lr = 0.1, momentum = 0.5 }
params = ["c1", "a32"]
batch = 1
epochs = 3
'''


def softmax_float(kind: str, trained: list[str], batch: int, epochs: int, lr: float, **h):
    xs, ys = [(1, 2), (0, 1), (2, 0)], [(0, 0, 1), (1, 0, 0), (0, 1, 0)]
    p = {"a11": 1.0, "a12": 0.0, "a21": 0.0, "a22": 1.0, "a31": 1.0, "a32": 1.0, "c1": 0.0, "c2": 0.0, "c3": 0.0}
    memory = dict.fromkeys(p, 0.0)

    def sample(x, y):
        z = [p[f"a{i}1"] * x[0] + p[f"a{i}2"] * x[1] + p[f"c{i}"] for i in (1, 2, 3)]
        top = max(z)
        e = [math.exp(v - top) for v in z]
        q = [v / sum(e) for v in e]
        loss = -sum(t * math.log(v) for t, v in zip(y, q))
        grads = {}
        for i in (1, 2, 3):
            d = q[i - 1] - y[i - 1]
            grads[f"a{i}1"], grads[f"a{i}2"], grads[f"c{i}"] = d * x[0], d * x[1], d
        return loss, grads

    losses = []
    for _ in range(epochs):
        for start in range(0, 3, batch):
            part = range(start, min(start + batch, 3))
            results = [sample(xs[i], ys[i]) for i in part]
            losses.append(sum(r[0] for r in results) / len(results))
            for n in trained:
                g = sum(r[1][n] for r in results) / len(results)
                if kind == "rmsprop":
                    memory[n] = h["rho"] * memory[n] + (1 - h["rho"]) * g * g
                    p[n] -= lr * g / (math.sqrt(memory[n]) + 1e-8)
                else:  # nesterov, PyTorch
                    memory[n] = h["momentum"] * memory[n] + g
                    p[n] -= lr * (g + h["momentum"] * memory[n])
    return losses, p


def test_softmax_training_with_a_frozen_weight_and_a_subset_matches_float64():
    problem = symback.loads(SOFTMAX)
    everything_but_a11 = ["a12", "a21", "a22", "a31", "a32", "c1", "c2", "c3"]
    for exercise, kind, trained, batch, epochs, options in (
            ("1", "rmsprop", everything_but_a11, 2, 4, {"rho": 0.9}),
            ("2", "nesterov", ["c1", "a32"], 1, 3, {"momentum": 0.5})):
        run = symback.train(problem, exercise)
        assert list(run.trainable) == trained
        losses, final = softmax_float(kind, trained, batch, epochs, 0.1, **options)
        assert [float(s.batch_loss) for s in run.steps] == pytest.approx(losses, rel=6e-4)
        for name, value in final.items():
            assert float(run.final_parameters[name]) == pytest.approx(value, rel=6e-4, abs=1e-12), name
        assert run.final_parameters["a11"] == 1


EXP_UNIT = '''
title = "an exponential unit"
[network]
inputs = 1
[[network.layers]]
weights = "W"
values = [[1]]
activation = "exp(z)"
[loss]
kind = "half_squared_error"
[[exercises]]
id = "1"
task = "optimize"
x = 1
y = 0
optimizer = {{ kind = "{kind}", lr = 0.1 }}
steps = 2
'''


@pytest.mark.parametrize("kind", ["adam", "rmsprop", "adamw"])
def test_a_power_of_a_power_in_step_one_is_bracketed(tmp_path, kind):
    """L = ½(e^w)², so g₁ = e^{2w} = e^{2} at w = 1, and v₁ or s₁ squares it: written e^{2}^2 it was a LaTeX
    "Double superscript" error, and pdflatex refused the sheet."""
    from symback.render.pdf import latex_available
    from symback.render.write import write_sheets

    problem = symback.loads(EXP_UNIT.format(kind=kind))
    run = symback.optimize(problem, "1")
    assert float(run.steps[0].rows["w11"]["g"].decimal) == pytest.approx(math.exp(2), rel=1e-3)
    formats = ("md", "tex", "pdf") if latex_available() else ("md", "tex")
    write_sheets(problem, tmp_path, formats=formats, stem="exp")
    for suffix in ("md", "tex"):
        text = (tmp_path / f"exp.{suffix}").read_text(encoding="utf-8")
        assert r"\left(e^{2}\right)^2" in text and "e^{2}^2" not in text
    if latex_available():
        assert (tmp_path / "exp.pdf").stat().st_size > 0


WS23_OPTIMIZERS = Path(__file__).resolve().parents[2] / "problems" / "ws23_optimizers.toml"


def ws23_run_float(kind: str, steps: int, lr: float, **h) -> list[dict]:
    """The WS23 network ŷ = σ(x₁)·1 + b12·σ(a21·x₁ + a22·x₂) at x = (1, 3), y = 2, L = (ŷ − y)², moving b12 and a22
    (a21 = −2), in float64 with PyTorch's loops: every step's loss, g and θ' per parameter."""
    sig = lambda z: 1 / (1 + math.exp(-z))
    p = {"b12": -1.0, "a22": 1.0}
    memory = {n: {"v": 0.0, "m": 0.0, "s": 0.0} for n in p}
    rows = []
    for t in range(1, steps + 1):
        h2 = sig(-2 + 3 * p["a22"])
        r = sig(1) + p["b12"] * h2 - 2
        loss, grads = r * r, {"b12": 2 * r * h2, "a22": 2 * r * p["b12"] * h2 * (1 - h2) * 3}
        row = {"loss": loss}
        for n, g in grads.items():
            mem = memory[n]
            if kind == "momentum" or kind == "nesterov":
                mem["v"] = h["momentum"] * mem["v"] + g
                step = mem["v"] if kind == "momentum" else g + h["momentum"] * mem["v"]
                new = p[n] - lr * step
            elif kind == "rmsprop":
                mem["s"] = h["rho"] * mem["s"] + (1 - h["rho"]) * g * g
                new = p[n] - lr * g / (math.sqrt(mem["s"]) + h["eps"])
            else:  # adamw
                decayed = p[n] * (1 - lr * h["weight_decay"])
                mem["m"] = 0.9 * mem["m"] + 0.1 * g
                mem["v"] = 0.999 * mem["v"] + 0.001 * g * g
                m_hat, v_hat = mem["m"] / (1 - 0.9**t), mem["v"] / (1 - 0.999**t)
                new = decayed - lr * m_hat / (math.sqrt(v_hat) + 1e-8)
            row[n] = (g, new)
        p = {n: row[n][1] for n in p}
        rows.append(row)
    return rows


@pytest.mark.parametrize("exercise, kind, lr, options", [
    ("3", "momentum", 0.5, {"momentum": 0.9}),
    ("4", "nesterov", 0.5, {"momentum": 0.9}),
    ("5", "rmsprop", 0.1, {"rho": 0.9, "eps": 1e-8}),
    ("6", "adamw", 0.1, {"weight_decay": 0.01}),
])
def test_the_other_optimizers_of_the_ws23_sheet_against_float64(exercise, kind, lr, options):
    run = symback.optimize(symback.load(WS23_OPTIMIZERS), exercise)
    expected = ws23_run_float(kind, 3, lr, **options)
    for step, row in zip(run.steps, expected):
        assert float(step.loss.decimal) == pytest.approx(row["loss"], rel=5e-4)
        for name in ("b12", "a22"):
            g, new = row[name]
            assert float(step.rows[name]["g"].decimal) == pytest.approx(g, rel=5e-4)
            assert float(step.rows[name]["new"].decimal) == pytest.approx(new, rel=5e-4)


def test_a_run_that_overflows_is_one_line_naming_the_file_and_exercise(tmp_path, capsys):
    """A pre-activation of e^(e^5) ≈ 10⁶⁴ overflows exp in decimals: the error said neither file nor exercise."""
    from cli_helpers import run

    path = tmp_path / "huge.toml"
    path.write_text(LINEAR.format(lr=1, batch=1, epochs=1).replace('activation = "identity"', 'activation = "sigmoid"')
                    .replace("x = [1, 2, 3]", 'x = ["exp(exp(5))", 2, 3]').replace("y = [2, 2, 3]", "y = [1, 0, 1]"),
                    encoding="utf-8")
    code, out, err = run(capsys, "solve", path, "-o", tmp_path / "out", "--format", "md")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith(f"symback: {path}: exercises[id=1]: a decimal value"), err


DEEP_RELU = '''
title = "a deep relu chain next to a large input"
[network]
inputs = 2
[[network.layers]]
weights = [["a11", "a12"]]
bias = ["c"]
activation = "relu"
[[network.layers]]
weights = "B"
values = [[1]]
activation = "relu"
[[network.layers]]
weights = "C"
values = [[1]]
activation = "relu"
[[network.layers]]
weights = "D"
values = [[2]]
activation = "identity"
[parameters]
a11 = 0
a12 = 1
c = -0.5
[loss]
kind = "squared_error"
[data]
x = [[1e10, 1], [0, 2]]
y = [0, 3]
[[exercises]]
id = "1"
task = "train"
lr = 1e-12
batch = 1
epochs = 2
'''


def deep_relu_float(steps_per_epoch=2, epochs=2, lr=1e-12):
    xs, ys = [(1e10, 1.0), (0.0, 2.0)], [0.0, 3.0]
    p = {"a11": 0.0, "a12": 1.0, "c": -0.5, "b11": 1.0, "c11": 1.0, "d11": 2.0}
    losses = []
    for _ in range(epochs):
        for (x1, x2), y in zip(xs, ys):
            z1 = p["a11"] * x1 + p["a12"] * x2 + p["c"]
            h1 = max(z1, 0.0)
            z2 = p["b11"] * h1
            h2 = max(z2, 0.0)
            z3 = p["c11"] * h2
            h3 = max(z3, 0.0)
            yhat = p["d11"] * h3
            losses.append((yhat - y) ** 2)
            d = 2 * (yhat - y)
            g = {"d11": d * h3}
            d3 = d * p["d11"] * (z3 > 0)
            g["c11"] = d3 * h2
            d2 = d3 * p["c11"] * (z2 > 0)
            g["b11"] = d2 * h1
            d1 = d2 * p["b11"] * (z1 > 0)
            g.update(a11=d1 * x1, a12=d1 * x2, c=d1)
            p = {n: p[n] - lr * g[n] for n in p}
    return losses, p


def test_signs_of_small_pre_activations_beside_large_inputs():
    """A pre-activation of 0.5 in a network whose input is 10¹⁰ is not rounding noise: the noise floor is that of
    the terms the pre-activation adds up (0·10¹⁰, 1·1, −0.5), not a bound from the largest number of the run."""
    run = symback.train(symback.loads(DEEP_RELU), "1")
    losses, final = deep_relu_float()
    assert [float(s.batch_loss) for s in run.steps] == pytest.approx(losses, rel=1e-6)
    for name, value in final.items():
        assert float(run.final_parameters[name]) == pytest.approx(value, rel=6e-4, abs=1e-12), name


def test_a_large_learning_rate_is_stated_as_given(tmp_path):
    """lr = 1e30 was stated as 1.000000000000000000000000000 · 10^{30}: the exact 10³⁰ rounded to the default
    decimal context's 28 digits."""
    from symback.render.write import write_sheets

    problem = symback.loads(LINEAR.format(lr="1e30", batch=3, epochs=2))
    write_sheets(problem, tmp_path, formats=("md",), stem="big")
    text = (tmp_path / "big.md").read_text(encoding="utf-8")
    assert r"\alpha = 1 \cdot 10^{30}$" in text and "1.000000000" not in text
