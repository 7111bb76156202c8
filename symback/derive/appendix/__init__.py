"""The appendix of a solution sheet: the sheet's follow-up questions, answered by computing on its own network.

:func:`build_appendix` returns plain frozen data for templates that print and never compute: exact SymPy
values, correctly rounded decimals (:class:`~symback.derive.steps.Quantity`) and one sentence of interpretation per
section, put together from those numbers. Each section's ``kind`` names the template that prints it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...problem.model import Problem
from .adam import AdamExercise, AdamParameterStep, AdamSection, adam_section
from .deeper import DeeperGradient, DeeperSection, deeper_section, with_extra_layer
from .learning_rates import LearningRateSection, RateRow, learning_rates_section
from .loss_comparison import (
    LossComparisonSection,
    LossGradientRow,
    loss_comparison_section,
)
from .relu import DerivativeBound, HiddenUnit, ReluSection, relu_section, sigmoid_bound


@dataclass(frozen=True)
class Appendix:
    """The sections that apply to the problem, in order; ``section(kind)`` finds one (None if skipped)."""

    title: str
    digits: int
    sections: tuple

    def section(self, kind: str):
        return next((s for s in self.sections if s.kind == kind), None)


def build_appendix(problem: Problem, digits: int = 4) -> Appendix:
    """Every appendix section the problem has an exercise for, decimals to ``digits`` significant digits.

    >>> import symback
    >>> appendix = build_appendix(symback.load("problems/ws23_backprop.toml"))
    >>> [section.kind for section in appendix.sections]
    ['learning_rates', 'relu', 'adam', 'loss_comparison', 'deeper']
    """
    builders = (learning_rates_section, relu_section, adam_section, loss_comparison_section, deeper_section)
    sections = (build(problem, digits) for build in builders)
    return Appendix(problem.title, digits, tuple(s for s in sections if s is not None))
