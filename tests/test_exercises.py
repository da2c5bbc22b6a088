"""Every exercise follows one convention: not attempted / correct / not yet + a first hint; more
help (hint(2), solution()) only when asked; each worked solution passes its own checker, a
plausible mistake fails it, and no committed notebook output shows a solution or the answer."""
from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

import numpy as np
import pytest

from lecture_nn.lessons.checking import BuildExercise, Exercise, exercises_in

ROOT = Path(__file__).resolve().parents[1]
LESSONS = {   # lesson folder -> its notebook
    "start": "00_start_here", "feedforward": "01_feedforward", "backprop": "02_backpropagation", "training": "03_training",
    "dropout": "04_dropout", "convolution": "05_convolution", "convnets": "06_convnets",
    "residual": "07_residual",
}
EVERY = [(lesson, ex) for lesson in LESSONS
         for ex in exercises_in(importlib.import_module(f"lecture_nn.lessons.{lesson}.exercises"))]
EVERY_IDS = [f"{lesson}.{ex.name}" for lesson, ex in EVERY]
ALL = [(lesson, ex) for lesson, ex in EVERY if isinstance(ex, Exercise)]      # answer exercises
IDS = [f"{lesson}.{ex.name}" for lesson, ex in ALL]
BUILD = [(lesson, ex) for lesson, ex in EVERY if isinstance(ex, BuildExercise)]
BUILD_IDS = [f"{lesson}.{ex.name}" for lesson, ex in BUILD]


def as_args(ex: Exercise, answer) -> tuple:
    return tuple(answer) if ex.n_answers > 1 else (answer,)


def notebook_outputs(name: str) -> str:
    nb = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text())
    texts = []
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            texts.append("".join(out.get("text", "")))
            for mime, value in out.get("data", {}).items():
                if mime.startswith("text/"):
                    texts.append("".join(value))
    return "\n".join(texts)


def notebook_code(name: str) -> str:
    nb = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text())
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_lesson_has_exercises_named_in_order(lesson):
    found = exercises_in(importlib.import_module(f"lecture_nn.lessons.{lesson}.exercises"))
    assert found, f"{lesson}: no exercises"
    assert [ex.name for ex in found] == [f"exercise_{i}" for i in range(1, len(found) + 1)]


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_notebook_has_a_build_it_exercise(lesson):
    found = exercises_in(importlib.import_module(f"lecture_nn.lessons.{lesson}.exercises"))
    assert any(isinstance(ex, BuildExercise) for ex in found), \
        f"{LESSONS[lesson]} has no build-it exercise (a function the student writes)"


@pytest.mark.parametrize("lesson, ex", ALL, ids=IDS)
def test_unanswered_says_not_attempted_and_nothing_more(lesson, ex, capsys):
    assert ex.check() is None
    assert ex.check(*([None] * ex.n_answers)) is None
    out = capsys.readouterr().out
    assert out == f"{ex.label}: not attempted yet.\n" * 2


@pytest.mark.parametrize("lesson, ex", ALL, ids=IDS)
def test_worked_solution_passes_its_checker(lesson, ex, capsys):
    assert ex.check(*as_args(ex, ex.solution_answer())) is True
    assert capsys.readouterr().out == f"{ex.label}: correct.\n"


@pytest.mark.parametrize("lesson, ex", ALL, ids=IDS)
def test_mistake_fails_with_the_first_hint_only(lesson, ex, capsys):
    assert ex.check(*as_args(ex, ex.wrong_answer)) is False
    out = capsys.readouterr().out
    assert "not yet" in out and ex.hints[0] in out
    assert all(hint not in out for hint in ex.hints[1:])
    assert ex.worked_solution.strip()[:40] not in out


@pytest.mark.parametrize("lesson, ex", EVERY, ids=EVERY_IDS)
def test_help_comes_in_steps(lesson, ex, capsys):
    ex.hint(2)
    out = capsys.readouterr().out
    assert ex.hints[1] in out and ex.hints[0] not in out
    ex.solution()
    out = capsys.readouterr().out
    assert ex.worked_solution.strip()[:40] in out and ex.solution_code.strip() in out
    with pytest.raises(ValueError, match="from 1"):
        ex.hint(0)


def whole_numbers(value) -> list[int]:
    try:
        arr = np.asarray(value, dtype=float).ravel()
    except (TypeError, ValueError):
        return []
    return [int(v) for v in arr if float(v).is_integer() and abs(v) >= 100]


@pytest.mark.parametrize("lesson, ex", [pair for pair in ALL if pair[1].expected is not None],
                         ids=[i for i, pair in zip(IDS, ALL) if pair[1].expected is not None])
def test_first_hint_does_not_give_the_answer(lesson, ex):
    for number in whole_numbers(ex.expected()):
        assert not re.search(rf"(?<![\d.]){number}(?![\d.])", ex.hints[0]), (ex.name, number)


@pytest.mark.parametrize("lesson, ex", EVERY, ids=EVERY_IDS)
def test_notebook_poses_it_and_shows_no_solution(lesson, ex):
    name = LESSONS[lesson]
    assert re.search(rf"\b{ex.name}\.check\(", notebook_code(name)), f"{name} never calls {ex.name}.check"
    outputs = notebook_outputs(name)
    assert f"{ex.label}: not attempted yet." in outputs, f"{name}: commit {ex.name} unanswered"
    shown = [line.strip() for line in (ex.worked_solution + "\n" + ex.solution_code).splitlines()]
    for line in [line for line in shown if len(line) >= 20] + list(ex.hints[1:]):
        assert line not in outputs, f"{name}'s outputs show help for {ex.name}: {line!r}"
    if getattr(ex, "expected", None) is not None:
        for number in whole_numbers(ex.expected()):
            assert not re.search(rf"(?<![\d.,]){number}(?![\d.,])", outputs), \
                f"{name} prints {ex.name}'s answer {number} before the student works it out"


# --- answer exercises: ill-formed answers are "not yet", never a crash -------------------------

@pytest.mark.parametrize("lesson, ex", ALL, ids=IDS)
def test_ill_formed_answers_are_not_yet(lesson, ex, capsys):
    for bad in (True, float("nan"), "seven", np.full((3, 3), np.nan), [[1, 2], [3]]):
        assert ex.check(*([bad] * ex.n_answers)) is False, (ex.name, bad)
        out = capsys.readouterr().out
        assert "not yet" in out and "Traceback" not in out, out


# --- build-it exercises ----------------------------------------------------------------------

def stub_of(ex):
    def stub(*args):
        raise NotImplementedError("your code here")
    return stub


@pytest.mark.parametrize("lesson, ex", BUILD, ids=BUILD_IDS)
def test_build_it_worked_solution_is_correct_on_fresh_inputs(lesson, ex, capsys):
    for seed in range(3):
        assert ex.check(ex.solution_answer(), rng=np.random.default_rng(seed)) is True
        assert capsys.readouterr().out == f"{ex.label}: correct.\n"


@pytest.mark.parametrize("lesson, ex", BUILD, ids=BUILD_IDS)
def test_build_it_untouched_stub_is_not_attempted(lesson, ex, capsys):
    assert ex.check(stub_of(ex)) is None
    assert ex.check(None) is None
    assert capsys.readouterr().out == f"{ex.label}: not attempted yet.\n" * 2


@pytest.mark.parametrize("lesson, ex", BUILD, ids=BUILD_IDS)
def test_build_it_names_each_mistake(lesson, ex, capsys):
    names = [m.name for m in ex.mistakes]
    assert len(set(names)) == len(names) >= 3
    for mistake in ex.mistakes:
        assert ex.check(ex.mistake_function(mistake), rng=np.random.default_rng(1)) is False
        out = capsys.readouterr().out
        assert f"This looks like a {mistake.name}:" in out, (mistake.name, out)
        others = [m.name for m in ex.mistakes if m is not mistake]
        assert not any(f"like a {other}:" in out for other in others)
        assert ex.hints[0] in out and all(h not in out for h in ex.hints[1:])


@pytest.mark.parametrize("lesson, ex", BUILD, ids=BUILD_IDS)
def test_build_it_reports_an_exception_in_a_line_without_a_traceback(lesson, ex, capsys):
    source = f"def {ex.function_name}(*args):\n    scale = 2\n    raise ValueError('shapes do not match')\n"
    namespace = {}
    exec(compile(source, "<student cell>", "exec"), namespace)
    assert ex.check(namespace[ex.function_name]) is False
    out = capsys.readouterr().out
    assert "raised ValueError: shapes do not match at line 3" in out, out
    assert "Traceback" not in out and len(out.splitlines()) <= 3


@pytest.mark.parametrize("lesson, ex", BUILD, ids=BUILD_IDS)
def test_build_it_reports_a_wrong_shape(lesson, ex, capsys):
    right = ex.solution_answer()

    def one_row_too_many(*args):
        result = right(*args)
        if len(ex.outputs) == 1:
            return np.concatenate([np.atleast_1d(result), np.atleast_1d(result)[:1]])
        return (np.concatenate([np.atleast_1d(result[0]), np.atleast_1d(result[0])[:1]]),) + tuple(result[1:])

    assert ex.check(one_row_too_many) is False
    out = capsys.readouterr().out
    assert "should have shape" in out, out


@pytest.mark.parametrize("lesson, ex", BUILD, ids=BUILD_IDS)
def test_build_it_reports_nan(lesson, ex, capsys):
    right = ex.solution_answer()

    def with_nan(*args):
        result = right(*args)
        first = np.array(result if len(ex.outputs) == 1 else result[0], dtype=float)
        first.flat[0] = np.nan
        return first if len(ex.outputs) == 1 else (first,) + tuple(result[1:])

    assert ex.check(with_nan) is False
    assert "NaN" in capsys.readouterr().out


@pytest.mark.parametrize("lesson, ex", BUILD, ids=BUILD_IDS)
def test_build_it_refuses_delegation_to_the_package(lesson, ex, capsys):
    reference = ex.reference

    def delegating(*args):
        return reference(*args)

    assert ex.check(delegating) is False
    out = capsys.readouterr().out
    assert "the package's own version; write it with NumPy" in out, out
    # the package works again afterwards
    for args, _ in ex.make_inputs(np.random.default_rng(0)):
        reference(*args)


@pytest.mark.parametrize("lesson, ex", BUILD, ids=BUILD_IDS)
def test_build_it_never_crashes_on_odd_returns(lesson, ex, capsys):
    for returned in (None, "text", 3, (1, 2, 3, 4, 5), [[1, 2], [3]]):
        assert ex.check(lambda *args, value=returned: value) is False
        out = capsys.readouterr().out
        assert "not yet" in out and "Traceback" not in out
