"""Execute notebooks in place, top to bottom, each in a fresh kernel (`make notebooks`).

Usage: python tools/execute_notebooks.py notebooks/01_feedforward.ipynb [...]
Fails (exit 1) when a cell raises or writes to stderr, so that no broken
output is ever committed.
"""
from __future__ import annotations

import os
import sys
import time

import nbformat
from nbclient import NotebookClient


def execute(path: str) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (lecture-nn)",
                                 "language": "python"}
    # store_widget_state: the widgets' state goes into the metadata, so the HTML edition renders them.
    # timeout: after a widget cell nbclient sometimes gets the kernel's reply only when its wait times
    # out (jupyter/nbclient#312), then carries on; a short timeout keeps that stall short (every
    # cell here takes well under a minute).
    client = NotebookClient(nb, timeout=90, kernel_name="python3", store_widget_state=True,
                            resources={"metadata": {"path": os.path.dirname(path) or "."}})
    client.execute()
    problems = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                problems.append(f"{path}: cell {i} wrote to stderr: {out.get('text', '')[:200]!r}")
    nbformat.write(nb, path)
    return problems


def main(paths: list[str]) -> int:
    problems = []
    for path in paths:
        start = time.perf_counter()
        problems += execute(path)
        print(f"{path}: executed in {time.perf_counter() - start:.1f} s")
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
