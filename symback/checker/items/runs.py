"""What the items of an optimizer run and of a training run share: the names of a run's values, the longest run
checked step by step, how a rule says where it reads the student's parameters, and the right values with the
sheet's decimals.

A run of more than :data:`MAX_STEPS` steps is checked by its final values only (an answers skeleton has a line
per quantity and step, and answers files are read up to 1 MB).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Callable, Sequence

import sympy

from ...derive.steps import Quantity
from ...problem.model import ExerciseSpec, Problem
from .record import WORKING, Item, Rule, display_decimal, shown_decimal

MAX_STEPS = 200  # longer runs are checked by their final values only


def key(t: int, parameter: str, column: str) -> str:
    """The name of a run's value in the answers file.

    >>> key(2, "b12", "m_hat"), key(2, "b12", "new"), key(0, "b12", "new")
    ('m_hat[2]:b12', 'b12[2]', 'b12')
    """
    if column in ("new", "theta"):
        t = t if column == "new" else t - 1
        return f"{parameter}[{t}]" if t > 0 else parameter
    return f"{column}[{t}]:{parameter}"


def assignments(names: Sequence[str], values: Sequence[str], many: str = "") -> str:
    """Where a rule reads the student's parameters: each named for up to three, else the first and the last value
    (after ``many``, where given, which names them together).

    >>> assignments(["w", "c"], ["w[1]", "c[1]"])
    'w = w[1], c = c[1]'
    >>> assignments(["a", "b", "c", "d"], ["a[2]", "b[2]", "c[2]", "d[2]"])
    'a[2], …, d[2]'
    >>> assignments(["a", "b", "c", "d"], ["a[2]", "b[2]", "c[2]", "d[2]"], "the parameters after step 2")
    'the parameters after step 2 (a[2], …, d[2])'
    """
    if len(names) <= 3:
        return ", ".join(f"{name} = {value}" for name, value in zip(names, values))
    ends = f"{values[0]}, …, {values[-1]}"
    return f"{many} ({ends})" if many else ends


class RunItemBuilder:
    """The base of the builders of a run's items: the exercise, its context, and the run at the sheet's digits,
    computed only where a 50-digit value sits too near a tie to round (:meth:`sheet_run`)."""

    def __init__(self, problem: Problem, exercise: ExerciseSpec, context: int):
        self.problem, self.exercise, self.context, self.digits = problem, exercise, context, problem.digits
        self._sheet_run = None

    def run_at_sheet_digits(self):
        """The run again, with its decimals at the sheet's digits (each builder knows how to run it)."""
        raise NotImplementedError

    def sheet_run(self):
        """The run at the sheet's digits, computed on first need."""
        if self._sheet_run is None:
            self._sheet_run = self.run_at_sheet_digits()
        return self._sheet_run

    def shown(self, reference: Decimal, exact: sympy.Expr | None, at_sheet_digits: Callable[[object], Decimal]
              ) -> Decimal:
        """The decimal at the sheet's digits, correctly rounded: from the exact value where the run has one; else
        from the 50 digits, unless they sit on a tie, then ``at_sheet_digits(run)`` of the run at the sheet's
        digits (which rounds correctly itself)."""
        if exact is not None:
            return shown_decimal(reference, exact, self.digits)
        shown = display_decimal(reference, sympy.Float(str(reference), WORKING), self.digits)
        return shown if shown is not None else at_sheet_digits(self.sheet_run())

    def run_item(self, name: str, kind: str, description: str, rule: Rule | None, reference: Decimal,
                 exact: sympy.Expr | None, asked: bool, at_sheet_digits: Callable[[object], Decimal], *,
                 alternatives: tuple[Rule, ...] = (), shown_rule: str = "") -> Item:
        """An item of the run (``exact`` None where the run has the value in decimals only)."""
        value = exact if exact is not None else sympy.Float(str(reference), WORKING)
        right = Quantity(name, value, self.shown(reference, exact, at_sheet_digits))
        expression, inputs, compute = (rule.expression, rule.inputs, rule.compute) if rule else (None, (), None)
        return Item(self.exercise.id, self.context, name, kind, description, expression, inputs, right, reference,
                    asked, compute, alternatives, shown_rule)

    def final_parameter_item(self, last: int, parameter: str, reference: Decimal, exact: sympy.Expr | None,
                             at_sheet_digits: Callable[[object], Decimal]) -> Item:
        """A parameter after the last step of a long run: right or wrong, without a rule to follow a slip by."""
        description = (f"{parameter} after the last step, {last} (a run of more than {MAX_STEPS} steps is checked "
                       "by its final values only)")
        return self.run_item(key(last, parameter, "new"), "parameter", description, None, reference, exact, True,
                             at_sheet_digits)
