"""Size limits (symback.problem.limits): each one is refused one past it, naming its key, and allowed at it; the ones
read in the text refuse before the TOML reader runs; the command line raises them with ``--limit NAME=N``.

Inputs are built here, small: a limit is tested at a small value passed as ``Limits(...)``, and every count is the
one the test built (n exercises, an n × m matrix), not one read back from symback.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path

import pytest
from cli_helpers import run
from docs_examples import DOCS, documented_examples

import symback
from symback.errors import ArgumentError, ProblemError
from symback.numbers.parse import MAX_DIGITS, MAX_TEXT_LENGTH
from symback.problem.limits import Limits, limit_table

NETWORK = '''title = "limits"
[network]
inputs = {inputs}
{layers}
[loss]
kind = "squared_error"
'''


def matrix(rows: int, columns: int) -> str:
    return "[" + ", ".join("[" + ", ".join(["1"] * columns) + "]" for _ in range(rows)) + "]"


def layer(rows: int, columns: int, letter: str = "A", bias: bool = False) -> str:
    text = f'[[network.layers]]\nweights = "{letter}"\nvalues = {matrix(rows, columns)}\nactivation = "identity"\n'
    bias_letter = chr(ord(letter.lower()) + 13)  # A's bias is n, B's is o
    return text + (f'bias = "{bias_letter}"\nbias_values = {[1] * rows}\n' if bias else "")


def network(inputs: int, *sizes: int, bias: bool = False) -> str:
    """A network of ``inputs`` inputs and layers of these units, every entry 1."""
    fan_ins = (inputs, *sizes)
    layers = "".join(layer(units, fan_ins[i], "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[i], bias) for i, units in enumerate(sizes))
    return NETWORK.format(inputs=inputs, layers=layers)


def exercises(count: int, task: str = "forward", extra: str = "") -> str:
    return "".join(f'[[exercises]]\nid = "{i}"\ntask = "{task}"\nx = 1\n{extra}\n' for i in range(1, count + 1))


def deep(layers: int) -> str:
    return NETWORK.format(inputs=1, layers=layer(1, 1, "A") + "".join(
        f'[[network.layers]]\nweights = [["w{i}"]]\nactivation = "identity"\n' for i in range(2, layers + 1))
        ) + "[parameters]\n" + "".join(f"w{i} = 1\n" for i in range(2, layers + 1))


def expression(f: str, stages: list[str] | None = None) -> str:
    given = f"stages = {stages!r}".replace("'", '"') if stages else f'f = "{f}"'
    return f'title = "e"\n[expression]\n{given}\nat = {{ x = 1 }}\n'


def training(samples: int, epochs: int) -> str:
    data = f"[data]\nx = {list(range(samples))}\ny = {[1] * samples}\n"
    return network(1, 1) + data + f'[[exercises]]\nid = "fit"\ntask = "train"\nlr = 0.1\nepochs = {epochs}\n'


# limit -> (the problem text that counts n of it, the key a refusal names)
CASES = {
    "inputs": (lambda n: network(n, 1), "network.inputs"),
    "units": (lambda n: network(1, n, 1), "network.layers[1].values"),
    "parameters": (lambda n: network(1, n), "network.layers[1].values"),
    "layers": (deep, "network.layers"),
    "exercises": (lambda n: network(1, 1) + exercises(n), "exercises"),
    "stages": (lambda n: expression("", ["s1 = x"] + [f"s{i} = s{i - 1}" for i in range(2, n)] + [f"f = s{n - 1}"]),
               "expression.stages"),
    "nodes": (lambda n: expression("x" + "+x" * n), "expression.f"),
    "steps": (lambda n: network(1, 1) + exercises(1, "optimize", f"y = 1\nlr = 0.1\nsteps = {n}"),
              "exercises[id=1].steps"),
    "epochs": (lambda n: training(2, n), "exercises[id=fit].epochs"),
    "samples": (lambda n: training(n, 1), "data.x"),
    "softmax_outputs": (lambda n: network(1, n).replace("squared_error", "softmax_cross_entropy"), "loss.kind"),
}


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("n", [2, 5])
def test_each_limit_is_allowed_at_its_value_and_refused_one_past_it(name, n):
    build, key = CASES[name]
    limits = Limits(**{name: n})
    assert symback.loads(build(n), limits=limits)  # at the limit: read
    with pytest.raises(ProblemError) as caught:
        symback.loads(build(n + 1), limits=limits)
    flag = name.replace("_", "-")
    assert caught.value.key == key
    assert caught.value.message.endswith(f"; the limit is {n} (raise it with --limit {flag}=N)")
    assert f"{n + 1} " in caught.value.message and "\n" not in str(caught.value)


def test_parameters_count_every_layer_and_bias_and_name_the_layer_past_the_limit():
    # 2 inputs, 3 units with biases, 1 output with a bias: 2·3 + 3 + 3·1 + 1 = 13 entries
    text = network(2, 3, 1, bias=True)
    assert symback.loads(text, limits=Limits(parameters=13))
    with pytest.raises(ProblemError) as caught:
        symback.loads(text, limits=Limits(parameters=12))
    assert caught.value.key == "network.layers[2].bias"
    assert caught.value.message.startswith("1 bias, 13 with the layers before; the limit is 12")
    with pytest.raises(ProblemError) as caught:
        symback.loads(text, limits=Limits(parameters=11))
    assert caught.value.key == "network.layers[2].values"
    assert caught.value.message.startswith("1 × 3 = 3 parameters, 12 with the layers before")


def test_a_matrix_past_the_limit_is_refused_before_a_number_of_it_is_read(monkeypatch):
    from symback.problem import fields

    calls = []
    real = fields.read_number_rows
    monkeypatch.setattr("symback.problem.load.read_number_rows", lambda *a: calls.append(a) or real(*a))
    with pytest.raises(ProblemError, match="parameters"):
        symback.loads(network(30, 30), limits=Limits(parameters=899))
    assert calls == []
    symback.loads(network(30, 30), limits=Limits(parameters=900))
    assert len(calls) == 1  # the counter sees the reading when there is one


def test_a_list_of_input_names_counts_too():
    text = network(3, 1).replace("inputs = 3", 'inputs = ["p", "q", "r"]')
    assert symback.loads(text, limits=Limits(inputs=3))
    with pytest.raises(ProblemError, match=r"^<string>: network.inputs: 3 inputs; the limit is 2 \("):
        symback.loads(text, limits=Limits(inputs=2))


def test_a_training_run_past_the_passes_is_refused_when_read_and_when_run():
    text = training(3, 2)  # 2 epochs × 3 samples = 6 passes, more where the loss over all samples is measured
    with pytest.raises(ProblemError) as caught:
        symback.loads(text, limits=Limits(passes=5))
    assert caught.value.key == "exercises[id=fit].epochs"
    assert caught.value.message.startswith("2 epochs × 3 samples = 6 sample passes; the limit is 5")
    problem = symback.loads(text, limits=Limits(passes=6))
    assert len(symback.train(problem, "fit", dataset_loss="none").steps) == 2  # the run keeps to the same limit
    with pytest.raises(ArgumentError, match=r"the limit is 6 \(raise it with --limit passes=N\)"):
        symback.train(problem, "fit", dataset_loss="step")
    assert len(symback.train(symback.loads(text), "fit", dataset_loss="step").steps) == 2  # default limits


# --- what is counted in the text, before the TOML reader ---------------------------------------------------------

@pytest.fixture
def toml_reads(monkeypatch):
    """The calls of the TOML reader, counted (every reader in symback calls tomllib.loads)."""
    calls = []
    real = tomllib.loads
    monkeypatch.setattr(tomllib, "loads", lambda *a, **k: calls.append(a) or real(*a, **k))
    return calls


def test_the_size_of_a_text_is_refused_before_it_is_read_as_toml(toml_reads):
    text = network(1, 1)
    assert symback.loads(text, limits=Limits(file_size=len(text)))
    assert len(toml_reads) == 1
    with pytest.raises(ProblemError) as caught:
        symback.loads(text, limits=Limits(file_size=len(text) - 1))
    assert (caught.value.key, caught.value.message) == (
        "file", f"{len(text)} characters; the limit is {len(text) - 1} (raise it with --limit file-size=N)")
    assert len(toml_reads) == 1


def test_the_size_of_a_file_is_counted_in_bytes(tmp_path, toml_reads):
    text = network(1, 1) + "# é\n"  # one character of two bytes
    path = tmp_path / "p.toml"
    path.write_text(text, encoding="utf-8")
    size = len(text) + 1
    assert symback.load(path, limits=Limits(file_size=size))
    with pytest.raises(ProblemError, match=rf"p.toml: file: {size} bytes; the limit is {len(text)} \("):
        symback.load(path, limits=Limits(file_size=len(text)))
    assert len(toml_reads) == 1


def values_read(value) -> int:
    """The numbers, strings, booleans and arrays in a TOML document as the reader gives it (tables are their
    contents: a table may be made by a dotted key, with no mark of its own)."""
    if isinstance(value, dict):
        return sum(map(values_read, value.values()))
    if isinstance(value, list):
        return 1 + sum(map(values_read, value))
    return 1


def written(text: str) -> int:
    """The documented count of values written: the = signs, commas and opening brackets of the text."""
    return sum(text.count(mark) for mark in "=,[")


@pytest.mark.parametrize("example", documented_examples() + [network(3, 4, 2, bias=True) + exercises(3)])
def test_the_values_written_are_an_upper_bound_of_the_values_read(example):
    assert written(example) >= values_read(tomllib.loads(example))


def test_values_written_past_the_limit_are_refused_before_the_toml_reader(toml_reads):
    text = network(1, 20, 10) + exercises(3)
    symback.loads(text, limits=Limits(values=written(text)))
    assert len(toml_reads) == 1
    with pytest.raises(ProblemError) as caught:
        symback.loads(text, limits=Limits(values=written(text) - 1))
    assert caught.value.key == "file" and caught.value.message.startswith(f"{written(text)} values written at most")
    assert caught.value.message.endswith("(raise it with --limit values=N)")
    assert len(toml_reads) == 1


def dotted(parts: int) -> str:
    return ".".join(["a"] * parts)


@pytest.mark.parametrize("key", ["{}", '"q".{}', "{} . 'z'", "[{}]"])
def test_a_key_of_too_many_dotted_parts_is_refused_before_the_toml_reader(key, toml_reads):
    parts = 7 + ("'" in key or '"' in key)
    text = network(1, 1) + f"\n{key.format(dotted(7))} = 1\n".replace("] = 1", "]")  # a [table] has no value
    with pytest.raises(ProblemError) as caught:  # at the limit: read, and refused for its meaning (unknown key)
        symback.loads(text, limits=Limits(key_parts=parts))
    assert caught.value.key != "file" and len(toml_reads) == 1
    with pytest.raises(ProblemError) as caught:
        symback.loads(text, limits=Limits(key_parts=parts - 1))
    line = len(network(1, 1).splitlines()) + 2
    expected = f"line {line}: a key of {parts} dotted parts; the limit is {parts - 1} (raise it with --limit key-parts=N)"
    assert (caught.value.key, caught.value.message) == ("file", expected)
    assert len(toml_reads) == 1


def test_the_default_limits_refuse_a_key_of_many_parts_but_not_numbers_or_prose(toml_reads):
    with pytest.raises(ProblemError, match="a key of 101 dotted parts"):
        symback.loads(network(1, 1) + f"{dotted(101)} = 1\n")
    assert toml_reads == []
    prose = 'intro = "' + " ".join(["e.g. a.b, i.e. 1.5"] * 200) + '"\n'
    numbers = "\n".join(f"# {', '.join(['0.25'] * 200)}" for _ in range(3))
    assert symback.loads(network(1, 1).replace('title = "limits"', 'title = "limits"\n' + prose) + numbers)


# --- answers files ------------------------------------------------------------------------------------------------

def answers(count: int, key: str = "q") -> str:
    return "[exercises.1]\n" + "".join(f'{key}{i} = "1"\n' for i in range(count))


def test_answers_are_allowed_at_the_limit_and_refused_past_it(toml_reads):
    from symback.checker.answers_file import loads_answers

    assert len(loads_answers(answers(4), limits=Limits(answers=4)).exercises["1"]) == 4
    with pytest.raises(ProblemError, match=r"^<answers>: exercises: 4 answers; the limit is 3 \(raise it with "
                                           r"--limit answers=N\)$"):
        loads_answers(answers(4), limits=Limits(answers=3))
    text = answers(2)
    assert loads_answers(text, limits=Limits(answers_file_size=len(text)))
    reads = len(toml_reads)
    with pytest.raises(ProblemError, match=rf"^<answers>: file: {len(text)} characters; the limit is {len(text) - 1} "):
        loads_answers(text, limits=Limits(answers_file_size=len(text) - 1))
    with pytest.raises(ProblemError, match="a key of 6 dotted parts; the limit is 5"):
        loads_answers(f"exercises.1.{dotted(4)} = 1", limits=Limits(key_parts=5))
    assert len(toml_reads) == reads
    assert loads_answers(f"exercises.1.{dotted(3)} = 1", limits=Limits(key_parts=5))


def test_an_answers_file_is_measured_in_bytes(tmp_path):
    from symback.checker.answers_file import load_answers

    path = tmp_path / "a.toml"
    path.write_text('[exercises.1]\nyhat = "é"\n', encoding="utf-8")
    size = path.stat().st_size
    assert load_answers(path, Limits(answers_file_size=size))
    with pytest.raises(ProblemError, match=rf"a.toml: file: more than {size - 1} bytes; the limit is {size - 1} "):
        load_answers(path, Limits(answers_file_size=size - 1))


# --- the command line ---------------------------------------------------------------------------------------------

@pytest.fixture
def many_exercises(tmp_path):
    path = tmp_path / "many.toml"
    path.write_text(network(1, 1) + exercises(Limits().exercises + 1), encoding="utf-8")
    return path


def test_the_default_refuses_and_the_flag_raises_the_limit(many_exercises, capsys):
    code, out, err = run(capsys, "grad", many_exercises, "--x", "1", "--y", "1")
    assert (code, out) == (2, "")
    assert err == (f"symback: {many_exercises}: exercises: 201 exercises; the limit is 200 (raise it with --limit "
                   "exercises=N)\n")
    code, out, err = run(capsys, "grad", many_exercises, "--x", "1", "--y", "1", "--limit", "exercises=201",
                         "--limit", "layers=1")
    assert code == 0 and "dL/da11" in out, err
    code, _, err = run(capsys, "exercise", many_exercises, "7", "--limit", "exercises=201", "--limit", "layers=0")
    assert code == 2 and err.startswith("symback: --limit layers=0: expected a whole number of at least 1")


@pytest.mark.parametrize("setting, message", [
    ("exercise=5", "--limit exercise=5: unknown limit 'exercise' (known: file-size, values, key-parts, inputs, "),
    ("exercises", "--limit exercises: expected NAME=N, such as exercises=500"),
    ("exercises=1e4", "--limit exercises=1e4: expected a whole number of at least 1 after exercises="),
    ("exercises=-3", "--limit exercises=-3: expected a whole number of at least 1 after exercises="),
])
@pytest.mark.parametrize("command", [["solve", "-o", "unused-folder"], ["answers"], ["check", "unused.toml"]])
def test_a_bad_limit_is_one_line_and_exit_2(command, setting, message, capsys, many_exercises):
    args = [command[0], many_exercises, *command[1:], "--limit", setting]
    code, out, err = run(capsys, *args)
    assert (code, out) == (2, "") and err.startswith(f"symback: {message}") and err.count("\n") == 1
    assert not Path("unused-folder").exists()


def test_check_reads_answers_within_the_limits_also_in_folder_mode(tmp_path, capsys):
    problem = tmp_path / "p.toml"
    problem.write_text(network(1, 1) + exercises(1), encoding="utf-8")
    folder = tmp_path / "answers"
    folder.mkdir()
    (folder / "ada.toml").write_text('[exercises.1]\nyhat = "1"\nz1 = "1"\n', encoding="utf-8")
    code, _, err = run(capsys, "check", problem, folder / "ada.toml", "--limit", "answers=1")
    assert code == 2 and "exercises: 2 answers; the limit is 1" in err
    code, out, err = run(capsys, "check", problem, folder, "--limit", "answers=1")
    assert code == 1 and "2 answers; the limit is 1" in err and "(not marked)" in err
    code, out, err = run(capsys, "check", problem, folder)
    assert "marked 1 answers files" in out and "not marked" not in err


def test_every_command_that_reads_a_file_has_the_flag():
    import argparse

    from symback.cli.main import parser

    commands = next(a for a in parser()._actions if isinstance(a, argparse._SubParsersAction)).choices
    assert {name for name, command in commands.items() if "--limit NAME=N" in command.format_help()} == \
        {"grad", "solve", "exercise", "answers", "check"} == set(commands)


# --- the limits themselves and their documentation ---------------------------------------------------------------

def test_limits_are_whole_numbers_of_at_least_one():
    for bad in (0, -1, 2.5, True, "10"):
        with pytest.raises(ArgumentError, match="must be a whole number of at least 1"):
            Limits(layers=bad)
    assert Limits.parse(["layers=1_000", "layers=7"]).layers == 7  # the last one given counts


def test_the_documented_table_is_the_limits():
    docs = DOCS.read_text(encoding="utf-8")
    section = docs[docs.index("## Limits"):docs.index("## Errors")]
    rows = re.findall(r"^\| `([a-z-]+)` \| ([0-9,]+) \| (.*?) \| `--limit ([a-z-]+)=N` \|$", section, re.MULTILINE)
    assert [(name, int(default.replace(",", "")), counts) for name, default, counts, _ in rows] == limit_table()
    assert all(name == flag for name, _, _, flag in rows)
    assert [item.name.replace("_", "-") for item in dataclasses.fields(Limits)] == [row[0] for row in rows]
    fixed = f"at most {MAX_TEXT_LENGTH} characters, a number at most {MAX_DIGITS} digits"
    assert fixed in " ".join(section.split())


def test_an_exercise_that_sets_a_softmax_loss_counts_its_outputs_too():
    text = network(1, 3) + exercises(1, "loss", 'y = [1, 0, 0]\nloss = "softmax_cross_entropy"')
    assert symback.loads(text, limits=Limits(softmax_outputs=3))
    with pytest.raises(ProblemError, match="softmax_cross_entropy over 3 outputs; the limit is 2"):
        symback.loads(text, limits=Limits(softmax_outputs=2))
