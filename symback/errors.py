"""One exception hierarchy for symback; only the CLI turns these into a line and an exit code."""

from __future__ import annotations

import re

QUOTED_SHOWN = 60  # characters of a quoted text from a file that an error line shows (a key, a name, a value)
# a quote that opens or closes a text stands beside no letter (an apostrophe, as in "sheet's", stands between two)
_QUOTED = re.compile("|".join(rf"(?<!\w){q}(?:[^{q}\\\n]|\\.){{{QUOTED_SHOWN + 1},}}{q}(?!\w)" for q in "'\""))


def shorten_quoted(message: str) -> str:
    """``message`` with each quoted text longer than QUOTED_SHOWN characters cut in the middle, saying its length:
    a key or value of 20,000 characters from a file must not make the error line that names it unreadable.

    >>> shorten_quoted("unknown key '" + "z+" * 100 + "z' (expected one of: kind)")
    "unknown key 'z+z+z+z+z+z+z+z+z+z+z+z+z+z+z+z+z+z+z+z+z+z+z...+z+z+z+z' (201 characters) (expected one of: kind)"
    """
    def cut(match: re.Match) -> str:
        quote, inner = match.group()[0], match.group()[1:-1]
        return f"{quote}{inner[:QUOTED_SHOWN - 15]}...{inner[-8:]}{quote} ({len(inner)} characters)"

    return _QUOTED.sub(cut, message)


class SymbackError(Exception):
    """Base class of every error symback raises on purpose; a long quoted text in its message is shortened.

    >>> str(SymbackError("something is off"))
    'something is off'
    """

    def __init__(self, message: object = "", *rest: object):
        super().__init__(shorten_quoted(str(message)), *rest)


class ParseError(SymbackError):
    """A number or expression string that the safe parser rejects.

    ``position`` is the 0-based character offset where reading stopped, if known.

    >>> str(ParseError("unknown name 'os'", text="os", position=0))
    "unknown name 'os' (in 'os' at character 1)"
    """

    def __init__(self, message: str, *, text: str | None = None, position: int | None = None):
        self.reason = message
        self.text = text
        self.position = position
        super().__init__(self._describe())

    def _describe(self) -> str:
        if self.text is None:
            return self.reason
        shown = self.text if len(self.text) <= 60 else self.text[:57] + "..."
        where = f" at character {self.position + 1}" if self.position is not None else ""
        return f"{self.reason} (in {shown!r}{where})"


class ProblemError(SymbackError):
    """Something wrong in a problem file: which file, which key, what is wrong.

    >>> str(ProblemError("loss.kind", "unknown loss 'l3'", source="p.toml"))
    "p.toml: loss.kind: unknown loss 'l3'"
    """

    def __init__(self, key: str, message: str, *, source: str | None = None):
        self.key = key
        self.message = message
        self.source = source
        super().__init__(self._describe())

    def _describe(self) -> str:
        parts = [p for p in (self.source, self.key) if p]
        return ": ".join(parts + [self.message])

    def with_source(self, source: str) -> "ProblemError":
        """Return the same error naming ``source`` as the file it came from."""
        return ProblemError(self.key, self.message, source=source)


class ArgumentError(SymbackError):
    """A bad argument to the Python API or the command line (not a problem-file error)."""


class NumericError(SymbackError):
    """A decimal pass that cannot be computed (an overflow, a logarithm of 0); ``located`` once it names its
    file and exercise."""

    located = False

    def in_exercise(self, source: str | None, exercise_id: str) -> "NumericError":
        """The same error naming the file and the exercise it happened in, as a line of the CLI does.

        >>> str(NumericError("overflow").in_exercise("p.toml", "2"))
        'p.toml: exercises[id=2]: overflow'
        """
        where = ": ".join(part for part in (source, f"exercises[id={exercise_id}]") if part)
        located = NumericError(f"{where}: {self}")
        located.located = True
        return located


class DeadlineExceeded(BaseException):
    """The command line's deadline passed (``--deadline``): the command gives up, removing what it was writing.

    A BaseException, as KeyboardInterrupt is, so that no ``except Exception`` on the way out (SymPy's own, or a
    fallback of ours) takes it for an ordinary failure and goes on working. Only the command line arms a deadline;
    the library never raises this by itself.

    >>> str(DeadlineExceeded(300, "p.toml"))
    'p.toml: gave up after 300 s (the deadline; raise it with --deadline SECONDS, or 0 for none)'
    """

    def __init__(self, seconds: float, source: str | None = None):
        self.seconds, self.source = seconds, source
        where = f"{source}: " if source else ""
        super().__init__(f"{where}gave up after {seconds:g} s (the deadline; raise it with --deadline SECONDS, "
                         "or 0 for none)")


class SectionOverrun(BaseException):
    """A section of a sheet (an exercise, an appendix section) or an exercise's checklist took longer than the
    command line gives one: it is left out, with one sentence saying so, and the rest goes on. A BaseException for
    the reason :class:`DeadlineExceeded` is one; raised only through a guard the command line passes in.

    >>> str(SectionOverrun("exercise 3", 60))
    'exercise 3 was left out: its work took longer than the 60 s a section may take (--deadline SECONDS sets it: a fifth of the deadline)'
    """

    def __init__(self, section: str, seconds: float):
        self.section, self.seconds = section, seconds
        super().__init__(f"{section} was left out: its work took longer than the {seconds:g} s a section may take "
                         "(--deadline SECONDS sets it: a fifth of the deadline)")
