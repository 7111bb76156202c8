"""Start-up work of the command line, counted, never timed (the times are in bench/bench_cli.py): which modules a
command loads, how often the cross-entropy analysis takes a SymPy limit, that the process leaves without the
interpreter's teardown yet with its output and exit code intact."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
import sympy

ROOT = Path(__file__).resolve().parents[2]
WS23 = "problems/ws23_backprop.toml"
ANSWERS = "problems/ws23_answers_example.toml"
HEAVY = ("sympy", "symengine", "jinja2", "numpy", "mpmath")

# Run in a fresh interpreter: main(argv) in process, then the loaded modules as JSON on the last line of stderr.
PROBE = """
import json, sys
from symback.cli.main import main
try:
    code = main(sys.argv[1:])
except SystemExit as stop:
    code = stop.code
sys.stdout.flush()
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


def fresh(code: str, *args: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONUNBUFFERED"}
    environment["PYTHONPATH"] = str(ROOT)  # stdout to a pipe is block-buffered, as for a user's `symback … | less`
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT,
                          env=environment)


def probe(*args: str) -> tuple[int, set[str], str]:
    """Exit code, modules loaded and stdout of ``symback ARGS`` run in process in a fresh interpreter."""
    done = fresh(PROBE, *args)
    report = json.loads(done.stderr.strip().splitlines()[-1])
    return report["code"], set(report["modules"]), done.stdout


def loaded(modules: set[str], *prefixes: str) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes))


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["solve", "--help"], ["check", "--help"],
                                  ["grad", "--help"]])
def test_help_and_version_load_no_sympy_symengine_or_jinja2(args):
    code, modules, out = probe(*args)
    assert code == 0 and out
    assert loaded(modules, *HEAVY) == []
    assert loaded(modules, "symback") == ["symback", "symback.cli", "symback.cli.check", "symback.cli.main",
                                          "symback.errors"]


def test_version_is_the_package_version():
    code, _, out = probe("--version")
    try:
        expected = metadata.version("symback")
    except metadata.PackageNotFoundError:  # a checkout that is not installed: the source's version
        expected = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    assert (code, out) == (0, f"symback {expected}\n")


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
        symback.no_such_name  # noqa: B018 - the attribute access is the test


def test_grad_loads_no_renderer_checker_or_runs():
    code, modules, out = probe("grad", WS23, "--x", "1,3", "--y", "2")
    assert code == 0 and "dL/da22" in out
    assert loaded(modules, "jinja2", "symback.render", "symback.derive", "symback.checker", "symback.runs") == []


def test_solve_of_a_sheet_without_runs_loads_no_training_or_checker(tmp_path):
    code, modules, out = probe("solve", WS23, "--format", "md,tex", "-o", str(tmp_path))
    assert code == 0 and (tmp_path / "ws23_backprop.md").is_file()
    assert loaded(modules, "symback.checker", "symback.runs.training", "symback.runs.optimize",
                  "symback.derive.run_steps", "symback.render.training_plot", "symback.render.plot_svg") == []


def test_check_of_one_file_loads_no_renderer_or_jinja2():
    code, modules, out = probe("check", WS23, ANSWERS)
    assert code == 1 and out  # the example answers hold a slip on purpose
    assert loaded(modules, "jinja2", "symback.render") == []


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
def test_main_exit_keeps_output_and_exit_code_and_skips_teardown(args, code):
    # an atexit handler stands for the interpreter's teardown: os._exit after the flush never runs it
    script = ("import atexit, sys; atexit.register(print, 'TEARDOWN', file=sys.stderr); "
              "from symback.cli.main import main_exit; sys.argv[1:] = %r; main_exit()" % args)
    in_process = fresh(PROBE, *args)
    done = fresh(script)
    assert done.returncode == code
    assert "TEARDOWN" not in done.stderr
    assert done.stdout == in_process.stdout  # everything printed reached the pipe
    if code == 2:
        assert done.stderr.count("\n") == 1 or "usage:" in done.stderr  # one line, or argparse's usage


def test_the_command_line_process_never_loads_numpy():
    # SymEngine would import NumPy (not a dependency of symback) at its own import; the entry point keeps it out
    script = ("import atexit, json, os, sys; real_exit = os._exit\n"
              "def loaded():\n"
              "    print(json.dumps(sorted(k for k, v in sys.modules.items() if v is not None)), file=sys.stderr)\n"
              "    sys.stderr.flush()\n"
              "atexit.register(loaded)  # a run that ends by sys.exit reports too\n"
              "os._exit = lambda code: (loaded(), real_exit(code))\n"
              "from symback.cli.main import main_exit; sys.argv[1:] = %r; main_exit()" % ["grad", WS23, "--x", "1,3",
                                                                                         "--y", "2"])
    done = fresh(script)
    modules = set(json.loads(done.stderr.strip().splitlines()[-1]))
    assert done.returncode == 0 and "symengine" in modules
    assert loaded(modules, "numpy") == []
