"""Step records: the derivation as immutable data that renderers walk and the checker compares against.

Every record carries its ``kind`` (the name of the template that prints it), exact SymPy values and decimals.
Symbols are SymPy Symbols named like graph nodes (``z1_2``, ``yhat``, ``a22``); renderers choose how to show them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import sympy


@dataclass(frozen=True)
class Quantity:
    """A named value: ``name`` as in the API (``h1_2``, ``dL/da22``), exact and correctly rounded."""

    name: str
    exact: sympy.Expr
    decimal: Decimal


@dataclass(frozen=True)
class ForwardStep:
    """node = its definition in its parents' symbols; the same with the numbers put in; the value."""

    quantity: Quantity
    definition: sympy.Expr
    substituted: sympy.Expr
    layer: int = 0
    function: str | None = None  # an activation node: the activation's name in LaTeX (\sigma) ...
    argument: str | None = None  # ... and the node it is applied to (z1_2)
    kind: str = "forward"


@dataclass(frozen=True)
class LossStep:
    """L = the loss in ŷ and y; the same with the numbers put in; the value."""

    quantity: Quantity
    definition: sympy.Expr
    substituted: sympy.Expr
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

    ``formula`` is the partial in symbols, ``substituted`` the same with the numbers put in.
    ``vanishes`` is True where the partial is 0 whatever the values (the derivative of f ≡ 0).
    """

    numerator: str
    denominator: str
    formula: sympy.Expr
    substituted: sympy.Expr
    exact: sympy.Expr
    decimal: Decimal
    vanishes: bool = False


@dataclass(frozen=True)
class GradientStep:
    """dL/dθ = Σ over paths of the product of the local partials along the path (the chain rule).

    ``complete`` is True where every path runs from L down to θ. Where there would be too many paths, each
    path starts at an intermediate node instead, whose adjoint ∂L/∂node is a factor of its own: still exact.
    """

    parameter: str
    paths: tuple[tuple[Factor, ...], ...]
    quantity: Quantity
    complete: bool = True
    kind: str = "gradient"

    @property
    def vanishes(self) -> bool:
        """Every path holds a factor that is identically 0."""
        return bool(self.paths) and all(any(f.vanishes for f in path) for path in self.paths)


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
