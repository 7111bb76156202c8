"""The Python API: exact forward pass, loss and gradients of a problem's network, and SGD updates."""

from __future__ import annotations

from collections.abc import Mapping
import decimal
from decimal import Decimal
from functools import cached_property
from typing import Callable, Iterator, Sequence

import sympy
import symengine
from fractions import Fraction

from .arithmetic import DECIMAL, EXACT
from .errors import ArgumentError, ParseError, SymbackError
from .graph import Graph, build_graph
from .model import ActivationSpec, LossSpec, Problem
from .passes import Pass, run_pass
from .rounding import correctly_rounded
from .safe_parse import exact_number
from .tidy import tidy


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
        return {name: _exact_form(value, exact[name]) for name, value in rounded.items()}

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


def _exact_form(rounded: Decimal, exact) -> Decimal:
    """Drop trailing zeros where the decimal is the exact value itself (4, not 4.000; 0.5, not 0.5000).

    >>> _exact_form(Decimal("4.000"), symengine.Integer(4)), _exact_form(Decimal("1.000E+30"), symengine.Integer(10**30))
    (Decimal('4'), Decimal('1E+30'))
    """
    if isinstance(exact, (symengine.Integer, symengine.Rational)):
        numerator, denominator = (int(part) for part in exact.get_num_den())
        if Fraction(rounded) == Fraction(numerator, denominator):
            return plain_exact(rounded)
    return rounded


def plain_exact(rounded: Decimal) -> Decimal:
    """A decimal known to be exact without its trailing zeros: an integer of up to 28 digits written out, any
    other number in its shortest form (no rounding: nothing is left to round)."""
    if rounded == rounded.to_integral_value() and rounded.adjusted() < 28:
        return Decimal(int(rounded))
    return rounded.normalize(decimal.Context(prec=max(len(rounded.as_tuple().digits), 1)))


def _of(the_pass: Pass, graph: Graph, name: str):
    if name.startswith("dL/d"):
        node_id = graph.index[name[4:]]
        if graph.nodes[node_id].kind == "parameter":
            return the_pass.gradient(node_id)
        return the_pass.adjoints[node_id]
    return the_pass.values[graph.index[name]]


def backprop(
    problem: Problem,
    x=None,
    y=None,
    *,
    activation: Mapping[int, ActivationSpec | str] | None = None,
    loss: str | None = None,
    parameters: Mapping[str, object] | None = None,
    values: Mapping[str, object] | None = None,
):
    """Exact forward pass, loss and gradients of ``problem``'s network at input ``x`` and target ``y``.

    ``activation`` replaces layers' activations ({1: "zero"}), ``loss`` the loss kind, ``parameters`` some
    parameter values (numbers in any form the problem file accepts).

    For an expression problem (``[expression]``) there is no x: ``values`` (or ``parameters``) override
    variables of ``expression.at``, and a target ``y`` puts the loss around f; the result is a
    :class:`symback.circuit_api.CircuitResult` (see :func:`symback.circuit_api.backprop_expression`).

    >>> import symback
    >>> p = symback.loads('''
    ... title = "one weight"
    ... [network]
    ... inputs = 1
    ... [[network.layers]]
    ... weights = "W"
    ... values = [[3]]
    ... activation = "identity"
    ... [loss]
    ... kind = "squared_error"
    ... ''')
    >>> r = symback.backprop(p, x=2, y=1)
    >>> r.output, r.loss, dict(r.grad)
    ([6], 25, {'w11': 20})
    """
    if problem.expression is not None:
        from .circuit_api import backprop_expression  # the circuit engine sits beside the network's

        if x is not None:
            raise ArgumentError("an expression problem has no input x: set its variables with values={...}")
        if activation:
            raise ArgumentError("an expression has no layers to change the activation of")
        return backprop_expression(problem, values={**(parameters or {}), **(values or {})}, y=y, loss=loss)
    if values is not None:
        raise ArgumentError("values= sets an expression's variables; a network's input is x")
    if x is None or y is None:
        raise ArgumentError("a network problem needs an input x and a target y")
    network = problem.network
    overrides = {
        int(layer): spec if isinstance(spec, ActivationSpec) else ActivationSpec(spec)
        for layer, spec in (activation or {}).items()
    }
    graph = build_graph(network, LossSpec(loss) if loss else problem.loss, overrides)
    inputs = exact_vector(x, len(network.inputs), "x")
    targets = exact_vector(y, network.outputs, "y")
    values = dict(network.parameters)
    for name, value in (parameters or {}).items():
        if name not in values:
            raise ArgumentError(f"unknown parameter {name!r}")
        values[name] = exact_vector(value, 1, name)[0]
    ordered = [values[graph.nodes[p].name] for p in graph.parameters]
    return BackpropResult(problem, graph, inputs, targets, ordered)


def sgd(problem: Problem, grad: Mapping[str, object], lr, *, parameters: Mapping[str, object] | None = None) -> dict:
    """One step of gradient descent: θ' = θ − lr · ∂L/∂θ for every parameter in ``grad``, exactly.

    >>> import symback, sympy
    >>> p = symback.loads('title = "t"\\n[network]\\ninputs = 1\\n[[network.layers]]\\nweights = "W"\\n'
    ...                   'values = [[3]]\\nactivation = "identity"\\n[loss]\\nkind = "squared_error"\\n')
    >>> symback.sgd(p, {"w11": 20}, lr=0.1)
    {'w11': 1}

    For an expression problem the parameters are ``expression.params`` (every variable by default); ``grad``
    may hold other variables too, which keep their values (see :func:`symback.circuit_api.sgd_expression`).
    """
    if problem.expression is not None:
        from .circuit_api import sgd_expression

        return sgd_expression(problem, grad, lr, values=parameters)
    network = problem.network
    rate = exact_vector(lr, 1, "lr")[0]
    current = dict(network.parameters)
    current.update({name: exact_vector(v, 1, name)[0] for name, v in (parameters or {}).items()})
    updated = {}
    for name, gradient in grad.items():
        if name not in current:
            raise ArgumentError(f"unknown parameter {name!r}")
        if name in network.frozen:
            raise ArgumentError(f"parameter {name!r} is frozen")
        gradient = gradient if isinstance(gradient, sympy.Basic) else exact_vector(gradient, 1, f"dL/d{name}")[0]
        updated[name] = current[name] - rate * gradient
    return updated
