"""How the optimizer rules are written: a symbol per quantity and hyperparameter, and each rule's equations in LaTeX
with placeholders, so that one text gives the rule in symbols and, filled with a step's numbers, in numbers.

Placeholders are ``«name»`` (a row column such as ``m``, a memory's previous value such as ``m_prev``, a
hyperparameter such as ``beta1``, the learning rate ``lr`` or the step ``t``) and ``«*»`` for a product: a space
in symbols (β₁ m), ``\\cdot`` between numbers (0.9 · 0).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

_PLACEHOLDER = re.compile(r"«(\w+|\*)»")
_POWER_OF_T = re.compile(r"«(\w+)»\^\{«t»\}")
POWER_SUFFIX = "_to_t"
"""«beta1_to_t» in :meth:`Equation.at_step`: the value of β₁ to the power t at that step."""

# name -> (LaTeX base, offset of the subscript from t; None: no subscript)
_SYMBOLS = MappingProxyType({
    "lr": (r"\alpha", None),
    "momentum": (r"\mu", None),
    "rho": (r"\rho", None),
    "beta1": (r"\beta_1", None),
    "beta2": (r"\beta_2", None),
    "eps": (r"\varepsilon", None),
    "weight_decay": (r"\lambda", None),
    "t": ("t", None),
    "theta": (r"\theta", -1),
    "new": (r"\theta", 0),
    "g": ("g", 0),
    "update": (r"\Delta\theta", 0),
    "velocity": ("v", 0),
    "velocity_prev": ("v", -1),
    "direction": ("d", 0),
    "s": ("s", 0),
    "s_prev": ("s", -1),
    "m": ("m", 0),
    "m_prev": ("m", -1),
    "v": ("v", 0),
    "v_prev": ("v", -1),
    "m_hat": (r"\hat{m}", 0),
    "v_hat": (r"\hat{v}", 0),
    "decayed": (r"\tilde{\theta}", 0),
})

LABELS = MappingProxyType({
    "theta": "θ", "g": "g", "velocity": "v", "direction": "d = g + μv", "s": "s", "m": "m", "v": "v",
    "m_hat": "m̂", "v_hat": "v̂", "decayed": "θ̃", "update": "Δθ", "new": "θ'",
})
"""Plain-text column headings of the rows (θ is the value before the step, θ' after)."""


def symbol(name: str, t: int | None = None) -> str:
    """The LaTeX symbol of a quantity or hyperparameter, in general (``t``) or at step ``t``.

    >>> symbol("m_prev"), symbol("m_prev", 1), symbol("beta1", 1), symbol("new", 3), symbol("t", 3)
    ('m_{t-1}', 'm_{0}', '\\\\beta_1', '\\\\theta_{3}', '3')
    """
    base, offset = _SYMBOLS[name]
    if name == "t" and t is not None:
        return str(t)
    if offset is None:
        return base
    if t is None:
        return f"{base}_{{t-1}}" if offset else f"{base}_t"
    return f"{base}_{{{t + offset}}}"


@dataclass(frozen=True)
class Equation:
    """One line of a rule: the row column ``target`` equals ``definition`` (LaTeX with «name» placeholders).

    >>> e = Equation("m", "«beta1»«*»«m_prev» + (1 - «beta1»)«*»«g»")
    >>> e.names
    ('beta1', 'm_prev', 'g')
    >>> e.latex()
    'm_t = \\\\beta_1 m_{t-1} + (1 - \\\\beta_1) g_t'
    >>> e.substituted({"beta1": "0.9", "m_prev": "0", "g": "-2"})
    '0.9 \\\\cdot 0 + (1 - 0.9) \\\\cdot (-2)'
    """

    target: str
    definition: str

    @property
    def names(self) -> tuple[str, ...]:
        """The quantities and hyperparameters the definition uses, in order of first appearance."""
        found = (m.group(1) for m in _PLACEHOLDER.finditer(self.definition) if m.group(1) != "*")
        return tuple(dict.fromkeys(found))

    def latex(self, t: int | None = None) -> str:
        """The equation in symbols, in general or with the subscripts of step ``t``."""
        definition = self.at_step(1).definition if t == 1 else self.definition  # 1 − β₁ at step 1
        body = _PLACEHOLDER.sub(lambda m: " " if m.group(1) == "*" else symbol(m.group(1), t), definition)
        return f"{symbol(self.target, t)} = {body}"

    def at_step(self, t: int) -> Equation:
        """The equation as written at step ``t``: a power to the t is written as its base at t = 1 (1 − β₁, not
        1 − β₁¹) and as «name_to_t» (the power's value, a number of its own) after that.

        >>> Equation("m_hat", r"\\frac{«m»}{1 - «beta1»^{«t»}}").at_step(1).definition
        '\\\\frac{«m»}{1 - «beta1»}'
        >>> Equation("m_hat", r"\\frac{«m»}{1 - «beta1»^{«t»}}").at_step(2).names
        ('m', 'beta1_to_t')
        """
        written = _POWER_OF_T.sub(r"«\1»" if t == 1 else rf"«\1{POWER_SUFFIX}»", self.definition)
        return Equation(self.target, written)

    def substituted(self, values: Mapping[str, str]) -> str:
        """The definition with numbers: ``values`` maps each name to the LaTeX of its number (a renderer formats
        them); a negative number goes in parentheses unless it opens the definition or a group ({−2.9}).

        >>> Equation("new", r"«theta» - \\frac{«g»}{«v»}").substituted({"theta": "-1", "g": "-2", "v": "-3"})
        '-1 - \\\\frac{-2}{-3}'
        """
        def put(match: re.Match) -> str:
            name = match.group(1)
            if name == "*":
                return r" \cdot "
            text = values[name].strip()
            opening = match.start() == 0 or self.definition[match.start() - 1] == "{"
            return f"({text})" if text.startswith(("-", "−")) and not opening else text

        return _PLACEHOLDER.sub(put, self.definition)


def equations(*lines: tuple[str, str]) -> tuple[Equation, ...]:
    """Equations from (target, definition) pairs."""
    return tuple(Equation(target, definition) for target, definition in lines)


NEW = ("new", "«theta» + «update»")
MOMENTUM = ("velocity", "«momentum»«*»«velocity_prev» + «g»")
MOMENTS = (
    ("m", "«beta1»«*»«m_prev» + (1 - «beta1»)«*»«g»"),
    ("v", "«beta2»«*»«v_prev» + (1 - «beta2»)«*»«g»^2"),
    ("m_hat", r"\frac{«m»}{1 - «beta1»^{«t»}}"),
    ("v_hat", r"\frac{«v»}{1 - «beta2»^{«t»}}"),
)
ADAM_STEP = r"«lr»«*»\frac{«m_hat»}{\sqrt{«v_hat»} + «eps»}"

EQUATIONS = MappingProxyType({
    "sgd": equations(("update", "-«lr»«*»«g»"), NEW),
    "momentum": equations(MOMENTUM, ("update", "-«lr»«*»«velocity»"), NEW),
    "nesterov": equations(MOMENTUM, ("direction", "«g» + «momentum»«*»«velocity»"),
                          ("update", "-«lr»«*»«direction»"), NEW),
    "rmsprop": equations(("s", "«rho»«*»«s_prev» + (1 - «rho»)«*»«g»^2"),
                         ("update", r"-«lr»«*»\frac{«g»}{\sqrt{«s»} + «eps»}"), NEW),
    "adam": equations(*MOMENTS, ("update", "-" + ADAM_STEP), NEW),
    "adamw": equations(("decayed", "«theta» - «lr»«*»«weight_decay»«*»«theta»"), *MOMENTS,
                       ("new", "«decayed» - " + ADAM_STEP), ("update", "«new» - «theta»")),
})
"""Each rule's equations in the order they are computed; their targets are the row's columns but θ."""
