"""The solution sheet as data for ``templates/{md,tex}/sheet.*.j2``: the problem as given, every exercise's steps.

One sheet for every problem. The problem part is built by the problem's kind through :data:`PROBLEM_PARTS`
(a network's layers and matrices, an expression's stages and circuit); each exercise's pass by its presentation
(:mod:`symback.render.exercise`), so a network's sheet may show a table and an expression's chain-rule paths.
An exercise at the point of an earlier one that showed its forward pass (or its backward table) refers to it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Callable

from ..derive.budget import section_work
from ..derive.exercise import run_exercise
from ..engine.backprop import problem_kind
from ..numbers.rounding import Rounding, as_rounding
from ..problem.model import Problem
from .exercise import (
    ExerciseView,
    derived_gradients,
    exercise_view,
    pass_key,
    shows_backward,
    shows_forward,
)
from .layers import (
    NetworkPart,
    network_appendix,
    network_conventions,
    network_notation,
    network_part,
)
from .notation import Notation
from .stages import (
    ExpressionPart,
    expression_conventions,
    expression_notation,
    expression_part,
)


@dataclass(frozen=True)
class ProblemPart:
    """How a kind of problem is stated before the exercises: the notation its names print in, the part's view
    (for ``templates/{md,tex}/problem_{kind}.*.j2``), the conventions box, the appendix (None: none), and
    whether its LaTeX draws a diagram scaled to the page (graphicx)."""

    notation: Callable[[Problem], Notation]
    build: Callable[[Problem, Notation], object]
    conventions: Callable[[Problem, object, tuple], list[str]]
    appendix: Callable[..., object] | None  # (problem, digits, guard)
    scaled_diagram: bool


PROBLEM_PARTS = MappingProxyType({
    "network": ProblemPart(network_notation, network_part, network_conventions, network_appendix, False),
    "expression": ProblemPart(expression_notation, expression_part, expression_conventions, None, True),
})
"""The name of a problem's kind (:func:`~symback.engine.backprop.problem_kind`) -> how its part is built."""


@dataclass(frozen=True)
class PlotFile:
    """An SVG plot written beside the Markdown sheet (named ``<stem>-exercise-<id>-loss.svg``)."""

    name: str
    svg: str


@dataclass(frozen=True)
class Sheet:
    """A whole solution sheet: the problem part of its ``kind`` (``network`` or ``expression``), the
    conventions, every exercise and the appendix."""

    title: str
    intro: str | None  # the problem file's intro (its notes stay with the author)
    source_name: str
    notation: Notation
    kind: str
    part: NetworkPart | ExpressionPart
    conventions: tuple[str, ...]
    exercises: tuple[ExerciseView, ...]
    appendix: object | None
    rounding: Rounding
    tables: bool  # the LaTeX needs longtable and graphicx: a table exercise, or a diagram scaled to the page
    plots: tuple[PlotFile, ...] = ()  # files the Markdown sheet links to (LaTeX draws the same with pgfplots)
    questions: bool = False  # a solution sheet (the questions sheet is symback.render.questions.QuestionSheet)
    left_out: tuple[str, ...] = ()  # a sentence for each section that took longer than the command allowed


@dataclass(frozen=True)
class LeftOutExercise:
    """An exercise whose work took longer than the command allowed: its heading and text, then the sentence
    ``reason`` that says it was left out and why."""

    id: str
    text: str | None
    reason: str
    presentation: str = "left_out"
    body = None
    runs = ()
    analyses = ()
    asked = ()
    names = ()
    point = ()
    forward_as_in = None
    target = None
    target_name = None
    states_numbers = False
    plot_file = None


def notation_for(problem: Problem) -> Notation:
    """The notation the names of ``problem`` print in (layer numbers from two hidden layers on).

    >>> import symback
    >>> notation_for(symback.load("problems/circuit_cs231n.toml"))
    Notation(show_layers=False)
    """
    return PROBLEM_PARTS[problem_kind(problem).name].notation(problem)


def build_sheet(problem: Problem, digits: int | None = None, *, appendix: bool = True,
                stem: str | None = None, guard=None) -> Sheet:
    """Assemble the sheet of ``problem``: every exercise run, decimals to ``digits`` significant digits;
    ``stem`` names the files written beside the sheet (default: the problem file's name without suffix). Each
    exercise and appendix section runs under ``guard`` (:func:`~symback.derive.budget.section_work`): one
    that overran is left out with a sentence, listed in ``left_out``.

    >>> import symback
    >>> sheet = build_sheet(symback.load("problems/ws23_backprop.toml"), appendix=False)
    >>> sheet.part.formula, [e.id for e in sheet.exercises]
    ('g(x) = B\\\\,\\\\sigma\\\\left(A x\\\\right)', ['1', '2', '3', '4', '5', '6', '7'])
    >>> sheet = build_sheet(symback.load("problems/circuit_cs231n.toml"))
    >>> sheet.kind, [name for name, _ in sheet.part.stages], [e.forward_as_in for e in sheet.exercises]
    ('expression', ['num', 'den', 'f'], [None, '1', '1'])
    """
    digits = problem.rounding if digits is None else digits
    kind = problem_kind(problem).name
    builder = PROBLEM_PARTS[kind]
    notation = builder.notation(problem)
    stem = stem or Path(problem.source or "problem").stem
    left_out: list[str] = []
    exercises = exercise_views(problem, digits, notation, stem, guard, left_out)
    worked = [view for view in exercises if not isinstance(view, LeftOutExercise)]
    part = builder.build(problem, notation)
    conventions = builder.conventions(problem, part, worked)
    built_appendix = appendix_of(problem, builder, digits, guard) if appendix else None
    return Sheet(
        title=problem.title,
        intro=problem.intro,
        source_name=problem.source_name,
        notation=notation,
        kind=kind,
        part=part,
        conventions=tuple(c for c in dict.fromkeys(conventions) if c),
        exercises=exercises,
        appendix=built_appendix,
        rounding=as_rounding(digits),
        tables=builder.scaled_diagram or any(e.presentation == "table" and e.body for e in exercises)
        or any(getattr(e.body, "layer_tables", False) for e in exercises),
        plots=training_plots(worked),
        left_out=tuple(left_out) + (built_appendix.left_out if built_appendix else ()),
    )


def training_plots(exercises) -> tuple[PlotFile, ...]:
    """The SVG loss plot of every training run among the exercises (the plotting code loads only for one).

    >>> training_plots(())
    ()
    """
    runs = [(view.plot_file, run.run) for view in exercises for run in view.runs if run.kind == "training_run"]
    if not runs:
        return ()
    from .training_plot import training_svg

    return tuple(PlotFile(plot_file, training_svg(run)) for plot_file, run in runs)


def appendix_of(problem: Problem, builder: ProblemPart, digits, guard=None):
    """The appendix of the problem's kind, with the sections its file asks for; None where no section is left
    (and none was left out for taking too long)."""
    if builder.appendix is None or not problem.appendix:
        return None
    built = builder.appendix(problem, digits, guard)
    return built if built.sections or built.left_out else None


def exercise_views(problem: Problem, digits: int, notation: Notation, stem: str, guard=None,
                   left_out: list[str] | None = None) -> tuple[ExerciseView | LeftOutExercise, ...]:
    """Every exercise run and viewed in its presentation; one at the point of an earlier exercise that showed its
    forward pass (or backward table) refers to that, and a training run after the first lists no samples again.
    Each runs under ``guard``: one that overran is a :class:`LeftOutExercise` (its sentence also goes to
    ``left_out``).

    >>> import symback
    >>> views = exercise_views(symback.load("problems/ws23_backprop.toml"), 4, Notation(), "ws23")
    >>> [view.forward_as_in for view in views]
    [None, None, None, '3', '3', None, None]
    """
    views, forward_seen, backward_seen, plot_files, data_shown = [], {}, {}, set(), None
    gradients_seen: dict[tuple, str] = {}
    for exercise in problem.exercises:
        sentences: list[str] = []
        work = functools.partial(_exercise_view, problem, exercise, digits, notation, stem, plot_files, data_shown,
                                 forward_seen, backward_seen, gradients_seen)
        view = section_work(guard, f"Exercise {exercise.id}", work, sentences)
        if view is None:
            views.append(LeftOutExercise(exercise.id, exercise.text, sentences[0]))
            if left_out is not None:
                left_out.extend(sentences)
            continue
        view, data_shown = view
        views.append(view)
        key = pass_key(exercise)
        if view.plot_file:
            plot_files.add(view.plot_file)
        for parameter in derived_gradients(view):
            gradients_seen.setdefault((key, parameter), exercise.id)
        if shows_forward(view):
            forward_seen.setdefault(key, exercise.id)
        if shows_backward(view):
            backward_seen.setdefault(key, exercise.id)
    return tuple(views)


def _exercise_view(problem: Problem, exercise, digits: int, notation: Notation, stem: str, plot_files: set,
                   data_shown: str | None, forward_seen: dict, backward_seen: dict, gradients_seen: dict):
    """One exercise run and viewed (as :func:`exercise_views` says), and the training exercise that lists the
    samples from now on; what was seen before is only read here."""
    result = run_exercise(problem, exercise.id, digits)
    key = pass_key(exercise)
    plot_file = data_as_in = None
    if any(step.kind == "training_run" for step in result.steps):
        plot_file = plot_file_name(stem, exercise.id, plot_files)
        data_as_in, data_shown = data_shown, data_shown or exercise.id
    earlier = {parameter: exercise_id for (seen_key, parameter), exercise_id in gradients_seen.items()
               if seen_key == key}
    view = exercise_view(result, notation, forward_seen.get(key), backward_seen.get(key), plot_file, data_as_in,
                         earlier)
    return view, data_shown


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
