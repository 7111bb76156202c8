"""The Python API: exact forward pass, loss and gradients of a problem's network, and SGD updates."""

from __future__ import annotations

import decimal
from collections.abc import Mapping
from decimal import Decimal
from functools import cached_property
from typing import Callable, Iterator, Sequence

import sympy

from ..errors import ArgumentError, ParseError, SymbackError
from ..numbers.arithmetic import DECIMAL, EXACT
from ..numbers.parse import exact_number
from ..numbers.rounding import correctly_rounded, trimmed
from ..numbers.tidy import tidy
from ..problem.model import Problem
from .network import Graph
from .passes import Pass, run_pass


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


class NumericError(SymbackError):
    """A decimal pass that cannot be computed (an overflow, a logarithm of 0)."""

    def in_exercise(self, source: str | None, exercise_id: str) -> "NumericError":
        """The same error naming the file and the exercise it happened in, as a line of the CLI does.

        >>> str(NumericError("overflow").in_exercise("p.toml", "2"))
        'p.toml: exercises[id=2]: overflow'
        """
        where = ": ".join(part for part in (source, f"exercises[id={exercise_id}]") if part)
        return NumericError(f"{where}: {self}")


class LazyMapping(Mapping):
    """A read-only mapping whose values are computed on first access (exact values can be large)."""

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


class BackpropResult:
    """Exact results of one forward and backward pass; decimals on request.

    ``output`` and ``loss`` are exact SymPy values, ``grad`` maps each trainable parameter to ∂L/∂θ (exact),
    ``values`` maps every named quantity (forward values, ``L``, adjoints ``dL/dz1_2``, gradients
    ``dL/da22``) to its exact value.
    """

    def __init__(self, problem: Problem, graph: Graph, x, y, parameters):
        self.problem = problem
        self.graph = graph
        self.x = x
        self.y = y
        self._parameters = parameters
        self._exact: Pass = run_pass(graph, EXACT, x, y, parameters)
        self._trainable = [
            graph.nodes[p].name for p in graph.parameters if graph.nodes[p].name not in problem.network.frozen
        ]

    @cached_property
    def output(self) -> list[sympy.Expr]:
        return [to_sympy(self._exact.values[o]) for o in self.graph.outputs]

    @cached_property
    def loss(self) -> sympy.Expr:
        return to_sympy(self._exact.values[self.graph.loss_node])

    @cached_property
    def grad(self) -> Mapping[str, sympy.Expr]:
        index = self.graph.index
        return LazyMapping(self._trainable, lambda name: to_sympy(self._exact.gradient(index[name])))

    @cached_property
    def values(self) -> Mapping[str, sympy.Expr]:
        return LazyMapping(list(self._names()), lambda name: to_sympy(self._exact_of(name)))

    def exact(self, name: str):
        """The exact value of a named quantity as SymEngine holds it (cheap; no conversion to SymPy)."""
        return self._exact_of(name)

    def decimals(self, digits: int = 30) -> dict[str, Decimal]:
        """Every named quantity correctly rounded to ``digits`` significant digits (ties half up).

        Computed node by node in decimal arithmetic at growing precision, never from the exact closed form.
        """
        return self.rounded(self.named_quantities, digits)

    def named_quantities(self, the_pass: Pass) -> dict:
        """Every named quantity of one pass, in one sweep: forward values, L, adjoints, parameter gradients."""
        graph, loss_node = self.graph, self.graph.loss_node
        computed = [i for i, node in enumerate(graph.nodes) if node.kind not in ("input", "parameter")]
        found = {graph.nodes[i].name: the_pass.values[i] for i in computed}
        found.update({f"dL/d{graph.nodes[i].name}": the_pass.adjoints[i] for i in computed if i != loss_node})
        gradients = the_pass.gradients()
        found.update({f"dL/d{name}": gradients[graph.index[name]] for name in self._trainable})
        return found

    def rounded(self, quantities: Callable[[Pass], Mapping[str, object]], digits: int) -> dict[str, Decimal]:
        """Correctly rounded decimals of ``quantities(pass)``: the same function gives the exact values on the
        exact pass and decimals on a decimal pass, which runs the whole graph at one precision."""
        if not isinstance(digits, int) or isinstance(digits, bool) or not 1 <= digits <= 1000:
            raise ArgumentError(f"digits must be a whole number from 1 to 1000, got {digits!r}")
        exact = quantities(self._exact)
        zeros = [name for name, value in exact.items() if value == 0]

        def evaluate() -> Mapping[str, Decimal]:
            try:
                return quantities(run_pass(self.graph, DECIMAL, self.x, self.y, self._parameters))
            except decimal.DecimalException as err:
                raise NumericError(
                    "a decimal value overflows or is undefined (a number far too large for an exponential?)"
                ) from err

        rounded = correctly_rounded(evaluate, digits, zeros)
        return {name: trimmed(value, exact[name]) for name, value in rounded.items()}

    @property
    def exact_pass(self) -> Pass:
        """The exact pass (SymEngine values of every node and adjoint)."""
        return self._exact

    def _names(self) -> list[str]:
        return list(self.named_quantities(self._exact))

    def _exact_of(self, name: str):
        return _of(self._exact, self.graph, name)

    def __repr__(self) -> str:
        return f"BackpropResult(output={self.output}, loss={self.loss})"


def _of(the_pass: Pass, graph: Graph, name: str):
    if name.startswith("dL/d"):
        node_id = graph.index[name[4:]]
        if graph.nodes[node_id].kind == "parameter":
            return the_pass.gradient(node_id)
        return the_pass.adjoints[node_id]
    return the_pass.values[graph.index[name]]
