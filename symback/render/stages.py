"""An expression problem as given, for ``templates/{md,tex}/problem_expression.*.j2``: its stages as written,
the whole function where it is short, the point, the loss around f and the circuit's structure.

Everything is picked from the problem and its circuit; nothing is computed but layout. This is the expression's
entry of the problem-part registry (:data:`symback.render.sheet.PROBLEM_PARTS`).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from ..derive.exercise import FORKS, node_remarks
from ..derive.formulas import as_display, name_symbol, operation_display
from ..derive.node_formulas import target_name
from ..engine.circuit import build_circuit
from ..numbers.tidy import at_most
from ..numbers.tree import Apply as TreeApply
from ..numbers.tree import Constant, Name, parse_tree
from ..problem.losses import make_loss
from ..problem.model import Problem
from .node_diagram import NodeDiagram, structure_diagram
from .notation import Notation

MAX_FORMULA = 300  # the whole function in one formula, when its LaTeX is no longer than this


@dataclass(frozen=True)
class LossAround:
    """The loss around f: its kind in words, its target's name, L in f and the target, and L's node name."""

    words: str
    target: str
    expression: sympy.Expr
    name: str


@dataclass(frozen=True)
class ExpressionPart:
    """The expression as the sheet states it before the exercises."""

    stages: tuple[tuple[str, sympy.Expr], ...]  # name = definition as written
    function: sympy.Expr | None  # the whole function in the variables (several stages only)
    output: str
    variables: tuple[tuple[str, sympy.Expr], ...]
    loss: LossAround | None
    params: tuple[str, ...]
    diagram: NodeDiagram


def expression_notation(problem: Problem) -> Notation:
    """An expression has no layers to number.

    >>> import symback
    >>> expression_notation(symback.load("problems/circuit_cs231n.toml")).show_layers
    False
    """
    return Notation()


def expression_part(problem: Problem, notation: Notation) -> ExpressionPart:
    """The stages, the point, the loss and the circuit of an expression problem.

    >>> import symback
    >>> part = expression_part(symback.load("problems/circuit_cs231n.toml"), Notation())
    >>> [name for name, _ in part.stages], part.output, part.loss
    (['num', 'den', 'f'], 'f', None)
    """
    spec = problem.expression
    stages = _stages(problem)
    output = stages[-1][0]
    circuit = build_circuit(spec)
    loss = None
    if problem.loss is not None:
        target = target_name({node.name for node in circuit.nodes})
        made = make_loss(problem.loss.kind, 1)
        expression = made.expression.xreplace({made.outputs[0]: name_symbol(output), made.targets[0]: name_symbol(target)})
        with_loss = build_circuit(spec, problem.loss.kind)
        named = with_loss.nodes[with_loss.top].name  # L, unless a stage is called L
        loss = LossAround(made.name.replace("_", " "), target, as_display(expression), named)
    return ExpressionPart(
        stages=stages,
        function=_whole_function(stages, notation) if len(stages) > 1 else None,
        output=output,
        variables=tuple(spec.at.items()),
        loss=loss,
        params=tuple(spec.params) if spec.params is not None else spec.variables,
        diagram=structure_diagram(circuit, notation),
    )


def expression_conventions(problem: Problem, part: ExpressionPart, exercises) -> list[str]:
    """The loss's remark, each operation's, that gradients add at forks, the exercises' own, and how updates
    are taken (where an exercise takes one).

    >>> import symback
    >>> p = symback.load("problems/circuit_cs231n.toml")
    >>> expression_conventions(p, expression_part(p, Notation()), ())[-1] == FORKS
    True
    """
    conventions = list(node_remarks(build_circuit(problem.expression))) + [FORKS]
    conventions += [c for e in exercises for c in (e.result.conventions.loss, *e.result.conventions.activations)]
    if any(e.updates for e in exercises):
        conventions.append(exercises[0].result.conventions.updates)
    if problem.loss is not None:
        conventions.insert(0, make_loss(problem.loss.kind, 1).remark)
    return conventions


def _whole_function(stages, notation: Notation) -> sympy.Expr | None:
    """f in the variables, the stages put in, when it prints in at most MAX_FORMULA characters (given up as soon
    as it grows past that many nodes: stages that use the one before twice double it a stage)."""
    whole = stages[-1][1]
    for name, definition in reversed(stages[:-1]):
        whole = whole.xreplace({name_symbol(name): definition})
        if not at_most(whole, MAX_FORMULA):
            return None
    return whole if len(notation.latex(whole)) <= MAX_FORMULA else None


def _stages(problem: Problem) -> tuple[tuple[str, sympy.Expr], ...]:
    """Each stage's definition as written, read by the safe parser into display operations."""
    names = list(problem.expression.variables)
    stages = []
    for name, text in problem.expression.stages:
        stages.append((name, _display(parse_tree(text, names))))
        names.append(name)
    return tuple(stages)


def _display(tree) -> sympy.Expr:
    """A stage's tree in display operations, walked with a stack of its own (x + x + … + x is a deep tree)."""
    done: dict[int, sympy.Expr] = {}  # id of a subtree -> its display
    pending = [(tree, False)]
    while pending:
        subtree, operands_done = pending.pop()
        if isinstance(subtree, Constant):
            done[id(subtree)] = subtree.value
        elif isinstance(subtree, Name):
            done[id(subtree)] = name_symbol(subtree.name)
        elif not operands_done:
            assert isinstance(subtree, TreeApply)
            pending.append((subtree, True))
            pending.extend((operand, False) for operand in subtree.operands)
        else:
            done[id(subtree)] = operation_display(subtree.operation, tuple(done[id(o)] for o in subtree.operands))
    return done[id(tree)]
