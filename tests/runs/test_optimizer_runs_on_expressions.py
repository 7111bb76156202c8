"""Optimizers over several steps on an expression problem (``task = "optimize"`` on a circuit).

Expected values come from routes written here: the expression written again in SymPy, differentiated whole by
SymPy's diff and evaluated at 60 digits in mpmath, and each optimizer's loop written out from its textbook form
(float64 where that is the point, 60-digit mpmath where rounding must be compared).
"""

from __future__ import annotations

import math
from pathlib import Path

import mpmath
import pytest
import sympy
from cli_helpers import fill_skeleton, run

import symback
from symback.checker.checklist import build_checklist
from symback.checker.skeleton import answers_skeleton

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "problems" / "circuit_optimizers.toml"

W, B, X, Y = sympy.symbols("w b x y")


def problem(expression: str, at: str, body: str, loss: str = "", params: str = '["w", "b"]'):
    return symback.loads(f'title = "t"\n[expression]\nf = "{expression}"\nat = {at}\nparams = {params}\n{loss}\n'
                         f'[[exercises]]\nid = "1"\ntask = "optimize"\n{body}\n')


def gradient_function(expression: sympy.Expr, names: tuple[sympy.Symbol, ...], fixed: dict):
    """f and its gradient by SymPy's diff of the whole expression, evaluated at 60 digits."""
    whole = expression.subs(fixed)
    parts = [sympy.diff(whole, name) for name in names]

    def at(values):
        point = dict(zip(names, values))
        return (sympy.N(whole.subs(point), 60), [sympy.N(part.subs(point), 60) for part in parts])

    return at


def textbook_run(kind: str, start: list[float], gradient, steps: int, lr: float, **options):
    """The rules as textbooks write them, in floats: every θ after every step."""
    theta = list(start)
    m = [0.0] * len(theta)
    v = [0.0] * len(theta)
    found = []
    for t in range(1, steps + 1):
        g = [float(value) for value in gradient(theta)[1]]
        for i, gi in enumerate(g):
            if kind == "sgd":
                theta[i] -= lr * gi
            elif kind == "momentum":
                m[i] = options["momentum"] * m[i] + gi
                theta[i] -= lr * m[i]
            elif kind == "adam":
                b1, b2, eps = options.get("beta1", 0.9), options.get("beta2", 0.999), options.get("eps", 1e-8)
                m[i] = b1 * m[i] + (1 - b1) * gi
                v[i] = b2 * v[i] + (1 - b2) * gi * gi
                theta[i] -= lr * (m[i] / (1 - b1**t)) / (math.sqrt(v[i] / (1 - b2**t)) + eps)
        found.append(list(theta))
    return found


LEAKY = sympy.Max(W * 2 + B, sympy.Rational(1, 5) * (W * 2 + B))


@pytest.mark.parametrize("kind, lr, body, options", [
    ("sgd", 0.15, "lr = 0.15\nsteps = 4", {}),
    ("momentum", 0.15, 'optimizer = { kind = "momentum", lr = 0.15, momentum = 0.9 }\nsteps = 4', {"momentum": 0.9}),
    ("adam", 0.1, 'optimizer = { kind = "adam", lr = 0.1 }\nsteps = 5', {}),
])
def test_a_run_on_a_circuit_with_a_loss_agrees_with_the_textbook_loop(kind, lr, body, options):
    p = problem("max(w*x + b, 0.2*(w*x + b))", "{ w = 0.25, b = -1, x = 2 }", f"y = 1\n{body}",
                '[loss]\nkind = "squared_error"')
    run = symback.optimize(p, "1")
    loss = (LEAKY - 1) ** 2
    expected = textbook_run(kind, [0.25, -1.0], gradient_function(loss, (W, B), {}), len(run.steps), lr, **options)
    for step, thetas in zip(run.steps, expected):
        for name, theta in zip(("w", "b"), thetas):
            assert float(step.rows[name]["new"].decimal) == pytest.approx(theta, rel=1e-3, abs=1e-9)


def test_the_loss_and_gradient_of_every_step_agree_with_diff_at_60_digits():
    expression = W * sympy.log(1 + B**2) + sympy.sin(W * B) / (1 + sympy.exp(-W))
    p = problem("w*log(1 + b^2) + sin(w*b)*sigmoid(w)", "{ w = 1, b = 2 }",
                'optimizer = { kind = "momentum", lr = 0.2, momentum = 0.5 }\nsteps = 4')
    run = symback.optimize(p, "1", digits=15)
    value = sympy.lambdify((W, B), expression, "mpmath")
    parts = [sympy.lambdify((W, B), sympy.diff(expression, name), "mpmath") for name in (W, B)]
    with mpmath.workdps(60):
        theta, velocity = [mpmath.mpf(1), mpmath.mpf(2)], [0, 0]
        for step in run.steps:
            assert float(step.loss.decimal) == pytest.approx(float(value(*theta)), rel=1e-13)
            gradient = [part(*theta) for part in parts]
            for i, name in enumerate(("w", "b")):
                assert float(step.rows[name]["g"].decimal) == pytest.approx(float(gradient[i]), rel=1e-13)
                velocity[i] = mpmath.mpf("0.5") * velocity[i] + gradient[i]
                theta[i] = theta[i] - mpmath.mpf("0.2") * velocity[i]
                assert float(step.rows[name]["new"].decimal) == pytest.approx(float(theta[i]), rel=1e-13)


def test_step_one_is_exact_and_equals_diff_of_the_whole_expression():
    p = problem("relu(w*x - 1) + sigmoid(w)", "{ w = 3, x = 2 }", "lr = 0.5\nsteps = 2", params='["w"]')
    run = symback.optimize(p, "1")
    f = sympy.Max(0, W * 2 - 1) + 1 / (1 + sympy.exp(-W))
    g1 = sympy.diff(f, W).subs(W, 3)
    first = run.steps[0].rows["w"]
    assert sympy.simplify(first["g"].exact - g1) == 0
    assert sympy.simplify(first["new"].exact - (3 - sympy.Rational(1, 2) * g1)) == 0
    assert sympy.simplify(run.steps[0].loss.exact - f.subs(W, 3)) == 0


def test_without_a_loss_f_itself_is_minimised_and_named_so():
    p = problem("(w - 1)^2 + b^2", "{ w = 3, b = 1 }", "lr = 0.25\nsteps = 3")
    run = symback.optimize(p, "1")
    w, b = 3, 1
    for step in run.steps:
        assert step.loss.exact == (w - 1) ** 2 + b**2
        w, b = w - sympy.Rational(1, 4) * 2 * (w - 1), b - sympy.Rational(1, 4) * 2 * b
        assert (step.rows["w"]["new"].exact, step.rows["b"]["new"].exact) == (w, b)
    skeleton = answers_skeleton(p)
    assert "the gradient ∂f/∂w in step 2" in skeleton and "∂L" not in skeleton


def test_only_the_parameters_move_and_fixed_variables_keep_their_values():
    p = problem("w*x + b*x", "{ w = 1, b = 2, x = 3 }", 'lr = 0.1\nsteps = 2\nparams = ["b"]', params='["w", "b"]')
    run = symback.optimize(p, "1")
    assert run.parameters == ("b",)
    expected = sympy.diff(W * X + B * X, B).subs({W: 1, X: 3})  # b moves, but ∂f/∂b = x does not depend on it
    assert [step.rows["b"]["g"].exact for step in run.steps] == [expected, expected]
    with pytest.raises(symback.ProblemError, match="'x' is not among expression.params"):
        problem("w*x", "{ w = 1, x = 3 }", 'lr = 0.1\nparams = ["x"]', params='["w"]')


def test_a_kink_crossed_by_the_decimals_alone_is_decided_from_them():
    """Once exact values are dropped (a long run of transcendental values), relu's branch comes from the
    decimals: the run still matches the textbook loop with relu'(z) = [z > 0]."""
    p = problem("relu(sin(w) - 0.5) + (w - 2)^2 / 4", "{ w = 0.1 }", "lr = 0.5\nsteps = 12", params='["w"]')
    run = symback.optimize(p, "1")
    assert run.exact_steps < 12
    def gradient(theta):  # of relu(sin(w) − 1/2) + (w − 2)²/4, with relu'(z) = [z > 0]
        w = theta[0]
        return None, [(math.cos(w) if math.sin(w) > 0.5 else 0.0) + (w - 2) / 2]

    expected = textbook_run("sgd", [0.1], gradient, 12, 0.5)
    crossed = [math.sin(theta[0]) > 0.5 for theta in expected]
    assert any(crossed) and not all(crossed)  # the run does cross the kink
    for step, theta in zip(run.steps, expected):
        assert float(step.rows["w"]["new"].decimal) == pytest.approx(theta[0], rel=1e-3)


def test_a_parameter_moved_out_of_the_domain_is_one_line_naming_the_node(tmp_path, capsys):
    path = tmp_path / "log.toml"
    path.write_text('title = "t"\n[expression]\nf = "log(w) + w^2"\nat = { w = 1 }\n'
                    '[[exercises]]\nid = "1"\ntask = "optimize"\nlr = 2\nsteps = 3\n', encoding="utf-8")
    code, out, err = run(capsys, "solve", path, "-o", tmp_path / "out", "--format", "md")
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "log" in err and "w = " in err
    assert not (tmp_path / "out" / "log.md").exists()


def test_the_sheet_derives_step_one_through_the_circuit_then_shows_every_step(tmp_path, capsys):
    code, _, err = run(capsys, "solve", SHIPPED, "-o", tmp_path, "--format", "md,tex")
    assert code == 0, err
    sheet = (tmp_path / "circuit_optimizers.md").read_text(encoding="utf-8")
    exercise_2 = sheet.split("## Exercise 2")[1].split("## Exercise 3")[0]
    assert "**Gradient descent**, 4 steps" in exercise_2
    assert exercise_2.count("| $w$ |") == 4 and exercise_2.count("| $b$ |") == 4
    assert "The backward pass is that of exercise 1" in exercise_2
    tex = (tmp_path / "circuit_optimizers.tex").read_text(encoding="utf-8")
    assert "Adam" in tex and r"\hat{m}" in tex


def test_the_shipped_runs_agree_with_the_textbook_loop():
    p = symback.load(SHIPPED)
    loss = (LEAKY - 1) ** 2
    for exercise_id, kind, lr, options in (("2", "sgd", 0.15, {}), ("3", "momentum", 0.15, {"momentum": 0.9}),
                                           ("4", "adam", 0.1, {})):
        run = symback.optimize(p, exercise_id)
        expected = textbook_run(kind, [0.25, -1.0], gradient_function(loss, (W, B), {}), 4, lr, **options)
        for step, thetas in zip(run.steps, expected):
            for name, theta in zip(("w", "b"), thetas):
                assert float(step.rows[name]["new"].decimal) == pytest.approx(theta, rel=1e-3)


# the checker ---------------------------------------------------------------------------------------------------------

def _textbook_sgd_in_mpmath(lr, steps, slip_at=None, slip=None):
    """SGD on the shipped unit in 60-digit mpmath: every gradient and θ, optionally with θ_w replaced by a slip
    after step ``slip_at`` and everything after computed honestly from it."""
    with mpmath.workdps(60):
        w, b, x, y = mpmath.mpf("0.25"), mpmath.mpf(-1), 2, 1
        found = {}
        for t in range(1, steps + 1):
            z = w * x + b
            f = max(z, z / 5)
            slope = 1 if z > 0 else mpmath.mpf(1) / 5
            dz = 2 * (f - y) * slope
            gw, gb = dz * x, dz
            w, b = w - lr * gw, b - lr * gb
            if t == slip_at:
                w = slip
            found.update({f"g[{t}]:w": gw, f"g[{t}]:b": gb, f"w[{t}]": w, f"b[{t}]": b})
        return found


def _as_text(value) -> str:
    return mpmath.nstr(value, 12)


def test_check_marks_a_right_run_right(tmp_path):
    p = symback.load(SHIPPED)
    values = _textbook_sgd_in_mpmath(mpmath.mpf("0.15"), 4)
    report = symback.check(p, {"2": {name: _as_text(value) for name, value in values.items()}})
    run_verdicts = [v for v in report.verdicts if v.item.exercise == "2" and v.status != "missing"]
    assert run_verdicts and all(v.status == "correct" for v in run_verdicts)


def test_a_slip_in_step_two_is_carried_forward_through_the_circuit(tmp_path, capsys):
    p = symback.load(SHIPPED)
    right = _textbook_sgd_in_mpmath(mpmath.mpf("0.15"), 4)
    slipped = right["w[2]"] + 1  # the student adds wrong in step 2
    theirs = _textbook_sgd_in_mpmath(mpmath.mpf("0.15"), 4, slip_at=2, slip=slipped)
    answers = {"2": {name: _as_text(value) for name, value in theirs.items()}}
    skeleton = tmp_path / "answers.toml"
    skeleton.write_text(fill_skeleton(answers_skeleton(p), answers), encoding="utf-8")
    code, out, _ = run(capsys, "check", SHIPPED, skeleton, "--json")
    assert code == 1
    report = symback.check(p, skeleton)
    status = {v.item.key: v.status for v in report.verdicts if v.item.exercise == "2"}
    assert status["w[2]"] == "wrong"
    assert report.first_wrong.key == "w[2]"
    assert all(status[k] == "carried forward" for k in ("g[3]:w", "g[3]:b", "w[3]", "b[3]", "w[4]", "b[4]"))


def test_the_checklist_keeps_each_run_to_its_own_exercise():
    checklist = build_checklist(symback.load(SHIPPED))
    for exercise_id in ("2", "3", "4"):
        keys = [item.key for item in checklist.exercise(exercise_id).items]
        assert "w[1]" in keys and "g[4]:b" in keys


@pytest.mark.parametrize("expression, ties", [
    ("max(w, 1) + min(w, 1, x)", "split"),
    ("max(w, 1) + min(w, 1, x)", "first"),
    ("abs(w - 1) * relu(x - 1) + max(w, x, 1)", "split"),
])
def test_a_decimal_pass_on_its_own_decides_kinks_and_ties_as_the_exact_pass(expression, ties):
    from symback.engine.circuit import build_circuit
    from symback.engine.guards import EXACT_DECIDING
    from symback.engine.passes import compute_pass
    from symback.numbers.arithmetic import DECIMAL
    from symback.problem.model import ExpressionSpec

    circuit = build_circuit(ExpressionSpec((("f", expression),), {"w": 1, "x": 1}, ties=ties))
    point = {"w": sympy.Integer(1), "x": sympy.Integer(1)}
    exact = compute_pass(circuit, EXACT_DECIDING, point)
    alone = compute_pass(circuit, DECIMAL, point)
    for exact_gradient, decimal_gradient in zip(exact.gradients, alone.gradients):
        assert float(decimal_gradient) == pytest.approx(float(exact_gradient), abs=1e-25)


def test_a_run_on_f_itself_names_f_on_the_sheet(tmp_path, capsys):
    path = tmp_path / "f.toml"
    path.write_text('title = "t"\n[expression]\nf = "(w - 1)^2"\nat = { w = 3 }\n'
                    '[[exercises]]\nid = "1"\ntask = "optimize"\nlr = 0.25\nsteps = 2\n', encoding="utf-8")
    code, _, err = run(capsys, "solve", path, "-o", tmp_path, "--format", "md,tex")
    assert code == 0, err
    for suffix in ("md", "tex"):
        sheet = (tmp_path / f"f.{suffix}").read_text(encoding="utf-8")
        run_part = sheet.split("Gradient descent")[-1]
        assert r"\partial f / \partial" in run_part and r"f(\theta_t)" in run_part and r"f(\theta_0)" in run_part
        assert r"\partial L" not in run_part and r"L(\theta" not in run_part


# kinks and domain boundaries hit exactly during a run ----------------------------------------------------------------

def _sign(value) -> int:
    return (value > 0) - (value < 0)


def _kink_problem(expression: str, at: str, lr: str, steps: int, ties: str = "split"):
    return symback.loads(f'title = "t"\n[expression]\nf = "{expression}"\nat = {at}\nties = "{ties}"\n'
                         f'[[exercises]]\nid = "1"\ntask = "optimize"\noptimizer = {{ kind = "sgd", lr = "{lr}" }}\n'
                         f'steps = {steps}\n')


def test_a_kink_landed_on_exactly_is_decided_by_the_exact_values_in_the_decimals_too():
    """abs(w − 1/3) + (w − 1)² from w = 1 with lr = 2/3: w₁ = 1/3 exactly, where abs'(0) = 0. The decimal run
    computes w₁ as 0.333…3, a hair below the kink: it must still take abs' = 0, as the exact values do."""
    from fractions import Fraction

    run = symback.optimize(_kink_problem("abs(w - 1/3) + (w - 1)^2", "{ w = 1 }", "2/3", 3), "1")
    w, lr = Fraction(1), Fraction(2, 3)
    for step in run.steps:
        g = _sign(w - Fraction(1, 3)) + 2 * (w - 1)
        w = w - lr * g
        assert abs(float(step.rows["w"]["g"].decimal) - float(g)) < 1e-3 * max(1, abs(float(g)))
        assert abs(float(step.rows["w"]["new"].decimal) - float(w)) < 1e-3 * max(1, abs(float(w)))
        assert step.rows["w"]["new"].exact == sympy.Rational(w.numerator, w.denominator)


def test_a_tie_landed_on_exactly_is_shared_in_the_decimals_too():
    """max(w, w/5) + max(w, 1) from w = 2/3 with lr = 1/3: w₂ = 0, a tie of max(w, w/5); split, each gets ½."""
    from fractions import Fraction

    run = symback.optimize(_kink_problem("max(w, 0.2 * w) + max(w, 1)", '{ w = "2/3" }', "1/3", 4), "1")
    w, lr = Fraction(2, 3), Fraction(1, 3)

    def share(a, b):  # d max(a, b)/da with ties split
        return Fraction(1) if a > b else Fraction(1, 2) if a == b else Fraction(0)

    for step in run.steps:
        g = share(w, w / 5) + share(w / 5, w) / 5 + share(w, Fraction(1))
        w = w - lr * g
        assert abs(float(step.rows["w"]["g"].decimal) - float(g)) < 1e-3
        assert step.rows["w"]["new"].exact == sympy.Rational(w.numerator, w.denominator)


def test_a_kink_at_an_irrational_start_is_decided_exactly_in_the_decimals():
    run = symback.optimize(_kink_problem("abs(w^2 - 2) + w", '{ w = "sqrt(2)" }', "1/10", 2), "1")
    first = run.steps[0].rows["w"]
    assert first["g"].exact == 1 and first["g"].decimal == 1  # abs'(0) = 0 at w = √2, and ∂w/∂w = 1
    assert abs(float(first["new"].decimal) - (math.sqrt(2) - 0.1)) < 1e-3


def test_a_domain_boundary_landed_on_exactly_is_an_error_not_a_huge_number(tmp_path, capsys):
    path = tmp_path / "zero.toml"
    path.write_text('title = "t"\n[expression]\nf = "1/(3*w - 1) + 3*w"\nat = { w = 1 }\n[[exercises]]\nid = "1"\n'
                    'task = "optimize"\noptimizer = { kind = "sgd", lr = "8/27" }\nsteps = 3\n', encoding="utf-8")
    code, _, err = run(capsys, "solve", path, "-o", tmp_path / "out", "--format", "md")
    assert code == 2 and err.count("\n") == 1
    f = 1 / (3 * W - 1) + 3 * W
    w1 = 1 - sympy.Rational(8, 27) * sympy.diff(f, W).subs(W, 1)  # where step 1 leaves w: 3w − 1 = 0 there
    assert 3 * w1 - 1 == 0
    assert f"w = {w1}" in err and "division by zero" in err
    assert not (tmp_path / "out").exists()


def test_the_checker_marks_right_values_at_a_kink_right_and_the_other_branch_wrong():
    from fractions import Fraction

    p = _kink_problem("abs(w - 1/3) + (w - 1)^2", "{ w = 1 }", "2/3", 3)
    w, lr, right = Fraction(1), Fraction(2, 3), {}
    for t in range(1, 4):
        g = _sign(w - Fraction(1, 3)) + 2 * (w - 1)
        w = w - lr * g
        right.update({f"g[{t}]:w": str(g), f"update[{t}]:w": str(-lr * g), f"w[{t}]": str(w)})
    report = symback.check(p, {"1": right})
    assert all(v.status == "correct" for v in report.verdicts if v.item.key in right)
    other = dict(right, **{"g[2]:w": str(1 + 2 * (Fraction(1, 3) - 1))})  # abs' = +1 at the kink: the wrong side
    verdicts = {v.item.key: v.status for v in symback.check(p, {"1": other}).verdicts}
    assert verdicts["g[2]:w"] == "wrong"


def test_feedback_on_an_adam_run_writes_its_rules_in_latex_symbols(tmp_path, capsys):
    """Rules of runs name the hyperparameters by symbols; LaTeX feedback must print them as \\beta_{1}, not β₁
    (pdflatex stops on a raw Unicode letter)."""
    p = symback.load(SHIPPED)
    answers = tmp_path / "a.toml"
    answers.write_text(fill_skeleton(answers_skeleton(p), {"4": {"m_hat[2]:w": "1", "update[2]:w": "0.5"}}),
                       encoding="utf-8")
    code, _, err = run(capsys, "check", SHIPPED, answers, "-o", tmp_path / "feedback.tex")
    assert code == 1, err
    tex = (tmp_path / "feedback.tex").read_text(encoding="utf-8")
    assert r"\beta_{1}" in tex and "β₁" not in tex and "α" not in tex
