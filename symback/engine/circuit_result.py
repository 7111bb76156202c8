"""The Python API for expression problems: a circuit's exact values and gradients, decimals, and SGD updates.

``symback.backprop`` and ``symback.sgd`` call these for a problem with an ``[expression]``.

Names, as in the network API: every node by its name (the variables, ``q1, q2, …``, the stages, ``f``, ``L``);
``df/dq3`` is the gradient of f by node q3 (``dL/dq3`` when a loss L is differentiated).
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import NamedTuple

import sympy

from ..errors import ArgumentError
from ..numbers.arithmetic import DECIMAL
from ..numbers.rounding import correctly_rounded, trimmed
from ..problem.model import ExerciseSpec, Problem
from .circuit import Circuit, CircuitNode, build_circuit
from .circuit_pass import EXACT_DECIDING, CircuitPass, run_circuit_pass
from .result import LazyMapping, NumericError, exact_vector, to_sympy


@dataclass(frozen=True)
class Edge:
    """One wire: operand ``parent`` (at ``position`` among the child's operands) into node ``child``.

    ``expression`` is the local partial ∂child/∂parent as a formula; ``local`` its exact value, ``upstream`` the
    gradient ∂f/∂child (∂L/∂child with a loss) and ``contribution`` = upstream · local, what the child sends back
    to the parent along this wire. A parent's gradient is the sum of the contributions on its wires.
    """

    child: str
    parent: str
    position: int
    expression: sympy.Expr
    local: sympy.Expr
    upstream: sympy.Expr
    contribution: sympy.Expr


class EdgeDecimals(NamedTuple):
    """An edge's local gradient, upstream gradient and contribution, correctly rounded."""

    local: Decimal
    upstream: Decimal
    contribution: Decimal


class CircuitResult:
    """Exact values and gradients of every node of an expression's circuit at one point; decimals on request.

    ``output`` is f's exact value, ``loss`` L's (None without a loss), ``grad`` maps every variable to ∂f/∂v
    (∂L/∂v), ``values`` every named quantity to its exact value, ``nodes`` and ``edges`` the circuit's records.

    >>> import symback
    >>> p = symback.loads('title = "t"\\n[expression]\\nf = "x*x / 3"\\nat = { x = 2 }\\n')
    >>> r = symback.backprop(p)
    >>> [(node.name, node.operation) for node in r.nodes], r.output, r.grad["x"]
    ([('x', 'variable'), ('q1', 'mul'), ('f', 'div')], 4/3, 4/3)
    >>> [(e.child, e.parent, e.local, e.upstream, e.contribution) for e in r.edges]
    [('q1', 'x', 2, 1/3, 2/3), ('q1', 'x', 2, 1/3, 2/3), ('f', 'q1', 1/3, 1, 1/3)]
    >>> r.decimals(3)
    {'x': Decimal('2'), 'q1': Decimal('4'), 'f': Decimal('1.33'), 'df/dx': Decimal('1.33'), 'df/dq1': Decimal('0.333')}
    """

    def __init__(self, problem: Problem, circuit: Circuit, point: Mapping[str, sympy.Expr], target=None):
        self.problem = problem
        self.circuit = circuit
        self.point = dict(point)
        self.target = target
        self._exact: CircuitPass = run_circuit_pass(circuit, EXACT_DECIDING, self.point, target)
        self._rounded: dict[int, dict] = {}

    @property
    def top(self) -> str:
        """The name of the differentiated node: ``L`` with a loss, else f's name."""
        return self.circuit.nodes[self.circuit.top].name

    @property
    def nodes(self) -> tuple[CircuitNode, ...]:
        return self.circuit.nodes

    @cached_property
    def output(self) -> sympy.Expr:
        return to_sympy(self._exact.values[self.circuit.output])

    @cached_property
    def loss(self) -> sympy.Expr | None:
        return None if self.circuit.loss is None else to_sympy(self._exact.values[self.circuit.top])

    @cached_property
    def grad(self) -> Mapping[str, sympy.Expr]:
        names = [self.circuit.nodes[i].name for i in self.circuit.variables]
        return LazyMapping(names, lambda name: to_sympy(self._exact.gradients[self.circuit.index[name]]))

    @cached_property
    def values(self) -> Mapping[str, sympy.Expr]:
        return LazyMapping(list(self._exact_named), lambda name: to_sympy(self._exact_named[name]))

    @cached_property
    def _exact_named(self) -> dict:
        return self.named_quantities(self._exact)

    @cached_property
    def edges(self) -> tuple[Edge, ...]:
        the_pass = self._exact
        found = []
        for child, position, parent in self._wires():
            node = self.circuit.nodes[child]
            found.append(Edge(node.name, self.circuit.nodes[parent].name, position, node.partials[position],
                              to_sympy(the_pass.partials[child][position]), to_sympy(the_pass.gradients[child]),
                              to_sympy(the_pass.contributions[child][position])))
        return tuple(found)

    def exact(self, name: str):
        """The exact value of a named quantity as SymEngine holds it (no conversion to SymPy)."""
        return self._exact_named[name]

    def named_quantities(self, the_pass: CircuitPass) -> dict:
        """Every named quantity of one pass: each node's value, then ``d{top}/d{node}`` for every other node."""
        nodes, top = self.circuit.nodes, self.top
        found = {node.name: value for node, value in zip(nodes, the_pass.values)}
        found.update({f"d{top}/d{node.name}": gradient for node, gradient in zip(nodes, the_pass.gradients)
                      if node.name != top})
        return found

    def decimals(self, digits: int = 30) -> dict[str, Decimal]:
        """Every named quantity correctly rounded to ``digits`` significant digits (ties half up).

        Computed node by node in decimal arithmetic at growing precision, never from the exact closed form.
        """
        rounded = self._rounded_all(digits)
        return {name: rounded[name] for name in self._exact_named}

    def edge_decimals(self, digits: int = 30) -> list[EdgeDecimals]:
        """Each edge's local gradient, upstream gradient and contribution correctly rounded, in ``edges`` order."""
        rounded = self._rounded_all(digits)
        return [EdgeDecimals(*(rounded[f"edge {k} {what}"] for what in ("local", "upstream", "contribution")))
                for k in range(len(self._wires()))]

    def _wires(self) -> list[tuple[int, int, int]]:
        return [(child, position, parent) for child, node in enumerate(self.circuit.nodes)
                for position, parent in node.node_operands()]

    def _everything(self, the_pass: CircuitPass) -> dict:
        found = self.named_quantities(the_pass)
        for k, (child, position, _) in enumerate(self._wires()):
            found[f"edge {k} local"] = the_pass.partials[child][position]
            found[f"edge {k} upstream"] = the_pass.gradients[child]
            found[f"edge {k} contribution"] = the_pass.contributions[child][position]
        return found

    def _rounded_all(self, digits: int) -> dict[str, Decimal]:
        if not isinstance(digits, int) or isinstance(digits, bool) or not 1 <= digits <= 1000:
            raise ArgumentError(f"digits must be a whole number from 1 to 1000, got {digits!r}")
        if digits not in self._rounded:
            exact = self._everything(self._exact)
            zeros = [name for name, value in exact.items() if value == 0]

            def evaluate() -> dict[str, Decimal]:
                try:
                    decimal_pass = run_circuit_pass(self.circuit, DECIMAL, self.point, self.target, follow=self._exact)
                except decimal.DecimalException as err:
                    raise NumericError("a decimal value overflows or is undefined (a number far too large for an "
                                       "exponential?)") from err
                return self._everything(decimal_pass)

            rounded = correctly_rounded(evaluate, digits, zeros)
            self._rounded[digits] = {name: trimmed(value, exact[name]) for name, value in rounded.items()}
        return self._rounded[digits]

    @property
    def exact_pass(self) -> CircuitPass:
        """The exact pass (SymEngine values, partials and gradients of every node)."""
        return self._exact

    def __repr__(self) -> str:
        loss = f", loss={self.loss}" if self.circuit.loss is not None else ""
        return f"CircuitResult(output={self.output}{loss}, grad={dict(self.grad)})"


def expression_point(problem: Problem, values: Mapping[str, object] | None = None) -> dict[str, sympy.Expr]:
    """The variables' exact values: ``expression.at`` with ``values`` put in (numbers in any form the API takes).

    >>> import symback
    >>> p = symback.loads('title = "t"\\n[expression]\\nf = "x*y"\\nat = { x = 3, y = -4 }\\n')
    >>> expression_point(p, {"y": "1/2"})
    {'x': 3, 'y': 1/2}
    """
    spec = problem.expression
    point = {name: exact_vector(value, 1, name)[0] for name, value in spec.at.items()}
    for name, value in (values or {}).items():
        if name not in point:
            raise ArgumentError(f"unknown variable {name!r} (variables: {', '.join(spec.at)})")
        point[name] = exact_vector(value, 1, name)[0]
    return point


def backprop_expression(problem: Problem, *, values: Mapping[str, object] | None = None, y=None,
                        loss: str | None = None) -> CircuitResult:
    """Exact forward and backward pass of an expression problem's circuit.

    ``values`` overrides variables of ``expression.at``; with a target ``y`` the loss (``loss``, or the
    problem's ``[loss]``) is the circuit's last node L and gradients are ∂L/∂·; without one they are ∂f/∂·.

    >>> import symback
    >>> p = symback.loads('title = "t"\\n[expression]\\nf = "(x + y) * z"\\nat = { x = -2, y = 5, z = -4 }\\n')
    >>> r = backprop_expression(p)
    >>> r.output, dict(r.grad), r.values["q1"], r.values["df/dq1"]
    (-12, {'x': -4, 'y': -4, 'z': 3}, 3, -4)
    >>> backprop_expression(p, y=1, loss="half_squared_error").loss
    169/2
    """
    point = expression_point(problem, values)
    kind = loss or (problem.loss.kind if problem.loss is not None else None)
    if y is None and loss is not None:
        raise ArgumentError(f"loss {loss!r} needs a target y")
    if y is not None and kind is None:
        raise ArgumentError("y is the target of a loss, but the problem has no [loss] (give loss=...)")
    target = exact_vector(y, 1, "y")[0] if y is not None else None
    circuit = build_circuit(problem.expression, kind if y is not None else None)
    return CircuitResult(problem, circuit, point, target)


def backprop_exercise(problem: Problem, exercise: ExerciseSpec | str) -> CircuitResult:
    """The pass an exercise of an expression problem asks for: its ``values``, its target y and loss.

    >>> import symback
    >>> p = symback.loads('title = "t"\\n[expression]\\nf = "x*y"\\nat = { x = 3, y = -4 }\\n'
    ...                   '[[exercises]]\\nid = "1"\\ntask = "gradient"\\nvalues = { y = 2 }\\n')
    >>> dict(backprop_exercise(p, "1").grad)
    {'x': 2, 'y': 3}
    """
    if not isinstance(exercise, ExerciseSpec):
        try:
            exercise = problem.exercise(str(exercise))
        except KeyError as err:
            raise ArgumentError(err.args[0]) from err
    y = exercise.y[0] if exercise.y else None
    loss = exercise.loss.kind if exercise.loss is not None and y is not None else None
    return backprop_expression(problem, values=exercise.values, y=y, loss=loss)


def sgd_expression(problem: Problem, grad: Mapping[str, object], lr, *,
                   values: Mapping[str, object] | None = None) -> dict[str, sympy.Expr]:
    """One step of gradient descent on an expression's parameters: v' = v − lr · ∂/∂v, exactly.

    ``grad`` may hold every variable (as ``CircuitResult.grad`` does): only the parameters (``expression.params``,
    all variables by default) are updated and returned. ``values`` are the current values if not ``at``'s.

    >>> import symback
    >>> p = symback.loads('title = "t"\\n[expression]\\nf = "w*x"\\nat = { w = 2, x = 3 }\\nparams = ["w"]\\n')
    >>> sgd_expression(p, backprop_expression(p).grad, lr=0.1)
    {'w': 17/10}
    """
    spec = problem.expression
    rate = exact_vector(lr, 1, "lr")[0]
    current = expression_point(problem, values)
    parameters = spec.params if spec.params is not None else tuple(spec.at)
    updated = {}
    for name, gradient in grad.items():
        if name not in current:
            raise ArgumentError(f"unknown variable {name!r} (variables: {', '.join(spec.at)})")
        if name not in parameters:
            continue  # not a parameter: it keeps its value
        gradient = gradient if isinstance(gradient, sympy.Basic) else exact_vector(gradient, 1, f"d/d{name}")[0]
        updated[name] = current[name] - rate * gradient
    return updated
