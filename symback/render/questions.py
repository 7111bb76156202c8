"""The exercise sheet itself, without solutions: the problem as given and each exercise's question.

Nothing here runs an exercise: the sheet holds the problem part (network or circuit as given, its numbers,
the loss, the diagram) and per exercise its text from the file, or a sentence made from its task and keys. So no
computed value can reach it. Sentences are lists of segments, ``("text", words)`` or ``("math", latex)``, that
the templates print (escaping the words) in every format.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..derive.claims import check_claimed_names
from ..engine.backprop import problem_kind
from ..problem.model import ExerciseSpec, Problem
from .asked import Segment, asked, number, states_its_numbers
from .author_text import problem_names
from .notation import Notation
from .sheet import PROBLEM_PARTS


@dataclass(frozen=True)
class Question:
    """One exercise as asked: the author's ``text`` (None: none) and the ``sentence`` made from its keys
    (:func:`~symback.render.asked.asked`, its point included), which the sheet prints where there is no text, and
    the data it is asked at (``given``) where a text does not write them itself."""

    id: str
    text: str | None
    sentence: tuple[Segment, ...]
    given: tuple[Segment, ...]


@dataclass(frozen=True)
class QuestionSheet:
    """The exercise sheet of a problem: what :class:`~symback.render.sheet.Sheet` holds before any solution."""

    title: str
    intro: str | None
    source_name: str
    notation: Notation
    kind: str
    part: object
    exercises: tuple[Question, ...]
    data: tuple[Segment, ...]  # the samples of [data], where an exercise trains on them
    tables: bool
    questions: bool = True  # the problem part's templates leave out what belongs to a solution
    names: tuple[str, ...] = ()  # the problem's names, set as mathematics in the author's text


def build_questions(problem: Problem) -> QuestionSheet:
    """The exercise sheet of ``problem``, computing nothing.

    >>> import symback
    >>> sheet = build_questions(symback.load("problems/ws23_backprop.toml"))
    >>> [q.id for q in sheet.exercises][:3], sheet.exercises[0].text[:22]
    (['1', '2', '3'], 'Compute the prediction')
    """
    kind = problem_kind(problem).name
    builder = PROBLEM_PARTS[kind]
    notation = builder.notation(problem)
    for exercise in problem.exercises:
        check_claimed_names(problem, exercise)  # a claim the solution would refuse is refused here too
    questions = tuple(question(problem, exercise, notation) for exercise in problem.exercises)
    data = _data(problem, notation) if any(e.task == "train" for e in problem.exercises) else ()
    return QuestionSheet(problem.title, problem.intro, problem.source_name, notation, kind,
                         builder.build(problem, notation), questions, data, builder.scaled_diagram,
                         names=problem_names(problem))


def questions_stem(problem: Problem, stem: str | None = None) -> str:
    """``<stem>-questions``: the questions sheet's file name without suffix.

    >>> questions_stem(Problem("t", None, None, source="sheets/ws23.toml"))
    'ws23-questions'
    """
    return f"{stem or Path(problem.source or 'problem').stem}-questions"


def question(problem: Problem, exercise: ExerciseSpec, notation: Notation) -> Question:
    """One exercise as asked: its text, a sentence from its task and keys, and the data it is asked at where a
    text does not write them (said once: "x = (0, 0)ᵀ and y = 1" in the text needs no "Here x₁ = 0, …").

    >>> import symback
    >>> p = symback.load("problems/ws23_backprop.toml")
    >>> [bool(question(p, p.exercise(e), Notation()).given) for e in "15"]
    [False, True]
    """
    given = () if exercise.text is None or states_its_numbers(problem, exercise) else _given(problem, exercise,
                                                                                               notation)
    return Question(exercise.id, exercise.text, asked(problem, exercise, notation), tuple(given))


def _given(problem: Problem, exercise: ExerciseSpec, notation: Notation) -> list[Segment]:
    parts = []
    if problem.network is not None and exercise.x is not None:
        parts.append(", ".join(f"{notation.latex_name(n)} = {number(v, notation)}"
                               for n, v in zip(problem.network.inputs, exercise.x)))
    for name, value in exercise.values.items():
        parts.append(f"{notation.latex_name(name)} = {number(value, notation)}")
    if exercise.y is not None:
        names = ("y",) if len(exercise.y) == 1 else tuple(f"y_{{{i}}}" for i in range(1, len(exercise.y) + 1))
        parts.append(", ".join(f"{n} = {number(v, notation)}" for n, v in zip(names, exercise.y)))
    if not parts:
        return []
    said: list[Segment] = [("text", "Here ")]
    for position, item in enumerate(parts):
        if position:
            said.append(("text", " and " if position == len(parts) - 1 else ", "))
        said.append(("math", item))
    return said + [("text", ".")]


def _data(problem: Problem, notation: Notation) -> tuple[Segment, ...]:
    if problem.data is None:
        return ()
    rows = []
    for x, y in zip(problem.data.x, problem.data.y):
        inputs = ", ".join(number(v, notation) for v in x)
        targets = ", ".join(number(v, notation) for v in y)
        rows.append(rf"(({inputs}), {targets if len(y) == 1 else f'({targets})'})")
    return (("text", "The data, one pair (x, y) per sample: "), ("math", ", ".join(rows)), ("text", "."))
