"""Benchmark: ``symback check`` marking a folder of answers files for the WS23 sheet.

Two runs of the real command in a fresh process, wall clock with the interpreter's start included, best of 3:

- 200 answers files with Markdown feedback (target on a 2-core machine: under 5 s): reading the problem, the
  files, marking every quantity, a feedback file per student and marks.csv;
- 20 of them with PDF feedback (``--format pdf``): the same, and a pdflatex run per student, one per core at
  once. No target: it is pdflatex's time over the cores, printed beside the one-after-another sum it replaces.

The 200 files are generated from a fixed seed: a fifth each are all right (6 digits), rounded to 3 decimals
at each step, exact forms, one early slip with everything after it recomputed from the slip, and a mix of
missing values, sign errors and unreadable strings. Values come from a float64 forward and backward pass
written here. Run ``python bench/bench_check.py`` (``--checkout DIR`` times another tree, for before and after;
``--no-pdf`` skips the PDF run); the exit code is 0 unless something crashes.
"""

import argparse
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBLEM = ROOT / "problems" / "ws23_backprop.toml"
FILES = 200
PDF_FILES = 20
TARGET = 5.0
A, B = [[1.0, 0.0], [-2.0, 1.0]], [1.0, -1.0]
POINTS = {"1": ([0, 0], 1.0), "2": ([1, 1], 2.12), "3": ([1, 3], 2.0)}


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def ws23_answers(round_to=None, slip=None) -> dict:
    """Every quantity of exercises 1–5 by the checklist's names, rounded like a student would (or not)."""
    keep = (lambda v: round(v, round_to)) if round_to is not None else (lambda v: v)
    sections = {}
    for exercise, (x, y) in POINTS.items():
        z = [keep(A[i][0] * x[0] + A[i][1] * x[1]) for i in range(2)]
        if slip and exercise == "3":
            z[1] = keep(z[1] * slip)
        h = [keep(sigmoid(v)) for v in z]
        yhat = keep(B[0] * h[0] + B[1] * h[1])
        sections[exercise] = {"z1_1": z[0], "h1_1": h[0], "z1_2": z[1], "h1_2": h[1], "yhat": yhat,
                              "L": keep((yhat - y) ** 2)}
        if exercise == "3":
            dyhat = keep(2 * (yhat - y))
            dh = keep(h[1] * (1 - h[1]))
            grad_b12, grad_a22 = keep(dyhat * h[1]), keep(dyhat * B[1] * dh * x[1])
            sections["4"] = {"dL/dyhat": dyhat, "dyhat/db12": h[1], "dL/db12": grad_b12, "dyhat/dh1_2": B[1],
                             "dh1_2/dz1_2": dh, "dz1_2/da22": x[1], "dL/da22": grad_a22}
            sections["5"] = {"b12'": keep(B[1] - 2 * grad_b12), "a22'": keep(A[1][1] - 2 * grad_a22)}
    sections["6"] = zero_activation_answers(keep)
    return sections


def zero_activation_answers(keep) -> dict:
    """Exercise 6: f ≡ 0 at x = (1, 3), y = 2, α = 3.14: every gradient of A is 0, so A stays."""
    x, y = POINTS["3"]
    z = [keep(A[i][0] * x[0] + A[i][1] * x[1]) for i in range(2)]
    dyhat = keep(2 * (0.0 - y))
    answers = {"z1_1": z[0], "h1_1": 0, "z1_2": z[1], "h1_2": 0, "yhat": 0, "L": keep((0.0 - y) ** 2),
               "dL/dyhat": dyhat}
    for i in (1, 2):
        answers[f"dyhat/dh1_{i}"] = B[i - 1]
        answers[f"dh1_{i}/dz1_{i}"] = 0
        for j in (1, 2):
            answers[f"dz1_{i}/da{i}{j}"] = x[j - 1]
            answers[f"dL/da{i}{j}"] = 0
            answers[f"a{i}{j}'"] = keep(A[i - 1][j - 1] - 3.14 * 0)
    return answers


def toml_text(student: str, sections: dict) -> str:
    lines = [f'student = "{student}"']
    for exercise, answers in sections.items():
        lines.append(f"[exercises.{exercise}]")
        lines += [f'"{key}" = "{value}"' for key, value in answers.items()]
    return "\n".join(lines) + "\n"


def write_folder(folder: Path, files: int = FILES) -> None:
    chance = random.Random(23)
    exact = {"h1_1": "e/(1+e)", "h1_2": "e/(1+e)", "dL/db12": "-4*e/(1+e)", "dL/da22": "12*exp(1)/(1+exp(1))^2"}
    for number in range(files):
        kind = number % 5
        sections = ws23_answers(round_to=3 if kind == 1 else None, slip=1.2 if kind == 3 else None)
        if kind == 0:
            sections = {e: {k: f"{v:.6g}" for k, v in s.items()} for e, s in sections.items()}
        if kind == 2:
            sections["3"].update({k: v for k, v in exact.items() if k.startswith("h")})
            sections["4"].update({k: v for k, v in exact.items() if k.startswith("dL")})
        if kind == 4:
            for answers in sections.values():
                for key in list(answers):
                    roll = chance.random()
                    if roll < 0.2:
                        del answers[key]
                    elif roll < 0.3:
                        answers[key] = -answers[key] if isinstance(answers[key], float) else answers[key]
                    elif roll < 0.35:
                        answers[key] = "\\\\frac{e}{1+e} + __import__(os)"
        (folder / f"student{number:03d}.toml").write_text(toml_text(f"Student {number}", sections), encoding="utf-8")


def best_of(runs: int, folder: Path, checkout: Path, kind: str = "md") -> float:
    """The best wall-clock time of ``runs`` runs of ``symback check`` on ``folder`` with ``kind`` feedback."""
    environment = {**os.environ, "PYTHONPATH": str(checkout)}
    files = len(list(folder.glob("*.toml")))
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as output:
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "symback", "check", str(PROBLEM), str(folder), "-o", output,
                                   "--format", kind], capture_output=True, text=True, env=environment, cwd=checkout)
            times.append(time.perf_counter() - started)
            if done.returncode != 0 or len(list(Path(output).glob(f"*.{kind}"))) != files:
                raise SystemExit(f"symback check failed ({done.returncode}): {done.stderr.strip()}")
    print(f"  {done.stdout.strip()}")
    return min(times)


def pdflatex_alone(folder: Path, checkout: Path) -> float:
    """pdflatex's own time for the folder's feedback, one file after another (each PDF as build_pdf makes it):
    what the PDF run took before it was spread over the cores, less marking and rendering."""
    code = ("import sys, tempfile, time; from pathlib import Path; import symback\n"
            "from symback.checker.feedback import render_feedback; from symback.render.pdf import build_pdf\n"
            "problem = symback.load(sys.argv[1]); files = sorted(Path(sys.argv[2]).glob('*.toml'))\n"
            "texts = [render_feedback(symback.check(problem, symback.load_answers(f)), 'tex') for f in files]\n"
            "with tempfile.TemporaryDirectory() as out:\n"
            "    started = time.perf_counter()\n"
            "    for number, text in enumerate(texts): build_pdf(text, Path(out) / f'{number}.pdf')\n"
            "    print(time.perf_counter() - started)\n")
    done = subprocess.run([sys.executable, "-c", code, str(PROBLEM), str(folder)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(checkout)}, check=True)
    return float(done.stdout)


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--checkout", type=Path, default=ROOT, help="the tree to time (default: this one)")
    options.add_argument("--no-pdf", action="store_true", help="skip the run with PDF feedback")
    args = options.parse_args()
    checkout = args.checkout.resolve()
    print(f"symback check {PROBLEM.relative_to(ROOT)} FOLDER in {checkout}; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as folder:
        write_folder(Path(folder))
        seconds = best_of(3, Path(folder), checkout)
    verdict = "PASS" if seconds < TARGET else "FAIL"
    print(f"{verdict}  {FILES} files, md feedback + marks.csv {seconds:6.2f} s (target < {TARGET} s)")
    if args.no_pdf:
        return
    with tempfile.TemporaryDirectory() as folder:
        write_folder(Path(folder), PDF_FILES)
        seconds = best_of(3, Path(folder), checkout, "pdf")
        alone = pdflatex_alone(Path(folder), checkout)
    print(f"      {PDF_FILES} files, pdf feedback + marks.csv {seconds:6.2f} s "
          f"(pdflatex alone, one file after another: {alone:.2f} s)")


if __name__ == "__main__":
    main()
