"""An exercise's text sets the problem's own names as mathematics (∂L/∂b₁₂, a₂₂) and leaves everything else the
author's escaped text: no word is taken for a name, and no LaTeX or Markdown from the file gets through."""

from __future__ import annotations

from pathlib import Path

import symback
from symback.render.environment import render
from symback.render.questions import build_questions
from symback.render.sheet import build_sheet

ROOT = Path(__file__).resolve().parents[2]


def test_the_ws23_questions_name_their_parameters_as_the_sheet_does():
    problem = symback.load(ROOT / "problems" / "ws23_backprop.toml")
    for tex in (render(build_sheet(problem, appendix=False), "tex"), render(build_questions(problem), "tex")):
        assert r"Compute $\frac{\partial L}{\partial b_{12}}$ and $\frac{\partial L}{\partial a_{22}}$" in tex
        assert r"Update $a_{11}$, $a_{12}$, $a_{21}$ and $a_{22}$" in tex
        assert "b12" not in tex.split(r"\section*{Exercise 4}")[-1].split("Exercise 5")[0]


def test_names_in_hostile_text_stay_names_and_the_rest_stays_text():
    text = (ROOT / "problems" / "ws23_backprop.toml").read_text(encoding="utf-8").replace(
        "Compute ∂L/∂b12 and ∂L/∂a22 at the point of exercise 3.",
        r"Compute a11 \\input{/etc/passwd} $x$ *b12* a111 ab12 for all a22_.")  # TOML's \\ is one backslash
    problem = symback.loads(text)
    tex = render(build_sheet(problem, appendix=False), "tex")
    markdown = render(build_sheet(problem, appendix=False), "md")
    assert r"Compute $a_{11}$ \textbackslash{}input\{/etc/passwd\} \$x\$ *$b_{12}$* a111 ab12 for all a22\_." in tex
    assert r"Compute $a_{11}$ \\input\[/etc/passwd\]" not in markdown  # Markdown escapes, never parses, the rest
    assert r"\*$b_{12}$\* a111 ab12" in markdown
