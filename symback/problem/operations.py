"""The operations a circuit node can be: name -> SymPy builder, LaTeX, a remark, and rules for kinks and domains.

A node's local function is ``build(*operands)`` in its operands' symbols; its local partials are SymPy's
``diff`` of it, except for the piecewise-linear operations (abs, relu, max, min), whose partials follow a
stated rule at their kinks (``kink``), and which are then exactly ``Σ partial_i · operand_i``:

* ``abs'(0) = 0`` (SymPy's ``diff(Abs(a), a) = sign(a)``) and ``relu'(0) = 0``;
* max and min at a tie: ``ties = "split"`` (the default) gives each tied argument an equal share (½ for two,
  ⅓ for three), ``ties = "first"`` all of it to the first tied argument (left to right).

``domain`` checks the operands' exact values before a node is computed and names what is wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import symengine
import sympy

from ..numbers.parse import MAX_EXPONENT
from .remarks import Remark

Sign = Callable[[object], int]  # an arithmetic's exact sign: -1, 0 or 1
Domain = Callable[[Sequence, Sequence[bool], Sign], "str | None"]


@dataclass(frozen=True)
class Operation:
    """One kind of node.

    ``build`` makes the local function from the operands (Symbols or constants); ``latex`` and ``text`` are how
    a sheet writes it; ``remark`` is a line for the conventions box, plain text with its LaTeX form
    (:class:`~symback.problem.remarks.Remark`; empty when there is nothing to say);
    ``kink(operands, i, ties)`` is ∂/∂operand_i of a piecewise-linear operation with its tie rule;
    ``domain(values, is_node, sign)`` returns a message about the operands' values ("{0}" stands for the
    first operand) or None if the node can be computed and differentiated there.
    """

    name: str
    build: Callable[..., sympy.Expr]
    latex: str
    text: str
    remark: str = ""
    kink: Callable[[Sequence[sympy.Expr], int, str], sympy.Expr] | None = None
    domain: Domain | None = None

    @property
    def piecewise_linear(self) -> bool:
        return self.kink is not None


def _positive(what: str) -> Domain:
    def check(values, is_node, sign):
        if sign(values[0]) <= 0:
            return f"{what}, but {{0}}"
        return None

    return check


def _log_domain(values, is_node, sign):
    if sign(values[0]) <= 0:
        return "log needs an argument > 0, but {0}"
    if len(values) == 2 and (sign(values[1]) <= 0 or sign(values[1] - 1) == 0):
        return "the base of log(a, base) must be > 0 and not 1, but {1}"
    return None


def _division_domain(values, is_node, sign):
    return "division by zero: {1}" if sign(values[1]) == 0 else None


def _power_domain(values, is_node, sign):
    base, exponent = values
    if is_node[1]:
        return None if sign(base) > 0 else "a power with a variable exponent needs a base > 0, but {0}"
    integer = isinstance(exponent, symengine.Integer)
    if sign(base) == 0 and (sign(exponent) < 0 if integer else sign(exponent - 1) < 0):
        what = "division by zero" if sign(exponent) < 0 else "its derivative is undefined there"
        return f"{{0}} raised to {exponent}: {what}"
    if not integer and sign(base) < 0:
        return f"a negative number has no real power {exponent}: {{0}}"
    return None


def _tangent_domain(values, is_node, sign):
    return "tan is undefined where cos = 0, as at {0}" if sign(symengine.cos(values[0])) == 0 else None


def _bounded_exponent(name: str) -> Domain:
    def check(values, is_node, sign):
        if sign(values[0] - MAX_EXPONENT) > 0 or sign(values[0] + MAX_EXPONENT) < 0:
            return f"{name} of an argument beyond ±{MAX_EXPONENT} is too large or too small to compute: {{0}}"
        return None

    return check


def _relu_kink(operands, index, ties):
    return sympy.Piecewise((1, operands[0] > 0), (0, True))


def _abs_kink(operands, index, ties):
    return sympy.sign(operands[0])  # SymPy's diff(Abs(a), a) for real a; sign(0) = 0


def _extremum_kink(larger: bool):
    def beats(a, b):
        return a > b if larger else a < b

    def at_least(a, b):
        return a >= b if larger else a <= b

    def kink(operands, index, ties):
        mine = operands[index]
        others = [operand for i, operand in enumerate(operands) if i != index]
        if ties == "first":  # strictly better than those before, at least as good as those after
            condition = sympy.And(*[beats(mine, other) for other in operands[:index]],
                                  *[at_least(mine, other) for other in operands[index + 1:]])
            return sympy.Piecewise((1, condition), (0, True))
        if len(others) == 1:
            return sympy.Piecewise((1, beats(mine, others[0])), (sympy.S.Half, sympy.Eq(mine, others[0])), (0, True))
        tied = 1 + sympy.Add(*[sympy.Piecewise((1, sympy.Eq(other, mine)), (0, True)) for other in others])
        return sympy.Piecewise((0, sympy.Or(*[beats(other, mine) for other in others])), (1 / tied, True))

    return kink


_IVERSON = Remark("[P] is 1 if P holds and 0 if not", "$[P]$ is $1$ if $P$ holds and $0$ if not")


def _ties_remark(rule: str, words: str) -> Remark:
    """max and min: which argument the gradient goes to (written [a > b], an Iverson bracket), and at a tie."""
    return Remark(f"max passes the gradient to the larger argument, ∂max(a, b)/∂a = [a > b], where {_IVERSON} "
                  f'(min to the smaller); at a tie {words} (ties = "{rule}")',
                  r"$\max$ passes the gradient to the larger argument, $\partial \max(a, b) / \partial a = [a > b]$, "
                  rf'where {_IVERSON.latex} ($\min$ to the smaller); at a tie {words} (ties = "{rule}")')


_TIES = _ties_remark("split", "each tied argument gets an equal share of the gradient")
_FIRST = _ties_remark("first", "the first tied argument gets all of the gradient")
_RADIANS = Remark("angles in radians", "angles in radians")
_REMARKS = {
    "log": Remark("log is the natural logarithm", r"$\log$ is the natural logarithm"),
    "sqrt": Remark("√a needs a > 0: its derivative is undefined at a = 0",
                   r"$\sqrt{a}$ needs $a > 0$: its derivative is undefined at $a = 0$"),
    "abs": Remark("|a|' = sgn(a), and at a = 0 it is taken to be 0",
                  r"$|a|' = \operatorname{sgn}(a)$, and at $a = 0$ it is taken to be $0$"),
    "tanh": Remark("tanh'(a) = 1 − tanh²(a)", r"$\tanh'(a) = 1 - \tanh^2(a)$"),
    "sigmoid": Remark("σ(a) = 1/(1 + e⁻ᵃ); σ'(a) = σ(a)(1 − σ(a))",
                      r"$\sigma(a) = \frac{1}{1 + e^{-a}}$, $\sigma'(a) = \sigma(a)\,(1 - \sigma(a))$"),
    "softplus": Remark("softplus(a) = log(1 + eᵃ); its derivative is σ(a)",
                       r"$\operatorname{softplus}(a) = \log(1 + e^{a})$; its derivative is $\sigma(a)$"),
    "relu": Remark(f"ReLU(a) = max(0, a), so ReLU'(a) = [a > 0], where {_IVERSON}; ReLU'(0) is taken to be 0",
                   r"$\operatorname{ReLU}(a) = \max(0, a)$, so $\operatorname{ReLU}'(a) = [a > 0]$, where "
                   rf"{_IVERSON.latex}; $\operatorname{{ReLU}}'(0)$ is taken to be $0$"),
}

_ENTRIES = [
    Operation("id", lambda a: a, "=", "="),
    Operation("add", lambda a, b: a + b, "+", "+"),
    Operation("sub", lambda a, b: a - b, "-", "−"),
    Operation("mul", lambda a, b: a * b, r"\cdot", "·"),
    Operation("div", lambda a, b: a / b, r"\frac", "/", domain=_division_domain),
    Operation("neg", lambda a: -a, "-", "−"),
    Operation("pow", lambda a, b: a**b, "^", "^", domain=_power_domain),
    Operation("exp", sympy.exp, r"\exp", "exp", domain=_bounded_exponent("exp")),
    Operation("log", lambda a, base=None: sympy.log(a) if base is None else sympy.log(a) / sympy.log(base),
              r"\log", "log", _REMARKS["log"], domain=_log_domain),
    Operation("sqrt", sympy.sqrt, r"\sqrt", "sqrt", _REMARKS["sqrt"],
              domain=_positive("sqrt needs an argument > 0 (its derivative is undefined at 0)")),
    Operation("abs", sympy.Abs, r"\left|\cdot\right|", "abs", _REMARKS["abs"], kink=_abs_kink),
    Operation("sin", sympy.sin, r"\sin", "sin", _RADIANS),
    Operation("cos", sympy.cos, r"\cos", "cos", _RADIANS),
    Operation("tan", sympy.tan, r"\tan", "tan", _RADIANS, domain=_tangent_domain),
    Operation("sinh", sympy.sinh, r"\sinh", "sinh", domain=_bounded_exponent("sinh")),
    Operation("cosh", sympy.cosh, r"\cosh", "cosh", domain=_bounded_exponent("cosh")),
    Operation("tanh", sympy.tanh, r"\tanh", "tanh", _REMARKS["tanh"]),
    Operation("atan", sympy.atan, r"\arctan", "atan"),
    Operation("sigmoid", lambda a: 1 / (1 + sympy.exp(-a)), r"\sigma", "σ", _REMARKS["sigmoid"],
              domain=_bounded_exponent("sigmoid")),
    Operation("softplus", lambda a: sympy.log(1 + sympy.exp(a)), r"\operatorname{softplus}", "softplus",
              _REMARKS["softplus"], domain=_bounded_exponent("softplus")),
    Operation("relu", lambda a: sympy.Max(0, a), r"\operatorname{ReLU}", "relu", _REMARKS["relu"], kink=_relu_kink),
    Operation("max", sympy.Max, r"\max", "max", _TIES, kink=_extremum_kink(True)),
    Operation("min", sympy.Min, r"\min", "min", _TIES, kink=_extremum_kink(False)),
]

OPERATIONS: dict[str, Operation] = {entry.name: entry for entry in _ENTRIES}


def remark(name: str, ties: str = "split") -> str:
    """The conventions-box line for an operation under the problem's tie rule ("" if none).

    >>> remark("max", "first").split("; ")[-1], remark("log").latex
    ('at a tie the first tied argument gets all of the gradient (ties = "first")', '$\\\\log$ is the natural logarithm')
    """
    text = OPERATIONS[name].remark
    return _FIRST if text == _TIES and ties == "first" else text
