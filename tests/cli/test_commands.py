"""The command line as a user runs it: output, and one clear line with exit code 2 for bad input."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import ROUND_HALF_UP, Context, Decimal
from pathlib import Path

import mpmath
import pytest
from cli_helpers import run as run_here
from deadline import no_hang

ROOT = Path(__file__).resolve().parents[2]
WS23 = ROOT / "problems" / "ws23_backprop.toml"

VALID = """title = "t"
[network]
inputs = ["x1", "x2"]
[[network.layers]]
weights = "A"
values = [[1, 0], [-2, 1]]
activation = "sigmoid"
[[network.layers]]
weights = "B"
values = [[1, -1]]
activation = "identity"
[loss]
kind = "squared_error"
"""


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}  # the tree under test, from any folder
    return subprocess.run(
        [sys.executable, "-m", "symback", *map(str, args)], capture_output=True, text=True, cwd=cwd, env=environment
    )


def test_grad_prints_exact_and_decimal(tmp_path):
    done = run("grad", WS23, "--x", "1,3", "--y", "2", "--digits", "12", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = dict(line.split(" = ", 1) for line in done.stdout.splitlines()[1:])
    exact, decimal = lines["dL/da22"].split(" ≈ ")
    # independent: ∂L/∂a22 = 2(ŷ − y) · b12 · σ'(z2) · x2 with ŷ = 0, y = 2, b12 = −1, z2 = 1, x2 = 3
    with mpmath.workdps(40):
        sigma = 1 / (1 + mpmath.exp(-1))
        reference = 2 * (0 - 2) * (-1) * sigma * (1 - sigma) * 3
    assert Decimal(decimal) == Context(prec=12, rounding=ROUND_HALF_UP).create_decimal(mpmath.nstr(reference, 30))
    assert len(decimal.replace(".", "").lstrip("0")) == 12  # twelve significant digits shown
    assert exact == "12*e/(1 + e)**2"


def test_exercise_command_prints_every_exercise():
    done = run("exercise", WS23)
    assert done.returncode == 0, done.stderr
    for exercise_id in "1234567":
        assert f"Exercise {exercise_id} " in done.stdout


def broken_files() -> dict[str, tuple[str, str]]:
    """name -> (file text, a key the error line must name)."""
    return {
        "unknown activation": (VALID.replace('"sigmoid"', '"sigmoidd"'), "activation"),
        "shape mismatch": (VALID.replace("[[1, -1]]", "[[1, -1, 2]]"), "values"),
        "missing value": (VALID.replace("values = [[1, -1]]\n", ""), "layers[2]"),
        "bad toml": (VALID.replace('title = "t"', "title = "), "toml"),
        "function call": (VALID.replace("[[1, 0],", "[[\"__import__('os').system('touch x')\", 0],"), "values"),
        "attribute": (VALID.replace("[[1, 0],", '[["e.__class__", 0],'), "values"),
        "power tower": (VALID.replace("[[1, 0],", '[["2**2**2**2**2**2**2", 0],'), "values"),
        "unknown loss": (VALID.replace('"squared_error"', '"l3"'), "loss.kind"),
        "boolean": (VALID.replace("[[1, 0],", "[[true, 0],"), "values"),
    }


@pytest.mark.parametrize("name", sorted(broken_files()))
def test_broken_problem_file_gives_one_line_and_exit_2(tmp_path, capsys, name):
    text, key = broken_files()[name]
    path = tmp_path / "broken.toml"
    path.write_text(text, encoding="utf-8")
    with no_hang():
        code, out, err = run_here(capsys, "grad", path, "--x", "1,3", "--y", "2")
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err
    assert str(path) in lines[0] and key in lines[0]
    assert list(tmp_path.iterdir()) == [path]  # nothing else was created: nothing ran


def test_a_broken_file_in_a_real_process_is_one_line_without_a_traceback(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text(broken_files()["function call"][0], encoding="utf-8")
    done = run("grad", path, "--x", "1,3", "--y", "2", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == [path]


@pytest.mark.parametrize(
    "args",
    [
        ("--x", "1", "--y", "2"),  # too few inputs
        ("--x", "1,os.system(1)", "--y", "2"),
        ("--x", "1,3", "--y", "2", "--params", "zz"),
        ("--x", "1,3", "--y", "2", "--digits", "0"),
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(capsys, args):
    code, _, err = run_here(capsys, "grad", WS23, *args)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_missing_file():
    done = run("grad", "no/such/file.toml", "--x", "1,3", "--y", "2")
    assert done.returncode == 2 and "no/such/file.toml" in done.stderr and "Traceback" not in done.stderr


def test_a_reader_that_leaves_early_gets_no_error_line():
    """``symback grad … | head -1``: the pipe closes under the command, which ends quietly as cat and grep do."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "symback", "grad", str(WS23), "--x", "1,3", "--y", "2", "--digits", "1000"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment)
    process.stdout.close()
    with no_hang():
        err = process.stderr.read()
        process.wait()
    assert err == b"" and process.returncode in (0, 141)
