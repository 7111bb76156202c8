"""The TOML examples of docs/problem-format.md, for the tests that load and check every one of them."""

from __future__ import annotations

import re
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs" / "problem-format.md"


def documented_examples() -> list[str]:
    """Every ```toml block of the problem-file reference, in order."""
    return re.findall(r"```toml\n(.*?)```", DOCS.read_text(encoding="utf-8"), flags=re.DOTALL)
