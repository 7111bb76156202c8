"""Load a problem file (TOML) into a validated :class:`~symback.problem.model.Problem`.

The format is described in ``docs/problem-format.md``. Every mistake in a file becomes a
:class:`~symback.errors.ProblemError` naming the file and the key, e.g.
``sheet.toml: network.layers[2].values: shape mismatch: ...``; list positions count from 1.
Number strings go through the safe parser only, never through Python evaluation.
"""

from __future__ import annotations

import os
from typing import Any

from ..errors import ProblemError
from ..numbers.tolerance import read_tolerance
from .fields import (
    Fields,
    ParameterTable,
    bias_entry_names,
    describe,
    index_key,
    matrix_entry_names,
    read_inputs,
    read_letter,
    read_number_rows,
    read_rows,
    read_vector,
    some,
)
from .limits import Limits, check_toml_text
from .losses import target_problem
from .model import DatasetSpec, Entry, LayerSpec, LossSpec, NetworkSpec, Problem
from .read_activation import ACTIVATION_OPTIONS, read_activation
from .read_exercises import Subject, check_loss_size, read_exercises, read_loss
from .read_expression import read_expression
from .read_optimizer import read_data
from .read_sheet import read_sheet_settings
from .toml_text import read_toml

_TOP_KEYS = ("title", "notes", "intro", "digits", "decimals", "appendix", "network", "loss", "parameters", "exercises", "tolerance", "expression",
             "data")
_NETWORK_KEYS = ("inputs", "layers", "frozen")
_LAYER_KEYS = ("weights", "values", "bias", "bias_values", "activation", "slope", "derivative_at_zero")


def load(path: str | os.PathLike, limits: Limits | None = None) -> Problem:
    """Read and validate the problem file at ``path``, within ``limits`` (None: the defaults of
    :class:`~symback.problem.limits.Limits`).

    >>> load("no/such/file.toml")
    Traceback (most recent call last):
    symback.errors.ProblemError: no/such/file.toml: file: cannot read the file: No such file or directory
    """
    source = shown_path(path)
    limits = limits or Limits()
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size  # 0 for a pipe: then what is read tells
            if size <= limits.file_size:
                data = handle.read(limits.file_size + 1)  # a file that grew is still not read past the limit
                size = max(size, len(data))
    except OSError as error:
        raise ProblemError("file", f"cannot read the file: {error.strerror or error}", source=source) from None
    if size > limits.file_size:
        raise ProblemError("file", f"{size} bytes; {limits.beyond('file_size')}", source=source)
    try:
        text = data.decode("utf-8-sig")  # tolerate the byte-order mark some editors write
    except UnicodeDecodeError as error:
        raise ProblemError("file", f"not UTF-8 text (bad byte at offset {error.start})", source=source) from None
    return loads(text, source=source, limits=limits)


def shown_path(path: str | bytes | os.PathLike) -> str:
    """A file's path as text for messages and sheets, bytes that are not UTF-8 escaped (a name read from a
    folder keeps them as surrogates, which no UTF-8 text can hold).

    >>> print(shown_path(os.fsdecode(b"sheets/ws\\xff.toml")))
    sheets/ws\\xff.toml
    """
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def loads(text: str, source: str = "<string>", limits: Limits | None = None) -> Problem:
    """Validate a problem given as TOML text; ``source`` names it in error messages. The text is refused before
    it is read as TOML if it is past ``limits`` (None: the defaults) in size, values written or dotted keys.

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
    limits = limits or Limits()
    try:
        check_toml_text(text, limits)
        return _read_problem(read_toml(text), source, limits)
    except ProblemError as error:
        raise error.with_source(source) from None


def _read_problem(data: dict, source: str, limits: Limits) -> Problem:
    top = Fields(data, "", _TOP_KEYS)
    title = top.string("title", required=True)
    notes = top.string("notes")
    sheet = read_sheet_settings(top)
    expression = network = data = None
    if "expression" in top:
        for key in ("network", "parameters", "data"):
            if key in top:
                raise ProblemError(key, f"an expression problem has no [{key}]: give [expression] or [network]")
        expression = read_expression(top.get("expression"), limits)
        loss = read_loss(top.get("loss")) if "loss" in top else None
    else:
        network = _read_network(top.get("network", required=True), top.get("parameters"), limits)
        loss = read_loss(top.get("loss", required=True))
        check_loss_size(loss, network.outputs, "loss.kind", limits)
        if "data" in top:
            data = read_data(top.get("data"), len(network.inputs), network.outputs, limits)
            _check_data_targets(data, loss)
    exercises = read_exercises(top.get("exercises"), Subject(network, expression, loss, data), limits)
    tolerance = read_tolerance(top.get("tolerance"), "tolerance", "problem file") if "tolerance" in top else None
    return Problem(title, network, loss, exercises, source=source, notes=notes, digits=sheet.digits,
                   tolerance=tolerance, expression=expression, data=data, decimals=sheet.decimals,
                   appendix=sheet.appendix, intro=sheet.intro, limits=limits)


def _check_data_targets(data: DatasetSpec, loss: LossSpec) -> None:
    """Each sample's target fits the problem's loss (an exercise that sets another loss is checked when run)."""
    for position, targets in enumerate(data.y, 1):
        problem = target_problem(loss.kind, targets)
        if problem is not None:
            raise ProblemError(index_key("data.y", position), problem)


def _read_network(table: Any, parameter_table: Any, limits: Limits) -> NetworkSpec:
    fields = Fields(table, "network", _NETWORK_KEYS)
    inputs = read_inputs(fields.get("inputs", required=True), fields.key("inputs"), limits)
    layer_tables = fields.get("layers", required=True)
    if not isinstance(layer_tables, list) or not layer_tables:
        got = describe(layer_tables) if layer_tables else "none"
        raise ProblemError(fields.key("layers"), f"expected at least one [[network.layers]] table, got {got}")
    limits.check("layers", len(layer_tables), fields.key("layers"))
    parameters = ParameterTable(inputs)
    layers: list[LayerSpec] = []
    size = _NetworkSize(limits)
    for number, layer_table in enumerate(layer_tables, 1):
        fan_in = layers[-1].units if layers else len(inputs)
        layers.append(_read_layer(layer_table, number, fan_in, parameters, size))
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


class _NetworkSize:
    """The parameters counted layer by layer against the limits, each matrix before a number of it is read."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.parameters = 0

    def add_matrix(self, rows: list[list], key: str) -> None:
        """A matrix's rows (checked with read_rows): the units of its layer and its entries."""
        self.limits.check("units", len(rows), key, f"{len(rows)} units (rows of the matrix)")
        count = len(rows) * len(rows[0])
        self._add(count, key, f"{len(rows)} × {len(rows[0])} = {count} parameters")

    def add_bias(self, units: int, key: str) -> None:
        self._add(units, key, f"{units} bias" + ("es" if units > 1 else ""))

    def _add(self, count: int, key: str, said: str) -> None:
        self.parameters += count
        with_earlier = "" if self.parameters == count else f", {self.parameters} with the layers before"
        self.limits.check("parameters", self.parameters, key, said + with_earlier)


def _read_layer(table: Any, number: int, fan_in: int, parameters: ParameterTable, size: _NetworkSize) -> LayerSpec:
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
        size.add_matrix(rows, values_key)
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
        size.add_matrix(rows, weights_key)
        weights = tuple(
            tuple(parameters.add_entry(value, index_key(weights_key, r, c)) for c, value in enumerate(row, 1))
            for r, row in enumerate(rows, 1)
        )
    if "bias" in fields:
        size.add_bias(len(weights), fields.key("bias"))
    bias, bias_letter = _read_bias(fields, number, len(weights), parameters)
    options = {name: fields.get(name) for name in ACTIVATION_OPTIONS if name in fields}
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
