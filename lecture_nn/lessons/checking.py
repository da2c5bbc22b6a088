"""Exercises that help only when asked: ``check(answer)``, ``hint(n)``, ``solution()``.

One convention in every notebook (after Kaggle Learn's checkers)::

    my_answer = None                # replace None with your answer
    exercise_1.check(my_answer)     # "not attempted yet" / "correct" / "not yet" and a first hint
    exercise_1.hint(2)              # a second, stronger hint, only when you ask
    exercise_1.solution()           # the worked solution, only when you ask

A first hint points the way without giving the answer away; the worked solution shows the
reasoning and the code that computes the answer (the tests run that code through ``check``).

**Build-it exercises** (:class:`BuildExercise`) ask for a function instead of a number, as CS231n's
assignments do: the notebook holds a stub whose body raises ``NotImplementedError``, the student
fills it in, and ``check(my_function)`` runs it on fresh random inputs of several shapes, with the
package's own version switched off, and compares each returned array with the package's::

    def maxpool_forward(x, k):
        # shapes in the notes' names: x (n, C, H, W) → (n, C, H // k, W // k)
        raise NotImplementedError("your code here")

    exercise_1.check(maxpool_forward)   # "not attempted yet" / "correct" / "not yet" + what is wrong

"Not yet" says what is wrong in a line or two: the shape expected and the shape returned, the
name of a common mistake when the numbers match it (a transposed gradient, a missing f′(z) …),
NaN in the result, the exception the function raised with the line that raised it, or how far
each returned array is from the package's (exact / close / max difference).
"""
from __future__ import annotations

import copy
import linecache
import sys
import types
import warnings
from contextlib import contextmanager
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


def describe_value(value, limit: int = 60) -> str:
    """A one-line description of what came: arrays by dtype and shape, anything else by its repr."""
    if isinstance(value, np.ndarray):
        return f"an array of dtype {value.dtype} and shape {value.shape}"
    text = " ".join(repr(value).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def as_numbers(value) -> np.ndarray | None:
    """``value`` as a float array, or None when it is not numbers (booleans are not numbers here)."""
    if isinstance(value, (bool, np.bool_, str, bytes)) or value is None:
        return None
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):
        return None
    if arr.dtype.kind not in "iuf":
        return None
    return arr.astype(float)


def _same_numbers(answer, expected, rtol: float, atol: float) -> tuple[bool, str]:
    """Whether ``answer`` equals ``expected`` (numbers or arrays); if not because of its form, why."""
    expected = np.asarray(expected, dtype=float)
    given = as_numbers(answer)
    if given is None:
        what = "a number" if expected.shape == () else "an array of numbers"
        return False, f"expected {what}, got {describe_value(answer)}."
    if given.shape != expected.shape:
        what = "a single number" if expected.shape == () else f"an array of shape {expected.shape}"
        return False, f"expected {what}, got shape {given.shape}."
    if not np.all(np.isfinite(given)):
        return False, "your answer contains NaN or infinity."
    return bool(np.allclose(given, expected, rtol=rtol, atol=atol)), ""


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
            try:
                ok, why = bool(self.judge(*answer)), ""
            except (TypeError, ValueError) as err:    # an ill-formed answer is "not yet", not a crash
                ok, why = False, f"{err}."
        else:
            ok, why = _same_numbers(answer[0], self.expected(), self.rtol, self.atol)
        if ok:
            print(f"{self.label}: correct.")
        else:
            print(f"{self.label}: not yet. {capitalised(why) + ' ' if why else ''}Hint: {self.hints[0]}\n{self._help}")
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




# --- build-it exercises ------------------------------------------------------------------------

@dataclass(frozen=True)
class Mistake:
    """A common mistake that a build-it checker recognises by its numbers.

    Parameters
    ----------
    name : str
        Its short name, as the checker says it: ``"transposed gradient"``.
    explanation : str
        One sentence: what the numbers show and what to look at, without giving the code away.
    code : str
        The function written with this mistake, as a student would write it (same name and
        signature as the stub). The checker runs it on the same inputs and compares; the tests
        check that it gets this mistake's message.
    """

    name: str
    explanation: str
    code: str


class DelegatedToPackage(BaseException):
    """Raised by a switched-off package object; a BaseException so ``except Exception`` cannot hide it."""

    def __init__(self, what: str):
        super().__init__(what)
        self.what = what


def _define(code: str, function_name: str) -> Callable:
    namespace: dict = {}
    exec(code, namespace)       # our own solution and mistake code, as shown to the student
    return namespace[function_name]


def _code_objects(code: types.CodeType):
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


@dataclass
class BuildExercise:
    """A build-it exercise: the student writes a function; :meth:`check` runs it against the package.

    Parameters
    ----------
    name, title, hints, worked_solution : as for :class:`Exercise`
    function_name : str
        The name of the stub in the notebook (``"maxpool_forward"``).
    solution_code : str
        Defines the function ``function_name``: the worked solution shown by :meth:`solution`
        and passed through :meth:`check` by the tests.
    make_inputs : callable
        ``make_inputs(rng) -> [(args, description), …]``: fresh arguments for several calls
        (a batch of one, non-square sizes, odd sizes …) and a few words on each
        (``"x of shape (1, 3, 5, 7)"``), drawn from the ``numpy.random.Generator`` given.
    reference : callable
        ``reference(*args)`` → the right result, computed by the package.
    outputs : tuple of str
        Names of the returned arrays: one name for a function returning one array, several
        for one returning a tuple (``("dx", "dW", "db")``).
    mistakes : tuple of Mistake
        At least three common mistakes, each recognised by its numbers.
    forbidden : tuple
        Package classes and functions that do the work for the student: they are switched off
        while the student's function runs, and a function that calls one gets "not yet: your
        function calls ``MaxPool2D``; write it with NumPy".
    rtol, atol : float
        Tolerance of "close" (the arrays are compared one by one).
    """

    name: str
    title: str
    function_name: str
    hints: tuple[str, ...]
    worked_solution: str
    solution_code: str
    make_inputs: Callable[[np.random.Generator], list]
    reference: Callable[..., Any]
    outputs: tuple[str, ...] = ("result",)
    mistakes: tuple[Mistake, ...] = ()
    forbidden: tuple = ()
    rtol: float = 1e-6
    atol: float = 1e-9
    _help: str = field(init=False, repr=False, default="")

    def __post_init__(self):
        if len(self.hints) < 2:
            raise ValueError(f"{self.name}: expected at least 2 hints, got {len(self.hints)}")
        if len(self.mistakes) < 3:
            raise ValueError(f"{self.name}: a build-it exercise names at least 3 common mistakes, "
                             f"got {len(self.mistakes)}")
        if not self.forbidden:
            raise ValueError(f"{self.name}: name the package objects the student must not call")
        self._help = f"More help: {self.name}.hint(2), then {self.name}.solution()."

    label = Exercise.label
    hint = Exercise.hint
    solution = Exercise.solution

    def solution_markdown(self) -> str:
        """The worked solution: the reasoning, then the function."""
        return Exercise.solution_markdown(self)

    def solution_answer(self) -> Callable:
        """The function defined by ``solution_code`` (what the tests pass to :meth:`check`)."""
        return _define(self.solution_code, self.function_name)

    def mistake_function(self, mistake: Mistake) -> Callable:
        return _define(mistake.code, self.function_name)

    # -- checking ---------------------------------------------------------------------------
    def check(self, function=None, rng=None) -> bool | None:
        """Run ``function`` on fresh inputs against the package and print the verdict.

        Prints "not attempted yet" (``None`` or the untouched stub), "correct", or "not yet" with
        what is wrong and the first hint. Returns True / False (None when not attempted).
        Never raises because of what the function does.
        """
        if rng is None:
            rng = np.random.default_rng()      # fresh inputs on every call: no answer to hard-code
        verdict = self.verdict(function, rng)
        if verdict is None:
            print(f"{self.label}: not attempted yet.")
            return None
        if verdict == "":
            print(f"{self.label}: correct.")
            return True
        print(f"{self.label}: not yet. {verdict}\nHint: {self.hints[0]}\n{self._help}")
        return False

    def verdict(self, function, rng: np.random.Generator) -> str | None:
        """What :meth:`check` would say, without printing: None (not attempted), "" (correct) or
        what is wrong, for inputs drawn from ``rng`` (the graded assignments use fixed seeds)."""
        said, cases = self._first_checks(function, rng)
        if cases is None:
            return said
        for args, description in cases:
            expected = self._as_tuple(self.reference(*copy.deepcopy(args)))
            given_args = copy.deepcopy(args)
            try:
                with self._running_students_code(function):
                    result = function(*given_args)
            except NotImplementedError:
                return None
            except DelegatedToPackage as err:
                return self.delegation_message([err.what])
            except Exception as err:         # the student's error, reported in one or two lines
                return self._raised_message(function, err, description)
            problem = self._compare(function, args, given_args, result, expected, description)
            if problem:
                return problem
        return ""

    def _first_checks(self, function, rng):
        """What is known before ``function`` runs: ``(verdict, None)`` when that settles it (not
        attempted, not a function, calls the package), else ``("", cases)`` with the inputs to run."""
        if function is None:
            return None, None
        if not callable(function):
            return (f"Pass your function itself, `{self.name}.check({self.function_name})`; "
                    f"got {describe_value(function)}."), None
        called = self._forbidden_names_in(function)
        if called:
            return self.delegation_message(called), None
        try:
            return "", self.make_inputs(rng)
        except Exception as err:            # pragma: no cover - our own inputs; a bug to report
            return f"The checker could not make its inputs ({type(err).__name__}: {err}).", None

    @contextmanager
    def _running_students_code(self, function):
        """The package's own versions switched off, and the student's warnings (overflow in exp …),
        which would reach the notebook as stderr, silenced."""
        with self._package_switched_off(function), warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            yield

    def _as_tuple(self, result):
        return result if len(self.outputs) > 1 else (result,)

    def _compare(self, function, args, given_args, result, expected, description) -> str:
        n = len(self.outputs)
        if n > 1:
            if not isinstance(result, (tuple, list)) or len(result) != n:
                got = (f"{len(result)} values" if isinstance(result, (tuple, list))
                       else describe_value(result, 40))
                return (f"Your function should return {n} arrays, ({', '.join(self.outputs)}); "
                        f"it returned {got}.")
        results = self._as_tuple(result)
        arrays = []
        for out_name, value, want in zip(self.outputs, results, expected):
            arr = as_numbers(value)
            what = self._output_words(out_name)
            if arr is None:
                return f"{capitalised(what)} should be an array of numbers; your function returned {describe_value(value, 40)}."
            if arr.shape == np.shape(want) and not np.all(np.isfinite(arr)):
                return f"{capitalised(what)} contains NaN or infinity (for {description})."
            arrays.append(arr)
        wrong = [i for i, (arr, want) in enumerate(zip(arrays, expected))
                 if arr.shape != np.shape(want) or not np.allclose(arr, want, rtol=self.rtol, atol=self.atol)]
        if not wrong:
            for original, given in zip(args, given_args):
                if isinstance(original, np.ndarray) and isinstance(given, np.ndarray) \
                        and original.shape == given.shape and not np.array_equal(original, given):
                    return ("Your function changed an input array in place; compute the result in a "
                            "new array (e.g. `np.zeros_like`, `x.copy()`).")
            return ""
        mistake = self._matching_mistake(args, arrays, wrong)
        if mistake is not None:
            return f"This looks like a {mistake.name}: {mistake.explanation}"
        for i in wrong:
            if arrays[i].shape != np.shape(expected[i]):
                return (f"{capitalised(self._output_words(self.outputs[i]))} should have shape {np.shape(expected[i])} "
                        f"for {description}; yours has shape {arrays[i].shape}.")
        return f"For {description}, " + self._differences(arrays, expected) + "."

    def _output_words(self, out_name: str) -> str:
        return "your result" if len(self.outputs) == 1 else f"`{out_name}`"

    def _differences(self, arrays, expected) -> str:
        """One entry per array, as Karpathy's backprop ninja prints them: exact / close / max difference."""
        parts = []
        for out_name, arr, want in zip(self.outputs, arrays, expected):
            want = np.asarray(want, dtype=float)
            if arr.shape != want.shape:
                verdict = f"shape {arr.shape}, expected {want.shape}"
            elif np.array_equal(arr, want):
                verdict = "exact"
            elif np.allclose(arr, want, rtol=self.rtol, atol=self.atol):
                verdict = "close"
            else:
                verdict = f"max difference {np.max(np.abs(arr - want)):.3g}"
            parts.append(verdict if len(self.outputs) == 1 else f"{out_name} {verdict}")
        text = "; ".join(parts)
        return ("your numbers differ from the package's: " + text) if len(self.outputs) == 1 else \
            "compared with the package's arrays: " + text

    def _matching_mistake(self, args, arrays, wrong) -> Mistake | None:
        for mistake in self.mistakes:
            try:
                with np.errstate(all="ignore"):
                    theirs = self._as_tuple(self.mistake_function(mistake)(*copy.deepcopy(args)))
                if all(arrays[i].shape == np.shape(theirs[i])
                       and np.allclose(arrays[i], theirs[i], rtol=self.rtol, atol=self.atol)
                       for i in wrong):
                    return mistake
            except Exception:               # pragma: no cover - a mistake that does not apply here
                continue
        return None

    def _raised_message(self, function, err, description) -> str:
        where = ""
        codes = set(_code_objects(function.__code__)) if hasattr(function, "__code__") else set()
        tb, frame_line = err.__traceback__, None
        while tb is not None:
            if tb.tb_frame.f_code in codes:
                frame_line = (tb.tb_frame.f_code.co_filename, tb.tb_lineno)
            tb = tb.tb_next
        if frame_line is not None:
            filename, lineno = frame_line
            line = linecache.getline(filename, lineno).strip()
            relative = lineno - function.__code__.co_firstlineno + 1
            where = f" at line {relative} of `{function.__name__}`" + (f": `{line}`" if line else "")
        message = str(err).splitlines()[0] if str(err) else ""
        message = message if len(message) <= 160 else message[:159] + "…"
        return f"Your function raised {type(err).__name__}: {message}{where} (for {description})."

    # -- delegation -------------------------------------------------------------------------
    def _forbidden_names_in(self, function) -> list[str]:
        """Names of forbidden package objects that the function's code refers to."""
        code = getattr(function, "__code__", None)
        if code is None:
            return []
        namespace = getattr(function, "__globals__", {})
        closure = dict(zip(code.co_freevars, (c.cell_contents for c in function.__closure__ or ()
                                              if _cell_filled(c))))
        names = {name for c in _code_objects(code) for name in c.co_names + c.co_freevars}
        modules = [value for value in list(namespace.values()) + list(closure.values())
                   if isinstance(value, types.ModuleType)]
        found = []
        for name in sorted(names):
            candidates = [closure.get(name, namespace.get(name))]
            candidates += [getattr(module, name, None) for module in modules]
            for candidate in candidates:
                if candidate is not None and self.is_forbidden(candidate):
                    real = getattr(candidate, "__name__", name)
                    if real not in found:
                        found.append(real)
        return found

    def is_forbidden(self, obj) -> bool:
        """Whether ``obj`` does the work for the student (override to refuse more, e.g. SciPy's
        functions, found when the check runs)."""
        return any(obj is f for f in self.forbidden)

    def delegation_message(self, names) -> str:
        """What "not yet" says of a function that calls ``names`` (override to say whose they are)."""
        listed = ", ".join(f"`{n}`" for n in names)
        return f"Your function calls {listed}, the package's own version; write it with NumPy."

    @contextmanager
    def _package_switched_off(self, function):
        """Make every forbidden object raise while the student's function runs, then restore it."""
        restore = []

        def tripwire(what):
            def switched_off(*args, **kwargs):
                raise DelegatedToPackage(what)
            return switched_off

        try:
            for obj in self.forbidden:
                what = getattr(obj, "__name__", repr(obj))
                if isinstance(obj, type):
                    # inherited methods too: a forbidden Tanh must not run Activation.forward
                    for attr in ("__init__", "forward", "backward", "__call__"):
                        if getattr(obj, attr, None) is getattr(object, attr, None):
                            continue
                        restore.append((obj, attr, vars(obj).get(attr, _INHERITED)))
                        setattr(obj, attr, tripwire(what))
                else:
                    holders = [m for n, m in list(sys.modules.items())
                               if n.split(".")[0] == "lecture_nn" and m is not None]
                    holders.append(_Namespace(getattr(function, "__globals__", {})))
                    for holder in holders:
                        for attr, value in list(_vars_of(holder).items()):
                            if value is obj:
                                restore.append((holder, attr, value))
                                setattr(holder, attr, tripwire(what))
            yield
        finally:
            for holder, attr, value in reversed(restore):
                if value is _INHERITED:
                    delattr(holder, attr)
                else:
                    setattr(holder, attr, value)


_INHERITED = object()
"""Marks a method a forbidden class inherits: switching it off adds it to the class, restoring removes it."""


class _Namespace:
    """A dict (a notebook's globals) seen through getattr/setattr, for switching names off."""

    def __init__(self, mapping: dict):
        object.__setattr__(self, "_mapping", mapping)

    def __getattr__(self, attr):
        return self._mapping[attr]

    def __setattr__(self, attr, value):
        self._mapping[attr] = value


def _vars_of(holder):
    return holder._mapping if isinstance(holder, _Namespace) else vars(holder)


def _cell_filled(cell) -> bool:
    try:
        cell.cell_contents
    except ValueError:
        return False
    return True


def exercises_in(module) -> list:
    """The exercises defined in a lesson's ``exercises`` module (answer and build-it), in their order."""
    found = [value for value in vars(module).values() if isinstance(value, (Exercise, BuildExercise))]
    return sorted(found, key=lambda ex: int(ex.name.rsplit("_", 1)[-1]))
