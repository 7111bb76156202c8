"""Read the ``[[exercises]]`` of a problem file into :class:`~symback.problem.model.ExerciseSpec` records.

An exercise may take its point (x and y) from an earlier one with ``at``; every mistake names the exercise by
its id (``exercises[id=4].params[2]``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sympy

from ..errors import ProblemError
from .fields import (
    IDENTIFIER,
    Fields,
    describe,
    index_key,
    join_key,
    read_number,
    read_vector,
    some,
)
from .limits import Limits
from .losses import KNOWN_LOSSES
from .model import (
    PRESENTATIONS,
    TASKS,
    ActivationSpec,
    DatasetSpec,
    ExerciseSpec,
    ExpressionSpec,
    LossSpec,
    NetworkSpec,
    OptimizerSpec,
)
from .read_activation import read_activation
from .read_optimizer import read_batch, read_count, read_optimizer

_EXERCISE_KEYS = ("id", "task", "text", "x", "y", "lr", "params", "activation", "loss", "show", "at", "optimizer",
                  "steps", "batch", "epochs", "values", "presentation")
_TASK_NEEDS = {"forward": ("x",), "loss": ("x", "y"), "gradient": ("x", "y"), "sgd": ("x", "y", "lr"),
               "optimize": ("x", "y")}
_CLAIMS_CHECKED = ("forward", "loss", "gradient", "sgd", "optimize")  # tasks whose sheets check show = {...}
_PLAIN_ID = re.compile(r"[A-Za-z0-9_.-]+")  # ids shown unquoted in key paths


def read_loss(table: Any) -> LossSpec:
    """The ``[loss]`` table: its ``kind``.

    >>> read_loss({"kind": "half_squared_error"})
    LossSpec(kind='half_squared_error')
    """
    fields = Fields(table, "loss", ("kind",))
    return loss_kind(fields.get("kind", required=True), fields.key("kind"))


def loss_kind(value: Any, key: str) -> LossSpec:
    """A loss's name, checked against the registry; a mistake names ``key``.

    >>> loss_kind("l3", "loss.kind")
    Traceback (most recent call last):
    symback.errors.ProblemError: loss.kind: unknown loss 'l3' (known: squared_error, half_squared_error, mean_squared_error, binary_cross_entropy, softmax_cross_entropy)
    """
    if not isinstance(value, str):
        raise ProblemError(key, f"expected a loss name, got {describe(value)}")
    if value not in KNOWN_LOSSES:
        raise ProblemError(key, f"unknown loss {value!r} (known: {', '.join(KNOWN_LOSSES)})")
    return LossSpec(value)



def check_loss_size(loss: LossSpec, outputs: int, key: str, limits: Limits) -> None:
    """Refuse a softmax over more outputs than ``limits.softmax_outputs`` (its sheet grows with their square)."""
    if loss.kind == "softmax_cross_entropy":
        limits.check("softmax_outputs", outputs, key, f"softmax_cross_entropy over {outputs} outputs")


def _exercise_loss(value: Any, key: str, subject: Subject, limits: Limits) -> LossSpec:
    loss = loss_kind(value, key)
    if subject.network is not None:
        check_loss_size(loss, subject.network.outputs, key, limits)
    return loss


@dataclass(frozen=True)
class Subject:
    """What the exercises are about: a network (with its loss and data) or an expression (with an optional loss)."""

    network: NetworkSpec | None
    expression: ExpressionSpec | None
    loss: LossSpec | None
    data: DatasetSpec | None = None


def read_exercises(value: Any, subject: Subject, limits: Limits | None = None) -> tuple[ExerciseSpec, ...]:
    """The ``[[exercises]]`` tables in order, each read against the problem's ``subject`` (its network or
    expression, loss and data) within ``limits`` (None: the defaults); an exercise may take its point from an
    earlier one (``at``).

    >>> from symback.problem.model import ExpressionSpec
    >>> subject = Subject(None, ExpressionSpec((("f", "x*x"),), {"x": 1}), None)
    >>> [(e.id, e.task) for e in read_exercises([{"id": 1, "task": "gradient"}], subject)]
    [('1', 'gradient')]
    """
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ProblemError("exercises", f"expected [[exercises]] tables, got {describe(value)}")
    limits = limits or Limits()
    limits.check("exercises", len(value), "exercises")
    earlier: dict[str, ExerciseSpec] = {}
    for position, table in enumerate(value, 1):
        exercise = _read_exercise(table, position, subject, earlier, limits)
        earlier[exercise.id] = exercise
    return tuple(earlier.values())


def _exercise_id(value: Any, key: str) -> str:
    if type(value) is int:
        return str(value)
    if not isinstance(value, str) or not value.strip():
        raise ProblemError(key, f"expected an exercise id (a non-empty string or an integer), got {describe(value)}")
    return value


def _read_exercise(table: Any, position: int, subject: Subject, earlier: dict[str, ExerciseSpec],
                   limits: Limits) -> ExerciseSpec:
    path = f"exercises[{position}]"
    if isinstance(table, dict) and "id" in table:  # name the exercise by its id in every message
        exercise_id = _exercise_id(table["id"], join_key(path, "id"))
        if exercise_id in earlier:
            position_of_first = list(earlier).index(exercise_id) + 1
            message = f"duplicate exercise id {exercise_id!r} (exercise {position_of_first} has it too)"
            raise ProblemError(join_key(path, "id"), message)
        path = f"exercises[id={exercise_id if _PLAIN_ID.fullmatch(exercise_id) else repr(exercise_id)}]"
    fields = Fields(table, path, _EXERCISE_KEYS, what="an [[exercises]] table")
    exercise_id = _exercise_id(fields.get("id", required=True), fields.key("id"))
    task = fields.string("task", required=True)
    if task not in TASKS:
        raise ProblemError(fields.key("task"), f"unknown task {task!r} (known: {', '.join(TASKS)})")
    base = None
    if "at" in fields:
        at_id = _exercise_id(fields.get("at"), fields.key("at"))
        base = earlier.get(at_id)
        if base is None:
            raise ProblemError(fields.key("at"), f"no earlier exercise with id {at_id!r} (earlier: {some(earlier)})")
    point = _read_expression_point(fields, subject, base) if subject.expression else _read_network_point(fields, subject, base)
    lr = fields.number("lr")
    if lr is not None and not _surely_positive(lr):
        raise ProblemError(fields.key("lr"), f"the learning rate must be > 0, got {lr}")
    spec_of_optimizer = None
    if "optimizer" in fields:
        spec_of_optimizer = read_optimizer(fields.get("optimizer"), lr, fields.key("optimizer"), fields.key("lr"))
    elif task in ("optimize", "train") and lr is not None:
        spec_of_optimizer = OptimizerSpec("sgd", lr)
    _check_needs(task, fields, subject, point, lr, spec_of_optimizer)
    steps = read_count(fields.get("steps"), fields.key("steps"), "steps", limits, "steps") if "steps" in fields else None
    epochs = read_count(fields.get("epochs"), fields.key("epochs"), "epochs", limits, "epochs") \
        if "epochs" in fields else None
    if task == "train":
        _check_passes(epochs or 1, len(subject.data), fields.key("epochs" if epochs else "task"), limits)
    presentation = fields.string("presentation")
    if presentation is not None and presentation not in PRESENTATIONS:
        raise ProblemError(fields.key("presentation"),
                           f"expected one of {', '.join(map(repr, PRESENTATIONS))}, got {presentation!r}")
    return ExerciseSpec(
        exercise_id,
        task,
        x=point.get("x"),
        y=point.get("y"),
        lr=lr,
        params=_read_params(fields.get("params"), fields.key("params"), subject, task),
        activations=_read_overrides(fields.get("activation"), fields.key("activation"), subject),
        loss=_exercise_loss(fields.get("loss"), fields.key("loss"), subject, limits) if "loss" in fields else None,
        show=_read_show(fields.get("show"), fields.key("show")),
        text=fields.string("text"),
        optimizer=spec_of_optimizer,
        steps=steps,
        batch=read_batch(fields.get("batch"), fields.key("batch"), limits) if "batch" in fields else None,
        epochs=epochs,
        values=point.get("values", {}),
        presentation=presentation,
    )


def _read_network_point(fields: Fields, subject: Subject, base: ExerciseSpec | None) -> dict:
    if "values" in fields:
        raise ProblemError(fields.key("values"), "values sets an expression's variables; a network's input is x")
    inputs, outputs = len(subject.network.inputs), subject.network.outputs
    x = base.x if base else None
    if "x" in fields:
        x = read_vector(fields.get("x"), fields.key("x"), inputs, "one per input", bare_number=inputs == 1)
    y = base.y if base else None
    if "y" in fields:
        y = read_vector(fields.get("y"), fields.key("y"), outputs, "one per output", bare_number=outputs == 1)
    return {"x": x, "y": y}


def _read_expression_point(fields: Fields, subject: Subject, base: ExerciseSpec | None) -> dict:
    if "x" in fields:
        raise ProblemError(fields.key("x"), "an expression problem sets its variables with values = { x = 1 }, "
                                            "or takes them from expression.at")
    values = dict(base.values) if base else {}
    given = fields.get("values")
    if given is not None:
        if not isinstance(given, dict):
            raise ProblemError(fields.key("values"), f"expected a table of variable = value, got {describe(given)}")
        for name, number in given.items():
            if name not in subject.expression.at:
                known = ", ".join(subject.expression.at)
                raise ProblemError(join_key(fields.key("values"), name), f"no variable {name!r} (variables: {known})")
            values[name] = read_number(number, join_key(fields.key("values"), name))
    y = base.y if base else None
    if "y" in fields:
        y = read_vector(fields.get("y"), fields.key("y"), 1, "the target of f", bare_number=True)
    return {"values": values, "y": y}


def _check_needs(task: str, fields: Fields, subject: Subject, point: dict, lr, spec_of_optimizer) -> None:
    """Each task's keys: a network's point (x, y), a loss's target, a learning rate or optimizer, the data."""
    if subject.expression is not None:
        if task in ("train", "cross_entropy_analysis"):
            raise ProblemError(fields.key("task"), f"task {task} needs a [network] (an expression takes forward, "
                                                   "loss, gradient, sgd and optimize)")
        needs = ("y",) if subject.loss is not None and task != "forward" else ()
        if task == "loss" and subject.loss is None:
            raise ProblemError(fields.key("task"), "task loss needs a [loss] around the expression")
    else:
        needs = _TASK_NEEDS.get(task, ())
    given = {"x": point.get("x"), "y": point.get("y"), "lr": lr}
    for needed in needs:
        if given[needed] is None:
            raise ProblemError(fields.key(needed), f"missing key {needed!r} (task {task} needs it)")
    if task == "sgd" and lr is None:
        raise ProblemError(fields.key("lr"), "missing key 'lr' (task sgd needs it)")
    if task in ("optimize", "train") and spec_of_optimizer is None:
        raise ProblemError(fields.key("optimizer"), f"task {task} needs an optimizer (or lr for plain SGD)")
    if task == "train" and subject.data is None:
        raise ProblemError(fields.key("task"), "task train needs [data] samples")
    for key, tasks in (("steps", ("optimize",)), ("batch", ("train",)), ("epochs", ("train",)),
                       ("show", _CLAIMS_CHECKED)):  # a claim no sheet checks is a mistake, not a no-op
        if key in fields and task not in tasks:
            raise ProblemError(fields.key(key), f"{key} goes with task {', '.join(tasks[:-1]) + ' or ' if tasks[1:] else ''}"
                                                f"{tasks[-1]}, not {task}")
    if "batch" in fields and subject.data is not None and isinstance(fields.get("batch"), int) \
            and fields.get("batch") > len(subject.data):
        raise ProblemError(fields.key("batch"), f"a batch of {fields.get('batch')} from {len(subject.data)} samples")


def _check_passes(epochs: int, samples: int, key: str, limits: Limits) -> None:
    """A training run passes every sample forward and backward once an epoch, at least."""
    passes = epochs * samples
    limits.check("passes", passes, key, f"{epochs} epochs × {samples} samples = {passes} sample passes")


def _surely_positive(value: sympy.Expr) -> bool:
    try:
        return value.is_positive is True
    except Exception:  # SymPy's assumptions evaluate numerically and can overflow, e.g. on exp(exp(exp(100)))
        return False


def _read_params(value: Any, key: str, subject: Subject, task: str) -> tuple[str, ...] | None:
    if value is None or value == "all":
        return None
    if not isinstance(value, list) or not value:
        raise ProblemError(key, f'expected "all" or a non-empty array of parameter names, got {describe(value)}')
    network, expression = subject.network, subject.expression
    known = network.parameters if network else expression.at
    names: dict[str, None] = {}
    for position, name in enumerate(value, 1):
        name_key = index_key(key, position)
        if not isinstance(name, str):
            raise ProblemError(name_key, f"expected a parameter name, got {describe(name)}")
        if name not in known:
            what = "parameter" if network else "variable"
            raise ProblemError(name_key, f"unknown {what} {name!r} ({what}s: {some(known)})")
        updates = task in ("sgd", "optimize", "train")
        if expression is not None and updates and expression.params is not None and name not in expression.params:
            raise ProblemError(name_key, f"{name!r} is not among expression.params, so it cannot be updated")
        if network is not None and updates and name in network.frozen:
            raise ProblemError(name_key, f"parameter {name!r} is frozen (network.frozen), so {task} cannot update it")
        if name in names:
            raise ProblemError(name_key, f"parameter {name!r} is listed twice")
        names[name] = None
    return tuple(names)


def _read_overrides(value: Any, key: str, subject: Subject) -> dict[int, ActivationSpec]:
    if value is None:
        return {}
    if subject.network is None:
        raise ProblemError(key, "an expression has no layers to change the activation of")
    layer_count = len(subject.network.layers)
    if not isinstance(value, dict):
        expected = 'a table of layer number = activation, such as { "1" = "zero" }'
        raise ProblemError(key, f"expected {expected}, got {describe(value)}")
    numbers = {str(number): number for number in range(1, layer_count + 1)}
    overrides = {}
    for text, activation in value.items():
        layer_key = join_key(key, text)
        if text not in numbers:
            raise ProblemError(layer_key, f"expected a layer number from 1 to {layer_count}, got {text!r}")
        overrides[numbers[text]] = read_activation(activation, layer_key)
    return overrides


def _read_show(value: Any, key: str) -> dict[str, sympy.Expr]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ProblemError(key, f"expected a table of quantity = number, such as {{ yhat = 0 }}, got {describe(value)}")
    claims = {}
    for name, claimed in value.items():
        if not IDENTIFIER.fullmatch(name):
            message = f"{name!r} is not a quantity name (letters, digits and _, starting with a letter)"
            raise ProblemError(join_key(key, name), message)
        claims[name] = read_number(claimed, join_key(key, name))
    return claims
