"""Appendix e: one more hidden layer, one more pair of chain-rule factors."""

from __future__ import annotations

import dataclasses
import string
from dataclasses import dataclass
from decimal import Decimal

import sympy

from ...engine.passes import compute_pass
from ...engine.result import to_sympy
from ...numbers.arithmetic import DECIMAL
from ...numbers.rounding import correctly_rounded, trimmed
from ...problem.fields import matrix_entry_names
from ...problem.model import ActivationSpec, LayerSpec, Problem
from ..budget import worth_exact_work
from ..chain_rule import path_shape
from ..prose import Name, Partial, Prose, math, sentence
from ..steps import GradientStep, Quantity
from .common import (
    asked_parameters,
    exercise_pass,
    gradient_steps,
    plain_sgd_exercise,
)


@dataclass(frozen=True)
class DeeperGradient:
    parameter: str
    before: GradientStep  # in the sheet's network
    after: GradientStep  # with the extra layer
    factors_before: int  # local partials on the longest chain-rule path, counted on the graph
    factors_after: int
    ratio: Quantity | None  # after / before (None where before is 0)
    shown: tuple[tuple[bool, bool], ...] = ()  # before, after: (the sum of paths is short, the exact value is short)
    paths_before: int = 1  # chain-rule paths from L down to the parameter
    paths_after: int = 1


MAX_SHOWN_PATHS = 4  # a sum over more chain-rule paths is named by its count, not written out


@dataclass(frozen=True)
class DeeperSection:
    exercise: str
    problem: Problem  # the deeper network
    layer: int  # the inserted layer's number
    label: str  # its weight matrix's letter
    weights: tuple[tuple[str, ...], ...]  # its entry names, set to the identity
    gradients: tuple[DeeperGradient, ...]
    conclusion: Prose
    kind: str = "deeper"


def with_extra_layer(problem: Problem, after: int = 1) -> tuple[Problem, str]:
    """The problem with a sigmoid layer of the same width after layer ``after``, weights the identity matrix.

    Returns the new problem and the new matrix's letter; exercises' activation overrides move with their layers.

    >>> import symback
    >>> deeper, letter = with_extra_layer(symback.load("problems/ws23_backprop.toml"))
    >>> letter, deeper.network.layers[1].weights, [deeper.network.parameters[n] for n in ("c11", "c12")]
    ('C', (('c11', 'c12'), ('c21', 'c22')), [1, 0])
    """
    network = problem.network
    width = network.layers[after - 1].units
    used = {layer.weights_label for layer in network.layers} | {layer.bias_label for layer in network.layers}
    letter = next(
        letter for letter in string.ascii_uppercase
        if letter not in used and not set(sum(matrix_entry_names(letter, width, width), [])) & set(network.parameters)
    )
    names = matrix_entry_names(letter, width, width)
    layer = LayerSpec(tuple(map(tuple, names)), ActivationSpec("sigmoid"), weights_label=letter)
    identity = {names[i][j]: sympy.Integer(int(i == j)) for i in range(width) for j in range(width)}
    layers = network.layers[:after] + (layer,) + network.layers[after:]
    values = {**network.parameters, **identity}
    entries = [e for lay in layers for block in (lay.weights, (lay.bias or (),)) for row in block for e in row]
    ordered = {name: values[name] for name in dict.fromkeys(e for e in entries if isinstance(e, str))}
    exercises = tuple(
        dataclasses.replace(e, activations={n + (n > after): spec for n, spec in e.activations.items()})
        for e in problem.exercises
    )
    deeper = dataclasses.replace(network, layers=layers, parameters=ordered)
    return dataclasses.replace(problem, network=deeper, exercises=exercises), letter


def deeper_section(problem: Problem, digits: int = 4) -> DeeperSection | None:
    """The gradient exercise's first-layer parameters again, with one more sigmoid layer (C = I) after layer 1.

    >>> import symback
    >>> s = deeper_section(symback.load("problems/ws23_backprop.toml"))
    >>> [(g.parameter, g.factors_before, g.factors_after, g.paths_before, g.paths_after) for g in s.gradients]
    [('a22', 4, 6, 1, 2)]
    """
    exercise = next((e for e in problem.exercises if e.task == "gradient"), None) or plain_sgd_exercise(problem)
    if exercise is None or len(problem.network.layers) < 2:
        return None
    first = problem.network.layers[0]
    entries = {e for block in (first.weights, (first.bias or (),)) for row in block for e in row}
    names = [n for n in asked_parameters(problem, exercise) if n in entries]
    if not names:
        return None
    deeper, letter = with_extra_layer(problem)
    deeper_exercise = deeper.exercise(exercise.id)
    passes = exercise_pass(problem, exercise), exercise_pass(deeper, deeper_exercise)
    before, after = (gradient_steps(p, names, digits, paths=True) for p in passes)
    gradients = tuple(_deeper_gradient(b, a, passes, digits) for b, a in zip(before, after))
    # the before and after gradients' steps may go through adjoints (too many paths to write): their paths are then
    # no chain-rule paths, so the paths are counted on the graphs
    shapes = [[path_shape(p.graph, g.parameter) for p in passes] for g in gradients]
    gradients = tuple(dataclasses.replace(g, paths_before=b[0], factors_before=b[1], paths_after=a[0],
                                          factors_after=a[1]) for g, (b, a) in zip(gradients, shapes))
    weights = deeper.network.layers[1].weights
    return DeeperSection(exercise.id, deeper, 2, letter, weights, gradients, _deeper_conclusion(letter, 2, gradients))


def _deeper_gradient(before: GradientStep, after: GradientStep, passes, digits) -> DeeperGradient:
    ratio = None
    if before.quantity.decimal != 0:  # a correctly rounded decimal is 0 only for 0
        ratio = _ratio(before.parameter, passes, digits)
    shown = tuple((len(step.paths) <= MAX_SHOWN_PATHS, step.quantity.short)
                  for step in (before, after))
    return DeeperGradient(before.parameter, before, after, 0, 0, ratio, shown)


def _ratio(name: str, passes, digits) -> Quantity:
    """∂L/∂name after over before, correctly rounded from decimal passes of both networks; exact where both
    gradients are short (their exact forms are measured as engine values, never turned into SymPy when long)."""
    gradients = [p.exact_pass.gradient(p.graph.index[name]) for p in passes]
    exact = None
    if all(worth_exact_work(g) for g in gradients):
        exact = sympy.powsimp(to_sympy(gradients[1]) / to_sympy(gradients[0]))

    def evaluate() -> dict[str, Decimal]:
        found = [compute_pass(p.graph, DECIMAL, p.point, p.targets, follow=p.exact_pass).gradients[p.graph.index[name]]
                 for p in passes]
        return {"ratio": found[1] / found[0]}

    zero = ["ratio"] if gradients[1] == 0 else []
    rounded = correctly_rounded(evaluate, digits, zero)["ratio"]
    return Quantity("ratio", exact, trimmed(rounded, exact))


def _deeper_conclusion(letter: str, k: int, gradients) -> Prose:
    """Why the gradients change, in one sentence whatever the network's size (the numbers are on the lines above)."""
    ratios = [g.ratio.decimal for g in gradients if g.ratio is not None]
    pair = math(Partial("h", "z"), "·", Partial("z", "h"), "=", "σ'(z)", "·", 1, "≤", sympy.Rational(1, 4))
    if ratios and all(abs(r) < 1 for r in ratios):
        why = ", which is why the gradient" + (" shrinks." if len(gradients) == 1 else "s shrink.")
    elif ratios:
        why = ", but the values along the path change as well: here a gradient grows."
    else:
        why = "."
    return sentence("With ", math(Name(letter), "=", "I"), ", the new pair on every path that does not pass "
                    "through a zero weight of ", math(Name(letter)), " is ", pair, " (", math("σ'"), f" of layer {k})",
                    why)
