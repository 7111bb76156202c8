"""The whole-command deadline, the last resort behind every work budget: ``--deadline SECONDS``.

A command that is still working after its deadline (default :data:`DEFAULT_SECONDS`, for a folder of answers
files :data:`SECONDS_PER_ANSWERS_FILE` more per file; 0: none) gives up with one line on stderr and exit code 2,
and the file it was writing is removed (every file is written through a temporary one, see
:mod:`symback.render.atomic`). The deadline is the command line's only: the library never arms one.

It works in two stages. SIGALRM in the main thread raises :class:`~symback.errors.DeadlineExceeded`; Python runs
the handler between two bytecodes, so within a fraction of a second wherever the command is in Python code
(SymPy is Python). It cannot run while one long call into C lasts, and neither can a Python thread: SymEngine
holds the GIL through each of its calls (measured: a watchdog thread ticking every 0.05 s stalled for the whole
1.0 s of one ``symengine.expand``, and the handler ran only when the call returned). The engine's guards keep
each such call short (the longest stretch without a handler over the known slow inputs of issue 14 was 0.7 s),
so a second stage is only a backstop: in the real command's process, a watchdog process forked at the start
waits :data:`HARD_GRACE_SECONDS` past the deadline, then writes the line and kills the command (which then
ends as killed, status 137 in a shell, not 2: no process can set another's exit code, and the command cannot
run code of its own at that moment). It leaves when the command ends or is gone.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
import time
from pathlib import Path

from ..errors import ArgumentError, DeadlineExceeded, SectionOverrun

DEFAULT_SECONDS = 300.0  # a hundred times the 5 s any input within the documented limits is meant to take
SECONDS_PER_ANSWERS_FILE = 10.0  # marking one file and its PDF take about a second
HARD_GRACE_SECONDS = 10.0  # past the deadline, before the watchdog kills a command stuck in one C call


def add_deadline_option(command: argparse.ArgumentParser) -> None:
    """Give a command ``--deadline SECONDS``."""
    command.add_argument("--deadline", type=float, metavar="SECONDS",
                         help=f"give up after this many seconds, with one line and exit code 2 (default: "
                              f"{DEFAULT_SECONDS:g}, and {SECONDS_PER_ANSWERS_FILE:g} more per answers file of a "
                              "folder; 0: no deadline)")


def deadline_seconds(args: argparse.Namespace) -> float:
    """The command's deadline in seconds (0: none): ``--deadline``, else the default for what it works on.

    >>> deadline_seconds(argparse.Namespace(deadline=None)), deadline_seconds(argparse.Namespace(deadline=0.5))
    (300.0, 0.5)
    """
    if args.deadline is not None:
        if not 0 <= args.deadline < 10**9:  # also NaN
            raise ArgumentError(f"--deadline must be a number of seconds, 0 or more (0: none), got {args.deadline:g}")
        return args.deadline
    answers = Path(getattr(args, "answers", None) or "")
    files = 0
    if getattr(args, "answers", None) and answers.is_dir():
        files = sum(1 for path in answers.iterdir() if path.suffix.lower() in (".toml", ".json"))
    return DEFAULT_SECONDS + SECONDS_PER_ANSWERS_FILE * files


@contextlib.contextmanager
def command_deadline(args: argparse.Namespace, whole_process: bool = False):
    """Run the block under the command's deadline: past it, :class:`DeadlineExceeded` (naming the command's
    file) is raised in the main thread; with ``whole_process`` (the command's own process, not a caller of
    :func:`~symback.cli.main.main`), a watchdog process also stops a command stuck in one long C call.

    >>> with command_deadline(argparse.Namespace(deadline=0, problem="p.toml")):
    ...     print("no deadline")
    no deadline
    """
    seconds = deadline_seconds(args)
    if not seconds:
        yield
        return
    exceeded = DeadlineExceeded(seconds, getattr(args, "problem", None))
    watchdog = _start_watchdog(seconds + HARD_GRACE_SECONDS, f"symback: {exceeded}\n") if whole_process else None
    try:
        with _alarm(seconds, exceeded):
            yield
    finally:
        if watchdog is not None:
            _stop(watchdog)


SECTION_SHARE = 5  # a section of a sheet (an exercise, an appendix section) may take a fifth of the deadline


def section_guard(args: argparse.Namespace):
    """The guard a command passes to the library for each section of its work (None without a deadline): a
    section still working after a fifth of the deadline is stopped by :class:`~symback.errors.SectionOverrun`,
    which the library turns into a sentence saying it was left out, and the rest goes on.

    >>> section_guard(argparse.Namespace(deadline=0)) is None
    True
    >>> with section_guard(argparse.Namespace(deadline=100))("exercise 1"):
    ...     print("within 20 s")
    within 20 s
    """
    seconds = deadline_seconds(args) / SECTION_SHARE
    if not seconds:
        return None
    return lambda section: _alarm(seconds, SectionOverrun(section, seconds))


@contextlib.contextmanager
def _alarm(seconds: float, exceeded: DeadlineExceeded):
    """SIGALRM raises ``exceeded`` after ``seconds`` (in the main thread only: Python runs handlers there).
    An alarm already set that comes first (a test's hang guard) is left to fire; a later one is set again after."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return
    earlier, _ = signal.getitimer(signal.ITIMER_REAL)
    if 0 < earlier <= seconds:
        yield
        return

    def expired(signum, frame):
        raise exceeded

    previous = signal.signal(signal.SIGALRM, expired)
    started = time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if earlier:
            signal.setitimer(signal.ITIMER_REAL, max(earlier - (time.monotonic() - started), 0.001))


def _start_watchdog(seconds: float, line: str) -> int | None:
    """Fork a process that, unless this one is gone first, writes ``line`` to stderr after ``seconds`` and kills
    this one; its process id (None where there is no fork). It runs none of the command's code: forked before
    the command starts, it only sleeps and looks whether its parent is still there."""
    if not hasattr(os, "fork"):
        return None
    parent = os.getpid()
    sys.stdout.flush()  # nothing buffered is copied into the watchdog to be written twice
    sys.stderr.flush()
    try:
        child = os.fork()
    except OSError:
        return None
    if child:
        return child
    try:  # the watchdog: it never returns into the command's code
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the command's to answer
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            time.sleep(min(0.2, max(end - time.monotonic(), 0)))
            if os.getppid() != parent:
                os._exit(0)  # the command ended without stopping it
        os.write(2, line.encode("utf-8", "replace"))
        os.kill(parent, signal.SIGKILL)
    finally:
        os._exit(0)


def _stop(watchdog: int) -> None:
    with contextlib.suppress(OSError):
        os.kill(watchdog, signal.SIGKILL)
        os.waitpid(watchdog, 0)
