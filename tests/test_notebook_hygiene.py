"""Notebook hygiene: every committed notebook is executed cleanly and checked by nbval.

For every notebooks/*.ipynb: code cells executed 1..N in order (a fresh kernel,
top to bottom), no error and no stderr output, kernel "python3", at most 2 MB,
at most 15% of code cells unchecked by nbval, at least one widget and at least
five checked text outputs. And every figure 1–14 of the notes is reproduced
(a code cell tagged ``figure-N`` with a PNG output) in the notebook that the
README's table "Figures of the notes" names for it.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
README = ROOT / "README.md"
N_FIGURES = 14
MAX_BYTES = 2 * 1024 * 1024
MAX_UNCHECKED = 0.15
MIN_CHECKED_TEXT = 5
UNCHECKED_TAGS = {"nbval-ignore-output", "nbval-skip"}
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def read(path):
    return nbformat.read(path, as_version=4)


def tags(cell):
    return set(cell.get("metadata", {}).get("tags", []))


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def cell_label(nb, cell):
    first_line = cell.source.strip().splitlines()[0][:60] if cell.source.strip() else "<empty>"
    return f"cell {nb.cells.index(cell)} ({first_line!r})"


def has_checked_text(cell):
    """True when nbval compares a text output of this cell."""
    if tags(cell) & UNCHECKED_TAGS:
        return False
    for out in cell.get("outputs", []):
        if out.output_type == "stream" and out.name == "stdout" and out.text.strip():
            return True
        if out.output_type == "execute_result" and "text/plain" in out.get("data", {}) \
                and not any(k.startswith("image/") for k in out.data):
            return True
    return False


notebook_param = pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found in notebooks/"


@notebook_param
def test_executed_in_order_from_a_fresh_kernel(path):
    nb = read(path)
    cells = [c for c in code_cells(nb) if c.source.strip()]
    counts = [c.execution_count for c in cells]
    expected = list(range(1, len(cells) + 1))
    assert counts == expected, (f"{path.name}: execution counts {counts}, expected {expected}; "
                                f"re-run `.venv/bin/python tools/execute_notebooks.py {path.relative_to(ROOT)}`")
    for c in code_cells(nb):
        if not c.source.strip():
            assert c.execution_count is None and not c.outputs, f"{path.name}: empty {cell_label(nb, c)} ran"


@notebook_param
def test_no_errors_and_no_stderr(path):
    nb = read(path)
    for cell in code_cells(nb):
        for out in cell.outputs:
            assert out.output_type != "error", (f"{path.name}: {cell_label(nb, cell)} raised "
                                                f"{out.get('ename')}: {out.get('evalue')}")
            assert not (out.output_type == "stream" and out.name == "stderr"), \
                f"{path.name}: {cell_label(nb, cell)} wrote to stderr: {out.text[:200]!r}"


@notebook_param
def test_kernel_is_python3(path):
    kernelspec = read(path).metadata.get("kernelspec", {})
    assert kernelspec.get("name") == "python3", \
        f"{path.name}: kernelspec name {kernelspec.get('name')!r}, expected 'python3'"


@notebook_param
def test_file_size(path):
    size = path.stat().st_size
    assert size <= MAX_BYTES, f"{path.name} is {size / 1e6:.2f} MB, at most 2 MB allowed"


@notebook_param
def test_few_unchecked_cells(path):
    nb = read(path)
    cells = code_cells(nb)
    unchecked = [cell_label(nb, c) for c in cells if tags(c) & UNCHECKED_TAGS]
    assert cells, f"{path.name} has no code cells"
    assert len(unchecked) <= MAX_UNCHECKED * len(cells), (
        f"{path.name}: {len(unchecked)} of {len(cells)} code cells are tagged "
        f"{sorted(UNCHECKED_TAGS)} (at most 15% allowed): {unchecked}")


MAX_MARKED = 0.10   # lines printed as "(exact digits vary by machine)" are unchecked text: keep them few


@notebook_param
def test_few_lines_marked_as_varying_with_the_cpu(path):
    from lecture_nn.lessons.reporting import CPU_MARK

    printed = [line for cell in code_cells(read(path)) for out in cell.outputs
               if out.get("output_type") == "stream" for line in "".join(out.get("text", "")).splitlines()]
    marked = [line for line in printed if CPU_MARK in line]
    assert len(marked) <= MAX_MARKED * len(printed), (
        f"{path.name}: {len(marked)} of {len(printed)} printed lines are marked {CPU_MARK!r} "
        f"(at most {MAX_MARKED:.0%}); print a verdict or a stabler precision instead")
    assert all(line.endswith(CPU_MARK) for line in marked)


@notebook_param
def test_at_least_one_widget(path):
    nb = read(path)
    widget_cells = [c for c in code_cells(nb)
                    if any(WIDGET_MIME in out.get("data", {}) for out in c.outputs)]
    assert widget_cells, f"{path.name}: no cell displays a widget (a {WIDGET_MIME} output)"


@notebook_param
def test_at_least_five_checked_text_outputs(path):
    nb = read(path)
    checked = [c for c in code_cells(nb) if has_checked_text(c)]
    assert len(checked) >= MIN_CHECKED_TEXT, (
        f"{path.name}: {len(checked)} cells have a text output that nbval checks, "
        f"at least {MIN_CHECKED_TEXT} needed")


# --- figures of the notes ----------------------------------------------------------
def figure_table(readme_text: str) -> dict[int, str]:
    """{figure number: notebook stem} from the README section "## Figures of the notes"."""
    match = re.search(r"^## Figures of the notes\s*$(.*?)(?=^## |\Z)", readme_text,
                      flags=re.M | re.S)
    if match is None:
        raise AssertionError("README.md has no section '## Figures of the notes' with the table "
                             "| figure | notebook | that says which notebook redraws each figure")
    table = {}
    for line in match.group(1).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2 or not cells[0].isdigit():
            continue
        stem = re.search(r"\d\d_[A-Za-z0-9_]+", cells[1])
        if stem is None:
            raise AssertionError(f"README figure table: cannot read a notebook name in {line!r}")
        table[int(cells[0])] = stem.group(0)
    if not table:
        raise AssertionError("README.md's section '## Figures of the notes' has no rows like "
                             "'| 6 | 01_feedforward |'")
    return table


def test_figure_table_lists_every_figure():
    table = figure_table(README.read_text(encoding="utf-8"))
    assert sorted(table) == list(range(1, N_FIGURES + 1)), \
        f"README figure table lists figures {sorted(table)}, expected 1..{N_FIGURES}"


def test_figure_table_parser():
    text = ("# x\n\n## Figures of the notes\n\nprose\n\n| figure | notebook |\n|---|---|\n"
            "| 6 | 01_feedforward |\n| 12 | [`06_convnets`](notebooks/06_convnets.ipynb) |\n\n## Next\n"
            "| 7 | 99_elsewhere |\n")
    assert figure_table(text) == {6: "01_feedforward", 12: "06_convnets"}
    with pytest.raises(AssertionError, match="no section"):
        figure_table("# README without the table\n")


@pytest.mark.parametrize("number", range(1, N_FIGURES + 1), ids=lambda n: f"figure-{n}")
def test_figure_is_reproduced(number):
    table = figure_table(README.read_text(encoding="utf-8"))
    assert number in table, f"README figure table has no row for figure {number}"
    path = ROOT / "notebooks" / f"{table[number]}.ipynb"
    assert path.exists(), (f"figure {number}: README names notebook {table[number]}, "
                           f"but {path.relative_to(ROOT)} does not exist yet")
    nb = read(path)
    tagged = [c for c in code_cells(nb) if f"figure-{number}" in tags(c)]
    assert tagged, f"figure {number}: no code cell tagged 'figure-{number}' in {path.name}"
    assert any("image/png" in out.get("data", {}) for c in tagged for out in c.outputs), \
        f"figure {number}: the cell tagged 'figure-{number}' in {path.name} has no image/png output"


TEACHING_NOTEBOOKS = [p for p in NOTEBOOKS if not p.stem.startswith("00")]


@pytest.mark.parametrize("path", TEACHING_NOTEBOOKS, ids=[p.stem for p in TEACHING_NOTEBOOKS])
def test_ends_with_key_points_and_where_to_go_next(path):
    nb = read(path)
    markdown = [c for c in nb.cells if c.cell_type == "markdown"]
    at = [i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and
          re.search(r"^## Key points\s*$", c.source, re.M)]
    assert len(at) == 1, f"{path.name}: expected one '## Key points' section, got {len(at)}"
    assert all(c.cell_type == "markdown" for c in nb.cells[at[0]:]), "Key points come last"
    text = "\n".join(c.source for c in nb.cells[at[0]:])
    section = text.split("## Key points", 1)[1]
    bullets = re.findall(r"^[*-] ", section, re.M)
    assert 3 <= len(bullets) <= 6, f"{path.name}: {len(bullets)} key points (3–6 expected)"
    names = [p.name for p in NOTEBOOKS]
    following = names[names.index(path.name) + 1] if path != NOTEBOOKS[-1] else names[0]
    assert f"]({following})" in markdown[-1].source, f"{path.name} should end with a link to {following}"


# Slips of the notes, each corrected in a box where the reader meets it (issue 15).
ERRATA = {
    "01_feedforward": [r"w_\{ji\}", r"2nd unit", r"\\partial z_j\s*/\s*\\partial w_\{ij\}", r"compact set"],
    "02_backpropagation": [r"\(W\^\{l\+1\}\)\^T", r"W\^1, b\^1"],
    "03_training": [r"all the gradients and"],
    "04_dropout": [r"not updated"],
    "05_convolution": [r"121", r"matrix of a convolution"],
    "06_convnets": [r"similar activations"],
}


@pytest.mark.parametrize("name", ERRATA)
def test_each_slip_of_the_notes_has_its_erratum_box(name):
    boxes = [c.source for c in read(ROOT / "notebooks" / f"{name}.ipynb").cells
             if c.cell_type == "markdown" and "**Erratum" in c.source]
    boxes = [line for box in boxes for line in box.splitlines() if "Erratum" in line or line.startswith(">")]
    for correction in ERRATA[name]:
        assert any(re.search(correction, line) for line in boxes), f"{name}: no erratum box with {correction}"


# --- re-execution changes no byte; no timings in the output (issue 20, item 12) ------------
TIMING_CALL = re.compile(r"\btime\.(?:perf_counter|time|monotonic|process_time)(?:_ns)?\("
                         r"|^\s*%%?timeit?\b|\bdatetime\.now\(", re.M)
# what a tqdm bar shows of time: "[00:01<00:00, 9.94it/s]"
PROGRESS_TIMING = re.compile(r"\[\d\d:\d\d<|\d(?:it/s|s/it)\b")
WIDGET_STATE_MIME = "application/vnd.jupyter.widget-state+json"


def widget_states(nb) -> dict:
    return nb.metadata.get("widgets", {}).get(WIDGET_STATE_MIME, {}).get("state", {})


def split_streams(outputs) -> int:
    """How many stream outputs directly follow a piece of the same stream."""
    return sum(1 for a, b in zip(outputs, outputs[1:]) if a.get("output_type") == b.get("output_type") == "stream"
               and a.get("name") == b.get("name"))


@notebook_param
def test_no_execution_timing_metadata(path):
    nb = read(path)
    timed = [cell_label(nb, c) for c in nb.cells if "execution" in c.get("metadata", {})]
    assert not timed, (f"{path.name}: {len(timed)} cells carry execution timestamps, e.g. {timed[:2]}; "
                       f"re-run `.venv/bin/python tools/execute_notebooks.py {path.relative_to(ROOT)}`")


@notebook_param
def test_printed_text_is_not_split_into_pieces(path):
    nb = read(path)
    split = [cell_label(nb, c) for c in code_cells(nb) if split_streams(c.outputs)]
    split += [f"Output widget {model_id}" for model_id, model in widget_states(nb).items()
              if split_streams(model.get("state", {}).get("outputs") or [])]
    assert not split, (f"{path.name}: printed text split into consecutive stream outputs (they vary from run "
                       f"to run) in {split[:3]}; re-run tools/execute_notebooks.py, which joins them")


@notebook_param
def test_no_timings_in_committed_output(path):
    nb = read(path)
    timing = [cell_label(nb, c) for c in code_cells(nb) if TIMING_CALL.search(c.source)]
    assert not timing, (f"{path.name}: {timing} time something; timings go to `make bench` and "
                        f"docs/benchmarks.md, not into the notebook's output")
    shown = nbformat.writes(nb)
    bars = sorted(set(m.group(0) for m in PROGRESS_TIMING.finditer(shown)))
    assert not bars, (f"{path.name}: a progress bar shows times ({bars[:3]}); tools/execute_notebooks.py "
                      f"runs the kernel with a bar format without them")


@notebook_param
def test_every_widget_reference_has_its_saved_state(path):
    nb = read(path)
    states = widget_states(nb)
    text = nbformat.writes(nb)
    referred = set(re.findall(r'"model_id": "([^"]+)"', text)) | set(re.findall(r"IPY_MODEL_([0-9a-f]+)", text))
    missing = sorted(referred - set(states))
    assert not missing, f"{path.name}: widgets {missing[:3]} are referred to but have no saved state"


@notebook_param
def test_widget_ids_are_derived_from_the_notebook(path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("execute_notebooks", ROOT / "tools" / "execute_notebooks.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    nb = read(path)
    drawn = [old for old, new in tool.derived_widget_ids(nb, path.stem).items() if old != new]
    assert not drawn, (f"{path.name}: {len(drawn)} widget ids were drawn by the kernel, not derived from the "
                       f"notebook (they change on every run); re-run tools/execute_notebooks.py")


@notebook_param
def test_display_math_stands_in_its_own_paragraph(path):
    """$$ … $$ inside a paragraph is inline math to MyST: the site would then pair the wrong dollars."""
    crowded = []
    for i, cell in enumerate(read(path).cells):
        if cell.cell_type != "markdown":
            continue
        for m in re.finditer(r"\$\$.*?\$\$", cell.source, re.S):
            before, after = cell.source[:m.start()], cell.source[m.end():]
            if not (before.strip() == "" or before.endswith("\n\n")) or not (after.strip() == "" or after.startswith("\n\n")):
                crowded.append(f"cell {i}: …{before[-30:]!r} $$…$$ {after[:30]!r}…")
    assert not crowded, f"{path.name}: put a blank line before and after display math: {crowded}"
