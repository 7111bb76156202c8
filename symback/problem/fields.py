"""Reading the pieces of a problem file: tables, numbers, names and matrices.

Helpers for :mod:`symback.problem.load`. They raise :class:`ProblemError` with a key path but
without a source; the loader adds the file name. Key paths count list positions from 1.
"""

from __future__ import annotations

import datetime
import functools
import re
from decimal import Decimal
from typing import Any, Iterable

import sympy

from ..errors import ParseError, ProblemError
from ..numbers.parse import CONSTANTS, FUNCTIONS, MAX_DIGITS, exact_number
from ..numbers.plain import plain_number
from .limits import Limits
from .model import Entry

IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
MAX_NAME = 12  # characters of a name: what a sheet's narrowest table column holds in one piece
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")

NUMBER_NAMES = frozenset(CONSTANTS)
"""Names that the number parser reads as constants (e, pi), so never parameter names."""

RESERVED_NAMES = NUMBER_NAMES | FUNCTIONS | {"L"}
"""Names with a fixed meaning on a sheet (the loss is L); names starting with ``yhat`` too."""

# A float's exact fraction has about 10**|exponent|; larger ones go to exact_number, which refuses them.
_MAX_EXPONENT = MAX_DIGITS
_INTEGER_LIMIT = 10**MAX_DIGITS  # an integer of more digits takes the parser's route, which refuses it
# as_integer_ratio is already in lowest terms, so skip Rational's gcd where SymPy (>= 1.13) allows it
_COPRIME_RATIONAL = getattr(sympy.Rational, "from_coprime_ints", sympy.Rational)


def describe(value: Any) -> str:
    """The TOML name of a value's type, for messages.

    >>> describe(True), describe([1]), describe({}), describe(Decimal("1.5"))
    ('a boolean', 'an array', 'a table', 'a float')
    """
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, Decimal):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, (datetime.date, datetime.time)):
        return "a date or time"
    return type(value).__name__


def join_key(path: str, name: str) -> str:
    """The key path of ``name`` inside the table at ``path``; odd names are quoted as in TOML.

    >>> join_key("network", "inputs"), join_key("", "title"), join_key("show", "a b")
    ('network.inputs', 'title', 'show."a b"')
    """
    shown = name if _BARE_KEY.fullmatch(name) else '"' + name.encode("unicode_escape").decode("ascii") + '"'
    return f"{path}.{shown}" if path else shown


def index_key(path: str, *positions: int) -> str:
    """The key path of a list element, counting from 1.

    >>> index_key("network.layers[1].values", 2, 3)
    'network.layers[1].values[2][3]'
    """
    return path + "".join(f"[{position}]" for position in positions)


class Fields:
    """The keys of one TOML table, read one at a time; an unknown key is an error.

    >>> fields = Fields({"kind": "relu"}, "loss", ("kind",))
    >>> fields.string("kind", required=True)
    'relu'
    >>> Fields({"knd": 1}, "loss", ("kind",))
    Traceback (most recent call last):
    symback.errors.ProblemError: loss.knd: unknown key 'knd' (expected one of: kind)
    """

    def __init__(self, table: Any, path: str, allowed: Iterable[str], what: str = "a table"):
        if not isinstance(table, dict):
            raise ProblemError(path, f"expected {what}, got {describe(table)}")
        allowed = tuple(allowed)
        for name in table:
            if name not in allowed:
                raise ProblemError(
                    join_key(path, name), f"unknown key {name!r} (expected one of: {', '.join(allowed)})"
                )
        self.table = table
        self.path = path

    def key(self, name: str) -> str:
        return join_key(self.path, name)

    def __contains__(self, name: str) -> bool:
        return name in self.table

    def get(self, name: str, *, required: bool = False, why: str = "") -> Any:
        if name not in self.table:
            if required:
                raise ProblemError(self.key(name), f"missing key {name!r}{why}")
            return None
        return self.table[name]

    def string(self, name: str, *, required: bool = False) -> str | None:
        value = self.get(name, required=required)
        if value is not None and not isinstance(value, str):
            raise ProblemError(self.key(name), f"expected a string, got {describe(value)}")
        return value

    def number(self, name: str, *, required: bool = False) -> sympy.Expr | None:
        value = self.get(name, required=required)
        return None if value is None else read_number(value, self.key(name))


def read_number(value: Any, key: str) -> sympy.Expr:
    """An exact SymPy number from a TOML integer, float (a ``Decimal``) or number string.

    >>> read_number(Decimal("2.12"), "lr"), read_number(7, "lr"), read_number("-4/5", "lr")
    (53/25, 7, -4/5)
    >>> read_number(True, "lr")
    Traceback (most recent call last):
    symback.errors.ProblemError: lr: expected a number, got a boolean (true/false are not numbers)
    """
    try:
        return _plain_number(value)
    except _NotPlain:
        pass
    if isinstance(value, bool):
        raise ProblemError(key, "expected a number, got a boolean (true/false are not numbers)")
    if isinstance(value, int):
        raise ProblemError(key, f"not a valid number: an integer of more than {MAX_DIGITS} digits")
    if not isinstance(value, (str, Decimal)):
        raise ProblemError(key, f"expected a number, got {describe(value)}")
    try:
        return exact_number(value, what="number")  # strings, and floats too big for the fast path
    except ParseError as error:
        raise ProblemError(key, f"not a valid {error}") from None


class _NotPlain(Exception):
    pass


def _plain_number(value: Any) -> sympy.Expr:
    """The fast path: a TOML integer, a finite float of sane size or a plain number string ("-3/10"); else
    raise _NotPlain (the expression parser's route, with its checks and messages)."""
    kind = type(value)
    if kind is str:
        number = plain_number(value)
        if number is not None:
            return number
    elif kind is int and -_INTEGER_LIMIT < value < _INTEGER_LIMIT:
        return sympy.Integer(value)
    elif kind is Decimal and value.is_finite() and -_MAX_EXPONENT < value.adjusted() < _MAX_EXPONENT \
            and len(value.as_tuple().digits) <= MAX_DIGITS:
        return _decimal_rational(value)
    raise _NotPlain


@functools.lru_cache(maxsize=4096)  # a cache: a big matrix repeats its short decimals many times
def _decimal_rational(value: Decimal) -> sympy.Rational:
    """A finite TOML float's exact value (equal Decimals such as 1.0 and 1.00 have the same one)."""
    return _COPRIME_RATIONAL(*value.as_integer_ratio())


def read_name(text: str, key: str, what: str = "parameter name") -> str:
    """Check that ``text`` may name a parameter (or an input) and return it.

    >>> read_name("w_1", "k")
    'w_1'
    >>> read_name("yhat2", "w")
    Traceback (most recent call last):
    symback.errors.ProblemError: w: 'yhat2' cannot be a parameter name: names starting with yhat are reserved
    """
    if not isinstance(text, str):
        raise ProblemError(key, f"expected a {what} (a string), got {describe(text)}")
    if not IDENTIFIER.fullmatch(text):
        raise ProblemError(key, f"{text!r} is not a valid {what} (ASCII letters, digits and _, starting with a letter)")
    check_name_length(text, key)
    if text.startswith("yhat"):
        raise ProblemError(key, f"{text!r} cannot be a {what}: names starting with yhat are reserved")
    if text in RESERVED_NAMES:
        raise ProblemError(key, f"{text!r} cannot be a {what}: the name is reserved (e, pi, L and function names)")
    return text


def check_name_length(name: str, key: str) -> None:
    """Refuse a name longer than :data:`MAX_NAME` characters (a sheet prints it whole, in a table's column).

    >>> check_name_length("x" * 13, "expression.at")
    Traceback (most recent call last):
    symback.errors.ProblemError: expression.at: 'xxxxxxxxxxxxx' is too long for a name: at most 12 characters (it has 13), so that it fits a column of the sheet's tables
    """
    if len(name) > MAX_NAME:
        raise ProblemError(key, f"{shortened_name(name)!r} is too long for a name: at most {MAX_NAME} characters "
                                f"(it has {len(name)}), so that it fits a column of the sheet's tables")


def shortened_name(name: str) -> str:
    """A name as a message quotes it: at most 40 characters."""
    return name if len(name) <= 40 else name[:39] + "…"


def read_entry(value: Any, key: str) -> Entry:
    """A matrix or bias entry: an identifier string is a parameter name, anything else a constant.

    >>> read_entry("w3", "k"), read_entry("1/3", "k"), read_entry("pi", "k"), read_entry(0, "k")
    ('w3', 1/3, pi, 0)
    """
    if isinstance(value, str) and IDENTIFIER.fullmatch(value) and value not in NUMBER_NAMES:
        return read_name(value, key)
    return read_number(value, key)


def read_letter(value: str, key: str) -> str:
    """A matrix or bias letter: one ASCII letter."""
    if len(value) != 1 or not (value.isascii() and value.isalpha()):
        message = f'{value!r} is not a single letter; give a letter such as "A", or the entries as an array'
        raise ProblemError(key, message)
    return value


def read_rows(value: Any, key: str, what: str) -> list[list]:
    """A rectangular, non-empty array of non-empty arrays (the rows of a matrix)."""
    if not isinstance(value, list) or not value:
        rows = "a non-empty array of rows such as [[1, 0], [-2, 1]]"
        raise ProblemError(key, f"expected {what}: {rows}, got {describe(value)}")
    width = None
    for row_number, row in enumerate(value, 1):
        if not isinstance(row, list) or not row:
            raise ProblemError(index_key(key, row_number), f"expected a row (a non-empty array), got {describe(row)}")
        if width is None:
            width = len(row)
        elif len(row) != width:
            message = f"the matrix is not rectangular: row {row_number} has {len(row)} entries but row 1 has {width}"
            raise ProblemError(index_key(key, row_number), message)
    return value


def read_vector(value: Any, key: str, length: int, what: str, *, bare_number: bool = False) -> tuple[sympy.Expr, ...]:
    """``length`` exact numbers from an array (or from a bare number when ``bare_number``)."""
    if bare_number and not isinstance(value, list):
        return (read_number(value, key),)
    if not isinstance(value, list):
        raise ProblemError(key, f"expected an array of {length} numbers ({what}), got {describe(value)}")
    if len(value) != length:
        count = "1 number" if length == 1 else f"{length} numbers"
        raise ProblemError(key, f"expected {count} ({what}), got an array of {len(value)}")
    return tuple(read_number(item, index_key(key, position)) for position, item in enumerate(value, 1))


def read_number_rows(rows: list[list], key: str) -> list[list[sympy.Expr]]:
    """The numbers of a matrix given by rows (checked with :func:`read_rows`); fast for big ones."""
    numbers = []
    for row_number, row in enumerate(rows, 1):
        try:
            numbers.append([_plain_number(value) for value in row])
        except _NotPlain:  # a string or something wrong in this row: read it entry by entry, with keys
            keys = (index_key(key, row_number, column) for column in range(1, len(row) + 1))
            numbers.append([read_number(value, entry_key) for value, entry_key in zip(row, keys)])
    return numbers


def matrix_entry_names(letter: str, rows: int, columns: int) -> list[list[str]]:
    """Entry names of a matrix given by a letter: a12 while both sizes are below 10, else a3_12.

    >>> matrix_entry_names("A", 2, 2)
    [['a11', 'a12'], ['a21', 'a22']]
    >>> matrix_entry_names("B", 10, 3)[9]
    ['b10_1', 'b10_2', 'b10_3']
    """
    lower = letter.lower()
    separator = "" if rows < 10 and columns < 10 else "_"
    return [[f"{lower}{row}{separator}{column}" for column in range(1, columns + 1)] for row in range(1, rows + 1)]


def bias_entry_names(letter: str, units: int) -> list[str]:
    """Entry names of a bias given by a letter: the letter and the unit's number.

    >>> bias_entry_names("c", 2)
    ['c1', 'c2']
    """
    return [f"{letter.lower()}{unit}" for unit in range(1, units + 1)]


def read_inputs(value: Any, key: str, limits: Limits) -> tuple[str, ...]:
    """Input names from an array of names, or ``x1..xn`` from a count n (at most ``limits.inputs``).

    >>> read_inputs(3, "network.inputs", Limits())
    ('x1', 'x2', 'x3')
    """
    if type(value) is int:
        if value < 1:
            raise ProblemError(key, f"the number of inputs must be from 1 to {limits.inputs}, got {value}")
        limits.check("inputs", value, key)
        return tuple(f"x{i}" for i in range(1, value + 1))
    if not isinstance(value, list) or not value:
        expected = 'input names such as ["x1", "x2"] or a count such as 2'
        raise ProblemError(key, f"expected {expected}, got {describe(value)}")
    limits.check("inputs", len(value), key)
    names: dict[str, None] = {}
    for position, name in enumerate(value, 1):
        read_name(name, index_key(key, position), what="input name")
        if name in names:
            raise ProblemError(index_key(key, position), f"input {name!r} is named twice")
        names[name] = None
    return tuple(names)


class ParameterTable:
    """The network's parameters in order of first appearance.

    Entries of a letter matrix or bias arrive with their values; named entries get theirs from
    the ``[parameters]`` table in :meth:`with_values`.
    """

    def __init__(self, inputs: tuple[str, ...]):
        self.inputs = frozenset(inputs)
        self.values: dict[str, sympy.Expr | None] = {}
        self.first_use: dict[str, str] = {}  # named entries: key path where first used
        self.owner: dict[str, str] = {}  # letter entries: "matrix A (network.layers[1].weights)"
        self.letters: dict[str, str] = {}  # lower-case letter: key path where it is used

    def add_letter(self, letter: str, key: str, what: str, names: list[str], values: list[sympy.Expr]) -> None:
        if letter.lower() in self.letters:
            also = self.letters[letter.lower()]
            raise ProblemError(key, f"letter {letter!r} is used twice in the network (also at {also})")
        self.letters[letter.lower()] = key
        clash = sorted((self.values.keys() | self.inputs) & set(names))
        if clash:
            raise ProblemError(key, f"{what} names an entry {clash[0]!r}, which is already an input or a parameter")
        self.values.update(zip(names, values))
        self.owner.update(dict.fromkeys(names, f"{what} ({key})"))

    def add_entry(self, value: Any, key: str) -> Entry:
        """Read a matrix or bias entry given in place; a name becomes (or ties to) a parameter."""
        entry = read_entry(value, key)
        if not isinstance(entry, str):
            return entry
        if entry in self.owner:
            raise ProblemError(key, f"{entry!r} is an entry of {self.owner[entry]}; choose another name")
        if entry in self.inputs:
            raise ProblemError(key, f"{entry!r} cannot be a parameter name: it is an input")
        if entry not in self.values:
            self.values[entry] = None
            self.first_use[entry] = key
        return entry

    def with_values(self, table: Any) -> dict[str, sympy.Expr]:
        """All values, the named ones taken from the [parameters] table."""
        if table is None:
            table = {}
        if not isinstance(table, dict):
            raise ProblemError("parameters", f"expected a table of name = value, got {describe(table)}")
        for name, value in table.items():
            key = join_key("parameters", name)
            if name in self.owner:
                raise ProblemError(key, f"value given twice: {name!r} is an entry of {self.owner[name]}")
            if name not in self.first_use:
                raise ProblemError(key, f"parameter {name!r} is not used by any layer")
            self.values[name] = read_number(value, key)
        for name, where in self.first_use.items():
            if self.values[name] is None:
                message = f"missing value for parameter {name!r} (used at {where}); give it under [parameters]"
                raise ProblemError(join_key("parameters", name), message)
        return self.values


def some(names: Iterable, limit: int = 8) -> str:
    """The first few names, for messages about possibly huge networks.

    >>> some(["a", "b", "c"], limit=2), some([])
    ('a, b, ...', 'none')
    """
    names = list(names)
    shown = ", ".join(str(name) for name in names[:limit])
    return (shown + (", ..." if len(names) > limit else "")) if names else "none"
