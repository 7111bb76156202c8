"""Worked solutions of runs over several steps (tasks optimize and train) through `symback solve` and `symback exercise`:
the rule in symbols and with numbers, every step's row held against float64 routes written here (the WS23 network with
SGD and Adam, the XOR network trained three ways), the SVG plot beside the Markdown, pgfplots in LaTeX, the PDF, and
file text escaped."""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

import symback
from symback.cli.main import main
from symback.render.environment import render, render_exercise
from symback.render.notation import Notation
from symback.render.pdf import latex_available
from symback.render.sheet import build_sheet
from symback.render.training_plot import pgfplots
from symback.render.write import write_sheets
from symback.runs.optimizers import optimizer

ROOT = Path(__file__).resolve().parents[2]
OPTIMIZERS = ROOT / "problems" / "ws23_optimizers.toml"
XOR = ROOT / "problems" / "xor_training.toml"
HAS_PDF = latex_available() and shutil.which("pdftotext") is not None
needs_latex = pytest.mark.skipif(not HAS_PDF, reason="pdflatex and pdftotext are not installed")
FORMATS = ("md", "tex", "pdf") if HAS_PDF else ("md", "tex")
NAME = Notation().latex_name


# --- the routes written here (float64)

def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def ws23_loss_and_gradients(p: dict, x=(1, 3), y=2):
    """g(x) = B σ(A x), L = (ŷ − y)², every ∂L/∂θ by the chain rule written out."""
    h1, h2 = sigmoid(p["a11"] * x[0] + p["a12"] * x[1]), sigmoid(p["a21"] * x[0] + p["a22"] * x[1])
    yhat = p["b11"] * h1 + p["b12"] * h2
    dyhat = 2 * (yhat - y)
    dz1, dz2 = dyhat * p["b11"] * h1 * (1 - h1), dyhat * p["b12"] * h2 * (1 - h2)
    grads = {"a11": dz1 * x[0], "a12": dz1 * x[1], "a21": dz2 * x[0], "a22": dz2 * x[1], "b11": dyhat * h1,
             "b12": dyhat * h2}
    return (yhat - y) ** 2, grads


def ws23_run(kind: str, steps=3, names=("b12", "a22"), lr=0.5, beta1=0.9, beta2=0.999, eps=1e-8):
    """Per step: the loss before it and, per parameter, the row's columns in the order the sheet prints them."""
    theta = {"a11": 1.0, "a12": 0.0, "a21": -2.0, "a22": 1.0, "b11": 1.0, "b12": -1.0}
    m, v = dict.fromkeys(names, 0.0), dict.fromkeys(names, 0.0)
    history = []
    for t in range(1, steps + 1):
        loss, grads = ws23_loss_and_gradients(theta)
        rows = {}
        for name in names:
            g = grads[name]
            if kind == "sgd":
                update = -lr * g
                rows[name] = [g, update, theta[name] + update]
            else:
                m[name] = beta1 * m[name] + (1 - beta1) * g
                v[name] = beta2 * v[name] + (1 - beta2) * g * g
                m_hat, v_hat = m[name] / (1 - beta1**t), v[name] / (1 - beta2**t)
                update = -lr * m_hat / (math.sqrt(v_hat) + eps)
                rows[name] = [g, m[name], v[name], m_hat, v_hat, update, theta[name] + update]
        for name in names:
            theta[name] = rows[name][-1]
        history.append((loss, rows))
    return history, ws23_loss_and_gradients(theta)[0]


XOR_START = {"a11": 1.0, "a12": -1.0, "a21": -1.0, "a22": 1.0, "c1": 0.0, "c2": 0.0, "b11": 1.0, "b12": 1.0, "d1": -0.5}
XOR_DATA = [((0, 0), 0), ((0, 1), 1), ((1, 0), 1), ((1, 1), 0)]


def xor_sample(p: dict, x, y):
    """The 2-2-1 sigmoid network with binary cross-entropy at one sample: the loss and every gradient."""
    h = [sigmoid(p[f"a{i}1"] * x[0] + p[f"a{i}2"] * x[1] + p[f"c{i}"]) for i in (1, 2)]
    yhat = sigmoid(p["b11"] * h[0] + p["b12"] * h[1] + p["d1"])
    loss = -y * math.log(yhat) - (1 - y) * math.log(1 - yhat)
    dz2 = yhat - y  # ∂L/∂z for a sigmoid output under binary cross-entropy
    grads = {"b11": dz2 * h[0], "b12": dz2 * h[1], "d1": dz2}
    for i in (1, 2):
        dz1 = dz2 * p[f"b1{i}"] * h[i - 1] * (1 - h[i - 1])
        grads.update({f"a{i}1": dz1 * x[0], f"a{i}2": dz1 * x[1], f"c{i}": dz1})
    return loss, grads


def xor_training(batch: int, epochs=5, lr=1.0):
    """SGD over batches in file order: per step (epoch, step, batch loss, loss over all samples) and the end."""
    p, rows, step = dict(XOR_START), [], 0
    for epoch in range(1, epochs + 1):
        for start in range(0, len(XOR_DATA), batch):
            chunk = XOR_DATA[start:start + batch]
            step += 1
            results = [xor_sample(p, x, y) for x, y in chunk]
            whole = sum(xor_sample(p, x, y)[0] for x, y in XOR_DATA) / len(XOR_DATA)
            rows.append((epoch, step, sum(r[0] for r in results) / len(chunk), whole))
            mean = {name: sum(r[1][name] for r in results) / len(chunk) for name in p}
            p = {name: p[name] - lr * mean[name] for name in p}
    final = sum(xor_sample(p, x, y)[0] for x, y in XOR_DATA) / len(XOR_DATA)
    return rows, final, p


# --- reading the sheets

_NUMBER = re.compile(r"(-?\d+(?:\.\d+)?)(?: \\cdot 10\^\{(-?\d+)\})?")


def last_decimal(cell: str) -> Decimal:
    """The decimal a cell ends with (``$\\frac{..}{..} \\approx -2.924$``, ``$1.5 \\cdot 10^{-9}$``)."""
    found = list(_NUMBER.finditer(cell))
    assert found, f"no number in {cell!r}"
    mantissa, exponent = found[-1].groups()
    return Decimal(mantissa).scaleb(int(exponent or 0))


def assert_rounded(shown: Decimal, reference: float, digits: int = 4) -> None:
    """``shown`` is ``reference`` correctly rounded to ``digits`` significant digits (or exactly it)."""
    if reference == 0:
        assert shown == 0
        return
    half_unit = 0.5 * 10 ** (math.floor(math.log10(abs(reference))) - digits + 1)
    assert abs(float(shown) - reference) <= half_unit * (1 + 1e-6) + 1e-12, (shown, reference)


def section(text: str, exercise: str, heading: str) -> str:
    """Exercise ``exercise``'s part of a sheet (``## Exercise 1`` in Markdown, ``\\section*{Exercise 1}`` in LaTeX),
    up to the next heading of its level."""
    start = text.index(heading.format(exercise))
    end = text.find("\n## " if heading.startswith("#") else "\n\\section", start + 1)
    return text[start:end if end > 0 else len(text)]


def md_cells(part: str, first: str) -> list[list[str]]:
    """The cells of the Markdown table rows that start with ``| first |``."""
    return [[c.strip() for c in line.strip().strip("|").split("|")] for line in part.splitlines()
            if line.startswith(f"| {first} |")]


def tex_cells(part: str, first: str) -> list[list[str]]:
    """The cells of the LaTeX table rows that start with ``first &``."""
    return [[c.strip() for c in line.rstrip().removesuffix("\\\\").split(" & ")] for line in part.splitlines()
            if line.startswith(f"{first} & ")]


# --- fixtures: each example problem solved once

@pytest.fixture(scope="module")
def optimizers_out(tmp_path_factory):
    folder = tmp_path_factory.mktemp("optimizers")
    report = write_sheets(symback.load(OPTIMIZERS), folder, FORMATS)
    return folder, report


@pytest.fixture(scope="module")
def xor_out(tmp_path_factory):
    folder = tmp_path_factory.mktemp("xor")
    assert main(["solve", str(XOR), "-o", str(folder), "--format", ",".join(FORMATS)]) == 0
    return folder


def sheet_texts(folder: Path, stem: str) -> dict[str, str]:
    return {kind: (folder / f"{stem}.{kind}").read_text(encoding="utf-8") for kind in ("md", "tex")}


# --- optimizer runs

@pytest.mark.parametrize("exercise, kind", [("1", "sgd"), ("2", "adam")])
def test_every_step_of_sgd_and_adam_against_float64(optimizers_out, exercise, kind):
    texts = sheet_texts(optimizers_out[0], "ws23_optimizers")
    history, final = ws23_run(kind, lr=0.5 if kind == "sgd" else 0.1)
    for fmt, heading, cells_of in (("md", "## Exercise {}\n", md_cells), ("tex", "\\section*{{Exercise {}}}", tex_cells)):
        part = section(texts[fmt], exercise, heading)
        after = [loss for loss, _ in history[1:]] + [final]  # the loss after step t is the loss before t + 1
        for t, ((_, rows), loss_after) in enumerate(zip(history, after), start=1):
            found = cells_of(part, str(t))
            assert [row[1] for row in found] == [f"${NAME(name)}$" for name in rows], fmt
            assert_rounded(last_decimal(found[0][-1]), loss_after)  # the last column: L(θ_t), after the step
            assert all(row[-1] == "" for row in found[1:])  # said once per step
            for row, (name, reference) in zip(found, rows.items()):
                assert len(row) == 3 + len(reference), row
                for cell, value in zip(row[2:-1], reference):
                    assert_rounded(last_decimal(cell), value)
        final_line = next(line for line in part.splitlines() if line.startswith("After 3 steps"))
        assert_rounded(last_decimal(final_line), final)


def test_first_step_exact_where_short(optimizers_out):
    md = section(sheet_texts(optimizers_out[0], "ws23_optimizers")["md"], "1", "## Exercise {}\n")
    first = md_cells(md, "1")[0]
    assert first[2] == r"$- \frac{4 e}{1 + e} \approx -2.924$"  # g₁ of b12 = −4e/(1 + e)
    assert first[4] == r"$\frac{e - 1}{1 + e} \approx 0.4621$"  # b12 after step 1 = (e − 1)/(e + 1)
    assert md_cells(md, "2")[0][2] == r"$\approx -0.1807$"  # later steps: decimals only, marked rounded
    assert r"&= -1 + \frac{2 e}{1 + e} = \frac{e - 1}{1 + e} \approx 0.4621" in md  # θ₁ of b12 with numbers


@pytest.mark.parametrize("exercise, kind", [("1", "sgd"), ("2", "adam"), ("3", "momentum"), ("4", "nesterov"),
                                            ("5", "rmsprop"), ("6", "adamw")])
def test_rule_in_symbols_then_with_numbers(optimizers_out, exercise, kind):
    texts = sheet_texts(optimizers_out[0], "ws23_optimizers")
    rule = optimizer(kind)
    for fmt, heading in (("md", "## Exercise {}\n"), ("tex", "\\section*{{Exercise {}}}")):
        part = section(texts[fmt], exercise, heading)
        for equation in rule.equations:
            target, definition = equation.latex().split(" = ", 1)
            assert f"{target} &= {definition}" in part, (fmt, equation)  # in symbols, once
            target_1, definition_1 = equation.latex(1).split(" = ", 1)
            assert f"{target_1} &= {definition_1} \\\\\n&= " in part, (fmt, equation)  # step 1, then its numbers
        assert r"\alpha = " in part and "Step 1 with numbers" in part
    md = section(texts["md"], "2", "## Exercise {}\n")
    assert r"$\beta_2 = 0.999$" in md and r"$\varepsilon = 1 \cdot 10^{-8}$" in md
    assert r"&= 0.9 \cdot 0 + (1 - 0.9) \cdot \left(- \frac{4 e}{1 + e}\right) = - \frac{2 e}{5 \left(1 + e\right)} \approx -0.2924" in md


def test_defaults_are_stated(tmp_path):
    text = OPTIMIZERS.read_text(encoding="utf-8").replace(
        'optimizer = { kind = "adamw", lr = 0.1, weight_decay = 0.01 }', 'optimizer = { kind = "adamw", lr = 0.1 }')
    problem = symback.loads(text, source=str(tmp_path / "defaults.toml"))
    md = render_exercise_md(problem, "6")
    assert r"$\beta_1 = 0.9$ (default)" in md and r"$\lambda = 0.01$ (default)" in md and r"$\alpha = 0.1$," in md


def render_exercise_md(problem, exercise_id: str) -> str:
    return render_exercise(symback.run_exercise(problem, exercise_id), "md")


def test_markdown_tables_are_github_tables(optimizers_out, xor_out):
    for folder, stem in ((optimizers_out[0], "ws23_optimizers"), (xor_out, "xor_training")):
        md = sheet_texts(folder, stem)["md"]
        for block in re.split(r"\n\n", md):
            lines = block.strip().splitlines()
            if len(lines) >= 2 and lines[0].startswith("| ") and lines[1].startswith("|---"):
                width = lines[0].count("|")
                assert all(line.count("|") == width for line in lines), block  # no stray | in math
                assert all(line.count("$") % 2 == 0 for line in lines), block


def test_no_pgfplots_without_plots(optimizers_out):
    assert "pgfplots" not in sheet_texts(optimizers_out[0], "ws23_optimizers")["tex"]
    ws23 = render(build_sheet(symback.load(ROOT / "problems" / "ws23_backprop.toml"), appendix=False), "tex")
    assert "pgfplots" not in ws23
    assert not list(optimizers_out[0].glob("*.svg"))


# --- training runs

@pytest.mark.parametrize("exercise, batch", [("1", 4), ("2", 2), ("3", 1)])
def test_every_step_of_training_against_float64(xor_out, exercise, batch):
    texts = sheet_texts(xor_out, "xor_training")
    rows, final, parameters = xor_training(batch)
    for fmt, heading, cells_of in (("md", "## Exercise {}\n", md_cells), ("tex", "\\section*{{Exercise {}}}", tex_cells)):
        part = section(texts[fmt], exercise, heading)
        found = [row for epoch in range(1, 6) for row in cells_of(part, str(epoch)) if len(row) >= 4]
        assert len(found) == len(rows) == 20 // batch, fmt
        after = [whole for *_, whole in rows[1:]] + [final]  # over all samples after step k: before step k + 1
        for row, (epoch, step, batch_loss, _), whole in zip(found, rows, after):
            assert row[:2] == [str(epoch), str(step)]
            if batch == 4:  # full batch: one loss column, the loss over all samples after the step
                assert len(row) == 4
            else:
                assert_rounded(last_decimal(row[3]), batch_loss)
            assert_rounded(last_decimal(row[-1]), whole)
        assert_rounded(last_decimal(re.search(r"the loss over all samples is \$L = ([^$]*)\$", part).group(1)), final)
        for name, value in parameters.items():
            row = next(line for line in part.splitlines() if line.startswith((f"| ${NAME(name)}$ |", f"${NAME(name)}$ & ")))
            assert_rounded(last_decimal(row), value)
    md = section(texts["md"], exercise, "## Exercise {}\n")
    words = {4: "full batch, every step uses all 4 samples", 2: "mini-batches of 2 consecutive samples",
             1: "one sample at a time"}[batch]
    assert words in md and "the mean of its samples' losses and its gradient the mean of their gradients" in md
    assert "5 epochs" in md and r"$\alpha = 1$" in md


def test_svg_plots_written_beside_the_markdown_and_linked(xor_out):
    md = sheet_texts(xor_out, "xor_training")["md"]
    for exercise, curves in (("1", 1), ("2", 2), ("3", 2)):
        name = f"xor_training-exercise-{exercise}-loss.svg"
        assert f"![Loss per step of exercise {exercise}]({name})" in md
        svg = (xor_out / name).read_text(encoding="utf-8")
        assert svg.startswith("<svg") and svg.count("<polyline") == curves
    assert sorted(p.name for p in xor_out.iterdir() if p.suffix == ".svg") == [
        f"xor_training-exercise-{k}-loss.svg" for k in "123"]
    assert not list(xor_out.glob(".*partial"))


def test_pgfplots_in_latex(xor_out):
    tex = sheet_texts(xor_out, "xor_training")["tex"]
    assert "\\usepackage{pgfplots}\n\\pgfplotsset{compat=1.16}" in tex
    run = symback.train(symback.load(XOR), "2")
    coordinates = pgfplots(run)
    assert coordinates["batch"] in tex and coordinates["dataset"] in tex
    assert tex.count("\\begin{axis}") == 3


@needs_latex
def test_pdfs_show_the_numbers(optimizers_out, xor_out):
    def pdf_text(path: Path) -> str:
        return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout

    optimizers = pdf_text(optimizers_out[0] / "ws23_optimizers.pdf")
    assert all(number in optimizers for number in ("1.345", "2.684", "0.4621", "0.008551", "Every step"))
    xor = pdf_text(xor_out / "xor_training.pdf")
    assert all(number in xor for number in ("0.6892", "0.7241", "0.7126", "0.6805", "steps taken"))


# --- file text, long runs, the command line

HOSTILE = r'''
title = "Runs \\input{/etc/passwd} <b>&</b> $x$ 100% #"
[network]
inputs = 1
[[network.layers]]
weights = "W"
values = [[1]]
activation = "identity"
[loss]
kind = "squared_error"
[data]
x = [1, 2, 3]
y = [2, 2, 3]
[[exercises]]
id = "../a b"
task = "train"
text = "\\input{/etc/passwd} <script>alert(1)</script> | $x$ _y_ *z* 50% #1 ~ ^ & {}"
optimizer = { kind = "adam", lr = 0.1 }
batch = 2
epochs = 40
[[exercises]]
id = "o|k"
task = "optimize"
text = "\\write18{rm -rf} | </td> [link](http://x)"
x = 2
y = 1
optimizer = { kind = "momentum", lr = 0.05 }
steps = 70
'''


@pytest.fixture(scope="module")
def hostile_out(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    source = folder / "hostile.toml"
    source.write_text(HOSTILE, encoding="utf-8")
    out = folder / "out"
    report = write_sheets(symback.load(source), out, FORMATS)
    return out, report


def test_file_text_is_escaped(hostile_out):
    out, _ = hostile_out
    md, tex = sheet_texts(out, "hostile")["md"], sheet_texts(out, "hostile")["tex"]
    assert "<script>" not in md and "&lt;script&gt;" in md and "</td>" not in md and r"\[link\]" in md
    assert r"\input" not in tex.replace(r"\textbackslash{}input", "") and r"\write18" not in tex
    assert r"\textbackslash{}write18" in tex and r"\textless{}script\textgreater{}" in tex
    # the plot of exercise "../a b" stays in the folder, under a plain name the Markdown links to
    assert [p.name for p in out.glob("*.svg")] == ["hostile-exercise-___a_b-loss.svg"]
    assert "](hostile-exercise-___a_b-loss.svg)" in md
    svg = (out / "hostile-exercise-___a_b-loss.svg").read_text(encoding="utf-8")
    assert "\\input" in svg and "<b>" not in svg and "&lt;b&gt;" in svg  # the title, XML-escaped


def test_long_runs_leave_out_the_middle_of_the_table(hostile_out):
    out, _ = hostile_out
    md = sheet_texts(out, "hostile")["md"]
    assert "| … | … | 30 steps left out (the plot shows them) |" in md  # 80 training steps: 30 first, 20 last
    assert "| … | | 20 steps left out |" in md  # 70 optimizer steps: 30 first, 20 last
    training = section(md, "../a b", "## Exercise {}\n")
    steps = [int(row[1]) for epoch in range(1, 41) for row in md_cells(training, str(epoch)) if len(row) >= 4]
    assert steps == list(range(1, 31)) + list(range(61, 81))
    svg = (out / "hostile-exercise-___a_b-loss.svg").read_text(encoding="utf-8")
    batch_curve = re.search(r'<polyline class="series" points="([^"]*)"', svg).group(1)
    assert len(batch_curve.split()) == 80  # the plot shows every step


@needs_latex
def test_hostile_and_long_sheet_builds(hostile_out):
    out, report = hostile_out
    assert out / "hostile.pdf" in report.written
    text = subprocess.run(["pdftotext", str(out / "hostile.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "steps left out" in text and "/etc/passwd" in text


def test_appendix_on_run_problems():
    for path in (OPTIMIZERS, XOR):
        sheet = build_sheet(symback.load(path))
        assert [s.kind for s in sheet.appendix.sections] == ["loss_comparison"]  # the one that needs no exercise


def test_symback_exercise_prints_both_kinds(capsys):
    assert main(["exercise", str(OPTIMIZERS), "2"]) == 0
    optimizer_text = capsys.readouterr().out
    assert "Adam (bias-corrected), 3 steps: lr = 0.1, beta1 = 0.9, beta2 = 0.999, eps = 1e-8" in optimizer_text
    assert "t = 1, b12: L = 4; g = -4*e/(1 + e) ≈ -2.924; m = -2*e/(5*(1 + e)) ≈ -0.2924" in optimizer_text
    assert "after 3 steps: L = 2.684" in optimizer_text and "repr" not in optimizer_text
    assert main(["exercise", str(XOR), "2"]) == 0
    training_text = capsys.readouterr().out
    assert "Gradient descent: lr = 1; mini-batches of 2 in file order, 5 epochs, 10 steps" in training_text
    assert "epoch 1, step 2, samples 3-4: batch loss 0.7126, loss over all samples 0.7044" in training_text
    assert "after step 10: loss over all samples 0.6874" in training_text
