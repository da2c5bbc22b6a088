"""The checks behind a graded assignment's tests (shipped with every assignment that
``tools/assignments.py`` builds, next to the student notebook and in the autograder).

Every test of a build-it exercise is one line in the student's notebook::

    print(assignment_checks.verdict("lecture_nn.lessons.start.exercises", "exercise_1",
                                    my_sigmoid, seed=1, part="values"))

and passes when it prints ``correct``. The verdict is the exercise's own checker (the one that
``exercise_1.check(my_sigmoid)`` runs in the lesson notebook), run on the inputs that a fixed seed
draws instead of fresh ones, so a grade never depends on chance. On failure it prints what the
checker says: "not attempted yet", the mistake it recognises, the exception the function raised, or
that it calls the package's own version.

Only NumPy and ``lecture_nn`` are needed, so the same file runs the public tests on a student's
machine and every test in the autograder.
"""
from __future__ import annotations

import dataclasses
import importlib

import numpy as np

from lecture_nn.lessons.checking import BuildExercise

PARTS = ("form", "values")
CORRECT = "correct"
NOT_ATTEMPTED = "not attempted yet"
# "form" compares shapes but not numbers: the same checker with a tolerance no finite difference
# exceeds (atol, not rtol: inf × 0 would be NaN).
_ANY_NUMBERS = {"rtol": 0.0, "atol": float(np.finfo(np.float64).max)}


def build_exercise(module: str, name: str) -> BuildExercise:
    """The build-it exercise ``name`` of the lesson module ``module`` (an importable name).

    Raises
    ------
    ValueError
        When the module has no build-it exercise of that name.
    """
    found = getattr(importlib.import_module(module), name, None)
    if not isinstance(found, BuildExercise):
        raise ValueError(f"exercise: expected the name of a build-it exercise of {module}, "
                         f"got {name!r} ({type(found).__name__})")
    return found


def verdict(module: str, name: str, function, *, seed: int, part: str) -> str:
    """What the checker of build-it exercise ``name`` says of ``function`` on the inputs of ``seed``.

    Parameters
    ----------
    module, name : str
        Where the exercise is defined: ``"lecture_nn.lessons.start.exercises"``, ``"exercise_1"``.
    function : callable
        The student's function (the stub of the notebook, filled in).
    seed : int
        Seeds the ``numpy.random.Generator`` from which the exercise draws its inputs (every shape
        it tries, each with fresh values).
    part : {"form", "values"}
        ``"form"``: the function runs on every input without calling the package's own version,
        changes no input, and returns arrays of numbers of the right shapes (its numbers are not
        compared). ``"values"``: all of that, and its numbers match the package's.

    Returns
    -------
    str
        ``"correct"``, ``"not attempted yet"``, or the checker's message saying what is wrong.
    """
    if part not in PARTS:
        raise ValueError(f"part: expected one of {PARTS}, got {part!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed: expected a non-negative integer, got {seed!r}")
    exercise = build_exercise(module, name)
    if part == "form":
        exercise = dataclasses.replace(exercise, **_ANY_NUMBERS)
    said = exercise.verdict(function, np.random.default_rng(int(seed)))
    if said is None:
        return NOT_ATTEMPTED
    return said or CORRECT
