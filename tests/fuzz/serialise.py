"""Write a mutated file back as text: a small TOML writer and a JSON writer that keep Decimals as written.

The fuzzer parses a shipped file, changes the data and writes it again; tomli-w is not a dependency, and the
values it writes (str, int, float, bool, Decimal, dates, lists, tables) are few. Tables under the top level are
written as ``[name]`` sections and lists of tables as ``[[name]]``, as people write them; deeper ones inline.
"""

from __future__ import annotations

import datetime
import json
import math
from decimal import Decimal
from typing import Any


class Raw(str):
    """Text written into the file as it is: a number token no Python value holds (``1e1000``, a 5,000-digit
    integer, ``0x1F``, ``1_000``) or a bare word, so the file says exactly what the fuzzer meant."""


def toml_key(key: str) -> str:
    """A key as a TOML basic string (always quoted: any text is a key then).

    >>> toml_key("dL/da22"), toml_key('a"b')
    ('"dL/da22"', '"a\\\\"b"')
    """
    return toml_string(str(key))


def toml_string(text: str) -> str:
    r"""A TOML basic string: quotes, backslashes and control characters escaped.

    >>> print(toml_string('say "hi"\n\\'))
    "say \"hi\"\n\\"
    """
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def toml_value(value: Any) -> str:
    """One value as inline TOML.

    >>> toml_value([1, 2.5, Decimal("1E+1000"), {"a": True}, Raw("0x1F")])
    '[1, 2.5, 1E+1000, {"a" = true}, 0x1F]'
    """
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return repr(value) if math.isfinite(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, Decimal):
        return _decimal_text(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, dict):
        return "{" + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    raise TypeError(f"no TOML for {type(value).__name__}")


def _decimal_text(value: Decimal) -> str:
    if value.is_nan():
        return "nan"
    if value.is_infinite():
        return "-inf" if value < 0 else "inf"
    text = str(value)
    return text if any(c in text for c in ".Ee") else text + ".0"  # a float stays a float


def dumps_toml(data: dict) -> str:
    """A TOML document for ``data``: plain keys first, then each table and list of tables in its own section.

    >>> text = dumps_toml({"title": "t", "loss": {"kind": "l2"}, "exercises": [{"id": "1"}, {"id": "2"}]})
    >>> print(text)
    "title" = "t"
    <BLANKLINE>
    ["loss"]
    "kind" = "l2"
    <BLANKLINE>
    [["exercises"]]
    "id" = "1"
    <BLANKLINE>
    [["exercises"]]
    "id" = "2"
    <BLANKLINE>
    >>> import tomllib; tomllib.loads(text)["exercises"][1]
    {'id': '2'}
    """
    lines = [f"{toml_key(k)} = {toml_value(v)}" for k, v in data.items() if not _is_section(v)]
    for key, value in data.items():
        if isinstance(value, dict) and _is_section(value):
            lines += ["", f"[{toml_key(key)}]"] + [f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()]
        elif _is_section(value):
            for table in value:
                lines += ["", f"[[{toml_key(key)}]]"] + [f"{toml_key(k)} = {toml_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


def _is_section(value: Any) -> bool:
    """Whether a top-level value is written as a section: a table, or a non-empty list of tables only."""
    if isinstance(value, dict):
        return True
    return isinstance(value, list) and bool(value) and all(isinstance(item, dict) for item in value)


def dumps_json(data: Any) -> str:
    """JSON text for ``data``; a Decimal is written as its digits (a JSON number), dates as strings.

    >>> dumps_json({"a": [Decimal("1.50"), 2, None, "é"]})
    '{"a": [1.50, 2, null, "é"]}'
    """
    if isinstance(data, Raw):
        return str(data)
    if isinstance(data, dict):
        return "{" + ", ".join(f"{json.dumps(str(k), ensure_ascii=False)}: {dumps_json(v)}" for k, v in data.items()) + "}"
    if isinstance(data, (list, tuple)):
        return "[" + ", ".join(dumps_json(item) for item in data) + "]"
    if isinstance(data, Decimal):
        return _decimal_text(data).replace("inf", "Infinity").replace("nan", "NaN")
    if isinstance(data, (datetime.datetime, datetime.date, datetime.time)):
        return json.dumps(data.isoformat())
    if isinstance(data, float) and not math.isfinite(data):
        return "NaN" if math.isnan(data) else ("Infinity" if data > 0 else "-Infinity")
    return json.dumps(data, ensure_ascii=False)
