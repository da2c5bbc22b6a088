"""The course site (`make html`, tools/build_html.py): its pages, navigation, widgets, solutions,
figures' alt texts, the Colab cell left out, and that nothing it loads comes from another host.
The browser tests are in tests/ui/test_site.py and tests/ui/test_site_accessibility.py."""
from __future__ import annotations

import importlib.util
import json
import re
from html.parser import HTMLParser
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


IMAGE_FILE = re.compile(r"\.(png|jpe?g|gif|svg|webp)$", re.I)
HASH = re.compile(r"[0-9a-f]{16,}", re.I)
GENERIC_ALT = {"image", "figure", "plot", "chart", "graph", "picture", "output", "png", "img"}


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
    nb = exercise_notebook("from lecture_nn.lessons.convnets.exercises import exercise_2\nexercise_2.check(None)")
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


# --- alt text: one source, the figure cell's metadata ------------------------------------------

class PageImages(HTMLParser):
    """Every <img> of a page: (where, src, alt).  ``where`` is "fig-N" inside a figure; for another
    notebook output (served from _images/) its number among them and its section; else its src."""

    def __init__(self):
        super().__init__()
        self.images, self._open, self._outputs = [], [], 0   # _open: [(tag, id)] of sections, figures

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("section", "figure"):
            self._open.append((tag, attrs.get("id") or ""))
        elif tag == "img":
            src = attrs.get("src", "")
            figures = [i for t, i in self._open if t == "figure" and i]
            sections = [i for t, i in self._open if t == "section" and i]
            self._outputs += src.startswith("_images/")
            if figures:
                where = figures[-1]
            elif src.startswith("_images/"):
                where = f"output image {self._outputs} in section '{sections[-1] if sections else '-'}'"
            else:
                where = f"image {src}"
            self.images.append((where, src, attrs.get("alt")))

    def handle_endtag(self, tag):
        if tag in ("section", "figure") and self._open and self._open[-1][0] == tag:
            self._open.pop()


def alt_problem(alt: str | None, src: str) -> str | None:
    """Why ``alt`` does not say what the image shows (None when it may)."""
    text = (alt or "").strip()
    if not text:
        return "no alt text"
    if text == src or IMAGE_FILE.search(text) or "/" in text and " " not in text:
        return "a file name"
    if HASH.search(text):
        return "a hash"
    if text.startswith(("<Figure size", "<matplotlib")):
        return "matplotlib's text stand-in"
    if text.lower() in GENERIC_ALT or len(text.split()) < 2:
        return "a word, not a description"
    return None


def test_the_alt_text_check_finds_each_kind():
    src = "_images/ccf08579d6f19443eb40232926ca9ac5f126b97e25d22071f5a6783efaca4ffe.png"
    assert alt_problem(None, src) == alt_problem("  ", src) == "no alt text"
    assert alt_problem(src, src) == alt_problem("figure_3.png", src) == "a file name"
    assert alt_problem("ccf08579d6f19443eb40232926ca9ac5", src) == "a hash"
    assert alt_problem("<Figure size 640x480 with 1 Axes>", src) == "matplotlib's text stand-in"
    assert alt_problem("Figure", src) == alt_problem("sigmoid", src) == "a word, not a description"
    assert alt_problem("The sigmoid and tanh curves from z = −6 to 6", src) is None
    parser = PageImages()
    parser.feed('<img src="_static/logo.svg" alt="Logo"><section id="a"><img src="_images/x.png" alt="one">'
                '<figure id="fig-3"><img src="_images/y.png"></figure>'
                '<section id="b"><img src="_images/z.png" alt="A fine description"></section></section>')
    assert parser.images == [("image _static/logo.svg", "_static/logo.svg", "Logo"),
                             ("output image 1 in section 'a'", "_images/x.png", "one"),
                             ("fig-3", "_images/y.png", None),
                             ("output image 3 in section 'b'", "_images/z.png", "A fine description")]


def test_every_image_says_what_it_shows(site):
    """Every <img> of every page has an alt text that describes it: not empty, not its file name or
    hash.  A notebook figure's alt text comes from its cell's metadata, mystnb.image.alt."""
    offenders = {}
    for path in sorted(site.glob("*.html")):
        parser = PageImages()
        parser.feed(path.read_text(encoding="utf-8"))
        bad = [f"{where}: {problem} ({alt!r})" for where, src, alt in parser.images
               if (problem := alt_problem(alt, src))]
        if bad:
            offenders[path.name] = bad
    listing = "\n".join(f"{page} ({len(bad)} images):\n    " + "\n    ".join(bad)
                         for page, bad in offenders.items())
    assert not offenders, ("images without a meaningful alt text; give each figure cell "
                           'metadata {"mystnb": {"image": {"alt": "what the figure shows"}}}:\n' + listing)


TINY_PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")


def test_alt_text_colab_cell_and_build_it_solution_on_a_built_page(build_html, tmp_path):
    """A small notebook through the whole build: the cells' alt texts reach <img alt> (a plain
    figure and a figure-N figure), the Colab cell is left out, the build-it exercise's worked
    solution is folded after its check."""
    from lecture_nn.lessons.start.exercises import exercise_1

    source = tmp_path / "notebooks"
    source.mkdir()
    nb = nbformat.v4.new_notebook()
    colab_cell = tools_colab_cell()
    plain = nbformat.v4.new_code_cell("show()", execution_count=2, metadata={
        "mystnb": {"image": {"alt": "A plain figure: two curves"}}})
    numbered = nbformat.v4.new_code_cell("show()", execution_count=3, metadata={
        "tags": ["figure-7"], "mystnb": {"image": {"alt": "Fig. 7: a numbered figure"}}})
    for cell in (plain, numbered):
        cell.outputs = [nbformat.v4.new_output("display_data", {"image/png": TINY_PNG, "text/plain": "<Figure>"})]
    nb.cells = [nbformat.v4.new_markdown_cell("# A page"),
                nbformat.v4.new_code_cell(colab_cell.CELL_SOURCE, execution_count=1), plain, numbered,
                nbformat.v4.new_code_cell("from lecture_nn.lessons.start.exercises import exercise_1\n"
                                          "_ = exercise_1.check(None)", execution_count=4)]
    nbformat.write(nb, source / "00_start_here.ipynb")
    built = build_html.build_site(source, tmp_path / "site")
    html = (tmp_path / "site" / "00_start_here.html").read_text(encoding="utf-8")
    parser = PageImages()
    parser.feed(html)
    alts = {where: alt for where, src, alt in parser.images if src.startswith("_images/")}
    assert list(alts.values()) == ["A plain figure: two curves", "Fig. 7: a numbered figure"], alts
    assert alts.get("fig-7") == "Fig. 7: a numbered figure"
    assert colab_cell.MARKER.lstrip("# ") not in html and "google.colab" not in html
    assert f'id="{solution_id("00_start_here", "exercise_1")}"' in html
    assert "my_sigmoid" in html and exercise_1.label in html
    assert built.pages == [tmp_path / "site" / "00_start_here.html"]


def tools_colab_cell():
    """tools/colab_cell.py (a script, not a package)."""
    spec = importlib.util.spec_from_file_location("colab_cell", ROOT / "tools" / "colab_cell.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_colab_cell_is_left_out_of_every_page(site):
    shown = [nb.stem for nb in NOTEBOOKS if "google.colab" in page_of(site, nb)]
    assert not shown, f"pages showing the Colab install cell: {shown}"


def test_hide_colab_cell_tags_only_the_colab_cell(build_html):
    colab = tools_colab_cell()
    nb = nbformat.v4.new_notebook()
    collapsed = nbformat.v4.new_code_cell(colab.CELL_SOURCE, metadata={"jupyter": {"source_hidden": True}})
    nb.cells = [nbformat.v4.new_code_cell("import sys"), collapsed,
                nbformat.v4.new_code_cell("print('# Colab: install lecture_nn')")]
    assert build_html.hide_colab_cell(nb) == 1
    assert build_html.hide_colab_cell(nb) == 1              # once tagged, not tagged twice
    assert [c.metadata.get("tags", []) for c in nb.cells] == [[], ["remove-cell"], []]


# --- build-it exercises: worked solution folded after the check, as for Exercise objects ---------

def test_a_build_it_exercise_gets_its_solution_folded_after_its_check(build_html):
    from lecture_nn.lessons.checking import BuildExercise
    from lecture_nn.lessons.start.exercises import exercise_1

    assert isinstance(exercise_1, BuildExercise)
    nb = exercise_notebook("from lecture_nn.lessons.start.exercises import exercise_1\n\n"
                           "def my_sigmoid(z):\n    raise NotImplementedError\n\n_ = exercise_1.check(my_sigmoid)")
    assert build_html.add_solutions(nb, "00_start_here") == 1
    added = nb.cells[2]
    assert added.source.startswith(f"::::{{dropdown}} Solution: {exercise_1.label}\n")
    assert exercise_1.solution_markdown().strip() in added.source
    assert ":name: 00-start-here-solution-exercise-1" in added.source


def solution_id(page: str, name: str) -> str:
    """The HTML id of a solution dropdown (build_html.solution_cell names it; docutils makes the id)."""
    from docutils.nodes import make_id
    return make_id(f"{page}-solution-{name}")


def test_every_checked_exercise_has_its_solution_on_its_page(site, build_html):
    missing = {}
    for notebook in NOTEBOOKS:
        nb = nbformat.read(notebook, as_version=4)
        exercises = build_html.lesson_exercises(nb)
        checked = {name for cell in nb.cells if cell.cell_type == "code"
                   for name in build_html.CHECK_CALL.findall(cell.source) if name in exercises}
        page = page_of(site, notebook)
        absent = sorted(name for name in checked if f'id="{solution_id(notebook.stem, name)}"' not in page)
        if absent:
            missing[notebook.stem] = absent
    assert not missing, f"exercises checked in a notebook without their solution on its page: {missing}"
