"""The whole-command deadline (``--deadline SECONDS``): a command still working past it gives up with one line
and exit code 2, and leaves no file half-written; a command stuck in one call into C is stopped by the watchdog.

Slowness is made on purpose (a function replaced by a loop of short sleeps) and every wait is a hang guard, never
a measure of speed: the tests count lines, files and exit codes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_helpers import run
from deadline import no_hang

from symback.checker import mark
from symback.cli import deadline
from symback.errors import DeadlineExceeded
from symback.problem.load import load
from symback.render import atomic, write

ROOT = Path(__file__).resolve().parents[2]
WS23 = ROOT / "problems" / "ws23_backprop.toml"
SMALL = 'title = "small"\n[expression]\nf = "x * y"\nat = { x = 2, y = 3 }\n[[exercises]]\nid = "1"\ntask = "gradient"\n'


@pytest.fixture
def small(tmp_path) -> Path:
    """A problem whose sheet is quick to make (everything a command imports is imported by now: an import
    interrupted by a deadline would leave this test process with a module half made)."""
    path = tmp_path / "small.toml"
    path.write_text(SMALL, encoding="utf-8")
    load(path)
    return path


def forever(*args, **kwargs):
    """A command that would never end: short sleeps, between which Python runs the alarm's handler."""
    while True:
        time.sleep(0.01)


def files_in(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def test_a_command_past_its_deadline_gives_up_in_one_line_with_exit_code_2(capsys, monkeypatch, tmp_path, small):
    monkeypatch.setattr(write, "build_sheet", forever)
    output = tmp_path / "out"
    with no_hang():
        code, out, err = run(capsys, "solve", small, "-o", output, "--format", "md", "--deadline", "0.2")
    assert code == 2 and out == ""
    assert err.splitlines() == [f"symback: {DeadlineExceeded(0.2, str(small))}"]
    assert str(small) in err and "--deadline" in err and "Traceback" not in err
    assert not output.exists()
    assert signal.getitimer(signal.ITIMER_REAL)[0] == 0  # the alarm is gone with the command


class ReplacingForever:
    """``os`` for :mod:`symback.render.atomic` whose ``replace`` never ends: the deadline strikes after the
    temporary file is written, before it takes the target's place."""

    def __init__(self):
        self.partial_files = []

    def __getattr__(self, name):
        return getattr(os, name)

    def replace(self, partial, target):
        self.partial_files.append(Path(partial).name)
        forever()


def test_a_file_being_written_at_the_deadline_is_left_as_it_was_with_no_partial_file(capsys, monkeypatch, tmp_path,
                                                                                     small):
    output = tmp_path / "out"
    output.mkdir()
    target = output / "small.md"
    target.write_text("the sheet of yesterday\n", encoding="utf-8")
    stuck = ReplacingForever()
    monkeypatch.setattr(atomic, "os", stuck)
    with no_hang():
        code, _, err = run(capsys, "solve", small, "-o", output, "--format", "md", "--deadline", "3")
    assert code == 2 and len(err.splitlines()) == 1 and "gave up after 3 s" in err
    assert len(stuck.partial_files) == 1 and stuck.partial_files[0].startswith(".small.md.")  # it was written...
    assert files_in(output) == ["small.md"]  # ...and removed
    assert target.read_text(encoding="utf-8") == "the sheet of yesterday\n"


def test_check_past_its_deadline_writes_no_feedback(capsys, monkeypatch, tmp_path):
    answers = tmp_path / "answers.toml"
    answers.write_text('[exercises.1]\nyhat = "0"\n', encoding="utf-8")
    monkeypatch.setattr(mark, "check", forever)
    with no_hang():
        code, out, err = run(capsys, "check", WS23, answers, "-o", tmp_path / "feedback.md", "--deadline", "1")
    assert code == 2 and out == "" and len(err.splitlines()) == 1 and "gave up" in err
    assert files_in(tmp_path) == ["answers.toml"]


def test_deadline_zero_arms_no_alarm_and_a_bad_one_is_one_line(capsys, monkeypatch, tmp_path, small):
    seen = []
    real = write.write_sheets

    def looking(*args, **kwargs):
        seen.append(signal.getitimer(signal.ITIMER_REAL)[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(write, "write_sheets", looking)
    assert run(capsys, "solve", small, "-o", tmp_path, "--format", "md", "--deadline", "0")[0] == 0
    assert run(capsys, "solve", small, "-o", tmp_path, "--format", "md")[0] == 0
    assert seen[0] == 0 and 0 < seen[1] <= deadline.DEFAULT_SECONDS
    for bad in ("-1", "nan"):
        code, _, err = run(capsys, "solve", small, "-o", tmp_path, "--deadline", bad)
        assert code == 2 and err.count("\n") == 1 and "--deadline must be" in err


def test_an_alarm_set_before_the_command_comes_back_after_it(capsys, tmp_path, small):
    """A caller's own alarm (a test's hang guard) is not lost: the command's deadline runs under it and the
    caller's alarm is set again after, for the time it had left."""
    with no_hang(100):
        run(capsys, "solve", small, "-o", tmp_path, "--format", "md", "--deadline", "50")
        left = signal.getitimer(signal.ITIMER_REAL)[0]
    assert 50 < left <= 100


def test_a_folder_of_answers_files_gets_more_time_per_file(tmp_path):
    import argparse

    for name in ("a.toml", "b.json", "notes.txt"):
        (tmp_path / name).write_text("", encoding="utf-8")
    folder = argparse.Namespace(deadline=None, problem="p.toml", answers=str(tmp_path))
    one = argparse.Namespace(deadline=None, problem="p.toml", answers=str(tmp_path / "a.toml"))
    assert deadline.deadline_seconds(folder) == deadline.DEFAULT_SECONDS + 2 * deadline.SECONDS_PER_ANSWERS_FILE
    assert deadline.deadline_seconds(one) == deadline.DEFAULT_SECONDS


# The command's own process (main_exit), stuck in one long SymEngine call: no Python signal handler can run in it,
# so the watchdog process writes the line and stops the command.
STUCK = """
import sys
import symengine
import symback.cli.deadline as deadline
import symback.cli.main as main
deadline.HARD_GRACE_SECONDS = 0.2
def stuck(args):
    print("stuck", file=sys.stderr, flush=True)
    x, y, z, w = symengine.symbols("x y z w")
    symengine.expand((x + y + z + w + 1) ** 90)  # some 20 s of C++ holding the GIL
main._grad = stuck
main.main_exit(["grad", "p.toml", "--x", "1", "--y", "1", "--deadline", "0.3"])
"""


def test_a_command_stuck_in_one_call_into_c_is_stopped_by_the_watchdog_with_the_same_line():
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", STUCK], capture_output=True, text=True, env=environment,
                          timeout=120, check=False)
    assert done.returncode == -signal.SIGKILL  # not the soft path: its handler could not run
    assert done.stderr.splitlines() == ["stuck", f"symback: {DeadlineExceeded(0.3, 'p.toml')}"]
    assert done.stdout == ""


def test_a_command_ending_in_time_leaves_no_watchdog_behind():
    """The watchdog goes when the command ends: the command's pipes close at once (a watchdog left behind would
    hold them open until it noticed), so reading them to the end finishes."""
    code = ("import symback.cli.main as main, sys\nmain._grad = lambda args: print('done') or 0\n"
            "main.main_exit(['grad', 'p.toml', '--x', '1', '--y', '1', '--deadline', '100'])")
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    with no_hang(30), subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, env=environment) as process:
        out = process.stdout.read()  # EOF only once every holder of the pipe, a watchdog too, is gone
        process.wait()
    assert out == b"done\n" and process.returncode == 0


def test_an_exercise_past_its_section_time_is_left_out_and_the_sheet_is_written(capsys, monkeypatch, tmp_path, small):
    """A fifth of the deadline per section: exercise 2 never ends, so it is one sentence on the sheet and a remark,
    and exercise 1 and the files are whole (exit code 0: the sheet says what it left out)."""
    from symback.render import sheet

    small.write_text(SMALL + '[[exercises]]\nid = "2"\ntask = "forward"\n', encoding="utf-8")
    real = sheet.run_exercise
    monkeypatch.setattr(sheet, "run_exercise", lambda problem, exercise_id, *args: forever() if exercise_id == "2"
                        else real(problem, exercise_id, *args))
    output = tmp_path / "out"
    with no_hang():
        code, out, err = run(capsys, "solve", small, "-o", output, "--format", "md,tex", "--deadline", "5")
    assert code == 0 and out.splitlines() == [f"wrote {output / 'small.md'}", f"wrote {output / 'small.tex'}"]
    assert err.splitlines() == [("symback: Exercise 2 was left out: its work took longer than the 1 s a section "
                                 "may take (--deadline SECONDS sets it: a fifth of the deadline)")]
    markdown = (output / "small.md").read_text(encoding="utf-8")
    assert "## Exercise 1" in markdown and markdown.split("## Exercise 2")[1].count("was left out") == 1
    assert signal.getitimer(signal.ITIMER_REAL)[0] == 0
