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

from lecture_nn.lessons.checking import Exercise, exercises_in

ROOT = Path(__file__).resolve().parents[1]
LESSONS = {   # lesson folder -> its notebook
    "feedforward": "01_feedforward", "backprop": "02_backpropagation", "training": "03_training",
    "dropout": "04_dropout", "convolution": "05_convolution", "convnets": "06_convnets",
    "residual": "07_residual",
}
ALL = [(lesson, ex) for lesson in LESSONS
       for ex in exercises_in(importlib.import_module(f"lecture_nn.lessons.{lesson}.exercises"))]
IDS = [f"{lesson}.{ex.name}" for lesson, ex in ALL]


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
    assert len(found) >= 2, f"{lesson}: expected at least 2 exercises, got {len(found)}"
    assert [ex.name for ex in found] == [f"exercise_{i}" for i in range(1, len(found) + 1)]


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


@pytest.mark.parametrize("lesson, ex", ALL, ids=IDS)
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


@pytest.mark.parametrize("lesson, ex", ALL, ids=IDS)
def test_notebook_poses_it_and_shows_no_solution(lesson, ex):
    name = LESSONS[lesson]
    assert re.search(rf"\b{ex.name}\.check\(", notebook_code(name)), f"{name} never calls {ex.name}.check"
    outputs = notebook_outputs(name)
    assert f"{ex.label}: not attempted yet." in outputs, f"{name}: commit {ex.name} unanswered"
    shown = [line.strip() for line in (ex.worked_solution + "\n" + ex.solution_code).splitlines()]
    for line in [line for line in shown if len(line) >= 20] + list(ex.hints[1:]):
        assert line not in outputs, f"{name}'s outputs show help for {ex.name}: {line!r}"
    if ex.expected is not None:
        for number in whole_numbers(ex.expected()):
            assert not re.search(rf"(?<![\d.,]){number}(?![\d.,])", outputs), \
                f"{name} prints {ex.name}'s answer {number} before the student works it out"
