"""The feedback sheet's sentences in the notation of the solution sheet: names typeset as the sheet names them
(:func:`symback.render.sheet.notation_for`: h^{(1)}_{1} and h^{(2)}_{1} where layers are numbered), formulas as
mathematics (no ``*`` or ``**``), σ′ in the taught form h(1 − h), and the answers file's keys inside words
(a hint's "this is h1_2 itself") set as the same names.

Each sentence is a :class:`~symback.derive.prose.Prose` whose formulas are finished LaTeX; the templates escape
its words for Markdown or LaTeX (the ``prose`` filter).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from decimal import Decimal

from ..derive.prose import Math, Prose
from ..errors import ProblemError
from ..numbers.text import decimal_text
from ..problem.activations import make_activation
from ..problem.model import ActivationSpec
from ..render.author_text import problem_names
from ..render.notation import Notation
from ..render.sheet import notation_for
from .readable import readable
from .report import WRONG_WORKING, Report, Verdict

_FUNCTION_FORM = re.compile(r"^([a-z_]+)('?)\(([A-Za-z][\w\[\]:]*)\)$")  # σ(z1_2), σ'(z1_2): an activation's rule
_FORMULA_TEXT = re.compile(r"[\s\d.,+−·×/()\[\]=<>αβμρλε₁₂]*")  # text between names that is a formula: a − α·g
_FORMULA_LATEX = str.maketrans({"−": "-", "·": r" \cdot ", "×": r" \times ", "α": r"\alpha ", "β": r"\beta ",
                                "μ": r"\mu ", "ρ": r"\rho ", "λ": r"\lambda ", "ε": r"\epsilon ", "₁": "_{1}",
                                "₂": "_{2}"})
_NOT_NAMES = frozenset("aeiAI")  # one-letter words and Euler's number: never read as a quantity's name
_QUOTED = re.compile(r"((?<!\w)'[^']*'(?!\w))")  # a quotation, kept whole by re.split


@functools.lru_cache(maxsize=32)
def function_latex(name: str) -> str:
    r"""An activation's name in LaTeX, as the sheet writes it.

    >>> function_latex("sigmoid"), function_latex("relu"), function_latex("no_such")
    ('\\sigma', '\\operatorname{ReLU}', '\\operatorname{no\\_such}')
    """
    try:
        return make_activation(ActivationSpec(name)).latex
    except ProblemError:  # not a built-in activation: its name as an operator
        return r"\operatorname{" + name.replace("_", r"\_") + "}"


def math_cell(latex: str) -> Math:
    """A formula for a sentence; a ``|`` (which would end a Markdown table's cell) as ``\\vert``."""
    return Math((latex.replace("|", r"\vert "),))


@dataclass(frozen=True)
class Typesetter:
    """Sets the sentences of ``report`` in ``notation``, its problem's. The names it looks for in words are
    found on first use (most sheets have no words to search: a report that is all right)."""

    notation: Notation
    report: Report

    @functools.cached_property
    def known(self) -> tuple[str, ...]:
        """Every key of the report's verdicts, every name their rules read and every name of the problem,
        longest first (a11 before a1), but for one-letter words and Euler's number."""
        report = self.report
        names = {verdict.key for verdict in report.verdicts} | set(problem_names(report.problem))
        for verdict in report.verdicts:
            if verdict.item.rule is not None:
                names |= {symbol.name for symbol in verdict.item.rule.free_symbols}
        usable = (n for n in names if n not in _NOT_NAMES and re.fullmatch(r"[A-Za-z][\w\[\]:/']*", n))
        return tuple(sorted(usable, key=lambda n: (-len(n), n)))

    @functools.cached_property
    def names(self) -> re.Pattern | None:
        return _pattern(self.known)

    @functools.cached_property
    def long_names(self) -> re.Pattern | None:
        """:attr:`known` of two characters and more (a one-letter name could be a word of a sentence)."""
        return _pattern([n for n in self.known if len(n) > 1])

    def name(self, key: str) -> Math:
        return math_cell(self.notation.latex_name(key))

    def words(self, text: str, letters: bool = False) -> Prose:
        """``text`` with every name in it (and ∂L/∂ of one) set as mathematics, the rest made readable; a
        one-letter name only where the whole text is a formula (``[z > q2]``) or with ``letters`` (a text of the
        program's own that names keys, such as the headline), never in a hint's words.

        >>> import symback
        >>> t = typesetter(symback.check(symback.load("problems/ws23_backprop.toml"), {}))
        >>> [str(part) for part in t.words("this is h1_2 itself; θ - 2*α·∂L/∂a22")]
        ['this is ', 'h_{2}', ' itself; θ − 2·α·', '\\\\frac{\\\\partial L}{\\\\partial a_{22}}']
        >>> [str(part) for part in t.words("(ŷ - y)², not y")], [str(part) for part in t.words("a11 - y")]
        (['(ŷ − y)², not y'], ['a_{11} - y'])
        >>> [str(part) for part in t.words("a22 in 'a22*-1' - 1")]
        ['a_{22}', ' in ', "'a22*-1'", ' − 1']
        """
        parts = self._split(text, self.names)
        if any(isinstance(part, Math) for part in parts) and all(
                isinstance(part, Math) or _FORMULA_TEXT.fullmatch(part) for part in parts):
            return Prose((math_cell("".join(part.items[0] if isinstance(part, Math) else
                                            part.translate(_FORMULA_LATEX) for part in parts)),))
        return Prose(self._split(text, self.names if letters else self.long_names))

    def _split(self, text: str, names: re.Pattern | None) -> tuple:
        """Names set, the rest made readable; a quotation ('h1_2*2', what a student wrote) stays as it is."""
        pieces = _QUOTED.split(text)
        if len(pieces) > 1:
            return tuple(part for k, piece in enumerate(pieces) if piece
                         for part in ((piece,) if k % 2 else self._split(piece, names)))
        if names is None:
            return (readable(text),)
        parts, start = [], 0
        for found in names.finditer(text):
            prefix, key = found.groups()
            if found.start() > start:
                parts.append(readable(text[start:found.start()]))
            parts.append(math_cell(self.notation.partial("L", key)) if prefix else self.name(key))
            start = found.end()
        if start < len(text):
            parts.append(readable(text[start:]))
        return tuple(parts)

    def rule(self, verdict: Verdict) -> Prose:
        r"""``key = rule`` as the sheet writes it: the rule as a person writes it where there is one (σ′(z₂),
        words for a run's mean gradient), else the formula; then every other rule a student may follow
        (σ′(z₂) = h₂(1 − h₂)), as :attr:`~symback.checker.items.record.Item.rule_text` lists them.

        >>> import symback
        >>> report = symback.check(symback.load("problems/ws23_backprop.toml"), {"4": {"dh1_2/dz1_2": "1"}})
        >>> t = typesetter(report)
        >>> str(t.rule(next(v for v in report.verdicts if v.key == "dh1_2/dz1_2")))
        "\\frac{\\partial h_{2}}{\\partial z_{2}} = \\sigma'(z_{2}) = h_{2} \\left(1 - h_{2}\\right)"
        """
        notation, item = self.notation, verdict.item
        forms: list[str | Prose] = []
        shown = _FUNCTION_FORM.match(item.shown_rule)
        if shown:
            function, prime, argument = shown.groups()
            forms.append(f"{function_latex(function)}{prime}({notation.latex_name(argument)})")
        elif item.shown_rule and item.kind != "forward":  # words, or a rule written out ([w > max(x, y)])
            words = self.words(item.shown_rule)
            formula = len(words) == 1 and isinstance(words[0], Math)
            forms.append(words[0].items[0] if formula else words)
        else:
            forms.append(notation.latex(item.rule))
        forms += [notation.latex(rule.expression) for rule in item.alternatives]
        parts: list = []
        latex = notation.latex_name(item.key)
        for form in dict.fromkeys(forms):
            if isinstance(form, str):
                latex += f" = {form}"
                continue
            parts += [math_cell(latex + " ="), " ", *form]
            latex = ""
        return Prose(tuple(parts + ([math_cell(latex)] if latex else [])))

    def explanation(self, verdict: Verdict, digits: int, right: str) -> Prose:
        """What :meth:`~symback.checker.report.Verdict.explanation` says of a wrong answer, set as mathematics
        (``right``: the right value as LaTeX)."""
        parts: list = [f"you wrote {verdict.answer}"]
        if verdict.item.rule is not None:
            parts += ["; from your own values, "] if verdict.own_differs(digits) else ["; "]
            parts += [*self.rule(verdict), " gives ",
                      math_cell(decimal_text(Decimal(verdict.own_shown(digits))) if verdict.own_differs(digits) else right)]
        if verdict.item.rule is None or verdict.own_differs(digits):
            parts += ["; right: ", math_cell(right)]
        if verdict.reason:
            parts += [" (hint: ", *self.words(verdict.reason), ")"]
        return Prose(tuple(parts))

    def note(self, verdict: Verdict, digits: int) -> Prose:
        """The note of a table's row (the row shows the answer, the rule and the right value)."""
        if verdict.status == "carried forward":
            exercise, key = verdict.carried_from
            return Prose(("follows from your ", self.name(key), f" (exercise {exercise}), which is wrong"))
        if verdict.status == "wrong":
            parts: list = []
            if verdict.own_differs(digits):
                parts += ["your own values give ", math_cell(decimal_text(Decimal(verdict.own_shown(digits))))]
            if verdict.reason:
                parts += ["; " if parts else "", "hint: ", *self.words(verdict.reason)]
            return Prose(tuple(parts))
        if verdict.status == WRONG_WORKING:
            parts = ["right, but not from your own values"]
            if verdict.own is not None:
                parts += [", which give ", math_cell(decimal_text(Decimal(verdict.own_shown(digits))))]
            parts += ["; credited" if verdict.credited else "; not credited"]
            if verdict.reason:
                parts += ["; hint: ", *self.words(verdict.reason)]
            return Prose(tuple(parts))
        if verdict.status == "unreadable":
            return Prose(("could not read it: ", *self.words(verdict.reason)))
        return Prose(())

    def headline(self, report: Report, right: str) -> Prose:
        """The report's first line (:attr:`~symback.checker.report.Report.headline`) set as mathematics;
        ``right`` is the first wrong step's right value as LaTeX."""
        wrong = report.first_wrong
        if wrong is None:
            return self.words(report.headline, letters=True)
        return Prose((f"First wrong step: exercise {wrong.exercise}, ", self.name(wrong.key), ": ",
                      *self.explanation(wrong, report.problem.digits, right)))


def typesetter(report: Report) -> Typesetter:
    """The typesetter of ``report``'s sentences, in the notation of its problem's solution sheet."""
    return Typesetter(notation_for(report.problem), report)


def _pattern(names) -> re.Pattern | None:
    """Any of ``names`` (longest first) as a whole word, ∂L/∂ before it or not; None without names."""
    if not names:
        return None
    return re.compile(r"(?<![\w∂/:'])(∂L/∂)?(" + "|".join(map(re.escape, names)) + r")(?![\w\[(])")
