"""Build a PDF from LaTeX source with pdflatex, shell escape off, in a private temporary folder, in a time
proportionate to the sheet."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from ..errors import SymbackError
from .atomic import write_atomically

INSTALL_HINT = (
    "no LaTeX found (pdflatex): install it to get the PDF, e.g. "
    "'apt-get install texlive-latex-base texlive-latex-recommended texlive-fonts-recommended texlive-pictures lmodern'"
)


class PdfError(SymbackError):
    """pdflatex is missing or failed; the message says which and where to look."""


def latex_available() -> bool:
    """Whether pdflatex is on the PATH."""
    return shutil.which("pdflatex") is not None


# pdflatex's time for a sheet (every run of it): measured 0.35 s a run for the 24 KB WS23 sheet and 2.4 s for a
# 290 KB one, about 1 s per 100 KB; the allowance is some 20 times that, for a slow machine under load
BASE_SECONDS = 20.0  # starting TeX and its fonts, and a short sheet
SECONDS_PER_KB = 0.2  # of LaTeX source
MAX_SECONDS = 600.0  # a sheet that needs longer is not one a reader can use


def pdflatex_seconds(tex_source: str) -> float:
    """The time pdflatex is given for a sheet, all its runs together: :data:`BASE_SECONDS` plus
    :data:`SECONDS_PER_KB` per KB of LaTeX, at most :data:`MAX_SECONDS`, and never past the process's alarm
    (the command line's deadline), if one is set.

    >>> pdflatex_seconds("x" * 100 * 1024), pdflatex_seconds("x" * 100 * 1024 * 1024)  # no alarm set
    (40.0, 600.0)
    """
    allowed = min(MAX_SECONDS, BASE_SECONDS + SECONDS_PER_KB * len(tex_source.encode("utf-8")) / 1024)
    left = signal.getitimer(signal.ITIMER_REAL)[0] if hasattr(signal, "getitimer") else 0.0  # 0: no alarm
    return min(allowed, left) if left > 0 else allowed


RERUN = re.compile(r"^(LaTeX|Package \w+) Warning: .*Rerun|^LaTeX Warning: Label\(s\) may have changed", re.MULTILINE)


def build_pdf(tex_source: str, target: Path, *, max_runs: int = 3, timeout: float | None = None) -> list[str]:
    """Compile ``tex_source`` to ``target`` (written whole or not at all); returns pdflatex's warnings.

    Runs ``pdflatex -no-shell-escape`` with the output kept in a temporary folder, again only while its log asks
    for a rerun (references, longtable's column widths), as latexmk does, at most ``max_runs`` times, all runs
    within ``timeout`` seconds (default: :func:`pdflatex_seconds`); a run still going then is stopped, and no PDF
    is written.
    """
    if timeout is None:
        timeout = pdflatex_seconds(tex_source)
    if not latex_available():
        raise PdfError(INSTALL_HINT)
    with tempfile.TemporaryDirectory(prefix="symback-") as folder:
        work = Path(folder)
        (work / "sheet.tex").write_text(tex_source, encoding="utf-8")
        # TeX may not read or write outside its folder; a fixed date makes the same sheet the same PDF
        environment = {**os.environ, "openout_any": "p", "openin_any": "p", "SOURCE_DATE_EPOCH": "0",
                       "FORCE_SOURCE_DATE": "1"}
        command = ["pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", "sheet.tex"]
        stop = time.monotonic() + timeout
        for _ in range(max_runs):
            try:
                done = subprocess.run(
                    command, cwd=work, capture_output=True, text=True, errors="replace",
                    timeout=max(stop - time.monotonic(), 0.001), env=environment, stdin=subprocess.DEVNULL,
                )
            except subprocess.TimeoutExpired:
                raise PdfError(f"pdflatex stopped after {timeout:.3g} s on {target.name}, the time allowed for "
                               f"{_kilobytes(tex_source)} of LaTeX; no PDF written") from None
            if done.returncode != 0:
                raise PdfError(f"pdflatex failed on {target.name}: {_first_error(work / 'sheet.log', done.stdout)}")
            log = (work / "sheet.log").read_text(encoding="utf-8", errors="replace")
            if not RERUN.search(log):
                break
        try:
            write_atomically(target, (work / "sheet.pdf").read_bytes())
        except OSError as error:
            raise PdfError(f"{target}: cannot write the file: {error.strerror or error}") from None
        except SymbackError as error:
            raise PdfError(str(error)) from None
    return re.findall(r"^(Overfull .*|Underfull .*|LaTeX Warning: .*)$", log, flags=re.MULTILINE)


def _kilobytes(text: str) -> str:
    return f"{len(text.encode('utf-8')) / 1024:.0f} KB"


def _first_error(log_path: Path, stdout: str) -> str:
    text = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else stdout
    match = re.search(r"^! (.*)$", text, flags=re.MULTILINE)
    return match.group(1) if match else "see the LaTeX log"
