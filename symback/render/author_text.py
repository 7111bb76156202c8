"""An author's text (an exercise's question) with the problem's own names set as mathematics: "Compute ∂L/∂b12
and ∂L/∂a22" reads ∂L/∂b₁₂ and ∂L/∂a₂₂ on the sheet, as on the exercise sheet it came from.

Only names the problem defines (two characters or more, so that no ordinary word is taken) and ∂L/∂ of them are
set; everything else stays the author's text, escaped for the format.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection

from .notation import Notation


def name_pattern(names: Collection[str]) -> re.Pattern | None:
    """A pattern for ∂L/∂name or name as a whole word, longest names first (a11 before a1); None without names.

    >>> name_pattern(["a11", "b12"]).findall("∂L/∂b12 and a11, not a111")
    [('∂L/∂', 'b12'), ('', 'a11')]
    """
    usable = sorted((n for n in names if len(n) >= 2 and re.fullmatch(r"[A-Za-z]\w*", n)), key=len, reverse=True)
    if not usable:
        return None
    return re.compile(r"(?<![\w∂/])(∂L/∂|∂L / ∂)?(" + "|".join(map(re.escape, usable)) + r")(?!\w)")


def with_names(text: str, names: Collection[str], notation: Notation, escape: Callable[[str], str]) -> str:
    r"""``text`` escaped with ``escape``, each of the problem's names (and ∂L/∂ of one) as inline math.

    >>> with_names("Compute ∂L/∂b12 and a22_x.", ["b12", "a22"], Notation(), lambda t: t.replace("_", r"\_"))
    'Compute $\\frac{\\partial L}{\\partial b_{12}}$ and a22\\_x.'
    """
    pattern = name_pattern(names)
    if pattern is None:
        return escape(text)
    parts, start = [], 0
    for found in pattern.finditer(text):
        prefix, name = found.groups()
        parts.append(escape(text[start:found.start()]))
        parts.append(f"${notation.partial('L', name) if prefix else notation.latex_name(name)}$")
        start = found.end()
    parts.append(escape(text[start:]))
    return "".join(parts)


def problem_names(problem) -> tuple[str, ...]:
    """The names a problem defines: a network's inputs and parameters, an expression's variables and stages.

    >>> import symback
    >>> problem_names(symback.load("problems/ws23_backprop.toml"))[:4]
    ('x1', 'x2', 'a11', 'a12')
    """
    if problem.network is not None:
        return tuple(problem.network.inputs) + tuple(problem.network.parameters)
    if problem.expression is not None:
        return tuple(problem.expression.at) + tuple(name for name, _ in problem.expression.stages)
    return ()
