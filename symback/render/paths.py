"""An exercise's pass presented as chain-rule paths, as data for ``templates/{md,tex}/exercise_paths.*.j2``.

The steps of :mod:`symback.derive.chain_rule` grouped as the sheet shows them: the forward pass (a step per node,
then the loss), then each asked gradient as a sum over paths of products of local partials. Nothing is computed
here; the same grouping serves a network's exercise and an expression's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..derive.exercise import ExerciseResult
from ..engine.graph import Graph
from .notation import Notation

MAX_UNITS_WRITTEN = 3  # a layer of more units: its first unit written out, then a table of every unit
_UNIT_NAME = re.compile(r"^(z\d+_|h\d+_|yhat)(\d+)$")  # a unit's value in a layer: z1_2, h1_2, yhat2


@dataclass(frozen=True)
class LayerTable:
    """The steps of one wide layer as a lecturer writes them: the first unit's steps (``examples``) written out,
    then a table of every unit's values, a row per unit (``rows``: unit, then a Quantity per column) under
    ``columns`` (the names with the unit written i: ``z1_i``, ``dL/dh1_i``). ``backward`` says the steps are
    adjoints ∂L/∂node (each its own display) rather than forward values (rows of one aligned block)."""

    layer: int
    examples: tuple
    columns: tuple[str, ...]
    rows: tuple[tuple[int, tuple], ...]
    backward: bool = False
    kind: str = "layer_table"


@dataclass(frozen=True)
class StepRun:
    """Consecutive steps shown as they are (the forward pass: rows of one aligned block)."""

    steps: tuple
    kind: str = "steps"


def unit_of(name: str) -> tuple[str, int] | None:
    """A unit's value name split into its name with the unit written i, and the unit; None for other names.

    >>> unit_of("z3_12"), unit_of("yhat2"), unit_of("L")
    (('z3_i', 12), ('yhati', 2), None)
    """
    found = _UNIT_NAME.match(name)
    return (found.group(1) + "i", int(found.group(2))) if found else None


def layer_blocks(steps: tuple, graph: Graph | None, backward: bool = False) -> tuple:
    """``steps`` in blocks as the sheet shows them: each run of consecutive steps of one layer of more than
    MAX_UNITS_WRITTEN units becomes a :class:`LayerTable`; forward steps between stay together in a
    :class:`StepRun`, adjoint and gradient steps stay one by one.

    >>> import symback
    >>> from symback.render.notation import Notation
    >>> view = paths_view(symback.run_exercise(symback.load("problems/ws23_backprop.toml"), "4"), Notation())
    >>> [block.kind for block in layer_blocks(view.forward, view.graph)]
    ['steps']
    """
    placed = [_place(step, graph, backward) for step in steps]
    blocks, start = [], 0
    while start < len(steps):
        end = start + 1
        while end < len(steps) and placed[start] and placed[end] and placed[end][0] == placed[start][0]:
            end += 1
        group = [(step, place) for step, place in zip(steps[start:end], placed[start:end])]
        units = sorted({place[2] for _, place in group if place})
        if len(units) > MAX_UNITS_WRITTEN:
            blocks.append(_layer_table(group, units, backward))
        elif backward:
            blocks.extend(step for step, _ in group)
        elif blocks and isinstance(blocks[-1], StepRun):
            blocks[-1] = StepRun(blocks[-1].steps + tuple(step for step, _ in group))
        else:
            blocks.append(StepRun(tuple(step for step, _ in group)))
        start = end
    return tuple(blocks)


def _place(step, graph: Graph | None, backward: bool) -> tuple[int, str, int] | None:
    """(layer, column name, unit) of a step about one unit of a layer, else None."""
    if backward and step.kind != "adjoint":
        return None
    name = step.parameter if backward else step.quantity.name
    node_id = graph.index.get(name) if graph is not None else None
    split = unit_of(name)
    if node_id is None or split is None or graph.nodes[node_id].layer == 0:
        return None
    column = f"dL/d{split[0]}" if backward else split[0]
    return graph.nodes[node_id].layer, column, split[1]


def _layer_table(group, units, backward: bool) -> LayerTable:
    columns = tuple(dict.fromkeys(place[1] for _, place in group))
    cells = {(place[1], place[2]): step.quantity for step, place in group}
    rows = tuple((unit, tuple(cells.get((column, unit)) for column in columns)) for unit in units)
    examples = tuple(step for step, place in group if place[2] == units[0])
    return LayerTable(group[0][1][0], examples, columns, rows, backward)


@dataclass(frozen=True)
class PathsView:
    """The forward steps (``forward`` and ``loss``) and the gradients (``gradient``) of one exercise.

    ``forward_as_in`` names an earlier exercise that showed the same forward pass (then it is not shown again);
    ``all_gradients_vanish`` says every gradient is 0 whatever the values (an activation f ≡ 0)."""

    forward: tuple
    gradients: tuple
    all_gradients_vanish: bool
    forward_as_in: str | None = None
    gradients_as_in: tuple[tuple[str, str], ...] = ()  # (parameter, the earlier exercise that derived it)
    graph: Graph | None = None
    target = None  # the paths show y in the loss's formula, not beside the point
    target_name = None

    @property
    def quantities(self) -> dict:
        """The forward pass's values by name: name -> Quantity."""
        return {step.quantity.name: step.quantity for step in self.forward}

    def reaches(self, top: str) -> bool:
        """Whether the forward pass is shown here and runs up to ``top`` (L, or f without a loss): a later
        exercise at the same point may then refer to it."""
        return self.forward_as_in is None and bool(self.forward) and self.forward[-1].quantity.name == top

    @property
    def derived(self) -> tuple:
        """The gradient steps derived here: all but those an earlier exercise at the same point derived (and
        the adjoints, where every gradient that needs them is referred to)."""
        earlier = dict(self.gradients_as_in)
        gradients = [step for step in self.gradients if step.kind == "gradient" and step.parameter not in earlier]
        deep = any(not step.complete for step in gradients)
        return tuple(step for step in self.gradients
                     if (step.kind == "adjoint" and deep) or (step.kind == "gradient" and step.parameter not in earlier))

    @property
    def forward_blocks(self) -> tuple:
        """The forward pass in blocks: runs of steps, and a :class:`LayerTable` for each wide layer."""
        return layer_blocks(self.forward, self.graph)

    @property
    def derived_blocks(self) -> tuple:
        """The derived gradients in blocks: each adjoint or gradient step, and a :class:`LayerTable` for the
        adjoints of each wide layer."""
        return layer_blocks(self.derived, self.graph, backward=True)

    @property
    def layer_tables(self) -> bool:
        """Whether a wide layer is shown as a table (the LaTeX then needs longtable)."""
        return any(block.kind == "layer_table" for block in self.forward_blocks + self.derived_blocks)

    @property
    def referred(self) -> tuple:
        """(gradient step, exercise) for each gradient an earlier exercise at the same point derived."""
        earlier = dict(self.gradients_as_in)
        return tuple((step, earlier[step.parameter]) for step in self.gradients
                     if step.kind == "gradient" and step.parameter in earlier)

    @property
    def vanishing(self) -> tuple[str, ...]:
        """The parameters derived here whose gradients are 0 whatever the values (every path through f ≡ 0)."""
        return tuple(step.parameter for step in self.derived if step.kind == "gradient" and step.vanishes)

    @property
    def dropped(self) -> tuple[str, ...]:
        """The zero targets whose terms drop out of a cross-entropy loss."""
        return tuple(name for step in self.forward if step.kind == "loss" for name in step.dropped)

    @property
    def shows_backward(self) -> bool:
        return False  # gradients along paths are not a backward pass a table could refer to


def paths_view(result: ExerciseResult, notation: Notation, forward_as_in: str | None = None,
               backward_as_in: str | None = None) -> PathsView | None:
    """The paths of one exercise (None for an exercise without a pass: a run over several steps, an analysis).

    >>> import symback
    >>> view = paths_view(symback.run_exercise(symback.load("problems/ws23_backprop.toml"), "4"), Notation())
    >>> [step.quantity.name for step in view.forward][-2:], [step.parameter for step in view.gradients]
    (['yhat', 'L'], ['b12', 'a22'])
    """
    forward = tuple(step for step in result.steps if step.kind in ("forward", "probability", "loss"))
    gradients = tuple(step for step in result.steps if step.kind in ("adjoint", "gradient"))
    if not forward and not gradients:
        return None
    return PathsView(
        forward=forward,
        gradients=gradients,
        all_gradients_vanish=bool(gradients) and all(g.vanishes for g in gradients if g.kind == "gradient"),
        forward_as_in=forward_as_in if forward else None,
        graph=result.result.graph if result.result is not None else None,
    )
