"""``symback grad`` on an expression problem: its point is the file's ``expression.at``, changed with ``--at``;
the gradients are ∂f/∂· (or ∂L/∂· with a target ``--y`` where the file has a loss). Every wrong combination of
options is one line naming the option, in the command line's words (issue 14)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import mpmath
import pytest
from cli_helpers import run

ROOT = Path(__file__).resolve().parents[2]
CS231N = ROOT / "problems" / "circuit_cs231n.toml"
WS23 = ROOT / "problems" / "ws23_backprop.toml"


def cs231n_f(x, y):
    """f(x, y) = (x + σ(y)) / (σ(x) + (x + y)²), written here from the lecture notes."""
    def sigma(a):
        return 1 / (1 + mpmath.exp(-a))

    return (x + sigma(y)) / (sigma(x) + (x + y) ** 2)


def printed(output: str) -> dict[str, Decimal]:
    return {name: Decimal(value.split(" ≈ ")[1]) for name, value in
            (line.split(" = ", 1) for line in output.splitlines()[1:])}


@pytest.mark.parametrize("options, point", [([], (3, -4)), (["--at", "x=1, y=1/2"], (1, mpmath.mpf(1) / 2))])
def test_the_gradients_of_f_at_the_files_point_or_at_another(capsys, options, point):
    code, out, err = run(capsys, "grad", str(CS231N), "--digits", "12", *options)
    assert code == 0, err
    values = printed(out)
    with mpmath.workdps(40):
        for k, name in enumerate(("x", "y")):
            derivative = mpmath.diff(lambda *v: cs231n_f(*v), point, tuple(int(i == k) for i in range(2)))
            assert abs(values[f"df/d{name}"] - Decimal(mpmath.nstr(derivative, 20))) <= Decimal("1e-11") * abs(
                values[f"df/d{name}"])


@pytest.mark.parametrize("problem, options, expected", [
    (CS231N, ["--x", "1"], "no input x; its variables are at x=3, y=-4 (expression.at); change them with --at"),
    (CS231N, ["--y", "1"], "--y is a target for the loss, and this expression's file has no [loss]"),
    (CS231N, ["--at", "x"], "--at: 'x' is not NAME=VALUE"),
    (CS231N, ["--at", "z=1"], "unknown variable 'z'"),
    (WS23, ["--x", "1,3"], "a network problem needs --x and --y"),
    (WS23, ["--x", "1,3", "--y", "2", "--at", "x=1"], "--at sets an expression's variables"),
])
def test_a_wrong_option_is_one_line_in_the_command_lines_words(capsys, problem, options, expected):
    code, out, err = run(capsys, "grad", str(problem), *options)
    assert code == 2 and out == ""
    assert expected in err and len(err.strip().splitlines()) == 1
    assert "values=" not in err and "loss=" not in err  # the API's words are not the command line's
