"""symback: exact, step-by-step backpropagation for exercise sheets.

>>> import symback
>>> p = symback.load("problems/ws23_backprop.toml")       # doctest: +SKIP
>>> r = symback.backprop(p, x=[1, 3], y=2)                # doctest: +SKIP
>>> r.grad["a22"]                                         # doctest: +SKIP
12*E/(1 + E)**2

The names below are loaded on first use (PEP 562), so ``import symback`` (and the command line's ``--help``)
does not pay for SymPy, SymEngine, Jinja2 and the checker until a name that needs them is touched.
"""

from __future__ import annotations

import importlib

from .errors import ArgumentError, ParseError, ProblemError, SymbackError

# public name -> the module (relative to this package) that defines it
_LAZY = {
    "AnswerSheet": ".checker.answers_file",
    "load_answers": ".checker.answers_file",
    "build_checklist": ".checker.checklist",
    "check": ".checker.mark",
    "Report": ".checker.report",
    "Verdict": ".checker.report",
    "ExerciseResult": ".derive.exercise",
    "run_exercise": ".derive.exercise",
    "backprop": ".engine.backprop",
    "sgd": ".engine.backprop",
    "BackpropResult": ".engine.result",
    "CircuitResult": ".engine.result",
    "Tolerance": ".numbers.tolerance",
    "Limits": ".problem.limits",
    "load": ".problem.load",
    "loads": ".problem.load",
    "OptimizerRun": ".runs.optimize",
    "optimize": ".runs.optimize",
    "TrainingRun": ".runs.training",
    "TrainingStep": ".runs.training",
    "exact_first_step": ".runs.training",
    "train": ".runs.training",
}

__all__ = [
    "AnswerSheet",
    "ArgumentError",
    "BackpropResult",
    "CircuitResult",
    "ExerciseResult",
    "Limits",
    "OptimizerRun",
    "ParseError",
    "ProblemError",
    "Report",
    "SymbackError",
    "Tolerance",
    "TrainingRun",
    "TrainingStep",
    "Verdict",
    "backprop",
    "build_checklist",
    "check",
    "exact_first_step",
    "load",
    "load_answers",
    "loads",
    "optimize",
    "run_exercise",
    "sgd",
    "train",
]


def __getattr__(name: str):
    """A public name, imported from its module on first use and kept in the package's namespace.

    >>> import symback
    >>> symback.Tolerance.__module__
    'symback.numbers.tolerance'
    """
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
