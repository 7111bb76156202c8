"""The command line of the checker: `symback answers` and `symback check`, one file and a folder.

Values are not judged here (tests/test_checker.py does that against an independent implementation); these tests
hold the commands to their contract: exit codes, files written whole, one line for bad input, CSV shape.
"""

from __future__ import annotations

import csv
import io
import json
import tomllib
from pathlib import Path

import pytest
from cli_helpers import run

import symback
from symback.checker.checklist import build_checklist

ROOT = Path(__file__).resolve().parents[2]
PROBLEM = str(ROOT / "problems" / "ws23_backprop.toml")


@pytest.fixture(scope="module")
def checklist():
    return build_checklist(symback.load(PROBLEM))



def test_answers_prints_a_skeleton_with_every_quantity(capsys, checklist):
    code, out, err = run(capsys, "answers", PROBLEM)
    assert code == 0 and err == ""
    data = tomllib.loads(out)
    assert data["student"] == ""
    for entry in checklist.exercises:
        if entry.items:
            assert list(data["exercises"][entry.exercise.id]) == [item.key for item in entry.items]
            assert set(data["exercises"][entry.exercise.id].values()) == {""}
    assert "7" not in data["exercises"]  # the discussion has nothing to check


def test_answers_file_is_kept_unless_forced(capsys, tmp_path):
    target = tmp_path / "mine.toml"
    target.write_text('student = "Ada"\n', encoding="utf-8")
    code, _, err = run(capsys, "answers", PROBLEM, "-o", target)
    assert code == 2 and "--force" in err and err.count("\n") == 1
    assert target.read_text(encoding="utf-8") == 'student = "Ada"\n'
    code, out, _ = run(capsys, "answers", PROBLEM, "-o", target, "--force")
    assert code == 0 and "[exercises.4]" in target.read_text(encoding="utf-8")


def test_an_empty_skeleton_checks_as_missing_with_exit_1(capsys, tmp_path):
    target = tmp_path / "empty.toml"
    run(capsys, "answers", PROBLEM, "-o", target)
    code, out, err = run(capsys, "check", PROBLEM, target)
    assert code == 1 and err == ""
    assert out.splitlines()[0].startswith("Nothing wrong so far;")


def test_check_reports_first_wrong_step_first(capsys, tmp_path):
    answers = tmp_path / "a.toml"
    answers.write_text('[exercises.3]\nz1_1 = 1\nz1_2 = "1.2"\n', encoding="utf-8")
    code, out, _ = run(capsys, "check", PROBLEM, answers)
    assert code == 1
    assert out.splitlines()[0].startswith("First wrong step: exercise 3, z1_2: you wrote 1.2")


def test_check_json_is_the_report(capsys, tmp_path):
    answers = tmp_path / "a.json"
    answers.write_text(json.dumps({"student": "Bo", "exercises": {"3": {"z1_2": "1.2"}}}), encoding="utf-8")
    code, out, _ = run(capsys, "check", PROBLEM, answers, "--json")
    report = json.loads(out)
    assert code == 1
    assert report["student"] == "Bo" and report["first_wrong"] == {"exercise": "3", "key": "z1_2"}
    assert report["tolerance"]["kind"] == "relative" and report["tolerance"]["source"] == "default"
    statuses = {(v["exercise"], v["key"]): v["status"] for v in report["verdicts"]}
    assert statuses[("3", "z1_2")] == "wrong"


def test_tolerance_from_the_command_line_wins(capsys, tmp_path):
    answers = tmp_path / "a.toml"
    answers.write_text('[tolerance]\nrelative = 0.5\n[exercises.3]\nz1_2 = "1.2"\n', encoding="utf-8")
    _, out, _ = run(capsys, "check", PROBLEM, answers, "--json")
    assert json.loads(out)["tolerance"]["source"] == "answers file"
    _, out, _ = run(capsys, "check", PROBLEM, answers, "--json", "--tolerance", "decimal_places=2")
    assert json.loads(out)["tolerance"] == {"kind": "decimal_places", "amount": "2", "source": "command line",
                                            "text": symback.Tolerance("decimal_places", 2).describe()}


@pytest.mark.parametrize("content, key", [
    ("[exercises.3\n", "toml"),
    ('[tolerance]\nrelative = 2\n', "tolerance.relative"),
    ('[tolerance]\nrelative = 0.1\ndecimal_places = 2\n', "tolerance"),
    ('grade = "A"\n', "grade"),
    ('[exercises]\n3 = "1"\n', "exercises.3"),
    ('student = 3\n', "student"),
])
def test_bad_answers_file_is_one_line_and_exit_2(capsys, tmp_path, content, key):
    answers = tmp_path / "bad.toml"
    answers.write_text(content, encoding="utf-8")
    code, out, err = run(capsys, "check", PROBLEM, answers)
    assert code == 2 and out == ""
    assert err.startswith(f"symback: {answers}: {key}") and err.count("\n") == 1


@pytest.mark.parametrize("args", [["--tolerance", "relative=abc"], ["--tolerance", "decimal_places=0"],
                                  ["--tolerance", "loose=1"]])
def test_bad_tolerance_argument_is_exit_2(capsys, tmp_path, args):
    answers = tmp_path / "a.toml"
    answers.write_text("", encoding="utf-8")
    code, _, err = run(capsys, "check", PROBLEM, answers, *args)
    assert code == 2 and err.startswith("symback: ") and err.count("\n") == 1


def test_missing_and_binary_files_are_exit_2(capsys, tmp_path):
    code, _, err = run(capsys, "check", PROBLEM, tmp_path / "nope.toml")
    assert code == 2 and "cannot read the file" in err
    binary = tmp_path / "b.toml"
    binary.write_bytes(b"\xff\xfe\x00junk")
    code, _, err = run(capsys, "check", PROBLEM, binary)
    assert code == 2 and "not UTF-8" in err


def test_feedback_file_by_suffix_and_unknown_suffix(capsys, tmp_path):
    answers = tmp_path / "a.toml"
    answers.write_text('[exercises.3]\nz1_2 = "1.2"\n', encoding="utf-8")
    code, out, _ = run(capsys, "check", PROBLEM, answers, "-o", tmp_path / "fb.md")
    assert code == 1 and "First wrong step" in (tmp_path / "fb.md").read_text(encoding="utf-8")
    code, _, _ = run(capsys, "check", PROBLEM, answers, "-o", tmp_path / "fb.json")
    assert json.loads((tmp_path / "fb.json").read_text(encoding="utf-8"))["first_wrong"]["key"] == "z1_2"
    code, _, err = run(capsys, "check", PROBLEM, answers, "-o", tmp_path / "fb.docx")
    assert code == 2 and not (tmp_path / "fb.docx").exists()


def make_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "submissions"
    folder.mkdir()
    (folder / "ada.toml").write_text('student = "Ada"\n[exercises.3]\nz1_2 = "1.2"\n', encoding="utf-8")
    (folder / "bo.json").write_text(json.dumps({"student": "=HYPERLINK(1)", "exercises": {"1": {"yhat": "0"}}}),
                                    encoding="utf-8")
    (folder / "broken.toml").write_text("[exercises.3\n", encoding="utf-8")
    (folder / ".hidden.toml").write_text("junk", encoding="utf-8")
    (folder / "notes.txt").write_text("not an answers file", encoding="utf-8")
    return folder


def test_folder_writes_csv_and_feedback_per_student(capsys, tmp_path, checklist):
    folder = make_folder(tmp_path)
    code, out, err = run(capsys, "check", PROBLEM, folder)
    assert code == 1  # one file could not be read
    assert "broken.toml" in err and "(not marked)" in err and "marking [" not in err  # no bar off a terminal
    output = folder / "feedback"
    assert sorted(p.name for p in output.iterdir()) == ["ada.md", "bo.md", "marks.csv"]
    rows = list(csv.reader(io.StringIO((output / "marks.csv").read_text(encoding="utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header[:7] == ["file", "student", "points", "total", "score %", "first wrong step", "problem"]
    assert header[7:] == [f"{item.exercise}:{item.key}" for item in checklist.items]
    by_file = {row[0]: dict(zip(header, row)) for row in body}
    assert set(by_file) == {"ada.toml", "bo.json", "broken.toml"}
    assert by_file["ada.toml"]["3:z1_2"] == "wrong" and by_file["ada.toml"]["first wrong step"] == "3:z1_2"
    ada = by_file["ada.toml"]
    assert float(ada["score %"]) == pytest.approx(100 * int(ada["points"]) / int(ada["total"]), abs=0.05)
    assert by_file["bo.json"]["student"] == "'=HYPERLINK(1)"  # never a spreadsheet formula
    assert by_file["broken.toml"]["problem"].startswith(str(folder / "broken.toml"))
    assert "marked 2 answers files" in out


def test_folder_output_json_and_empty_folder(capsys, tmp_path):
    folder = make_folder(tmp_path)
    (folder / "broken.toml").unlink()
    code, _, _ = run(capsys, "check", PROBLEM, folder, "-o", tmp_path / "out", "--json")
    assert code == 0  # every file was marked
    assert json.loads((tmp_path / "out" / "ada.json").read_text(encoding="utf-8"))["student"] == "Ada"
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run(capsys, "check", PROBLEM, empty)
    assert code == 2 and "no answers files" in err


def test_student_tolerance_is_ignored_when_marking_a_folder(capsys, tmp_path):
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "a.toml").write_text('[tolerance]\nrelative = 0.5\n[exercises.3]\nz1_2 = "1.2"\n', encoding="utf-8")
    run(capsys, "check", PROBLEM, folder, "--format", "json")
    report = json.loads((folder / "feedback" / "a.json").read_text(encoding="utf-8"))
    assert report["tolerance"]["source"] == "default"
    assert any("ignored" in note for note in report["notes"])
    assert report["first_wrong"] == {"exercise": "3", "key": "z1_2"}


EXAMPLE = ROOT / "problems" / "ws23_answers_example.toml"


def test_shipped_example_finds_the_slip_and_what_follows(capsys):
    code, out, _ = run(capsys, "check", PROBLEM, EXAMPLE, "--json")
    report = json.loads(out)
    assert code == 1 and report["first_wrong"] == {"exercise": "4", "key": "dh1_2/dz1_2"}
    wrong = next(v for v in report["verdicts"] if v["key"] == "dh1_2/dz1_2" and v["exercise"] == "4")
    assert "itself, not its derivative" in wrong["reason"]  # σ(z) was written for σ'(z)
    followed = {(v["exercise"], v["key"]) for v in report["verdicts"] if v["status"] == "carried forward"}
    assert followed == {("4", "dL/da22"), ("5", "a22'")}
    assert {v["status"] for v in report["verdicts"] if v["answer"] is not None} <= {"correct", "wrong",
                                                                                    "carried forward"}


def test_output_feedback_example_is_current(tmp_path):
    """output/ holds the example's feedback as the code renders it now."""
    from symback.checker.feedback import render_feedback

    fresh = render_feedback(symback.check(symback.load(PROBLEM), symback.load_answers(EXAMPLE)), "md")
    shipped = (ROOT / "output" / "ws23_answers_example_feedback.md").read_text(encoding="utf-8")
    assert fresh == shipped, ("output/ws23_answers_example_feedback.md is stale: run 'symback check "
                              "problems/ws23_backprop.toml problems/ws23_answers_example.toml "
                              "-o output/ws23_answers_example_feedback.md'")


def test_feedback_into_a_folder_not_made_yet_makes_it(capsys, tmp_path):
    target = tmp_path / "new" / "folder" / "feedback.md"
    code, _, err = run(capsys, "check", ROOT / "problems" / "ws23_backprop.toml",
                            ROOT / "problems" / "ws23_answers_example.toml", "-o", target)
    assert code == 1 and "cannot" not in err  # the example holds a slip on purpose
    assert target.read_text(encoding="utf-8").startswith("# Feedback")
