r"""Text from a file, safe and printable in LaTeX (pdflatex, T1 fonts, UTF-8 input): :func:`escape_tex`.

Every character is written as something pdflatex has a glyph for, so the sheet never fails on a name and never
shows "?": TeX's specials escaped (a file cannot inject ``\input`` or leave text mode); letters with accents as
TeX's accent commands on their base letter (``ř`` → ``\v{r}``, which T1 fonts print as one glyph); Latin letters
without a decomposition (Ł, ø, Æ, ß…) by their LaTeX names or as themselves (Latin-1, defined by LaTeX's UTF-8
input); Greek letters and mathematical symbols in math mode (``α`` → ``$\alpha$``, ``≈`` → ``$\approx$``);
sub- and superscript characters as ``\textsubscript``/``\textsuperscript``. A character no installed font has (CJK,
Cyrillic, emoji…) prints as its code point, ``[U+6771]``: readable and exact, where pdflatex would stop or a
"?" would hide which character it was (XeLaTeX with a CJK font would be the way to print those; pdflatex is what
symback builds with).

A word longer than :data:`LONG_WORD` characters (a hash, a path, a hostile title) may break after any character:
TeX breaks only at spaces and hyphens, so such a word would run off the page, or past TeX's largest dimension,
where it vanishes. The break is ragged (the line may end up to 3em short) so a line holding only part of the word
is never overfull; where the word is not broken the two glues cancel and nothing changes.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from types import MappingProxyType

__all__ = ["HEADING_LIMIT", "LONG_WORD", "breakable_tex", "escape_tex", "heading_tex", "shortened"]

LONG_WORD = 30  # characters: longer than any word of a language, and than the file names symback writes
# \relax: a word going on with "minus" must not be read as the glue's shrink
HEADING_LIMIT = 100  # characters of a file's text in a heading, which TeX never breaks across pages
_WORD_BREAK = r"\nobreak\hskip0pt plus3em\penalty50\hskip0pt plus-3em\relax{}"

_SPECIALS = MappingProxyType({
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#", "^": r"\^{}",
    "_": r"\_", "%": r"\%", "~": r"\textasciitilde{}", "<": r"\textless{}", ">": r"\textgreater{}",
    "|": r"\textbar{}",
})
_MATH = MappingProxyType({  # symbols that only math fonts have, or that read as mathematics
    "ŷ": r"\hat{y}", "∂": r"\partial", "≡": r"\equiv", "·": r"\cdot", "⋅": r"\cdot", "×": r"\times", "÷": r"\div",
    "≈": r"\approx", "≤": r"\le", "≥": r"\ge", "∈": r"\in", "∉": r"\notin", "→": r"\to", "←": r"\leftarrow",
    "↔": r"\leftrightarrow", "⇒": r"\Rightarrow", "⇐": r"\Leftarrow", "⇔": r"\Leftrightarrow", "↦": r"\mapsto",
    "∞": r"\infty", "½": r"\frac12", "∑": r"\sum", "∏": r"\prod", "∫": r"\int", "∇": r"\nabla", "√": r"\surd",
    "ℝ": r"\mathbb{R}", "ℕ": r"\mathbb{N}", "ℤ": r"\mathbb{Z}", "ℚ": r"\mathbb{Q}", "ℂ": r"\mathbb{C}",
    "≠": r"\ne", "±": r"\pm", "∓": r"\mp", "∀": r"\forall", "∃": r"\exists", "∅": r"\emptyset", "⊂": r"\subset",
    "⊆": r"\subseteq", "∪": r"\cup", "∩": r"\cap", "∧": r"\wedge", "∨": r"\vee", "∝": r"\propto", "≪": r"\ll",
    "≫": r"\gg", "∼": r"\sim", "≃": r"\simeq", "≅": r"\cong", "⊙": r"\odot", "⊗": r"\otimes", "⊕": r"\oplus",
    "∘": r"\circ", "∗": r"\ast", "∣": r"\mid", "‖": r"\|", "⟨": r"\langle", "⟩": r"\rangle", "⌈": r"\lceil",
    "⌉": r"\rceil", "⌊": r"\lfloor", "⌋": r"\rfloor", "∆": r"\Delta", "ℓ": r"\ell", "µ": r"\mu", "¬": r"\neg",
})
_TEXT = MappingProxyType({  # typography: LaTeX's names (T1 and TS1 glyphs)
    "−": "$-$", "′": "'", "″": "''", "–": "--", "—": "---", "“": "``", "”": "''", "‘": "`", "’": "'",
    "…": r"\dots{}", "„": r"\quotedblbase{}", "‚": r"\quotesinglbase{}", "‹": r"\guilsinglleft{}",
    "›": r"\guilsinglright{}", "•": r"\textbullet{}", "€": r"\texteuro{}", "†": r"\textdagger{}",
    "‡": r"\textdaggerdbl{}", "‰": r"\textperthousand{}", "™": r"\texttrademark{}", "№": r"\textnumero{}",
    "Ł": r"\L{}", "ł": r"\l{}", "Đ": r"\DJ{}", "đ": r"\dj{}", "Œ": r"\OE{}", "œ": r"\oe{}", "ı": r"\i{}",
    "ȷ": r"\j{}", "Ŋ": r"\NG{}", "ŋ": r"\ng{}", "ẞ": r"\SS{}", "\u2009": r"\,", "\u202f": r"\,",
    "\u2002": r"\enspace{}", "\u2003": r"\quad{}", "\u2010": "-", "\u2011": "-", "\u00ad": r"\-",
})
_ACCENTS = MappingProxyType({  # combining mark -> TeX's accent command
    "\u0300": "`", "\u0301": "'", "\u0302": "^", "\u0303": "~", "\u0304": "=", "\u0306": "u", "\u0307": ".",
    "\u0308": '"', "\u030a": "r", "\u030b": "H", "\u030c": "v", "\u0323": "d", "\u0327": "c", "\u0328": "k",
    "\u0331": "b",
})
_GREEK = dict(zip(
    "αβγδεζηθικλμνξοπρςστυφχψωϑϕϵϱϖΓΔΘΛΞΠΣΥΦΨΩ",
    r"\alpha \beta \gamma \delta \varepsilon \zeta \eta \theta \iota \kappa \lambda \mu \nu \xi o \pi \rho "
    r"\varsigma \sigma \tau \upsilon \varphi \chi \psi \omega \vartheta \phi \epsilon \varrho \varpi "
    r"\Gamma \Delta \Theta \Lambda \Xi \Pi \Sigma \Upsilon \Phi \Psi \Omega".split()))
_CLUSTER = re.compile(r".[\u0300-\u036f]*", re.DOTALL)


def _greek(character: str) -> str | None:
    if character in _GREEK:
        return _GREEK[character]
    name = unicodedata.name(character, "")
    if name.startswith("GREEK CAPITAL LETTER ") and len(unicodedata.normalize("NFD", character)) == 1:
        return {"ALPHA": "A", "BETA": "B", "EPSILON": "E", "ZETA": "Z", "ETA": "H", "IOTA": "I", "KAPPA": "K",
                "MU": "M", "NU": "N", "OMICRON": "O", "RHO": "P", "TAU": "T", "CHI": "X"}.get(name[21:])
    return None


def _character(character: str) -> str:
    """One character (no combining marks) as LaTeX in text mode."""
    if character.isascii():
        if character in _SPECIALS:
            return _SPECIALS[character]
        return character if character.isprintable() or character in "\n\t" else ""
    if character in _TEXT:
        return _TEXT[character]
    math = _MATH.get(character) or _greek(character)
    if math:
        return f"${math}$"
    category = unicodedata.category(character)
    if category in ("Cc", "Cf", "Co", "Cs", "Cn") or category.startswith("Z") and character != "\u00a0":
        return " " if category.startswith("Z") else ""  # controls and invisible marks: nothing to print
    if "\u00a0" <= character <= "\u00ff":
        return character  # Latin-1: LaTeX's UTF-8 input defines each (T1 and TS1 glyphs)
    decomposed = unicodedata.normalize("NFD", character)
    if len(decomposed) > 1:
        return _cluster(decomposed)
    tag, _, _ = unicodedata.decomposition(character).partition(" ")
    compatible = unicodedata.normalize("NFKD", character)
    if tag in ("<sub>", "<super>"):
        return rf"\text{'sub' if tag == '<sub>' else 'super'}script{{{escape_tex(compatible)}}}"
    if compatible != character and all(c.isascii() and c.isprintable() for c in compatible):
        return escape_tex(compatible)  # ligatures, full-width forms: their plain letters
    return f"[U+{ord(character):04X}]"  # no font for it (CJK, Cyrillic, emoji…): its code point, readable


def _cluster(cluster: str) -> str:
    """A base character and its combining marks (``r`` + caron) as TeX's accents on the base."""
    base, marks = cluster[0], cluster[1:]
    if not marks:
        return _character(base)
    if marks == "\u0302" and base.isascii() and base.isalpha():  # after NFC: no precomposed letter
        return rf"$\hat{{{base}}}$"  # x̂ has no letter of its own: a mathematician's hat
    text = _character(base)
    if not (base.isascii() and base.isalpha() or base in "ıȷ"):
        return text  # an accent on a symbol: the symbol alone
    for mark in marks:
        if mark in _ACCENTS:
            text = rf"\{_ACCENTS[mark]}{{{text}}}"
    return text


def escape_tex(text) -> str:
    r"""Text from a file, safe in LaTeX and printable by pdflatex with T1 fonts (see the module's docstring).

    >>> escape_tex(r"\input{/etc/passwd} 50% ŷ")
    '\\textbackslash{}input\\{/etc/passwd\\} 50\\% $\\hat{y}$'
    >>> escape_tex("Dvořák, Łódź, α ≈ 0.1, 東")
    "Dvo\\v{r}ák, \\L{}ód\\'{z}, $\\alpha$ $\\approx$ 0.1, [U+6771]"
    >>> escape_tex("x" * 31).count(r"\penalty50"), escape_tex("x" * 30).count(r"\penalty50")
    (30, 0)
    """
    text = unicodedata.normalize("NFC", str(text))
    return "".join(_word(word, "") for word in _words(text))


def breakable_tex(text) -> str:
    r"""Like :func:`escape_tex`, but a line may break after any character (long answers in narrow columns);
    an empty discretionary costs a penalty, so lines still break at spaces where they can.

    >>> breakable_tex("a_b")
    'a\\discretionary{}{}{}\\_\\discretionary{}{}{}b'
    """
    text = unicodedata.normalize("NFC", str(text))
    return r"\discretionary{}{}{}".join(_word(word, r"\discretionary{}{}{}") for word in _words(text))


def shortened(text, limit: int) -> str:
    """``text`` cut to ``limit`` characters (a letter with its accents counts as one), "…" the last, where it is
    longer: for a box TeX cannot break, a heading or a line of the title.

    >>> shortened("ws23_backprop.toml", 30), shortened("x" * 200, 8)
    ('ws23_backprop.toml', 'xxxxxxx…')
    """
    text = unicodedata.normalize("NFC", str(text))
    clusters = _CLUSTER.findall(text)
    return text if len(clusters) <= limit else "".join(clusters[: limit - 1]) + "…"


def heading_tex(text, limit: int = HEADING_LIMIT) -> str:
    r"""Like :func:`escape_tex`, for a heading: TeX keeps a heading's lines on one page, so a text from a file
    (an exercise's id) longer than ``limit`` characters is cut, with "…" where it was, rather than overfill it.

    >>> heading_tex("3b"), heading_tex("x" * 200, 8)
    ('3b', 'xxxxxxx\\dots{}')
    """
    return escape_tex(shortened(text, limit))


def _words(text: str) -> list[list[str]]:
    """The text's characters (each with its combining marks), in runs of spaces and runs of anything else."""
    clusters = _CLUSTER.findall(text)
    return [list(run) for _, run in itertools.groupby(clusters, key=lambda cluster: cluster[0].isspace())]


def _word(clusters: list[str], joint: str) -> str:
    """One word (or run of spaces) as LaTeX, its characters joined by ``joint``, or where the word is longer than
    :data:`LONG_WORD` by a ragged break."""
    long = len(clusters) > LONG_WORD and not clusters[0].isspace()
    return (_WORD_BREAK if long else joint).join(_cluster(cluster) for cluster in clusters)
