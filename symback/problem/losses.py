"""The loss registry: name -> SymPy expression in the outputs ŷ_k and targets y_k, with LaTeX and a remark.

Each loss's partial derivatives ∂L/∂ŷ_k come from ``sympy.diff`` of its expression.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

import sympy

from ..errors import ProblemError
from ..numbers.arithmetic import ExactArithmetic, UndecidableSign, exact_from_sympy
from .activations import shortest_form
from .partials import partials_of
from .remarks import Remark


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
    taught: sympy.Expr | None = None  # L as taught, in the probabilities' symbols where there are some
    taught_partials: tuple[sympy.Expr, ...] = ()  # ∂L/∂ŷ_k as taught: 2(ŷ − y), p − y (tests hold them to diff)
    probabilities: tuple[tuple[sympy.Symbol, sympy.Expr], ...] = ()  # softmax: (p_k, p_k in the outputs)


def _squared_errors(outputs, targets):
    return sympy.Add(*[(yhat - y) ** 2 for yhat, y in zip(outputs, targets)])


def _binary_cross_entropy(outputs, targets):
    # log of a symbol has nothing to evaluate; asking SymPy to try costs 1 ms a term (2000 outputs: 3 s)
    return -sympy.Add(*[y * sympy.log(p, evaluate=False) + (1 - y) * sympy.log(1 - p, evaluate=False)
                        for p, y in zip(outputs, targets)])


def _softmax_cross_entropy(outputs, targets):
    log_partition = sympy.log(sympy.Add(*[sympy.exp(logit) for logit in outputs]))
    return -sympy.Add(*[y * (logit - log_partition) for logit, y in zip(outputs, targets)])


def _softmax_cross_entropy_separated(outputs, targets):
    """−Σ y_k ŷ_k + (Σ y_k) log Σ_j e^{ŷ_j}: softmax cross-entropy with one term holding every output, not K."""
    log_partition = sympy.log(sympy.Add(*[sympy.exp(logit) for logit in outputs]))
    return -sympy.Add(*[y * logit for logit, y in zip(outputs, targets)]) + sympy.Add(*targets) * log_partition


PROBABILITY_LETTERS = "pqsuv"  # p as taught; another where the network already names a parameter p1, p2, …


def probability_letter(names: Iterable[str]) -> str:
    """The letter of the softmax probabilities: p, unless a parameter of the network would print the same
    (a bias vector P has entries p1, p2, …).

    >>> probability_letter(["a11", "b1"]), probability_letter(["a11", "p1", "p2"])
    ('p', 'q')
    """
    taken = {name.rstrip("0123456789") for name in names if name[-1:].isdigit() or len(name) == 1}
    return next((letter for letter in PROBABILITY_LETTERS if letter not in taken), "p")


def names_probabilities(name: str) -> bool:
    """Whether the loss ``name`` writes probabilities (softmax's p), whose letter a network's parameters decide.

    >>> names_probabilities("softmax_cross_entropy"), names_probabilities("squared_error")
    (True, False)
    """
    definition = REGISTRY.get(name)
    return definition is not None and definition.taught is _taught_softmax


def probability_symbols(count: int, letter: str = "p") -> tuple[sympy.Symbol, ...]:
    """The softmax probabilities p = softmax(ŷ) as SymPy symbols, named like :func:`output_symbols`.

    >>> probability_symbols(2), probability_symbols(2, "q")
    ((p1, p2), (q1, q2))
    """
    if count == 1:
        return (sympy.Symbol(letter, real=True),)
    return tuple(sympy.Symbol(f"{letter}{k}", real=True) for k in range(1, count + 1))


def _softmax(outputs, letter: str):
    """p_k = e^{ŷ_k} / Σ_j e^{ŷ_j} for each output."""
    total = sympy.Add(*[sympy.exp(logit) for logit in outputs])
    return tuple((p, sympy.exp(logit) / total) for p, logit in zip(probability_symbols(len(outputs), letter), outputs))


def _taught_softmax(outputs, targets, expression, letter: str = "p"):
    """L = −Σ y_k log p_k and ∂L/∂ŷ_k = p_k − y_k, in the probabilities' symbols."""
    probabilities = probability_symbols(len(outputs), letter)
    taught = -sympy.Add(*[y * sympy.log(p) for p, y in zip(probabilities, targets)])
    return taught, tuple(_difference(p, y) for p, y in zip(probabilities, targets)), _softmax(outputs, letter)


def _difference(a, b):
    """a − b kept in that order (SymPy would write −b + a)."""
    return sympy.Add(a, -b, evaluate=False)


def _scaled(factor, expr):
    """factor · expr kept as written, or expr alone where the factor is 1."""
    return expr if factor == 1 else sympy.Mul(factor, expr, evaluate=False)


def _taught(each: Callable) -> Callable:
    """The loss as it is, and ∂L/∂ŷ_k = ``each(ŷ_k, y_k, K)`` as taught, kept as written (not evaluated)."""

    def taught(outputs, targets, expression, letter: str = "p"):
        return expression, tuple(each(yhat, y, len(outputs)) for yhat, y in zip(outputs, targets)), ()

    return taught


@dataclass(frozen=True)
class _Definition:
    expression: Callable
    latex: str
    remark: str
    taught: Callable  # (outputs, targets, L, probability letter) -> (L, partials, probabilities) as taught
    separated: Callable | None = None  # L in an equal form whose terms hold fewer outputs, for its derivatives


REGISTRY: dict[str, _Definition] = {
    "squared_error": _Definition(
        _squared_errors,
        r"\sum_k (\hat y_k - y_k)^2",
        Remark("squared error (ŷ − y)², no factor ½, summed over outputs",
               r"squared error $(\hat{y} - y)^2$, no factor $\frac{1}{2}$, summed over outputs"),
        _taught(lambda yhat, y, k: _scaled(sympy.Integer(2), _difference(yhat, y))),
    ),
    "half_squared_error": _Definition(
        lambda o, t: _squared_errors(o, t) / 2,
        r"\tfrac12 \sum_k (\hat y_k - y_k)^2",
        Remark("half squared error ½(ŷ − y)², so ∂L/∂ŷ = ŷ − y; summed over outputs",
               r"half squared error $\frac{1}{2}(\hat{y} - y)^2$, so $\partial L / \partial \hat{y} = \hat{y} - y$; "
               "summed over outputs"),
        _taught(lambda yhat, y, k: _difference(yhat, y)),
    ),
    "mean_squared_error": _Definition(
        lambda o, t: _squared_errors(o, t) / len(o),
        r"\frac1K \sum_k (\hat y_k - y_k)^2",
        Remark("mean squared error: the mean over the K outputs of (ŷ_k − y_k)², no factor ½",
               r"mean squared error: the mean over the $K$ outputs of $(\hat{y}_k - y_k)^2$, no factor $\frac{1}{2}$"),
        _taught(lambda yhat, y, k: _scaled(sympy.Rational(2, k), _difference(yhat, y))),
    ),
    "binary_cross_entropy": _Definition(
        _binary_cross_entropy,
        r"-\sum_k \left[y_k \log \hat y_k + (1 - y_k) \log(1 - \hat y_k)\right]",
        Remark("binary cross-entropy with the natural logarithm; ŷ must lie strictly between 0 and 1",
               r"binary cross-entropy with the natural logarithm; $\hat{y}$ must lie strictly between $0$ and $1$"),
        _taught(lambda yhat, y, k: sympy.Mul(_difference(yhat, y), sympy.Pow(
            sympy.Mul(yhat, _difference(1, yhat), evaluate=False), -1, evaluate=False), evaluate=False)),
    ),
    "softmax_cross_entropy": _Definition(
        _softmax_cross_entropy,
        r"-\sum_k y_k \log \operatorname{softmax}(\hat y)_k",
        Remark("softmax cross-entropy on the logits ŷ with a one-hot target, natural logarithm",
               r"softmax cross-entropy on the logits $\hat{y}$ with a one-hot target $y$, natural logarithm: "
               r"$\partial L / \partial \hat{y}_k = p_k - y_k$"),
        _taught_softmax,
        _softmax_cross_entropy_separated,
    ),
}

KNOWN_LOSSES = tuple(REGISTRY)


@functools.lru_cache(maxsize=64)
def make_loss(name: str, outputs: int, letter: str = "p") -> Loss:
    """The loss ``name`` for a network with ``outputs`` outputs; ∂L/∂ŷ_k by ``sympy.diff``; softmax
    probabilities named with ``letter`` (:func:`probability_letter`).

    >>> make_loss("half_squared_error", 1).partials
    (-y + yhat,)
    """
    definition = REGISTRY.get(name)
    if definition is None:
        raise ProblemError("loss.kind", f"unknown loss {name!r} (known: {', '.join(KNOWN_LOSSES)})")
    yhat, y = output_symbols(outputs), target_symbols(outputs)
    expression = definition.expression(yhat, y)
    partials = partials_of(definition.separated(yhat, y) if definition.separated else expression, yhat, shortest_form)
    taught, taught_partials, probabilities = definition.taught(yhat, y, expression, letter)
    remark = definition.remark
    if probabilities and letter != "p":
        remark = Remark(str(remark), remark.latex.replace("p_k", f"{letter}_k"))
    return Loss(name, yhat, y, expression, partials, definition.latex, remark, taught, taught_partials,
                probabilities)


def target_problem(loss: str, targets: Sequence[sympy.Expr]) -> str | None:
    """What is wrong with a target for a loss, or None: cross-entropies need targets they can compare with.

    >>> target_problem("binary_cross_entropy", [sympy.Integer(2)])
    'binary_cross_entropy needs targets between 0 and 1, got y = (2)'
    """
    shown = ", ".join(str(t) for t in targets)
    if loss == "softmax_cross_entropy" and (list(targets).count(1) != 1 or any(t not in (0, 1) for t in targets)):
        return f"softmax_cross_entropy needs a one-hot target (one 1, the rest 0), got y = ({shown})"
    if loss == "binary_cross_entropy":
        try:
            outside = any(_sign(t) < 0 or _sign(1 - t) < 0 for t in targets)
        except UndecidableSign:
            return (f"binary_cross_entropy needs targets between 0 and 1, and y = ({shown}) lies within 10^-100 of 0 "
                    "or 1: give it as a number")
        if outside:
            return f"binary_cross_entropy needs targets between 0 and 1, got y = ({shown})"
    return None


def _sign(value: sympy.Expr) -> int:
    """-1, 0 or 1, exactly for a number and at 120 digits for any other value (tanh(10^9) is 1 to that many)."""
    if value.is_Rational:
        return 1 if value > 0 else -1 if value < 0 else 0
    return ExactArithmetic.sign(exact_from_sympy(value))
