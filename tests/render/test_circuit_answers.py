"""Circuit sheets answer what is asked: a result line per asked gradient after the node tables (exact where
short, its correctly rounded decimal with = or ≈), and no rounded decimal in a run's table without ≈.

The independent routes: SymPy's diff of the whole expression, written out here, evaluated at 50 digits; an SGD
run of the leaky-ReLU unit in Python Fractions.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from pathlib import Path

import pytest
import sympy

import symback
from symback.render.environment import render
from symback.render.sheet import build_sheet

ROOT = Path(__file__).resolve().parents[2]


def _sheet(name: str, kind: str) -> str:
    return render(build_sheet(symback.load(ROOT / "problems" / name), appendix=False), kind)


def _rounded(value, digits: int = 4) -> str:
    with localcontext() as context:
        context.prec, context.rounding = digits, ROUND_HALF_UP
        return str(+Decimal(str(sympy.N(value, 50))))


def _result_block(text: str, exercise: str, kind: str) -> str:
    part = text.split("## Exercise " + exercise if kind == "md" else "section*{Exercise " + exercise + "}")[1]
    block = part.split("Result")[1]
    return block.split("```math")[1].split("```")[0] if kind == "md" else block.split(r"\end{align*}")[0]


@pytest.mark.parametrize("kind", ["md", "tex"])
def test_cs231n_states_each_asked_gradient_after_the_tables(kind):
    x, y = sympy.symbols("x y")
    sigma = lambda a: 1 / (1 + sympy.exp(-a))
    f = (x + sigma(y)) / (sigma(x) + (x + y) ** 2)
    text = _sheet("circuit_cs231n.toml", kind)
    block = _result_block(text, "2", kind)
    lines = [line for line in block.splitlines() if "partial" in line]
    assert len(lines) == 2
    for line, variable in zip(lines, (x, y)):
        exact = sympy.diff(f, variable).subs({x: 3, y: -4})
        assert rf"\partial {variable.name}}}" in line
        assert line.rstrip(" \\").endswith(rf"\approx {_rounded(exact)}")  # not a terminating decimal: ≈


@pytest.mark.parametrize("kind", ["md", "tex"])
def test_a_short_exact_gradient_is_given_with_its_decimal(kind):
    w, b = sympy.symbols("w b")
    z = w * 2 + b
    loss = (sympy.Max(z, z / 5) - 1) ** 2
    at = {w: sympy.Rational(1, 4), b: -1}
    block = _result_block(_sheet("circuit_optimizers.toml", kind), "1", kind)
    for name in ("w", "b"):
        exact = sympy.diff(loss, sympy.Symbol(name)).subs(at)  # z < 0 here: max is z/5, no kink in the way
        line = next(line for line in block.splitlines() if rf"\partial {name}}}" in line)
        decimal = Decimal(exact.p) / Decimal(exact.q)
        # a terminating fraction is written as its decimal (as files write it), once, after =
        assert line.rstrip(" \\").endswith(f"&= {decimal}") and line.count(str(decimal)) == 1


def _sgd_cells():
    """Every value of the four SGD steps of the leaky-ReLU unit (exercise 2), by hand in Fractions, in the
    table's order: per step and parameter g, Δθ, θ' and (for the first parameter) L after the step."""
    w, b, x, lr = Fraction(1, 4), Fraction(-1), 2, Fraction(3, 20)

    def loss_and_gradient(w, b):
        z = w * x + b
        slope = 1 if z > 0 else Fraction(1, 5)
        f = z * slope
        g_z = 2 * (f - 1) * slope
        return (f - 1) ** 2, {"w": g_z * x, "b": g_z}

    rows = []
    for _ in range(4):
        _, g = loss_and_gradient(w, b)
        after, _ = loss_and_gradient(w - lr * g["w"], b - lr * g["b"])
        rows.append([g["w"], -lr * g["w"], w - lr * g["w"], after])
        rows.append([g["b"], -lr * g["b"], b - lr * g["b"], None])
        w, b = w - lr * g["w"], b - lr * g["b"]
    return rows


def test_every_rounded_cell_of_a_run_table_says_so():
    md = _sheet("circuit_optimizers.toml", "md")
    part = md.split("## Exercise 2")[1].split("## Exercise 3")[0]
    table = [line for line in part.splitlines() if re.match(r"\| \d+ \|", line)]
    expected = _sgd_cells()
    assert len(table) == len(expected)
    checked = 0
    for line, values in zip(table, expected):
        cells = [cell.strip() for cell in line.strip("|").split("|")][2:]
        for cell, value in zip(cells, values):
            if value is None:
                assert cell == ""
                continue
            shown = cell.strip("$").split(r"\approx")[-1].strip()
            exact_decimal = Fraction(Decimal(shown)) == value
            assert (r"\approx" in cell) == (not exact_decimal), cell
            checked += 1
    assert checked == 28


def test_the_network_table_presentation_still_works():
    text = (ROOT / "problems" / "ws23_backprop.toml").read_text(encoding="utf-8")
    text = text.replace('task = "gradient"', 'task = "gradient"\npresentation = "table"', 1)
    problem = symback.loads(text)
    exercise = next(e for e in problem.exercises if e.presentation == "table")
    md = render(build_sheet(problem, appendix=False), "md")
    part = md.split(f"## Exercise {exercise.id}\n")[1].split("\n## ")[0]
    assert "| wire | local gradient | upstream | product (sent back) |" in part
    result = backprop_grads(problem, exercise)
    block = part.split("**Result**")[1].split("```math")[1].split("```")[0]
    for value in result.values():
        assert _rounded(value) in block or str(value) == "0"


def backprop_grads(problem, exercise) -> dict:
    """The asked gradients by SymPy's diff of the whole network's loss, written out here (WS23: two sigmoid hidden
    units, identity output, squared error)."""
    a11, a12, a21, a22, b11, b12 = sympy.symbols("a11 a12 a21 a22 b11 b12")
    x1, x2 = 1, 3  # the point of exercise 3, where exercise 4 is asked ("at = 3")
    sigma = lambda z: 1 / (1 + sympy.exp(-z))
    yhat = b11 * sigma(a11 * x1 + a12 * x2) + b12 * sigma(a21 * x1 + a22 * x2)
    loss = (yhat - 2) ** 2
    values = {sympy.Symbol(k): v for k, v in problem.network.parameters.items()}
    asked = exercise.params or [str(s) for s in (a11, a12, a21, a22, b11, b12)]
    return {name: sympy.diff(loss, sympy.Symbol(name)).subs(values) for name in asked}
