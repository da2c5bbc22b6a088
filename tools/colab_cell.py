"""The first code cell of every notebook: on Google Colab it installs lecture_nn; elsewhere it does nothing.

Usage: python tools/colab_cell.py notebooks/*.ipynb   (puts the cell in place, or updates it)

The cell prints nothing outside Colab, so nbval sees the same (empty) output everywhere.
Its source is collapsed in JupyterLab (``metadata.jupyter.source_hidden``): a reader outside
Colab has no use for it, and a click on the bar shows it.  The course site leaves it out
(tools/build_html.py finds it by ``MARKER``, its first line).
``REPOSITORY`` is the one place that names where the package is installed from.
"""
from __future__ import annotations

import sys

import nbformat

REPOSITORY = "https://github.com/OWNER/lecture-nn"
MARKER = "# Colab: install lecture_nn"
CELL_SOURCE = f'''{MARKER} (on Google Colab only; elsewhere this cell does nothing).
import sys

if "google.colab" in sys.modules:
    import subprocess

    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet",
                    "lecture-nn @ git+{REPOSITORY}"], check=True)
    from google.colab import output

    output.enable_custom_widget_manager()   # ipywidgets 8 in Colab'''


def collapse(cell) -> bool:
    """Hide the cell's source in JupyterLab (a bar stays, a click shows it); True if it changed."""
    jupyter = cell.metadata.setdefault("jupyter", {})
    if jupyter.get("source_hidden") is True:
        return False
    jupyter["source_hidden"] = True
    return True


def put_cell(path: str) -> bool:
    """Make the notebook's first code cell the Colab cell, collapsed; True if the file changed."""
    nb = nbformat.read(path, as_version=4)
    code = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"]
    first = code[0] if code else len(nb.cells)
    if code and nb.cells[first].source.startswith(MARKER):
        cell = nb.cells[first]
        changed = cell.source != CELL_SOURCE
        cell.source = CELL_SOURCE
    else:
        cell = nbformat.v4.new_code_cell(CELL_SOURCE)
        nb.cells.insert(first, cell)
        changed = True
    changed = collapse(cell) or changed
    if changed:
        nbformat.write(nb, path)
    return changed


if __name__ == "__main__":
    for name in sys.argv[1:]:
        print(f"{name}: {'updated' if put_cell(name) else 'already in place'}")
