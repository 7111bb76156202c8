"""The appendix of a solution sheet: the sheet's follow-up questions, answered by computing on its own network.

:func:`build_appendix` returns plain frozen data for templates that print and never compute: exact SymPy
values, correctly rounded decimals (:class:`~symback.derive.steps.Quantity`) and one sentence of interpretation per
section, put together from those numbers. Each section's ``kind`` names the template that prints it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from types import MappingProxyType

from ...numbers.rounding import Rounding
from ...problem.model import APPENDIX_SECTIONS, Problem
from ..budget import section_work
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
    digits: int | Rounding
    sections: tuple
    left_out: tuple[str, ...] = ()  # a sentence for each section that took longer than the command allowed

    def section(self, kind: str):
        return next((s for s in self.sections if s.kind == kind), None)


SECTIONS = MappingProxyType({
    "learning_rates": learning_rates_section,
    "relu": relu_section,
    "adam": adam_section,
    "loss_comparison": loss_comparison_section,
    "deeper": deeper_section,
})
"""A section's kind (the names a problem file's ``appendix`` key may list) -> its builder (None where it does
not fit the problem)."""
assert tuple(SECTIONS) == APPENDIX_SECTIONS  # the problem layer validates the names; both lists are one list


def build_appendix(problem: Problem, digits: int | Rounding = 4, kinds=None, guard=None) -> Appendix:
    """Every appendix section that fits the problem and that it asks for (``kinds``, default the problem file's
    ``appendix`` key), decimals rounded as ``digits`` asks (significant digits, or a Rounding); each section under
    ``guard`` (:func:`~symback.derive.budget.section_work`), one that overran left out with a sentence.

    >>> import symback
    >>> appendix = build_appendix(symback.load("problems/ws23_backprop.toml"))
    >>> [section.kind for section in appendix.sections]
    ['learning_rates', 'relu', 'adam', 'loss_comparison', 'deeper']
    """
    wanted = problem.appendix if kinds is None else kinds
    left_out: list[str] = []
    sections = [section_work(guard, f"The appendix section {TITLES[kind]!r}", functools.partial(build, problem, digits),
                             left_out) for kind, build in SECTIONS.items() if kind in wanted]
    return Appendix(problem.title, digits, tuple(s for s in sections if s is not None), tuple(left_out))


TITLES = MappingProxyType({"learning_rates": "larger learning rates", "relu": "ReLU instead of the sigmoid",
                           "adam": "Adam instead of SGD", "loss_comparison": "squared error against cross-entropy",
                           "deeper": "one more hidden layer"})
"""A section's kind -> how a sentence names it."""
