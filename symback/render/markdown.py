r"""Markdown that renders as written where it is read: one post-pass over a rendered Markdown sheet.

GitHub (and GitLab) run their Markdown pass *before* MathJax sees the formulas, so whatever Markdown reads into a
formula is lost: ``\\`` becomes ``\``, ``\,`` becomes ``,`` (backslash escapes), ``}_…_{`` turns into emphasis.
Jupyter, VS Code, pandoc and markdown-it's dollarmath take the math out first. The sheets must read right in both.

- Display math (``$$`` lines) becomes a fenced ```` ```math ```` block: GitHub and GitLab render its content as
  display math and Markdown leaves a fence's content alone.
- Inline math stays ``$…$`` (the form every renderer knows), rewritten into a TeX-equivalent form that no
  Markdown construct can touch: no space just inside the dollars; ``\,`` ``\{`` ``\|`` and the other
  backslash-punctuation pairs written without the pair (``\mkern3mu``, ``\lbrace``, ``\Vert``…); ``*`` as
  ``\ast`` (its meaning in TeX's math mode); a space after every ``_`` that Markdown could read as opening
  emphasis (one after ``}``, ``)`` or a space: ``}_ {2}``; an ``_`` after a letter or digit cannot open one);
  ``|`` as ``\vert`` in a table row. Both kinds of renderer then get the same characters. (GitHub's
  ``$`…`$`` would also protect the content, but renderers that extract math first show it as code or stumble.)
- The rest (text, code, tables) is left as it is; text from files is escaped where it is inserted.

The templates keep writing ``$$`` blocks and ``$…$``: the whole rule lives here (tests/render/test_markdown.py
parses the result with a CommonMark+GFM parser and with a math-first parser and compares every formula).
"""

from __future__ import annotations

import re

__all__ = ["MARKDOWN_TARGETS", "code_span", "finish_markdown", "for_github", "guard_inline_math"]

MARKDOWN_TARGETS = ("github", "math-first", "template")
"""Where rendered Markdown is read: "github" (files: math fences, guarded inline math), "math-first" (Jupyter,
which finds math before Markdown and shows a fence as code: ``$$`` blocks kept, inline math guarded) or
"template" (as the templates wrote it)."""

# Backslash + ASCII punctuation is a Markdown escape; in TeX math each of these has a twin without one: the spaces
# as the \mkern of their glue's width (\thinmuskip 3mu, \medmuskip 4mu, \thickmuskip 5mu; only display math
# stretches, and that is fenced), braces and bars as their control words, a row end as \cr.
_CONTROL_SYMBOLS = {
    ",": r"\mkern3mu", "!": r"\mkern-3mu", ":": r"\mkern4mu", ">": r"\mkern4mu", ";": r"\mkern5mu",
    "{": r"\lbrace", "}": r"\rbrace", "|": r"\Vert", "\\": r"\cr",
}
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def code_span(text) -> str:
    """``text`` as a Markdown code span, printed exactly: a fence of backticks longer than any run inside, and
    no escaping (a code span shows backslashes literally).

    >>> code_span("ws23_backprop.toml"), code_span("a`b.toml"), code_span("`x`")
    ('`ws23_backprop.toml`', '``a`b.toml``', '`` `x` ``')
    """
    text = " ".join(str(text).splitlines())
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith(("`", " ")) or text.endswith(("`", " ")) else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _space_before(tex: str, i: int) -> str:
    """A space that ends a control word (or a dimension) put before ``tex[i]``, where a letter or digit follows."""
    return " " if tex[i:i + 1].isascii() and tex[i:i + 1].isalnum() else ""


def guard_inline_math(tex: str, *, in_table: bool = False) -> str:
    r"""Inline LaTeX that reads the same after a Markdown pass (see the module's docstring).

    >>> guard_inline_math(r" \hat{y}_{1} = a \, b^{*} ")
    '\\hat{y}_ {1} = a \\mkern3mu b^{\\ast}'
    >>> guard_inline_math(r"\left\{x_{1}\right\}")
    '\\left\\lbrace x_{1}\\right\\rbrace'
    """
    out: list[str] = []
    i, n = 0, len(tex)
    while i < n:
        c = tex[i]
        if c == "\\" and i + 1 < n:
            word = re.match(r"[A-Za-z]+", tex[i + 1:])
            if word:  # a control word: copied with its letters
                out.append("\\" + word.group())
                i += 1 + word.end()
                continue
            twin = _CONTROL_SYMBOLS.get(tex[i + 1])
            out.append(twin + _space_before(tex, i + 2) if twin else tex[i:i + 2])  # "\ ": a control space
            i += 2
            continue
        if c == "*":
            out.append(r"\ast" + _space_before(tex, i + 1))
        elif c == "_" and not (out and out[-1][-1:].isalnum()) and tex[i + 1:i + 2] not in (" ", ""):
            out.append("_ ")  # could open emphasis: a space after it stops that (TeX ignores it)
        elif c == "~":
            out.append("\\ ")  # a tie is a space in math; "~" is strikethrough in GFM
        elif c == "|" and in_table:
            out.append(r"\vert ")
        elif c in "<&" and re.match(r"[A-Za-z#/!?]", tex[i + 1:i + 2]):
            out.append(c + " ")  # an HTML tag or an entity otherwise
        elif c in "]!" and tex[i + 1:i + 2] in ("(", "["):
            out.append(c + " ")  # a link or an image otherwise
        else:
            out.append(c)
        i += 1
    text = "".join(out).strip()
    if text.endswith("\\") and (len(text) - len(text.rstrip("\\"))) % 2:
        text += "{}"  # a control space cut to "\" would escape the closing dollar
    return text


def _inline(line: str) -> str:
    """One line outside code blocks with every ``$…$`` (and ``$$…$$``) guarded; escapes and code spans kept."""
    in_table = line.lstrip().startswith("|")
    out, i, n = [], 0, len(line)
    while i < n:
        c = line[i]
        if c == "\\":
            out.append(line[i:i + 2])
            i += 2
        elif c == "`":
            run = re.match("`+", line[i:]).group()
            close = re.compile(rf"(?<!`){run}(?!`)").search(line, i + len(run))
            end = close.end() if close else i + len(run)
            out.append(line[i:end])
            i = end
        elif c == "$":
            marker = "$$" if line.startswith("$$", i) else "$"
            close = re.compile(r"(?<!\\)(?:\\\\)*" + re.escape(marker)).search(line, i + len(marker))
            if not close:
                out.append(line[i:])
                break
            content = line[i + len(marker):close.end() - len(marker)]
            out.append(marker + guard_inline_math(content, in_table=in_table) + marker)
            i = close.end()
        else:
            out.append(c)
            i += 1
    return "".join(out)


def finish_markdown(markdown: str, target: str = "github") -> str:
    """Rendered Markdown made ready for ``target`` (one of :data:`MARKDOWN_TARGETS`).

    >>> finish_markdown("$$\\na_{1}\\n$$", "math-first"), finish_markdown("$$\\na_{1}\\n$$", "template")
    ('$$\\na_{1}\\n$$', '$$\\na_{1}\\n$$')
    """
    if target not in MARKDOWN_TARGETS:
        raise ValueError(f"unknown Markdown target {target!r} (known: {', '.join(MARKDOWN_TARGETS)})")
    if target == "template":
        return markdown
    return for_github(markdown, math_fences=target == "github")


def for_github(markdown: str, *, math_fences: bool = True) -> str:
    r"""The post-pass: ``$$`` blocks to ```` ```math ```` fences, inline math guarded, code blocks untouched.

    >>> print(for_github("Let $x_{1} \\, y $ be\n\n$$\nA = \\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix} \n$$\n"))
    Let $x_{1} \mkern3mu y$ be
    <BLANKLINE>
    ```math
    A = \begin{pmatrix} 1 \\ 2 \end{pmatrix}
    ```
    <BLANKLINE>
    """
    lines = markdown.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        fence = _FENCE.match(line)
        if fence:  # a code block (Mermaid…): copied to its closing fence
            marker = fence.group(1)
            out.append(line)
            i += 1
            while i < len(lines):
                out.append(lines[i])
                i += 1
                if re.match(rf"^ {{0,3}}{marker[0]}{{{len(marker)},}}\s*$", out[-1]):
                    break
            continue
        if math_fences and line == "$$" and "$$" in lines[i + 1:]:  # the templates write display math as $$ lines at the margin
            end = lines.index("$$", i + 1)
            body = [entry.rstrip() for entry in lines[i + 1:end]]
            ticks = "`" * max(3, 1 + max((len(r) for entry in body for r in re.findall("`+", entry)), default=0))
            out.extend([f"{ticks}math", *body, ticks])
            i = end + 1
            continue
        out.append(_inline(line))
        i += 1
    return "\n".join(out)
