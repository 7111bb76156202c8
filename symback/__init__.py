"""symback: exact, step-by-step backpropagation for exercise sheets.

>>> import symback
>>> p = symback.load("problems/ws23_backprop.toml")       # doctest: +SKIP
>>> r = symback.backprop(p, x=[1, 3], y=2)                # doctest: +SKIP
>>> r.grad["a22"]                                         # doctest: +SKIP
12*E/(1 + E)**2
"""

from .api import BackpropResult, backprop, sgd
from .errors import ArgumentError, ParseError, ProblemError, SymbackError
from .exercises import ExerciseResult, run_exercise
from .problem_file import load, loads

__all__ = [
    "ArgumentError",
    "BackpropResult",
    "ExerciseResult",
    "ParseError",
    "ProblemError",
    "SymbackError",
    "backprop",
    "load",
    "loads",
    "run_exercise",
    "sgd",
]
