"""One exercise as the sheet shows it, for ``templates/{md,tex}/exercise.*.j2``: what every exercise has (its
text, the point it sets, the forward pass's top values, updates, claims, runs) and its pass in the exercise's
presentation, built through :data:`PRESENTATION_VIEWS` (chain-rule ``paths`` or a ``table`` of nodes and wires),
whatever the kind of problem.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

from ..derive.exercise import ExerciseResult
from ..engine.backprop import problem_kind
from ..problem.model import ExerciseSpec
from .asked import Segment, asked, states_its_numbers
from .author_text import problem_names
from .notation import Notation
from .paths import PathsView, paths_view
from .shown import Shown, shown
from .table import TableView, table_view

PRESENTATION_VIEWS = MappingProxyType({"paths": paths_view, "table": table_view})
"""A presentation's name -> the function that builds its view of an exercise's pass (None without a pass)."""


@dataclass(frozen=True)
class ExerciseView:
    """One exercise: its text (or, where the file gives none, the sentence ``asked`` made from its keys), the
    variables it sets anew (``point``), its pass in its ``presentation``
    (``body``: a :class:`~symback.render.paths.PathsView` or a :class:`~symback.render.table.TableView`, None
    for a task without one), and the steps every presentation shows alike.

    ``forward_as_in`` names an earlier exercise with the same forward pass (shown there, not again; this one
    then shows only ``shown_values``, its outputs and loss)."""

    id: str
    text: str | None
    task: str
    asked: tuple[Segment, ...]  # what it asks at which point, where there is no text (else empty)
    result: ExerciseResult
    presentation: str
    point: tuple
    body: PathsView | TableView | None
    shown_values: tuple[tuple[str, Shown], ...]
    updates: tuple = ()  # UpdateStep records
    claims: tuple = ()
    runs: tuple = ()  # runs over several steps: optimizer_run and training_run records
    analyses: tuple = ()  # cross_entropy_analysis records
    names: tuple[str, ...] = ()  # the problem's names, set as mathematics in the author's text
    states_numbers: bool = False  # the author's text writes the point and target itself: not said again
    plot_file: str | None = None  # the file name of a training run's SVG plot beside the Markdown sheet
    data_as_in: str | None = None  # an earlier training exercise that listed the samples: not listed again

    @property
    def forward_as_in(self) -> str | None:
        return self.body.forward_as_in if self.body is not None else None

    @property
    def target(self):
        """The loss's target where the presentation states it beside the point (a table), else None."""
        return self.body.target if self.body is not None else None

    @property
    def target_name(self) -> str | None:
        return self.body.target_name if self.body is not None else None


def pass_key(exercise: ExerciseSpec) -> tuple:
    """What fixes an exercise's pass: its point (a network's x, an expression's variables set anew), its target,
    its activations and the loss around the target. Exercises with one key share their forward pass.

    >>> import symback
    >>> p = symback.load("problems/ws23_backprop.toml")
    >>> pass_key(p.exercise("3")) == pass_key(p.exercise("4")), pass_key(p.exercise("3")) == pass_key(p.exercise("6"))
    (True, False)
    """
    return (exercise.x, tuple(sorted((name, str(value)) for name, value in exercise.values.items())), exercise.y,
            tuple(exercise.activations.items()), exercise.loss.kind if exercise.loss and exercise.y else None)


def exercise_view(result: ExerciseResult, notation: Notation, forward_as_in: str | None = None,
                  backward_as_in: str | None = None, plot_file: str | None = None,
                  data_as_in: str | None = None, gradients_as_in: Mapping[str, str] | None = None) -> ExerciseView:
    """One exercise's steps as the sheet shows them, in the exercise's presentation; passes shown in an earlier
    exercise are referred to; ``plot_file`` names the SVG file of a training run's plot beside the Markdown sheet
    (None: the Markdown shows no image).

    >>> import symback
    >>> p = symback.load("problems/circuit_cs231n.toml")
    >>> view = exercise_view(symback.run_exercise(p, "3"), Notation(), forward_as_in="1")
    >>> view.presentation, view.forward_as_in, [name for name, _ in view.shown_values]
    ('table', '1', ['f'])
    """
    exercise, problem = result.exercise, result.problem
    body = PRESENTATION_VIEWS[result.presentation](result, notation, forward_as_in, backward_as_in)
    if isinstance(body, PathsView) and gradients_as_in:
        body = dataclasses.replace(body, gradients_as_in=tuple(gradients_as_in.items()))
    start = problem_kind(problem).start(problem)
    return ExerciseView(
        id=exercise.id,
        text=exercise.text,
        task=exercise.task,
        asked=() if exercise.text else asked(problem, exercise, notation),
        result=result,
        presentation=result.presentation,
        point=tuple((name, value) for name, value in exercise.values.items() if value != start.get(name)),
        body=body,
        shown_values=_top_values(result, body, notation),
        updates=tuple(step for step in result.steps if step.kind == "update"),
        claims=tuple(step for step in result.steps if step.kind == "claim"),
        runs=tuple(step for step in result.steps if step.kind in ("optimizer_run", "training_run")),
        analyses=tuple(step for step in result.steps if step.kind == "cross_entropy_analysis"),
        names=problem_names(problem),
        states_numbers=exercise.text is not None and states_its_numbers(problem, exercise),
        plot_file=plot_file,
        data_as_in=data_as_in,
    )



def _top_values(result: ExerciseResult, body, notation: Notation) -> tuple[tuple[str, Shown], ...]:
    """The outputs and (with a target) the loss of the exercise's forward pass, as a reference to it shows them."""
    if body is None or result.result is None:
        return ()
    graph = result.result.graph
    names = [graph.nodes[i].name for i in graph.outputs]
    if graph.loss is not None and result.exercise.y is not None:
        names.append(result.result.top)
    values = body.quantities
    return tuple((name, shown(values[name], notation, False)) for name in names if name in values)


def shows_forward(view: ExerciseView) -> bool:
    """Whether the exercise shows its whole forward pass, up to the top (a later exercise may refer to it).

    >>> import symback
    >>> p = symback.load("problems/ws23_backprop.toml")
    >>> [shows_forward(exercise_view(symback.run_exercise(p, e), Notation())) for e in "157"]
    [True, True, False]
    """
    return view.body is not None and view.result.result is not None and view.body.reaches(view.result.result.top)


def shows_backward(view: ExerciseView) -> bool:
    """Whether the exercise shows a backward table (a later table exercise may refer to it).

    >>> import symback
    >>> p = symback.load("problems/circuit_cs231n.toml")
    >>> [shows_backward(exercise_view(symback.run_exercise(p, e), Notation())) for e in "12"]
    [False, True]
    """
    return view.body is not None and view.body.shows_backward


def derived_gradients(view: ExerciseView) -> tuple[str, ...]:
    """The parameters whose gradients the exercise derives as chain-rule paths (a later exercise at the same
    point refers to them).

    >>> import symback
    >>> p = symback.load("problems/ws23_backprop.toml")
    >>> derived_gradients(exercise_view(symback.run_exercise(p, "4"), Notation()))
    ('b12', 'a22')
    """
    if not isinstance(view.body, PathsView):
        return ()
    return tuple(step.parameter for step in view.body.derived if step.kind == "gradient")
