"""The import path the README shows for running one exercise: ``from symback.exercises import run_exercise``.

The task registry itself lives in :mod:`symback.derive.exercise`; this module only keeps that path.
"""

from .derive.exercise import ExerciseResult, run_exercise

__all__ = ["ExerciseResult", "run_exercise"]
