"""Notebook 05's build-it exercises beyond the generic tests of tests/test_exercises.py: the payoff layer
(FunctionConv2D), the refusal of SciPy's correlations, the reasoning exercises against the package, the
arrows of Fig. 10, and the performance page the notebook links to."""
from __future__ import annotations

import importlib.util
import itertools
import re
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from matplotlib.patches import FancyArrowPatch

import lecture_nn as nn
from lecture_nn.diagrams import draw_patches
from lecture_nn.gradcheck import check_layer_gradients
from lecture_nn.lessons.convolution import conv2d_fast, conv2d_fft, fft, locally_connected_weights
from lecture_nn.lessons.convolution.exercises import (FFT_BATCH, SECOND_LAYER, exercise_1, exercise_2,
                                                      exercise_3, exercise_4, fft_route_transforms,
                                                      locally_connected_parameters)
from lecture_nn.lessons.convolution.images import FILTERS
from lecture_nn.lessons.convolution.your_conv import FunctionConv2D

ROOT = Path(__file__).resolve().parents[1]


# --- the payoff layer ------------------------------------------------------------------------------

@pytest.mark.parametrize("function", [conv2d_fast, exercise_1.solution_answer()], ids=["package", "solution"])
@pytest.mark.parametrize("padding", [0, 1, 2])
def test_function_layer_passes_the_gradient_check(function, padding):
    rng = np.random.default_rng(padding)
    layer = FunctionConv2D(function, 2, 3, 3, padding=padding, rng=rng)
    layer.params["b"][:] = rng.normal(size=3)
    errors = check_layer_gradients(layer, rng.normal(size=(2, 2, 5, 6)), rng=rng)
    assert sorted(errors) == ["W", "b", "input"] and max(errors.values()) < 1e-7, errors


def test_function_layer_matches_the_package_layer():
    rng = np.random.default_rng(0)
    x, delta = rng.normal(size=(3, 2, 7, 6)), rng.normal(size=(3, 4, 7, 6))
    mine = FunctionConv2D(exercise_1.solution_answer(), 2, 4, 3, padding=1, rng=np.random.default_rng(1))
    package = nn.Conv2D(2, 4, 3, padding=1, rng=np.random.default_rng(1))
    package.params["b"][:] = mine.params["b"][:] = rng.normal(size=4)
    np.testing.assert_allclose(mine.params["W"], package.params["W"])
    np.testing.assert_allclose(mine.forward(x), package.forward(x), atol=1e-12)
    np.testing.assert_allclose(mine.backward(delta), package.backward(delta), atol=1e-12)
    for name in ("W", "b"):
        np.testing.assert_allclose(mine.grads[name], package.grads[name], atol=1e-12)
    assert mine.backward(delta, input_grad=False) is None


def test_function_layer_learns_the_edge_detector_as_the_notebook_shows():
    edge = FILTERS["edge detect"]
    for seed in (3, 4, 5):
        rng = np.random.default_rng(seed)
        X = rng.standard_normal((200, 1, 12, 12))
        Y = conv2d_fast(X, edge[None, None], padding=1).reshape(200, -1)
        layer = FunctionConv2D(exercise_1.solution_answer(), 1, 1, 3, padding=1, rng=rng)
        history = nn.fit(nn.Sequential(layer, nn.Flatten()), X, Y, loss="squared", epochs=3, batch_size=20,
                         lr=0.004, rng=rng, progress=False)
        assert history["loss"][0] > 10 and history["loss"][-1] < 1e-6
        assert np.abs(layer.params["W"][0, 0] - edge).max() < 1e-6


def test_function_layer_bad_input():
    with pytest.raises(TypeError, match="function"):
        FunctionConv2D("my_conv2d", 1, 1, 3)
    with pytest.raises(ValueError, match="in_channels"):
        FunctionConv2D(conv2d_fast, 0, 1, 3)
    with pytest.raises(ValueError, match="kernel_size"):
        FunctionConv2D(conv2d_fast, 1, 1, 0)
    with pytest.raises(ValueError, match="padding"):
        FunctionConv2D(conv2d_fast, 1, 1, 3, padding=-1)
    with pytest.raises(TypeError, match="padding"):
        FunctionConv2D(conv2d_fast, 1, 1, 3, padding=1.5)
    layer = FunctionConv2D(conv2d_fast, 2, 1, 3, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="expected input of shape"):
        layer.forward(np.zeros((1, 3, 5, 5)))
    with pytest.raises(ValueError, match="do not fit"):
        layer.forward(np.zeros((1, 2, 2, 5)))
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.zeros((1, 1, 3, 3)))
    layer.forward(np.zeros((1, 2, 5, 5)))
    with pytest.raises(ValueError, match="grad_out of shape"):
        layer.backward(np.zeros((1, 1, 4, 4)))


def test_function_layer_says_when_the_function_returns_a_wrong_shape():
    def one_row_short(x, w, b, stride, padding):
        return conv2d_fast(x, w, b, stride, padding)[:, :, :-1]

    layer = FunctionConv2D(one_row_short, 1, 2, 3, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"one_row_short returned shape \(1, 2, 2, 3\) for the forward pass"):
        layer.forward(np.zeros((1, 1, 5, 5)))


# --- delegation to SciPy -----------------------------------------------------------------------------

def test_scipy_correlations_are_refused_once_scipy_is_imported(capsys):
    from scipy.signal import correlate2d

    def my_conv_matrix(w, image_shape):
        H, W = image_shape
        return np.stack([correlate2d(np.eye(H * W)[i].reshape(H, W), w, mode="valid").ravel()
                         for i in range(H * W)], axis=1)

    assert exercise_2.check(my_conv_matrix) is False
    out = capsys.readouterr().out
    assert "Your function calls `correlate2d`, SciPy's version; write it with NumPy." in out, out


def test_scipy_is_not_imported_by_the_exercises():
    # importing scipy.signal would cost every run of notebook 05 time; the refusal looks it up lazily
    source = (ROOT / "lecture_nn" / "lessons" / "convolution" / "exercises.py").read_text(encoding="utf-8")
    assert not re.search(r"^\s*(import scipy|from scipy)", source, re.M)


# --- the reasoning exercises agree with the package -------------------------------------------------

def test_locally_connected_parameters_are_the_counted_weights_plus_one_bias_per_unit():
    C, O, k, n = (SECOND_LAYER[key] for key in ("in_channels", "out_channels", "kernel_size", "input_size"))
    units = O * (n - k + 1) ** 2
    weights = locally_connected_weights(n, k, in_channels=C, out_channels=O)
    assert locally_connected_parameters(**SECOND_LAYER) == weights + units
    assert locally_connected_parameters(**SECOND_LAYER) == (n - k + 1) ** 2 * nn.Conv2D(C, O, k, rng=np.random.default_rng(0)).n_params()
    assert exercise_3.expected() == locally_connected_parameters(**SECOND_LAYER)


def test_fft_route_transforms_count_what_conv2d_fft_does(monkeypatch):
    counted = {"forward": 0, "inverse": 0}
    rfft2, irfft2 = np.fft.rfft2, np.fft.irfft2

    def count(kind, function):
        def counting(a, s=None, axes=(-2, -1), **kwargs):
            image_axes = [ax % np.ndim(a) for ax in axes]
            counted[kind] += int(np.prod([n for i, n in enumerate(np.shape(a)) if i not in image_axes]))
            return function(a, s=s, axes=axes, **kwargs)
        return counting

    monkeypatch.setattr(fft.np.fft, "rfft2", count("forward", rfft2))
    monkeypatch.setattr(fft.np.fft, "irfft2", count("inverse", irfft2))
    N, C, O = (FFT_BATCH[key] for key in ("N", "C", "O"))
    rng = np.random.default_rng(0)
    conv2d_fft(rng.normal(size=(N, C, 12, 12)), rng.normal(size=(O, C, 3, 3)))
    assert counted == {"forward": N * C + O * C, "inverse": N * O}
    assert sum(counted.values()) == fft_route_transforms(N, C, O) == exercise_4.expected()


# --- Fig. 10: arrows that do not overlap --------------------------------------------------------------

def _segment_distance(a, b, samples=201):
    t = np.linspace(0, 1, samples)[:, None]
    p = a[0] + t * (a[1] - a[0])
    q = b[0] + t * (b[1] - b[0])
    return np.min(np.linalg.norm(p[:, None] - q[None], axis=2))


@pytest.mark.parametrize("geometry", [{}, {"stride": 1}, {"input_size": 20, "kernel_size": 5, "stride": 3, "padding": 2},
                                      {"input_size": 32, "kernel_size": 9, "stride": 5}],
                         ids=["fig10", "stride1", "stride3-padding2", "stride5"])
def test_patch_arrows_one_per_patch_and_apart(geometry):
    fig, ax = draw_patches(**geometry)
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert len(arrows) == 3
    segments = [tuple(np.asarray(end, dtype=float) for end in arrow._posA_posB) for arrow in arrows]
    stride = geometry.get("stride", 2)
    apart = min(_segment_distance(a, b) for a, b in itertools.combinations(segments, 2))
    assert apart > 0.35 * min(stride, 2), apart           # in input cells
    assert all(end[1] < start[1] for start, end in segments)       # every arrow rises to its unit
    letters = sorted(t.get_text() for t in ax.texts if len(t.get_text()) == 1)
    assert letters == ["A", "A", "B", "B", "C", "C"]                  # each patch and its unit
    matplotlib.pyplot.close(fig)


# --- the page notebook 05 links to -----------------------------------------------------------------

def test_performance_page_quotes_the_measured_crossover_of_the_benchmarks():
    spec = importlib.util.spec_from_file_location("crossover", ROOT / "benchmarks" / "crossover.py")
    crossover = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(crossover)
    benchmarks = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    section = benchmarks.split(crossover.START, 1)[1].split(crossover.END, 1)[0]
    measured = re.search(r"^\| 256×256 \| k = (\d+) \|", section, re.M).group(1)
    page = (ROOT / "docs" / "convolution-performance.md").read_text(encoding="utf-8")
    assert re.findall(r"the FFT was faster from \$k = (\d+)\$ on a \$256\\times256\$ image", page) == [measured]
    notebook = (ROOT / "notebooks" / "05_convolution.ipynb").read_text(encoding="utf-8")
    assert "../docs/convolution-performance.md" in notebook
