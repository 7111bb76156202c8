"""A long formula in an expression problem (a stage of many factors, a function of a long sum, names of twelve
letters) is set on rows that fit the page, and its table cells stay in their columns (issue 14: no line runs
off the page). The rows' widths are judged by the sheet's own estimate and, where pdflatex is installed, by
pdflatex's log: its Overfull boxes."""

from __future__ import annotations

import re
import shutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import symback
from symback.derive.formulas import Apply, Minus, Over, Plus, Times, name_symbol
from symback.render import pdf
from symback.render.equations import WIDTH, breakable_cells, equation_rows, visual_width
from symback.render.notation import Notation
from symback.render.write import write_sheets

needs_latex = pytest.mark.skipif(not (pdf.latex_available() and shutil.which("pdftotext")),
                                 reason="pdflatex and pdftotext are not installed")


def formulas():
    """Display formulas as a circuit writes them: sums, products, quotients and functions of names."""
    leaves = st.sampled_from([name_symbol(name) for name in ("x", "y", "q_3", "weight", "intermediat1")])
    return st.recursive(leaves, lambda inner: st.one_of(
        st.lists(inner, min_size=2, max_size=12).map(lambda terms: Plus(*terms)),
        st.lists(inner, min_size=2, max_size=12).map(lambda factors: Times(*factors)),
        st.tuples(inner, inner).map(lambda pair: Minus(*pair)),
        st.tuples(inner, inner).map(lambda pair: Over(*pair)),
        inner.map(lambda argument: Apply(symback_function("sigmoid"), argument)),
    ), max_leaves=60)


def symback_function(name: str):
    import sympy

    return sympy.Symbol(name)


def row_body(row: str) -> str:
    """A row of an ``align*`` without its alignment point, the relation of the first and the indent of the rest."""
    return row.split("&", 1)[1].removeprefix("= ").removeprefix(r"\quad ")


def names_in(latex: str) -> list[str]:
    """The names and the signs of a formula, in order."""
    return re.findall(r"\\mathit\{\w+\}|q_\{3\}|(?<![\\\w])[xy](?!\w)|[+-]", latex)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(formulas())
def test_every_row_of_a_long_formula_fits_unless_one_name_fills_it(formula):
    rows = equation_rows("f", [("=", formula)], Notation())
    whole = Notation().latex(formula)
    assert names_in(" ".join(rows)) == names_in(whole)  # every name and sign once, in order
    for row in rows:
        # a row is too wide only when it holds a single piece that has no break point of its own
        assert visual_width(row) <= WIDTH + 12 or " " not in row_body(row).strip(), row
    if visual_width(whole) + 8 <= WIDTH:  # the row after "f = ", less a continued row's indent
        assert len(rows) == 1  # a formula that fits is never broken


def test_a_long_product_breaks_before_a_factor_with_a_dot():
    x, y = name_symbol("x"), name_symbol("y")
    rows = equation_rows("f", [("=", Times(*[x, y] * 40))], Notation())
    assert len(rows) > 1 and all(row.startswith(r"&\quad \cdot ") for row in rows[1:])
    assert all(visual_width(row) <= WIDTH + 2 for row in rows)
    written = " ".join(row_body(row).removeprefix(r"\cdot ") for row in rows)
    assert written.split() == ["x", "y"] * 40  # every factor once, in order


def test_breaks_are_added_beside_long_names_only():
    short = r"$q_{2} \left(1 - q_{2}\right)$ & $x y$"
    assert breakable_cells(short) == short  # a shipped sheet's source stays as written
    long = r"$\mathit{xcoordinate}_{1} \mathit{ycoordinate}_{1} + 2 \mathit{weight}$"
    assert breakable_cells(long).count(r"\allowbreak") == 2


LONG_NAMES = """title = "Twelve-letter names"
[expression]
stages = [
  "intermediate = xcoordinate1 * ycoordinate1 * xcoordinate1 + sigmoid(xcoordinate1 * ycoordinate1 + xcoordinate1)",
  "f = intermediate / (1 + ycoordinate1^2) * intermediate * intermediate * intermediate * intermediate",
]
at = { xcoordinate1 = 3, ycoordinate1 = -4 }

[[exercises]]
id = "1"
task = "gradient"
"""

LONG_PRODUCT = """title = "A long product"
[expression]
f = "PRODUCT"
at = { x = 1, y = 2 }

[[exercises]]
id = "1"
task = "gradient"
""".replace("PRODUCT", "*".join(["x", "y", "sigmoid(x + y)"] * 40))


@needs_latex
@pytest.mark.parametrize("source", [LONG_NAMES, pytest.param(LONG_PRODUCT, marks=pytest.mark.slow)],
                         ids=["long names", "long product"])
def test_an_expression_sheet_of_long_formulas_fits_the_page(tmp_path, monkeypatch, source):
    seen = []
    build = pdf.build_pdf
    monkeypatch.setattr("symback.render.write.build_pdf", lambda *a, **k: seen.append(build(*a, **k)) or seen[-1])
    write_sheets(symback.loads(source, "long.toml"), tmp_path, formats=("pdf",))
    wide = [w for w in seen[0] if w.startswith("Overfull \\hbox") and float(w.split("(")[1].split("pt")[0]) > 1]
    assert not wide
