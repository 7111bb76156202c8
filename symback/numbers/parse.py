"""Safe parser for numbers and expressions written by other people (problem files, students' answers).

The text is tokenized and parsed by recursive descent, and the result is built with SymPy constructors
only: nothing in it is ever run as Python or handed to SymPy's own parsers. Every rejection is a
:class:`~symback.errors.ParseError`. As the text comes from strangers, the work is bounded: at most
MAX_TEXT_LENGTH characters, MAX_NESTING levels of brackets and signs, MAX_FUNCTION_NESTING functions or
powers inside each other, exact numbers of about MAX_DIGITS digits at most, other constants real and
between 10**-MAX_DIGITS and 10**MAX_DIGITS in size, and MAX_SECONDS of SymPy work as a last resort.
"""

from __future__ import annotations

import decimal
import fractions
import math
import operator
import re
import time
import types
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, NamedTuple, NoReturn

import sympy
from sympy.core.function import Application  # functions, Abs, Max and Min alike

from symback.errors import ParseError

from .plain import plain_number

MAX_TEXT_LENGTH = 2000
MAX_NESTING = 100
MAX_DIGITS = 1000
MAX_EXPONENT = 10_000  # for non-rational bases and exp(): beyond it values are huge or negligibly tiny
_VARIABLE_EXPONENT_DIGITS = 18
MAX_VARIABLE_EXPONENT = 10**_VARIABLE_EXPONENT_DIGITS  # x^n: beyond, no value but 0 and ±1 is computable (SymEngine
#   computes none: its exponents are machine integers); up to it, the engine refuses values too large at its point
MAX_FUNCTION_NESTING = 8  # functions and powers inside each other: SymPy's own work doubles per level
MAX_SECONDS = 2.0  # last resort against SymPy's own costly simplifications of strange constants

CONSTANTS: Mapping[str, sympy.Expr] = types.MappingProxyType({"e": sympy.E, "pi": sympy.pi, "π": sympy.pi})

_NUMBER = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|π")
_OPERATORS = {"+": "+", "-": "-", "\u2212": "-", "*": "*", "\u00b7": "*", "\u00d7": "*", "/": "/",
              "^": "^", "(": "(", ")": ")", ",": ","}
_CHARACTER_HINTS = {"[": "brackets [] are not allowed; use parentheses", "]": "brackets [] are not allowed",
                    "{": "braces {} are not allowed; use parentheses", "}": "braces {} are not allowed",
                    "'": "quotes are not allowed", '"': "quotes are not allowed", "`": "quotes are not allowed",
                    "=": "'=' is not allowed: write only the expression"}
_UNDEFINED = (sympy.zoo, sympy.nan, sympy.oo, -sympy.oo, sympy.AccumBounds)
_TOO_LARGE = f"number too large: the result would have more than {MAX_DIGITS} digits"
_SIZE_LIMIT = sympy.Float(f"1e{MAX_DIGITS}")


def _log(*args: sympy.Expr) -> sympy.Expr:
    if len(args) == 2 and (args[1].is_zero or args[1] == 1):
        raise ParseError("the base of log(x, base) must not be 0 or 1")  # SymPy would give 0 or zoo
    return sympy.log(*args)


# name -> (fewest arguments, most arguments or None for no limit, constructor)
_FUNCTIONS: dict[str, tuple[int, int | None, Callable[..., sympy.Expr]]] = {
    "sqrt": (1, 1, sympy.sqrt), "exp": (1, 1, sympy.exp), "log": (1, 2, _log), "ln": (1, 1, sympy.log),
    "sin": (1, 1, sympy.sin), "cos": (1, 1, sympy.cos), "tan": (1, 1, sympy.tan),
    "sinh": (1, 1, sympy.sinh), "cosh": (1, 1, sympy.cosh), "tanh": (1, 1, sympy.tanh),
    "atan": (1, 1, sympy.atan), "arctan": (1, 1, sympy.atan), "abs": (1, 1, sympy.Abs),
    "sigmoid": (1, 1, lambda x: 1 / (1 + sympy.exp(-x))),
    "relu": (1, 1, lambda x: sympy.Max(0, x)),
    "softplus": (1, 1, lambda x: sympy.log(1 + sympy.exp(x))),
    "max": (2, None, sympy.Max), "min": (2, None, sympy.Min),
}
FUNCTIONS: frozenset[str] = frozenset(_FUNCTIONS)
_USES_EXP = {"exp", "sigmoid", "softplus"}


class _Token(NamedTuple):
    kind: str  # "number", "name", "op", "end" or "error" (text is then the message)
    text: str
    position: int
    value: Any = None


def _scaled_rational(digits: str, exponent: int) -> sympy.Rational:
    """The exact value int(digits) * 10**exponent, refusing sizes that would be expensive."""
    if len(digits) > MAX_DIGITS:
        raise ParseError(f"number has more than {MAX_DIGITS} digits")
    if not digits.strip("0"):
        return sympy.Integer(0)
    if abs(exponent) > 3 * MAX_DIGITS:
        raise ParseError(f"number's exponent is too large (limit {MAX_DIGITS})")
    value = sympy.Integer(int(digits) * 10**exponent) if exponent >= 0 else sympy.Rational(int(digits), 10**-exponent)
    if max(abs(value.p), value.q) >= 10 ** (MAX_DIGITS + 1):
        raise ParseError(f"number too large or too small: its exact value needs more than {MAX_DIGITS + 1} digits")
    return value


def _literal_value(literal: str) -> sympy.Rational:
    mantissa, _, exponent = literal.lower().partition("e")
    whole, _, fraction = mantissa.partition(".")
    return _scaled_rational(whole + fraction, int(exponent or 0) - len(fraction))


def _tokenize(text: str) -> list[_Token]:
    """Split text into tokens; the first bad character becomes an "error" token that ends the list."""
    tokens: list[_Token] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
            continue
        after_operand = bool(tokens) and (tokens[-1].kind == "name" or tokens[-1].text == ")")
        number, name = _NUMBER.match(text, i), NAME_PATTERN.match(text, i)
        if char == "." and after_operand:
            return tokens + [_Token("error", "attribute access is not allowed", i)]
        if number:
            if text.startswith(".", number.end()):
                return tokens + [_Token("error", "unexpected '.' after a number", number.end())]
            try:
                tokens.append(_Token("number", number.group(), i, _literal_value(number.group())))
            except ParseError as error:
                return tokens + [_Token("error", error.reason, i)]
            i = number.end()
        elif name:
            tokens.append(_Token("name", "pi" if name.group() == "π" else name.group(), i))
            i = name.end()
        elif text.startswith("**", i):
            tokens.append(_Token("op", "^", i))
            i += 2
        elif char in _OPERATORS:
            tokens.append(_Token("op", _OPERATORS[char], i))
            i += 1
        else:
            return tokens + [_Token("error", _CHARACTER_HINTS.get(char, f"unexpected character {char!r}"), i)]
    return tokens + [_Token("end", "end of text", len(text))]


def _log10_height(value: sympy.Expr) -> float:
    """Sum of log10(max(|numerator|, denominator)) over the exact numbers inside value."""
    return sum(math.log10(max(abs(r.p), r.q)) for r in value.atoms(sympy.Rational))


def _scaled_digits(exponent: sympy.Expr, log10_height: float) -> float:
    """Digits SymPy may compute raising a number of height 10**log10_height to the rational power p/q:
    the power's integer part, plus up to q - 1 for the root it extracts (its factors' exponents are mod q)."""
    if not isinstance(exponent, sympy.Rational) or exponent == 0 or log10_height == 0:
        return 0.0
    log10_size = math.log10(abs(exponent.p)) - math.log10(exponent.q)
    if log10_size > 15 or exponent.q > 10**15:
        return math.inf
    return (10**log10_size + exponent.q - 1) * log10_height


def _exp_digits(argument: sympy.Expr) -> float:
    """Rough digits SymPy computes building exp(argument): its logcombine turns every c*log(x) inside into
    log(x**c), and exp(c*log(x)) becomes x**c."""
    total = 0.0
    for node in sympy.preorder_traversal(argument):
        if isinstance(node, sympy.Mul):
            coefficient, rest = node.as_coeff_Mul()
            for factor in sympy.Mul.make_args(rest):
                if isinstance(factor, sympy.log):
                    total += _scaled_digits(coefficient, _log10_height(factor.args[0]))
    return total


def _power_digits(base: sympy.Expr, exponent: sympy.Expr) -> float:
    """Rough digits of the exact number SymPy computes for base**exponent (0 if it stays symbolic)."""
    if base is sympy.E:
        return _exp_digits(exponent)
    if isinstance(base, sympy.exp):
        return _exp_digits(base.args[0] * exponent)
    if not isinstance(exponent, sympy.Rational):
        return 0.0
    if isinstance(base, sympy.Rational):
        return _scaled_digits(exponent, _log10_height(base))
    if isinstance(base, sympy.Pow) and isinstance(base.exp, sympy.Rational):
        return _power_digits(base.base, base.exp * exponent)
    if isinstance(base, sympy.Mul):  # integer powers are distributed over the factors
        return sum(_power_digits(factor, exponent) for factor in base.args)
    return 0.0


def _check_exponent(exponent: sympy.Expr) -> None:
    # SymPy evaluates exp(-10**999) or pi**(10**999) numerically by repeated squaring: far too slow
    if isinstance(exponent, sympy.Rational) and abs(exponent) > MAX_EXPONENT:
        raise ParseError(f"exponent too large (more than {MAX_EXPONENT} in size)")


def divide(numerator: sympy.Expr, denominator: sympy.Expr) -> sympy.Expr:
    """numerator / denominator, refusing a division by zero (SymPy would quietly give zoo).

    >>> divide(sympy.Integer(1), sympy.Integer(3))
    1/3
    """
    if denominator.is_zero:
        raise ParseError("division by zero")  # SymPy would quietly give zoo
    return numerator / denominator


def power(base: sympy.Expr, exponent: sympy.Expr) -> sympy.Expr:
    """base ^ exponent, refusing 0 to a negative power and results with more than MAX_DIGITS digits.

    >>> power(sympy.Integer(2), sympy.Integer(10))
    1024
    """
    if base.is_zero and exponent.is_extended_negative:
        raise ParseError("division by zero")
    if _power_digits(base, exponent) > MAX_DIGITS:
        raise ParseError(_TOO_LARGE)
    if not base.free_symbols and not isinstance(base, sympy.Rational):
        _check_exponent(exponent)
    elif base.free_symbols and isinstance(exponent, sympy.Rational) and abs(exponent) > MAX_VARIABLE_EXPONENT:
        raise ParseError(f"exponent too large (more than 10^{_VARIABLE_EXPONENT_DIGITS} in size)")
    return sympy.Pow(base, exponent)


def apply_function(name: str, *args: sympy.Expr) -> sympy.Expr:
    """The known function ``name`` applied to ``args``, refusing results too large to compute.

    >>> apply_function("sqrt", sympy.Integer(4))
    2
    """
    if name == "sqrt" and _power_digits(args[0], sympy.S.Half) > MAX_DIGITS:
        raise ParseError(_TOO_LARGE)
    if name in _USES_EXP:
        if _exp_digits(args[0]) > MAX_DIGITS:
            raise ParseError(_TOO_LARGE)
        _check_exponent(args[0])
    return _FUNCTIONS[name][2](*args)


_BINARY = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": divide}


def finish(value: sympy.Expr) -> sympy.Expr:
    """The parser's last construction: a no-op, so that the whole value gets the size check that sums skipped.

    >>> finish(sympy.Integer(7))
    7
    """
    return value


class Parser:
    """Recursive descent over: sum := product (('+'|'-') product)*; product := unary (('*'|'/') unary)*;
    unary := ('+'|'-') unary | power; power := primary ('^' unary)?; primary := number | name
    | name '(' sum (',' sum)* ')' | '(' sum ')'.

    Every construction goes through :meth:`build` (with :func:`divide`, :func:`power`, :func:`apply_function`
    or :func:`finish`), the one place a subclass changes what is built (:mod:`symback.numbers.tree`).

    >>> Parser("2^3 - 1", {}).parse()
    7
    """

    def __init__(self, text: str, names: Mapping[str, sympy.Expr]):
        self.text, self.names = text, names
        self.tokens = _tokenize(text)
        self.index = self.depth = 0
        self.nesting: dict[sympy.Basic, int] = {}
        self.sizes: dict[sympy.Basic, sympy.Float | None] = {}
        self.deadline = time.monotonic() + MAX_SECONDS

    def fail(self, message: str, position: int | None) -> NoReturn:
        raise ParseError(message, text=self.text, position=position)

    def peek(self) -> _Token:
        token = self.tokens[self.index]
        if token.kind == "error":  # reported only when reading reaches it, so errors come in text order
            self.fail(token.text, token.position)
        return token

    def advance(self) -> _Token:
        token = self.peek()
        self.index += 1
        return token

    def at(self, *operators: str) -> bool:
        token = self.tokens[self.index]  # no peek: a bad token is reported by whoever reads it next
        return token.kind == "op" and token.text in operators

    @contextmanager
    def nested(self, token: _Token) -> Iterator[None]:
        self.depth += 1
        if self.depth > MAX_NESTING:
            self.fail(f"expression is nested too deeply (limit {MAX_NESTING})", token.position)
        try:
            yield
        finally:
            self.depth -= 1

    def levels(self, value: sympy.Expr) -> int:
        """How many functions and non-integer powers are nested in value (memoized: trees share parts)."""
        if value not in self.nesting:
            own = isinstance(value, Application) or (isinstance(value, sympy.Pow) and not value.exp.is_Integer)
            self.nesting[value] = own + max(map(self.levels, value.args), default=0)
        return self.nesting[value]

    def magnitude(self, value: sympy.Expr) -> sympy.Float | None:
        """|value| to 15 digits if value is a constant (None otherwise), remembered for later use."""
        if value not in self.sizes:
            approximation = None if value.free_symbols else value.evalf(15)
            size = None if approximation is None else abs(approximation)
            if size is not None and abs(approximation.as_real_imag()[1]) > size / 10**10:  # beyond rounding
                raise ParseError(f"not a real number: {str(value)[:40]}")  # complex values are never wanted
            self.sizes[value] = size if isinstance(size, sympy.Float) else None
        return self.sizes[value]

    def check_size(self, value: sympy.Expr, size: sympy.Float | None) -> None:
        """Refuse an inexact constant beyond 10**±MAX_DIGITS in size.

        Checked for every product, quotient, power and function value as it is built (sums can only shrink
        or double: they are checked at the end), so each evaluation stays cheap. Without it sin(exp(exp(99)))
        makes any later evaluation, even SymPy's own sign checks, compute pi to 10**40 bits, and
        1/3 - 2**-(10**9 + pi) needs a billion bits of working precision.
        """
        self.sizes[value] = size
        if size is None or isinstance(value, sympy.Rational):
            return  # symbolic, or exact and bounded by the digit limits already
        if size > _SIZE_LIMIT:
            raise ParseError(f"number too large: its size would exceed 10^{MAX_DIGITS}")
        if 0 < size < 1 / _SIZE_LIMIT:
            raise ParseError(f"number too small: its size would be below 10^-{MAX_DIGITS}")

    def build(self, token: _Token, constructor: Callable[..., sympy.Expr], *args: Any) -> sympy.Expr:
        """Run a SymPy construction, turning every failure and every undefined value into a ParseError."""
        if time.monotonic() > self.deadline:
            self.fail(f"expression takes too long to evaluate (more than {MAX_SECONDS:g} s)", token.position)
        try:
            operands = [arg for arg in args if isinstance(arg, sympy.Basic)]
            if constructor in (power, apply_function) and max(map(self.levels, operands)) >= MAX_FUNCTION_NESTING:
                raise ParseError(f"functions and powers are nested too deeply (limit {MAX_FUNCTION_NESTING})")
            value = constructor(*args)
            undefined = not isinstance(value, sympy.Expr) or value.has(*_UNDEFINED)
            if not undefined and constructor in (operator.mul, divide):  # from the operands' sizes: no evalf
                left, right = (self.magnitude(operand) for operand in operands)
                quotient = constructor is divide
                size = None if left is None or right is None else left / right if quotient else left * right
                self.check_size(value, size)
            elif not undefined and constructor in (power, apply_function, finish):
                self.check_size(value, self.magnitude(value))
        except ParseError as error:
            self.fail(error.reason, token.position)
        except Exception as error:  # whatever SymPy raises on odd input must not escape as a crash
            self.fail(f"cannot compute this: {type(error).__name__}: {str(error)[:100]}", token.position)
        if undefined:
            self.fail("the value is undefined or infinite (such as log(0) or tan(pi/2))", token.position)
        return value

    def unexpected(self, token: _Token) -> NoReturn:
        if token.text == ",":
            self.fail("',' is only allowed between the arguments of a function", token.position)
        if token.text == ")":
            self.fail("unmatched ')'", token.position)
        if token.kind in ("number", "name") or token.text == "(":
            self.fail(f"implicit multiplication is not allowed: write '*' before {token.text!r}", token.position)
        self.fail(f"unexpected {token.text!r}", token.position)

    def parse(self) -> sympy.Expr:
        if self.peek().kind == "end":
            self.fail("empty expression", 0)
        value = self.sum()
        if self.peek().kind != "end":
            self.unexpected(self.peek())
        return self.build(self.peek(), finish, value)

    def sum(self) -> sympy.Expr:
        value = self.product()
        while self.at("+", "-"):
            token = self.advance()
            value = self.build(token, _BINARY[token.text], value, self.product())
        return value

    def product(self) -> sympy.Expr:
        value = self.unary()
        while self.at("*", "/"):
            token = self.advance()
            value = self.build(token, _BINARY[token.text], value, self.unary())
        return value

    def unary(self) -> sympy.Expr:
        if not self.at("+", "-"):
            return self.power()
        token = self.advance()
        with self.nested(token):
            operand = self.unary()
        return operand if token.text == "+" else self.build(token, operator.neg, operand)

    def power(self) -> sympy.Expr:
        base = self.primary()
        if not self.at("^"):
            return base
        token = self.advance()
        with self.nested(token):
            exponent = self.unary()  # right-associative, and allows 2^-1
        return self.build(token, power, base, exponent)

    def primary(self) -> sympy.Expr:
        token = self.advance()
        if token.kind == "number":
            return token.value
        if token.kind == "name":
            return self.call(token) if self.at("(") else self.name(token)
        if token.text == "(":
            with self.nested(token):
                value = self.sum()
            self.close(token)
            return value
        where = "the end of the text" if token.kind == "end" else repr(token.text)
        self.fail(f"expected a number, a name or '(' but found {where}", token.position)

    def close(self, opening: _Token) -> None:
        token = self.peek()
        if token.kind == "end":
            self.fail(f"missing ')' to close the '(' at character {opening.position + 1}", token.position)
        if token.text != ")":
            self.unexpected(token)
        self.advance()

    def name(self, token: _Token) -> sympy.Expr:
        if token.text in self.names:
            return self.names[token.text]
        if token.text in _FUNCTIONS:
            self.fail(f"{token.text!r} is a function: write {token.text}(...)", token.position)
        self.fail(f"unknown name {token.text!r}", token.position)

    def call(self, token: _Token) -> sympy.Expr:
        if token.text not in _FUNCTIONS:
            if token.text in self.names:
                self.fail(f"{token.text!r} is not a function: write '*' to multiply", token.position)
            self.fail(f"unknown function {token.text!r}", token.position)
        opening = self.advance()
        args: list[sympy.Expr] = []
        if not self.at(")"):
            with self.nested(opening):
                args.append(self.sum())
                while self.at(","):
                    self.advance()
                    args.append(self.sum())
        self.close(opening)
        fewest, most, _ = _FUNCTIONS[token.text]
        if not fewest <= len(args) <= (most or len(args)):
            expected = f"{fewest}" if fewest == most else f"{fewest} or {most}" if most else f"at least {fewest}"
            plural = "" if expected == "1" else "s"
            self.fail(f"{token.text}() takes {expected} argument{plural}, got {len(args)}", token.position)
        return self.build(token, apply_function, token.text, *args)


def parse_text(text: Any, names: Mapping[str, Any], parser: type | None = None) -> Any:
    """Check the text's type and length, then run ``parser`` (the SymPy-building one by default; the circuit's
    tree builder subclasses it).

    >>> parse_text("x/2", {"x": sympy.Symbol("x")})
    x/2
    """
    parser = parser or Parser
    if not isinstance(text, str):
        raise ParseError(f"expected text, got {type(text).__name__}")
    if len(text) > MAX_TEXT_LENGTH:
        raise ParseError(f"text is too long ({len(text)} characters; the limit is {MAX_TEXT_LENGTH})", text=text)
    if parser is Parser:  # a plain number needs no parser (a subclass builds something else from it)
        value = plain_number(text)
        if value is not None:
            return value
    try:
        return parser(text, names).parse()
    except RecursionError:  # only if the caller's own stack is already nearly full
        raise ParseError("expression is nested too deeply", text=text) from None


def parse_number(text: str) -> sympy.Expr:
    """Parse an exact constant such as "2.12", "-4/5", "sqrt(2)" or "(1+e)^-1"; variables are rejected.

    >>> parse_number("2.12"), parse_number("1e-8"), parse_number("(1+e)^-1")
    (53/25, 1/100000000, 1/(1 + E))
    """
    return parse_text(text, CONSTANTS)


def parse_expression(text: str, variables: Mapping[str, sympy.Symbol]) -> sympy.Expr:
    """Parse text that may also use the given variable names, mapped to the given Symbols.

    >>> z = sympy.Symbol("z", real=True)
    >>> parse_expression("z/(1+abs(z))", {"z": z})
    z/(Abs(z) + 1)
    """
    for name, symbol in variables.items():
        if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name) or name in CONSTANTS or name in _FUNCTIONS:
            raise ParseError(f"{name!r} cannot be a variable name (use an identifier other than e, pi or a function)")
        if not isinstance(symbol, sympy.Symbol):
            raise ParseError(f"variable {name!r} must map to a sympy Symbol, got {type(symbol).__name__}")
    return parse_text(text, {**CONSTANTS, **variables})


def exact_number(value: Any, *, what: str = "value") -> sympy.Expr:
    """Turn an int, float, Decimal, Fraction, str or constant SymPy expression into an exact SymPy number.

    A float (or SymPy Float) becomes exactly the decimal it prints as, so 0.1 gives 1/10.
    ``what`` names the value in error messages.

    >>> exact_number(0.1), exact_number(decimal.Decimal("2.12")), exact_number("sqrt(8)")
    (1/10, 53/25, 2*sqrt(2))
    """
    try:
        return _exact_number(value)
    except ParseError as error:
        raise ParseError(f"{what}: {error.reason}", text=error.text, position=error.position) from None


def _exact_number(value: Any) -> sympy.Expr:
    if isinstance(value, bool):
        raise ParseError(f"expected a number, got a bool ({value!r})")
    if isinstance(value, int):
        return sympy.Integer(int(value))
    if isinstance(value, sympy.Rational):  # exact already (x and y of an exercise, read from its file)
        return value
    if isinstance(value, float) and not math.isfinite(value):
        raise ParseError(f"expected a finite number, got {value!r}")
    if isinstance(value, float):
        return parse_number(float.__repr__(value))  # the plain repr, also for subclasses such as numpy's
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            raise ParseError(f"expected a finite number, got {value}")
        sign, digits, exponent = value.as_tuple()
        magnitude = _scaled_rational("".join(map(str, digits)), exponent)
        return -magnitude if sign else magnitude
    if isinstance(value, fractions.Fraction):
        return sympy.Rational(value.numerator, value.denominator)
    if isinstance(value, str):
        return parse_number(value)
    if isinstance(value, sympy.Float):  # inexact, so like a float: the decimal it prints as
        return parse_number(str(value))
    if isinstance(value, sympy.Expr):
        if value.free_symbols:
            names = ", ".join(sorted(map(str, value.free_symbols)))
            raise ParseError(f"expected a constant, but it contains the variable(s) {names}")
        if value.has(sympy.Float):
            raise ParseError(f"expected an exact number, but {value} contains a floating-point number")
        if value.has(*_UNDEFINED):
            raise ParseError(f"expected a finite number, got {value}")
        if value.is_extended_real is False:
            raise ParseError(f"expected a real number, got {value}")
        return value
    raise ParseError(f"expected a number (int, float, Decimal, Fraction, str or SymPy), got {type(value).__name__}")
