"""A function given as an expression, built as a :class:`~symback.engine.graph.Graph`: one node per operation,
in evaluation order.

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

import sympy

from ..numbers.tree import Apply, Constant, Name, Tree, parse_tree
from ..problem.activations import shortest_form
from ..problem.losses import make_loss, target_problem
from ..problem.model import ExpressionSpec
from ..problem.operations import OPERATIONS
from .graph import Graph, LocalRule, Node, Operand
from .network import loss_rule


def build_circuit(spec: ExpressionSpec, loss: str | None = None) -> Graph:
    """The graph of an ``[expression]``, followed by the loss ``loss`` (a kind of :mod:`symback.problem.losses`)
    if given.

    >>> from symback.problem.model import ExpressionSpec
    >>> graph = build_circuit(ExpressionSpec((("f", "(x + y) * z"),), {"x": -2, "y": 5, "z": -4}))
    >>> [(node.name, node.operation, node.function) for node in graph.nodes[3:]]
    [('q1', 'add', x + y), ('f', 'mul', q1*z)]
    >>> graph.node("f").partials
    (z, q1)
    """
    return _build(tuple(spec.stages), tuple(spec.at), spec.ties, loss)


@functools.lru_cache(maxsize=128)
def _build(stages: tuple, variables: tuple, ties: str, loss_kind: str | None) -> Graph:
    builder = _Builder(variables, [name for name, _ in stages], ties)
    for name, text in stages:
        tree = parse_tree(text, list(variables) + list(builder.graph.stages))
        builder.graph.stages[name] = builder.root(tree, name)
    graph = builder.graph
    graph.outputs = [graph.stages[stages[-1][0]]]
    graph.top = graph.outputs[0]
    if loss_kind is not None:
        graph.top = builder.add_loss(graph.outputs[0], make_loss(loss_kind, 1))
    return graph


class _Builder:
    def __init__(self, variables: tuple, stage_names: list[str], ties: str):
        self.graph = Graph(ties=ties, output_vector=False, guard_sizes=True)
        self.consed: dict[tuple, int] = {}
        self.taken = set(variables) | set(stage_names)
        self.counter = 0
        self.graph.parameters = [self.graph.add(Node(name, "variable", "variable")) for name in variables]

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
        """The operand of ``tree``: its operations become nodes in post-order, left to right. The walk keeps its
        own stack, not Python's: a sum of 1,000 terms, x + x + … + x, is a tree 1,000 levels deep."""
        done: dict[int, Operand] = {}  # id of a subtree -> its operand (ids: hashing a deep tree would recurse)
        pending: list[tuple[Tree, bool]] = [(tree, False)]
        while pending:
            subtree, operands_done = pending.pop()
            if isinstance(subtree, Constant):
                done[id(subtree)] = subtree.value
            elif isinstance(subtree, Name):
                done[id(subtree)] = self.graph.index[subtree.name]  # a variable, or an earlier stage's node
            elif not operands_done:
                pending.append((subtree, True))
                pending.extend((operand, False) for operand in reversed(subtree.operands))
            else:
                operands = tuple(done[id(operand)] for operand in subtree.operands)
                known = self.consed.get(_key(subtree.operation, operands))
                done[id(subtree)] = known if known is not None else self.operation(
                    subtree.operation, operands, stage, self.fresh_name())
        return done[id(tree)]

    def operation(self, operation: str, operands: tuple, stage: str, name: str, consed: bool = True) -> int:
        rule = _local_rule(operation, operands, self.graph.ties)
        symbols = [self.symbol(operand) for operand in operands]
        with sympy.evaluate(False):
            function = OPERATIONS[operation].build(*symbols)
        renamed = dict(zip(rule.slots, [symbol for symbol, o in zip(symbols, operands) if isinstance(o, int)]))
        partials = tuple(partial.xreplace(renamed) if isinstance(operand, int) else None
                         for partial, operand in zip(rule.partials, operands))
        node_id = self.graph.add(Node(name, "operation", operation, operands, stage=stage, function=function,
                                      partials=partials), rule)
        if consed:
            self.consed[_key(operation, operands)] = node_id
        return node_id

    def symbol(self, operand: Operand) -> sympy.Expr:
        return sympy.Symbol(self.graph.nodes[operand].name, real=True) if isinstance(operand, int) else operand

    def add_loss(self, output: int, loss) -> int:
        """L = loss(f, y) as the last node; y is a Dummy, so that a variable named y is not the target."""
        graph = self.graph
        candidates = itertools.chain(("L", "loss", "L_loss"), (f"L_loss{k}" for k in itertools.count(2)))
        name = next(n for n in candidates if n not in self.taken)
        target = sympy.Dummy("y", real=True)
        graph.loss, graph.targets, graph.check_targets = loss, (target,), functools.partial(target_problem, loss.name)
        f = self.symbol(output)
        rule = loss_rule(loss, (sympy.Symbol("slot0", real=True),), (target,), ("f",))
        renamed = {loss.outputs[0]: f, loss.targets[0]: target}
        node = Node(name, "loss", "loss", (output,), function=loss.expression.xreplace(renamed),
                    partials=(loss.partials[0].xreplace(renamed),))
        return graph.add(node, rule)


def _key(operation: str, operands: tuple) -> tuple:
    return (operation,) + tuple(("node", o) if isinstance(o, int) else ("constant", o) for o in operands)


def _local_rule(operation: str, operands: tuple, ties: str) -> LocalRule:
    """The rule of an operation on these operands: it depends on which are nodes (slots), not on which nodes,
    so it is derived once for each form (x/x/…/x, 1,000 divisions, differentiated one division 1,000 times)."""
    return _rule_of(operation, tuple(None if isinstance(operand, int) else operand for operand in operands), ties)


@functools.lru_cache(maxsize=1024)
def _rule_of(operation: str, constants: tuple, ties: str) -> LocalRule:
    """:func:`_local_rule` for operands given as None (a node) or a constant."""
    entry = OPERATIONS[operation]
    slots, arguments = [], []
    for constant in constants:
        if constant is None:
            slots.append(sympy.Symbol(f"slot{len(slots)}", real=True))
            arguments.append(slots[-1])
        else:
            arguments.append(constant)
    function = entry.build(*arguments)
    if entry.piecewise_linear:
        partials = tuple(entry.kink(arguments, i, ties) for i in range(len(arguments)))
    else:
        partials = tuple(shortest_form(sympy.diff(function, argument)) if constant is None else None
                         for argument, constant in zip(arguments, constants))
    return LocalRule(tuple(slots), function, partials, entry.piecewise_linear, domain=entry.domain)
