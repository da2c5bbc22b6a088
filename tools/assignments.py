"""Graded assignments for instructors (otter-grader), built from a notebook's build-it exercises.

Usage (in the grading environment, ``.venv-grading``; the Makefile's targets call these)::

    python tools/assignments.py build notebooks/00_start_here.ipynb [--out build/assignments]
    python tools/assignments.py grade notebooks/00_start_here.ipynb SUBMISSION.ipynb [--out …]
    python tools/assignments.py submission notebooks/00_start_here.ipynb OUT.ipynb \\
        [--solve exercise_1] [--mistake "exercise_1=sign slip in the exponent"] [--delegate exercise_1]

``build`` writes ``build/assignments/<notebook>/``: ``master.ipynb`` (otter's assignment format,
generated, never edited by hand), and what ``otter assign`` makes of it: ``student/<notebook>.ipynb``
(the notebook to hand out: the stubs, no solutions, the public tests) and ``autograder/`` (the
solutions notebook and ``autograder.zip``, which holds the public and the hidden tests).

Nothing here is written per notebook. A notebook's build-it exercises are found from its cells and
its lesson's ``exercises`` module: every :class:`~lecture_nn.lessons.checking.BuildExercise` of the
module must be posed in the notebook as a stub (a top-level ``def <function_name>(…)`` whose body
raises ``NotImplementedError``) followed, in the same cell or a later one, by
``exercise_N.check(<function_name>)``. Each becomes a question worth :data:`QUESTION_POINTS`
(4), one point a test (:data:`TESTS`):

* public, ``form`` on :data:`PUBLIC_SEED`: runs on every input of the exercise, returns arrays of
  the right shapes, changes no input;
* public, ``values`` on :data:`PUBLIC_SEED`: and the numbers match the package's;
* hidden, ``values`` on each of :data:`HIDDEN_SEEDS`: the same on inputs the student never saw.

Every test runs the exercise's own checker (``tools/assignment_checks.py``) with the package's
version switched off, so a function that calls it (the delegation check) fails every test. Answer
exercises (``Exercise``: a number or an array to work out) are not graded: they stay in the lesson
notebook with their checks, hints and solutions.

``grade`` grades one submission with ``otter run`` (no Docker: the submission runs in this
environment) and prints the score report; ``submission`` writes a filled-in copy of the student
notebook (worked solutions, a named mistake, or a function that calls the package) for trying the
grader out.
"""
from __future__ import annotations

import argparse
import ast
import copy
import importlib
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import nbformat

from assignment_checks import CORRECT   # tools/ is on sys.path: this script's folder

ROOT = Path(__file__).resolve().parents[1]
CHECKS = Path(__file__).with_name("assignment_checks.py")
DEFAULT_OUT = ROOT / "build" / "assignments"
LESSONS_PACKAGE = "lecture_nn.lessons."

PUBLIC_SEED = 1                 # the public tests' inputs (students see the seed)
HIDDEN_SEEDS = (2, 3)           # the hidden tests' inputs (only in autograder.zip)
POINTS = {"form": 1, "values": 1}  # per test
# (seed, part, hidden) of each question's tests, in the order of the master's test cells
TESTS = ((PUBLIC_SEED, "form", False), (PUBLIC_SEED, "values", False),
         *((seed, "values", True) for seed in HIDDEN_SEEDS))
QUESTION_POINTS = sum(POINTS[part] for _, part, _ in TESTS)


# --- finding the build-it exercises of a notebook ------------------------------------------------

@dataclass(frozen=True)
class Posed:
    """Where a notebook poses one build-it exercise.

    Attributes
    ----------
    exercise : BuildExercise
        The exercise, from the lesson's ``exercises`` module.
    stub_cell, check_cell : int
        Index of the cell that defines the stub, and of the cell that calls
        ``exercise_N.check(<function_name>)`` (the same cell, or a later one).
    stub_lines : tuple of int
        First and last line (1-based, inclusive) of the stub's ``def`` in its cell, decorators included.
    statement_cells : tuple of int
        The Markdown cells right before the stub's cell: the exercise's statement.
    """

    exercise: object
    stub_cell: int
    check_cell: int
    stub_lines: tuple[int, int]
    statement_cells: tuple[int, ...]


@dataclass(frozen=True)
class Lesson:
    """A notebook and the build-it exercises it poses, in the module's order."""

    notebook: Path
    module: str
    posed: tuple[Posed, ...]
    setup: tuple[str, ...]      # top-level imports of the cells before the last stub

    @property
    def name(self) -> str:
        return self.notebook.stem


def _python(source: str) -> ast.Module | None:
    """A code cell as Python (IPython's magics turned into calls), or None when it does not parse."""
    from IPython.core.inputtransformer2 import TransformerManager
    try:
        return ast.parse(TransformerManager().transform_cell(source))
    except SyntaxError:
        return None


def _raises_not_implemented(function: ast.FunctionDef) -> bool:
    for statement in function.body:
        if isinstance(statement, ast.Raise) and statement.exc is not None:
            target = statement.exc.func if isinstance(statement.exc, ast.Call) else statement.exc
            if isinstance(target, ast.Name) and target.id == "NotImplementedError":
                return True
    return False


def _stub_in(cell, function_name: str, tree: ast.Module | None = None) -> ast.FunctionDef | None:
    """The stub ``def <function_name>`` at the top level of a code cell, if the cell has one."""
    if cell.cell_type != "code":
        return None
    tree = tree if tree is not None else _python(cell.source)
    return next((node for node in (tree.body if tree else []) if isinstance(node, ast.FunctionDef)
                 and node.name == function_name and _raises_not_implemented(node)), None)


def _lines_of(node: ast.FunctionDef) -> tuple[int, int]:
    """First and last line of a ``def`` (1-based, inclusive), its decorators included."""
    return min([node.lineno] + [d.lineno for d in node.decorator_list]), node.end_lineno


def _checks_call(tree: ast.Module, exercise_name: str, function_name: str) -> bool:
    """Whether ``tree`` calls ``<exercise_name>.check(<function_name>, …)``."""
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "check" and isinstance(node.func.value, ast.Name)
                and node.func.value.id == exercise_name and node.args
                and isinstance(node.args[0], ast.Name) and node.args[0].id == function_name):
            return True
    return False


def _lesson_module(cells, notebook: Path) -> str:
    modules = []
    for cell in cells:
        tree = _python(cell.source) if cell.cell_type == "code" else None
        for node in (tree.body if tree else []):
            if (isinstance(node, ast.ImportFrom) and node.module
                    and node.module.startswith(LESSONS_PACKAGE) and node.module.endswith(".exercises")
                    and node.module not in modules):
                modules.append(node.module)
    if len(modules) != 1:
        found = ", ".join(modules) if modules else "none"
        raise ValueError(f"notebook: expected {notebook.name} to import its exercises from one module "
                         f"`{LESSONS_PACKAGE}<lesson>.exercises`, found {found}")
    return modules[0]


def discover(notebook: str | os.PathLike) -> Lesson:
    """The build-it exercises that ``notebook`` poses, found from its cells and its lesson module.

    Raises
    ------
    ValueError
        When the notebook does not exist, poses no build-it exercise, or leaves one of its
        module's build-it exercises unposed (no stub, or no ``check`` call after it).
    """
    from lecture_nn.lessons.checking import BuildExercise, exercises_in

    path = Path(notebook)
    if path.suffix != ".ipynb" or not path.is_file():
        raise ValueError(f"notebook: expected a notebook file (.ipynb), got {str(notebook)!r}")
    cells = nbformat.read(path, as_version=4).cells
    module = _lesson_module(cells, path)
    build = [ex for ex in exercises_in(importlib.import_module(module)) if isinstance(ex, BuildExercise)]
    if not build:
        raise ValueError(f"notebook: {path.name} poses no build-it exercise ({module} defines none)")
    trees = [_python(c.source) if c.cell_type == "code" else None for c in cells]
    posed = []
    for ex in build:
        stub_cell = next((i for i, cell in enumerate(cells) if _stub_in(cell, ex.function_name, trees[i])),
                         None)
        if stub_cell is None:
            raise ValueError(f"notebook: {path.name} has no stub for {ex.name} (a top-level "
                             f"`def {ex.function_name}(…)` whose body raises NotImplementedError)")
        check_cell = next((i for i in range(stub_cell, len(cells))
                           if trees[i] is not None and _checks_call(trees[i], ex.name, ex.function_name)),
                          None)
        if check_cell is None:
            raise ValueError(f"notebook: {path.name} defines the stub {ex.function_name} but never "
                             f"calls `{ex.name}.check({ex.function_name})` after it")
        statement = []
        i = stub_cell - 1
        while i >= 0 and cells[i].cell_type == "markdown":
            statement.insert(0, i)
            i -= 1
        stub_lines = _lines_of(_stub_in(cells[stub_cell], ex.function_name, trees[stub_cell]))
        posed.append(Posed(ex, stub_cell, check_cell, stub_lines, tuple(statement)))
    last_stub = max(p.stub_cell for p in posed)
    exercise_cells = {i for p in posed for i in range(p.stub_cell, p.check_cell + 1)}
    setup = []
    for i, tree in enumerate(trees[:last_stub]):
        if tree is None or i in exercise_cells:
            continue
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                line = ast.unparse(node)
                if line not in setup:
                    setup.append(line)
    return Lesson(path, module, tuple(posed), tuple(setup))


# --- the otter-format master notebook -------------------------------------------------------------

def _raw(text: str):
    return nbformat.v4.new_raw_cell(text.strip("\n"))


def _title(cells, fallback: str) -> str:
    for cell in cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def _prompt_quotes(stub: str) -> str:
    for quotes in ("'''", '"""'):
        if quotes not in stub:
            return quotes
    raise ValueError("notebook: the stub contains both ''' and \"\"\", so it cannot be kept as "
                     "otter's prompt; use one kind of triple quotes in it")


def solution_cell_source(stub_source: str, stub_lines: tuple[int, int], solution_code: str) -> str:
    """The question's cell in otter's format: the stub cell, with the worked solution in place of
    the stub's ``def`` and the stub itself kept as the prompt that the student's version shows.

    ``otter assign`` removes the ``BEGIN SOLUTION NO PROMPT`` … ``END SOLUTION`` lines and the two
    ``PROMPT`` marker lines from the student's version, which is then the stub cell as it was.
    """
    lines = stub_source.splitlines()
    first, last = stub_lines
    before, stub, after = lines[:first - 1], lines[first - 1:last], lines[last:]
    quotes = _prompt_quotes("\n".join(stub))
    return "\n".join(before + ["# BEGIN SOLUTION NO PROMPT"] + solution_code.strip("\n").splitlines()
                     + ["# END SOLUTION", f"r{quotes} # BEGIN PROMPT"] + stub
                     + [f"{quotes}; # END PROMPT"] + after)


def test_cell_source(lesson: Lesson, posed: Posed, *, seed: int, part: str, hidden: bool) -> str:
    """One test of a question in otter's format: prints ``correct`` when the function passes."""
    ex = posed.exercise
    what = ("runs on every input, returns the right shapes, calls no package version"
            if part == "form" else f"right numbers on the inputs of seed {seed}")
    return "\n".join([
        '""" # BEGIN TEST CONFIG',
        f"hidden: {'true' if hidden else 'false'}",
        f"points: {POINTS[part]}",
        f"failure_message: '{ex.name} ({'hidden' if hidden else 'public'}): {what}: not yet'",
        '""" # END TEST CONFIG',
        "import assignment_checks",
        f'print(assignment_checks.verdict("{lesson.module}", "{ex.name}", {ex.function_name}, '
        f'seed={seed}, part="{part}"))',
    ])


def master_notebook(lesson: Lesson):
    """The assignment in otter assign's notebook format (v1: raw cells delimit the blocks)."""
    source = nbformat.read(lesson.notebook, as_version=4)
    cells = source.cells
    points = QUESTION_POINTS * len(lesson.posed)
    config = {
        "name": lesson.name,
        "init_cell": True,
        "check_all_cell": True,
        "export_cell": {"pdf": False, "run_tests": True},
        "generate": {"pdf": False, "show_stdout": True, "show_hidden": False},
        "files": [CHECKS.name],
        "show_question_points": True,
        "run_tests": True,
    }
    intro = (f"# Graded assignment · {_title(cells, lesson.name)}\n\n"
             f"The build-it exercises of `{lesson.notebook.name}`, to hand in ({points} points). "
             "Read the notebook for the ideas; here you write the functions. In each exercise, "
             "replace the stub's `raise NotImplementedError(…)` with your code. "
             "`exercise_N.check(your_function)` tries it on fresh random inputs, as in the notebook, "
             "and `grader.check(\"exercise_N\")` runs the assignment's public tests. "
             "Grading adds hidden tests on other inputs. Write each function with NumPy: one that "
             "calls the package's own version scores nothing.\n\n"
             "When you are done, run every cell from the top and hand in this notebook (or the zip "
             "file that the last cell writes).")
    out = [_raw("# ASSIGNMENT CONFIG\n" + _yaml(config)),
           nbformat.v4.new_markdown_cell(intro)]
    if lesson.setup:
        out.append(nbformat.v4.new_code_cell("\n".join(lesson.setup)))
    for posed in lesson.posed:
        ex = posed.exercise
        out.append(_raw(f"# BEGIN QUESTION\nname: {ex.name}"))
        out += [copy.deepcopy(cells[i]) for i in posed.statement_cells]
        out.append(_raw("# BEGIN SOLUTION"))
        out.append(nbformat.v4.new_code_cell(
            solution_cell_source(cells[posed.stub_cell].source, posed.stub_lines, ex.solution_code)))
        out.append(_raw("# END SOLUTION"))
        if posed.check_cell != posed.stub_cell:
            out.append(nbformat.v4.new_code_cell(cells[posed.check_cell].source))
        out.append(_raw("# BEGIN TESTS"))
        # OK-format tests expect what the master's test cell printed: the checker's "correct"
        out += [nbformat.v4.new_code_cell(
                    test_cell_source(lesson, posed, seed=seed, part=part, hidden=hidden),
                    outputs=[nbformat.v4.new_output("stream", name="stdout", text=CORRECT + "\n")])
                for seed, part, hidden in TESTS]
        out.append(_raw("# END TESTS"))
        out.append(_raw("# END QUESTION"))
    master = nbformat.v4.new_notebook(cells=out, metadata=copy.deepcopy(source.metadata))
    master.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return master


def _yaml(config: dict) -> str:
    import yaml
    return yaml.safe_dump(config, sort_keys=False)


# --- building, grading ------------------------------------------------------------------------------

def _otter() -> str:
    otter = Path(sys.executable).with_name("otter")
    if not otter.is_file():
        raise RuntimeError(f"otter-grader is not installed next to {sys.executable}; "
                           "run `make grading-env` and use .venv-grading/bin/python")
    return str(otter)


def _grading_env() -> dict:
    env = dict(os.environ)
    env.setdefault("OPENBLAS_NUM_THREADS", "1")     # one kernel at a time; see the Makefile
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


def assignment_dir(notebook: str | os.PathLike, out: str | os.PathLike = DEFAULT_OUT) -> Path:
    return Path(out) / Path(notebook).stem


def build(notebook: str | os.PathLike, out: str | os.PathLike = DEFAULT_OUT) -> Path:
    """Build the assignment of ``notebook`` into ``out/<notebook>/`` (replacing an older one).

    ``otter assign`` also runs every test on the worked solutions and fails if one does not pass.
    Returns the assignment's folder.
    """
    lesson = discover(notebook)
    folder = assignment_dir(notebook, out)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    shutil.copy(CHECKS, folder / CHECKS.name)
    master = folder / f"{lesson.name}.ipynb"
    nbformat.write(master_notebook(lesson), master)
    dist = folder / "dist"
    run = subprocess.run([_otter(), "assign", "-v", master.name, dist.name], cwd=folder,
                         env=_grading_env(), capture_output=True, text=True)
    (folder / "assign.log").write_text(run.stdout + run.stderr)
    if run.returncode != 0:
        raise RuntimeError(f"otter assign failed for {lesson.name} (log: {folder / 'assign.log'}):\n"
                           + (run.stderr or run.stdout)[-3000:])
    master.rename(folder / "master.ipynb")
    for part in ("student", "autograder"):
        (dist / part).rename(folder / part)
    dist.rmdir()
    return folder


def _the_one(folder: Path, pattern: str, what: str) -> Path:
    found = sorted(folder.glob(pattern))
    if len(found) != 1:
        raise ValueError(f"assignment: expected one {what} in {folder}, "
                         f"found {len(found)}; build it first (make assignment)")
    return found[0]


def student_notebook(folder: Path) -> Path:
    return _the_one(folder / "student", "*.ipynb", "student notebook")


def autograder_zip(folder: Path) -> Path:
    return _the_one(folder / "autograder", "*.zip", "autograder zip")


@dataclass(frozen=True)
class TestResult:
    name: str
    hidden: bool
    points: float
    possible: float
    message: str


@dataclass(frozen=True)
class QuestionResult:
    name: str
    score: float
    possible: float
    tests: tuple[TestResult, ...]


def grade(notebook: str | os.PathLike, submission: str | os.PathLike,
          out: str | os.PathLike = DEFAULT_OUT) -> list[QuestionResult]:
    """Grade ``submission`` (a filled-in student notebook, or otter's export zip) with ``otter run``
    and the autograder of ``notebook``'s assignment; one result per question, in order.

    Raises
    ------
    ValueError
        When the assignment is not built or ``submission`` is not a notebook or a zip file.
    RuntimeError
        When otter cannot grade it (a notebook of another assignment, say).
    """
    import dill     # otter's own pickler, for its results

    folder = assignment_dir(notebook, out)
    zip_path = autograder_zip(folder)
    submission = Path(submission)
    if submission.suffix not in (".ipynb", ".zip") or not submission.is_file():
        raise ValueError(f"submission: expected a notebook (.ipynb) or otter's export (.zip), "
                         f"got {str(submission)!r}")
    with tempfile.TemporaryDirectory() as results:
        run = subprocess.run([_otter(), "run", "--no-logo", "--pickle-results", "-a", str(zip_path),
                              "-o", results, str(submission.resolve())],
                             cwd=results, env=_grading_env(), capture_output=True, text=True)
        pickled = Path(results) / "results.pkl"       # otter writes it into its working folder
        if run.returncode != 0 or not pickled.is_file():
            raise RuntimeError(f"otter run failed on {submission}:\n" + (run.stderr or run.stdout)[-3000:])
        with pickled.open("rb") as f, warnings.catch_warnings():
            # unpickling imports otter, whose dependencies (ipylab on traitlets) warn of deprecations
            warnings.simplefilter("ignore", DeprecationWarning)
            graded = dill.load(f)
    if graded.has_catastrophic_failure():
        raise RuntimeError(f"otter could not grade {submission}: {graded.summary()}")
    order = [p.exercise.name for p in discover(notebook).posed]
    questions = []
    for name, test_file in sorted(graded.results.items(),
                                  key=lambda item: order.index(item[0]) if item[0] in order else len(order)):
        tests = tuple(TestResult(r.test_case.name, r.test_case.hidden,
                                 float(r.test_case.points if r.passed else 0), float(r.test_case.points),
                                 "" if r.passed else _checker_said(r.message))
                      for r in test_file.test_case_results)
        questions.append(QuestionResult(name, float(test_file.score), float(test_file.possible), tests))
    return questions


def _checker_said(message: str | None) -> str:
    """What the checker printed in a failed OK-format test (the doctest's "Got:" lines)."""
    lines = [line.strip() for line in (message or "").splitlines() if line.strip()]
    if "Got:" in lines:
        return " ".join(lines[lines.index("Got:") + 1:])
    return lines[-1] if lines else "failed"


TEST_WORDS = {"form": "runs, right shapes", "values": "right numbers"}


def report(notebook: str | os.PathLike, title: str, questions: list[QuestionResult]) -> str:
    """The score report: each question's score, each test's points and, for a failed one, what the
    checker said."""
    lesson = discover(notebook)
    posed = {p.exercise.name: p for p in lesson.posed}
    lines = [title]
    for q in questions:
        known = q.name in posed
        lines.append(f"  {posed[q.name].exercise.label if known else q.name}: {_num(q.score)} / {_num(q.possible)}")
        # otter keeps a question's tests in the order of the master's test cells (TESTS)
        words = ([f"{TEST_WORDS[part]}, seed {seed}" for seed, part, _ in TESTS]
                 if known and len(q.tests) == len(TESTS) else [t.name for t in q.tests])
        for t, what in zip(q.tests, words):
            mark = "passed" if t.points == t.possible else "failed: " + t.message
            lines.append(f"    {'hidden' if t.hidden else 'public'}  {what:<28} {_num(t.points)}/{_num(t.possible)}  {mark}")
    score = sum(q.score for q in questions)
    possible = sum(q.possible for q in questions)
    lines.append(f"  total: {_num(score)} / {_num(possible)}")
    return "\n".join(lines)


def _num(x: float) -> str:
    return f"{x:g}"


# --- filled-in submissions (to try the grader: worked solutions, a named mistake, delegation) -----

def solution_code(exercise) -> str:
    """The worked solution, as a student would type it in place of the stub."""
    return exercise.solution_code


def mistake_code(exercise, mistake_name: str) -> str:
    """The function written with the exercise's mistake of that name."""
    known = {m.name: m.code for m in exercise.mistakes}
    if mistake_name not in known:
        raise ValueError(f"mistake: expected one of {sorted(known)} for {exercise.name}, "
                         f"got {mistake_name!r}")
    return known[mistake_name]


def delegating_code(exercise) -> str:
    """A function that hands the work to the package's own version (the first forbidden object)."""
    target = exercise.forbidden[0]
    name = target.__name__
    return (f"from {target.__module__} import {name}\n\n\n"
            f"def {exercise.function_name}(*args):\n    return {name}(*args)")


def fill_in(notebook: str | os.PathLike, student: str | os.PathLike, target: str | os.PathLike,
            codes: dict[str, str]) -> Path:
    """Write ``target``: the student notebook with the stub of each exercise in ``codes``
    (``{"exercise_1": code}``) replaced by that code, as a student would fill it in."""
    lesson = discover(notebook)
    by_name = {p.exercise.name: p.exercise for p in lesson.posed}
    for name in codes:
        if name not in by_name:
            raise ValueError(f"exercise: expected one of {sorted(by_name)}, got {name!r}")
    nb = nbformat.read(student, as_version=4)
    for name, code in codes.items():
        function_name = by_name[name].function_name
        for cell in nb.cells:
            stub = _stub_in(cell, function_name)
            if stub is not None:
                lines = cell.source.splitlines()
                first, last = _lines_of(stub)
                cell.source = "\n".join(lines[:first - 1] + code.strip("\n").splitlines() + lines[last:])
                break
        else:
            raise ValueError(f"student: expected a stub of {function_name} in {student}, found none")
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)
    return target


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    b = commands.add_parser("build", help="build the assignment of notebooks")
    b.add_argument("notebooks", nargs="+")
    g = commands.add_parser("grade", help="grade one submission and print the score report")
    g.add_argument("notebook")
    g.add_argument("submission")
    s = commands.add_parser("submission", help="write a filled-in student notebook")
    s.add_argument("notebook")
    s.add_argument("target")
    s.add_argument("--solve", action="append", default=[], metavar="EXERCISE")
    s.add_argument("--mistake", action="append", default=[], metavar="EXERCISE=MISTAKE NAME")
    s.add_argument("--delegate", action="append", default=[], metavar="EXERCISE",
                   help="a function that calls the package's own version")
    for sub in (b, g, s):
        sub.add_argument("--out", default=str(DEFAULT_OUT), help="where the assignments are built")
    args = parser.parse_args(argv)
    try:
        return _run(parser, args)
    except (ValueError, RuntimeError) as err:       # said plainly, without a traceback
        print(f"error: {err}", file=sys.stderr)
        return 1


def _run(parser, args) -> int:
    if args.command == "build":
        failed = []
        for notebook in args.notebooks:       # every notebook is tried; the failures are listed at the end
            try:
                folder = build(notebook, args.out)
            except (ValueError, RuntimeError) as err:
                failed.append(f"{Path(notebook).name}: {err}")
                continue
            lesson = discover(notebook)
            points = QUESTION_POINTS * len(lesson.posed)
            print(f"{lesson.name}: {len(lesson.posed)} build-it exercise(s), {points} points -> {folder}")
        if failed:
            raise RuntimeError(f"{len(failed)} of {len(args.notebooks)} assignment(s) not built:\n  "
                               + "\n  ".join(failed))
    elif args.command == "grade":
        questions = grade(args.notebook, args.submission, args.out)
        print(report(args.notebook, f"{Path(args.submission).name}, graded with the assignment of "
                                    f"{Path(args.notebook).name}", questions))
    else:
        by_name = {p.exercise.name: p.exercise for p in discover(args.notebook).posed}

        def exercise(name):
            if name not in by_name:
                parser.error(f"expected an exercise among {sorted(by_name)}, got {name!r}")
            return by_name[name]

        codes = {name: solution_code(exercise(name)) for name in args.solve}
        codes.update({name: delegating_code(exercise(name)) for name in args.delegate})
        for item in args.mistake:
            name, sep, mistake = item.partition("=")
            if not sep:
                parser.error(f"--mistake: expected EXERCISE=MISTAKE NAME, got {item!r}")
            codes[name.strip()] = mistake_code(exercise(name.strip()), mistake.strip())
        fill_in(args.notebook, student_notebook(assignment_dir(args.notebook, args.out)), args.target, codes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
