"""Plain-text output for the terminal: exact values in the syntax problem files accept, steps line by line."""

from __future__ import annotations

import sympy
from sympy.printing.str import StrPrinter

from .errors import ArgumentError, ParseError
from .safe_parse import exact_number


class _ReadablePrinter(StrPrinter):
    """SymPy's str printer, but Euler's number as ``e`` so that the text reads back with the safe parser."""

    def _print_Exp1(self, expr):
        return "e"


def format_exact(value: sympy.Expr) -> str:
    """An exact value as text that problem and answers files accept.

    >>> format_exact(12 * sympy.E / (1 + sympy.E) ** 2)
    '12*e/(1 + e)**2'
    """
    return _ReadablePrinter({"order": "none"}).doprint(value)


def split_numbers(text: str, what: str) -> list[sympy.Expr]:
    """Comma-separated numbers (commas inside parentheses belong to a function call).

    >>> split_numbers("1, max(2, 3)/2", "--x")
    [1, 3/2]
    """
    parts, depth, current = [], 0, ""
    for character in text:
        depth += {"(": 1, ")": -1}.get(character, 0)
        if character == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += character
    parts.append(current)
    try:
        return [exact_number(part.strip(), what=what) for part in parts]
    except ParseError as err:
        raise ArgumentError(f"{what}: {err}") from err


def _line_for(step) -> list[str]:
    kind = step.kind
    if kind in ("forward", "loss"):
        q = step.quantity
        return [f"{q.name} = {format_exact(step.definition)} = {format_exact(step.substituted)}"
                f" = {format_exact(q.exact)} ≈ {q.decimal}"]
    if kind == "claim":
        verdict = "holds" if step.holds else "does NOT hold"
        return [f"claim {step.name} = {format_exact(step.claimed)}: {verdict} ({step.name} = {format_exact(step.actual.exact)})"]
    if kind == "gradient":
        rule = " + ".join(" · ".join(f"∂{f.numerator}/∂{f.denominator}" for f in path) for path in step.paths)
        numbers = " + ".join(" · ".join(f"({format_exact(f.exact)})" for f in path) for path in step.paths)
        q = step.quantity
        lines = [f"{q.name} = {rule}", f"    = {numbers}", f"    = {format_exact(q.exact)} ≈ {q.decimal}"]
        if step.vanishes:
            lines.append("    (every path holds a derivative of f ≡ 0, so the gradient is 0 for any values)")
        return lines
    if kind == "update":
        return [f"{step.parameter}' = {step.parameter} − α·{step.gradient.name} = {format_exact(step.old)} − "
                f"{format_exact(step.rate)}·({format_exact(step.gradient.exact)}) = {format_exact(step.new.exact)}"
                f" ≈ {step.new.decimal}"]
    if kind == "cross_entropy_analysis":
        lines = [f"L(p, y) = {format_exact(step.expression)}"]
        lines += [f"  y = {r.target}: lim p→{r.approach} {format_exact(r.loss)} = {r.limit}" for r in step.limits]
        lines += [f"  ∂L/∂p = {format_exact(step.derivative)}; ∂L/∂p = 0 at p = {', '.join(map(str, step.stationary))}",
                  f"  for p = σ(z): ∂L/∂z = {format_exact(step.through_sigmoid)}",
                  f"  {'minimise' if step.minimise else 'maximise'} it; best: {step.best}", f"  worst: {step.worst}"]
        return lines
    return [repr(step)]


def format_steps(result) -> str:
    """An exercise's steps as plain text, one quantity a line."""
    exercise = result.exercise
    lines = [f"Exercise {exercise.id} ({exercise.task})"]
    if exercise.text:
        lines.append(exercise.text)
    for step in result.steps:
        lines.extend(_line_for(step))
    return "\n".join(lines) + "\n"
