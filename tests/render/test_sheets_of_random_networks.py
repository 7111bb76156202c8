"""Sheets of random course-sized networks (1 to 5 layers of 1 to 6 units, every activation and loss, with and
without biases, short decimals): every asked number is on the sheet, correctly rounded, and (with pdflatex) the
PDF has no line wider than the page.

The numbers are computed here by an independent route: the network's forward pass written out in mpmath at 50
digits, gradients by central finite differences of that pass (h = 10⁻²⁰), updates from those; rounded half up to
the sheet's 4 significant digits.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from decimal import ROUND_HALF_UP, Context
from pathlib import Path

import mpmath
import pytest
from deadline import no_hang
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import symback
from symback.numbers.text import decimal_text
from symback.render.environment import render
from symback.render.sheet import build_sheet

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "identity", "softplus")
LOSSES = ("squared_error", "half_squared_error", "mean_squared_error", "binary_cross_entropy", "softmax_cross_entropy")
HAS_LATEX = shutil.which("pdflatex") is not None and shutil.which("pdftotext") is not None
LETTERS = "ABCDEFGH"
BIASES = "PQRSTUVW"


@st.composite
def networks(draw):
    """A network as (widths, activations, biases, weights, bias values, loss, x, y)."""
    depth = draw(st.integers(1, 5))
    loss = draw(st.sampled_from(LOSSES))
    widths = [draw(st.integers(1, 4))] + [draw(st.integers(1, 6)) for _ in range(depth)]
    if loss == "softmax_cross_entropy":
        widths[-1] = max(widths[-1], 2)
    activations = [draw(st.sampled_from(ACTIVATIONS)) for _ in range(depth)]
    if loss == "binary_cross_entropy":
        activations[-1] = "sigmoid"  # its outputs must lie in (0, 1)
    elif loss == "softmax_cross_entropy":
        activations[-1] = "identity"  # logits
    short = st.integers(-9, 9).filter(lambda k: k != 0).map(lambda k: k / 10)
    weights = [[[draw(short) for _ in range(widths[k])] for _ in range(widths[k + 1])] for k in range(depth)]
    biases = [[draw(short) for _ in range(widths[k + 1])] if draw(st.booleans()) else None for k in range(depth)]
    x = [draw(short) for _ in range(widths[0])]
    outputs = widths[-1]
    if loss == "softmax_cross_entropy":
        hot = draw(st.integers(0, outputs - 1))
        y = [1 if k == hot else 0 for k in range(outputs)]
    elif loss == "binary_cross_entropy":
        y = [draw(st.sampled_from([0, 1])) for _ in range(outputs)]
    else:
        y = [draw(short) for _ in range(outputs)]
    return widths, activations, biases, weights, loss, x, y


def problem_text(network) -> str:
    widths, activations, biases, weights, loss, x, y = network
    lines = ['title = "A random network"', "[network]", f"inputs = {widths[0]}"]
    for k, activation in enumerate(activations):
        lines += ["[[network.layers]]", f'weights = "{LETTERS[k]}"', f"values = {weights[k]}",
                  f'activation = "{activation}"']
        if biases[k] is not None:
            lines += [f'bias = "{BIASES[k]}"', f"bias_values = {biases[k]}"]
    lines += ["[loss]", f'kind = "{loss}"',
              "[[exercises]]", 'id = "1"', 'task = "loss"', f"x = {x}", f"y = {y}",
              "[[exercises]]", 'id = "2"', 'task = "sgd"', 'at = "1"', "lr = 0.1", f"params = {list(asked(network))}".replace("'", '"')]
    return "\n".join(lines) + "\n"


def asked(network) -> tuple[str, ...]:
    """A first-layer weight and the last layer's bias (or its last weight), each once."""
    widths, _, biases, *_ = network
    depth = len(widths) - 1
    letter = LETTERS[depth - 1].lower()
    last = f"{BIASES[depth - 1].lower()}1" if biases[depth - 1] is not None else f"{letter}{widths[-1]}{widths[-2]}"
    return tuple(dict.fromkeys(("a11", last)))


def activation(name: str, z):
    if name == "sigmoid":
        return 1 / (1 + mpmath.exp(-z))
    if name == "tanh":
        return mpmath.tanh(z)
    if name == "relu":
        return z if z > 0 else mpmath.mpf(0)
    if name == "leaky_relu":
        return z if z > 0 else z / 100
    if name == "softplus":
        return mpmath.log(1 + mpmath.exp(z))
    return z


def loss_of(name: str, outputs, y):
    if name == "squared_error":
        return sum((o - t) ** 2 for o, t in zip(outputs, y))
    if name == "half_squared_error":
        return sum((o - t) ** 2 for o, t in zip(outputs, y)) / 2
    if name == "mean_squared_error":
        return sum((o - t) ** 2 for o, t in zip(outputs, y)) / len(y)
    if name == "binary_cross_entropy":
        return -sum(t * mpmath.log(o) + (1 - t) * mpmath.log(1 - o) for o, t in zip(outputs, y))
    total = mpmath.log(sum(mpmath.exp(o) for o in outputs))
    return -sum(t * (o - total) for o, t in zip(outputs, y))


def loss_at(network, parameters: dict, kinks: list | None = None) -> mpmath.mpf:
    """The network's loss, in mpmath, with ``parameters`` (name -> value) put in; ``kinks`` collects whether a
    ReLU's argument is 0 (where a finite difference straddles the kink and the sheet takes a convention)."""
    widths, activations, biases, _, loss, x, y = network
    h = [mpmath.mpf(str(v)) for v in x]
    for k, name in enumerate(activations):
        letter = LETTERS[k].lower()
        z = []
        for i in range(widths[k + 1]):
            total = sum(parameters[_entry(letter, i + 1, j + 1, widths[k + 1], widths[k])] * h[j] for j in range(widths[k]))
            if biases[k] is not None:
                total += parameters[f"{BIASES[k].lower()}{i + 1}"]
            z.append(total)
        if kinks is not None and name in ("relu", "leaky_relu"):
            kinks.extend(abs(value) < mpmath.mpf("1e-30") for value in z)
        h = [activation(name, value) for value in z]
    return loss_of(loss, h, [mpmath.mpf(str(t)) for t in y])


def _entry(letter, row, column, rows, columns) -> str:
    return f"{letter}{row}_{column}" if max(rows, columns) >= 10 else f"{letter}{row}{column}"


def parameters_of(network) -> dict:
    widths, _, biases, weights, *_ = network
    found = {}
    for k in range(len(widths) - 1):
        letter = LETTERS[k].lower()
        for i, row in enumerate(weights[k]):
            for j, value in enumerate(row):
                found[_entry(letter, i + 1, j + 1, widths[k + 1], widths[k])] = mpmath.mpf(str(value))
        if biases[k] is not None:
            for i, value in enumerate(biases[k]):
                found[f"{BIASES[k].lower()}{i + 1}"] = mpmath.mpf(str(value))
    return found


def rounded(value) -> str:
    """4 significant digits, ties half up, as the sheet writes them."""
    decimal = Context(prec=4, rounding=ROUND_HALF_UP).create_decimal(mpmath.nstr(value, 40, min_fixed=-50, max_fixed=50))
    return decimal_text(decimal) if decimal else "0"


def expected_numbers(network) -> dict[str, str]:
    """L, the two asked gradients and their updates, independently computed and rounded."""
    with mpmath.workdps(60):
        parameters = parameters_of(network)
        kinks: list = []
        found = {"L": rounded(loss_at(network, parameters, kinks))}
        assume(not any(kinks))
        step = mpmath.mpf("1e-20")
        for name in asked(network):
            up, down = dict(parameters), dict(parameters)
            up[name] += step
            down[name] -= step
            gradient = (loss_at(network, up) - loss_at(network, down)) / (2 * step)
            found[f"dL/d{name}"] = rounded(gradient)
            found[f"{name}'"] = rounded(parameters[name] - mpmath.mpf("0.1") * gradient)
    return found


@pytest.mark.slow
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_every_asked_number_is_on_the_sheet(network):
    problem = symback.loads(problem_text(network))
    with no_hang():
        sheet = build_sheet(problem, appendix=False)
        markdown, latex = render(sheet, "md"), render(sheet, "tex")
    for name, number in expected_numbers(network).items():
        for text in (markdown, latex):
            assert written(number, text), (name, number)


def written(number: str, text: str) -> bool:
    """Whether a rounded number is in the text as rounded, or (an exact decimal) without its trailing zeros."""
    plain = number.split(" ")[0]
    exact = plain.rstrip("0").rstrip(".") if "." in plain else plain
    return number in text or re.search(rf"(?<![\d.]){re.escape(exact)}(?![\d])", text) is not None


@pytest.mark.slow
@pytest.mark.skipif(not HAS_LATEX, reason="needs pdflatex and pdftotext")
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(networks())
def test_the_pdf_of_a_random_network_fits_the_page_and_holds_its_numbers(tmp_path, network):
    problem = symback.loads(problem_text(network))
    folder = Path(tempfile.mkdtemp(dir=tmp_path))  # one folder per example: hypothesis reuses tmp_path
    with no_hang():
        (folder / "sheet.tex").write_text(render(build_sheet(problem), "tex"), encoding="utf-8")
        subprocess.run(["pdflatex", "-interaction=nonstopmode", "-no-shell-escape", "sheet.tex"], cwd=folder,
                       capture_output=True, timeout=120, check=False)
    log = (folder / "sheet.log").read_text(encoding="latin-1")
    too_wide = [float(points) for points in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide", log)]
    assert all(points <= 5 for points in too_wide), too_wide
    text = subprocess.run(["pdftotext", str(folder / "sheet.pdf"), "-"], capture_output=True, text=True, check=True).stdout
    text = text.replace("−", "-")
    for name, number in expected_numbers(network).items():
        assert written(number.split(" ")[0], text), (name, number)


@pytest.mark.skipif(not HAS_LATEX, reason="needs pdflatex")
def test_a_relu_appendix_with_long_exact_outputs_fits_the_page(tmp_path):
    """Found by the property test above: the ReLU network's outputs, each a sum of tanh of decimals, ran a line
    9 pt into the margin (the paragraph of formulas now may stretch its spaces)."""
    network = ([2, 6, 3, 2, 5], ["sigmoid", "leaky_relu", "tanh", "identity"], [None, None, [-0.5, 0.6], None],
               [[[-0.2, 0.4], [-0.6, -0.7], [0.1, 0.1], [-0.1, -0.1], [-0.1, -0.1], [-0.1, 0.2]],
                [[0.3, 0.3, -0.3, 0.5, -0.5, -0.5], [0.6, -0.7, -0.8, 0.9, 0.9, 0.9], [0.2, 0.2, 0.2, 0.2, 0.2, -0.2]],
                [[-0.2, 0.3, 0.3], [0.3, -0.3, 0.4]],
                [[0.4, 0.4], [0.5, -0.5], [0.7, -0.7], [-0.8, 0.9], [-0.5, -0.5]]],
               "squared_error", [-0.7, -0.3], [-0.6, -0.9, 0.3, 0.5, 0.9])
    (tmp_path / "sheet.tex").write_text(render(build_sheet(symback.loads(problem_text(network))), "tex"),
                                        encoding="utf-8")
    with no_hang():
        subprocess.run(["pdflatex", "-interaction=nonstopmode", "-no-shell-escape", "sheet.tex"], cwd=tmp_path,
                       capture_output=True, timeout=120, check=False)
    log = (tmp_path / "sheet.log").read_text(encoding="latin-1")
    assert "With ReLU" in (tmp_path / "sheet.tex").read_text(encoding="utf-8")
    assert [float(p) for p in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide", log) if float(p) > 5] == []
