"""An exercise's pass presented as a table of nodes and wires, as data for
``templates/{md,tex}/exercise_table.*.j2``.

The steps of :mod:`symback.derive.node_table` as the sheet shows them: which values are short enough to show
exactly (:mod:`symback.render.shown`), which formulas with numbers put in still fit a cell, the gradients that
add at forks, and the graph drawn with every wire's value and gradient. The same view serves a network's graph
and an expression's circuit.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType

import sympy

from ..derive.exercise import ExerciseResult
from ..derive.formulas import Apply, DecimalLeaf, Display, name_symbol, with_numbers
from ..derive.steps import BackwardTableStep, ForwardTableStep
from .node_diagram import NodeDiagram, value_diagram
from .notation import Notation
from .shown import Shown, compact, only_in_display, plain, short, shown

OPERATION_WORDS = MappingProxyType({"id": "copy", "add": "add", "sub": "subtract", "mul": "multiply", "div": "divide",
                                    "neg": "negate", "pow": "power", "variable": "variable", "affine": "weighted sum"})


@dataclass(frozen=True)
class ForwardRow:
    name: str
    operation: str  # a word: add, multiply, sigmoid, ...
    definition: sympy.Expr | None
    substituted: sympy.Expr | None  # None where even the decimals would be too long
    approximate: bool  # substituted holds rounded decimals
    value: Shown


@dataclass(frozen=True)
class WireView:
    child: str
    parent: str
    formula: sympy.Expr
    substituted: sympy.Expr | None
    approximate: bool
    local: Shown
    upstream: Shown
    product: Shown
    tie: bool


def exact_context(numbers: list[Decimal]) -> decimal.Context:
    """A context in which sums of the (finite) ``numbers`` and quantizing to any of their places are exact, at
    whatever precision they were rounded to (the default context holds 28 digits, a sheet up to 1000).

    >>> terms = [Decimal("0.1234567890123456789012345678901"), Decimal("1E-31")]
    >>> with decimal.localcontext(exact_context(terms)):
    ...     sum(terms, Decimal(0))
    Decimal('0.1234567890123456789012345678902')
    """
    digits = max(n.adjusted() for n in numbers) - min(n.as_tuple().exponent for n in numbers) + 2
    return decimal.Context(prec=max(digits, decimal.getcontext().prec), rounding=decimal.getcontext().rounding,
                           Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)


@dataclass(frozen=True)
class GradientView:
    node: str
    name: str  # d{top}/d{node}
    value: Shown
    uses: tuple[str, ...]  # the nodes that use this one, one per wire
    terms: tuple[Shown, ...]  # what each use sends back; their sum is the gradient

    @property
    def rounded_sum(self):
        """The sum of the terms as shown (rounded), to the value's last place, where it differs from the value
        (the exact sum, rounded); else None. The sheet then says so rather than show 1.583 − 0.03576 + 0.5121
        ≈ 2.060 without a word."""
        if len(self.terms) < 2:
            return None
        terms = [term.quantity.decimal for term in self.terms]
        value = self.value.quantity.decimal
        if not value.is_finite() or not all(term.is_finite() for term in terms):
            total = sum(terms)
            return total if total != value else None
        with decimal.localcontext(exact_context(terms + [value])):  # a sheet's digits may be more than 28
            shown = sum(terms, Decimal(0)).quantize(value)
        return shown if shown != value else None


@dataclass(frozen=True)
class TableView:
    """The forward table (``forward``, rows; empty where ``forward_as_in`` names the exercise that showed it),
    the backward table (``wires`` and ``gradients``; empty where ``backward_as_in`` names one), the asked
    gradients (``answers``), the values an update uses, and the graph with its values (``diagram``)."""

    target: sympy.Expr | None
    target_name: str | None
    output: str
    loss: str | None
    forward: tuple[ForwardRow, ...]
    forward_as_in: str | None  # an earlier exercise with the same forward pass: shown there, not again
    forward_exact: tuple[tuple[str, Shown], ...]  # values short enough to show exactly, but not in a table cell
    quantities: dict  # the forward pass's values by name: name -> Quantity
    top: str | None
    wires: tuple[WireView, ...]
    gradients: tuple[GradientView, ...]
    backward_as_in: str | None
    backward_exact: tuple[tuple[str, Shown], ...]
    answers: tuple[tuple[str, Shown], ...]  # the asked gradients
    forks: tuple[GradientView, ...]
    update_values: tuple[tuple[Shown, Shown], ...]  # (gradient, new value) per update
    diagram: NodeDiagram | None

    @property
    def drifting(self) -> tuple[GradientView, ...]:
        """The gradients whose rounded terms add up to another last digit than their rounded exact sum."""
        return tuple(g for g in self.gradients if g.rounded_sum is not None)

    def reaches(self, top: str) -> bool:
        """Whether the forward table is shown here and runs up to ``top`` (L, or f without a loss): a later
        exercise at the same point may then refer to it."""
        return bool(self.forward) and self.forward[-1].name == top

    @property
    def shows_backward(self) -> bool:
        return bool(self.wires)


def table_view(result: ExerciseResult, notation: Notation, forward_as_in: str | None = None,
               backward_as_in: str | None = None) -> TableView | None:
    """One exercise's tables as the sheet shows them, passes shown in an earlier exercise referred to (None for
    an exercise without a pass: a training run, an analysis).

    >>> import symback
    >>> view = table_view(symback.run_exercise(symback.load("problems/circuit_cs231n.toml"), "2"), Notation())
    >>> [name for name, _ in view.answers], [g.node for g in view.forks]
    (['df/dx', 'df/dy'], ['y', 'x'])
    """
    forward = next((step for step in result.steps if step.kind == "forward_table"), None)
    if forward is None:
        return None
    backward = next((step for step in result.steps if step.kind == "backward_table"), None)
    wires, gradients, answers, forks, diagram = (), (), (), (), None
    if backward is not None:
        answers = tuple((q.name, shown(q, notation, False)) for q in backward.answers)
        if backward_as_in is None:
            wires, gradients = _backward_views(backward, forward, notation)
            forks = tuple(g for g in gradients if len(g.uses) > 1)
            diagram = value_diagram(result.result.graph, forward, backward, notation)
    updates = tuple(step for step in result.steps if step.kind == "update")
    numbers = _decimal_numbers(forward) if not forward_as_in else {}  # once: a row's formula names a few of them
    rows = () if forward_as_in else tuple(_forward_row(row, numbers, notation) for row in forward.rows)
    return TableView(
        target=forward.target,
        target_name=forward.target_name,
        output=forward.output,
        loss=forward.loss,
        forward=rows,
        forward_as_in=forward_as_in,
        forward_exact=only_in_display([(row.name, row.value) for row in rows], notation),
        quantities={row.name: row.quantity for row in forward.rows},
        top=backward.top if backward else None,
        wires=wires,
        gradients=gradients,
        backward_as_in=backward_as_in if backward is not None else None,
        backward_exact=only_in_display([(g.name, g.value) for g in gradients], notation),
        answers=answers,
        forks=forks,
        update_values=tuple((shown(u.gradient, notation, False), shown(u.new, notation, False)) for u in updates),
        diagram=diagram,
    )


def _decimal_numbers(step: ForwardTableStep) -> dict:
    """What a formula's names are replaced by: the exact value where the decimal is it (0.25), else the
    decimal (rounded: the formula with numbers is then approximate)."""
    numbers = {name_symbol(row.name): _exact_decimal(row.quantity) or DecimalLeaf(row.quantity.decimal)
               for row in step.rows}
    if step.target is not None:
        numbers[name_symbol(step.target_name)] = step.target
    return numbers


def _exact_decimal(quantity) -> sympy.Rational | None:
    exact = quantity.exact if quantity.short else None
    if exact is not None and exact.is_Rational and quantity.decimal.is_finite() \
            and Fraction(int(exact.p), int(exact.q)) == Fraction(quantity.decimal):
        return exact
    return None


def _rational_operands(expr) -> bool:
    """Whether the numbers put into a formula are all rational (3 + (−4), σ(−4)); 3 + 1/(1 + e⁴) is better
    read as ≈ 3 + 0.01799 beside a value column that shows the exact form."""
    if isinstance(expr, Apply):
        return all(_rational_operands(arg) for arg in expr.args[1:])
    if isinstance(expr, Display):
        return all(_rational_operands(arg) for arg in expr.args)
    return bool(getattr(expr, "is_Rational", False))


def _substitution(expr, exact_form, value, numbers: dict, notation: Notation):
    """The formula with numbers: exact where the numbers put in are rational and it fits a cell, else with the
    decimals (approximate where one of them is rounded), else none; none where it would print as the formula
    or as the value (a Quantity) itself (x = x, 3 = 3; a value past the exact-form budget is not printed)."""
    if exact_form is not None and _rational_operands(exact_form) and compact(exact_form, notation):
        substituted = exact_form
    else:
        substituted = with_numbers(expr, numbers)
        if not compact(substituted, notation):
            return None, False
    printed = plain(notation.latex(substituted))
    if printed == plain(notation.latex(expr)) or (value.short and printed == plain(notation.latex(value.exact))):
        return None, False
    return substituted, bool(substituted.atoms(DecimalLeaf))


def _forward_row(row, numbers: dict, notation: Notation) -> ForwardRow:
    operation = OPERATION_WORDS.get(row.operation, row.operation)
    definition = row.definition
    if row.operation == "loss":
        operation = "loss"
        if not short(definition, notation):  # several outputs: the problem states L in full, the cell names it
            return ForwardRow(row.name, operation, sympy.Function("loss")(*map(name_symbol, row.operands)), None,
                              False, shown(row.quantity, notation))
    substituted, approximate = None, False
    if definition is not None:
        substituted, approximate = _substitution(definition, row.substituted, row.quantity, numbers, notation)
    return ForwardRow(row.name, operation, definition, substituted, approximate, shown(row.quantity, notation))


def _backward_views(step: BackwardTableStep, forward: ForwardTableStep, notation: Notation):
    numbers = _decimal_numbers(forward)
    wires = []
    for wire in step.wires:
        substituted, approximate = _substitution(wire.formula, wire.substituted, wire.local, numbers, notation)
        wires.append(WireView(wire.child, wire.parent, wire.formula, substituted, approximate,
                              shown(wire.local, notation), shown(wire.upstream, notation), shown(wire.product, notation),
                              wire.tie))
    gradients = []
    for gradient in step.gradients:
        uses = tuple(step.wires[k].child for k in gradient.wires)
        terms = tuple(wires[k].product for k in gradient.wires)
        gradients.append(GradientView(gradient.node, gradient.quantity.name, shown(gradient.quantity, notation),
                                      uses, terms))
    return tuple(wires), tuple(gradients)
