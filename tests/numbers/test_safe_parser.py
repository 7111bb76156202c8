"""Tests for symback.numbers.parse: every expected value comes from an independent route
(fractions.Fraction, Python integers, or SymPy constructors applied to the same random tree)."""

from __future__ import annotations

import decimal
import doctest
import fractions
import pathlib
import sys

import pytest
import sympy
from deadline import no_hang
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from symback.errors import ParseError
from symback.numbers import parse as safe_parse
from symback.numbers.parse import exact_number, parse_expression, parse_number

X = sympy.Symbol("x", real=True)
Y = sympy.Symbol("y")
VARIABLES = {"x": X, "y": Y}


def rational(value: fractions.Fraction) -> sympy.Rational:
    return sympy.Rational(value.numerator, value.denominator)


def parse_quickly(text: str, variables=None):
    """Parse, and fail the test if parsing (or rejecting) hangs (the parser's own budget is MAX_SECONDS)."""
    with no_hang():
        return parse_number(text) if variables is None else parse_expression(text, variables)


# --- numbers ------------------------------------------------------------------------------

DECIMAL_LITERAL = r"\A-?(?:[0-9]{1,25}(?:\.[0-9]{0,25})?|\.[0-9]{1,25})(?:[eE][+-]?[0-9]{1,3})?\Z"


@given(st.from_regex(DECIMAL_LITERAL))
def test_decimal_literals_are_exact(text):
    expected = fractions.Fraction(text)
    if max(abs(expected.numerator), expected.denominator) >= 10**1001:  # the documented size limit
        with pytest.raises(ParseError, match="more than 1001 digits"):
            parse_number(text)
        return
    value = parse_number(text)
    assert value == rational(expected)
    assert isinstance(value, sympy.Rational)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_exact_number_of_float_is_the_decimal_it_prints_as(number):
    assert exact_number(number) == rational(fractions.Fraction(repr(number)))


@given(st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**30), max_value=10**30))
def test_exact_number_of_decimal(number):
    assert exact_number(number) == rational(fractions.Fraction(str(number)))


@given(st.fractions())
def test_exact_number_of_fraction_and_int(number):
    assert exact_number(number) == sympy.Rational(number.numerator) / sympy.Rational(number.denominator)
    assert exact_number(number.numerator) == sympy.Integer(number.numerator)


def test_exact_number_of_sympy_values():
    assert exact_number(sympy.Float(2.12)) == rational(fractions.Fraction(str(sympy.Float(2.12))))
    assert exact_number(sympy.Float(0.1)) == rational(fractions.Fraction("0.1"))
    assert exact_number(sympy.sqrt(2) + sympy.E) == sympy.sqrt(2) + sympy.E
    assert exact_number("(1+e)^-1") == 1 / (1 + sympy.E)


@pytest.mark.parametrize(
    "value",
    [True, None, [1], "x", float("nan"), float("inf"), decimal.Decimal("NaN"), decimal.Decimal("-Infinity"),
     decimal.Decimal("1E+5000"), sympy.Symbol("q"), sympy.Float(2.0) * sympy.pi, sympy.zoo, sympy.oo, sympy.I,
     sympy.sqrt(-2)],
)
def test_exact_number_rejects(value):
    with pytest.raises(ParseError, match="^learning rate: "):
        exact_number(value, what="learning rate")


# --- random expression trees, parsed versus built directly -------------------------------

DIRECT = {
    "sqrt": sympy.sqrt, "exp": sympy.exp, "ln": sympy.log, "log": sympy.log, "sin": sympy.sin,
    "cos": sympy.cos, "tan": sympy.tan, "sinh": sympy.sinh, "cosh": sympy.cosh, "tanh": sympy.tanh,
    "atan": sympy.atan, "arctan": sympy.atan, "abs": sympy.Abs, "max": sympy.Max, "min": sympy.Min,
    "sigmoid": lambda t: 1 / (1 + sympy.exp(-t)),
    "relu": lambda t: sympy.Max(0, t),
    "softplus": lambda t: sympy.log(1 + sympy.exp(t)),
}
ONE_ARGUMENT = sorted(set(DIRECT) - {"max", "min"})
SPELLINGS = {"+": ["+"], "-": ["-", "\u2212"], "*": ["*", "\u00b7", "\u00d7"], "/": ["/"], "^": ["^", "**"]}
small_decimals = st.from_regex(r"\A(?:[0-9]{1,3}\.[0-9]{0,3}|\.[0-9]{1,3}|[0-9]e-[0-9])\Z")
spaces = st.sampled_from(["", " ", "  "])


def leaves(variables: bool):
    options = [
        st.integers(0, 20).map(lambda n: (str(n), sympy.Integer(n))),
        small_decimals.map(lambda t: (t, rational(fractions.Fraction(t)))),
        st.sampled_from([("e", sympy.E), ("pi", sympy.pi), ("π", sympy.pi)]),
    ]
    if variables:
        options.append(st.sampled_from([("x", X), ("y", Y)]))
    return st.one_of(options)


def refused(value) -> bool:
    """The documented limits on inexact constants: refused if complex or beyond 10**±1000 in size."""
    if value.free_symbols or isinstance(value, sympy.Rational):
        return False
    approximation = value.evalf(30)
    size = abs(approximation)
    return (abs(approximation.as_real_imag()[1]) > size * 10**-20 or size > sympy.Integer(10) ** 1000
            or 0 < size < sympy.Rational(1, 10**1000))


def construct(function, *args, measure=False):
    """The direct SymPy value, or None when it is undefined or too big (the parser must then refuse)."""
    if any(arg is None for arg in args):
        return None
    try:
        value = function(*args)
    except (ValueError, TypeError):  # e.g. Max of a non-real number
        return None
    if value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo, sympy.AccumBounds) or (measure and refused(value)):
        return None
    return value


def function_levels(value) -> int:
    """How deeply functions and non-integer powers are nested in a SymPy value (the parser allows 8)."""
    own = isinstance(value, sympy.Function) or isinstance(value, (sympy.Max, sympy.Min)) or (
        isinstance(value, sympy.Pow) and not value.exp.is_Integer)
    return own + max((function_levels(arg) for arg in value.args), default=0)


def combine(children):
    """Nodes are (text, value built directly with SymPy constructors, or None if undefined)."""
    def binary(op, spelling, space, left, right):
        if op == "/" and right[1] == 0:
            return f"({left[0]}{space}/{space}{right[0]})", None
        function = {"+": sympy.Add, "-": lambda a, b: a - b, "*": sympy.Mul, "/": lambda a, b: a / b}[op]
        return f"({left[0]}{space}{spelling}{space}{right[0]})", construct(function, left[1], right[1])

    def power(base, exponent, spelling):
        if base[1] == 0 and exponent < 0:
            return f"({base[0]}{spelling}{exponent})", None
        return f"({base[0]}{spelling}{exponent})", construct(sympy.Pow, base[1], sympy.Integer(exponent), measure=True)

    def call(name, args):
        text = f"{name}({', '.join(a[0] for a in args)})"
        if name in ("exp", "sigmoid", "softplus") and isinstance(args[0][1], sympy.Rational) and abs(args[0][1]) > 10**4:
            return text, None  # the documented limit on exponents
        return text, construct(DIRECT[name], *(a[1] for a in args), measure=True)

    def negate(child, spelling):
        return f"({spelling}{child[0]})", construct(lambda a: -a, child[1])

    operators = st.sampled_from(["+", "-", "*", "/"]).flatmap(
        lambda op: st.tuples(st.just(op), st.sampled_from(SPELLINGS[op]), spaces, children, children))
    return st.one_of(
        operators.map(lambda t: binary(*t)),
        st.builds(power, children, st.integers(-3, 3), st.sampled_from(SPELLINGS["^"])),
        st.builds(negate, children, st.sampled_from(SPELLINGS["-"])),
        st.builds(lambda name, arg: call(name, [arg]), st.sampled_from(ONE_ARGUMENT), children),
        st.builds(lambda name, args: call(name, args), st.sampled_from(["max", "min"]),
                  st.lists(children, min_size=2, max_size=3)),
        st.builds(lambda arg, base: call("log", [arg, (str(base), sympy.Integer(base))]), children,
                  st.integers(2, 10)),
    )


def assert_same(parsed, direct):
    if parsed == direct:
        return
    point = {X: sympy.Rational(3, 7), Y: sympy.Rational(-5, 11)}  # numeric check at 50 digits
    difference = (parsed - direct).subs(point).evalf(50)
    assert abs(difference) < sympy.Float("1e-40", 50), (parsed, direct)


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.recursive(leaves(variables=False), combine, max_leaves=8))
def test_random_constant_expressions_match_direct_construction(tree):
    text, direct = tree
    if direct is None or refused(direct) or function_levels(direct) > 8:
        with pytest.raises(ParseError):
            parse_number(text)
        return
    parsed = parse_number(text)
    assert not parsed.has(sympy.Float) and not parsed.free_symbols
    assert_same(parsed, direct)


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.recursive(leaves(variables=True), combine, max_leaves=8))
def test_random_expressions_with_variables_match_direct_construction(tree):
    text, direct = tree
    if direct is None or refused(direct) or function_levels(direct) > 8:
        with pytest.raises(ParseError):
            parse_expression(text, VARIABLES)
        return
    parsed = parse_expression(text, VARIABLES)
    assert not parsed.has(sympy.Float) and parsed.free_symbols <= {X, Y}
    assert_same(parsed, direct)


# --- precedence and associativity against Fraction arithmetic ----------------------------

SUM, PRODUCT, UNARY, POWER, ATOM = range(1, 6)


def arithmetic_trees():
    numbers = st.one_of(st.integers(0, 30).map(str), small_decimals).map(lambda t: ("number", t))
    small = st.integers(0, 3).map(lambda n: ("number", str(n)))
    exponents = st.recursive(small, lambda c: st.one_of(
        c.map(lambda e: ("neg", e)), st.tuples(st.just("^"), small, c)), max_leaves=3)

    def extend(children):
        return st.one_of(
            st.tuples(st.sampled_from(["+", "-", "*", "/"]), children, children),
            children.map(lambda c: ("neg", c)),
            st.tuples(st.just("^"), children, exponents),
        )
    return st.recursive(numbers, extend, max_leaves=10)


def render(node) -> tuple[str, int]:
    """Text with as few parentheses as the grammar allows, and its precedence level."""
    def wrap(child, needed):
        text, level = render(child)
        return text if level >= needed else f"({text})"
    if node[0] == "number":
        return node[1], ATOM
    if node[0] == "neg":
        return "-" + wrap(node[1], UNARY), UNARY
    op, left, right = node
    if op == "^":
        return f"{wrap(left, ATOM)}^{wrap(right, UNARY)}", POWER
    level = SUM if op in "+-" else PRODUCT
    return f"{wrap(left, level)}{op}{wrap(right, level + 1)}", level


class TooBig(Exception):
    pass


def evaluate(node) -> fractions.Fraction:
    """Exact value by Python's Fraction arithmetic; ZeroDivisionError for 1/0 and 0^-1."""
    if node[0] == "number":
        return fractions.Fraction(node[1])
    if node[0] == "neg":
        return -evaluate(node[1])
    op, left, right = node
    a, b = evaluate(left), evaluate(right)
    if op == "^":
        if b.denominator != 1 or abs(b) * max(len(str(a.numerator)), len(str(a.denominator))) > 300:
            raise TooBig
        return a ** int(b)
    return {"+": a.__add__, "-": a.__sub__, "*": a.__mul__, "/": a.__truediv__}[op](b)


@pytest.mark.slow
@settings(max_examples=400, deadline=None)
@given(arithmetic_trees())
def test_precedence_and_associativity_match_fraction_arithmetic(tree):
    text, _ = render(tree)
    try:
        expected = evaluate(tree)
    except TooBig:
        assume(False)
    except ZeroDivisionError:
        with pytest.raises(ParseError, match="division by zero"):
            parse_number(text)
        return
    assert parse_number(text) == rational(expected), text


@given(st.integers(1, 9), st.integers(0, 3), st.integers(0, 3), st.sampled_from(["^", "**"]))
def test_power_is_right_associative_and_binds_tighter_than_unary_minus(a, b, c, spelling):
    assert parse_number(f"{a}{spelling}{b}{spelling}{c}") == sympy.Integer(a ** (b**c))
    assert parse_number(f"-{a}{spelling}{b}") == sympy.Integer(-(a**b))
    assert parse_number(f"{a}{spelling}-{b}") == rational(fractions.Fraction(1, a**b))


# --- names, functions and variables --------------------------------------------------------

def test_variables_map_to_the_given_symbols():
    z = sympy.Symbol("z", real=True)
    parsed = parse_expression("z/(1+abs(z))", {"z": z})
    assert parsed == z / (1 + sympy.Abs(z))
    assert parsed.free_symbols == {z}


@pytest.mark.parametrize("variables", [{"e": sympy.Symbol("e")}, {"exp": X}, {"x": 1}, {"2x": X}, {"x.y": X}])
def test_bad_variable_tables_are_rejected(variables):
    with pytest.raises(ParseError):
        parse_expression("1", variables)


@pytest.mark.parametrize(
    "text, message",
    [
        ("os", "unknown name 'os'"),
        ("x", "unknown name 'x'"),
        ("system(1)", "unknown function 'system'"),
        ("e.__class__", "attribute access is not allowed"),
        ("exp(1).evalf()", "attribute access is not allowed"),
        ("1/0", "division by zero"),
        ("1/(e-e)", "division by zero"),
        ("0^-1", "division by zero"),
        ("2x", "write '\\*'"),
        ("exp(1,2)", r"exp\(\) takes 1 argument, got 2"),
        ("max(1)", r"max\(\) takes at least 2 arguments, got 1"),
        ("log(1,2,3)", r"log\(\) takes 1 or 2 arguments, got 3"),
        ("", "empty expression"),
        ("1,2", "','"),
        ("10^1001", "more than 1000 digits"),
        ("1e1001", "more than 1001 digits"),
        ("1" * 1001, "more than 1000 digits"),
        ("(" * 101 + "1" + ")" * 101, "nested too deeply"),
        ("1" * 2001, "too long"),
        ("sqrt(-1)", "not a real number"),
        ("exp(2400)", "number too large"),
        ("exp(-2400)", "number too small"),
        ("sin(" * 9 + "1" + ")" * 9, "functions and powers are nested too deeply"),
    ],
)
def test_error_messages(text, message):
    with pytest.raises(ParseError, match=message):
        parse_number(text)


# --- hostile text ---------------------------------------------------------------------------

HOSTILE = [
    "__import__('os').system('x')", "().__class__", "e.__class__", "exp(1).evalf()", "lambda: 1", "import os",
    "[1]", "{1}", "'1'", "x=1", "1;2", "a.b", "__class__", "2**2**2**2**2**2**2", "(" * 10000, "1" * 5000,
    "(" * 1500 + "1", "-" * 1500 + "1", "x", "1/0", "", "   ", "2x", "2(3)", "(1)(2)", "exp(1,2)", "foo(1)",
    "sqrt", "e(2)", "1+", "(1", "1)", "max(1,2,)", "1..2", "\x00", "٣", "1" + "0" * 1000, "1e1001", "10^1001",
    "10^-1001", "(1/2)^3322", "2^3322", "exp(10^999*log(2))", "e^(10^999*log(2))", "exp(log(2))^(10^999)",
    "sigmoid(-10^999*log(2))", "softplus(10^999*log(2))", "exp(10^9*log(2)+1)", "exp((pi+1)*(10^9*log(2)+log(3)))",
    "(2*e)^(10^9)", "sqrt(2)^(10^9)", "(2^(1/3))^(10^9)", "(-2)^(10^9)", "(1/3)^(10^9)", "(2^3000)^2",
    "log(0)", "tan(pi/2)", "1/log(0)", "log(8, 1)", "log(8, 0)", "sigmoid(sqrt(-1)*pi)", "sqrt(-1)", "log(-2)",
    "(-8)^(1/3)", "sqrt(" + "9" * 990 + ")", "min(exp(700), ln(-1002)^999)", "exp(-20000)", "exp(2303)",
    "sin(" + "*".join(["exp(2000)"] * 150) + ")", "1/3 - " + "*".join(["exp(-2000)"] * 180),
    "(1/2)^(10^9 - log(2))", "(999/2 - 1e-9)^(-10/99999999)", "12^(99999998/99999999)",
]


@pytest.mark.parametrize("text", HOSTILE, ids=lambda text: repr(text[:40]))
def test_hostile_text_is_rejected_quickly(text):
    with pytest.raises(ParseError):
        parse_quickly(text)


@pytest.mark.parametrize("text, expected", [
    ("10^1000", 10**1000), ("2^3321", 2**3321), ("1e1000", 10**1000), ("9" * 1000, int("9" * 1000)),
    ("(" * 100 + "1" + ")" * 100, 1), ("-" * 100 + "1", 1), ("(1/2)^3321", fractions.Fraction(1, 2**3321)),
    ("exp(1000*log(2))", 2**1000), ("5e-1001", fractions.Fraction(5, 10**1001)), (".000E-998", 0),
])
def test_values_just_inside_the_limits_are_accepted(text, expected):
    assert parse_quickly(text) == rational(fractions.Fraction(expected))


TOKENS = ["2", "10", "999", "0", ".5", "1e9", "^", "**", "*", "/", "+", "-", "(", ")", ",", ".", "e", "pi", "x",
          "log(", "exp(", "sqrt(", "sigmoid(", "softplus(", "max(", "abs(", "sin(", "tan(", " "]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=40).map("".join))
def test_random_token_soup_parses_or_raises_parse_error_quickly(text):
    try:
        result = parse_quickly(text, VARIABLES)
    except ParseError:
        return
    assert isinstance(result, sympy.Expr) and not result.has(sympy.Float)


def test_no_recursion_error_escapes_from_a_nearly_full_stack():
    def descend(levels):
        if levels:
            return descend(levels - 1)
        try:
            return parse_number("(" * 100 + "sin(1)" + ")" * 100)
        except ParseError:
            return None
    depth, frame = 0, sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    result = descend(sys.getrecursionlimit() - depth - 60)
    assert result in (None, sympy.sin(1))


@pytest.mark.parametrize("name, offset", [("sin", 0), ("sqrt", 1), ("sigmoid", 0), ("atan", -1), ("log", 2)])
def test_functions_may_be_nested_eight_deep_but_not_nine(name, offset):
    direct = sympy.Rational(1, 3)
    for _ in range(8):
        direct = DIRECT[name](offset + direct)
    assert parse_quickly(f"{name}({offset}+" * 8 + "1/3" + ")" * 8) == direct
    with pytest.raises(ParseError, match="nested too deeply"):
        parse_quickly(f"{name}({offset}+" * 9 + "1/3" + ")" * 9)


def test_towers_of_powers_count_as_nesting():
    with pytest.raises(ParseError, match="nested too deeply"):
        parse_quickly("^".join(["(1/2)"] * 90))
    assert parse_quickly("2^2^2^2") == sympy.Integer(2 ** (2 ** (2**2)))


def test_many_costly_towers_are_cut_off_by_the_time_budget(monkeypatch):
    monkeypatch.setattr(safe_parse, "MAX_SECONDS", 0.25)  # the same cut, sooner: the test need not wait 2 s
    towers = "+".join("(cos(" * 8 + "1" + f")-1/{k})" * 8 for k in range(2, 22))
    try:
        parse_quickly(towers)
    except ParseError as error:
        assert "too long to evaluate" in str(error)


def test_time_budget_gives_a_parse_error(monkeypatch):
    monkeypatch.setattr(safe_parse, "MAX_SECONDS", -1.0)
    with pytest.raises(ParseError, match="too long to evaluate"):
        parse_number("1+1")


def test_non_text_is_rejected():
    with pytest.raises(ParseError):
        parse_number(12)  # type: ignore[arg-type]


def test_module_never_runs_or_hands_text_to_other_parsers():
    source = pathlib.Path(safe_parse.__file__).read_text(encoding="utf-8")
    for forbidden in ("eval(", "exec(", "sympify(", "parse_expr(", "parse_latex"):
        assert forbidden not in source.replace("evalf(", ""), forbidden


def test_doctests():
    assert doctest.testmod(safe_parse).failed == 0
