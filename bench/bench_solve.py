"""Benchmark: ``symback solve`` on every shipped sheet and on generated course-sized networks, wall clock with
the interpreter's start included.

Targets (2-core machine, issue 11): every shipped sheet and a 4-layer network of 4 units with a softmax output
with ``--format md,tex,pdf`` under 3 s; a network of six layers of eight units "in a few seconds", taken as under
5 s; and the WS23 sheet with ``--format md,tex`` under 1.5 s. Each is the best of 3 runs of the real command in a fresh process, writing into
a temporary folder; the CPU time of the best run (symback and pdflatex) is printed beside it. Run
``python bench/bench_solve.py``; the exit code is 0 unless something crashes: a report, not a test.
"""

import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted(path for path in (ROOT / "problems").glob("*.toml") if "answers" not in path.name)
TARGET = 3.0  # seconds, md + tex + pdf
WS23_TARGET = 1.5  # seconds, md + tex


def network_file(layers: list[int], activations: list[str], loss: str, seed: int) -> str:
    """A problem file of a dense network with biases and short decimal weights, and three exercises at one
    point: the loss, the gradients of a first-layer weight, a last-layer weight and a bias, one SGD step."""
    rng = random.Random(seed)
    short = lambda: round(rng.uniform(-1, 1), 1) or 0.1  # noqa: E731 - a weight as people write it
    lines = [f'title = "{len(layers) - 1} layers of {max(layers[1:-1] or [0])} units"', "[network]",
             f"inputs = {layers[0]}"]
    letters = "ABCDEFGHJK"
    for k, (fan_in, units) in enumerate(zip(layers, layers[1:])):
        rows = [[short() for _ in range(fan_in)] for _ in range(units)]
        lines += ["[[network.layers]]", f'weights = "{letters[k]}"', f"values = {rows}",
                  f'bias = "{"PQRSTUVW"[k]}"', f"bias_values = {[short() for _ in range(units)]}",
                  f'activation = "{activations[k]}"']
    y = [1] + [0] * (layers[-1] - 1) if loss == "softmax_cross_entropy" else [0.5] * layers[-1]
    first, last = "a11", f"{letters[len(layers) - 2].lower()}11"
    lines += ["[loss]", f'kind = "{loss}"',
              "[[exercises]]", 'id = "1"', 'task = "loss"', f"x = {[short() for _ in range(layers[0])]}", f"y = {y}",
              "[[exercises]]", 'id = "2"', 'task = "gradient"', 'at = "1"', f'params = ["{first}", "{last}"]',
              "[[exercises]]", 'id = "3"', 'task = "sgd"', 'at = "1"', "lr = 0.1", f'params = ["{first}", "{last}"]']
    return "\n".join(line for line in lines if line) + "\n"


LARGE_TARGET = 5.0  # seconds: six layers of eight units, "a few seconds"
GENERATED = {
    "4 layers x 4 units, softmax": network_file([3, 4, 4, 4, 3], ["tanh", "sigmoid", "relu", "identity"],
                                                "softmax_cross_entropy", 11),
    "6 layers x 8 units, sigmoid": network_file([4, 8, 8, 8, 8, 8, 2], ["sigmoid"] * 5 + ["identity"],
                                                "half_squared_error", 12),
}


def best_of(runs: int, problem: Path, formats: str) -> tuple[float, float]:
    """The best wall time of ``runs`` runs and the CPU time (the command and its children) of that run."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    best = (float("inf"), 0.0)
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as folder:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "symback", "solve", str(problem), "-o", folder, "--format", formats],
                           check=True, capture_output=True, env=environment)
            wall = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
            best = min(best, (wall, cpu))
    return best


def main() -> None:
    print(f"symback solve; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    pdf = shutil.which("pdflatex") is not None
    formats = "md,tex,pdf" if pdf else "md,tex"
    verdicts = []
    with tempfile.TemporaryDirectory() as folder:
        cases = [(path.name, path) for path in SHIPPED]
        for label, text in GENERATED.items():
            path = Path(folder) / (label.split(",")[0].replace(" ", "_") + ".toml")
            path.write_text(text, encoding="utf-8")
            cases.append((label, path))
        for label, path in cases:
            target = LARGE_TARGET if label.startswith("6 layers") else TARGET
            wall, cpu = best_of(3, path, formats)
            verdict = "PASS" if wall < target else "FAIL"
            verdicts.append(verdict)
            print(f"{verdict}  {label:<30} --format {formats:<10} {wall:6.2f} s wall, {cpu:5.2f} s CPU (target < {target} s)")
    wall, cpu = best_of(3, ROOT / "problems" / "ws23_backprop.toml", "md,tex")
    verdicts.append("PASS" if wall < WS23_TARGET else "FAIL")
    print(f"{verdicts[-1]}  {'ws23_backprop.toml':<30} --format md,tex    {wall:6.2f} s wall, {cpu:5.2f} s CPU "
          f"(target < {WS23_TARGET} s)")
    print("ALL PASS" if verdicts and all(v == "PASS" for v in verdicts) else "NOT ALL PASS")


if __name__ == "__main__":
    main()
