"""Each notebook starts with the Colab cell: it installs lecture_nn on Colab and does nothing elsewhere."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
import types
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
_spec = importlib.util.spec_from_file_location("colab_cell", ROOT / "tools" / "colab_cell.py")
colab_cell = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(colab_cell)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_first_code_cell_is_the_colab_cell(path):
    nb = nbformat.read(path, as_version=4)
    first = next(cell for cell in nb.cells if cell.cell_type == "code")
    assert first.source == colab_cell.CELL_SOURCE, f"run: python tools/colab_cell.py {path.relative_to(ROOT)}"
    assert first.outputs == [], "outside Colab the cell prints nothing"


def run_cell(monkeypatch, on_colab: bool):
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda *args, **kwargs: calls.append((args, kwargs)))
    if on_colab:
        google = types.ModuleType("google")
        colab = types.ModuleType("google.colab")
        colab.output = types.SimpleNamespace(enable_custom_widget_manager=lambda: calls.append("widgets"))
        google.colab = colab
        monkeypatch.setitem(sys.modules, "google", google)
        monkeypatch.setitem(sys.modules, "google.colab", colab)
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    exec(colab_cell.CELL_SOURCE, {})
    return calls


def test_elsewhere_it_does_nothing(monkeypatch, capsys):
    assert run_cell(monkeypatch, on_colab=False) == []
    assert capsys.readouterr() == ("", "")


def test_on_colab_it_installs_the_package_and_the_widget_manager(monkeypatch):
    calls = run_cell(monkeypatch, on_colab=True)
    (args, kwargs), widgets = calls
    command = args[0]
    assert command[1:4] == ["-m", "pip", "install"]
    assert f"lecture-nn @ git+{colab_cell.REPOSITORY}" in command
    assert kwargs == {"check": True}
    assert widgets == "widgets"


def test_putting_the_cell_twice_changes_nothing(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# title"), nbformat.v4.new_code_cell("x = 1")]
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, path)
    assert colab_cell.put_cell(str(path)) is True
    assert colab_cell.put_cell(str(path)) is False
    cells = nbformat.read(path, as_version=4).cells
    assert [c.source for c in cells] == ["# title", colab_cell.CELL_SOURCE, "x = 1"]
