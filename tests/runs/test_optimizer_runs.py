"""Optimizer runs over several steps against routes written here: the WS23 network's forward and backward pass and
every rule in plain Python (floats, and mpmath at 50 digits for the correctly rounded decimals), a one-weight
quadratic worked by hand, and SymPy for the exact values of the first step."""

from __future__ import annotations

import decimal
import math
from decimal import Decimal

import mpmath
import pytest
import sympy
from deadline import no_hang

import symback
from symback.errors import ArgumentError
from symback.numbers.rounding import correctly_rounded
from symback.problem.model import ActivationSpec, ExerciseSpec, OptimizerSpec
from symback.runs.optimize import OptimizerRun, optimize, optimize_with, run_optimizer

WS23 = "problems/ws23_backprop.toml"
START = {"a11": 1, "a12": 0, "a21": -2, "a22": 1, "b11": 1, "b12": -1}
KINDS = ("sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw")


# --- the routes written here

def ws23_loss_and_gradients(p: dict, x=(1, 3), y=2, lib=math, hidden="sigmoid"):
    """g(x) = B f(A x), L = (ŷ − y)², and every ∂L/∂θ, by the chain rule written out (``lib``: math or mpmath)."""
    x1, x2 = x
    z1, z2 = p["a11"] * x1 + p["a12"] * x2, p["a21"] * x1 + p["a22"] * x2
    if hidden == "sigmoid":
        h1, h2 = 1 / (1 + lib.exp(-z1)), 1 / (1 + lib.exp(-z2))
        d1, d2 = h1 * (1 - h1), h2 * (1 - h2)
    elif hidden == "tanh":
        h1, h2 = lib.tanh(z1), lib.tanh(z2)
        d1, d2 = 1 - h1 * h1, 1 - h2 * h2
    else:  # "zero": f ≡ 0
        h1 = h2 = d1 = d2 = 0 * z1
    yhat = p["b11"] * h1 + p["b12"] * h2
    loss = (yhat - y) ** 2
    dyhat = 2 * (yhat - y)
    dz1, dz2 = dyhat * p["b11"] * d1, dyhat * p["b12"] * d2
    grads = {"a11": dz1 * x1, "a12": dz1 * x2, "a21": dz2 * x1, "a22": dz2 * x2, "b11": dyhat * h1, "b12": dyhat * h2}
    return loss, grads


def mp_defaults() -> dict:
    one = mpmath.mpf(1)
    return {"momentum": one * 9 / 10, "rho": one * 99 / 100, "weight_decay": one / 100,
            "beta1": one * 9 / 10, "beta2": one * 999 / 1000, "eps": one / 10**8}


def reference_run(kind, start, names, gradient, steps, lr, sqrt=math.sqrt, **h):
    """Per step: the loss before it and each parameter's row, every rule from its formula (PyTorch's conventions)."""
    mu, rho, wd = h.get("momentum", 0.9), h.get("rho", 0.99), h.get("weight_decay", 0.01)
    beta1, beta2, eps = h.get("beta1", 0.9), h.get("beta2", 0.999), h.get("eps", 1e-8)
    theta, memory, history = dict(start), {n: {} for n in names}, []
    for t in range(1, steps + 1):
        loss, grads = gradient(theta)
        rows = {}
        for n in names:
            g, before, mem, row = grads[n], theta[n], memory[n], {}
            if kind == "sgd":
                after = before - lr * g
            elif kind in ("momentum", "nesterov"):
                mem["velocity"] = mu * mem.get("velocity", 0) + g
                step = g + mu * mem["velocity"] if kind == "nesterov" else mem["velocity"]
                after = before - lr * step
                row["velocity"] = mem["velocity"]
                if kind == "nesterov":
                    row["direction"] = step
            elif kind == "rmsprop":
                mem["s"] = rho * mem.get("s", 0) + (1 - rho) * g * g
                after = before - lr * g / (sqrt(mem["s"]) + eps)
                row["s"] = mem["s"]
            else:
                decayed = before * (1 - lr * wd) if kind == "adamw" else before
                mem["m"] = beta1 * mem.get("m", 0) + (1 - beta1) * g
                mem["v"] = beta2 * mem.get("v", 0) + (1 - beta2) * g * g
                m_hat, v_hat = mem["m"] / (1 - beta1**t), mem["v"] / (1 - beta2**t)
                after = decayed - lr * m_hat / (sqrt(v_hat) + eps)
                row.update(m=mem["m"], v=mem["v"], m_hat=m_hat, v_hat=v_hat)
                if kind == "adamw":
                    row["decayed"] = decayed
            row.update(theta=before, g=g, update=after - before, new=after)
            rows[n] = row
        theta.update({n: rows[n]["new"] for n in names})
        history.append((loss, rows))
    return history, gradient(theta)[0]


def exercise(kind, steps=5, lr="1/10", params=None, activations=None, **options):
    spec = OptimizerSpec(kind, sympy.Rational(lr), {k: sympy.Rational(v) for k, v in options.items()})
    return ExerciseSpec("run", "optimize", x=(sympy.Integer(1), sympy.Integer(3)), y=(sympy.Integer(2),),
                        optimizer=spec, steps=steps, params=params, activations=activations or {})


def rounded(value, digits: int) -> Decimal:
    if value == 0:
        return Decimal(0)
    with decimal.localcontext(prec=digits, rounding=decimal.ROUND_HALF_UP):
        return +Decimal(mpmath.nstr(value, 60, strip_zeros=False, min_fixed=1, max_fixed=0))


@pytest.fixture(scope="module")
def ws23():
    return symback.load(WS23)


# --- every rule on the WS23 network, over several steps

OPTION_SETS = {"momentum": {"momentum": "1/2"}, "rmsprop": {"rho": "9/10"}, "adamw": {"weight_decay": "1/10"}}


@pytest.mark.parametrize("kind", KINDS)
def test_ws23_run_matches_float64(ws23, kind):
    options = OPTION_SETS.get(kind, {})
    run = run_optimizer(ws23, exercise(kind, **options), digits=15)
    floats = {k: float(sympy.Rational(v)) for k, v in options.items()}
    expected, final = reference_run(kind, {k: float(v) for k, v in START.items()}, list(START),
                                    ws23_loss_and_gradients, 5, 0.1, **floats)
    assert isinstance(run, OptimizerRun) and run.kind == kind and len(run.steps) == 5
    assert run.parameters == tuple(START)
    for step, (loss, rows) in zip(run.steps, expected):
        assert float(step.loss.decimal) == pytest.approx(loss, rel=1e-10)
        for name, row in rows.items():
            assert set(step.rows[name]) == set(row)
            for column, value in row.items():
                assert float(step.rows[name][column].decimal) == pytest.approx(value, rel=1e-9, abs=1e-12), column
    assert float(run.final_loss.decimal) == pytest.approx(final, rel=1e-10)


@pytest.mark.parametrize("kind", KINDS)
def test_ws23_decimals_are_correctly_rounded(ws23, kind):
    digits = 6
    run = run_optimizer(ws23, exercise(kind, steps=4, lr=2), digits=digits)
    with mpmath.workdps(50):
        start = {k: mpmath.mpf(v) for k, v in START.items()}
        gradient = lambda p: ws23_loss_and_gradients(p, lib=mpmath)
        expected, final = reference_run(kind, start, list(START), gradient, 4, mpmath.mpf(2), sqrt=mpmath.sqrt,
                                        **mp_defaults())
        for step, (loss, rows) in zip(run.steps, expected):
            assert step.loss.decimal == rounded(loss, digits)
            for name, row in rows.items():
                for column, value in row.items():
                    assert step.rows[name][column].decimal == rounded(value, digits), (step.t, name, column)
        assert run.final_loss.decimal == rounded(final, digits)


def test_ws23_first_adam_step_is_exact(ws23):
    run = run_optimizer(ws23, exercise("adam", steps=3, lr=2))
    sigma = sympy.E / (1 + sympy.E)
    eps = sympy.Rational(1, 10**8)
    # ŷ = σ(1) − σ(1) = 0, ∂L/∂ŷ = −4, ∂L/∂b1j = −4σ(1), ∂L/∂a1k = −4·σ'(1)·x_k, ∂L/∂a2k = +4·σ'(1)·x_k
    slope = sigma * (1 - sigma)
    grads = {"a11": -4 * slope, "a12": -12 * slope, "a21": 4 * slope, "a22": 12 * slope,
             "b11": -4 * sigma, "b12": -4 * sigma}
    first = run.steps[0]
    assert first.loss.exact == 4
    for name, g in grads.items():
        row = first.rows[name]
        update = -2 * g / (sympy.Abs(g) + eps)
        for column, expected in (("theta", START[name]), ("g", g), ("m", g / 10), ("v", g**2 / 1000),
                                 ("m_hat", g), ("v_hat", g**2), ("update", update), ("new", START[name] + update)):
            assert row[column].exact is not None, (name, column)
            assert sympy.simplify(row[column].exact - expected) == 0, (name, column)
    later = [row[c].exact for step in run.steps[1:] for row in step.rows.values() for c in ("g", "m", "new")]
    assert later.count(None) > len(later) // 2  # exact values swell: decimals only


def test_ws23_five_steps_finish_with_every_rule(ws23):
    for kind in KINDS:  # how fast is bench/'s business: here, that no rule hangs on five steps
        with no_hang():
            run = run_optimizer(ws23, exercise(kind, steps=5, lr=2))
        assert len(run.steps) == 5, kind


def test_f_zero_keeps_every_gradient_exactly_zero(ws23):
    ex = exercise("adam", steps=5, lr="157/50", activations={1: ActivationSpec("zero")})
    run = run_optimizer(ws23, ex)
    assert run.exact_steps == 5
    for step in run.steps:
        assert step.loss.exact == 4 and step.loss.decimal == 4
        for row in step.rows.values():
            for column in ("g", "m", "v", "m_hat", "v_hat", "update"):
                assert row[column].exact == 0 and row[column].decimal == 0
    assert [row["new"].exact for row in run.table()[-6:]] == list(START.values())
    f_zero = lambda p: ws23_loss_and_gradients(p, hidden="zero")
    expected, _ = reference_run("adam", START, list(START), f_zero, 5, 3.14)
    assert all(row["update"] == 0 for _, rows in expected for row in rows.values())


def test_a_tiny_nonzero_value_is_rounded_not_taken_for_zero(ws23):
    # RMSprop's first step moves every weight by 20: tanh saturates, and the loss (about 8e-135) is exactly 0 at
    # the first precisions the decimals are computed at
    run = run_optimizer(ws23, exercise("rmsprop", steps=3, lr=2, activations={1: ActivationSpec("tanh")}))
    with mpmath.workdps(400):
        start = {k: mpmath.mpf(v) for k, v in START.items()}
        gradient = lambda p: ws23_loss_and_gradients(p, lib=mpmath, hidden="tanh")
        expected, final = reference_run("rmsprop", start, list(START), gradient, 3, mpmath.mpf(2), sqrt=mpmath.sqrt,
                                        **mp_defaults())
        for step, (loss, rows) in zip(run.steps, expected):
            assert step.loss.decimal == rounded(loss, 4)
            assert all(step.rows[n]["g"].decimal == rounded(row["g"], 4) for n, row in rows.items())
    assert Decimal("1e-140") < run.steps[1].loss.decimal < Decimal("1e-130")


def test_zero_refinement_terminates():
    calls = []

    def evaluate():
        calls.append(decimal.getcontext().prec)
        return {"zero": Decimal(0), "third": Decimal(1) / 3}

    assert correctly_rounded(evaluate, 4) == {"zero": 0, "third": Decimal("0.3333")}
    assert max(calls) < 1000


# --- a one-weight quadratic by hand: L = (w − 1)², w₀ = 3, g = 2(w − 1)

ONE_WEIGHT = """
title = "one weight"
[network]
inputs = 1
[[network.layers]]
weights = "W"
values = [[3]]
activation = "identity"
[loss]
kind = "squared_error"
"""


def one_weight(optimizer_line: str, steps: int = 2, digits: int = 4) -> OptimizerRun:
    text = ONE_WEIGHT + f'[[exercises]]\nid = "q"\ntask = "optimize"\nx = 1\ny = 1\nsteps = {steps}\n{optimizer_line}\n'
    return optimize(symback.loads(text), "q", digits)


def column(run: OptimizerRun, name: str) -> list:
    return [row[name].exact for row in run.table()]


def test_quadratic_by_hand():
    q = sympy.Rational
    sgd = one_weight('optimizer = "sgd"\nlr = 0.25')
    assert column(sgd, "g") == [4, 2] and column(sgd, "new") == [2, q(3, 2)]
    assert [s.loss.exact for s in sgd.steps] == [4, 1] and sgd.final_loss.exact == q(1, 4)
    momentum = one_weight('optimizer = { kind = "momentum", lr = 0.25, momentum = 0.5 }')
    assert column(momentum, "velocity") == [4, 4] and column(momentum, "new") == [2, 1]
    nesterov = one_weight('optimizer = { kind = "nesterov", lr = 0.25, momentum = 0.5 }')
    assert column(nesterov, "direction") == [6, q(5, 2)] and column(nesterov, "new") == [q(3, 2), q(7, 8)]
    rmsprop = one_weight('optimizer = { kind = "rmsprop", lr = 0.25, rho = 0.75, eps = 0 }')
    assert column(rmsprop, "s") == [4, q(21, 4)] and column(rmsprop, "new") == [q(5, 2), q(5, 2) - sympy.sqrt(21) / 14]
    adam = one_weight('optimizer = { kind = "adam", lr = 0.1 }', steps=1)
    eps = q(1, 10**8)
    assert column(adam, "update") == [-q(1, 10) * 4 / (4 + eps)]  # −α·g/(|g| + ε)
    assert adam.steps[0].rows["w11"]["update"].decimal == Decimal("-0.1000")
    adamw = one_weight('optimizer = { kind = "adamw", lr = 0.5, weight_decay = 0.2, eps = 0 }', steps=1)
    assert column(adamw, "decayed") == [q(27, 10)] and column(adamw, "new") == [q(11, 5)]


def test_quadratic_against_float64_over_ten_steps():
    for kind in KINDS:
        run = one_weight(f'optimizer = {{ kind = "{kind}", lr = 0.05 }}', steps=10, digits=14)
        expected, final = reference_run(kind, {"w11": 3.0}, ["w11"], lambda p: ((p["w11"] - 1) ** 2,
                                        {"w11": 2 * (p["w11"] - 1)}), 10, 0.05)
        for step, (loss, rows) in zip(run.steps, expected):
            for name, value in rows["w11"].items():
                assert float(step.rows["w11"][name].decimal) == pytest.approx(value, rel=1e-11, abs=1e-13)
        assert float(run.final_loss.decimal) == pytest.approx(final, rel=1e-10)


def test_rule_in_symbols_and_with_the_numbers_of_step_one():
    run = one_weight('optimizer = { kind = "adam", lr = 0.1 }')
    lines = run.rule_lines("w11")
    assert [line.equation.target for line in lines] == ["m", "v", "m_hat", "v_hat", "update", "new"]
    m = lines[0]
    assert m.equation.latex() == r"m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t"
    assert m.equation.latex(1) == r"m_{1} = \beta_1 m_{0} + (1 - \beta_1) g_{1}"
    numbers = {name: str(value.decimal) for name, value in m.values.items()}
    assert m.equation.substituted(numbers) == r"0.9 \cdot 0 + (1 - 0.9) \cdot 4"
    assert m.result.exact == sympy.Rational(2, 5)
    assert run.rule_lines("w11")[2].values["t"].exact == 1
    second = run.rule_lines("w11", t=2)
    assert second[0].values["m_prev"] == m.result
    assert run.values_at(1, "w11")["eps"].exact == sympy.Rational(1, 10**8)


# --- which parameters move, options, problem files

def test_params_subset_and_frozen_parameters_never_move(ws23):
    run = run_optimizer(ws23, exercise("momentum", steps=3, params=("a22", "b12")))
    assert run.parameters == ("a22", "b12") and all(set(s.rows) == {"a22", "b12"} for s in run.steps)
    expected, _ = reference_run("momentum", {k: float(v) for k, v in START.items()}, ["a22", "b12"],
                                ws23_loss_and_gradients, 3, 0.1)
    for step, (_, rows) in zip(run.steps, expected):
        for name in ("a22", "b12"):
            assert float(step.rows[name]["new"].decimal) == pytest.approx(rows[name]["new"], rel=1e-3)
    network_only = open(WS23).read().split("[[exercises]]")[0]
    text = network_only.replace('inputs = ["x1", "x2"]', 'inputs = ["x1", "x2"]\nfrozen = ["a11", "b11"]')
    frozen = symback.loads(text)
    run = run_optimizer(frozen, exercise("adam", steps=3))
    assert run.parameters == ("a12", "a21", "a22", "b12")
    expected, _ = reference_run("adam", {k: float(v) for k, v in START.items()}, list(run.parameters),
                                ws23_loss_and_gradients, 3, 0.1)
    for step, (_, rows) in zip(run.steps, expected):
        for name, row in rows.items():
            assert float(step.rows[name]["new"].decimal) == pytest.approx(row["new"], rel=1e-3)
    with pytest.raises(ArgumentError, match="frozen"):
        run_optimizer(frozen, exercise("sgd", params=("a11",)))


def test_option_defaults_fill_in():
    run = one_weight('optimizer = "rmsprop"\nlr = 0.1', steps=1)
    assert {n: v.exact for n, v in run.hyperparameters.items()} == {
        "lr": sympy.Rational(1, 10), "rho": sympy.Rational(99, 100), "eps": sympy.Rational(1, 10**8)}
    assert run.hyperparameters["rho"].decimal == Decimal("0.99")
    adamw = one_weight('optimizer = { kind = "adamw", lr = 0.1, beta2 = 0.99 }', steps=1)
    assert adamw.hyperparameters["beta2"].exact == sympy.Rational(99, 100)
    assert adamw.hyperparameters["weight_decay"].exact == sympy.Rational(1, 100)


def test_problem_files_with_task_optimize_load_and_run():
    text = open(WS23).read() + "".join(
        f'\n[[exercises]]\nid = "o{i}"\ntask = "optimize"\nat = "3"\nsteps = 3\noptimizer = {line}\n'
        for i, line in enumerate(['{ kind = "adam", lr = 0.1, beta1 = 0.9, beta2 = 0.999, eps = 1e-8 }',
                                  '{ kind = "nesterov", lr = 0.5, momentum = 0.8 }',
                                  '{ kind = "rmsprop", lr = 0.01 }', '{ kind = "adamw", lr = 0.01 }',
                                  '{ kind = "momentum", lr = 1 }', '"sgd"\nlr = 2']))
    problem = symback.loads(text)
    for i, kind in enumerate(["adam", "nesterov", "rmsprop", "adamw", "momentum", "sgd"]):
        run = optimize(problem, f"o{i}")
        assert run.kind == kind and len(run.table()) == 3 * 6 and run.digits == problem.rounding
        assert run.steps[0].loss.exact == 4
    assert optimize(problem, "5").kind == "sgd"  # an sgd exercise is one step of SGD
    assert optimize(problem, "5").steps[0].rows["b12"]["new"].exact == symback.sgd(
        problem, symback.backprop(problem, [1, 3], 2).grad, 2)["b12"]
    with pytest.raises(ArgumentError, match="no exercise"):
        optimize(problem, "nope")
    with pytest.raises(ArgumentError, match="no optimizer"):
        optimize(problem, "4")


def test_bad_arguments():
    def quadratic(arithmetic, p):
        return p["w"] * p["w"], {"w": p["w"] + p["w"]}

    spec = OptimizerSpec("adam", sympy.Integer(1))
    with pytest.raises(ArgumentError, match="digits"):
        optimize_with(quadratic, {"w": sympy.Integer(1)}, ["w"], spec, 1, digits=0)
    with pytest.raises(ArgumentError, match="steps"):
        optimize_with(quadratic, {"w": sympy.Integer(1)}, ["w"], spec, 0)
    with pytest.raises(ArgumentError, match="unknown parameter"):
        optimize_with(quadratic, {"w": sympy.Integer(1)}, ["u"], spec, 1)
    with pytest.raises(ArgumentError, match="no option 'momentum'"):
        optimize_with(quadratic, {"w": sympy.Integer(1)}, ["w"], OptimizerSpec("adam", 1, {"momentum": 1}), 1)
    with pytest.raises(ArgumentError, match="unknown optimizer"):
        optimize_with(quadratic, {"w": sympy.Integer(1)}, ["w"], OptimizerSpec("nadam", 1), 1)


def test_a_gradient_callback_runs_a_circuit_too():
    # f(x, y) = x·y + y², gradient (y, x + 2y): what an expression circuit will plug in
    def circuit(arithmetic, p):
        two = arithmetic.from_sympy(sympy.Integer(2))
        return p["x"] * p["y"] + p["y"] * p["y"], {"x": p["y"], "y": p["x"] + two * p["y"]}

    run = optimize_with(circuit, {"x": sympy.Integer(1), "y": sympy.Integer(2)}, ["y"],
                        OptimizerSpec("sgd", sympy.Rational(1, 10)), 2)
    assert [row["new"].exact for row in run.table()] == [sympy.Rational(3, 2), sympy.Rational(11, 10)]
    assert run.steps[0].loss.exact == 6 and run.parameters == ("y",)


def test_an_undecidable_exact_sign_leaves_decimals_only():
    from symback.numbers.arithmetic import EXACT, UndecidableSign

    def gradient_at(arithmetic, p):  # L = w², and an exact sign that cannot be decided from step 2 on
        if arithmetic is EXACT and p["w"] != 3:
            raise UndecidableSign("cannot decide")
        return p["w"] * p["w"], {"w": p["w"] + p["w"]}

    run = optimize_with(gradient_at, {"w": 3}, ["w"], OptimizerSpec("sgd", sympy.Rational(1, 4)), 3)
    assert run.exact_steps == 1 and run.steps[0].rows["w"]["new"].exact == sympy.Rational(3, 2)
    assert run.steps[1].loss.exact is None and run.steps[1].loss.decimal == Decimal("2.25")
    assert [row["new"].decimal for row in run.table()] == [Decimal("1.5"), Decimal("0.75"), Decimal("0.375")]


def test_the_api_checks_option_ranges_as_the_file_reader_does():
    import sympy as _sympy

    from symback.errors import ArgumentError
    from symback.problem.model import OptimizerSpec
    from symback.runs.optimize import optimize_with

    def square(arithmetic, p):
        return p["w"] * p["w"], {"w": p["w"] + p["w"]}

    for kind, options in (("adam", {"beta1": 1}), ("rmsprop", {"rho": 1}), ("adam", {"eps": -1}),
                          ("momentum", {"momentum": -1}), ("adamw", {"weight_decay": "-1/10"})):
        with pytest.raises(ArgumentError, match=f"option {next(iter(options))}: expected"):
            optimize_with(square, {"w": _sympy.Integer(3)}, ["w"], OptimizerSpec(kind, 1, options), 2)


def test_rounding_stops_at_its_precision_cap_and_calls_an_unsettled_residue_zero():
    """A value that moves at every precision (p·10⁻ᵖ, a residue of cancellation) is computed up to max_digits
    and no further, and is 0 there; a value that settles is rounded as usual."""
    import decimal as _decimal

    from symback.numbers.rounding import correctly_rounded

    used = []

    def evaluate():
        precision = _decimal.getcontext().prec
        used.append(precision)
        return {"residue": _decimal.Decimal(precision).scaleb(-precision), "third": _decimal.Decimal(1) / 3}

    found = correctly_rounded(evaluate, 4, max_digits=120)
    assert max(used) == 120
    assert found == {"residue": 0, "third": round(_decimal.Decimal(1) / 3, 4)}
