"""Mark a folder of answers files: one report each, a CSV of every verdict, a feedback file per student.

The checklist is built once for the problem; each answers file is then marked on its own, so a file that
cannot be read becomes a row that says why and marking goes on. The CSV is written whole or not at all.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, TextIO

from ..errors import ArgumentError, ProblemError
from ..numbers.tolerance import Tolerance
from ..problem.model import Problem
from ..render.write import write_atomically
from .answers_file import load_answers
from .checklist import Checklist, build_checklist
from .mark import check
from .report import Report

ANSWER_SUFFIXES = (".toml", ".json")
CSV_NAME = "marks.csv"
FEEDBACK_KINDS = ("md", "tex", "pdf", "json")


@dataclass
class MarkingRun:
    """What :func:`mark_folder` did: the reports, the files it could not read (name -> reason), what it wrote."""

    reports: list[tuple[Path, Report]] = field(default_factory=list)
    unreadable: dict[Path, str] = field(default_factory=dict)
    written: list[Path] = field(default_factory=list)


def answers_files(folder: Path) -> list[Path]:
    """The answers files in ``folder`` (not its subfolders), sorted by name; hidden files are left out."""
    if not folder.is_dir():
        raise ArgumentError(f"{folder}: not a folder")
    found = sorted(path for path in folder.iterdir()
                   if path.is_file() and path.suffix.lower() in ANSWER_SUFFIXES and not path.name.startswith("."))
    if not found:
        raise ArgumentError(f"{folder}: no answers files (*.toml or *.json) in it")
    return found


def mark_folder(problem: Problem | Checklist, folder: Path, output: Path, *, kind: str = "md",
                tolerance: Tolerance | None = None, progress: Callable[[int, int, str], None] | None = None
                ) -> MarkingRun:
    """Mark every answers file in ``folder``; write ``output/marks.csv`` and ``output/<file>.<kind>``.

    The problem file's tolerance (or ``tolerance``) applies to everyone: a policy in a student's file is
    ignored, with a note in that student's feedback.
    """
    checklist = problem if isinstance(problem, Checklist) else build_checklist(problem)
    policy = tolerance or checklist.tolerance
    files = answers_files(folder)
    output.mkdir(parents=True, exist_ok=True)
    run = MarkingRun()
    for number, path in enumerate(files, 1):
        if progress:
            progress(number - 1, len(files), path.name)
        try:
            sheet = load_answers(path)
        except ProblemError as error:
            run.unreadable[path] = str(error)
            continue
        report = check(checklist, sheet, tolerance=policy)
        if sheet.tolerance is not None and not sheet.tolerance.same_policy(policy):
            note = f"the tolerance set in this file was ignored: marking uses {policy.describe()}"
            report = Report(report.problem, report.student, report.source, policy, report.verdicts,
                            report.notes + (note,))
        target = output / f"{path.stem}.{kind}"
        save_report(report, target)
        run.written.append(target)
        run.reports.append((path, report))
    if progress:
        progress(len(files), len(files), "")
    table = output / CSV_NAME
    write_atomically(table, "\ufeff" + marks_csv(checklist, run))  # the BOM tells spreadsheets it is UTF-8
    run.written.append(table)
    return run


def save_report(report: Report, path: Path) -> None:
    """Write a report as feedback (``.md``, ``.tex``, ``.pdf``) or as JSON (``.json``), whole or not at all."""
    if path.suffix.lower() == ".json":
        write_atomically(path, json.dumps(report.as_dict(), ensure_ascii=False, indent=2) + "\n")
        return
    from .feedback import (
        write_feedback,  # Jinja2 is loaded only when feedback is rendered
    )

    write_feedback(report, path)


def marks_csv(checklist: Checklist, run: MarkingRun) -> str:
    """A row per student: file, student (the file's name if the file names none), points, total, score in
    percent, the first wrong step, why the file could not be read (if so) and each quantity's verdict
    ("left out" for working not written, which is not scored)."""
    items = checklist.items
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["file", "student", "points", "total", "score %", "first wrong step", "problem"]
                    + [f"{item.exercise}:{item.key}" for item in items])
    rows = [(path, report) for path, report in run.reports] + [(path, None) for path in run.unreadable]
    for path, report in sorted(rows, key=lambda row: row[0].name):
        if report is None:
            writer.writerow([_cell(path.name), "", "", "", "", "", _cell(run.unreadable[path])] + [""] * len(items))
            continue
        wrong = report.first_wrong
        score = f"{100 * report.points / report.total:.1f}" if report.total else ""
        writer.writerow([_cell(path.name), _cell(report.student or path.stem), report.points, report.total, score,
                         f"{wrong.exercise}:{wrong.key}" if wrong else "", ""]
                        + [_status(verdict) for verdict in report.verdicts])
    return buffer.getvalue()


def _status(verdict) -> str:
    """A verdict for the table; working a student left out is not scored, so it does not read "missing"."""
    return "left out" if verdict.status == "missing" and not verdict.item.asked else verdict.status


def _cell(text: str) -> str:
    """Text from a student, safe in a spreadsheet: a leading = + - @ would start a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class ProgressBar:
    """``marking [#######.......] 120/200 ada.toml`` on a terminal; one line at the end otherwise."""

    def __init__(self, stream: TextIO | None = None, width: int = 30):
        self.stream, self.width = stream or sys.stderr, width
        self.live = hasattr(stream, "isatty") and stream.isatty()

    def __call__(self, done: int, total: int, name: str) -> None:
        if not self.live and done < total:
            return
        filled = self.width * done // max(total, 1)
        shown = "".join(c if c.isprintable() else "?" for c in name)[:40]
        line = f"marking [{'#' * filled}{'.' * (self.width - filled)}] {done}/{total} {shown}"
        self.stream.write(("\r" + line.ljust(self.width + 40)) if self.live else line)
        if done == total:
            self.stream.write("\n")
        self.stream.flush()
