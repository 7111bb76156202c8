"""A wide layer (more than three units) is written as a lecturer writes it: its first unit worked out, then a
table of every unit's values, forwards (z, h) and backwards (∂L/∂h, ∂L/∂z).

The numbers are held against a route of their own: the forward pass in mpmath at 50 digits, and ∂L/∂zᵢ as the
central finite difference of L in the layer's bias bᵢ (∂z/∂b = 1), rounded half up to 4 significant digits.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Context

import mpmath
import pytest

import symback
from symback.numbers.text import decimal_text
from symback.render.environment import render
from symback.render.paths import MAX_UNITS_WRITTEN
from symback.render.sheet import build_sheet

WEIGHTS = {
    "A": [[0.3, -0.5], [0.8, 0.2], [-0.6, 0.4], [0.1, 0.9], [-0.7, -0.3]],
    "B": [[0.5, -0.2, 0.3, 0.6, -0.4], [-0.1, 0.7, -0.8, 0.2, 0.3], [0.4, 0.4, -0.5, -0.6, 0.1],
          [0.9, -0.3, 0.2, 0.1, -0.2], [-0.5, 0.6, 0.7, -0.4, 0.8]],
    "C": [[0.6, -0.7, 0.2, 0.5, -0.3]],
}
BIASES = {"A": [0.1, -0.2, 0.3, 0.0, 0.2], "B": [-0.1, 0.2, 0.1, -0.3, 0.4], "C": [0.2]}
ACTIVATIONS = {"A": "sigmoid", "B": "tanh", "C": "identity"}
X, Y = [0.5, -0.4], [0.3]


def problem_text() -> str:
    lines = ['title = "Two wide layers"', "[network]", "inputs = 2"]
    for letter, bias in zip("ABC", "PQR"):
        lines += ["[[network.layers]]", f'weights = "{letter}"', f"values = {WEIGHTS[letter]}",
                  f'bias = "{bias}"', f"bias_values = {BIASES[letter]}", f'activation = "{ACTIVATIONS[letter]}"']
    lines += ["[loss]", 'kind = "half_squared_error"',
              "[[exercises]]", 'id = "1"', 'task = "gradient"', f"x = {X}", f"y = {Y}", 'params = ["a11"]']
    return "\n".join(lines) + "\n"


def forward(biases: dict) -> tuple[list, mpmath.mpf]:
    """[(z, h) of each layer], L; every number as an mpmath value."""
    functions = {"sigmoid": lambda z: 1 / (1 + mpmath.exp(-z)), "tanh": mpmath.tanh, "identity": lambda z: z}
    h, layers = [mpmath.mpf(str(v)) for v in X], []
    for letter in "ABC":
        z = [sum(mpmath.mpf(str(w)) * v for w, v in zip(row, h)) + biases[letter][i]
             for i, row in enumerate(WEIGHTS[letter])]
        h = [functions[ACTIVATIONS[letter]](value) for value in z]
        layers.append((z, h))
    return layers, (h[0] - mpmath.mpf(str(Y[0]))) ** 2 / 2


def rounded(value) -> str:
    decimal = Context(prec=4, rounding=ROUND_HALF_UP).create_decimal(mpmath.nstr(value, 40, min_fixed=-50, max_fixed=50))
    return decimal_text(decimal) if decimal else "0"


def agrees(cell: str, value) -> bool:
    """The cell is the value correctly rounded, or (a value with fewer digits) the value itself."""
    return cell == rounded(value) or abs(mpmath.mpf(cell) - value) < mpmath.mpf("1e-40")


def tables(markdown: str) -> dict[str, dict[int, str]]:
    """Every layer table of the Markdown: column heading -> unit -> cell."""
    found: dict[str, dict[int, str]] = {}
    for block in re.findall(r"^\| \$i\$ \|.*?(?=\n\n|\Z)", markdown, flags=re.DOTALL | re.MULTILINE):
        lines = block.splitlines()
        headings = [cell.strip() for cell in lines[0].strip("|").split("|")][1:]
        for line in lines[2:]:
            cells = [cell.strip().strip("$") for cell in line.strip("|").split("|")]
            for heading, cell in zip(headings, cells[1:]):
                found.setdefault(heading, {})[int(cells[0])] = cell
    return found


@pytest.fixture(scope="module")
def markdown() -> str:
    return render(build_sheet(symback.loads(problem_text()), appendix=False), "md")


def test_a_wide_layer_is_a_table_and_a_narrow_one_is_written_out(markdown):
    found = tables(markdown)
    assert len(WEIGHTS["A"]) > MAX_UNITS_WRITTEN
    assert set(found) == {"$z^{(1)}_ {i}$", "$h^{(1)}_ {i}$", "$z^{(2)}_ {i}$", "$h^{(2)}_ {i}$",
                          r"$\frac{\partial L}{\partial h^{(2)}_ {i}}$", r"$\frac{\partial L}{\partial z^{(2)}_ {i}}$"}
    assert "z^{(1)}_{1} &=" in markdown and "z^{(1)}_{2} &=" not in markdown  # unit 1 worked, unit 2 in the table
    assert r"\hat{y} &=" in markdown  # one output: written out
    # ∂L/∂a11 needs only unit 1 of layer 1 backwards: written out, no table
    assert r"\frac{\partial L}{\partial z^{(1)}_{1}} &=" in markdown


def test_the_forward_tables_hold_every_unit(markdown):
    found = tables(markdown)
    with mpmath.workdps(60):
        layers, _ = forward({k: [mpmath.mpf(str(b)) for b in v] for k, v in BIASES.items()})
    for layer, (z, h) in enumerate(layers[:2], start=1):
        for unit in range(1, len(z) + 1):
            assert agrees(found[f"$z^{{({layer})}}_ {{i}}$"][unit], z[unit - 1]), (layer, unit)
            assert agrees(found[f"$h^{{({layer})}}_ {{i}}$"][unit], h[unit - 1]), (layer, unit)


def test_the_backward_tables_hold_every_units_gradient(markdown):
    found = tables(markdown)
    step = mpmath.mpf("1e-20")
    with mpmath.workdps(60):
        for layer, letter in ((2, "B"),):
            for unit in range(1, len(BIASES[letter]) + 1):
                up = {k: [mpmath.mpf(str(b)) for b in v] for k, v in BIASES.items()}
                down = {k: list(v) for k, v in up.items()}
                up[letter][unit - 1] += step
                down[letter][unit - 1] -= step
                gradient = (forward(up)[1] - forward(down)[1]) / (2 * step)
                heading = rf"$\frac{{\partial L}}{{\partial z^{{({layer})}}_ {{i}}}}$"
                assert agrees(found[heading][unit], gradient), (layer, unit)
