"""The command line: parse arguments, call the library, turn errors into one line and exit code 2."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ..derive.exercise import run_exercise
from ..engine.backprop import backprop
from ..errors import ArgumentError, SymbackError
from ..numbers.rounding import Rounding
from ..numbers.text import format_exact, split_numbers
from ..problem.load import load
from ..render.terminal import format_steps
from ..render.write import parse_formats, write_sheets
from .check import add_check_commands


def _grad(args) -> int:
    problem = load(args.problem)
    result = backprop(problem, split_numbers(args.x, "--x"), split_numbers(args.y, "--y"))
    wanted = split_names(args.params) if args.params else list(result.grad)
    unknown = [name for name in wanted if name not in result.grad]
    if unknown:
        raise ArgumentError(f"--params: unknown or frozen parameter {unknown[0]!r} (trainable: {', '.join(result.grad)})")
    names = [name for name in result.values if not name.startswith("dL/d")] + [f"dL/d{name}" for name in wanted]
    decimals = result.decimals(rounding_of(args) or problem.rounding)
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
        print(format_steps(run_exercise(problem, exercise_id, rounding_of(args))))
    return 0


def _solve(args) -> int:
    problem = load(args.problem)
    report = write_sheets(problem, Path(args.output), parse_formats(args.format), rounding_of(args),
                          appendix=not args.no_appendix, questions=args.questions)
    for path in report.written:
        print(f"wrote {path}")
    for remark in report.remarks:
        print(f"symback: {remark}", file=sys.stderr)
    return 0


def rounding_of(args) -> Rounding | None:
    """The rounding the command line asks for (``--digits`` or ``--decimals``); None: the problem file's.

    >>> rounding_of(argparse.Namespace(digits=None, decimals=2))
    Rounding(count=2, fixed=True)
    """
    if args.decimals is not None:
        if not 0 <= args.decimals <= 1000:
            raise ArgumentError(f"--decimals must be between 0 and 1000, got {args.decimals}")
        return Rounding(args.decimals, fixed=True)
    if args.digits is not None:
        if not 1 <= args.digits <= 1000:
            raise ArgumentError(f"--digits must be between 1 and 1000, got {args.digits}")
        return Rounding(args.digits)
    return None


def _add_rounding(command: argparse.ArgumentParser) -> None:
    choice = command.add_mutually_exclusive_group()
    choice.add_argument("--digits", type=int, help="significant digits of the decimals (default: the problem's)")
    choice.add_argument("--decimals", type=int, help="fixed decimal places instead of significant digits")


def parser() -> argparse.ArgumentParser:
    """The argument parser of ``symback``."""
    top = argparse.ArgumentParser(prog="symback", description="Exact, step-by-step backpropagation.")
    commands = top.add_subparsers(dest="command", required=True)
    grad = commands.add_parser("grad", help="forward values, loss and gradients at one input, exact and decimal")
    grad.add_argument("problem", help="problem file (TOML)")
    grad.add_argument("--x", required=True, help="input, comma-separated: 1,3 or 1/2,sqrt(2)")
    grad.add_argument("--y", required=True, help="target, comma-separated for several outputs")
    grad.add_argument("--params", help="only these gradients, comma-separated (default: every trainable one)")
    _add_rounding(grad)
    grad.set_defaults(run=_grad)
    solve = commands.add_parser("solve", help="write the solution sheet: Markdown, LaTeX and PDF")
    solve.add_argument("problem", help="problem file (TOML)")
    solve.add_argument("-o", "--output", default="output", help="folder for the sheets (default: output)")
    solve.add_argument("--format", default="md,tex,pdf", help="comma-separated: md, tex, pdf (default: all three)")
    _add_rounding(solve)
    solve.add_argument("--no-appendix", action="store_true", help="leave out the appendix of follow-up questions")
    solve.add_argument("--questions", action="store_true",
                       help="write the exercise sheet without solutions (<stem>-questions.<ext>) instead")
    solve.set_defaults(run=_solve)
    exercise = commands.add_parser("exercise", help="the steps of one exercise (or of all), as plain text")
    exercise.add_argument("problem", help="problem file (TOML)")
    exercise.add_argument("id", nargs="?", help="exercise id (default: every exercise)")
    _add_rounding(exercise)
    exercise.set_defaults(run=_exercise)
    add_check_commands(commands)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 fine, 1 answers not all right, 2 bad input)."""
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except SymbackError as err:
        print(f"symback: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # a folder that cannot be made or read: still one line
        where = f"{err.filename}: " if err.filename else ""
        print(f"symback: {where}{err.strerror or err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def main_exit() -> None:
    """Entry point of the ``symback`` console script."""
    sys.exit(main())
