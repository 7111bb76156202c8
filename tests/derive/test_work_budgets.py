"""Work budgets inside the work, counted: a tie of max is proved at most once and only while it is small, no
value past the exact-form budget is turned into a SymPy tree by a table, the checker or its reports, and a section
that overran (a guard said so) is left out with one sentence while the rest of the sheet stands."""

from __future__ import annotations

import contextlib
import json

import mpmath
import pytest
import symengine
import sympy

import symback
from symback.checker.checklist import build_checklist
from symback.checker.feedback import render_feedback
from symback.checker.terminal import format_report
from symback.derive.appendix import build_appendix
from symback.derive.budget import MAX_NODES, node_count_at_most
from symback.engine import guards, result
from symback.errors import SectionOverrun
from symback.numbers import tidy
from symback.numbers.arithmetic import UndecidableSign
from symback.render.environment import render
from symback.render.sheet import LeftOutExercise, build_sheet


def expression(stages: list[str], at: str, task: str = "gradient") -> symback.Problem:
    text = ('title = "t"\n[expression]\nstages = [' + ", ".join(json.dumps(s) for s in stages) + f"]\nat = {at}\n"
            f'[[exercises]]\nid = "1"\ntask = "{task}"\n')
    return symback.loads(text)


@pytest.fixture
def simplify_calls(monkeypatch) -> list:
    """Every expression SymPy's simplify is asked to simplify (the unbounded step of a proof)."""
    calls, real = [], sympy.simplify

    def counting(expr, *args, **kwargs):
        calls.append(expr)
        return real(expr, *args, **kwargs)

    monkeypatch.setattr(sympy, "simplify", counting)
    return calls


def test_ties_of_whole_numbers_and_clear_winners_need_no_proof(simplify_calls):
    """The many-max input of issue 14, shortened: every tie is of equal integers, every other pair is decided by
    its digits; nothing reaches simplify (the table's tie test used to call it for every pair)."""
    terms = [f"max(x, {k % 3 + 1}*y)" for k in range(30)]
    run = symback.run_exercise(expression(["f = " + " + ".join(terms)], "{ x = 1, y = 1 }"), "1")
    wires = [wire for step in run.steps if step.kind == "backward_table" for wire in step.wires]
    ties = [wire for wire in wires if wire.tie]
    assert simplify_calls == []
    assert len(ties) == 2  # max(x, 1·y) at x = y = 1 (the same term is one node), both its wires


def test_a_tie_is_proved_once_however_often_it_is_asked(simplify_calls):
    """log(6x) and log(2x) + log(3y)... equal by the law of logarithms, which 120 digits cannot prove: each tie
    is asked for the max's value, each of its partials and the table's wires, and proved once."""
    count = 3
    stages = [f"s{k} = max(log({k + 5}*x*y), log({k + 5}*x) + log(y))" for k in range(count)]
    stages.append("f = " + " + ".join(f"s{k}" for k in range(count)))
    run = symback.run_exercise(expression(stages, "{ x = 2, y = 3 }"), "1")
    wires = [wire for step in run.steps if step.kind == "backward_table" for wire in step.wires]
    maxes = [wire for wire in wires if wire.child.startswith("s")]
    for wire in maxes:  # a tie indeed, by an independent route: mpmath's logarithms to 300 digits
        k = int(wire.child[1:]) + 5
        with mpmath.workdps(300):
            assert abs(mpmath.log(6 * k) - mpmath.log(2 * k) - mpmath.log(3)) < mpmath.mpf(10) ** -290
        assert wire.tie and wire.local.exact == sympy.Rational(1, 2)  # the split rule's share
    assert len(maxes) == 2 * count
    assert len(simplify_calls) <= count


def test_a_value_past_the_proof_budget_is_not_given_to_simplify(simplify_calls):
    small = symengine.sin(7) ** 2 + symengine.cos(7) ** 2 - 1
    assert guards.bounded_sign(small) == 0 and len(simplify_calls) == 1
    large = sum(symengine.sin(k) ** 2 + symengine.cos(k) ** 2 for k in range(11, 19)) - 8  # 0, in over 40 nodes
    assert not node_count_at_most(large, guards.PROOF_NODES)
    with pytest.raises(UndecidableSign, match="no exact proof"):
        guards.bounded_sign(large)
    assert len(simplify_calls) == 1
    near = 1 / (1 + symengine.exp(-400)) - 1  # 0 to 173 places: 1900 digits decide it, no proof is tried
    assert guards.bounded_sign(near) == -1 and len(simplify_calls) == 1


def test_tidy_expands_no_power_of_a_sum_into_thousands_of_terms(monkeypatch):
    expanded, real = [], sympy.expand
    monkeypatch.setattr(sympy, "expand", lambda expr, *a, **k: expanded.append(expr) or real(expr, *a, **k))
    a, b, c = (sympy.exp(sympy.Rational(1, k)) for k in (3, 5, 7))
    assert tidy.tidy((a + b + c + 1) ** 30) == (a + b + c + 1) ** 30
    assert expanded == []


@pytest.fixture(scope="module")
def deep():
    """max of a value four sigmoids deep: its upstream gradients are past the exact-form budget."""
    stages = ["a0 = sigmoid(x)", *[f"a{k} = sigmoid(a{k - 1} + x*a{k - 1})" for k in range(1, 4)], "f = max(a3, 1 - a3)"]
    return expression(stages, "{ x = 1 }")


@pytest.fixture
def converted(monkeypatch) -> list:
    """The size (nodes) of every engine value turned into SymPy."""
    sizes, real = [], result.tidy

    def recording(expr):
        sizes.append(sum(1 for _ in sympy.preorder_traversal(expr)))
        return real(expr)

    monkeypatch.setattr(result, "tidy", recording)
    return sizes


def test_a_table_of_large_values_turns_none_of_them_into_sympy(deep, converted):
    values = symback.run_exercise(deep, "1").result
    assert any(not node_count_at_most(edge.upstream, MAX_NODES) for edge in values.exact_edges)  # the case at hand
    sheet = build_sheet(deep)
    text = render(sheet, "md") + render(sheet, "tex")
    assert converted and max(converted) <= MAX_NODES
    assert "df/da0" in text.replace("\\", "").replace("{", "").replace("}", "") or "a_{0}" in text


def test_the_checker_and_its_reports_turn_no_large_value_into_sympy(deep, converted):
    checklist = build_checklist(deep)
    report = symback.check(checklist, {"1": {"f": "0.5"}})
    rights = [verdict.as_dict(4)["right"] for verdict in report.verdicts]
    format_report(report), render_feedback(report, "md")
    assert max(converted) <= MAX_NODES
    assert any(right["exact"] is None for right in rights) and all(right["decimal"] for right in rights)


@contextlib.contextmanager
def _no_guard():
    yield


def overrun_in(*sections: str):
    """A guard that says the named sections overran (as the command line's alarm would), the others not."""

    def guard(section: str):
        if section in sections:
            raise SectionOverrun(section, 60)
        return _no_guard()

    return guard


WS23 = "problems/ws23_backprop.toml"


def test_an_exercise_that_overran_is_one_sentence_and_the_others_stand():
    problem = symback.load(WS23)
    sheet = build_sheet(problem, guard=overrun_in("Exercise 2"), appendix=False)
    whole = build_sheet(problem, appendix=False)
    left = [view for view in sheet.exercises if isinstance(view, LeftOutExercise)]
    assert [view.id for view in left] == ["2"] and sheet.left_out == (left[0].reason,)
    assert "Exercise 2 was left out" in left[0].reason
    assert [view.id for view in sheet.exercises] == [view.id for view in whole.exercises]
    markdown = render(sheet, "md")
    section = markdown.split("## Exercise 2")[1].split("## Exercise 3")[0]
    assert "Exercise 2 was left out" in section and "yhat" not in section.replace("\\hat", "")
    assert markdown.split("## Exercise 3")[1] == render(whole, "md").split("## Exercise 3")[1]
    assert "Exercise 2 was left out" in render(sheet, "tex")


def test_an_appendix_section_that_overran_is_left_out_with_a_sentence():
    problem = symback.load(WS23)
    appendix = build_appendix(problem, guard=overrun_in("The appendix section 'ReLU instead of the sigmoid'"))
    assert [section.kind for section in appendix.sections] == ["learning_rates", "adam", "loss_comparison", "deeper"]
    assert len(appendix.left_out) == 1 and "ReLU instead of the sigmoid" in appendix.left_out[0]


def test_an_exercise_whose_checklist_overran_is_not_marked_and_says_so():
    problem = symback.load(WS23)
    checklist = build_checklist(problem, guard=overrun_in("Exercise 1"))
    assert not checklist.exercise("1").checked and checklist.exercise("1").items == ()
    assert checklist.exercise("2").items and len(checklist.left_out) == 1
    report = symback.check(checklist, {"1": {"yhat": "0"}})
    assert report.notes[0] == f"{checklist.left_out[0]} (not marked)"


def test_a_value_with_a_huge_power_of_e_is_not_given_to_simplify(simplify_calls):
    """1 − σ(a) for a = 6784124183537/80 (found by the fuzzing campaign): 1900 digits cannot tell it from 0, and
    simplify evaluated e^a to all of its 3.7·10^10 digits (a MemoryError); now it stays undecided, in one line."""
    a = symengine.Rational(6784124183537, 80)
    near = 1 - symengine.exp(a) / (1 + symengine.exp(a))
    with pytest.raises(UndecidableSign, match="no exact proof"):
        guards.bounded_sign(near)
    assert simplify_calls == []


def test_tidy_cancels_no_power_of_a_sum_with_many_terms_expanded(monkeypatch):
    """(53π/25 + e^{-1}/3)^300 (an activation z·z·…·z at irrational inputs, found by the fuzzing campaign): a
    rational function of e, small in operations, but cancel expanded it to 301 terms in π and never ended."""
    def refused(expr, *args, **kwargs):  # fails at once where the old code set off on its endless expansion
        raise AssertionError(f"cancel called on {str(expr)[:60]}")

    value = (sympy.Rational(53, 25) * sympy.pi + sympy.exp(-1) / 3) ** 300
    tidy.tidy.cache_clear()
    with monkeypatch.context() as patched:
        patched.setattr(sympy, "cancel", refused)
        assert tidy.tidy(value) == value
    assert tidy.tidy(sympy.exp(-1) / (sympy.exp(-1) + 1)) == 1 / (1 + sympy.E)  # a small one is still tidied


def test_tidy_leaves_a_value_of_huge_coefficients_as_it_is(monkeypatch):
    """4975012850700847·e^{-1}/10^180 + √2·π (a decimal of 196 places in a weight, found by the fuzzing campaign):
    factor's prime search over the coefficients took a second, for a value no shorter afterwards."""
    def refused(expr, *args, **kwargs):
        raise AssertionError(f"factor called on {str(expr)[:60]}")

    value = sympy.Integer(4975012850700847) * sympy.exp(-1) / sympy.Integer(10) ** 180 + sympy.sqrt(2) * sympy.pi
    tidy.tidy.cache_clear()
    with monkeypatch.context() as patched:
        patched.setattr(sympy, "factor", refused)
        patched.setattr(sympy, "cancel", refused)
        assert tidy.tidy(value) == value
