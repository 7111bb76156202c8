"""Expression circuits (symback.engine.circuit*) checked against routes written here, independently.

Route A: the whole expression built by hand in SymPy from our own reading of the text, differentiated with
``sympy.diff`` and evaluated at 50 digits. Route B: the same function written with mpmath at 60 digits, central
finite differences. For random expressions the text, the SymPy expression and the mpmath function are generated
together from one random tree. Decimals are held against mpmath values rounded half up here.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal

import mpmath
import pytest
import sympy
from deadline import no_hang
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import symback
from symback.engine.backprop import backprop_exercise
from symback.engine.circuit import build_circuit
from symback.engine.guards import MAX_VALUE_DIGITS, DomainError
from symback.errors import ArgumentError, ParseError, ProblemError, SymbackError
from symback.numbers.tree import Apply, Constant, parse_tree
from symback.problem.model import ExpressionSpec, LossSpec, Problem
from symback.problem.operations import OPERATIONS

R = sympy.Rational
x, y, z, w = sympy.symbols("x y z w", real=True)
SYMBOLS = {"x": x, "y": y, "z": z, "w": w}
DIGITS = 50


def problem(stages, at, *, ties="split", loss=None, params=None) -> Problem:
    """An expression problem built directly; ``stages`` is one text (f) or a list of (name, text)."""
    stages = (("f", stages),) if isinstance(stages, str) else tuple(stages)
    exact = {name: symback.engine.result.exact_vector(value, 1, name)[0] for name, value in at.items()}
    spec = ExpressionSpec(stages, exact, tuple(params) if params else None, ties)
    return Problem("t", None, LossSpec(loss) if loss else None, expression=spec)


def numeric(value, digits=DIGITS) -> mpmath.mpf:
    with mpmath.workdps(digits + 10):
        return mpmath.mpf(sympy.N(value, digits + 10))


def close(a, b, tolerance=mpmath.mpf(10) ** -40) -> bool:
    a, b = numeric(a), numeric(b) if not isinstance(b, mpmath.mpf) else b
    return abs(a - b) <= tolerance * max(1, abs(b))


def central_difference(function, point: dict, name: str) -> mpmath.mpf:
    """∂function/∂name at point by (F(v + h) − F(v − h)) / 2h at 60 digits, h = 1e-20."""
    with mpmath.workdps(60):
        h = mpmath.mpf(10) ** -20
        at = {k: mpmath.mpf(sympy.N(v, 70)) for k, v in point.items()}
        up, down = dict(at), dict(at)
        up[name] += h
        down[name] -= h
        return (function(up) - function(down)) / (2 * h)


def check_against_routes(result, expression, mp_function, point):
    """Every variable's gradient against SymPy's diff of the whole expression and against finite differences."""
    values = {SYMBOLS[name]: value for name, value in point.items()}
    assert close(result.output, expression.subs(values))
    for name in point:
        by_sympy = sympy.diff(expression, SYMBOLS[name]).subs(values)
        assert close(result.grad[name], by_sympy), (name, result.grad[name], by_sympy)
        difference = central_difference(mp_function, point, name)
        assert close(result.grad[name], difference, mpmath.mpf(10) ** -30), (name, result.grad[name], difference)


def sigmoid(a):
    return 1 / (1 + sympy.exp(-a))


def mp_sigmoid(a):
    return 1 / (1 + mpmath.exp(-a))


# --- the classic examples ------------------------------------------------------------------------------------------

def test_classic_sum_times_product():
    # f = (x + y) z at x = -2, y = 5, z = -4. By hand: q = x + y = 3, f = q z = -12.
    # df/dz = q = 3; df/dq = z = -4; dq/dx = dq/dy = 1, so df/dx = df/dy = -4 · 1 = -4.
    r = symback.backprop(problem("(x + y) * z", {"x": -2, "y": 5, "z": -4}))
    assert [node.name for node in r.nodes] == ["x", "y", "z", "q1", "f"]
    assert r.output == -12 and r.values["q1"] == 3
    assert dict(r.grad) == {"x": -4, "y": -4, "z": 3}
    assert r.values["df/dq1"] == -4
    assert "df/df" not in r.values
    wires = [(e.child, e.parent, e.local, e.upstream, e.contribution) for e in r.edges]
    assert wires == [("q1", "x", 1, -4, -4), ("q1", "y", 1, -4, -4), ("f", "q1", -4, 1, -4), ("f", "z", 3, 1, 3)]


CS231N = "(x + sigmoid(y)) / (sigmoid(x) + (x + y)^2)"


def cs231n_expression():
    return (x + sigmoid(y)) / (sigmoid(x) + (x + y) ** 2)


def cs231n_mpmath(p):
    return (p["x"] + mp_sigmoid(p["y"])) / (mp_sigmoid(p["x"]) + (p["x"] + p["y"]) ** 2)


def test_cs231n_example():
    p = symback.loads(f'title = "c"\n[expression]\nf = "{CS231N}"\nat = {{ x = 3, y = -4 }}\n'
                      '[[exercises]]\nid = "1"\ntask = "gradient"\n')
    r = symback.backprop(p)
    point = {"x": sympy.Integer(3), "y": sympy.Integer(-4)}
    check_against_routes(r, cs231n_expression(), cs231n_mpmath, point)
    # the staged computation, in evaluation order: σ(y), x + σ(y), σ(x), x + y, (x + y)², σ(x) + (x + y)², f
    assert [(n.name, n.operation) for n in r.nodes] == [
        ("x", "variable"), ("y", "variable"), ("q1", "sigmoid"), ("q2", "add"), ("q3", "sigmoid"), ("q4", "add"),
        ("q5", "pow"), ("q6", "add"), ("f", "div")]
    assert r.values["q4"] == -1 and r.values["q5"] == 1
    assert sympy.simplify(r.values["q1"] - sigmoid(sympy.Integer(-4))) == 0
    # every node's gradient: a perturbation symbol added to the node's subexpression, differentiated by SymPy
    t = sympy.Symbol("t")
    perturbed = {
        "q1": (x + sigmoid(y) + t) / (sigmoid(x) + (x + y) ** 2),
        "q3": (x + sigmoid(y)) / (sigmoid(x) + t + (x + y) ** 2),
        "q4": (x + sigmoid(y)) / (sigmoid(x) + (x + y + t) ** 2),
        "q6": (x + sigmoid(y)) / (sigmoid(x) + (x + y) ** 2 + t),
    }
    for name, expression in perturbed.items():
        expected = sympy.diff(expression, t).subs({t: 0, x: 3, y: -4})
        assert close(r.values[f"df/d{name}"], expected), name
    assert sympy.simplify(r.grad["x"] - sympy.diff(cs231n_expression(), x).subs({x: 3, y: -4})) == 0


def test_edges_sum_to_gradients():
    r = symback.backprop(problem(CS231N, {"x": 3, "y": -4}))
    for node in r.nodes:
        wires = [e.contribution for e in r.edges if e.parent == node.name]
        if node.name != r.top:
            assert sympy.simplify(sum(wires) - r.values[f"df/d{node.name}"]) == 0
    for edge in r.edges:
        assert sympy.simplify(edge.contribution - edge.local * edge.upstream) == 0
        assert edge.upstream == (1 if edge.child == "f" else r.values[f"df/d{edge.child}"])


# --- forks, hash-consing, stage names ----------------------------------------------------------------------------

def test_a_value_used_twice_gets_both_gradients():
    r = symback.backprop(problem("x*x", {"x": 3}))
    square = r.nodes[-1]
    assert square.operation == "mul" and square.operands == (0, 0) and str(square.function) == "x*x"
    assert [e.contribution for e in r.edges] == [3, 3] and r.grad["x"] == 6
    r = symback.backprop(problem([("a", "x + 1"), ("f", "a * x")], {"x": 3}))
    assert r.grad["x"] == 4 + 3  # f = a·x with a = x + 1: df/dx = a + x·da/dx = 4 + 3·1, one term per use of x
    r = symback.backprop(problem("x - x", {"x": 5}))
    assert r.nodes[-1].operation == "sub" and r.output == 0 and r.grad["x"] == 0
    assert [e.local for e in r.edges] == [1, -1]


def test_identical_subexpressions_are_one_node():
    r = symback.backprop(problem("(x + y) * (x + y) + exp(x + y)", {"x": 1, "y": 2}))
    assert [n.name for n in r.nodes] == ["x", "y", "q1", "q2", "q3", "f"]
    assert r.nodes[3].operands == (2, 2)  # q2 = q1 * q1
    assert r.grad["x"] == 2 * 3 + sympy.exp(3)
    assert sum(1 for e in r.edges if e.parent == "q1") == 3


def test_stage_names_and_identity_nodes():
    stages = [("s", "x + y"), ("t", "(x + y) * s"), ("u", "s"), ("v", "x * y"), ("w", "x * y"), ("f", "t + u + 2")]
    r = symback.backprop(problem(stages, {"x": 2, "y": 3}))
    names = [(n.name, n.operation, n.operands, n.stage) for n in r.nodes]
    assert names == [
        ("x", "variable", (), None), ("y", "variable", (), None),
        ("s", "add", (0, 1), "s"),
        ("t", "mul", (2, 2), "t"),  # (x + y) written again is node s
        ("u", "id", (2,), "u"),  # a bare name gets an identity node of its own
        ("v", "mul", (0, 1), "v"),
        ("w", "id", (5,), "w"),  # the same operation as stage v: an identity node of v
        ("q1", "add", (3, 4), "f"),
        ("f", "add", (7, sympy.Integer(2)), "f"),
    ]
    assert r.output == 25 + 5 + 2
    assert r.grad["x"] == 2 * 5 + 1 and r.values["df/dv"] == 0 and r.values["df/dw"] == 0
    assert r.nodes[-1].partials == (1, None)  # a constant operand has no gradient


def test_automatic_names_skip_taken_ones():
    r = symback.backprop(problem([("q2", "q1 * 2"), ("f", "exp(q1) + q2 * q1")], {"q1": 1}))
    assert [n.name for n in r.nodes] == ["q1", "q2", "q3", "q4", "f"]
    r = symback.backprop(problem([("L", "x^2"), ("f", "L + 1")], {"x": 1}, loss="squared_error"), y=0)
    assert r.top == "loss" and r.loss == 4 and r.values["dloss/dx"] == 8


def test_named_last_stage():
    r = symback.backprop(problem([("g", "x^3")], {"x": 2}))
    assert r.top == "g" and r.values["dg/dx"] == 12 and r.output == 8


def test_trees_keep_what_is_written():
    tree = parse_tree("x*x - -3 + 2*3*y", ["x", "y"])
    assert tree.operation == "add"
    left, right = tree.operands
    assert left.operation == "sub" and left.operands[1] == Constant(-3)
    assert left.operands[0].operation == "mul" and [o.name for o in left.operands[0].operands] == ["x", "x"]
    assert right == Apply("mul", (Constant(6), right.operands[1]), right.value)  # 2*3 is folded into 6
    assert parse_tree("sqrt(2) + pi", []) == Constant(sympy.sqrt(2) + sympy.pi)


# --- ties, kinks ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("function", ["max", "min"])
@pytest.mark.parametrize("ties, two, three", [("split", (R(1, 2),) * 2, (R(1, 3),) * 3), ("first", (1, 0), (1, 0, 0))])
def test_ties_of_max_and_min(function, ties, two, three):
    r = symback.backprop(problem(f"{function}(x, y)", {"x": 2, "y": 2}, ties=ties))
    assert (r.grad["x"], r.grad["y"]) == two and r.output == 2
    r = symback.backprop(problem(f"{function}(x, y, z)", {"x": 2, "y": 2, "z": 2}, ties=ties))
    assert tuple(r.grad.values()) == three
    partly = {"x": 1, "y": 2, "z": 2} if function == "max" else {"x": 3, "y": 2, "z": 2}
    r = symback.backprop(problem(f"{function}(x, y, z)", partly, ties=ties))
    assert tuple(r.grad.values()) == ((0, R(1, 2), R(1, 2)) if ties == "split" else (0, 1, 0))
    r = symback.backprop(problem(f"{function}(x, 2)", {"x": 2}, ties=ties))
    assert r.grad["x"] == (R(1, 2) if ties == "split" else 1)
    r = symback.backprop(problem(f"{function}(2, x)", {"x": 2}, ties=ties))
    assert r.grad["x"] == (R(1, 2) if ties == "split" else 0)
    r = symback.backprop(problem(f"{function}(x, x)", {"x": 2}, ties=ties))
    assert r.grad["x"] == 1  # both wires together carry all of it


def test_max_away_from_ties_follows_the_larger():
    r = symback.backprop(problem("max(x, y) + min(x, y)", {"x": 1, "y": 4}))
    assert dict(r.grad) == {"x": 1, "y": 1}
    r = symback.backprop(problem("max(x, y) * 3", {"x": 1, "y": 4}))
    assert dict(r.grad) == {"x": 0, "y": 3}


def test_relu_and_abs_at_zero():
    assert symback.backprop(problem("relu(x)", {"x": 0})).grad["x"] == 0
    assert symback.backprop(problem("abs(x)", {"x": 0})).grad["x"] == 0
    assert symback.backprop(problem("relu(x) * 5", {"x": "1/3"})).grad["x"] == 5
    assert symback.backprop(problem("abs(x)", {"x": -2})).grad["x"] == -1
    r = symback.backprop(problem("relu(x - 1) + abs(x - 1)", {"x": 1}))
    assert r.grad["x"] == 0 and r.output == 0


def test_kink_partials_agree_with_sympy_diff_away_from_ties():
    a, b, c = (sympy.Symbol(f"slot{i}", real=True) for i in range(3))
    for name, operands, point in [("relu", [a], {a: 2}), ("relu", [a], {a: -1}), ("abs", [a], {a: -3}),
                                  ("max", [a, b], {a: 1, b: 2}), ("min", [a, b, c], {a: 1, b: 2, c: 0})]:
        entry = OPERATIONS[name]
        for ties in ("split", "first"):
            for i, operand in enumerate(operands):
                by_rule = entry.kink(operands, i, ties).subs(point)
                assert by_rule == sympy.diff(entry.build(*operands), operand).subs(point)


def test_decimals_follow_the_exact_branch_at_a_tie():
    # x = 2^(1/3): x³ is exactly 2, so max(x³, 2) is at a tie; decimals of x³ lie on either side of 2 depending
    # on the precision, but the decimal pass takes the exact branch: df/dx = ½ · 3x² = (3/2) · 2^(2/3).
    r = symback.backprop(problem("max(x^3, 2)", {"x": "2^(1/3)"}))
    assert sympy.simplify(r.grad["x"] - R(3, 2) * 2 ** R(2, 3)) == 0
    with mpmath.workdps(60):
        expected = Decimal(mpmath.nstr(mpmath.mpf(3) / 2 * mpmath.cbrt(2) ** 2, 55))
    for digits in (5, 20, 40):
        decimals = r.decimals(digits)
        assert decimals["df/dx"] == Context(prec=digits, rounding=ROUND_HALF_UP).plus(expected)
        assert decimals["f"] == 2 and decimals["df/dq1"] == Decimal("0.5")


def test_a_tie_that_symengine_cannot_see_is_decided_by_sympy():
    r = symback.backprop(problem("max(exp(log(x)), 2)", {"x": 2}))
    assert r.grad["x"] == R(1, 2) and r.decimals(10)["df/dx"] == Decimal("0.5")


# --- every operation -----------------------------------------------------------------------------------------------

OPERATION_CASES = [  # text, SymPy by hand, mpmath by hand, point
    ("exp(x) * y", sympy.exp(x) * y, lambda p: mpmath.exp(p["x"]) * p["y"], {"x": R(1, 2), "y": 3}),
    ("log(x) + ln(y)", sympy.log(x) + sympy.log(y), lambda p: mpmath.log(p["x"]) + mpmath.log(p["y"]),
     {"x": 2, "y": R(1, 3)}),
    ("log(x, y)", sympy.log(x) / sympy.log(y), lambda p: mpmath.log(p["x"]) / mpmath.log(p["y"]), {"x": 5, "y": 3}),
    ("sqrt(x * y)", sympy.sqrt(x * y), lambda p: mpmath.sqrt(p["x"] * p["y"]), {"x": 2, "y": R(7, 3)}),
    ("sin(x) - cos(y) * tan(x)", sympy.sin(x) - sympy.cos(y) * sympy.tan(x),
     lambda p: mpmath.sin(p["x"]) - mpmath.cos(p["y"]) * mpmath.tan(p["x"]), {"x": R(1, 3), "y": -2}),
    ("sinh(x) / cosh(y) + tanh(x * y)", sympy.sinh(x) / sympy.cosh(y) + sympy.tanh(x * y),
     lambda p: mpmath.sinh(p["x"]) / mpmath.cosh(p["y"]) + mpmath.tanh(p["x"] * p["y"]), {"x": R(3, 4), "y": -1}),
    ("atan(x) + arctan(x * y)", sympy.atan(x) + sympy.atan(x * y),
     lambda p: mpmath.atan(p["x"]) + mpmath.atan(p["x"] * p["y"]), {"x": 2, "y": R(1, 5)}),
    ("sigmoid(x * y) + softplus(y)", sigmoid(x * y) + sympy.log(1 + sympy.exp(y)),
     lambda p: mp_sigmoid(p["x"] * p["y"]) + mpmath.log(1 + mpmath.exp(p["y"])), {"x": -1, "y": 2}),
    ("relu(x) * abs(y) + max(x, y, 1) - min(x, y)", sympy.Max(0, x) * sympy.Abs(y) + sympy.Max(x, y, 1)
     - sympy.Min(x, y), lambda p: max(0, p["x"]) * abs(p["y"]) + max(p["x"], p["y"], 1) - min(p["x"], p["y"]),
     {"x": R(5, 2), "y": -3}),
    ("x^y + 2^x + x^(1/3) - x^-2", x**y + 2**x + x ** R(1, 3) - x**-2,
     lambda p: p["x"] ** p["y"] + 2 ** p["x"] + mpmath.cbrt(p["x"]) - p["x"] ** -2, {"x": R(3, 2), "y": R(5, 2)}),
    ("-x / y - e^x * pi", -x / y - sympy.exp(x) * sympy.pi, lambda p: -p["x"] / p["y"] - mpmath.e ** p["x"] * mpmath.pi,
     {"x": 2, "y": -7}),
]


@pytest.mark.parametrize("text, expression, mp_function, point", OPERATION_CASES, ids=[c[0] for c in OPERATION_CASES])
def test_every_operation_against_sympy_and_finite_differences(text, expression, mp_function, point):
    point = {name: sympy.Integer(v) if isinstance(v, int) else v for name, v in point.items()}
    r = symback.backprop(problem(text, point))
    check_against_routes(r, expression, mp_function, point)
    decimals = r.decimals(20)
    with mpmath.workdps(60):
        at = {name: mpmath.mpf(v.p) / v.q for name, v in point.items()}
        assert decimals["f"] == Context(prec=20, rounding=ROUND_HALF_UP).plus(Decimal(mpmath.nstr(mp_function(at), 50)))
        for name in point:
            derivative = mpmath.diff(lambda v: mp_function({**at, name: v}), at[name])
            rounded = Context(prec=20, rounding=ROUND_HALF_UP).plus(Decimal(mpmath.nstr(derivative, 50)))
            assert decimals[f"df/d{name}"] == rounded, name


def test_every_registered_operation_is_covered():
    written = " ".join(case[0] for case in OPERATION_CASES)
    used = {"add": "+", "sub": "-", "mul": "*", "div": "/", "neg": "-x", "pow": "^", "id": ""}
    for name in OPERATIONS:
        assert used.get(name, name) in written, name


# --- a loss around f; SGD --------------------------------------------------------------------------------------------

def test_loss_around_the_expression():
    p = problem(CS231N, {"x": 3, "y": -4}, loss="squared_error")
    r = symback.backprop(p, y=1)
    assert r.nodes[-1].name == "L" and r.nodes[-1].operation == "loss" and r.top == "L"
    whole = (cs231n_expression() - 1) ** 2
    check = {x: 3, y: -4}
    assert close(r.loss, whole.subs(check))
    for name in ("x", "y"):
        assert close(r.grad[name], sympy.diff(whole, SYMBOLS[name]).subs(check))
        assert close(r.values[f"dL/d{name}"], r.grad[name])
    assert close(r.values["dL/df"], 2 * (cs231n_expression().subs(check) - 1))
    assert symback.backprop(p).loss is None  # no target: the gradient of f itself
    assert symback.backprop(p).top == "f"
    bce = symback.backprop(problem("sigmoid(x*y)", {"x": 1, "y": 2}, loss="binary_cross_entropy"), y=1)
    assert close(bce.grad["x"], sympy.diff(-sympy.log(sigmoid(x * y)), x).subs({x: 1, y: 2}))


def test_sgd_updates_the_parameters_exactly():
    p = problem("w * x + w^2", {"w": 2, "x": 3}, params=["w"], loss="half_squared_error")
    r = symback.backprop(p, y=1)
    # f = 2·3 + 4 = 10, L = ½(f − 1)², dL/dw = (f − 1)(x + 2w) = 9 · 7 = 63
    assert r.grad["w"] == 63
    assert symback.sgd(p, r.grad, lr="1/10") == {"w": 2 - R(63, 10)}
    again = symback.backprop(p, y=1, parameters=symback.sgd(p, r.grad, lr="1/10"))
    assert again.point["w"] == R(-43, 10)
    everything = problem("w * x", {"w": 2, "x": 3})
    assert symback.sgd(everything, symback.backprop(everything).grad, lr=1) == {"w": -1, "x": 1}
    with pytest.raises(ArgumentError, match="unknown variable 'v'"):
        symback.sgd(p, {"v": 1}, lr=1)


def test_values_override_at_and_bad_arguments_are_one_line():
    p = problem("x * y", {"x": 3, "y": -4})
    assert dict(symback.backprop(p, values={"y": 0.5}).grad) == {"x": R(1, 2), "y": 3}
    for call, message in [
        (lambda: symback.backprop(p, values={"q": 1}), "unknown variable 'q'"),
        (lambda: symback.backprop(p, x=[1]), "no input x"),
        (lambda: symback.backprop(p, y=1), "no \\[loss\\]"),
        (lambda: symback.backprop(p, activation={1: "relu"}), "no layers"),
        (lambda: symback.backprop(p, values={"x": "1/0"}), "division by zero"),
        (lambda: symback.backprop(p).decimals(0), "digits"),
    ]:
        with pytest.raises(ArgumentError, match=message) as caught:
            call()
        assert "\n" not in str(caught.value)


def test_exercise_values_and_target():
    p = symback.loads('title = "t"\n[expression]\nf = "x * y"\nat = { x = 3, y = -4 }\n[loss]\nkind = "squared_error"\n'
                      '[[exercises]]\nid = "1"\ntask = "gradient"\nvalues = { y = 2 }\ny = 1\n'
                      '[[exercises]]\nid = "2"\ntask = "forward"\n')
    r = backprop_exercise(p, "1")
    assert r.output == 6 and r.loss == 25 and dict(r.grad) == {"x": 20, "y": 30}
    assert backprop_exercise(p, "2").loss is None


# --- domain errors and hostile input ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text, at, message", [
    ("log(x - 1)", {"x": 1}, "node f = log(q1): log needs an argument > 0, but q1 = 0"),
    ("sqrt(x)", {"x": 0}, "node f = sqrt(x): sqrt needs an argument > 0 (its derivative is undefined at 0), but x = 0"),
    ("x / (y - 1)", {"x": 1, "y": 1}, "node f = x/q1: division by zero: q1 = 0"),
    ("x^(1/2)", {"x": -1}, "a negative number has no real power 1/2: x = -1"),
    ("y^x", {"x": 2, "y": -1}, "a power with a variable exponent needs a base > 0, but y = -1"),
    ("x^-1", {"x": 0}, "x = 0 raised to -1: division by zero"),
    ("tan(x)", {"x": "pi/2"}, "tan is undefined where cos = 0"),
    ("log(x, y)", {"x": 2, "y": 1}, "the base of log(a, base) must be > 0 and not 1, but y = 1"),
    ("exp(x)", {"x": 10**6}, "exp of an argument beyond ±10000"),
    ("x^100000", {"x": 12345}, f"more than {MAX_VALUE_DIGITS} digits"),
])
def test_domain_errors_name_the_node_in_one_line(text, at, message):
    with pytest.raises(DomainError) as caught:
        symback.backprop(problem(text, at))
    assert message in str(caught.value) and "\n" not in str(caught.value)
    assert str(caught.value).startswith("expression stage f, node ")
    assert isinstance(caught.value, SymbackError)


def test_domain_error_names_the_stage_and_the_loss():
    with pytest.raises(DomainError, match="expression stage b, node b = log"):
        symback.backprop(problem([("a", "x - 2"), ("b", "log(a)"), ("f", "b * x")], {"x": 2}))
    with pytest.raises(DomainError, match="binary_cross_entropy needs 0 < f < 1, but f = 2"):
        symback.backprop(problem("x", {"x": 2}, loss="binary_cross_entropy"), y=1)
    with pytest.raises(DomainError, match="needs targets between 0 and 1, got y = \\(2\\)"):
        symback.backprop(problem("sigmoid(x)", {"x": 2}, loss="binary_cross_entropy"), y=2)


def test_exact_values_cannot_explode():
    stages = [(f"s{i}", f"s{i - 1} * s{i - 1}" if i else "x * x") for i in range(40)] + [("f", "s39")]
    with no_hang(), pytest.raises(DomainError, match=f"more than {MAX_VALUE_DIGITS} digits"):
        symback.backprop(problem(stages, {"x": 12345}))


HOSTILE = [
    "__import__('os').system('true')", "x.__class__", "lambda: x", "x; y", "[x]", "x if y else 1", "x == y",
    "x" * 2500, "(" * 150 + "x" + ")" * 150, "exp(" * 9 + "x" + ")" * 9, "10^10^10 * x", "exp(10^6) + x",
    "x +", "sigmoid x", "x y", "1/0 + x", "log(0) * x", "sqrt(x, y)", "foo(x)", "max(x)", "e(x)",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_texts_are_rejected(text):
    with pytest.raises(ParseError) as caught:
        parse_tree(text, ["x", "y"])
    assert "\n" not in str(caught.value)
    with pytest.raises(ParseError):
        build_circuit(ExpressionSpec((("f", text),), {"x": 1, "y": 2}))
    toml = text.replace("\\", "\\\\").replace('"', '\\"')
    with pytest.raises(ProblemError):
        symback.loads(f'title = "t"\n[expression]\nf = "{toml}"\nat = {{ x = 1, y = 2 }}\n')


# --- decimals ----------------------------------------------------------------------------------------------------------

def test_decimals_are_correctly_rounded():
    r = symback.backprop(problem(CS231N, {"x": 3, "y": -4}))
    mp = {"x": mpmath.mpf(3), "y": mpmath.mpf(-4)}
    with mpmath.workdps(100):
        expected_values = {
            "q1": mp_sigmoid(mp["y"]), "q3": mp_sigmoid(mp["x"]), "q6": mp_sigmoid(mp["x"]) + 1,
            "f": cs231n_mpmath(mp),
            "df/dx": mpmath.diff(lambda v: cs231n_mpmath({"x": v, "y": mp["y"]}), mp["x"]),
            "df/dy": mpmath.diff(lambda v: cs231n_mpmath({"x": mp["x"], "y": v}), mp["y"]),
        }
        for digits in (3, 15, 40):
            decimals = r.decimals(digits)
            for name, value in expected_values.items():
                rounded = Context(prec=digits, rounding=ROUND_HALF_UP).plus(Decimal(mpmath.nstr(value, 90)))
                assert decimals[name] == rounded, (name, digits)
    assert r.decimals(5)["q4"] == Decimal(-1) and str(r.decimals(5)["q5"]) == "1"
    assert set(r.decimals(5)) == set(r.values)
    edges = r.edge_decimals(12)
    assert len(edges) == len(r.edges)
    for edge, rounded in zip(r.edges, edges):
        assert rounded.contribution == Context(prec=12, rounding=ROUND_HALF_UP).plus(
            Decimal(mpmath.nstr(numeric(edge.contribution, 40), 40)))


def test_exact_zero_decimals():
    r = symback.backprop(problem("max(x, y) * sin(x - x)", {"x": 1, "y": 2}))
    decimals = r.decimals(10)
    assert decimals["f"] == 0 and decimals["df/dy"] == 0


# --- random expressions ------------------------------------------------------------------------------------------------

UNARY = {  # name: (text, SymPy, mpmath)
    "neg": (lambda a: f"-({a})", lambda a: -a, lambda a: -a),
    "exp": (lambda a: f"exp(tanh({a}))", lambda a: sympy.exp(sympy.tanh(a)), lambda a: mpmath.exp(mpmath.tanh(a))),
    "sigmoid": (lambda a: f"sigmoid({a})", sigmoid, mp_sigmoid),
    "tanh": (lambda a: f"tanh({a})", sympy.tanh, mpmath.tanh),
    "sin": (lambda a: f"sin({a})", sympy.sin, mpmath.sin),
    "cos": (lambda a: f"cos({a})", sympy.cos, mpmath.cos),
    "atan": (lambda a: f"atan({a})", sympy.atan, mpmath.atan),
    "softplus": (lambda a: f"softplus({a})", lambda a: sympy.log(1 + sympy.exp(a)), lambda a: mpmath.log(1 + mpmath.exp(a))),
    "square": (lambda a: f"({a})^2", lambda a: a**2, lambda a: a**2),
    "log": (lambda a: f"log(1 + ({a})^2)", lambda a: sympy.log(1 + a**2), lambda a: mpmath.log(1 + a**2)),
    "sqrt": (lambda a: f"sqrt(1 + ({a})^2)", lambda a: sympy.sqrt(1 + a**2), lambda a: mpmath.sqrt(1 + a**2)),
    "relu": (lambda a: f"relu({a})", lambda a: sympy.Max(0, a), lambda a: max(0, a)),
    "abs": (lambda a: f"abs({a})", sympy.Abs, abs),
}
BINARY = {
    "add": (lambda a, b: f"({a}) + ({b})", lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: f"({a}) - ({b})", lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: f"({a}) * ({b})", lambda a, b: a * b, lambda a, b: a * b),
    "div": (lambda a, b: f"({a}) / (1 + ({b})^2)", lambda a, b: a / (1 + b**2), lambda a, b: a / (1 + b**2)),
    "pow": (lambda a, b: f"(1 + ({a})^2)^tanh({b})", lambda a, b: (1 + a**2) ** sympy.tanh(b),
            lambda a, b: (1 + a**2) ** mpmath.tanh(b)),
    "max": (lambda a, b: f"max({a}, {b})", sympy.Max, max),
    "min": (lambda a, b: f"min({a}, {b})", sympy.Min, min),
}
KINKED = {"relu", "abs", "max", "min"}
KINK_ARGUMENTS = {"relu": lambda a: [a, sympy.Integer(0)], "abs": lambda a: [a, sympy.Integer(0)], "max": lambda a, b: [a, b],
                  "min": lambda a, b: [a, b]}


@st.composite
def random_tree(draw, depth=4):
    """(text, SymPy expression, mpmath function, kinks): kinks lists the argument pairs of every kink."""
    kind = draw(st.sampled_from(["leaf", "unary", "binary", "binary"] if depth else ["leaf"]))
    if kind == "leaf":
        if draw(st.integers(0, 4)):
            name = draw(st.sampled_from("xyz"))
            return name, SYMBOLS[name], (lambda p, name=name: p[name]), []
        number = draw(st.sampled_from([1, 2, 3, R(1, 2)]))
        return f"({number})", sympy.Integer(number) if isinstance(number, int) else number, (
            lambda p, number=number: mpmath.mpf(number.p) / number.q if isinstance(number, R) else mpmath.mpf(number)), []
    table = UNARY if kind == "unary" else BINARY
    name = draw(st.sampled_from(sorted(table)))
    text, build, evaluate = table[name]
    parts = [draw(random_tree(depth - 1)) for _ in range(1 if kind == "unary" else 2)]
    kinks = [kink for part in parts for kink in part[3]]
    if name in KINKED:
        kinks.append(KINK_ARGUMENTS[name](*[part[1] for part in parts]))
    functions = [part[2] for part in parts]
    return (text(*[part[0] for part in parts]), build(*[part[1] for part in parts]),
            (lambda p: evaluate(*[f(p) for f in functions])), kinks)


def off_every_kink(kinks, point) -> bool:
    values = {SYMBOLS[name]: value for name, value in point.items()}
    for arguments in kinks:
        numbers = [numeric(argument.subs(values), 30) for argument in arguments]
        if abs(numbers[0] - numbers[1]) < mpmath.mpf(10) ** -15:
            return False
    return True


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(tree=random_tree(), numerators=st.lists(st.integers(-9, 9), min_size=3, max_size=3),
       denominators=st.lists(st.integers(1, 4), min_size=3, max_size=3), ties=st.sampled_from(["split", "first"]))
def test_random_expressions_against_sympy_and_finite_differences(tree, numerators, denominators, ties):
    text, expression, mp_function, kinks = tree
    point = {name: R(n, d) for name, n, d in zip("xyz", numerators, denominators)}
    assume(off_every_kink(kinks, point))  # finite differences and SymPy's diff need a point off the kinks
    r = symback.backprop(problem(text, point, ties=ties))
    check_against_routes(r, expression, mp_function, point)
