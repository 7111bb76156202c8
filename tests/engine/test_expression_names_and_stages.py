"""Adversarial review of expression problems (circuits): unusual names, dead stages, odd inputs.

Expected values come from SymPy's diff of the whole expression (built independently with the safe parser and
substitution of the stages), never from symback's own output.
"""

from __future__ import annotations

import re

import pytest
import sympy

import symback
from symback.numbers.parse import parse_expression
from symback.render.environment import render
from symback.render.sheet import build_sheet


def _whole(stages, at):
    """f as one SymPy expression in the variables: each stage's text parsed, earlier stages substituted."""
    variables = {name: sympy.Symbol(name, real=True) for name in at}
    values = {}
    for name, text in stages:
        known = {**variables, **{stage: sympy.Symbol(stage, real=True) for stage in values}}
        expr = parse_expression(text, known)
        values[name] = expr.xreplace({sympy.Symbol(stage, real=True): value for stage, value in values.items()})
    return values[stages[-1][0]], variables


def _problem(expression: str, exercises: str) -> str:
    return f'title = "review"\n[expression]\n{expression}\n{exercises}'


_GRADIENT = '[[exercises]]\nid = "1"\ntask = "gradient"\n'


def test_stages_named_l_loss_and_l_loss_do_not_break_the_loss_node():
    text = _problem('stages = ["L = x*x", "loss = L + y", "L_loss = L*loss", "f = L_loss + y"]\n'
                    'at = { x = 2, y = 3 }\n[loss]\nkind = "squared_error"',
                    '[[exercises]]\nid = "1"\ntask = "gradient"\ny = 1\n')
    problem = symback.loads(text)
    f, variables = _whole(problem.expression.stages, problem.expression.at)
    target = sympy.Integer(1)
    point = {variables[name]: value for name, value in problem.expression.at.items()}
    result = symback.backprop(problem, y=1)
    for name, symbol in variables.items():
        expected = sympy.diff((f - target) ** 2, symbol).xreplace(point)
        assert sympy.simplify(result.grad[name] - expected) == 0
    render(build_sheet(problem), "md")  # the sheet is built too


@pytest.mark.parametrize("kind", ["md", "tex"])
def test_a_node_f_does_not_depend_on_is_not_said_to_have_its_gradient_by_definition(kind):
    problem = symback.loads(_problem('stages = ["dead = exp(x)", "f = x * y"]\nat = { x = 2, y = 3 }', _GRADIENT))
    text = render(build_sheet(problem), kind)
    rows = [line for line in text.splitlines() if "by definition" in line]
    assert len(rows) == 1 and re.search(r"partial f}{\\partial f}", rows[0])


@pytest.mark.parametrize("expression, key, message", [
    ('f = "x"\nat = { x = 1 }\nparams = [["x"]]', "expression.params[1]", "a string"),
    ('f = "x"\nat = { x = 1 }\nparams = [{ a = 1 }]', "expression.params[1]", "a string"),
    ('f = "x"\nat = {}', "expression.at", "an empty table"),
    ('stages = []\nat = { x = 1 }', "expression.stages", "an empty array"),
    ('f = "x"\nat = { x = 1 }\nparams = []', "expression.params", "an empty array"),
])
def test_type_confusion_in_the_expression_table_is_one_line_exit_2(tmp_path, capsys, expression, key, message):
    from cli_helpers import run

    path = tmp_path / "bad.toml"
    path.write_text(_problem(expression, _GRADIENT))
    code, out, err = run(capsys, "answers", path)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and f"{path}: {key}: " in err and message in err


def _tie_problem(ties: str) -> str:
    return _problem(f'f = "max(x, y, w) * z"\nat = {{ x = 1, y = 1, w = 0, z = 2 }}\nties = "{ties}"', _GRADIENT)


@pytest.mark.parametrize("ties, shares", [("first", {"x": 1, "y": 0}), ("split", {"x": sympy.Rational(1, 2),
                                                                                  "y": sympy.Rational(1, 2)})])
def test_the_rule_stated_for_a_tied_wire_gives_its_share(ties, shares):
    """At a tie, max's local gradient is the tie rule's share; the rule the checker states must not be the
    indicator [x > max(y, w)], which is 0 at the tie whatever the rule."""
    from symback.checker.answer_parse import PRECISION
    from symback.checker.items.steps import step_items
    from symback.derive.exercise import run_exercise

    problem = symback.loads(_tie_problem(ties))
    items = {item.key: item for item in step_items(run_exercise(problem, "1", digits=PRECISION), 0, problem.digits)}
    for name, share in shares.items():
        item = items[f"dq1/d{name}"]
        assert item.right.exact == share  # the tie rule, by definition
        assert ">" not in item.rule_text and f'ties = "{ties}"' in item.rule_text
    assert items["dq1/dw"].rule_text == "dq1/dw = [w > max(x, y)]"  # not tied: the indicator holds (0 > 1 is 0)


def test_a_variable_named_f_is_not_overwritten_by_the_function_f():
    """With f = "f*2 + x" the variable f would be hidden by the function's node, its gradient 1 instead of 2."""
    with pytest.raises(symback.errors.ProblemError, match=r"expression\.f: 'f' is already a variable"):
        symback.loads(_problem('f = "f*2 + x"\nat = { f = 1, x = 2 }', _GRADIENT))


def test_repeated_wires_between_two_nodes_are_all_bent_apart():
    """max(x, x, x, x, x): five wires from x into one node; no two may be drawn on top of each other."""
    from symback.engine.circuit import build_circuit
    from symback.problem.model import ExpressionSpec
    from symback.render.node_diagram import structure_diagram
    from symback.render.notation import Notation

    circuit = build_circuit(ExpressionSpec((("f", "max(x, x, x, x, x)"),), {"x": 1}))
    bends = [wire.bend for wire in structure_diagram(circuit, Notation()).wires]
    assert len(bends) == 5 and len(set(bends)) == 5


@pytest.mark.skipif(not __import__("symback.render.pdf").render.pdf.latex_available(), reason="needs pdflatex")
def test_a_value_used_many_times_fits_the_gradient_table(tmp_path):
    """x used 40 times: the 'from' column of the gradient table lists 40 nodes and must wrap, not run 1000pt off
    the page."""
    from symback.render.pdf import build_pdf

    terms = " + ".join(f"x*{k}" for k in range(1, 41))
    problem = symback.loads(_problem(f'f = "{terms}"\nat = {{ x = 2 }}', _GRADIENT))
    warnings = build_pdf(render(build_sheet(problem), "tex"), tmp_path / "wide.pdf", max_runs=1)
    widths = [float(width) for width in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\) in alignment", "\n".join(warnings))]
    assert not widths or max(widths) < 30


def test_negative_and_fractional_constants_in_diagram_labels_are_parenthesized():
    """x − (−3) must not be drawn as '−-3', nor (−1/2)^x as '−1/2^' (which reads −(1/2)^x)."""
    from symback.engine.circuit import build_circuit
    from symback.problem.model import ExpressionSpec
    from symback.render.node_diagram import structure_diagram
    from symback.render.notation import Notation

    circuit = build_circuit(ExpressionSpec((("f", "(x - (-3)) * (-2) + (1/2)^x + (-1/2)*x"),), {"x": 1}))
    labels = {node.name: (node.latex, node.text) for node in structure_diagram(circuit, Notation()).nodes}
    assert labels["q1"] == (r"-\left(-3\right)", "−(-3)")
    assert labels["q2"] == (r"\times\left(-2\right)", "×(-2)")
    assert labels["q3"] == (r"\left(0.5\right)^{\square}", "(1/2)^")  # a terminating fraction prints as a decimal
    assert labels["q5"] == (r"\left(-0.5\right)\times", "(-1/2)×")
