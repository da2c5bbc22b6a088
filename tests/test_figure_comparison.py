"""The figure comparison of the nbval run (tests/figure_comparison.py), tested on synthetic
figures drawn by lecture_nn's own plotting and diagram functions on fixed inputs and rendered to
PNG as the notebooks' inline backend renders them (figure dpi 100, tight bounding box)."""
from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
from IPython.core.pylabtools import print_figure
from matplotlib.patches import FancyArrowPatch
from sklearn.datasets import load_digits

import figure_comparison as fc
from lecture_nn.diagrams import draw_pooling_example, draw_residual_network
from lecture_nn.plotting import plot_history, show_images, show_misclassified

NOTEBOOK_DPI = 100
"""matplotlib's default figure dpi, which the notebooks' inline figures use."""


def render(fig) -> bytes:
    """A figure as the notebooks' inline backend turns it into PNG bytes; closes the figure."""
    try:
        fig.set_dpi(NOTEBOOK_DPI)
        return print_figure(fig, "png", bbox_inches="tight")
    finally:
        plt.close(fig)


def pixels(fig) -> np.ndarray:
    return fc.decode_png(render(fig))


# --- fixed inputs --------------------------------------------------------------------------
# 8×8 grey digits shipped with scikit-learn, on a black border as MNIST's digits are
DIGITS = np.pad(load_digits().images, ((0, 0), (2, 2), (2, 2)))
FEATURE_MAP = np.array([[1, 3, 2, 0], [4, 6, 1, 1], [0, 2, 5, 7], [3, 1, 2, 2]], dtype=float)
GRAD_OUT = np.array([[1.0, -0.5], [0.25, 2.0]])


def history(shift=0.0):
    epochs = np.arange(1, 31)
    return {"loss": list(1.0 / epochs + shift), "val_loss": list(1.3 / epochs + 0.1 + shift)}


def curves_figure(seed=0, colours=("#2171b5", "#d94801"), panels=3):
    """Like notebook 07's cells 10 and 13: panels of several noisy curves per colour."""
    rng = np.random.default_rng(seed)
    fig, axes = plt.subplots(1, panels, figsize=(4 * panels, 3.3), sharey=True)
    for ax in np.atleast_1d(axes):
        for colour in colours:
            for _ in range(4):
                ax.semilogy(np.arange(2, 22), np.exp(rng.normal(-1, 1) + 0.3 * rng.normal(size=20)),
                            "o-", ms=2, lw=1, alpha=0.6, color=colour)
    fig.tight_layout()
    return fig


@pytest.fixture(scope="module")
def history_png():
    return pixels(plot_history(history()).figure)


@pytest.fixture(scope="module")
def pooling_png():
    return pixels(draw_pooling_example(FEATURE_MAP, GRAD_OUT))


@pytest.fixture(scope="module")
def curves_png():
    return pixels(curves_figure(seed=0))


@pytest.fixture(scope="module")
def grid_png():
    return pixels(misclassified(0))


# --- the pixel comparison --------------------------------------------------------------------
def test_identical_figure_passes(history_png):
    again = pixels(plot_history(history()).figure)
    assert fc.compare_images(history_png, again).passed
    assert fc.difference_map(history_png, again).max() == 0


def test_subpixel_perturbation_passes(history_png):
    moved = pixels(plot_history(history(shift=2e-3)).figure)
    assert not np.array_equal(moved, history_png)      # the curves did move
    assert fc.compare_images(history_png, moved).passed


def test_missing_curve_fails(history_png):
    ax = plot_history(history())
    ax.lines[1].set_visible(False)                      # the validation curve; its legend entry stays
    verdict = fc.compare_images(history_png, pixels(ax.figure))
    assert not verdict.passed
    assert "content changed" in verdict.reason
    assert verdict.diff is not None and verdict.diff.shape == history_png.shape


def test_flattened_curve_fails(history_png):
    flat = history()
    flat["val_loss"] = [flat["val_loss"][-1]] * len(flat["val_loss"])
    assert not fc.compare_images(history_png, pixels(plot_history(flat).figure)).passed


def test_blank_panel_fails():
    images = DIGITS[:10]
    blank = images.copy()
    blank[3] = 0                                        # `show_images` drawing zeros instead
    verdict = fc.compare_images(pixels(show_images(images)), pixels(show_images(blank)))
    assert not verdict.passed


def test_missing_colour_bar_fails():
    filters = DIGITS[:6] - 8.0
    baseline = pixels(show_images(filters, colorbar_label="weight", symmetric=True, cmap="RdBu_r"))
    fig = show_images(filters, colorbar_label="weight", symmetric=True, cmap="RdBu_r")
    fig.axes[-1].remove()                               # the colour bar's axes; the panels stay where they were
    verdict = fc.compare_images(baseline, pixels(fig))
    assert not verdict.passed


def test_zero_length_arrows_fail():
    baseline = pixels(draw_residual_network().figure)
    ax = draw_residual_network()
    arrows = [patch for patch in ax.patches if isinstance(patch, FancyArrowPatch)]
    assert arrows
    for patch in arrows:                                # zero length, as the mutated `arrow` helper would draw them
        patch.set_positions((0.0, 0.0), (0.0, 0.0))
    assert not fc.compare_images(baseline, pixels(ax.figure)).passed


def test_zero_feature_map_fails(pooling_png):
    zero = pixels(draw_pooling_example(np.zeros_like(FEATURE_MAP), GRAD_OUT))
    assert not fc.compare_images(pooling_png, zero).passed


def test_missing_panel_fails(pooling_png):
    fig = draw_pooling_example(FEATURE_MAP, GRAD_OUT)
    fig.axes[5].set_visible(False)
    assert not fc.compare_images(pooling_png, pixels(fig)).passed


def test_size_tolerance():
    image = np.full((100, 200, 3), 255, np.uint8)
    image[40:60, 50:150] = 0
    wider = np.full((100, 204, 3), 255, np.uint8)       # a tight box 4 px wider: resized, compared
    wider[40:60, 51:153] = 0
    assert fc.compare_images(image, wider).passed
    much_wider = np.full((100, 240, 3), 255, np.uint8)
    verdict = fc.compare_images(image, much_wider)
    assert not verdict.passed and "size changed from 200×100 px to 240×100 px" in verdict.reason
    assert verdict.diff.shape == image.shape
    verdict = fc.compare_structure(image, much_wider)
    assert not verdict.passed and "size changed from 200×100 px to 240×100 px" in verdict.reason


def test_numbers_text():
    assert fc.numbers_text([1, 2, 3, 5, 7, 8, 10]) == "1–3, 5, 7, 8, 10"
    assert fc.numbers_text([]) == ""


def test_block_means_cover_every_window():
    values = np.zeros((40, 40))
    values[30:34, 30:34] = 1.0                          # a 4×4 mark near a corner
    means = fc.block_means(values, block=16, stride=8)
    assert means.shape == (4, 4)
    assert means.max() == pytest.approx(16 / 256)
    assert fc.block_means(np.ones((5, 7))).shape == (1, 1)   # smaller than a block: one window


# --- the structural check --------------------------------------------------------------------
def misclassified(start):
    images = DIGITS[start:start + 10]
    return show_misclassified(images, predicted=np.arange(10), true=(np.arange(10) + start) % 10)


def test_structure_passes_other_digits_in_the_grid(grid_png):
    other = pixels(misclassified(20))
    assert len(fc.find_panels(grid_png)) == 10
    assert fc.compare_structure(grid_png, other).passed
    assert not fc.compare_images(grid_png, other).passed     # hence the tag for such figures


def test_structure_fails_a_blank_panel(grid_png):
    fig = misclassified(0)
    fig.axes[4].images[0].set_data(np.zeros((12, 12)))
    verdict = fc.compare_structure(grid_png, pixels(fig))
    assert not verdict.passed
    assert verdict.reason.startswith("panel(s) 5 blank (content at most 0.0000 of their area")


def test_structure_passes_other_curves_of_the_same_colours(curves_png):
    other = pixels(curves_figure(seed=1))
    assert len(fc.find_panels(curves_png)) == 3
    assert fc.compare_structure(curves_png, other).passed
    assert not fc.compare_images(curves_png, other).passed


def test_structure_fails_a_missing_line_colour(curves_png):
    verdict = fc.compare_structure(curves_png, pixels(curves_figure(seed=0, colours=("#2171b5",))))
    assert not verdict.passed
    assert "orange gone from panel(s) 1–3" in verdict.reason     # #d94801, 20° hue


def test_structure_fails_a_missing_panel(curves_png):
    fig = curves_figure(seed=0)
    fig.axes[1].set_visible(False)
    verdict = fc.compare_structure(curves_png, pixels(fig))
    assert not verdict.passed
    assert "2 panel(s), the baseline 3" in verdict.reason


# --- one cell: image counts, artifacts, messages -----------------------------------------------
def output(png: bytes, text="<Figure size 400x300 with 1 Axes>") -> dict:
    """A display_data output holding a PNG, as a notebook stores it."""
    return {"output_type": "display_data", "metadata": {},
            "data": {"image/png": base64.b64encode(png).decode(), "text/plain": text}}


def test_cell_artifacts_and_message(tmp_path):
    baseline = render(plot_history(history()).figure)
    ax = plot_history(history())
    ax.lines[0].set_visible(False)
    artifacts = tmp_path / "test-artifacts" / "figures" / "03_training"
    failures = fc.compare_cell_figures([output(baseline)], [output(render(ax.figure))], structural=False,
                                       artifacts=artifacts, cell_num=6, root=tmp_path)
    assert len(failures) == 1
    assert "test-artifacts/figures/03_training/cell-6-0-{baseline,new,diff}.png" in failures[0]
    names = sorted(p.name for p in artifacts.iterdir())
    assert names == ["cell-6-0-baseline.png", "cell-6-0-diff.png", "cell-6-0-new.png"]
    assert (artifacts / "cell-6-0-baseline.png").read_bytes() == baseline
    assert fc.decode_png((artifacts / "cell-6-0-diff.png").read_bytes()).shape == fc.decode_png(baseline).shape
    # the same cell passing later removes its old artifacts
    assert fc.compare_cell_figures([output(baseline)], [output(baseline)], structural=False,
                                   artifacts=artifacts, cell_num=6, root=tmp_path) == []
    assert list(artifacts.iterdir()) == []


def test_cell_with_another_number_of_figures_fails(tmp_path):
    png = render(plot_history(history()).figure)
    for structural in (False, True):
        failures = fc.compare_cell_figures([output(png)], [output(png), output(png)], structural=structural,
                                           artifacts=tmp_path, cell_num=2)
        assert failures == ["the cell drew 2 figure(s), its committed output has 1"]


def test_decode_png_refuses_what_is_not_a_png():
    with pytest.raises(ValueError, match=r"data: expected a PNG image, got 5 bytes"):
        fc.decode_png(b"hello")
    with pytest.raises(ValueError, match=r"data: expected base64 text of a PNG"):
        fc.decode_png("not base64!")
    with pytest.raises(TypeError, match=r"data: expected PNG bytes or base64 text, got int"):
        fc.decode_png(3)


# --- the nbval hook, end to end ---------------------------------------------------------------
def test_install_restores_nbval():
    from nbval.plugin import IPyNbCell
    original = IPyNbCell.compare_outputs
    uninstall = fc.install()
    try:
        assert IPyNbCell.compare_outputs is not original
    finally:
        uninstall()
    assert IPyNbCell.compare_outputs is original


def notebook_cell(source: str, outputs: list, count: int, tags=()) -> dict:
    return {"cell_type": "code", "execution_count": count, "id": f"cell-{count}",
            "metadata": {"tags": list(tags)} if tags else {}, "outputs": outputs, "source": source}


def test_nbval_run_compares_figures():
    """A real nbval run from the repository root (its conftest, its pytest options) on a small
    notebook whose committed figures were drawn differently: the checked cell fails with the
    artifacts named, a cell tagged nbval-ignore-output is left alone, a cell tagged
    figure-varies-by-machine passes the structural check, a cell drawing one figure too many fails."""
    root = Path(__file__).resolve().parents[1]
    name = f"figure_hook_{os.getpid()}"
    folder = root / "test-artifacts" / name
    artifacts = root / "test-artifacts" / "figures" / name

    def drawn(ys, colour="C0"):
        fig, ax = plt.subplots(figsize=(4, 3))
        ax.plot([0, 1, 2], ys, color=colour)
        return output(render(fig))

    def code(ys, colour="C0", times=1):
        one = f"fig, ax = plt.subplots(figsize=(4, 3))\nax.plot([0, 1, 2], {ys}, color={colour!r})\n"
        return (one + "display(fig)\nplt.close(fig)\n") * (times - 1) + one + "plt.show()"

    cells = [
        notebook_cell("import matplotlib.pyplot as plt", [], 1),
        notebook_cell(code([0, 1, 0]), [drawn([0, 0.5, 1])], 2),                                  # 1: fails
        notebook_cell(code([0, 1, 0]), [drawn([0, 0.5, 1])], 3, tags=["nbval-ignore-output"]),   # 2: left alone
        notebook_cell(code([0, 1, 0]), [drawn([0, 0.5, 1])], 4, tags=[fc.TAG_VARIES_BY_MACHINE]),  # 3: passes
        notebook_cell(code([0, 1, 0], times=2), [drawn([0, 1, 0])], 5),                           # 4: fails
    ]
    notebook = {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                            "language": "python"}},
                "nbformat": 4, "nbformat_minor": 5}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.ipynb"
    path.write_text(json.dumps(notebook))
    environment = {key: value for key, value in os.environ.items() if key != "MPLBACKEND"}
    try:
        run = subprocess.run([sys.executable, "-m", "pytest", str(path.relative_to(root)), "-q", "-p", "no:randomly"],
                             cwd=root, env=environment, capture_output=True, text=True, timeout=300)
        report = run.stdout + run.stderr
        assert "2 failed, 3 passed" in report, report
        assert f"FAILED test-artifacts/{name}/{name}.ipynb::Cell 1" in report
        assert f"FAILED test-artifacts/{name}/{name}.ipynb::Cell 4" in report
        assert "figure 1 of 1 differs from the committed one (pixels): its content changed" in report
        assert f"test-artifacts/figures/{name}/cell-1-0-{{baseline,new,diff}}.png" in report
        assert "the cell drew 2 figure(s), its committed output has 1" in report
        assert "make notebooks" in report
        assert sorted(p.name for p in artifacts.iterdir()) == [
            "cell-1-0-baseline.png", "cell-1-0-diff.png", "cell-1-0-new.png"]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(artifacts, ignore_errors=True)
