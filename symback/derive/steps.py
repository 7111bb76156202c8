"""Step records: the derivation as immutable data that renderers walk and the checker compares against.

Every record carries its ``kind`` (the name of the template that prints it), exact SymPy values and decimals.
Symbols are SymPy Symbols named like graph nodes (``z1_2``, ``yhat``, ``a22``); renderers choose how to show them.

A graph is derived in one of two presentations: as chain-rule *paths* (:class:`ForwardStep` per node,
:class:`LossStep`, a :class:`GradientStep` of paths of :class:`Factor` per parameter) or as a *table* of nodes
and wires (:class:`ForwardTableStep` with a :class:`NodeRow` per node, :class:`BackwardTableStep` with a
:class:`WireRow` per wire and a :class:`NodeGradient` per node). Updates, claims and conventions serve both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import sympy

from ..engine.result import to_sympy
from .budget import within_budget


class Quantity:
    """A named value: ``name`` as in the API (``h1_2``, ``dL/da22``), exact and correctly rounded.

    ``exact`` may be given as the engine's (SymEngine) value: it becomes SymPy only when asked for, so a value
    past the exact-form budget (:mod:`symback.derive.budget`) is never turned into a tree it would not print.

    >>> Quantity("h", sympy.Rational(1, 2), Decimal("0.5"))
    Quantity(name='h', exact=1/2, decimal=Decimal('0.5'))
    >>> Quantity("g", sympy.exp(sympy.exp(2)), Decimal("1618")).short
    False
    """

    __slots__ = ("name", "decimal", "_source", "_exact", "_short")

    def __init__(self, name: str, exact, decimal: Decimal):
        self.name, self.decimal, self._source = name, decimal, exact
        self._exact = exact if isinstance(exact, sympy.Basic) else None
        self._short = False if exact is None else None  # None: no exact form kept (only the decimal)

    @property
    def exact(self) -> sympy.Expr:
        if self._exact is None and self._source is not None:
            self._exact = to_sympy(self._source)
        return self._exact

    @property
    def short(self) -> bool:
        """Whether the exact form is within the budget: written out on a sheet, not only named."""
        if self._short is None:
            self._short = within_budget(self._source)
        return self._short

    @property
    def value(self):
        """The exact value as given: the engine's (SymEngine) value or SymPy's; cheap, nothing is converted."""
        return self._source

    def with_decimal(self, decimal: Decimal) -> Quantity:
        """The same quantity with another decimal (the same value rounded otherwise), nothing converted."""
        return Quantity(self.name, self._source, decimal)

    def _key(self):
        return self.name, self.exact, self.decimal

    def __eq__(self, other):
        return isinstance(other, Quantity) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def __repr__(self):  # never converts a value past the budget (an assertion message would hang on it)
        exact = repr(self.exact) if self._source is None or self.short else "<past the budget>"
        return f"Quantity(name={self.name!r}, exact={exact}, decimal={self.decimal!r})"


@dataclass(frozen=True)
class ForwardStep:
    """node = its definition as written (``written``: σ(z₁), w₁₁x₁ + w₁₂x₂) = the same with the values put in
    (``substituted``: exact where short, else the rounded decimal of the named value) = the value.

    ``definition`` is the same definition as mathematics (SymPy), for the checker's rules; ``approximate`` says
    a rounded decimal was put in, so that the value follows with ≈."""

    quantity: Quantity
    definition: sympy.Expr
    substituted: sympy.Expr
    layer: int = 0
    function: str | None = None  # an activation node: the activation's name in LaTeX (\sigma) ...
    argument: str | None = None  # ... and the node it is applied to (z1_2)
    written: sympy.Expr | None = None
    approximate: bool = False
    kind: str = "forward"


@dataclass(frozen=True)
class ProbabilityStep(ForwardStep):
    """p_k = softmax(ŷ)_k, the probability softmax cross-entropy compares with the one-hot target."""

    kind: str = "probability"


@dataclass(frozen=True)
class LossStep:
    """L = the loss as taught (``written``) = the same with the targets put in, where that drops terms
    (``with_targets``; ``dropped`` names the zero targets whose terms vanish) = the values put in = the value.
    ``definition`` is L in ŷ and y as mathematics, for the checker's rules."""

    quantity: Quantity
    definition: sympy.Expr
    substituted: sympy.Expr
    written: sympy.Expr | None = None
    with_targets: sympy.Expr | None = None
    dropped: tuple[str, ...] = ()
    approximate: bool = False
    kind: str = "loss"


@dataclass(frozen=True)
class ClaimStep:
    """A claim the exercise asks to show (``g(x) = 0``), checked exactly: holds or not."""

    name: str
    claimed: sympy.Expr
    actual: Quantity
    holds: bool
    kind: str = "claim"


@dataclass(frozen=True)
class Factor:
    """One local partial ∂numerator/∂denominator on a chain-rule path.

    ``formula`` is the partial in symbols as mathematics (for the checker's rules), ``written`` as taught
    (h(1 − h), 2(ŷ − y)), ``substituted`` the taught form with the values put in; ``value`` its exact value
    and decimal. ``vanishes`` is True where the partial is 0 whatever the values (the derivative of f ≡ 0).
    """

    numerator: str
    denominator: str
    formula: sympy.Expr
    substituted: sympy.Expr
    value: Quantity
    written: sympy.Expr | None = None
    vanishes: bool = False

    @property
    def exact(self) -> sympy.Expr:
        return self.value.exact

    @property
    def decimal(self) -> Decimal:
        return self.value.decimal


@dataclass(frozen=True)
class GradientStep:
    """dL/dθ = Σ over paths of the product of the local partials along the path (the chain rule).

    ``complete`` is True where every path runs from L down to θ. Where there would be too many or too long
    paths, each path starts at an intermediate node instead, whose adjoint ∂L/∂node is a factor of its own (an
    :class:`AdjointStep` before it derives it): still exact. ``approximate`` says a rounded decimal was put in.
    """

    parameter: str
    paths: tuple[tuple[Factor, ...], ...]
    quantity: Quantity
    complete: bool = True
    approximate: bool = False
    kind: str = "gradient"

    @property
    def vanishes(self) -> bool:
        """Every path holds a factor that is identically 0."""
        return bool(self.paths) and all(any(f.vanishes for f in path) for path in self.paths)


@dataclass(frozen=True)
class AdjointStep(GradientStep):
    """∂L/∂node for an intermediate node, from the adjoints of its users (backpropagation layer by layer): the
    way a deep network's gradients are written when their chain-rule paths would not fit a line."""

    kind: str = "adjoint"


@dataclass(frozen=True)
class UpdateStep:
    """θ' = θ − α · ∂L/∂θ (one step of SGD), exact."""

    parameter: str
    old: sympy.Expr
    rate: sympy.Expr
    gradient: Quantity
    new: Quantity
    kind: str = "update"


@dataclass(frozen=True)
class LimitRow:
    """One limit of the loss as the prediction p tends to an end of (0, 1)."""

    target: sympy.Expr
    approach: str  # "0+" or "1-"
    loss: sympy.Expr
    limit: sympy.Expr


@dataclass(frozen=True)
class CrossEntropyAnalysisStep:
    """Binary cross-entropy as a function of p: its forms, limits, derivative and the conclusion."""

    expression: sympy.Expr  # L(p, y)
    by_target: tuple[tuple[sympy.Expr, sympy.Expr], ...]  # (y, L(p)) for y = 1 and y = 0
    limits: tuple[LimitRow, ...]
    derivative: sympy.Expr  # ∂L/∂p
    stationary: tuple[sympy.Expr, ...]  # solutions p of ∂L/∂p = 0
    through_sigmoid: sympy.Expr  # ∂L/∂z for p = σ(z)
    table: tuple[tuple[sympy.Expr, tuple[Quantity, ...]], ...]  # p -> L at each y
    minimise: bool
    best: str
    worst: str
    kind: str = "cross_entropy_analysis"


@dataclass(frozen=True)
class Conventions:
    """What a reader must know to follow the numbers: the loss's factor, the activations' remarks."""

    loss: str
    activations: tuple[str, ...] = field(default_factory=tuple)
    updates: str = "every update uses the parameter values before the step (one simultaneous step)"


# --- the table presentation: a row per node, a row per wire


@dataclass(frozen=True)
class NodeRow:
    """One node of the forward pass: name = definition (in its operands' names, as written) = the same with the
    numbers put in = value. A variable has neither definition nor substitution."""

    name: str
    operation: str  # the node's operation (symback.engine.graph.Node.operation)
    stage: str | None
    operands: tuple[str, ...]  # the operands as written: node names, constants as text
    definition: sympy.Expr | None
    substituted: sympy.Expr | None
    quantity: Quantity


@dataclass(frozen=True)
class ForwardTableStep:
    """The node table forwards: every node's value in evaluation order, the leaves first (an expression's
    variables, a network's inputs and parameters), then every node computed, the output, then L with a loss.

    ``output`` is f's name, ``loss`` L's name (None without a loss); ``target`` the loss's y and the name it
    is shown by."""

    rows: tuple[NodeRow, ...]
    output: str
    loss: str | None = None
    target: sympy.Expr | None = None
    target_name: str | None = None
    kind: str = "forward_table"

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
    :attr:`BackwardTableStep.wires`); more than one use is a fork, where gradients add. The top node's
    gradient is 1 and it has no wires."""

    node: str
    quantity: Quantity
    wires: tuple[int, ...] = ()

    @property
    def fork(self) -> bool:
        return len(self.wires) > 1


@dataclass(frozen=True)
class BackwardTableStep:
    """Reverse accumulation from ∂top/∂top = 1 (top is f, or L with a loss).

    ``wires`` in backward order (the child nearest the top first); ``gradients`` top first, every node;
    ``asked`` the variables whose gradients the exercise asks for."""

    top: str
    wires: tuple[WireRow, ...]
    gradients: tuple[NodeGradient, ...]
    asked: tuple[str, ...]
    kind: str = "backward_table"

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
