"""From a pass over the graph to step records: the forward pass, the loss, chain-rule gradients, updates.

Every exact value comes from the exact pass and every decimal from :meth:`BackpropResult.rounded`, so a step's
numbers are the engine's numbers; this module only arranges them with their formulas.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy

from ..engine.graph import Graph
from ..engine.passes import Pass
from ..engine.result import BackpropResult, to_sympy
from .budget import plain_latex_length
from .formulas import DecimalLeaf, as_display, with_numbers
from .node_formulas import (
    definition,
    partial,
    target_symbols,
    written_definition,
    written_partial,
)
from .steps import (
    AdjointStep,
    Factor,
    ForwardStep,
    GradientStep,
    LossStep,
    ProbabilityStep,
    Quantity,
    UpdateStep,
)

MAX_PATHS = 4  # past this many chain-rule paths (or MAX_FACTORS factors on one) a gradient goes through adjoints
MAX_PUT_IN = 24  # characters of LaTeX of an exact value put into a later formula (e/(1 + e) is 15)
MAX_FACTORS = 6  # a path of more factors does not fit a line: backpropagate layer by layer instead


class Deriver:
    """Builds the chain-rule steps of one exercise from a :class:`BackpropResult` of any graph, with decimals at
    ``digits``: a forward step per node computed, the loss, each gradient as the sum over paths from the top
    down to the parameter of the product of the local partials along the path (or, for a deep graph, through
    the adjoints of the nodes between, each derived before), and updates.

    Every value is put in exactly while its exact form is within the budget (:mod:`symback.derive.budget`),
    else as its correctly rounded decimal, and the step's value then follows with ≈."""

    def __init__(self, result: BackpropResult, digits: int):
        self.result = result
        self.graph: Graph = result.graph
        self.top = self.graph.nodes[self.graph.top].name
        self.digits = digits
        self.requests: dict[str, Callable[[Pass], object]] = {}
        self.targets = self._target_numbers()
        self.probabilities = self._probability_requests()

    # --- requests: a quantity as a function of a pass, exact on the exact pass, decimal on a decimal pass
    def request(self, name: str, of: Callable[[Pass], object]) -> str:
        self.requests.setdefault(name, of)
        return name

    def value_request(self, node_id: int) -> str:
        return self.request(self.graph.nodes[node_id].name, lambda p: p.values[node_id])

    def finish(self) -> Callable[[str], Quantity]:
        """Compute every requested decimal at once; returns name -> Quantity (exact values stay the engine's
        until asked for)."""
        requests = self.requests
        decimals = self.result.rounded(lambda p: {name: of(p) for name, of in requests.items()}, self.digits)
        exact_pass = self.result.exact_pass
        cache: dict[str, Quantity] = {}

        def quantity(name: str) -> Quantity:
            if name not in cache:
                cache[name] = Quantity(name, self.requests[name](exact_pass), decimals[name])
            return cache[name]

        return quantity

    # --- values put into formulas
    def needs(self, written: sympy.Expr) -> sympy.Expr:
        """Request the value of every name in a written formula (to be put in later); returns the formula."""
        for symbol in written.free_symbols:
            node_id = self.graph.index.get(symbol.name)
            if node_id is not None and symbol not in self.targets:
                self.value_request(node_id)
        return written

    def put_in(self, written: sympy.Expr, quantity: Callable[[str], Quantity]) -> tuple[sympy.Expr, bool]:
        """``written`` with every value put in (exact where short, else its rounded decimal); whether a decimal
        was put in."""
        numbers, approximate = {}, False
        for symbol in written.free_symbols:
            if symbol in self.targets:
                numbers[symbol] = self.targets[symbol]
                continue
            if symbol.name in self.requests:  # a node's value (asked for by needs) or a probability
                value = quantity(symbol.name)
                if value.short and plain_enough(value.exact):
                    numbers[symbol] = value.exact
                else:
                    numbers[symbol], approximate = DecimalLeaf(value.decimal), True
        return with_numbers(written, numbers), approximate

    def _target_numbers(self) -> dict:
        shown = target_symbols(self.graph)
        return {shown.get(s, s): value for s, value in zip(self.graph.targets, self.result.targets)}

    def _probability_requests(self) -> dict[str, sympy.Expr]:
        """softmax: p_k = ∂L/∂ŷ_k + y_k (the loss's partial is p_k − y_k), name -> p_k in the outputs."""
        graph, loss = self.graph, self.graph.loss
        if loss is None or not loss.probabilities or graph.nodes[graph.top].function is not None or not self.targets:
            return {}
        found = {}
        for output, target, (symbol, formula) in zip(graph.outputs, self.result.targets, loss.probabilities):
            def probability(p: Pass, output=output, target=target):
                return p.arithmetic.add([p.local_partial(graph.top, output), p.arithmetic.from_sympy(target)])

            self.request(symbol.name, probability)
            found[symbol.name] = formula
        return found

    # --- the forward pass
    def exact_value(self, node_id: int) -> sympy.Expr:
        return to_sympy(self.result.exact_pass.values[node_id])

    def forward_steps(self) -> list[Callable[[Callable], object]]:
        """Deferred steps (they need the decimals): one per node computed, then the probabilities and the loss
        where there is one."""
        graph, pending = self.graph, []
        for node_id, node in enumerate(graph.nodes):
            if node.is_leaf or node.kind == "loss":
                continue
            name = self.value_request(node_id)
            written = self.needs(written_definition(graph, node_id))
            function = argument = None
            if node.kind == "activation":
                source, activation = graph.activation_of(node_id)
                function, argument = activation.latex, graph.nodes[source].name
            pending.append(partial_step(ForwardStep, self, name, written, definition(graph, node_id),
                                        layer=node.layer, function=function, argument=argument))
        if graph.loss is not None:
            for name, formula in self.probabilities.items():
                pending.append(partial_step(ProbabilityStep, self, name, self.needs(as_display(formula)), formula))
            pending.append(self.loss_step())
        return pending

    def loss_step(self):
        graph = self.graph
        name = self.value_request(graph.top)
        written = self.needs(written_definition(graph, graph.top))
        taught = graph.loss.taught if graph.nodes[graph.top].function is None else None
        with_targets, dropped = None, ()
        if taught is not None and graph.loss.name.endswith("cross_entropy"):
            evaluated = taught.xreplace(self.targets)
            dropped = tuple(s.name for s, v in self.targets.items() if v == 0 and s in taught.free_symbols)
            with_targets = as_display(evaluated) if dropped or len(self.targets) == 1 else None
        formula = definition(graph, graph.top)

        def build(q):
            substituted, approximate = self.put_in(with_targets if with_targets is not None else written, q)
            return LossStep(q(name), formula, substituted, written, with_targets, dropped, approximate)

        return build

    # --- gradients by the chain rule
    def factor(self, child: int, parent: int) -> Callable[[Callable], Factor]:
        graph = self.graph
        numerator, denominator = graph.nodes[child].name, graph.nodes[parent].name
        name = self.request(f"d{numerator}/d{denominator}", lambda p: p.local_partial(child, parent))
        formula = partial(graph, child, parent)
        written = self.needs(written_partial(graph, child, parent))
        vanishes = formula == 0 and graph.nodes[child].kind == "activation"

        def build(q):
            substituted, _ = self.put_in(written, q)
            return Factor(numerator, denominator, formula, substituted, q(name), written, vanishes)

        return build

    def adjoint_factor(self, node_id: int):
        node_name = self.graph.nodes[node_id].name
        name = self.request(f"d{self.top}/d{node_name}", lambda p: p.gradients[node_id])
        formula = sympy.Symbol(f"d{self.top}/d{node_name}")

        def build(q):
            value = q(name)
            shown = value.exact if value.short else DecimalLeaf(value.decimal)
            return Factor(self.top, node_name, formula, shown, value, formula)

        return build

    def through_adjoints(self, target: int) -> bool:
        """Whether the gradient of ``target`` is written through adjoints: too many or too long paths."""
        graph = self.graph
        reaches = _reaching(graph, target)
        return _count_paths(graph.top, target, graph, reaches) > MAX_PATHS or \
            _longest(graph.top, target, graph, reaches) > MAX_FACTORS

    def gradient_step(self, parameter: str, step=GradientStep, paths: bool = False):
        """The deferred gradient step of ``parameter``: along chain-rule paths, or through adjoints where they
        would be too many or too long (``paths``: along paths up to 4 × MAX_PATHS of them, to count factors)."""
        graph = self.graph
        target = graph.index[parameter]
        name = self.request(f"d{self.top}/d{parameter}", lambda p: p.gradient(target))
        users = list(dict.fromkeys(user for user, _ in graph.uses(target)))
        along = _count_paths(graph.top, target, graph, _reaching(graph, target)) <= 4 * MAX_PATHS if paths else \
            not self.through_adjoints(target)
        if step is GradientStep and along:
            chains = _paths(graph.top, target, graph, _reaching(graph, target))
            complete = True
            builders = [[self.factor(a, b) for a, b in zip(chain, chain[1:])] for chain in chains]
        else:
            complete = False
            builders = [[self.factor(user, target)] if user == graph.top else
                        [self.adjoint_factor(user), self.factor(user, target)] for user in users]

        def build(q):
            paths = tuple(tuple(b(q) for b in path) for path in builders)
            approximate = any(isinstance(leaf, DecimalLeaf) for path in paths for f in path
                              for leaf in f.substituted.atoms(DecimalLeaf))
            return step(parameter, paths, q(name), complete, approximate)

        return build

    def adjoint_steps(self, asked) -> list[Callable[[Callable], AdjointStep]]:
        """∂L/∂node for every node between L and the parameters in ``asked`` whose gradients go through
        adjoints, top down (each from the adjoints of its users, which come before it)."""
        graph = self.graph
        deep = [graph.index[name] for name in asked if self.through_adjoints(graph.index[name])]
        if not deep:
            return []
        between = set().union(*(_reaching(graph, target) for target in deep)) - set(deep) - {graph.top}
        between = {node for node in between if not graph.nodes[node].is_leaf}
        return [self.gradient_step(graph.nodes[node].name, AdjointStep) for node in _top_down(graph, between)]

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


def plain_enough(exact: sympy.Expr) -> bool:
    """Whether a short exact value is put into later formulas as it is: numbers and powers of e, but not a named
    function's value (tanh(0.2) goes in as 0.1974, as a lecturer writes it).

    >>> plain_enough(sympy.E / (1 + sympy.E)), plain_enough(sympy.tanh(sympy.Rational(1, 5)))
    (True, False)
    """
    if any(not isinstance(f, sympy.exp) for f in exact.atoms(sympy.Function)):
        return False
    if exact.is_Rational:
        return True
    bars = sum(1 for part in sympy.preorder_traversal(exact) if part.is_Pow and part.exp.is_negative)
    return bars <= 1 and plain_latex_length(exact) <= MAX_PUT_IN  # one fraction bar: no fraction in a fraction


def path_shape(graph: Graph, parameter: str) -> tuple[int, int]:
    """How many chain-rule paths lead from the top of the graph down to ``parameter``, and the most factors on
    one of them, counted on the graph (however the sheet writes the gradient).

    >>> import symback
    >>> result = symback.backprop(symback.load("problems/ws23_backprop.toml"), x=[1, 3], y=2)
    >>> path_shape(result.graph, "a22"), path_shape(result.graph, "b12")
    ((1, 4), (1, 2))
    """
    target = graph.index[parameter]
    reaches = _reaching(graph, target)
    return _count_paths(graph.top, target, graph, reaches), _longest(graph.top, target, graph, reaches)


def partial_step(kind, deriver: Deriver, name: str, written: sympy.Expr, formula: sympy.Expr, **fields):
    """A deferred forward step of ``kind``: the values are put into ``written`` once the decimals are known."""

    def build(q):
        substituted, approximate = deriver.put_in(written, q)
        return kind(q(name), formula, substituted, written=written, approximate=approximate, **fields)

    return build


def _top_down(graph: Graph, nodes: set[int]) -> list[int]:
    """Nodes in an order where every node's users come first: a network's layers from the top, in each layer the
    activations (which the affine values need) before the affine values, units in ascending order (∂L/∂ŷ₁ before
    ∂L/∂ŷ₂); any other graph by its nodes' order, reversed."""
    if all(graph.nodes[node].layer > 0 for node in nodes):
        return sorted(nodes, key=lambda node: (-graph.nodes[node].layer, graph.nodes[node].kind != "activation",
                                               graph.nodes[node].unit))
    return sorted(nodes, reverse=True)


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


def _longest(node: int, target: int, graph: Graph, reaches: set[int], memo=None) -> int:
    """The most factors on one chain-rule path from ``node`` down to ``target``."""
    memo = {} if memo is None else memo
    if node == target:
        return 0
    if node not in memo:
        memo[node] = 1 + max(_longest(parent, target, graph, reaches, memo)
                             for parent in dict.fromkeys(graph.parents(node)) if parent in reaches)
    return memo[node]
