"""The softmax probabilities never share a name with a parameter: a bias vector P has entries p₁, p₂, …, and the
probabilities are then written with another letter, so each formula puts in the value that belongs there."""

from __future__ import annotations

import re

import symback
from symback.render.environment import render
from symback.render.sheet import build_sheet

PROBLEM = """title = "Softmax after a bias named P"
[network]
inputs = 2
[[network.layers]]
weights = "A"
values = [[0.5, -0.2], [0.3, 0.8]]
bias = "P"
bias_values = [-0.7, 0.4]
activation = "identity"
[loss]
kind = "softmax_cross_entropy"
[[exercises]]
id = "1"
task = "loss"
x = [1, 2]
y = [0, 1]
"""


def test_probabilities_take_a_letter_no_parameter_has():
    problem = symback.loads(PROBLEM)
    graph = symback.run_exercise(problem, "1").result.graph
    probabilities = {symbol.name for symbol, _ in graph.loss.probabilities}
    assert probabilities and not probabilities & set(problem.network.parameters)


def test_the_bias_goes_into_the_first_logit():
    markdown = render(build_sheet(symback.loads(PROBLEM), appendix=False), "md")
    row = re.search(r"\\hat\{y\}_\{1\} &= [^=]*= ([^=]*?)(?: \\\\\n| =)", markdown).group(1)
    # a11·x1 + a12·x2 + p1 with the file's numbers: the bias −0.7, not a probability
    assert row.strip().endswith(r"\left(-0.7\right)"), row
