"""Mark a folder of answers files: one report each, a CSV of every verdict, a feedback file per student.

The checklist is built once for the problem; each answers file is then marked on its own, so a file that
cannot be read becomes a row that says why and marking goes on. PDF feedback is compiled by a pool of
pdflatex runs, one per core, while the next students are marked; a PDF that fails is left out (with the reason
in its row) and the others go on. Every file is written whole or not at all; marks.csv is written last, its rows
in the order of the file names, whatever order the PDFs finished in.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from ..errors import ArgumentError, ProblemError
from ..numbers.tolerance import Tolerance
from ..problem.limits import Limits
from ..problem.model import Problem
from .answers_file import load_answers
from .checklist import Checklist, build_checklist
from .mark import check
from .report import Report

ANSWER_SUFFIXES = (".toml", ".json")
CSV_NAME = "marks.csv"
FEEDBACK_KINDS = ("md", "tex", "pdf", "json")
Progress = Callable[[int, int, str], None]  # (files done, files in all, the last one's name)


@dataclass
class MarkingRun:
    """What :func:`mark_folder` did: the reports in file-name order, the files it could not read and the
    feedback it could not write (file -> reason), the ids the files give, what it wrote."""

    reports: list[tuple[Path, Report]] = field(default_factory=list)
    unreadable: dict[Path, str] = field(default_factory=dict)
    failed: dict[Path, str] = field(default_factory=dict)
    ids: dict[Path, str] = field(default_factory=dict)
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


def feedback_names(files: Iterable[Path], kind: str) -> dict[Path, str]:
    """Each answers file's feedback file: named after its stem, or after its whole name where two share a stem
    (in any case, for file systems that ignore it), so that no student's feedback overwrites another's.

    >>> sorted(feedback_names([Path("ada.toml"), Path("Ada.json"), Path("bo.toml")], "md").values())
    ['Ada.json.md', 'ada.toml.md', 'bo.md']
    """
    files = list(files)
    stems = Counter(path.stem.casefold() for path in files)
    return {path: f"{path.stem if stems[path.stem.casefold()] == 1 else path.name}.{kind}" for path in files}


def mark_folder(problem: Problem | Checklist, folder: Path, output: Path, *, kind: str = "md",
                tolerance: Tolerance | None = None, progress: Progress | None = None,
                workers: int | None = None, limits: Limits | None = None) -> MarkingRun:
    """Mark every answers file in ``folder``; write ``output/marks.csv`` and a feedback file per student. Each
    file is read within ``limits`` (None: the defaults); one past them is unreadable, the others are marked.

    The problem file's tolerance (or ``tolerance``) applies to everyone: a policy in a student's file is
    ignored, with a note in that student's feedback. PDFs are compiled by ``workers`` pdflatex runs at once
    (default: one per core); ``progress`` is told of each file as its feedback is done.

    >>> import symback, tempfile
    >>> with tempfile.TemporaryDirectory() as name:
    ...     folder = Path(name)
    ...     _ = (folder / "ada.toml").write_text('id = "s1"\\n[exercises.1]\\nyhat = "0"\\n', encoding="utf-8")
    ...     marking = mark_folder(symback.load("problems/ws23_backprop.toml"), folder, folder / "out")
    ...     [path.name for path in marking.written], list(marking.ids.values())
    (['ada.md', 'marks.csv'], ['s1'])
    """
    checklist = problem if isinstance(problem, Checklist) else build_checklist(problem)
    files = answers_files(folder)
    if kind == "pdf":
        from ..render.pdf import INSTALL_HINT, latex_available

        if not latex_available():  # before anything is marked or written
            raise ArgumentError(INSTALL_HINT)
    output.mkdir(parents=True, exist_ok=True)
    run = MarkingRun()
    marked = _mark_each(checklist, files, tolerance or checklist.tolerance, run, limits)
    targets = {path: output / name for path, name in feedback_names(files, kind).items()}
    if kind == "pdf":
        finished = _build_pdfs(marked, targets, run, workers or os.cpu_count() or 1)
    else:
        finished = _save_each(marked, targets)
    if progress:
        progress(0, len(files), files[0].name)
    for done, path in enumerate(finished, 1):
        if progress:
            progress(done, len(files), path.name)
    run.written = [targets[path] for path, _ in run.reports if path not in run.failed]
    table = output / CSV_NAME
    from ..render.write import write_atomically

    write_atomically(table, "\ufeff" + marks_csv(checklist, run))  # the BOM tells spreadsheets it is UTF-8
    run.written.append(table)
    return run


def _mark_each(checklist: Checklist, files: list[Path], policy: Tolerance, run: MarkingRun,
               limits: Limits | None) -> Iterator[tuple[Path, Report | None]]:
    """Each file with its report, in order (None for a file that cannot be read, recorded in ``run``)."""
    for path in files:
        try:
            sheet = load_answers(path, limits)
        except ProblemError as error:
            run.unreadable[path] = str(error)
            yield path, None
            continue
        report = check(checklist, sheet, tolerance=policy)
        if sheet.tolerance is not None and not sheet.tolerance.same_policy(policy):
            note = f"the tolerance set in this file was ignored: marking uses {policy.describe()}"
            report = Report(report.problem, report.student, report.source, policy, report.verdicts,
                            report.notes + (note,))
        run.reports.append((path, report))
        if sheet.id:
            run.ids[path] = sheet.id
        yield path, report


def _save_each(marked: Iterable[tuple[Path, Report | None]], targets: dict[Path, Path]) -> Iterator[Path]:
    """Write each report's feedback as it is marked; yields each file when it is done."""
    for path, report in marked:
        if report is not None:
            save_report(report, targets[path])
        yield path


def _build_pdfs(marked: Iterable[tuple[Path, Report | None]], targets: dict[Path, Path], run: MarkingRun,
                workers: int) -> Iterator[Path]:
    """Compile each report's PDF in a pool of ``workers`` threads, each waiting on its own pdflatex process,
    while the next files are marked; yields each file when its PDF is done. A PDF that fails is recorded in
    ``run.failed``; anything else stops the run, with the PDFs not yet started cancelled."""
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    from ..render import pdf
    from .feedback import render_feedback

    def settle(future) -> Path:
        path = pending.pop(future)
        try:
            future.result()
        except pdf.PdfError as error:
            run.failed[path] = str(error)
        return path

    pending = {}
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pdflatex")
    try:
        for path, report in marked:
            if report is None:
                yield path
                continue
            # rendering stays in this thread (Jinja2, SymPy's printers); a worker only runs pdflatex on the text
            pending[pool.submit(pdf.build_pdf, render_feedback(report, "tex"), targets[path])] = path
            for future in [future for future in pending if future.done()]:
                yield settle(future)
        while pending:
            for future in wait(pending, return_when=FIRST_COMPLETED).done:
                yield settle(future)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # on an error or Ctrl-C: no PDF left half-way


def save_report(report: Report, path: Path) -> None:
    """Write a report as feedback (``.md``, ``.tex``, ``.pdf``) or as JSON (``.json``), whole or not at all."""
    if path.suffix.lower() == ".json":
        from ..render.write import write_atomically

        write_atomically(path, json.dumps(report.as_dict(), ensure_ascii=False, indent=2) + "\n")
        return
    from .feedback import (
        write_feedback,  # Jinja2 is loaded only when feedback is rendered
    )

    write_feedback(report, path)


def marks_csv(checklist: Checklist, run: MarkingRun) -> str:
    """A row per student, in the order of the file names: file, student (the file's name if the file names
    none), id (only when some file gives one), points, total, score in percent, the first wrong step, what went
    wrong with the file (it could not be read, or its feedback could not be written) and each quantity's verdict
    ("left out" for working not written, which is not scored)."""
    items = checklist.items
    with_id = bool(run.ids)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["file", "student"] + ["id"] * with_id + ["points", "total", "score %", "first wrong step",
                                                               "problem"]
                    + [f"{item.exercise}:{item.key}" for item in items])
    rows = [(path, report) for path, report in run.reports] + [(path, None) for path in run.unreadable]
    for path, report in sorted(rows, key=lambda row: row[0].name):
        identity = [_cell(run.ids.get(path, ""))] * with_id
        if report is None:
            writer.writerow([_cell(path.name), ""] + identity + ["", "", "", "", _cell(run.unreadable[path])]
                            + [""] * len(items))
            continue
        wrong = report.first_wrong
        score = f"{100 * report.points / report.total:.1f}" if report.total else ""
        trouble = f"feedback not written: {run.failed[path]}" if path in run.failed else ""
        writer.writerow([_cell(path.name), _cell(report.student or path.stem)] + identity
                        + [report.points, report.total, score, f"{wrong.exercise}:{wrong.key}" if wrong else "",
                           _cell(trouble)]
                        + [_status(verdict) for verdict in report.verdicts])
    return buffer.getvalue()


def _status(verdict) -> str:
    """A verdict for the table; working a student left out is not scored, so it does not read "missing"."""
    return "left out" if verdict.status == "missing" and not verdict.item.asked else verdict.status


def _cell(text: str) -> str:
    """Text from a student, safe in a spreadsheet: a leading = + - @ would start a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
