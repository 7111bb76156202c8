"""The top-level keys that decide what a sheet prints: rounding (``digits`` or ``decimals``), the appendix, the
introduction."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ProblemError
from .fields import Fields, describe
from .model import APPENDIX_SECTIONS

MAX_SHOWN = 100  # significant digits or decimal places a file may ask for


@dataclass(frozen=True)
class SheetSettings:
    digits: int
    decimals: int | None
    appendix: tuple[str, ...]
    intro: str | None


def read_sheet_settings(top: Fields) -> SheetSettings:
    """``digits``/``decimals``, ``appendix`` and ``intro`` from the top level of a problem file.

    >>> from symback.problem.fields import Fields
    >>> read_sheet_settings(Fields({"decimals": 2, "appendix": ["relu"]}, "", ("decimals", "appendix")))
    SheetSettings(digits=4, decimals=2, appendix=('relu',), intro=None)
    """
    if "digits" in top and "decimals" in top:
        raise ProblemError("decimals", "give either digits (significant digits) or decimals (fixed decimal places), "
                                       "not both")
    digits = _count(top, "digits", 1, "significant digits shown on sheets")
    decimals = _count(top, "decimals", 0, "fixed decimal places shown on sheets")
    return SheetSettings(4 if digits is None else digits, decimals, _appendix(top), top.string("intro"))


def _count(top: Fields, key: str, lowest: int, what: str) -> int | None:
    value = top.get(key)
    if value is None:
        return None
    if type(value) is not int or not lowest <= value <= MAX_SHOWN:
        shown = value if type(value) is int else describe(value)
        raise ProblemError(key, f"expected an integer from {lowest} to {MAX_SHOWN} ({what}), got {shown}")
    return value


def _appendix(top: Fields) -> tuple[str, ...]:
    """``appendix = true`` (the default: every section that fits), ``false`` (none) or a list of section names."""
    value = top.get("appendix")
    if value is None or value is True:
        return APPENDIX_SECTIONS
    if value is False:
        return ()
    known = ", ".join(APPENDIX_SECTIONS)
    if not isinstance(value, list):
        raise ProblemError("appendix", f"expected true, false or a list of sections ({known}), got {describe(value)}")
    for position, name in enumerate(value, start=1):
        if name not in APPENDIX_SECTIONS:
            shown = repr(name) if isinstance(name, str) else describe(name)
            raise ProblemError(f"appendix[{position}]", f"unknown appendix section {shown} (known: {known})")
        if name in value[:position - 1]:
            raise ProblemError(f"appendix[{position}]", f"section {name!r} is listed twice")
    return tuple(name for name in APPENDIX_SECTIONS if name in value)
