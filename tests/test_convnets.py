"""Convnets from the package's parts (notebook 06): gradients end to end, the widget, checkers, figures."""
import matplotlib.pyplot as plt
import numpy as np
import pytest

from lecture_nn.activations import ReLU
from lecture_nn.diagrams import draw_convnet, draw_pooling_example
from lecture_nn.lessons.convolution import Conv2D
from lecture_nn.layers import Flatten
from lecture_nn.gradcheck import check_model_gradients
from lecture_nn.layers import Linear, Sequential
from lecture_nn.pooling import AvgPool2D, MaxPool2D


def small_convnet(rng, pool=MaxPool2D):
    return Sequential(Conv2D(1, 2, 3, rng=rng), pool(2), ReLU(), Conv2D(2, 3, 2, rng=rng),
                      ReLU(), Flatten(), Linear(3 * 2 * 2, 4, rng=rng))


@pytest.mark.parametrize("pool", [MaxPool2D, AvgPool2D])
def test_convnet_gradients_end_to_end(pool):
    rng = np.random.default_rng(0)
    model = small_convnet(rng, pool)
    X, y = rng.standard_normal((3, 1, 8, 8)), np.array([0, 3, 1])
    errors = check_model_gradients(model, "softmax_cross_entropy", X, y)
    assert set(errors) == {"0.W", "0.b", "3.W", "3.b", "6.W", "6.b"}
    assert max(errors.values()) < 1e-7


def test_convnet_learns_a_tiny_task():
    from lecture_nn.training import accuracy, fit

    rng = np.random.default_rng(1)
    X = rng.standard_normal((40, 1, 8, 8)) * 0.1
    y = rng.integers(0, 2, 40)
    X[y == 1, 0, 2:6, 4] += 1.0  # class 1 has a vertical bar
    model = Sequential(Conv2D(1, 2, 3, rng=rng), MaxPool2D(2), ReLU(), Flatten(), Linear(18, 2, rng=rng))
    fit(model, X, y, epochs=30, batch_size=8, lr=0.1, rng=rng, progress=False)
    assert accuracy(model, X, y) == 1.0


def test_max_and_relu_commute():
    x = np.random.default_rng(2).standard_normal((2, 3, 6, 6))
    np.testing.assert_array_equal(MaxPool2D(2).forward(ReLU().forward(x)),
                                  ReLU().forward(MaxPool2D(2).forward(x)))


def test_feature_map_widget_recomputes_on_change():
    from lecture_nn.lessons.convnets.widgets import feature_map_explorer

    rng = np.random.default_rng(3)
    model = small_convnet(rng)
    images, labels = rng.standard_normal((5, 1, 8, 8)), np.arange(5) % 4
    explorer = feature_map_explorer(model, images, labels)
    options = explorer.controls["layer"].options
    assert list(dict(options).values()) == [0, 1, 2, 3, 4]  # only layers with feature maps
    first_state, first_figure = explorer.state, explorer.figure
    assert first_state["maps"].shape == (2, 6, 6)
    explorer.controls["layer"].value = 3
    assert explorer.state["maps"].shape == (3, 2, 2)
    assert explorer.figure is not first_figure
    explorer.controls["index"].value = 4
    assert explorer.state["label"] == 0
    assert "3 feature maps of 2×2" in explorer.text
    with pytest.raises(ValueError, match="one entry per image"):
        feature_map_explorer(model, images, labels[:3])
    with pytest.raises(TypeError, match="Sequential"):
        feature_map_explorer(Conv2D(1, 2, 3, rng=rng), images, labels)
    plt.close("all")


def test_convnet_exercise_checkers(capsys):
    from lecture_nn.lessons.convnets import exercises as ex

    assert ex.exercise_1.check(3 * 25 + 3 + 3 * 24 * 24 * 10 + 10)
    assert not ex.exercise_1.check(4408)
    assert ex.exercise_3.check((16, 5, 5)) and not ex.exercise_3.check((16, 6, 6))
    by_hand = np.zeros((4, 6))
    by_hand[0, 1], by_hand[1, 2], by_hand[1, 4] = 1.0, -2.0, 3.0   # top windows (tie 6, 6: first)
    by_hand[2, 1], by_hand[3, 2], by_hand[3, 4] = 0.5, 4.0, -1.0
    assert ex.exercise_2.check(by_hand)
    by_hand[1, 4], by_hand[1, 5] = 0.0, 3.0  # the tie sent to the second 6
    assert not ex.exercise_2.check(by_hand)
    assert "not yet" in capsys.readouterr().out
    assert ex.fig12_network().n_params() == 4408


def test_receptive_field_of_conv_pool_conv():
    from lecture_nn.lessons.convnets.receptive import (conv_pool_conv, extent, input_gradient,
                                                       receptive_field_size)

    assert receptive_field_size([(3, 1), (2, 2), (3, 1)]) == 8
    assert receptive_field_size([(5, 1)]) == 5 and receptive_field_size([]) == 1
    x = np.random.default_rng(0).random((1, 1, 16, 16))
    grad = input_gradient(conv_pool_conv(AvgPool2D(2)), x, (2, 2))
    rows, cols = extent(grad)
    assert (rows, cols) == (slice(4, 12), slice(4, 12))
    assert np.count_nonzero(grad) == 64
    grad_max = input_gradient(conv_pool_conv(MaxPool2D(2)), x, (2, 2))
    assert 0 < np.count_nonzero(grad_max) < 64
    assert not np.any(grad_max[~(grad != 0)])          # max pooling: a subset of the same square
    with pytest.raises(ValueError, match="zero"):
        extent(np.zeros((3, 3)))


def test_pooling_makes_one_pixel_shifts_matter_less():
    from lecture_nn.lessons.convnets.comparison import MOVES
    from lecture_nn.lessons.convnets.receptive import relative_change, shift_sensitivity

    np.testing.assert_allclose(relative_change(np.ones((2, 4)), 2 * np.ones((2, 4))), [1.0, 1.0])
    images = np.zeros((6, 1, 12, 12))
    rng = np.random.default_rng(1)
    images[:, 0, 3:9, 3:9] = rng.random((6, 6, 6))                   # blank border
    change = shift_sensitivity(images, MOVES, np.random.default_rng(0), n_filters=4, kernel_size=3)
    assert change["before"].shape == change["after"].shape == (len(MOVES) * 6,)
    assert change["after"].mean() < change["before"].mean()


def test_map_scale_fits_the_maps():
    from lecture_nn.lessons.convnets.widgets import map_scale

    signed = map_scale(np.array([[-2.0, 1.0]]))
    assert signed["cmap"] == "RdBu_r" and (signed["vmin"], signed["vmax"]) == (-2.0, 2.0)
    positive = map_scale(np.array([[0.0, 3.0]]))
    assert positive["cmap"] == "viridis" and (positive["vmin"], positive["vmax"]) == (0.0, 3.0)


def test_figure_12_and_13_drawings():
    ax = draw_convnet([("input", (1, 28, 28)), ("conv", (3, 24, 24)), ("fc", (10,))])
    labels = " ".join(t.get_text() for t in ax.texts)
    assert "3×24×24" in labels and "10 units" in labels
    with pytest.raises(ValueError, match="shape"):
        draw_convnet([("bad", (2, 3))])
    fig = draw_pooling_example(np.arange(16.0).reshape(4, 4), np.ones((2, 2)))
    assert len(fig.axes) == 8
    max_grad_texts = [t.get_text() for t in fig.axes[3].texts]
    assert max_grad_texts.count("1") == 4 and max_grad_texts.count("0") == 12
    plt.close("all")


def test_shifted_copies_follow_the_originals():
    from lecture_nn.data import shift_images
    from lecture_nn.lessons.convnets.comparison import MOVES, with_shifted_copies

    rng = np.random.default_rng(8)
    images = rng.random((20, 1, 6, 6)).astype(np.float32)
    labels = np.arange(20) % 10
    X, y = with_shifted_copies(images, labels, np.random.default_rng(9))
    assert X.shape == (40, 1, 6, 6) and X.dtype == np.float32
    np.testing.assert_array_equal(X[:20], images)
    np.testing.assert_array_equal(y, np.concatenate([labels, labels]))
    for original, copy in zip(images, X[20:]):
        assert any(np.array_equal(copy, shift_images(original[None], dx, dy)[0]) for dx, dy in MOVES)
    X_again, _ = with_shifted_copies(images, labels, np.random.default_rng(9))
    np.testing.assert_array_equal(X, X_again)


def test_compare_trains_both_networks_on_both_data_sets():
    from lecture_nn.lessons.convnets.comparison import DATA, compare, digit_convnet, digit_mlp

    rng = np.random.default_rng(10)
    assert digit_convnet(rng).n_params() == 8938
    assert digit_mlp(rng).n_params() == 784 * 128 + 128 + 128 * 10 + 10
    images = rng.random((24, 1, 28, 28)).astype(np.float32)
    labels = np.arange(24) % 10
    recipe = {"stages": ((1, 0.01),), "momentum": 0.9, "batch_size": 8}
    result = compare(images, labels, images[:10], labels[:10], seeds=range(2), recipe=recipe)
    assert set(result["accuracy"]) == {(n, d) for n in ("MLP", "convnet") for d in DATA}
    assert all(len(v) == 2 and all(0 <= a <= 1 for a in v) for v in result["accuracy"].values())
    assert set(result["models"]) == set(result["accuracy"])
    again = compare(images, labels, images[:10], labels[:10], seeds=range(2), recipe=recipe)
    assert again["accuracy"] == result["accuracy"]
