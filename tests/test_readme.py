"""The README's examples run as written: its Python blocks, and the command whose output it shows."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)


def test_the_readme_has_python_examples():
    assert len(python_blocks()) >= 2


@pytest.mark.parametrize("count", range(1, len(python_blocks()) + 1))
def test_each_python_example_runs(count, tmp_path):
    script = tmp_path / "example.py"  # a block goes on from the ones before it, as a reader's session does
    script.write_text("\n".join(python_blocks()[:count]), encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr


def test_the_grad_example_prints_what_the_readme_shows():
    shown = re.search(r"```\n\$ (symback grad [^\n]+)\n(.*?)```", README, flags=re.DOTALL)
    command, expected = shown.group(1).split(), shown.group(2).splitlines()
    done = subprocess.run([sys.executable, "-m", "symback", *command[1:]], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    printed = done.stdout.splitlines()
    for line in expected:
        if line != "...":
            assert line in printed, line
