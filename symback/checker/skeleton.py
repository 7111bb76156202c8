"""The answers skeleton: every quantity of every exercise by name, empty, with a comment saying what it is."""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..problem.model import Problem
from .checklist import Checklist, Item, build_checklist

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_BARE = re.compile(r"[A-Za-z0-9_-]+")  # a TOML bare key


def answers_skeleton(problem: Problem | Checklist) -> str:
    """An answers file (TOML) to fill in: one empty string per quantity, grouped by exercise.

    >>> import symback
    >>> text = answers_skeleton(symback.load("problems/ws23_backprop.toml"))
    >>> '"dL/da22"     = ""' in text and "[exercises.4]" in text
    True
    """
    checklist = problem if isinstance(problem, Checklist) else build_checklist(problem)
    problem = checklist.problem
    source = Path(problem.source).name if problem.source else "the problem file"
    lines = [
        f"# Answers for {_comment(problem.title)} ({_comment(source)})",
        "#",
        "# Write each answer between the quotes: a decimal (0.7311, 2.36e-1), an exact form (e/(1+e), 3/8,",
        "# 12*exp(1)/(1+exp(1))^2) or simple LaTeX (\\frac{e}{1+e}). Quantities marked 'asked' are what the",
        "# exercises ask for; the rest is working: fill in what you computed, so that a slip can be found and",
        "# what follows from it is not counted as wrong. Leave the rest empty.",
        f"# Check with: symback check {_comment(problem.source or 'PROBLEM')} THIS_FILE",
        f"# Marked with: {checklist.tolerance.describe()}.",
        "",
        'student = ""',
        'id = ""                  # optional: a student id or email, the id column of marks.csv',
        "",
        "# [tolerance]            # to mark your own work differently, uncomment this line and one below",
        "# relative = 1e-3",
        "# significant_figures = 3",
        "# decimal_places = 3",
    ]
    for entry in checklist.exercises:
        exercise = entry.exercise
        lines.append("")
        if not entry.checked:
            lines.append(f"# Exercise {exercise.id} ({exercise.task}): not covered by the checker yet "
                         "(it checks forward passes, gradients, gradient-descent steps, optimizer runs and training runs).")
            continue
        if not entry.items and not entry.uses:
            lines.append(f"# Exercise {exercise.id} ({exercise.task}): a discussion; nothing to check here.")
            continue
        lines.append(f"[exercises.{exercise.id if _BARE.fullmatch(exercise.id) else _key(exercise.id)}]")
        if exercise.text:
            lines.extend(f"# {_comment(line)}" for line in exercise.text.splitlines() if line.strip())
        if entry.uses:
            lines.append("# Uses from earlier exercises (answer them there): " + _uses(entry.uses))
        width = max((len(_key(item.key)) for item in entry.items), default=0)
        lines.extend(f'{_key(item.key).ljust(width)} = ""   # {_describe(item)}' for item in entry.items)
    return "\n".join(lines) + "\n"


def _describe(item: Item) -> str:
    text = f"{'asked: ' if item.asked else ''}{item.description}"
    if item.rule is not None:
        text += f"; {item.rule_text}"
    return _comment(text)


def _uses(uses: tuple[tuple[str, str], ...]) -> str:
    by_exercise: dict[str, list[str]] = {}
    for exercise_id, key in uses:
        by_exercise.setdefault(exercise_id, []).append(key)
    return "; ".join(f"{', '.join(keys)} (exercise {exercise_id})" for exercise_id, keys in by_exercise.items())


def _key(name: str) -> str:
    return json.dumps(name, ensure_ascii=False)  # a TOML basic string: quotes and backslashes escaped


def _comment(text: str) -> str:
    return _CONTROL.sub(" ", str(text))
