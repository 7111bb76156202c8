"""A guard against hangs, not a measure of speed: a call that has not finished after a generous deadline fails
the test (speed itself is measured in bench/, never asserted: the machines running tests are shared)."""

from __future__ import annotations

import contextlib
import signal

import pytest

HANG = 120  # seconds: what takes a few milliseconds on an idle machine is far below this on any loaded one


@contextlib.contextmanager
def no_hang(seconds: int = HANG):
    """Fail the test if the block runs longer than ``seconds`` (a hang), by SIGALRM in the main thread."""

    def hung(signum, frame):
        pytest.fail(f"still running after {seconds} s: a hang")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
