"""A text from a file with a very long word (a title, an exercise's text or id, a student's name) wraps or is cut:
no line runs off the page and no box is too high (issue 14). pdflatex's own log is the judge: its Overfull boxes,
read from the PDF build; pdftotext shows the words are still printed."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from cli_helpers import run

import symback
from symback.render import pdf
from symback.render.tex_text import LONG_WORD, breakable_tex, escape_tex
from symback.render.write import write_sheets

ROOT = Path(__file__).resolve().parents[2]
needs_latex = pytest.mark.skipif(not (pdf.latex_available() and shutil.which("pdftotext")),
                                 reason="pdflatex and pdftotext are not installed")
WS23 = (ROOT / "problems" / "ws23_backprop.toml").read_text(encoding="utf-8")
ANSWERS = (ROOT / "problems" / "ws23_answers_example.toml").read_text(encoding="utf-8")


def hostile_problem(tmp_path: Path, title: str, text: str, exercise_id: str, stem: str = "hostile") -> Path:
    """The WS23 problem with ``title``, exercise 2's text and exercise 7's id replaced, as ``<stem>.toml``."""
    source = re.sub(r'(?m)^title = ".*"$', f'title = "{title}"', WS23, count=1)
    source = source.replace('text = "Compute ŷ and L for x = (1, 1)ᵀ and y = 2.12."', f'text = "{text}"')
    source = source.replace('id = "7"', f'id = "{exercise_id}"')
    assert source.count(title) == 1 and source.count(text) == 1 and source.count(exercise_id) == 1
    path = tmp_path / f"{stem}.toml"
    path.write_text(source, encoding="utf-8")
    return path


@pytest.fixture
def warnings(monkeypatch):
    """The warnings of each PDF built, one list per PDF (the log of pdflatex's last run, which holds them all)."""
    seen: list[list[str]] = []
    build = pdf.build_pdf

    def recorded(*args, **kwargs):
        found = build(*args, **kwargs)
        seen.append(found)
        return found

    monkeypatch.setattr("symback.render.write.build_pdf", recorded)
    monkeypatch.setattr("symback.checker.feedback.build_pdf", recorded)
    return seen


def overfull(built: list[list[str]]) -> list[str]:
    """Lines more than 5pt too wide, and any box too high, in the one PDF built."""
    assert len(built) == 1
    warnings = built[0]
    wide = [w for w in warnings if (m := re.match(r"Overfull \\hbox \(([\d.]+)pt", w)) and float(m.group(1)) > 5]
    return wide + [w for w in warnings if w.startswith("Overfull \\vbox")]


def printed(path: Path) -> str:
    """The PDF's text without page numbers and with every space and line break taken out (a long word is printed
    over many lines, and pages)."""
    done = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)
    pages = [page.split() for page in done.stdout.decode("utf-8").split("\f")]
    return "".join("".join(words[:-1] if words and words[-1].isdigit() else words) for words in pages)


def test_short_words_are_written_as_before_and_long_ones_may_break_after_every_character():
    """Up to LONG_WORD characters a word is escaped character by character, as it always was; beyond, there is a
    break after every character, and nowhere else."""
    word = "Dvořák_" * 5
    assert escape_tex(word[:LONG_WORD]) == "".join(escape_tex(c) for c in word[:LONG_WORD])
    assert breakable_tex("ab cd") == r"\discretionary{}{}{}".join("ab cd")
    long = escape_tex(word[:LONG_WORD + 1])
    assert long.count(r"\penalty") == LONG_WORD
    assert long.replace(r"\nobreak\hskip0pt plus3em\penalty50\hskip0pt plus-3em\relax{}", "") == escape_tex(
        word[:LONG_WORD]) + escape_tex(word[LONG_WORD])
    assert escape_tex(f"a {'x' * 40} b").startswith("a x\\nobreak") and escape_tex(" " * 40) == " " * 40


@needs_latex
def test_long_words_in_a_sheet_wrap_and_a_long_id_in_a_heading_is_cut(tmp_path, warnings):
    """The issue's reproducer scaled down: a title of one 300-letter word, an exercise's text with one and an
    exercise id of 3,000 letters (in its heading, which TeX keeps on one page)."""
    problem = symback.load(hostile_problem(tmp_path, "Q" * 300, "Compute " + "R" * 300 + " now.", "S" * 3000))
    write_sheets(problem, tmp_path, formats=("pdf",))
    assert not overfull(warnings)
    text = printed(tmp_path / "hostile.pdf")
    assert "Q" * 300 in text and "Compute" + "R" * 300 + "now." in text
    assert re.search("ExerciseS{99}(…|...)", text) and "S" * 100 not in text.replace("S" * 99 + "…", "")


@needs_latex
def test_a_students_long_name_and_a_long_title_wrap_in_the_feedback(tmp_path, capsys, warnings):
    """`symback check … -o x.pdf` with a student named by one long word and the problem's long words."""
    problem = hostile_problem(tmp_path, "Q" * 300, "Compute " + "R" * 300 + " now.", "7")
    answers = tmp_path / "answers.toml"
    answers.write_text(ANSWERS.replace('student = "Example Student"', f'student = "{"N" * 300}"'), encoding="utf-8")
    code, _, err = run(capsys, "check", problem, answers, "-o", tmp_path / "feedback.pdf")
    assert code in (0, 1), err
    assert not overfull(warnings)
    text = printed(tmp_path / "feedback.pdf")
    assert "Feedback:" + "Q" * 300 in text and "R" * 300 in text
    assert "Student:" + "N" * 79 in text  # the feedback clips a name at 80 characters, "…" the last


@needs_latex
@pytest.mark.slow
@pytest.mark.parametrize("questions", [False, True], ids=["solution", "questions"])
def test_the_issues_reproducer_a_title_of_3000_letters(tmp_path, warnings, questions):
    """A title of 3,000 letters: once a vanished title (past TeX's largest dimension), now pages of letters."""
    problem = symback.load(hostile_problem(tmp_path, "Q" * 3000, "Compute " + "R" * 3000 + " now.", "S" * 300))
    write_sheets(problem, tmp_path, formats=("pdf",), questions=questions)
    assert not overfull(warnings)
    text = printed(next(tmp_path.glob("*.pdf")))
    assert "Q" * 3000 in text and "R" * 3000 in text


@needs_latex
@pytest.mark.slow
@pytest.mark.parametrize("questions", [False, True], ids=["solution", "questions"])
def test_a_long_file_name_under_the_title_is_cut(tmp_path, warnings, questions):
    """The file's name is printed under the title, in a box TeX does not break: past 30 characters it is cut."""
    stem = "P" * 200
    problem = symback.load(hostile_problem(tmp_path, "A short title", "Compute it.", "7", stem=stem))
    write_sheets(problem, tmp_path, formats=("pdf",), questions=questions)
    assert not overfull(warnings)
    text = printed(next(tmp_path.glob("*.pdf")))
    assert re.search("of" + "P" * 29 + "(…|...)", text) and "P" * 30 not in text
