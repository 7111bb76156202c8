"""One exercise's pass and what every presentation of it shares: its quantities with their decimals, the numbers
its formulas put in, the updates of a gradient-descent step and the claims the exercise asks to show.
"""

from __future__ import annotations

import decimal
from decimal import Decimal
from functools import cached_property

import sympy

from ..engine.backprop import backprop_exercise
from ..engine.guards import EXACT_DECIDING, bounded_sign
from ..engine.passes import compute_pass
from ..engine.result import BackpropResult, decimal_failure, to_sympy
from ..errors import ProblemError
from ..numbers.arithmetic import DECIMAL, EXACT, UndecidableSign, is_exact_zero
from ..numbers.rounding import correctly_rounded, trimmed
from ..problem.fields import some
from ..problem.model import ExerciseSpec, Problem
from .budget import MAX_NODES, nested_transcendental, node_count_at_most
from .node_formulas import numbers, target_symbols
from .steps import ClaimStep, Quantity, UpdateStep


class ExerciseContext:
    """The exact pass an exercise asks for (:func:`~symback.engine.backprop.backprop_exercise`), decimals to
    ``digits`` significant digits, and the names its formulas use.

    >>> import symback
    >>> context = ExerciseContext(symback.load("problems/ws23_backprop.toml"), "4", 4)
    >>> context.quantity("dL/da22")
    Quantity(name='dL/da22', exact=12*E/(1 + E)**2, decimal=Decimal('2.359'))
    """

    def __init__(self, problem: Problem, exercise: ExerciseSpec | str, digits: int):
        if not isinstance(exercise, ExerciseSpec):
            exercise = problem.exercise(str(exercise))
        self.problem, self.exercise, self.digits = problem, exercise, digits
        self.result: BackpropResult = backprop_exercise(problem, exercise)
        self.graph = self.result.graph
        self.top = self.result.top
        self.has_target = exercise.y is not None

    @cached_property
    def decimals(self) -> dict:
        return self.result.decimals(self.digits)

    @cached_property
    def _unnamed_decimals(self) -> dict:
        """Decimals of what a result does not name: the leaves' values (a network's inputs and parameters are
        given) and the gradients of frozen parameters (a table shows every node's)."""
        graph, top = self.graph, self.top
        leaves = {graph.nodes[i].name: i for i in (*graph.inputs, *graph.parameters)
                  if graph.nodes[i].name not in self.decimals}
        frozen = {f"d{top}/d{graph.nodes[i].name}": i for i in graph.parameters if graph.nodes[i].name in graph.frozen}

        def quantities(p) -> dict:
            return {**{name: p.values[i] for name, i in leaves.items()},
                    **{name: p.gradients[i] for name, i in frozen.items()}}

        return self.result.rounded(quantities, self.digits)

    def exact(self, name: str) -> sympy.Expr:
        """The exact value of a node or named quantity as SymPy."""
        if name in self.result.values:
            return self.result.values[name]
        return to_sympy(self.result.exact(name))

    def quantity(self, name: str) -> Quantity:
        """A named quantity (or a leaf) exact and correctly rounded; ∂top/∂top is 1."""
        if name == f"d{self.top}/d{self.top}":
            return Quantity(name, sympy.Integer(1), Decimal(1))
        rounded = self.decimals[name] if name in self.decimals else self._unnamed_decimals[name]
        return Quantity(name, self.result.exact(name), rounded)  # SymPy only when asked for: it may be huge

    @cached_property
    def target_name(self) -> str | None:
        """The name the sheet shows a one-output loss's target by (y, or t beside a variable named y)."""
        if self.graph.target is None:
            return None
        return target_symbols(self.graph).get(self.graph.target, self.graph.target).name

    @cached_property
    def numbers(self) -> dict:
        """Every node's symbol and the targets' -> exact values, for putting numbers into formulas; a node whose
        value is past the exact-form work budget (:data:`~symback.derive.budget.MAX_NODES` nodes) is left out
        (its formula keeps its name: the sheet puts in its decimal), as is one of nested transcendental numbers,
        which SymPy takes long to build (it evaluates them to decide their assumptions)."""
        engine_values = {node.name: self.result.exact(node.name) for node in self.graph.nodes}
        values = {name: to_sympy(value) for name, value in engine_values.items()
                  if node_count_at_most(value, MAX_NODES) and not nested_transcendental(value)}
        return numbers(self.graph, values, self.result.targets if self.has_target else ())

    def updates(self, parameters: tuple[str, ...], rate: sympy.Expr) -> list[UpdateStep]:
        """θ' = θ − α · ∂top/∂θ for every parameter, exactly, with correctly rounded decimals."""
        result, graph = self.result, self.graph
        exact_pass = result.exact_pass
        arithmetic = exact_pass.arithmetic
        indices = {name: graph.index[name] for name in parameters}
        step = arithmetic.from_sympy(-rate)
        exact = {name: arithmetic.add([exact_pass.values[i], arithmetic.mul([step, exact_pass.gradients[i]])])
                 for name, i in indices.items()}

        def evaluate() -> dict[str, Decimal]:
            try:
                the_pass = compute_pass(graph, DECIMAL, result.point, result.targets, follow=exact_pass)
            except decimal.DecimalException as err:
                raise decimal_failure(err) from err
            rate_decimal = DECIMAL.from_sympy(-rate)
            return {name: the_pass.values[i] + rate_decimal * the_pass.gradients[i] for name, i in indices.items()}

        zeros = [name for name, value in exact.items() if _is_zero(value)]
        rounded = correctly_rounded(evaluate, self.digits, zeros)
        return [UpdateStep(name, result.point[name], rate, self.quantity(f"d{self.top}/d{name}"),
                           Quantity(f"{name}'", exact[name], trimmed(rounded[name], exact[name])))
                for name in parameters]

    def claims(self) -> list[ClaimStep]:
        """Each claim of ``show`` (a node's value, or a gradient), checked exactly."""
        steps = []
        for name, claimed in self.exercise.show.items():
            if name not in self.result.values and name not in self.graph.index:
                known = some([node.name for node in self.graph.nodes])
                raise ProblemError(f"exercises[id={self.exercise.id}].show",
                                   f"no quantity named {name!r} (the nodes: {known})", source=self.problem.source)
            actual = self.quantity(name)
            try:
                holds = claim_holds(self.result.exact(name), claimed)
            except UndecidableSign as err:
                raise ProblemError(f"exercises[id={self.exercise.id}].show.{name}", str(err),
                                   source=self.problem.source) from err
            steps.append(ClaimStep(name, claimed, actual, holds))
        return steps


def claim_holds(actual, claimed: sympy.Expr) -> bool:
    """Whether an exact engine value equals a claimed exact number, decided with bounded work
    (:func:`~symback.engine.guards.bounded_sign`: digits first, an exact proof only for a small difference). A
    difference none of its steps settle is :class:`UndecidableSign`: the claim is neither confirmed nor denied.

    >>> import symengine
    >>> claim_holds(1 / (1 + symengine.exp(-1)) - 1 / (1 + symengine.exp(-1)), sympy.Integer(0))
    True
    >>> claim_holds(1 / (1 + symengine.exp(-49)) - 1 / (1 + symengine.exp(95)), sympy.Integer(0))
    False
    >>> claim_holds(1 / (1 + symengine.exp(-400)), sympy.Integer(1))  # 1 − e^{-400}: 174 zeros, then digits
    False
    """
    difference = actual - EXACT.from_sympy(claimed)
    if is_exact_zero(difference):
        return True
    try:
        return bounded_sign(difference) == 0
    except UndecidableSign:
        raise UndecidableSign(f"agrees with the claim to at least 100 decimal places, but no exact proof within the "
                              f"work budget (the difference is {_shortened(difference)})") from None


def _shortened(value) -> str:
    text = str(value) if node_count_at_most(value, 60) else "a long exact value"
    return text if len(text) <= 60 else text[:57] + "..."


def _is_zero(value) -> bool:
    """Whether an exact value is 0, decided exactly where that is cheap; a large value (a deep network's, whose
    tree SymEngine would evaluate node by node) is left to the decimal passes, which refine a zero."""
    if not node_count_at_most(value, 200):
        return False
    try:
        return EXACT_DECIDING.sign(value) == 0
    except Exception:  # an undecidable sign: the decimal passes settle it
        return False
