"""The circuit sheets' tables read as a lecturer writes them: exact values as one flat fraction (no fraction inside
a fraction, anywhere on the sheet), an exact form in a cell only while it is narrow (the rest below the table),
≈ wherever a rounded number stands, and no ``0.25 = 0.25``.

The CS231n circuit's exact values are built here in SymPy from its formula, f = (x + σ(y))/(σ(x) + (x + y)²) at
(3, −4), and their gradients by sympy.diff; equality of two forms is checked by SymPy and at 50 digits in mpmath.
"""

from __future__ import annotations

import re
from pathlib import Path

import mpmath
import pytest
import sympy

import symback
from symback.numbers.tidy import tidy
from symback.render.environment import render
from symback.render.sheet import build_sheet
from symback.render.shown import CELL_EXACT

ROOT = Path(__file__).resolve().parents[2]
X, Y = sympy.symbols("x y", real=True)


def sigmoid(z):
    return 1 / (1 + sympy.exp(-z))


F = (X + sigmoid(Y)) / (sigmoid(X) + (X + Y) ** 2)
AT = {X: 3, Y: -4}
VALUES = {"f": F.subs(AT), "df/dx": sympy.diff(F, X).subs(AT), "df/dy": sympy.diff(F, Y).subs(AT),
          "df/dnum": (1 / (sigmoid(X) + (X + Y) ** 2)).subs(AT)}


def fraction_inside_fraction(latex: str) -> bool:
    r"""Whether some \frac has another \frac in its numerator or denominator (braces counted here)."""
    for match in re.finditer(r"\\frac", latex):
        position, arguments = match.end(), []
        for _ in range(2):  # the two brace groups after \frac
            depth, start = 0, position
            while True:
                character = latex[position]
                depth += {"{": 1, "}": -1}.get(character, 0)
                position += 1
                if depth == 0:
                    break
            arguments.append(latex[start:position])
        if any(r"\frac" in argument for argument in arguments):
            return True
    return False


def same_value(a, b) -> bool:
    with mpmath.workdps(50):
        close = mpmath.almosteq(mpmath.mpf(sympy.N(a, 50)), mpmath.mpf(sympy.N(b, 50)), rel_eps=mpmath.mpf(10) ** -45)
    return close and sympy.simplify(a - b) == 0


@pytest.mark.parametrize("name", sorted(VALUES))
def test_a_circuit_value_tidies_to_one_flat_fraction_of_the_same_value(name):
    value = VALUES[name]
    tidied = tidy(value)
    latex = sympy.latex(tidied)
    assert not fraction_inside_fraction(latex), latex
    assert same_value(tidied, value)


def test_the_fraction_check_here_can_fail():
    assert fraction_inside_fraction(sympy.latex(VALUES["f"]))  # as SymPy builds it: (3 + 1/(1 + e⁴))/(…)
    assert not fraction_inside_fraction(r"\frac{e}{1 + e} + \frac{1}{2}")


@pytest.fixture(scope="module")
def sheets():
    return {stem: render(build_sheet(symback.load(ROOT / "problems" / f"{stem}.toml")), "tex")
            for stem in ("circuit_cs231n", "circuit_optimizers")}


def table_rows(tex: str):
    for table in re.findall(r"\\begin\{longtable\}.*?\\end\{longtable\}", tex, re.DOTALL):
        body = table.split(r"\midrule", 1)[1].split(r"\bottomrule", 1)[0]
        for line in body.splitlines():
            if "&" in line and r"\endhead" not in line:
                yield [cell.strip() for cell in line.split("&")]


def test_no_fraction_inside_a_fraction_anywhere_on_the_circuit_sheets(sheets):
    for stem, tex in sheets.items():
        for line in tex.splitlines():
            assert not fraction_inside_fraction(line), (stem, line)


def test_a_value_cell_holds_a_narrow_exact_form_or_the_decimal_with_approx(sheets):
    tex = sheets["circuit_cs231n"]
    rows = list(table_rows(tex))
    assert rows
    for row in rows:
        value = row[-1].removesuffix(r"\\[0.5ex]").removesuffix(r"\\").strip().strip("$")
        exact, _, decimal = value.partition(r"\approx")
        if decimal:  # a rounded number: ≈ before it, and what stands before ≈ fits a cell
            assert len(re.sub(r"\\(?:left|right)\b|\s", "", exact)) <= CELL_EXACT, row
    f_row = next(row for row in rows if row[0] == "$f$")
    assert f_row[-1].removesuffix(r"\\").strip().strip("$").startswith(r"\approx 1.546")  # the flat fraction is below the table
    assert r"f &= \frac{\left(1 + e^{3}\right) \left(4 + 3 e^{4}\right)}" in tex


def test_an_exact_decimal_is_not_said_twice_and_exact_numbers_put_in_are_not_approximate(sheets):
    tex = sheets["circuit_optimizers"]
    assert not re.search(r"(?<![\d.])(-?\d+\.\d+) = \1(?![\d])", tex)
    loss_row = next(row for row in table_rows(tex) if row[0] == "$L$")
    assert loss_row[3] == r"$\left(-0.1 - 1\right)^{2}$"  # f = −0.1 and y = 1 exactly: no ≈


def test_a_rounded_gradient_put_into_an_update_makes_it_approximate(sheets):
    tex = sheets["circuit_cs231n"]
    update = next(line for line in tex.splitlines() if line.startswith("x' &="))
    assert r"\frac{\partial f}{\partial x} \approx 3 - 0.1 \cdot 2.060 \approx 2.794" in update
