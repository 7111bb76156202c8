"""What a sheet says in words: an exercise without a text states what it asks and where; how values are written is
said once; every remark in the conventions box is typeset, one form per function; the diagram's labels are the
names as the formulas print them."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

import symback
from symback.problem.operations import OPERATIONS, remark
from symback.render.environment import render
from symback.render.sheet import build_sheet

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = [p for p in sorted((ROOT / "problems").glob("*.toml")) if "answers" not in p.name]

NO_TEXT = """title = "No texts"
[network]
inputs = 2
[[network.layers]]
weights = "W"
values = [[0.3, -0.6], [0.8, 0.2]]
activation = "tanh"
[[network.layers]]
weights = "V"
values = [[1.5, -0.7], [0.25, 1]]
activation = "relu"
[[network.layers]]
weights = "U"
values = [[1, -1]]
activation = "sigmoid"
[loss]
kind = "binary_cross_entropy"
[[exercises]]
id = "1"
task = "loss"
x = [1, 0.5]
y = 1
[[exercises]]
id = "2"
task = "gradient"
at = "1"
params = ["w11", "u12"]
[[exercises]]
id = "3"
task = "sgd"
at = "1"
lr = 0.25
params = ["v21"]
[[exercises]]
id = "4"
task = "loss"
x = [-2, 3.75]
y = 0
"""


def sections(text: str, kind: str) -> dict[str, str]:
    """Each exercise's part of a rendered sheet, by id."""
    head = r"## Exercise (\S+)\n" if kind == "md" else r"\\section\*\{Exercise (\S+)\}\n"
    parts = re.split(head, text)
    return dict(zip(parts[1::2], parts[2::2]))


def statement(part: str) -> str:
    """The exercise's statement: the quoted (Markdown) or emphasised (LaTeX) line under its heading."""
    return next((line for line in part.splitlines() if line.startswith(("> ", r"\emph{"))), "")


def written(value) -> str:
    """A number as the TOML file writes it (the route: the file's own text, not the program's printer)."""
    return str(int(value)) if isinstance(value, int) or float(value).is_integer() else repr(value)


@pytest.mark.parametrize("kind", ["md", "tex"])
def test_an_exercise_without_text_states_its_point_and_what_it_asks(kind):
    problem = symback.loads(NO_TEXT, source="no_text.toml")
    raw = {e["id"]: e for e in tomllib.loads(NO_TEXT)["exercises"]}
    by_id = sections(render(build_sheet(problem, appendix=False), kind), kind)
    for exercise_id in ("1", "4"):  # a point first given: x and y as the file writes them
        stated = statement(by_id[exercise_id])
        x = ", ".join(written(v) for v in raw[exercise_id]["x"])
        assert f"x = ({x})" in stated and f"y = {written(raw[exercise_id]['y'])}" in stated, (exercise_id, stated)
    asked_2 = statement(by_id["2"])
    for parameter in raw["2"]["params"]:
        letter, row, column = parameter
        assert rf"\partial L / \partial {letter}_{{{row}{column}}}" in asked_2, asked_2
    assert "point of exercise 1" in asked_2
    asked_3 = statement(by_id["3"])
    assert rf"\alpha = {raw['3']['lr']}" in asked_3 and "v_{21}" in asked_3 and "point of exercise 1" in asked_3


@pytest.mark.parametrize("kind", ["md", "tex"])
def test_an_exercise_with_a_text_is_not_restated(kind):
    problem = symback.load(ROOT / "problems" / "ws23_backprop.toml")
    by_id = sections(render(build_sheet(problem, appendix=False), kind), kind)
    for exercise in problem.exercises:  # the statement is the author's text, no sentence made from the keys beside it
        assert statement(by_id[exercise.id]).startswith(("> " + exercise.text[:6], r"\emph{" + exercise.text[:6]))
        assert "Forward pass and loss at" not in by_id[exercise.id] and "One SGD step" not in by_id[exercise.id]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_how_values_are_written_is_said_once(path):
    sheet = build_sheet(symback.load(path), appendix=False)
    for kind in ("md", "tex"):
        text = render(sheet, kind)
        assert text.count("stays short") == 1, (path.stem, kind)
        assert "decimals always" not in text


def every_problem_with_remarks():
    """The shipped problems, a network with every activation, a circuit with every operation that has a remark."""
    problems = [symback.load(path) for path in SHIPPED]
    for kind in ("sigmoid", "tanh", "relu", "leaky_relu", "identity", "softplus"):
        problems.append(symback.loads(NO_TEXT.replace('"relu"', f'"{kind}"').split("[[exercises]]")[0]))
    problems.append(symback.loads(
        'title = "t"\n[expression]\nstages = ["q = log(x) + sqrt(x) + abs(y) + sin(x) + cos(x) + tan(y)",\n'
        '"r = tanh(q) + sigmoid(q) + softplus(y) + relu(y)", "f = max(r, q) + min(x, y)"]\nat = { x = 2, y = 0.5 }\n'))
    return problems


def test_every_remark_in_the_conventions_is_typeset():
    """A remark with mathematics in it carries its LaTeX form; its plain text has no program syntax (^, **)."""
    seen = 0
    for problem in every_problem_with_remarks():
        for convention in build_sheet(problem, appendix=False).conventions:
            seen += 1
            assert "^" not in convention and "**" not in convention, convention
            latex = getattr(convention, "latex", None)
            if latex is None:  # plain words only: nothing a reader would expect set as mathematics
                assert re.fullmatch(r"[A-Za-z ,;:()'-]+", convention), convention
            else:
                assert latex.count("$") % 2 == 0 and "e^(" not in latex, latex
    assert seen > 20
    for name in OPERATIONS:
        text = remark(name)
        assert not text or getattr(text, "latex", None), name


def test_where_an_iverson_bracket_is_written_the_conventions_say_what_it_means():
    for problem in every_problem_with_remarks():
        sheet = build_sheet(problem, appendix=False)
        tex = render(sheet, "tex")
        body = tex.split("Conventions")[1]
        bracket = re.search(r"\\left\[[^\]]*?>[^\]]*?\\right\]", body)
        if bracket:
            box = tex.split("Conventions")[1].split(r"\end{itemize}")[0]
            assert "$[P]$ is $1$ if $P$ holds and $0$ if not" in box, (problem.title, bracket.group(0))


def test_the_sigmoid_is_written_in_one_form():
    """The activation table's f(z) is the form the conventions box states."""
    problem = symback.loads(NO_TEXT)
    md = render(build_sheet(problem, appendix=False), "md")
    row = next(line for line in md.splitlines() if line.startswith("| 3 | $U$ | sigmoid |"))
    table_form = row.split("|")[4].strip().strip("$").replace(" ", "")
    box = md.split("**Conventions**")[1]
    assert table_form == r"\frac{1}{1+e^{-z}}" and table_form in box.replace(" ", "")


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_one_transpose_sign(path):
    sheet = build_sheet(symback.load(path), appendix=False)
    for kind in ("md", "tex"):
        text = render(sheet, kind)
        assert not re.search(r"\^\s*\\top\b|\^\{\\top\}|\^T\b", text), (path.stem, kind)


def test_mermaid_labels_are_the_names_as_printed():
    """With layer numbers shown, a unit's label is h₂⁽¹⁾ (as h^{(1)}_{2} prints), never the program's h1_2."""
    md = render(build_sheet(symback.loads(NO_TEXT), appendix=False), "md")
    block = md.split("```mermaid")[1].split("```")[0]
    labels = re.findall(r'\(\("([^"]*)"\)\)', block)
    assert "h₁⁽¹⁾" in labels and "h₂⁽²⁾" in labels and "ŷ" in labels and "x₂" in labels
    assert not [label for label in labels if re.search(r"[_0-9]", label) and label != "1"]
