"""Either presentation on either kind of problem: a network's exercise as a table of nodes and wires, an
expression's as chain-rule paths, in Markdown, LaTeX and PDF; and a template for every kind of step.

The numbers the sheets must show are computed here by another route: SymPy's diff of the whole loss (or of the
whole function) in the parameters, evaluated in mpmath and rounded here to the sheet's 4 significant digits;
and each presentation's gradients are held against the other presentation's, which the engine derives apart.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from decimal import ROUND_HALF_EVEN, Context, Decimal
from pathlib import Path

import pytest
import sympy

import symback
from symback.render.environment import (
    missing_step_templates,
    render,
    render_exercise,
    step_kinds,
    templates_folder,
)
from symback.render.pdf import latex_available
from symback.render.sheet import build_sheet
from symback.render.write import write_sheets

ROOT = Path(__file__).resolve().parents[2]
HAS_PDF = latex_available() and shutil.which("pdftotext") is not None
needs_latex = pytest.mark.skipif(not HAS_PDF, reason="pdflatex and pdftotext are not installed")
WIDEST_DISPLAY_LINE = 90  # symbols a displayed line may hold: about GitHub's content width at display size


def with_presentations(path: Path, presentations: dict[str, str]) -> str:
    """The problem file's text with ``presentation = ...`` added to the exercises named (by id)."""
    text = path.read_text(encoding="utf-8")
    for exercise_id, presentation in presentations.items():
        marker = f'id = "{exercise_id}"\n'
        assert marker in text, exercise_id
        text = text.replace(marker, f'{marker}presentation = "{presentation}"\n', 1)
    return text


@pytest.fixture(scope="module")
def network_tables():
    """WS23 with exercises 2 (the loss at x = (1, 1)) and 4 (gradients at the point of exercise 3) as tables."""
    text = with_presentations(ROOT / "problems" / "ws23_backprop.toml", {"2": "table", "4": "table"})
    return symback.loads(text, source="ws23_tables.toml")


@pytest.fixture(scope="module")
def expression_paths():
    """The CS231n circuit with exercises 1 (forward) and 2 (gradients) as chain-rule paths, 3 (SGD) a table."""
    text = with_presentations(ROOT / "problems" / "circuit_cs231n.toml", {"1": "paths", "2": "paths"})
    return symback.loads(text, source="cs231n_paths.toml")


def rounded(value, digits: int = 4) -> str:
    """An exact SymPy value as the sheet prints it: an integer as it is, else ``digits`` significant digits."""
    if value.is_Integer:
        return str(value)
    return format(Context(prec=digits, rounding=ROUND_HALF_EVEN).plus(Decimal(str(sympy.N(value, 40)))), "f")


def sigma(t):
    return 1 / (1 + sympy.exp(-t))


def ws23_loss(x, y):
    """L of the WS23 network as one expression in its six parameters (the layers written out by hand)."""
    a11, a12, a21, a22, b11, b12 = parameters = sympy.symbols("a11 a12 a21 a22 b11 b12", real=True)
    yhat = b11 * sigma(a11 * x[0] + a12 * x[1]) + b12 * sigma(a21 * x[0] + a22 * x[1])
    at = dict(zip(parameters, (1, 0, -2, 1, 1, -1)))
    return (yhat - y) ** 2, at


def cs231n_function():
    """f(x, y) = (x + σ(y)) / (σ(x) + (x + y)²) at x = 3, y = −4, written out by hand."""
    x, y = sympy.symbols("x y", real=True)
    return (x + sigma(y)) / (sigma(x) + (x + y) ** 2), {x: 3, y: -4}


def display_width(latex: str) -> int:
    """About how many symbols wide a line of LaTeX math prints: a command is one symbol, a fraction as wide as the
    wider of its numerator and denominator, sub- and superscripts counted like the rest.

    >>> display_width(r"\\frac{\\partial L}{\\partial a_{22}} = 2 \\cdot x")
    8
    """
    text = re.sub(r"\\(?:left|right)\b", "", latex)
    text = re.sub(r"\s", "", re.sub(r"\\(?!frac\b)[A-Za-z]+|\\[^A-Za-z]", "c", text))
    previous = None
    while previous != text:
        previous = text
        text = re.sub(r"[_^]\{([^{}]*)\}", r"\1", text)
        text = re.sub(r"\\frac\{([^{}]*)\}\{([^{}]*)\}", lambda m: "#" * max(len(m[1]), len(m[2])), text)
        text = re.sub(r"\{([^{}]*)\}", r"\1", text)
    return len(text.replace("&", ""))


def row(text: str, kind: str, first_cell: str) -> str:
    """The table row whose first cell is ``$first_cell$`` (the first such row)."""
    start = f"| ${first_cell}$ |" if kind == "md" else f"${first_cell}$ &"
    lines = [line for line in text.splitlines() if line.startswith(start)]
    assert lines, f"no row for {first_cell} in the {kind} text"
    return lines[0]


def section(text: str, kind: str, exercise_id: str) -> str:
    """One exercise's part of a sheet."""
    header = "## Exercise " if kind == "md" else "\\section*{Exercise "
    start = text.index(f"{header}{exercise_id}" + ("\n" if kind == "md" else "}"))
    end = text.find(header, start + 1)
    return text[start:end if end > 0 else len(text)]


# --- a network's exercise as a table


@pytest.mark.parametrize("kind", ["md", "tex"])
def test_a_network_exercise_as_a_table_shows_every_gradient_of_sympys_diff(network_tables, kind):
    text = section(render(build_sheet(network_tables, appendix=False), kind), kind, "4")
    loss, at = ws23_loss((1, 3), 2)
    for parameter, value in at.items():
        expected = rounded(sympy.diff(loss, parameter).subs(at))
        name = parameter.name
        gradient_row = row(text, kind, rf"\frac{{\partial L}}{{\partial {name[0]}_{{{name[1:]}}}}}")
        assert re.search(rf"(?<![\d.]){re.escape(expected)}(?![\d])", gradient_row), (name, expected, gradient_row)
    assert row(text, kind, r"\hat{y} \to L") and row(text, kind, r"a_{22} \to z_{2}")  # a row per wire
    assert "The forward pass is that of exercise 3: $\\hat{y} = 0$, $L = 4$." in text
    assert "Here the target is $y = 2$." in text


@pytest.mark.parametrize("kind", ["md", "tex"])
def test_a_network_exercise_as_a_table_shows_every_node_forwards(network_tables, kind):
    # exercise 2: x = (1, 1), y = 2.12: z1 = 1, z2 = −1, h = σ(z), ŷ = h1 − h2, L = (ŷ − 2.12)²
    text = section(render(build_sheet(network_tables, appendix=False), kind), kind, "2")
    h1, h2 = sigma(sympy.Integer(1)), sigma(sympy.Integer(-1))
    yhat = h1 - h2
    expected = {"z_{1}": 1, "z_{2}": -1, "h_{1}": h1, "h_{2}": h2, r"\hat{y}": yhat,
                "L": (yhat - sympy.Rational(212, 100)) ** 2}
    for name, value in expected.items():
        value_cell = row(text, kind, name).split("&")[-1] if kind == "tex" else row(text, kind, name).split("|")[-2]
        assert rounded(sympy.sympify(value)) in value_cell, name
    assert "weighted sum" in row(text, kind, "z_{1}") and "sigmoid" in row(text, kind, "h_{1}")


def test_a_network_table_agrees_with_the_paths_of_the_same_point(network_tables):
    table = symback.run_exercise(network_tables, "4").of_kind("backward_table")[0]
    paths = {step.parameter: step.quantity for step in symback.run_exercise(network_tables, "5").of_kind("gradient")}
    for answer, parameter in zip(table.answers, table.asked):
        assert sympy.simplify(answer.exact - paths[parameter].exact) == 0 and answer.decimal == paths[parameter].decimal


def test_the_network_diagram_draws_every_parameter_and_no_gradient_into_an_input(network_tables):
    view = build_sheet(network_tables, appendix=False).exercises[3].body
    nodes = {node.id: node for node in view.diagram.nodes}
    names = [node.name for node in nodes.values()]
    assert {"x1", "x2", "a11", "a22", "b12", "yhat", "L"} <= set(names)
    into_inputs = [w for w in view.diagram.wires if nodes[w.source].name in ("x1", "x2")]
    assert into_inputs and all(w.gradient is None and w.value is not None for w in into_inputs)
    md = render_exercise(symback.run_exercise(network_tables, "4"), "md")
    assert md.count("```mermaid") == 1 and '-- "3" -->' in md  # x2 = 3 carried forward, nothing sent back


# --- an expression's exercise as paths


@pytest.mark.parametrize("kind", ["md", "tex"])
def test_an_expression_exercise_as_paths_shows_sympys_gradients(expression_paths, kind):
    sheet = build_sheet(expression_paths)
    text = render(sheet, kind)
    f, at = cs231n_function()
    notation = sheet.notation
    steps = {step.parameter: step for step in symback.run_exercise(expression_paths, "2").of_kind("gradient")}
    for variable in at:
        expected = sympy.diff(f, variable).subs(at)
        step = steps[variable.name]
        assert abs(sympy.N(step.quantity.exact - expected, 40)) < 1e-30
        shown = (f"{notation.latex(step.quantity.exact)} \\approx {rounded(expected)}" if step.quantity.short
                 else f"\\approx {rounded(expected)}")  # past the exact-form budget: the decimal alone
        assert shown in section(text, kind, "2"), (variable, shown)
    assert rounded(sympy.diff(f, sympy.Symbol("x", real=True)).subs(at)) == "2.060"  # CS231n: 2.0596


@pytest.mark.parametrize("kind", ["md", "tex"])
def test_an_expression_forward_pass_as_paths_shows_every_stage(expression_paths, kind):
    text = section(render(build_sheet(expression_paths), kind), kind, "1")
    f, at = cs231n_function()
    x, y = at
    expected = {"q_{1}": sigma(y), r"\mathit{num}": x + sigma(y), "q_{2}": sigma(x), "q_{3}": x + y,
                "q_{4}": (x + y) ** 2, r"\mathit{den}": sigma(x) + (x + y) ** 2, "f": f}
    lines = text.splitlines()
    for name, value in expected.items():
        start = f"{name} &= "  # rows of an aligned block in both formats
        index = next(i for i, line in enumerate(lines) if line.startswith(start))
        display = " ".join(lines[index:index + 4])
        assert re.search(rf"(?<![\d.]){re.escape(rounded(value.subs(at)))}(?![\d])", display), (name, display)


@pytest.mark.parametrize("kind", ["md", "tex"])
def test_references_to_a_forward_pass_cross_presentations(expression_paths, kind):
    text = render(build_sheet(expression_paths), kind)
    second, third = section(text, kind, "2"), section(text, kind, "3")
    assert "The forward pass is that of exercise 1: $f = " in second  # paths, referring to paths
    assert "The forward pass is that of exercise 1: $f = " in third  # a table, referring to paths
    assert "Backward pass" in third and "The backward pass is that of" not in third  # paths are no backward table


def test_paths_and_table_of_an_expression_agree(expression_paths):
    paths = {step.parameter: step.quantity for step in symback.run_exercise(expression_paths, "2").of_kind("gradient")}
    table = symback.run_exercise(expression_paths, "3").of_kind("backward_table")[0]
    assert set(table.asked) == set(paths)
    for answer, variable in zip(table.answers, table.asked):
        assert abs(sympy.N(answer.exact - paths[variable].exact, 40)) < 1e-30
        assert answer.decimal == paths[variable].decimal


@pytest.mark.parametrize("kind", ["md", "tex"])
def test_an_exercise_alone_renders_in_its_presentation(network_tables, expression_paths, kind):
    table = render_exercise(symback.run_exercise(network_tables, "4"), kind)
    paths = render_exercise(symback.run_exercise(expression_paths, "2"), kind)
    assert "Backward pass" in table and "Gradients by the chain rule" not in table
    assert "Gradients by the chain rule" in paths and "Backward pass" not in paths
    assert "2.359" in table and "2.060" in paths and "1.592" in paths


# --- what a reader sees: Markdown as GitHub shows it, the PDF


@pytest.mark.parametrize("problem", ["network_tables", "expression_paths"])
def test_markdown_displays_stand_alone_and_fit_the_page(problem, request):
    text = render(build_sheet(request.getfixturevalue(problem), appendix=False), "md")
    lines, inside = text.splitlines(), False
    for number, line in enumerate(lines, 1):
        if line == "$$":
            inside = not inside
            continue
        assert "$$" not in line, f"line {number}: $$ must stand on its own line"
        if inside:
            width = display_width(line)
            assert width <= WIDEST_DISPLAY_LINE, f"line {number} would run off the page ({width}): {line[:80]}"
    assert not inside


@needs_latex
@pytest.mark.parametrize("problem, numbers", [
    ("network_tables", ("2.359", "−2.924", "0.7311", "2.749")),
    ("expression_paths", ("2.060", "1.592", "0.01799", "1.546", "2.794")),
])
def test_the_pdf_builds_and_every_line_fits(problem, numbers, request, tmp_path):
    report = write_sheets(request.getfixturevalue(problem), tmp_path, ("pdf",), stem="sheet", appendix=False)
    assert not [remark for remark in report.remarks if "Overfull" in remark], report.remarks
    text = subprocess.run(["pdftotext", str(tmp_path / "sheet.pdf"), "-"], capture_output=True, text=True).stdout
    for number in numbers:
        assert number in text.replace("-", "−"), number


# --- a template for every kind of step


def test_every_step_kind_has_a_markdown_and_a_latex_template():
    assert {"forward", "loss", "gradient", "update", "claim", "forward_table", "backward_table", "optimizer_run",
            "training_run", "cross_entropy_analysis"} <= set(step_kinds())
    assert missing_step_templates() == []


def test_a_missing_step_template_is_reported(tmp_path):
    shutil.copytree(templates_folder(), tmp_path / "templates")
    folder = tmp_path / "templates"
    assert missing_step_templates(folder) == []
    (folder / "md" / "steps" / "backward_table.md.j2").unlink()
    (folder / "tex" / "steps" / "update.tex.j2").unlink()
    assert sorted(missing_step_templates(folder)) == ["md/steps/backward_table.md.j2", "tex/steps/update.tex.j2"]
