"""The command line: parse arguments, call the library, turn errors into one line and exit code 2.

Each command imports what it uses when it runs, so building the parser (and ``--help``, ``--version``) loads
no SymPy, SymEngine or Jinja2; :func:`main_exit` leaves without the interpreter's teardown once the output is out.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ArgumentError, SymbackError
from .check import add_check_commands

if TYPE_CHECKING:  # for the annotations only: importing it at run time would load SymPy for --help
    from ..numbers.rounding import Rounding


def _grad(args) -> int:
    from ..engine.backprop import backprop
    from ..numbers.text import format_exact, split_numbers
    from ..problem.limits import Limits
    from ..problem.load import load

    problem = load(args.problem, Limits.parse(args.limit))
    result = backprop(problem, **point_of(problem, args, split_numbers))
    wanted = split_names(args.params) if args.params else list(result.grad)
    unknown = [name for name in wanted if name not in result.grad]
    if unknown:
        raise ArgumentError(f"--params: unknown or frozen parameter {unknown[0]!r} (trainable: {', '.join(result.grad)})")
    gradient = f"d{result.top}/d"  # dL/d…, or df/d… for an expression without a loss
    names = [name for name in result.values if not name.startswith(gradient)] + [gradient + name for name in wanted]
    decimals = result.decimals(rounding_of(args) or problem.rounding)
    print(problem.title)
    for name in names:
        print(f"{name} = {format_exact(result.values[name])} ≈ {decimals[name]}")
    return 0


def point_of(problem, args, split_numbers) -> dict:
    """``grad``'s point as backprop's keywords: a network's ``--x`` and ``--y``; an expression's ``--at``
    (variables changed from the file's ``expression.at``) and an optional target ``--y``."""
    if problem.expression is None:
        if args.at is not None:
            raise ArgumentError("--at sets an expression's variables; this problem is a network: give --x and --y")
        if args.x is None or args.y is None:
            raise ArgumentError(f"a network problem needs --x and --y (its input has {len(problem.network.inputs)} "
                                "values: --x 1,3 --y 2)")
        return {"x": split_numbers(args.x, "--x"), "y": split_numbers(args.y, "--y")}
    if args.x is not None:
        at = ", ".join(f"{name}={value}" for name, value in problem.expression.at.items())
        raise ArgumentError(f"this problem is an expression: it has no input x; its variables are at {at} "
                            "(expression.at); change them with --at NAME=VALUE,...")
    point = {"values": at_values(args.at) if args.at is not None else None}
    if args.y is not None:
        if problem.loss is None:
            raise ArgumentError("--y is a target for the loss, and this expression's file has no [loss]: "
                                "without --y the gradients are those of f")
        point["y"] = split_numbers(args.y, "--y")[0]
    return point


def at_values(text: str) -> dict[str, str]:
    """``"x=1, y=-2"`` -> ``{"x": "1", "y": "-2"}`` (the numbers are read by the problem's safe parser).

    >>> at_values("x=1, y=1/2")
    {'x': '1', 'y': '1/2'}
    """
    values = {}
    for part in split_names(text):
        name, equals, value = part.partition("=")
        if not equals or not name.strip() or not value.strip():
            raise ArgumentError(f"--at: {part!r} is not NAME=VALUE (for example --at x=1,y=-2)")
        values[name.strip()] = value.strip()
    return values


def split_names(text: str) -> list[str]:
    """``"a22, b12"`` -> ``["a22", "b12"]``.

    >>> split_names("a22, b12")
    ['a22', 'b12']
    """
    return [part.strip() for part in text.split(",") if part.strip()]


def _exercise(args) -> int:
    from ..derive.exercise import run_exercise
    from ..problem.limits import Limits
    from ..problem.load import load
    from ..render.terminal import format_steps

    problem = load(args.problem, Limits.parse(args.limit))
    ids = [args.id] if args.id else [exercise.id for exercise in problem.exercises]
    for exercise_id in ids:
        print(format_steps(run_exercise(problem, exercise_id, rounding_of(args))))
    return 0


def _solve(args) -> int:
    from ..problem.limits import Limits
    from ..problem.load import load
    from ..render.write import parse_formats, write_sheets

    problem = load(args.problem, Limits.parse(args.limit))
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
    from ..numbers.rounding import Rounding

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
    top.add_argument("--version", action=_VersionAction, help="print the version of symback and exit")
    commands = top.add_subparsers(dest="command", required=True)
    grad = commands.add_parser("grad", help="forward values, loss and gradients at one input, exact and decimal")
    grad.add_argument("problem", help="problem file (TOML)")
    grad.add_argument("--x", help="a network's input, comma-separated: 1,3 or 1/2,sqrt(2)")
    grad.add_argument("--y", help="the target, comma-separated for several outputs (an expression: puts its loss around f)")
    grad.add_argument("--at", help="an expression's variables, changed from the file's: x=1,y=-2")
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
    for command in commands.choices.values():  # each reads a problem file (check: answers files too)
        command.add_argument("--limit", action="append", metavar="NAME=N",
                             help="raise a size limit, e.g. --limit parameters=500000 (repeatable; the limits and "
                                  "their defaults: docs/problem-format.md, Limits)")
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 fine, 1 answers not all right, 2 bad input)."""
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except SymbackError as err:
        print(f"symback: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader left (symback grad … | head): nothing more to say, as cat and grep do
        return 141
    except OSError as err:  # a folder that cannot be made or read: still one line
        where = f"{err.filename}: " if err.filename else ""
        print(f"symback: {where}{err.strerror or err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def version() -> str:
    """The installed package's version (its metadata), else the version in the source tree's pyproject.toml.

    >>> version().count(".") >= 1
    True
    """
    from importlib import metadata

    try:
        return metadata.version("symback")
    except metadata.PackageNotFoundError:
        return source_version(Path(__file__).resolve().parents[2] / "pyproject.toml")


def source_version(pyproject: Path) -> str:
    """``[project] version`` of a pyproject.toml; ``"unknown"`` when there is none (a copy without it).

    >>> source_version(Path("no such folder") / "pyproject.toml")
    'unknown'
    """
    import tomllib

    try:
        return str(tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"])
    except (OSError, KeyError, TypeError, tomllib.TOMLDecodeError):
        return "unknown"


class _VersionAction(argparse.Action):
    """``--version``: like argparse's own, but the version is looked up only when asked for."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"symback {version()}")
        parser.exit()


def _skip_numpy() -> None:
    """Keep NumPy out of this process: SymEngine imports it if it can (for its Lambdify and NumPy scalars), which
    costs 0.05 to 0.1 s of every command's start, and symback uses neither (NumPy is not among its dependencies).
    Only for the command line's own process, before anything imported SymEngine; never in the library.
    """
    if "numpy" not in sys.modules:
        sys.modules["numpy"] = None  # `import numpy` now raises ImportError, which SymEngine expects and catches


def main_exit(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``symback`` console script and ``python -m symback``: run, flush, and leave.

    The process ends with :func:`os._exit` once stdout and stderr are flushed (every file a command writes is
    closed by then), which skips tearing down SymPy's and SymEngine's objects one by one; the exit code is kept.
    """
    _skip_numpy()
    try:
        code = main(argv)
    except SystemExit as stop:  # argparse: --help, --version (0) and bad arguments (2)
        code = stop.code
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (symback grad … | head): nothing more to say
            pass
    os._exit(code)
