"""The fuzzing campaign's shared fixtures: a base folder for the inputs' sandboxes, the record of the slowest
input per command and, in a long run, the file that keeps failures (see harness.py)."""

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Findings, Slowest


@pytest.fixture(scope="session")
def fuzz_base(tmp_path_factory) -> Path:
    """Where each input gets its sandbox (and the session's temporary folder, ``tmp/``)."""
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="session")
def slowest(tmp_path_factory) -> Slowest:
    """The slowest input per command: ``SYMBACK_FUZZ_SLOWEST`` or fuzz-slowest.json in pytest's base folder."""
    path = os.environ.get("SYMBACK_FUZZ_SLOWEST")
    return Slowest(Path(path) if path else tmp_path_factory.getbasetemp() / "fuzz-slowest.json")


@pytest.fixture(scope="session")
def findings() -> Findings:
    """Failures kept in ``SYMBACK_FUZZ_FINDINGS`` (JSON lines) instead of failing, when it is set."""
    path = os.environ.get("SYMBACK_FUZZ_FINDINGS")
    return Findings(Path(path) if path else None)
