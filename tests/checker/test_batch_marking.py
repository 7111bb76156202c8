"""Marking a folder (`symback check PROBLEM FOLDER`): the progress bar on a terminal and off it, PDFs compiled by a
pool of pdflatex runs, a PDF that fails, the order of marks.csv, the id column.

Work is counted, never timed: frames of the bar, pdflatex runs, runs under way at once. pdflatex itself is
replaced (by a function or by a script on PATH) so that the tests cost no LaTeX; bench/bench_check.py times the
real one.
"""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import threading
from pathlib import Path

import pytest
from cli_helpers import run

import symback
from symback.checker import folder as folder_module
from symback.checker.answers_file import loads_answers
from symback.checker.checklist import build_checklist
from symback.checker.terminal import ProgressBar
from symback.cli.main import main
from symback.errors import ProblemError
from symback.render import pdf

ROOT = Path(__file__).resolve().parents[2]
PROBLEM = str(ROOT / "problems" / "ws23_backprop.toml")
GUARD = 30  # seconds a test waits for a thread that never comes: a deadlock guard, never a measure of speed


@pytest.fixture(scope="module")
def checklist():
    return build_checklist(symback.load(PROBLEM))


def write_students(folder: Path, names: list[str], ids: dict[str, object] | None = None) -> Path:
    """An answers file per name: ``student = NAME``, one answer (z1_2 = 1.2 at x = (1, 3): wrong, the sheet's own
    slip), and ``id`` where ``ids`` gives one (as TOML: a string or a whole number)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        identity = (ids or {}).get(name)
        line = "" if identity is None else f"id = {json.dumps(identity)}\n"
        (folder / f"{name.lower()}.toml").write_text(f'student = "{name}"\n{line}[exercises.3]\nz1_2 = "1.2"\n',
                                                    encoding="utf-8")
    return folder


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def pty_stream(columns: int | None = None):
    """A text stream on a pseudo-terminal's slave end (sized to ``columns`` if given) and a reader of what reached
    its master end."""
    master, slave = pty.openpty()
    if columns:
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    stream = open(slave, "w", encoding="utf-8", closefd=True)
    os.set_blocking(master, False)

    def received() -> str:
        stream.flush()
        chunks = []
        while True:
            try:
                chunk = os.read(master, 65536)
            except (BlockingIOError, OSError):
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks).decode("utf-8").replace("\r\n", "\n")  # the terminal's own \n -> \r\n

    def close():
        stream.close()
        os.close(master)

    return stream, received, close


def frames(text: str) -> list[str]:
    """The lines a terminal showed one after another: each carriage return starts a new one."""
    return [frame.rstrip() for frame in text.replace("\n", "\r").split("\r") if frame.strip()]


# The progress bar


def test_the_bar_is_drawn_and_redrawn_when_stderr_is_a_terminal(capsys, tmp_path, monkeypatch):
    folder = write_students(tmp_path / "in", ["Ada", "Bo", "Cy"])
    (folder / "dee.toml").write_text("[exercises.3\n", encoding="utf-8")  # unreadable: it still counts as done
    stream, received, close = pty_stream()
    try:
        with monkeypatch.context() as patch:
            patch.setattr(sys, "stderr", stream)  # the command's own stderr, as a user's terminal gives it
            code = main(["check", PROBLEM, str(folder), "-o", str(tmp_path / "out")])
        shown = received()
    finally:
        close()
    assert code == 1  # dee.toml could not be read
    bars = [frame for frame in frames(shown) if frame.startswith("marking [")]
    assert [bar.split("] ")[1].split()[0] for bar in bars] == ["0/4", "1/4", "2/4", "3/4", "4/4"]
    assert [bar.count("#") for bar in bars] == [30 * done // 4 for done in range(5)]
    assert "\r" in shown and shown.count("marking [") == 5  # redrawn in place: one line, five times
    assert "dee.toml" in shown and "(not marked)" in shown  # the reason still reaches the terminal
    assert "marked 3 answers files" in capsys.readouterr().out


def test_no_bar_when_stderr_is_not_a_terminal(capsys, tmp_path):
    folder = write_students(tmp_path / "in", ["Ada", "Bo"])
    code, out, err = run(capsys, "check", PROBLEM, folder, "-o", tmp_path / "out")
    assert code == 0 and "marked 2 answers files" in out  # a folder's exit code is about its files, not marks
    assert err == ""  # a log or a pipe gets the summary line only


def test_the_bar_fits_the_terminal_and_blanks_what_a_longer_name_left():
    stream, received, close = pty_stream(columns=60)
    try:
        bar = ProgressBar(stream)
        assert bar.live
        for done, name in enumerate(["a-very-long-name-" * 4 + ".toml", "bo.toml", "Ada\x1b[2J.toml"]):
            bar(done, 3, name)
        bar(3, 3, "")
        shown = received()
    finally:
        close()
    lines = shown.replace("\n", "").split("\r")[1:]
    assert all(len(line) <= 59 for line in lines)  # never wraps, so a carriage return redraws it
    assert lines[1].rstrip().endswith("1/3 bo.toml") and len(lines[1]) == len(lines[0])  # padded over the long one
    assert "\x1b" not in shown and "Ada?[2J.toml" in shown  # a file name cannot drive the terminal


def test_a_bar_on_a_stream_that_is_no_terminal_writes_nothing():
    stream = io.StringIO()
    bar = ProgressBar(stream)
    for done in range(4):
        bar(done, 3, "ada.toml")
    assert not bar.live and stream.getvalue() == ""


# PDFs in parallel


def fake_build_pdf(calls: list, finished: list | None = None, *, together: int = 0, first_waits: int = 0):
    """A stand-in for pdflatex that records each call (target, thread, runs under way at once, documents in its
    source) and, in ``finished``, the order the calls end in, and writes a small file. With ``together``, every
    group of that many calls waits at a barrier until all are under way (so calls made one after another can
    never pass); with ``first_waits``, the first call ends only after that many others have ended."""
    lock, running = threading.Lock(), [0]
    finished = [] if finished is None else finished
    barrier = threading.Barrier(together, timeout=GUARD) if together else None
    others_done = threading.Semaphore(0)

    def build(tex_source: str, target: Path, **options) -> list[str]:
        with lock:
            running[0] += 1
            calls.append((Path(target).name, threading.get_ident(), running[0], tex_source.count("\\documentclass")))
            first = len(calls) == 1
        try:
            if barrier:
                barrier.wait()
            if first:
                for _ in range(first_waits):
                    assert others_done.acquire(timeout=GUARD), "the first PDF held the others up: one after another"
            Path(target).write_bytes(b"%PDF fake " + Path(target).stem.encode())
        finally:
            with lock:
                running[0] -= 1
                finished.append(Path(target).name)
            if not first:
                others_done.release()
        return []

    return build


def use_fake_pdflatex(monkeypatch, build) -> None:
    monkeypatch.setattr(pdf, "latex_available", lambda: True)
    monkeypatch.setattr(pdf, "build_pdf", build)  # where the folder's pool looks it up
    monkeypatch.setattr("symback.checker.feedback.build_pdf", build)  # where one feedback file looks it up


def test_pdfs_are_compiled_by_one_pdflatex_run_per_core_at_once(capsys, tmp_path, monkeypatch):
    names = [f"S{number}" for number in range(6)]
    folder = write_students(tmp_path / "in", names)
    calls: list = []
    monkeypatch.setattr(os, "cpu_count", lambda: 3)
    use_fake_pdflatex(monkeypatch, fake_build_pdf(calls, together=3))
    code, out, err = run(capsys, "check", PROBLEM, folder, "-o", tmp_path / "out", "--format", "pdf")
    assert code == 0 and "marked 6 answers files" in out and "and 6 feedback files" in out
    assert sorted(call[0] for call in calls) == [f"s{number}.pdf" for number in range(6)]  # one task per student
    assert max(call[2] for call in calls) == 3  # three at once (the barrier lets no fewer pass), never more
    assert len({call[1] for call in calls}) == 3  # by three workers
    assert all(call[3] == 1 for call in calls)  # each a whole LaTeX document
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == sorted(
        [f"s{number}.pdf" for number in range(6)] + ["marks.csv"])


def test_marks_csv_follows_the_file_names_whatever_order_the_pdfs_finish(checklist, tmp_path, monkeypatch):
    folder = write_students(tmp_path / "in", ["Ada", "Bo", "Cy", "Dee"])
    calls, finished, seen = [], [], []
    use_fake_pdflatex(monkeypatch, fake_build_pdf(calls, finished, first_waits=3))
    marking = folder_module.mark_folder(checklist, folder, tmp_path / "out", kind="pdf", workers=2,
                                        progress=lambda done, total, name: seen.append((done, name)))
    assert finished == ["bo.pdf", "cy.pdf", "dee.pdf", "ada.pdf"]  # Ada's PDF ended last ...
    rows = read_csv(tmp_path / "out" / "marks.csv")
    assert [row["file"] for row in rows] == ["ada.toml", "bo.toml", "cy.toml", "dee.toml"]  # ... her row is first
    assert [path.name for path, _ in marking.reports] == [row["file"] for row in rows]
    assert [path.name for path in marking.written] == ["ada.pdf", "bo.pdf", "cy.pdf", "dee.pdf", "marks.csv"]
    assert [done for done, _ in seen] == [0, 1, 2, 3, 4] and {name for _, name in seen[1:]} == {
        "ada.toml", "bo.toml", "cy.toml", "dee.toml"}  # each file reported once, as its PDF was done


FAKE_PDFLATEX = """#!{python}
import os, pathlib, sys
work = pathlib.Path.cwd()
with open(os.environ["FAKE_PDFLATEX_LOG"], "a", encoding="utf-8") as log:
    log.write(sys.argv[-1] + "\\n")
tex = (work / "sheet.tex").read_text(encoding="utf-8")
if "Mallory" in tex:
    (work / "sheet.log").write_text("! Undefined control sequence.\\n", encoding="utf-8")
    (work / "sheet.pdf").write_bytes(b"%PDF half")  # pdflatex may leave half a PDF behind when it fails
    sys.exit(1)
(work / "sheet.log").write_text("This is a fake pdflatex\\n", encoding="utf-8")
(work / "sheet.pdf").write_bytes(b"%PDF whole")
"""


def test_a_pdf_that_fails_leaves_the_others_whole_and_its_row_says_why(capsys, tmp_path, monkeypatch):
    tools = tmp_path / "bin"
    tools.mkdir()
    script = tools / "pdflatex"
    script.write_text(FAKE_PDFLATEX.format(python=sys.executable), encoding="utf-8")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tools}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_PDFLATEX_LOG", str(tmp_path / "runs.log"))
    folder = write_students(tmp_path / "in", ["Ada", "Mallory", "Zed"])
    out = tmp_path / "out"
    code, printed, err = run(capsys, "check", PROBLEM, folder, "-o", out, "--format", "pdf")
    assert code == 1
    assert err == "symback: pdflatex failed on mallory.pdf: Undefined control sequence. (marked; feedback not written)\n"
    assert "marked 3 answers files" in printed and "and 2 feedback files" in printed
    assert sorted(path.name for path in out.iterdir()) == ["ada.pdf", "marks.csv", "zed.pdf"]  # no .partial
    assert {(out / name).read_bytes() for name in ("ada.pdf", "zed.pdf")} == {b"%PDF whole"}
    rows = {row["file"]: row for row in read_csv(out / "marks.csv")}
    assert rows["mallory.toml"]["problem"] == "feedback not written: pdflatex failed on mallory.pdf: Undefined control sequence."
    assert rows["mallory.toml"]["3:z1_2"] == "wrong" and rows["ada.toml"]["problem"] == ""  # marked all the same
    runs = (tmp_path / "runs.log").read_text(encoding="utf-8").split()
    assert len(runs) == 1 + 1 + 1  # Ada and Zed compiled once (their logs ask for no rerun); Mallory failed in it


def test_without_pdflatex_a_pdf_folder_is_refused_before_anything_is_written(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    folder = write_students(tmp_path / "in", ["Ada"])
    code, out, err = run(capsys, "check", PROBLEM, folder, "-o", tmp_path / "out", "--format", "pdf")
    assert code == 2 and err.count("\n") == 1 and "pdflatex" in err and out == ""
    assert not (tmp_path / "out").exists()


def test_two_answers_files_with_one_stem_get_a_feedback_file_each(capsys, tmp_path):
    folder = write_students(tmp_path / "in", ["Ada"])
    (folder / "ADA.json").write_text(json.dumps({"student": "Ada J", "exercises": {"1": {"yhat": "0"}}}),
                                     encoding="utf-8")
    code, out, _ = run(capsys, "check", PROBLEM, folder, "-o", tmp_path / "out")
    assert "marked 2 answers files" in out
    written = {path.name: path.read_text(encoding="utf-8") for path in (tmp_path / "out").glob("*.md")}
    assert sorted(written) == ["ADA.json.md", "ada.toml.md"]
    assert "Ada J" in written["ADA.json.md"] and "Ada J" not in written["ada.toml.md"]


# The id column


def test_marks_csv_has_an_id_column_from_the_answers_files(capsys, tmp_path):
    ids = {"Ada": "ada.lovelace@example.org", "Bo": 1234567, "Cy": 'cy,"the third"@example.org',
           "Dee": "=HYPERLINK(\"http://x\")", "Eve": "  s-77  "}
    folder = write_students(tmp_path / "in", ["Ada", "Bo", "Cy", "Dee", "Eve", "Fay"], ids)
    (folder / "gus.json").write_text(json.dumps({"student": "Gus", "id": "gus@example.org",
                                                 "exercises": {"1": {"yhat": "0"}}}), encoding="utf-8")
    (folder / "hal.toml").write_text('id = true\n[exercises.1]\nyhat = "0"\n', encoding="utf-8")
    code, _, err = run(capsys, "check", PROBLEM, folder, "-o", tmp_path / "out")
    assert code == 1 and "hal.toml: id: expected text" in err  # a file with a bad id is not marked
    text = (tmp_path / "out" / "marks.csv").read_text(encoding="utf-8-sig")
    header = next(csv.reader(io.StringIO(text)))
    assert header[:8] == ["file", "student", "id", "points", "total", "score %", "first wrong step", "problem"]
    rows = {row["file"]: row for row in read_csv(tmp_path / "out" / "marks.csv")}
    assert {name: row["id"] for name, row in rows.items()} == {
        "ada.toml": "ada.lovelace@example.org", "bo.toml": "1234567", "cy.toml": 'cy,"the third"@example.org',
        "dee.toml": "'=HYPERLINK(\"http://x\")", "eve.toml": "s-77", "fay.toml": "", "gus.json": "gus@example.org",
        "hal.toml": ""}
    assert '"cy,""the third""@example.org"' in text  # quoted as CSV quotes: the comma and quotes stay in one cell
    assert rows["hal.toml"]["problem"].endswith("id: expected text (a student id or email), got a boolean")


def test_without_ids_marks_csv_keeps_its_columns(checklist, tmp_path):
    folder = write_students(tmp_path / "in", ["Ada"])
    folder_module.mark_folder(checklist, folder, tmp_path / "out")
    header = next(csv.reader(io.StringIO((tmp_path / "out" / "marks.csv").read_text(encoding="utf-8-sig"))))
    assert header[:7] == ["file", "student", "points", "total", "score %", "first wrong step", "problem"]


@pytest.mark.parametrize("line, reason", [
    ('id = ["a"]', "expected text (a student id or email), got an array"),
    ('id = "' + "x" * 201 + '"', "expected one line of at most 200 characters"),
    ('id = "a\\tb"', "expected one line of at most 200 characters"),
])
def test_a_bad_id_is_one_line_naming_the_key(line, reason):
    with pytest.raises(ProblemError, match="^" + re.escape(f"ada.toml: id: {reason}")):
        loads_answers(line, "ada.toml")


# Marking one file stays light


def test_checking_one_file_loads_no_folder_pool_or_pdf_machinery():
    code = ("import json, sys\nfrom symback.cli.main import main\nmain(sys.argv[1:])\n"
            "print(json.dumps(sorted(name for name, module in sys.modules.items() if module)), file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code, "check", PROBLEM, str(ROOT / "problems" /
                                                                            "ws23_answers_example.toml")],
                          capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    modules = set(json.loads(done.stderr.strip().splitlines()[-1]))
    assert "symback.checker.terminal" in modules  # it did print a report
    assert not modules & {"symback.checker.folder", "symback.checker.feedback", "symback.render.pdf",
                          "concurrent.futures", "jinja2"}


def test_the_skeleton_has_an_id_line_that_reaches_marks_csv(capsys, tmp_path):
    """`symback answers` writes `id = ""`; a student who fills it in is found by it in marks.csv, one who leaves
    it empty has an empty cell."""
    skeleton = tmp_path / "skeleton.toml"
    code, _, err = run(capsys, "answers", PROBLEM, "-o", skeleton)
    assert code == 0, err
    text = skeleton.read_text(encoding="utf-8")
    assert '\nid = ""' in text
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "ada.toml").write_text(text.replace('student = ""', 'student = "Ada"').replace(
        '\nid = ""', '\nid = "ada@example.org"'), encoding="utf-8")
    (folder / "zed.toml").write_text(text.replace('student = ""', 'student = "Zed"'), encoding="utf-8")
    code, _, err = run(capsys, "check", PROBLEM, folder, "-o", tmp_path / "out", "--format", "md")
    assert code == 0, err  # every file marked (its marks are in the CSV)
    rows = {row["student"]: row["id"] for row in read_csv(tmp_path / "out" / "marks.csv")}
    assert rows == {"Ada": "ada@example.org", "Zed": ""}
