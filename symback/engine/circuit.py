"""A function given as an expression, built as a circuit: one node per operation, in evaluation order.

Each stage's text is read into an operation tree (:mod:`symback.numbers.tree`) and walked in post-order, left to
right; every operation becomes a node named ``q1, q2, …`` in that order, except that a stage's root takes the
stage's name (the last stage is the function, ``f`` unless the author named it). Variables come first, as nodes
of their own; numbers are constants, shown as operands of the operation that uses them.

Identical subexpressions are one node (hash-consing): the same operation on the same nodes and constants, in
the same order, anywhere in any stage (``(x + y) * (x + y)`` has one node ``x + y``, used twice). A value used
more than once therefore gets the gradients of all its uses summed: gradients add at forks. A stage whose
whole expression is a name, a number or a node computed before gets an identity node, so that every stage name
is a node of its own. With a loss, ``L = loss(f, y)`` is the last node.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, field
from typing import Union

import sympy

from ..numbers.tree import Apply, Constant, Name, Tree, parse_tree
from ..problem.activations import shortest_form
from ..problem.losses import Loss, make_loss
from ..problem.model import ExpressionSpec
from ..problem.operations import OPERATIONS

Operand = Union[int, sympy.Expr]  # a node's index, or an exact constant


@dataclass(frozen=True)
class CircuitNode:
    """One node: its name, its operation, its operands (node indices or exact constants, in the order written).

    ``function`` is the node's local function in its operands' symbols (``Symbol(name, real=True)``) and
    constants, as written (``x*x`` stays ``x*x``); ``partials`` holds, per operand, the local partial derivative
    in the same symbols (None for a constant). Variables have neither.
    """

    name: str
    operation: str  # "variable", a key of symback.problem.operations.OPERATIONS, or "loss"
    operands: tuple[Operand, ...] = ()
    stage: str | None = None  # the stage the node was written in (None for variables and the loss)
    function: sympy.Expr | None = None
    partials: tuple[sympy.Expr | None, ...] = ()

    def node_operands(self) -> list[tuple[int, int]]:
        """(position among the operands, node index) for every operand that is a node, in order."""
        return [(position, operand) for position, operand in enumerate(self.operands) if isinstance(operand, int)]


@dataclass(frozen=True)
class LocalRule:
    """How the engine computes a node: its function and partials in one symbol per node operand (``slots``),
    so that a parent used twice has two partials. ``partials`` has one entry per operand; constants have one
    (their weight) only for piecewise-linear operations, which are then ``Σ partials[i] · operands[i]``.
    ``extra`` are further arguments of the compiled functions (the target of the loss)."""

    slots: tuple[sympy.Symbol, ...]
    function: sympy.Expr
    partials: tuple[sympy.Expr | None, ...]
    piecewise_linear: bool = False
    extra: tuple[sympy.Symbol, ...] = ()

    @property
    def arguments(self) -> tuple[sympy.Symbol, ...]:
        return self.slots + self.extra


@dataclass
class Circuit:
    """The nodes in evaluation order (variables first), how to compute each, and where f and L are.

    ``output`` is the index of f (the last stage); ``top`` is the node whose gradient is taken: L when there is a
    loss, else f. ``target`` is the symbol of the loss's target y in L's function.
    """

    nodes: tuple[CircuitNode, ...]
    rules: tuple[LocalRule | None, ...]
    index: dict[str, int]
    variables: tuple[int, ...]
    stages: dict[str, int]
    output: int
    top: int
    ties: str = "split"
    loss: Loss | None = None
    target: sympy.Symbol | None = None
    compiled: dict = field(default_factory=dict)  # (node, what, arithmetic) -> compiled function, filled lazily

    def node(self, name: str) -> CircuitNode:
        return self.nodes[self.index[name]]

    def operand_name(self, operand: Operand) -> str:
        """A node operand's name, or a constant written out."""
        return self.nodes[operand].name if isinstance(operand, int) else str(operand)


def build_circuit(spec: ExpressionSpec, loss: str | None = None) -> Circuit:
    """The circuit of an ``[expression]``, followed by the loss ``loss`` (a kind of :mod:`symback.problem.losses`) if given.

    >>> from symback.problem.model import ExpressionSpec
    >>> circuit = build_circuit(ExpressionSpec((("f", "(x + y) * z"),), {"x": -2, "y": 5, "z": -4}))
    >>> [(node.name, node.operation, node.function) for node in circuit.nodes[3:]]
    [('q1', 'add', x + y), ('f', 'mul', q1*z)]
    >>> circuit.node("f").partials
    (z, q1)
    """
    return _build(tuple(spec.stages), tuple(spec.at), spec.ties, loss)


@functools.lru_cache(maxsize=128)
def _build(stages: tuple, variables: tuple, ties: str, loss_kind: str | None) -> Circuit:
    builder = _Builder(variables, [name for name, _ in stages], ties)
    for name, text in stages:
        tree = parse_tree(text, list(variables) + list(builder.stages))
        builder.stages[name] = builder.root(tree, name)
    output = builder.stages[stages[-1][0]]
    loss = target = None
    top = output
    if loss_kind is not None:
        loss = make_loss(loss_kind, 1)
        target = sympy.Dummy("y", real=True)
        top = builder.add_loss(output, loss, target)
    return Circuit(tuple(builder.nodes), tuple(builder.rules), builder.index,
                   tuple(range(len(variables))), dict(builder.stages), output, top, ties, loss, target)


class _Builder:
    def __init__(self, variables: tuple, stage_names: list[str], ties: str):
        self.nodes: list[CircuitNode] = []
        self.rules: list[LocalRule | None] = []
        self.index: dict[str, int] = {}
        self.stages: dict[str, int] = {}
        self.consed: dict[tuple, int] = {}
        self.taken = set(variables) | set(stage_names)
        self.counter = 0
        self.ties = ties
        for name in variables:
            self.append(CircuitNode(name, "variable"), None)

    def append(self, node: CircuitNode, rule: LocalRule | None) -> int:
        self.index[node.name] = len(self.nodes)
        self.nodes.append(node)
        self.rules.append(rule)
        return len(self.nodes) - 1

    def fresh_name(self) -> str:
        while True:
            self.counter += 1
            if f"q{self.counter}" not in self.taken:
                return f"q{self.counter}"

    def root(self, tree: Tree, stage: str) -> int:
        """The node named after the stage: the tree's root operation, or an identity node if that exists already."""
        if isinstance(tree, Apply):
            operands = tuple(self.visit(operand, stage) for operand in tree.operands)
            if _key(tree.operation, operands) not in self.consed:
                return self.operation(tree.operation, operands, stage, stage)
            operand: Operand = self.consed[_key(tree.operation, operands)]
        else:
            operand = self.visit(tree, stage)
        return self.operation("id", (operand,), stage, stage, consed=False)

    def visit(self, tree: Tree, stage: str) -> Operand:
        if isinstance(tree, Constant):
            return tree.value
        if isinstance(tree, Name):
            return self.index[tree.name]  # a variable, or an earlier stage's node (named after the stage)
        operands = tuple(self.visit(operand, stage) for operand in tree.operands)
        known = self.consed.get(_key(tree.operation, operands))
        return known if known is not None else self.operation(tree.operation, operands, stage, self.fresh_name())

    def operation(self, operation: str, operands: tuple, stage: str, name: str, consed: bool = True) -> int:
        rule = _local_rule(operation, operands, self.ties)
        symbols = [self.symbol(operand) for operand in operands]
        with sympy.evaluate(False):
            function = OPERATIONS[operation].build(*symbols)
        renamed = dict(zip(rule.slots, [symbol for symbol, o in zip(symbols, operands) if isinstance(o, int)]))
        partials = tuple(partial.xreplace(renamed) if isinstance(operand, int) else None
                         for partial, operand in zip(rule.partials, operands))
        node_id = self.append(CircuitNode(name, operation, operands, stage, function, partials), rule)
        if consed:
            self.consed[_key(operation, operands)] = node_id
        return node_id

    def symbol(self, operand: Operand) -> sympy.Expr:
        return sympy.Symbol(self.nodes[operand].name, real=True) if isinstance(operand, int) else operand

    def add_loss(self, output: int, loss: Loss, target: sympy.Symbol) -> int:
        candidates = itertools.chain(("L", "loss", "L_loss"), (f"L_loss{k}" for k in itertools.count(2)))
        name = next(n for n in candidates if n not in self.taken)
        slot = sympy.Symbol("slot0", real=True)
        (yhat,), (y,) = loss.outputs, loss.targets
        rule = LocalRule((slot,), loss.expression.xreplace({yhat: slot, y: target}),
                         (loss.partials[0].xreplace({yhat: slot, y: target}),), extra=(target,))
        f = self.symbol(output)
        node = CircuitNode(name, "loss", (output,), None, loss.expression.xreplace({yhat: f, y: target}),
                           (loss.partials[0].xreplace({yhat: f, y: target}),))
        return self.append(node, rule)


def _key(operation: str, operands: tuple) -> tuple:
    return (operation,) + tuple(("node", o) if isinstance(o, int) else ("constant", o) for o in operands)


def _local_rule(operation: str, operands: tuple, ties: str) -> LocalRule:
    entry = OPERATIONS[operation]
    slots, arguments = [], []
    for operand in operands:
        if isinstance(operand, int):
            slots.append(sympy.Symbol(f"slot{len(slots)}", real=True))
            arguments.append(slots[-1])
        else:
            arguments.append(operand)
    function = entry.build(*arguments)
    if entry.piecewise_linear:
        partials = tuple(entry.kink(arguments, i, ties) for i in range(len(arguments)))
    else:
        partials = tuple(shortest_form(sympy.diff(function, argument)) if isinstance(operand, int) else None
                         for argument, operand in zip(arguments, operands))
    return LocalRule(tuple(slots), function, partials, entry.piecewise_linear)
