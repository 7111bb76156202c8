"""The loss and its gradient of a network at parameter values in any arithmetic: what optimizers and training
runs step with.

Unlike :func:`symback.backprop`, the parameters may already be values of the arithmetic (Decimals of a decimal
pass, SymEngine values of the exact one), so a run of many steps never converts back to SymPy between steps.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import sympy

from ..problem.model import ActivationSpec, LossSpec, Problem
from .network import Graph, build_graph
from .passes import run_pass


def network_graph(problem: Problem, activations: Mapping[int, ActivationSpec] | None = None,
                  loss: LossSpec | None = None) -> Graph:
    """The graph of ``problem``'s network with its loss (an exercise's overrides applied)."""
    return build_graph(problem.network, loss or problem.loss, dict(activations or {}))


def loss_and_gradients(graph: Graph, arithmetic, x: Sequence[sympy.Expr], y: Sequence[sympy.Expr],
                       parameters: Mapping[str, object]) -> tuple[object, dict[str, object]]:
    """L and ∂L/∂θ for every parameter of ``graph`` at one sample; ``parameters`` (name -> value in
    ``arithmetic``) must give every parameter; ``x`` and ``y`` are exact SymPy numbers.

    >>> import symback
    >>> from symback.numbers.arithmetic import EXACT
    >>> p = symback.load("problems/ws23_backprop.toml")
    >>> graph = network_graph(p)
    >>> start = {name: EXACT.from_sympy(value) for name, value in p.network.parameters.items()}
    >>> loss, grads = loss_and_gradients(graph, EXACT, [1, 3], [2], start)
    >>> loss, grads["b12"]
    (4, -4*E/(1 + E))
    """
    ordered = [parameters[graph.nodes[node].name] for node in graph.parameters]
    exact = [sympy.Integer(v) if isinstance(v, int) else v for v in (*x, *y)]  # plain ints from callers
    the_pass = run_pass(graph, arithmetic, exact[:len(x)], exact[len(x):], ordered, parameters_in_arithmetic=True)
    gradients = {graph.nodes[node].name: the_pass.gradient(node) for node in graph.parameters}
    return the_pass.values[graph.loss_node], gradients
