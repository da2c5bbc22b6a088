"""Every notebook in a real JupyterLab in Chromium: Run All without errors, then every widget reacts.

nbval checks the printed text of each cell, but not whether a widget really redraws in the
page; this test does what a student does: open the notebook, run all cells, move the first
control of each widget and watch its output area change.  Screenshots land in
test-artifacts/ui/.  See conftest.py for the server and browser (skipped without Chromium).
"""
from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

pytestmark = pytest.mark.ui

OPEN_TIMEOUT_MS = 60_000
KERNEL_TIMEOUT_MS = 90_000
RUN_ALL_TIMEOUT_MS = 180_000   # nbval allows 30 s per notebook; the browser adds rendering
WIDGET_TIMEOUT_S = 60

# The JupyterLab application is exposed as window.jupyterapp (--LabApp.expose_app_in_browser).
JS_NOTEBOOK_OPEN = """path => {
    const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    return !!(w && w.context && w.context.path === path && w.context.isReady && w.content);
}"""

# The toolbar can say "idle" while the kernel is still starting ("No Kernel | Initializing"),
# so ask the session, the kernel connection and the kernel's status all at once.
JS_KERNEL_IDLE = """() => {
    const sc = window.jupyterapp.shell.currentWidget.sessionContext;
    const k = sc.session && sc.session.kernel;
    return sc.isReady && sc.kernelDisplayStatus === 'idle' && !!k
        && k.connectionStatus === 'connected' && k.status === 'idle';
}"""

# A kernel_info round trip proves the kernel answers on its shell channel.
JS_KERNEL_INFO = """async () => {
    const k = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
    const reply = await k.requestKernelInfo();
    return reply ? reply.content.status : 'no reply';
}"""

JS_RUN_ALL_DONE = """() => {
    const w = window.jupyterapp.shell.currentWidget;
    const k = w.sessionContext.session.kernel;
    const cells = w.content.widgets.filter(c => c.model.type === 'code');
    const failed = cells.some(c => c.model.outputs.toJSON().some(o => o.output_type === 'error'));
    const allRan = cells.every(c => c.model.executionCount !== null);
    const running = Array.from(w.node.querySelectorAll('.jp-InputArea-prompt'))
        .some(p => p.textContent.includes('*'));
    return k.status === 'idle' && !running && (allRan || failed);
}"""

JS_ERRORS = """() => {
    const cells = window.jupyterapp.shell.currentWidget.content.widgets;
    const errors = [];
    cells.forEach((c, i) => {
        if (c.model.type !== 'code') return;
        for (const o of c.model.outputs.toJSON()) {
            if (o.output_type === 'error') errors.push(`cell ${i}: ${o.ename}: ${o.evalue}`);
        }
        if (c.model.executionCount === null) errors.push(`cell ${i}: did not run`);
    });
    return errors;
}"""

# Top-level widget views (not widgets nested inside another widget), tagged for locators.
JS_TAG_WIDGETS = """() => {
    const views = Array.from(document.querySelectorAll('.jp-Notebook .jp-OutputArea-output > .jupyter-widgets'))
        .filter(v => !v.parentElement.closest('.jupyter-widgets'));
    views.forEach((v, i) => v.setAttribute('data-ui-test-widget', String(i)));
    return views.length;
}"""

CONTROLS = (".widget-slider, .widget-dropdown, .widget-toggle-buttons, .widget-radio-box, "
            ".widget-checkbox, .widget-select, .widget-button")


def output_snapshot(view) -> str:
    """The widget's output area(s): figures and text it redraws (the whole view if none)."""
    outputs = view.locator(".widget-output")
    if outputs.count():
        return "\n".join(outputs.nth(i).inner_html() for i in range(outputs.count()))
    return view.inner_html()


def change_first_control(view) -> str:
    """Change the view's first control as a user would; return a description of what was done."""
    control = view.locator(CONTROLS).first
    classes = control.get_attribute("class") or ""
    if "widget-slider" in classes:
        handle = control.locator(".noUi-handle").first
        before = handle.get_attribute("aria-valuenow")
        handle.focus()
        handle.press("ArrowRight")
        if handle.get_attribute("aria-valuenow") == before:   # already at its maximum
            handle.press("ArrowLeft")
        return f"slider {before} -> {handle.get_attribute('aria-valuenow')}"
    if "widget-dropdown" in classes or "widget-select" in classes:
        select = control.locator("select")
        options = select.locator("option")
        current = select.evaluate("s => s.selectedIndex")
        choice = (current + 1) % options.count()
        select.select_option(index=choice)
        return f"dropdown -> {options.nth(choice).get_attribute('value')}"
    if "widget-toggle-buttons" in classes:
        button = control.locator("button:not(.mod-active)").first
        button.click()
        return f"toggle button {button.inner_text()!r}"
    if "widget-radio-box" in classes:
        radio = control.locator("input:not(:checked)").first
        radio.check()
        return "radio button"
    if "widget-button" in classes:
        control.click()
        return f"button {control.inner_text()!r}"
    control.locator("input").first.click()   # checkbox
    return "checkbox"


def wait_for_redraw(page, view, before: str, timeout_s: float, message: str):
    """Wait until the widget view's output differs from ``before``, then until the kernel is idle
    (the redraw is finished then); fail with ``message`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while output_snapshot(view) == before:
        assert time.monotonic() < deadline, message
        page.wait_for_timeout(200)
    wait_for_kernel(page)


def wait_for_kernel(page):
    page.wait_for_function(JS_KERNEL_IDLE, timeout=KERNEL_TIMEOUT_MS)
    status = page.evaluate(JS_KERNEL_INFO)
    assert status == "ok", f"kernel_info request answered {status!r}"
    page.wait_for_function(JS_KERNEL_IDLE, timeout=KERNEL_TIMEOUT_MS)


def run_in_lab(page, lab_server, name: str, widget_timeout_s: float = WIDGET_TIMEOUT_S) -> dict:
    """Open notebook ``name`` of the server's folder, Run All, move each widget's first control.

    Raises AssertionError when a cell shows an error or a widget's output does not change;
    returns the seconds from the start at which each stage finished.
    """
    timings = {}
    start = time.monotonic()
    # ?reset: start from an empty workspace, not the tabs the previous notebook left open.
    page.goto(f"{lab_server.url}/lab/tree/{name}?reset", timeout=OPEN_TIMEOUT_MS)
    page.wait_for_function(JS_NOTEBOOK_OPEN, arg=name, timeout=OPEN_TIMEOUT_MS)
    page.evaluate("() => window.jupyterapp.shell.collapseLeft()")   # room for the notebook
    wait_for_kernel(page)
    timings["kernel ready"] = time.monotonic() - start

    # Clear the committed outputs so that everything checked below comes from this run.
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    page.locator(".lm-MenuBar-item", has_text="Run").first.click()
    page.locator(".lm-Menu-item", has_text="Run All Cells").first.click()
    page.wait_for_function(JS_RUN_ALL_DONE, timeout=RUN_ALL_TIMEOUT_MS, polling=250)
    timings["run all"] = time.monotonic() - start
    errors = page.evaluate(JS_ERRORS)
    assert not errors, f"{name}: errors after Run All: {errors}"

    n_widgets = page.evaluate(JS_TAG_WIDGETS)
    for i in range(n_widgets):
        view = page.locator(f"[data-ui-test-widget='{i}']")
        if not view.locator(CONTROLS).count():
            continue   # e.g. a progress bar: nothing to move
        view.scroll_into_view_if_needed()
        before = output_snapshot(view)
        n_images = view.locator("img").count()
        action = change_first_control(view)
        wait_for_redraw(page, view, before, widget_timeout_s,
                        f"{name}: widget {i}: output did not change within {widget_timeout_s} s "
                        f"after {action}")
        assert view.locator("img").count() >= n_images, (
            f"{name}: widget {i}: its figure disappeared after {action}")
        errors = page.evaluate(JS_ERRORS)
        assert not errors, f"{name}: errors after {action}: {errors}"
    timings["widgets"] = time.monotonic() - start
    return timings


def screenshot_and_stop_kernels(page, lab_server, path: Path):
    try:   # never let a failed screenshot hide the test's own failure
        page.screenshot(path=str(path))
    finally:
        lab_server.shutdown_kernels()


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_widgets_react(notebook, lab_server, page, artifacts_dir):
    try:
        timings = run_in_lab(page, lab_server, notebook.name)
    finally:
        screenshot_and_stop_kernels(page, lab_server, artifacts_dir / f"{notebook.stem}.png")
    print(f"{notebook.name}: " + ", ".join(f"{k} at {v:.1f} s" for k, v in timings.items()))


# The checks above must be able to fail: two small notebooks written into the server's copy.
LIVE_AND_DEAD_WIDGETS = [
    # A slider already at its maximum (so the key press must go left) that redraws its output,
    "import ipywidgets as w\n"
    "out = w.Output()\n"
    "live = w.IntSlider(value=3, min=0, max=3)\n"
    "def redraw(change):\n"
    "    out.clear_output()\n"
    "    with out:\n"
    "        print('value', change['new'])\n"
    "live.observe(redraw, names='value')\n"
    "with out:\n"
    "    print('value', live.value)\n"
    "w.VBox([live, out])",
    # and a dropdown whose output never changes.
    "dead = w.Dropdown(options=['a', 'b'])\n"
    "still = w.Output()\n"
    "with still:\n"
    "    print('always the same')\n"
    "w.VBox([dead, still])",
]
FAILING_CELLS = ["print('fine')", "raise RuntimeError('boom')", "print('never runs')"]


def write_notebook(folder: Path, name: str, sources: list[str]):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(src) for src in sources]
    nbformat.write(nb, folder / name)


@pytest.mark.parametrize("name, cells, expected", [
    ("zz_dead_widget.ipynb", LIVE_AND_DEAD_WIDGETS, "widget 1: output did not change"),
    ("zz_error.ipynb", FAILING_CELLS, "RuntimeError: boom"),
], ids=["dead widget", "cell error"])
def test_the_check_catches_broken_notebooks(name, cells, expected, lab_server, page, artifacts_dir):
    write_notebook(lab_server.root, name, cells)
    try:
        with pytest.raises(AssertionError, match=expected):
            run_in_lab(page, lab_server, name, widget_timeout_s=3)
    finally:
        screenshot_and_stop_kernels(page, lab_server, artifacts_dir / f"selftest_{Path(name).stem}.png")


def test_a_new_user_gets_no_news_toast(lab_server, page, artifacts_dir):
    """`make setup` writes JupyterLab overrides into the venv: never fetch news, never ask."""
    url = f"{lab_server.url}/lab/api/settings/@jupyterlab/apputils-extension:notification"
    with urllib.request.urlopen(url, timeout=10) as response:
        defaults = json.loads(response.read().decode())["schema"]["properties"]   # overrides set these
    assert defaults["fetchNews"]["default"] == "false"
    assert defaults["checkForUpdates"]["default"] is False
    page.goto(f"{lab_server.url}/lab", timeout=OPEN_TIMEOUT_MS)
    page.wait_for_selector(".jp-LabShell", timeout=OPEN_TIMEOUT_MS)
    page.wait_for_timeout(3000)   # the question would come as a toast shortly after start-up
    page.screenshot(path=str(artifacts_dir / "lab_start.png"))
    assert page.get_by_text("official Jupyter news").count() == 0


# --- keyboard only: a slider reached with Tab and moved with the arrow keys redraws its figure ----
# (On the course site the widgets show saved state and have no kernel to redraw with.)

KEYBOARD_NOTEBOOK = ["from lecture_nn.lessons.start.widgets import toy_network_explorer\n\ntoy_network_explorer()"]
MAX_TABS = 40
JS_FOCUSED = """() => {
    const e = document.activeElement;
    if (!e) return null;
    const labelled = (e.getAttribute('aria-labelledby') || '').split(' ')
        .map(id => document.getElementById(id)).filter(Boolean).map(l => l.textContent.trim()).join(' ');
    const box = e.closest('.widget-inline-hbox');
    const label = box && box.querySelector(':scope > label.widget-label');
    return {role: e.getAttribute('role'), tag: e.tagName.toLowerCase(), inWidget: !!e.closest('.jupyter-widgets'),
            value: e.getAttribute('aria-valuenow'),
            name: e.getAttribute('aria-label') || labelled || (label ? label.textContent.trim() : '')};
}"""


def test_a_slider_moves_from_the_keyboard_and_its_figure_redraws(lab_server, page, artifacts_dir):
    name = "zz_keyboard.ipynb"
    write_notebook(lab_server.root, name, KEYBOARD_NOTEBOOK)
    try:
        page.goto(f"{lab_server.url}/lab/tree/{name}?reset", timeout=OPEN_TIMEOUT_MS)
        page.wait_for_function(JS_NOTEBOOK_OPEN, arg=name, timeout=OPEN_TIMEOUT_MS)
        wait_for_kernel(page)
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        page.wait_for_function(JS_RUN_ALL_DONE, timeout=RUN_ALL_TIMEOUT_MS, polling=250)
        assert not page.evaluate(JS_ERRORS)
        assert page.evaluate(JS_TAG_WIDGETS) == 1
        view = page.locator("[data-ui-test-widget='0']")
        view.locator(".widget-output img").first.wait_for(timeout=WIDGET_TIMEOUT_S * 1000)
        wait_for_kernel(page)
        before = output_snapshot(view)

        # From here on only the keyboard: Tab until a slider of the widget has the focus.
        visited = []
        for _ in range(MAX_TABS):
            page.keyboard.press("Tab")
            focused = page.evaluate(JS_FOCUSED) or {}
            visited.append(f"{focused.get('tag')}[{focused.get('role')}] {focused.get('name', '')!r}")
            if focused.get("role") == "slider" and focused.get("inWidget"):
                break
        else:
            raise AssertionError(f"no slider reached in {MAX_TABS} Tab presses: {visited}")
        page.keyboard.press("ArrowRight")
        moved = page.evaluate(JS_FOCUSED)
        if moved["value"] == focused["value"]:          # already at its maximum
            page.keyboard.press("ArrowLeft")
            moved = page.evaluate(JS_FOCUSED)
        assert moved["role"] == "slider" and moved["value"] != focused["value"], (
            f"the arrow keys did not move the slider {focused['name']!r} ({focused['value']})")
        wait_for_redraw(page, view, before, WIDGET_TIMEOUT_S,
                        f"slider {focused['name']!r} moved {focused['value']} -> {moved['value']} from the "
                        f"keyboard, but its figure did not change within {WIDGET_TIMEOUT_S} s")
        assert view.locator(".widget-output img").count() >= 1
        assert not page.evaluate(JS_ERRORS)
        print(f"Tab path to the slider: {visited}; {focused['name']!r} {focused['value']} -> {moved['value']}")
    finally:
        screenshot_and_stop_kernels(page, lab_server, artifacts_dir / "keyboard_slider.png")
