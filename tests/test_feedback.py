"""The feedback sheet: content in Markdown and LaTeX, hostile answers escaped, the PDF, writing whole or not at all."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

import symback
from symback.checklist import build_checklist
from symback.errors import ArgumentError
from symback.feedback import render_feedback, write_feedback
from symback.notation import Notation
from symback.pdf import PdfError, latex_available
from symback.render import escape_md, escape_tex

ROOT = Path(__file__).resolve().parent.parent
BREAK = r"\discretionary{}{}{}"  # where the LaTeX sheet lets a long answer or note break
needs_latex = pytest.mark.skipif(not (latex_available() and shutil.which("pdftotext")),
                                 reason="pdflatex and pdftotext are not installed")
JUNK = "x\\y{}$%&#_^~|" * 160  # 2080 characters
HOSTILE = ["\\input{/etc/passwd}", "$$", "}{", "\\def\\x{}", "% # & _ ^ ~", JUNK,
           "😀 привет", "a | b", "<script>alert(1)</script>"]


@pytest.fixture(scope="module")
def checklist():
    return build_checklist(symback.load(ROOT / "problems" / "ws23_backprop.toml"))


@pytest.fixture(scope="module")
def slips(checklist):
    """A slip in ŷ carried into L, a sign error in a gradient, a missing ½, an unknown key."""
    return symback.check(checklist, {
        "student": "Ada",
        "exercises": {"1": {"yhat": "0", "L": "0.5"}, "2": {"yhat": "0.5", "L": "2.6244"},
                      "4": {"dL/db12": "2.924", "dL/da22": "12*e/(1+e)^2", "dh1_2/dz1_2": "0.1966"},
                      "9": {"x": "1"}},
    })


@pytest.fixture(scope="module")
def hostile(checklist):
    keys = [(item.exercise, item.key) for item in checklist.items if item.kind != "update"]
    exercises: dict = {}
    for (exercise, key), text in zip(keys, HOSTILE):
        exercises.setdefault(exercise, {})[key] = text
    exercises["5"] = {"b12'": "1", "<script>|": "2"}
    return symback.check(checklist, {"student": "\\input{/etc/passwd} <script> | $x$", "exercises": exercises})


def table_cells(row: str) -> list[str]:
    """A GFM table row's cells: a backslash escapes the next character, an unescaped | separates cells."""
    cells, current, characters = [], "", iter(row.strip()[1:-1])
    for character in characters:
        if character == "\\":
            current += character + next(characters, "")
        elif character == "|":
            cells.append(current)
            current = ""
        else:
            current += character
    return cells + [current]


def table_rows(markdown: str) -> list[str]:
    return [line for line in markdown.splitlines() if line.startswith("| ") and not line.startswith("| Quantity")]


@pytest.mark.parametrize("kind, escape", [("md", escape_md), ("tex", escape_tex)])
def test_sheet_holds_headline_score_tolerance_and_every_verdict(slips, kind, escape):
    text = render_feedback(slips, kind).replace(BREAK, "")
    assert slips.headline.startswith("First wrong step: exercise 1, L")
    assert escape(slips.headline) in text
    assert escape(slips.tolerance.describe()) in text and "the default" in text
    assert f"{slips.points} / {slips.total}" in text and "error carried forward" in text
    assert escape("Feedback: " + slips.problem.title) in text and "Ada" in text
    statuses = {v.status for v in slips.verdicts if v.counted}
    assert {"correct", "wrong", "carried forward", "missing"} <= statuses
    for status in statuses:
        assert status in text
    notation = Notation()
    for verdict in slips.verdicts:
        assert notation.latex_name(verdict.key) in text  # as a row, or in the line of left-out working
    assert escape("exercises.9: there is no exercise '9'") in text  # the report's notes


def test_markdown_rows_one_per_counted_quantity_and_left_out_working_in_one_line(slips):
    text = render_feedback(slips, "md")
    rows = table_rows(text)
    counted = [v for v in slips.verdicts if v.counted]
    assert len(rows) == len(counted)
    for row, verdict in zip(rows, counted):
        cells = table_cells(row)
        assert len(cells) == 5 and verdict.status in cells[2]
    assert "**wrong**" in text and "✓ correct" in text and "→ carried forward" in text
    assert "*Left out (working, not scored):* $z_{1}$, $h_{1}$, $z_{2}$, $h_{2}$." in text
    wrong_gradient = next(row for row in rows if row.startswith(r"| $\frac{\partial L}{\partial b_{12}}$"))
    # the rule in math: chain-rule factors as partials
    assert r"\frac{\partial L}{\partial b_{12}} = \frac{\partial L}{\partial \hat{y}} \frac{\partial \hat{y}}{\partial b_{12}}" in wrong_gradient
    assert "(exercise 2)" in text  # carried forward from the slip in exercise 2


def test_rules_of_factors_and_updates_print_as_partials_and_alpha(checklist):
    notation = Notation()
    assert notation.latex_name("dyhat/dh1_2") == r"\frac{\partial \hat{y}}{\partial h_{2}}"
    assert Notation(show_layers=True).latex_name("dh1_2/dz1_2") == r"\frac{\partial h^{(1)}_{2}}{\partial z^{(1)}_{2}}"
    update = next(item for item in checklist.items if item.key == "b12'")
    assert notation.latex(update.rule) == r"b_{12} - \alpha \cdot \frac{\partial L}{\partial b_{12}}"
    gradient = next(item for item in checklist.items if item.key == "dL/da22")
    assert "mathit" not in notation.latex(gradient.rule) and r"\partial h_{2}}{\partial z_{2}}" in notation.latex(gradient.rule)


def test_all_right_sheet(checklist):
    answers: dict = {}
    for item in checklist.items:
        answers.setdefault(item.exercise, {})[item.key] = str(item.reference)
    report = symback.check(checklist, answers)
    text = render_feedback(report, "md")
    assert report.headline.startswith("Everything is right") and escape_md(report.headline) in text
    assert f"**Score: {report.total} / {report.total}**" in text and "Left out" not in text


def test_hostile_answers_are_escaped_in_markdown(hostile):
    text = render_feedback(hostile, "md")
    assert "<script>" not in text and "&lt;script&gt;" in text
    for row in table_rows(text):
        cells = table_cells(row)
        assert len(cells) == 5, row
        written = re.sub(r"\\.", "", cells[1])  # what is left once escaped characters are taken out
        assert not set(written) & set("$<>`*_[]"), row  # no math, HTML, code or emphasis opened by a student
    assert JUNK[:30] not in text  # 2000 characters of junk are clipped (and escaped)
    assert max(len(row) for row in table_rows(text)) < 1000
    assert "привет" in text and "\\$x\\$" in text


def test_hostile_answers_are_escaped_in_latex(hostile):
    text = render_feedback(hostile, "tex")
    for raw in ("\\input", "\\def", "<script>", "привет", "😀"):
        assert raw not in text
    flat = text.replace(BREAK, "")
    assert "\\}\\{" in flat and "\\textbackslash{}def\\textbackslash{}x\\{\\}" in flat
    assert "\\textbackslash{}input\\{/etc/passwd\\}" in flat and "\\$\\$" in flat and "\\textless{}script" in flat
    assert "\\% \\# \\& \\_ \\^{} \\textasciitilde{}" in flat
    assert not re.search(r"[^\x00-\xff]", text)  # unicode pdflatex has no glyph for is replaced


@needs_latex
def test_pdf_of_hostile_answers_builds_and_shows_them_literally(hostile, tmp_path):
    target = tmp_path / "feedback.pdf"
    write_feedback(hostile, target)
    text = subprocess.run(["pdftotext", str(target), "-"], capture_output=True, text=True, check=True).stdout
    flat = " ".join(text.split())
    assert "First wrong step" in flat and "Feedback" in flat and "Score" in flat
    assert "input{/etc/passwd}" in flat  # printed, not read
    assert "root:" not in text
    assert [path.name for path in tmp_path.iterdir()] == ["feedback.pdf"]


@pytest.mark.parametrize("suffix", [".md", ".tex"])
def test_write_text_formats(slips, tmp_path, suffix):
    target = tmp_path / f"feedback{suffix}"
    target.write_text("old")
    write_feedback(slips, target)
    assert target.read_text(encoding="utf-8") == render_feedback(slips, suffix[1:])
    assert [path.name for path in tmp_path.iterdir()] == [target.name]


def test_failed_build_leaves_the_old_file_whole(slips, tmp_path, monkeypatch):
    import symback.feedback as feedback

    def failing_build(source, target, **options):
        raise PdfError("pdflatex failed on feedback.pdf: Undefined control sequence")

    old = tmp_path / "feedback.pdf"
    old.write_bytes(b"%PDF-1.5 old feedback")
    monkeypatch.setattr(feedback, "build_pdf", failing_build)
    with pytest.raises(PdfError):
        write_feedback(slips, old)
    assert old.read_bytes() == b"%PDF-1.5 old feedback"

    def failing_render(report, kind):
        raise RuntimeError("rendering failed")

    markdown = tmp_path / "feedback.md"
    markdown.write_text("old feedback")
    monkeypatch.setattr(feedback, "render_feedback", failing_render)
    with pytest.raises(RuntimeError):
        write_feedback(slips, markdown)
    assert markdown.read_text() == "old feedback"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["feedback.md", "feedback.pdf"]


@pytest.mark.parametrize("name", ["feedback.docx", "feedback", "feedback.md.bak"])
def test_unknown_suffix_is_an_argument_error(slips, tmp_path, name):
    with pytest.raises(ArgumentError, match=r"^-o: .*use \.md, \.tex or \.pdf$"):
        write_feedback(slips, tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_unknown_kind(slips):
    with pytest.raises(ValueError, match="unknown format"):
        render_feedback(slips, "html")
