"""The top of a graph and its gradients at parameter values already in an arithmetic: what optimizer runs and
training runs step with.

Unlike :func:`symback.backprop`, the moving parameters are values of the pass's arithmetic (Decimals of a
decimal pass, SymEngine values of the exact one), so a run of many steps never converts back to SymPy.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import sympy

from .graph import Graph
from .passes import Pass, compute_pass


def objective_and_gradients(graph: Graph, arithmetic, point: Mapping[str, sympy.Expr],
                            targets: Sequence[sympy.Expr], given: Mapping[str, object],
                            names: Sequence[str] | None = None, *, follow: Pass | None = None
                            ) -> tuple[object, dict[str, object], Pass]:
    """The top's value and ∂top/∂name for ``names`` (default: every parameter of ``graph``) at ``given``
    (name -> value in ``arithmetic``) and the exact ``point`` of the other leaves; also the pass itself.

    >>> import symback
    >>> from symback.engine.backprop import problem_graph
    >>> from symback.numbers.arithmetic import EXACT
    >>> p = symback.load("problems/ws23_backprop.toml")
    >>> start = {name: EXACT.from_sympy(value) for name, value in p.network.parameters.items()}
    >>> x = {"x1": sympy.Integer(1), "x2": sympy.Integer(3)}
    >>> loss, grads, _ = objective_and_gradients(problem_graph(p), EXACT, x, [sympy.Integer(2)], start)
    >>> loss, grads["b12"]
    (4, -4*E/(1 + E))
    """
    the_pass = compute_pass(graph, arithmetic, point, targets, given=given, follow=follow)
    if names is None:
        names = [graph.nodes[i].name for i in graph.parameters]
    index = graph.index
    return the_pass.values[graph.top], {name: the_pass.gradients[index[name]] for name in names}, the_pass
