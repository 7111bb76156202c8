"""The solution sheet as data for the templates: the problem as given, the diagram, every exercise's steps.

Everything here is picked from the problem and the engine's step records; nothing is computed but layout
(which symbols a matrix holds, which nodes a diagram column shows).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

import sympy

from ..derive.exercise import ExerciseResult, run_exercise
from ..engine.graph import Graph
from ..engine.network import build_graph
from ..problem.activations import make_activation
from ..problem.losses import make_loss
from ..problem.model import Problem
from .notation import Notation
from .training_plot import training_svg

MAX_DIAGRAM_UNITS = 10  # wider layers make an unreadable diagram; the sheet says it left it out


@dataclass(frozen=True)
class MatrixView:
    """A weight matrix or bias vector as given: its label, entries (names or constants) and exact values."""

    label: str
    entries: tuple[tuple[sympy.Expr, ...], ...]
    values: tuple[tuple[sympy.Expr, ...], ...]


@dataclass(frozen=True)
class LayerView:
    number: int
    weights: MatrixView
    bias: MatrixView | None
    activation_name: str
    activation_latex: str
    activation_expression: sympy.Expr
    activation_derivative: sympy.Expr
    is_identity: bool


@dataclass(frozen=True)
class Diagram:
    """Columns of node names (inputs first) and labelled edges; ``omitted`` when too wide to draw."""

    columns: tuple[tuple[str, ...], ...]
    edges: tuple[tuple[str, str, str], ...]
    omitted: bool = False


@dataclass(frozen=True)
class ExerciseView:
    """One exercise: its text and steps, grouped as the sheet shows them."""

    id: str
    text: str | None
    task: str
    result: ExerciseResult
    forward: tuple
    gradients: tuple
    updates: tuple
    claims: tuple
    analyses: tuple
    all_gradients_vanish: bool
    forward_as_in: str | None = None  # an earlier exercise with the same forward pass: shown there, not again
    runs: tuple = ()  # runs over several steps: optimizer_run and training_run records
    plot_file: str | None = None  # the file name of a training run's SVG plot beside the Markdown sheet
    data_as_in: str | None = None  # an earlier training exercise that listed the samples: not listed again


@dataclass(frozen=True)
class PlotFile:
    """An SVG plot written beside the Markdown sheet (named ``<stem>-exercise-<id>-loss.svg``)."""

    name: str
    svg: str


@dataclass(frozen=True)
class Sheet:
    title: str
    notes: str | None
    source_name: str
    notation: Notation
    layers: tuple[LayerView, ...]
    formula: str  # the network as a formula in LaTeX, g(x) = B σ(A x)
    loss_latex: str  # the loss in the registry's general notation (sums over outputs)
    loss_expression: sympy.Expr  # the loss for this network's outputs
    loss_remark: str
    inputs: tuple[str, ...]
    diagram: Diagram
    conventions: tuple[str, ...]
    exercises: tuple[ExerciseView, ...]
    appendix: object | None
    digits: int
    plots: tuple[PlotFile, ...] = ()  # files the Markdown sheet links to (LaTeX draws the same with pgfplots)


def build_sheet(problem: Problem, digits: int | None = None, *, appendix: bool = True,
                stem: str | None = None) -> Sheet:
    """Assemble the sheet of ``problem``: every exercise run, decimals to ``digits`` significant digits;
    ``stem`` names the files written beside the sheet (default: the problem file's name without suffix).

    >>> import symback
    >>> sheet = build_sheet(symback.load("problems/ws23_backprop.toml"), appendix=False)
    >>> sheet.formula, [e.id for e in sheet.exercises]
    ('g(x) = B\\\\,\\\\sigma\\\\left(A x\\\\right)', ['1', '2', '3', '4', '5', '6', '7'])
    """
    digits = problem.digits if digits is None else digits
    if problem.expression is not None:
        from .circuit_sheet import (
            build_circuit_sheet,  # an expression's sheet: a circuit, not layers
        )

        return build_circuit_sheet(problem, digits)
    network = problem.network
    notation = Notation(show_layers=len(network.layers) > 2)
    graph = build_graph(network, problem.loss)
    layers = tuple(_layer_view(problem, graph, number) for number in range(1, len(network.layers) + 1))
    stem = stem or Path(problem.source or "problem").stem
    exercises = _exercise_views(problem, digits, stem)
    loss = make_loss(problem.loss.kind, network.outputs)
    conventions = [loss.remark] + list(dict.fromkeys(layer_remark(problem, n) for n in range(len(layers))))
    conventions += list(dict.fromkeys(r for e in exercises for r in e.result.conventions.activations))
    conventions.append(exercises[0].result.conventions.updates if exercises else "")
    built_appendix = None
    if appendix:
        from ..derive.appendix import build_appendix

        built_appendix = build_appendix(problem, digits)
    return Sheet(
        title=problem.title,
        notes=problem.notes,
        source_name=problem.source_name,
        notation=notation,
        layers=layers,
        formula=network_formula(layers),
        loss_latex=loss.latex,
        loss_expression=loss.expression,
        loss_remark=loss.remark,
        inputs=network.inputs,
        diagram=_diagram(graph, notation),
        conventions=tuple(c for c in dict.fromkeys(conventions) if c),
        exercises=exercises,
        appendix=built_appendix,
        digits=digits,
        plots=tuple(PlotFile(e.plot_file, training_svg(run.run)) for e in exercises for run in e.runs if run.kind == "training_run"),
    )


def layer_remark(problem: Problem, index: int) -> str:
    return make_activation(problem.network.layers[index].activation).remark


def _layer_view(problem: Problem, graph: Graph, number: int) -> LayerView:
    layer = problem.network.layers[number - 1]
    parameters = problem.network.parameters
    activation = graph.layer_activations[number - 1]

    def entry(item):
        return sympy.Symbol(item, real=True) if isinstance(item, str) else item

    def value(item):
        return parameters[item] if isinstance(item, str) else item

    weights = MatrixView(
        layer.weights_label or f"W^{{({number})}}",
        tuple(tuple(entry(e) for e in row) for row in layer.weights),
        tuple(tuple(value(e) for e in row) for row in layer.weights),
    )
    bias = None
    if layer.bias:
        bias = MatrixView(
            layer.bias_label or f"b^{{({number})}}",
            tuple((entry(e),) for e in layer.bias),
            tuple((value(e),) for e in layer.bias),
        )
    return LayerView(
        number, weights, bias, activation.name, activation.latex, activation.expression, activation.derivative,
        activation.is_identity,
    )


def network_formula(layers: tuple[LayerView, ...]) -> str:
    """The network as nested function applications in LaTeX: g(x) = B σ(A x)."""
    inner = "x"
    for layer in layers:
        inner = f"{layer.weights.label} {inner}" if inner == "x" else f"{layer.weights.label}\\,{inner}"
        if layer.bias:
            inner = f"{inner} + {layer.bias.label}"
        if not layer.is_identity:
            inner = f"{layer.activation_latex}\\left({inner}\\right)"
    return f"g(x) = {inner}"


def _diagram(graph: Graph, notation: Notation) -> Diagram:
    columns = [tuple(graph.nodes[i].name for i in graph.inputs)]
    affines = [i for i, node in enumerate(graph.nodes) if node.kind == "affine"]
    readers = {i: i for i in affines}  # the node a unit hands on: its activation, or itself (identity)
    for i, node in enumerate(graph.nodes):
        if node.kind == "activation":
            readers[node.operands[0]] = i
    edges = []
    for layer in sorted({graph.nodes[i].layer for i in affines}):
        units = [i for i in affines if graph.nodes[i].layer == layer]
        columns.append(tuple(graph.nodes[readers[i]].name for i in units))
        for affine in units:
            for weight, source in graph.terms(affine):
                label = graph.nodes[weight].name if isinstance(weight, int) else str(weight)
                edges.append((graph.nodes[source].name, graph.nodes[readers[affine]].name, label))
    omitted = max(len(column) for column in columns) > MAX_DIAGRAM_UNITS
    return Diagram(tuple(columns), () if omitted else tuple(edges), omitted)


def _exercise_views(problem: Problem, digits: int, stem: str) -> tuple[ExerciseView, ...]:
    views, seen, plot_files, data_shown = [], {}, set(), None
    for exercise in problem.exercises:
        result = run_exercise(problem, exercise.id, digits)
        point = (exercise.x, exercise.y, tuple(exercise.activations.items()), exercise.loss)
        shown_in = seen.get(point) if exercise.x is not None else None
        plot_file = data_as_in = None
        if any(step.kind == "training_run" for step in result.steps):
            plot_file = plot_file_name(stem, exercise.id, plot_files)
            plot_files.add(plot_file)
            data_as_in, data_shown = data_shown, data_shown or exercise.id
        views.append(dataclasses.replace(exercise_view(result, shown_in, plot_file), data_as_in=data_as_in))
        if exercise.x is not None and any(step.kind == "loss" for step in result.steps):
            seen.setdefault(point, exercise.id)
    return tuple(views)


def plot_file_name(stem: str, exercise_id: str, taken=()) -> str:
    """``<stem>-exercise-<id>-loss.svg``, the id kept to letters, digits, ``_`` and ``-`` (and made unique
    against the names ``taken``, ignoring case: on macOS and Windows ``A`` and ``a`` are one file).

    >>> plot_file_name("xor_training", "1"), plot_file_name("s", "../a b", {"s-exercise-___a_b-loss.svg"})
    ('xor_training-exercise-1-loss.svg', 's-exercise-___a_b-2-loss.svg')
    >>> plot_file_name("s", "A", {"s-exercise-a-loss.svg"})
    's-exercise-A-2-loss.svg'
    """
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", str(exercise_id))[:40] or "_"
    name, number = f"{stem}-exercise-{safe}-loss.svg", 1
    taken = {other.casefold() for other in taken}
    while name.casefold() in taken:
        number += 1
        name = f"{stem}-exercise-{safe}-{number}-loss.svg"
    return name


def exercise_view(result: ExerciseResult, forward_as_in: str | None = None,
                  plot_file: str | None = None) -> ExerciseView:
    """One exercise's steps grouped as the sheet shows them; ``plot_file`` names the SVG file of a training
    run's plot beside the Markdown sheet (None: the Markdown shows no image)."""
    steps = result.steps
    gradients = tuple(s for s in steps if s.kind == "gradient")
    forward = tuple(s for s in steps if s.kind in ("forward", "loss"))
    return ExerciseView(
        id=result.exercise.id,
        text=result.exercise.text,
        task=result.exercise.task,
        result=result,
        forward=forward,
        gradients=gradients,
        updates=tuple(s for s in steps if s.kind == "update"),
        claims=tuple(s for s in steps if s.kind == "claim"),
        analyses=tuple(s for s in steps if s.kind == "cross_entropy_analysis"),
        all_gradients_vanish=bool(gradients) and all(g.vanishes for g in gradients),
        forward_as_in=forward_as_in if forward else None,  # a run over several steps shows no single pass
        runs=tuple(s for s in steps if s.kind in ("optimizer_run", "training_run")),
        plot_file=plot_file,
    )
