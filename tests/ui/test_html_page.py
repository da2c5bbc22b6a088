"""Look at the static HTML edition in Chromium: the index, a notebook page, its figures and widgets.

The pages load the widget renderer (@jupyter-widgets/html-manager's dist/embed-amd.js) and
require.js from a CDN, which this machine cannot reach.  When $LECTURE_NN_WIDGET_RENDERER
names a folder holding those two files (embed-amd.js, require.js, and the font files next to
embed-amd.js), the test serves them in place of the CDN and checks that the controls of every
widget render from the embedded state; otherwise it checks the figures only.  Such a folder:

    npm pack @jupyter-widgets/html-manager@1.0.15 requirejs@2.3.8
    tar xzf jupyter-widgets-html-manager-1.0.15.tgz && mkdir renderer && cp package/dist/* renderer/
    tar xzf requirejs-2.3.8.tgz && cp package/require.js renderer/
"""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
RENDERER_ENV = "LECTURE_NN_WIDGET_RENDERER"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

pytestmark = pytest.mark.ui


@pytest.fixture(scope="module")
def site(chromium_executable, tmp_path_factory) -> Path:   # skips first without Chromium
    spec = importlib.util.spec_from_file_location("build_html", ROOT / "tools" / "build_html.py")
    build_html = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_html)
    out = tmp_path_factory.mktemp("site")
    build_html.build_site(ROOT / "notebooks", out)
    return out


def serve_renderer(page, folder: Path):
    """Answer the CDN requests for the widget renderer and require.js from local files."""
    def handler(route):
        name = route.request.url.split("?")[0].rsplit("/", 1)[-1]
        name = "require.js" if name == "require.min.js" else name
        if (folder / name).is_file():
            route.fulfill(path=str(folder / name))
        else:
            route.abort()
    page.route("https://**/*", handler)


def widget_count(notebook: Path) -> int:
    nb = nbformat.read(notebook, as_version=4)
    return sum(WIDGET_VIEW in out.get("data", {}) for cell in nb.cells for out in cell.get("outputs", []))


def test_static_page_shows_figures_and_widgets(site, page, artifacts_dir):
    renderer = os.environ.get(RENDERER_ENV)
    if renderer:
        assert (Path(renderer) / "embed-amd.js").is_file(), f"{RENDERER_ENV}={renderer} has no embed-amd.js"
        serve_renderer(page, Path(renderer))
    page.goto((site / "index.html").as_uri())
    links = page.locator("table a")
    assert links.count() == len(list(site.glob("[0-9]*.html")))
    # The first notebook after the start page (if any): it has figures and a widget.
    target = links.nth(min(1, links.count() - 1)).get_attribute("href")
    links.nth(min(1, links.count() - 1)).click()
    page.wait_for_load_state("load")
    assert page.url.endswith(target)

    images = page.locator(".jp-Cell-outputWrapper img")
    assert images.count() > 0, f"{target} shows no figure"
    images.first.scroll_into_view_if_needed()
    widths = images.evaluate_all("imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)")
    assert all(w > 0 for w in widths), f"{target}: images that did not load: {widths}"

    n_widgets = widget_count(ROOT / "notebooks" / target.replace(".html", ".ipynb"))
    if renderer and n_widgets:
        controls = page.locator(".jupyter-widgets .widget-slider, .jupyter-widgets .widget-dropdown, "
                                ".jupyter-widgets .widget-toggle-buttons, .jupyter-widgets .widget-checkbox")
        controls.first.wait_for(timeout=30_000)
        page.locator(".jupyter-widgets").first.scroll_into_view_if_needed()
        rendered = page.evaluate(
            "() => Array.from(document.querySelectorAll('.jupyter-widgets'))"
            ".filter(v => !v.parentElement.closest('.jupyter-widgets')).length")
        assert rendered == n_widgets, f"{target}: {rendered} of {n_widgets} widgets rendered"
    page.screenshot(path=str(artifacts_dir / f"site_{Path(target).stem}.png"))
