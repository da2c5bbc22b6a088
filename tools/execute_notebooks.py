"""Execute notebooks in place, top to bottom, each in a fresh kernel (`make notebooks`).

Usage: python tools/execute_notebooks.py notebooks/01_feedforward.ipynb [...]
Fails (exit 1) when a cell raises or writes to stderr, so that no broken
output is ever committed.

Re-executing an unchanged notebook on the same machine changes no byte. What
would otherwise differ from run to run, and what is done about it:

* execution timestamps in every cell's metadata: not recorded, and old ones removed;
* stream outputs cut wherever the kernel happened to flush: consecutive pieces of
  one stream are joined, in the cells and in the Output widgets' saved state;
* widget model ids (uuid4s drawn by the kernel): renamed to ids derived from the
  notebook's file name and the order in which the outputs, then the saved states,
  first refer to each model; every reference is renamed with its model;
* progress bars (tqdm): the kernel runs with a bar format without the elapsed time
  and rate (``TQDM_BAR_FORMAT``), and redraws the bar at every step
  (``TQDM_MININTERVAL=0``, ``TQDM_MINITERS=1``): otherwise whether the last step
  is drawn before a bar with ``leave=False`` closes depends on the clock;
* the order of sets of strings: the kernel runs with ``PYTHONHASHSEED=0``.

Matplotlib's PNGs carry no date (only a "Software" entry), so an identical figure
is identical bytes; timings have no place in a notebook's output at all
(``tests/test_notebook_hygiene.py``), they go to ``make bench``.
"""
from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import time
import uuid
from pathlib import Path

import nbformat
from nbclient import NotebookClient

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
MODEL_REFERENCE = "IPY_MODEL_"
# Widget ids are uuids in a namespace of this project's own, named "<notebook stem>/<order>".
WIDGET_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_OID, "lecture-nn notebook widget ids")
# tqdm's default bar without "[elapsed<remaining, rate]": the counts and the postfix stay.
TQDM_BAR_FORMAT = "{l_bar}{bar}| {n_fmt}/{total_fmt}{postfix}"
KERNEL_ENVIRONMENT = {"PYTHONHASHSEED": "0", "TQDM_BAR_FORMAT": TQDM_BAR_FORMAT,
                      # draw every step, so that the saved bar shows the last one whatever the timing
                      "TQDM_MININTERVAL": "0", "TQDM_MINITERS": "1"}
# One BLAS thread unless told otherwise, as `make notebooks` and the tests run them.
KERNEL_DEFAULTS = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}


def kernel_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment the notebooks' kernel starts with: ``base`` (default ``os.environ``)
    with a fixed hash seed and timing-free tqdm bars, and one BLAS thread unless set."""
    env = dict(os.environ if base is None else base)
    for name, value in KERNEL_DEFAULTS.items():
        env.setdefault(name, value)
    env.update(KERNEL_ENVIRONMENT)
    return env


# --- normalising an executed notebook -----------------------------------------------------
def coalesce_streams(outputs: list) -> list:
    """The outputs with each run of consecutive stream outputs of one name (stdout, stderr)
    joined into one; the order of all outputs is kept. Joins in place into the first piece."""
    joined = []
    for output in outputs:
        previous = joined[-1] if joined else None
        if (previous is not None and output.get("output_type") == "stream"
                and previous.get("output_type") == "stream" and previous.get("name") == output.get("name")):
            previous["text"] = "".join(previous.get("text", "")) + "".join(output.get("text", ""))
        else:
            joined.append(output)
    return joined


def widget_states(nb) -> dict:
    """The notebook's saved widget states, {model id: {"model_name", ..., "state"}} ({} if none)."""
    return nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})


def output_lists(nb):
    """Every list of outputs of the notebook: each code cell's, then each Output widget's saved state's."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            yield cell, "outputs"
    for model in widget_states(nb).values():
        if isinstance(model.get("state", {}).get("outputs"), list):
            yield model["state"], "outputs"


def _walk_strings(value):
    """Every string inside a JSON value, in a fixed order (dict keys sorted, lists in order)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key in sorted(value):
            yield from _walk_strings(value[key])
    elif isinstance(value, list):
        for item in value:
            yield from _walk_strings(item)


def _referenced_id(text: str, ids) -> str | None:
    """The model id that a string names ("<id>" as a view's model_id, or "IPY_MODEL_<id>")."""
    name = text[len(MODEL_REFERENCE):] if text.startswith(MODEL_REFERENCE) else text
    return name if name in ids else None


def widget_id_order(nb) -> list[str]:
    """The notebook's widget model ids in order of first appearance: depth first from each
    displayed widget (cells and outputs in order, a model's state in key order), then from the
    models that nothing displayed, smallest content first (with the ids of their references
    blanked out, so that the order does not depend on the ids being replaced)."""
    states = widget_states(nb)
    order: list[str] = []
    seen: set[str] = set()

    def visit(model_id):
        stack = [model_id]
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            order.append(current)
            children = [found for text in _walk_strings(states[current])
                        if (found := _referenced_id(text, states)) is not None]
            stack.extend(reversed(children))

    for cell in nb.cells:
        for output in cell.get("outputs", []):
            for text in _walk_strings(output.get("data", {}).get(WIDGET_VIEW, {})):
                if (found := _referenced_id(text, states)) is not None:
                    visit(found)
    blank = re.compile("|".join(re.escape(i) for i in states) or r"(?!x)x")
    while len(seen) < len(states):
        rest = sorted((blank.sub("?", json.dumps(states[i], sort_keys=True)), i)
                      for i in states if i not in seen)
        visit(rest[0][1])
    return order


def derived_widget_ids(nb, name: str) -> dict[str, str]:
    """{old id: new id}, the new ids derived from the notebook's ``name`` and the order of
    :func:`widget_id_order`, in the kernel's format (32 hexadecimal digits)."""
    return {old: uuid.uuid5(WIDGET_ID_NAMESPACE, f"{name}/{index}").hex
            for index, old in enumerate(widget_id_order(nb))}


def _renamed(value, renaming: dict[str, str]):
    if isinstance(value, str):
        if value.startswith(MODEL_REFERENCE) and value[len(MODEL_REFERENCE):] in renaming:
            return MODEL_REFERENCE + renaming[value[len(MODEL_REFERENCE):]]
        return renaming.get(value, value)
    if isinstance(value, dict):
        return type(value)((key, _renamed(item, renaming)) for key, item in value.items())
    if isinstance(value, list):
        return [_renamed(item, renaming) for item in value]
    return value


def rename_widgets(nb, name: str) -> None:
    """Give the widget models of ``nb`` the ids of :func:`derived_widget_ids`, in the saved
    states (keys and references) and in the displayed views.

    Raises
    ------
    RuntimeError
        if an old id is still found anywhere afterwards (a reference in a form not renamed).
    """
    renaming = derived_widget_ids(nb, name)
    if not renaming:
        return
    for cell in nb.cells:
        if "outputs" in cell:
            cell.outputs = _renamed(cell.outputs, renaming)
    container = nb.metadata.widgets[WIDGET_STATE]
    container["state"] = {renaming[old]: _renamed(model, renaming)
                          for old, model in container["state"].items()}
    text = nbformat.writes(nb)
    stale = [old for old, new in renaming.items() if old != new and old in text]
    if stale:
        raise RuntimeError(f"{name}: widget ids {stale[:3]} are still referred to after renaming")


def normalise(nb, name: str) -> None:
    """Make an executed notebook ``nb`` (named ``name``, its file's stem) the same bytes on
    every run: no timing metadata, streams joined, widget ids derived from ``name``."""
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    for owner, key in output_lists(nb):
        owner[key] = coalesce_streams(owner[key])
    rename_widgets(nb, name)


# --- executing ----------------------------------------------------------------------------
def write_atomically(nb, path: Path) -> None:
    """Write ``nb`` to ``path`` through a temporary file, so that an interrupted write
    leaves the old notebook rather than half a new one."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".ipynb")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            nbformat.write(nb, file)
        os.chmod(temporary, path.stat().st_mode & 0o777)     # mkstemp's file is private (0600)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def execute(path) -> list[str]:
    """Execute the notebook at ``path`` in place in a fresh kernel and normalise it
    (:func:`normalise`); returns the problems found (a cell that wrote to stderr)."""
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (lecture-nn)",
                                 "language": "python"}
    # store_widget_state: the widgets' state goes into the metadata, so the HTML edition renders them.
    # timeout: after a widget cell nbclient sometimes gets the kernel's reply only when its wait times
    # out (jupyter/nbclient#312), then carries on; a short timeout keeps that stall short (every
    # cell here takes well under a minute).
    # the kernel's own log (e.g. its warning about TCP without encryption on localhost) is not
    # the notebook's output: only errors reach the terminal
    client = NotebookClient(nb, timeout=90, kernel_name="python3", store_widget_state=True,
                            record_timing=False, extra_arguments=["--IPKernelApp.log_level=ERROR"],
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute(env=kernel_environment())
    normalise(nb, path.stem)
    problems = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                problems.append(f"{path}: cell {i} wrote to stderr: {out.get('text', '')[:200]!r}")
    write_atomically(nb, path)
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
