"""The checker on the terminal: a report as plain text (the headline first, then exercise by exercise) and the
progress bar of marking a folder."""

from __future__ import annotations

import os
import sys
from typing import TextIO

from .report import Report

MARKS = {"correct": "✓", "rounding": "≈", "carried forward": "→", "wrong working": "!", "wrong": "✗", "missing": "·", "unreadable": "?"}


def format_report(report: Report) -> str:
    """The report line by line; working the student left out is listed in one line per exercise.

    >>> import symback
    >>> report = symback.check(symback.load("problems/ws23_backprop.toml"), {"1": {"yhat": "0", "L": "1"}})
    >>> print(format_report(report).splitlines()[0])
    Nothing wrong so far; 12 asked for missing: yhat (exercise 2), L (exercise 2), yhat (exercise 3), L (exercise 3) and 8 more
    """
    digits = report.problem.digits
    lines = [report.headline, ""]
    who = _short(report.student or report.source)
    lines.append(f"{who}: {report.points}/{report.total} points; "
                 + ", ".join(f"{count} {status}" for status, count in report.counts.items() if count))
    lines.append(f"Tolerance: {report.tolerance.describe()} (set by: {report.tolerance.source})")
    exercise = None
    left_out: list[str] = []
    for verdict in report.verdicts:
        if verdict.exercise != exercise:
            _flush(lines, left_out)
            exercise = verdict.exercise
            lines += ["", f"Exercise {exercise}"]
        if verdict.status == "missing" and not verdict.item.asked:
            left_out.append(verdict.key)
            continue
        written = f" = {_short(verdict.answer)}" if verdict.answer is not None else ""
        explanation = verdict.explanation(digits)
        lines.append(f"  {MARKS[verdict.status]} {verdict.key}{written}: {verdict.status}"
                     + (f"; {explanation}" if explanation and verdict.status != "missing" else ""))
    _flush(lines, left_out)
    if report.notes:
        lines += ["", "Notes:"] + [f"  {note}" for note in report.notes]
    return "\n".join(lines) + "\n"


def _flush(lines: list[str], left_out: list[str]) -> None:
    if left_out:
        lines.append(f"  working left out: {', '.join(left_out)}")
        left_out.clear()


def _short(text: str) -> str:
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= 40 else text[:37] + "..."


class ProgressBar:
    """``marking [#######.......] 120/200 ada.toml``, redrawn in place while ``stream`` (default: stderr) is a
    terminal; nothing at all otherwise (a log or a pipe gets only the command's summary line).

    >>> import io
    >>> bar = ProgressBar(io.StringIO())  # not a terminal
    >>> bar.live, bar(1, 2, "ada.toml"), bar.stream.getvalue()
    (False, None, '')
    """

    def __init__(self, stream: TextIO | None = None, width: int = 30):
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.live = _is_terminal(self.stream)
        self.drawn = 0  # length of the line on the screen: a shorter one is padded to blank what it leaves

    def __call__(self, done: int, total: int, name: str) -> None:
        """Draw ``done`` of ``total`` files, the last one ``name``; the line ends when ``done == total``."""
        if not self.live:
            return
        filled = self.width * done // max(total, 1)
        line = f"marking [{'#' * filled}{'.' * (self.width - filled)}] {done}/{total} {_short(name)}".rstrip()
        room = _columns(self.stream) - 1  # a line that wraps could not be redrawn with a carriage return
        line = line[:room]
        self.stream.write("\r" + line + " " * (min(self.drawn, room) - len(line)))
        self.drawn = len(line)
        if done >= total:
            self.stream.write("\n")
            self.drawn = 0
        self.stream.flush()


def _is_terminal(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):  # no isatty, or a closed stream
        return False


def _columns(stream) -> int:
    """The terminal's width; 80 where it cannot be told (a pseudo-terminal nobody sized reports 0)."""
    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, ValueError, OSError):
        return 80
    return columns if columns >= 20 else 80
