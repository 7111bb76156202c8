"""Read a student's answers file (TOML or JSON) or a Python mapping into an :class:`AnswerSheet`.

The format is described in ``docs/answers-format.md``::

    student = "Ada"                 # optional; the file name otherwise
    id = "s1234567"                 # optional: student id or email, for marks.csv
    [tolerance]                     # optional: relative, significant_figures or decimal_places
    decimal_places = 3
    [exercises.4]
    "dL/da22" = "12*e/(1+e)^2"      # or 2.359, or "\\frac{12 \\cdot e}{(1+e)^2}"

The answers themselves are only collected here; reading each one is the checker's work, so that an answer
that cannot be read is a verdict, not an error. A file that is not valid TOML or JSON, or has the wrong shape,
is a :class:`~symback.errors.ProblemError` naming the file and key. A key too long to name anything (a hostile or
broken file) is kept shortened, so that no message echoes it in full.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from ..errors import ProblemError
from ..numbers.parse import MAX_DIGITS
from ..numbers.tolerance import Tolerance, read_tolerance
from ..problem.fields import describe
from ..problem.limits import Limits, check_toml_text
from ..problem.toml_text import ExponentTooLarge, exact_decimal

_TOP_KEYS = ("student", "id", "tolerance", "exercises")
MAX_ID_CHARACTERS = 200  # a student id or an email address; longer is not one
MAX_KEY_LENGTH = 200  # no quantity or exercise is named by more characters (spaces aside): longer keys are shortened
SHORT_KEY_LENGTH = 40  # how much of such a key is kept, before "…"


@dataclass(frozen=True)
class AnswerSheet:
    """One student's answers: exercise id -> (quantity name -> the value as written)."""

    exercises: Mapping[str, Mapping[str, Any]]
    student: str | None = None
    tolerance: Tolerance | None = None
    source: str = "<answers>"
    notes: tuple[str, ...] = field(default_factory=tuple)
    id: str | None = None  # student id or email, as written (a whole number as its digits)

    def __post_init__(self):
        frozen = {key: MappingProxyType(dict(section)) for key, section in self.exercises.items()}
        object.__setattr__(self, "exercises", MappingProxyType(frozen))


def load_answers(path: str | os.PathLike, limits: Limits | None = None) -> AnswerSheet:
    """Read an answers file (``.json`` as JSON, anything else as TOML) within ``limits`` (None: the defaults;
    ``answers_file_size``, ``answers`` and ``key_parts`` apply).

    >>> load_answers("no/such/answers.toml")
    Traceback (most recent call last):
    symback.errors.ProblemError: no/such/answers.toml: file: cannot read the file: No such file or directory
    """
    source = os.fspath(path)
    limits = limits or Limits()
    try:
        with open(path, "rb") as handle:
            data = handle.read(limits.answers_file_size + 1)  # a huge file is refused without reading it all
    except OSError as error:
        raise ProblemError("file", f"cannot read the file: {error.strerror or error}", source=source) from None
    if len(data) > limits.answers_file_size:
        message = f"more than {limits.answers_file_size} bytes; {limits.beyond('answers_file_size')}"
        raise ProblemError("file", message, source=source)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ProblemError("file", f"not UTF-8 text (bad byte at offset {error.start})", source=source) from None
    return loads_answers(text, source, json_format=Path(source).suffix.lower() == ".json", limits=limits)


def loads_answers(text: str, source: str = "<answers>", *, json_format: bool = False,
                  limits: Limits | None = None) -> AnswerSheet:
    """Read answers given as TOML (or JSON) text, within ``limits`` (None: the defaults).

    >>> sheet = loads_answers('student = "Ada"\\n[exercises.1]\\nyhat = 0\\nL = "1"')
    >>> sheet.student, dict(sheet.exercises["1"])
    ('Ada', {'yhat': 0, 'L': '1'})
    >>> loads_answers('[exercises.1]\\nyhat = 0\\nL = "1"', limits=Limits(answers=1))
    Traceback (most recent call last):
    symback.errors.ProblemError: <answers>: exercises: 2 answers; the limit is 1 (raise it with --limit answers=N)
    """
    limits = limits or Limits()
    try:  # before the TOML reader, whose time is quadratic in a key's dotted parts
        check_toml_text(text, limits, "answers_file_size", values=False, keys=not json_format)
    except ProblemError as error:
        raise error.with_source(source) from None
    try:
        if json_format:
            data = json.loads(text, parse_float=exact_decimal, parse_constant=_reject_constant)
        else:
            data = tomllib.loads(text, parse_float=exact_decimal)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, ValueError, RecursionError) as error:
        what = "JSON" if json_format else "TOML"
        if isinstance(error, RecursionError):
            reason = "nested too deeply"
        elif isinstance(error, (tomllib.TOMLDecodeError, json.JSONDecodeError)):
            reason = str(error)
        elif isinstance(error, ExponentTooLarge):
            reason = f"{error} for any answer"
        else:  # int() refused a number past Python's digit limit (4,300), far past any answer's
            reason = _too_many_digits(text)
        raise ProblemError(what.lower(), f"cannot read the {what}: {reason}", source=source) from None
    try:
        sheet = answer_sheet(data, source, shorthand=False)
        limits.check("answers", sum(map(len, sheet.exercises.values())), "exercises")
    except ProblemError as error:
        raise error.with_source(source) from None
    return sheet


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a number")


def _too_many_digits(text: str) -> str:
    """Where the integer too long for Python to read is (the first run of digits past the limit), in words."""
    limit = sys.get_int_max_str_digits()
    digits = re.search(rf"(?<![\w.\"'])[0-9][0-9_]{{{max(limit - 1, 0)},}}", text)
    if digits is None:  # not found (in a string?): say what was refused without pointing
        return f"a number has more than {limit} digits; numbers in an answers file have at most {MAX_DIGITS} digits"
    line = text.count("\n", 0, digits.start()) + 1
    count = len(digits.group().replace("_", ""))
    return f"line {line}: a number of {count} digits; numbers in an answers file have at most {MAX_DIGITS} digits"


def short_key(key: Any) -> str:
    """A key as text, shortened to its first characters and "…" if it is too long to name anything.

    >>> short_key("dL/da22"), short_key("k" * 500_000)
    ('dL/da22', 'kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk…')
    """
    try:
        key = str(key)
    except ValueError:  # a Python int past the digit limit for str(), given as a key in a mapping
        return f"an integer of more than {sys.get_int_max_str_digits()} digits"
    if len(key) <= MAX_KEY_LENGTH or len(key.replace(" ", "").strip()) <= MAX_KEY_LENGTH:
        return key
    return key[:SHORT_KEY_LENGTH] + "…"


def shown_key(key: Any) -> str:
    r"""A key as a message names it: :func:`short_key`, on one line (characters that are not printable, such as a
    newline in a quoted TOML key, written as escapes).

    >>> print(shown_key("4\nx"), shown_key("dL/da22"))
    4\nx dL/da22
    """
    text = short_key(key)
    return text if text.isprintable() else "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def answer_sheet(data: Any, source: str = "<answers>", *, shorthand: bool = True) -> AnswerSheet:
    """An :class:`AnswerSheet` from a mapping shaped like the file (``{"exercises": {"4": {...}}}``), or, with
    ``shorthand``, from a mapping of exercise id to answers (``{"4": {"dL/da22": "2.359"}}``). Files never use
    the shorthand, so a misspelt ``[exercise.3]`` is an error rather than an exercise named "exercise".

    >>> dict(answer_sheet({"4": {"dL/da22": "2.359"}}).exercises["4"])
    {'dL/da22': '2.359'}
    """
    if isinstance(data, AnswerSheet):
        return data
    if not isinstance(data, Mapping):
        raise ProblemError("answers", f"expected a table of exercises, got {describe(data)}")
    if shorthand and not any(key in data for key in _TOP_KEYS):
        data = {"exercises": data}
    unknown = [key for key in data if key not in _TOP_KEYS]
    if unknown:
        hint = "; exercises go in [exercises.ID] tables" if str(unknown[0]).startswith("exercise") else ""
        raise ProblemError(shown_key(unknown[0]), f"unknown key (an answers file has {', '.join(_TOP_KEYS)}){hint}")
    student = data.get("student")
    if student is not None and not isinstance(student, str):
        raise ProblemError("student", f"expected text, got {describe(student)}")
    identity = _student_id(data.get("id"))
    tolerance = read_tolerance(data["tolerance"], "tolerance", "answers file") if "tolerance" in data else None
    sections = data.get("exercises", {})
    if not isinstance(sections, Mapping):
        raise ProblemError("exercises", f"expected a table of exercises ([exercises.1] ...), got {describe(sections)}")
    exercises = {}
    for exercise_id, section in sections.items():
        exercise_id = short_key(exercise_id)
        if not isinstance(section, Mapping):
            raise ProblemError(f"exercises.{shown_key(exercise_id)}", f"expected a table of answers, got {describe(section)}")
        answers = exercises.setdefault(exercise_id, {})  # two shortened keys may meet: the first one stays
        for key, value in section.items():
            answers.setdefault(short_key(key), value)
    return AnswerSheet(exercises, student.strip() or None if student else None, tolerance, source, id=identity)


def _student_id(value: Any) -> str | None:
    """The ``id`` key: text or a whole number (``id = 1234567``), one line, short; None if absent or empty."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ProblemError("id", f"expected text (a student id or email), got {describe(value)}")
    text = str(value).strip()
    if len(text) > MAX_ID_CHARACTERS or not text.isprintable():
        raise ProblemError("id", f"expected one line of at most {MAX_ID_CHARACTERS} characters (a student id or email)")
    return text or None
