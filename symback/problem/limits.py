"""Size limits of the files symback reads: what a problem or answers file may ask for, checked while it is read.

A file comes from other people, and every piece of work symback does grows with what the file asks for: the
TOML reader with the values written, the engine with the parameters, a sheet with the exercises. Each limit is
far above what a teaching sheet or an MNIST-sized network needs, and each can be raised for a legitimate large
job (``--limit parameters=500000`` on the command line, ``Limits(parameters=500_000)`` in Python). A refusal is
one line that names the key, the count and the limit. The table of limits is in ``docs/problem-format.md``.

Kept free of SymPy (the command line parses ``--limit`` before anything heavy is loaded). Two limits are fixed and
live where the work is bounded: a number or expression text has at most 2000 characters and a number at most
1000 digits (``symback.numbers.parse.MAX_TEXT_LENGTH`` and ``MAX_DIGITS``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..errors import ArgumentError, ProblemError


def _limit(default: int, counts: str) -> Any:
    return field(default=default, metadata={"counts": counts})  # the docs' table says what each limit counts


@dataclass(frozen=True)
class Limits:
    """The size limits a file is read with; each field is one limit, named on the command line with ``-`` for ``_``.

    >>> Limits().parameters, Limits(parameters=500_000).parameters
    (200000, 500000)
    >>> Limits.parse(["exercises=10000"]).exercises
    10000
    """

    # Read before the TOML reader sees the text, whose cost grows with the bytes and values it holds (about 4 µs
    # a value). 5 MB holds 200,000 parameters written with up to 25 characters each; an MNIST-sized problem
    # ([784, 128, 10], 101,632 weights) is 0.8 to 1.1 MB.
    file_size: int = _limit(5_000_000, "bytes of a problem file (characters of a text given to `loads`)")
    # An upper bound on the values written, counted in the text before it is read: every value written (a number,
    # a string, an array, an inline table) follows an `=`, a comma or an opening bracket of its own. 250,000 (about 1 s of the TOML reader)
    # leaves room for 200,000 parameters and the rest of a file.
    values: int = _limit(250_000, "values written in a problem file, counted from above as its `=` signs, commas "
                                  "and opening brackets (in strings and comments too)")
    # The TOML reader takes time quadratic in the parts of one dotted key (10,000 parts: 1 s); a real key has a
    # handful (network.layers, exercises.4).
    key_parts: int = _limit(100, "parts of one dotted key such as `a.b.c` (also in an answers file)")
    # A 100×100 image as input; MNIST has 784.
    inputs: int = _limit(10_000, "inputs of the network (the columns of layer 1)")
    # Per layer: the rows of its matrix (the columns of the next layer's).
    units: int = _limit(10_000, "units of one layer (the rows of its matrix)")
    # Matrix entries and bias entries of all layers: twice an MNIST-sized network's 101,770.
    parameters: int = _limit(200_000, "entries of all weight matrices and biases, constants included")
    # A derivation runs through every layer; 100 layers of two units are solved in seconds.
    layers: int = _limit(100, "layers of the network")
    # A sheet's derivations cost per exercise; a term's sheets in one file have a few dozen.
    exercises: int = _limit(200, "exercises of a problem file")
    # Each stage is parsed, checked and worked as part of one circuit.
    stages: int = _limit(200, "stages of an expression")
    # The circuit's nodes, one per operation; 2,000 covers a sum of 1,000 terms with room to spare.
    nodes: int = _limit(2_000, "operations of an expression, all stages together, counted from above as its "
                               "operators and function calls")
    # Each softmax probability sums over every output, so a sheet grows with their square: 50 outputs take 3 s,
    # 200 take 20 s; MNIST and CIFAR-10 have 10.
    softmax_outputs: int = _limit(50, "outputs of a network whose loss is `softmax_cross_entropy`")
    # Steps of an optimizer run at one point, each shown on the sheet.
    steps: int = _limit(1_000, "steps of an optimize exercise")
    # Passes over [data] of a training run.
    epochs: int = _limit(1_000, "epochs of a train exercise")
    # Rows of [data]; each one is a forward and backward pass per epoch.
    samples: int = _limit(10_000, "samples of `[data]` (rows of x and of y)")
    # Forward and backward passes of one sample over a whole training run (epochs × samples, and more where the
    # loss over all samples is measured as it goes); each is done in exact and decimal arithmetic.
    passes: int = _limit(400_000, "sample passes of a training run: epochs × samples at least")
    # An answers file has a few kilobytes.
    answers_file_size: int = _limit(1_000_000, "bytes of an answers file")
    # Answers of one file, all exercises together; a skeleton of the WS23 sheet has a few dozen.
    answers: int = _limit(10_000, "answers in an answers file, all exercises together")

    def __post_init__(self):
        for name, value in dataclasses.asdict(self).items():
            if type(value) is not int or value < 1:
                raise ArgumentError(f"limit {flag(name)} must be a whole number of at least 1, got {value!r}")

    def check(self, name: str, count: int, key: str, said: str | None = None) -> None:
        """Refuse ``count`` at ``key`` if it is past the limit ``name``; ``said`` is how the count is told
        (default: the count and what the limit counts).

        >>> Limits(layers=3).check("layers", 4, "network.layers")
        Traceback (most recent call last):
        symback.errors.ProblemError: network.layers: 4 layers; the limit is 3 (raise it with --limit layers=N)
        """
        limit = getattr(self, name)
        if count > limit:
            raise ProblemError(key, f"{said or f'{count} {_noun(name)}'}; {self.beyond(name)}")

    def beyond(self, name: str) -> str:
        """What a refusal says of the limit ``name``: its value and how to raise it.

        >>> Limits().beyond("key_parts")
        'the limit is 100 (raise it with --limit key-parts=N)'
        """
        return f"the limit is {getattr(self, name)} (raise it with --limit {flag(name)}=N)"

    @classmethod
    def parse(cls, settings: Iterable[str] | None) -> Limits:
        """Limits from ``NAME=N`` settings (the command line's ``--limit``, None for none), the others the defaults.

        >>> Limits.parse(["file-size=10_000_000", "layers=500"]).layers
        500
        >>> Limits.parse(["layer=5"])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        symback.errors.ArgumentError: --limit layer=5: unknown limit 'layer' (known: file-size, values, ...)
        """
        changes = {}
        known = [flag(item.name) for item in dataclasses.fields(cls)]
        for setting in settings or ():
            name, equals, number = setting.partition("=")
            name = name.strip()
            if not equals:
                raise ArgumentError(f"--limit {setting}: expected NAME=N, such as exercises=500")
            if name not in known:
                raise ArgumentError(f"--limit {setting}: unknown limit {name!r} (known: {', '.join(known)})")
            if not _WHOLE.fullmatch(number.strip()) or int(number) < 1:
                raise ArgumentError(f"--limit {setting}: expected a whole number of at least 1 after {name}=")
            changes[name.replace("-", "_")] = int(number)
        return cls(**changes)


_WHOLE = re.compile(r"[0-9](?:_?[0-9])*")
_NOUNS = {"file_size": "bytes", "values": "values written", "key_parts": "dotted parts", "nodes": "operations",
          "passes": "sample passes", "answers_file_size": "bytes"}


def flag(name: str) -> str:
    """A limit's name as the command line and the messages write it.

    >>> flag("answers_file_size")
    'answers-file-size'
    """
    return name.replace("_", "-")


def _noun(name: str) -> str:
    return _NOUNS.get(name, name)


def limit_table() -> list[tuple[str, int, str]]:
    """(name, default, what it counts) of every limit, for the docs and ``--help``.

    >>> limit_table()[0]
    ('file-size', 5000000, 'bytes of a problem file (characters of a text given to `loads`)')
    """
    return [(flag(item.name), item.default, item.metadata["counts"]) for item in dataclasses.fields(Limits)]


# One part of a dotted key: bare, "quoted" or 'literal'; possessive, so a failed match never backtracks.
_KEY_PART = r"""(?:[A-Za-z0-9_-]++|"(?:[^"\\\n]|\\.)*+"|'[^'\n]*+')"""
_PART_FINDER = re.compile(_KEY_PART)
# a part between two dots: every key of three parts or more has one; searched first, as it is found 5 times faster
_MIDDLE_PART = re.compile(rf"\.[ \t]*+{_KEY_PART}[ \t]*+\.")


def longest_key_pattern(limit: int) -> re.Pattern:
    """A pattern for a dotted key of more than ``limit`` parts, found only where a key may start (not after a
    letter, digit, dot or quote), so the text is scanned once. Numbers (``0.25``) and words in strings count as
    parts too: an upper bound, enough to refuse the keys the TOML reader would take minutes over.

    >>> bool(longest_key_pattern(2).search("a.b.c = 1")), bool(longest_key_pattern(3).search("a.b.c = 1"))
    (True, False)
    """
    return re.compile(rf"(?<![A-Za-z0-9_.\"'-]){_KEY_PART}(?:[ \t]*+\.[ \t]*+{_KEY_PART}){{{limit},}}+")


def check_toml_text(text: str, limits: Limits, size_limit: str = "file_size", *, values: bool = True,
                    keys: bool = True) -> None:
    """Refuse a TOML text before the TOML reader sees it: too long (the limit ``size_limit``), too many values
    written (``values``, if asked), a key of too many dotted parts (``key_parts``, if asked). Linear in the text.

    >>> check_toml_text("a = [1, 2, 3]", Limits(values=3))
    Traceback (most recent call last):
    symback.errors.ProblemError: file: 4 values written at most (its = signs, commas and [ counted); the limit is 3 (raise it with --limit values=N)
    >>> check_toml_text("x." * 5 + "y = 1", Limits(key_parts=5))
    Traceback (most recent call last):
    symback.errors.ProblemError: file: line 1: a key of 6 dotted parts; the limit is 5 (raise it with --limit key-parts=N)
    """
    limits.check(size_limit, len(text), "file", f"{len(text)} characters")
    if values:
        written = text.count("=") + text.count(",") + text.count("[")
        limits.check("values", written, "file", f"{written} values written at most (its = signs, commas and [ counted)")
    long_keys_may_be_there = limits.key_parts < 2 or (text.count(".") >= limits.key_parts and _MIDDLE_PART.search(text))
    found = longest_key_pattern(limits.key_parts).search(text) if keys and long_keys_may_be_there else None
    if found:
        parts = len(_PART_FINDER.findall(found.group()))
        line = text.count("\n", 0, found.start()) + 1
        limits.check("key_parts", parts, "file", f"line {line}: a key of {parts} dotted parts")
