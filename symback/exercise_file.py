"""Read the ``[[exercises]]`` of a problem file into :class:`~symback.model.ExerciseSpec` records.

An exercise may take its point (x and y) from an earlier one with ``at``; every mistake names the exercise by
its id (``exercises[id=4].params[2]``).
"""

from __future__ import annotations

import re
from typing import Any

import sympy

from .activation_file import read_activation
from .errors import ProblemError
from .losses import KNOWN_LOSSES
from .model import TASKS, ActivationSpec, ExerciseSpec, LossSpec, NetworkSpec
from .problem_values import IDENTIFIER, Fields, describe, index_key, join_key, read_number, read_vector, some

_EXERCISE_KEYS = ("id", "task", "text", "x", "y", "lr", "params", "activation", "loss", "show", "at")
_TASK_NEEDS = {"forward": ("x",), "loss": ("x", "y"), "gradient": ("x", "y"), "sgd": ("x", "y", "lr")}
_PLAIN_ID = re.compile(r"[A-Za-z0-9_.-]+")  # ids shown unquoted in key paths


def read_loss(table: Any) -> LossSpec:
    fields = Fields(table, "loss", ("kind",))
    return loss_kind(fields.get("kind", required=True), fields.key("kind"))


def loss_kind(value: Any, key: str) -> LossSpec:
    if not isinstance(value, str):
        raise ProblemError(key, f"expected a loss name, got {describe(value)}")
    if value not in KNOWN_LOSSES:
        raise ProblemError(key, f"unknown loss {value!r} (known: {', '.join(KNOWN_LOSSES)})")
    return LossSpec(value)



def read_exercises(value: Any, network: NetworkSpec) -> tuple[ExerciseSpec, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ProblemError("exercises", f"expected [[exercises]] tables, got {describe(value)}")
    earlier: dict[str, ExerciseSpec] = {}
    for position, table in enumerate(value, 1):
        exercise = _read_exercise(table, position, network, earlier)
        earlier[exercise.id] = exercise
    return tuple(earlier.values())


def _exercise_id(value: Any, key: str) -> str:
    if type(value) is int:
        return str(value)
    if not isinstance(value, str) or not value.strip():
        raise ProblemError(key, f"expected an exercise id (a non-empty string or an integer), got {describe(value)}")
    return value


def _read_exercise(table: Any, position: int, network: NetworkSpec, earlier: dict[str, ExerciseSpec]) -> ExerciseSpec:
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
    inputs, outputs = len(network.inputs), network.outputs
    x = base.x if base else None
    if "x" in fields:
        x = read_vector(fields.get("x"), fields.key("x"), inputs, "one per input", bare_number=inputs == 1)
    y = base.y if base else None
    if "y" in fields:
        y = read_vector(fields.get("y"), fields.key("y"), outputs, "one per output", bare_number=outputs == 1)
    lr = fields.number("lr")
    if lr is not None and not _surely_positive(lr):
        raise ProblemError(fields.key("lr"), f"the learning rate must be > 0, got {lr}")
    given = {"x": x, "y": y, "lr": lr}
    for needed in _TASK_NEEDS.get(task, ()):
        if given[needed] is None:
            raise ProblemError(fields.key(needed), f"missing key {needed!r} (task {task} needs it)")
    return ExerciseSpec(
        exercise_id,
        task,
        x=x,
        y=y,
        lr=lr,
        params=_read_params(fields.get("params"), fields.key("params"), network, task),
        activations=_read_overrides(fields.get("activation"), fields.key("activation"), len(network.layers)),
        loss=loss_kind(fields.get("loss"), fields.key("loss")) if "loss" in fields else None,
        show=_read_show(fields.get("show"), fields.key("show")),
        text=fields.string("text"),
    )


def _surely_positive(value: sympy.Expr) -> bool:
    try:
        return value.is_positive is True
    except Exception:  # SymPy's assumptions evaluate numerically and can overflow, e.g. on exp(exp(exp(100)))
        return False


def _read_params(value: Any, key: str, network: NetworkSpec, task: str) -> tuple[str, ...] | None:
    if value is None or value == "all":
        return None
    if not isinstance(value, list) or not value:
        raise ProblemError(key, f'expected "all" or a non-empty array of parameter names, got {describe(value)}')
    names: dict[str, None] = {}
    for position, name in enumerate(value, 1):
        name_key = index_key(key, position)
        if not isinstance(name, str):
            raise ProblemError(name_key, f"expected a parameter name, got {describe(name)}")
        if name not in network.parameters:
            raise ProblemError(name_key, f"unknown parameter {name!r} (parameters: {some(network.parameters)})")
        if task == "sgd" and name in network.frozen:
            raise ProblemError(name_key, f"parameter {name!r} is frozen (network.frozen), so sgd cannot update it")
        if name in names:
            raise ProblemError(name_key, f"parameter {name!r} is listed twice")
        names[name] = None
    return tuple(names)


def _read_overrides(value: Any, key: str, layer_count: int) -> dict[int, ActivationSpec]:
    if value is None:
        return {}
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
