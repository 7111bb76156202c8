"""Markdown that renders as written: every shipped sheet and a feedback sheet, read the way GitHub reads them
(CommonMark+GFM first, then the math renderer on what is left) and the way Jupyter reads them (math first), must
deliver every formula the templates meant; no emphasis made of math, no escaping inside code spans."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import symback
from symback.checker.feedback import render_feedback
from symback.render.environment import render
from symback.render.sheet import build_sheet

markdown_it = pytest.importorskip("markdown_it")
dollarmath = pytest.importorskip("mdit_py_plugins.dollarmath")

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted(p for p in (ROOT / "problems").glob("*.toml") if "answers" not in p.stem)
EMPHASIS, CODE, ESCAPED_DOLLAR = "\x01", "\x02", "\x03"  # how the GFM pass's other nodes show in math's text


def gfm():
    """CommonMark with GitHub's tables and strikethrough; escapes kept as their own tokens (no text_join)."""
    return markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"]).disable("text_join")


def math_first():
    """A renderer that takes $…$, $$…$$ out before Markdown sees them (as Jupyter, VS Code and pandoc do)."""
    return (markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"])
            .use(dollarmath.dollarmath_plugin, allow_space=True, allow_digits=True, double_inline=True))


def inline_tokens(tokens):
    for token in tokens:
        if token.type == "inline":
            yield token


def fence_math(token):
    return token.type == "fence" and token.info.strip() == "math"


# TeX's own definitions (plain.tex, latex.ltx, MathJax's): these pairs typeset the same in math mode.
SAME_IN_TEX = {r"\,": r"\mkern3mu", r"\!": r"\mkern-3mu", r"\:": r"\mkern4mu", r"\>": r"\mkern4mu",
               r"\;": r"\mkern5mu", r"\{": r"\lbrace", r"\}": r"\rbrace", r"\|": r"\Vert", "\\\\": r"\cr",
               "*": r"\ast", "|": r"\vert", "~": "\\ "}


def tex_tokens(tex: str) -> list[str]:
    """``tex`` as TeX's tokens in math mode (spaces are not tokens there), with twins written one way."""
    tokens = re.findall(r"\\[A-Za-z]+|\\.|\S", tex, flags=re.DOTALL)
    return [t for token in tokens for t in tex_tokens_of(SAME_IN_TEX.get(token, token))]


def tex_tokens_of(text: str) -> list[str]:
    if re.fullmatch(r"\\[A-Za-z]+|\\.|\S", text):
        return [text]
    return re.findall(r"\\[A-Za-z]+|\\.|\S", text)


def github_formulas(markdown: str) -> tuple[list[tuple[str, str]], list[str]]:
    """The formulas GitHub's math renderer gets: ```math fences, and $$…$$ / $…$ found in the text the GFM pass
    leaves (an opening $ not followed by a space, a closing $ not after one); and the code spans' contents."""
    formulas, code = [], []
    for token in gfm().parse(markdown):
        if fence_math(token):
            formulas.append(("display", token.content.strip()))
        if token.type != "inline":
            continue
        text = []
        for child in token.children:
            if child.type == "text":
                text.append(child.content)
            elif child.type == "text_special":  # a backslash escape: "\$" is no delimiter
                text.append(ESCAPED_DOLLAR if child.content == "$" else child.content)
            elif child.type in ("softbreak", "hardbreak"):
                text.append("\n")
            elif child.type == "code_inline":
                code.append(child.content)
                text.append(CODE)
            elif child.type == "html_inline":
                text.append(child.content)
            else:  # emphasis, strong, strikethrough, links, images
                text.append(EMPHASIS)
        formulas.extend(dollar_math("".join(text)))
    return formulas, code


def dollar_math(text: str) -> list[tuple[str, str]]:
    found = []
    for match in re.finditer(r"\$\$(.+?)\$\$|\$(?!\s)([^$]*?[^\s$])\$", text, flags=re.DOTALL):
        found.append(("display", match.group(1).strip()) if match.group(1) is not None else ("inline", match.group(2)))
    return found


def math_first_formulas(markdown: str) -> list[tuple[str, str]]:
    formulas = []

    def walk(tokens):
        for token in tokens:
            if token.type in ("math_block", "math_inline_double") or fence_math(token):
                formulas.append(("display", token.content.strip()))
            elif token.type == "math_inline":
                formulas.append(("inline", token.content.strip()))
            walk(token.children or ())
    walk(math_first().parse(markdown))
    return formulas


def troubles(meant: str, finished: str, names=()) -> list[str]:
    """What goes wrong when GitHub renders ``finished``, the Markdown for ``meant`` (the templates' own text)."""
    wanted = math_first_formulas(meant)
    got, code = github_formulas(finished)
    problems = []
    if len(got) != len(wanted):
        problems.append(f"{len(wanted)} formulas meant, GitHub finds {len(got)}")
    for (kind, want), (got_kind, have) in zip(wanted, got):
        if (got_kind, tex_tokens(have)) != (kind, tex_tokens(want)):
            problems.append(f"{kind} {want!r} arrives as {got_kind} {have!r}")
        if EMPHASIS in have or CODE in have or ESCAPED_DOLLAR in have:
            problems.append(f"Markdown took part of {want!r}")
    if got != math_first_formulas(finished):
        problems.append("a math-first renderer reads other formulas than GitHub")
    for match in re.finditer(r"(?<![\\$])\$(?!\$)(\s?)[^$\n]*?(\s?)\$(\d?)", finished):
        if any(match.groups()):
            problems.append(f"space inside the dollars or a digit after them: {match.group()!r}")
    tokens = gfm().parse(finished)
    for token in inline_tokens(tokens):
        for child in token.children:
            if child.type in ("em_open", "strong_open") and child.markup.startswith("_") or child.type == "s_open":
                problems.append(f"{child.markup} emphasis in: {token.content[:80]!r}")
    problems += [f"a backslash in the code span {c!r}" for c in code if "\\" in c and not any("\\" in n for n in names)]
    problems += [f"the file name {n!r} is not a code span" for n in names if n not in code]
    return problems


@pytest.fixture(scope="module", params=[p.stem for p in SHIPPED])
def sheet(request):
    return build_sheet(symback.load(ROOT / "problems" / f"{request.param}.toml"), stem=request.param)


def test_every_formula_of_every_shipped_sheet_arrives(sheet):
    meant, finished = render(sheet, "md", markdown="template"), render(sheet, "md")
    assert "$$" not in finished and "```math" in finished
    assert troubles(meant, finished, names=[sheet.source_name]) == []


def test_the_check_fails_on_markdown_as_the_templates_write_it():
    """The old output (display math in $$, `\\,` inline, escaping in the code span) fails every part of the check."""
    sheet = build_sheet(symback.load(ROOT / "problems" / "ws23_backprop.toml"), stem="ws23_backprop")
    meant = render(sheet, "md", markdown="template")
    old = meant.replace(f"`{sheet.source_name}`", "`" + sheet.source_name.replace("_", "\\_") + "`")
    old = old.replace("$ with", " $ with", 1)  # a space before a closing dollar, as "$4 $" was
    found = "\n".join(troubles(meant, old, names=[sheet.source_name]))
    assert "arrives as" in found  # \\ and \, lost inside $$ … $$
    assert "a backslash in the code span" in found
    assert "space inside the dollars" in found  # "$4 $"


def test_the_feedback_sheet_arrives():
    problem = symback.load(ROOT / "problems" / "ws23_backprop.toml")
    report = symback.check(problem, ROOT / "problems" / "ws23_answers_example.toml")
    meant, finished = render_feedback(report, "md", markdown="template"), render_feedback(report, "md")
    assert math_first_formulas(meant)  # it has formulas: in tables, in notes
    assert troubles(meant, finished) == []


def test_markdown_characters_in_names_and_texts(tmp_path):
    """A file whose name holds a backtick and underscores, a title and exercise text with Markdown's characters:
    the name prints exactly in a code span, the text is escaped, the formulas still arrive."""
    text = (ROOT / "problems" / "ws23_backprop.toml").read_text(encoding="utf-8")
    text = re.sub(r'(?m)^title = ".*"$', 'title = "Net *one* _two_ `three` $4$ ~~five~~ <b>six</b>"', text, count=1)
    path = tmp_path / "ws23 `odd`_name_.toml"
    path.write_text(text, encoding="utf-8")
    sheet = build_sheet(symback.load(path), appendix=False, stem=path.stem)
    meant, finished = render(sheet, "md", markdown="template"), render(sheet, "md")
    assert troubles(meant, finished, names=[path.name]) == []
    heading = next(t for t in inline_tokens(gfm().parse(finished)))
    assert [c.type for c in heading.children if c.type not in ("text", "text_special")] == []
    assert "".join(c.content for c in heading.children) == "Net *one* _two_ `three` $4$ ~~five~~ <b>six</b>"


@pytest.mark.parametrize("tex", [
    r"\hat{y}_{1} - y_{1}", r"x^{*}_{2} \, \{a\} \| b \|", r"a_{1}^{(3)}_{x}", r"\left[z > q_{2}\right](x)",
    r"a<b \;\: c \! d", r"\frac{a}{b}_{c} * \frac{d}{e}_{f}", r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}",
])
def test_formulas_with_every_construct_markdown_eats(tex):
    """Inline, in a paragraph and in a table row: GitHub's reading equals the formula."""
    from symback.render.markdown import for_github
    in_cell = tex.replace("\\|", "").replace("|", "")  # a bar in a cell splits the row before any renderer looks
    meant = f"Text ${tex}$ and ${tex}$ again.\n\n| a | b |\n|---|---|\n| ${in_cell}$ | x |\n"
    assert troubles(meant, for_github(meant)) == []
    assert troubles(meant, meant)  # as written, the formula does not survive


def test_a_notebook_gets_dollar_blocks_with_the_same_formulas():
    """Jupyter finds math before Markdown and shows a ```math fence as code: it gets $$ blocks, inline math guarded,
    and every formula TeX-equal to the template's."""
    from symback.render.environment import render_exercise
    result = symback.run_exercise(symback.load(ROOT / "problems" / "ws23_backprop.toml"), "4")
    shown = result._repr_markdown_()
    assert "$$" in shown and "```math" not in shown
    meant = render_exercise(result, "md", markdown="template")
    pairs = list(zip(math_first_formulas(meant), math_first_formulas(shown), strict=True))
    assert pairs and all((k, tex_tokens(a)) == (j, tex_tokens(b)) for (k, a), (j, b) in pairs)
