"""Speed guarded by counting work, never by the clock: parser calls per number, decimal passes, roundings per
value and precision, compilations per graph, wires walked one by one. Expected values come from an independent
route (fractions.Fraction of the text as written, a float64 pass written here)."""

from __future__ import annotations

import math
import random
from decimal import Decimal
from fractions import Fraction

import pytest
import sympy

import symback
from symback.engine import passes, result
from symback.engine.backprop import problem_graph
from symback.numbers import arithmetic, parse, rounding
from symback.numbers.arithmetic import DECIMAL


@pytest.fixture
def parser_calls(monkeypatch):
    """How often the general expression parser starts (a list, counted as it goes)."""
    calls = []
    original = parse.Parser.__init__

    def counting(self, text, names):
        calls.append(text)
        original(self, text, names)

    monkeypatch.setattr(parse.Parser, "__init__", counting)
    return calls


def _numbers(rng: random.Random, count: int) -> list[str]:
    """Plain numbers as people write them: decimals, fractions of them, exponents, integers."""
    shapes = [lambda: f"{rng.uniform(-1, 1):.3f}", lambda: f"{rng.randint(-9, 9)}/{rng.randint(1, 12)}",
              lambda: f"{rng.randint(1, 99)}e-{rng.randint(1, 4)}", lambda: str(rng.randint(-5, 5)),
              lambda: f"-{rng.randint(1, 9)}.{rng.randint(0, 99)}/{rng.randint(2, 9)}"]
    return [rng.choice(shapes)() for _ in range(count)]


def _fraction(text: str) -> Fraction:
    """A plain number's value by fractions.Fraction: one decimal, or a quotient of two."""
    top, _, bottom = text.partition("/")
    return Fraction(top) / Fraction(bottom or 1)


def _problem_text(rows: list[list[str]], bias: list[str], x: list[str], y: str, lr: str, named: str, quote: str) -> str:
    q = quote
    matrix = ", ".join("[" + ", ".join(f"{q}{v}{q}" for v in row) + "]" for row in rows)
    return f'''title = "counted"
[network]
inputs = {len(rows[0])}
[[network.layers]]
weights = "A"
values = [{matrix}]
bias = "c"
bias_values = [{", ".join(f"{q}{v}{q}" for v in bias)}]
activation = "sigmoid"
[[network.layers]]
weights = [[{", ".join(['"w"'] + [f"{q}{v}{q}" for v in bias[1:]])}]]
activation = "identity"
[parameters]
w = {q}{named}{q}
[loss]
kind = "squared_error"
[[exercises]]
id = "1"
task = "sgd"
x = [{", ".join(f"{q}{v}{q}" for v in x)}]
y = {q}{y}{q}
lr = {q}{lr}{q}
'''


def test_reading_a_file_of_quoted_numbers_never_calls_the_expression_parser(parser_calls):
    rng = random.Random(12)
    rows = [_numbers(rng, 6) for _ in range(5)]
    bias, x = _numbers(rng, 5), _numbers(rng, 6)
    problem = symback.loads(_problem_text(rows, bias, x, "0.25", "3/10", "-0.037", quote='"'))
    assert parser_calls == []
    values = problem.network.parameters
    expected = [_fraction(v) for row in rows for v in row]
    assert [Fraction(int(values[f"a{r}{c}"].p), int(values[f"a{r}{c}"].q)) for r in range(1, 6) for c in range(1, 7)] \
        == expected
    assert values["w"] == sympy.Rational(-37, 1000) and values["c2"] == sympy.Rational(_fraction(bias[1]))
    exercise = problem.exercise("1")
    assert list(exercise.x) == [sympy.Rational(_fraction(v)) for v in x] and exercise.lr == sympy.Rational(3, 10)


def test_toml_floats_are_the_decimals_as_written_and_never_parsed(parser_calls):
    rng = random.Random(13)
    rows = [[f"{rng.uniform(-1, 1):.3f}" for _ in range(4)] for _ in range(3)]
    problem = symback.loads(_problem_text(rows, ["0.1", "2.12", "1e-3"], ["0.1"] * 4, "0.3", "0.5", "2.12", quote=""))
    assert parser_calls == []
    values = problem.network.parameters
    assert values["c1"] == sympy.Rational(1, 10) and values["c2"] == sympy.Rational(53, 25)
    assert values["c3"] == sympy.Rational(1, 1000) and values["w"] == sympy.Rational(53, 25)
    assert values["a23"] == sympy.Rational(_fraction(rows[1][2]))


def test_a_real_expression_still_goes_through_the_parser(parser_calls):
    problem = symback.loads(_problem_text([["sqrt(2)/2", "1"]], ["1/3"], ["1", "2"], "1", "1", "pi", quote='"'))
    assert parser_calls == ["sqrt(2)/2", "pi"]  # the counter sees the parser; the plain numbers never reach it
    assert problem.network.parameters["a11"] == sympy.sqrt(2) / 2


def test_backprop_with_number_strings_calls_the_parser_zero_times(parser_calls):
    problem = symback.load("problems/ws23_backprop.toml")
    found = symback.backprop(problem, x=["0.5", "-3/10"], y="1e-1", parameters={"a22": "-0.037"})
    assert parser_calls == []
    assert found.x == (sympy.Rational(1, 2), sympy.Rational(-3, 10)) and found.y == (sympy.Rational(1, 10),)
    assert found.point["a22"] == sympy.Rational(-37, 1000)


def _mlp(sizes: list[int], seed: int) -> tuple[str, list[str], list[str]]:
    rng = random.Random(seed)
    lines = ['title = "mlp"', "[network]", f"inputs = {sizes[0]}"]
    for number, (fan_in, units) in enumerate(zip(sizes, sizes[1:])):
        rows = [[f'"{rng.uniform(-0.6, 0.6):.2f}"' for _ in range(fan_in)] for _ in range(units)]
        activation = "identity" if number == len(sizes) - 2 else "sigmoid"
        lines += ["[[network.layers]]", f'weights = "{"ABC"[number]}"',
                  "values = [" + ", ".join("[" + ", ".join(row) + "]" for row in rows) + "]",
                  f'activation = "{activation}"']
    lines += ["[loss]", 'kind = "squared_error"']
    x = [f"{rng.uniform(0.1, 1):.2f}" for _ in range(sizes[0])]
    y = [f"{rng.uniform(-1, 1):.2f}" for _ in range(sizes[-1])]
    return "\n".join(lines) + "\n", x, y


def _float64_gradients(problem, x: list[str], y: list[str]) -> dict[str, float]:
    """∂L/∂w of a sigmoid MLP with identity output and squared error, in float64, written out here."""
    network, values = problem.network, problem.network.parameters
    activations, pre = [[float(v) for v in x]], []
    for number, layer in enumerate(network.layers):
        w = [[float(values[name]) for name in row] for row in layer.weights]
        z = [sum(wi * hi for wi, hi in zip(row, activations[-1])) for row in w]
        pre.append(z)
        last = number == len(network.layers) - 1
        activations.append(z if last else [1 / (1 + math.exp(-zi)) for zi in z])
    delta = [2 * (o - float(t)) for o, t in zip(activations[-1], y)]
    gradients = {}
    for number in range(len(network.layers) - 1, -1, -1):
        layer, below = network.layers[number], activations[number]
        for row, d in zip(layer.weights, delta):
            gradients.update({name: d * h for name, h in zip(row, below)})
        if number:
            w = [[float(values[name]) for name in row] for row in layer.weights]
            back = [sum(w[k][j] * delta[k] for k in range(len(delta))) for j in range(len(below))]
            delta = [b * h * (1 - h) for b, h in zip(back, below)]
    return gradients


def test_decimals_take_two_passes_and_round_each_value_once_per_precision(monkeypatch):
    text, x, y = _mlp([6, 5, 4, 2], seed=3)
    found = symback.backprop(symback.loads(text), x=x, y=y)
    decimal_passes, roundings = [], []
    original_pass, original_context = result.compute_pass, rounding._rounding_context

    def counting_pass(graph, arithmetic, *args, **kwargs):
        if arithmetic is DECIMAL:
            decimal_passes.append(1)
        return original_pass(graph, arithmetic, *args, **kwargs)

    class CountingContext:
        def __init__(self, context):
            self.context = context

        def plus(self, value):
            roundings.append(1)
            return self.context.plus(value)

    monkeypatch.setattr(result, "compute_pass", counting_pass)
    monkeypatch.setattr(rounding, "_rounding_context", lambda digits: CountingContext(original_context(digits)))
    decimals = found.decimals(30)
    assert len(decimal_passes) == 2  # 42 digits, then 96: they agree
    assert len(roundings) <= len(decimal_passes) * len(decimals)  # each value rounded once per precision
    expected = _float64_gradients(found.problem, x, y)
    assert expected.keys() == dict(found.grad).keys()
    for name, value in expected.items():
        assert float(decimals[f"dL/d{name}"]) == pytest.approx(value, rel=1e-12, abs=1e-15)


def test_a_second_graph_of_the_same_network_compiles_no_rule_again(monkeypatch):
    text, x, y = _mlp([3, 4, 1], seed=4)
    problem = symback.loads(text)
    symback.backprop(problem, x=x, y=y).decimals(10)
    compiled = []
    original = arithmetic.compile_expression

    def counting(expression, variables, arithmetic_):
        compiled.append(expression)
        return original(expression, variables, arithmetic_)

    monkeypatch.setattr(passes, "compile_expression", counting)
    again = symback.backprop(problem, x=x, y=y)
    again.decimals(10)
    assert compiled == []
    assert again.graph is not problem_graph(problem)  # a new graph each time: the rules come from the cache


def test_a_layer_of_letter_weights_is_walked_back_as_one_block():
    text, x, y = _mlp([7, 5, 3], seed=5)
    problem = symback.loads(text)
    graph = problem_graph(problem)
    plan = graph.backward_plan()
    blocks = [entry[0] for entry in plan if entry[0] is not None]
    assert sum(stop - first for first, stop in blocks) == len(graph.parameters) == 7 * 5 + 5 * 3
    wires = sum(len(entry[1]) + len(entry[2]) for entry in plan)
    # one by one only: each h to its z (5), layer 2's sources (5 h per unit, 3 units), L's 3 outputs; no weight
    assert wires == 5 + 5 * 3 + 3
    found = symback.backprop(problem, x=x, y=y)
    expected = _float64_gradients(problem, x, y)
    for name, value in expected.items():
        assert float(found.grad[name]) == pytest.approx(value, rel=1e-12, abs=1e-15)


def test_exact_zeros_are_told_by_type_as_the_comparison_tells_them():
    values = [arithmetic.EXACT.from_sympy(sympy.Rational(3, 7)) * 0, arithmetic.EXACT.from_sympy(sympy.Integer(0)),
              arithmetic.EXACT.from_sympy(sympy.exp(-1)) - arithmetic.EXACT.from_sympy(sympy.exp(-1)),
              arithmetic.EXACT.from_sympy(sympy.Rational(1, 3)), arithmetic.EXACT.from_sympy(sympy.exp(-1) / 3)]
    assert [arithmetic.is_exact_zero(value) for value in values] == [value == 0 for value in values]
    assert [arithmetic.is_exact_zero(value) for value in values] == [True, True, True, False, False]
    assert arithmetic.is_exact_zero(Decimal(0)) and not arithmetic.is_exact_zero(sympy.Rational(1, 9))
