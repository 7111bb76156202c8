"""From a pass over the graph to step records: the forward pass, the loss, chain-rule gradients, updates.

Every exact value comes from the exact pass and every decimal from :meth:`BackpropResult.rounded`, so a step's
numbers are the engine's numbers; this module only arranges them with their formulas.
"""

from __future__ import annotations

from typing import Callable

import sympy

from ..engine.graph import Graph
from ..engine.passes import Pass
from ..engine.result import BackpropResult, to_sympy
from .node_formulas import definition, partial, target_symbols
from .steps import Factor, ForwardStep, GradientStep, LossStep, Quantity, UpdateStep

MAX_PATHS = 16  # beyond this many chain-rule paths a gradient is shown through adjoints instead


def unevaluated(expr: sympy.Expr, values: dict) -> sympy.Expr:
    """``expr`` with numbers put in for symbols, left as written (−2·2 + 2·0, not −4).

    >>> y, yhat = sympy.symbols("y yhat")
    >>> unevaluated(2 * (yhat - y), {yhat: sympy.Integer(0), y: sympy.Integer(2)})
    -2*2 + 2*0
    """
    if expr in values:
        return values[expr]
    if not expr.args or not expr.free_symbols & set(values):
        return expr
    args = [unevaluated(arg, values) for arg in expr.args]
    if isinstance(expr, sympy.Mul) and len(args) == 2 and expr.args[0] == -1 and args[1].is_Number:
        return -args[1]  # −y with y = 2 reads −2, not −1·2
    try:
        return expr.func(*args, evaluate=False)
    except TypeError:  # heads such as Piecewise's pairs take no evaluate flag
        return expr.func(*args)


class Deriver:
    """Builds the chain-rule steps of one exercise from a :class:`BackpropResult` of any graph, with decimals at
    ``digits``: a forward step per node computed, the loss, each gradient as the sum over paths from the top
    down to the parameter of the product of the local partials along the path, and updates."""

    def __init__(self, result: BackpropResult, digits: int):
        self.result = result
        self.graph: Graph = result.graph
        self.top = self.graph.nodes[self.graph.top].name
        self.digits = digits
        self.requests: dict[str, Callable[[Pass], object]] = {}

    # --- requests: a quantity as a function of a pass, exact on the exact pass, decimal on a decimal pass
    def request(self, name: str, of: Callable[[Pass], object]) -> str:
        self.requests.setdefault(name, of)
        return name

    def value_request(self, node_id: int) -> str:
        return self.request(self.graph.nodes[node_id].name, lambda p: p.values[node_id])

    def finish(self) -> Callable[[str], Quantity]:
        """Compute every requested decimal at once; returns name -> Quantity."""
        requests = self.requests
        decimals = self.result.rounded(lambda p: {name: of(p) for name, of in requests.items()}, self.digits)
        exact_pass = self.result.exact_pass
        cache: dict[str, Quantity] = {}

        def quantity(name: str) -> Quantity:
            if name not in cache:
                cache[name] = Quantity(name, to_sympy(self.requests[name](exact_pass)), decimals[name])
            return cache[name]

        return quantity

    # --- the forward pass
    def exact_value(self, node_id: int) -> sympy.Expr:
        return to_sympy(self.result.exact_pass.values[node_id])

    def numbers_for(self, expr: sympy.Expr) -> dict:
        """The exact values of the symbols in ``expr``: nodes (inputs, parameters, earlier nodes) and targets."""
        found = {}
        targets = self._target_numbers()
        for sym in expr.free_symbols:
            node_id = self.graph.index.get(sym.name)
            if sym in targets:
                found[sym] = targets[sym]
            elif node_id is not None:
                found[sym] = self.exact_value(node_id)
        return found

    def _target_numbers(self) -> dict:
        shown = target_symbols(self.graph)
        return {shown.get(s, s): value for s, value in zip(self.graph.targets, self.result.targets)}

    def forward_steps(self) -> list[Callable[[Callable], object]]:
        """Deferred steps (they need the decimals): one per node computed, then the loss where there is one."""
        graph, pending = self.graph, []
        for node_id, node in enumerate(graph.nodes):
            if node.is_leaf or node.kind == "loss":
                continue
            name = self.value_request(node_id)
            formula = definition(graph, node_id)
            substituted = unevaluated(formula, self.numbers_for(formula))
            function = argument = None
            if node.kind == "activation":
                source, activation = graph.activation_of(node_id)
                function, argument = activation.latex, graph.nodes[source].name
            pending.append(
                lambda q, name=name, d=formula, s=substituted, layer=node.layer, f=function, a=argument: ForwardStep(
                    q(name), d, s, layer, f, a
                )
            )
        if graph.loss is not None:
            pending.append(self.loss_step())
        return pending

    def loss_step(self):
        formula = definition(self.graph, self.graph.top)
        name = self.value_request(self.graph.top)
        substituted = unevaluated(formula, self.numbers_for(formula))
        return lambda q: LossStep(q(name), formula, substituted)

    # --- gradients by the chain rule
    def factor(self, child: int, parent: int) -> Callable[[Callable], Factor]:
        graph = self.graph
        numerator, denominator = graph.nodes[child].name, graph.nodes[parent].name
        name = self.request(f"d{numerator}/d{denominator}", lambda p: p.local_partial(child, parent))
        formula = partial(graph, child, parent)
        vanishes = formula == 0 and graph.nodes[child].kind == "activation"
        substituted = unevaluated(formula, self.numbers_for(formula))

        def build(q):
            value = q(name)
            return Factor(numerator, denominator, formula, substituted, value.exact, value.decimal, vanishes)

        return build

    def gradient_step(self, parameter: str):
        graph = self.graph
        target = graph.index[parameter]
        reaches = _reaching(graph, target)
        count = _count_paths(graph.top, target, graph, reaches)
        name = self.request(f"d{self.top}/d{parameter}", lambda p: p.gradient(target))
        if count <= MAX_PATHS:
            chains = _paths(graph.top, target, graph, reaches)
            complete = True
            builders = [[self.factor(a, b) for a, b in zip(chain, chain[1:])] for chain in chains]
        else:
            complete = False
            builders = [
                [self.adjoint_factor(user), self.factor(user, target)]
                for user in dict.fromkeys(user for user, _ in graph.uses(target))
            ]

        def build(q):
            paths = tuple(tuple(b(q) for b in path) for path in builders)
            return GradientStep(parameter, paths, q(name), complete)

        return build

    def adjoint_factor(self, node_id: int):
        node_name = self.graph.nodes[node_id].name
        name = self.request(f"d{self.top}/d{node_name}", lambda p: p.gradients[node_id])
        formula = sympy.Symbol(f"d{self.top}/d{node_name}")

        def build(q):
            value = q(name)
            return Factor(self.top, node_name, formula, value.exact, value.exact, value.decimal)

        return build

    def update_step(self, parameter: str, rate: sympy.Expr):
        graph = self.graph
        target = graph.index[parameter]
        gradient = self.request(f"d{self.top}/d{parameter}", lambda p: p.gradient(target))

        def updated(p: Pass):
            step = p.arithmetic.mul([p.arithmetic.from_sympy(-rate), p.gradient(target)])
            return p.arithmetic.add([p.values[target], step])

        new = self.request(f"{parameter}'", updated)
        old = self.exact_value(target)
        return lambda q: UpdateStep(parameter, old, rate, q(gradient), q(new))


def _reaching(graph: Graph, target: int) -> set[int]:
    """Nodes from which a path of parents leads down to ``target`` (target included)."""
    reaches = {target}
    for node_id in range(target + 1, len(graph.nodes)):
        if any(parent in reaches for parent in graph.parents(node_id)):
            reaches.add(node_id)
    return reaches


def _count_paths(node: int, target: int, graph: Graph, reaches: set[int], memo=None) -> int:
    memo = {} if memo is None else memo
    if node == target:
        return 1
    if node not in memo:
        memo[node] = sum(
            _count_paths(parent, target, graph, reaches, memo)
            for parent in dict.fromkeys(graph.parents(node))
            if parent in reaches
        )
    return memo[node]


def _paths(node: int, target: int, graph: Graph, reaches: set[int]) -> list[list[int]]:
    if node == target:
        return [[target]]
    return [
        [node] + rest
        for parent in dict.fromkeys(graph.parents(node))
        if parent in reaches
        for rest in _paths(parent, target, graph, reaches)
    ]
