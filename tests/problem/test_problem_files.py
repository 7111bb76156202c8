"""Tests for the problem-file loader: the format as documented, and every way a file can be wrong."""

from __future__ import annotations

import copy
import decimal
from fractions import Fraction
from pathlib import Path

import pytest
import sympy
from deadline import no_hang
from docs_examples import documented_examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symback.errors import ProblemError
from symback.problem.load import load, loads
from symback.problem.model import ActivationSpec, LossSpec

EXAMPLE = """\
title = "Backpropagation, winter semester 23 (reconstruction)"

[network]
inputs = ["x1", "x2"]          # or a count: inputs = 2  (names x1..xn)

[[network.layers]]
weights = "A"                  # a letter: entries a11 a12 / a21 a22
values = [[1, 0], [-2, 1]]
activation = "sigmoid"

[[network.layers]]
weights = "B"
values = [[1, -1]]
activation = "identity"

[loss]
kind = "squared_error"         # (ŷ − y)²

[[exercises]]
id = "6"
task = "sgd"
x = [1, 3]
y = 2
lr = 3.14
params = ["a11", "a12", "a21", "a22"]
activation = { "1" = "zero" }  # override for this exercise: layer 1's f is the constant 0
"""

# One layer given entry by entry, with values under [parameters]; other tests vary it.
ENTRIES = """\
title = "entry by entry"

[network]
inputs = 2

[[network.layers]]
weights = [["w1", "w2"], ["w2", "1/3"]]
bias = ["c", "c"]
activation = "tanh"

[[network.layers]]
weights = [["v", 0.5]]
activation = "identity"

[parameters]
w1 = 0.5
w2 = "-4/5"
c = 0
v = 2

[loss]
kind = "half_squared_error"
"""


def variant(text: str, old: str, new: str) -> str:
    """``text`` with the one occurrence of ``old`` replaced (so a typo in a test fails loudly)."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def exact(literal: str) -> sympy.Rational:
    """The exact value of a decimal literal, computed without the code under test."""
    fraction = Fraction(literal)
    return sympy.Rational(fraction.numerator, fraction.denominator)


def letter_names(letter: str, rows: int, columns: int) -> list[list[str]]:
    """The naming rule of the spec, written independently of the loader."""
    small = rows < 10 and columns < 10
    return [
        [letter.lower() + (f"{r}{c}" if small else f"{r}_{c}") for c in range(1, columns + 1)]
        for r in range(1, rows + 1)
    ]


def problem_error(text: str, source: str = "sheet.toml") -> ProblemError:
    with pytest.raises(ProblemError) as caught:
        loads(text, source=source)
    return caught.value


# --- the example from the specification --------------------------------------------------------------------------


def test_example_loads_as_written():
    problem = loads(EXAMPLE, source="ws23.toml")
    net = problem.network
    assert problem.title == "Backpropagation, winter semester 23 (reconstruction)"
    assert problem.source == "ws23.toml" and problem.notes is None and problem.digits == 4
    assert net.inputs == ("x1", "x2")
    first, second = net.layers
    assert first.weights == (("a11", "a12"), ("a21", "a22"))
    assert second.weights == (("b11", "b12"),)
    assert (first.units, first.fan_in, second.units, second.fan_in) == (2, 2, 1, 2)
    assert (first.weights_label, second.weights_label) == ("A", "B")
    assert first.bias is None and second.bias is None
    assert first.activation == ActivationSpec("sigmoid") and second.activation == ActivationSpec("identity")
    assert dict(net.parameters) == {"a11": 1, "a12": 0, "a21": -2, "a22": 1, "b11": 1, "b12": -1}
    assert net.trainable == ("a11", "a12", "a21", "a22", "b11", "b12") and net.frozen == frozenset()
    assert problem.loss == LossSpec("squared_error")
    (exercise,) = problem.exercises
    assert exercise.id == "6" and exercise.task == "sgd"
    assert exercise.x == (1, 3) and exercise.y == (2,)
    assert exercise.lr == exact("3.14")
    assert exercise.params == ("a11", "a12", "a21", "a22")
    assert dict(exercise.activations) == {1: ActivationSpec("zero")}
    assert exercise.loss is None and dict(exercise.show) == {} and exercise.text is None
    assert problem.exercise("6") is exercise


def test_example_loads_from_a_file(tmp_path):
    path = tmp_path / "ws23.toml"
    path.write_text(EXAMPLE, encoding="utf-8")
    assert load(path).source == str(path)
    assert load(str(path)).network.parameters["a21"] == -2


def test_floats_stay_exact():
    problem = loads(variant(EXAMPLE, "lr = 3.14", "lr = 2.12"))
    assert problem.exercises[0].lr == exact("2.12") == sympy.Rational(53, 25)
    assert isinstance(problem.exercises[0].lr, sympy.Rational)
    problem = loads(variant(EXAMPLE, "[[1, -1]]", "[[0.1, 1e-3]]"))
    assert problem.network.parameters["b11"] == exact("0.1")
    assert problem.network.parameters["b12"] == sympy.Rational(1, 1000)


@pytest.mark.parametrize(
    "written, expected",
    [("1/3", sympy.Rational(1, 3)), ("-4/5", sympy.Rational(-4, 5)), ("e", sympy.E), ("pi", sympy.pi),
     ("sqrt(2)", sympy.sqrt(2)), ("exp(-1)", sympy.exp(-1))],
)
def test_number_strings(written, expected):
    problem = loads(variant(EXAMPLE, "[[1, -1]]", f'[[1, "{written}"]]'))
    assert problem.network.parameters["b12"] == expected


# --- the network ------------------------------------------------------------------------------------------------


def test_inputs_as_a_count():
    text = variant(EXAMPLE, 'inputs = ["x1", "x2"]', "inputs = 2")
    assert loads(text).network.inputs == ("x1", "x2")
    one = variant(EXAMPLE, 'inputs = ["x1", "x2"]', "inputs = 1")
    one = variant(variant(one, "[[1, 0], [-2, 1]]", "[[1], [-2]]"), "x = [1, 3]", "x = 5")
    one = variant(one, '["a11", "a12", "a21", "a22"]', '["a11", "a21"]')
    problem = loads(one)
    assert problem.network.inputs == ("x1",) and problem.exercises[0].x == (5,)


def test_named_inputs():
    problem = loads(variant(EXAMPLE, 'inputs = ["x1", "x2"]', 'inputs = ["height", "width"]'))
    assert problem.network.inputs == ("height", "width")


def test_entry_by_entry_tied_names_and_constants():
    net = loads(ENTRIES).network
    first, second = net.layers
    assert first.weights == (("w1", "w2"), ("w2", sympy.Rational(1, 3)))
    assert second.weights == (("v", sympy.Rational(1, 2)),)
    assert first.bias == ("c", "c") and first.bias_label is None and first.weights_label is None
    # a tied name is one parameter, listed where it first appears
    assert list(net.parameters) == ["w1", "w2", "c", "v"]
    assert dict(net.parameters) == {"w1": exact("0.5"), "w2": sympy.Rational(-4, 5), "c": 0, "v": 2}


def test_constants_in_a_matrix():
    text = variant(ENTRIES, '[["w1", "w2"], ["w2", "1/3"]]', '[["w1", "pi"], ["e", "sqrt(2)"]]')
    text = variant(text, 'w2 = "-4/5"\n', "")
    first = loads(text).network.layers[0]
    assert first.weights == (("w1", sympy.pi), (sympy.E, sympy.sqrt(2)))


def test_bias_by_letter():
    text = variant(EXAMPLE, 'activation = "sigmoid"', 'bias = "c"\nbias_values = [0.5, "-1/2"]\nactivation = "sigmoid"')
    net = loads(text).network
    first = net.layers[0]
    assert first.bias == ("c1", "c2") and first.bias_label == "c"
    assert net.parameters["c1"] == exact("0.5") and net.parameters["c2"] == sympy.Rational(-1, 2)
    assert list(net.parameters) == ["a11", "a12", "a21", "a22", "c1", "c2", "b11", "b12"]


def test_bias_entry_by_entry_with_constant():
    text = variant(ENTRIES, 'bias = ["c", "c"]', 'bias = ["c", "1/2"]')
    assert loads(text).network.layers[0].bias == ("c", sympy.Rational(1, 2))


def test_frozen():
    text = variant(ENTRIES, "inputs = 2", 'inputs = 2\nfrozen = ["c"]')
    net = loads(text).network
    assert net.frozen == frozenset({"c"}) and net.trainable == ("w1", "w2", "v")


@pytest.mark.parametrize("rows, columns", [(10, 3), (3, 10), (9, 9), (1, 1), (12, 12)])
def test_large_matrix_names(rows, columns):
    values = [[r * columns + c for c in range(columns)] for r in range(rows)]
    text = f"""
title = "sizes"
[network]
inputs = {columns}
[[network.layers]]
weights = "A"
values = {values}
activation = "relu"
[loss]
kind = "squared_error"
"""
    net = loads(text).network
    expected = letter_names("A", rows, columns)
    assert [list(row) for row in net.layers[0].weights] == expected
    assert net.parameters[expected[-1][-1]] == rows * columns - 1
    if rows == 10 and columns == 3:
        assert net.layers[0].weights[9][2] == "a10_3" and net.layers[0].weights[0][0] == "a1_1"


def test_lower_case_letter_names_the_same_entries():
    net = loads(variant(EXAMPLE, 'weights = "A"', 'weights = "a"')).network
    assert net.layers[0].weights[1][0] == "a21" and net.layers[0].weights_label == "a"


def test_activation_forms():
    leaky = 'activation = { kind = "leaky_relu", slope = 0.1, derivative_at_zero = 0 }'
    text = variant(EXAMPLE, 'activation = "sigmoid"', leaky)
    assert loads(text).network.layers[0].activation == ActivationSpec("leaky_relu", exact("0.1"), sympy.Integer(0))
    text = variant(EXAMPLE, 'activation = "sigmoid"', 'activation = "relu"\nderivative_at_zero = "1/2"')
    assert loads(text).network.layers[0].activation == ActivationSpec("relu", derivative_at_zero=sympy.Rational(1, 2))
    text = variant(EXAMPLE, 'activation = "sigmoid"', 'activation = "leaky_relu"\nslope = "1/5"')
    assert loads(text).network.layers[0].activation == ActivationSpec("leaky_relu", slope=sympy.Rational(1, 5))
    text = variant(EXAMPLE, 'activation = "sigmoid"', 'activation = "leaky_relu"')
    assert loads(text).network.layers[0].activation == ActivationSpec("leaky_relu")  # slope 1/100 by the registry
    text = variant(EXAMPLE, 'activation = "sigmoid"', 'activation = "z/(1+abs(z))"')
    assert loads(text).network.layers[0].activation == ActivationSpec("custom", expression="z/(1+abs(z))")
    text = variant(EXAMPLE, 'activation = "sigmoid"', 'activation = { kind = "custom", expression = "z^2" }')
    assert loads(text).network.layers[0].activation == ActivationSpec("custom", expression="z^2")
    text = variant(EXAMPLE, 'activation = "sigmoid"', 'activation = "z"')
    assert loads(text).network.layers[0].activation == ActivationSpec("custom", expression="z")


@pytest.mark.parametrize("kind", ["sigmoid", "tanh", "relu", "leaky_relu", "identity", "softplus", "zero"])
def test_every_known_activation(kind):
    assert loads(variant(EXAMPLE, '"sigmoid"', f'"{kind}"')).network.layers[0].activation.kind == kind


@pytest.mark.parametrize(
    "kind",
    ["squared_error", "half_squared_error", "mean_squared_error", "binary_cross_entropy", "softmax_cross_entropy"],
)
def test_every_known_loss(kind):
    assert loads(variant(EXAMPLE, 'kind = "squared_error"', f'kind = "{kind}"')).loss == LossSpec(kind)


def test_top_level_options():
    text = variant(EXAMPLE, "\n[network]", 'notes = "from memory"\ndigits = 6\n\n[network]')
    problem = loads(text)
    assert problem.notes == "from memory" and problem.digits == 6


def test_no_exercises():
    text = EXAMPLE[: EXAMPLE.index("[[exercises]]")]
    assert loads(text).exercises == ()
    assert loads("exercises = []\n" + text).exercises == ()


# --- exercises --------------------------------------------------------------------------------------------------

MORE_EXERCISES = """
[[exercises]]
id = 7
task = "gradient"
at = "6"
params = "all"
text = "Compute the gradient at the same point."
loss = "half_squared_error"
activation = { "2" = { kind = "custom", expression = "z^3" }, "1" = "relu" }

[[exercises]]
id = "7b"
task = "forward"
at = 7
x = [0, 0]
show = { yhat = 0, z1 = "1/2" }

[[exercises]]
id = "8"
task = "cross_entropy_analysis"
"""


def test_at_overrides_show_text_and_loss():
    problem = loads(EXAMPLE + MORE_EXERCISES)
    six, seven, seven_b, eight = problem.exercises
    assert [e.id for e in problem.exercises] == ["6", "7", "7b", "8"]
    assert (seven.x, seven.y, seven.lr, seven.params) == (six.x, six.y, None, None)
    assert seven.text == "Compute the gradient at the same point."
    assert seven.loss == LossSpec("half_squared_error")
    assert dict(seven.activations) == {1: ActivationSpec("relu"), 2: ActivationSpec("custom", expression="z^3")}
    assert seven_b.x == (0, 0) and seven_b.y == six.y  # x given here, y from the exercise named by at
    assert dict(seven_b.show) == {"yhat": 0, "z1": sympy.Rational(1, 2)}
    assert (eight.x, eight.y, eight.lr) == (None, None, None)


def test_several_outputs():
    text = variant(EXAMPLE, "values = [[1, -1]]", "values = [[1, -1], [0, 2]]")
    text = variant(text, "y = 2", "y = [2, -1]")
    assert loads(text).exercises[0].y == (2, -1)


def test_frozen_parameter_may_be_asked_for_outside_sgd():
    text = variant(ENTRIES, "inputs = 2", 'inputs = 2\nfrozen = ["c"]')
    text += '\n[[exercises]]\nid = "1"\ntask = "gradient"\nx = [1, 1]\ny = 0\nparams = ["c", "w1"]\n'
    assert loads(text).exercises[0].params == ("c", "w1")


# --- broken and hostile files -----------------------------------------------------------------------------------

FROZEN_SGD = variant(ENTRIES, "inputs = 2", 'inputs = 2\nfrozen = ["c"]') + (
    '\n[[exercises]]\nid = "1"\ntask = "sgd"\nx = [1, 1]\ny = 0\nlr = 1\nparams = ["w1", "c"]\n'
)

BROKEN = [
    # (text, key, part of the message)
    (variant(EXAMPLE, '"sigmoid"', '"sigmoidd"'), "network.layers[1].activation",
     "unknown activation 'sigmoidd' (known: sigmoid, tanh, relu, leaky_relu, identity, softplus, zero; "
     'or an expression in z such as "z/(1+abs(z))")'),
    (variant(EXAMPLE, '"sigmoid"', '{ kind = "sigmoidd" }'), "network.layers[1].activation.kind",
     "unknown activation 'sigmoidd'"),
    (variant(EXAMPLE, '"sigmoid"', '"z +* 2"'), "network.layers[1].activation", "cannot read the activation"),
    (variant(EXAMPLE, '"sigmoid"', '"custom"'), "network.layers[1].activation", "expression"),
    (variant(EXAMPLE, '"sigmoid"', '{ kind = "custom" }'), "network.layers[1].activation.expression",
     "missing key 'expression'"),
    (variant(EXAMPLE, 'activation = "sigmoid"\n', ""), "network.layers[1].activation", "missing key 'activation'"),
    (variant(EXAMPLE, 'activation = "sigmoid"', 'activation = "sigmoid"\nslope = 0.1'), "network.layers[1].slope",
     "leaky_relu"),
    (variant(EXAMPLE, 'activation = "sigmoid"', 'activation = { kind = "tanh", derivative_at_zero = 0 }'),
     "network.layers[1].activation.derivative_at_zero", "relu"),
    (variant(EXAMPLE, "[[1, 0], [-2, 1]]", "[[1, 0, 2], [-2, 1, 3]]"), "network.layers[1].values",
     "shape mismatch: 2×3 matrix but layer 1 receives 2 inputs"),
    (variant(EXAMPLE, "[[1, -1]]", "[[1, -1, 0]]"), "network.layers[2].values",
     "shape mismatch: 1×3 matrix but layer 2 receives 2 inputs"),
    (variant(EXAMPLE, "[[1, 0], [-2, 1]]", "[[1, 0], [-2]]"), "network.layers[1].values[2]", "not rectangular"),
    (variant(EXAMPLE, "[[1, 0], [-2, 1]]", "[1, 0]"), "network.layers[1].values[1]", "expected a row"),
    (variant(EXAMPLE, "values = [[1, -1]]\n", ""), "network.layers[2].values", "missing value"),
    (variant(ENTRIES, "v = 2\n", ""), "parameters.v", "missing value for parameter 'v'"),
    (variant(ENTRIES, "v = 2", "v = 2\nw9 = 1"), "parameters.w9", "parameter 'w9' is not used by any layer"),
    (EXAMPLE + "\n[parameters]\na11 = 5\n", "parameters.a11", "value given twice"),
    (variant(EXAMPLE, 'weights = "B"', 'weights = "A"'), "network.layers[2].weights", "letter 'A' is used twice"),
    (variant(EXAMPLE, 'weights = "B"', 'weights = "a"'), "network.layers[2].weights", "used twice"),
    (variant(EXAMPLE, 'weights = "B"', 'weights = "BB"'), "network.layers[2].weights", "not a single letter"),
    (variant(EXAMPLE, 'weights = "B"', 'weights = "ß"'), "network.layers[2].weights", "not a single letter"),
    (variant(EXAMPLE, 'weights = "B"', 'weights = [["w", "v"]]'), "network.layers[2].values",
     "goes with a letter"),
    (variant(ENTRIES, '["w2", "1/3"]', '["a11", "1/3"]') + '\n[[network.layers]]\nweights = "A"\nvalues = [[1]]\n'
     'activation = "relu"\n', "network.layers[3].weights", "'a11'"),
    (variant(EXAMPLE, 'weights = "B"\nvalues = [[1, -1]]', 'weights = [["a11", "w"]]'),
     "network.layers[2].weights[1][1]",
     "'a11' is an entry of matrix A"),
    (variant(EXAMPLE, 'activation = "sigmoid"', 'activation = "sigmoid"\nbias_values = [1, 2]'),
     "network.layers[1].bias_values", "goes with a letter"),
    (variant(EXAMPLE, 'activation = "sigmoid"', 'bias = "c"\nactivation = "sigmoid"'),
     "network.layers[1].bias_values", "missing value"),
    (variant(EXAMPLE, 'activation = "sigmoid"', 'bias = "c"\nbias_values = [1]\nactivation = "sigmoid"'),
     "network.layers[1].bias_values", "expected 2 numbers"),
    (variant(ENTRIES, 'bias = ["c", "c"]', 'bias = ["c"]'), "network.layers[1].bias",
     "expected a letter or an array of 2"),
    (variant(EXAMPLE, 'inputs = ["x1", "x2"]', "inputs = 0"), "network.inputs", "from 1 to"),
    (variant(EXAMPLE, 'inputs = ["x1", "x2"]', 'inputs = ["x1", "x1"]'), "network.inputs[2]", "twice"),
    (variant(EXAMPLE, 'inputs = ["x1", "x2"]', 'inputs = ["x1", "pi"]'), "network.inputs[2]", "reserved"),
    (variant(EXAMPLE, 'inputs = ["x1", "x2"]', 'inputs = ["x1", "2x"]'), "network.inputs[2]", "not a valid input name"),
    (variant(ENTRIES, '["v", 0.5]', '["L", 0.5]'), "network.layers[2].weights[1][1]", "'L' cannot be a parameter name"),
    (variant(ENTRIES, '["v", 0.5]', '["yhat2", 0.5]'), "network.layers[2].weights[1][1]", "yhat"),
    (variant(ENTRIES, '["v", 0.5]', '["exp", 0.5]'), "network.layers[2].weights[1][1]", "reserved"),
    (variant(ENTRIES, '["v", 0.5]', '["x1", 0.5]'), "network.layers[2].weights[1][1]", "it is an input"),
    (variant(ENTRIES, "inputs = 2", 'inputs = 2\nfrozen = ["w7"]'), "network.frozen[1]", "'w7' is not a parameter"),
    (FROZEN_SGD, "exercises[id=1].params[2]", "parameter 'c' is frozen"),
    (variant(EXAMPLE, '"a21", "a22"]', '"a21", "q"]'), "exercises[id=6].params[4]", "unknown parameter 'q'"),
    (variant(EXAMPLE, 'params = ["a11", "a12", "a21", "a22"]', 'params = ["a11", "a11"]'), "exercises[id=6].params[2]",
     "twice"),
    (variant(EXAMPLE, 'lr = 3.14\n', ""), "exercises[id=6].lr", "missing key 'lr' (task sgd needs it)"),
    (variant(EXAMPLE, 'y = 2\n', ""), "exercises[id=6].y", "missing key 'y' (task sgd needs it)"),
    (variant(EXAMPLE, 'task = "sgd"', 'task = "forward"\nat = "5"'), "exercises[id=6].at", "no earlier exercise"),
    (variant(EXAMPLE, 'task = "sgd"', 'task = "forward"\nat = "6"'), "exercises[id=6].at", "no earlier exercise"),
    (variant(EXAMPLE, 'task = "sgd"', 'task = "fit"'), "exercises[id=6].task", "unknown task 'fit'"),
    (variant(EXAMPLE, "lr = 3.14", "lr = -0.5"), "exercises[id=6].lr", "must be > 0"),
    (variant(EXAMPLE, "lr = 3.14", "lr = 0"), "exercises[id=6].lr", "must be > 0"),
    (variant(EXAMPLE, "lr = 3.14", 'lr = "1 - sqrt(2)"'), "exercises[id=6].lr", "must be > 0"),
    (variant(EXAMPLE, "lr = 3.14", "lr = inf"), "exercises[id=6].lr", "finite"),
    (variant(EXAMPLE, "lr = 3.14", "lr = nan"), "exercises[id=6].lr", "finite"),
    (variant(EXAMPLE, "lr = 3.14", "lr = 1e999999999"), "exercises[id=6].lr", "too large"),
    (variant(EXAMPLE, "x = [1, 3]", "x = [1, 3, 4]"), "exercises[id=6].x", "expected 2 numbers"),
    (variant(EXAMPLE, "x = [1, 3]", "x = 1"), "exercises[id=6].x", "expected an array of 2 numbers"),
    (variant(EXAMPLE, "y = 2", "y = [2, 3]"), "exercises[id=6].y", "expected 1 number (one per output), got an array of 2"),
    (variant(EXAMPLE, "y = 2", "y = true"), "exercises[id=6].y", "boolean"),
    (variant(EXAMPLE, "[[1, 0], [-2, 1]]", "[[true, 0], [-2, 1]]"), "network.layers[1].values[1][1]", "boolean"),
    (variant(ENTRIES, "v = 2", "v = false"), "parameters.v", "boolean"),
    (variant(EXAMPLE, "x = [1, 3]", "x = [1, 1979-05-27]"), "exercises[id=6].x[2]", "date"),
    (variant(EXAMPLE, '{ "1" = "zero" }', '{ "3" = "zero" }'), 'exercises[id=6].activation.3', "from 1 to 2"),
    (variant(EXAMPLE, '{ "1" = "zero" }', '{ "01" = "zero" }'), 'exercises[id=6].activation.01', "from 1 to 2"),
    (variant(EXAMPLE, '{ "1" = "zero" }', '"zero"'), "exercises[id=6].activation", "layer number"),
    (variant(EXAMPLE, "lr = 3.14", 'lr = 3.14\nloss = "l3"'), "exercises[id=6].loss", "unknown loss 'l3'"),
    (variant(EXAMPLE, "lr = 3.14", 'lr = 3.14\nshow = { "a b" = 1 }'), 'exercises[id=6].show."a b"',
     "not a quantity name"),
    (variant(EXAMPLE, 'kind = "squared_error"', 'kind = "l2"'), "loss.kind", "unknown loss 'l2' (known: squared_error"),
    (variant(EXAMPLE, 'kind = "squared_error"', 'knd = "squared_error"'), "loss.knd", "unknown key 'knd'"),
    (EXAMPLE.replace("[loss]\nkind = \"squared_error\"", ""), "loss", "missing key 'loss'"),
    (variant(EXAMPLE, 'activation = "sigmoid"', 'activaton = "sigmoid"'), "network.layers[1].activaton",
     "unknown key 'activaton' (expected one of: weights, values, bias, bias_values, activation"),
    (variant(EXAMPLE, "title =", "titel ="), "titel", "unknown key 'titel'"),
    (variant(EXAMPLE, "inputs = [", "input = ["), "network.input", "unknown key 'input'"),
    (variant(EXAMPLE, "lr = 3.14", "lr = 3.14\nrate = 1"), "exercises[id=6].rate", "unknown key 'rate'"),
    (EXAMPLE + '\n[[exercises]]\nid = 6\ntask = "cross_entropy_analysis"\n', "exercises[2].id",
     "duplicate exercise id '6' (exercise 1 has it too)"),
    (EXAMPLE + '\n[[exercises]]\ntask = "forward"\n', "exercises[2].id", "missing key 'id'"),
    (EXAMPLE + '\n[[exercises]]\nid = true\n', "exercises[2].id", "boolean"),
    (variant(EXAMPLE, "\n[network]", "digits = 0\n[network]"), "digits", "from 1 to 100"),
    (variant(EXAMPLE, "\n[network]", "digits = true\n[network]"), "digits", "boolean"),
    (variant(EXAMPLE, "title = ", "title = 3 #"), "title", "expected a string"),
    (variant(EXAMPLE, "title = ", "#"), "title", "missing key 'title'"),
    ("title = \n", "toml", "line 1"),
    (variant(EXAMPLE, 'kind = "squared_error"', 'kind = "a"\nkind = "b"'), "toml", "line 18"),
    ("a = " + "9" * 5000, "a", "an integer of 5000 digits (numbers may have at most 1000; line 1)"),
    ("a = " + "[" * 3000 + "]" * 3000, "toml", "nested too deeply"),
]


@pytest.mark.parametrize("text, key, message", BROKEN)
def test_broken_files(text, key, message):
    error = problem_error(text)
    assert str(error).startswith(f"sheet.toml: {key}: "), str(error)
    assert error.key == key and error.source == "sheet.toml"
    assert message in error.message, error.message


HOSTILE = [
    "__import__('os')",
    "os.system('x')",
    "e.__class__",
    "e.__class__.__mro__",
    "().__class__",
    "lambda: 1",
    "[1, 2]",
    "2**2**2**2**2**2**2",
    "9^9^9^9",
    "10^10^10",
    "(" * 500 + "1" + ")" * 500,
    "1" * 5000,
    "1e999999999",
    "1/0",
    "log(0)",
    "x1",
    "",
]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_number_strings_fail_fast(hostile):
    quoted = '"' + hostile.replace("\\", "\\\\").replace('"', '\\"') + '"'
    for old, new, key in [
        ("lr = 3.14", f"lr = {quoted}", "exercises[id=6].lr"),
        ("x = [1, 3]", f"x = [{quoted}, 3]", "exercises[id=6].x[1]"),
        ("[[1, -1]]", f"[[1, {quoted}]]", "network.layers[2].values[1][2]"),
    ]:
        with no_hang():
            error = problem_error(variant(EXAMPLE, old, new))
        assert str(error).startswith(f"sheet.toml: {key}: ")


def test_huge_but_valid_constants_do_not_crash():
    # exp(exp(exp(100))) is far beyond what any decimal pass can evaluate: refused, and by the right key
    cases = [
        ("lr = 3.14", 'lr = "exp(exp(exp(100)))"', "exercises[id=6].lr"),
        ("x = [1, 3]", 'x = ["exp(exp(exp(100)))", 3]', "exercises[id=6].x[1]"),
    ]
    for old, new, key in cases:
        try:
            loads(variant(EXAMPLE, old, new))
        except ProblemError as error:
            assert error.key == key


@pytest.mark.parametrize(
    "hostile", ["__import__('os')", "os.system('x')", "e.__class__", "z.__class__", "2**2**2**2**2**2**2"]
)
def test_hostile_activation_expressions(hostile):
    text = variant(EXAMPLE, 'activation = "sigmoid"', f'activation = "{hostile}"')
    with no_hang():
        error = problem_error(text)
    assert str(error).startswith("sheet.toml: network.layers[1].activation: ")


def test_file_errors(tmp_path):
    missing = tmp_path / "missing.toml"
    with pytest.raises(ProblemError) as caught:
        load(missing)
    assert str(caught.value).startswith(f"{missing}: file: ")
    binary = tmp_path / "latin1.toml"
    binary.write_bytes('title = "Übung"\n'.encode("latin-1"))
    with pytest.raises(ProblemError) as caught:
        load(binary)
    assert str(caught.value).startswith(f"{binary}: file: not UTF-8")
    with pytest.raises(ProblemError) as caught:
        load(tmp_path)
    assert caught.value.key == "file"


def test_byte_order_mark_is_tolerated(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + EXAMPLE.encode("utf-8"))
    assert load(path).title.startswith("Backpropagation")


# --- no other exception escapes -----------------------------------------------------------------------------------


def toml_string(text: str) -> str:
    escaped = []
    for char in text:
        if char in '"\\':
            escaped.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            escaped.append(f"\\u{ord(char):04x}")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, decimal.Decimal)):
        return str(value)
    if isinstance(value, float):
        return repr(value) if value == value and abs(value) != float("inf") else "nan"
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    return "{ " + ", ".join(f"{toml_string(k)} = {toml_value(v)}" for k, v in value.items()) + " }"


def toml_document(data: dict) -> str:
    """TOML text for a dict, every table written inline (so any nesting is possible)."""
    return "".join(f"{toml_string(key)} = {toml_value(value)}\n" for key, value in data.items())


def parsed_example() -> dict:
    import tomllib

    data = tomllib.loads(EXAMPLE + MORE_EXERCISES)
    data["network"]["layers"][0].update(bias="c", bias_values=[1, "1/2"])
    data["network"]["layers"].append({"weights": [["v"], ["w"]], "bias": ["u", 0], "activation": "relu"})
    data["network"]["frozen"] = ["u"]
    data["parameters"] = {"v": 1.5, "w": "-1/3", "u": 0}
    data["exercises"][0]["y"] = [1, 2]
    return data


def test_the_mutation_base_is_valid():
    loads(toml_document(parsed_example()))


NAMES = ["title", "notes", "digits", "network", "inputs", "layers", "weights", "values", "bias", "bias_values",
         "activation", "slope", "derivative_at_zero", "kind", "expression", "frozen", "loss", "parameters", "exercises",
         "id", "task", "text", "x", "y", "lr", "params", "show", "at", "1", "2", "a11", "c", "v", "yhat"]
WORDS = ["sigmoid", "relu", "leaky_relu", "custom", "zero", "sgd", "forward", "squared_error", "all", "A", "B", "c",
         "a11", "v", "u", "x1", "6", "7", "e", "pi", "1/3", "z^2", "sqrt(2)", "__import__('os')", "e.__class__",
         "2**2**2**2**2**2**2", "1/0", "L", "yhat"]
leaves = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False).map(float),
    st.booleans(),
    st.sampled_from(WORDS),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=8),
)
junk = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(NAMES), inner, max_size=4),
    max_leaves=12,
)


def paths(value, prefix=()):
    """Every path into nested dicts and lists, as tuples of keys and indices."""
    yield prefix
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        yield from paths(item, prefix + (key,))


def assert_loads_or_problem_error(text: str):
    try:
        loads(text, source="fuzz.toml")
    except ProblemError as error:
        assert str(error).startswith("fuzz.toml: ")


@pytest.mark.slow
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_problems_give_problem_errors_only(data):
    document = copy.deepcopy(parsed_example())
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(list(paths(document))[1:]))
        *parents, last = path
        container = document
        for step in parents:
            container = container[step]
        action = data.draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            container[last] = data.draw(junk)
        elif action == "delete":
            del container[last]
        elif isinstance(container[last], dict):
            container[last][data.draw(st.sampled_from(NAMES))] = data.draw(junk)
        elif isinstance(container[last], list):
            container[last].append(data.draw(junk))
    assert_loads_or_problem_error(toml_document(document))


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(NAMES), junk, max_size=8))
def test_random_documents_give_problem_errors_only(document):
    assert_loads_or_problem_error(toml_document(document))


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_edited_text_gives_problem_errors_only(data):
    text = EXAMPLE + MORE_EXERCISES
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(text)))
        insert = data.draw(st.sampled_from(['"', "[", "]", "=", "\n", "x", "1", ".", "-", "{", ",", "#", ""]))
        cut = data.draw(st.integers(0, 3))
        text = text[:position] + insert + text[position + cut:]
    assert_loads_or_problem_error(text)


# --- the documentation ------------------------------------------------------------------------------------------

def test_documentation_has_examples():
    assert len(documented_examples()) >= 10
    assert EXAMPLE.strip() in documented_examples()[0]


@pytest.mark.parametrize("number", range(len(documented_examples())))
def test_documented_examples_load(number):
    problem = loads(documented_examples()[number], source=f"docs example {number + 1}")
    assert problem.title


def test_a_data_target_outside_the_loss_is_named_by_its_key(tmp_path):
    text = (Path(__file__).resolve().parents[2] / "problems" / "xor_training.toml").read_text(encoding="utf-8")
    assert "y = [0, 1, 1, 0]" in text
    with pytest.raises(ProblemError, match=r"data\.y\[3\]: binary_cross_entropy needs targets between 0 and 1"):
        loads(text.replace("y = [0, 1, 1, 0]", "y = [0, 1, 2, 0]"))
