"""Load a problem file (TOML) into a validated :class:`~symback.model.Problem`.

The format is described in ``docs/problem-format.md``. Every mistake in a file becomes a
:class:`~symback.errors.ProblemError` naming the file and the key, e.g.
``sheet.toml: network.layers[2].values: shape mismatch: ...``; list positions count from 1.
Number strings go through the safe parser only, never through Python evaluation.
"""

from __future__ import annotations

import decimal
import os
import re
import tomllib
from typing import Any, Mapping

import sympy

from .errors import ParseError, ProblemError
from .model import TASKS, ActivationSpec, Entry, ExerciseSpec, LayerSpec, LossSpec, NetworkSpec, Problem
from .problem_values import (
    IDENTIFIER,
    Fields,
    ParameterTable,
    bias_entry_names,
    describe,
    index_key,
    join_key,
    matrix_entry_names,
    read_inputs,
    read_letter,
    read_number,
    read_number_rows,
    read_rows,
    read_vector,
    some,
)
from .activations import KNOWN_ACTIVATIONS
from .losses import KNOWN_LOSSES
from .safe_parse import parse_expression
from .tolerance import read_tolerance

_TOP_KEYS = ("title", "notes", "digits", "network", "loss", "parameters", "exercises", "tolerance")
_NETWORK_KEYS = ("inputs", "layers", "frozen")
_LAYER_KEYS = ("weights", "values", "bias", "bias_values", "activation", "slope", "derivative_at_zero")
_ACTIVATION_KEYS = ("kind", "slope", "derivative_at_zero", "expression")
_OPTIONS = {"slope": ("leaky_relu",), "derivative_at_zero": ("relu", "leaky_relu")}  # option: kinds that take it
_EXERCISE_KEYS = ("id", "task", "text", "x", "y", "lr", "params", "activation", "loss", "show", "at")
_TASK_NEEDS = {"forward": ("x",), "loss": ("x", "y"), "gradient": ("x", "y"), "sgd": ("x", "y", "lr")}
_MAX_INPUTS = 1_000_000  # sanity only: a real layer 1 needs that many columns written out
_Z = sympy.Symbol("z", real=True)
_PLAIN_ID = re.compile(r"[A-Za-z0-9_.-]+")  # ids shown unquoted in key paths


def load(path: str | os.PathLike) -> Problem:
    """Read and validate the problem file at ``path``.

    >>> load("no/such/file.toml")
    Traceback (most recent call last):
    symback.errors.ProblemError: no/such/file.toml: file: cannot read the file: No such file or directory
    """
    source = os.fspath(path) if isinstance(path, os.PathLike) else str(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        raise ProblemError("file", f"cannot read the file: {error.strerror or error}", source=source) from None
    try:
        text = data.decode("utf-8-sig")  # tolerate the byte-order mark some editors write
    except UnicodeDecodeError as error:
        raise ProblemError("file", f"not UTF-8 text (bad byte at offset {error.start})", source=source) from None
    return loads(text, source=source)


def loads(text: str, source: str = "<string>") -> Problem:
    """Validate a problem given as TOML text; ``source`` names it in error messages.

    >>> problem = loads('''
    ... title = "One neuron"
    ... [network]
    ... inputs = 1
    ... [[network.layers]]
    ... weights = [["w"]]
    ... activation = "relu"
    ... [parameters]
    ... w = 2.12
    ... [loss]
    ... kind = "squared_error"
    ... ''')
    >>> problem.network.inputs, problem.network.parameters["w"]
    (('x1',), 53/25)
    >>> loads('title = "x"\\n[network]\\ninputs = 1', source="p.toml")
    Traceback (most recent call last):
    symback.errors.ProblemError: p.toml: network.layers: missing key 'layers'
    """
    try:
        data = tomllib.loads(text, parse_float=decimal.Decimal)
    except tomllib.TOMLDecodeError as error:
        raise ProblemError("toml", str(error), source=source) from None
    except (ValueError, RecursionError) as error:  # tomllib lets these out for huge integers and deep nesting
        reason = "nested too deeply" if isinstance(error, RecursionError) else str(error)
        raise ProblemError("toml", f"cannot read the TOML: {reason}", source=source) from None
    try:
        return _read_problem(data, source)
    except ProblemError as error:
        raise error.with_source(source) from None


def _read_problem(data: dict, source: str) -> Problem:
    top = Fields(data, "", _TOP_KEYS)
    title = top.string("title", required=True)
    notes = top.string("notes")
    digits = top.get("digits")
    if digits is None:
        digits = 4
    elif type(digits) is not int or not 1 <= digits <= 100:
        shown = digits if type(digits) is int else describe(digits)
        raise ProblemError("digits", f"expected an integer from 1 to 100 (decimals shown on sheets), got {shown}")
    network = _read_network(top.get("network", required=True), top.get("parameters"))
    loss = _read_loss(top.get("loss", required=True))
    exercises = _read_exercises(top.get("exercises"), network)
    tolerance = read_tolerance(top.get("tolerance"), "tolerance", "problem file") if "tolerance" in top else None
    return Problem(title, network, loss, exercises, source=source, notes=notes, digits=digits, tolerance=tolerance)


def _read_network(table: Any, parameter_table: Any) -> NetworkSpec:
    fields = Fields(table, "network", _NETWORK_KEYS)
    inputs = read_inputs(fields.get("inputs", required=True), fields.key("inputs"), _MAX_INPUTS)
    layer_tables = fields.get("layers", required=True)
    if not isinstance(layer_tables, list) or not layer_tables:
        got = describe(layer_tables) if layer_tables else "none"
        raise ProblemError(fields.key("layers"), f"expected at least one [[network.layers]] table, got {got}")
    parameters = ParameterTable(inputs)
    layers: list[LayerSpec] = []
    for number, layer_table in enumerate(layer_tables, 1):
        fan_in = layers[-1].units if layers else len(inputs)
        layers.append(_read_layer(layer_table, number, fan_in, parameters))
    values = parameters.with_values(parameter_table)
    frozen = fields.get("frozen")
    if frozen is None:
        frozen = []
    elif not isinstance(frozen, list):
        raise ProblemError(fields.key("frozen"), f"expected an array of parameter names, got {describe(frozen)}")
    for position, name in enumerate(frozen, 1):
        if not isinstance(name, str) or name not in values:
            shown = repr(name) if isinstance(name, str) else describe(name)
            message = f"{shown} is not a parameter (parameters: {some(values)})"
            raise ProblemError(index_key(fields.key("frozen"), position), message)
    return NetworkSpec(inputs, tuple(layers), values, frozenset(frozen))


def _read_layer(table: Any, number: int, fan_in: int, parameters: ParameterTable) -> LayerSpec:
    fields = Fields(table, f"network.layers[{number}]", _LAYER_KEYS)
    weights_key, values_key = fields.key("weights"), fields.key("values")
    receives = f"layer {number} receives {fan_in} inputs"
    if number > 1:
        receives += f" (the units of layer {number - 1})"
    given = fields.get("weights", required=True)
    letter = None
    if isinstance(given, str):
        letter = read_letter(given, weights_key)
        if "values" not in fields:
            message = f"missing value: weights {letter!r} is a letter, so 'values' must give its numbers"
            raise ProblemError(values_key, message)
        rows = read_rows(fields.get("values"), values_key, f"the values of matrix {letter}")
        _check_shape(rows, fan_in, receives, values_key)
        names = matrix_entry_names(letter, len(rows), len(rows[0]))
        numbers = read_number_rows(rows, values_key)
        flat_names, flat_numbers = [n for row in names for n in row], [v for row in numbers for v in row]
        parameters.add_letter(letter, weights_key, f"matrix {letter}", flat_names, flat_numbers)
        weights: tuple[tuple[Entry, ...], ...] = tuple(map(tuple, names))
    else:
        if "values" in fields:
            raise ProblemError(values_key, "'values' goes with a letter in 'weights', not with entries")
        rows = read_rows(given, weights_key, 'a letter such as "A", or the weights')
        _check_shape(rows, fan_in, receives, weights_key)
        weights = tuple(
            tuple(parameters.add_entry(value, index_key(weights_key, r, c)) for c, value in enumerate(row, 1))
            for r, row in enumerate(rows, 1)
        )
    bias, bias_letter = _read_bias(fields, number, len(weights), parameters)
    options = {name: fields.get(name) for name in _OPTIONS if name in fields}
    given_activation = fields.get("activation", required=True)
    activation = read_activation(given_activation, fields.key("activation"), options, fields.path)
    return LayerSpec(weights, activation, bias, weights_label=letter, bias_label=bias_letter)


def _check_shape(rows: list[list], fan_in: int, receives: str, key: str) -> None:
    if len(rows[0]) != fan_in:
        raise ProblemError(key, f"shape mismatch: {len(rows)}×{len(rows[0])} matrix but {receives}")


def _read_bias(fields: Fields, number: int, units: int, parameters: ParameterTable):
    given, key, values_key = fields.get("bias"), fields.key("bias"), fields.key("bias_values")
    per_unit = f"one per unit of layer {number}"
    if not isinstance(given, str) and "bias_values" in fields:
        raise ProblemError(values_key, "'bias_values' goes with a letter in 'bias', such as bias = \"c\"")
    if given is None:
        return None, None
    if isinstance(given, str):
        letter = read_letter(given, key)
        if "bias_values" not in fields:
            message = f"missing value: bias {letter!r} is a letter, so 'bias_values' must give its numbers"
            raise ProblemError(values_key, message)
        values = read_vector(fields.get("bias_values"), values_key, units, per_unit)
        names = bias_entry_names(letter, units)
        parameters.add_letter(letter, key, f"bias {letter}", names, list(values))
        return tuple(names), letter
    if not isinstance(given, list) or len(given) != units:
        got = f"{len(given)} entries" if isinstance(given, list) else describe(given)
        raise ProblemError(key, f"expected a letter or an array of {units} entries ({per_unit}), got {got}")
    return tuple(parameters.add_entry(value, index_key(key, unit)) for unit, value in enumerate(given, 1)), None


def read_activation(
    value: Any, key: str, options: Mapping[str, Any] | None = None, options_path: str = ""
) -> ActivationSpec:
    """An :class:`ActivationSpec` from a name, an expression in z, or a table ``{ kind = ..., ... }``.

    ``options`` are ``slope``/``derivative_at_zero`` written next to a string activation, in the
    table at ``options_path``.

    >>> read_activation("relu", "layer.activation", {"derivative_at_zero": 1}, "layer")
    ActivationSpec(kind='relu', slope=None, derivative_at_zero=1, expression=None)
    >>> read_activation({"kind": "custom", "expression": "z/(1+abs(z))"}, "activation").expression
    'z/(1+abs(z))'
    >>> read_activation({"kind": "tanh", "slope": 1}, "activation")
    Traceback (most recent call last):
    symback.errors.ProblemError: activation.slope: 'slope' goes with leaky_relu only, not tanh
    """
    options = options or {}
    if isinstance(value, dict):
        if options:
            raise ProblemError(join_key(options_path, next(iter(options))), "put this inside the activation table")
        table = Fields(value, key, _ACTIVATION_KEYS)
        kind = table.string("kind", required=True)
        if kind == "custom":
            expression = table.get("expression", required=True, why=" (kind custom needs it)")
            spec = _custom(expression, table.key("expression"))
        elif "expression" in table:
            raise ProblemError(table.key("expression"), "'expression' goes with kind = \"custom\" only")
        elif kind not in KNOWN_ACTIVATIONS:
            raise ProblemError(table.key("kind"), _unknown_activation(kind))
        else:
            spec = ActivationSpec(kind)
        return _with_options(spec, {name: table.get(name) for name in _OPTIONS if name in table}, key)
    if not isinstance(value, str):
        raise ProblemError(key, f"expected an activation name, an expression in z or a table, got {describe(value)}")
    if value in KNOWN_ACTIVATIONS:
        spec = ActivationSpec(value)
    elif value == "custom":
        raise ProblemError(key, 'write the expression itself, or { kind = "custom", expression = "..." }')
    elif IDENTIFIER.fullmatch(value) and value != "z":  # a misspelt name, not an expression
        raise ProblemError(key, _unknown_activation(value))
    else:
        spec = _custom(value, key)
    return _with_options(spec, options, options_path or key)


def _unknown_activation(name: str) -> str:
    known = ", ".join(KNOWN_ACTIVATIONS)
    return f'unknown activation {name!r} (known: {known}; or an expression in z such as "z/(1+abs(z))")'


def _custom(expression: Any, key: str) -> ActivationSpec:
    if not isinstance(expression, str):
        raise ProblemError(key, f"expected an expression in z (a string), got {describe(expression)}")
    try:
        parse_expression(expression, {"z": _Z})  # only to validate; the activation registry builds it
    except ParseError as error:
        raise ProblemError(key, f"cannot read the activation expression: {error}") from None
    return ActivationSpec("custom", expression=expression)


def _with_options(spec: ActivationSpec, options: Mapping[str, Any], path: str) -> ActivationSpec:
    read = {}
    for name, kinds in _OPTIONS.items():
        if name in options:
            if spec.kind not in kinds:
                goes_with = " and ".join(kinds)
                raise ProblemError(join_key(path, name), f"{name!r} goes with {goes_with} only, not {spec.kind}")
            read[name] = read_number(options[name], join_key(path, name))
    return ActivationSpec(spec.kind, expression=spec.expression, **read)


def _read_loss(table: Any) -> LossSpec:
    fields = Fields(table, "loss", ("kind",))
    return _loss_kind(fields.get("kind", required=True), fields.key("kind"))


def _loss_kind(value: Any, key: str) -> LossSpec:
    if not isinstance(value, str):
        raise ProblemError(key, f"expected a loss name, got {describe(value)}")
    if value not in KNOWN_LOSSES:
        raise ProblemError(key, f"unknown loss {value!r} (known: {', '.join(KNOWN_LOSSES)})")
    return LossSpec(value)


def _read_exercises(value: Any, network: NetworkSpec) -> tuple[ExerciseSpec, ...]:
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
        loss=_loss_kind(fields.get("loss"), fields.key("loss")) if "loss" in fields else None,
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
