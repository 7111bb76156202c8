"""What an exercise asks, in one sentence made from its keys, for a sheet where the file gives no ``text``.

The solution sheet and the questions sheet print the same sentence, as a problem sheet states an exercise:
"Forward pass and loss at x = (1, 0.5)ᵀ, y = 1.", "∂L/∂a₁₁ and ∂L/∂f₁₁ at the point of exercise 1.",
"One SGD step with α = 0.1 on a₁₁ and f₁₁ at the point of exercise 1." Numbers are written as the file most
likely wrote them (3.14, not 157/50). Nothing is computed. A sentence is a tuple of segments, ``("text", words)``
or ``("math", latex)``, that the templates print (escaping the words) in every format.
"""

from __future__ import annotations

import re

import sympy

from ..derive.node_formulas import target_name
from ..engine.circuit import build_circuit
from ..numbers.rounding import terminating_decimal
from ..problem.model import ExerciseSpec, Problem
from .notation import Notation

Segment = tuple[str, str]

TRANSPOSE = r"^{\mathrm{T}}"  # as an author's ᵀ prints (upright T), in every sheet's mathematics
OPTIMIZER_NAMES = {"sgd": "gradient descent", "momentum": "SGD with momentum", "nesterov": "Nesterov momentum",
                   "rmsprop": "RMSprop", "adam": "Adam", "adamw": "AdamW"}
OPTION_SYMBOLS = {"momentum": r"\mu", "rho": r"\rho", "beta1": r"\beta_1", "beta2": r"\beta_2",
                  "eps": r"\varepsilon", "weight_decay": r"\lambda"}
ANALYSIS = ("Binary cross-entropy L = −[y log p + (1 − y) log(1 − p)]: should it be minimised or maximised? "
            "What are the best and the worst predictions p?")
_COUNTS = ("No", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten")
LISTED_AT_MOST = 6  # parameters named one by one; beyond, "every parameter"


def number(value: sympy.Expr, notation: Notation) -> str:
    """A given number in LaTeX as the file most likely wrote it: a terminating decimal as a decimal (3.14, not
    157/50), anything else exactly.

    >>> number(sympy.Rational(157, 50), Notation()), number(sympy.Rational(1, 3), Notation())
    ('3.14', '\\\\frac{1}{3}')
    >>> number(sympy.Rational(1, 10**300), Notation())
    '10^{-300}'
    """
    if value.is_Rational:
        shown = terminating_decimal(int(value.p), int(value.q))
        if shown is not None and len(format(shown, "f")) <= 16:  # else 10^{-300}, not 0.000…1
            return format(shown, "f")
    return notation.latex(value)


def asked(problem: Problem, exercise: ExerciseSpec, notation: Notation) -> tuple[Segment, ...]:
    """The sentence that states what ``exercise`` asks, at which point, with which parameters and rates.

    >>> import symback
    >>> p = symback.loads('title = "t"\\n[network]\\ninputs = 2\\n[[network.layers]]\\nweights = "W"\\n'
    ...                   'values = [[0.5, -1]]\\nactivation = "identity"\\n[loss]\\nkind = "squared_error"\\n[[exercises]]\\nid = "1"\\n'
    ...                   'task = "loss"\\nx = [1, 0.5]\\ny = 2\\n[[exercises]]\\nid = "2"\\ntask = "sgd"\\n'
    ...                   'at = "1"\\nlr = 0.1\\nparams = ["w11"]\\n')
    >>> "".join(piece for _, piece in asked(p, p.exercise("1"), Notation()))
    'Forward pass and loss at x = (1, 0.5)^{\\\\mathrm{T}}, y = 2.'
    >>> "".join(piece for _, piece in asked(p, p.exercise("2"), Notation()))
    'One SGD step with \\\\alpha = 0.1 on w_{11} at the point of exercise 1.'
    """
    task = exercise.task
    if task == "cross_entropy_analysis":
        return (("text", ANALYSIS),)
    top = "L" if problem.loss is not None or exercise.loss is not None else "f"
    said: list[Segment] = []
    if task in ("forward", "loss"):
        with_loss = exercise.y is not None and top == "L"
        said.append(("text", "Forward pass and loss" if with_loss else "Forward pass: every node's value"))
    elif task == "gradient":
        said += _params(problem, exercise, notation, lambda name: rf"\partial {top} / \partial {name}",
                        f"∂{top}/∂θ for every parameter θ")
    elif task == "sgd":
        said += [("text", "One SGD step with "), ("math", rf"\alpha = {number(exercise.lr, notation)}"),
                 ("text", " on ")]
        said += _params(problem, exercise, notation, lambda name: name, "every parameter")
    elif task == "optimize":
        steps = exercise.steps or 1
        count = _COUNTS[steps] if steps < len(_COUNTS) else str(steps)
        said += [("text", f"{count} step{'s' * (steps != 1)} of {_optimizer_name(exercise)} (")]
        said += _settings(exercise, notation) + [("text", ") on ")]
        said += _params(problem, exercise, notation, lambda name: name, "every parameter")
    elif task == "train":
        epochs = exercise.epochs or 1
        batch = "the whole data set" if exercise.batch is None else (
            "one sample" if exercise.batch == 1 else f"{exercise.batch} samples")
        plan = f"({batch} per step, {epochs} epoch{'s' * (epochs != 1)}; "
        said += [("text", f"Training on the data with {_optimizer_name(exercise)} {plan}")]
        said += _settings(exercise, notation) + [("text", "): the loss and the parameters after each step")]
    if task != "train":
        said += _point(problem, exercise, notation)
    said += _conditions(exercise)
    said.append(("text", "."))
    for name, value in exercise.show.items():
        said += [("text", " Show that "), ("math", f"{notation.latex_name(name)} = {number(value, notation)}"),
                 ("text", ".")]
    return tuple(_joined(said))


def point_of(problem: Problem, exercise: ExerciseSpec) -> tuple:
    """What sets an exercise's point: a network's x and y, an expression's variables set anew (and y).

    >>> import symback
    >>> p = symback.load("problems/ws23_backprop.toml")
    >>> point_of(p, p.exercise("4")) == point_of(p, p.exercise("3")) != point_of(p, p.exercise("2"))
    True
    """
    return exercise.x, exercise.y, tuple(sorted((name, str(value)) for name, value in exercise.values.items()))


def earlier_at_point(problem: Problem, exercise: ExerciseSpec) -> str | None:
    """The first earlier exercise at the same point, which states it (None: this one is the first).

    >>> import symback
    >>> p = symback.load("problems/ws23_backprop.toml")
    >>> earlier_at_point(p, p.exercise("5")), earlier_at_point(p, p.exercise("3"))
    ('3', None)
    """
    key = point_of(problem, exercise)
    for other in problem.exercises:
        if other.id == exercise.id:
            return None
        if other.task not in ("cross_entropy_analysis", "train") and point_of(problem, other) == key:
            return other.id
    return None


def states_its_numbers(problem: Problem, exercise: ExerciseSpec) -> bool:
    """Whether the author's text writes every number of the exercise's point (x, y, variables set anew), so a
    sheet need not say them again.

    >>> import symback
    >>> p = symback.load("problems/ws23_backprop.toml")
    >>> [states_its_numbers(p, p.exercise(e)) for e in "1235"]
    [True, True, True, False]
    """
    if not exercise.text:
        return False
    written = re.findall(r"(?<![\w.])\d+(?:\.\d+)?(?:/\d+)?(?!\w)(?!\.\d)", exercise.text.replace("−", "-"))
    for value in (*(exercise.x or ()), *(exercise.y or ()), *exercise.values.values()):
        plain = _plain(abs(value))
        if plain not in written:
            return False
        written.remove(plain)
    return True


def _plain(value: sympy.Expr) -> str:
    """A number as a file's text would write it: 2.12, 1/3, 4."""
    if value.is_Rational:
        shown = terminating_decimal(int(value.p), int(value.q))
        return format(shown, "f") if shown is not None else f"{value.p}/{value.q}"
    return str(value)


def _point(problem: Problem, exercise: ExerciseSpec, notation: Notation) -> list[Segment]:
    earlier = earlier_at_point(problem, exercise)
    if earlier is not None:
        return [("text", f" at the point of exercise {earlier}")]
    given = []
    if problem.network is not None and exercise.x is not None:
        given.append(f"x = {_vector(exercise.x, notation)}")
    values = dict(problem.expression.at) if problem.expression is not None else {}
    values.update(exercise.values)
    given += [f"{notation.latex_name(name)} = {number(value, notation)}" for name, value in values.items()]
    if exercise.y is not None and (problem.loss is not None or exercise.loss is not None):
        given.append(f"{_target_name(problem, notation)} = {_vector(exercise.y, notation)}")
    if not given:
        return []
    said: list[Segment] = [("text", " at ")]
    for position, item in enumerate(given):
        said += [("text", ", ")] * bool(position) + [("math", item)]
    return said


def _vector(values, notation: Notation) -> str:
    if len(values) == 1:
        return number(values[0], notation)
    return f"({', '.join(number(v, notation) for v in values)}){TRANSPOSE}"


def _target_name(problem: Problem, notation: Notation) -> str:
    if problem.expression is None:
        return "y"
    return notation.latex_name(target_name({node.name for node in build_circuit(problem.expression).nodes}))


def _params(problem: Problem, exercise: ExerciseSpec, notation: Notation, each, every: str) -> list[Segment]:
    if exercise.params is not None:
        names = list(exercise.params)
    elif problem.network is not None:
        names = list(problem.network.trainable)
    else:
        names = list(problem.expression.params or problem.expression.variables)
    if len(names) > LISTED_AT_MOST:
        return [("text", every)]
    return _listed([each(notation.latex_name(name)) for name in names])


def _optimizer_name(exercise: ExerciseSpec) -> str:
    return OPTIMIZER_NAMES.get(exercise.optimizer.kind, exercise.optimizer.kind)


def _settings(exercise: ExerciseSpec, notation: Notation) -> list[Segment]:
    spec = exercise.optimizer
    settings = [rf"\alpha = {number(spec.lr, notation)}"] + [
        f"{OPTION_SYMBOLS.get(option, notation.latex_name(option))} = {number(value, notation)}"
        for option, value in spec.options.items()]
    return _listed(settings, ", ")


def _conditions(exercise: ExerciseSpec) -> list[Segment]:
    said = []
    for layer, activation in sorted(exercise.activations.items()):
        what = "the constant 0" if activation.kind == "zero" else activation.kind.replace("_", " ")
        said.append(("text", f", with {what} as the activation of layer {layer}"))
    if exercise.loss is not None:
        said.append(("text", f", with the loss {exercise.loss.kind.replace('_', ' ')}"))
    return said


def _listed(latex: list[str], last: str = " and ") -> list[Segment]:
    segments: list[Segment] = []
    for position, item in enumerate(latex):
        if position:
            segments.append(("text", last if position == len(latex) - 1 else ", "))
        segments.append(("math", item))
    return segments


def _joined(segments: list[Segment]) -> list[Segment]:
    """Neighbouring words as one segment (a template prints fewer pieces)."""
    joined: list[Segment] = []
    for kind, piece in segments:
        if joined and kind == "text" and joined[-1][0] == "text":
            joined[-1] = ("text", joined[-1][1] + piece)
        else:
            joined.append((kind, piece))
    return joined
