"""The loss registry: name -> SymPy expression in the outputs ŷ_k and targets y_k, with LaTeX and a remark.

Each loss's partial derivatives ∂L/∂ŷ_k come from ``sympy.diff`` of its expression.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable, Sequence

import sympy

from ..errors import ProblemError
from .activations import shortest_form


def output_symbols(count: int) -> tuple[sympy.Symbol, ...]:
    """ŷ as SymPy symbols: ``yhat`` for one output, ``yhat1 … yhatK`` for several.

    >>> output_symbols(2)
    (yhat1, yhat2)
    """
    if count == 1:
        return (sympy.Symbol("yhat", real=True),)
    return tuple(sympy.Symbol(f"yhat{k}", real=True) for k in range(1, count + 1))


def target_symbols(count: int) -> tuple[sympy.Symbol, ...]:
    """y as SymPy symbols, named like :func:`output_symbols`.

    >>> target_symbols(1)
    (y,)
    """
    if count == 1:
        return (sympy.Symbol("y", real=True),)
    return tuple(sympy.Symbol(f"y{k}", real=True) for k in range(1, count + 1))


@dataclass(frozen=True)
class Loss:
    """A loss for a network with ``len(outputs)`` outputs.

    >>> loss = make_loss("squared_error", 1)
    >>> loss.expression, loss.partials[0]
    ((-y + yhat)**2, -2*y + 2*yhat)
    """

    name: str
    outputs: tuple[sympy.Symbol, ...]
    targets: tuple[sympy.Symbol, ...]
    expression: sympy.Expr
    partials: tuple[sympy.Expr, ...]  # ∂L/∂ŷ_k, from sympy.diff
    latex: str  # the loss in the sheet's notation
    remark: str  # one line for the conventions box


def _squared_errors(outputs, targets):
    return sympy.Add(*[(yhat - y) ** 2 for yhat, y in zip(outputs, targets)])


def _binary_cross_entropy(outputs, targets):
    return -sympy.Add(*[y * sympy.log(p) + (1 - y) * sympy.log(1 - p) for p, y in zip(outputs, targets)])


def _softmax_cross_entropy(outputs, targets):
    log_partition = sympy.log(sympy.Add(*[sympy.exp(logit) for logit in outputs]))
    return -sympy.Add(*[y * (logit - log_partition) for logit, y in zip(outputs, targets)])


@dataclass(frozen=True)
class _Definition:
    expression: Callable
    latex: str
    remark: str


REGISTRY: dict[str, _Definition] = {
    "squared_error": _Definition(
        _squared_errors,
        r"\sum_k (\hat y_k - y_k)^2",
        "squared error (ŷ − y)², no factor ½, summed over outputs",
    ),
    "half_squared_error": _Definition(
        lambda o, t: _squared_errors(o, t) / 2,
        r"\tfrac12 \sum_k (\hat y_k - y_k)^2",
        "half squared error ½(ŷ − y)², so ∂L/∂ŷ = ŷ − y; summed over outputs",
    ),
    "mean_squared_error": _Definition(
        lambda o, t: _squared_errors(o, t) / len(o),
        r"\frac1K \sum_k (\hat y_k - y_k)^2",
        "mean squared error: the mean over the K outputs of (ŷ_k − y_k)², no factor ½",
    ),
    "binary_cross_entropy": _Definition(
        _binary_cross_entropy,
        r"-\sum_k \left[y_k \log \hat y_k + (1 - y_k) \log(1 - \hat y_k)\right]",
        "binary cross-entropy with the natural logarithm; ŷ must lie strictly between 0 and 1",
    ),
    "softmax_cross_entropy": _Definition(
        _softmax_cross_entropy,
        r"-\sum_k y_k \log \operatorname{softmax}(\hat y)_k",
        "softmax cross-entropy on the logits ŷ with a one-hot target, natural logarithm",
    ),
}

KNOWN_LOSSES = tuple(REGISTRY)


@functools.lru_cache(maxsize=64)
def make_loss(name: str, outputs: int) -> Loss:
    """The loss ``name`` for a network with ``outputs`` outputs; ∂L/∂ŷ_k by ``sympy.diff``.

    >>> make_loss("half_squared_error", 1).partials
    (-y + yhat,)
    """
    definition = REGISTRY.get(name)
    if definition is None:
        raise ProblemError("loss.kind", f"unknown loss {name!r} (known: {', '.join(KNOWN_LOSSES)})")
    yhat, y = output_symbols(outputs), target_symbols(outputs)
    expression = definition.expression(yhat, y)
    partials = tuple(shortest_form(sympy.diff(expression, symbol)) for symbol in yhat)
    return Loss(name, yhat, y, expression, partials, definition.latex, definition.remark)


def target_problem(loss: str, targets: Sequence[sympy.Expr]) -> str | None:
    """What is wrong with a target for a loss, or None: cross-entropies need targets they can compare with.

    >>> target_problem("binary_cross_entropy", [sympy.Integer(2)])
    'binary_cross_entropy needs targets between 0 and 1, got y = (2)'
    """
    shown = ", ".join(str(t) for t in targets)
    if loss == "softmax_cross_entropy" and sorted(targets) != [0] * (len(targets) - 1) + [1]:
        return f"softmax_cross_entropy needs a one-hot target (one 1, the rest 0), got y = ({shown})"
    if loss == "binary_cross_entropy" and any(t < 0 or t > 1 for t in targets):
        return f"binary_cross_entropy needs targets between 0 and 1, got y = ({shown})"
    return None
