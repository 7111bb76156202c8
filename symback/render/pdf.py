"""Build a PDF from LaTeX source with pdflatex, shell escape off, in a private temporary folder."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import SymbackError

INSTALL_HINT = (
    "no LaTeX found (pdflatex): install it to get the PDF, e.g. "
    "'apt-get install texlive-latex-base texlive-latex-recommended texlive-fonts-recommended texlive-pictures lmodern'"
)


class PdfError(SymbackError):
    """pdflatex is missing or failed; the message says which and where to look."""


def latex_available() -> bool:
    """Whether pdflatex is on the PATH."""
    return shutil.which("pdflatex") is not None


RERUN = re.compile(r"^(LaTeX|Package \w+) Warning: .*Rerun|^LaTeX Warning: Label\(s\) may have changed", re.MULTILINE)


def build_pdf(tex_source: str, target: Path, *, max_runs: int = 3, timeout: float = 120) -> list[str]:
    """Compile ``tex_source`` to ``target`` (written whole or not at all); returns pdflatex's warnings.

    Runs ``pdflatex -no-shell-escape`` with the output kept in a temporary folder, again only while its log asks
    for a rerun (references, longtable's column widths), as latexmk does, at most ``max_runs`` times.
    """
    if not latex_available():
        raise PdfError(INSTALL_HINT)
    with tempfile.TemporaryDirectory(prefix="symback-") as folder:
        work = Path(folder)
        (work / "sheet.tex").write_text(tex_source, encoding="utf-8")
        # TeX may not read or write outside its folder; a fixed date makes the same sheet the same PDF
        environment = {**os.environ, "openout_any": "p", "openin_any": "p", "SOURCE_DATE_EPOCH": "0",
                       "FORCE_SOURCE_DATE": "1"}
        command = ["pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", "sheet.tex"]
        for _ in range(max_runs):
            try:
                done = subprocess.run(
                    command, cwd=work, capture_output=True, text=True, errors="replace", timeout=timeout,
                    env=environment, stdin=subprocess.DEVNULL,
                )
            except subprocess.TimeoutExpired as err:
                raise PdfError(f"pdflatex took longer than {timeout:.0f} s on {target.name}") from err
            if done.returncode != 0:
                raise PdfError(f"pdflatex failed on {target.name}: {_first_error(work / 'sheet.log', done.stdout)}")
            log = (work / "sheet.log").read_text(encoding="utf-8", errors="replace")
            if not RERUN.search(log):
                break
        partial = target.with_name(f".{target.name}.partial")
        try:
            shutil.copyfile(work / "sheet.pdf", partial)
            os.replace(partial, target)
        except OSError as error:
            raise PdfError(f"{target}: cannot write the file: {error.strerror or error}") from None
    return re.findall(r"^(Overfull .*|Underfull .*|LaTeX Warning: .*)$", log, flags=re.MULTILINE)


def _first_error(log_path: Path, stdout: str) -> str:
    text = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else stdout
    match = re.search(r"^! (.*)$", text, flags=re.MULTILINE)
    return match.group(1) if match else "see the LaTeX log"
