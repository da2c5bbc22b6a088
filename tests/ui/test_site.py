"""The course site (`make html`) in Chromium, served on 127.0.0.1 with every other host blocked.

Each page (the index, every notebook, the search page) must load with no failed or blocked
request and no console error; the widgets draw their controls from the saved state; the math
is typeset by the site's own MathJax; searching finds the backpropagation notebook; an
exercise's solution is folded until clicked.  Screenshots land in test-artifacts/site/.
The site is built once per session (tests/conftest.py); see conftest.py here for the browser.
"""
from __future__ import annotations

import functools
import http.server
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SCREENSHOTS = ROOT / "test-artifacts" / "site"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
CONTROLS = (".jupyter-widgets .widget-slider, .jupyter-widgets .widget-dropdown, "
            ".jupyter-widgets .widget-toggle-buttons, .jupyter-widgets .widget-checkbox, "
            ".jupyter-widgets .widget-button, .jupyter-widgets .widget-radio")
RAW_TEX = ("$$", "\\begin", "\\[", "\\(")
# Top-level widget views drawn on the page (a view's children are .jupyter-widgets too).
JS_TOP_LEVEL_WIDGETS = """() => Array.from(document.querySelectorAll('.jupyter-widgets'))
    .filter(v => !v.parentElement.closest('.jupyter-widgets')).length"""

pytestmark = pytest.mark.ui


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site_url(chromium_executable, built_site):    # skips first without Chromium
    """The built site on http://127.0.0.1:<free port>/."""
    handler = functools.partial(QuietHandler, directory=str(built_site[0]))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Watch:
    """What went wrong while a page loaded."""
    blocked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def assert_clean(self, name: str):
        assert not self.blocked, f"{name} asked other hosts for: {self.blocked}"
        assert not self.failed, f"{name}: failed requests: {self.failed}"
        assert not self.console_errors, f"{name}: console errors: {self.console_errors}"


@pytest.fixture
def watched(page, site_url):
    """The browser page, allowed to reach the site only, and a record of what went wrong."""
    host = urlparse(site_url).netloc
    watch = Watch()

    def route(route):
        url = route.request.url
        if urlparse(url).netloc == host or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            watch.blocked.append(url)
            route.abort()

    page.route("**/*", route)
    page.on("requestfailed", lambda r: watch.failed.append(f"{r.url} ({r.failure})"))
    page.on("response", lambda r: watch.failed.append(f"{r.url} (HTTP {r.status})") if r.status >= 400 else None)
    page.on("console", lambda m: watch.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: watch.console_errors.append(str(e)))
    return page, watch


def screenshot(page, name: str):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name))


def widget_count(notebook: Path) -> int:
    nb = nbformat.read(notebook, as_version=4)
    return sum(WIDGET_VIEW in out.get("data", {}) for cell in nb.cells for out in cell.get("outputs", []))


def has_exercise_checks(notebook: Path) -> bool:
    nb = nbformat.read(notebook, as_version=4)
    return any(c.cell_type == "code" and ".check(" in c.source and "exercise_" in c.source for c in nb.cells)


def test_index_page(watched, site_url):
    page, watch = watched
    page.goto(site_url + "index.html", wait_until="load")
    nav = page.locator("nav.bd-docs-nav a.reference.internal")
    assert nav.count() >= len(NOTEBOOKS)
    assert [nav.nth(i).get_attribute("href") for i in range(len(NOTEBOOKS))] == [
        f"{nb.stem}.html" for nb in NOTEBOOKS]
    page.wait_for_load_state("networkidle")
    screenshot(page, "index.png")
    watch.assert_clean("index.html")


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_page(watched, site_url, notebook):
    """Loads cleanly; every widget draws its controls; the math is typeset, no raw TeX shows."""
    page, watch = watched
    page.goto(site_url + f"{notebook.stem}.html", wait_until="load")
    n_widgets = widget_count(notebook)
    if n_widgets:
        page.locator(CONTROLS).first.wait_for(state="visible", timeout=20_000)
        assert page.evaluate(JS_TOP_LEVEL_WIDGETS) == n_widgets, f"not every widget of {notebook.stem} rendered"
        assert page.locator(CONTROLS).count() > 0
    blocks = page.locator("div.math")
    if blocks.count():
        page.locator("div.math mjx-container").first.wait_for(state="attached", timeout=20_000)
        page.wait_for_function("() => Array.from(document.querySelectorAll('div.math, span.math'))"
                               ".every(m => m.querySelector('mjx-container'))", timeout=20_000)
        for i in range(blocks.count()):
            text = blocks.nth(i).inner_text()
            assert not any(raw in text for raw in RAW_TEX), f"{notebook.stem}: raw TeX shown: {text[:200]!r}"
    page.wait_for_load_state("networkidle")
    if notebook.stem == "06_convnets":
        page.locator(".jupyter-widgets").first.scroll_into_view_if_needed()
        screenshot(page, "notebook_with_widget.png")
    watch.assert_clean(notebook.stem)


def test_search_finds_the_backpropagation_page(watched, site_url):
    page, watch = watched
    page.goto(site_url + "search.html?q=backpropagation", wait_until="load")
    results = page.locator("#search-results ul.search li a")
    results.first.wait_for(timeout=20_000)
    hrefs = [results.nth(i).get_attribute("href") for i in range(results.count())]
    assert any(h.split("?")[0].split("#")[0] == "02_backpropagation.html" for h in hrefs), hrefs
    page.wait_for_load_state("networkidle")
    screenshot(page, "search_backpropagation.png")
    watch.assert_clean("search.html")


def test_solution_is_folded_until_clicked(watched, site_url):
    notebook = ROOT / "notebooks" / "06_convnets.ipynb"
    if not has_exercise_checks(notebook):
        pytest.skip("06_convnets has no exercise_N.check( cell yet: no solution dropdown to open")
    page, watch = watched
    page.goto(site_url + "06_convnets.html", wait_until="load")
    dropdown = page.locator("details.exercise-solution").first
    dropdown.scroll_into_view_if_needed()
    body = dropdown.locator(".sd-summary-content")
    assert dropdown.evaluate("d => d.open") is False
    assert not body.is_visible()
    dropdown.locator("summary").click()
    body.wait_for(state="visible", timeout=5_000)
    assert dropdown.evaluate("d => d.open") is True
    assert "worked solution" in body.inner_text()
    screenshot(page, "solution_open.png")
    watch.assert_clean("06_convnets.html")
