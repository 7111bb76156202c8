"""symback: exact, step-by-step backpropagation for exercise sheets.

>>> import symback
>>> p = symback.load("problems/ws23_backprop.toml")       # doctest: +SKIP
>>> r = symback.backprop(p, x=[1, 3], y=2)                # doctest: +SKIP
>>> r.grad["a22"]                                         # doctest: +SKIP
12*E/(1 + E)**2
"""

from .answers_file import AnswerSheet, load_answers
from .api import BackpropResult, backprop, sgd
from .checker import check
from .checklist import build_checklist
from .circuit_api import CircuitResult
from .errors import ArgumentError, ParseError, ProblemError, SymbackError
from .exercises import ExerciseResult, run_exercise
from .optimize_run import OptimizerRun, optimize
from .problem_file import load, loads
from .report import Report, Verdict
from .tolerance import Tolerance
from .training import TrainingRun, TrainingStep, exact_first_step, train

__all__ = [
    "AnswerSheet",
    "ArgumentError",
    "BackpropResult",
    "CircuitResult",
    "ExerciseResult",
    "OptimizerRun",
    "ParseError",
    "ProblemError",
    "SymbackError",
    "TrainingRun",
    "TrainingStep",
    "Report",
    "Tolerance",
    "Verdict",
    "backprop",
    "build_checklist",
    "check",
    "load",
    "load_answers",
    "loads",
    "optimize",
    "run_exercise",
    "sgd",
    "train",
]
