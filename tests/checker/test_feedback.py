"""The feedback sheet: content in Markdown and LaTeX, hostile answers escaped, the PDF, writing whole or not at all."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import symback
from symback.checker.checklist import build_checklist
from symback.checker.feedback import render_feedback, write_feedback
from symback.errors import ArgumentError
from symback.numbers.tolerance import Tolerance
from symback.render.environment import escape_md, escape_tex
from symback.render.notation import Notation
from symback.render.pdf import PdfError, build_pdf, latex_available
from symback.render.shown import SHORT_FORMULA

ROOT = Path(__file__).resolve().parents[2]
BREAK = r"\discretionary{}{}{}"  # where the LaTeX sheet lets a long answer or note break
needs_latex = pytest.mark.skipif(not (latex_available() and shutil.which("pdftotext")),
                                 reason="pdflatex and pdftotext are not installed")
JUNK = "x\\y{}$%&#_^~|" * 160  # 2080 characters
DEEP = """
title = "Two hidden layers"

[network]
inputs = 2

[[network.layers]]
weights = "A"
values = [[1, -1], [2, 1]]
bias = "c"
bias_values = [0.5, -1]
activation = "sigmoid"

[[network.layers]]
weights = "B"
values = [[1, -2], ["1/3", 1]]
bias = "d"
bias_values = [1, "-1/2"]
activation = "sigmoid"

[[network.layers]]
weights = "E"
values = [[2, -1]]
bias = "g"
bias_values = [0.25]
activation = "identity"

[loss]
kind = "squared_error"

[[exercises]]
id = "1"
task = "gradient"
text = "Compute dL/da11, dL/dc1 and dL/db12 for x = (1, 2) and y = 1."
x = [1, 2]
y = 1
params = ["a11", "c1", "b12"]
"""
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
        "exercises": {"1": {"yhat": "0", "L": "0.5"}, "2": {"yhat": "0.6", "L": "2.3104"},
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


@pytest.fixture(scope="module")
def deep():
    """Two hidden layers with biases: exact gradients run to a thousand characters and more of LaTeX."""
    return symback.check(symback.loads(DEEP), {"1": {
        "h1_1": "0.3775", "h2_1": "0.5", "dh1_1/dz1_1": "0.2350", "dL/da11": "-0.2", "dL/dc1": "-0.1189",
        "dL/db12": "1"}})


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


def tex_rows(latex: str) -> list[list[str]]:
    """The LaTeX tables' body rows as cells (an escaped answer's & is \\&, so " & " separates cells)."""
    rows = []
    for block in re.findall(r"\\endhead\n(.*?)\\bottomrule", latex, flags=re.DOTALL):
        rows += [re.split(r"(?<!\\) & ", line.removesuffix(" \\\\")) for line in block.splitlines()]
    return rows


def plain(text: str) -> str:
    """The LaTeX sheet without its break points and with {(} and {)} (kept apart from Jinja's delimiters) as ( )."""
    return text.replace(BREAK, "").replace("{(}", "(").replace("{)}", ")")


def unescape_md(text: str) -> str:
    """What Markdown shows for escaped text."""
    return re.sub(r"\\(.)", r"\1", text).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


@pytest.mark.parametrize("kind, escape", [("md", escape_md), ("tex", escape_tex)])
def test_sheet_holds_headline_score_tolerance_and_every_verdict(slips, kind, escape):
    text = render_feedback(slips, kind).replace(BREAK, "")
    assert slips.headline.startswith("First wrong step: exercise 1, L")
    assert "First wrong step: exercise 1, $L$: you wrote 0.5; $L = \\left(\\hat{y} - y\\right)^{2}$ gives $1$" in text
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
    import symback.checker.feedback as feedback

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


def test_long_exact_right_values_give_way_to_the_decimal(deep):
    longest = max(len(Notation().latex(v.item.right.exact)) for v in deep.verdicts)
    assert longest > 1000  # the point of the fixture
    markdown, latex = render_feedback(deep, "md"), render_feedback(deep, "tex")
    counted = [v for v in deep.verdicts if v.counted]
    md_rows, tex_rows_ = table_rows(markdown), tex_rows(latex)
    assert len(md_rows) == len(tex_rows_) == len(counted) == 6
    for verdict, md_row, tex_row in zip(counted, md_rows, tex_rows_):
        md_right, tex_right = table_cells(md_row)[3].strip(), tex_row[3]
        assert len(md_right) < 100 and len(tex_right) < 100, (verdict.key, md_right, tex_right)
        decimal = format(verdict.item.right.decimal, "f")
        assert md_right.endswith(f" {decimal}$") and tex_right.endswith(f" {decimal}$")  # the decimal, always
        exact = Notation().latex(verdict.item.right.exact)
        if len(exact) > 200:
            assert md_right == tex_right == f"$\\approx {decimal}$"
        elif verdict.key == "h1_1":  # 60 characters, two levels of fractions: still shown
            assert exact in md_right and exact in tex_right
    assert "Right values are exact where the exact form is short" in markdown
    assert max(len(row) for row in md_rows) < 1000  # the longest left is a chain rule written out


def test_short_exact_right_values_are_kept(slips):
    markdown = render_feedback(slips, "md")
    assert r"$\frac{4 \left(39 + 14 e\right)^{2}}{625 \left(1 + e\right)^{2}} \approx 2.749$" in markdown
    assert r"$- \frac{4 e}{1 + e} \approx -2.924$" in markdown and "| $0$ |" in markdown
    assert SHORT_FORMULA == 60


@needs_latex
def test_pdf_of_a_deeper_network_keeps_to_the_page(deep, tmp_path):
    target = tmp_path / "deep.pdf"
    warnings = build_pdf(render_feedback(deep, "tex"), target)
    assert not [w for w in warnings if w.startswith("Overfull \\hbox")], warnings
    text = subprocess.run(["pdftotext", str(target), "-"], capture_output=True, text=True, check=True).stdout
    assert "0.1189" in text and "0.5767" in text and "0.3775" in text


@pytest.mark.parametrize("kind", ["md", "tex"])
def test_notes_join_without_a_dangling_separator(slips, deep, kind):
    for report in (slips, deep):
        text = render_feedback(report, kind).replace(BREAK, "")
        rows = [table_cells(row) for row in table_rows(text)] if kind == "md" else tex_rows(text)
        notes = [cells[4].strip() for cells in rows]
        assert notes and all(not note.endswith(";") and ";;" not in note and "; ;" not in note for note in notes)
    text = render_feedback(slips, kind)
    # ŷ in exercise 2 is wrong with no hint: the rule alone; the loss in exercise 1 has rule and hint
    assert r"rule: $\hat{y} = b_{11} h_{1} + b_{12} h_{2}$ |" in text or \
        r"rule: $\hat{y} = b_{11} h_{1} + b_{12} h_{2}$ \\" in text
    assert r"rule: $L = \left(\hat{y} - y\right)^{2}$; h" in text


@pytest.mark.parametrize("kind", ["md", "tex"])
def test_carried_forward_note_names_the_step_as_the_table_does(slips, kind):
    example = symback.check(symback.load(ROOT / "problems" / "ws23_backprop.toml"),
                            symback.load_answers(ROOT / "problems" / "ws23_answers_example.toml"))
    for report, note in ((slips, r"follows from your $\hat{y}$ (exercise 2), which is wrong"),
                         (example, r"follows from your $\frac{\partial h_{2}}{\partial z_{2}}$ (exercise 4), which is wrong")):
        text = plain(render_feedback(report, kind))
        rows = [table_cells(row) for row in table_rows(text)] if kind == "md" else tex_rows(text)
        carried = [cells[4].strip() for cells in rows if "carried forward" in cells[2]]
        assert carried and all(cell == note for cell in carried)
        assert "your yhat" not in text and "your dh1" not in text


@pytest.mark.parametrize("kind", ["md", "tex"])
def test_score_line_lists_only_counts_that_occur(slips, checklist, kind):
    text = plain(render_feedback(slips, kind))
    assert "(3 correct, 1 carried forward, 3 wrong, 8 missing; 35 working steps left out, not scored)." in text
    assert "0 rounding" not in text and "0 unreadable" not in text
    answers: dict = {}
    for item in checklist.items:
        answers.setdefault(item.exercise, {})[item.key] = str(item.reference)
    report = symback.check(checklist, answers)
    text = plain(render_feedback(report, kind))
    score = f"**Score: {report.total} / {report.total}**" if kind == "md" else \
        f"\\textbf{{Score: {report.total} / {report.total}}}"
    assert f"{score} ({report.total} correct)." in text


@pytest.mark.parametrize("source, words", [
    ("default", "(the default)"), ("problem file", "(set in the problem file)"),
    ("answers file", "(set in the answers file)"), ("command line", "(set on the command line)"),
    ("argument", "(set by the caller)"),
])
@pytest.mark.parametrize("kind", ["md", "tex"])
def test_tolerance_line_says_where_the_tolerance_was_set(slips, kind, source, words):
    report = dataclasses.replace(slips, tolerance=Tolerance("significant_figures", 3, source))
    text = plain(render_feedback(report, kind))
    assert f"{words}: correct to 3 significant figures." in text


def test_tolerance_given_to_check_is_set_by_the_caller(checklist):
    report = symback.check(checklist, {"1": {"L": "1"}}, tolerance=Tolerance("decimal_places", 2, "argument"))
    assert "*Tolerance* (set by the caller): correct to 2 decimal places" in render_feedback(report, "md")


def test_notes_are_escaped_once(checklist):
    """A note quotes keys with repr (its backslashes doubled); the sheets show that text as it is, no more."""
    report = symback.check(checklist, {"1": {"a\\b": "1", "L": "1"}, "9\\x": {"y": "1"}})
    assert len(report.notes) == 2 and all("\\" in note for note in report.notes)
    markdown = render_feedback(report, "md")
    shown = markdown.split("## Notes", 1)[1].strip().splitlines()
    assert [unescape_md(line.removeprefix("- ")) for line in shown] == list(report.notes)
    latex = render_feedback(report, "tex").replace(BREAK, "")
    items = re.findall(r"^\\item (.*)$", latex, flags=re.MULTILINE)
    assert items == [escape_tex(note) for note in report.notes]
    assert all("\\textbackslash{}\\textbackslash{}\\textbackslash{}" not in item for item in items)
