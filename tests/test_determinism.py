"""Determinism: the same seed gives bit-identical training; a notebook prints the same twice.

All randomness goes through a ``numpy.random.Generator`` passed as ``rng=``,
so two runs from the same seed must agree bit for bit (``array_equal``, not
``allclose``), and a different seed must give different weights (so the test
could fail).
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

import lecture_nn as nn
from lecture_nn.lessons.convolution import Conv2D
from lecture_nn.dropout import Dropout
from lecture_nn.layers import Flatten
from lecture_nn.pooling import MaxPool2D
from lecture_nn.residual import Residual

ROOT = Path(__file__).resolve().parents[1]


def dense_run(seed):
    rng = np.random.default_rng(seed)
    X, y = nn.data.make_spirals(120, rng=rng)
    model = nn.Sequential(nn.Linear(2, 16, rng=rng), nn.ReLU(), Dropout(0.3, rng=rng),
                          Residual(nn.Sequential(nn.Linear(16, 16, rng=rng), nn.Tanh())),
                          nn.Linear(16, 3, rng=rng))
    history = nn.fit(model, X, y, "softmax_cross_entropy", epochs=5, batch_size=8, lr=0.05,
                     momentum=0.9, penalty="l2", lam=1e-4, rng=rng, progress=False,
                     validation=(X[:20], y[:20]))
    return model, history


def conv_run(seed):
    rng = np.random.default_rng(seed)
    X = rng.random((24, 1, 8, 8))
    y = (X[:, 0, :4].mean(axis=(1, 2)) > X[:, 0, 4:].mean(axis=(1, 2))).astype(np.int64)
    model = nn.Sequential(Conv2D(1, 3, 3, padding=1, rng=rng), nn.ReLU(), MaxPool2D(2), Flatten(),
                          nn.Linear(48, 2, rng=rng))
    history = nn.fit(model, X, y, epochs=3, batch_size=6, lr=0.1, rng=rng, progress=False)
    return model, history


@pytest.mark.parametrize("run", [dense_run, conv_run], ids=["dense", "conv"])
def test_same_seed_gives_bit_identical_weights(run):
    first, history_1 = run(0)
    second, history_2 = run(0)
    assert history_1 == history_2
    assert list(first.params) == list(second.params)
    for name in first.params:
        a, b = first.params[name], second.params[name]
        assert a.dtype == b.dtype
        assert np.array_equal(a, b), f"{name} differs between two runs with the same seed"
    other, _ = run(1)
    assert any(not np.array_equal(first.params[k], other.params[k]) for k in first.params), \
        "a different seed gave the same weights: the seed is not used"


def test_global_numpy_random_state_is_not_used():
    np.random.seed(0)
    model_a, _ = dense_run(3)
    np.random.seed(12345)
    np.random.random(100)
    model_b, _ = dense_run(3)
    for name in model_a.params:
        assert np.array_equal(model_a.params[name], model_b.params[name])


def test_data_generators_are_reproducible():
    for name in nn.data.TOY_SETS:
        X1, y1 = nn.data.make_toy(name, 50, rng=np.random.default_rng(4))
        X2, y2 = nn.data.make_toy(name, 50, rng=np.random.default_rng(4))
        assert np.array_equal(X1, X2) and np.array_equal(y1, y2), name


# --- notebooks: the checked text is the same on every run -----------------------------
DETERMINISM_NOTEBOOKS = ["00_start_here"]
UNCHECKED_TAGS = {"nbval-ignore-output", "nbval-skip"}


def _sanitizers():
    """The regex replacements nbval applies (tests/nbval_sanitize.cfg)."""
    text = (ROOT / "tests" / "nbval_sanitize.cfg").read_text()
    pairs = re.findall(r"^regex:\s*(.*)\n^replace:\s*(.*)$", text, flags=re.M)
    return [(re.compile(pattern), replacement) for pattern, replacement in pairs]


def checked_text(nb) -> list[tuple[int, str]]:
    """(cell index, text) of every output nbval compares as text."""
    sanitizers = _sanitizers()
    texts = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or set(cell.metadata.get("tags", [])) & UNCHECKED_TAGS:
            continue
        # a cell's printed text may arrive in several stream messages, split wherever the
        # kernel happened to flush; like nbval, compare it joined
        printed = "".join(out.text for out in cell.outputs if out.output_type == "stream")
        others = [out.get("data", {}).get("text/plain", "")
                  if out.output_type in ("execute_result", "display_data")
                  else f"{out.output_type}: {out.get('ename', '')}"
                  for out in cell.outputs if out.output_type != "stream"]
        for text in ([printed] if printed else []) + others:
            for pattern, replacement in sanitizers:
                text = pattern.sub(replacement, text)
            texts.append((i, text))
    return texts


def execute_copies(source: Path, workdirs: list[Path]):
    """Execute copies of ``source``, one per directory, in separate kernels at the same time."""
    import asyncio

    import nbformat
    from nbclient import NotebookClient

    notebooks, clients = [], []
    for workdir in workdirs:
        target = workdir / source.name
        shutil.copy(source, target)
        nb = nbformat.read(target, as_version=4)
        notebooks.append(nb)
        clients.append(NotebookClient(nb, timeout=300, kernel_name="python3",
                                      resources={"metadata": {"path": str(workdir)}}))

    async def run_all():
        await asyncio.gather(*(client.async_execute() for client in clients))

    asyncio.run(run_all())
    return notebooks


@pytest.mark.parametrize("stem", DETERMINISM_NOTEBOOKS)
def test_notebook_prints_the_same_text_twice(stem, tmp_path):
    source = ROOT / "notebooks" / f"{stem}.ipynb"
    assert source.exists(), f"{source} is missing"
    workdirs = [tmp_path / "run0", tmp_path / "run1"]
    for workdir in workdirs:
        workdir.mkdir()
    first, second = (checked_text(nb) for nb in execute_copies(source, workdirs))
    assert len(first) >= 5, f"{stem}: only {len(first)} checked text outputs to compare"
    assert first == second, next(f"{stem}: cell {a[0]} printed {a[1]!r} then {b[1]!r}"
                                 for a, b in zip(first, second) if a != b) \
        if len(first) == len(second) else f"{stem}: {len(first)} vs {len(second)} text outputs"
