"""The course site (`make html`) in Chromium, served on 127.0.0.1 with every other host blocked.

Each page (the index, every notebook, the search page) must load with no failed or blocked
request and no console error; the widgets draw their controls from the saved state; the math
is typeset by the site's own MathJax; searching finds the backpropagation notebook; an
exercise's solution is folded until clicked.  Screenshots land in test-artifacts/site/.
The site is built once per session (tests/conftest.py); see conftest.py here for the browser and
the site's server.  Accessibility (axe-core, widget names, alt text) is in test_site_accessibility.py.
"""
from __future__ import annotations

from pathlib import Path

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
    # MathJax shows TeX it cannot typeset as a red error box (e.g. $$ … $$ inside a paragraph pairs the
    # wrong dollars, and the text between becomes "math")
    errors = page.locator("mjx-merror").all_inner_texts()
    assert not errors, f"{notebook.stem}: MathJax could not typeset: {errors[:3]}"
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


# Every kind of search control the theme can draw: the sidebar's field, the top bar's field, the
# article header's magnifier button and the search page's own form.
JS_VISIBLE_SEARCH_BOXES = """() => Array.from(document.querySelectorAll(
        '.search-button-field, .search-button, form.bd-search input[type=search], #search-input'))
    .filter(e => !e.closest('dialog') && e.checkVisibility({visibilityProperty: true}))
    .map(e => e.className || e.id)"""


# The search has finished and every result shows its snippet (each is fetched on its own).
JS_SNIPPETS_SHOWN = """() => {
    const items = Array.from(document.querySelectorAll('#search-results ul.search li'));
    const finished = /Search finished/.test(document.getElementById('search-results').textContent);
    return finished && items.length > 0 && items.every(li => li.querySelector('p.context'));
}"""


@pytest.mark.parametrize("width", [1400, 700], ids=["wide", "narrow"])
@pytest.mark.parametrize("name", ["index.html", "01_feedforward.html", "search.html?q=relu"])
def test_one_search_box_on_every_page(watched, site_url, name, width):
    """The theme's top bar is configured away; the search page keeps its own form only."""
    page, watch = watched
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(site_url + name, wait_until="load")
    page.wait_for_load_state("networkidle")
    visible = page.evaluate(JS_VISIBLE_SEARCH_BOXES)
    assert len(visible) == 1, f"{name} at {width} px shows {len(visible)} search boxes: {visible}"
    watch.assert_clean(name)


def test_search_snippets_come_from_the_page_text(watched, site_url):
    """Sphinx cuts snippets from the page's main element, which in the theme also holds its
    buttons: docs/site/_static/search-fixes.js leaves those out."""
    page, watch = watched
    page.goto(site_url + "02_backpropagation.html", wait_until="load")
    title = " ".join(page.locator("article h1").first.inner_text().replace("#", "").split())
    page.goto(site_url + "search.html?q=backpropagation", wait_until="load")
    page.wait_for_function(JS_SNIPPETS_SHOWN, timeout=20_000)
    results = page.locator("#search-results ul.search li")
    snippets = {}
    for i in range(results.count()):
        href = results.nth(i).locator("a").first.get_attribute("href")
        snippets.setdefault(href, " ".join(results.nth(i).locator("p.context").inner_text().split()))
    assert snippets, "no search results"
    chrome = {href: text for href, text in snippets.items()
              if "System Settings" in text or "Light Dark" in text}
    assert not chrome, f"snippets with the theme's button labels: {chrome}"
    assert snippets["02_backpropagation.html"].startswith(title), (
        f"the snippet of 02 should start with its title {title!r}: {snippets['02_backpropagation.html'][:120]!r}")
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
