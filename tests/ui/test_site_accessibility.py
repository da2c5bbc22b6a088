"""The course site for readers with a screen reader, a keyboard or low vision, in Chromium.

axe-core (npm, pinned and sha512-checked in tools/site_assets.py, injected by the test) checks the
whole of every page of the built site in the light and the dark theme against the WCAG 2 A and AA
rules, after the widgets are drawn and the math typeset.  No serious or critical finding may
remain, except those on ALLOWED: findings in the upstream theme's own markup that wait for an
upstream fix (today none).  Each run's findings are saved in test-artifacts/site/axe/ as
<page>-<theme>.json and a readable <page>-<theme>.txt (rule, impact, element, HTML, page, theme).

The widgets' controls carry their descriptions as accessible names and the figures they drew
an alt text naming the widget (docs/site/_static/widgets-setup.js).  The keyboard-only test of a
slider is in test_jupyterlab.py: on the site the widgets show saved state and cannot redraw.
"""
from __future__ import annotations

from pathlib import Path

import pytest

import axe_check

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
REPORTS = ROOT / "test-artifacts" / "site" / "axe"
# Every page Sphinx writes; the search page with a query, so its results are checked too.
PAGES = ["index.html", "genindex.html", "search.html?q=backpropagation", *[f"{nb.stem}.html" for nb in NOTEBOOKS]]
THEMES = ("light", "dark")

# Findings in the theme's own markup that we cannot change from docs/site/ and that wait for an
# upstream fix: axe_check.Allowed(rule, selector pattern, upstream issue address, what is wrong).
# Keep it short; every entry names the upstream issue it waits for.
ALLOWED: tuple[axe_check.Allowed, ...] = ()

pytestmark = pytest.mark.ui


@pytest.fixture(scope="session")
def axe_script(site_assets) -> Path:
    return site_assets.ensure_axe()


def open_in_theme(page, url: str, theme: str):
    """Load url with the reader's system set to theme (the site follows it: default_mode auto)."""
    page.emulate_media(color_scheme=theme)
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    shown = page.evaluate("() => document.documentElement.dataset.theme")
    assert shown == theme, f"asked for the {theme} theme, the page shows {shown!r}"


def test_every_page_of_the_site_is_checked(built_site):
    written = sorted(p.name for p in built_site[0].glob("*.html"))
    assert written == sorted(name.split("?")[0] for name in PAGES)


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("name", PAGES, ids=[p.split("?")[0].removesuffix(".html") for p in PAGES])
def test_axe_finds_no_serious_problem(watched, site_url, axe_script, name, theme):
    page, watch = watched
    open_in_theme(page, site_url + name, theme)
    findings = axe_check.run_axe(page, axe_script, name, theme)
    saved = axe_check.save(findings, REPORTS, name, theme, ALLOWED)
    failing, _ = axe_check.blocking(findings, ALLOWED)
    assert not failing, f"axe-core (report in {saved.relative_to(ROOT)}):\n" + saved.read_text(encoding="utf-8")
    watch.assert_clean(name)


def test_every_allowed_finding_names_its_upstream_issue():
    for entry in ALLOWED:
        assert entry.upstream.startswith("https://github.com/") and "/issues/" in entry.upstream, entry
        assert entry.why and entry.rule and entry.selector, entry


# --- the check itself must be able to fail --------------------------------------------------------

BAD_PAGE = """<!doctype html><html lang="en"><head><title>bad</title></head><body><main>
<h1>A page with three faults</h1>
<div class="noUi-handle" role="slider" tabindex="0" aria-valuemin="0" aria-valuemax="9" aria-valuenow="3"></div>
<img src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==">
<p style="color: #777; background: #888">grey on grey</p>
</main></body></html>"""


def test_axe_reports_a_nameless_slider_a_missing_alt_and_low_contrast(page, axe_script):
    page.set_content(BAD_PAGE)
    findings = axe_check.run_axe(page, axe_script, "bad.html", "light")
    failing, waived = axe_check.blocking(findings, ALLOWED)
    assert {f.rule for f in failing} == {"aria-input-field-name", "image-alt", "color-contrast"}
    assert not waived
    text = axe_check.report(findings, "bad.html", "light", ALLOWED)
    for words in ("[serious] aria-input-field-name", "[critical] image-alt", "[serious] color-contrast",
                  "page: bad.html (light theme)", 'role="slider"', "grey on grey"):
        assert words in text, f"{words!r} missing from the report:\n{text}"
    allowed = (axe_check.Allowed("image-alt", r"^img$", "https://github.com/o/r/issues/1", "for the test"),)
    failing, waived = axe_check.blocking(findings, allowed)
    assert [f.rule for f in waived] == ["image-alt"] and "image-alt" not in {f.rule for f in failing}
    assert "waits for https://github.com/o/r/issues/1" in axe_check.report(findings, "bad.html", "light", allowed)


# --- widgets: names and alt text from the saved state ---------------------------------------------

JS_WIDGET_NAMES = """() => {
    const nameOf = e => (e.getAttribute('aria-labelledby') || '').split(' ').filter(Boolean)
        .map(id => document.getElementById(id)).filter(Boolean).map(l => l.textContent.trim()).join(' ')
        || e.getAttribute('aria-label') || '';
    const description = e => {
        const box = e.closest('.widget-inline-hbox, .widget-inline-vbox');
        const label = box && box.querySelector(':scope > label.widget-label');
        return label ? label.textContent.trim() : '';
    };
    const controls = Array.from(document.querySelectorAll(
        '.jupyter-widgets [role=slider], .jupyter-widgets .widget-readout, .jupyter-widgets select'));
    return {
        controls: controls.map(e => ({kind: e.getAttribute('role') || e.tagName.toLowerCase(),
                                     name: e.tagName === 'SELECT' && e.labels.length
                                         ? e.labels[0].textContent.trim() : nameOf(e),
                                     description: description(e)})),
        images: Array.from(document.querySelectorAll('.jupyter-widgets img')).map(i => i.getAttribute('alt')),
        titles: Array.from(document.querySelectorAll('.jupyter-widgets .widget-html b'))
            .map(b => b.textContent.trim()),
    };
}"""

WIDGET_PAGES = [nb for nb in NOTEBOOKS
                if "application/vnd.jupyter.widget-view+json" in nb.read_text(encoding="utf-8")]


@pytest.mark.parametrize("notebook", WIDGET_PAGES, ids=[nb.stem for nb in WIDGET_PAGES])
def test_widget_controls_are_named_by_their_descriptions(watched, site_url, notebook):
    page, watch = watched
    page.goto(site_url + f"{notebook.stem}.html", wait_until="load")
    page.wait_for_function(axe_check.JS_DRAWN, timeout=30_000)
    found = page.evaluate(JS_WIDGET_NAMES)
    sliders = [c for c in found["controls"] if c["kind"] == "slider"]
    assert sliders or any(c["kind"] == "select" for c in found["controls"]), f"{notebook.stem}: no controls drawn"
    unnamed = [c for c in found["controls"] if not c["name"] or c["name"] != c["description"]]
    assert not unnamed, f"{notebook.stem}: controls not named by their description: {unnamed}"
    assert found["images"], f"{notebook.stem}: its widgets drew no figure"
    for alt in found["images"]:
        assert alt and alt.startswith("Figure drawn by the widget: "), f"{notebook.stem}: alt {alt!r}"
        assert any(title in alt for title in found["titles"]), f"{notebook.stem}: {alt!r} names no widget title"
    watch.assert_clean(notebook.stem)
