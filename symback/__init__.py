"""symback: exact, step-by-step backpropagation for exercise sheets.

>>> import symback
>>> p = symback.load("problems/ws23_backprop.toml")       # doctest: +SKIP
>>> r = symback.backprop(p, x=[1, 3], y=2)                # doctest: +SKIP
>>> r.grad["a22"]                                         # doctest: +SKIP
12*E/(1 + E)**2
"""

from .checker.answers_file import AnswerSheet, load_answers
from .checker.checklist import build_checklist
from .checker.mark import check
from .checker.report import Report, Verdict
from .derive.exercise import ExerciseResult, run_exercise
from .engine.backprop import backprop, sgd
from .engine.result import BackpropResult, CircuitResult
from .errors import ArgumentError, ParseError, ProblemError, SymbackError
from .numbers.tolerance import Tolerance
from .problem.load import load, loads
from .runs.optimize import OptimizerRun, optimize
from .runs.training import TrainingRun, TrainingStep, exact_first_step, train

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
