"""Benchmark: start-up of the ``symback`` command, wall clock of the real command in a fresh process, the
interpreter's start included (issue 12).

Targets (2-core machine): ``symback --help``, ``--version`` and ``symback solve --help`` at most 0.3 s;
``symback solve problems/ws23_backprop.toml --format md,tex -o DIR``, ``symback grad problems/ws23_backprop.toml
--x 1,3 --y 2`` and ``symback check problems/ws23_backprop.toml problems/ws23_answers_example.toml`` at most
1.0 s each. Each is the best of 5 runs, printed beside a floor measured in the same run: ``python -c pass`` for
the help commands, and for solve, grad and check a plain-Python float64 forward and backward pass of the WS23
network over every exercise's point after reading the TOML with tomllib (the least any such command can cost).

The command is the console script beside this interpreter (``bin/symback``; the pyenv shim in front of it adds
its own start-up, which is not symback's), else ``python -m symback``; PYTHONPATH points at this checkout.
Two columns: **cached**, with compiled bytecode kept (in a temporary PYTHONPYCACHEPREFIX, one warm-up run first),
as an installed package runs (pip compiles the .pyc files at install); and **compiling**, with
PYTHONDONTWRITEBYTECODE=1, where every run compiles symback's own modules from source. Verdicts use the cached
column. The exit code is 0 unless something crashes: a report, not a test. Run ``python bench/bench_cli.py``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBLEM = "problems/ws23_backprop.toml"
ANSWERS = "problems/ws23_answers_example.toml"
RUNS = 5
HELP_TARGET = 0.3  # seconds
COMMAND_TARGET = 1.0  # seconds

# The float64 floor: read the problem file with tomllib, then a forward and backward pass of g(x) = B σ(A x) with
# the squared error for each exercise's point, every gradient printed (so that nothing is optimised away).
FLOOR = r"""
import math, sys, tomllib
with open(sys.argv[1], "rb") as file:
    problem = tomllib.load(file)
A, B = (layer["values"] for layer in problem["network"]["layers"])
points = {e["id"]: (e["x"], e["y"]) for e in problem["exercises"] if "x" in e}
for exercise in problem["exercises"]:
    if exercise.get("task") not in ("loss", "gradient", "sgd"):
        continue
    x, y = points[exercise.get("at", exercise["id"])]
    z = [sum(a * v for a, v in zip(row, x)) for row in A]
    h = [1 / (1 + math.exp(-v)) for v in z]
    yhat = sum(b * v for b, v in zip(B[0], h))
    loss = (yhat - float(y)) ** 2
    d_yhat = 2 * (yhat - float(y))
    d_b = [d_yhat * v for v in h]
    d_z = [d_yhat * b * v * (1 - v) for b, v in zip(B[0], h)]
    d_a = [[d * v for v in x] for d in d_z]
    print(exercise["id"], yhat, loss, d_b, d_a)
"""


def command() -> tuple[list[str], str]:
    """The ``symback`` command to time, and how it is described."""
    script = Path(sys.executable).parent / "symback"
    if script.is_file():
        return [sys.executable, str(script)], f"{script} (console script)"
    return [sys.executable, "-m", "symback"], f"{sys.executable} -m symback"


def best_of(argv: list[str], environment: dict, runs: int = RUNS) -> float:
    """The best wall time of ``runs`` runs of ``argv`` in a fresh process (output discarded, exit code ignored:
    check exits 1 when an answer is wrong)."""
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - started)
    return best


def environments(cache: str, checkout: Path) -> dict[str, dict]:
    """The child environments: bytecode kept in ``cache``, and bytecode compiled afresh on every run."""
    base = {key: value for key, value in os.environ.items()
            if key not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    base["PYTHONPATH"] = str(checkout)
    return {"cached": {**base, "PYTHONPYCACHEPREFIX": cache}, "compiling": {**base, "PYTHONDONTWRITEBYTECODE": "1"}}


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    arguments.add_argument("--runs", type=int, default=RUNS, help=f"runs per command, best taken (default {RUNS})")
    arguments.add_argument("--checkout", type=Path, default=ROOT,
                           help="the symback checkout to time (default: this one), e.g. another worktree for before/after")
    options = arguments.parse_args()
    runs, checkout = options.runs, options.checkout.resolve()
    symback, described = command()
    print(f"symback start-up; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; "
          f"Python {sys.version.split()[0]}; best of {runs} runs, wall clock in seconds")
    print(f"command: {described}; code: {checkout}")
    verdicts = []
    with tempfile.TemporaryDirectory(prefix="symback-bench-cli-") as folder:
        output = str(Path(folder) / "out")
        children = environments(str(Path(folder) / "pycache"), checkout)
        start_floor = [sys.executable, "-c", "pass"]
        float_floor = [sys.executable, "-c", FLOOR, PROBLEM]
        cases = [
            ("symback --help", [*symback, "--help"], start_floor, HELP_TARGET),
            ("symback --version", [*symback, "--version"], start_floor, HELP_TARGET),
            ("symback solve --help", [*symback, "solve", "--help"], start_floor, HELP_TARGET),
            ("symback solve WS23 --format md,tex", [*symback, "solve", PROBLEM, "--format", "md,tex", "-o", output],
             float_floor, COMMAND_TARGET),
            ("symback grad WS23 --x 1,3 --y 2", [*symback, "grad", PROBLEM, "--x", "1,3", "--y", "2"],
             float_floor, COMMAND_TARGET),
            ("symback check WS23 answers_example", [*symback, "check", PROBLEM, ANSWERS], float_floor,
             COMMAND_TARGET),
        ]
        floors = {}
        for argv in (start_floor, float_floor):
            floors[id(argv)] = best_of(argv, children["cached"], runs)
        print(f"floors: python -c pass {floors[id(start_floor)]:.3f}; "
              f"tomllib + float64 forward/backward of WS23 {floors[id(float_floor)]:.3f}")
        print(f"{'':6}{'command':<38}{'cached':>8}{'compiling':>11}{'floor':>8}   target")
        for label, argv, floor, target in cases:
            subprocess.run(argv, cwd=ROOT, env=children["cached"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)  # warm-up: writes the bytecode cache
            cached = best_of(argv, children["cached"], runs)
            compiling = best_of(argv, children["compiling"], runs)
            verdict = "PASS" if cached <= target else "FAIL"
            verdicts.append(verdict)
            print(f"{verdict:<6}{label:<38}{cached:8.3f}{compiling:11.3f}{floors[id(floor)]:8.3f}   <= {target}")
    print(f"load average afterwards {os.getloadavg()[0]:.2f}")
    passed = verdicts.count("PASS")
    print("ALL PASS" if passed == len(verdicts) else f"NOT ALL PASS: {passed} of {len(verdicts)} targets met")


if __name__ == "__main__":
    main()
