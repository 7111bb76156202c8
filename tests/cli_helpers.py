"""Helpers the command-line tests share: run ``symback`` in-process, fill an answers skeleton as a student would."""

from __future__ import annotations

import json

from symback.cli.main import main


def run(capsys, *args) -> tuple[int, str, str]:
    """``symback ARGS``: exit code, stdout, stderr."""
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def fill_skeleton(skeleton: str, answers: dict) -> str:
    """The skeleton with ``answers`` (exercise id -> key -> text) written in, the way a student fills it."""
    lines, exercise = [], None
    for line in skeleton.splitlines():
        if line.startswith("[exercises."):
            exercise = line[len("[exercises."):-1].strip('"')
        elif exercise and line.startswith('"') and ' = ""' in line:
            key = json.loads(line.split(" = ")[0].strip())
            if key in answers.get(exercise, {}):
                line = line.replace(' = ""', f' = "{answers[exercise][key]}"', 1)
        lines.append(line)
    return "\n".join(lines) + "\n"
