"""A grammar of number and expression text, as files and students write it, with its near misses.

Built from the safe parser's own grammar (symback/numbers/parse.py: sum, product, unary, power, primary; its
functions and constants) and widened on purpose: sizes at and past every limit the parser states, characters it
refuses, names it does not know, attribute access and calls that would be code anywhere else, the LaTeX and the
unicode the answers' tidier reads, unbalanced brackets, deep nesting and long sums.
"""

from __future__ import annotations

import functools

from hypothesis import strategies as st

from symback.numbers.parse import (
    FUNCTIONS,
    MAX_DIGITS,
    MAX_EXPONENT,
    MAX_NESTING,
    MAX_TEXT_LENGTH,
)

# sizes just below, at and past each limit of the parser (and Python's own 4,300 digits of int())
_LIMIT_DIGITS = sorted({1, 2, 15, 16, 17, 30, MAX_DIGITS - 1, MAX_DIGITS, MAX_DIGITS + 1, 4300, 4301, 3 * MAX_DIGITS})
_EXPONENTS = sorted({0, 1, 2, 10, 30, 99, 308, 309, 400, MAX_DIGITS - 1, MAX_DIGITS, MAX_DIGITS + 1, 3 * MAX_DIGITS,
                     3 * MAX_DIGITS + 1, MAX_EXPONENT, MAX_EXPONENT + 1, 10**6, 10**18, 10**19, 10**30})
_SIGNS = ["", "", "", "-", "+", "\u2212", "--", "+-", "- "]
ARITIES = {name: (2, 3) if name in ("max", "min") else (1, 2) if name == "log" else (1, 1) for name in FUNCTIONS}

# text that is code, markup or a template elsewhere: nothing of it may run, print raw, or reach a shell
INJECTIONS = [
    "__import__('os').system('touch pwned')", "().__class__.__bases__[0].__subclasses__()", "e.__class__",
    "exec('1')", "eval('2')", "lambda: 0", "x if x else x", "[1, 2][0]", "{1: 2}", "1; import os", "`ls`",
    "$(touch pwned)", "{{ 7*7 }}", "{% raw %}", "((( 7*7 )))", "((* if 1 *))", "\\input{/etc/passwd}",
    "\\write18{touch pwned}", "\\immediate\\write18{ls}", "\\def\\x{\\x}\\x", "$$", "$", "</script><script>alert(1)</script>",
    "<!--", "```", "\\", "\\\\", "\\end{document}", "%", "#", "&", "_", "^^41", "\x00", "\u202e", "\u200b",
    "\ufeff", "Symbol('x')", "S('1')", "sympify('1')", "Integer(1)", "oo", "zoo", "nan", "I", "E", "N(1)",
]
_NEAR_MISS_NUMBERS = [
    "", " ", "1..2", "1.2.3", "1e", "1e+", "e1", ".", "-", "+", "0x10", "0b1", "0o7", "1_000", "1 000", "1,5",
    "½", "1½", "\u0663", "\uff11\uff12", "inf", "-inf", "nan", "NaN", "Infinity", "1/", "/2", "1//2", "2**", "**2",
    "sqrt", "sqrt()", "sqrt(1, 2)", "max(1)", "log(2, 1)", "log(2, 0)", "1/0", "0^-1", "0**-1", "(-8)^(1/3)",
    "sqrt(-1)", "log(0)", "log(-1)", "tan(pi/2)", "1e-400", "-0", "0.0e0", "٣.٥", "1\u00a0000", "1 / 3",
    "(1+e)^-1", "exp(-1)", "atan(1)*4", "1e1000", "1e-1000", "-1e999", "10**1000", "2^2^2^2^2^2^2", "9^9^9",
]


@functools.cache
def digit_strings(lengths=None) -> st.SearchStrategy[str]:
    """Runs of digits: short random ones, and repeated digits at and past the parser's and Python's limits."""
    short = st.text("0123456789", min_size=1, max_size=25)
    long = st.builds(lambda digit, n: digit * n, st.sampled_from("123456789"), st.sampled_from(lengths or _LIMIT_DIGITS))
    return st.one_of(short, short, short, long)


@functools.cache  # strategies are values: built and validated once
def literals() -> st.SearchStrategy[str]:
    """One number token as the parser's _NUMBER reads it (and a few it does not): 12, 0.5, .5, 5., 2.5e-3."""
    return _literals()


@st.composite
def _literals(draw) -> str:
    whole = draw(digit_strings())
    kind = draw(st.sampled_from(["int", "int", "decimal", "decimal", "leading point", "trailing point", "exponent"]))
    if kind == "int":
        return whole
    fraction = draw(st.text("0123456789", min_size=1, max_size=draw(st.sampled_from([3, 12, 40]))))
    if kind == "decimal":
        return f"{whole[:20]}.{fraction}"
    if kind == "leading point":
        return f".{fraction}"
    if kind == "trailing point":
        return f"{whole[:20]}."
    exponent = draw(st.one_of(st.integers(-30, 30), st.sampled_from(_EXPONENTS), st.sampled_from(_EXPONENTS).map(lambda n: -n)))
    marker = draw(st.sampled_from(["e", "E", "e+"])) if exponent >= 0 else draw(st.sampled_from(["e", "E"]))
    return f"{whole[:20]}{marker}{exponent}"


@functools.cache
def number_texts() -> st.SearchStrategy[str]:
    """Text for one exact constant: a literal, a fraction, e, pi, a function of a number, a power, or a near miss."""
    return _number_texts()


@st.composite
def _number_texts(draw) -> str:
    kind = draw(st.sampled_from(["literal"] * 4 + ["fraction", "constant", "call", "power", "near miss", "injection"]))
    sign = draw(st.sampled_from(_SIGNS))
    if kind == "literal":
        return sign + draw(literals())
    if kind == "fraction":
        return f"{sign}{draw(literals())}/{draw(st.one_of(literals(), st.just('0')))}"
    if kind == "constant":
        return sign + draw(st.sampled_from(["e", "pi", "π", "2*pi", "e^2", "1/e", "sqrt(2)", "sqrt(3)/2"]))
    if kind == "call":
        name = draw(st.sampled_from(sorted(FUNCTIONS)))
        count = draw(st.integers(*ARITIES[name]))
        return f"{sign}{name}({', '.join(draw(literals()) for _ in range(count))})"
    if kind == "power":
        base = draw(st.sampled_from(["2", "10", "e", "pi", "0.5", "(1+e)", "sqrt(2)", "0", "-1", "(-2)"]))
        exponent = draw(st.one_of(st.integers(-40, 40).map(str), st.sampled_from(_EXPONENTS).map(str), literals()))
        return f"{sign}{base}{draw(st.sampled_from(['^', '**']))}{exponent}"
    if kind == "near miss":
        return draw(st.sampled_from(_NEAR_MISS_NUMBERS))
    return draw(st.sampled_from(INJECTIONS))


def _joined(parts, separators) -> st.SearchStrategy[str]:
    return st.tuples(parts, st.sampled_from(separators), parts).map(lambda t: f"{t[0]}{t[1]}{t[2]}")


@functools.cache
def expression_texts(variables: tuple[str, ...] = ("z",)) -> st.SearchStrategy[str]:
    """Expression text over ``variables``: the parser's grammar drawn recursively, and its extremes."""
    names = st.sampled_from(list(variables) * 3 + ["e", "pi", "π"])
    leaves = st.one_of(names, names, number_texts(), st.sampled_from(["zz", "Z", "x1", "_", "__class__", "exp", "L"]))

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        calls = st.builds(lambda name, args: f"{name}({', '.join(args)})", st.sampled_from(sorted(FUNCTIONS)),
                          st.lists(inner, min_size=1, max_size=3))
        return st.one_of(
            _joined(inner, ["+", "-", "*", "/", "^", "**", " + ", " * ", "\u2212", "\u00b7", "\u00d7"]),
            inner.map(lambda s: f"({s})"),
            st.tuples(st.sampled_from(["-", "+", "\u2212"]), inner).map("".join),
            calls,
        )

    grown = st.recursive(leaves, extend, max_leaves=10)
    return st.one_of(grown, grown, grown, extremes(variables), near_misses(grown))


@functools.cache
def extremes(variables: tuple[str, ...]) -> st.SearchStrategy[str]:
    """Deep nesting, long sums and products, many max(), huge powers: around the parser's size limits."""
    v = variables[0]
    depth = st.sampled_from(sorted({1, 2, 8, 9, 50, MAX_NESTING - 1, MAX_NESTING, MAX_NESTING + 1, 500}))
    terms = st.sampled_from(sorted({2, 10, 100, 300, 500, 999, 1000, MAX_TEXT_LENGTH // 2 + 1, 5000}))
    return st.one_of(
        depth.map(lambda k: "(" * k + v + ")" * k),
        depth.map(lambda k: "-" * k + v),
        depth.map(lambda k: "sin(" * k + v + ")" * k),
        depth.map(lambda k: f"max({v}, " * k + "0" + ")" * k),
        depth.map(lambda k: f"{v}^" * k + "2"),
        terms.map(lambda n: "+".join([v] * n)),
        terms.map(lambda n: "*".join([v] * n)),
        terms.map(lambda n: "+".join(f"{i}*{v}" for i in range(n))),
        terms.map(lambda n: "max(" + ", ".join([v] * n) + ")"),
        st.sampled_from(_EXPONENTS).map(lambda n: f"{v}^{n}"),
        st.sampled_from(_EXPONENTS).map(lambda n: f"exp({n}*{v})"),
        st.sampled_from(_EXPONENTS).map(lambda n: f"({v}+1)^-{n}"),
        st.sampled_from(_EXPONENTS).map(lambda n: f"sigmoid({v}*1e{n})"),
    )


@functools.cache
def near_misses(grown: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """An expression broken the way a typo or an attack breaks it: a bracket too many or too few, an unknown
    name, an attribute, an injection, a LaTeX fragment."""
    broken = st.sampled_from(["(", ")", "((", "))", ",", "=", ".", "..", "[", "]", "{", "}", "'", '"', "@", "!",
                              ".__class__", "()", "(,)", " lambda ", "\x00", "\n", "\u202e", "\\frac{1}{2}",
                              "\\cdot", "\\sqrt{", "$", "≈ 0.7"])
    return st.one_of(
        st.tuples(grown, broken).map("".join),
        st.tuples(broken, grown).map("".join),
        st.tuples(grown, broken, grown).map("".join),
        st.sampled_from(INJECTIONS),
    )


@functools.cache
def answer_texts() -> st.SearchStrategy[str]:
    """What a student may write as an answer: a number, an exact form in the answers' syntax, simple LaTeX,
    unicode (σ, −, ½, superscripts, √), an expression with names, or garbage."""
    latex = st.sampled_from([
        "\\frac{e}{1+e}", "$\\frac{12e}{(1+e)^2}$", "\\sqrt{2}", "e^{-1}", "0{,}7311", "\\left(1+e\\right)^{-1}",
        "8\\frac{e}{1+e}", "2\\frac{1}{2}", "\\frac{1}{0}", "\\frac{", "\\sigma(1)", "\\approx 0.73", "e/(1+e) ≈ 0.7311",
        "σ(1)", "√2", "√exp(1)", "10⁻¹", "½", "1½", "−0.5", "0,5", "2 × 3", "1 ÷ 3", "≈ 2.359", "~1", "= 4",
        "\\mathrm{e}", "\\operatorname{sigmoid}(1)", "\\text{one}", "\\cdot\\cdot", "\\" * 50, "{" * 120 + "}" * 120,
    ])
    return st.one_of(number_texts(), number_texts(), expression_texts(("e",)), latex,
                     st.text(max_size=30), st.sampled_from(INJECTIONS))
