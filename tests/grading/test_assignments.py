"""Graded assignments (tools/assignments.py): built from a notebook's build-it exercises, they give the
worked solutions full marks, the untouched stubs zero, one named mistake partial credit and a function
that calls the package's own version zero; the student's notebook shows no solution and no hidden test.

Runs in .venv-grading (`make test-grading`), for the notebooks in GRADED_NOTEBOOKS (default 00).
"""
from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import pytest

import assignment_checks
import assignments
from lecture_nn.lessons.checking import BuildExercise

ROOT = Path(__file__).resolve().parents[2]
GRADED = os.environ.get("GRADED_NOTEBOOKS", "00_start_here").split()
NOTEBOOKS = {name: ROOT / "notebooks" / f"{name}.ipynb" for name in GRADED}


# --- the environment ------------------------------------------------------------------------------

def test_grading_env_has_the_notebooks_pins():
    pins = Path(sys.prefix, "from-requirements-lock.txt").read_text().split()
    lock = {line.split("==")[0].lower(): line for line in (ROOT / "requirements.lock").read_text().split()
            if "==" in line}
    assert len(pins) >= 10 and "numpy" in {p.split("==")[0] for p in pins}
    for pin in pins:
        name, version = pin.split("==")
        assert lock[name.lower()] == pin, f"{pin} differs from requirements.lock"
        assert importlib.metadata.version(name) == version, f"{name} installed ≠ {pin}"
    assert importlib.metadata.version("otter-grader") == "7.0.0"
    import lecture_nn
    assert Path(lecture_nn.__file__).resolve().parent == ROOT / "lecture_nn"


def test_the_notebooks_env_never_gets_otter():
    assert "otter" not in (ROOT / "requirements.lock").read_text().lower()
    venv_python = ROOT / ".venv" / "bin" / "python"
    if not venv_python.exists():
        pytest.skip(".venv is not set up here (make setup)")
    probe = subprocess.run([str(venv_python), "-c", "import importlib.util as u; print(u.find_spec('otter'))"],
                           capture_output=True, text=True, check=True)
    assert probe.stdout.strip() == "None"


# --- finding the exercises ------------------------------------------------------------------------

@pytest.mark.parametrize("name", GRADED)
def test_discover_finds_every_build_it_exercise_of_the_lesson(name):
    lesson = assignments.discover(NOTEBOOKS[name])
    module = __import__(lesson.module, fromlist=["_"])
    expected = [v.name for v in vars(module).values() if isinstance(v, BuildExercise)]
    assert sorted(p.exercise.name for p in lesson.posed) == sorted(expected) and expected
    cells = nbformat.read(NOTEBOOKS[name], as_version=4).cells
    for posed in lesson.posed:
        first, last = posed.stub_lines
        stub = "\n".join(cells[posed.stub_cell].source.splitlines()[first - 1:last])
        assert stub.startswith(f"def {posed.exercise.function_name}(") and "NotImplementedError" in stub
        assert f"{posed.exercise.name}.check({posed.exercise.function_name}" in cells[posed.check_cell].source
        assert all(cells[i].cell_type == "markdown" for i in posed.statement_cells)


@pytest.mark.parametrize("name", GRADED)
def test_student_cell_is_the_stub_cell_and_the_solution_is_gone(name):
    """otter's own stripping turns the question's cell back into the notebook's stub cell."""
    with warnings.catch_warnings():     # otter's dependencies (ipylab on traitlets) warn on import
        warnings.simplefilter("ignore", DeprecationWarning)
        from otter.assign.solutions import replace_solutions
    lesson = assignments.discover(NOTEBOOKS[name])
    cells = nbformat.read(NOTEBOOKS[name], as_version=4).cells
    for posed in lesson.posed:
        stub_source = cells[posed.stub_cell].source
        master = assignments.solution_cell_source(stub_source, posed.stub_lines, posed.exercise.solution_code)
        ast.parse(master)
        assert "\n".join(replace_solutions(master.splitlines(), "python")) == stub_source


def make_notebook(tmp_path, *sources) -> Path:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    path = tmp_path / "lesson.ipynb"
    nbformat.write(nb, path)
    return path


STUB = 'def my_sigmoid(z):\n    raise NotImplementedError("your code")'
IMPORT = "from lecture_nn.lessons.start.exercises import exercise_1"


@pytest.mark.parametrize("sources, match", [
    ((), "expected .* to import its exercises from one module"),
    ((IMPORT,), "no stub for exercise_1"),
    ((IMPORT, STUB), r"never calls `exercise_1.check\(my_sigmoid\)`"),
    ((IMPORT, "_ = exercise_1.check(my_sigmoid)", STUB), r"never calls `exercise_1.check\(my_sigmoid\)`"),
    ((IMPORT + "\nfrom lecture_nn.lessons.backprop.exercises import exercise_2", STUB),
     "from one module .*found lecture_nn.lessons.start.exercises, lecture_nn.lessons.backprop.exercises"),
])
def test_discover_refuses_a_notebook_that_does_not_pose_its_exercises(tmp_path, sources, match):
    with pytest.raises(ValueError, match=match):
        assignments.discover(make_notebook(tmp_path, *sources))


def test_discover_accepts_the_check_in_a_later_cell(tmp_path):
    lesson = assignments.discover(make_notebook(tmp_path, IMPORT, "import numpy as np\n" + STUB,
                                                "_ = exercise_1.check(my_sigmoid)"))
    (posed,) = lesson.posed
    assert (posed.stub_cell, posed.check_cell, posed.stub_lines) == (1, 2, (2, 3))


@pytest.mark.parametrize("path", ["notebooks/missing.ipynb", "README.md"])
def test_discover_refuses_what_is_not_a_notebook(path):
    with pytest.raises(ValueError, match="notebook: expected a notebook file"):
        assignments.discover(ROOT / path)


# --- the checks behind the tests ------------------------------------------------------------------

START = "lecture_nn.lessons.start.exercises"


def graded_exercises():
    return [(name, p.exercise) for name in GRADED for p in assignments.discover(NOTEBOOKS[name]).posed]


@pytest.mark.parametrize("name, ex", graded_exercises())
def test_verdicts_are_deterministic_and_tell_right_from_wrong(name, ex):
    module = assignments.discover(NOTEBOOKS[name]).module
    solution = ex.solution_answer()
    for seed in (assignments.PUBLIC_SEED, *assignments.HIDDEN_SEEDS):
        for part in assignment_checks.PARTS:
            assert assignment_checks.verdict(module, ex.name, solution, seed=seed, part=part) == "correct"
    for mistake in ex.mistakes:
        said = [assignment_checks.verdict(module, ex.name, ex.mistake_function(mistake), seed=seed, part="values")
                for seed in (assignments.PUBLIC_SEED, assignments.PUBLIC_SEED, *assignments.HIDDEN_SEEDS)]
        assert said[0] == said[1] != "correct", mistake.name


@pytest.mark.parametrize("name, ex", graded_exercises())
def test_hidden_tests_draw_inputs_the_public_ones_do_not(name, ex):
    def first_array(seed):
        args, _ = ex.make_inputs(np.random.default_rng(seed))[0]
        return np.asarray(args[0])
    public = first_array(assignments.PUBLIC_SEED)
    assert assignments.PUBLIC_SEED not in assignments.HIDDEN_SEEDS
    for seed in assignments.HIDDEN_SEEDS:
        assert not np.array_equal(first_array(seed), public)


def test_form_passes_right_shapes_with_wrong_numbers_and_values_does_not():
    def doubled(z):
        return 2 * np.asarray(z)

    def flattened(z):
        return np.ravel(z)

    def unattempted(z):
        raise NotImplementedError

    assert assignment_checks.verdict(START, "exercise_1", doubled, seed=1, part="form") == "correct"
    assert assignment_checks.verdict(START, "exercise_1", doubled, seed=1, part="values") != "correct"
    assert "shape" in assignment_checks.verdict(START, "exercise_1", flattened, seed=1, part="form")
    for part in assignment_checks.PARTS:
        assert assignment_checks.verdict(START, "exercise_1", unattempted, seed=1, part=part) == "not attempted yet"


@pytest.mark.parametrize("kwargs, match", [
    ({"seed": 1, "part": "shapes"}, r"part: expected one of \('form', 'values'\), got 'shapes'"),
    ({"seed": -1, "part": "form"}, "seed: expected a non-negative integer, got -1"),
    ({"seed": 1.5, "part": "form"}, "seed: expected a non-negative integer, got 1.5"),
    ({"seed": True, "part": "form"}, "seed: expected a non-negative integer, got True"),
])
def test_verdict_refuses_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        assignment_checks.verdict(START, "exercise_1", np.tanh, **kwargs)


@pytest.mark.parametrize("name", ["exercise_9", "sigmoid_inputs"])
def test_verdict_refuses_what_is_not_a_build_it_exercise(name):
    with pytest.raises(ValueError, match=f"exercise: expected the name of a build-it exercise of {START}, got '{name}'"):
        assignment_checks.verdict(START, name, np.tanh, seed=1, part="form")


def test_mistake_and_exercise_names_are_checked():
    ex = assignment_checks.build_exercise(START, "exercise_1")
    with pytest.raises(ValueError, match="mistake: expected one of .* for exercise_1, got 'typo'"):
        assignments.mistake_code(ex, "typo")


# --- building and grading (otter assign, otter run) ------------------------------------------------

@pytest.fixture(scope="module", params=GRADED)
def built(request, tmp_path_factory):
    out = tmp_path_factory.mktemp("assignments")
    notebook = NOTEBOOKS[request.param]
    folder = assignments.build(notebook, out)
    return notebook, out, folder, assignments.discover(notebook)


def test_student_notebook_has_stubs_public_tests_and_no_solution(built):
    notebook, out, folder, lesson = built
    student = nbformat.read(assignments.student_notebook(folder), as_version=4)
    lesson_cells = nbformat.read(notebook, as_version=4).cells
    code = "\n".join(c.source for c in student.cells if c.cell_type == "code")
    tests = student.metadata["otter"]["tests"]
    assert student.metadata["otter"]["assignment_name"] == lesson.name
    for posed in lesson.posed:
        ex = posed.exercise
        assert lesson_cells[posed.stub_cell].source in [c.source for c in student.cells]
        body = _function_body(ex.solution_code, ex.function_name)
        assert body not in code, f"{ex.name}: the worked solution shows in the student notebook"
        cases = tests[ex.name]["suites"][0]["cases"]
        assert cases and not any(case["hidden"] for case in cases)
        assert not any(f"seed={seed}," in case["code"] for case in cases for seed in assignments.HIDDEN_SEEDS)


def test_autograder_holds_the_hidden_tests_and_the_points(built):
    notebook, out, folder, lesson = built
    with zipfile.ZipFile(assignments.autograder_zip(folder)) as z:
        names = z.namelist()
        assert "files/assignment_checks.py" in names
        for posed in lesson.posed:
            text = z.read(f"tests/{posed.exercise.name}.py").decode()
            for seed in (assignments.PUBLIC_SEED, *assignments.HIDDEN_SEEDS):
                assert f"seed={seed}," in text
            points = [float(p) for p in re.findall(r"'points': ([0-9.]+)", text)]
            assert sum(points) == assignments.QUESTION_POINTS > 0


def _function_body(code: str, function_name: str) -> str:
    tree = ast.parse(code)
    node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == function_name)
    return "\n".join(code.splitlines()[node.body[0].lineno - 1:node.end_lineno])


def submit(built, tmp_path, codes):
    notebook, out, folder, lesson = built
    target = assignments.fill_in(notebook, assignments.student_notebook(folder), tmp_path / "submission.ipynb",
                                 codes)
    return assignments.grade(notebook, target, out)


def totals(questions):
    return sum(q.score for q in questions), sum(q.possible for q in questions)


def test_worked_solutions_get_full_marks(built, tmp_path):
    lesson = built[3]
    questions = submit(built, tmp_path, {p.exercise.name: assignments.solution_code(p.exercise)
                                         for p in lesson.posed})
    score, possible = totals(questions)
    assert [q.name for q in questions] == [p.exercise.name for p in lesson.posed]
    assert possible == assignments.QUESTION_POINTS * len(lesson.posed)
    assert score == possible


def test_untouched_stubs_get_zero(built):
    notebook, out, folder, lesson = built
    questions = assignments.grade(notebook, assignments.student_notebook(folder), out)
    score, possible = totals(questions)
    assert score == 0 < possible
    assert all(t.message == "not attempted yet" for q in questions for t in q.tests)


def test_one_named_mistake_gets_partial_credit(built, tmp_path):
    """The first exercise carries a mistake (one that keeps the shapes, if it has one); the others
    are solved."""
    notebook, out, folder, lesson = built
    first = lesson.posed[0].exercise
    module = lesson.module
    mistake = next((m for m in first.mistakes if assignment_checks.verdict(
        module, first.name, first.mistake_function(m), seed=assignments.PUBLIC_SEED, part="form") == "correct"),
        first.mistakes[0])
    codes = {p.exercise.name: assignments.solution_code(p.exercise) for p in lesson.posed[1:]}
    codes[first.name] = assignments.mistake_code(first, mistake.name)
    questions = submit(built, tmp_path, codes)
    score, possible = totals(questions)
    assert 0 < score < possible
    mistaken = questions[0]
    assert mistaken.score < mistaken.possible and all(q.score == q.possible for q in questions[1:])
    assert any(mistake.name in t.message for t in mistaken.tests)
    report = assignments.report(notebook, "mistake", questions)
    assert f"total: {score:g} / {possible:g}" in report and mistake.name in report


def test_calling_the_package_scores_nothing(built, tmp_path):
    lesson = built[3]
    first = lesson.posed[0].exercise
    codes = {p.exercise.name: assignments.solution_code(p.exercise) for p in lesson.posed[1:]}
    codes[first.name] = assignments.delegating_code(first)
    questions = submit(built, tmp_path, codes)
    assert questions[0].score == 0
    assert all("the package's own version" in t.message for t in questions[0].tests)


def test_a_notebook_of_another_assignment_is_refused(built):
    notebook, out, folder, lesson = built
    with pytest.raises(RuntimeError, match="otter run failed"):
        assignments.grade(notebook, notebook, out)       # the lesson notebook itself: no assignment name


@pytest.mark.parametrize("submission, match", [("missing.ipynb", "submission: expected a notebook"),
                                               ("README.md", "submission: expected a notebook")])
def test_grade_refuses_what_is_not_a_submission(built, submission, match):
    notebook, out, folder, lesson = built
    with pytest.raises(ValueError, match=match):
        assignments.grade(notebook, ROOT / submission, out)


def test_grade_needs_a_built_assignment(tmp_path):
    with pytest.raises(ValueError, match="assignment: expected one autograder zip .* build it first"):
        assignments.grade(NOTEBOOKS[GRADED[0]], NOTEBOOKS[GRADED[0]], tmp_path)


def test_fill_in_refuses_an_unknown_exercise(built, tmp_path):
    notebook, out, folder, lesson = built
    with pytest.raises(ValueError, match="exercise: expected one of .*, got 'exercise_99'"):
        assignments.fill_in(notebook, assignments.student_notebook(folder), tmp_path / "x.ipynb",
                            {"exercise_99": "pass"})


def test_command_line_grades_and_prints_the_report(built, tmp_path):
    notebook, out, folder, lesson = built
    tool = [sys.executable, str(ROOT / "tools" / "assignments.py")]
    target = tmp_path / "solved.ipynb"
    solve = [arg for p in lesson.posed for arg in ("--solve", p.exercise.name)]
    subprocess.run(tool + ["submission", str(notebook), str(target), "--out", str(out)] + solve, check=True)
    run = subprocess.run(tool + ["grade", str(notebook), str(target), "--out", str(out)],
                         capture_output=True, text=True, check=True)
    possible = assignments.QUESTION_POINTS * len(lesson.posed)
    assert run.stdout.rstrip().endswith(f"total: {possible} / {possible}")
    assert all(p.exercise.label in run.stdout for p in lesson.posed)
    assert "GRADING SUMMARY" not in run.stdout
