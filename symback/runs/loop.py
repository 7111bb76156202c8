"""The loop of an optimizer run, and how its values become readable exact values and correctly rounded decimals.

The loop runs alike in exact (SymEngine) and decimal arithmetic and names every value it computes: ``L_0`` is the
loss before step 1, ``g_1(a22)`` the gradient of a22 in step 1, ``new_1(a22)`` a22 after it.

Exact values swell fast across steps (the parameters after one step enter exponentials in the next), so the exact
loop stops once a parameter or a memory of the rule grows past :data:`EXACT_NODE_LIMIT` nodes, and a value is
shown exactly only when its tidied form is at most :data:`READABLE_CHARS` characters long.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Iterable, Mapping

import symengine
import sympy

from ..engine.result import to_sympy
from ..errors import NumericError
from ..numbers.arithmetic import DECIMAL, EXACT, UndecidableSign
from ..numbers.rounding import correctly_rounded
from .optimizers import Optimizer
from .optimizers.base import exact_input

EXACT_NODE_LIMIT = 400
"""The exact loop stops after a step that leaves a parameter or memory with more nodes than this (a number counts
one node more per 64 bits)."""
READABLE_NODES = 80
TIDY_CHARS = 240
READABLE_CHARS = 60
"""An exact value is shown when it has at most READABLE_NODES nodes, prints in at most TIDY_CHARS characters as
computed and in at most READABLE_CHARS once tidied."""
MAX_TIDY_DEGREE = 12
"""Values with a larger power (e**1000 of a saturated sigmoid) are shown untidied: tidy would factor a
polynomial of that degree."""
"""A decimal computed as exactly 0 that the exact loop did not know to be 0 is believed only once it stays 0 at
this many digits: a tiny value (tanh(81) − 1) is exactly 0 at low precision."""

class ExactRunStops(Exception):
    """Raised by a gradient callback whose exact values cannot go on (too large, or a sign it cannot decide):
    the steps found so far stay exact, and the decimal run goes on alone."""


RUN_MAX_DIGITS = 400
"""The most digits a run is computed with to round its values: a run that converges fast has losses that need
more (10⁻¹³³² after 400 SGD steps on WS23, which would take minutes at 2,000 digits); below 10⁻²⁰⁰ such a
value is shown as 0."""

GradientAt = Callable[[object, Mapping[str, object]], tuple[object, Mapping[str, object]]]
"""``gradient_at(arithmetic, parameters) -> (loss, gradients)``: parameters and results are values of the
arithmetic (:data:`~symback.numbers.arithmetic.EXACT` or :data:`~symback.numbers.arithmetic.DECIMAL`). A callback may also have
a method ``at_step(k)``: the loop calls it before each call, k being the steps taken so far (0 at the start), so
that a decimal pass can follow the exact pass of the same step."""


def key(t: int, parameter: str, column: str) -> str:
    """The name of a row's value in step ``t``.

    >>> key(2, "a22", "m_hat")
    'm_hat_2(a22)'
    """
    return f"{column}_{t}({parameter})"


def loss_key(t: int) -> str:
    """The name of the loss after ``t`` steps (before step t + 1)."""
    return f"L_{t}"


@dataclass(frozen=True)
class StepLoop:
    """``steps`` steps of ``rule`` from the exact ``start``, moving the parameters ``names``."""

    gradient_at: GradientAt
    start: Mapping[str, sympy.Expr]
    names: tuple[str, ...]
    rule: Optimizer
    lr: sympy.Expr
    options: Mapping[str, sympy.Expr]
    steps: int

    def exact(self) -> dict:
        """The exact values (SymEngine) of the steps until one leaves a value too large to go on, or a sign the
        exact arithmetic cannot decide (a kink of relu at a value it cannot tell from 0)."""
        found: dict = {}
        try:
            self.run(EXACT, stop_when_large=True, into=found)
        except (UndecidableSign, ExactRunStops):
            pass  # the values found so far stay exact; the decimal run decides the branch at its precision
        return found

    def exact_steps(self, exact: Mapping) -> int:
        """How many steps the exact values cover, loss and rows."""
        def covered(t: int) -> bool:
            return loss_key(t - 1) in exact and all(key(t, name, "new") in exact for name in self.names)

        return next((t - 1 for t in range(1, self.steps + 1) if not covered(t)), self.steps)

    def run(self, arithmetic, zero_gradients: Iterable[str] = (), *, stop_when_large: bool = False,
            into: dict | None = None) -> dict:
        """Every value of the run in ``arithmetic`` (put ``into`` a given dict as they come), with 0 for the
        gradients named in ``zero_gradients``."""
        zero_gradients = frozenset(zero_gradients)
        parameters = {name: arithmetic.from_sympy(value) for name, value in self.start.items()}
        state, found = None, {} if into is None else into
        at_step = getattr(self.gradient_at, "at_step", lambda step: None)
        for t in range(1, self.steps + 1):
            at_step(t - 1)
            loss, gradients = self.gradient_at(arithmetic, parameters)
            found[loss_key(t - 1)] = loss
            moving = {name: arithmetic.zero if key(t, name, "g") in zero_gradients else gradients[name]
                      for name in self.names}
            parameters, state, rows = self.rule.step(parameters, moving, self.lr, state, arithmetic=arithmetic,
                                                     **self.options)
            for row in rows:
                found.update({key(t, row.parameter, column): getattr(row, column) for column in self.rule.columns})
            too_large = stop_when_large and not all(small(v) for v in _carried(parameters, state, self.names))
            if too_large and t < self.steps:
                return found
        at_step(self.steps)
        found[loss_key(self.steps)] = self.gradient_at(arithmetic, parameters)[0]
        return found


def _carried(parameters: Mapping, state, names) -> list:
    """What the next step starts from: the moving parameters and the rule's memories."""
    carried = [parameters[name] for name in names]
    for memory in vars(state).values():
        if isinstance(memory, Mapping):
            carried.extend(memory.values())
    return carried


def small(value, limit: int = EXACT_NODE_LIMIT) -> bool:
    """Whether a SymEngine value has at most ``limit`` nodes, a number counting one more per 64 bits of its
    numerator and denominator (stops counting early).

    >>> small(symengine.E / (1 + symengine.E), 10), small(symengine.Integer(2) ** 1000, 10)
    (True, False)
    """
    pending, count = [value], 0
    while pending:
        node = pending.pop()
        count += 1 + (_bits(node) // 64 if isinstance(node, (symengine.Integer, symengine.Rational)) else 0)
        if count > limit:
            return False
        pending.extend(getattr(node, "args", ()))  # a plain int from a gradient callback has none
    return True


def _bits(number) -> int:
    numerator, denominator = number.get_num_den()
    return int(numerator).bit_length() + int(denominator).bit_length()


class Readable:
    """Exact values as SymPy where short enough to read, else None (memoised: θ' of a step is θ of the next).

    >>> Readable()(symengine.exp(-1) / (1 + symengine.exp(-1)))
    1/(1 + E)
    """

    def __init__(self):
        self.seen: dict = {}

    def __call__(self, value) -> sympy.Expr | None:
        if value not in self.seen:
            self.seen[value] = self._convert(value)
        return self.seen[value]

    @staticmethod
    def _convert(value) -> sympy.Expr | None:
        if not small(value, READABLE_NODES) or len(str(value)) > TIDY_CHARS:
            return None
        if not isinstance(value, symengine.Basic):  # a plain number from a gradient callback
            return exact_input(value, "value")
        raw = value._sympy_()
        shown = to_sympy(value) if _worth_tidying(raw) else raw
        return shown if len(str(shown)) <= READABLE_CHARS else None


def _worth_tidying(value: sympy.Expr) -> bool:
    """Whether tidy may shorten the value and does so quickly: it holds e, and only small integer powers."""
    if value.is_Rational or not (value.has(sympy.E) or value.atoms(sympy.exp)):
        return False
    exponents = [power.args[0] for power in value.atoms(sympy.exp)]
    exponents += [power.exp for power in value.atoms(sympy.Pow)]
    return all(exponent.is_Rational and abs(exponent) <= MAX_TIDY_DEGREE for exponent in exponents)


def rounded_run(loop: StepLoop, constants: Mapping[str, sympy.Expr], exact: Mapping, digits: int) -> dict:
    """Every value of the run and the ``constants`` (lr, the options) correctly rounded to ``digits``: the whole
    run in decimal arithmetic at growing precision until each value rounds alike at two precisions; gradients
    the exact run found to be exactly 0 are put in as 0."""
    zeros = {name for name, value in exact.items() if value == 0}
    zeros |= {name for name, value in constants.items() if value == 0}

    def evaluate() -> dict[str, Decimal]:
        try:
            found = {name: DECIMAL.from_sympy(number) for name, number in constants.items()}
            found.update(loop.run(DECIMAL, (name for name in zeros if name.startswith("g_"))))
            return found
        except decimal.DecimalException as err:
            raise NumericError("a decimal value of the optimizer run overflows or is undefined (a learning rate "
                               "far too large?)") from err

    return correctly_rounded(evaluate, digits, zeros, max_digits=RUN_MAX_DIGITS)
