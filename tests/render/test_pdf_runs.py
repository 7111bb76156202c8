"""pdflatex runs again only while its log asks for it (as latexmk does): counted, not timed."""

from __future__ import annotations

import shutil

import pytest

from symback.render import pdf

pytestmark = pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")

PLAIN = r"""\documentclass{article}
\begin{document}
Nothing here refers to anything.
\end{document}
"""

REFERENCES = r"""\documentclass{article}
\begin{document}
See page \pageref{end}.
\newpage
Here.\label{end}
\end{document}
"""


@pytest.fixture
def runs(monkeypatch):
    """The pdflatex processes started, counted."""
    started = []
    real = pdf.subprocess.run

    def counted(*args, **kwargs):
        started.append(args[0][0])
        return real(*args, **kwargs)

    monkeypatch.setattr(pdf.subprocess, "run", counted)
    return started


def test_a_document_without_references_takes_one_run(runs, tmp_path):
    pdf.build_pdf(PLAIN, tmp_path / "plain.pdf")
    assert runs == ["pdflatex"]


def test_a_reference_takes_the_run_its_log_asks_for(runs, tmp_path):
    warnings = pdf.build_pdf(REFERENCES, tmp_path / "ref.pdf")
    assert runs == ["pdflatex", "pdflatex"]
    assert not any("Rerun" in warning or "undefined" in warning for warning in warnings)  # the reference resolved


def test_runs_stop_at_the_limit(runs, tmp_path):
    pdf.build_pdf(REFERENCES, tmp_path / "ref.pdf", max_runs=1)
    assert runs == ["pdflatex"]


def test_the_rerun_pattern_reads_latex_and_package_requests():
    assert pdf.RERUN.search("LaTeX Warning: Label(s) may have changed. Rerun to get cross-references right.")
    assert pdf.RERUN.search("Package longtable Warning: Table widths have changed. Rerun LaTeX.")
    assert not pdf.RERUN.search("LaTeX Warning: Reference `x' on page 1 undefined on input line 3.")
