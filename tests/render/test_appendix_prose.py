"""The appendix reads as a lecturer writes it on a large network (six layers of eight units, values drawn here with
a fixed seed): one number per table cell, taught forms, no long fractions, conclusions of bounded length in the
sheet's names and the tables' numbers, and the extra layer's paths counted on the network itself."""

from __future__ import annotations

import random
import re

import pytest
import sympy

import symback
from symback.derive.appendix import build_appendix
from symback.derive.budget import within_budget
from symback.render.environment import render
from symback.render.sheet import build_sheet

WIDTH, HIDDEN, OUTPUTS, INPUTS = 8, 5, 2, 4


def layered_network(width=WIDTH, hidden=HIDDEN, seed=7) -> str:
    """A TOML problem: ``hidden`` sigmoid layers of ``width`` units, an identity output layer of two units."""
    pick = random.Random(seed)

    def matrix(rows, columns):
        return "[" + ", ".join("[" + ", ".join(str(pick.randint(-10, 10) / 10) for _ in range(columns)) + "]"
                               for _ in range(rows)) + "]"

    layers, inputs = [], INPUTS
    for k, letter in enumerate("ABCDEFGH"[:hidden + 1]):
        units, activation = (width, "sigmoid") if k < hidden else (OUTPUTS, "identity")
        layers.append(f'[[network.layers]]\nweights = "{letter}"\nvalues = {matrix(units, inputs)}\n'
                      f'activation = "{activation}"\n')
        inputs = units
    last = "ABCDEFGH"[hidden].lower()
    return (f'title = "layers"\n[network]\ninputs = {INPUTS}\n{"".join(layers)}[loss]\nkind = "half_squared_error"\n'
            '[[exercises]]\nid = "1"\ntask = "loss"\nx = [0.1, -0.6, 0.2, 0.1]\ny = [0.5, 0.5]\n'
            f'[[exercises]]\nid = "2"\ntask = "gradient"\nat = "1"\nparams = ["a11", "{last}11"]\n'
            f'[[exercises]]\nid = "3"\ntask = "sgd"\nat = "1"\nlr = 0.1\nparams = ["a11", "{last}11"]\n')


@pytest.fixture(scope="module")
def problem():
    return symback.loads(layered_network())


@pytest.fixture(scope="module")
def appendix(problem):
    return build_appendix(problem, 4)


@pytest.fixture(scope="module")
def markdown(problem):
    text = render(build_sheet(problem), "md")
    return text[text.index("## Appendix"):]


def _section(markdown: str, title: str) -> str:
    start = markdown.index(f"### {title}")
    end = markdown.find("\n### ", start + 1)
    return markdown[start:end if end > 0 else None]


def _prose(markdown: str) -> str:
    """The appendix's words: display math, inline math and tables taken out."""
    text = re.sub(r"```math.*?```|\$\$.*?\$\$", "", markdown, flags=re.DOTALL)
    text = re.sub(r"\$[^$]*\$", "", text)
    return "\n".join(line for line in text.splitlines() if not line.startswith("|"))


def test_relu_table_has_one_number_per_cell_and_the_taught_form(markdown):
    relu = _section(markdown, "ReLU instead")
    rows = [line.split(" | ") for line in relu.splitlines() if line.startswith("| $h")]
    assert len(rows) == WIDTH * HIDDEN
    for cells in rows:
        z, derivative = cells[1], cells[3]
        assert not re.fullmatch(r"\$(.+) = \1\$", z), z  # the defect: "−0.9 = −0.9"
        for cell in (z, derivative):  # a decimal, with ≈ only where it is rounded
            assert re.fullmatch(r"\$(\\approx )?-?\d+(\.\d+)?\$", cell), cell
    assert r"\sigma'(z) = h \left(1 - h\right)" in relu and r"p \left(1 - p\right)" in relu
    assert "p - p^{2}" not in markdown


def test_no_long_fraction_is_written_out(markdown):
    assert not within_budget(sympy.Rational(1796202774193, 156250000000))
    assert not re.search(r"\\frac\{\d{5,}\}", markdown), re.search(r".{40}\\frac\{\d{5,}\}.{40}", markdown)


def test_conclusions_are_short_and_typeset(appendix, markdown):
    units = WIDTH * HIDDEN
    for section in appendix.sections:
        paragraphs = [section.conclusion] if hasattr(section, "conclusion") else \
            [e.remark for e in section.exercises]
        for paragraph in paragraphs:
            assert len(str(paragraph)) <= 420, (section.kind, str(paragraph))
    relu = str(appendix.section("relu").conclusion)
    dead = len(appendix.section("relu").dead)
    assert dead and f"{dead} of the {units} ReLU units" in relu
    assert len(re.findall(r"\bh\d+_\d+\b", relu)) <= 3  # a few named, the rest counted
    words = _prose(markdown)
    assert not re.search(r"\b[a-z]\d+(\\?_\d+)?\b", words), re.search(r".{30}\b[a-z]\d+(\\?_\d+)?\b.{30}", words)
    assert not re.search(r"\d/\d", words), words  # α as in the table (0.05), never 1/20
    assert "vs" not in words and "z1" not in markdown.replace("z^{(1)}", "")


def test_rates_conclusion_uses_approximately_for_a_rounded_loss(appendix):
    section = appendix.section("learning_rates")
    assert section.loss.exact is None or not section.loss.short
    text = str(section.conclusion)
    assert f"= {section.rows[-1].loss.decimal}" not in text and "1/20" not in text


def test_one_more_layer_counts_paths_on_the_network(appendix, markdown):
    # a11 reaches L through h1_1, then every unit of each later hidden layer, then each output: width^(hidden − 1)
    # paths, times the outputs; the identity layer after layer 1 multiplies them by the width and adds two factors
    (gradient,) = [g for g in appendix.section("deeper").gradients if g.parameter == "a11"]
    assert gradient.paths_before == WIDTH ** (HIDDEN - 1) * OUTPUTS
    assert gradient.paths_after == WIDTH ** HIDDEN * OUTPUTS
    assert gradient.factors_after == gradient.factors_before + 2 and gradient.factors_before >= 2 * HIDDEN + 1
    deeper = _section(markdown, "One more hidden layer")
    assert r"\text{before: }" in deeper and r"\text{after: }" in deeper
    assert f"{gradient.paths_before} chain-rule paths" in deeper and f"{gradient.paths_after} chain-rule paths" in deeper
    assert f"{gradient.factors_before} factors before, {gradient.factors_after} after" in deeper
