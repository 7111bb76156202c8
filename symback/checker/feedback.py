"""The feedback sheet: a checker's :class:`~symback.checker.report.Report` as Markdown, LaTeX or PDF.

It is rendered through the solution sheets' Jinja2 environment (same filters, same escaping) from
``templates/md/feedback.md.j2`` and ``templates/tex/feedback.tex.j2``. This module only picks what the
templates show; every text that came from a student or a file is escaped by the templates.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import sympy

from ..derive.prose import Prose
from ..derive.steps import Quantity
from ..errors import ArgumentError
from ..problem.model import file_name
from ..render.author_text import problem_names
from ..render.environment import approximately, decimal_text, render_for_problem
from ..render.notation import Notation
from ..render.pdf import build_pdf
from ..render.shown import shown
from ..render.write import write_atomically
from .feedback_text import typesetter
from .report import STATUSES, WRONG_WORKING, Report, Verdict, written_exact

RULE_SHOWN = ("wrong", WRONG_WORKING)  # verdicts whose row shows the rule the answer is held against
CLIP = 40  # characters of a student's answer shown; the rest is theirs to look up in their own file
TOLERANCE_SOURCES = {
    "default": "the default",
    "problem file": "set in the problem file",
    "answers file": "set in the answers file",
    "command line": "set on the command line",
    "argument": "set by the caller",
}


@dataclass(frozen=True)
class Row:
    """One quantity's row: its verdict (the answer clipped), its right value as LaTeX math (see
    :func:`right_value`), the rule of a wrong answer and the verdict's note (each may be empty), set in the
    sheet's notation (:mod:`symback.checker.feedback_text`)."""

    verdict: Verdict
    right: str
    rule: Prose
    note: Prose


@dataclass(frozen=True)
class ExerciseFeedback:
    """One exercise: its text (the problem's ``names`` in it set as the sheet sets them), a row per quantity
    that counts, and the working left out (keys)."""

    id: str
    text: str
    names: tuple[str, ...]
    rows: tuple[Row, ...]
    left_out: tuple[str, ...]


@dataclass(frozen=True)
class FeedbackView:
    """Everything the feedback templates show."""

    title: str
    who: str
    answers_file: str | None
    problem_file: str | None
    headline: Prose
    tolerance: str
    tolerance_source: str
    points: int
    total: int
    counts: tuple[tuple[str, int], ...]  # (status, count) for the statuses that occur, in STATUSES order
    left_out: int
    digits: int
    exercises: tuple[ExerciseFeedback, ...]
    notes: tuple[str, ...]


def clip(text: str | None, limit: int | None = CLIP) -> str | None:
    """A student's text on one line (a line break would end a Markdown table row), at most ``limit`` characters.

    >>> clip("1 +\\r\\n 2"), clip("x" * 50)[-3:], clip("x" * 50, None)[-3:]
    ('1 + 2', 'xx…', 'xxx')
    """
    if text is None:
        return None
    text = " ".join(str(text).split())
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


def right_value(quantity: Quantity) -> str:
    r"""The right value as LaTeX math for the table: the exact form only where it is short, the decimal always.

    The rule (:func:`symback.render.shown.short`): the exact form is shown when its LaTeX has at most 60
    characters, not counting spaces and the ``\left``/``\right`` before brackets (they print nothing of their own).
    That keeps
    ``\frac{4 \left(39 + 14 e\right)^{2}}{625 \left(1 + e\right)^{2}}`` and lets go of the thousands of
    characters a deeper network's gradients take, which no table column holds. The decimal (correctly rounded)
    follows it, after ``=`` where it is the exact value itself and ``\approx`` where not; alone, it keeps its
    ``\approx`` when rounded.

    >>> import sympy
    >>> from decimal import Decimal
    >>> right_value(Quantity("h", sympy.E / (1 + sympy.E), Decimal("0.7311")))
    '\\frac{e}{1 + e} \\approx 0.7311'
    >>> right_value(Quantity("L", sympy.Integer(4), Decimal("4")))
    '4'
    >>> long = sum(sympy.exp(sympy.Rational(1, k)) for k in range(2, 12))
    >>> right_value(Quantity("g", long, Decimal("13.09")))
    '\\approx 13.09'
    >>> right_value(Quantity("n", sympy.Integer(10) ** 70, Decimal("1.000E+70")))
    '10^{70}'
    >>> right_value(Quantity("n", sympy.Integer(2) ** 300, Decimal("2.037E+90")))
    '\\approx 2.037 \\cdot 10^{90}'
    """
    notation = Notation()  # a number: no names, so any notation prints it the same
    exact = written_exact(quantity)  # None: too long to write (judged before SymPy builds it)
    known_exactly = exact is not None and not exact.has(sympy.Float)  # a run's later steps: decimals only
    view = shown(quantity, notation, table=False)
    if known_exactly and view.exact:
        approx = approximately(quantity)
        exact = notation.latex(quantity.exact)
        return f"{exact} {approx}" if approx else exact
    return decimal_text(quantity.decimal) if view.equal else f"\\approx {decimal_text(quantity.decimal)}"


def feedback_view(report: Report) -> FeedbackView:
    """The report as the templates show it; answers are clipped everywhere they appear (headline, notes).

    >>> import symback
    >>> report = symback.check(symback.load("problems/ws23_backprop.toml"), {"1": {"yhat": "0", "L": "0.5"}})
    >>> view = feedback_view(report)
    >>> [(row.verdict.key, row.verdict.status) for row in view.exercises[0].rows], view.exercises[0].left_out
    ([('yhat', 'correct'), ('L', 'wrong')], ('z1_1', 'h1_1', 'z1_2', 'h1_2'))
    """
    shown = dataclasses.replace(report, verdicts=tuple(dataclasses.replace(v, answer=clip(v.answer))
                                                        for v in report.verdicts))
    problem, digits = shown.problem, shown.problem.digits
    typeset, names = typesetter(shown), problem_names(problem)
    order = list(dict.fromkeys(v.exercise for v in shown.verdicts))
    exercises = []
    for exercise_id in order:
        verdicts = [v for v in shown.verdicts if v.exercise == exercise_id]
        rows = tuple(Row(v, right_value(v.item.right),
                         typeset.rule(v) if v.status in RULE_SHOWN and v.item.rule is not None else Prose(()),
                         typeset.note(v, digits))
                     for v in verdicts if v.counted)
        left_out = tuple(v.key for v in verdicts if not v.counted)
        exercises.append(ExerciseFeedback(exercise_id, problem.exercise(exercise_id).text or "", names, rows,
                                          left_out))
    answers_file = None if shown.source.startswith("<") else file_name(shown.source)
    source = shown.tolerance.source
    return FeedbackView(
        title=problem.title,
        who=clip(shown.student, 80) or answers_file or "unnamed student",
        answers_file=answers_file,
        problem_file=problem.source_name if problem.source else None,
        headline=typeset.headline(shown, right_value(shown.first_wrong.item.right) if shown.first_wrong else ""),
        tolerance=shown.tolerance.describe(),
        tolerance_source=TOLERANCE_SOURCES.get(source, source),
        points=shown.points,
        total=shown.total,
        counts=tuple((status, shown.counts[status]) for status in STATUSES if shown.counts[status]),
        left_out=sum(len(exercise.left_out) for exercise in exercises),
        digits=digits,
        exercises=tuple(exercises),
        notes=tuple(clip(note, 300) for note in shown.notes),  # a note may quote a hostile key at length
    )


def render_feedback(report: Report, kind: str, *, markdown: str = "github") -> str:
    """The feedback sheet as Markdown (``kind="md"``, finished for ``markdown``: see
    :func:`~symback.render.markdown.finish_markdown`) or LaTeX (``kind="tex"``).

    >>> import symback
    >>> report = symback.check(symback.load("problems/ws23_backprop.toml"), {"1": {"yhat": "0", "L": "0.5"}})
    >>> text = render_feedback(report, "md")
    >>> text.splitlines()[0]
    '# Feedback: Backpropagation, winter semester 23 (reconstruction)'
    >>> "First wrong step: exercise 1, $L$: you wrote 0.5" in text
    True
    """
    return render_for_problem("feedback", kind, report.problem, markdown=markdown, feedback=feedback_view(report))


def present(report: Report, form: str) -> str:
    """The presenter of :mod:`symback.display` for a checker's report: its feedback sheet in ``form``.

    >>> import symback
    >>> report = symback.check(symback.load("problems/ws23_backprop.toml"), {"1": {"L": "1"}})
    >>> present(report, "md").startswith("# Feedback")
    True
    """
    return render_feedback(report, form, markdown="math-first")  # Jupyter shows a ```math fence as code


def write_feedback(report: Report, path: Path) -> None:
    """Write the feedback sheet to ``path`` as Markdown, LaTeX or PDF by its suffix, whole or not at all.

    >>> import symback
    >>> report = symback.check(symback.load("problems/ws23_backprop.toml"), {})
    >>> write_feedback(report, Path("feedback.docx"))
    Traceback (most recent call last):
    symback.errors.ArgumentError: -o: 'feedback.docx' has an unknown suffix '.docx': use .md, .tex or .pdf
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".md", ".tex", ".pdf"):
        path.parent.mkdir(parents=True, exist_ok=True)  # as `solve -o` makes its folder
    if suffix in (".md", ".tex"):
        write_atomically(path, render_feedback(report, suffix[1:]))
    elif suffix == ".pdf":
        build_pdf(render_feedback(report, "tex"), path)
    else:
        what = f"has an unknown suffix {suffix!r}" if suffix else "has no suffix"
        raise ArgumentError(f"-o: {path.name!r} {what}: use .md, .tex or .pdf")
