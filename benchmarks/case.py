"""What a benchmark case is: a name, a shape, and one builder per implementation.

A builder takes a dtype name ("float32" or "float64") and returns a
zero-argument callable doing the timed work once; everything that is not the
work (data, layers, the output gradient) is made in the builder. Both
implementations build their data from the same seed, so they see the same numbers.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

SEED = 0


@dataclass
class Case:
    name: str                     # short id used on the command line, e.g. "S1"
    shape: str                    # what the table shows in the shape column
    builders: dict[str, Callable]  # implementation name -> builder(dtype) -> callable
    floors: dict[str, float] = field(default_factory=dict)  # dtype -> max ratio (lecture_nn / torch)
    dtypes: tuple[str, ...] = ("float32", "float64")
    repeats: int | None = None    # overrides the run's repeat count (slow cases)
    slow_impls: tuple[str, ...] = ()  # timed call by call with no warm-up (seconds per call)
    description: str = ""
