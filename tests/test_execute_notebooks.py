"""`make notebooks` is byte-stable and keeps timings out of the notebooks (issue 20, item 12).

tools/execute_notebooks.py re-executes a notebook and normalises what varies from run to
run (timing metadata, stream pieces, widget ids, progress-bar timings, hash order). The
first test executes a real notebook twice, as `make notebooks` does, and compares the
files byte for byte; the others check each normalisation on a small notebook built here,
and the measured crossover that notebook 05 no longer times itself (`make bench`).
"""
from __future__ import annotations

import difflib
import importlib.util
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import uuid
from functools import lru_cache
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT / "tools" / "execute_notebooks.py"
# The cheapest notebook (about 5 s) with all that varied between runs: a widget (ids), printed
# text that the kernel sends in pieces (cell 27 always, others now and then) and figures (PNG).
STABLE_NOTEBOOK = "00_start_here"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


@lru_cache(maxsize=None)
def tool():
    """tools/execute_notebooks.py as a module (tools/ is not a package)."""
    spec = importlib.util.spec_from_file_location("execute_notebooks", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_crossover():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import crossover
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    return crossover


def first_differences(a: bytes, b: bytes, lines: int = 30) -> str:
    diff = difflib.unified_diff(a.decode().splitlines(), b.decode().splitlines(), "first run", "second run",
                                lineterm="", n=0)
    return "\n".join(line[:160] for _, line in zip(range(lines), diff))


# --- the real thing: one notebook, executed twice --------------------------------------------
def test_reexecuting_a_notebook_changes_no_byte(tmp_path):
    source = ROOT / "notebooks" / f"{STABLE_NOTEBOOK}.ipynb"
    runs = []
    for run in ("first", "second"):
        folder = tmp_path / run
        folder.mkdir()
        copy = folder / source.name         # same file name: the widget ids derive from it
        shutil.copy(source, copy)
        done = subprocess.run([sys.executable, str(TOOL), str(copy)], capture_output=True, text=True,
                              cwd=ROOT, timeout=600)
        assert done.returncode == 0, f"{run} run failed:\n{done.stdout[-1000:]}\n{done.stderr[-3000:]}"
        runs.append(copy.read_bytes())
    first, second = runs
    assert first == second, ("re-executing an unchanged notebook changed its bytes; first differences:\n"
                             + first_differences(first, second))
    # the notebook still has what used to vary, so the comparison means something
    nb = nbformat.reads(first.decode(), as_version=4)
    outputs = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs]
    assert any(WIDGET_VIEW in out.get("data", {}) for out in outputs), "no widget displayed"
    assert any("image/png" in out.get("data", {}) for out in outputs), "no figure"
    assert sum(out.output_type == "stream" for out in outputs) >= 5, "too little printed text"
    assert not any("execution" in cell.metadata for cell in nb.cells), "timing metadata recorded"


# --- a small notebook with widgets, built with ids of our choosing ---------------------------
def widget_notebook(ids: dict[str, str]):
    """A notebook whose saved widget state has a box (children, layout), a slider, an Output
    widget that displayed another widget, and a model nothing displays; ``ids`` names them."""
    def model(name, **state):
        return {"model_name": name, "model_module": "@jupyter-widgets/controls",
                "model_module_version": "2.0.0", "state": {"_model_name": name, **state}}

    def view(model_id):
        return new_output("display_data", data={WIDGET_VIEW: {"model_id": model_id, "version_major": 2,
                                                              "version_minor": 0},
                                                "text/plain": ["VBox()"]})

    states = {
        ids["box"]: model("VBoxModel", children=[f"IPY_MODEL_{ids['slider']}", f"IPY_MODEL_{ids['out']}"],
                          layout=f"IPY_MODEL_{ids['layout']}"),
        ids["slider"]: model("IntSliderModel", value=3, layout=f"IPY_MODEL_{ids['layout']}"),
        ids["layout"]: model("LayoutModel", width=None),
        ids["out"]: model("OutputModel", msg_id="", outputs=[
            new_output("stream", name="stdout", text="a"), new_output("stream", name="stdout", text="b\n"),
            view(ids["inner"])]),
        ids["inner"]: model("HTMLModel", value="<b>inside</b>"),
        ids["lost"]: model("LayoutModel", width="10px"),
    }
    cell = new_code_cell("show()", execution_count=1, outputs=[
        new_output("stream", name="stdout", text="one "), new_output("stream", name="stdout", text="two\n"),
        view(ids["box"])])
    cell.metadata["execution"] = {"iopub.status.busy": "2026-12-04T01:53:05.114104Z"}
    title = new_markdown_cell("# widgets")
    title.id, cell.id = "title", "show"      # fixed, not nbformat's random cell ids
    nb = new_notebook(cells=[title, cell])
    nb.metadata["widgets"] = {WIDGET_STATE: {"state": states, "version_major": 2, "version_minor": 0}}
    return nbformat.from_dict(nb)


def random_ids():
    return {name: uuid.uuid4().hex for name in ("box", "slider", "layout", "out", "inner", "lost")}


def references(nb) -> list[str]:
    """Every model id the notebook refers to: views' model_id and IPY_MODEL_ strings."""
    text = nbformat.writes(nb)
    return re.findall(r'"model_id": "([0-9a-f]{32})"', text) + re.findall(r"IPY_MODEL_([0-9a-f]{32})", text)


def test_normalised_notebook_does_not_depend_on_the_kernels_ids():
    ex = tool()
    texts = []
    for _ in range(2):
        nb = widget_notebook(random_ids())
        ex.normalise(nb, "09_example")
        texts.append(nbformat.writes(nb))
    assert texts[0] == texts[1]


def test_renamed_widget_references_all_resolve_and_no_old_id_is_left():
    ex = tool()
    ids = random_ids()
    nb = widget_notebook(ids)
    ex.normalise(nb, "09_example")
    states = ex.widget_states(nb)
    assert len(states) == len(ids)
    found = references(nb)
    assert len(found) == 6 and set(found) <= set(states), found       # 2 views, 4 IPY_MODEL_ references
    text = nbformat.writes(nb)
    assert not [old for old in ids.values() if old in text]
    box = states[nb.cells[1].outputs[-1]["data"][WIDGET_VIEW]["model_id"]]
    assert box["model_name"] == "VBoxModel"
    assert states[box["state"]["layout"].removeprefix("IPY_MODEL_")]["model_name"] == "LayoutModel"


def test_widget_ids_follow_the_notebook_name_and_first_appearance():
    ex = tool()
    ids = random_ids()
    order = ex.widget_id_order(widget_notebook(ids))
    # depth first from the displayed box (state keys in order: children, then layout), then the
    # model nothing displays
    assert order == [ids[name] for name in ("box", "slider", "layout", "out", "inner", "lost")]
    renaming = ex.derived_widget_ids(widget_notebook(ids), "09_example")
    assert renaming[ids["box"]] == uuid.uuid5(ex.WIDGET_ID_NAMESPACE, "09_example/0").hex
    other = ex.derived_widget_ids(widget_notebook(ids), "10_other")
    assert not set(renaming.values()) & set(other.values()), "two notebooks share widget ids"


def test_models_nothing_displays_get_an_order_by_content_not_by_id():
    ex = tool()
    orders = set()
    for _ in range(6):
        ids = random_ids()
        nb = widget_notebook(ids)
        second = uuid.uuid4().hex         # a second undisplayed model, another layout
        states = nb.metadata.widgets[WIDGET_STATE]["state"]
        states[second] = json.loads(json.dumps(states[ids["lost"]]).replace("10px", "20px"))
        order = ex.widget_id_order(nb)
        orders.add((order.index(ids["lost"]), order.index(second)))
    assert len(orders) == 1 and min(orders.pop()) == 5, "the undisplayed models' order depends on their ids"


def test_renaming_refuses_to_leave_a_reference_it_does_not_know():
    ex = tool()
    ids = random_ids()
    nb = widget_notebook(ids)
    nb.cells[1].outputs.append(new_output("display_data", data={"text/html": f"<div id='{ids['box']}'>"}))
    with pytest.raises(RuntimeError, match="still referred to"):
        ex.rename_widgets(nb, "09_example")


def test_normalise_removes_timing_and_joins_stream_pieces_in_cells_and_output_widgets():
    ex = tool()
    nb = widget_notebook(random_ids())
    ex.normalise(nb, "09_example")
    cell = nb.cells[1]
    assert "execution" not in cell.metadata
    assert [out.output_type for out in cell.outputs] == ["stream", "display_data"]
    assert cell.outputs[0].text == "one two\n"
    output_widget = next(m for m in ex.widget_states(nb).values() if m["model_name"] == "OutputModel")
    assert [o["output_type"] for o in output_widget["state"]["outputs"]] == ["stream", "display_data"]
    assert output_widget["state"]["outputs"][0]["text"] == "ab\n"


def test_coalesce_streams_joins_only_consecutive_pieces_of_one_stream():
    ex = tool()
    outputs = [new_output("stream", name="stdout", text="a"), new_output("stream", name="stdout", text="b"),
               new_output("display_data", data={"text/plain": "figure"}),
               new_output("stream", name="stdout", text="c"), new_output("stream", name="stderr", text="d"),
               new_output("stream", name="stderr", text="e")]
    joined = ex.coalesce_streams(outputs)
    assert [(o.output_type, o.get("name"), o.get("text")) for o in joined] == [
        ("stream", "stdout", "ab"), ("display_data", None, None), ("stream", "stdout", "c"),
        ("stream", "stderr", "de")]


def test_kernel_environment_fixes_the_hash_seed_and_the_bar_and_keeps_blas_settings():
    ex = tool()
    env = ex.kernel_environment({"PATH": "/bin", "OPENBLAS_NUM_THREADS": "3"})
    assert env["PYTHONHASHSEED"] == "0" and env["TQDM_BAR_FORMAT"] == ex.TQDM_BAR_FORMAT
    assert env["OPENBLAS_NUM_THREADS"] == "3" and env["OMP_NUM_THREADS"] == "1" and env["PATH"] == "/bin"


def test_progress_bars_in_the_kernel_environment_show_no_time():
    script = ("import sys\nfrom tqdm.auto import tqdm\n"
              "bar = tqdm(range(4), desc='epochs', file=sys.stdout, mininterval=0)\n"
              "for _ in bar:\n    bar.set_postfix(loss=0.5)\n")
    ex = tool()
    printed = {}
    default = {name: value for name, value in os.environ.items() if not name.startswith("TQDM_")}
    for label, env in (("default", default), ("kernel", ex.kernel_environment())):
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60)
        assert done.returncode == 0, done.stderr
        printed[label] = done.stdout
    assert "it/s" in printed["default"], "tqdm's default bar changed: check the timing-free format"
    assert "4/4" in printed["kernel"] and "loss=0.5" in printed["kernel"]
    assert "it/s" not in printed["kernel"] and "00:00" not in printed["kernel"], printed["kernel"]


def test_progress_bars_in_the_kernel_environment_draw_every_step():
    # a bar closed with leave=False (as fit's) keeps the last step it drew: with tqdm's
    # defaults which step that is depends on the clock (seen: "9/10" in one run, "10/10" in the next)
    script = "from tqdm.auto import tqdm\nbar = tqdm(range(3))\nprint(bar.miniters, bar.mininterval, bar.dynamic_miniters)"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=tool().kernel_environment(), timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1.0", "0.0", "False"], done.stdout


def test_write_atomically_keeps_the_mode_and_leaves_the_old_file_on_failure(tmp_path, monkeypatch):
    ex = tool()
    path = tmp_path / "n.ipynb"
    nbformat.write(new_notebook(cells=[new_markdown_cell("old")]), path)
    path.chmod(0o644)
    ex.write_atomically(new_notebook(cells=[new_markdown_cell("new")]), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert nbformat.read(path, as_version=4).cells[0].source == "new"

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(ex.nbformat, "write", interrupted)
    with pytest.raises(KeyboardInterrupt):
        ex.write_atomically(new_notebook(cells=[new_markdown_cell("newer")]), path)
    assert nbformat.read(path, as_version=4).cells[0].source == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["n.ipynb"], "a temporary file was left behind"


# --- the timing notebook 05 left out: measured by `make bench` -------------------------------
def test_time_routes_times_both_routes_for_each_kernel_size():
    from lecture_nn.lessons.convolution import fft_crossover
    from lecture_nn.lessons.convolution.route import time_routes

    result = time_routes(np.random.default_rng(0), image_size=32, kernel_sizes=(3, 9), repeats=1)
    assert result["kernel_sizes"] == [3, 9] and result["image_size"] == 32
    for route in ("sliding window", "FFT"):
        assert len(result[route]) == 2 and all(0 < t < 10 for t in result[route])
    assert result["crossover"] in (None, 3, 9)
    assert result["crossover by counts"] == fft_crossover(32)


@pytest.mark.parametrize("window, fft, expected", [
    ([1, 2, 3], [2, 1, 1], 5),        # faster from the middle size on
    ([1, 2, 3], [0.5, 1, 1], 3),      # faster everywhere
    ([1, 2, 3], [0.5, 3, 1], 7),      # a lucky small size does not count
    ([1, 2, 3], [2, 1, 4], None),     # not faster at the largest
])
def test_measured_crossover_needs_the_fft_faster_at_every_larger_size(window, fft, expected):
    from lecture_nn.lessons.convolution.route import _measured_crossover

    assert _measured_crossover([3, 5, 7], window, fft) == expected


def fake_run(crossover_at_256):
    result = {"image_size": 256, "kernel_sizes": [3, 5], "sliding window": [1e-4, 2.5],
              "FFT": [2e-3, 1e-3], "crossover": crossover_at_256, "crossover by counts": 9}
    return {"date": "2026-01-01 00:00", "cpu": "a CPU", "cores": 2, "threads": 1, "python": "3.11",
            "numpy": "2", "blas": "openblas", "load": "0.1 at the start, 0.2 at the end", "results": [result]}


def test_crossover_section_goes_before_the_latest_run_and_is_replaced_in_place(tmp_path):
    crossover = load_crossover()
    docs = tmp_path / "benchmarks.md"
    results = "<!-- results:start -->\n## Latest run\n<!-- results:end -->\n"
    docs.write_text("# Benchmarks\n\nintro\n\n" + results, encoding="utf-8")
    crossover.write_section(docs, crossover.markdown(fake_run(5)))
    crossover.write_section(docs, crossover.markdown(fake_run(3)))
    text = docs.read_text(encoding="utf-8")
    assert text.count(crossover.START) == 1 and text.count(crossover.HEADING) == 1
    assert text.index(crossover.END) < text.index("<!-- results:start -->") and text.endswith(results)
    assert "| 256×256 | k = 3 | k = 9 |" in text and "k = 5 |" not in text
    assert "| sliding window | 100 µs | 2.5 s |" in text


def measured_crossover_in_docs() -> int:
    crossover = load_crossover()
    text = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    assert crossover.START in text, "docs/benchmarks.md has no measured crossover: run benchmarks/crossover.py"
    section = text.split(crossover.START, 1)[1].split(crossover.END, 1)[0]
    found = re.search(r"^\| 256×256 \| k = (\d+) \|", section, re.M)
    assert found, "docs/benchmarks.md: no measured crossover for the 256×256 image"
    return int(found.group(1))


def test_notebook_05_quotes_the_measured_crossover_of_the_benchmark_page():
    measured = measured_crossover_in_docs()
    nb = nbformat.read(ROOT / "notebooks" / "05_convolution.ipynb", as_version=4)
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    quoted = re.findall(r"the FFT was already faster from \$k = (\d+)\$ on a \$256\\times256\$ image", prose)
    assert quoted == [str(measured)], (f"notebook 05 quotes the measured crossover as {quoted}, "
                                       f"docs/benchmarks.md says k = {measured}: update the notebook's text")
    assert "time_routes(" in prose, "notebook 05 should say how to time the routes on one's own machine"

