"""A network of many outputs and a sheet at many digits, guarded by counting work (never by the clock): a sum of
thousands of terms is put in display form in one step, a loss rule renames nothing to itself, and exp and log at
1000 digits agree with Decimal's own correctly rounded ones (the route through mpmath is 60 times faster there)."""

from __future__ import annotations

import decimal
import random
from decimal import Decimal

import pytest
import sympy

from symback.derive import formulas
from symback.engine import network
from symback.numbers import arithmetic
from symback.problem.losses import make_loss


def test_a_long_sum_is_one_chain_built_once(monkeypatch):
    built = []
    original = formulas.Plus.__new__
    monkeypatch.setattr(formulas.Plus, "__new__", lambda cls, *a, **k: built.append(len(a)) or original(cls, *a, **k))
    loss = make_loss("binary_cross_entropy", 200)
    shown = formulas.as_display(loss.expression)
    terms = len(loss.expression.args)
    assert max(built) == terms  # the whole sum, once (and the 1 − y of each term)
    assert sum(built) <= 3 * terms  # before: a Plus per term, each copying the chain so far: about terms²/2
    assert len(shown.args) == len(loss.expression.args)


def test_a_loss_rule_in_the_losses_own_symbols_renames_nothing(monkeypatch):
    loss = make_loss("squared_error", 300)
    replaced = []
    original = sympy.Basic.xreplace
    monkeypatch.setattr(sympy.Basic, "xreplace", lambda self, rule, **k: replaced.append(len(rule)) or original(self, rule, **k))
    rule = network.loss_rule(loss, loss.outputs, loss.targets, [s.name for s in loss.outputs])
    assert replaced == []  # before: 301 rebuilds of the loss and its partials with every symbol "renamed" to itself
    assert rule.function == loss.expression and rule.partials == loss.partials


@pytest.mark.parametrize("digits", [arithmetic.MPMATH_ABOVE + 1, 1000])
def test_exp_and_log_at_many_digits_are_decimals_own(digits):
    rng = random.Random(digits)
    with decimal.localcontext() as context:
        context.prec = digits
        for _ in range(20):
            value = Decimal(rng.uniform(-30, 30)).scaleb(rng.randint(-3, 1))
            assert arithmetic._DECIMAL_FUNCTIONS["exp"](value) == value.exp()  # Decimal's exp: correctly rounded
            if value > 0:
                assert arithmetic._DECIMAL_FUNCTIONS["log"](value) == value.ln()
