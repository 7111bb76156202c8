"""The exercise sheet itself, without solutions: the problem as given and each exercise's question.

Nothing here runs an exercise: the sheet holds the problem part (network or circuit as given, its numbers,
the loss, the diagram) and per exercise its text from the file, or a sentence made from its task and keys. So no
computed value can reach it. Sentences are lists of segments, ``("text", words)`` or ``("math", latex)``, that
the templates print (escaping the words) in every format.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sympy

from ..engine.backprop import problem_kind
from ..numbers.rounding import terminating_decimal
from ..problem.model import ExerciseSpec, Problem
from .notation import Notation
from .sheet import PROBLEM_PARTS

Segment = tuple[str, str]

OPTIMIZER_NAMES = {"sgd": "gradient descent", "momentum": "SGD with momentum", "nesterov": "Nesterov momentum",
                   "rmsprop": "RMSprop", "adam": "Adam", "adamw": "AdamW"}
OPTION_SYMBOLS = {"momentum": r"\mu", "rho": r"\rho", "beta1": r"\beta_1", "beta2": r"\beta_2",
                  "eps": r"\varepsilon", "weight_decay": r"\lambda"}
ANALYSIS = ("Binary cross-entropy L = −[y log p + (1 − y) log(1 − p)]: should it be minimised or maximised? "
            "What are the best and the worst predictions p?")


@dataclass(frozen=True)
class Question:
    """One exercise as asked: the author's ``text`` (None: none) and the ``sentence`` made from its keys, which
    the sheet prints where there is no text, and the data it is asked at (``given``)."""

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
    questions = tuple(question(problem, exercise, notation) for exercise in problem.exercises)
    data = _data(problem, notation) if any(e.task == "train" for e in problem.exercises) else ()
    return QuestionSheet(problem.title, problem.intro, problem.source_name, notation, kind,
                         builder.build(problem, notation), questions, data, builder.scaled_diagram)


def questions_stem(problem: Problem, stem: str | None = None) -> str:
    """``<stem>-questions``: the questions sheet's file name without suffix.

    >>> questions_stem(Problem("t", None, None, source="sheets/ws23.toml"))
    'ws23-questions'
    """
    return f"{stem or Path(problem.source or 'problem').stem}-questions"


def number(value: sympy.Expr, notation: Notation) -> str:
    """A given number in LaTeX as the file most likely wrote it: a terminating decimal as a decimal (3.14, not
    157/50), anything else exactly.

    >>> number(sympy.Rational(157, 50), Notation()), number(sympy.Rational(1, 3), Notation())
    ('3.14', '\\\\frac{1}{3}')
    """
    if value.is_Rational:
        shown = terminating_decimal(int(value.p), int(value.q))
        if shown is not None and len(str(shown)) <= 16:
            return format(shown, "f")
    return notation.latex(value)


def question(problem: Problem, exercise: ExerciseSpec, notation: Notation) -> Question:
    """One exercise as asked (its text, a sentence from its task and keys, the data it is asked at)."""
    return Question(exercise.id, exercise.text, tuple(_sentence(problem, exercise, notation)),
                    tuple(_given(problem, exercise, notation)))


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
    return [("text", "Here ")] + _listed(parts) + [("text", ".")]


def _sentence(problem: Problem, exercise: ExerciseSpec, notation: Notation) -> list[Segment]:
    top = "L" if problem.loss is not None or exercise.loss is not None else "f"
    task = exercise.task
    if task == "cross_entropy_analysis":
        return [("text", ANALYSIS)]
    said: list[Segment] = _conditions(problem, exercise)
    if task == "forward":
        said.append(("text", "Compute the forward pass: every node's value."))
    elif task == "loss":
        said.append(("text", "Compute the prediction and the loss."))
    elif task == "gradient":
        said += [("text", "Compute ")] + _listed([notation.partial(top, n) for n in _params(problem, exercise)])
        said.append(("text", "."))
    elif task == "sgd":
        said += [("text", "Update ")] + _listed([notation.latex_name(n) for n in _params(problem, exercise)])
        said += [("text", " with one step of gradient descent, "), ("math", rf"\alpha = {number(exercise.lr, notation)}"),
                 ("text", ".")]
    elif task in ("optimize", "train"):
        said += _optimizer(exercise, notation)
    for name, value in exercise.show.items():
        said += [("text", " Show that "), ("math", f"{notation.latex_name(name)} = {number(value, notation)}"),
                 ("text", ".")]
    return said


def _conditions(problem: Problem, exercise: ExerciseSpec) -> list[Segment]:
    said = []
    for layer, activation in sorted(exercise.activations.items()):
        what = "the constant 0" if activation.kind == "zero" else activation.kind.replace("_", " ")
        said.append(("text", f"Take {what} as the activation of layer {layer}. "))
    if exercise.loss is not None:
        said.append(("text", f"Take the loss {exercise.loss.kind.replace('_', ' ')}. "))
    return said


def _optimizer(exercise: ExerciseSpec, notation: Notation) -> list[Segment]:
    spec = exercise.optimizer
    name = OPTIMIZER_NAMES.get(spec.kind, spec.kind)
    settings = [rf"\alpha = {number(spec.lr, notation)}"] + [
        f"{OPTION_SYMBOLS.get(option, notation.latex_name(option))} = {number(value, notation)}"
        for option, value in spec.options.items()]
    if exercise.task == "optimize":
        steps = exercise.steps or 1
        said = [("text", f"Take {steps} step{'s' * (steps != 1)} of {name} (")]
    else:
        epochs = exercise.epochs or 1
        batch = "the whole data set" if exercise.batch is None else (
            "one sample" if exercise.batch == 1 else f"{exercise.batch} samples")
        said = [("text", f"Train on the data with {name} ({batch} per step, {epochs} epoch{'s' * (epochs != 1)}; ")]
    said += _listed(settings) + [("text", ") and give the loss and the parameters after each step.")]
    return said


def _params(problem: Problem, exercise: ExerciseSpec) -> list[str]:
    if exercise.params is not None:
        return list(exercise.params)
    if problem.network is not None:
        return list(problem.network.trainable)
    return list(problem.expression.params or problem.expression.variables)


def _listed(latex: list[str]) -> list[Segment]:
    segments: list[Segment] = []
    for position, item in enumerate(latex):
        if position:
            segments.append(("text", " and " if position == len(latex) - 1 else ", "))
        segments.append(("math", item))
    return segments


def _data(problem: Problem, notation: Notation) -> tuple[Segment, ...]:
    if problem.data is None:
        return ()
    rows = []
    for x, y in zip(problem.data.x, problem.data.y):
        inputs = ", ".join(number(v, notation) for v in x)
        targets = ", ".join(number(v, notation) for v in y)
        rows.append(rf"(({inputs}), {targets if len(y) == 1 else f'({targets})'})")
    return (("text", "The data, one pair (x, y) per sample: "), ("math", ", ".join(rows)), ("text", "."))
