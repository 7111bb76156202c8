"""The one way a result reaches up to rendering: Jupyter's display methods and :meth:`TrainingRun.svg`.

Results live below the renderers (an exercise's steps in :mod:`symback.derive`, a training run in
:mod:`symback.runs`, a checker's report in :mod:`symback.checker`), and imports go one way, upwards never. So a
result that is asked to show itself calls :func:`present`, which finds the module that renders its type by name
in :data:`PRESENTERS` and imports it only then. Each presenter module has a function
``present(value, form, **options)``. This is the only import by name in symback; everything else imports
downwards, as the layering test (tests/test_layering.py) checks.
"""

from __future__ import annotations

import importlib
from types import MappingProxyType

PRESENTERS = MappingProxyType({
    "ExerciseResult": "symback.render.environment",  # forms "md" and "tex": one exercise's worked solution
    "TrainingRun": "symback.render.training_plot",  # form "svg": the loss per step
    "Report": "symback.checker.feedback",  # forms "md" and "tex": the feedback sheet
})
"""A result's class name -> the module that presents it."""


def present(value, form: str, **options) -> str:
    """``value`` shown in ``form`` ("md", "tex", "svg") by the presenter of its type.

    >>> import symback
    >>> result = symback.run_exercise(symback.load("problems/ws23_backprop.toml"), "4")
    >>> present(result, "md").lstrip().startswith("## Exercise 4")
    True
    """
    module = importlib.import_module(PRESENTERS[type(value).__name__])
    return module.present(value, form, **options)
