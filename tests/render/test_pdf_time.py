"""pdflatex is given a time proportionate to the sheet, and stopped past it: one line, no PDF, the Markdown and
LaTeX written stay whole. A fake pdflatex on the PATH (a shell script) stands for a real one that works or hangs;
the times given to it are counted from what reaches ``subprocess.run``, never measured."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
from pathlib import Path

import pytest
from cli_helpers import run
from deadline import no_hang

from symback.problem.load import load
from symback.render import pdf

WORKING = """#!/bin/sh
# a pdflatex that writes a one-page "PDF" and a log that asks for no rerun
printf '%%PDF-1.4 fake\\n' > sheet.pdf
printf 'This is a fake pdfTeX\\n' > sheet.log
"""
HANGING = """#!/bin/sh
echo $$ > "{pid_file}"
exec sleep 300
"""
SMALL = 'title = "small"\n[expression]\nf = "x * y"\nat = { x = 2, y = 3 }\n[[exercises]]\nid = "1"\ntask = "gradient"\n'


def fake_pdflatex(folder: Path, script: str, monkeypatch) -> None:
    folder.mkdir()
    path = folder / "pdflatex"
    path.write_text(script, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ.get('PATH', '')}")


@pytest.fixture
def timeouts(monkeypatch):
    """The ``timeout`` of every subprocess.run the PDF build makes."""
    seen, real = [], subprocess.run

    def recording(*args, **kwargs):
        seen.append(kwargs["timeout"])
        return real(*args, **kwargs)

    monkeypatch.setattr(pdf.subprocess, "run", recording)
    return seen


def allowance(kilobytes: float) -> float:
    """The time the documentation promises pdflatex: a base, so much per KB of LaTeX, at most a cap."""
    return min(pdf.MAX_SECONDS, pdf.BASE_SECONDS + pdf.SECONDS_PER_KB * kilobytes)


@pytest.mark.parametrize("kilobytes", [1, 250, 100_000])
def test_pdflatex_is_given_a_time_proportionate_to_the_sheet(tmp_path, monkeypatch, timeouts, kilobytes):
    fake_pdflatex(tmp_path / "bin", WORKING, monkeypatch)
    source = "%" * (kilobytes * 1024)
    pdf.build_pdf(source, tmp_path / "sheet.pdf")
    assert len(timeouts) == 1  # the log asked for no rerun
    assert pdf.pdflatex_seconds(source) == pytest.approx(allowance(kilobytes))  # the time given, counted not timed
    assert 0 < timeouts[0] <= allowance(kilobytes)  # the one run gets what is left of it
    assert (tmp_path / "sheet.pdf").read_bytes() == b"%PDF-1.4 fake\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["bin", "sheet.pdf"]


def test_pdflatex_gets_no_more_than_the_time_left_before_the_command_deadline(tmp_path, monkeypatch, timeouts):
    fake_pdflatex(tmp_path / "bin", WORKING, monkeypatch)
    with no_hang(7):  # an alarm set by the command line's deadline looks the same
        pdf.build_pdf("%" * 10 * 1024, tmp_path / "sheet.pdf")
    assert 0 < timeouts[0] <= 7 < allowance(10)


def test_a_hanging_pdflatex_is_stopped_and_leaves_no_pdf(tmp_path, monkeypatch):
    pid_file = tmp_path / "pid"
    fake_pdflatex(tmp_path / "bin", HANGING.format(pid_file=pid_file), monkeypatch)
    target = tmp_path / "out" / "sheet.pdf"
    target.parent.mkdir()
    with no_hang(), pytest.raises(pdf.PdfError) as stopped:
        pdf.build_pdf("\\relax", target, timeout=0.3)
    message = str(stopped.value)
    assert "\n" not in message and "pdflatex stopped after 0.3 s on sheet.pdf" in message and "no PDF" in message
    assert list(target.parent.iterdir()) == []
    with pytest.raises(ProcessLookupError):  # killed, and reaped
        os.kill(int(pid_file.read_text()), 0)


def test_solve_with_a_hanging_pdflatex_gives_up_at_the_deadline_with_the_md_and_tex_whole(capsys, tmp_path,
                                                                                         monkeypatch):
    pid_file = tmp_path / "pid"
    fake_pdflatex(tmp_path / "bin", HANGING.format(pid_file=pid_file), monkeypatch)
    problem = tmp_path / "small.toml"
    problem.write_text(SMALL, encoding="utf-8")
    load(problem)  # everything the command imports is imported before its deadline is set
    output = tmp_path / "out"
    with no_hang():
        code, out, err = run(capsys, "solve", problem, "-o", output, "--deadline", "2")
    assert code == 2 and len(err.splitlines()) == 1
    assert "gave up after 2 s" in err or "pdflatex stopped after" in err  # whichever of the two is first
    assert sorted(path.name for path in output.iterdir()) == ["small.md", "small.tex"]
    assert out.splitlines() == []  # the command reports what it wrote only once it is done
    assert (output / "small.tex").read_text(encoding="utf-8").rstrip().endswith("\\end{document}")
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid_file.read_text()), 0)
    assert signal.getitimer(signal.ITIMER_REAL)[0] == 0
