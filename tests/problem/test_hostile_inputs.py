"""Issue 14's tracebacks: each input ends in one line naming the file and the key, and exit code 2, or works where
it is legitimate (a sum of 1,000 terms, a file name with bytes that are not UTF-8). Each runs through the command
line in-process, on the shipped WS23 problem changed in one place; expected derivatives come from SymPy's diff of
a sum built in the test, never from the parser."""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import pytest
import sympy
from cli_helpers import run
from deadline import no_hang

import symback

WS23 = Path(__file__).resolve().parents[2] / "problems" / "ws23_backprop.toml"
SIGMOID_LAYER = 'activation = "sigmoid"'
EXERCISE_1_POINT = "x = [0, 0]\ny = 1"


def _ws23_with(tmp_path: Path, old: str, new: str, name: str = "p.toml") -> Path:
    text = WS23.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _one_line(capsys, *args) -> str:
    """Run symback; assert exit code 2 and one line on stderr that starts with "symback: "; return the line."""
    with no_hang():
        code, _, err = run(capsys, *args)
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("symback: "), err
    return err


def _solve(path: Path, tmp_path: Path) -> list:
    return ["solve", path, "--format", "md", "-o", tmp_path / "out"]


def _grad(path: Path) -> list:
    return ["grad", path, "--x", "2,3", "--y", "2"]


@pytest.mark.parametrize("number, problem", [
    ("9" * 4400, "an integer of 4400 digits"),  # past Python's 4,300 digits: tomllib's own int() fails
    ("1_" * 4400 + "1", "an integer of 4401 digits"),
], ids=["digits", "underscores"])
def test_an_integer_beyond_pythons_digit_limit_is_named_by_its_key(tmp_path, capsys, number, problem):
    path = _ws23_with(tmp_path, EXERCISE_1_POINT, f"x = [0, 0]\ny = {number}")
    for command in (_solve(path, tmp_path), _grad(path)):
        err = _one_line(capsys, *command)
        assert f"{path}: exercises[1].y: {problem}" in err and "line 30" in err
        assert "sys.set_int_max_str_digits" not in err  # Python's own advice never reaches a user


def test_an_integer_of_an_input_is_named_with_its_position(tmp_path, capsys):
    path = _ws23_with(tmp_path, EXERCISE_1_POINT, f"x = [{'9' * 4400}, 0]\ny = 1")
    assert f"{path}: exercises[1].x[1]: an integer of 4400 digits" in _one_line(capsys, *_solve(path, tmp_path))


@pytest.mark.parametrize("number, key, problem", [
    ("1." + "3" * 5000, "exercises[id=1].y", "more than 1000 digits"),  # it reached str() of a Rational
    ("1e" + "9" * 30, "exercises[1].y", "exponent is too large (it has 30 digits"),  # Decimal cannot hold it
    ("9" * 2000, "exercises[id=1].y", "more than 1000 digits"),  # below Python's limit, above symback's
], ids=["long-mantissa", "huge-exponent", "2000-digit-integer"])
def test_a_number_too_long_or_too_large_is_one_line(tmp_path, capsys, number, key, problem):
    path = _ws23_with(tmp_path, EXERCISE_1_POINT, f"x = [0, 0]\ny = {number}")
    for command in (_solve(path, tmp_path), _grad(path)):
        err = _one_line(capsys, *command)
        assert f"{path}: {key}: " in err and problem in err


@pytest.mark.parametrize("exponent", ["9" * 30, "-" + "9" * 30, "10000000000000000000"], ids=["30", "-30", "10^19"])
def test_an_activation_with_a_huge_power_is_refused_when_read(tmp_path, capsys, exponent):
    """z^n with n past 10^18: SymEngine computes no power with such an exponent (its RuntimeError leaked)."""
    path = _ws23_with(tmp_path, SIGMOID_LAYER, f'activation = "z^{exponent}"')
    for command in (_solve(path, tmp_path), _grad(path)):
        err = _one_line(capsys, *command)
        assert f"{path}: network.layers[1].activation: " in err and "exponent too large" in err
        assert "RuntimeError" not in err and "powint" not in err


@pytest.mark.parametrize("exponent", [10**12, 10**4])
def test_an_activation_power_too_large_at_its_point_is_one_line(tmp_path, capsys, exponent):
    """z^n at z = 2: 2^(10^12) would take SymEngine hours, 2^10000 has 3011 digits and L = (ŷ − y)² twice that,
    more than Python writes as text; both are the engine's own refusal, naming what grows too large."""
    path = _ws23_with(tmp_path, SIGMOID_LAYER, f'activation = "z^{exponent}"')
    err = _one_line(capsys, *_grad(path))
    assert "the exact value would have more than 4000 digits" in err


def test_an_activation_power_within_the_limits_is_computed(tmp_path, capsys):
    """z^1000 at z = 2 (302 digits): computed, the gradient held against SymPy's diff of the network written here."""
    path = _ws23_with(tmp_path, SIGMOID_LAYER, 'activation = "z^1000"')
    code, out, err = run(capsys, *_grad(path))
    assert code == 0, err
    a11, a12, a21, a22, b11, b12, x1, x2 = sympy.symbols("a11 a12 a21 a22 b11 b12 x1 x2")
    yhat = b11 * (a11 * x1 + a12 * x2) ** 1000 + b12 * (a21 * x1 + a22 * x2) ** 1000
    point = {a11: 1, a12: 0, a21: -2, a22: 1, b11: 1, b12: -1, x1: 2, x2: 3}
    expected = sympy.diff((yhat - 2) ** 2, b11).subs(point)
    assert f"dL/db11 = {expected} ≈ " in out


def test_a_claim_of_an_unknown_quantity_is_one_line(tmp_path, capsys):
    path = _ws23_with(tmp_path, "show = { yhat = 0 }", "show = { nope = 1 }")
    for command in (_solve(path, tmp_path), ["exercise", path, "3"], ["answers", path]):
        err = _one_line(capsys, *command)
        assert f"{path}: exercises[id=3].show: no quantity named 'nope'" in err


def test_a_claim_on_a_task_that_never_checks_it_is_one_line(tmp_path, capsys):
    """Exercise 7 (cross_entropy_analysis) computes nothing: its show was silently ignored."""
    path = _ws23_with(tmp_path, 'task = "cross_entropy_analysis"\n', 'task = "cross_entropy_analysis"\nshow = { nope = 1 }\n')
    err = _one_line(capsys, *_solve(path, tmp_path))
    assert f"{path}: exercises[id=7].show: show goes with task " in err and "not cross_entropy_analysis" in err


def test_a_file_name_that_is_not_utf8_is_shown_escaped(tmp_path, capsys):
    raw = os.fsdecode(b"ws\xff\xfe.toml")  # as a name read from a folder: the bytes become surrogates
    path = tmp_path / raw
    shutil.copy(WS23, path)
    code, out, err = run(capsys, *_solve(path, tmp_path))
    assert code == 0, err
    written = tmp_path / "out" / "ws\\xff\\xfe.md"
    assert f"wrote {written}" in out
    assert "Worked solution of `ws\\xff\\xfe.toml`" in written.read_text(encoding="utf-8")
    bad = tmp_path / os.fsdecode(b"bad\xff.toml")
    bad.write_text(WS23.read_text(encoding="utf-8").replace("show = { yhat = 0 }", "show = { nope = 1 }"),
                   encoding="utf-8")
    err = _one_line(capsys, *_solve(bad, tmp_path))
    assert f"{tmp_path}/bad\\xff.toml: exercises[id=3].show: " in err


def _sum_problem(tmp_path: Path, terms: list[str], at: str = "{ x = 3 }") -> Path:
    path = tmp_path / "sum.toml"
    path.write_text(f'title = "A long sum"\n[expression]\nf = "{"".join(terms).lstrip("+")}"\nat = {at}\n'
                    '[[exercises]]\nid = "1"\ntask = "gradient"\n', encoding="utf-8")
    return path


def test_a_sum_of_1000_terms_works(tmp_path, capsys):
    """f = x + x + … + x (the issue's reproducer, a tree 1,000 deep: RecursionError); df/dx from SymPy's diff."""
    x = sympy.Symbol("x")
    expected = sympy.diff(sympy.Add(*[x] * 1000), x)
    path = _sum_problem(tmp_path, ["+x"] * 1000)
    assert symback.backprop(symback.load(path)).grad["x"] == expected
    with no_hang():
        code, out, err = run(capsys, "exercise", path, "1")
    assert code == 0, err
    assert f"df/dx = {expected} (sum over its uses: " in out


@pytest.mark.slow  # about 10 s: the sheet's tables have a row per node and per wire
def test_the_sheet_of_a_sum_of_1000_terms_is_written(tmp_path, capsys):
    x = sympy.Symbol("x")
    expected = sympy.diff(sympy.Add(*[x] * 1000), x)
    path = _sum_problem(tmp_path, ["+x"] * 1000)
    with no_hang():
        code, _, err = run(capsys, *_solve(path, tmp_path))
    assert code == 0, err
    sheet = (tmp_path / "out" / "sum.md").read_text("utf-8")
    assert rf"\frac{{\partial f}}{{\partial x}} &= {expected}" in sheet
    assert "f &= x + x + x + x" in sheet


@pytest.mark.slow
def test_a_long_sum_with_both_signs_works(tmp_path, capsys):
    """900 terms ±x and ±y at random: a chain of sums and differences, as deep as it is long."""
    rng = random.Random(14)
    terms = [rng.choice(["+x", "-x", "+y", "-y"]) for _ in range(900)]
    x, y = sympy.symbols("x y")
    whole = sympy.Add(*[(-1 if term[0] == "-" else 1) * (x if term[1] == "x" else y) for term in terms])
    path = _sum_problem(tmp_path, terms, at="{ x = 3, y = 2 }")
    grad = symback.backprop(symback.load(path)).grad
    assert grad == {"x": sympy.diff(whole, x), "y": sympy.diff(whole, y)}
    with no_hang():
        code, out, err = run(capsys, "exercise", path, "1")
    assert code == 0, err
    assert f"df/dx = {sympy.diff(whole, x)}" in out and f"df/dy = {sympy.diff(whole, y)}" in out


NAMED = {  # each place a file names something, with the key its refusal names
    "input": (('title = "t"\n[network]\ninputs = ["NAME", "x2"]\n[[network.layers]]\nweights = "A"\n'
               'values = [[1, 2]]\nactivation = "identity"\n[loss]\nkind = "squared_error"\n'), "network.inputs[1]"),
    "parameter": (('title = "t"\n[network]\ninputs = 1\n[[network.layers]]\nweights = [["NAME"]]\n'
                   'activation = "identity"\n[parameters]\nNAME = 2\n[loss]\nkind = "squared_error"\n'),
                  "network.layers[1].weights"),
    "variable": ('title = "t"\n[expression]\nf = "NAME * 2"\nat = { NAME = 3 }\n', "expression.at.NAME"),
    "stage": ('title = "t"\n[expression]\nstages = ["NAME = x * 2", "f = NAME + 1"]\nat = { x = 3 }\n',
              "expression.stages"),
}


@pytest.mark.parametrize("place", NAMED)
def test_a_name_of_more_than_12_characters_is_refused_where_it_is_named(place):
    """A sheet prints a name whole in a table's column: 12 characters fit, 13 are one line naming the key."""
    source, key = NAMED[place]
    fits = "n" + "a" * 11
    problem = symback.loads(source.replace("NAME", fits))
    assert fits in problem_names(problem)
    too_long = fits + "m"
    with pytest.raises(symback.errors.ProblemError) as refused:
        symback.loads(source.replace("NAME", too_long))
    message = str(refused.value)
    assert message.startswith("<string>: " + key.replace("NAME", too_long)) and "at most 12 characters (it has 13)" in message


def problem_names(problem) -> set[str]:
    """Every name the problem defines, read back from its graph."""
    return {node.name for node in symback.backprop(problem, **({"x": [1, 1][:len(problem.network.inputs)],
                                                                "y": 0} if problem.network else {})).nodes}


@pytest.mark.parametrize("old, new, key_start", [
    ('kind = "squared_error"', 'kind = "squared_error"\n"' + "z+" * 2000 + 'z" = 1', 'loss."z+z+z+'),
    ('title = ', '"' + "sin(" * 300 + "z" + ")" * 300 + '" = 1\ntitle = ', '"sin(sin(sin('),
    ('kind = "squared_error"', 'kind = "' + "q" * 5000 + '"', "loss.kind"),
], ids=["long-key", "long-top-level-key", "long-unknown-loss"])
def test_a_long_text_from_the_file_is_shortened_in_the_error_line(tmp_path, capsys, old, new, key_start):
    path = _ws23_with(tmp_path, old, new)
    err = _one_line(capsys, *_solve(path, tmp_path))
    assert len(err) < len(str(path)) + 400, err  # before: the whole text, up to 20,000 characters
    assert f"{path}: {key_start}" in err
    assert " characters)" in err  # the shortened text says how long it was
