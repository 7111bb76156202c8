"""Read what runs over several steps: an exercise's ``optimizer``, ``steps``, ``batch`` and ``epochs``, and the
problem's ``[data]`` samples for training runs.

::

    [data]
    x = [[0, 0], [0, 1], [1, 0], [1, 1]]     # one row per sample, one entry per input
    y = [0, 1, 1, 0]                         # one entry (or row) per sample

    [[exercises]]
    task = "optimize"                        # or "train" (over [data])
    optimizer = { kind = "adam", lr = 0.1, beta1 = 0.9, beta2 = 0.999, eps = 1e-8 }   # or "adam" with lr = 0.1
    steps = 3                                # optimize: steps at the same point
    batch = 2                                # train: samples per step, or "full" (the default); 1 is one at a time
    epochs = 5                               # train: passes over the data, in file order
"""

from __future__ import annotations

from typing import Any

import sympy

from ..errors import ArgumentError, ProblemError
from .fields import Fields, describe, index_key, join_key, read_number, read_vector
from .limits import Limits
from .model import DatasetSpec, OptimizerSpec
from .optimizer_options import OPTIMIZER_DEFAULTS, optimizer_defaults, range_problem


def read_optimizer(value: Any, lr: sympy.Expr | None, key: str, lr_key: str) -> OptimizerSpec:
    """``optimizer = "adam"`` (with the exercise's ``lr``) or ``{ kind = "adam", lr = 0.1, beta1 = 0.9 }``.

    >>> read_optimizer({"kind": "adam", "lr": "0.1", "beta2": "0.99"}, None, "optimizer", "lr").options["beta2"]
    99/100
    >>> read_optimizer("nadam", 1, "optimizer", "lr")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    symback.errors.ProblemError: optimizer: unknown optimizer 'nadam' (known: sgd, ...)
    """
    if isinstance(value, str):
        kind, options, kind_key = value, {}, key
    elif isinstance(value, dict):
        fields = Fields(value, key, ("kind", "lr") + tuple(_all_options()))
        kind, kind_key = fields.get("kind", required=True), join_key(key, "kind")
        if "lr" in fields:
            if lr is not None:
                raise ProblemError(fields.key("lr"), f"the learning rate is given twice (also as {lr_key})")
            lr = fields.number("lr")
            lr_key = fields.key("lr")
        options = {name: fields.get(name) for name in value if name not in ("kind", "lr")}
    else:
        raise ProblemError(key, f'expected an optimizer name or a table {{ kind = "adam", lr = 0.1 }}, got {describe(value)}')
    if not isinstance(kind, str):
        raise ProblemError(kind_key, f"expected an optimizer name, got {describe(kind)}")
    try:
        defaults = optimizer_defaults(kind)
    except ArgumentError as error:
        raise ProblemError(kind_key, str(error)) from None
    if lr is None:
        raise ProblemError(key, f"missing the learning rate: {key} = {{ kind = \"{kind}\", lr = ... }}")
    if not _surely_positive(lr):
        raise ProblemError(lr_key, f"the learning rate must be > 0, got {lr}")
    read = {}
    for name, option in options.items():
        option_key = join_key(key, name)
        if name not in defaults:
            known = ", ".join(defaults) or "none"
            raise ProblemError(option_key, f"{kind} has no option {name!r} (its options: {known})")
        read[name] = read_number(option, option_key)
        _check_range(name, read[name], option_key)
    return OptimizerSpec(kind, lr, read)


def _check_range(name: str, value: sympy.Expr, key: str) -> None:
    """An option outside its range is an error (beta1 = 1 divides by 1 − β₁ᵗ = 0; a negative ε by √v̂ + ε = 0).

    >>> _check_range("beta1", sympy.Integer(1), "optimizer.beta1")
    Traceback (most recent call last):
    symback.errors.ProblemError: optimizer.beta1: expected 0 <= beta1 < 1, got 1
    """
    problem = range_problem(name, value)
    if problem is not None:
        raise ProblemError(key, problem)


def _all_options() -> list[str]:
    return list(dict.fromkeys(name for defaults in OPTIMIZER_DEFAULTS.values() for name in defaults))


def _surely_positive(value: sympy.Expr) -> bool:
    try:
        return value.is_positive is True
    except Exception:  # SymPy's assumptions evaluate numerically and can overflow on exp(exp(exp(100)))
        return False


def read_count(value: Any, key: str, what: str, limits: Limits, limit: str) -> int:
    """A whole number from 1 to the limit named ``limit`` (steps, epochs, a batch size).

    >>> read_count(3, "steps", "steps", Limits(), "steps")
    3
    >>> read_count(3, "steps", "steps", Limits(steps=2), "steps")
    Traceback (most recent call last):
    symback.errors.ProblemError: steps: 3 steps; the limit is 2 (raise it with --limit steps=N)
    """
    if type(value) is not int or value < 1:
        got = value if type(value) is int else f"{describe(value)} {value!r}" if isinstance(value, str) \
            else f"{describe(value)} {str(value).lower()}"
        raise ProblemError(key, f"expected a whole number of {what} from 1 to {getattr(limits, limit)}, got {got}")
    limits.check(limit, value, key, f"{value} {what}")
    return value


def read_batch(value: Any, key: str, limits: Limits) -> int | None:
    """``"full"`` (None: the whole dataset in each step) or a batch size (at most the limit of samples)."""
    if value == "full":
        return None
    return read_count(value, key, "samples per step (or \"full\")", limits, "samples")


def _count(number: int, noun: str) -> str:
    """``1 target``, ``2 targets``."""
    return f"{number} {noun}" + ("" if number == 1 else "s")


def read_data(table: Any, inputs: int, outputs: int, limits: Limits) -> DatasetSpec:
    """The ``[data]`` samples: ``x`` rows of ``inputs`` numbers, ``y`` one entry or row of ``outputs`` each.

    >>> data = read_data({"x": [[0, 1], [1, 0]], "y": [1, 0]}, 2, 1, Limits())
    >>> len(data), data.y
    (2, ((1,), (0,)))
    """
    fields = Fields(table, "data", ("x", "y"))
    xs, ys = fields.get("x", required=True), fields.get("y", required=True)
    for name, rows in (("x", xs), ("y", ys)):
        if not isinstance(rows, list) or not rows:
            got = describe(rows) if not isinstance(rows, list) else "an empty array"
            raise ProblemError(fields.key(name), f"expected an array of 1 to {limits.samples} samples, got {got}")
        limits.check("samples", len(rows), fields.key(name))
    if len(xs) != len(ys):
        raise ProblemError(fields.key("y"), f"{_count(len(ys), 'target')} for {_count(len(xs), 'sample')} of x")
    x = tuple(read_vector(row, index_key(fields.key("x"), i), inputs, "one per input", bare_number=inputs == 1)
              for i, row in enumerate(xs, 1))
    y = tuple(read_vector(row, index_key(fields.key("y"), i), outputs, "one per output", bare_number=outputs == 1)
              for i, row in enumerate(ys, 1))
    return DatasetSpec(x, y)
