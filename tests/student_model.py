"""What the checker's tests share to model a student: σ in mpmath, and a value written down to n figures."""

from __future__ import annotations

import mpmath


def sigmoid(z):
    return 1 / (1 + mpmath.exp(-z))


def rounded_to(figures):
    """What a student writes: the value rounded to ``figures`` significant figures (None: every digit)."""
    if figures is None:
        return lambda value: mpmath.mpf(value)
    return lambda value: mpmath.mpf(mpmath.nstr(mpmath.mpf(value), figures)) if value != 0 else mpmath.mpf(0)
