"""Hints for a wrong answer: the slips students make most, recognised from the numbers alone.

Each hint is a small test on a :class:`Slip`: the wrong answer, the value the student's own inputs give
(``target``; the right value where there is no rule) and those inputs. The first hint that fits is shown, in
the order of :data:`HINTS`: the slips that name a cause (a weight read in place of another, log base 10, an
activation the exercise sets ignored) before a wrong sign, which is named only where nothing more specific
explains the value. A named slip is recognised through working the student left out: its value is the
exercise's pass made again with the slip (:mod:`symback.checker.slip_values`).
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from ..numbers.rounding import round_significant
from ..numbers.tolerance import Tolerance
from ..problem.losses import make_loss
from ..problem.model import ExerciseSpec
from .answer_parse import PRECISION, Answer
from .checklist import Checklist, Item
from .rule_values import apply_rule
from .slip_values import SlipPasses, Swap, overrides, weight_swaps

LOOSE = Decimal("0.005")  # a slip's value reached through working rounded on the way: half a percent
LOG_LOSSES = ("binary_cross_entropy", "softmax_cross_entropy")
_LN10 = Decimal(10).ln(decimal.Context(prec=PRECISION))


@dataclass(frozen=True)
class Slip:
    """A wrong answer and what it is held against."""

    item: Item
    answer: Answer
    target: Decimal
    inputs: Sequence[Decimal]
    policy: Tolerance
    checklist: Checklist

    @property
    def value(self) -> Decimal:
        return self.answer.number

    def near(self, expected: Decimal | None) -> bool:
        return expected is not None and self.policy.within(self.value, expected)

    def with_inputs(self, values: Sequence[Decimal]) -> Decimal | None:
        """The item's own rule on other values (what a slip in applying the rule would give)."""
        return apply_rule(self.item.rules[0], values) if self.item.compute is not None else None

    def made(self, slipped: Decimal | None) -> bool:
        """Whether the answer is what a slip gives (``slipped``), where the slip changes this quantity at all:
        within the tolerance of it, or near it (:meth:`reach`: working rounded on the way) and clearly nearer it
        than the right value and the value of the student's own inputs.

        >>> import symback
        >>> from symback.checker.answer_parse import read_answer
        >>> from symback.checker.checklist import build_checklist
        >>> checklist = build_checklist(symback.load("problems/ws23_backprop.toml"))
        >>> item = checklist.item(checklist.exercise("2").context, "z1_2")  # −1; a12 read for a21 gives 1
        >>> slip = Slip(item, read_answer("1.003"), item.reference, [], checklist.tolerance, checklist)
        >>> slip.made(Decimal(1)), slip.made(Decimal("1.2")), slip.made(Decimal(-1))
        (True, False, False)
        """
        if slipped is None or any(self.policy.within(slipped, right) for right in (self.item.reference, self.target)):
            return False
        if self.policy.within(self.value, slipped):
            return True
        with decimal.localcontext(prec=PRECISION):
            off = abs(self.value - slipped)
            right = min(abs(self.value - self.item.reference), abs(self.value - self.target))
            return off <= self.reach(slipped) and 2 * off < right

    def reach(self, slipped: Decimal) -> Decimal:
        """How far an answer may sit from a slip's value and still be taken for it: :data:`LOOSE` of it or, for
        an answer that carries the precision the policy asks for, ten half-units of its last digit (a few steps
        carried at the figures the student writes)."""
        places, loose = self.answer.places, LOOSE * abs(slipped)
        if places is None or not self.policy.allows_rounding(places, self.answer.figures):
            return loose
        return max(loose, Decimal(50).scaleb(-places - 1))

    @property
    def exercise(self) -> ExerciseSpec:
        """The spec of the exercise the item belongs to."""
        return self.checklist.exercise(self.item.exercise).exercise

    @property
    def passes(self) -> SlipPasses:
        """The exercise's pass, to be made again with a slip (made once per checklist, for every student)."""
        memo = self.checklist.memo
        key = ("slip passes", self.item.exercise)
        if key not in memo:
            memo[key] = SlipPasses(self.checklist.problem, self.exercise)
        return memo[key]

    @property
    def swaps(self) -> list[Swap]:
        """Every weight a student may read in place of another (:func:`weight_swaps`), once per checklist."""
        memo = self.checklist.memo
        if "weight swaps" not in memo:
            memo["weight swaps"] = weight_swaps(self.checklist.problem)
        return memo["weight swaps"]


def _too_few_figures(slip: Slip) -> str | None:
    answer, policy = slip.answer, slip.policy
    if answer.places is None or policy.allows_rounding(answer.places, answer.figures):
        return None
    for reference in (slip.item.reference, slip.target):
        if reference != 0 and round_significant(reference, answer.figures) == slip.value:
            return (f"correctly rounded, but to {answer.figures} significant figure{'s' * (answer.figures != 1)}; "
                    f"this sheet asks for {_precision_asked(policy)}")
    return None


def _precision_asked(policy: Tolerance) -> str:
    if policy.kind == "decimal_places":
        return f"{policy.amount} decimal places"
    figures = policy.amount if policy.kind == "significant_figures" else policy.figures_for_relative()
    return f"{figures} significant figures" + (f" or {figures} decimal places" if policy.kind == "relative" else "")


def _sign(slip: Slip) -> str | None:
    """−answer is the value (within the tolerance); tried after every hint that names a cause."""
    return "the sign is wrong" if slip.target != 0 and slip.near(-slip.target) else None


def _weight_in_place(slip: Slip) -> str | None:
    """A weight of the same layer read in place of the right one (the transposed entry, a neighbour's): in the
    whole pass, or only where the rule reads it as a chain-rule factor (∂z/∂h = w). The nearest is named (the
    first in :func:`weight_swaps`' order among those that give the same value), and the others that do.

    A weight read for its negative (b11 = 1 for b12 = −1) is a wrong sign as much as a wrong weight: where −answer
    fits, such a swap is left to :func:`_sign`."""
    sign_fits = _sign(slip) is not None
    fits = []
    for swap in slip.swaps:
        if sign_fits and slip.passes.parameter(swap.used) == -slip.passes.parameter(swap.meant):
            continue
        for slipped in (slip.passes.value(slip.item.key, swap=swap), _factor_read_as(slip, swap)):
            if slip.made(slipped):
                fits.append((abs(slip.value - slipped), swap, slipped))
                break
    if not fits:
        return None
    nearest = min(fits, key=lambda fit: fit[0])[2]
    same = [swap for _, swap, slipped in fits if slip.policy.within(slipped, nearest)]
    return same[0].hint + "".join(f" (so does {other.used} in place of {other.meant})" for other in same[1:3])


def _factor_read_as(slip: Slip, swap: Swap) -> Decimal | None:
    """The item's rule with the inputs that are the weight ``swap.meant`` itself read as ``swap.used``."""
    item, values = slip.item, list(slip.inputs)
    if item.compute is None or len(values) != len(item.inputs):
        return None
    changed = False
    for n, key in enumerate(item.inputs):
        rule = slip.checklist.item(item.context, key).rule
        if rule is not None and rule.is_Symbol and rule.name == swap.meant:
            values[n], changed = slip.passes.parameter(swap.used), True
    return slip.with_inputs(values) if changed else None


def _activation_ignored(slip: Slip) -> str | None:
    """The network's own activation used where the exercise sets another (f ≡ 0, so ∂h/∂z = 0)."""
    for override in overrides(slip.checklist.problem, slip.exercise):
        if slip.made(slip.passes.value(slip.item.key, override=override)):
            return override.hint
    return None


def _log_base_10(slip: Slip) -> str | None:
    """log₁₀ for ln in a cross-entropy: L, ∂L/∂· and the step they make divided by ln 10."""
    item = slip.item
    loss = slip.exercise.loss or slip.checklist.problem.loss
    if loss is None or loss.kind not in LOG_LOSSES:
        return None
    with decimal.localcontext(prec=PRECISION):
        if item.kind == "update":
            slipped = slip.with_inputs([slip.inputs[0] / _LN10]) if slip.inputs else None
        elif item.kind == "loss" or item.key.startswith("dL/d"):
            slipped = slip.target / _LN10
        else:
            return None
    if slip.made(slipped):
        return ("log base 10 instead of ln: cross-entropy uses the natural logarithm "
                "(log₁₀ divides L and every ∂L/∂· by ln 10 ≈ 2.303)")
    return None


def _uphill(slip: Slip) -> str | None:
    if slip.item.kind != "update" or not slip.inputs:
        return None
    if slip.near(slip.with_inputs([-slip.inputs[0]])):
        return "θ + α·∂L/∂θ: gradient descent subtracts the step, θ' = θ − α·∂L/∂θ"
    return None


def _rate_forgotten(slip: Slip) -> str | None:
    if slip.item.kind != "update" or not slip.inputs:
        return None
    start = slip.with_inputs([Decimal(0)])  # θ itself
    if start is not None and slip.near(start - slip.inputs[0]):
        return "the learning rate α is missing: θ' = θ − α·∂L/∂θ"
    return None


def _loss_remark(slip: Slip) -> str:
    """The loss's convention on ½, or "" where there is no loss (the gradient of an expression itself)."""
    problem = slip.checklist.problem
    loss = slip.checklist.exercise(slip.item.exercise).exercise.loss or problem.loss
    if loss is None:
        return ""
    return make_loss(loss.kind, 1).remark  # the remark is the same for any number of outputs


def _touches_loss(slip: Slip) -> bool:
    item = slip.item
    return (item.kind in ("loss", "gradient") or item.key.startswith("dL/d")) and bool(_loss_remark(slip))


def _half(slip: Slip) -> str | None:
    if slip.target == 0 or not slip.policy.within(2 * slip.value, slip.target):
        return None
    if _touches_loss(slip):
        return f"half the right value: check the factor ½ of the loss ({_loss_remark(slip)})"
    return "half the value its inputs give: a factor 2 is missing"


def _double(slip: Slip) -> str | None:
    if slip.target == 0 or not slip.near(2 * slip.target):
        return None
    if _touches_loss(slip):
        return f"twice the right value: check the factor ½ of the loss ({_loss_remark(slip)})"
    return "twice the value its inputs give"


def _activation_not_applied(slip: Slip) -> str | None:
    item = slip.item
    if item.kind == "forward" and item.shown_rule and len(slip.inputs) == 1 and slip.near(slip.inputs[0]):
        return f"this is {item.inputs[0]} itself: the activation was not applied"
    return None


def _function_not_derivative(slip: Slip) -> str | None:
    """∂h/∂z answered with h itself: σ(z) written for σ'(z)."""
    item = slip.item
    if item.kind != "factor" or "/" not in item.key:
        return None
    numerator = item.key.split("/")[0][1:]
    try:
        node = slip.checklist.item(item.context, numerator)
    except KeyError:
        return None
    if node.reference != slip.target and slip.near(node.reference):
        return f"this is {numerator} itself, not its derivative"
    return None


def _truncated(slip: Slip) -> str | None:
    places = slip.answer.places
    if places is None:
        return None
    for reference in (slip.item.reference, slip.target):
        try:
            with decimal.localcontext(prec=PRECISION + 10):
                cut = reference.quantize(Decimal(1).scaleb(-places), rounding=ROUND_DOWN)
        except decimal.InvalidOperation:  # more digits than any answer would carry
            continue
        if slip.value == cut and cut != reference and cut != 0:  # 0 for ½ is another slip, not a cut digit
            return "off in the last digit: cut off rather than rounded (round half up)"
    return None


def _other_quantity(slip: Slip) -> str | None:
    """The value of another quantity at the same point; small integers and constants match too easily."""
    if slip.value == slip.value.to_integral_value():
        return None
    for other in slip.checklist.items:
        if other.context != slip.item.context or other.key == slip.item.key or other.kind == "update":
            continue
        if other.inputs and other.reference != slip.item.reference and slip.near(other.reference):
            return f"this is the value of {other.key}"
    return None


HINTS: tuple[Callable[[Slip], str | None], ...] = (
    _uphill, _rate_forgotten, _log_base_10, _activation_ignored, _weight_in_place, _sign, _half, _double,
    _activation_not_applied, _function_not_derivative, _too_few_figures, _truncated, _other_quantity,
)
"""In order: the slips that name their cause (an update's, then those that make the pass again), the sign only
where none of them explains the value, then the rest as before."""


def hint_for(item: Item, answer: Answer, own: Decimal | None, inputs: Sequence[Decimal], policy: Tolerance,
             checklist: Checklist) -> str:
    """The first hint that fits a wrong answer, or "".

    >>> import symback
    >>> from symback.checker.answer_parse import read_answer
    >>> from symback.checker.checklist import build_checklist
    >>> checklist = build_checklist(symback.load("problems/ws23_backprop.toml"))
    >>> item = checklist.item(checklist.exercise("4").context, "dL/db12")
    >>> hint_for(item, read_answer("2.924"), item.reference, [], checklist.tolerance, checklist)
    'the sign is wrong'
    """
    slip = Slip(item, answer, own if own is not None else item.reference, inputs, policy, checklist)
    for hint in HINTS:
        text = hint(slip)
        if text:
            return text
    return ""
