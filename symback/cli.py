"""The command line: parse arguments, call the library, turn errors into one line and exit code 2."""

from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Sequence

from .api import backprop
from .errors import ArgumentError, ProblemError, SymbackError
from .exercises import run_exercise
from .problem_file import load
from .solve import parse_formats, write_sheets
from .text import format_exact, format_steps, split_numbers
from .answers_file import load_answers
from .checker import check
from .checklist import build_checklist
from .marking import CSV_NAME, FEEDBACK_KINDS, ProgressBar, mark_folder, save_report
from .report_text import format_report
from .skeleton import answers_skeleton
from .solve import write_atomically
from .tolerance import Tolerance, read_tolerance


def _grad(args) -> int:
    problem = load(args.problem)
    result = backprop(problem, split_numbers(args.x, "--x"), split_numbers(args.y, "--y"))
    wanted = split_names(args.params) if args.params else list(result.grad)
    unknown = [name for name in wanted if name not in result.grad]
    if unknown:
        raise ArgumentError(f"--params: unknown or frozen parameter {unknown[0]!r} (trainable: {', '.join(result.grad)})")
    digits = args.digits or problem.digits
    names = [name for name in result.values if not name.startswith("dL/d")] + [f"dL/d{name}" for name in wanted]
    decimals = result.decimals(digits)
    print(problem.title)
    for name in names:
        print(f"{name} = {format_exact(result.values[name])} ≈ {decimals[name]}")
    return 0


def split_names(text: str) -> list[str]:
    """``"a22, b12"`` -> ``["a22", "b12"]``.

    >>> split_names("a22, b12")
    ['a22', 'b12']
    """
    return [part.strip() for part in text.split(",") if part.strip()]


def _exercise(args) -> int:
    problem = load(args.problem)
    ids = [args.id] if args.id else [exercise.id for exercise in problem.exercises]
    for exercise_id in ids:
        print(format_steps(run_exercise(problem, exercise_id, args.digits)))
    return 0


def _solve(args) -> int:
    problem = load(args.problem)
    report = write_sheets(problem, Path(args.output), parse_formats(args.format), args.digits)
    for path in report.written:
        print(f"wrote {path}")
    for remark in report.remarks:
        print(f"symback: {remark}", file=sys.stderr)
    return 0


def _answers(args) -> int:
    text = answers_skeleton(load(args.problem))
    if not args.output:
        sys.stdout.write(text)
        return 0
    target = Path(args.output)
    if target.exists() and not args.force:
        raise ArgumentError(f"{target} exists (it may hold answers); use --force to replace it")
    write_atomically(target, text)
    print(f"wrote {target}")
    return 0


def _check(args) -> int:
    checklist = build_checklist(load(args.problem))
    policy = parse_tolerance(args.tolerance) if args.tolerance else None
    answers = Path(args.answers)
    if answers.is_dir():
        return _check_folder(checklist, answers, args, policy)
    report = check(checklist, load_answers(answers), tolerance=policy)
    if args.output:
        save_report(report, Path(args.output))
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(format_report(report))
    if args.output:
        print(f"wrote {args.output}", file=sys.stderr if args.json else sys.stdout)
    return report.exit_code


def _check_folder(checklist, folder: Path, args, policy) -> int:
    if args.json and args.format not in (None, "json"):
        raise ArgumentError("--json with a folder writes JSON feedback files; leave out --format")
    kind = "json" if args.json else (args.format or "md")
    if kind not in FEEDBACK_KINDS:
        raise ArgumentError(f"--format: unknown format {kind!r} (use {', '.join(FEEDBACK_KINDS)})")
    output = Path(args.output) if args.output else folder / "feedback"
    run = mark_folder(checklist, folder, output, kind=kind, tolerance=policy, progress=ProgressBar())
    for path, reason in run.unreadable.items():
        print(f"symback: {reason} (not marked)", file=sys.stderr)
    right = sum(report.all_right for _, report in run.reports)
    print(f"marked {len(run.reports)} answers files ({right} all right); wrote {output / CSV_NAME} "
          f"and {len(run.reports)} feedback files")
    return 1 if run.unreadable else 0


def parse_tolerance(text: str) -> Tolerance:
    """``relative=1e-3``, ``significant_figures=3`` or ``decimal_places=3`` (``--tolerance``).

    >>> parse_tolerance("decimal_places=2")
    Tolerance(kind='decimal_places', amount=2, source='command line')
    """
    kind, _, amount = text.partition("=")
    kind = {"sig_figs": "significant_figures", "places": "decimal_places"}.get(kind.strip(), kind.strip())
    try:
        value = int(amount) if kind != "relative" else Decimal(amount.strip())
    except (ValueError, ArithmeticError):
        raise ArgumentError(f"--tolerance: cannot read {amount.strip()!r} as a number") from None
    try:
        return read_tolerance({kind: value}, "--tolerance", "command line")
    except ProblemError as error:
        raise ArgumentError(str(error)) from None


def parser() -> argparse.ArgumentParser:
    """The argument parser of ``symback``."""
    top = argparse.ArgumentParser(prog="symback", description="Exact, step-by-step backpropagation.")
    commands = top.add_subparsers(dest="command", required=True)
    grad = commands.add_parser("grad", help="forward values, loss and gradients at one input, exact and decimal")
    grad.add_argument("problem", help="problem file (TOML)")
    grad.add_argument("--x", required=True, help="input, comma-separated: 1,3 or 1/2,sqrt(2)")
    grad.add_argument("--y", required=True, help="target, comma-separated for several outputs")
    grad.add_argument("--params", help="only these gradients, comma-separated (default: every trainable one)")
    grad.add_argument("--digits", type=int, help="significant digits of the decimals (default: the problem's)")
    grad.set_defaults(run=_grad)
    solve = commands.add_parser("solve", help="write the solution sheet: Markdown, LaTeX and PDF")
    solve.add_argument("problem", help="problem file (TOML)")
    solve.add_argument("-o", "--output", default="output", help="folder for the sheets (default: output)")
    solve.add_argument("--format", default="md,tex,pdf", help="comma-separated: md, tex, pdf (default: all three)")
    solve.add_argument("--digits", type=int, help="significant digits of the decimals (default: the problem's)")
    solve.set_defaults(run=_solve)
    exercise = commands.add_parser("exercise", help="the steps of one exercise (or of all), as plain text")
    exercise.add_argument("problem", help="problem file (TOML)")
    exercise.add_argument("id", nargs="?", help="exercise id (default: every exercise)")
    exercise.add_argument("--digits", type=int, help="significant digits of the decimals (default: the problem's)")
    exercise.set_defaults(run=_exercise)
    answers = commands.add_parser("answers", help="write an answers file to fill in: every quantity, empty")
    answers.add_argument("problem", help="problem file (TOML)")
    answers.add_argument("-o", "--output", help="write it to this file (default: print it)")
    answers.add_argument("--force", action="store_true", help="replace the file if it exists")
    answers.set_defaults(run=_answers)
    check_command = commands.add_parser(
        "check", help="mark an answers file (exit 0 all right, 1 not) or a folder of them (CSV and feedback)")
    check_command.add_argument("problem", help="problem file (TOML)")
    check_command.add_argument("answers", help="answers file (TOML or JSON), or a folder of them")
    check_command.add_argument("-o", "--output", help="feedback file (.md, .tex or .pdf); for a folder, the "
                                                      "folder for marks.csv and feedback (default: FOLDER/feedback)")
    check_command.add_argument("--json", action="store_true", help="print the report as JSON")
    check_command.add_argument("--format", help="feedback files for a folder: md (default), tex, pdf or json")
    check_command.add_argument("--tolerance", help="relative=1e-3, significant_figures=3 or decimal_places=3 "
                                                   "(default: the problem file's, else relative=1e-3)")
    check_command.set_defaults(run=_check)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 fine, 1 answers not all right, 2 bad input)."""
    args = parser().parse_args(argv)
    try:
        if getattr(args, "digits", None) is not None and not 1 <= args.digits <= 1000:
            raise SymbackError(f"--digits must be between 1 and 1000, got {args.digits}")
        return args.run(args)
    except SymbackError as err:
        print(f"symback: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def main_exit() -> None:
    """Entry point of the ``symback`` console script."""
    sys.exit(main())
