"""Issue 14's first hangs: the WS23 sheet with x = (49, 3) where exercise 3 claims ŷ = 0 (SymPy's simplify spent
seconds to minutes on σ(49) − σ(−95), a rational function of e of degree 144), and with a number 10^1000 whose
exponential no decimal holds (one line naming the file and the exercise, exit code 2).

Verdicts are held against mpmath (ŷ = σ(x₁) − σ(−2x₁ + x₂) for the sheet's A = [[1, 0], [−2, 1]], B = (1, −1));
the bound on the work is counted (calls of simplify), never timed.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import mpmath
import pytest
import symengine
import sympy
from cli_helpers import run
from deadline import no_hang

import symback
from symback.derive.context import ExerciseContext, claim_holds
from symback.numbers.arithmetic import UndecidableSign

ROOT = Path(__file__).resolve().parents[2]
WS23 = (ROOT / "problems" / "ws23_backprop.toml").read_text(encoding="utf-8")


def ws23_with(exercise_id: str, x: str) -> str:
    """The WS23 problem text with exercise ``exercise_id``'s x line replaced by ``x = [...]``."""
    lines, current = WS23.splitlines(), None
    for k, line in enumerate(lines):
        if line.startswith("id = "):
            current = line.split('"')[1]
        elif current == exercise_id and line.startswith("x = "):
            lines[k] = f"x = {x}"
            return "\n".join(lines) + "\n"
    raise AssertionError(f"exercise {exercise_id} has no x line")


def sheet_yhat(x1: int, x2: int) -> mpmath.mpf:
    """ŷ = b11 σ(a11 x1 + a12 x2) + b12 σ(a21 x1 + a22 x2) with the sheet's weights, in mpmath."""
    with mpmath.workdps(60):
        return sigmoid(mpmath.mpf(x1)) - sigmoid(mpmath.mpf(-2 * x1 + x2))


def sigmoid(z: mpmath.mpf) -> mpmath.mpf:
    return 1 / (1 + mpmath.exp(-z))


@pytest.fixture
def simplify_calls(monkeypatch):
    """Every call of sympy.simplify from here on, counted."""
    calls = []
    original = sympy.simplify

    def counted(*args, **kwargs):
        calls.append(args[0])
        return original(*args, **kwargs)

    monkeypatch.setattr(sympy, "simplify", counted)
    return calls


@pytest.mark.parametrize("x1", [20, 49, 79])
def test_a_claim_far_from_true_is_denied_without_simplify(x1, simplify_calls):
    problem = symback.loads(ws23_with("3", f"[{x1}, 3]"))
    context = ExerciseContext(problem, "3", 4)
    with no_hang():
        (claim,) = context.claims()
    assert simplify_calls == []  # decided by its digits: the old check called simplify on σ(49) − σ(−95)
    expected = sheet_yhat(x1, 3)
    assert expected != 0 and claim.holds is False
    assert claim.actual.decimal == Decimal(mpmath.nstr(expected, 4))  # correctly rounded, as the sheet's digits


def test_the_shipped_claim_still_holds_without_simplify(simplify_calls):
    problem = symback.loads(WS23)
    (claim,) = ExerciseContext(problem, "3", 4).claims()
    assert sheet_yhat(1, 3) == 0 and claim.holds is True and simplify_calls == []


def test_a_tiny_difference_is_decided_by_more_digits():
    # 1 − σ(400) = e^{-400}/(1 + e^{-400}) ≈ 1.9e-174: 120 digits cannot tell it from 0, 1900 can
    with mpmath.workdps(300):
        assert 0 < 1 - 1 / (1 + mpmath.exp(-400)) < mpmath.mpf("1e-170")
    assert claim_holds(1 / (1 + symengine.exp(-400)), sympy.Integer(1)) is False


def test_a_zero_simplify_would_need_is_proved_by_expanding():
    e = symengine.E
    equal_forms = 1 / (1 + symengine.exp(-49)) - symengine.exp(49) / (1 + symengine.exp(49))  # σ(49) both ways
    assert claim_holds(equal_forms + 1, sympy.Integer(1)) is True
    assert claim_holds(e / (1 + e) + 1 / (1 + e), sympy.Integer(1)) is True


def test_a_difference_past_every_digit_and_proof_is_refused_not_guessed():
    hidden = 1 / (1 + symengine.exp(-(symengine.Integer(10) ** 4)))  # 1 − e^{-10000}: no 1900 digits tell it from 1
    with pytest.raises(UndecidableSign, match="no exact proof"):
        claim_holds(hidden, sympy.Integer(1))


def test_solve_x_49_writes_the_sheet(tmp_path, capsys):
    problem = tmp_path / "ws23_49.toml"
    problem.write_text(ws23_with("3", "[49, 3]"), encoding="utf-8")
    with no_hang():
        code, _, err = run(capsys, "solve", problem, "--format", "md,tex", "-o", tmp_path / "out")
    assert (code, err) == (0, "")
    sheet = (tmp_path / "out" / "ws23_49.md").read_text(encoding="utf-8")
    assert r"The claim $\hat{y} = 0$ does **not** hold" in sheet
    assert f"{float(sheet_yhat(49, 3)):.4g}" == "1"  # ŷ = 1 − 5·10^-22: 1.000 to 4 digits
    assert r"\approx 1.000$." in sheet


@pytest.mark.parametrize("where", ["x", "weight"])
def test_a_number_too_large_for_an_exponential_is_one_line(where, tmp_path, capsys):
    text = (ws23_with("1", '["1e1000", 3]') if where == "x"
            else WS23.replace("values = [[1, 0], [-2, 1]]", 'values = [["1e1000", 0], [-2, 1]]'))
    problem = tmp_path / "huge.toml"
    problem.write_text(text, encoding="utf-8")
    with no_hang():
        code, _, err = run(capsys, "solve", problem, "--format", "md,tex", "-o", tmp_path / "out")
    assert code == 2 and err.count("\n") == 1
    # the first exercise whose pass meets e^{10^1000}: exercise 1 at x = (10^1000, 3); exercise 2 at x = (1, 1)
    assert f"{problem}: exercises[id={'1' if where == 'x' else '2'}]:" in err
    assert "too large for any decimal" in err and "an exponential" in err
    assert not (tmp_path / "out" / "huge.md").exists()


def test_a_denied_claim_past_the_budget_shows_its_decimal(tmp_path, capsys):
    problem = tmp_path / "long.toml"
    problem.write_text(ws23_with("3", '["1.2345678", 3]'), encoding="utf-8")
    code, _, err = run(capsys, "solve", problem, "--format", "md", "-o", tmp_path / "out")
    assert (code, err) == (0, "")
    sheet = (tmp_path / "out" / "long.md").read_text(encoding="utf-8")
    with mpmath.workdps(60):
        expected = sigmoid(mpmath.mpf("1.2345678")) - sigmoid(-2 * mpmath.mpf("1.2345678") + 3)
    # e^{1.2345678} is 6172839/5000000 inside: past the budget, so named and rounded as the forward pass writes it
    assert rf"does **not** hold: $\hat{{y}} \approx {mpmath.nstr(expected, 4)}$." in sheet
