"""Edge cases of expression problems found in review: huge exact integers, powers of ±1, domain errors that name
the exercise, a stage called L. Expected values come from SymPy's diff of the whole expression."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal

import pytest
import sympy
from cli_helpers import run

import symback


def _problem(text: str, tmp_path=None):
    source = 'title = "t"\n' + text
    if tmp_path is None:
        return symback.loads(source)
    path = tmp_path / "p.toml"
    path.write_text(source, encoding="utf-8")
    return path


def test_an_exact_integer_beyond_28_digits_keeps_its_decimal(tmp_path, capsys):
    text = '[expression]\nf = "x*1e30"\nat = { x = 1 }\n[[exercises]]\nid = "1"\ntask = "gradient"\n'
    decimals = symback.backprop(_problem(text)).decimals(4)
    assert decimals["f"] == Decimal(10) ** 30 and decimals["df/dx"] == Decimal(10) ** 30
    code, _, err = run(capsys, "answers", _problem(text, tmp_path), "-o", tmp_path / "a.toml")
    assert code == 0, err


def test_a_power_of_one_or_minus_one_with_a_huge_exponent_is_computed():
    x, y = sympy.symbols("x y")
    whole = x ** (10**10) + y ** (10**10)
    result = symback.backprop(_problem('[expression]\nf = "x^(10^10) + y^(10^10)"\nat = { x = 1, y = -1 }\n'))
    assert result.grad["x"] == sympy.diff(whole, x).subs({x: 1, y: -1})
    assert result.grad["y"] == sympy.diff(whole, y).subs({x: 1, y: -1})


def test_a_domain_error_of_an_exercise_names_the_file_and_the_exercise(tmp_path, capsys):
    path = _problem('[expression]\nf = "log(x)*y"\nat = { x = 1, y = 2 }\n[[exercises]]\nid = "1"\ntask = "gradient"\n'
                    '[[exercises]]\nid = "2"\ntask = "gradient"\nvalues = { x = 0 }\n', tmp_path)
    for command in (["solve", path, "-o", tmp_path / "out", "--format", "md"], ["answers", path]):
        code, _, err = run(capsys, *command)
        assert code == 2
        assert err.count("\n") == 1 and "p.toml: exercises[id=2]: " in err and "log" in err
    assert not (tmp_path / "out").exists()


def test_the_loss_is_shown_under_its_node_name_when_a_stage_is_called_l(tmp_path, capsys):
    path = _problem('[expression]\nstages = ["L = x*x", "f = L + y"]\nat = { x = 1, y = 2 }\n[loss]\n'
                    'kind = "squared_error"\n[[exercises]]\nid = "1"\ntask = "gradient"\ny = 1\n', tmp_path)
    code, _, err = run(capsys, "solve", path, "-o", tmp_path, "--format", "md")
    assert code == 0, err
    sheet = (tmp_path / "p.md").read_text(encoding="utf-8")
    problem_part = sheet.split("## Exercise 1")[0]
    assert "L = \\left(f" not in problem_part
    loss_node = symback.backprop(symback.load(path), y=1).top
    assert loss_node != "L" and f"{loss_node} = \\left(f" in problem_part.replace("\\mathit{", "").replace("} =", " =")


def _doubling_stages(count: int) -> str:
    """s_k = s_{k−1}·x + sin(s_{k−1}): each stage uses the one before twice, so exact trees double a stage."""
    stages = ['"s0 = x"'] + [f'"s{k} = s{k - 1}*x + sin(s{k - 1})"' for k in range(1, count + 1)]
    return f'[expression]\nstages = [{", ".join(stages)}]\nat = {{ x = 0.5 }}\n[[exercises]]\nid = "1"\ntask = "gradient"\n'


@pytest.mark.slow
def test_stages_that_double_the_exact_tree_are_solved_while_small_and_refused_in_one_line_after(tmp_path, capsys):
    import mpmath

    x = sympy.Symbol("x")
    s = x
    for _ in range(6):
        s = s * x + sympy.sin(s)
    result = symback.backprop(_problem(_doubling_stages(6)))
    expected = sympy.diff(s, x).subs(x, sympy.Rational(1, 2))
    assert abs(sympy.N(result.grad["x"] - expected, 40)) < 1e-35
    with mpmath.workdps(40):
        finite_difference = mpmath.diff(sympy.lambdify(x, s, "mpmath"), mpmath.mpf("0.5"))
    assert result.decimals(10)["ds6/dx"] == Decimal(mpmath.nstr(finite_difference, 10, min_fixed=-1, max_fixed=2))
    path = _problem(_doubling_stages(60), tmp_path)
    try:  # in a child process, so that a regression fails here instead of hanging the suite (it ran for hours)
        done = subprocess.run([sys.executable, "-m", "symback", "solve", str(path), "-o", str(tmp_path / "out"),
                               "--format", "md"], capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        pytest.fail("solve of 60 doubling stages did not end within 120 s")
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "operations written out" in done.stderr


def test_a_tiny_learning_rate_prints_as_a_power_of_ten(tmp_path, capsys):
    path = _problem('[expression]\nf = "w*w"\nat = { w = 1 }\n[[exercises]]\nid = "1"\ntask = "sgd"\nlr = 1e-300\n',
                    tmp_path)
    code, _, err = run(capsys, "solve", path, "-o", tmp_path, "--format", "md")
    assert code == 0, err
    sheet = (tmp_path / "p.md").read_text(encoding="utf-8")
    assert r"\alpha = 10^{-300}" in sheet and "0" * 30 not in sheet


def test_exact_values_too_large_mid_run_hand_the_run_over_to_decimals():
    """w^1024 from w = 1/2: after step 1, w has about 300 digits and w^1024 would have 300,000, past the exact
    limit. That stops the exact values (step 1 stays exact), not the run: the decimals go on."""
    import mpmath

    run_ = symback.optimize(_problem('[expression]\nf = "w^1024"\nat = { w = "1/2" }\n[[exercises]]\nid = "1"\n'
                                     'task = "optimize"\nlr = 1\nsteps = 3\n'), "1")
    assert run_.exact_steps == 1
    with mpmath.workdps(60):
        w = mpmath.mpf(1) / 2
        for step in run_.steps:
            w -= 1024 * w**1023
            assert step.rows["w"]["new"].decimal == Decimal(mpmath.nstr(w, 4, min_fixed=-5, max_fixed=5))
        assert float(run_.final_loss.decimal) == pytest.approx(float(w**1024), rel=1e-3)
