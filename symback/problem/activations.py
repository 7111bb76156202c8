"""The activation registry: name -> SymPy expression in z, its derivative (SymPy's diff), LaTeX and a remark.

Every activation is an expression in the real symbol :data:`Z`; the derivative is SymPy's ``diff`` of it, put in
its shortest equal form. ReLU's kink follows a stated convention: f'(0) is the left derivative (0 for relu, the
slope for leaky_relu) unless a problem sets ``derivative_at_zero``.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass
from typing import Callable

import sympy

from ..errors import ParseError, ProblemError
from ..numbers.parse import parse_expression
from .model import ActivationSpec
from .remarks import Remark

Z = sympy.Symbol("z", real=True)
H = sympy.Symbol("h", real=True)  # an activation's output, for derivatives written through it: σ' = h(1 − h)


@dataclass(frozen=True)
class Activation:
    """One activation function, ready for the engine and for printing.

    >>> sigmoid = make_activation(ActivationSpec("sigmoid"))
    >>> sigmoid.derivative
    exp(z)/(exp(z) + 1)**2
    """

    name: str
    expression: sympy.Expr  # f(z)
    derivative: sympy.Expr  # f'(z), from sympy.diff
    latex: str  # the function's name in LaTeX, e.g. r"\sigma"
    remark: str  # one line for the conventions box
    derivative_in_output: sympy.Expr | None = None  # f'(z) as a function of h = f(z), where one is taught
    taught: sympy.Expr | None = None  # f(z) as the sheet writes it where that differs from ``expression``

    @property
    def shown(self) -> sympy.Expr:
        """f(z) as a sheet writes it, in the form its conventions state (σ(z) = 1/(1 + e^{−z})).

        >>> make_activation(ActivationSpec("sigmoid")).shown
        1/(1 + exp(-z))
        """
        return self.expression if self.taught is None else self.taught

    @property
    def is_identity(self) -> bool:
        return self.expression == Z

    @property
    def is_zero(self) -> bool:
        return self.expression == 0


@dataclass(frozen=True)
class _Definition:
    expression: Callable[[ActivationSpec], sympy.Expr]
    latex: str
    remark: Callable[[ActivationSpec], str]
    derivative_in_output: sympy.Expr | None = None  # in H; checked against diff by the tests
    taught: sympy.Expr | None = None  # f(z) as written, where the engine's form differs (equal to it)


def _relu_family(spec: ActivationSpec) -> sympy.Expr:
    slope = spec.slope if spec.slope is not None else sympy.Rational(1, 100)
    below = slope * Z if spec.kind == "leaky_relu" else sympy.Integer(0)
    return sympy.Piecewise((Z, Z > 0), (below, True))


def _relu_remark(spec: ActivationSpec) -> str:
    at_zero = spec.derivative_at_zero
    if spec.kind == "leaky_relu":
        slope = spec.slope if spec.slope is not None else sympy.Rational(1, 100)
        convention = at_zero if at_zero is not None else slope
        return Remark(f"leaky ReLU with slope {slope} for z < 0; its derivative at z = 0 is taken to be {convention}",
                      f"leaky ReLU with slope ${sympy.latex(slope)}$ for $z < 0$; its derivative at $z = 0$ is taken "
                      f"to be ${sympy.latex(convention)}$")
    convention = at_zero if at_zero is not None else 0
    at_zero_latex = sympy.latex(sympy.Integer(convention) if isinstance(convention, int) else convention)
    return Remark(f"ReLU(z) = max(0, z), so ReLU'(z) = [z > 0], where [P] is 1 if P holds and 0 if not; ReLU'(0) is "
                  f"taken to be {convention} (ReLU has no derivative at 0)",
                  r"$\operatorname{ReLU}(z) = \max(0, z)$, so $\operatorname{ReLU}'(z) = [z > 0]$, where $[P]$ is $1$ "
                  rf"if $P$ holds and $0$ if not; $\operatorname{{ReLU}}'(0)$ is taken to be ${at_zero_latex}$ (ReLU has no "
                  "derivative at $0$)")


def _custom(spec: ActivationSpec) -> sympy.Expr:
    return parse_expression(spec.expression or "", {"z": Z})


REGISTRY: dict[str, _Definition] = {
    "sigmoid": _Definition(
        lambda spec: sympy.exp(Z) / (1 + sympy.exp(Z)),
        r"\sigma",
        lambda spec: Remark("σ(z) = 1/(1 + e⁻ᶻ); σ'(z) = σ(z)(1 − σ(z)) ≤ 1/4",
                            r"$\sigma(z) = \frac{1}{1 + e^{-z}}$, $\sigma'(z) = \sigma(z)\,(1 - \sigma(z)) \le \frac{1}{4}$"),
        H * (1 - H),
        1 / (1 + sympy.exp(-Z)),
    ),
    "tanh": _Definition(lambda spec: sympy.tanh(Z), r"\tanh",
                        lambda spec: Remark("tanh'(z) = 1 − tanh²(z)", r"$\tanh'(z) = 1 - \tanh^2(z)$"), 1 - H**2),
    "relu": _Definition(_relu_family, r"\operatorname{ReLU}", _relu_remark),
    "leaky_relu": _Definition(_relu_family, r"\operatorname{LReLU}", _relu_remark),
    "identity": _Definition(lambda spec: Z, r"\operatorname{id}",
                            lambda spec: Remark("identity: f(z) = z", "identity: $f(z) = z$")),
    "softplus": _Definition(
        lambda spec: sympy.log(1 + sympy.exp(Z)),
        r"\operatorname{softplus}",
        lambda spec: Remark("softplus(z) = log(1 + eᶻ); its derivative is the sigmoid",
                            r"$\operatorname{softplus}(z) = \log(1 + e^{z})$; its derivative is the sigmoid"),
        1 - sympy.exp(-H),
    ),
    "zero": _Definition(
        lambda spec: sympy.Integer(0),
        "f",
        lambda spec: Remark("f ≡ 0: every output of the layer is 0 and f' = 0, so no gradient passes through it",
                            r"$f \equiv 0$: every output of the layer is $0$ and $f' = 0$, so no gradient passes "
                            "through it"),
    ),
    "custom": _Definition(_custom, "f", lambda spec: Remark(f"f(z) = {spec.expression}",
                                                            f"$f(z) = {sympy.latex(_custom(spec))}$")),
}

KNOWN_ACTIVATIONS = tuple(name for name in REGISTRY if name != "custom")


def shortest_form(expr: sympy.Expr) -> sympy.Expr:
    """The shortest of a few equal forms of ``expr`` (SymPy's simplify alone often lengthens derivatives).

    >>> z = sympy.Symbol("z")
    >>> shortest_form(sympy.exp(z)/(1 + sympy.exp(z)) - sympy.exp(2*z)/(1 + sympy.exp(z))**2)
    exp(z)/(exp(z) + 1)**2
    """
    if expr.has(sympy.Piecewise, sympy.Heaviside, sympy.Abs, sympy.sign, sympy.Max, sympy.Min):
        return sympy.piecewise_fold(expr)
    if not small_enough_to_factor(expr):
        return expr
    candidates = [expr, sympy.factor(sympy.together(expr)), sympy.cancel(expr)]
    return min(candidates, key=lambda candidate: (sympy.count_ops(candidate), len(str(candidate))))


# factor and cancel expand polynomials: their work grows with the degree and, past a hundred operations, with
# every exp(k z) a generator of its own (12 such sums took 28 s, z^1000/(1 + z^999) never ended)
FACTOR_OPS = 80
FACTOR_DEGREE = 12
FACTOR_BITS = 128  # bits of the largest numerator or denominator in a derivative factor may meet
FACTOR_SYMBOLS = 8  # factoring in many variables is slow even when short: softmax's ∂L/∂ŷ_k for 10 outputs took 4 s


def small_enough_to_factor(expr: sympy.Expr) -> bool:
    """Whether ``expr`` is small enough for :func:`shortest_form` to try factor and cancel on it: at most
    FACTOR_OPS operations in at most FACTOR_SYMBOLS symbols, no power whose exponent has a numerator beyond
    FACTOR_DEGREE and no number of more than FACTOR_BITS bits (else it stays as written).

    >>> small_enough_to_factor(sympy.exp(Z)/(1 + sympy.exp(Z))**2), small_enough_to_factor(Z**1000/(1 + Z**999))
    (True, False)
    """
    if not _nodes_at_most(expr, 4 * FACTOR_OPS):  # before any walk over the whole of a large expression
        return False
    powers = (power.exp for power in expr.atoms(sympy.Pow))
    if any(exponent.is_Rational and abs(exponent.p) > FACTOR_DEGREE for exponent in powers):
        return False
    if any(max(abs(number.p), number.q).bit_length() > FACTOR_BITS for number in expr.atoms(sympy.Rational)):
        return False  # sigmoid(z·10^309): factor searched the coefficients for minutes
    return len(expr.free_symbols) <= FACTOR_SYMBOLS and sympy.count_ops(expr) <= FACTOR_OPS


def _nodes_at_most(expr: sympy.Expr, limit: int) -> bool:
    """Whether ``expr`` has at most ``limit`` nodes, walking no more than ``limit + 1`` of them."""
    return sum(1 for _ in itertools.islice(sympy.preorder_traversal(expr), limit + 1)) <= limit


@functools.lru_cache(maxsize=256)
def make_activation(spec: ActivationSpec) -> Activation:
    """Build the activation a problem file names; its derivative comes from ``sympy.diff``.

    >>> make_activation(ActivationSpec("relu", derivative_at_zero=sympy.Rational(1, 2))).derivative
    Piecewise((1, z > 0), (1/2, Eq(z, 0)), (0, True))
    """
    definition = REGISTRY.get(spec.kind)
    if definition is None:
        raise ProblemError("activation", f"unknown activation {spec.kind!r} (known: {', '.join(KNOWN_ACTIVATIONS)})")
    try:
        expression = definition.expression(spec)
    except ParseError as err:
        raise ProblemError("activation", f"cannot read {spec.expression!r}: {err.reason}") from err
    derivative = shortest_form(sympy.diff(expression, Z))
    if spec.derivative_at_zero is not None and spec.kind in ("relu", "leaky_relu"):
        derivative = _with_value_at_zero(derivative, spec.derivative_at_zero)
    return Activation(spec.kind, expression, derivative, definition.latex, definition.remark(spec),
                      definition.derivative_in_output, definition.taught)


def _with_value_at_zero(derivative: sympy.Expr, at_zero: sympy.Expr) -> sympy.Expr:
    """Insert the branch z = 0 first, keeping the rest of the piecewise derivative as it is."""
    branches = list(derivative.args) if isinstance(derivative, sympy.Piecewise) else [(derivative, True)]
    return sympy.Piecewise(branches[0], (at_zero, sympy.Eq(Z, 0)), *branches[1:])
