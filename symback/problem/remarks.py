"""A remark for the conventions box: plain text (for terminals, answers and hints) that also knows how it is set
with mathematics (``$…$`` segments of LaTeX, for the sheets).

Only the program's own remarks carry LaTeX; text from a problem file never does (a sheet escapes it whole).
"""

from __future__ import annotations


class Remark(str):
    r"""Plain text with its LaTeX form: ``latex`` is text with ``$…$`` mathematics.

    >>> r = Remark("tanh'(z) = 1 − tanh²(z)", r"$\tanh'(z) = 1 - \tanh^2(z)$")
    >>> r == "tanh'(z) = 1 − tanh²(z)", r.latex
    (True, "$\\tanh'(z) = 1 - \\tanh^2(z)$")
    """

    latex: str

    def __new__(cls, text: str, latex: str):
        remark = super().__new__(cls, text)
        remark.latex = latex
        return remark

    def __reduce__(self):
        return Remark, (str(self), self.latex)
