"""The engine's one result type: the exact pass of a graph at one point, with every named quantity, its wires,
and correctly rounded decimals on request; and the small helpers the API shares (numbers in, SymPy out).

Names: every node by its name (a network's ``z1_2``, ``h1_2``, ``yhat``, ``L``; an expression's variables,
``q1, q2, …``, its stages, ``f``, ``L``), and ``d{top}/d{node}`` for the gradient of the top by a node
(``dL/da22``; ``df/dq3`` for an expression without a loss).
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Callable, Iterator, NamedTuple, Sequence

import sympy

from ..errors import ArgumentError, NumericError, ParseError
from ..numbers.arithmetic import DECIMAL, is_exact_zero
from ..numbers.parse import exact_number
from ..numbers.rounding import correctly_rounded_values, trimmed, valid_rounding
from ..numbers.tidy import tidy
from ..problem.model import Problem
from .graph import Graph, Node
from .guards import EXACT_DECIDING
from .passes import Pass, compute_pass


def to_sympy(value) -> sympy.Expr:
    """A SymEngine value as the equal SymPy expression.

    >>> import symengine
    >>> to_sympy(symengine.exp(-1) / (1 + symengine.exp(-1)))
    1/(1 + E)
    """
    return tidy(value._sympy_())


def exact_vector(values, length: int, what: str) -> tuple[sympy.Expr, ...]:
    """x or y as exact SymPy numbers: a list of numbers, or one number where ``length`` is 1.

    >>> exact_vector([1, "1/3"], 2, "x")
    (1, 1/3)
    >>> exact_vector(2.12, 1, "y")
    (53/25,)
    """
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        values = [values]
    values = list(values)
    if len(values) != length:
        raise ArgumentError(f"{what} needs {length} value{'s' * (length != 1)}, got {len(values)}")
    try:
        return tuple(exact_number(value, what=f"{what}[{i}]") for i, value in enumerate(values, start=1))
    except ParseError as err:
        raise ArgumentError(f"{what}: {err}") from err


class LazyMapping(Mapping):
    """A read-only mapping whose values are computed on first access (exact values can be large).

    >>> squares = LazyMapping(["a", "b"], lambda key: key * 2)
    >>> squares["b"], list(squares)
    ('bb', ['a', 'b'])
    """

    def __init__(self, keys: Sequence[str], compute):
        self._keys = list(keys)
        self._known = set(self._keys)
        self._compute = compute
        self._cache: dict = {}

    def __getitem__(self, key):
        if key not in self._known:
            raise KeyError(key)
        if key not in self._cache:
            self._cache[key] = self._compute(key)
        return self._cache[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        shown = ", ".join(f"{key!r}: {self[key]}" for key in self._keys[:8])
        more = ", ..." if len(self._keys) > 8 else ""
        return "{" + shown + more + "}"


@dataclass(frozen=True)
class Edge:
    """One wire: operand ``parent`` (at ``position`` among the child's operands) into node ``child``.

    ``expression`` is the local partial ∂child/∂parent as a formula (None where the graph writes none, a
    network's); ``local`` its exact value, ``upstream`` the gradient ∂top/∂child and ``contribution`` =
    upstream · local, what the child sends back to the parent along this wire. A parent's gradient is the sum
    of the contributions on its wires.
    """

    child: str
    parent: str
    position: int
    expression: sympy.Expr | None
    local: sympy.Expr
    upstream: sympy.Expr
    contribution: sympy.Expr


class EdgeDecimals(NamedTuple):
    """An edge's local gradient, upstream gradient and contribution, correctly rounded."""

    local: Decimal
    upstream: Decimal
    contribution: Decimal


class BackpropResult:
    """The exact forward and backward pass of a graph at one point; decimals on request.

    ``output`` holds the outputs' exact values (a list for a network, f's value for an expression), ``loss`` L's
    (None without a loss), ``grad`` maps each parameter the top is differentiated by (a network's trainable
    weights, an expression's variables) to its gradient, ``values`` every named quantity to its exact value;
    ``nodes`` and ``edges`` are the graph's records.

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

    def __init__(self, problem: Problem, graph: Graph, point: Mapping[str, sympy.Expr],
                 targets: Sequence[sympy.Expr] = ()):
        self.problem = problem
        self.graph = graph
        self.point = dict(point)
        self.targets = tuple(targets)
        self._exact: Pass = compute_pass(graph, EXACT_DECIDING, self.point, self.targets)
        self._rounded: dict[int, dict] = {}

    # --- the point
    @property
    def x(self) -> tuple[sympy.Expr, ...]:
        """A network's input (empty for an expression)."""
        return tuple(self.point[self.graph.nodes[i].name] for i in self.graph.inputs)

    @property
    def y(self) -> tuple[sympy.Expr, ...]:
        """The loss's targets (empty without a loss)."""
        return self.targets

    @property
    def target(self) -> sympy.Expr | None:
        """An expression's target y (None without a loss)."""
        return self.targets[0] if self.targets else None

    @property
    def circuit(self) -> Graph:
        """The graph (an expression's circuit)."""
        return self.graph

    @property
    def top(self) -> str:
        """The name of the differentiated node: ``L`` with a loss, else f's name."""
        return self.graph.nodes[self.graph.top].name

    @property
    def nodes(self) -> tuple[Node, ...]:
        return tuple(self.graph.nodes)

    @property
    def exact_pass(self) -> Pass:
        """The exact pass (SymEngine values, partials and gradients of every node)."""
        return self._exact

    # --- exact values
    @cached_property
    def output(self):
        values = [to_sympy(self._exact.values[o]) for o in self.graph.outputs]
        return values if self.graph.output_vector else values[0]

    @cached_property
    def loss(self) -> sympy.Expr | None:
        return None if self.graph.loss is None else to_sympy(self._exact.values[self.graph.top])

    @cached_property
    def grad(self) -> Mapping[str, sympy.Expr]:
        return LazyMapping(self._differentiated(), lambda name: to_sympy(self._exact.gradients[self.graph.index[name]]))

    @cached_property
    def values(self) -> Mapping[str, sympy.Expr]:
        return LazyMapping(list(self._exact_named), lambda name: to_sympy(self._exact_named[name]))

    def exact(self, name: str):
        """The exact value of a named quantity, of any node (an input, a parameter) or of any node's gradient (a
        frozen parameter's), as SymEngine holds it (cheap; no conversion to SymPy)."""
        found = self._exact_named.get(name)
        if found is not None:
            return found
        prefix = f"d{self.top}/d"
        if name.startswith(prefix) and name[len(prefix):] in self.graph.index:
            return self._exact.gradients[self.graph.index[name[len(prefix):]]]
        return self._exact.values[self.graph.index[name]]

    @cached_property
    def _exact_named(self) -> dict:
        return self.named_quantities(self._exact)

    def _differentiated(self) -> list[str]:
        graph = self.graph
        return [graph.nodes[i].name for i in graph.parameters if graph.nodes[i].name not in graph.frozen]

    def named_quantities(self, the_pass: Pass) -> dict:
        """Every named quantity of one pass, in node order: each node's value (a network's inputs and parameters
        are given, not computed: they have none), then ``d{top}/d{node}`` for every node but the top, the inputs
        and frozen parameters."""
        names, values_of = self._named
        return dict(zip(names, values_of(the_pass)))

    @cached_property
    def _named(self) -> tuple[list[str], Callable[[Pass], list]]:
        """The names of :meth:`named_quantities`, worked out once, and how to pick their values from a pass (in
        the same order)."""
        graph, top = self.graph, self.top
        nodes = graph.nodes
        value_ids = [i for i, node in enumerate(nodes) if node.kind not in ("input", "parameter")]
        gradient_ids = [i for i, (node, gradient) in enumerate(zip(nodes, self._exact.gradients))
                        if gradient is not None and node.name != top and node.name not in graph.frozen]
        names = [nodes[i].name for i in value_ids] + [f"d{top}/d{nodes[i].name}" for i in gradient_ids]

        def values_of(the_pass: Pass) -> list:
            values, gradients = the_pass.values, the_pass.gradients
            return [values[i] for i in value_ids] + [gradients[i] for i in gradient_ids]

        return names, values_of

    @cached_property
    def edges(self) -> tuple[Edge, ...]:
        """Every wire, in evaluation order of the children, with its local and upstream gradients."""
        return tuple(Edge(edge.child, edge.parent, edge.position, edge.expression, to_sympy(edge.local),
                          to_sympy(edge.upstream), to_sympy(edge.contribution)) for edge in self.exact_edges)

    @cached_property
    def exact_edges(self) -> tuple[Edge, ...]:
        """:attr:`edges` with the values as SymEngine holds them (cheap; no conversion to SymPy, which takes
        minutes for a value of many nodes)."""
        the_pass, nodes = self._exact, self.graph.nodes
        found = []
        for child, position, parent in self._wires():
            node = nodes[child]
            expression = node.partials[position] if node.partials else None
            found.append(Edge(node.name, nodes[parent].name, position, expression, the_pass.partials[child][position],
                              the_pass.gradients[child], the_pass.contribution(child, position)))
        return tuple(found)

    def _wires(self) -> list[tuple[int, int, int]]:
        graph = self.graph
        return [(child, position, parent) for child, node in enumerate(graph.nodes)
                for position, parent in node.node_operands() if graph.nodes[parent].kind != "input"]

    # --- decimals
    def decimals(self, digits: int = 30) -> dict[str, Decimal]:
        """Every named quantity correctly rounded to ``digits`` significant digits (ties half up).

        Computed node by node in decimal arithmetic at growing precision, never from the exact closed form.
        """
        _check_digits(digits)
        if digits not in self._rounded:
            names, values_of = self._named
            self._rounded[digits] = dict(zip(names, self._rounded_values(values_of, digits)))
        return dict(self._rounded[digits])

    def edge_decimals(self, digits: int = 30) -> list[EdgeDecimals]:
        """Each edge's local gradient, upstream gradient and contribution correctly rounded, in ``edges`` order."""
        wires = self._wires()

        def quantities(the_pass: Pass) -> dict:
            found = {}
            for k, (child, position, _) in enumerate(wires):
                found[f"edge {k} local"] = the_pass.partials[child][position]
                found[f"edge {k} upstream"] = the_pass.gradients[child]
                found[f"edge {k} contribution"] = the_pass.contribution(child, position)
            return found

        rounded = self.rounded(quantities, digits)
        return [EdgeDecimals(*(rounded[f"edge {k} {what}"] for what in ("local", "upstream", "contribution")))
                for k in range(len(wires))]

    def rounded(self, quantities: Callable[[Pass], Mapping[str, object]], digits: int) -> dict[str, Decimal]:
        """Correctly rounded decimals of ``quantities(pass)``: the same function gives the exact values on the
        exact pass and decimals on a decimal pass, which runs the whole graph at one precision, following the
        exact pass's branches at kinks and ties."""
        _check_digits(digits)
        names = list(quantities(self._exact))
        return dict(zip(names, self._rounded_values(lambda the_pass: list(quantities(the_pass).values()), digits)))

    def _rounded_values(self, values_of: Callable[[Pass], Sequence], digits: int) -> list[Decimal]:
        """Correctly rounded decimals of ``values_of(pass)``, by position; the exact values are looked at once
        (which are 0, which rational) and each decimal pass is run once per precision."""
        exact = values_of(self._exact)

        def evaluate() -> Sequence[Decimal]:
            try:
                return values_of(compute_pass(self.graph, DECIMAL, self.point, self.targets, follow=self._exact))
            except decimal.DecimalException as err:
                raise decimal_failure(err) from err

        rounded = correctly_rounded_values(evaluate, digits, [is_exact_zero(value) for value in exact])
        return [trimmed(value, exact_value) for value, exact_value in zip(rounded, exact)]

    def __repr__(self) -> str:
        loss = f", loss={self.loss}" if self.graph.loss is not None else ""
        return f"BackpropResult(output={self.output}{loss})"


CircuitResult = BackpropResult
"""The result of an expression problem: the same type (the name the API has always shown)."""


def decimal_failure(err: decimal.DecimalException) -> NumericError:
    """The error a decimal pass that failed with ``err`` ends in: an overflow says what is too large.

    >>> str(decimal_failure(decimal.Overflow()))[:60]
    'a value too large for any decimal (past 10^(10^18)): an expo'
    """
    if isinstance(err, decimal.Overflow):
        return NumericError("a value too large for any decimal (past 10^(10^18)): an exponential or a power of a "
                            "number far too large, such as e^(1e1000)")
    return NumericError("a decimal value overflows or is undefined (a number far too large for an exponential?)")


def _check_digits(digits) -> None:
    if not valid_rounding(digits):
        raise ArgumentError(f"digits must be a whole number from 1 to 1000 (or a Rounding), got {digits!r}")
