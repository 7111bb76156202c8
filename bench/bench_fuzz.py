"""Benchmark: the slowest input the fuzzing campaign found, per command, timed as the real command (issue 14).

Each case in bench/fuzz_cases/ is a problem file named after its command (``solve.toml``, ``grad.toml``,
``exercise.toml``, ``answers.toml``, ``check.toml``, or ``solve-NAME.toml`` for another slow one; check's answers
beside it as ``check-answers.toml`` or ``.json``) whose first lines are comments: where it came from, and ``# argv: ...``, the command line, with
{problem}, {answers} and {out} standing for the case file, its answers file and an empty output folder. Each is
run with ``python -m symback`` in a fresh process (interpreter start included), PYTHONPATH on this checkout (or
``--checkout DIR``), best of 3, and printed with its time, its exit code and the first line it wrote to stderr.
Goal: under 5 s for any input within the documented limits. The exit code is 0 unless something crashes: a
report, not a test.

``python bench/bench_fuzz.py --from-record FILE`` turns the long run's record of the slowest inputs
(``SYMBACK_FUZZ_SLOWEST``, see tests/fuzz/harness.py) into case files first.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = Path(__file__).resolve().parent / "fuzz_cases"
COMMANDS = ("solve", "grad", "exercise", "answers", "check")
GOAL = 5.0  # seconds, for any input within the documented limits
RUNS = 3


def case_argv(case: Path) -> list[str]:
    """The ``# argv: [...]`` comment of a case file (a JSON list)."""
    for line in case.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("# argv: "):
            return json.loads(line[len("# argv: "):])
        if not line.startswith("#"):
            break
    raise SystemExit(f"{case}: no '# argv: [...]' line among its first comments")


def answers_of(case: Path) -> Path | None:
    """check's answers file beside its case, if there is one."""
    for suffix in (".toml", ".json"):
        path = case.with_name(f"{case.stem}-answers{suffix}")
        if path.exists():
            return path
    return None


def run_once(argv: list[str], checkout: Path) -> tuple[float, int, str]:
    """Wall time, exit code and the first line of stderr of ``python -m symback ARGV`` in a fresh process."""
    environment = {**os.environ, "PYTHONPATH": str(checkout)}
    with tempfile.TemporaryDirectory(prefix="bench-fuzz-") as folder:
        out = Path(folder) / "out"
        out.mkdir()  # as in the campaign: the output folder exists, empty
        filled = [arg.replace("{out}", str(out)) for arg in argv]
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "symback", *filled], check=False, cwd=folder, env=environment,
                              capture_output=True, text=True, errors="replace")
        seconds = time.perf_counter() - started
    first = (done.stderr.strip().splitlines() or [""])[0]
    return seconds, done.returncode, first


def bench(checkout: Path, runs: int) -> None:
    print(f"python -m symback, PYTHONPATH={checkout}, best of {runs}, goal under {GOAL:.0f} s")
    for command in COMMANDS:
        cases = [case for case in sorted(CASES.glob(f"{command}*.toml")) if not case.stem.endswith("-answers")]
        if not cases:
            print(f"      {command:9} no case in {CASES.relative_to(ROOT)}")
        for case in cases:
            _bench_case(command, case, checkout, runs)


def _bench_case(command: str, case: Path, checkout: Path, runs: int) -> None:
    """Time one case file, best of ``runs``, and print it."""
    answers = answers_of(case)
    argv = [arg.replace("{problem}", str(case)).replace("{answers}", str(answers)) for arg in case_argv(case)]
    results = [run_once(argv, checkout) for _ in range(runs)]
    seconds, code, stderr = min(results)
    verdict = "PASS" if seconds < GOAL else "FAIL"
    shown = " ".join(case_argv(case)[1:])
    print(f"{verdict}  {command:9} {seconds:6.2f} s  exit {code}  {shown}")
    if stderr:
        print(f"      {'':9} {stderr[:150]}")


def from_record(record: Path) -> None:
    """Write a case file per command from the long run's record of its slowest input."""
    seen = json.loads(record.read_text(encoding="utf-8"))
    CASES.mkdir(exist_ok=True)
    for command, entry in seen.items():
        problem = next(name for name in entry["files"] if not name.startswith("answers."))
        comment = (f"# The slowest input for `symback {command}` in the fuzzing campaign's long run: {entry['seconds']} s "
                   f"in process (tests/fuzz, {record.name}).\n")
        text = comment + f"# argv: {json.dumps(entry['argv'])}\n" + entry["files"][problem]
        (CASES / f"{command}.toml").write_text(text, encoding="utf-8")
        for name, content in entry["files"].items():
            if name.startswith("answers."):
                (CASES / f"{command}-{name}").write_text(content, encoding="utf-8")
        print(f"wrote {CASES / f'{command}.toml'} ({entry['seconds']} s in the long run)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the tree to time (default: this one)")
    parser.add_argument("--runs", type=int, default=RUNS, help=f"runs per case, the best counts (default {RUNS})")
    parser.add_argument("--from-record", type=Path, help="write the case files from a long run's record first")
    args = parser.parse_args()
    if args.from_record:
        from_record(args.from_record)
    if shutil.which("pdflatex") is None:
        print("(no pdflatex: a case that asks for a PDF ends in its one-line message)")
    bench(args.checkout.resolve(), args.runs)


if __name__ == "__main__":
    main()
