"""The course site (`make html`): Sphinx + MyST-NB over the committed notebooks, into site/.

Stages a copy of notebooks/ and docs/site/index.md in build/site-src/ and runs sphinx-build
with docs/site/ as the configuration; nothing is executed (the committed outputs are shown).
On the staged copies only (the committed notebooks are never touched):

* after the first code cell that calls ``exercise_N.check(`` of a lesson's exercises module, a
  collapsed dropdown holds that exercise's worked solution (``solution_markdown()`` of its
  ``Exercise`` or build-it ``BuildExercise``); lessons without such objects get none;
* the Colab install cell (tools/colab_cell.py's MARKER line) is left out: it only matters on Colab;
* a cell tagged ``figure-N`` becomes the figure ``fig-N``, captioned "Fig. N" as in the notes,
  and "Fig. N" in the text links to it; a figure's alt text is its cell's own metadata
  ``{"mystnb": {"image": {"alt": "…"}}}`` (MyST-NB reads it; kept on ``fig-N`` figures too);
* a link to a file of the repository outside notebooks/ (``../README.md``) opens it on the
  repository's host (docs/site/conf.py's REPOSITORY_URL);
* an equation numbered by hand, ``$$ … \\qquad (4)$$``, gets its number as ``\\tag{4}`` and the
  anchor ``eq-4``, and "eq. (4)" in the text of every page links to it.

Staged files are rewritten only when they change, so a second build re-renders only what changed.

Usage: python tools/build_html.py [--notebooks notebooks] [--out site]
"""
from __future__ import annotations

import argparse
import hashlib
import importlib
import importlib.util
import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
CONF_DIR = ROOT / "docs" / "site"
STAGE = ROOT / "build" / "site-src"
DOCTREES = ROOT / "build" / "site-doctrees"

EXERCISES_IMPORT = re.compile(
    r"^\s*(?:from\s+lecture_nn\.lessons\.(\w+)\.exercises\s+import"
    r"|from\s+lecture_nn\.lessons\.(\w+)\s+import\s+exercises\b"
    r"|import\s+lecture_nn\.lessons\.(\w+)\.exercises\b)", re.MULTILINE)
CHECK_CALL = re.compile(r"\b(exercise_\d+)\.check\(")
FIGURE_TAG = re.compile(r"^figure-(\d+)$")
FIG_TEXT = re.compile(r"(?<![\[\w])Fig\. (\d+)\b(?!\]|\(#)")
HAND_NUMBERED = re.compile(r"(?:\\qquad|\\quad)?\s*\((\d+)\)\s*\$\$")
EQ_TEXT = re.compile(r"(?<![\[\w])[Ee]q\. \((\d+)\)(?!\]|</a>)")
DISPLAY_MATH = re.compile(r"\$\$.*?\$\$", re.DOTALL)
INLINE_CODE_OR_MATH = re.compile(r"(`+[^`]*`+|\$[^$]*\$)")
REPOSITORY_LINK = re.compile(r"\]\(\.\./([^)\s]+)\)")


class NotExecuted(ValueError):
    pass


def _module(name: str, path: Path):
    """The Python file at path as a module (tools/ and docs/site/ are not packages)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


COLAB_MARKER = _module("lecture_nn_site_colab_cell", ROOT / "tools" / "colab_cell.py").MARKER


def lesson_exercises(nb) -> dict:
    """{"exercise_1": Exercise or BuildExercise, ...} for the lessons whose exercises modules the
    notebook imports.

    A module that cannot be imported or holds no exercise objects contributes nothing (with a
    note on stderr): the page then simply has no solution dropdowns.
    """
    from lecture_nn.lessons.checking import exercises_in

    found = {}
    if not any(cell.cell_type == "code" and CHECK_CALL.search(cell.source) for cell in nb.cells):
        return found                # nothing to import (some exercises modules compute at import)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for match in EXERCISES_IMPORT.finditer(cell.source):
            lesson = next(g for g in match.groups() if g)
            try:
                module = importlib.import_module(f"lecture_nn.lessons.{lesson}.exercises")
            except Exception as error:          # a lesson being edited must not stop the site
                print(f"note: no solutions for lesson {lesson!r}: {error!r}", file=sys.stderr)
                continue
            found.update({ex.name: ex for ex in exercises_in(module)})
    return found


def solution_cell(exercise, page: str) -> nbformat.NotebookNode:
    """A Markdown cell: the exercise's worked solution in a dropdown, closed until clicked."""
    body = exercise.solution_markdown().strip()
    fence = ":" * max(4, 1 + max((len(r) for r in re.findall(r"^:{3,}", body, re.M)), default=0))
    label = f"{page}-solution-{exercise.name}".replace("_", "-").lower()
    source = (f"{fence}{{dropdown}} Solution: {exercise.label}\n"
              f":class-container: exercise-solution\n:name: {label}\n\n{body}\n{fence}\n")
    cell = nbformat.v4.new_markdown_cell(source, metadata={"tags": ["exercise-solution"]})
    cell.id = label[-64:]           # the same every build, so an unchanged page is not rebuilt
    return cell


def add_solutions(nb, page: str) -> int:
    """Insert each exercise's solution dropdown after the first cell that checks it; return how many."""
    exercises = lesson_exercises(nb)
    if not exercises:
        return 0
    cells, shown = [], set()
    for cell in nb.cells:
        cells.append(cell)
        if cell.cell_type != "code":
            continue
        for name in CHECK_CALL.findall(cell.source):
            if name in exercises and name not in shown:
                shown.add(name)
                cells.append(solution_cell(exercises[name], page))
    nb.cells = cells
    return len(shown)


def hide_colab_cell(nb) -> int:
    """Tag the Colab install cell ``remove-cell`` (MyST-NB leaves it out); return how many were tagged.

    It matters only on Colab, and on the site it would be every page's first code block.  Keyed on
    the marker line that tools/colab_cell.py writes, so it works before and after that tool has
    also collapsed the cell in the notebooks.
    """
    hidden = 0
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith(COLAB_MARKER):
            tags = cell.metadata.setdefault("tags", [])
            if "remove-cell" not in tags:
                tags.append("remove-cell")
            hidden += 1
    return hidden


def figure_numbers(nb) -> dict[int, int]:
    """{N: cell index} for the cells tagged figure-N that display an image."""
    found = {}
    for i, cell in enumerate(nb.cells):
        for tag in cell.metadata.get("tags", []):
            match = FIGURE_TAG.match(tag)
            images = any(k.startswith("image/") for out in cell.get("outputs", [])
                         for k in out.get("data", {}))
            if match and images:
                found[int(match.group(1))] = i
    return found


def mark_figures(nb) -> None:
    """Make each figure-N cell's image the figure fig-N, captioned as in the notes (the cell's
    ``mystnb.image`` metadata, its alt text, stays beside ``mystnb.figure``)."""
    for number, index in figure_numbers(nb).items():
        nb.cells[index].metadata.setdefault("mystnb", {})["figure"] = {
            "name": f"fig-{number}", "caption": f"Fig. {number}"}


def _outside_code_and_math(text: str, replace) -> str:
    """Apply ``replace`` to the parts of Markdown ``text`` outside code and math."""
    out, in_fence = [], False
    for block in re.split(r"(\$\$.*?\$\$)", text, flags=re.DOTALL):
        if block.startswith("$$"):
            out.append(block)
            continue
        lines = []
        for line in block.split("\n"):
            if line.lstrip().startswith(("```", "~~~")):
                in_fence = not in_fence
            if in_fence or line.lstrip().startswith(("#", "```", "~~~")):
                lines.append(line)
            else:
                parts = INLINE_CODE_OR_MATH.split(line)
                lines.append("".join(p if i % 2 else replace(p) for i, p in enumerate(parts)))
        out.append("\n".join(lines))
    return "".join(out)


def link_figures(nb, figures: set[int]) -> None:
    """Turn "Fig. N" in the Markdown into a link to the figure fig-N, if the site has it."""
    def replace(text: str) -> str:
        return FIG_TEXT.sub(lambda m: f"[Fig. {m.group(1)}](#fig-{m.group(1)})"
                            if int(m.group(1)) in figures else m.group(0), text)
    for cell in nb.cells:
        if cell.cell_type == "markdown" and "exercise-solution" not in cell.metadata.get("tags", []):
            cell.source = _outside_code_and_math(cell.source, replace)


def site_config():
    """docs/site/conf.py as a module (its REPOSITORY_URL and REPOSITORY_BRANCH)."""
    return _module("lecture_nn_site_conf", CONF_DIR / "conf.py")


def link_repository_files(nb, repository: str, branch: str) -> None:
    """``[README](../README.md#x)`` → a link to the file on the repository's host."""
    def replace(text: str) -> str:
        return REPOSITORY_LINK.sub(lambda m: f"]({repository}/blob/{branch}/{m.group(1)})", text)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = _outside_code_and_math(cell.source, replace)


def equation_numbers(nb) -> set[int]:
    """The notes' equation numbers that the notebook displays, numbered by hand (``\\qquad (4)$$``)."""
    return {int(m.group(1)) for cell in nb.cells if cell.cell_type == "markdown"
            for block in DISPLAY_MATH.findall(cell.source) for m in HAND_NUMBERED.finditer(block)}


def tag_equations(nb) -> None:
    """``$$ … \\qquad (4)$$`` → ``$$ … \\tag{4}$$``: the notes' number, typeset as an equation number,
    with an anchor ``eq-4`` in front when the equation is a block of its own."""
    def retag(match: re.Match) -> str:
        numbers = [m.group(1) for m in HAND_NUMBERED.finditer(match.group(0))]
        block = HAND_NUMBERED.sub(lambda m: f"\\tag{{{m.group(1)}}}$$", match.group(0))
        starts_line = match.start() == 0 or match.string[match.start() - 1] == "\n"
        anchors = "".join(f'<span id="eq-{n}"></span>' for n in numbers)
        return f"{anchors}\n\n{block}" if numbers and starts_line else block
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = DISPLAY_MATH.sub(retag, cell.source)


def link_equations(nb, equations: dict[int, str], page: str) -> None:
    """Turn "eq. (N)" in the Markdown into a link to the displayed equation N, on this page or another."""
    def replace(text: str) -> str:
        def link(m: re.Match) -> str:
            where = equations.get(int(m.group(1)))
            if where is None:
                return m.group(0)
            href = f"#eq-{m.group(1)}" if where == page else f"{where}.html#eq-{m.group(1)}"
            return f'<a href="{href}">{m.group(0)}</a>'
        return EQ_TEXT.sub(link, text)
    for cell in nb.cells:
        if cell.cell_type == "markdown" and "exercise-solution" not in cell.metadata.get("tags", []):
            cell.source = _outside_code_and_math(cell.source, replace)


def read_executed(path: Path, data: bytes):
    """The notebook (not validated: Sphinx reads it again), refused if a code cell never ran."""
    nb = nbformat.from_dict(json.loads(data))
    if nb.get("nbformat") != 4:
        raise ValueError(f"{path.name}: nbformat {nb.get('nbformat')}, expected 4")
    not_run = [i for i, c in enumerate(nb.cells)
               if c.cell_type == "code" and "".join(c.source).strip() and c.execution_count is None]
    if not_run:
        raise NotExecuted(f"{path.name} is not executed (cells {not_run} have no execution "
                          f"count): run tools/execute_notebooks.py {path} first")
    for cell in nb.cells:                              # nbformat's files may split sources into lines
        if isinstance(cell.source, list):
            cell.source = "".join(cell.source)
    return nb


def write_if_changed(path: Path, text: str) -> None:
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def stage_key(raw: bytes, nb, figures: set[int], repository: tuple[str, str], equations: dict) -> str:
    """What a staged notebook depends on: the notebook, its lessons' exercises, the figures of
    the whole site (for the links) and this script.  Unchanged, the staged copy is reused without
    importing the exercises again (some compute at import)."""
    digest = hashlib.sha256(raw)
    lessons = sorted({g for cell in nb.cells if cell.cell_type == "code"
                      for m in EXERCISES_IMPORT.finditer(cell.source) for g in m.groups() if g})
    for source in [Path(__file__), ROOT / "tools/colab_cell.py", ROOT / "lecture_nn/lessons/checking.py",
                   *(ROOT / "lecture_nn/lessons" / lesson / "exercises.py" for lesson in lessons)]:
        digest.update(source.read_bytes() if source.exists() else b"-")
    digest.update(repr((sorted(figures), repository, sorted(equations.items()))).encode())
    return digest.hexdigest()


def stage(notebooks_dir: Path, stage_dir: Path) -> list[Path]:
    """Write the Sphinx sources (index.md and the prepared notebooks) to stage_dir."""
    stage_dir.mkdir(parents=True, exist_ok=True)
    keys_file = stage_dir / "staged-from.json"
    old_keys = json.loads(keys_file.read_text()) if keys_file.exists() else {}
    raw = {path: path.read_bytes() for path in sorted(notebooks_dir.glob("*.ipynb"))}
    notebooks = {path: read_executed(path, data) for path, data in raw.items()}
    figures = {n for nb in notebooks.values() for n in figure_numbers(nb)}
    equations = {n: path.stem for path, nb in notebooks.items() for n in sorted(equation_numbers(nb))}
    conf = site_config()
    repository = (conf.REPOSITORY_URL, conf.REPOSITORY_BRANCH)
    staged, keys = [], {}
    for path, nb in notebooks.items():
        target = stage_dir / path.name
        keys[path.name] = stage_key(raw[path], nb, figures, repository, equations)
        staged.append(target)
        if target.exists() and old_keys.get(path.name) == keys[path.name]:
            continue
        hide_colab_cell(nb)
        add_solutions(nb, path.stem)
        mark_figures(nb)
        link_figures(nb, figures)
        link_repository_files(nb, *repository)
        link_equations(nb, equations, path.stem)
        tag_equations(nb)
        write_if_changed(target, json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    write_if_changed(stage_dir / "index.md", (CONF_DIR / "index.md").read_text(encoding="utf-8"))
    keys_file.write_text(json.dumps(keys, indent=1))
    for old in stage_dir.glob("*.ipynb"):            # notebooks removed since the last build
        if old not in staged:
            old.unlink()
    return staged


@dataclass
class SiteBuild:
    pages: list[Path]       # the notebook pages, in name order
    warnings: str           # what Sphinx warned about (empty when all is well)


def build_site(notebooks_dir: Path = ROOT / "notebooks", out_dir: Path = ROOT / "site") -> SiteBuild:
    """Stage the sources and run Sphinx into out_dir.

    site/ keeps its staged sources and Sphinx's doctrees in build/; another out_dir keeps them
    beside it (<out_dir>-src, <out_dir>-doctrees), so each output has its own incremental state.
    """
    out_dir = Path(out_dir).resolve()
    if out_dir == ROOT / "site":
        stage_dir, doctrees = STAGE, DOCTREES
    else:
        stage_dir, doctrees = (out_dir.with_name(f"{out_dir.name}-{kind}") for kind in ("src", "doctrees"))
    staged = stage(notebooks_dir, stage_dir)
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-c", str(CONF_DIR),
               "-d", str(doctrees), str(stage_dir), str(out_dir)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"sphinx-build failed ({result.returncode}):\n{result.stderr[-4000:]}")
    return SiteBuild([out_dir / f"{path.stem}.html" for path in staged], result.stderr.strip())


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", type=Path, default=ROOT / "notebooks")
    parser.add_argument("--out", type=Path, default=ROOT / "site")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    built = build_site(args.notebooks, args.out)
    if built.warnings:
        print(built.warnings, file=sys.stderr)
    print(f"wrote {len(built.pages)} notebook pages, index.html and search.html to {args.out} "
          f"in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
