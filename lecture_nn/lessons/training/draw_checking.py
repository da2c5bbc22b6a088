"""A build-it checker for functions that draw random numbers (notebook 03's initialiser).

:class:`~lecture_nn.lessons.checking.BuildExercise` compares the student's arrays with the
package's number by number. A random initialiser cannot be checked that way: ``rng.normal(0, s,
(n_in, n_out))`` and ``s * rng.standard_normal((n_out, n_in)).T`` are both right and share no
entry. :class:`RandomDrawExercise` keeps everything else of ``BuildExercise`` (the messages, the
delegation check, the named mistakes, the tests of ``tests/test_exercises.py``) and compares
*statistics* of many draws instead:

* the shape, exactly;
* the generator decides the draws: the same generator state gives the same numbers, two
  different generators give different numbers;
* no two units share their weights (columns of W are not copies of each other);
* the mean and the variance of about :attr:`RandomDrawExercise.draws` entries, pooled over calls
  with fresh generators, against those of the package's version.

Every statistic is scaled to be of order 1 (the mean in units of the package's standard
deviation, the variance as a ratio to the package's; the generator and copy checks as 0/1 flags
or fractions), and two values agree when they differ by at most ``atol + rtol`` (``rtol`` times
the larger value when that is above 1). With 20,000 entries the sampling error of the variance is about 1 %, so the
default ``rtol = 0.15`` never fails a right answer and catches every mistake that changes the
variance by a sixth or more. A named :class:`~lecture_nn.lessons.checking.Mistake` is recognised
when its own code gives the same shapes and statistics as the student's on every input.

The last argument of every call is the ``numpy.random.Generator`` the function must draw from.
"""
from __future__ import annotations

import contextlib
import copy
import io
import math
from dataclasses import dataclass

import numpy as np

from lecture_nn.lessons.checking import BuildExercise, as_numbers, capitalised, DelegatedToPackage, describe_value

STATISTICS = ("same_bits", "repeats", "copies", "mean", "variance")
"""The statistics compared, in the order their messages are tried."""


class _NotAttempted(Exception):
    """The student's function still raises NotImplementedError."""


@dataclass
class _Draws:
    """What one function drew for one input: the shape of its result and its statistics."""

    shape: tuple
    stats: dict


@dataclass
class RandomDrawExercise(BuildExercise):
    """A :class:`BuildExercise` for a function that returns random draws; compared by statistics.

    ``make_inputs(rng)`` returns ``[(args, description), …]`` whose last argument is a
    ``numpy.random.Generator``; ``reference(*args)`` is the package's version. ``rtol`` and
    ``atol`` are the tolerance on the scaled statistics (see the module's docstring); ``draws``
    is how many numbers are pooled for the mean and the variance of each input.
    """

    draws: int = 20_000
    rtol: float = 0.15
    atol: float = 0.0

    # -- checking ---------------------------------------------------------------------------
    def verdict(self, function, rng: np.random.Generator) -> str | None:
        """What :meth:`check` would say, without printing: None (not attempted), "" (correct) or
        what is wrong, for inputs drawn from ``rng``."""
        said, cases = self._first_checks(function, rng)
        if cases is None:
            return said
        theirs, ours = [], []
        for args, description in cases:
            ours.append(self._draws(self.reference, args))
            try:
                with self._running_students_code(function):
                    drawn = self._draws(function, args, description, scale=ours[-1])
            except _NotAttempted:
                return None
            if isinstance(drawn, str):
                return drawn
            theirs.append(drawn)
        problems = [self._problem(t, o, args, description)
                    for t, o, (args, description) in zip(theirs, ours, cases)]
        if not any(problems):
            return ""
        mistake = self._matching_draws_mistake(theirs, ours, cases)
        if mistake is not None:
            return f"This looks like a {mistake.name}: {mistake.explanation}"
        return next(p for p in problems if p)

    def _call(self, function, args, description):
        """One call of ``function``: its result as a float array, or what is wrong as a message."""
        try:
            result = function(*args)
        except NotImplementedError:
            raise _NotAttempted from None
        except DelegatedToPackage as err:
            return self.delegation_message([err.what])
        except Exception as err:            # the student's error, reported in one or two lines
            return self._raised_message(function, err, description)
        arr = as_numbers(result)
        if arr is None:
            what = (f"an array of {result.dtype}" if isinstance(result, np.ndarray)
                    else describe_value(result, 40))
            return f"Your result should be an array of numbers; your function returned {what}."
        return arr

    def _draws(self, function, args, description="", scale: _Draws | None = None):
        """Call ``function`` on ``args`` and on copies of them with fresh generators; its statistics.

        ``scale``: the reference's draws, whose standard deviation scales the statistics (the
        reference's own are scaled by themselves)."""
        generator = args[-1]
        first = self._call(function, copy.deepcopy(args), description)
        if isinstance(first, str):
            return first
        if not np.all(np.isfinite(first)):
            return f"Your result contains NaN or infinity (for {description})."
        n_calls = max(2, math.ceil(self.draws / max(first.size, 1)))
        seeds = copy.deepcopy(generator).integers(0, 2 ** 63, size=n_calls)
        pooled = []
        with contextlib.redirect_stdout(io.StringIO()):   # a print in the function: once is enough
            again = self._call(function, copy.deepcopy(args), description)
            if isinstance(again, str):
                return again
            for seed in seeds:
                drawn = self._call(function, (*args[:-1], np.random.default_rng(seed)), description)
                if isinstance(drawn, str):
                    return drawn
                if drawn.shape != first.shape or not np.all(np.isfinite(drawn)):
                    return (f"Your function returned arrays of shape {first.shape} and {drawn.shape}, "
                            f"or NaN, for the same input ({description}) with other generators.")
                pooled.append(drawn)
        values = np.concatenate([p.ravel() for p in pooled])
        mean, variance = float(values.mean()), float(values.var())
        std = math.sqrt(scale.stats["_variance"]) if scale is not None else math.sqrt(variance)
        std = std if std > 0 else 1.0
        same_state_differs = first.shape != again.shape or not np.allclose(first, again, rtol=1e-9, atol=0)
        stats = {"same_bits": float(same_state_differs),
                 "repeats": float(np.mean(pooled[0] == pooled[1])),
                 "copies": _copied_columns(first),
                 "mean": mean / std,
                 "variance": variance / std ** 2,
                 "_variance": variance}
        return _Draws(first.shape, stats)

    def _agree(self, a: float, b: float) -> bool:
        """Two scaled statistics agree: within ``atol + rtol`` (relative to the larger when above 1)."""
        return abs(a - b) <= self.atol + self.rtol * max(1.0, abs(a), abs(b))

    def _problem(self, theirs: _Draws, ours: _Draws, args, description) -> str:
        """What is wrong with the student's draws for one input ("" when nothing)."""
        if theirs.shape != ours.shape:
            return (f"Your result should have shape {ours.shape} for {description}; "
                    f"yours has shape {theirs.shape}.")
        for name in STATISTICS:
            if not self._agree(theirs.stats[name], ours.stats[name]):
                return _MESSAGES[name](theirs.stats[name], description)
        return ""

    def _matching_draws_mistake(self, theirs, ours, cases):
        for mistake in self.mistakes:
            try:
                function = self.mistake_function(mistake)
                with np.errstate(all="ignore"):
                    drawn = [self._draws(function, args, description, scale=o)
                             for o, (args, description) in zip(ours, cases)]
            except Exception:               # pragma: no cover - a mistake that does not apply here
                continue
            if all(isinstance(d, _Draws) and d.shape == t.shape
                   and all(self._agree(d.stats[n], t.stats[n]) for n in STATISTICS)
                   for d, t in zip(drawn, theirs)):
                return mistake
        return None


def _copied_columns(W: np.ndarray) -> float:
    """Fraction of the columns 2, 3, … of a matrix that equal its first column (0 for one column)."""
    if W.ndim != 2 or W.shape[1] < 2:
        return 0.0
    return float(np.mean(np.all(W[:, 1:] == W[:, :1], axis=0)))


_MESSAGES = {
    "same_bits": lambda value, where: (
        f"Called twice with the same generator state, your function returned different numbers "
        f"(for {where}): draw them from the `rng` passed in, so that a seed reproduces them."),
    "repeats": lambda value, where: (
        f"Called with two different generators, your function returned the same numbers "
        f"(for {where}): draw them from the `rng` passed in, not from a generator of your own."),
    "copies": lambda value, where: (
        f"{capitalised(f'{value:.0%}')} of the columns of your result equal its first column "
        f"(for {where}): every unit needs weights of its own."),
    "mean": lambda value, where: (
        f"The mean of your numbers is {value:+.2g} standard deviations, not 0 (for {where}); "
        f"they should be centred on 0."),
    "variance": lambda value, where: (
        f"The variance of your numbers is {value:.2g} times what it should be (for {where})."),
}
