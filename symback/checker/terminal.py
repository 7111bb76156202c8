"""A checker report as plain text for the terminal: the headline first, then exercise by exercise."""

from __future__ import annotations

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
