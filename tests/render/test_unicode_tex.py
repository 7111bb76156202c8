"""LaTeX prints any name: letters beyond Latin-1 as themselves (T1 fonts), Greek and symbols in math, scripts no
font has as their code points; never "?", never a failed build, and text from files still escaped."""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest

import symback
from symback.checker.feedback import write_feedback
from symback.render.pdf import latex_available
from symback.render.tex_text import escape_tex
from symback.render.write import write_sheets

ROOT = Path(__file__).resolve().parents[2]
needs_latex = pytest.mark.skipif(not (latex_available() and shutil.which("pdftotext")),
                                 reason="pdflatex and pdftotext are not installed")
WORDS = ["Dvořák", "Łódź", "Ærøskøbing", "ŷ = σ(z)", "α ≈ 0.1 → ∂L/∂θ", "x ≡ 0"]
INJECTIONS = [r"\input{/etc/passwd}", r"}$\def\x{y}", r"\immediate\write18{touch SHELL-ESCAPED}"]


def unicode_problem(tmp_path: Path) -> Path:
    """The WS23 problem with Unicode in its title, its notes and its exercises' texts, and TeX in one text."""
    text = (ROOT / "problems" / "ws23_backprop.toml").read_text(encoding="utf-8")
    text = re.sub(r'(?m)^title = ".*"$', 'title = "Dvořák, Łódź and Ærøskøbing: 東京"', text, count=1)
    texts = iter([f"Compute {WORDS[3]} and {WORDS[4]}, with {WORDS[5]}.",
                  "Injections print literally: " + " ".join(INJECTIONS).replace("\\", "\\\\")])
    text = re.sub(r'(?m)^text = ".*"$', lambda m: f'text = "{next(texts, m.group()[8:-1])}"', text)
    text = text.replace("?", ".")  # no "?" in the file, so none may be printed
    path = tmp_path / "unicode.toml"
    path.write_text(text, encoding="utf-8")
    return path


def pdf_text(path: Path) -> str:
    done = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)
    return " ".join(unicodedata.normalize("NFC", done.stdout.decode("utf-8")).split())


def test_escaping_never_writes_a_question_mark_or_a_raw_character_above_latin1():
    """Every character up to U+FFFF (and some beyond) comes out as ASCII or Latin-1, never as "?"."""
    for start in range(0x80, 0x10000, 0x400):
        block = "".join(chr(c) for c in range(start, start + 0x400)
                        if not 0xD800 <= c < 0xE000 and "?" not in unicodedata.normalize("NFKD", chr(c)))
        out = escape_tex(block)
        assert "?" not in out
        assert all(ord(c) <= 0xFF for c in out), [c for c in out if ord(c) > 0xFF][:5]
    assert escape_tex("😀 東") == "[U+1F600] [U+6771]"


@pytest.mark.parametrize("hostile", INJECTIONS + ["%", "#&_^~", "\\", "{", "$x$"])
def test_text_from_files_stays_text(hostile):
    """TeX's specials never reach LaTeX as themselves: every one is escaped or written as a command."""
    out = escape_tex(hostile)
    unescaped = re.sub(r"\\(textbackslash|textasciitilde|textless|textgreater|textbar)\{\}|\\\^\{\}|\\[{}$&#_%]",
                       "", out)
    assert not re.search(r"[\\{}$&#^_%~]", unescaped), out


@needs_latex
def test_a_sheet_with_unicode_names_builds_and_prints_them(tmp_path):
    problem = symback.load(unicode_problem(tmp_path))
    report = write_sheets(problem, tmp_path, ("tex", "pdf"), stem="unicode", appendix=False)
    assert tmp_path / "unicode.pdf" in report.written
    text = pdf_text(tmp_path / "unicode.pdf")
    for word in [*WORDS, *INJECTIONS, "[U+6771][U+4EAC]"]:
        assert word in text, word
    assert "?" not in text  # nothing in the file asks for one
    assert not any(tmp_path.rglob("SHELL-ESCAPED")) and not Path("SHELL-ESCAPED").exists()


@needs_latex
def test_a_feedback_sheet_prints_the_students_name(tmp_path):
    problem = symback.load(unicode_problem(tmp_path))
    report = symback.check(problem, {"student": "Antonín Dvořák (Łódź)", "exercises": {"1": {"L": "1"}}})
    write_feedback(report, tmp_path / "feedback.pdf")
    text = pdf_text(tmp_path / "feedback.pdf")
    assert "Antonín Dvořák (Łódź)" in text and "Dvořák, Łódź and Ærøskøbing" in text
