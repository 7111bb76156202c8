"""An exercise's pass presented as chain-rule paths, as data for ``templates/{md,tex}/exercise_paths.*.j2``.

The steps of :mod:`symback.derive.chain_rule` grouped as the sheet shows them: the forward pass (a step per node,
then the loss), then each asked gradient as a sum over paths of products of local partials. Nothing is computed
here; the same grouping serves a network's exercise and an expression's.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..derive.exercise import ExerciseResult
from .notation import Notation


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
    )
