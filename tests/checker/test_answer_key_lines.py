"""An answers file's key that holds a newline (a quoted TOML key, a JSON key) is named in an error on one line
(found by the fuzzing campaign: an exercise id "(zz+x)\\n(…)" holding a number broke the line in two)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import symback
from symback.checker.answers_file import loads_answers
from symback.errors import ProblemError

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("text, json_format, named", [
    (json.dumps({"exercises": {"4\nx": 4}}), True, r"exercises.4\nx: expected a table of answers"),
    ('"stu\\ndent" = "Ada"\n', False, r"stu\ndent: unknown key"),
    (json.dumps({"exercises": {"\u202e1": 1}}), True, r"exercises.\u202e1:"),
], ids=["exercise id", "top-level key", "right-to-left mark"])
def test_a_key_with_a_line_break_is_named_on_one_line(text, json_format, named):
    with pytest.raises(ProblemError) as error:
        loads_answers(text, "a.json" if json_format else "a.toml", json_format=json_format)
    assert "\n" not in str(error.value) and str(error.value).isprintable()
    assert named in str(error.value)


def test_a_note_about_an_exercise_with_a_line_break_is_one_line():
    problem = symback.load(ROOT / "problems" / "ws23_backprop.toml")
    report = symback.check(problem, {"exercises": {"9\nnine": {"L": "1"}}})
    assert report.notes and all("\n" not in note for note in report.notes)
