"""Benchmark: ``symback solve`` on the WS23 sheet, wall clock with the interpreter's start included.

Targets (2-core machine): ``--format md,tex`` under 1.5 s; with the PDF (all three formats) under 5 s.
Each is the best of 3 runs of the real command in a fresh process, writing into a temporary folder.
Run ``python bench/bench_solve.py``; the exit code is 0 unless something crashes: a report, not a test.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBLEM = ROOT / "problems" / "ws23_backprop.toml"
TARGETS = {"md,tex": 1.5, "md,tex,pdf": 5.0}


def best_of(runs: int, formats: str) -> float:
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "symback", "solve", str(PROBLEM), "-o", folder, "--format", formats],
                check=True, capture_output=True, env=environment,
            )
            times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    print(f"symback solve {PROBLEM.relative_to(ROOT)}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    verdicts = []
    for formats, target in TARGETS.items():
        if "pdf" in formats and shutil.which("pdflatex") is None:
            print(f"  --format {formats}: skipped (no pdflatex)")
            continue
        seconds = best_of(3, formats)
        verdict = "PASS" if seconds < target else "FAIL"
        verdicts.append(verdict)
        print(f"{verdict}  --format {formats:<11} {seconds:6.2f} s (target < {target} s)")
    print("ALL PASS" if verdicts and all(v == "PASS" for v in verdicts) else "NOT ALL PASS")


if __name__ == "__main__":
    main()
