"""Write a problem's solution sheets: Markdown, LaTeX and PDF, each file whole or not at all."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ArgumentError
from ..problem.model import Problem
from .atomic import write_atomically
from .environment import render
from .pdf import INSTALL_HINT, build_pdf, latex_available
from .questions import build_questions, questions_stem
from .sheet import build_sheet

ALL_FORMATS = ("md", "tex", "pdf")


@dataclass
class SolveReport:
    """What :func:`write_sheets` wrote, and remarks for the user (one line each)."""

    written: list[Path] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)


def parse_formats(text: str) -> tuple[str, ...]:
    """``"md,tex"`` -> ``("md", "tex")``, in the order md, tex, pdf.

    >>> parse_formats("pdf, md")
    ('md', 'pdf')
    """
    wanted = {part.strip().lower() for part in text.split(",") if part.strip()}
    unknown = sorted(wanted - set(ALL_FORMATS))
    if unknown or not wanted:
        raise ArgumentError(f"--format: unknown format {unknown[0]!r} (use md, tex, pdf)" if unknown else
                            "--format: name at least one of md, tex, pdf")
    return tuple(kind for kind in ALL_FORMATS if kind in wanted)


def write_sheets(problem: Problem, folder: Path, formats=ALL_FORMATS, digits: int | None = None,
                 stem: str | None = None, *, appendix: bool = True, questions: bool = False,
                 guard=None) -> SolveReport:
    """Render ``problem``'s sheet into ``folder`` as ``<stem>.md``, ``.tex``, ``.pdf``, with the Markdown the SVG
    plots it links to (``<stem>-exercise-<id>-loss.svg``, one per training run); with ``questions``, the exercise
    sheet without solutions instead, as ``<stem>-questions.md``, ``.tex``, ``.pdf`` (nothing is solved for it).

    Everything is rendered before anything is written. Without pdflatex, the PDF is skipped with a remark
    (and it is an error if the PDF was the only format asked for). Each exercise and appendix section runs
    under ``guard`` (the command line's time for a section): one that overran is left out with a sentence on
    the sheet and a remark.
    """
    report = SolveReport()
    if "pdf" in formats and not latex_available():
        if formats == ("pdf",):
            raise ArgumentError(INSTALL_HINT)
        formats = tuple(kind for kind in formats if kind != "pdf")
        report.remarks.append(INSTALL_HINT)
    stem = stem or Path(problem.source or "problem").stem
    if questions:
        sheet, stem = build_questions(problem), questions_stem(problem, stem)
    else:
        sheet = build_sheet(problem, digits, appendix=appendix, stem=stem, guard=guard)
        report.remarks.extend(sheet.left_out)
    texts = {kind: render(sheet, kind) for kind in ("md", "tex") if kind in formats or (kind == "tex" and "pdf" in formats)}
    folder.mkdir(parents=True, exist_ok=True)
    for plot in getattr(sheet, "plots", ()) if "md" in formats else ():  # before the Markdown that links to them
        path = folder / plot.name
        write_atomically(path, plot.svg)
        report.written.append(path)
    for kind in ("md", "tex"):
        if kind in formats:
            path = folder / f"{stem}.{kind}"
            write_atomically(path, texts[kind])
            report.written.append(path)
    if "pdf" in formats:
        path = folder / f"{stem}.pdf"
        warnings = build_pdf(texts["tex"], path)
        report.written.append(path)
        report.remarks.extend(f"LaTeX: {warning}" for warning in warnings if warning.startswith("Overfull"))
    return report
