"""Sphinx configuration of the course site (`make html`, built by tools/build_html.py).

The sources are a staged copy of notebooks/ plus index.md (tools/build_html.py writes them to
build/site-src/ and runs sphinx-build with this folder as the configuration directory).  The
committed outputs are rendered as they are: nothing is executed.  Every script, style sheet
and font comes from the site itself (tools/site_assets.py vendors MathJax and the widget
renderer), so the site works without internet.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import site_assets  # noqa: E402
from colab_cell import REPOSITORY  # noqa: E402

# The repository the launch buttons (Binder, Colab) and the repository link open: the one the
# notebooks' Colab cell installs from (tools/colab_cell.py; replace OWNER there once it is public).
REPOSITORY_URL = REPOSITORY
REPOSITORY_BRANCH = "main"

project = "lecture-nn"
author = "lecture-nn authors"
copyright = "lecture-nn authors"
html_title = "lecture-nn: neural networks in NumPy"

extensions = ["myst_nb", "sphinx_copybutton", "sphinx_design"]
exclude_patterns = ["_build", "**.ipynb_checkpoints"]

# Render the committed outputs; never run a notebook.
nb_execution_mode = "off"
# $…$ and $$…$$ math, \begin{…} environments, ::: fences (the solutions' dropdowns).
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3
# Figures and equations carry the lecture notes' numbers, not Sphinx's: tools/build_html.py
# names a figure-N cell's figure fig-N, captions it "Fig. N" and links "Fig. N" in the text to
# it, and typesets an equation's hand-written "(N)" as \tag{N}.
numfig = False

# Self-contained: MathJax 3 and the widget renderer are served from _static/vendor/.
html_static_path = [str(site_assets.ensure_assets()), "_static"]
mathjax_path = site_assets.MATHJAX_JS
nb_ipywidgets_js = {
    site_assets.REQUIRE_JS: {},
    "widgets-setup.js": {},    # where require.js finds the renderer; MathJax 2 calls made for MathJax 3
    # Widget modules outside the bundle would be looked up under this prefix: a local path, so
    # the page never asks another host (every widget here is a standard control, in the bundle).
    site_assets.EMBED_AMD_JS: {"data-jupyter-widgets-cdn": "_static/vendor/widget-modules/"},
}

html_theme = "sphinx_book_theme"
html_theme_options = {
    "repository_url": REPOSITORY_URL,
    "repository_branch": REPOSITORY_BRANCH,
    "path_to_docs": "notebooks",          # where the pages' notebooks live in the repository
    "use_repository_button": True,
    # No download button: the site's copies carry the solutions; Binder, Colab and the
    # repository link give the notebooks themselves.
    "use_download_button": False,
    "launch_buttons": {
        "binderhub_url": "https://mybinder.org",
        "colab_url": "https://colab.research.google.com",
        "notebook_interface": "jupyterlab",
    },
    "show_toc_level": 2,
    "navigation_with_keys": False,
    # One search box per page: the sidebar's field (the page's own form on the search page).
    # The theme would also put one in a top bar of its own.
    "navbar_persistent": [],
}
# The book theme's sidebar, without its search field on the search page (which has its own form).
html_sidebars = {"search": ["navbar-logo.html", "icon-links.html", "sbt-sidebar-nav.html"]}
# Contrast in both themes; the search buttons' names and the snippets' text (see the files).
html_css_files = ["site.css"]
html_js_files = [("search-fixes.js", {"defer": "defer"})]
# Light, dark or the system's setting: the theme's switch (top right) remembers the reader's choice.
html_context = {"default_mode": "auto"}
html_last_updated_fmt = None
html_show_sourcelink = False
html_copy_source = False
copybutton_exclude = ".linenos, .gp, .go"


def keep_outputs_with_the_build(app):
    """MyST-NB writes the notebooks' output files next to the site (<site>/../jupyter_execute, the
    repository's root for site/): keep them with Sphinx's other working files instead."""
    work = Path(app.doctreedir)
    app.env.mystnb_config = app.env.mystnb_config.copy(
        output_folder=str(work / "jupyter_execute"), execution_cache_path=str(work / "jupyter_cache"))


def setup(app):
    app.connect("builder-inited", keep_outputs_with_the_build, priority=900)   # after MyST-NB's own
