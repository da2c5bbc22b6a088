"""The static HTML edition (`make html`): a page per notebook with its figures and widgets, and an index."""
from __future__ import annotations

import base64
import importlib.util
import json
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def load_build_html():
    spec = importlib.util.spec_from_file_location("build_html", ROOT / "tools" / "build_html.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    pages = load_build_html().build_site(ROOT / "notebooks", out)
    assert [p.name for p in pages] == [f"{nb.stem}.html" for nb in NOTEBOOKS]
    return out


def image_outputs(nb) -> list[str]:
    """Base64 PNG/JPEG data of every image a cell displays (figures, not widget snapshots)."""
    images = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            for mime in ("image/png", "image/jpeg"):
                if mime in out.get("data", {}):
                    images.append(out["data"][mime].replace("\n", ""))
    return images


def img_sources(page_html: str) -> list[str]:
    return re.findall(r'<img\b[^>]*\bsrc="data:image/(?:png|jpeg);base64,([^"]+)"', page_html)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_notebook_has_a_page_with_its_figures(site, notebook):
    page = site / f"{notebook.stem}.html"
    assert page.exists(), f"no page for {notebook.name}"
    text = page.read_text(encoding="utf-8")
    nb = nbformat.read(notebook, as_version=4)
    sources = img_sources(text)
    figures = image_outputs(nb)
    # Figure cells ("figure-N" tags) are the ones a reader looks for.
    tagged = [c for c in nb.cells if any(t.startswith("figure-") for t in c.metadata.get("tags", []))]
    assert len(figures) >= len(tagged)
    assert len(sources) >= len(figures), (
        f"{page.name}: {len(figures)} figures in the notebook, {len(sources)} <img> in the page")
    for data in figures:
        assert data in sources, f"{page.name}: a figure of {notebook.name} is not an <img>"
        assert base64.b64decode(data[:64])[:4] in (b"\x89PNG", b"\xff\xd8\xff\xe0", b"\xff\xd8\xff\xe1",
                                                    b"\xff\xd8\xff\xdb", b"\xff\xd8\xff\xee")


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_widget_state_is_embedded_so_controls_render(site, notebook):
    nb = nbformat.read(notebook, as_version=4)
    views = [out["data"][WIDGET_VIEW]["model_id"] for cell in nb.cells
             for out in cell.get("outputs", []) if WIDGET_VIEW in out.get("data", {})]
    if not views:
        pytest.skip(f"{notebook.name} displays no widget")
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    missing = [m for m in views if m not in state]
    assert not missing, (f"{notebook.name}: widget models {missing} are not in the notebook's "
                         "metadata; re-run tools/execute_notebooks.py (it stores the widget state)")
    text = (site / f"{notebook.stem}.html").read_text(encoding="utf-8")
    match = re.search(rf'<script type="{re.escape(WIDGET_STATE)}">\s*(.*?)\s*</script>', text, re.S)
    assert match, f"{notebook.stem}.html has no embedded widget state"
    embedded = json.loads(match.group(1))["state"]
    for model_id in views:
        assert model_id in embedded
        assert f'"model_id": "{model_id}"' in text.replace("'", '"')
    assert "@jupyter-widgets/html-manager" in text   # the renderer that draws them


def test_index_links_every_page_against_lecture_sections(site):
    index = (site / "index.html").read_text(encoding="utf-8")
    links = set(re.findall(r'<a href="([^"]+\.html)"', index))
    assert links == {f"{nb.stem}.html" for nb in NOTEBOOKS}
    assert all((site / link).exists() for link in links)
    build_html = load_build_html()
    sections = build_html.read_section_map(ROOT / "notebooks")
    assert sections, "the map of notebooks against sections in 00_start_here was not found"
    for row in sections:
        if (ROOT / "notebooks" / f"{row['stem']}.ipynb").exists():
            row_html = re.search(rf'<tr><td><a href="{row["stem"]}\.html">.*?</tr>', index).group(0)
            assert row["sections"].replace("&", "&amp;") in row_html


def test_unexecuted_notebook_is_refused(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("print(1)")]
    nbformat.write(nb, tmp_path / "01_draft.ipynb")
    with pytest.raises(ValueError, match="not executed"):
        load_build_html().build_site(tmp_path, tmp_path / "site")
