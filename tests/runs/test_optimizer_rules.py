"""The optimizer registry against routes written here: every rule in float64 (PyTorch's loops written from the
mathematics), SGD with Fractions, steps worked by hand, and the exact facts of Adam's first step
(Δθ = −α·g/(|g| + ε), exactly 0 where g = 0)."""

from __future__ import annotations

import dataclasses
import decimal
import math
from fractions import Fraction

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from symback.errors import ArgumentError
from symback.numbers.arithmetic import DECIMAL, EXACT
from symback.runs.optimizers import (
    ADAM_DEFAULTS,
    OPTIMIZERS,
    AdamState,
    adam_step,
    adamw_step,
    momentum_step,
    nesterov_step,
    optimizer,
    optimizer_step,
    rmsprop_step,
    sgd_step,
)


def adam_float(theta: dict, gradients: list[dict], lr: float, beta1=0.9, beta2=0.999, eps=1e-8) -> list[dict]:
    """Adam (Kingma and Ba, Algorithm 1) in float64: θ after each step."""
    m = {name: 0.0 for name in theta}
    v = {name: 0.0 for name in theta}
    theta, history = dict(theta), []
    for t, grad in enumerate(gradients, start=1):
        for name, g in grad.items():
            m[name] = beta1 * m[name] + (1 - beta1) * g
            v[name] = beta2 * v[name] + (1 - beta2) * g * g
            m_hat = m[name] / (1 - beta1**t)
            v_hat = v[name] / (1 - beta2**t)
            theta[name] -= lr * m_hat / (math.sqrt(v_hat) + eps)
        history.append(dict(theta))
    return history


fractions = st.fractions(min_value=-20, max_value=20, max_denominator=50)


@settings(max_examples=40, deadline=None)
@given(
    theta=st.dictionaries(st.sampled_from(["w", "u", "b"]), fractions, min_size=1, max_size=3),
    steps=st.integers(min_value=1, max_value=3),
    lr=st.fractions(min_value=Fraction(1, 100), max_value=5, max_denominator=100),
    data=st.data(),
)
def test_adam_matches_a_float64_implementation(theta, steps, lr, data):
    gradients = [{name: data.draw(fractions) for name in theta} for _ in range(steps)]
    expected = adam_float({n: float(v) for n, v in theta.items()},
                          [{n: float(g) for n, g in grad.items()} for grad in gradients], float(lr))
    current, state = dict(theta), None
    for step, grad in enumerate(gradients):
        current, state, rows = adam_step(current, grad, lr, state)
        assert state.t == step + 1 and [row.t for row in rows] == [step + 1] * len(grad)
        for name, value in current.items():
            assert float(value) == pytest.approx(expected[step][name], rel=1e-9, abs=1e-9)


@settings(max_examples=30, deadline=None)
@given(g=fractions, lr=st.fractions(min_value=Fraction(1, 10), max_value=10, max_denominator=20))
def test_first_adam_step_is_alpha_g_over_abs_g_plus_eps(g, lr):
    g, lr = sympy.Rational(g.numerator, g.denominator), sympy.Rational(lr.numerator, lr.denominator)
    eps = sympy.Rational(1, 10**8)
    _, _, (row,) = adam_step({"w": 0}, {"w": g}, lr)
    assert row.m_hat == g and row.v_hat == g**2
    assert row.update == -lr * g / (abs(g) + eps)
    if g == 0:
        assert row.update == 0 and row.new == 0 and row.m == 0 and row.v == 0
    else:
        assert sympy.sign(row.update) == -sympy.sign(g)
        assert abs(row.update) < lr and lr - abs(row.update) == lr * eps / (abs(g) + eps)


def test_first_adam_step_of_a_transcendental_gradient_is_exact():
    g = -4 * sympy.E / (1 + sympy.E)
    _, _, (row,) = adam_step({"b12": -1}, {"b12": g}, 2)
    expected = -2 * g / (-g + sympy.Rational(1, 10**8))  # |g| = −g here
    assert sympy.simplify(row.update - expected) == 0
    assert sympy.simplify(row.v_hat - g**2) == 0 and sympy.simplify(row.m_hat - g) == 0


def test_adam_in_the_engines_arithmetics_agrees_with_sympy():
    theta, grad = {"w": sympy.Integer(1)}, {"w": 12 * sympy.E / (1 + sympy.E) ** 2}
    _, _, (exact,) = adam_step(theta, grad, sympy.Rational(157, 50))
    as_symengine = {name: EXACT.from_sympy(v) for name, v in grad.items()}
    _, _, (engine,) = adam_step({"w": EXACT.from_sympy(theta["w"])}, as_symengine, "3.14", arithmetic=EXACT)
    assert sympy.simplify(engine.update._sympy_() - exact.update) == 0
    with decimal.localcontext(prec=60):
        as_decimal = {name: DECIMAL.from_sympy(v) for name, v in grad.items()}
        _, _, (dec,) = adam_step({"w": decimal.Decimal(1)}, as_decimal, 3.14, arithmetic=DECIMAL)
    assert abs(sympy.N(exact.update - sympy.Rational(str(dec.update)), 70)) < sympy.Float("1e-55")


def test_adam_state_carries_the_moments_and_is_immutable():
    _, state, _ = adam_step({"w": 0}, {"w": 1}, 1)
    assert state.m["w"] == sympy.Rational(1, 10) and state.v["w"] == sympy.Rational(1, 1000)
    with pytest.raises(dataclasses.FrozenInstanceError):
        state.t = 5
    with pytest.raises(TypeError):
        state.m["w"] = 0
    assert AdamState().t == 0


def test_hyperparameters_are_exact():
    assert ADAM_DEFAULTS["beta1"] == sympy.Rational(9, 10)
    assert ADAM_DEFAULTS["beta2"] == sympy.Rational(999, 1000)
    assert ADAM_DEFAULTS["eps"] == sympy.Rational(1, 10**8)
    _, _, (row,) = adam_step({"w": 0}, {"w": 2}, 1, beta1=0.5, eps=0)
    assert row.m == 1 and row.update == -1  # 0.5 is read as exactly 1/2; with ε = 0 the step is −α·sign(g)


@settings(max_examples=30, deadline=None)
@given(theta=fractions, g=fractions, lr=fractions)
def test_sgd_against_fractions(theta, g, lr):
    new, state, (row,) = sgd_step({"w": theta, "frozen": 7}, {"w": g}, lr)
    assert new["w"] == sympy.Rational(theta - lr * g) and new["frozen"] == 7
    assert row.update == sympy.Rational(-lr * g) and state.t == 1


def test_registry():
    assert set(OPTIMIZERS) >= {"sgd", "adam"}
    assert optimizer("adam").step is adam_step and optimizer("sgd").step is sgd_step
    assert optimizer_step("sgd", {"w": 1}, {"w": 2}, "1/2")[0] == {"w": 0}
    new, _, _ = optimizer_step("adam", {"w": 1}, {"w": 0}, 2)
    assert new == {"w": 1}
    with pytest.raises(ArgumentError, match="unknown optimizer 'nope'"):
        optimizer("nope")


def test_gradient_for_an_unknown_parameter_is_an_error():
    with pytest.raises(ArgumentError, match="unknown parameter"):
        adam_step({"w": 1}, {"v": 1}, 1)
    with pytest.raises(ArgumentError):
        sgd_step({"w": 1}, {"w": "not a number"}, 1)


# --- every rule of the registry: a float64 route written here, exact defaults, the notation, three arithmetics

def reference_float(kind: str, theta: dict, gradients: list[dict], lr: float, **h) -> list[dict]:
    """θ after each step, in float64, in the form of PyTorch's single-tensor loops (torch.optim.SGD, RMSprop, Adam,
    AdamW): the momentum buffer starts as g, Adam divides by √v/√(1 − β₂ᵗ) + ε and scales lr by 1/(1 − β₁ᵗ)."""
    mu, rho, wd = h.get("momentum", 0.9), h.get("rho", 0.99), h.get("weight_decay", 0.01)
    beta1, beta2, eps = h.get("beta1", 0.9), h.get("beta2", 0.999), h.get("eps", 1e-8)
    theta, memory, history = dict(theta), {}, []
    for t, grad in enumerate(gradients, start=1):
        for name, g in grad.items():
            if kind == "sgd":
                theta[name] -= lr * g
            elif kind in ("momentum", "nesterov"):
                buf = g if name not in memory else mu * memory[name] + g
                memory[name] = buf
                theta[name] -= lr * (g + mu * buf if kind == "nesterov" else buf)
            elif kind == "rmsprop":
                square_avg = rho * memory.get(name, 0.0) + (1 - rho) * g * g
                memory[name] = square_avg
                theta[name] -= lr * g / (math.sqrt(square_avg) + eps)
            else:  # adam, adamw
                if kind == "adamw":
                    theta[name] *= 1 - lr * wd
                m, v = memory.get(name, (0.0, 0.0))
                m, v = beta1 * m + (1 - beta1) * g, beta2 * v + (1 - beta2) * g * g
                memory[name] = (m, v)
                step_size = lr / (1 - beta1**t)
                denominator = math.sqrt(v) / math.sqrt(1 - beta2**t) + eps
                theta[name] -= step_size * m / denominator
        history.append(dict(theta))
    return history


KINDS = ("sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw")
OPTIONS = {  # options other than the defaults, as exact strings and as floats
    "momentum": {"momentum": ("1/2", 0.5)},
    "nesterov": {"momentum": ("3/4", 0.75)},
    "rmsprop": {"rho": ("0.9", 0.9), "eps": ("1/1000", 1e-3)},
    "adam": {"beta1": ("0.8", 0.8), "beta2": ("0.99", 0.99)},
    "adamw": {"weight_decay": ("1/10", 0.1), "eps": ("1e-6", 1e-6)},
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("with_options", [False, True])
@settings(max_examples=15, deadline=None)
@given(theta=st.dictionaries(st.sampled_from(["w", "u"]), fractions, min_size=1, max_size=2),
       steps=st.integers(min_value=1, max_value=4), data=st.data())
def test_every_rule_matches_a_float64_implementation(kind, with_options, theta, steps, data):
    options = OPTIONS.get(kind, {}) if with_options else {}
    lr = Fraction(1, 10)
    gradients = [{name: data.draw(fractions) for name in theta} for _ in range(steps)]
    expected = reference_float(kind, {n: float(v) for n, v in theta.items()},
                               [{n: float(g) for n, g in grad.items()} for grad in gradients], float(lr),
                               **{name: number for name, (_, number) in options.items()})
    current, state = dict(theta), None
    for step, grad in enumerate(gradients):
        current, state, rows = optimizer_step(kind, current, grad, lr, state,
                                              **{name: text for name, (text, _) in options.items()})
        assert [row.t for row in rows] == [step + 1] * len(grad) and {row.kind for row in rows} == {kind}
        for row in rows:
            assert row.new == current[row.parameter] and row.new - row.theta == row.update
        for name, value in current.items():
            assert float(value) == pytest.approx(expected[step][name], rel=1e-9, abs=1e-9)


def test_momentum_and_nesterov_by_hand():
    # θ = 3, g = 4 then 2, α = 1/4, μ = 1/2: v₁ = 4, v₂ = 1/2·4 + 2 = 4
    new, state, (row,) = momentum_step({"w": 3}, {"w": 4}, "1/4", momentum="1/2")
    assert (row.velocity, row.update, new["w"]) == (4, -1, 2)
    new, state, (row,) = momentum_step(new, {"w": 2}, "1/4", state, momentum="1/2")
    assert (row.velocity, row.update, new["w"], state.velocity["w"]) == (4, -1, 1, 4)
    # Nesterov: d₁ = 4 + 1/2·4 = 6, θ₁ = 3 − 6/4 = 3/2
    new, state, (row,) = nesterov_step({"w": 3}, {"w": 4}, "1/4", momentum="1/2")
    assert (row.velocity, row.direction, new["w"]) == (4, 6, sympy.Rational(3, 2))


def test_rmsprop_and_adamw_by_hand():
    # s₁ = (1 − 3/4)·16 = 4, Δθ = −α·4/√4 = −2α
    new, state, (row,) = rmsprop_step({"w": 3}, {"w": 4}, "1/4", rho="3/4", eps=0)
    assert (row.s, row.update, new["w"]) == (4, sympy.Rational(-1, 2), sympy.Rational(5, 2))
    # s₂ = 3/4·4 + 1/4·9 = 21/4, Δθ = −(1/4)·3/√(21/4) = −√21/14
    _, _, (row,) = rmsprop_step(new, {"w": 3}, "1/4", state, rho="3/4", eps=0)
    assert row.s == sympy.Rational(21, 4) and row.update == -sympy.sqrt(21) / 14
    # AdamW: θ̃ = 3 − 1/2·1/5·3 = 27/10, then Adam's first step −α·sign(g) with ε = 0
    new, _, (row,) = adamw_step({"w": 3}, {"w": 4}, "1/2", weight_decay="1/5", eps=0)
    assert (row.decayed, row.m_hat, row.update, new["w"]) == (sympy.Rational(27, 10), 4, sympy.Rational(-4, 5),
                                                             sympy.Rational(11, 5))


@pytest.mark.parametrize("kind", KINDS)
def test_a_zero_gradient_gives_exactly_no_step_even_without_eps(kind):
    options = {"eps": 0} if "eps" in OPTIMIZERS[kind].defaults else {}
    new, _, (row,) = optimizer_step(kind, {"w": 5}, {"w": 0}, 1, **options)
    expected = 5 - OPTIMIZERS[kind].defaults.get("weight_decay", 0) * 5
    assert new["w"] == expected and row.update == expected - 5


def test_defaults_are_exact_rationals_named_like_the_file_keys():
    expected = {
        "sgd": {},
        "momentum": {"momentum": sympy.Rational(9, 10)},
        "nesterov": {"momentum": sympy.Rational(9, 10)},
        "rmsprop": {"rho": sympy.Rational(99, 100), "eps": sympy.Rational(1, 10**8)},
        "adam": {"beta1": sympy.Rational(9, 10), "beta2": sympy.Rational(999, 1000), "eps": sympy.Rational(1, 10**8)},
        "adamw": {"beta1": sympy.Rational(9, 10), "beta2": sympy.Rational(999, 1000), "eps": sympy.Rational(1, 10**8),
                  "weight_decay": sympy.Rational(1, 100)},
    }
    assert {name: dict(entry.defaults) for name, entry in OPTIMIZERS.items()} == expected
    for entry in OPTIMIZERS.values():
        assert all(isinstance(value, sympy.Rational) for value in entry.defaults.values())


@pytest.mark.parametrize("kind", KINDS)
def test_the_registry_writes_each_rule_once(kind):
    entry = optimizer(kind)
    row_fields = [f.name for f in dataclasses.fields(entry.row)]
    assert row_fields[:2] == ["parameter", "t"] and row_fields[-1] == "kind"
    assert entry.columns == tuple(row_fields[2:-1]) and entry.columns[:2] == ("theta", "g")
    assert entry.columns[-2:] == ("update", "new")
    assert {e.target for e in entry.equations} == set(entry.columns) - {"theta", "g"}
    known = set(entry.columns) | set(entry.defaults) | {"lr", "t"} | {f"{m}_prev" for m in entry.state}
    for equation in entry.equations:
        assert set(equation.names) <= known, equation
        assert "«" not in equation.latex() and "«" not in equation.latex(1)
        assert "«" not in equation.substituted({name: "1" for name in equation.names})
    assert entry.rule and entry.title and len(entry.latex) == len(entry.equations)
    assert set(entry.labels) == set(entry.symbols) == set(entry.columns)


@pytest.mark.parametrize("kind", KINDS)
def test_every_rule_agrees_in_the_three_arithmetics(kind):
    theta = {"w": sympy.Integer(1)}
    gradients = [12 * sympy.E / (1 + sympy.E) ** 2, -sympy.Rational(3, 7)]
    exact, engine, as_decimal = dict(theta), {"w": EXACT.from_sympy(theta["w"])}, None
    states = [None, None, None]
    with decimal.localcontext(prec=60):
        as_decimal = {"w": decimal.Decimal(1)}
        for g in gradients:
            exact, states[0], (row_sympy,) = optimizer_step(kind, exact, {"w": g}, "3/10", states[0])
            engine, states[1], (row_engine,) = optimizer_step(kind, engine, {"w": EXACT.from_sympy(g)}, "3/10",
                                                              states[1], arithmetic=EXACT)
            as_decimal, states[2], (row_decimal,) = optimizer_step(kind, as_decimal, {"w": DECIMAL.from_sympy(g)},
                                                                   "3/10", states[2], arithmetic=DECIMAL)
    for column in optimizer(kind).columns:
        value = getattr(row_sympy, column)
        assert abs(sympy.N(getattr(row_engine, column)._sympy_() - value, 70)) < sympy.Float("1e-55")
        assert abs(sympy.N(value - sympy.Rational(str(getattr(row_decimal, column))), 70)) < sympy.Float("1e-55")


def test_rules_outside_sympy_take_no_sympy_values():
    with decimal.localcontext(prec=30):
        _, _, (row,) = adamw_step({"w": decimal.Decimal(2)}, {"w": decimal.Decimal(-1)}, "0.1", arithmetic=DECIMAL)
    assert all(isinstance(getattr(row, c), decimal.Decimal) for c in optimizer("adamw").columns)
