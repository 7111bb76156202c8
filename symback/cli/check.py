"""The checker's commands: ``symback answers`` (a skeleton to fill in) and ``symback check`` (one file or a folder)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ArgumentError

if TYPE_CHECKING:  # for the annotations only: importing it at run time would load more than --help needs
    from ..numbers.tolerance import Tolerance

# Each command imports what it uses when it runs: building the parser loads none of SymPy, SymEngine, Jinja2.


def _answers(args) -> int:
    from ..checker.skeleton import answers_skeleton
    from ..problem.limits import Limits
    from ..problem.load import load
    from ..render.write import write_atomically

    text = answers_skeleton(load(args.problem, Limits.parse(args.limit)))
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
    from ..checker.answers_file import load_answers
    from ..checker.checklist import build_checklist
    from ..checker.mark import check
    from ..checker.terminal import format_report
    from ..problem.limits import Limits
    from ..problem.load import load

    limits = Limits.parse(args.limit)
    checklist = build_checklist(load(args.problem, limits))
    policy = parse_tolerance(args.tolerance) if args.tolerance else None
    answers = Path(args.answers)
    if answers.is_dir():
        return _check_folder(checklist, answers, args, policy, limits)
    if args.format:
        raise ArgumentError("--format is for a folder of answers files; for one file, name the feedback file "
                            "with -o (.md, .tex, .pdf or .json)")
    if args.output and Path(args.output).is_dir():
        raise ArgumentError(f"-o: {args.output} is a folder; name a feedback file (.md, .tex, .pdf or .json)")
    report = check(checklist, load_answers(answers, limits), tolerance=policy)
    if args.output:
        from ..checker.folder import (
            save_report,  # feedback sheets: Jinja2 and the renderers, only when asked
        )

        save_report(report, Path(args.output))
    if args.json:
        import json

        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(format_report(report))
    if args.output:
        print(f"wrote {args.output}", file=sys.stderr if args.json else sys.stdout)
    return report.exit_code


def _check_folder(checklist, folder: Path, args, policy, limits) -> int:
    from ..checker.folder import CSV_NAME, FEEDBACK_KINDS, mark_folder
    from ..checker.terminal import ProgressBar

    if args.json and args.format not in (None, "json"):
        raise ArgumentError("--json with a folder writes JSON feedback files; leave out --format")
    kind = "json" if args.json else (args.format or "md")
    if kind not in FEEDBACK_KINDS:
        raise ArgumentError(f"--format: unknown format {kind!r} (use {', '.join(FEEDBACK_KINDS)})")
    output = Path(args.output) if args.output else folder / "feedback"
    run = mark_folder(checklist, folder, output, kind=kind, tolerance=policy, progress=ProgressBar(), limits=limits)
    for reason in run.unreadable.values():
        print(f"symback: {reason} (not marked)", file=sys.stderr)
    for reason in run.failed.values():
        print(f"symback: {reason} (marked; feedback not written)", file=sys.stderr)
    right = sum(report.all_right for _, report in run.reports)
    print(f"marked {len(run.reports)} answers files ({right} all right); wrote {output / CSV_NAME} "
          f"and {len(run.reports) - len(run.failed)} feedback files")
    return 1 if run.unreadable or run.failed else 0


def parse_tolerance(text: str) -> Tolerance:
    """``relative=1e-3``, ``significant_figures=3`` or ``decimal_places=3`` (``--tolerance``).

    >>> parse_tolerance("decimal_places=2")
    Tolerance(kind='decimal_places', amount=2, source='command line')
    """
    from ..numbers.tolerance import Tolerance

    kind, _, amount = text.partition("=")
    kind = {"sig_figs": "significant_figures", "places": "decimal_places"}.get(kind.strip(), kind.strip())
    try:
        return Tolerance(kind, amount.strip(), "command line")
    except ArgumentError as error:
        raise ArgumentError(f"--tolerance: {error}") from None


def add_check_commands(commands: argparse._SubParsersAction) -> None:
    """Register ``answers`` and ``check`` on the top-level parser's subcommands."""
    answers = commands.add_parser("answers", help="write an answers file to fill in: every quantity, empty")
    answers.add_argument("problem", help="problem file (TOML)")
    answers.add_argument("-o", "--output", help="write it to this file (default: print it)")
    answers.add_argument("--force", action="store_true", help="replace the file if it exists")
    answers.set_defaults(run=_answers)
    check_command = commands.add_parser(
        "check", help="mark an answers file (exit 0 all right, 1 not) or a folder of them (CSV and feedback)")
    check_command.add_argument("problem", help="problem file (TOML)")
    check_command.add_argument("answers", help="answers file (TOML or JSON), or a folder of them")
    check_command.add_argument("-o", "--output", help="feedback file (.md, .tex, .pdf or .json); for a folder, the "
                                                      "folder for marks.csv and feedback (default: FOLDER/feedback)")
    check_command.add_argument("--json", action="store_true", help="print the report as JSON")
    check_command.add_argument("--format", help="feedback files for a folder: md (default), tex, pdf or json")
    check_command.add_argument("--tolerance", help="relative=1e-3, significant_figures=3 or decimal_places=3 "
                                                   "(default: the problem file's, else relative=1e-3)")
    check_command.set_defaults(run=_check)
