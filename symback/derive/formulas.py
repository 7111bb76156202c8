"""Formulas of a circuit as written: SymPy expressions made of *display operations* that never evaluate.

``Plus``, ``Minus``, ``Times``, ``Over``, ``Power``, ``Apply`` ... are undefined SymPy functions, so that
``x − y`` with ``y = −4`` stays ``3 − (−4)`` and ``q1 (1 − q1)`` keeps its shape when numbers are put in. Each
prints itself, in LaTeX through the sheet's notation and as text, with parentheses where its operator needs
them. Their leaves are node Symbols, exact SymPy values and :class:`DecimalLeaf` (a rounded decimal put in).
"""

from __future__ import annotations

from decimal import Decimal

import sympy
from sympy.printing.precedence import precedence as sympy_precedence

from ..numbers.text import decimal_text

ATOM, FUNCTION, POWER, PRODUCT, SUM = 1000, 70, 60, 50, 40


def _precedence(expr) -> int:
    """How tightly an expression binds: a display operation's own, a leaf's from SymPy (negatives as sums)."""
    if isinstance(expr, Display):
        return expr.precedence
    if isinstance(expr, DecimalLeaf):
        return SUM if expr.value < 0 or not -5 <= expr.value.adjusted() <= 12 else ATOM  # 1.2 · 10⁻⁹ is a product
    if isinstance(expr, sympy.Basic) and expr.is_number and expr.could_extract_minus_sign():
        return SUM
    return sympy_precedence(expr)


def _simple_base(expr) -> bool:
    """A power's base that needs no parentheses: a name or a non-negative whole number."""
    if isinstance(expr, DecimalLeaf):
        return _precedence(expr) == ATOM and expr.value == expr.value.to_integral_value()
    if isinstance(expr, Display):
        return isinstance(expr, Apply)
    return isinstance(expr, sympy.Symbol) or (expr.is_Integer and expr >= 0)


class Display(sympy.Function):
    """A display operation: kept as written, printed by its own ``latex``/``text`` methods (no evaluation).
    Arithmetic written out is no transcendental number for the exact-form budget; exp, a root and a named
    function (``transcendental``) are, as their SymPy counterparts are."""

    precedence = FUNCTION
    transcendental = False

    def _latex(self, printer, exp=None):
        shown = self.latex(printer)
        if exp is not None:
            shown = rf"\left({shown}\right)^{{{exp}}}"
        return shown

    def _sympystr(self, printer):
        return self.text(printer)

    @staticmethod
    def part(printer, expr, at_least: int, left: str = r"\left(", right: str = r"\right)") -> str:
        shown = printer._print(expr)
        return f"{left}{shown}{right}" if _precedence(expr) < at_least else shown


class Plus(Display):
    """a + b (+ c − d …): a sum as written, its terms in order, a subtracted one wrapped in :class:`Subtracted`.
    A sum written on the left of + or − joins this one (a + b + c is one flat Plus), so that a sum of 1,000
    terms is no deeper, for SymPy and for the printers, than a sum of two.

    >>> from sympy import Symbol
    >>> a, b, c = Symbol("a"), Symbol("b"), Symbol("c")
    >>> Plus(Minus(a, b), c).args == (a, Subtracted(b), c)
    True
    """

    precedence = SUM

    def __new__(cls, first, *rest, **options):
        if isinstance(first, Plus):  # (a + b) + c as written left to right: one chain
            first, rest = first.args[0], first.args[1:] + rest
        return super().__new__(cls, first, *rest, **options)

    def latex(self, p):
        return self._joined(lambda term, at_least: self.part(p, term, at_least))

    def text(self, p):
        return self._joined(lambda term, at_least: self.part(p, term, at_least, "(", ")"))

    def _joined(self, shown) -> str:
        pieces = [shown(self.args[0], 0)]
        for term in self.args[1:]:
            sign, term = ("-", term.args[0]) if isinstance(term, Subtracted) else ("+", term)
            pieces.append(f" {sign} {shown(term, SUM + 1)}")
        return "".join(pieces)


class Subtracted(Display):
    """A term of a :class:`Plus` that is subtracted (printed there as ``− b``; alone, as ``−b``)."""

    precedence = SUM

    def latex(self, p):
        return f"-{self.part(p, self.args[0], SUM + 1)}"

    def text(self, p):
        return f"-{self.part(p, self.args[0], SUM + 1, '(', ')')}"


def Minus(a, b) -> Plus:
    """a − b: a :class:`Plus` whose last term is subtracted (a function named like the display operations).

    >>> from symback.numbers.text import format_exact
    >>> format_exact(Minus(sympy.Symbol("a"), sympy.Symbol("b")))
    'a - b'
    """
    return Plus(a, Subtracted(b))


class Negative(Display):
    """−a"""

    precedence = SUM

    def latex(self, p):
        return f"-{self.part(p, self.args[0], PRODUCT)}"

    def text(self, p):
        return f"-{self.part(p, self.args[0], PRODUCT, '(', ')')}"


class Times(Display):
    """a · b (· c …): a product written on the left of another factor joins it (a · b · c is one flat Times), as
    a sum does in :class:`Plus`, so that 1,000 factors are no deeper than two.

    >>> from sympy import Symbol
    >>> a, b, c = Symbol("a"), Symbol("b"), Symbol("c")
    >>> Times(Times(a, b), c).args == (a, b, c)
    True
    """

    precedence = PRODUCT

    def __new__(cls, first, *rest, **options):
        if isinstance(first, Times):  # (a · b) · c as written left to right: one chain
            first, rest = first.args[0], first.args[1:] + rest
        if isinstance(first, Over) and rest:  # (a / b) · c = (a · c) / b: one fraction
            return Over(cls(first.args[0], *rest, **options), first.args[1])
        return super().__new__(cls, first, *rest, **options)

    def latex(self, p):
        shown = self.part(p, self.args[0], SUM + 1)
        for k, arg in enumerate(self.args[1:], start=1):
            # a name or a bracket follows without a dot (2(ŷ − y), w₁₁x₁); a number, or anything after an inner
            # number, after a dot (b₁₁ · 0 · x₁)
            dot = _number_like(arg) or (k > 1 and _number_like(self.args[k - 1]))
            shown += (r" \cdot " if dot else " ") + self.part(p, arg, SUM + 1)
        return shown

    def text(self, p):
        return "*".join(self.part(p, arg, SUM + 1, "(", ")") for arg in self.args)


def _number_like(expr) -> bool:
    """Whether a factor prints as a number first (so that a product needs a dot before it): 3, 0.25, ½."""
    if isinstance(expr, (DecimalLeaf, Over)):
        return True
    if isinstance(expr, (Times, Power)):
        return _number_like(expr.args[0])
    return isinstance(expr, sympy.Basic) and not isinstance(expr, Display) and expr.is_number


class Over(Display):
    """a / b. A quotient divided again is one fraction, (a / b) / c = a / (b · c), as a lecturer writes it and
    so that 1,000 divisions in a row are no deeper than two.

    >>> from sympy import Symbol
    >>> a, b, c = Symbol("a"), Symbol("b"), Symbol("c")
    >>> Over(Over(a, b), c) == Over(a, Times(b, c))
    True
    """

    precedence = PRODUCT

    def __new__(cls, top, bottom, **options):
        if isinstance(top, Over):  # (a / b) / c as written left to right
            top, bottom = top.args[0], Times(top.args[1], bottom)
        return super().__new__(cls, top, bottom, **options)

    def latex(self, p):
        return rf"\frac{{{p._print(self.args[0])}}}{{{p._print(self.args[1])}}}"

    def text(self, p):
        return f"{self.part(p, self.args[0], PRODUCT, '(', ')')}/{self.part(p, self.args[1], PRODUCT + 1, '(', ')')}"


class Power(Display):
    """a ^ b"""

    precedence = POWER

    @property
    def transcendental(self) -> bool:
        return not self.args[1].is_Integer  # as a SymPy power with another exponent

    def latex(self, p):
        base = self.args[0]
        if isinstance(base, Apply) and self.args[1].is_Integer and self.args[1] > 0 and len(base.args) == 2 \
                and base.function in ("tanh", "sigmoid", "sin", "cos"):  # tanh²(z), as taught
            name = _FUNCTION_LATEX.get(base.function, base.function)
            return rf"{name}^{{{p._print(self.args[1])}}}\left({p._print(base.args[1])}\right)"
        base = p._print(self.args[0])
        base = base if _simple_base(self.args[0]) else rf"\left({base}\right)"
        if "^" in base and not base.endswith(r"\right)"):
            base = f"{{{base}}}"  # h^{(1)}_1 squared: {h^{(1)}_1}^2, not a double superscript
        return f"{base}^{{{p._print(self.args[1])}}}"

    def text(self, p):
        base = self.part(p, self.args[0], ATOM, "(", ")") if not _simple_base(self.args[0]) else p._print(self.args[0])
        return f"{base}**{self.part(p, self.args[1], ATOM, '(', ')')}"


class Exp(Display):
    """e ^ a"""

    precedence = POWER
    transcendental = True

    def latex(self, p):
        return f"e^{{{p._print(self.args[0])}}}"

    def text(self, p):
        return f"exp({p._print(self.args[0])})"


class Root(Display):
    """√a"""

    precedence = FUNCTION
    transcendental = True

    def latex(self, p):
        return rf"\sqrt{{{p._print(self.args[0])}}}"

    def text(self, p):
        return f"sqrt({p._print(self.args[0])})"


class Magnitude(Display):
    """|a|"""

    precedence = FUNCTION

    def latex(self, p):
        return rf"\left|{p._print(self.args[0])}\right|"

    def text(self, p):
        return f"abs({p._print(self.args[0])})"


class Indicator(Display):
    """[a > b]: 1 where it holds, 0 where not (the derivative of relu, max, min away from their kinks)."""

    precedence = FUNCTION

    def latex(self, p):
        return rf"\left[{p._print(self.args[0])} > {p._print(self.args[1])}\right]"

    def text(self, p):
        return f"[{p._print(self.args[0])} > {p._print(self.args[1])}]"


_FUNCTION_LATEX = {
    "sigmoid": r"\sigma", "relu": r"\operatorname{ReLU}", "softplus": r"\operatorname{softplus}", "log": r"\log",
    "sin": r"\sin", "cos": r"\cos", "tan": r"\tan", "sinh": r"\sinh", "cosh": r"\cosh", "tanh": r"\tanh",
    "atan": r"\arctan", "max": r"\max", "min": r"\min", "sign": r"\operatorname{sgn}", "id": "",
    "leaky_relu": r"\operatorname{LReLU}",
}


class Apply(Display):
    """A named function of its arguments: ``Apply(Symbol("sigmoid"), y)`` prints σ(y); the first argument is
    the function's name as a Symbol (it is not a leaf)."""

    precedence = FUNCTION
    transcendental = True

    @property
    def function(self) -> str:
        return self.args[0].name

    def latex(self, p):
        arguments = ", ".join(p._print(arg) for arg in self.args[1:])
        if self.function == "log" and len(self.args) == 3:
            return rf"\log_{{{p._print(self.args[2])}}}\left({p._print(self.args[1])}\right)"
        return rf"{_FUNCTION_LATEX.get(self.function, self.function)}\left({arguments}\right)"

    def text(self, p):
        return f"{self.function}({', '.join(p._print(arg) for arg in self.args[1:])})"

    @property
    def free_symbols(self):
        return set().union(*(arg.free_symbols for arg in self.args[1:]))


class DecimalLeaf(sympy.Symbol):
    """A correctly rounded decimal put in for a name (where the exact value is too long to show)."""

    def __new__(cls, value: Decimal):
        leaf = super().__new__(cls, f"decimal {value}")
        leaf.value = value
        return leaf

    def __getnewargs_ex__(self):
        return ((self.value,), {})

    def _latex(self, printer, exp=None):
        shown = decimal_text(self.value)  # every digit, at any size (scaleb rounds to 28 digits, fails past 10^999999)
        return shown if exp is None else rf"\left({shown}\right)^{{{exp}}}"

    def _sympystr(self, printer):
        return str(self.value)


def name_symbol(name: str) -> sympy.Symbol:
    """A node's or variable's Symbol, as the circuit names it (real).

    >>> name_symbol("q1").is_real
    True
    """
    return sympy.Symbol(name, real=True)


def operation_display(operation: str, operands) -> sympy.Expr:
    """A node's definition as written: the operation applied to its operands (Symbols or constants).

    >>> from symback.numbers.text import format_exact
    >>> x, y = name_symbol("x"), name_symbol("y")
    >>> format_exact(operation_display("sub", (x, y)).xreplace({x: 3, y: -4}))
    '3 - (-4)'
    >>> format_exact(operation_display("sigmoid", (y,)))
    'sigmoid(y)'
    """
    a = operands[0]
    simple = {"add": Plus, "sub": Minus, "mul": Times, "div": Over, "pow": Power}
    if operation in simple:
        return simple[operation](*operands)
    if operation == "neg":
        return Negative(a)
    if operation == "exp":
        return Exp(a)
    if operation == "sqrt":
        return Root(a)
    if operation == "abs":
        return Magnitude(a)
    if operation == "id":
        return a
    return Apply(sympy.Symbol(operation), *operands)


def as_display(expr: sympy.Expr) -> sympy.Expr:
    """A SymPy expression (a loss, a local partial) rewritten in display operations, sums with their positive
    terms first, quotients as fractions.

    >>> from symback.numbers.text import format_exact
    >>> f, y = name_symbol("f"), name_symbol("y")
    >>> format_exact(as_display((f - y) ** 2 / 2)), format_exact(as_display(-f / y**2))
    ('(f - y)**2/2', '-f/y**2')
    """
    if isinstance(expr, Display) or not isinstance(expr, sympy.Expr) or expr.is_Atom:
        return expr
    if expr.is_number and not expr.free_symbols:
        return expr  # an exact constant is a leaf
    if isinstance(expr, sympy.Add):
        terms = sorted(expr.args, key=lambda term: term.could_extract_minus_sign())
        shown = [as_display(terms[0])]  # one chain built at once: a sum of 8000 terms, one by one, took 30 s
        shown += [Subtracted(as_display(-term)) if term.could_extract_minus_sign() else as_display(term)
                  for term in terms[1:]]
        return Plus(*shown) if len(shown) > 1 else shown[0]
    if isinstance(expr, sympy.Mul):
        if expr.could_extract_minus_sign():
            return Negative(as_display(-expr))
        numerator, denominator = [], []
        for factor in expr.args:
            if factor.is_Rational and not factor.is_Integer:
                numerator += [sympy.Integer(factor.p)] if factor.p != 1 else []
                denominator.append(sympy.Integer(factor.q))
            elif factor.is_Pow and factor.exp.is_number and factor.exp.is_negative:
                denominator.append(factor.base ** -factor.exp)
            else:
                numerator.append(factor)
        top = _product([as_display(factor) for factor in numerator])
        return Over(top, _product([as_display(factor) for factor in denominator])) if denominator else top
    if isinstance(expr, sympy.Pow):
        if expr.exp.is_number and expr.exp.is_negative:
            return Over(sympy.Integer(1), as_display(expr.base ** -expr.exp))
        if expr.exp == sympy.S.Half:
            return Root(as_display(expr.base))
        return Power(as_display(expr.base), as_display(expr.exp))
    if isinstance(expr, sympy.exp):
        return Exp(as_display(expr.args[0]))
    if isinstance(expr, sympy.Abs):
        return Magnitude(as_display(expr.args[0]))
    names = {sympy.log: "log", sympy.sin: "sin", sympy.cos: "cos", sympy.tan: "tan", sympy.sinh: "sinh",
             sympy.cosh: "cosh", sympy.tanh: "tanh", sympy.atan: "atan", sympy.sign: "sign", sympy.Max: "max",
             sympy.Min: "min"}
    if expr.func in names:
        return Apply(sympy.Symbol(names[expr.func]), *[as_display(arg) for arg in expr.args])
    return expr  # anything else prints as SymPy prints it


def _product(factors: list) -> sympy.Expr:
    if not factors:
        return sympy.Integer(1)
    return factors[0] if len(factors) == 1 else Times(*factors)


def local_partial_display(operation: str, operands, position: int, node: sympy.Symbol,
                          partial: sympy.Expr) -> sympy.Expr:
    """∂node/∂(operand at ``position``) as a teacher writes it: σ' = q(1 − q) and (eᵃ)' = q in the node's own
    name, tanh' = 1 − q², [a > 0] for relu, [a > b] for max and min (ties: see the conventions);
    else SymPy's partial ``partial`` rewritten in display operations.

    >>> q, y = name_symbol("q1"), name_symbol("y")
    >>> str(local_partial_display("sigmoid", (y,), 0, q, None))
    'q1*(1 - q1)'
    """
    if operation == "sigmoid":
        return Times(node, Minus(sympy.Integer(1), node))
    if operation == "exp":
        return node
    if operation == "tanh":
        return Minus(sympy.Integer(1), Power(node, sympy.Integer(2)))
    if operation == "relu":
        return Indicator(operands[0], sympy.Integer(0))
    if operation in ("max", "min"):
        others = [o for k, o in enumerate(operands) if k != position]
        mine = operands[position]
        if len(others) == 1:
            return Indicator(mine, others[0]) if operation == "max" else Indicator(others[0], mine)
        rest = Apply(sympy.Symbol(operation), *others)
        return Indicator(mine, rest) if operation == "max" else Indicator(rest, mine)
    if operation == "abs":
        return Apply(sympy.Symbol("sign"), operands[0])
    return as_display(partial)


def with_numbers(expr: sympy.Expr, numbers: dict) -> sympy.Expr:
    """``expr`` with values (exact SymPy numbers or :class:`DecimalLeaf`) put in for Symbols, unevaluated.

    >>> from symback.numbers.text import format_exact
    >>> x = name_symbol("x")
    >>> format_exact(with_numbers(operation_display("neg", (x,)), {x: sympy.Integer(-3)}))
    '-(-3)'
    """
    if isinstance(expr, Apply):
        return Apply(expr.args[0], *[with_numbers(arg, numbers) for arg in expr.args[1:]])
    if isinstance(expr, Display):
        return expr.func(*[with_numbers(arg, numbers) for arg in expr.args])
    return expr.xreplace(numbers) if isinstance(expr, sympy.Basic) else expr
