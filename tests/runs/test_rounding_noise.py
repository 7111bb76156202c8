"""A value that is exactly 0 but computes as a residue of cancellation is taken as 0 without driving a run's
precision to its limit, also when the residue comes out as exactly 0 at some precisions and as a tiny number at
others (found by the fuzzing campaign: the checklist of a one-layer XOR network trained on batches of two took
41 s, its zero gradients reading 2E-136, 0, 1E-580, 0 at 136, 284, 580 and 1172 digits, up to 2,000 digits).

Work is counted (the precisions a run is evaluated at), never timed.
"""

from __future__ import annotations

import decimal
import math
from decimal import Decimal

import symback
from symback.runs import training_rounding
from symback.runs.training import train
from symback.runs.training_rounding import rounded_run

ONE_LAYER_XOR = """
title = "XOR with one layer"
[network]
inputs = 2
[[network.layers]]
weights = "B"
values = [[1, 1]]
bias = "d"
bias_values = [-0.5]
activation = "sigmoid"
[loss]
kind = "binary_cross_entropy"
[data]
x = [[0, 0], [0, 1], [1, 0], [1, 1]]
y = [0, 1, 1, 0]
[[exercises]]
id = "1"
task = "train"
optimizer = { kind = "sgd", lr = 1 }
batch = 2
epochs = 1
"""


def test_a_residue_that_is_sometimes_exactly_zero_is_noise_at_a_low_precision():
    precisions = []

    def evaluate():
        precision = decimal.getcontext().prec
        precisions.append(precision)
        residue = Decimal(0) if len(precisions) % 2 == 0 else Decimal(len(precisions)).scaleb(-precision)
        return {"third": Decimal(1) / 3, "residue": residue}

    values = rounded_run(evaluate, 4)
    assert values == {"third": Decimal("0.3333"), "residue": Decimal(0)}
    assert max(precisions) < 1000  # it went on to 2,000 digits when held against the 0 before it


def float_steps():
    """The run in float64, written here: ŷ = σ(b11 x1 + b12 x2 + d1), BCE, mean gradient over each batch of two."""
    w1, w2, c = 1.0, 1.0, -0.5
    samples = [((0, 0), 0), ((0, 1), 1), ((1, 0), 1), ((1, 1), 0)]
    steps = []
    for batch in (samples[:2], samples[2:]):
        grads, loss = [0.0, 0.0, 0.0], 0.0
        for (x1, x2), y in batch:
            p = 1 / (1 + math.exp(-(w1 * x1 + w2 * x2 + c)))
            loss -= (y * math.log(p) + (1 - y) * math.log(1 - p)) / len(batch)
            for k, x in enumerate((x1, x2, 1)):
                grads[k] += (p - y) * x / len(batch)
        steps.append((loss, grads))
        w1, w2, c = w1 - grads[0], w2 - grads[1], c - grads[2]
    return steps


def test_the_zero_gradients_of_a_one_layer_xor_run_are_zero_at_fifty_digits(monkeypatch):
    precisions = []
    plain = training_rounding.correctly_rounded

    def counted(evaluate, digits, **options):
        def evaluate_counted():
            precisions.append(decimal.getcontext().prec)
            return evaluate()
        return plain(evaluate_counted, digits, **options)

    monkeypatch.setattr(training_rounding, "correctly_rounded", counted)
    run = train(symback.loads(ONE_LAYER_XOR), "1", digits=50)
    expected = float_steps()
    assert len(run.steps) == len(expected)
    for step, (loss, grads) in zip(run.steps, expected):
        assert math.isclose(float(step.batch_loss), loss, rel_tol=1e-12)
        for name, grad in zip(("b11", "b12", "d1"), grads):
            assert math.isclose(float(step.gradient[name]), grad, rel_tol=1e-12, abs_tol=1e-15)
    first = run.steps[0].gradient
    assert first["b11"] == 0 and first["d1"] == 0  # x1 = 0 in both samples; σ(−½) + σ(½) − 1 = 0
    assert max(precisions) < 1000
