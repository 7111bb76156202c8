"""Feedback in the notation of the solution sheet (issue 13, point 6): every formula typeset, names with their
layer where the sheet numbers layers, no program syntax (``*``, ``**``, ``h1_2``, ``yhat``) in what a student
reads, σ′ in the taught form h(1 − h) as the sheet writes it, readable plain text in the terminal, a short
``str()`` of a report.

Expected values are the test's own: slips made on values computed here in float64, and the notation the solution
sheet itself prints.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

import symback
from symback.checker.checklist import build_checklist
from symback.checker.feedback import render_feedback
from symback.checker.terminal import format_report
from symback.render.environment import render
from symback.render.pdf import build_pdf, latex_available
from symback.render.sheet import build_sheet

ROOT = Path(__file__).resolve().parents[2]
WS23 = ROOT / "problems" / "ws23_backprop.toml"
TWO_HIDDEN = """
title = "Two hidden layers"

[network]
inputs = 2

[[network.layers]]
weights = "A"
values = [[1, -1], [2, 1]]
activation = "sigmoid"

[[network.layers]]
weights = "B"
values = [[1, -2], [1, 1]]
activation = "sigmoid"

[[network.layers]]
weights = "C"
values = [[2, -1]]
activation = "identity"

[loss]
kind = "squared_error"

[[exercises]]
id = "1"
task = "gradient"
x = [1, 2]
y = 1
params = ["a11", "b12"]
"""
MATH = re.compile(r"(?<!\\)\$(.+?)(?<!\\)\$")
# what a program writes and a sheet never does: *, **, a key such as h1_2 or dL/da22, yhat, sigmoid, exp(…)
PROGRAM_IN_MATH = re.compile(r"\*|\byhat\b|\bsigmoid\b|\bexp\(|[A-Za-z]\d+_\d|\\mathit\{d\w*/|\\operatorname\{d")
needs_latex = pytest.mark.skipif(not latex_available(), reason="pdflatex is not installed")


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def two_hidden_forward(x=(1.0, 2.0)):
    """The network of TWO_HIDDEN in float64: h1 = σ(A x), h2 = σ(B h1), ŷ = C h2."""
    A, B = ((1, -1), (2, 1)), ((1, -2), (1, 1))
    h1 = [sigmoid(sum(w * v for w, v in zip(row, x))) for row in A]
    h2 = [sigmoid(sum(w * v for w, v in zip(row, h1))) for row in B]
    return h1, h2


@pytest.fixture(scope="module")
def example():
    """The shipped example: σ(z) written for σ'(z) in exercise 4, carried into ∂L/∂a22 and a22'."""
    return symback.check(symback.load(WS23), symback.load_answers(ROOT / "problems" / "ws23_answers_example.toml"))


@pytest.fixture(scope="module")
def two_hidden():
    """h^{(1)}_1 right, h^{(2)}_1 wrong (h^{(1)}_1 written again), a sign slip in ∂L/∂b12."""
    h1, h2 = two_hidden_forward()
    return symback.check(symback.loads(TWO_HIDDEN), {"1": {
        "h1_1": f"{h1[0]:.4f}", "h1_2": f"{h1[1]:.4f}", "h2_1": f"{h1[0]:.4f}", "h2_2": f"{h2[1]:.4f}"}})


@pytest.fixture(scope="module")
def circuit():
    """CS231n's circuit: q1 = σ(y) with y = −4 right, its local gradient σ'(y) given as σ(y) itself."""
    q1 = sigmoid(-4.0)
    return symback.check(symback.load(ROOT / "problems" / "circuit_cs231n.toml"),
                         {"1": {"q1": f"{q1:.4f}"}, "2": {"dq1/dy": f"{q1:.4f}"}})


@pytest.fixture(scope="module")
def optimizers():
    """An optimizer run's first values, each a wrong number: rules with β₁, m̂, sqrt and step indices."""
    checklist = build_checklist(symback.load(ROOT / "problems" / "circuit_optimizers.toml"))
    answers: dict = {}
    for item in checklist.items[:40]:
        answers.setdefault(item.exercise, {})[item.key] = "7"
    return symback.check(checklist, answers)


def reports(request) -> list:
    return [request.getfixturevalue(name) for name in ("example", "two_hidden", "circuit", "optimizers")]


def cells(row: str) -> list[str]:
    """A GFM table row's cells (an escaped \\| stays in its cell)."""
    return re.split(r"(?<!\\)\|", row.strip()[1:-1])


def student_text_removed(markdown: str) -> str:
    """The sheet without what the student wrote (the "You wrote" column, "you wrote …" in the headline) and
    without the notes on the answers file (they quote its keys as written there)."""
    markdown = markdown.split("\n## Notes\n")[0]
    lines = []
    for line in markdown.splitlines():
        if line.startswith("| ") and not line.startswith("| Quantity"):
            row = cells(line)
            line = "|".join(row[:1] + [""] + row[2:])
        lines.append(re.sub(r"you wrote .*?; ", "you wrote …; ", line))
    return "\n".join(lines)


def keys_and_names(report) -> set[str]:
    names = {v.key for v in report.verdicts}
    names |= {s.name for v in report.verdicts if v.item.rule is not None for s in v.item.rule.free_symbols}
    if report.problem.network is not None:
        names |= set(report.problem.network.parameters)
    return {name for name in names if len(name) > 1}


def braces_balance(latex: str) -> bool:
    depth = 0
    for character in re.sub(r"\\[{}]", "", latex):
        depth += {"{": 1, "}": -1}.get(character, 0)
        if depth < 0:
            return False
    return depth == 0


def test_every_math_span_is_latex_without_program_syntax(request):
    for report in reports(request):
        for kind in ("md", "tex"):
            spans = MATH.findall(student_text_removed(render_feedback(report, kind)))
            assert spans
            for span in spans:
                assert not PROGRAM_IN_MATH.search(span), (report.problem.title, kind, span)
                assert braces_balance(span), span


@needs_latex
def test_every_math_span_of_the_markdown_sheets_typesets_in_latex(request, tmp_path):
    spans = {span for report in reports(request) for span in MATH.findall(render_feedback(report, "md"))}
    document = ("\\documentclass{article}\\usepackage{amsmath,amssymb}\\begin{document}\n"
                + "\n".join(f"${span}$\\par" for span in sorted(spans)) + "\n\\end{document}\n")
    build_pdf(document, tmp_path / "spans.pdf")  # raises PdfError on the first span LaTeX cannot read


def test_words_around_the_mathematics_name_nothing_in_program_syntax(request):
    for report in reports(request):
        text = student_text_removed(render_feedback(report, "md"))
        words = MATH.sub(" ", text).replace("\\_", "_")
        assert "\\*" not in words and "sigmoid" not in words, report.problem.title  # \* is a literal *
        for name in keys_and_names(report):
            assert not re.search(rf"(?<![\w/\[:]){re.escape(name)}(?![\w\[])", words), (report.problem.title, name)


def test_names_of_different_layers_typeset_differently(two_hidden):
    text = render_feedback(two_hidden, "md")
    headline = next(line for line in text.splitlines() if line.startswith("> **"))
    # the slip is h^{(2)}_1; the sheet numbers layers here, so its name carries layer 2, never h_1 or h2_1
    assert "First wrong step: exercise 1, $h^{(2)}_ {1}$" in headline
    assert "$h_{1}$" not in text and "$h_ {1}$" not in text and "h2\\_1" not in text
    first_cells = [cells(line)[0].strip() for line in text.splitlines() if line.startswith("| $")]
    assert "$h^{(1)}_ {1}$" in first_cells and "$h^{(2)}_ {1}$" in first_cells
    assert len(set(first_cells)) == len(first_cells)  # four units, four names


def test_sigma_prime_in_the_taught_form_of_the_solution_sheet(example):
    sheet = render(build_sheet(symback.load(WS23), appendix=False), "md")
    taught = r"h_{2} \left(1 - h_{2}\right)"  # σ'(z₂) as the solution sheet's chain for ∂L/∂a22 writes it
    assert taught in sheet
    text = render_feedback(example, "md")
    row = next(line for line in text.splitlines() if line.startswith(r"| $\frac{\partial h_{2}}{\partial z_{2}}$"))
    headline = next(line for line in text.splitlines() if line.startswith("> **"))
    for place in (cells(row)[4], headline):
        assert rf"\sigma'(z_{{2}}) = {taught}" in place, place
        assert "e^{z_{2}}" not in place
    assert "this is $h_{2}$ itself" in headline  # the hint names h₂ as the table does


def test_an_expressions_sigma_prime_in_its_own_value(circuit):
    text = render_feedback(circuit, "md")
    row = next(line for line in text.splitlines() if line.startswith(r"| $\frac{\partial q_{1}}{\partial y}$"))
    assert r"= q_{1} \left(1 - q_{1}\right)" in cells(row)[4]


def test_terminal_text_is_readable_unicode(example, circuit):
    for report in (example, circuit):
        digits = report.problem.digits
        for verdict in report.verdicts:
            said = re.sub(r"you wrote .*?; ", "", verdict.explanation(digits))
            assert "*" not in said and "sigmoid" not in said and " - " not in said, said
    assert "dh1_2/dz1_2 = σ′(z1_2) = h1_2·(1 − h1_2) gives e/(1 + e)² ≈ 0.1966" in format_report(example)
    assert "right: 12·e/(1 + e)² ≈ 2.359" in format_report(example)


def test_str_of_a_report_is_a_short_summary():
    """A sign slip in ∂L/∂a22 (exercise 4), ∂L/∂b12 right: both computed here in float64."""
    e = math.e
    report = symback.check(symback.load(WS23), {"student": "Ada", "exercises": {"4": {
        "dL/db12": f"{-4 * e / (1 + e):.4f}", "dL/da22": f"{-12 * e / (1 + e) ** 2:.4f}"}}})
    text = str(report)
    assert "Report(" not in text and "Problem(" not in text and "\n" not in text and len(text) < 200
    assert text.startswith(f"Report on Ada: 1 of {report.total} right (")
    assert text.endswith("first wrong: ∂L/∂a22 (exercise 4)")
    assert repr(report) == f"<{text}>"


def test_the_headline_gives_the_right_value_as_the_table_does(two_hidden):
    """h^{(2)}_1 = σ(h^{(1)}_1 − 2 h^{(1)}_2), computed here in float64, to the sheet's 4 digits (it is 0.1…)."""
    _, h2 = two_hidden_forward()
    text = render_feedback(two_hidden, "md")
    headline = next(line for line in text.splitlines() if line.startswith("> **"))
    assert 0.1 < h2[0] < 1 and f"gives $\\approx {h2[0]:.4f}$" in headline
