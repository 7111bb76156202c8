"""Gradients, losses, outputs, decimals and SGD of symback checked against routes written here, independently.

Route A builds the whole loss of a network as one SymPy expression from the spec (own forward code z = W h + b
with a Symbol for every parameter, own activations and losses written with exp/log/atan), differentiates it with
``sympy.diff`` by every parameter symbol (and by a perturbation symbol added to every named node, for the
adjoints ∂L/∂z, ∂L/∂h, ∂L/∂ŷ) and evaluates at 160 digits (one ``lambdify`` to mpmath per network).
Route B runs an own float-free mpmath forward pass at 60 digits and takes central finite differences.
Product values are evaluated with SymEngine/MPFR at the same precision. No expected value below is typed in:
each comes from one of these routes (or from a hand derivation written out in SymPy in the test).

Runs in about 45 s on 2 cores (the property test about 25 s).
"""

from __future__ import annotations

import decimal
import fractions
from decimal import ROUND_HALF_UP, Decimal

import mpmath
import pytest
import symengine
import sympy
from deadline import no_hang
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from symback.engine.backprop import backprop, sgd
from symback.errors import ArgumentError, SymbackError
from symback.problem.model import (
    ActivationSpec,
    LayerSpec,
    LossSpec,
    NetworkSpec,
    Problem,
)

R = sympy.Rational

# ---------------------------------------------------------------------------------------------------------------
# Own activations: SymPy (route A) and mpmath (route B). Custom expressions are re-typed here by hand.
#
# Route A writes a kinked function (relu, leaky relu, abs, max) as the branch that holds around the evaluation
# point: the loss is then the same function of the parameters in a neighbourhood of that point, so its derivative
# there is the same, and SymPy differentiates smooth expressions only (fast, no Piecewise). Points on or next to a
# kink are excluded from the random tests; the kink conventions have their own test.
# ---------------------------------------------------------------------------------------------------------------

CUSTOM_SYMPY = {  # expression text -> f(z, s) with s = sign of z at the point (+1 or -1)
    "z/(1+abs(z))": lambda z, s: z / (1 + s * z),
    "z*sigmoid(z)": lambda z, s: z / (1 + sympy.exp(-z)),
    "exp(-z^2)": lambda z, s: sympy.exp(-(z**2)),
    "atan(z) + z/4": lambda z, s: sympy.atan(z) + z / 4,
    "z^3/3 - z": lambda z, s: z**3 / 3 - z,
    "max(z, z/3)": lambda z, s: z if s > 0 else z / 3,
}
CUSTOM_MPMATH = {
    "z/(1+abs(z))": lambda z: z / (1 + abs(z)),
    "z*sigmoid(z)": lambda z: z / (1 + mpmath.exp(-z)),
    "exp(-z^2)": lambda z: mpmath.exp(-(z**2)),
    "atan(z) + z/4": lambda z: mpmath.atan(z) + z / 4,
    "z^3/3 - z": lambda z: z**3 / 3 - z,
    "max(z, z/3)": lambda z: max(z, z / 3),
}
KINKED_CUSTOM = {"max(z, z/3)"}  # abs in z/(1+|z|) is harmless: both branches have f(0) = 0, f'(0) = 1


def has_kink(spec: ActivationSpec) -> bool:
    return spec.kind in ("relu", "leaky_relu") or (spec.kind == "custom" and spec.expression in KINKED_CUSTOM)


def leaky_slope(spec: ActivationSpec):
    return spec.slope if spec.slope is not None else R(1, 100)  # the documented default


def sympy_activation(spec: ActivationSpec, z, sign: int):
    kind = spec.kind
    if kind == "sigmoid":
        return 1 / (1 + sympy.exp(-z))
    if kind == "tanh":
        return (1 - sympy.exp(-2 * z)) / (1 + sympy.exp(-2 * z))
    if kind == "relu":
        return z if sign > 0 else sympy.Integer(0)
    if kind == "leaky_relu":
        return z if sign > 0 else leaky_slope(spec) * z
    if kind == "identity":
        return z
    if kind == "softplus":
        return sympy.log(1 + sympy.exp(z))
    if kind == "zero":
        return sympy.Integer(0)
    if kind == "custom":
        return CUSTOM_SYMPY[spec.expression](z, sign)
    raise AssertionError(kind)


def mpmath_activation(spec: ActivationSpec, z):
    kind = spec.kind
    if kind == "sigmoid":
        return 1 / (1 + mpmath.exp(-z))
    if kind == "tanh":
        return mpmath.tanh(z)
    if kind == "relu":
        return z if z > 0 else mpmath.mpf(0)
    if kind == "leaky_relu":
        return z if z > 0 else mpmath.mpf(leaky_slope(spec).p) / leaky_slope(spec).q * z
    if kind == "identity":
        return z
    if kind == "softplus":
        return mpmath.log(1 + mpmath.exp(z))
    if kind == "zero":
        return mpmath.mpf(0)
    if kind == "custom":
        return CUSTOM_MPMATH[spec.expression](z)
    raise AssertionError(kind)


def output_names(count: int) -> list[str]:
    return ["yhat"] if count == 1 else [f"yhat{k}" for k in range(1, count + 1)]


# ---------------------------------------------------------------------------------------------------------------
# Numbers at high precision
# ---------------------------------------------------------------------------------------------------------------

DPS = 160  # working digits for every reference value (inputs are small, so cancellation costs < 40 digits)
BITS = int(DPS * 3.33) + 16


def high(expr):
    """A constant SymPy or SymEngine expression (the product's, or an exact reference value) as an mpf."""
    expr = expr if isinstance(expr, symengine.Basic) else symengine.sympify(sympy.sympify(expr))
    value = expr.n(BITS, real=True)
    with mpmath.workdps(DPS):
        return mpmath.mpf(str(value))


def close(a, b, rel="1e-50", absolute="1e-55") -> bool:
    """|a − b| <= max(rel·|b|, absolute); a and b are mpf or constant SymPy expressions."""
    with mpmath.workdps(DPS):
        a = a if isinstance(a, mpmath.mpf) else high(a)
        b = b if isinstance(b, mpmath.mpf) else high(b)
        return abs(a - b) <= max(mpmath.mpf(rel) * abs(b), mpmath.mpf(absolute))


def half_up(value, digits: int) -> Decimal:
    """``value`` (an mpf) rounded to ``digits`` significant digits, ties half up (away from zero)."""
    if value == 0:
        return Decimal(0)
    with mpmath.workdps(max(mpmath.mp.dps, digits + 40)):
        text = mpmath.nstr(value, digits + 30, min_fixed=-mpmath.inf, max_fixed=mpmath.inf)
    return decimal.Context(prec=digits, rounding=ROUND_HALF_UP).create_decimal(text)


def rounds_to(got: Decimal, value, digits: int) -> bool:
    """``got`` is ``value`` correctly rounded; a value below 1e-100 counts as an exact zero (no rational here is
    that small, so it is a zero that came out of the high-precision evaluation as rounding noise)."""
    if abs(value) < mpmath.mpf("1e-100"):
        return got == 0 or abs(got) < Decimal("1e-90")
    return got == half_up(value, digits)


# ---------------------------------------------------------------------------------------------------------------
# Route A: the whole loss in SymPy
# ---------------------------------------------------------------------------------------------------------------


def sympy_loss(kind: str, outputs, targets):
    if kind == "squared_error":
        return sympy.Add(*[(o - t) ** 2 for o, t in zip(outputs, targets)])
    if kind == "half_squared_error":
        return sympy.Add(*[(o - t) ** 2 for o, t in zip(outputs, targets)]) / 2
    if kind == "mean_squared_error":
        return sympy.Add(*[(o - t) ** 2 for o, t in zip(outputs, targets)]) / len(outputs)
    if kind == "binary_cross_entropy":
        return -sympy.Add(*[t * sympy.log(o) + (1 - t) * sympy.log(1 - o) for o, t in zip(outputs, targets)])
    if kind == "softmax_cross_entropy":
        (hot,) = [k for k, t in enumerate(targets) if t == 1]
        return sympy.log(sympy.Add(*[sympy.exp(o) for o in outputs])) - outputs[hot]
    raise AssertionError(kind)


def mpmath_loss(kind: str, outputs, targets):
    if kind in ("squared_error", "half_squared_error", "mean_squared_error"):
        total = mpmath.fsum((o - t) ** 2 for o, t in zip(outputs, targets))
        return total if kind == "squared_error" else total / (2 if kind == "half_squared_error" else len(outputs))
    if kind == "binary_cross_entropy":
        return -mpmath.fsum(t * mpmath.log(o) + (1 - t) * mpmath.log(1 - o) for o, t in zip(outputs, targets))
    if kind == "softmax_cross_entropy":
        (hot,) = [k for k, t in enumerate(targets) if t == 1]
        return mpmath.log(mpmath.fsum(mpmath.exp(o) for o in outputs)) - outputs[hot]
    raise AssertionError(kind)


class Reference:
    """The whole loss of a problem at input x, target y as one SymPy expression in parameter symbols.

    Every named node (pre-activation z, activation h, output) gets its own perturbation symbol added, so that
    ∂L/∂node is the derivative by that symbol at 0. Node names follow the documented scheme: z{l}_{u} and
    h{l}_{u}, a layer with the identity has only z{l}_{u}, the last layer's output is yhat or yhat1…yhatK.
    """

    def __init__(self, problem: Problem, x, y, overrides=None):
        network = problem.network
        overrides = dict(overrides or {})
        self.params = {name: sympy.Symbol(f"p_{name}", real=True) for name in network.parameters}
        self.eps: list = []
        self.nodes: dict = {}  # name -> (expression, perturbation symbol)
        self.pre_activations: list = []  # (mpf value, spec) of every pre-activation that goes into an activation
        self.substitution = {self.params[n]: v for n, v in network.parameters.items()}
        self.trainable = [n for n in network.parameters if n not in network.frozen]

        def entry(e):
            return self.params[e] if isinstance(e, str) else e

        def perturbed(name, expr):
            e = sympy.Symbol(f"eps_{name}", real=True)
            self.eps.append(e)
            self.substitution[e] = sympy.Integer(0)
            self.nodes[name] = (expr + e, e)
            return expr + e

        h = [sympy.sympify(v) for v in x]
        for number, layer in enumerate(network.layers, start=1):
            spec = overrides.get(number, layer.activation)
            spec = spec if isinstance(spec, ActivationSpec) else ActivationSpec(spec)
            last = number == len(network.layers)
            below, h = h, []
            for unit, row in enumerate(layer.weights, start=1):
                z = sympy.Add(*[entry(w) * v for w, v in zip(row, below)])
                if layer.bias is not None:
                    z += entry(layer.bias[unit - 1])
                out_name = output_names(layer.units)[unit - 1] if last else None
                if spec.kind == "identity":
                    h.append(perturbed(out_name or f"z{number}_{unit}", z))
                    continue
                z = perturbed(f"z{number}_{unit}", z)
                value = high(self.exact(z))
                self.pre_activations.append((value, spec))
                h.append(perturbed(out_name or f"h{number}_{unit}", sympy_activation(spec, z, 1 if value > 0 else -1)))
        self.outputs = h
        self.loss = sympy_loss(problem.loss.kind, h, [sympy.sympify(t) for t in y])

    def finite_difference_tolerance(self) -> str:
        """1e-25 relative; at z = 0 of z/(1+|z|), whose second derivative jumps there, the central difference
        is only first-order accurate: 1e-18."""
        rough = any(
            spec.kind == "custom" and spec.expression == "z/(1+abs(z))" and abs(value) < mpmath.mpf("1e-12")
            for value, spec in self.pre_activations
        )
        return "1e-18" if rough else "1e-25"

    def usable(self, largest=40, margin="1e-12") -> bool:
        """No kinked activation at (or next to) its kink, and pre-activations of moderate size."""
        return all(
            abs(value) <= largest and not (has_kink(spec) and abs(value) < mpmath.mpf(margin))
            for value, spec in self.pre_activations
        )

    # exact values (small networks)
    def exact(self, expr):
        return expr.xreplace(self.substitution)

    def exact_gradient(self, name):
        return self.exact(sympy.diff(self.loss, self.params[name]))

    def exact_adjoint(self, node):
        return self.exact(sympy.diff(self.loss, self.nodes[node][1]))

    # every named quantity at DPS digits
    def numeric(self) -> dict:
        """name -> mpf: L, every node, dL/d(node), dL/d(trainable parameter); diff by SymPy, one lambdify."""
        names = ["L"] + list(self.nodes)
        expressions = [self.loss] + [expr for expr, _ in self.nodes.values()]
        for node, (_, e) in self.nodes.items():
            names.append(f"dL/d{node}")
            expressions.append(sympy.diff(self.loss, e))
        for name in self.params:
            names.append(f"grad:{name}")
            expressions.append(sympy.diff(self.loss, self.params[name]))
        symbols = list(self.substitution)
        function = sympy.lambdify(symbols, expressions, modules="mpmath", cse=True)
        with mpmath.workdps(DPS):
            arguments = [high(self.substitution[s]) for s in symbols]
            values = function(*arguments)
        return dict(zip(names, values))


def route_b_loss(problem: Problem, x, y, parameter_values: dict):
    """Own mpmath forward pass (no floats) at the current mp.dps."""
    network = problem.network

    def entry(e):
        return parameter_values[e] if isinstance(e, str) else high(e)

    h = [high(v) for v in x]
    for layer in network.layers:
        below, h = h, []
        for row, bias in zip(layer.weights, layer.bias or [0] * layer.units):
            z = mpmath.fsum(entry(w) * v for w, v in zip(row, below)) + entry(bias)
            h.append(mpmath_activation(layer.activation, z))
    return mpmath_loss(problem.loss.kind, h, [high(t) for t in y])


# ---------------------------------------------------------------------------------------------------------------
# Random problems
# ---------------------------------------------------------------------------------------------------------------

small_rationals = st.builds(R, st.integers(-3, 3), st.integers(1, 3))
nonzero_rationals = small_rationals.filter(lambda r: r != 0)

HIDDEN_ACTIVATIONS = [
    ActivationSpec("sigmoid"),
    ActivationSpec("tanh"),
    ActivationSpec("relu"),
    ActivationSpec("leaky_relu"),  # default slope 1/100
    ActivationSpec("leaky_relu", slope=R(1, 5)),
    ActivationSpec("identity"),
    ActivationSpec("softplus"),
    ActivationSpec("zero"),
] + [ActivationSpec("custom", expression=e) for e in CUSTOM_SYMPY]
hidden_activations = st.sampled_from(HIDDEN_ACTIVATIONS)
LOSSES = ["squared_error", "half_squared_error", "mean_squared_error", "binary_cross_entropy", "softmax_cross_entropy"]


@st.composite
def problems(draw, losses=st.sampled_from(LOSSES), first_hidden=None):
    """A random small network with its loss, x and y. Returns (problem, x, y, lr).

    ``first_hidden`` fixes the first hidden layer's activation (the others are drawn)."""
    n_inputs = draw(st.integers(1, 3))
    hidden = draw(st.lists(st.integers(1, 3), min_size=1, max_size=2))
    n_outputs = draw(st.integers(1, 3))
    loss = draw(losses)
    if loss == "binary_cross_entropy":
        last = ActivationSpec("sigmoid")
    elif loss == "softmax_cross_entropy":
        last = ActivationSpec("identity")
    else:
        last = draw(st.sampled_from(["identity", "sigmoid", "tanh"]).map(ActivationSpec))

    parameters: dict = {}
    counter = [0]

    def draw_entry(prefix):
        choice = draw(st.sampled_from(["param"] * 6 + ["tied", "constant"]))
        if choice == "tied" and parameters:
            return draw(st.sampled_from(sorted(parameters)))
        if choice == "constant":
            return draw(st.one_of(nonzero_rationals, st.just(sympy.sqrt(2)), st.just(-1 / sympy.sqrt(3))))
        counter[0] += 1
        name = f"{prefix}{counter[0]}"
        parameters[name] = draw(small_rationals)
        return name

    layers = []
    widths = [n_inputs] + hidden + [n_outputs]
    for number in range(1, len(widths)):
        prefix = "abcd"[number - 1]
        weights = tuple(tuple(draw_entry(prefix) for _ in range(widths[number - 1])) for _ in range(widths[number]))
        bias = tuple(draw_entry("c" + prefix) for _ in range(widths[number])) if draw(st.booleans()) else None
        if number == len(widths) - 1:
            activation = last
        elif number == 1 and first_hidden is not None:
            activation = first_hidden
        else:
            activation = draw(hidden_activations)
        layers.append(LayerSpec(weights, activation, bias=bias))
    assume(parameters)
    frozen = frozenset(draw(st.lists(st.sampled_from(sorted(parameters)), max_size=1)))
    network = NetworkSpec(tuple(f"x{i}" for i in range(1, n_inputs + 1)), tuple(layers), parameters, frozen=frozen)
    problem = Problem("random", network, LossSpec(loss))

    x = draw(st.lists(st.builds(R, st.integers(-2, 2), st.integers(1, 3)), min_size=n_inputs, max_size=n_inputs))
    if loss == "binary_cross_entropy":
        y = draw(st.lists(st.builds(lambda n: R(n, 4), st.integers(0, 4)), min_size=n_outputs, max_size=n_outputs))
    elif loss == "softmax_cross_entropy":
        hot = draw(st.integers(0, n_outputs - 1))
        y = [sympy.Integer(int(k == hot)) for k in range(n_outputs)]
    else:
        y = draw(st.lists(st.builds(R, st.integers(-4, 4), st.integers(1, 4)), min_size=n_outputs, max_size=n_outputs))
    lr = draw(st.builds(R, st.integers(1, 10), st.integers(1, 10)))
    return problem, x, y, lr


def as_api_numbers(values, style):
    """The same exact numbers in one of the forms the API accepts."""
    if style == "str":
        return [str(v) for v in values]
    if style == "fraction":
        return [fractions.Fraction(int(v.p), int(v.q)) for v in values]
    return list(values)


# ---------------------------------------------------------------------------------------------------------------
# 1. Property test
# ---------------------------------------------------------------------------------------------------------------


QUICK_ACTIVATIONS = ("sigmoid",)  # the default run's; the rest run with -m slow


def _activation_cases():
    """Each hidden activation by index; all but a few built-in ones are slow property cases (CI runs them)."""
    for index, activation in enumerate(HIDDEN_ACTIVATIONS):
        name = activation.expression or f"{activation.kind}{activation.slope or ''}"
        marks = [] if activation.kind in QUICK_ACTIVATIONS and not activation.slope else [pytest.mark.slow]
        yield pytest.param(index, id=name, marks=marks)


@pytest.mark.parametrize("index", list(_activation_cases()))
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data(), style=st.sampled_from(["sympy", "str", "fraction"]))
def test_random_networks_against_sympy_and_finite_differences(index, data, style):
    """Every hidden activation on the first hidden layer (4 examples each); the loss list is rotated per
    activation so that each loss is also the first (simplest) choice for some activation."""
    rotated = LOSSES[index % len(LOSSES):] + LOSSES[: index % len(LOSSES)]
    case = data.draw(problems(st.sampled_from(rotated), first_hidden=HIDDEN_ACTIVATIONS[index]))
    problem, x, y, lr = case
    network = problem.network
    reference = Reference(problem, x, y)
    assume(reference.usable())
    event(f"loss {problem.loss.kind}")
    for layer in network.layers[:-1]:
        event(f"hidden {layer.activation.kind} {layer.activation.expression or ''}".strip())
    mine = reference.numeric()

    r = backprop(problem, x=as_api_numbers(x, style), y=as_api_numbers(y, style) if len(y) > 1 else y[0])

    # outputs and loss: the exact values agree with the own forward pass to 55 digits
    names = output_names(network.outputs)
    assert len(r.output) == len(names)
    for got, name in zip(r.output, names):
        assert close(got, mine[name], "1e-55", "1e-58"), (name, got, mine[name])
    assert close(r.loss, mine["L"], "1e-55", "1e-58"), (r.loss, mine["L"])
    exact_loss = reference.exact(reference.loss)
    if exact_loss.is_Rational:  # piecewise-linear networks: the loss is a rational number, compare exactly
        event("rational loss")
        assert close(r.loss, exact_loss, "1e-150", "1e-150")  # equal values (tanh(log(2)) is 3/5)
        for got, exact in zip(r.output, [reference.exact(o) for o in reference.outputs]):
            assert close(got, exact, "1e-150", "1e-150")

    # gradients: keys are exactly the trainable parameters; values = sympy.diff of the whole loss
    trainable = reference.trainable
    assert sorted(r.grad) == sorted(trainable)
    for name in trainable:
        assert isinstance(r.grad[name], sympy.Expr)
        assert close(r.grad[name], mine[f"grad:{name}"]), (name, r.grad[name], mine[f"grad:{name}"])
        assert close(r.exact(f"dL/d{name}"), mine[f"grad:{name}"]), name

    # route B: central differences of an own mpmath forward pass, 60 digits, h = 1e-20
    with mpmath.workdps(60):
        centre = {name: high(value) for name, value in network.parameters.items()}
        step = mpmath.mpf("1e-20")
        for name in trainable:
            plus, minus = dict(centre), dict(centre)
            plus[name] += step
            minus[name] -= step
            slope = (route_b_loss(problem, x, y, plus) - route_b_loss(problem, x, y, minus)) / (2 * step)
            exact = mine[f"grad:{name}"]
            tolerance = mpmath.mpf(reference.finite_difference_tolerance())
            assert abs(slope - exact) <= tolerance * max(abs(exact), 1), (name, slope, exact)
        assert abs(route_b_loss(problem, x, y, centre) - mine["L"]) <= mpmath.mpf("1e-50") * max(abs(mine["L"]), 1)

    # SGD: θ − lr·∂L/∂θ for every trainable parameter; a frozen one is refused
    updated = sgd(problem, r.grad, lr=lr)
    assert sorted(updated) == sorted(trainable)
    with mpmath.workdps(DPS):
        for name in trainable:
            expected = high(network.parameters[name]) - high(lr) * mine[f"grad:{name}"]
            assert close(updated[name], expected), (name, updated[name], expected)
    for name in network.frozen:
        with pytest.raises(ArgumentError):
            sgd(problem, {name: 0}, lr=lr)

    # 40-digit decimals of every named quantity: exactly the own value correctly rounded (half up)
    decimals = r.decimals(40)
    expected_keys = {"L"} | set(reference.nodes) | {f"dL/d{n}" for n in reference.nodes}
    expected_keys |= {f"dL/d{n}" for n in trainable}
    assert set(decimals) == expected_keys
    for key, got in decimals.items():
        own = mine[f"grad:{key[4:]}"] if key[4:] in reference.params else mine[key]
        assert rounds_to(got, own, 40), (key, got, half_up(own, 40) if own else 0)


# ---------------------------------------------------------------------------------------------------------------
# 2. The WS23 network
# ---------------------------------------------------------------------------------------------------------------


def ws23(activation="sigmoid") -> Problem:
    one = sympy.Integer
    parameters = {"a11": one(1), "a12": one(0), "a21": one(-2), "a22": one(1), "b11": one(1), "b12": one(-1)}
    network = NetworkSpec(
        ("x1", "x2"),
        (
            LayerSpec((("a11", "a12"), ("a21", "a22")), ActivationSpec(activation)),
            LayerSpec((("b11", "b12"),), ActivationSpec("identity")),
        ),
        parameters,
    )
    return Problem("WS23", network, LossSpec("squared_error"))


def ws23_loss_by_hand(f):
    """L(A, B) = (B f(A x) − y)² at x = (1, 3), y = 2, in parameter symbols, written out without the spec."""
    a11, a12, a21, a22, b11, b12 = symbols = sympy.symbols("a11 a12 a21 a22 b11 b12", real=True)
    x1, x2, y = 1, 3, 2
    yhat = b11 * f(a11 * x1 + a12 * x2) + b12 * f(a21 * x1 + a22 * x2)
    values = dict(zip(symbols, [sympy.Integer(v) for v in (1, 0, -2, 1, 1, -1)]))
    return dict(zip([str(s) for s in symbols], symbols)), values, yhat, (yhat - y) ** 2


def test_ws23_output_loss_gradients_and_sgd():
    problem = ws23()
    r = backprop(problem, x=[1, 3], y=2)
    names, values, yhat, loss = ws23_loss_by_hand(lambda z: 1 / (1 + sympy.exp(-z)))
    assert yhat.xreplace(values) == 0  # derived: σ(1) − σ(1)
    assert r.output == [yhat.xreplace(values)]
    assert r.output[0] == 0 and r.output[0].is_zero
    assert sympy.simplify(r.loss - loss.xreplace(values)) == 0
    for name in ("b12", "a22"):
        mine = sympy.diff(loss, names[name]).xreplace(values)
        assert sympy.simplify(r.grad[name] - mine) == 0, (name, r.grad[name], mine)
    # every parameter, also through the spec-driven reference
    reference = Reference(problem, [1, 3], [2])
    for name in names:
        assert sympy.simplify(r.grad[name] - sympy.diff(loss, names[name]).xreplace(values)) == 0
        assert sympy.simplify(r.grad[name] - reference.exact_gradient(name)) == 0
    updated = sgd(problem, {"b12": r.grad["b12"], "a22": r.grad["a22"]}, lr=2)
    assert set(updated) == {"b12", "a22"}
    for name in ("b12", "a22"):
        mine = values[names[name]] - 2 * sympy.diff(loss, names[name]).xreplace(values)
        assert sympy.simplify(updated[name] - mine) == 0


def test_ws23_zero_activation_leaves_a_unchanged():
    problem = ws23()
    r = backprop(problem, x=[1, 3], y=2, activation={1: "zero"})
    names, values, yhat, loss = ws23_loss_by_hand(lambda z: sympy.Integer(0))
    assert r.output == [yhat.xreplace(values)]
    assert r.loss == loss.xreplace(values)
    a_names = ["a11", "a12", "a21", "a22"]
    for name in names:
        mine = sympy.diff(loss, names[name]).xreplace(values)
        assert r.grad[name] == mine, (name, r.grad[name], mine)
    assert all(sympy.diff(loss, names[n]) == 0 for n in a_names)  # the derivation: no path through f ≡ 0
    updated = sgd(problem, {n: r.grad[n] for n in a_names}, lr="3.14")
    assert updated == {n: values[names[n]] for n in a_names}
    decimals = r.decimals(30)
    for name in a_names:
        assert decimals[f"dL/d{name}"] == 0
    # the override does not leak into the next call
    again = backprop(problem, x=[1, 3], y=2)
    assert again.output == [0] and any(again.grad[n] != 0 for n in a_names)


# ---------------------------------------------------------------------------------------------------------------
# 3. Tied and frozen parameters, several outputs; relu kink conventions
# ---------------------------------------------------------------------------------------------------------------


def three_output_problem(entries_first, entries_second, parameters, frozen=frozenset(), loss="half_squared_error"):
    last = "identity" if loss == "softmax_cross_entropy" else "sigmoid"
    network = NetworkSpec(
        ("x1", "x2"),
        (
            LayerSpec(entries_first, ActivationSpec("tanh"), bias=("c1", "c2")),
            LayerSpec(entries_second, ActivationSpec(last)),
        ),
        parameters,
        frozen=frozenset(frozen),
    )
    return Problem("tied", network, LossSpec(loss))


TIED_FIRST = (("w", "a12"), ("a21", "w"))
TIED_SECOND = (("b11", "w"), ("b21", R(1, 2)), ("b31", "b32"))
TIED_VALUES = {
    "w": R(1, 2), "a12": R(-1, 3), "a21": R(2, 3), "b11": R(3, 2), "b21": R(-1),
    "b31": R(1, 4), "b32": R(-2), "c1": R(1, 5), "c2": R(-1, 2),
}


def untie(first, second):
    """The same network with each use of w given its own name w_1, w_2, w_3 (in reading order)."""
    uses = iter(range(1, 10))

    def rename(e):
        return f"w_{next(uses)}" if e == "w" else e

    first = tuple(tuple(rename(e) for e in row) for row in first)
    second = tuple(tuple(rename(e) for e in row) for row in second)
    return first, second


@pytest.mark.parametrize("loss", ["half_squared_error", "binary_cross_entropy", "softmax_cross_entropy"])
def test_tied_parameter_gradient_is_the_sum_over_its_uses(loss):
    x = [R(1, 2), R(-3, 2)]
    y = [R(0), R(1), R(0)] if loss == "softmax_cross_entropy" else [R(1, 4), R(1), R(0)]
    tied = three_output_problem(TIED_FIRST, TIED_SECOND, TIED_VALUES, loss=loss)
    first, second = untie(TIED_FIRST, TIED_SECOND)
    untied_values = {k: v for k, v in TIED_VALUES.items() if k != "w"}
    untied_values.update({f"w_{i}": TIED_VALUES["w"] for i in (1, 2, 3)})
    untied = three_output_problem(first, second, untied_values, loss=loss)

    r_tied, r_untied = backprop(tied, x, y), backprop(untied, x, y)
    ref_tied, ref_untied = Reference(tied, x, y), Reference(untied, x, y)
    mine_tied, mine_untied = ref_tied.numeric(), ref_untied.numeric()
    assert len(r_tied.output) == 3
    for got, name in zip(r_tied.output, output_names(3)):
        assert close(got, mine_tied[name], "1e-55", "1e-58")
    assert close(r_tied.loss, mine_tied["L"], "1e-55", "1e-58")
    assert sorted(r_tied.grad) == sorted(TIED_VALUES)

    per_use = [mine_untied[f"grad:w_{i}"] for i in (1, 2, 3)]
    assert all(abs(g) > mpmath.mpf("1e-3") for g in per_use)  # every use contributes
    with mpmath.workdps(DPS):
        summed = mpmath.fsum(per_use)
    assert close(r_tied.grad["w"], summed)
    assert close(r_tied.grad["w"], mine_tied["grad:w"])
    assert close(r_tied.grad["w"], sympy.Add(*[r_untied.grad[f"w_{i}"] for i in (1, 2, 3)]))
    for name in TIED_VALUES:
        assert close(r_tied.grad[name], mine_tied[f"grad:{name}"]), name
    assert rounds_to(r_tied.decimals(40)["dL/dw"], summed, 40)


def test_frozen_parameters_absent_and_not_updatable():
    x, y = [R(1, 2), R(-3, 2)], [R(1, 4), R(1), R(0)]
    plain = three_output_problem(TIED_FIRST, TIED_SECOND, TIED_VALUES)
    frozen = three_output_problem(TIED_FIRST, TIED_SECOND, TIED_VALUES, frozen={"c1", "w"})
    r_plain, r_frozen = backprop(plain, x, y), backprop(frozen, x, y)
    mine = Reference(frozen, x, y).numeric()

    assert "c1" not in r_frozen.grad and "w" not in r_frozen.grad
    assert sorted(r_frozen.grad) == sorted(set(TIED_VALUES) - {"c1", "w"})
    assert len(r_frozen.grad) == len(TIED_VALUES) - 2
    with pytest.raises(KeyError):
        r_frozen.grad["c1"]
    decimals = r_frozen.decimals(20)
    assert "dL/dc1" not in decimals and "dL/dw" not in decimals
    # freezing changes nothing else: same loss and outputs, same other gradients, all equal to the reference
    assert r_frozen.loss == r_plain.loss and r_frozen.output == r_plain.output
    for name in r_frozen.grad:
        assert r_frozen.grad[name] == r_plain.grad[name]  # the same pass: the same exact value
        assert close(r_frozen.grad[name], mine[f"grad:{name}"])

    for name in ("c1", "w"):
        with pytest.raises(ArgumentError):
            sgd(frozen, {name: r_plain.grad[name]}, lr=1)
        with pytest.raises(ArgumentError):
            sgd(frozen, {"b11": r_frozen.grad["b11"], name: 0}, lr=1)
    updated = sgd(frozen, r_frozen.grad, lr=R(1, 3))
    assert set(updated) == set(r_frozen.grad)
    with mpmath.workdps(DPS):
        for name, value in updated.items():
            assert close(value, high(TIED_VALUES[name]) - mine[f"grad:{name}"] / 3)
    with pytest.raises(ArgumentError):
        sgd(frozen, {"nope": 1}, lr=1)


def kink_problem(spec: ActivationSpec) -> tuple[Problem, list, list]:
    """Hidden unit 1 has pre-activation exactly 0 at x = (1, 1): a11·1 + a12·1 + c1 = 1 − 2 + 1."""
    network = NetworkSpec(
        ("x1", "x2"),
        (
            LayerSpec((("a11", "a12"), ("a21", "a22")), spec, bias=("c1", "c2")),
            LayerSpec((("b1", "b2"),), ActivationSpec("identity")),
        ),
        {
            "a11": R(1), "a12": R(-2), "c1": R(1), "a21": R(1, 2), "a22": R(1, 3), "c2": R(-1, 4),
            "b1": R(3), "b2": R(-1, 2),
        },
    )
    return Problem("kink", network, LossSpec("squared_error")), [1, 1], [R(1, 3)]


@pytest.mark.parametrize(
    "spec, convention",
    [
        (ActivationSpec("relu"), R(0)),
        (ActivationSpec("relu", derivative_at_zero=R(1)), R(1)),
        (ActivationSpec("relu", derivative_at_zero=R(1, 2)), R(1, 2)),
        (ActivationSpec("leaky_relu", slope=R(1, 10)), R(1, 10)),
        (ActivationSpec("leaky_relu"), R(1, 100)),
        (ActivationSpec("leaky_relu", slope=R(1, 10), derivative_at_zero=R(1)), R(1)),
    ],
)
def test_relu_family_derivative_at_zero_convention(spec, convention):
    """At the kink, f'(0) = c by convention: the chain rule then gives the derivative of the network whose
    unit-1 activation is c·z (same value 0 at z = 0, derivative c). Unit 2 (z = 1/2 + 1/3 − 1/4 > 0) keeps f.
    The loss is written out by hand in parameter symbols and differentiated by SymPy.
    """
    problem, x, y = kink_problem(spec)
    r = backprop(problem, x, y[0])
    s = {name: sympy.Symbol(name, real=True) for name in problem.network.parameters}
    values = {s[name]: value for name, value in problem.network.parameters.items()}
    shift = sympy.Symbol("shift", real=True)  # perturbation of z1_1, for its adjoint
    values[shift] = sympy.Integer(0)
    z1 = s["a11"] * x[0] + s["a12"] * x[1] + s["c1"] + shift
    z2 = s["a21"] * x[0] + s["a22"] * x[1] + s["c2"]
    assert z1.xreplace(values) == 0 and z2.xreplace(values) > 0  # the kink really is hit, by unit 1 only
    yhat = s["b1"] * (convention * z1) + s["b2"] * sympy_activation(spec, z2, 1)
    loss = (yhat - y[0]) ** 2
    assert r.loss == loss.xreplace(values)
    for name in problem.network.parameters:
        mine = sympy.diff(loss, s[name]).xreplace(values)
        assert sympy.simplify(r.grad[name] - mine) == 0, (name, r.grad[name], mine)
    adjoint = sympy.diff(loss, shift).xreplace(values)
    assert sympy.simplify(r.values["dL/dz1_1"] - adjoint) == 0
    assert rounds_to(r.decimals(10)["dL/dz1_1"], high(adjoint), 10)


# ---------------------------------------------------------------------------------------------------------------
# 4. Correctly rounded decimals
# ---------------------------------------------------------------------------------------------------------------


def tie_problem() -> tuple[Problem, list, list]:
    """yhat = w·1 = 1.00005 and dL/dyhat = 2(yhat − y) = −3.00005 exactly: ties at 5 significant digits."""
    network = NetworkSpec(("x1",), (LayerSpec((("w",),), ActivationSpec("identity")),), {"w": R(100005, 100000)})
    return Problem("tie", network, LossSpec("squared_error")), [1], [R(5, 2) + R(75, 1000000)]


def rounded_expectations(problem, x, y, digits):
    """name -> own value (route A, mpmath at DPS digits) rounded half up to ``digits``, for every named quantity."""
    mine = Reference(problem, x, y).numeric()
    frozen = problem.network.frozen
    return {
        (f"dL/d{name[5:]}" if name.startswith("grad:") else name): value
        for name, value in mine.items()
        if not (name.startswith("grad:") and name[5:] in frozen)
    }


DECIMAL_CASES = {
    "ws23": lambda: (ws23(), [1, 3], [2]),
    "ws23_tanh": lambda: (ws23("tanh"), [R(1, 3), R(-2, 7)], [R(3, 11)]),
    "tied_three_outputs": lambda: (
        three_output_problem(TIED_FIRST, TIED_SECOND, TIED_VALUES), [R(1, 2), R(-3, 2)], [R(1, 4), R(1), R(0)]
    ),
    "softmax": lambda: (
        three_output_problem(TIED_FIRST, TIED_SECOND, TIED_VALUES, loss="softmax_cross_entropy"),
        [R(2, 3), R(1, 7)],
        [0, 1, 0],
    ),
    "tie": tie_problem,
}


@pytest.mark.parametrize("digits", [5, 30, 60])
@pytest.mark.parametrize("case", sorted(DECIMAL_CASES))
def test_decimals_are_correctly_rounded(case, digits):
    problem, x, y = DECIMAL_CASES[case]()
    r = backprop(problem, x, y if len(y) > 1 else y[0])
    own = rounded_expectations(problem, x, y, digits)
    got = r.decimals(digits)
    assert set(got) == set(own)
    wrong = {
        name: (got[name], half_up(own[name], digits)) for name in own if not rounds_to(got[name], own[name], digits)
    }
    assert not wrong
    for value in got.values():
        assert len(value.as_tuple().digits) <= digits


def test_decimals_tie_rounds_half_up_away_from_zero():
    """The tie case derived by hand from the exact rationals (not from symback): 1.00005 and −3.00005."""
    problem, x, y = tie_problem()
    r = backprop(problem, x, y[0])
    yhat = problem.network.parameters["w"] * x[0]
    adjoint = 2 * (yhat - y[0])
    context = decimal.Context(prec=5, rounding=ROUND_HALF_UP)
    with decimal.localcontext(decimal.Context(prec=50)):  # exact: the denominators are 2^a·5^b
        exact_yhat = Decimal(int(yhat.p)) / Decimal(int(yhat.q))
        exact_adjoint = Decimal(int(adjoint.p)) / Decimal(int(adjoint.q))
    assert exact_yhat == Decimal("1.00005") and exact_adjoint == Decimal("-3.00005")
    got = r.decimals(5)
    assert got["yhat"] == context.plus(exact_yhat) == Decimal("1.0001")
    assert got["dL/dyhat"] == context.plus(exact_adjoint) == Decimal("-3.0001")


@pytest.mark.slow
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(case=problems(), digits=st.sampled_from([5, 30, 60]))
def test_random_decimals_are_correctly_rounded(case, digits):
    problem, x, y, _ = case
    assume(Reference(problem, x, y).usable())
    r = backprop(problem, x, y)
    own = rounded_expectations(problem, x, y, digits)
    got = r.decimals(digits)
    assert set(got) == set(own)
    wrong = {
        name: (got[name], half_up(own[name], digits)) for name in own if not rounds_to(got[name], own[name], digits)
    }
    assert not wrong


# ---------------------------------------------------------------------------------------------------------------
# 5. Regression tests for product problems found while writing these tests (each failed while it was there)
# ---------------------------------------------------------------------------------------------------------------


def three_layer_problem() -> tuple[Problem, list, list]:
    """A 3-3-3-3 network (27 parameters, one tied parameter, irrational and integer constants) from the random
    search, where the exact pass takes ~0.2 s."""
    w = {
        "a1": R(-3, 2), "a2": R(-3, 2), "a3": R(2, 3), "a4": R(-1, 2), "a5": R(-3), "a6": R(1), "a7": R(-1),
        "ca8": R(2, 3), "ca9": R(-1, 3), "b10": R(-3, 2), "b11": R(1, 3), "b12": R(3, 2), "b13": R(-2),
        "b14": R(3, 2), "b15": R(-1), "b16": R(-3, 2), "cb17": R(-3), "c18": R(-1, 2), "c19": R(3), "c20": R(-1),
        "c21": R(-1), "c22": R(1), "c23": R(0), "c24": R(-3), "c25": R(0), "cc26": R(0), "cc27": R(-1),
    }
    network = NetworkSpec(
        ("x1", "x2", "x3"),
        (
            LayerSpec(
                ((-sympy.sqrt(3) / 3, "a1", "a2"), ("a3", "a4", "a5"), ("a5", "a6", "a7")),
                ActivationSpec("custom", expression="atan(z) + z/4"),
                bias=("a7", "ca8", "ca9"),
            ),
            LayerSpec(
                (("b10", "b11", "b12"), ("b13", "a7", "b10"), ("b14", "b15", "b16")),
                ActivationSpec("sigmoid"),
                bias=(sympy.Integer(-3), "cb17", "b10"),
            ),
            LayerSpec(
                (("c18", "c18", "c19"), ("c20", "c21", "c22"), ("c23", "c24", "c25")),
                ActivationSpec("sigmoid"),
                bias=("cc26", "cc27", "b14"),
            ),
        ),
        w,
    )
    return Problem("3-3-3-3", network, LossSpec("squared_error")), [R(-2, 3), R(0), R(-1)], [R(-1), R(-2, 3), R(-1)]


def test_grad_values_of_a_three_layer_network_do_bounded_work(monkeypatch):
    """``r.grad`` of a 27-parameter network prints, factors and cancels no value past the tidy budget.

    Regression test, by counting work instead of timing it: symback/numbers/tidy.py ``tidy`` once measured every
    value with ``len(str(expr))`` (printing a 10,000-character value takes ~0.5 s: dict(r.grad) took ~10 s here)
    and before that ran ``sympy.factor`` on values with exp of non-integers (minutes). The values are checked too."""
    from sympy.printing.str import StrPrinter

    from symback.numbers.tidy import at_most

    over_budget = []

    def counted(name, original):
        def call(*args, **kwargs):
            expr = args[-1] if name == "print" else args[0]
            if isinstance(expr, sympy.Basic) and not at_most(expr, 200):
                over_budget.append(name)
            return original(*args, **kwargs)
        return call

    monkeypatch.setattr(StrPrinter, "doprint", counted("print", StrPrinter.doprint))
    for name in ("factor", "cancel", "together"):
        monkeypatch.setattr(sympy, name, counted(name, getattr(sympy, name)))
    problem, x, y = three_layer_problem()
    r = backprop(problem, x, y)
    mine = Reference(problem, x, y).numeric()
    with no_hang():
        gradients = dict(r.grad)
    monkeypatch.undo()
    assert over_budget == []
    for name, value in gradients.items():
        assert close(value, mine[f"grad:{name}"]), name


@pytest.mark.parametrize("constant", [1, 2, 0])
def test_python_int_constant_in_weights_is_not_read_as_a_node(constant):
    """A plain Python int standing in a weight matrix (natural to type: (("w", 2),)) must act as that constant,
    or be refused with a clear error — never be read as the id of another graph node.

    Regression test (found in this session, fixed by commit fed32c4): symback/graph.py ``_weight``/``_add_unit``
    and symback/passes.py took ``isinstance(weight, int)`` for "a parameter's node id", so the int 2 here was
    read as node 2 = parameter w: yhat = 3·5 + w·7 = 36 instead of 3·5 + 2·7 = 29; the ints 0 and 1 gave
    KeyError from graph.uses."""
    as_int = NetworkSpec(("x1", "x2"), (LayerSpec((("w", constant),), ActivationSpec("identity")),), {"w": R(3)})
    as_sympy = NetworkSpec(
        ("x1", "x2"), (LayerSpec((("w", sympy.Integer(constant)),), ActivationSpec("identity")),), {"w": R(3)}
    )
    reference = Reference(Problem("ref", as_sympy, LossSpec("squared_error")), [5, 7], [0])
    try:
        r = backprop(Problem("int", as_int, LossSpec("squared_error")), [5, 7], 0)
    except (SymbackError, TypeError, ValueError):
        return  # refused with a clear error: acceptable
    except Exception as err:
        pytest.fail(f"an int constant {constant} in the weights raised {type(err).__name__}: {err}")
    assert r.output == [reference.exact(reference.nodes["yhat"][0])]
    assert r.grad["w"] == reference.exact_gradient("w")
