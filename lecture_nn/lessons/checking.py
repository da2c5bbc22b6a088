"""Exercises that help only when asked: ``check(answer)``, ``hint(n)``, ``solution()``.

One convention in every notebook (after Kaggle Learn's checkers)::

    my_answer = None                # replace None with your answer
    exercise_1.check(my_answer)     # "not attempted yet" / "correct" / "not yet" and a first hint
    exercise_1.hint(2)              # a second, stronger hint, only when you ask
    exercise_1.solution()           # the worked solution, only when you ask

A first hint points the way without giving the answer away; the worked solution shows the
reasoning and the code that computes the answer (the tests run that code through ``check``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np


def _print_markdown(text: str) -> None:
    """Show ``text`` as Markdown in a notebook, as plain text elsewhere."""
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display
    except ImportError:                    # pragma: no cover - IPython is a dependency
        print(text)
        return
    if get_ipython() is None:
        print(text)
    else:
        display(Markdown(text))


def _same_numbers(answer, expected, rtol: float, atol: float) -> tuple[bool, str]:
    """Whether ``answer`` equals ``expected`` (numbers or arrays); if not because of its form, why."""
    expected = np.asarray(expected, dtype=float)
    try:
        given = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        return False, f"expected a number or an array of numbers, got {answer!r}."
    if given.shape != expected.shape:
        what = "a single number" if expected.shape == () else f"an array of shape {expected.shape}"
        return False, f"expected {what}, got shape {given.shape}."
    ok = bool(np.all(np.isfinite(given)) and np.allclose(given, expected, rtol=rtol, atol=atol))
    return ok, ""


@dataclass
class Exercise:
    """One exercise of a notebook.

    Parameters
    ----------
    name : str
        The variable the notebook binds it to (``"exercise_1"``); the help messages name it.
    title : str
        What is asked, in a few words (``"parameters without pooling"``).
    hints : sequence of str
        At least two, from gentle to strong; the first must not give the answer away.
    worked_solution : str
        The worked solution in Markdown: the reasoning, step by step.
    solution_code : str
        Python that computes the answer into a variable ``answer`` (a tuple of arguments when
        ``check`` takes several); shown after the reasoning and run by the tests.
    wrong_answer : object
        A plausible mistake (a tuple of arguments when ``check`` takes several), for the tests.
    n_answers : int
        How many arguments ``check`` takes (``check(W, b)``: 2).
    expected : callable, optional
        Returns the right answer; the student's is compared with it to ``rtol``/``atol``.
    judge : callable, optional
        For answers with many right forms: ``judge(*answer) -> bool``.  Give this or ``expected``.
    """

    name: str
    title: str
    hints: tuple[str, ...]
    worked_solution: str
    solution_code: str
    wrong_answer: Any
    expected: Callable[[], Any] | None = None
    judge: Callable[..., bool] | None = None
    n_answers: int = 1
    rtol: float = 1e-6
    atol: float = 1e-9
    _help: str = field(init=False, repr=False, default="")

    def __post_init__(self):
        if (self.expected is None) == (self.judge is None):
            raise ValueError(f"{self.name}: give exactly one of expected= and judge=")
        if len(self.hints) < 2:
            raise ValueError(f"{self.name}: expected at least 2 hints, got {len(self.hints)}")
        self._help = f"More help: {self.name}.hint(2), then {self.name}.solution()."

    @property
    def label(self) -> str:
        number = self.name.rsplit("_", 1)[-1]
        return f"Exercise {number} ({self.title})"

    def check(self, *answer) -> bool | None:
        """Print "not attempted yet", "correct", or "not yet" with the first hint; return True/False
        (None when not attempted)."""
        if not answer or all(part is None for part in answer):
            print(f"{self.label}: not attempted yet.")
            return None
        if len(answer) != self.n_answers:
            raise TypeError(f"{self.name}.check takes {self.n_answers} answer(s), got {len(answer)}")
        if self.judge is not None:
            ok, why = bool(self.judge(*answer)), ""
        else:
            ok, why = _same_numbers(answer[0], self.expected(), self.rtol, self.atol)
        if ok:
            print(f"{self.label}: correct.")
        else:
            print(f"{self.label}: not yet. {why + ' ' if why else ''}Hint: {self.hints[0]}\n{self._help}")
        return ok

    def hint(self, n: int = 1) -> None:
        """Print hint ``n`` (1 = the gentlest)."""
        n = int(n)
        if n < 1:
            raise ValueError(f"hints are numbered from 1, got {n}")
        if n > len(self.hints):
            print(f"{self.label} has {len(self.hints)} hints; {self.name}.solution() shows the worked solution.")
            return
        more = (f"\n(More: {self.name}.hint({n + 1}).)" if n < len(self.hints)
                else f"\n(Still stuck: {self.name}.solution().)")
        print(f"{self.label}, hint {n} of {len(self.hints)}: {self.hints[n - 1]}{more}")

    def solution_markdown(self) -> str:
        """The worked solution: the reasoning, then the code that computes the answer."""
        return f"**{self.label}: worked solution**\n\n{self.worked_solution.strip()}\n\n```python\n{self.solution_code.strip()}\n```\n"

    def solution(self) -> None:
        """Show the worked solution."""
        _print_markdown(self.solution_markdown())

    def solution_answer(self):
        """Run ``solution_code`` and return its ``answer`` (a tuple when ``check`` takes several)."""
        namespace: dict = {}
        exec(self.solution_code, namespace)       # the worked code, so the tests check what is shown
        return namespace["answer"]


def exercises_in(module) -> list[Exercise]:
    """The exercises defined in a lesson's ``exercises`` module, in their order."""
    found = [value for value in vars(module).values() if isinstance(value, Exercise)]
    return sorted(found, key=lambda ex: ex.name)
