"""Solution sheets: every step kind in Markdown and LaTeX, escaping of file text, the PDF, output/ kept current."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import symback
from symback.render.environment import decimal_text, render, render_exercise
from symback.render.notation import Notation
from symback.render.sheet import build_sheet
from symback.render.write import write_sheets

ROOT = Path(__file__).resolve().parents[2]
WS23 = ROOT / "problems" / "ws23_backprop.toml"
HAS_LATEX = shutil.which("pdflatex") is not None and shutil.which("pdftotext") is not None
needs_latex = pytest.mark.skipif(not HAS_LATEX, reason="pdflatex and pdftotext are not installed")

SMALL = """title = {title}
intro = {intro}
[network]
inputs = 1
[[network.layers]]
weights = "W"
values = [[2]]
activation = "sigmoid"
[loss]
kind = "squared_error"
[[exercises]]
id = "a"
task = "sgd"
text = {text}
x = 1
y = 0
lr = 1
show = {{ yhat = "1/2" }}
"""


def small_problem(title='"t"', intro='"n"', text='"q"'):
    return symback.loads(SMALL.format(title=title, intro=intro, text=text), source="small.toml")


@pytest.fixture(scope="module")
def ws23():
    return symback.load(WS23)


@pytest.fixture(scope="module")
def ws23_sheet(ws23):
    return build_sheet(ws23)


@pytest.mark.parametrize("kind", ["md", "tex"])
def test_every_step_of_ws23_is_printed_with_its_values(ws23_sheet, kind):
    text = render(ws23_sheet, kind)
    notation = ws23_sheet.notation
    kinds = set()
    for exercise in ws23_sheet.exercises:
        assert exercise.id in text
        for step in exercise.result.steps:
            kinds.add(step.kind)
            for quantity in exercise.result.quantities().values():
                if exercise.forward_as_in and quantity.name in ("yhat", "L"):
                    continue
                assert notation.latex(quantity.exact) in text, (exercise.id, quantity.name)
                assert decimal_text(quantity.decimal) in text, (exercise.id, quantity.name)
    assert kinds == {"forward", "loss", "claim", "gradient", "update", "cross_entropy_analysis"}
    assert "f \\equiv 0" in text  # exercise 6 says why its gradients vanish
    assert "no learning rate changes these parameters" in text


@pytest.mark.parametrize("kind", ["md", "tex"])
def test_a_false_claim_is_reported(kind):
    problem = small_problem()
    text = render_exercise(symback.run_exercise(problem, "a"), kind)
    # σ(2) ≠ 1/2: the sheet must say so rather than confirm the claim
    marker = "does **not** hold" if kind == "md" else "does \\textbf{not} hold"
    assert marker in text and "holds exactly" not in text


def test_markdown_math_is_in_forms_github_renders(ws23_sheet):
    text = render(ws23_sheet, "md")
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line == "$$":
            continue
        assert "$$" not in line, f"line {i + 1}: $$ must stand on its own line: {line}"
    assert lines.count("$$") % 2 == 0
    assert "```mermaid" in text and not re.search(r"\\begin\{align\*?\}", text)  # aligned, not align: MathJax's display


@pytest.mark.parametrize("kind", ["md", "tex"])
def test_text_from_the_file_is_escaped(kind):
    hostile = r'"\\input{/etc/passwd} \\write18{touch pwned} $x$ <b>*_"'
    problem = small_problem(title=hostile, intro=hostile, text=hostile)
    text = render(build_sheet(problem, appendix=False), kind)
    if kind == "tex":
        assert "\\input{" not in text and "\\write18{" not in text
        assert "\\textbackslash{}input\\{/etc/passwd\\}" in text
    else:  # a doubled backslash shows one backslash: the command is text, not math or HTML
        assert "\\\\input{/etc/passwd}" in text and "\\$x\\$" in text
    assert "<b>" not in text


@needs_latex
def test_hostile_title_shows_literally_in_the_pdf_and_runs_nothing(tmp_path):
    hostile = r'"\\input{/etc/passwd} \\write18{touch pwned}"'
    problem = small_problem(title=hostile, intro=hostile, text=hostile)
    report = write_sheets(problem, tmp_path, ("pdf",), appendix=False)
    pdf = tmp_path / "small.pdf"
    assert report.written == [pdf]
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "input{/etc/passwd}" in text and "write18{touch pwned}" in text
    assert "root:" not in text  # /etc/passwd was not read
    assert not (tmp_path / "pwned").exists() and not Path("pwned").exists()


@needs_latex
def test_ws23_pdf_compiles_cleanly_and_holds_the_values(tmp_path, ws23, ws23_sheet):
    report = write_sheets(ws23, tmp_path, ("pdf",))
    assert not [r for r in report.remarks if "Overfull" in r], report.remarks
    text = subprocess.run(["pdftotext", str(tmp_path / "ws23_backprop.pdf"), "-"], capture_output=True,
                          text=True).stdout
    for exercise in ws23_sheet.exercises:
        for step in (exercise.body.gradients if exercise.body else ()) + exercise.updates:
            quantity = step.quantity if step.kind == "gradient" else step.new
            shown = decimal_text(quantity.decimal).replace("-", "−")
            assert shown in text or decimal_text(quantity.decimal) in text, quantity.name


def test_output_folder_is_current(tmp_path, ws23):
    """output/ holds the sheets of the shipped WS23 problem as the code renders them now."""
    write_sheets(ws23, tmp_path, ("md", "tex"), stem="ws23_backprop")
    for kind in ("md", "tex"):
        fresh = (tmp_path / f"ws23_backprop.{kind}").read_text(encoding="utf-8")
        shipped = (ROOT / "output" / f"ws23_backprop.{kind}").read_text(encoding="utf-8")
        assert fresh == shipped, f"output/ws23_backprop.{kind} is stale: run 'symback solve {WS23.relative_to(ROOT)}'"


def test_notebook_display(ws23):
    result = symback.run_exercise(ws23, "4")
    markdown, latex = result._repr_markdown_(), result._repr_latex_()
    gradient = result.of_kind("gradient")[-1].quantity
    assert Notation().latex(gradient.exact) in markdown and Notation().latex(gradient.exact) in latex


def test_solve_without_latex(tmp_path):
    environment = {**os.environ, "PATH": str(tmp_path), "PYTHONPATH": str(ROOT)}  # no pdflatex on this PATH
    command = [sys.executable, "-m", "symback", "solve", str(WS23), "-o", str(tmp_path / "out")]
    done = subprocess.run(command, capture_output=True, text=True, env=environment)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["ws23_backprop.md", "ws23_backprop.tex"]
    assert len(done.stderr.strip().splitlines()) == 1 and "pdflatex" in done.stderr
    only_pdf = subprocess.run(command + ["--format", "pdf"], capture_output=True, text=True, env=environment)
    assert only_pdf.returncode == 2 and len(only_pdf.stderr.strip().splitlines()) == 1


SHIPPED = ["circuit_cs231n", "circuit_optimizers", "ws23_optimizers", "xor_training"]


@pytest.mark.parametrize("stem", SHIPPED)
def test_output_of_every_shipped_problem_is_current(tmp_path, stem):
    """output/ holds the sheets (and plots) of each shipped example as the code renders them now."""
    problem = symback.load(ROOT / "problems" / f"{stem}.toml")
    report = write_sheets(problem, tmp_path, ("md", "tex"), stem=stem)
    for path in report.written:
        shipped = ROOT / "output" / path.name
        assert shipped.exists() and path.read_bytes() == shipped.read_bytes(), (
            f"output/{path.name} is stale: run 'symback solve problems/{stem}.toml'")
