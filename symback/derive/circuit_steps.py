"""Step records of an expression's circuit: the forward table and the backward table.

A circuit's derivation is data, like a network's (:mod:`symback.derive.steps`): :class:`CircuitForwardStep` holds one
row per node (its definition in its operands' names as written, the same with the numbers put in, its exact
value and decimal); :class:`CircuitBackwardStep` holds every node's gradient and every wire's local gradient,
upstream gradient and their product. Updates are :class:`symback.derive.steps.UpdateStep`. Formulas are made of the
display operations of :mod:`symback.derive.formulas`.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from .steps import Quantity


@dataclass(frozen=True)
class NodeRow:
    """One node of the forward pass: name = definition (in its operands' names, as written) = the same with the
    numbers put in = value. A variable has neither definition nor substitution."""

    name: str
    operation: str  # "variable", a key of symback.problem.operations.OPERATIONS, or "loss"
    stage: str | None
    operands: tuple[str, ...]  # the operands as written: node names, constants as text
    definition: sympy.Expr | None
    substituted: sympy.Expr | None
    quantity: Quantity


@dataclass(frozen=True)
class CircuitForwardStep:
    """Every node's value in evaluation order: the variables, one node per operation, f, then L with a loss.

    ``output`` is f's name, ``loss`` L's name (None without a loss); ``target`` the loss's y and the name it
    is shown by."""

    rows: tuple[NodeRow, ...]
    output: str
    loss: str | None = None
    target: sympy.Expr | None = None
    target_name: str | None = None
    kind: str = "circuit_forward"

    def row(self, name: str) -> NodeRow:
        return next(row for row in self.rows if row.name == name)


@dataclass(frozen=True)
class WireRow:
    """One wire from ``parent`` into ``child`` (at ``position`` among the child's operands), backwards:
    ∂top/∂child · ∂child/∂parent is what the child sends back to the parent along it.

    ``formula`` is ∂child/∂parent as a teacher writes it, ``substituted`` the same with the numbers put in;
    ``local`` its value, ``upstream`` ∂top/∂child, ``product`` upstream · local. ``tie`` marks max or min with
    tied arguments, whose share of the gradient the tie rule decides (formula and numbers are then the share)."""

    child: str
    parent: str
    position: int
    formula: sympy.Expr
    substituted: sympy.Expr
    local: Quantity
    upstream: Quantity
    product: Quantity
    tie: bool = False


@dataclass(frozen=True)
class NodeGradient:
    """∂top/∂node: the sum of the products on the node's wires, one per use (``wires`` index
    :attr:`CircuitBackwardStep.wires`); more than one use is a fork, where gradients add. The top node's
    gradient is 1 and it has no wires."""

    node: str
    quantity: Quantity
    wires: tuple[int, ...] = ()

    @property
    def fork(self) -> bool:
        return len(self.wires) > 1


@dataclass(frozen=True)
class CircuitBackwardStep:
    """Reverse accumulation from ∂top/∂top = 1 (top is f, or L with a loss).

    ``wires`` in backward order (the child nearest the top first); ``gradients`` top first, every node;
    ``asked`` the variables whose gradients the exercise asks for."""

    top: str
    wires: tuple[WireRow, ...]
    gradients: tuple[NodeGradient, ...]
    asked: tuple[str, ...]
    kind: str = "circuit_backward"

    def gradient(self, node: str) -> NodeGradient:
        return next(g for g in self.gradients if g.node == node)

    @property
    def forks(self) -> tuple[NodeGradient, ...]:
        """The nodes used more than once, whose gradient is a sum."""
        return tuple(g for g in self.gradients if g.fork)

    @property
    def answers(self) -> tuple[Quantity, ...]:
        """∂top/∂v for every variable asked for."""
        return tuple(self.gradient(name).quantity for name in self.asked)
