"""Tidy the text of a student's answer into the safe parser's syntax, by plain string work only.

:func:`normalise` drops "$…$" and similar delimiters and a leading "≈", "~" or "=", keeps only the exact
part of "e/(1+e) ≈ 0.7311" (the text before the first "≈", "~" or "=", or in LaTeX, where "~" is a space,
"\\approx" or "\\sim"), turns a decimal comma into a point and spells out the unicode students type:
"−" and "–" (minus), "·", "⋅", "∙" and "×" (times), "÷", "⁄" and "∕" (divided by), "σ" (sigmoid), vulgar
fractions ("½" is "(1/2)"; a mixed number such as "1½" is refused as ambiguous), superscripts ("10⁻¹" is
"10^(-1)") and "√", which takes the next number, name (with its call, as in "√exp(1)") or bracketed group.
:func:`latex_to_plain` translates simple LaTeX, "{,}" as a decimal comma ("0{,}7311"), and writes out the
products LaTeX leaves implied where they are unambiguous: a number, a closing bracket or the constant e or π
before a name, a function, "\\frac", "\\sqrt" or an opening bracket ("8\\frac{e}{1+e}", "\\frac{12e}{(1+e)^2}").
Implied products that can be read two ways are refused with the two readings: "2e-1" inside a formula
(2·e − 1 or 2×10⁻¹), "a/bc" (a/(bc) or (a/b)·c), a mixed number "2\\frac{1}{2}", a number after a bracket.
Both work iteratively, on text whose length is bounded before anything grows, and every rejection is a
:class:`~symback.errors.ParseError` with a one-line reason.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from symback.errors import ParseError
from symback.numbers.parse import FUNCTIONS, MAX_NESTING, MAX_TEXT_LENGTH

_PREFIXES = ("\\approx", "≈", "~", "=")
# "exact ≈ decimal": the exact part is read; in LaTeX "~" is a space, and "\\sim" or "\\approx" the separator
_SEPARATOR = re.compile(r"≈|≃|~|=|\\(?:approx|simeq|sim)(?![A-Za-z])")
_LATEX_SEPARATOR = re.compile(r"≈|≃|=|\\(?:approx|simeq|sim)(?![A-Za-z])")
_DELIMITERS = (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]"))
_CHARACTERS = str.maketrans({"−": "-", "–": "-", "·": "*", "⋅": "*", "∙": "*", "×": "*",
                             "÷": "/", "⁄": "/", "∕": "/", "σ": " sigmoid "})
_DECIMAL_COMMA = re.compile(r"[0-9],[0-9]")
_LATEX_DECIMAL_COMMA = re.compile(r"([0-9])\s*\{\s*,\s*\}\s*(?=[0-9])")  # "0{,}7311", as German LaTeX writes it
_VULGAR_FRACTIONS = dict(item.split(":") for item in (
    "¼:1/4 ½:1/2 ¾:3/4 ⅐:1/7 ⅑:1/9 ⅒:1/10 ⅓:1/3 ⅔:2/3 ⅕:1/5 ⅖:2/5 ⅗:3/5 ⅘:4/5 ⅙:1/6 ⅚:5/6 "
    "⅛:1/8 ⅜:3/8 ⅝:5/8 ⅞:7/8 ↉:0/3").split())
_VULGAR = re.compile("[" + "".join(_VULGAR_FRACTIONS) + "]")
_MIXED_NUMBER = re.compile(r"[0-9]\s*[" + "".join(_VULGAR_FRACTIONS) + "]")
_SUPERSCRIPT = re.compile("[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+")
_SUPERSCRIPT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
# what √ applies to: a number, or a name and the call that may follow it ("(" starts a bracketed group)
_ROOT_ARGUMENT = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
                            r"|(?:[A-Za-z_][A-Za-z0-9_]*|π)(?P<call>\s*\()?")

# LaTeX tokens: \left( or \right) with their delimiter, a command, a brace, or a run of other text
_LATEX_TOKEN = re.compile(r"\\(?:left|right)\s*([()\[\]])|\\([A-Za-z]+|.?)|([{}])|([^\\{}]+)", re.DOTALL)
_LATEX_WORDS = {name: f" {name} " for name in ("exp", "ln", "log", "sin", "cos", "tan", "sinh", "cosh", "tanh",
                                                 "max", "min", "pi")}
_LATEX_WORDS |= {"arctan": " atan ", "sigma": " sigmoid ", "cdot": "*", "times": "*",
                 ",": " ", ";": " ", ":": " ", "!": " ", " ": " ", "quad": " ", "qquad": " "}
# commands taking brace groups: the text each group opens and closes with (\frac{A}{B} -> ((A)/(B)))
_LATEX_GROUPS = {"frac": ("(", (("(", ")/"), ("(", "))"))), "sqrt": (" sqrt", (("(", ")"),))}
_LATEX_GROUPS |= {"dfrac": _LATEX_GROUPS["frac"], "tfrac": _LATEX_GROUPS["frac"], "cfrac": _LATEX_GROUPS["frac"]}
_LATEX_GROUPS |= {name: ("", ((" ", " "),)) for name in ("mathrm", "operatorname", "text", "mathit")}

# "2\\frac{1}{2}": the mixed number 2½, or the product 1?
_MIXED_LATEX = re.compile(r"(?<![0-9.^_])[0-9]+\s*\\[dtc]?frac\s*(?:\{\s*[0-9]+\s*\}|[0-9])\s*(?:\{\s*[0-9]+\s*\}|[0-9])")
# the translated text, token by token; "exponent" catches the number "2e-1" or "2e3" could also be
_PLAIN_TOKEN = re.compile(r"(?P<space>\s+)|(?P<number>(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?P<exponent>[eE][+-]?[0-9]+)?)"
                          r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*|π)|(?P<other>.)", re.DOTALL)


class Normalised(NamedTuple):
    text: str  # in the safe parser's syntax, or LaTeX still to be translated
    separator: str  # the "≈", "~" or "=" whose left side was kept, or ""
    spelled_out: bool  # whether unicode symbols were rewritten (so positions no longer match the original)
    latex: bool = False  # written as LaTeX (a command, a brace, or "$…$" around it): products may be implied


def normalise(text: str) -> Normalised:
    """Tidy what students copy from calculators and typeset notes: '≈ 0,731', '$\\frac{3}{8}$', '−2', '√2'.

    >>> normalise("e/(1+e) ≈ 0,7311")
    Normalised(text='e/(1+e)', separator='≈', spelled_out=False, latex=False)
    >>> normalise("2·√(1+e)⁻¹ + ½").text
    '2*sqrt(1+e)^(-1) + (1/2)'
    >>> normalise("$0{,}7311$")
    Normalised(text='0.7311', separator='', spelled_out=False, latex=True)
    """
    stripped = _strip_delimiters(text)
    typeset = stripped != text  # "$…$" around it: LaTeX
    text = _LATEX_DECIMAL_COMMA.sub(r"\1.", stripped)
    typeset = typeset or text != stripped  # "0{,}7311" too
    for prefix in _PREFIXES:
        if text.startswith(prefix):
            text = text[len(prefix) :].strip()
            break
    latex = "\\" in text
    separator, cut = "", (_LATEX_SEPARATOR if latex else _SEPARATOR).search(text)
    if cut and cut.start() > 0 and text[cut.end() :].strip():  # both sides written: read the left one
        exact_part = text[: cut.start()].strip()
        separator, text = cut.group(), _strip_delimiters(exact_part)
        typeset = typeset or text != exact_part
    if latex:
        text = text.replace("~", " ")
    translated = text.translate(_CHARACTERS)
    if translated.count(",") == 1 and "(" not in translated and _DECIMAL_COMMA.search(translated):  # "0,731"
        translated = translated.replace(",", ".")
    spelled = _spell_out(translated)
    if not spelled.strip():
        raise ParseError("empty")
    typeset = typeset or any(mark in spelled for mark in "\\{}")
    return Normalised(spelled.strip(), separator, spelled != translated or "σ" in text, typeset)


def _strip_delimiters(text: str) -> str:
    for opening, closing in _DELIMITERS:
        if len(text) >= len(opening) + len(closing) and text.startswith(opening) and text.endswith(closing):
            return text[len(opening) : -len(closing)].strip()
    return text


def _spell_out(text: str) -> str:
    """Vulgar fractions, superscripts and √ in the parser's syntax; each grows the text boundedly."""
    if _MIXED_NUMBER.search(text):
        raise ParseError("a mixed number such as 1½ is ambiguous: write 1+1/2 or 3/2")
    text = _VULGAR.sub(lambda match: f"({_VULGAR_FRACTIONS[match.group()]})", text)
    text = _SUPERSCRIPT.sub(lambda match: f"^({match.group().translate(_SUPERSCRIPT_DIGITS)})", text)
    if len(text) > MAX_TEXT_LENGTH:
        raise ParseError(f"text is too long once its symbols are spelled out (the limit is {MAX_TEXT_LENGTH})")
    if text.count("√") > MAX_NESTING:
        raise ParseError(f"too many √ (the limit is {MAX_NESTING})")
    root = text.rfind("√")
    while root >= 0:  # from the right, so a √ after this one is already spelled out: √√2 -> √sqrt(2)
        start = root + 1
        while start < len(text) and text[start].isspace():
            start += 1
        argument = _ROOT_ARGUMENT.match(text, start)
        if text.startswith("(", start):
            text = text[:root] + "sqrt" + text[start:]
        elif argument:
            end = _closing_bracket(text, argument.end() - 1) if argument["call"] else argument.end()
            text = f"{text[:root]}sqrt({text[start:end]}){text[end:]}"
        else:
            raise ParseError("√ must be followed by a number, a name or brackets, as in √2, √e or √(1+e)")
        root = text.rfind("√", 0, root)
    return text


def _closing_bracket(text: str, opening: int) -> int:
    """The index just after the ")" matching the "(" at ``opening``."""
    depth = 0
    for index in range(opening, len(text)):
        depth += {"(": 1, ")": -1}.get(text[index], 0)
        if depth == 0:
            return index + 1
    raise ParseError("missing ')'")


def latex_to_plain(latex: str) -> str:
    """Translate simple LaTeX into the safe parser's syntax, iteratively (no recursion on nesting).

    >>> latex_to_plain("\\\\frac{1}{1+e^{-1}}")
    '((1)/(1+e^(-1)))'
    >>> latex_to_plain("8\\\\frac{e}{1+e}")
    '8*((e)/(1+e))'
    """
    mixed = _MIXED_LATEX.search(latex)
    if mixed:
        raise ParseError(f"'{mixed.group()}' is ambiguous (a mixed number, or a product?): write it with '+' for "
                         f"the mixed number, or with \\cdot for the product")
    out: list[str] = []
    groups: list[tuple[str, list, str]] = []  # open braces: (closing text, awaited groups outside, command)
    awaited: list[tuple[str, str]] = []  # brace groups the last command still needs: (opening, closing)
    command = ""
    for token in _LATEX_TOKEN.finditer(latex):
        delimiter, name, brace, text = token.groups()
        if text is not None and awaited:  # \frac12 or \sqrt2: a single character is a whole argument
            text = text.lstrip()
            while awaited and text:
                if command == "sqrt" and text[0] == "[":
                    raise ParseError("only square roots are supported: write x^(1/n) for \\sqrt[n]{x}")
                if not text[0].isalnum():
                    raise ParseError(f"write the arguments of \\{command} in braces {{…}}")
                opening, closing = awaited.pop(0)
                out.append(opening + text[0] + closing)
                text = text[1:].lstrip()
            out.append(text)
        elif awaited and brace != "{" and (text is None or text.strip()):
            raise ParseError(f"write the arguments of \\{command} in braces {{…}}")
        elif text is not None:
            out.append(text)
        elif brace == "{":
            opening, closing = awaited.pop(0) if awaited else ("(", ")")
            groups.append((closing, awaited, command))
            out.append(opening)
            awaited = []
        elif brace == "}":
            if not groups:
                raise ParseError("unmatched '}'")
            closing, awaited, command = groups.pop()
            out.append(closing)
        elif delimiter is not None:
            out.append("(" if delimiter in "([" else ")")
        elif name in _LATEX_WORDS:
            out.append(_LATEX_WORDS[name])
        elif name in _LATEX_GROUPS:
            opening, awaited = _LATEX_GROUPS[name][0], list(_LATEX_GROUPS[name][1])
            out.append(opening)
            command = name
        elif name in ("left", "right"):
            raise ParseError(f"only \\{name}( and \\{name}[ style delimiters are supported, as parentheses")
        else:
            raise ParseError(f"unknown LaTeX command \\{name}")
    if awaited:
        raise ParseError(f"\\{command} is missing its arguments in braces {{…}}")
    if groups:
        raise ParseError("missing '}'")
    return implied_products("".join(out))


def implied_products(plain: str) -> str:
    """Write out the products LaTeX leaves implied, where they can be read only one way (see the module docstring).

    >>> implied_products("-((4e)/(1+e))"), implied_products("2 sqrt(e)(1+e)"), implied_products("e^2e")
    ('-((4*e)/(1+e))', '2 *sqrt(e)*(1+e)', 'e^2*e')
    >>> try:
    ...     implied_products("1/2e")
    ... except ParseError as error:
    ...     print(error.reason.split(":")[0])
    a product right after '/' is ambiguous (is all of it under the fraction bar?)
    """
    out: list[str] = []
    divided = [False]  # per open bracket: a '/' came last among '*', '/', ',' and binary '+', '-'
    last = ""  # the kind of the last token that was not a space: "operand", "function" or the character
    for token in _PLAIN_TOKEN.finditer(plain):
        kind = token.lastgroup if token.lastgroup != "exponent" else "number"
        text = token.group()
        if kind == "space":
            out.append(text)
            continue
        starts_operand = kind in ("number", "name") or text == "("
        if starts_operand and last == "operand":
            if kind == "number":
                raise ParseError("a number right after another value (a number, a bracket or a power) is "
                                 "ambiguous: write \\cdot or an operator between them")
            if divided[-1]:
                raise ParseError("a product right after '/' is ambiguous (is all of it under the fraction bar?): "
                                 "write \\frac{…}{…}, or \\cdot between its factors")
            out.append("*")
        if token["exponent"]:
            raise ParseError(f"'{text}' inside a formula is ambiguous (a product with e, or a power of ten?): "
                             f"write \\cdot before e, or \\times 10^{{…}}")
        out.append(text)
        if text == "(":
            divided.append(False)
        elif text == ")" and len(divided) > 1:
            divided.pop()
        elif kind == "other" and (text in "*/," or (text in "+-" and last == "operand")):
            divided[-1] = text == "/"
        if kind == "name" and text in FUNCTIONS:
            last = "function"
        elif kind in ("number", "name") or text == ")":
            last = "operand"
        else:
            last = text
    return "".join(out)
