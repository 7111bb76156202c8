"""The one computation graph of the engine: nodes in evaluation order, each computed from its operands.

A network and an expression circuit are the same thing here. A node has a name, a kind, an operation and its
operands (earlier nodes by index, or exact constants); its :class:`LocalRule` says how the engine computes its
value and its local partial ∂node/∂operand for every operand. The kinds:

* leaves: ``input`` (a network's x), ``parameter`` (a network's weights and biases), ``variable`` (an
  expression's variables);
* ``affine``: a network unit's weighted sum z = Σ wᵢ·hᵢ (+ b), operands (w₁, h₁, w₂, h₂, …, b);
* ``activation``: h = f(z) for a network's activation f;
* ``operation``: one operation of an expression (add, mul, sigmoid, max, …: :mod:`symback.problem.operations`);
* ``loss``: L, from the outputs and the targets.

How a derivation shows a graph is not the graph's business: :mod:`symback.derive` writes it as chain-rule
paths or as a table of nodes and wires, for either kind of problem.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Callable, NamedTuple, Sequence, Union

import sympy

from ..problem.activations import Activation
from ..problem.losses import Loss

Operand = Union[int, sympy.Expr]
"""A node's operand: an earlier node's index, or an exact constant."""

LEAVES = ("input", "parameter", "variable")
Domain = Callable[[Sequence, Sequence[bool], Callable[[object], int]], "str | None"]


class Node(NamedTuple):
    """One named quantity and how it is computed from its operands.

    ``operation`` names what the node does: an operation of :mod:`symback.problem.operations` for an expression,
    ``affine``, the activation's name or ``loss`` for a network, the kind for a leaf. ``function`` and
    ``partials`` are the local function and its partials written in the operands' symbols (an expression's
    nodes; None for a network's, which derivations write from the layer's weights). ``layer`` and ``unit`` place
    a network's node, ``stage`` an expression's. (A named tuple: MNIST-sized networks have 100,000 nodes.)

    >>> Node("z1_2", "affine", "affine", (3, 0, 4, 1), layer=1, unit=2).node_operands()
    [(0, 3), (1, 0), (2, 4), (3, 1)]
    """

    name: str
    kind: str
    operation: str
    operands: tuple[Operand, ...] = ()
    layer: int = 0
    unit: int = 0
    stage: str | None = None
    function: sympy.Expr | None = None
    partials: tuple[sympy.Expr | None, ...] = ()

    @property
    def is_leaf(self) -> bool:
        return self.kind in LEAVES

    def node_operands(self) -> list[tuple[int, int]]:
        """(position among the operands, node index) for every operand that is a node, in order."""
        return [(position, operand) for position, operand in enumerate(self.operands) if isinstance(operand, int)]


@dataclass(frozen=True)
class LocalRule:
    """How the engine computes a node: its function and partials in one symbol per node operand (``slots``), so
    that a parent used twice has two partials. ``partials`` has one entry per operand; constants have one
    (their weight) only for piecewise-linear operations, which are then ``Σ partials[i] · operands[i]``.
    ``extra`` are further arguments of the compiled functions (the targets of the loss); ``domain`` checks the
    operands' values before the node is computed (see :mod:`symback.problem.operations`).

    >>> z = sympy.Symbol("slot0")
    >>> LocalRule((z,), z**2, (2 * z,)).arguments
    (slot0,)
    """

    slots: tuple[sympy.Symbol, ...]
    function: sympy.Expr
    partials: tuple[sympy.Expr | None, ...]
    piecewise_linear: bool = False
    extra: tuple[sympy.Symbol, ...] = ()
    domain: Domain | None = field(default=None, compare=False)

    @functools.cached_property
    def arguments(self) -> tuple[sympy.Symbol, ...]:
        return HashedTuple(self.slots + self.extra)


class HashedTuple(tuple):
    """A tuple that hashes its items once: a loss over 2000 outputs has 4000 arguments, and each of its 2000
    partials is looked up by them in the compiled rules (SymPy hashes each symbol in Python).

    >>> hash(HashedTuple((1, 2))) == hash((1, 2))
    True
    """

    def __hash__(self):
        try:
            return self._hash
        except AttributeError:
            self._hash = tuple.__hash__(self)
            return self._hash


@dataclass(frozen=True)
class WeightedSum:
    """The rule of an affine node: z = Σ wᵢ·hᵢ (+ b) over operands (w₁, h₁, w₂, h₂, …, b); ∂z/∂wᵢ = hᵢ,
    ∂z/∂hᵢ = wᵢ, ∂z/∂b = 1. Computed directly, never compiled: a layer of MNIST's size has 784 terms a unit."""

    bias: bool


@dataclass
class Graph:
    """Nodes in evaluation order with their rules, and where the leaves, the outputs and the top are.

    ``parameters`` are the leaves a gradient is taken by (a network's weights and biases, an expression's
    variables), ``frozen`` those a network keeps fixed; ``outputs`` the network's ŷ nodes (an expression's f);
    ``top`` the node differentiated: L with a loss, else f. ``loss`` and ``targets`` (symbols of y in the loss
    rule's ``extra``) are None without a loss; ``check_targets`` says what is wrong with the targets of a pass,
    in the wording of the kind of problem. ``layer_activations`` are a network's activations by layer;
    ``stages``, ``ties`` and ``output_vector`` belong to expressions and networks as the problem gave them.
    ``guard_sizes`` makes exact passes refuse values too large to print (expressions, whose stages may double
    a value's size each time, and networks with an author's own activation). ``compiled`` caches compiled rules (and who uses each node).
    """

    nodes: list[Node] = field(default_factory=list)
    rules: list[LocalRule | WeightedSum | None] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)
    inputs: list[int] = field(default_factory=list)
    parameters: list[int] = field(default_factory=list)
    frozen: frozenset[str] = frozenset()
    outputs: list[int] = field(default_factory=list)
    top: int = -1
    loss: Loss | None = None
    targets: tuple[sympy.Symbol, ...] = ()
    check_targets: Callable[[Sequence[sympy.Expr]], "str | None"] = field(default=lambda targets: None, repr=False)
    layer_activations: list[Activation] = field(default_factory=list)
    stages: dict[str, int] = field(default_factory=dict)
    ties: str = "split"
    output_vector: bool = True
    guard_sizes: bool = False
    compiled: dict = field(default_factory=dict, repr=False)

    def add(self, node: Node, rule: LocalRule | WeightedSum | None = None) -> int:
        """Append a node with its rule; returns its index."""
        self.index[node.name] = len(self.nodes)
        self.nodes.append(node)
        self.rules.append(rule)
        return len(self.nodes) - 1

    def add_leaves(self, names, kind: str) -> list[int]:
        """Append a leaf of ``kind`` for each name (a network's 100,000 parameters at once); returns their indices."""
        first = len(self.nodes)
        self.nodes.extend([Node(name, kind, kind) for name in names])
        self.rules.extend([None] * (len(self.nodes) - first))
        indices = list(range(first, len(self.nodes)))
        self.index.update(zip(names, indices))
        return indices

    def node(self, name: str) -> Node:
        return self.nodes[self.index[name]]

    @property
    def loss_node(self) -> int:
        """L's index (the top of a graph with a loss)."""
        return self.top

    @property
    def output(self) -> int:
        """The first output: an expression's f."""
        return self.outputs[0]

    @property
    def target(self) -> sympy.Symbol | None:
        """The symbol of y in a one-output loss's rule (None without a loss, or with several targets)."""
        return self.targets[0] if len(self.targets) == 1 else None

    @property
    def variables(self) -> tuple[int, ...]:
        """An expression's variables (its leaves; none in a network)."""
        return tuple(i for i in self.parameters if self.nodes[i].kind == "variable")

    def backward_plan(self) -> list[tuple]:
        """For every node, what reverse accumulation does there: (a weighted sum's block of weights, or None;
        operands used nowhere else, operands used more than once, each as (node, position) and leaving out the
        block; whether the node gets a gradient at all, that is, is no input; whether it is used more than once).

        A block is (first, stop): the weights of a weighted sum that are the consecutive parameters first … stop − 1,
        each used only there (a layer's letter matrix), so that their gradients are one slice (the sources × the
        node's gradient) rather than one wire each. Worked out once per graph: a pass reads it for every node."""
        if "backward plan" not in self.compiled:
            nodes = self.nodes
            computed = [i for i, node in enumerate(nodes) if node.operands]  # leaves (most nodes) have none
            counts, all_nodes = [0] * len(nodes), [True] * len(nodes)
            for i in computed:
                operands = [operand for operand in nodes[i].operands if operand.__class__ is int]
                all_nodes[i] = len(operands) == len(nodes[i].operands)
                for operand in operands:
                    counts[operand] += 1
            wanted = [node.kind != "input" for node in nodes]
            leaf_plans = {(w, f): (None, (), (), w, f) for w in (False, True) for f in (False, True)}
            plan = [leaf_plans[wanted[i], counts[i] > 1] for i in range(len(nodes))]
            for i in computed:
                operands = nodes[i].operands
                block = self._weight_block(i, counts, wanted, all_nodes[i])
                positions = range(len(operands))
                if block is not None:  # leave out the weights' positions 0, 2, …, 2 (stop − first − 1)
                    skip = 2 * (block[1] - block[0])
                    positions = [*range(1, skip, 2), *range(skip, len(operands))]
                sole, shared = [], []
                for position in positions:
                    operand = operands[position]
                    if operand.__class__ is int and wanted[operand]:
                        (sole if counts[operand] == 1 else shared).append((operand, position))
                plan[i] = (block, tuple(sole), tuple(shared), wanted[i], counts[i] > 1)
            self.compiled["backward plan"] = plan
            self.compiled["all nodes"] = all_nodes
        return self.compiled["backward plan"]

    def _weight_block(self, i: int, counts: list[int], wanted: list[bool], all_nodes: bool) -> tuple[int, int] | None:
        """The weights of weighted sum ``i`` as a block (first, stop) of consecutive parameters used only there."""
        rule = self.rules[i]
        if not isinstance(rule, WeightedSum) or not all_nodes:
            return None
        operands = self.nodes[i].operands
        weights = operands[0:len(operands) - rule.bias:2]
        if not weights:
            return None
        first, stop = weights[0], weights[0] + len(weights)
        if weights != tuple(range(first, stop)) or max(counts[first:stop]) != 1 or not all(wanted[first:stop]):
            return None
        return first, stop

    def operands_all_nodes(self) -> list[bool]:
        """For every node, whether all its operands are nodes (no constants): a pass reads those faster."""
        self.backward_plan()
        return self.compiled["all nodes"]

    def operand_name(self, operand: Operand) -> str:
        """A node operand's name, or a constant written out."""
        return self.nodes[operand].name if isinstance(operand, int) else str(operand)

    def parents(self, node_id: int) -> list[int]:
        """The nodes ``node_id`` is computed from, in the order of its operands."""
        return [operand for _, operand in self.nodes[node_id].node_operands()]

    def terms(self, node_id: int) -> list[tuple[Operand, int]]:
        """An affine node's (weight, source) pairs: weight a parameter's index or an exact constant."""
        operands = self.nodes[node_id].operands
        pairs = len(operands) // 2
        return [(operands[2 * k], operands[2 * k + 1]) for k in range(pairs)]

    def bias(self, node_id: int) -> Operand | None:
        """An affine node's bias (a parameter's index or a constant), None without one."""
        rule, operands = self.rules[node_id], self.nodes[node_id].operands
        return operands[-1] if isinstance(rule, WeightedSum) and rule.bias else None

    def activation_of(self, node_id: int) -> tuple[int, Activation] | None:
        """An activation node's (source node, activation); None for any other node."""
        node = self.nodes[node_id]
        if node.kind != "activation":
            return None
        return node.operands[0], self.layer_activations[node.layer - 1]

    def uses(self, node_id: int) -> list[tuple[int, int]]:
        """(user, position) for every place ``node_id`` is an operand, in evaluation order."""
        if "uses" not in self.compiled:  # built once, on first need: a graph does not change once built
            found: dict[int, list[tuple[int, int]]] = {}
            for user, node in enumerate(self.nodes):
                for position, operand in node.node_operands():
                    found.setdefault(operand, []).append((user, position))
            self.compiled["uses"] = found
        return self.compiled["uses"].get(node_id, [])
