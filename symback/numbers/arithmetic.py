"""Two arithmetics the engine runs the same graph in: exact (SymEngine) and decimal (Python's decimal).

Exact values stay exact: a SymPy Rational becomes a SymEngine Rational, ``exp(1)`` stays ``E``. Decimal values
are computed in the current :mod:`decimal` context, so one pass runs at one precision. Functions that the
decimal module lacks (tanh, sin, ...) go through mpmath at the same precision.
"""

from __future__ import annotations

import decimal
import functools
from decimal import Decimal
from typing import Callable, Sequence

import mpmath
import symengine
import sympy
from symengine.lib.symengine_wrapper import sympy2symengine

from ..errors import SymbackError


class UndecidableSign(SymbackError):
    """The sign of an exact value could not be decided (a piecewise function sits on its kink)."""


def exact_from_sympy(value: sympy.Expr) -> symengine.Basic:
    """An exact SymPy number as a SymEngine number, fast for integers and rationals.

    >>> exact_from_sympy(sympy.Rational(53, 25))
    53/25
    """
    if value.is_Integer:
        return symengine.Integer(int(value))
    if value.is_Rational:
        return symengine.Rational(int(value.p), int(value.q))
    return sympy2symengine(value, raise_error=True)


_SYMENGINE_ZERO = type(symengine.Integer(0))  # SymEngine's one zero, whatever made it


def is_exact_zero(value) -> bool:
    """Whether an exact value (SymEngine, or anything comparable with 0) is 0; for SymEngine a type test,
    as SymEngine writes every exact zero as its Zero.

    >>> is_exact_zero(symengine.Rational(3, 4) - symengine.Rational(6, 8)), is_exact_zero(sympy.Rational(1, 3))
    (True, False)
    """
    if isinstance(value, symengine.Basic):
        return value.__class__ is _SYMENGINE_ZERO
    return value == 0


def decimal_from_sympy(value: sympy.Expr) -> Decimal:
    """An exact SymPy constant rounded to the current decimal context.

    >>> with decimal.localcontext(prec=5):
    ...     decimal_from_sympy(sympy.Rational(1, 3))
    Decimal('0.33333')
    """
    if value.is_Integer:
        return +Decimal(int(value))
    if value.is_Rational:
        return Decimal(int(value.p)) / Decimal(int(value.q))
    return compile_expression(value, (), DECIMAL)()


class ExactArithmetic:
    """Exact values as SymEngine expressions."""

    name = "exact"
    zero = symengine.Integer(0)
    one = symengine.Integer(1)
    from_sympy = staticmethod(exact_from_sympy)

    @staticmethod
    def add(values: Sequence) -> symengine.Basic:
        return symengine.Add(*values) if values else symengine.Integer(0)

    @staticmethod
    def mul(values: Sequence) -> symengine.Basic:
        return symengine.Mul(*values) if values else symengine.Integer(1)

    @staticmethod
    def power(base, exponent):
        return base**exponent

    @staticmethod
    def function(name: str) -> Callable:
        return _EXACT_FUNCTIONS[name]

    @staticmethod
    def sign(value) -> int:
        """-1, 0 or 1; decided exactly for numbers, else at 120 digits (error if that cannot tell)."""
        if isinstance(value, (symengine.Integer, symengine.Rational)):
            numerator = int(value.get_num_den()[0]) if isinstance(value, symengine.Rational) else int(value)
            return (numerator > 0) - (numerator < 0)
        if value == 0:
            return 0
        approx = float(value.n(400, real=True) * symengine.Integer(10) ** 100)  # 400 bits: ~120 digits
        if abs(approx) > 1:
            return 1 if approx > 0 else -1
        raise UndecidableSign(f"cannot decide whether {value} is positive, zero or negative")


class DecimalArithmetic:
    """Decimal values at the precision of the current decimal context."""

    name = "decimal"
    zero = Decimal(0)
    one = Decimal(1)
    from_sympy = staticmethod(decimal_from_sympy)

    @staticmethod
    def add(values: Sequence) -> Decimal:
        return sum(values, Decimal(0))

    @staticmethod
    def mul(values: Sequence) -> Decimal:
        result = Decimal(1)
        for value in values:
            result *= value
        return result

    @staticmethod
    def power(base: Decimal, exponent) -> Decimal:
        if exponent == int(exponent):
            return base ** int(exponent)
        if exponent == Decimal("0.5"):
            return base.sqrt()
        return (base.ln() * exponent).exp()

    @staticmethod
    def function(name: str) -> Callable:
        return _DECIMAL_FUNCTIONS[name]

    @staticmethod
    def sign(value: Decimal) -> int:
        return (value > 0) - (value < 0)


EXACT = ExactArithmetic()
DECIMAL = DecimalArithmetic()


def _through_mpmath(function: Callable) -> Callable[[Decimal], Decimal]:
    def evaluate(value: Decimal) -> Decimal:
        digits = decimal.getcontext().prec + 5
        with mpmath.workdps(digits):
            result = function(mpmath.mpf(str(value)))
            return +Decimal(mpmath.nstr(result, digits, strip_zeros=False, min_fixed=1, max_fixed=0))

    return evaluate


def _decimal_pi() -> Decimal:
    digits = decimal.getcontext().prec + 5
    with mpmath.workdps(digits):
        return +Decimal(mpmath.nstr(mpmath.pi, digits, strip_zeros=False))


_EXACT_FUNCTIONS = {
    "exp": symengine.exp,
    "log": symengine.log,
    "sin": symengine.sin,
    "cos": symengine.cos,
    "tan": symengine.tan,
    "tanh": symengine.tanh,
    "sinh": symengine.sinh,
    "cosh": symengine.cosh,
    "atan": symengine.atan,
    "E": lambda: symengine.E,
    "pi": lambda: symengine.pi,
}

MPMATH_ABOVE = 200  # digits past which exp and log go through mpmath: at 1000 digits Decimal's take 26 ms, its 0.4


def _decimal_exp(value: Decimal) -> Decimal:
    return value.exp() if decimal.getcontext().prec <= MPMATH_ABOVE else _mpmath_exp(value)


def _decimal_log(value: Decimal) -> Decimal:
    return value.ln() if decimal.getcontext().prec <= MPMATH_ABOVE or value <= 0 else _mpmath_log(value)


_mpmath_exp, _mpmath_log = _through_mpmath(mpmath.exp), _through_mpmath(mpmath.log)

_DECIMAL_FUNCTIONS = {
    "exp": _decimal_exp,
    "log": _decimal_log,
    "sin": _through_mpmath(mpmath.sin),
    "cos": _through_mpmath(mpmath.cos),
    "tan": _through_mpmath(mpmath.tan),
    "tanh": _through_mpmath(mpmath.tanh),
    "sinh": _through_mpmath(mpmath.sinh),
    "cosh": _through_mpmath(mpmath.cosh),
    "atan": _through_mpmath(mpmath.atan),
    "E": lambda: Decimal(1).exp(),
    "pi": _decimal_pi,
}

_SMOOTH_HEADS = {
    sympy.exp: "exp",
    sympy.log: "log",
    sympy.sin: "sin",
    sympy.cos: "cos",
    sympy.tan: "tan",
    sympy.tanh: "tanh",
    sympy.sinh: "sinh",
    sympy.cosh: "cosh",
    sympy.atan: "atan",
}


def compile_expression(expr: sympy.Expr, variables: Sequence[sympy.Symbol], arithmetic) -> Callable:
    """Turn a SymPy expression into a function of ``variables`` computing in ``arithmetic``.

    Piecewise, Heaviside, Abs, sign, Max and Min choose their branch from the sign of the argument, so the
    exact arithmetic keeps exact values (``relu(-1/3)`` is ``0``, not ``Max(0, -1/3)``).

    >>> z = sympy.Symbol("z")
    >>> compile_expression(sympy.exp(z) / (1 + sympy.exp(z)), [z], EXACT)(symengine.Integer(1))
    E/(1 + E)
    """
    build = _Compiler(variables if isinstance(variables, tuple) else tuple(variables), arithmetic).build
    body = build(expr)
    return lambda *values: body(values)


@functools.lru_cache(maxsize=64)  # a loss over 2000 outputs compiles 2000 partials in the same 4000 variables
def _positions(variables: tuple) -> tuple[dict, frozenset]:
    return {symbol: i for i, symbol in enumerate(variables)}, frozenset(variables)


class _Compiler:
    def __init__(self, variables: tuple, arithmetic):
        self.position, self.variables = _positions(variables)
        self.arithmetic = arithmetic

    def build(self, expr) -> Callable[[tuple], object]:
        arithmetic = self.arithmetic
        if expr in self.position:
            i = self.position[expr]
            return lambda values: values[i]
        if expr.is_Number or expr.is_NumberSymbol or expr.free_symbols.isdisjoint(self.variables):
            if expr.is_Number and isinstance(arithmetic, DecimalArithmetic) and not (
                    expr.is_Integer and abs(expr) < 10**20):
                from_sympy = arithmetic.from_sympy
                return lambda values: from_sympy(expr)  # rounded at the precision of the call, not of now
            if expr.is_Number:
                constant_value = arithmetic.from_sympy(expr)
                return lambda values: constant_value
            return self._constant(expr)
        handler = _HANDLERS.get(expr.func) or _HANDLERS.get(type(expr))
        if handler is None:
            for head, name in _SMOOTH_HEADS.items():
                if expr.func == head:
                    return self._smooth(name, expr.args[0])
            raise SymbackError(f"symback cannot evaluate {expr.func.__name__} in {expr}")
        return handler(self, expr)

    def _constant(self, expr):
        if expr == sympy.E:
            return _lazy(lambda: self.arithmetic.function("E")())
        if expr == sympy.pi:
            return _lazy(lambda: self.arithmetic.function("pi")())
        inner = _Compiler((), self.arithmetic)
        without_variables = _HANDLERS.get(expr.func) or _HANDLERS.get(type(expr))
        if without_variables is not None:
            body = without_variables(inner, expr)
        else:
            name = next(n for head, n in _SMOOTH_HEADS.items() if expr.func == head)
            body = inner._smooth(name, expr.args[0])
        return lambda values: body(())

    def _smooth(self, name, argument):
        function = self.arithmetic.function(name)
        inner = self.build(argument)
        return lambda values: function(inner(values))

    def _sign_of(self, expr):
        inner = self.build(expr)
        sign = self.arithmetic.sign
        return lambda values: sign(inner(values))


def _lazy(make):
    return lambda values: make()


def _add(compiler, expr):
    parts = [compiler.build(arg) for arg in expr.args]
    add = compiler.arithmetic.add
    return lambda values: add([part(values) for part in parts])


def _mul(compiler, expr):
    parts = [compiler.build(arg) for arg in expr.args]
    mul = compiler.arithmetic.mul
    return lambda values: mul([part(values) for part in parts])


def _pow(compiler, expr):
    base, exponent = expr.args
    base_of = compiler.build(base)
    if exponent.is_Rational:
        exact_exponent = compiler.arithmetic.from_sympy(exponent)
        if compiler.arithmetic is DECIMAL and exponent.is_Integer:
            exact_exponent = int(exponent)
        power = compiler.arithmetic.power
        return lambda values: power(base_of(values), exact_exponent)
    exponent_of = compiler.build(exponent)
    if compiler.arithmetic is DECIMAL:
        return lambda values: (base_of(values).ln() * exponent_of(values)).exp()
    return lambda values: base_of(values) ** exponent_of(values)


def _abs(compiler, expr):
    inner = compiler.build(expr.args[0])
    sign = compiler.arithmetic.sign
    zero = compiler.arithmetic.zero

    def absolute(values):
        value = inner(values)
        return -value if sign(value) < 0 else (zero if sign(value) == 0 else value)

    return absolute


def _sign(compiler, expr):
    sign_of = compiler._sign_of(expr.args[0])
    as_value = compiler.arithmetic.from_sympy
    return lambda values: as_value(sympy.Integer(sign_of(values)))


def _heaviside(compiler, expr):
    sign_of = compiler._sign_of(expr.args[0])
    at_zero = expr.args[1] if len(expr.args) > 1 else sympy.Rational(1, 2)
    as_value = compiler.arithmetic.from_sympy
    outcomes = {-1: as_value(sympy.Integer(0)), 0: as_value(at_zero), 1: as_value(sympy.Integer(1))}
    return lambda values: outcomes[sign_of(values)]


def _extremum(choose_larger: bool):
    def handler(compiler, expr):
        parts = [compiler.build(arg) for arg in expr.args]
        sign = compiler.arithmetic.sign

        def extremum(values):
            best = parts[0](values)
            for part in parts[1:]:
                candidate = part(values)
                difference = sign(candidate - best)
                if (difference > 0) if choose_larger else (difference < 0):
                    best = candidate
            return best

        return extremum

    return handler


_RELATIONS = {
    sympy.StrictGreaterThan: lambda s: s > 0,
    sympy.GreaterThan: lambda s: s >= 0,
    sympy.StrictLessThan: lambda s: s < 0,
    sympy.LessThan: lambda s: s <= 0,
    sympy.Equality: lambda s: s == 0,
    sympy.Unequality: lambda s: s != 0,
}


def _condition(compiler, condition):
    if condition == sympy.true:
        return lambda values: True
    if condition == sympy.false:
        return lambda values: False
    if isinstance(condition, (sympy.And, sympy.Or)):
        parts = [_condition(compiler, arg) for arg in condition.args]
        combine = all if isinstance(condition, sympy.And) else any
        return lambda values: combine(part(values) for part in parts)
    test = _RELATIONS.get(type(condition))
    if test is None:
        raise SymbackError(f"symback cannot evaluate the condition {condition}")
    sign_of = compiler._sign_of(condition.lhs - condition.rhs)
    return lambda values: test(sign_of(values))


def _piecewise(compiler, expr):
    branches = [(compiler.build(value), _condition(compiler, condition)) for value, condition in expr.args]

    def piecewise(values):
        for value_of, holds in branches:
            if holds(values):
                return value_of(values)
        raise SymbackError(f"no branch of {expr} applies")

    return piecewise


_HANDLERS = {
    sympy.Add: _add,
    sympy.Mul: _mul,
    sympy.Pow: _pow,
    sympy.Abs: _abs,
    sympy.sign: _sign,
    sympy.Heaviside: _heaviside,
    sympy.Max: _extremum(True),
    sympy.Min: _extremum(False),
    sympy.Piecewise: _piecewise,
}
