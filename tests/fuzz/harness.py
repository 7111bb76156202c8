"""Run one fuzzed input through symback and hold the campaign's property.

Every input ends in a result or the project's own error (a :class:`~symback.errors.SymbackError`, one line);
nothing outside the output folder is written; every file in the output folder is whole, also after a failed
run; and no input hangs (a guard of ``SYMBACK_FUZZ_HANG`` seconds, 120 by default: a hang, never a timing).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from deadline import HANG, no_hang
from hypothesis import HealthCheck, settings

from symback.errors import SymbackError

ROOT = Path(__file__).resolve().parents[2]  # the tree under test, for commands run in a process of their own
HANG_SECONDS = int(os.environ.get("SYMBACK_FUZZ_HANG", HANG))
MAX_MESSAGE = 1000  # characters: an error line that echoes a huge input in full is not one clear line
STRICT = bool(os.environ.get("SYMBACK_FUZZ_STRICT"))  # a longer line fails (else it is a warning)
# Python's own words, which must never reach a user in place of the project's line
LEAKS = ("Traceback", "set_int_max_str_digits", "surrogates not allowed", "object has no attribute", "KeyError",
         "RecursionError", "maximum recursion depth", "unsupported operand", "codec can't")

# The default run: a few examples per test, the same ones every time (never flaky). The long run (pytest -m fuzz):
# SYMBACK_FUZZ_EXAMPLES examples per format, split between its API test and its command-line test.
QUICK = settings(derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck),
                 print_blob=True)
LONG_EXAMPLES = int(os.environ.get("SYMBACK_FUZZ_EXAMPLES", "10000"))
LONG = settings(max_examples=(LONG_EXAMPLES + 1) // 2, deadline=None, suppress_health_check=list(HealthCheck),
                print_blob=True)
PDF_SHARE = 50  # the long run compiles a PDF for one command-line example in PDF_SHARE (pdflatex takes seconds)
FRESH_SHARE = 25  # and runs one in FRESH_SHARE as `python -m symback` in a process of its own (as users run it)


def quick(examples: int) -> settings:
    """The default run's settings with ``examples`` examples."""
    return settings(QUICK, max_examples=examples)

EXIT_CODES = {"solve": {0, 2}, "grad": {0, 2}, "exercise": {0, 2}, "answers": {0, 2}, "check": {0, 1, 2}}


class LongErrorLine(UserWarning):
    """An error line that quotes a huge input at length: one line still, but not a clear one."""


def assert_own_error(error: BaseException) -> None:
    """``error`` is the project's own: a SymbackError whose message is one clear line."""
    assert isinstance(error, SymbackError), f"{type(error).__name__} instead of the project's error: {error!r}"
    assert_one_line(str(error))


def assert_one_line(message: str) -> None:
    assert message.strip(), "an empty error message"
    assert "\n" not in message.strip(), f"an error of several lines: {message[:500]!r}"
    if len(message) > MAX_MESSAGE:
        long = f"an error line of {len(message)} characters: {message[:300]!r}…"
        assert not STRICT, long
        warnings.warn(LongErrorLine(long), stacklevel=2)
    leaked = [word for word in LEAKS if word in message]
    assert not leaked, f"Python's own words in the message ({leaked[0]}): {message[:300]!r}"


def ends_well(stage: Callable[[], Any]) -> Any:
    """Run one stage of the API: its result, or None after the project's own error (anything else fails)."""
    try:
        return stage()
    except SymbackError as error:
        assert_own_error(error)
        return None


# --- the output folder -------------------------------------------------------------------------------------

def _whole_md(text: str) -> bool:
    return text.startswith("# ") and text.endswith("\n") and text.count("```") % 2 == 0


def _parses(loader: Callable[[str], Any]) -> Callable[[str], bool]:
    def check(text: str) -> bool:
        try:
            loader(text)
        except ValueError:
            return False
        return True
    return check


# suffix -> whether a file's text is whole (each format's own last line or a parser's word for it)
WHOLE: dict[str, Callable[[str], bool]] = {
    ".md": _whole_md,
    ".tex": lambda text: text.rstrip().endswith("\\end{document}"),
    ".svg": lambda text: text.rstrip().endswith("</svg>"),
    ".json": _parses(json.loads),
    ".toml": _parses(tomllib.loads),
    ".csv": lambda text: text.endswith("\n"),
}


def assert_whole_files(folder: Path) -> None:
    """Every file in ``folder`` is complete; no temporary or partial file is left."""
    for path in sorted(folder.rglob("*")):
        if path.is_dir():
            continue
        assert not path.name.endswith(".partial"), f"a temporary file left behind: {path.name}"
        if path.suffix == ".pdf":
            data = path.read_bytes()
            assert data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF"), f"{path.name} is not a whole PDF"
            continue
        whole = WHOLE.get(path.suffix)
        assert whole is not None, f"a file of an unexpected kind written: {path.name}"
        text = path.read_text(encoding="utf-8")
        assert whole(text), f"{path.name} is not whole"
        if path.suffix == ".tex":
            assert_escaped_tex(text)


# TeX primitives that read or write files or redefine the language: no template uses them, so in a sheet they can
# only be text from a file that was not escaped
RAW_TEX = re.compile(r"\\(?:input|include|write|immediate|openin|openout|catcode|def|read|csname)(?![A-Za-z])")


def assert_escaped_tex(text: str) -> None:
    """No TeX primitive that reads, writes or redefines anything in a LaTeX text symback wrote.

    >>> assert_escaped_tex(r"\\textbackslash{}input\\{/etc/passwd\\}")
    """
    raw = RAW_TEX.search(text)
    assert raw is None, f"raw TeX from the input in a sheet: {text[max(raw.start() - 60, 0):raw.end() + 60]!r}"


def tree(folder: Path, leave_out: Sequence[Path] = ()) -> dict[str, tuple[int, int]]:
    """Every file and folder under ``folder`` (but those under ``leave_out``): path -> (size, modification)."""
    found = {}
    for path in folder.rglob("*"):
        if any(path == skip or skip in path.parents for skip in leave_out):
            continue
        info = path.lstat()
        found[str(path.relative_to(folder))] = (0 if path.is_dir() else info.st_size, info.st_mtime_ns)
    return found


@dataclass
class Sandbox:
    """One input's folder: ``in/`` its files, ``work/`` the current directory, ``out/`` the only place it may
    write; the session's temporary folder is shared (the Jinja2 template cache lives there, across examples)."""

    root: Path
    temporary: Path

    @property
    def output(self) -> Path:
        return self.root / "out"

    def add(self, name: str, content: str | bytes) -> Path:
        path = self.root / "in" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogatepass")
        path.write_bytes(content)
        return path

    @contextlib.contextmanager
    def watch(self) -> Iterator[None]:
        """Run the block from ``work/`` under the hang guard; then nothing may have been written outside ``out/``
        (nor left in the temporary folder), and every file in ``out/`` must be whole."""
        (self.root / "work").mkdir(exist_ok=True)
        before = tree(self.root, [self.output])
        here = os.getcwd()
        os.chdir(self.root / "work")
        try:
            with no_hang(HANG_SECONDS):
                yield
        finally:
            os.chdir(here)
        assert tree(self.root, [self.output]) == before, "a file written outside the output folder"
        left = [name for name in os.listdir(self.temporary) if not name.startswith("symback-templates-")]
        assert not left, f"left in the temporary folder: {left}"
        if self.output.exists():
            assert_whole_files(self.output)

    def run(self, argv: Sequence[str], *, fresh: bool = False) -> tuple[int, str, str]:
        """``symback ARGV`` in-process (or, ``fresh``, as ``python -m symback`` in a process of its own, the way
        a user runs it), watched; the exit code is the command's, and an exit 2 says why in one line (or
        argparse's usage, for arguments it cannot take)."""
        with self.watch():
            code, stdout, stderr = self._fresh(argv) if fresh else self._in_process(argv)
        assert code in EXIT_CODES[argv[0]], f"exit code {code}; stderr: {stderr[-1000:]}"
        if code == 2:
            assert stderr.startswith(("symback: ", "usage: symback")), f"exit 2 without the one line: {stderr[-1000:]!r}"
            if stderr.startswith("symback: "):
                assert_one_line(stderr)
        assert "Traceback" not in stderr, f"a traceback: {stderr[-1500:]}"
        return code, stdout, stderr

    @staticmethod
    def _in_process(argv: Sequence[str]) -> tuple[int, str, str]:
        from symback.cli.main import main

        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(argv))
            except SystemExit as stop:
                code = stop.code
        return code, out.getvalue(), err.getvalue()

    def _fresh(self, argv: Sequence[str]) -> tuple[int, str, str]:
        environment = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(self.temporary)}
        try:
            done = subprocess.run([sys.executable, "-m", "symback", *argv], capture_output=True, text=True,
                                  errors="replace", env=environment, timeout=HANG_SECONDS - 1, check=False)
        except subprocess.TimeoutExpired:
            pytest.fail(f"still running after {HANG_SECONDS - 1} s: a hang")
        return done.returncode, done.stdout, done.stderr


@contextlib.contextmanager
def sandbox(base: Path) -> Iterator[Sandbox]:
    """A fresh :class:`Sandbox` under ``base``, removed afterwards; the temporary folder is ``base/tmp``."""
    temporary = base / "tmp"
    temporary.mkdir(exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="case-", dir=base))
    saved = tempfile.tempdir
    tempfile.tempdir = str(temporary)
    try:
        yield Sandbox(root, temporary)
    finally:
        tempfile.tempdir = saved
        shutil.rmtree(root, ignore_errors=True)


# --- the campaign's records --------------------------------------------------------------------------------

class Slowest:
    """The slowest input seen per command, kept in a JSON file as it is found (a long run may be stopped)."""

    def __init__(self, path: Path):
        self.path = path
        self.seen: dict[str, dict] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}

    def timed(self, command: str, argv: Sequence[str], files: dict[str, str], run: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        result = run()
        seconds = time.perf_counter() - start
        if seconds > self.seen.get(command, {}).get("seconds", 0):
            self.seen[command] = {"seconds": round(seconds, 3), "argv": list(argv), "files": files}
            self.path.write_text(json.dumps(self.seen, indent=1), encoding="utf-8")
        return result


class Findings:
    """Where the long run keeps failures instead of stopping at the first (``SYMBACK_FUZZ_FINDINGS``): one JSON
    line per failure, the input and what went wrong; without the file a failure fails the test as usual."""

    def __init__(self, path: Path | None):
        self.path = path

    @contextlib.contextmanager
    def kept(self, test: str, case: Any) -> Iterator[None]:
        if self.path is None:
            yield
            return
        try:
            yield
        except (Exception, pytest_failure()) as failure:  # noqa: BLE001 - every failure is a finding here
            line = {"test": test, "case": case, "failure": f"{type(failure).__name__}: {failure}"[:4000]}
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(line, default=str) + "\n")


def pytest_failure() -> type[BaseException]:
    """pytest.fail's exception (what the hang guard raises), which is not an Exception."""
    import _pytest.outcomes

    return _pytest.outcomes.Failed
