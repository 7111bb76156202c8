"""The checklist: every quantity's rule, applied to the right values of its inputs, gives its right value.

The rules are compiled from the printed formulas (definitions, chain-rule factors, θ − α·g) while the right
values come from the engine's exact pass, so agreement here holds two routes against each other, over every
documented problem-file example with exercises (biases, several outputs, custom activations, tied weights).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
import sympy
from docs_examples import documented_examples

import symback
from symback.checker.checklist import build_checklist
from symback.checker.items.runs import key
from symback.checker.skeleton import answers_skeleton

EXAMPLES = [text for text in documented_examples() if "[[exercises]]" in text]


@pytest.fixture(scope="module", params=range(len(EXAMPLES)))
def checklist(request):
    built = build_checklist(symback.loads(EXAMPLES[request.param], source=f"example {request.param + 1}"))
    if not built.items:
        pytest.skip("no exercise the checker covers")
    return built


def test_examples_with_exercises_are_covered():
    assert len(EXAMPLES) >= 4


def test_every_rule_reproduces_the_exact_value(checklist):
    values: dict = {}
    for item in checklist.items:
        if item.compute is not None:
            got = item.compute([values[(item.context, key)] for key in item.inputs])
            scale = max(abs(item.reference), Decimal(1))
            assert abs(got - item.reference) <= Decimal("1e-45") * scale, (item.exercise, item.key)
        values[(item.context, item.key)] = item.reference


def test_references_are_the_exact_values_to_50_digits(checklist):
    for item in checklist.items:
        exact = sympy.N(item.right.exact, 60)
        assert abs(Decimal(str(exact)) - item.reference) <= Decimal("1e-48") * max(abs(item.reference), Decimal(1))


def test_inputs_come_before_the_items_that_read_them(checklist):
    seen = set()
    for item in checklist.items:
        assert all((item.context, key) in seen for key in item.inputs), (item.exercise, item.key)
        seen.add((item.context, item.key))


def test_right_answers_are_all_correct_and_half_wrong_ones_are_not(checklist):
    exact = {}
    for item in checklist.items:
        exact.setdefault(item.exercise, {})[item.key] = str(item.reference)
    report = symback.check(checklist, exact)
    assert report.all_right and {v.status for v in report.verdicts} == {"correct"}
    assert report.points == report.total == len(report.verdicts)
    first = checklist.items[0]
    nonzero = next(i for i in checklist.items if i.reference != 0)
    slipped = {**exact, nonzero.exercise: {**exact[nonzero.exercise], nonzero.key: str(nonzero.reference * 2)}}
    report = symback.check(checklist, slipped)
    assert report.first_wrong is not None and report.first_wrong.key == nonzero.key
    assert first.key in exact[first.exercise]


def test_skeleton_lists_each_item_once_under_its_exercise(checklist):
    import tomllib

    data = tomllib.loads(answers_skeleton(checklist))
    listed = [(exercise, key) for exercise, section in data.get("exercises", {}).items() for key in section]
    assert listed == [(item.exercise, item.key) for item in checklist.items]


SMALL = '''
title = "A small value"
[network]
inputs = 1
[[network.layers]]
weights = "W"
values = [[0.05]]
activation = "identity"
[loss]
kind = "squared_error"
[[exercises]]
id = "1"
task = "loss"
x = [0.2468]
y = 0
'''


def test_a_small_value_rounded_to_three_places_is_rounding_not_wrong():
    exact = Decimal("0.05") * Decimal("0.2468")  # ŷ = w·x, exactly
    three_places = exact.quantize(Decimal("0.001"))  # what a student rounding to 3 decimals writes
    two_places = exact.quantize(Decimal("0.01"))
    assert abs(three_places - exact) > Decimal("1e-3") * exact  # outside the default relative tolerance
    problem = symback.loads(SMALL)
    status = {text: symback.check(problem, {"1": {"yhat": str(text)}}).verdicts[0].status
              for text in (three_places, two_places)}
    assert status == {three_places: "rounding", two_places: "wrong"}


def test_shown_decimals_are_the_solution_sheets_decimals(checklist):
    """Display decimals come from the 50-digit pass; the sheet's own pass rounds at its digits directly."""
    from symback.derive.exercise import run_exercise

    problem = checklist.problem
    for entry in checklist.exercises:
        if not entry.items:
            continue
        sheet = run_exercise(problem, entry.exercise.id)
        decimals = {name: q.decimal for name, q in sheet.quantities().items()}
        for step in sheet.of_kind("gradient"):
            decimals.update({f"d{f.numerator}/d{f.denominator}": f.decimal for path in step.paths for f in path})
        for step in sheet.of_kind("forward_table"):
            decimals.update({row.name: row.quantity.decimal for row in step.rows})
        for step in sheet.of_kind("backward_table"):
            decimals.update({wire.local.name: wire.local.decimal for wire in step.wires})
            decimals.update({gradient.quantity.name: gradient.quantity.decimal for gradient in step.gradients})
        for step in sheet.of_kind("training_run"):  # named as symback.checker.items.training_run names them
            decimals["L[final]"] = step.run.final_loss
            for row in step.run.steps:
                decimals[f"L[{row.step}]"] = row.batch_loss
                decimals.update({f"g[{row.step}]:{name}": value for name, value in row.gradient.items()})
                decimals.update({f"{name}[{row.step}]": value for name, value in row.parameters.items()})
        for step in sheet.of_kind("optimizer_run"):  # a run's values, named as symback.checker.items.optimizer_run names them
            decimals.update({key(s.t, name, column): value.decimal
                             for s in step.run.steps for name, row in s.rows.items() for column, value in row.items()})
        for item in entry.items:
            assert str(item.right.decimal) == str(decimals[item.key]), (entry.exercise.id, item.key)
