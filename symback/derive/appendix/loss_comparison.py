"""Appendix d: squared error against binary cross-entropy for a sigmoid output."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal

import sympy

from ...problem.activations import H, make_activation
from ...problem.losses import REGISTRY as LOSSES
from ...problem.losses import target_symbols
from ...problem.model import ActivationSpec, Problem
from ..prose import Partial, Prose, math, relation, sentence
from ..steps import Quantity
from .common import COMPARISON_POINTS, P, constant_quantities


@dataclass(frozen=True)
class LossGradientRow:
    z: sympy.Expr
    p: Quantity  # σ(z)
    sigmoid_derivative: Quantity  # σ'(z)
    squared_error: Quantity  # ∂L/∂z for L = (p − y)²
    cross_entropy: Quantity  # ∂L/∂z for binary cross-entropy
    ratio: Quantity | None  # squared error's ∂L/∂z over cross-entropy's (None where that is 0)


@dataclass(frozen=True)
class LossComparisonSection:
    """∂L/∂z = ∂L/∂p · ∂p/∂z for p = σ(z), each factor by sympy.diff, the product simplified in p."""

    target: sympy.Expr  # the y of the table
    squared_error: sympy.Expr  # L(p, y)
    cross_entropy: sympy.Expr
    sigmoid_derivative: sympy.Expr  # ∂p/∂z in p: p(1 − p)
    squared_error_dp: sympy.Expr  # ∂L/∂p
    cross_entropy_dp: sympy.Expr
    squared_error_dz: sympy.Expr  # ∂L/∂z in p and y
    cross_entropy_dz: sympy.Expr
    rows: tuple[LossGradientRow, ...]
    conclusion: Prose
    kind: str = "loss_comparison"


COMPARED_LOSSES = ("squared_error", "half_squared_error", "mean_squared_error", "binary_cross_entropy")


def loss_comparison_section(problem: Problem | None = None, digits=4) -> LossComparisonSection | None:
    """∂L/∂z through a sigmoid output for squared error and binary cross-entropy, and a table for y = 1.

    It fits a network with one output unit that is a sigmoid or whose loss is one of the two compared (None
    for any other problem: a softmax network's outputs are no sigmoid, nor is its loss either of these). The
    section is the same for every problem it fits, so it is computed once per ``digits``.

    >>> s = loss_comparison_section()
    >>> s.sigmoid_derivative, s.squared_error_dz.args, s.cross_entropy_dz
    (p*(1 - p), (2*(p - y), p*(1 - p)), p - y)
    """
    if problem is not None and not fits(problem):
        return None
    return _loss_comparison(digits)


def fits(problem: Problem) -> bool:
    """Whether the comparison speaks of the problem's network: one output unit, a sigmoid or a compared loss.

    >>> import symback
    >>> fits(symback.load("problems/ws23_backprop.toml")), fits(symback.load("problems/circuit_cs231n.toml"))
    (True, False)
    """
    network = problem.network
    if network is None or network.outputs != 1 or problem.loss is None:
        return False
    return network.layers[-1].activation.kind == "sigmoid" or problem.loss.kind in COMPARED_LOSSES


@functools.lru_cache(maxsize=8)
def _loss_comparison(digits) -> LossComparisonSection:
    # the taught forms, each held to sympy.diff by the tests: ∂p/∂z = p(1 − p), ∂L/∂p = 2(p − y) or p − y over p(1 − p)
    dp_dz = make_activation(ActivationSpec("sigmoid")).derivative_in_output.xreplace({H: P})
    (y,) = target_symbols(1)
    forms = {}
    for kind in ("squared_error", "binary_cross_entropy"):
        in_p = LOSSES[kind].expression((P,), (y,))
        (dl_dp,) = LOSSES[kind].taught((P,), (y,), in_p)[1]
        cancels = sympy.denom(sympy.together(dl_dp)) != 1  # cross-entropy's p(1 − p) cancels: p − y
        forms[kind] = in_p, dl_dp, sympy.cancel(dl_dp * dp_dz) if cancels else sympy.Mul(dl_dp, dp_dz, evaluate=False)
    target = sympy.Integer(1)
    rows = tuple(_loss_row(z, dp_dz, forms, y, target, digits) for z in COMPARISON_POINTS)
    (se, se_dp, se_dz), (ce, ce_dp, ce_dz) = forms.values()
    return LossComparisonSection(target, se, ce, dp_dz, se_dp, ce_dp, se_dz, ce_dz, rows,
                                 _loss_conclusion(rows, target))


def _loss_row(z, dp_dz, forms, y, target, digits) -> LossGradientRow:
    p = 1 / (1 + sympy.exp(-z))  # σ(z); the table's other values follow from the formulas in p
    names = ("p", "σ'(z)", "∂L/∂z (squared error)", "∂L/∂z (cross-entropy)")
    se, ce = (forms[kind][2].subs({P: p, y: target}) for kind in ("squared_error", "binary_cross_entropy"))
    values = dict(zip(names, (p, dp_dz.subs(P, p), se, ce)))
    if ce != 0:
        values["ratio"] = se / ce
    q = constant_quantities(values, digits)
    return LossGradientRow(z, *(q[name] for name in names), q.get("ratio"))


def _loss_conclusion(rows, target) -> Prose:
    # the most confidently wrong output of the table: p furthest from the target
    wrong = max(rows, key=lambda row: abs(row.p.decimal - Decimal(int(target))))
    dz = Partial("L", "z")

    def value(quantity):
        return [relation(quantity), quantity.decimal]

    times = ["; squared error's is ", math(*value(wrong.ratio)), " times cross-entropy's"] \
        if wrong.ratio is not None else []
    return sentence(
        "For ", math("y", "=", target), " and ", math("z", "=", wrong.z), " (", math("p", *value(wrong.p)),
        ", confidently wrong), ", math(dz, *value(wrong.squared_error)), " under squared error but ",
        math(dz, *value(wrong.cross_entropy)), " under cross-entropy", *times, ": squared error's gradient "
        "is ", math("2(p", "−", "y)", "σ'(z)"), " and cross-entropy's ", math("p", "−", "y"), ", so their ratio is ",
        math("2", "σ'(z)"), ", and ", math("σ'(z)", *value(wrong.sigmoid_derivative)), " is small where the sigmoid "
        "saturates.",
    )
