"""A loss's partial derivatives ∂L/∂ŷ_k: equal to SymPy's diff of the loss written in full, and worked out with
work that does not grow with the square of the outputs (counted: derivatives taken, not seconds)."""

from __future__ import annotations

import random

import mpmath
import pytest
import sympy

from symback.problem import losses
from symback.problem.losses import KNOWN_LOSSES, make_loss


def _targets(kind: str, count: int, rng: random.Random) -> list:
    if kind == "softmax_cross_entropy":
        return [1 if k == count // 2 else 0 for k in range(count)]
    return [sympy.Rational(rng.randint(1, 9), 10) for _ in range(count)]


@pytest.mark.parametrize("count", [1, 2, 3, 12])
@pytest.mark.parametrize("kind", KNOWN_LOSSES)
def test_each_partial_is_sympys_diff_of_the_whole_loss(kind, count):
    make_loss.cache_clear()
    loss = make_loss(kind, count)
    rng = random.Random(f"{kind}{count}")
    point = {symbol: sympy.Rational(rng.randint(1, 9), 10) for symbol in loss.outputs}
    point.update(zip(loss.targets, _targets(kind, count, rng)))
    mpmath.mp.dps = 40
    for symbol, partial in zip(loss.outputs, loss.partials):
        independent = sympy.diff(loss.expression, symbol)  # the loss as written, differentiated whole
        assert mpmath.almosteq(sympy.N(partial.xreplace(point), 40), sympy.N(independent.xreplace(point), 40),
                               rel_eps=mpmath.mpf(10) ** -30, abs_eps=mpmath.mpf(10) ** -30)


@pytest.mark.parametrize("kind", KNOWN_LOSSES)
def test_the_derivatives_taken_do_not_grow_with_the_outputs(monkeypatch, kind):
    """Before, each of K outputs differentiated the whole sum of K terms: K = 2000 outputs took minutes (found by
    the fuzzing campaign); softmax's coupled term, one derivative per output, took 67 s for K = 60."""
    make_loss.cache_clear()
    taken, depth = [], [0]
    original = sympy.Expr.diff

    def counted(self, *args, **kw):  # derivatives asked for, not those SymPy takes inside one
        if not depth[0]:
            taken.append(self)
        depth[0] += 1
        try:
            return original(self, *args, **kw)
        finally:
            depth[0] -= 1

    monkeypatch.setattr(sympy.Expr, "diff", counted)
    loss = make_loss(kind, 100)
    assert len(taken) <= 4  # one per shape of term, whatever the number of outputs
    assert len(loss.partials) == 100


def test_a_target_too_close_to_1_for_120_digits_is_one_line():
    """tanh(2304661891) is 1 to 10^9 places: `t > 1` raised SymPy's TypeError (found by the fuzzing campaign)."""
    near_one = sympy.tanh(2304661891)
    message = losses.target_problem("binary_cross_entropy", [near_one])
    assert "lies within 10^-100 of 0 or 1" in message and "\n" not in message
    assert losses.target_problem("binary_cross_entropy", [sympy.tanh(2)]) is None
    assert "between 0 and 1" in losses.target_problem("binary_cross_entropy", [sympy.sqrt(2)])
