"""The names an exercise's ``show`` may claim: the nodes of its pass and the gradients of its top by them. The
solution checks each claim on the exact values; the questions sheet, which computes nothing, still refuses a
claim about a quantity the network does not have."""

from __future__ import annotations

from ..engine.backprop import EXPRESSION, problem_graph, problem_kind
from ..errors import ProblemError
from ..problem.fields import some
from ..problem.model import ExerciseSpec, Problem


def check_claimed_names(problem: Problem, exercise: ExerciseSpec) -> None:
    """Raise the file's error for the first name in ``exercise.show`` that is no quantity of its pass.

    >>> import symback
    >>> p = symback.load("problems/ws23_backprop.toml")
    >>> check_claimed_names(p, p.exercise("3"))
    >>> from dataclasses import replace
    >>> check_claimed_names(p, replace(p.exercise("3"), show={"nope": 0}))
    Traceback (most recent call last):
    symback.errors.ProblemError: problems/ws23_backprop.toml: exercises[id=3].show: no quantity named 'nope' (the nodes: x1, x2, a11, a12, a21, a22, b11, b12, ...)
    """
    if not exercise.show:
        return
    if problem_kind(problem) is EXPRESSION:
        has_target = bool(exercise.y)
        graph = problem_graph(problem, loss=exercise.loss if has_target else None, with_target=has_target)
    else:
        graph = problem_graph(problem, dict(exercise.activations), exercise.loss)
    names = [node.name for node in graph.nodes]
    top = graph.nodes[graph.top].name
    known = set(names) | {f"d{top}/d{name}" for name in names}
    for name in exercise.show:
        if name not in known:
            raise ProblemError(f"exercises[id={exercise.id}].show", f"no quantity named {name!r} (the nodes: "
                               f"{some(names)})", source=problem.source)
