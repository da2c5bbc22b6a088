"""The Colab cell is collapsed in JupyterLab (metadata.jupyter.source_hidden), written by tools/colab_cell.py.

Outside Colab the cell does nothing, so a reader need not see its ten lines; a click on the bar
shows them.  The course site leaves the cell out altogether (tests/test_html_site.py).
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
_spec = importlib.util.spec_from_file_location("colab_cell", ROOT / "tools" / "colab_cell.py")
colab_cell = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(colab_cell)


def write(tmp_path: Path, cells) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, path)
    return path


def colab_cell_of(path: Path):
    return next(c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")


def test_a_new_colab_cell_is_collapsed(tmp_path):
    path = write(tmp_path, [nbformat.v4.new_markdown_cell("# title"), nbformat.v4.new_code_cell("x = 1")])
    assert colab_cell.put_cell(str(path)) is True
    cell = colab_cell_of(path)
    assert cell.source == colab_cell.CELL_SOURCE
    assert cell.metadata["jupyter"] == {"source_hidden": True}


def test_an_open_colab_cell_gets_collapsed_once_and_keeps_its_other_metadata(tmp_path):
    open_cell = nbformat.v4.new_code_cell(colab_cell.CELL_SOURCE, metadata={
        "tags": ["keep-me"], "jupyter": {"outputs_hidden": False}})
    path = write(tmp_path, [open_cell, nbformat.v4.new_code_cell("x = 1")])
    assert colab_cell.put_cell(str(path)) is True
    before = path.read_bytes()
    assert colab_cell.put_cell(str(path)) is False
    assert path.read_bytes() == before                      # nothing rewritten the second time
    cell = colab_cell_of(path)
    assert cell.metadata["jupyter"] == {"outputs_hidden": False, "source_hidden": True}
    assert cell.metadata["tags"] == ["keep-me"]
    assert len(nbformat.read(path, as_version=4).cells) == 2


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebooks_colab_cell_is_collapsed(path):
    cell = colab_cell_of(path)
    assert cell.source.startswith(colab_cell.MARKER)
    assert cell.metadata.get("jupyter", {}).get("source_hidden") is True, (
        f"run: python tools/colab_cell.py {path.relative_to(ROOT)}")
