"""The course site (`make html`, tools/build_html.py): its pages, navigation, widgets, solutions,
and that nothing it loads comes from another host.  The browser tests are in tests/ui/test_site.py."""
from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
REPOSITORY = "https://github.com/OWNER/lecture-nn"

# What a page loads: <script src>, <link rel=stylesheet href>, and url(...) / @import in CSS.
SCRIPT_SRC = re.compile(r"<script\b[^>]*\bsrc=[\"']([^\"']+)", re.I)
LINK_TAG = re.compile(r"<link\b[^>]*>", re.I)
HREF = re.compile(r"\bhref=[\"']([^\"']+)", re.I)
CSS_URL = re.compile(r"""url\(\s*["']?([^"')\s]+)|@import\s+["']([^"']+)""", re.I)
STYLE_BLOCK = re.compile(r"<style\b[^>]*>(.*?)</style>|\bstyle=\"([^\"]*)\"", re.I | re.S)


def page_of(site: Path, notebook: Path) -> str:
    return (site / f"{notebook.stem}.html").read_text(encoding="utf-8")


def widget_views(notebook: Path) -> list[str]:
    nb = nbformat.read(notebook, as_version=4)
    return [out["data"][WIDGET_VIEW]["model_id"] for cell in nb.cells
            for out in cell.get("outputs", []) if WIDGET_VIEW in out.get("data", {})]


def readme_order() -> list[str]:
    """The notebooks in the order of the README's table."""
    return re.findall(r"^\| \[`(\d\d_\w+)`\]\(notebooks/\1\.ipynb\)", (ROOT / "README.md").read_text(), re.M)


def foreign_urls(text: str, css: bool) -> list[str]:
    """Every http(s)/protocol-relative URL that ``text`` (HTML, or CSS when css) would load."""
    urls = []
    if not css:
        urls += SCRIPT_SRC.findall(text)
        urls += [HREF.search(tag).group(1) for tag in LINK_TAG.findall(text)
                 if re.search(r"\brel=[\"']?stylesheet", tag, re.I) and HREF.search(tag)]
        styles = " ".join(a or b for a, b in STYLE_BLOCK.findall(text))
    else:
        styles = text
    urls += [a or b for a, b in CSS_URL.findall(styles)]
    return [u for u in urls if urlparse(u).scheme in ("http", "https") or u.startswith("//")]


@pytest.fixture(scope="module")
def site(built_site) -> Path:
    return built_site[0]


def test_sphinx_builds_without_warnings(built_site):
    assert not built_site[1].warnings, built_site[1].warnings


def test_pages_and_navigation_follow_the_readme(site):
    order = readme_order()
    assert order == [nb.stem for nb in NOTEBOOKS], "README's table and notebooks/ disagree"
    toctree = re.search(r"```\{toctree\}\n(.*?)```", (ROOT / "docs/site/index.md").read_text(), re.S)
    entries = [line.strip() for line in toctree.group(1).splitlines()
               if line.strip() and not line.startswith(":")]
    assert entries == order, "docs/site/index.md's toctree must list the notebooks in the README's order"
    for name in ("index.html", "search.html", "searchindex.js", *[f"{s}.html" for s in order]):
        assert (site / name).is_file(), name
    index = (site / "index.html").read_text(encoding="utf-8")
    nav = index[index.index("bd-docs-nav"):]
    linked = re.findall(r'<a class="reference internal" href="([^"#]+)\.html"', nav)
    assert linked[:len(order)] == order


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_page_shows_the_figures_and_embeds_the_widget_state(site, notebook):
    text = page_of(site, notebook)
    nb = nbformat.read(notebook, as_version=4)
    images = sum(k in ("image/png", "image/jpeg") for c in nb.cells for o in c.get("outputs", [])
                 for k in o.get("data", {}))
    imgs = re.findall(r'<img\b[^>]*\bsrc="(_images/[^"]+)"', text)
    assert len(imgs) >= images, f"{notebook.stem}: {images} images in the notebook, {len(imgs)} on the page"
    assert all((site / src).is_file() for src in imgs)
    tagged = sorted(int(t.split("-")[1]) for c in nb.cells for t in c.metadata.get("tags", [])
                    if re.fullmatch(r"figure-\d+", t))
    for number in tagged:      # the notes' numbering: a captioned figure the text can link to
        assert re.search(rf'<figure[^>]*id="fig-{number}"', text), f"no figure fig-{number}"
    views = widget_views(notebook)
    if views:
        match = re.search(rf'<script type="{re.escape(WIDGET_STATE)}">(.*?)</script>', text, re.S)
        assert match, f"{notebook.stem}: no embedded widget state"
        state = json.loads(match.group(1))["state"]
        assert set(views) <= set(state)
        assert len(re.findall(rf'<script type="{re.escape(WIDGET_VIEW)}">', text)) == len(views)


def test_features_of_every_notebook_page(site):
    for notebook in NOTEBOOKS:
        text = page_of(site, notebook)
        path = f"notebooks/{notebook.name}"
        assert f"https://mybinder.org/v2/gh/OWNER/lecture-nn/main?urlpath=lab/tree/{path}" in text
        assert f"https://colab.research.google.com/github/OWNER/lecture-nn/blob/main/{path}" in text
        assert "copybutton.js" in text                     # copy buttons on code
        assert "theme-switch-button" in text               # light / dark / system
        assert 'id="search-input"' in text or "search-button" in text


def test_the_notes_equations_are_numbered_and_every_mention_links_to_them(site):
    feedforward = page_of(site, ROOT / "notebooks" / "01_feedforward.ipynb")
    for number in (1, 2, 3):
        assert feedforward.count(f'id="eq-{number}"') == 1 and f"\\tag{{{number}}}" in feedforward
    start = page_of(site, ROOT / "notebooks" / "00_start_here.ipynb")
    assert '<a href="01_feedforward.html#eq-2">eq. (2)</a>' in start
    assert '<a href="01_feedforward.html#eq-3">eq. (3)</a>' in start
    backprop = page_of(site, ROOT / "notebooks" / "02_backpropagation.ipynb")
    assert backprop.count('id="eq-4"') == 1 and "\\tag{4}" in backprop
    assert '<a href="#eq-4">eq. (4)</a>' in backprop
    training = page_of(site, ROOT / "notebooks" / "03_training.ipynb")
    assert '<a href="02_backpropagation.html#eq-4">eq. (4)</a>' in training


def test_nothing_is_loaded_from_another_host(site):
    """Every <script src>, stylesheet and CSS url()/@import of the site is served from site/."""
    found = {}
    for path in site.rglob("*"):
        if path.suffix in (".html", ".css"):
            urls = foreign_urls(path.read_text(encoding="utf-8", errors="replace"), css=path.suffix == ".css")
            if urls:
                found[str(path.relative_to(site))] = sorted(set(urls))
    assert not found, f"pages or style sheets that load from another host: {found}"


def test_the_foreign_url_check_finds_each_kind():
    html = ('<script src="https://cdn.example/x.js"></script><link rel="stylesheet" href="//cdn.example/a.css">'
            '<link rel="icon" href="https://example.org/i.png"><style>@import "https://f.example/f.css";</style>'
            '<div style="background: url(http://img.example/b.png)"></div><script src="_static/ok.js"></script>')
    assert sorted(foreign_urls(html, css=False)) == sorted([
        "https://cdn.example/x.js", "//cdn.example/a.css", "https://f.example/f.css", "http://img.example/b.png"])
    assert foreign_urls("a { src: url('https://fonts.example/f.woff2') } b { background: url(x.png) }",
                        css=True) == ["https://fonts.example/f.woff2"]


def test_mathjax_and_widget_renderer_are_vendored_with_their_licences(site, site_assets):
    assets = site_assets
    page = page_of(site, NOTEBOOKS[1])
    for script in (assets.MATHJAX_JS, assets.REQUIRE_JS, assets.EMBED_AMD_JS):
        assert f'src="_static/{script}' in page, script
        assert (site / "_static" / script).is_file()
    for package in assets.PACKAGES:
        folder = site / "_static" / assets.PREFIX / package.folder
        for licence in package.licence:
            assert (folder / Path(licence).name).is_file(), f"{package.npm_name}: no {licence}"
        assert f"{package.npm_name}@{package.version}" in (folder / "VENDORED.txt").read_text()
        assert re.fullmatch(r"\d+\.\d+\.\d+", package.version) and package.integrity.startswith("sha512-")


# --- staging: what the site adds to its copies of the notebooks ---------------------------------

def exercise_notebook(source: str):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Exercises"),
                nbformat.v4.new_code_cell(source, execution_count=1),
                nbformat.v4.new_code_cell("print('next')", execution_count=2)]
    return nb


def test_each_checked_exercise_gets_its_solution_folded_after_it(build_html):
    from lecture_nn.lessons.checking import exercises_in
    from lecture_nn.lessons.convnets import exercises

    nb = exercise_notebook("from lecture_nn.lessons.convnets.exercises import exercise_1, exercise_2\n"
                           "exercise_2.check(None)\nexercise_1.check(None)\nexercise_1.check(None)")
    assert build_html.add_solutions(nb, "06_convnets") == 2
    by_name = {ex.name: ex for ex in exercises_in(exercises)}
    added = nb.cells[2:4]
    assert [c.cell_type for c in nb.cells] == ["markdown", "code", "markdown", "markdown", "code"]
    for cell, name in zip(added, ("exercise_2", "exercise_1")):
        assert cell.source.startswith(f"::::{{dropdown}} Solution: {by_name[name].label}\n")
        assert by_name[name].solution_markdown().strip() in cell.source
        assert ":open:" not in cell.source                     # closed until clicked
        assert cell.source.rstrip().endswith("::::")


def test_lessons_without_exercise_objects_get_no_dropdowns(build_html, capsys):
    plain = exercise_notebook("from lecture_nn.lessons.start import widgets\nexercise_1.check(3)")
    assert build_html.add_solutions(plain, "x") == 0
    missing = exercise_notebook("from lecture_nn.lessons.nosuchlesson.exercises import exercise_1\n"
                                "exercise_1.check(3)")
    assert build_html.add_solutions(missing, "x") == 0 and len(missing.cells) == 3
    assert "no solutions for lesson 'nosuchlesson'" in capsys.readouterr().err


def test_staging_leaves_the_committed_notebooks_alone(build_html, tmp_path):
    source = tmp_path / "notebooks"
    source.mkdir()
    nb = exercise_notebook("from lecture_nn.lessons.convnets.exercises import exercise_3\nexercise_3.check(None)")
    nb.cells.insert(0, nbformat.v4.new_markdown_cell("See Fig. 12 and `Fig. 12`; $$a = b \\qquad (4)$$ [x](../README.md#y)"))
    nb.cells[2].metadata["tags"] = ["figure-12"]
    nb.cells[2].outputs = [nbformat.v4.new_output("display_data", {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"})]
    nbformat.write(nb, source / "06_convnets.ipynb")
    before = (source / "06_convnets.ipynb").read_bytes()
    (staged,) = build_html.stage(source, tmp_path / "src")
    assert (source / "06_convnets.ipynb").read_bytes() == before
    copy = nbformat.read(staged, as_version=4)
    assert copy.cells[0].source == (
        f"See [Fig. 12](#fig-12) and `Fig. 12`; $$a = b \\tag{{4}}$$ [x]({REPOSITORY}/blob/main/README.md#y)")
    assert copy.cells[2].metadata["mystnb"]["figure"] == {"name": "fig-12", "caption": "Fig. 12"}
    assert "exercise-solution" in copy.cells[3].metadata["tags"]
    assert (tmp_path / "src" / "index.md").is_file()


def test_unexecuted_notebook_is_refused(build_html, tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("print(1)")]
    nbformat.write(nb, tmp_path / "01_draft.ipynb")
    with pytest.raises(ValueError, match="not executed"):
        build_html.stage(tmp_path, tmp_path / "src")
