"""The exercise sheet without solutions (``symback solve --questions``): the given numbers are on it, no computed
value is. The computed values are taken from the solution of every exercise (forward values, losses, gradients,
updates, runs) and each must be absent from the questions sheet unless the file itself gives the same number."""

from __future__ import annotations

import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType

import pytest
from cli_helpers import run

import symback
from symback.derive.steps import Quantity
from symback.render.environment import render
from symback.render.questions import build_questions

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "problems").glob("*.toml"))
SHIPPED = [p for p in SHIPPED if "answers" not in p.name]
HAS_LATEX = shutil.which("pdflatex") is not None and shutil.which("pdftotext") is not None


def computed_decimals(problem) -> set[str]:
    """Every decimal the solution of every exercise computes (not the numbers given), as text."""
    found = set()

    def collect(thing, depth=0):
        if depth > 12:
            return
        if isinstance(thing, Decimal):
            found.add(str(thing))
        elif isinstance(thing, (list, tuple)):
            for item in thing:
                collect(item, depth + 1)
        elif isinstance(thing, (dict, MappingProxyType)):
            for item in thing.values():
                collect(item, depth + 1)
        elif isinstance(thing, Quantity):  # a named value: its decimal
            found.add(str(thing.decimal))
        elif hasattr(thing, "__dataclass_fields__") and not isinstance(thing, type):
            for name in thing.__dataclass_fields__:
                collect(getattr(thing, name), depth + 1)

    for exercise in problem.exercises:
        collect(symback.run_exercise(problem, exercise.id).steps)
    return found


def given_numbers(problem_file: Path) -> set[str]:
    """Every number written in the problem file (and the integers, which a sheet prints in many places)."""
    return set(re.findall(r"-?\d+(?:\.\d+)?", problem_file.read_text(encoding="utf-8")))


def numbers_in(text: str) -> set[str]:
    """The decimals of a sheet's body (LaTeX's preamble has lengths such as 2.2cm)."""
    body = text.split("\\begin{document}")[-1]
    body = "\n".join(line for line in body.splitlines() if not line.lstrip().startswith(("\\node", "\\draw", "\\path")))
    return set(re.findall(r"-?\d+\.\d+(?!\d*cm)", body))  # not the diagram's sizes and coordinates


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_no_computed_value_on_the_questions_sheet(path):
    problem = symback.load(path)
    given = {n.lstrip("-") for n in given_numbers(path)}
    computed = {v.lstrip("-") for v in computed_decimals(problem) if "." in v and "E" not in v} - given
    assert computed  # the route finds the solution's numbers (else the test could not fail)
    sheet = build_questions(problem)
    for kind in ("md", "tex"):
        text = render(sheet, kind)
        leaked = {n.lstrip("-") for n in numbers_in(text)} & computed
        assert not leaked, (path.name, kind, sorted(leaked)[:5])
        solution = render(symback.render.sheet.build_sheet(problem, appendix=False), kind)
        assert computed & {n.lstrip("-") for n in numbers_in(solution)}  # the route can fail


def test_the_given_numbers_and_texts_are_there():
    problem = symback.load(ROOT / "problems" / "ws23_backprop.toml")
    md = render(build_questions(problem), "md")
    for exercise in problem.exercises:
        assert f"## Exercise {exercise.id}" in md and exercise.text.split(" ")[0] in md
    assert "y = 2.12" in md and "x_{2} = 3" in md  # exercise 2's target as written; exercise 3's input
    assert r"\begin{pmatrix} 1 & 0 \\ -2 & 1 \end{pmatrix}" in md  # A as given
    assert "f'(z)" not in md and "Conventions" not in md and "Appendix" not in md


def test_a_sentence_is_made_where_there_is_no_text():
    problem = symback.loads(
        'title = "t"\n[network]\ninputs = 2\n[[network.layers]]\nweights = "W"\nvalues = [[0.5, -1]]\n'
        'activation = "sigmoid"\n[loss]\nkind = "binary_cross_entropy"\n'
        '[[exercises]]\nid = "1"\ntask = "gradient"\nx = [1, 2]\ny = 1\nparams = ["w11"]\n'
        '[[exercises]]\nid = "2"\ntask = "sgd"\nat = "1"\nlr = 0.25\n'
        '[[exercises]]\nid = "3"\ntask = "optimize"\nat = "1"\noptimizer = { kind = "adam", lr = 0.1 }\nsteps = 2\n')
    md = render(build_questions(problem), "md")
    assert r"$\partial L / \partial w_{11}$ at $x = (1, 2)^{\mathrm{T}}$, $y = 1$." in md
    assert r"One SGD step with $\alpha = 0.25$ on $w_{11}$ and $w_{12}$ at the point of exercise 1." in md
    assert r"Two steps of Adam ($\alpha = 0.1$) on $w_{11}$ and $w_{12}$ at the point of exercise 1." in md
    assert "Here" not in md  # the sentence states the point: not said twice


def test_the_point_is_said_once_on_the_questions_sheet():
    """WS23's exercise 1 writes x = (0, 0)ᵀ and y = 1 in its text: no "Here x₁ = 0, …" under it; exercise 5's
    text does not write its point, so the sheet gives it."""
    problem = symback.load(ROOT / "problems" / "ws23_backprop.toml")
    md = render(build_questions(problem), "md")
    sections = dict(re.findall(r"## Exercise (\w+)\n(.*?)(?=## Exercise|\Z)", md, re.DOTALL))
    assert "Here" not in sections["1"] and "Here" not in sections["2"] and "Here" not in sections["3"]
    assert "Here $x_{1} = 1, x_{2} = 3$ and $y = 2$." in sections["5"]


def test_solve_questions_writes_every_format(capsys, tmp_path):
    formats = "md,tex,pdf" if HAS_LATEX else "md,tex"
    code, out, err = run(capsys, "solve", ROOT / "problems" / "circuit_cs231n.toml", "-o", tmp_path, "--questions",
                         "--format", formats)
    assert code == 0, err
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(f"circuit_cs231n-questions.{k}" for k in formats.split(","))
    if HAS_LATEX:
        text = subprocess.run(["pdftotext", str(tmp_path / "circuit_cs231n-questions.pdf"), "-"],
                              capture_output=True, text=True).stdout
        assert "Exercise 3" in text and "Backpropagate" in text


@pytest.mark.parametrize("problem_file, exercise_id, name", [
    ("ws23_backprop.toml", "3", "nope"), ("ws23_backprop.toml", "3", "z1_2"), ("ws23_backprop.toml", "3", "dL/da22"),
    ("ws23_backprop.toml", "3", "dL/dnope"), ("ws23_backprop.toml", "3", "h2_1"), ("circuit_cs231n.toml", "2", "q3"),
    ("circuit_cs231n.toml", "2", "df/dx"), ("circuit_cs231n.toml", "2", "dL/dx"), ("circuit_cs231n.toml", "2", "num"),
])
def test_the_questions_sheet_refuses_a_claim_exactly_when_the_solution_does(capsys, tmp_path, problem_file,
                                                                           exercise_id, name):
    """``show`` names a quantity: the questions sheet (nothing computed) and the solution (the claim checked on
    the exact pass) agree on which names are quantities; a refusal is one line and writes no file."""
    source = (ROOT / "problems" / problem_file).read_text(encoding="utf-8")
    marker = f'id = "{exercise_id}"\n'
    path = tmp_path / problem_file
    path.write_text(source.replace(marker, f'{marker}show = {{ "{name}" = 0 }}\n', 1).replace(
        "show = { yhat = 0 }\n", ""), encoding="utf-8")
    codes = []
    for questions in ([], ["--questions"]):
        codes.append(run(capsys, "solve", path, "-o", tmp_path / "out", "--format", "md", *questions)[0])
        if codes[-1] == 2:
            assert not list((tmp_path / "out").glob("*questions*")) or not questions
    assert codes[0] == codes[1], codes
