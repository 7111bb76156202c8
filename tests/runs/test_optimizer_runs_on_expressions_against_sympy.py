"""Adversarial review of ``task = "optimize"`` on expression problems.

Every expected value comes from a route written here: the expression rebuilt in SymPy with its own kink functions
(relu'(0) = 0, abs'(0) = 0, max/min ties split or to the first), differentiated whole by ``sympy.diff`` and
evaluated exactly (rational runs) or at 60 digits, and each optimizer's textbook loop. The last tests hold bugs
found in review (/tmp/review_copt.md), fixed while it ran.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sympy
from cli_helpers import fill_skeleton, run
from sympy import Rational

import symback
from symback.checker.skeleton import answers_skeleton

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "problems" / "circuit_optimizers.toml"
TIES = {"mode": "split"}


# --- the independent route -------------------------------------------------------------------------------------

def _is_zero(x) -> bool:
    return x.is_zero is True or (x.is_zero is None and sympy.simplify(x) == 0)


def _positive(x) -> bool:
    return bool(sympy.N(x, 80) > 0)


class _Step(sympy.Function):
    @classmethod
    def eval(cls, x):
        if x.is_number:
            return sympy.Integer(0) if _is_zero(x) else sympy.Integer(int(_positive(x)))


class _Sign(sympy.Function):
    @classmethod
    def eval(cls, x):
        if x.is_number:
            return sympy.Integer(0) if _is_zero(x) else sympy.Integer(1 if _positive(x) else -1)


class _Share(sympy.Function):
    """The share of one argument of max: d is (this argument − the other); first is 1 for max's first argument."""

    @classmethod
    def eval(cls, d, first):
        if d.is_number:
            if _is_zero(d):
                return Rational(1, 2) if TIES["mode"] == "split" else sympy.Integer(int(first == 1))
            return sympy.Integer(int(_positive(d)))


class _Relu(sympy.Function):
    def fdiff(self, argindex=1):
        return _Step(self.args[0])


class _Abs(sympy.Function):
    def fdiff(self, argindex=1):
        return _Sign(self.args[0])


class _Max(sympy.Function):
    def fdiff(self, argindex=1):
        a, b = self.args
        return _Share(a - b, 1) if argindex == 1 else _Share(b - a, 0)


class _Min(sympy.Function):
    def fdiff(self, argindex=1):
        a, b = self.args
        return _Share(b - a, 1) if argindex == 1 else _Share(a - b, 0)


class _Sigmoid(sympy.Function):
    def fdiff(self, argindex=1):
        return _Sigmoid(self.args[0]) * (1 - _Sigmoid(self.args[0]))


_NAMES = {"relu": _Relu, "abs": _Abs, "max": _Max, "min": _Min, "sigmoid": _Sigmoid, "ln": sympy.log}
_VALUES = {_Relu: lambda x: sympy.Max(x, 0), _Abs: sympy.Abs, _Max: sympy.Max, _Min: sympy.Min,
           _Sigmoid: lambda x: 1 / (1 + sympy.exp(-x))}


def _evaluate(expression):
    for function, value in _VALUES.items():
        expression = expression.replace(function, value)
    return expression


def _parse(text: str, symbols: dict):
    parsed = sympy.parse_expr(text.replace("^", "**"), local_dict={**_NAMES, **symbols}, evaluate=True)
    return parsed.xreplace({f: sympy.nsimplify(str(f), rational=True) for f in parsed.atoms(sympy.Float)})


def reference(stages, at, moving, kind, steps, *, loss=None, y=None, ties="split", exact=True, **options):
    """(rows, final): rows[t-1] = (value before step t, {p: g_t}, {p: θ_t})."""
    TIES["mode"] = ties
    symbols = {name: sympy.Symbol(name) for name in at}
    env = dict(symbols)
    for stage in stages:
        name, right = stage.split("=", 1)
        env[name.strip()] = f = _parse(right, env)
    if loss == "squared_error":
        f = (f - y) ** 2
    elif loss == "half_squared_error":
        f = (f - y) ** 2 / 2
    grads = {p: sympy.diff(f, symbols[p]) for p in moving}
    n = (lambda e: e if e.is_Rational else sympy.simplify(e)) if exact else \
        (lambda e: sympy.Float(sympy.N(e, 60), 60))
    lr = options.get("lr")
    mu, rho = options.get("momentum", Rational(9, 10)), options.get("rho", Rational(99, 100))
    b1, b2 = options.get("beta1", Rational(9, 10)), options.get("beta2", Rational(999, 1000))
    eps, wd = options.get("eps", Rational(1, 10**8)), options.get("weight_decay", Rational(1, 100))
    theta = dict(at)
    memory = {p: dict(v=0, s=0, m=0, vv=0) for p in moving}
    rows = []

    def value_at(expression):
        return n(_evaluate(expression.subs({symbols[k]: v for k, v in theta.items()})).doit())

    for t in range(1, steps + 1):
        before = value_at(f)
        g = {p: value_at(grads[p]) for p in moving}
        new = {}
        for p in moving:
            th, m = theta[p], memory[p]
            if kind == "sgd":
                new[p] = th - lr * g[p]
            elif kind in ("momentum", "nesterov"):
                m["v"] = mu * m["v"] + g[p]
                new[p] = th - lr * (m["v"] if kind == "momentum" else g[p] + mu * m["v"])
            elif kind == "rmsprop":
                m["s"] = rho * m["s"] + (1 - rho) * g[p] ** 2
                new[p] = th - lr * g[p] / (sympy.sqrt(m["s"]) + eps)
            else:
                if kind == "adamw":
                    th = th - lr * wd * th
                m["m"] = b1 * m["m"] + (1 - b1) * g[p]
                m["vv"] = b2 * m["vv"] + (1 - b2) * g[p] ** 2
                new[p] = th - lr * (m["m"] / (1 - b1**t)) / (sympy.sqrt(m["vv"] / (1 - b2**t)) + eps)
            new[p] = n(new[p])
        theta.update(new)
        rows.append((before, g, new))
    return rows, value_at(f)


def assert_run_matches(run, rows, final, digits=12):
    assert len(run.steps) == len(rows)
    for step, (before, g, new) in zip(run.steps, rows):
        assert float(step.loss.decimal) == pytest.approx(float(before), rel=10**-digits, abs=10**-digits), step.t
        for p in g:
            assert float(step.rows[p]["g"].decimal) == pytest.approx(float(g[p]), rel=1e-10, abs=1e-12), (step.t, p)
            assert float(step.rows[p]["new"].decimal) == pytest.approx(float(new[p]), rel=1e-10, abs=1e-12), (step.t, p)
            if step.rows[p]["new"].exact is not None:
                assert sympy.N(step.rows[p]["new"].exact - new[p], 40) == pytest.approx(0, abs=1e-30)
    assert float(run.final_loss.decimal) == pytest.approx(float(final), rel=1e-10, abs=1e-12)


def problem_text(stages, at, optimizer, steps, *, params=None, loss=None, y=None, ties=None, extra=""):
    quote = lambda v: f'"{v}"' if isinstance(v, str) else v  # noqa: E731
    text = 'title = "t"\n[expression]\nstages = [' + ", ".join(json.dumps(s) for s in stages) + "]\n"
    text += "at = { " + ", ".join(f"{k} = {quote(v)}" for k, v in at.items()) + " }\n"
    if params:
        text += "params = " + json.dumps(params) + "\n"
    if ties:
        text += f'ties = "{ties}"\n'
    if loss:
        text += f'[loss]\nkind = "{loss}"\n'
    text += ('[[exercises]]\nid = "1"\ntask = "optimize"\noptimizer = { '
             + ", ".join(f"{k} = {quote(v)}" for k, v in optimizer.items()) + f" }}\nsteps = {steps}\n")
    if y is not None:
        text += f"y = {y}\n"
    return text + extra


def _rational(v):
    return sympy.nsimplify(v, rational=True)


# --- correctness against the independent route --------------------------------------------------------------------

LEAKY = ["z = w * x + b", "f = max(z, 0.2 * z)"]


@pytest.mark.parametrize("kind", ["sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw"])
def test_leaky_unit_with_loss_every_optimizer(kind):
    lr = "0.15" if kind in ("sgd", "momentum", "nesterov") else "0.1"
    text = problem_text(LEAKY, {"w": 0.25, "b": -1, "x": 2}, {"kind": kind, "lr": float(lr)}, 4,
                        params=["w", "b"], loss="squared_error", y=1)
    run = symback.optimize(symback.loads(text), "1", digits=14)
    rows, final = reference(LEAKY, {"w": Rational(1, 4), "b": -1, "x": 2}, ["w", "b"], kind, 4,
                            loss="squared_error", y=1, exact=kind in ("sgd", "momentum", "nesterov"),
                            lr=_rational(lr))
    assert_run_matches(run, rows, final)
    assert run.objective == "L"


SMOOTH = ["a = w * x", "f = tanh(a + b) * relu(w - b) + log(1 + w^2) + sigmoid(b)"]


@pytest.mark.parametrize("kind", ["sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw"])
@pytest.mark.parametrize("moving", [None, ["w"]])
def test_without_loss_f_itself_is_minimised(kind, moving):
    options = {"kind": kind, "lr": 0.3}
    if kind in ("momentum", "nesterov"):
        options["momentum"] = 0.5
    if kind == "adamw":
        options["weight_decay"] = 0.25
    extra = "" if moving is None else f"params = {json.dumps(moving)}\n"
    text = problem_text(SMOOTH, {"w": 0.7, "b": -0.4, "x": 1.3}, options, 3, params=["w", "b"], extra=extra)
    run = symback.optimize(symback.loads(text), "1", digits=14)
    names = moving or ["w", "b"]
    assert list(run.parameters) == names
    rows, final = reference(SMOOTH, {"w": _rational(0.7), "b": _rational(-0.4), "x": _rational(1.3)}, names, kind, 3,
                            exact=False, **{k: _rational(v) for k, v in options.items() if k != "kind"})
    assert_run_matches(run, rows, final)
    assert run.objective == "f"


@pytest.mark.parametrize("ties", ["first", "split"])
@pytest.mark.parametrize("stages, at, kind", [
    (["f = max(w, b) + (w - 2)^2 + (b + 1)^2"], {"w": 1, "b": 1}, "sgd"),          # a tie at the start
    (["f = min(w, b) * 2 + w^2 + b^2"], {"w": 1, "b": 1}, "momentum"),
    (["f = max(w, 1/2) + relu(w - 1/2) * 3 + abs(2*w - 1)"], {"w": Rational(1, 2)}, "sgd"),  # every kink at once
    (["f = max(w, 0.3) + w^2"], {"w": Rational(1, 2)}, "sgd"),                         # a tie reached at step 2
])
def test_kinks_and_ties_hit_exactly_with_terminating_decimals(ties, stages, at, kind):
    text = problem_text(stages, {k: str(v) for k, v in at.items()}, {"kind": kind, "lr": 0.1}, 3, ties=ties)
    run = symback.optimize(symback.loads(text), "1", digits=14)
    rows, final = reference(stages, at, list(at), kind, 3, ties=ties, lr=Rational(1, 10))
    assert_run_matches(run, rows, final)


def test_kink_crossed_during_the_run():
    """The shipped example: z crosses the kink of max between steps 2 and 3."""
    p = symback.load(SHIPPED)
    run = symback.optimize(p, "2", digits=14)
    rows, final = reference(LEAKY, {"w": Rational(1, 4), "b": -1, "x": 2}, ["w", "b"], "sgd", 4,
                            loss="squared_error", y=1, lr=Rational(3, 20))
    assert_run_matches(run, rows, final)
    assert run.steps[2].rows["w"]["g"].exact == Rational(-4299, 1250)


def test_values_override_at_and_hyperparameter_names():
    stages = ["z = lr * x + eps", "f = relu(z) * beta1 + alpha^2"]
    text = problem_text(stages, {"lr": 0.5, "eps": -1, "x": 3, "beta1": 2, "alpha": 1},
                        {"kind": "momentum", "lr": 0.1}, 2, params=["lr", "eps", "alpha", "beta1"],
                        extra='values = { x = 1, lr = 2 }\nparams = ["lr", "alpha"]\n')
    run = symback.optimize(symback.loads(text), "1", digits=14)
    rows, final = reference(stages, {"lr": 2, "eps": -1, "x": 1, "beta1": 2, "alpha": 1}, ["lr", "alpha"],
                            "momentum", 2, lr=Rational(1, 10))
    assert_run_matches(run, rows, final)


# --- domain errors: one line, exit 2, nothing written ------------------------------------------------------------

@pytest.mark.parametrize("f, w, lr, node", [
    ("log(w) + 3*w", "1/2", "1/6", "node q1 = log(w)"),
    ("sqrt(w) + w", "1", "1", "node q1 = sqrt(w)"),
])
def test_parameter_driven_out_of_the_domain(tmp_path, capsys, f, w, lr, node):
    path = tmp_path / "d.toml"
    path.write_text(f'title = "t"\n[expression]\nf = "{f}"\nat = {{ w = "{w}" }}\n[[exercises]]\nid = "e7"\n'
                    f'task = "optimize"\noptimizer = {{ kind = "sgd", lr = "{lr}" }}\nsteps = 3\n')
    out = tmp_path / "out"
    code, stdout, err = run(capsys, "solve", path, "-o", out, "--format", "md")
    assert code == 2 and not out.exists()
    assert len(err.strip().splitlines()) == 1
    assert str(path) in err and "exercises[id=e7]" in err and node in err
    code, _, err = run(capsys, "answers", path, "-o", tmp_path / "a.toml")
    assert code == 2 and not (tmp_path / "a.toml").exists()


# --- the checker --------------------------------------------------------------------------------------------------

def _answers(p, exercise, significant=None, only_asked=False):
    run_ = symback.optimize(p, exercise, digits=20)
    out = {}
    for row in run_.table():
        for column in run_.columns:
            if column == "theta" or (only_asked and column != "new"):
                continue
            name = f"{row['parameter']}[{row['t']}]" if column == "new" else f"{column}[{row['t']}]:{row['parameter']}"
            value = row[column].decimal
            out[name] = format(value, f".{significant}g") if significant else str(value)
    return out


@pytest.mark.parametrize("significant, only_asked", [(None, False), (4, False), (4, True)])
def test_checker_right_answers_for_the_shipped_runs(tmp_path, capsys, significant, only_asked):
    p = symback.load(SHIPPED)
    answers = {e: _answers(p, e, significant, only_asked) for e in ("2", "3", "4")}
    answers["1"] = {"dL/dw": "-0.88", "dL/db": "-0.44"}
    path = tmp_path / "a.toml"
    path.write_text(fill_skeleton(answers_skeleton(p), answers))
    code, out, _ = run(capsys, "check", SHIPPED, path)
    assert "✗" not in out and " wrong" not in out.split("Tolerance")[0]


def test_checker_carries_a_slip_in_step_2_forward(tmp_path, capsys):
    """SGD on the shipped leaky unit; w[2] is slipped to 0.3 (z back on the leaky side); later values follow from it,
    computed by the independent route from the student's own (written) values."""
    p = symback.load(SHIPPED)
    answers = {k: v for k, v in _answers(p, "2").items() if k.endswith("[1]") or "[1]:" in k or "[2]" in k}
    answers["w[2]"] = "0.3"
    theta = {"w": Rational(3, 10), "b": _rational(answers["b[2]"]), "x": 2}
    rows, _ = reference(LEAKY, theta, ["w", "b"], "sgd", 2, loss="squared_error", y=1, lr=Rational(3, 20))
    for t, (_, g, new) in zip((3, 4), rows):
        for q in "wb":
            answers[f"g[{t}]:{q}"] = str(sympy.N(g[q], 20))
            answers[f"update[{t}]:{q}"] = str(sympy.N(-Rational(3, 20) * g[q], 20))
            answers[f"{q}[{t}]"] = str(sympy.N(new[q], 20))
    path = tmp_path / "a.toml"
    path.write_text(fill_skeleton(answers_skeleton(p), {"2": answers}))
    _, out, _ = run(capsys, "check", SHIPPED, path)
    marked = [line for line in out.splitlines() if line.strip().startswith(("✗", "→", "✓"))]
    wrong = [line for line in marked if line.strip().startswith("✗")]
    assert len(wrong) == 1 and "w[2]" in wrong[0]
    assert sum(line.strip().startswith("→") for line in marked) == 12


# --- bugs found in review (fixed while it ran) -----------------------------------------------------------------------

def test_kink_hit_exactly_with_non_terminating_decimals():
    """BUG 1 of the review: the decimal run decides an exactly-hit kink from its rounding."""
    stages = ["f = abs(w - 1/3) + (w - 1)^2"]
    text = problem_text(stages, {"w": 1}, {"kind": "sgd", "lr": "2/3"}, 3)
    run = symback.optimize(symback.loads(text), "1", digits=14)
    rows, final = reference(stages, {"w": 1}, ["w"], "sgd", 3, lr=Rational(2, 3))
    assert_run_matches(run, rows, final)


def test_kink_at_an_irrational_start():
    """BUG 1 of the review: an abs kink at an irrational start is decided from decimals."""
    stages = ["f = abs(w^2 - 2) + w"]
    text = problem_text(stages, {"w": "sqrt(2)"}, {"kind": "sgd", "lr": 0.1}, 2)
    run = symback.optimize(symback.loads(text), "1", digits=14)
    rows, final = reference(stages, {"w": sympy.sqrt(2)}, ["w"], "sgd", 2, exact=False, lr=Rational(1, 10))
    assert_run_matches(run, rows, final)


def test_division_by_exactly_zero_during_the_run(tmp_path, capsys):
    """BUG 2 of the review: division by exactly 0 after step 1 is walked past by the decimals."""
    path = tmp_path / "d.toml"
    path.write_text('title = "t"\n[expression]\nf = "1/(3*w - 1) + 3*w"\nat = { w = 1 }\n[[exercises]]\nid = "1"\n'
                    'task = "optimize"\noptimizer = { kind = "sgd", lr = "8/27" }\nsteps = 3\n')
    code, _, err = run(capsys, "solve", path, "-o", tmp_path / "out", "--format", "md")
    assert code == 2 and "division by zero" in err and not (tmp_path / "out").exists()


def test_checker_right_answers_at_an_exactly_hit_kink(tmp_path, capsys):
    """BUG 3 of the review: the checker marks the right gradient at an exactly-hit kink wrong."""
    text = problem_text(["f = abs(w - 1/3) + (w - 1)^2"], {"w": 1}, {"kind": "sgd", "lr": "2/3"}, 3)
    src = tmp_path / "p.toml"
    src.write_text(text)
    p = symback.load(src)
    answers = {"g[1]:w": "1", "update[1]:w": "-2/3", "w[1]": "1/3", "g[2]:w": "-4/3", "update[2]:w": "8/9",
               "w[2]": "11/9", "g[3]:w": "13/9", "update[3]:w": "-26/27", "w[3]": "7/27"}
    path = tmp_path / "a.toml"
    path.write_text(fill_skeleton(answers_skeleton(p), {"1": answers}))
    _, out, _ = run(capsys, "check", src, path)
    assert "9/9 points" in out


def test_skeleton_keeps_a_parameter_named_alpha_apart_from_the_learning_rate():
    """BUG 4 of the review (skeleton part): a parameter named alpha was printed α, as the learning rate is."""
    stages = ["z = lr * x + eps", "f = relu(z) * beta1 + alpha^2"]
    text = problem_text(stages, {"lr": 0.5, "eps": -1, "x": 3, "beta1": 2, "alpha": 1}, {"kind": "adam", "lr": 0.1}, 2,
                        params=["lr", "eps", "alpha", "beta1"])
    skeleton = answers_skeleton(symback.loads(text))
    line = next(line for line in skeleton.splitlines() if line.startswith('"alpha[1]"'))
    assert "g[1]:alpha" in line and "g[1]:α" not in line and "update[1]:alpha" in line
