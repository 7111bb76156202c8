"""Hypothesis strategies that mutate the shipped problem and answers files.

A seed file (problems/*.toml, the documented examples, the answers example, answers skeletons written by
``symback answers``) is parsed with tomllib, changed (a key deleted, a value of another type, a number huge,
tiny, negative or not a number, a string in another script or an injection, a list grown or emptied, a known key
added where it does not belong) and written back as TOML or JSON; or its text is changed as bytes are (a
character flipped, a span cut or doubled, the file cut short, an injection pasted in).
"""

from __future__ import annotations

import copy
import datetime
import functools
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

from docs_examples import documented_examples
from grammar import (
    INJECTIONS,
    answer_texts,
    digit_strings,
    expression_texts,
    number_texts,
)
from hypothesis import strategies as st
from serialise import Raw, dumps_json, dumps_toml

ROOT = Path(__file__).resolve().parents[2]
PROBLEMS = ROOT / "problems"
ANSWERS_EXAMPLE = PROBLEMS / "ws23_answers_example.toml"


@functools.cache
def problem_seeds() -> dict[str, str]:
    """name -> text: every shipped problem file, then every documented example (they load as shown)."""
    seeds = {path.name: path.read_text(encoding="utf-8") for path in sorted(PROBLEMS.glob("*.toml"))
             if "answers" not in path.name}
    seeds |= {f"docs-example-{number}.toml": text for number, text in enumerate(documented_examples(), 1)}
    return seeds


def quick_seeds() -> list[str]:
    """The seeds without optimizer or training runs, which are the costly ones: the default run's."""
    return [name for name, text in problem_seeds().items()
            if not {"optimize", "train"} & {e.get("task") for e in tomllib.loads(text).get("exercises", [])}]


def _seed_names(names, quick: bool) -> list[str]:
    return sorted(name for name in names if not quick or name in quick_seeds())


def answers_seeds() -> dict[str, str]:
    """answers seed name -> the problem seed it answers: the shipped example, and the skeleton that
    ``symback answers`` writes for every shipped problem (see :func:`answers_seed`)."""
    seeds = {ANSWERS_EXAMPLE.name: "ws23_backprop.toml"}
    return seeds | {f"skeleton of {name}": name for name in problem_seeds() if not name.startswith("docs-")}


@functools.cache
def answers_seed(name: str) -> str:
    """The text of an answers seed; a skeleton is written when first asked for (xor_training's takes a second)."""
    from symback.checker.skeleton import answers_skeleton
    from symback.problem.load import loads

    if name == ANSWERS_EXAMPLE.name:
        return ANSWERS_EXAMPLE.read_text(encoding="utf-8")
    problem = answers_seeds()[name]
    return answers_skeleton(loads(problem_seeds()[problem], source=problem))


# --- values -----------------------------------------------------------------------------------------------

LONG_WORD = "Donaudampfschifffahrtsgesellschaftskapitän" * 8
HOSTILE_STRINGS = INJECTIONS + [
    LONG_WORD, "x" * 5000, "a b " * 2000, "Dvořák Łódź Ærøskøbing", "東京 서울 北京", "مرحبا \u200f עברית", "🙂🧠∂∇",
    "\u0301\u0301\u0301", "\r\n\r\n", "\t", " ", "", "\u2028", "\ud7ff", "\U0010ffff", "C:\\Windows\\system32",
    "../../../../etc/passwd", "/etc/passwd", "~/.bashrc", "NUL", "CON", "-rf", "--help", "%s%s%n", "'; DROP TABLE x; --",
]
HUGE_INTEGERS = [2**63, -(2**63) - 1, 2**64, 10**100, -(10**100), 10**999, 10**1000, 10**1001]
RAW_NUMBERS = ["1e1000", "-1e1000", "1e-1000", "1E+400", "1e308", "1e309", "5e-324", "1e-400", "0x1F", "0o17",
               "0b101", "1_000", "+inf", "-inf", "nan", "-nan", "+nan", "0.0", "-0.0", "1979-05-27T07:32:00Z",
               "1979-05-27", "07:32:00", "1e99999999999", "0.1e-99999999999"]


@functools.cache
def raw_digits() -> st.SearchStrategy[Raw]:
    """A TOML number token of many digits (past Python's 4,300-digit int() limit too), or a long mantissa."""
    return st.one_of(digit_strings().map(Raw),
                     digit_strings().map(lambda d: Raw(f"0.{d}")),
                     digit_strings().map(lambda d: Raw(f"{d}.5e-3")))


@functools.cache
def numbers() -> st.SearchStrategy[Any]:
    """A number as a file may hold it: small and huge ints, floats, exact decimals, raw tokens, number text."""
    return st.one_of(
        st.integers(-10, 10), st.integers(-(2**70), 2**70), st.sampled_from(HUGE_INTEGERS),
        st.floats(allow_nan=True, allow_infinity=True), st.floats(-1e6, 1e6),
        st.decimals(allow_nan=False, allow_infinity=False, places=None),
        st.sampled_from(RAW_NUMBERS).map(Raw), raw_digits(),
        number_texts(), number_texts(),
    )


@functools.cache
def strings() -> st.SearchStrategy[str]:
    """Text of every kind: random unicode, hostile and injection strings, expressions, numbers as text."""
    return st.one_of(st.text(max_size=40), st.sampled_from(HOSTILE_STRINGS), expression_texts(("z", "x", "y")),
                     number_texts(), st.sampled_from(["sigmoid", "relu", "tanh", "identity", "zero", "softplus",
                                                      "leaky_relu", "custom", "sgd", "adam", "momentum", "all",
                                                      "full", "paths", "table", "split", "first", "1", "2", "3"]))


@functools.cache
def values() -> st.SearchStrategy[Any]:
    """Any value a TOML file can hold, scalars more often than containers."""
    scalars = st.one_of(numbers(), strings(), st.booleans(), st.just(datetime.date(1979, 5, 27)))
    containers = st.recursive(scalars, lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(strings().filter(bool), inner, max_size=3)), max_leaves=6)
    return st.one_of(scalars, scalars, scalars, containers)


# --- mutations of parsed data ------------------------------------------------------------------------------

def paths_of(data: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path (keys and list indexes) to a value inside ``data``, containers first.

    >>> paths_of({"a": [1, {"b": 2}]})
    [('a',), ('a', 0), ('a', 1), ('a', 1, 'b')]
    """
    found = []
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        found.append(prefix + (key,))
        found += paths_of(value, prefix + (key,))
    return found


def _parent(data: Any, path: tuple) -> Any:
    for key in path[:-1]:
        data = data[key]
    return data


@functools.cache
def known_keys() -> tuple[str, ...]:
    """Every key the seed files use: the keys a mutation adds where they may or may not belong."""
    keys: set[str] = set()
    for text in problem_seeds().values():
        for path in paths_of(tomllib.loads(text)):
            if isinstance(path[-1], str):
                keys.add(path[-1])
    return tuple(sorted(keys))


@functools.cache
def plausible_numbers() -> st.SearchStrategy[Any]:
    """Numbers a file may well hold: small ints, short decimals, fractions and constants, which load."""
    return st.one_of(st.integers(-5, 5), st.decimals(-100, 100, places=2), st.decimals(-1, 1, places=6),
                     st.sampled_from(["1/3", "-4/5", "e", "pi", "sqrt(2)", "exp(-1)", "(1+e)^-1", "0.5", "-2", "1e-3",
                                      "1e3", "2^10", "ln(2)", "tanh(1)"]))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal, Raw)) and not isinstance(value, bool)


GROWN_TEXT = 4_000_000  # characters a grown string may reach


@st.composite
def mutation(draw, data: Any) -> None:
    """Change ``data`` in place once, somewhere drawn at random, in a way that suits what is there: a number
    gets another number, text other text, a list grows or shrinks, a table loses or gains a key."""
    paths = paths_of(data)
    if not paths or draw(st.integers(0, 9)) == 0:
        tables = [()] + [p for p in paths if isinstance(_parent(data, p + ("x",)), dict)]
        table = _parent(data, draw(st.sampled_from(tables)) + ("x",))
        table[draw(st.one_of(st.sampled_from(known_keys()), strings()))] = draw(values())
        return
    path = draw(st.sampled_from(paths))
    parent, key = _parent(data, path), path[-1]
    value = parent[key]
    if _is_number(value) or (isinstance(value, str) and _looks_numeric(value)):
        kinds = ["plausible"] * 4 + ["number"] * 4 + ["text"] * 2 + ["any", "delete"]
    elif isinstance(value, str):
        kinds = ["text"] * 6 + ["grow", "any", "delete", "number"]
    elif isinstance(value, list):
        kinds = ["grow"] * 3 + ["shrink"] * 3 + ["empty", "any", "delete", "swap"]
    else:
        kinds = ["delete"] * 3 + ["any", "empty", "swap", "wrap"]
    kind = draw(st.sampled_from(kinds))
    if kind == "plausible":
        parent[key] = draw(plausible_numbers())
    elif kind == "number":
        parent[key] = draw(numbers())
    elif kind == "text":
        parent[key] = draw(strings())
    elif kind == "any":
        parent[key] = draw(values())
    elif kind == "delete":
        del parent[key]
    elif kind == "grow" and isinstance(value, list) and value:
        count = draw(st.sampled_from([len(value) + 1, 2 * len(value), 10, 40, 200, 2000]))
        parent[key] = [copy.deepcopy(value[i % len(value)]) for i in range(count)]
    elif kind == "grow" and isinstance(value, str):  # a few megabytes at most, as a file may hold (not gigabytes)
        parent[key] = value * min(draw(st.sampled_from([2, 50, 2000])), max(2, GROWN_TEXT // max(len(value), 1)))
    elif kind == "shrink" and value:
        del value[draw(st.integers(0, len(value) - 1))]
    elif kind == "empty":
        parent[key] = type(value)() if isinstance(value, (list, dict, str)) else ""  # a date has no empty form
    elif kind == "swap":
        other = draw(st.sampled_from(paths))
        if not (other[:len(path)] == path or path[:len(other)] == other):  # neither inside the other
            other_parent = _parent(data, other)
            parent[key], other_parent[other[-1]] = other_parent[other[-1]], value
    elif kind == "wrap":
        parent[key] = draw(st.sampled_from([[value], {"kind": value}, {"value": value}]))


def _looks_numeric(text: str) -> bool:
    return bool(text) and text[0] in "0123456789-+.(se" and len(text) < 40 and " = " not in text


@st.composite
def mutated_data(draw, text: str) -> dict:
    """The seed's data with one mutation, sometimes a few."""
    data = tomllib.loads(text)
    for _ in range(draw(st.sampled_from([1, 1, 1, 1, 1, 2, 2, 3, 4]))):
        draw(mutation(data))
    return data


# --- mutations of text -------------------------------------------------------------------------------------

@st.composite
def mutated_text(draw, text: str) -> str:
    """The text with one or two edits as a broken disk, a bad copy or a hostile hand makes them."""
    for _ in range(draw(st.integers(1, 2))):
        at = draw(st.integers(0, len(text)))
        end = min(len(text), at + draw(st.integers(0, 40)))
        kind = draw(st.sampled_from(["flip", "cut", "double", "truncate", "insert", "insert"]))
        if kind == "flip":
            text = text[:at] + draw(st.characters(codec="utf-8")) + text[at + 1:]
        elif kind == "cut":
            text = text[:at] + text[end:]
        elif kind == "double":
            text = text[:end] + text[at:end] * draw(st.sampled_from([1, 2, 100])) + text[end:]
        elif kind == "truncate":
            text = text[:at]
        else:
            pasted = draw(st.one_of(st.sampled_from(HOSTILE_STRINGS), number_texts(), st.sampled_from(
                ["\n[network]\n", "\n[[exercises]]\n", '"', "'''", '"""', "[", "]", "=", "\n", "# ", "\\", "a.b.c.d = 1\n",
                 "x." * 2000 + "y = 1\n", "[" * 2000, "{ a = " * 500])))
            text = text[:at] + pasted + text[at:]
    return text


# --- files -------------------------------------------------------------------------------------------------

@st.composite
def problem_texts(draw, quick: bool = False) -> tuple[str, str]:
    """(seed name, text of a mutated problem file): mostly data mutations written back as TOML, some text edits.
    ``quick``: only seeds from :func:`quick_seeds`."""
    name = draw(st.sampled_from(_seed_names(problem_seeds(), quick)))
    seed = problem_seeds()[name]
    if draw(st.integers(0, 5)) == 0:
        return name, draw(mutated_text(seed))
    return name, dumps_toml(draw(mutated_data(seed)))


def _fill(data: dict, draw) -> None:
    """Write answers into some of the skeleton's empty values (drawn one by one), or one answer into all."""
    empty = [(section, key) for section in data.get("exercises", {}).values() if isinstance(section, dict)
             for key, value in section.items() if value == ""]
    if not empty:
        return
    if draw(st.integers(0, 5)) == 0:
        everywhere = draw(answer_texts())
        for section, key in empty:
            section[key] = everywhere
        return
    for _ in range(draw(st.sampled_from([0, 1, 3, 10, 30]))):
        section, key = empty[draw(st.integers(0, len(empty) - 1))]
        section[key] = draw(answer_texts())


@st.composite
def answers_texts(draw, json_format: bool = False, quick: bool = False) -> tuple[str, str]:
    """(problem seed name, text of a mutated answers file, TOML or JSON)."""
    names = [name for name, problem in answers_seeds().items() if not quick or problem in quick_seeds()]
    answers_name = draw(st.sampled_from(sorted(names)))
    problem_name, seed = answers_seeds()[answers_name], answers_seed(answers_name)
    data = tomllib.loads(seed)
    _fill(data, draw)
    if not json_format and draw(st.integers(0, 3)) == 0:
        return problem_name, draw(mutated_text(dumps_toml(data)))
    for _ in range(draw(st.integers(0, 3))):
        draw(mutation(data))
    return problem_name, dumps_json(data) if json_format else dumps_toml(data)


def with_value_at(text: str, path: tuple, value: Any) -> str:
    """The file with one value replaced (e.g. a weight by number text from the grammar).

    >>> with_value_at('a = [1, 2]', ("a", 1), "sqrt(2)")
    '"a" = [1, "sqrt(2)"]\\n'
    """
    data = tomllib.loads(text)
    _parent(data, path)[path[-1]] = value
    return dumps_toml(data)


def to_decimal_or_text(text: str) -> Any:
    """How a file may hold number text: as a string, or (when it is one) as a TOML number token."""
    try:
        Decimal(text)
    except ArithmeticError:
        return text
    return Raw(text) if text.strip() == text and text and text[0] not in "+." else text


# --- grammar text in its places in a file ------------------------------------------------------------------

def number_places(data: dict) -> list[tuple]:
    """Paths to the numbers of a problem: weights, biases, parameters, inputs, targets, rates, options."""
    return [path for path in paths_of(data)
            if _is_number(_parent(data, path)[path[-1]]) and "id" not in path and "digits" not in path
            and "decimals" not in path and "steps" not in path and "epochs" not in path and "batch" not in path]


@st.composite
def numbers_in_problems(draw) -> tuple[str, str]:
    """(seed name, a problem file with one to three of its numbers replaced by number text from the grammar)."""
    name = draw(st.sampled_from(sorted(problem_seeds())))
    data = tomllib.loads(problem_seeds()[name])
    places = number_places(data)
    for _ in range(draw(st.integers(1, 3)) if places else 0):
        path = draw(st.sampled_from(places))
        _parent(data, path)[path[-1]] = to_decimal_or_text(draw(number_texts()))
    return name, dumps_toml(data)


def expression_places(data: dict) -> list[tuple[tuple, tuple[str, ...], str]]:
    """(path, variables, prefix) for each expression of a problem: a layer's activation (in z), the expression's
    f or a stage (in its variables and the stages before it; a stage's text starts with its name)."""
    places = []
    for number, layer in enumerate(data.get("network", {}).get("layers", [])):
        places.append((("network", "layers", number, "activation"), ("z",), ""))
    expression = data.get("expression", {})
    variables = tuple(expression.get("at", {})) or ("x",)
    if "f" in expression:
        places.append((("expression", "f"), variables, ""))
    for number, stage in enumerate(expression.get("stages", [])):
        name = stage.partition("=")[0].strip()
        places.append((("expression", "stages", number), variables, f"{name} = "))
        variables += (name,)
    return places


@st.composite
def expressions_in_problems(draw) -> tuple[str, str]:
    """(seed name, a problem file with an activation, its f or one of its stages written by the grammar)."""
    seeds = {name: text for name, text in problem_seeds().items() if expression_places(tomllib.loads(text))}
    name = draw(st.sampled_from(sorted(seeds)))
    data = tomllib.loads(seeds[name])
    path, variables, prefix = draw(st.sampled_from(expression_places(data)))
    _parent(data, path)[path[-1]] = prefix + draw(expression_texts(variables))
    return name, dumps_toml(data)
