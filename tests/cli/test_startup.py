"""Start-up work of the command line, counted, never timed (the times are in bench/bench_cli.py): which modules a
command loads, how often the cross-entropy analysis takes a SymPy limit, that the process leaves without the
interpreter's teardown yet with its output and exit code intact."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest
import sympy

ROOT = Path(__file__).resolve().parents[2]
WS23 = "problems/ws23_backprop.toml"
ANSWERS = "problems/ws23_answers_example.toml"
HEAVY = ("sympy", "symengine", "jinja2", "numpy", "mpmath")

# The console script's own route (main_exit) in a fresh interpreter; an atexit handler stands for the interpreter's
# teardown, and the modules loaded are reported on stderr's last line just before the process leaves.
RUN = """
import atexit, json, os, sys
atexit.register(print, "TEARDOWN", file=sys.stderr)
real_exit = os._exit
def leave(code):
    print(json.dumps(sorted(k for k, v in sys.modules.items() if v is not None)), file=sys.stderr)
    sys.stderr.flush()
    real_exit(code)
os._exit = leave
from symback.cli.main import main_exit
main_exit(sys.argv[1:])
"""


def fresh(code: str, *args: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONUNBUFFERED"}
    environment["PYTHONPATH"] = str(ROOT)  # stdout to a pipe is block-buffered, as for a user's `symback … | less`
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT,
                          env=environment)


@dataclass(frozen=True)
class Run:
    code: int
    modules: frozenset[str]
    out: str
    err: str


@pytest.fixture(scope="module")
def command(tmp_path_factory):
    """``symback ARGS`` as the console script runs it, once per ARGS for this file (each costs a fresh process)."""
    done: dict[tuple[str, ...], Run] = {}
    output = tmp_path_factory.mktemp("sheets")

    def run(*args: str) -> Run:
        args = tuple(str(output) if a == "OUTPUT" else a for a in args)
        if args not in done:
            process = fresh(RUN, *args)
            *err, report = process.stderr.strip().splitlines() or [""]
            assert report.startswith("["), process.stderr  # left by os._exit, which reported the modules
            done[args] = Run(process.returncode, frozenset(json.loads(report)), process.stdout, "\n".join(err))
        return done[args]

    run.output = output
    return run


def loaded(modules: set[str], *prefixes: str) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes))


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["solve", "--help"], ["check", "--help"],
                                  ["grad", "--help"]])
def test_help_and_version_load_no_sympy_symengine_or_jinja2(command, args):
    done = command(*args)
    assert done.code == 0 and done.out
    assert loaded(done.modules, *HEAVY) == []
    assert loaded(done.modules, "symback") == ["symback", "symback.cli", "symback.cli.check", "symback.cli.deadline",
                                          "symback.cli.main", "symback.errors"]


def test_version_is_the_package_version(command):
    done = command("--version")
    try:
        expected = metadata.version("symback")
    except metadata.PackageNotFoundError:  # a checkout that is not installed: the source's version
        expected = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    assert (done.code, done.out) == (0, f"symback {expected}\n")


def test_import_symback_is_cheap_and_its_names_load_on_use():
    done = fresh("import json, sys, symback; before = sorted(sys.modules); symback.check; symback.train; "
                 "print(json.dumps([before, sorted(sys.modules)]))")
    before, after = map(set, json.loads(done.stdout))
    assert loaded(before, *HEAVY, "symback.checker", "symback.runs", "symback.render", "symback.derive",
                  "symback.engine") == []
    assert {"symback.checker.mark", "symback.runs.training"} <= after


def test_every_public_name_of_symback_resolves():
    import symback

    for name in symback.__all__:
        assert callable(getattr(symback, name)), name  # functions and classes (CircuitResult is BackpropResult)
    with pytest.raises(AttributeError):
        symback.no_such_name


def test_grad_loads_no_renderer_checker_or_runs(command):
    done = command("grad", WS23, "--x", "1,3", "--y", "2")
    assert done.code == 0 and "dL/da22" in done.out
    assert loaded(done.modules, "jinja2", "symback.render", "symback.derive", "symback.checker", "symback.runs") == []


def test_solve_of_a_sheet_without_runs_loads_no_training_or_checker(command):
    done = command("solve", WS23, "--format", "md,tex", "-o", "OUTPUT")
    assert done.code == 0 and (command.output / "ws23_backprop.md").is_file()
    assert loaded(done.modules, "symback.checker", "symback.runs.training", "symback.runs.optimize",
                  "symback.derive.run_steps", "symback.render.training_plot", "symback.render.plot_svg") == []


def test_check_of_one_file_loads_no_renderer_or_jinja2(command):
    done = command("check", WS23, ANSWERS)
    assert done.code == 1 and done.out  # the example answers hold a slip on purpose
    assert loaded(done.modules, "jinja2", "symback.render") == []


def test_a_solve_takes_no_sympy_limit(monkeypatch, tmp_path):
    from symback.cli.main import main
    from symback.derive import analysis

    getattr(analysis.cross_entropy_analysis, "cache_clear", lambda: None)()  # computed afresh for this count
    calls = []
    real = sympy.limit
    monkeypatch.setattr(sympy, "limit", lambda *args, **kwargs: calls.append(args) or real(*args, **kwargs))
    assert main(["solve", str(ROOT / WS23), "--format", "md", "-o", str(tmp_path)]) == 0
    assert calls == []  # the limits of the cross-entropy analysis come from end_limit


def test_the_exact_route_to_the_limits_is_sympys():
    from symback.derive.analysis import end_limit

    p = sympy.Symbol("p", positive=True)
    forms = [-sympy.log(p), -sympy.log(1 - p), 2 * sympy.log(p) - 3 * sympy.log(1 - p), sympy.log(p) - sympy.log(1 - p),
             sympy.log(1 + p), -sympy.log(p ** 2), sympy.log(p / (1 - p)), sympy.log(p) * sympy.log(1 - p),
             sympy.Rational(1, 2) * sympy.log(1 - p) + 7, -sympy.log(p) + sympy.log(p * (1 - p)),
             sympy.log(p * (p - sympy.Rational(1, 2)) ** 2), -sympy.log(p ** 2 - p), sympy.log((1 - p) ** 3 * (2 - p))]
    for form in forms:
        for point, direction in ((0, "+"), (1, "-")):
            assert end_limit(form, point) == sympy.limit(form, p, point, direction), (form, point)


@pytest.mark.parametrize("args, code", [(["check", WS23, ANSWERS], 1), (["grad", WS23, "--x", "1,3", "--y", "2"], 0),
                                        (["grad", "no-such-file.toml", "--x", "1", "--y", "2"], 2),
                                        (["grad", WS23], 2), (["--help"], 0)])
def test_main_exit_keeps_output_and_exit_code_and_skips_teardown(command, args, code, capsys, monkeypatch):
    from symback.cli.main import main

    monkeypatch.chdir(ROOT)
    try:  # the same command in this process: what the pipe must receive
        main(args)
    except SystemExit:  # argparse's --help and usage errors
        pass
    expected = capsys.readouterr().out
    done = command(*args)
    assert done.code == code
    assert "TEARDOWN" not in done.err  # os._exit after the flush: the interpreter's teardown never ran
    assert done.out == expected  # everything printed reached the pipe
    if code == 2:
        assert done.err.count("\n") == 0 or "usage:" in done.err  # one line, or argparse's usage


def test_the_command_line_process_never_loads_numpy(command):
    # SymEngine would import NumPy (not a dependency of symback) at its own import; the entry point keeps it out
    done = command("grad", WS23, "--x", "1,3", "--y", "2")
    assert done.code == 0 and "symengine" in done.modules
    assert loaded(done.modules, "numpy") == []
