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


def test_maxpool_exercise_inputs_have_what_its_mistakes_need():
    from lecture_nn.lessons.convnets.exercises import maxpool_inputs, package_maxpool_backward

    cases = maxpool_inputs(np.random.default_rng(0))
    shapes = [args[1].shape for args, _ in cases]
    assert (1, 1, 4, 4) in shapes                                       # a batch of one
    assert any(h % k or w % k for (_, x, k), _ in cases for h, w in [x.shape[2:]])      # leftover rows/columns
    assert {k for (_, _, k), _ in cases} == {2, 3}
    ties = 0
    for (grad_out, x, k), _ in cases:
        assert grad_out.shape == x.shape[:2] + (x.shape[2] // k, x.shape[3] // k)
        assert package_maxpool_backward(grad_out, x, k).shape == x.shape
        n, c, ho, wo = grad_out.shape
        windows = x[:, :, :ho * k, :wo * k].reshape(n, c, ho, k, wo, k).transpose(0, 1, 2, 4, 3, 5).reshape(-1, k * k)
        ties += np.sum(np.sum(windows == windows.max(axis=1, keepdims=True), axis=1) > 1)
    assert ties > 0                                                     # the tie mistakes are visible


def test_maxpool_backward_ties_go_to_the_first_maximum_in_reading_order():
    from lecture_nn.lessons.convnets.exercises import exercise_1

    x = np.array([[[[1.0, 3.0], [3.0, 0.0]]]])
    expected = np.array([[[[0.0, 5.0], [0.0, 0.0]]]])
    np.testing.assert_array_equal(exercise_1.reference(np.array([[[[5.0]]]]), x, 2), expected)
    np.testing.assert_array_equal(exercise_1.solution_answer()(np.array([[[[5.0]]]]), x, 2), expected)


def test_convnet_shapes_reference_follows_fig_12():
    from lecture_nn.lessons.convnets.exercises import exercise_2, stack_inputs

    shapes, n_params = exercise_2.reference((1, 28, 28), [("conv", 3, 5), ("pool", 2)])
    np.testing.assert_array_equal(shapes, [[3, 24, 24], [3, 12, 12]])
    np.testing.assert_array_equal(n_params, [78, 0])
    _, n_params = exercise_2.reference((12, 12, 12), [("conv", 24, 3)])
    assert n_params[0] == 2616
    for (input_shape, layers), _ in stack_inputs(np.random.default_rng(4)):
        shapes, _ = exercise_2.reference(input_shape, layers)
        assert shapes.shape == (len(layers), 3) and shapes.min() >= 1


def test_your_pooling_layer_trains_like_max_pooling():
    from lecture_nn.lessons.convnets.exercises import exercise_1
    from lecture_nn.lessons.convnets.your_pooling import FunctionMaxPool

    rng = np.random.default_rng(6)
    x, grad = rng.normal(size=(2, 3, 7, 6)), rng.normal(size=(2, 3, 3, 3))
    theirs, ours = FunctionMaxPool(exercise_1.solution_answer(), 2), MaxPool2D(2)
    np.testing.assert_array_equal(theirs.forward(x), ours.forward(x))
    np.testing.assert_array_equal(theirs.backward(grad), ours.backward(grad))
    assert repr(theirs) == "FunctionMaxPool(maxpool_backward, k=2)"
    with pytest.raises(TypeError, match="function must be callable"):
        FunctionMaxPool("maxpool_backward", 2)
    with pytest.raises(TypeError, match="k"):
        FunctionMaxPool(exercise_1.solution_answer(), 2.0)
    with pytest.raises(ValueError, match="k"):
        FunctionMaxPool(exercise_1.solution_answer(), 0)
    cropped = FunctionMaxPool(lambda g, x, k: np.zeros((2, 3, 6, 6)), 2)
    cropped.forward(x)
    with pytest.raises(ValueError, match="input's shape"):
        cropped.backward(grad)
    with pytest.raises(ValueError, match="grad_out"):
        theirs.backward(grad[:, :2])


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
    from lecture_nn.lessons.convnets.comparison import COPY_SHIFTS, MOVES, with_shifted_copies

    assert len(COPY_SHIFTS) == 24 and (0, 0) not in COPY_SHIFTS and max(map(max, COPY_SHIFTS)) == 2
    rng = np.random.default_rng(8)
    images = rng.random((20, 1, 6, 6)).astype(np.float32)
    labels = np.arange(20) % 10
    X, y = with_shifted_copies(images, labels, np.random.default_rng(9), copies=2)
    assert X.shape == (60, 1, 6, 6) and X.dtype == np.float32
    np.testing.assert_array_equal(X[:20], images)
    np.testing.assert_array_equal(y, np.concatenate([labels] * 3))
    for original, copy in zip(np.concatenate([images, images]), X[20:]):
        assert any(np.array_equal(copy, shift_images(original[None], dx, dy)[0]) for dx, dy in COPY_SHIFTS)
    X_again, _ = with_shifted_copies(images, labels, np.random.default_rng(9), copies=2)
    np.testing.assert_array_equal(X, X_again)
    X_one, _ = with_shifted_copies(images, labels, np.random.default_rng(9), moves=MOVES)
    for original, copy in zip(images, X_one[20:]):
        assert any(np.array_equal(copy, shift_images(original[None], dx, dy)[0]) for dx, dy in MOVES)
    with pytest.raises(ValueError, match="copies"):
        with_shifted_copies(images, labels, np.random.default_rng(9), copies=0)
    with pytest.raises(TypeError, match="copies"):
        with_shifted_copies(images, labels, np.random.default_rng(9), copies=1.5)
    with pytest.raises(ValueError, match="moves"):
        with_shifted_copies(images, labels, np.random.default_rng(9), moves=())


def test_step_size_schedule_and_validation_split():
    from lecture_nn.lessons.convnets.comparison import QUICK_RECIPE, RECIPE, step_size, validation_split

    sizes = [step_size(RECIPE, update, 30) for update in range(30)]
    assert sizes[:20] == [RECIPE["lr"]] * 20 and sizes[20:] == [RECIPE["final_lr"]] * 10
    assert QUICK_RECIPE["epochs"] == 1 and QUICK_RECIPE["lr"] == 0.05
    assert {k: v for k, v in QUICK_RECIPE.items() if k not in ("epochs", "lr")} == \
        {k: v for k, v in RECIPE.items() if k not in ("epochs", "lr")}
    images, labels = np.arange(100.0)[:, None], np.arange(100) % 10
    X_train, y_train, X_val, y_val = validation_split(images, labels, size=20)
    assert len(X_val) == 20 and len(X_train) == 80
    assert np.array_equal(np.bincount(y_val), [2] * 10)                # stratified
    assert not set(X_val[:, 0]) & set(X_train[:, 0])
    with pytest.raises(ValueError, match="size"):
        validation_split(images, labels, size=0)


def test_train_follows_the_schedule_and_refuses_divergence():
    from lecture_nn.lessons.convnets.comparison import RECIPE, train
    from lecture_nn.training import TrainingDiverged

    rng = np.random.default_rng(11)
    images = rng.random((16, 1, 6, 6)).astype(np.float32)
    labels = np.arange(16) % 2
    model = Sequential(Flatten(), Linear(36, 2, rng=rng, dtype=np.float32))
    before = model.params["1.W"].copy()
    model.eval()
    train(model, images, labels, np.random.default_rng(0), dict(RECIPE, epochs=2, batch_size=8), copies=1)
    assert not model.training                                           # its mode given back
    assert not np.array_equal(before, model.params["1.W"])
    with pytest.raises(TrainingDiverged, match="epoch 1"):
        train(model, images * 1e30, labels, np.random.default_rng(0), dict(RECIPE, lr=1e30, epochs=1))


def test_compare_trains_both_networks_alike():
    from lecture_nn.lessons.convnets.comparison import DATA, compare, digit_convnet, digit_mlp, test_accuracy

    rng = np.random.default_rng(10)
    assert digit_convnet(rng).n_params() == 8938
    assert digit_mlp(rng).n_params() == 784 * 128 + 128 + 128 * 10 + 10
    images = rng.random((24, 1, 28, 28)).astype(np.float32)
    labels = np.arange(24) % 10
    recipe = {"epochs": 1, "lr": 0.01, "final_lr": 0.005, "decay_at": 0.5, "momentum": 0.9, "batch_size": 8}
    result = compare(images, labels, images[:10], labels[:10], seeds=range(2), recipe=recipe, copies=1,
                     control=True)
    assert set(result["accuracy"]) == {(n, d) for n in ("MLP", "convnet") for d in DATA}
    assert all(len(v) == 2 and all(0 <= a <= 1 for a in v) for v in result["accuracy"].values())
    assert set(result["models"]) == set(result["accuracy"]) and result["updates"] == 6
    model = result["models"]["convnet", DATA[1]]
    assert result["accuracy"]["convnet", DATA[1]][0] == test_accuracy(model, images[:10], labels[:10])
    again = compare(images, labels, images[:10], labels[:10], seeds=range(2), recipe=recipe, copies=1, control=True)
    assert again["accuracy"] == result["accuracy"]
    copies_only = compare(images, labels, images[:10], labels[:10], seeds=range(1), recipe=recipe, copies=2)
    assert set(copies_only["accuracy"]) == {("MLP", DATA[1]), ("convnet", DATA[1])} and copies_only["updates"] == 9
    for network, model in result["models"].items():                  # float64 unless asked otherwise
        assert all(p.dtype == np.float64 for p in model.params.values()), network
    in_float32 = compare(images, labels, images[:10], labels[:10], seeds=range(1), recipe=recipe, copies=1,
                         dtype=np.float32)
    assert all(p.dtype == np.float32 for model in in_float32["models"].values() for p in model.params.values())
    with pytest.raises(TypeError, match="dtype"):
        compare(images, labels, images[:10], labels[:10], seeds=range(1), recipe=recipe, dtype=np.int64)


def test_show_mosaic_draws_one_panel_on_one_scale_and_refuses_bad_input():
    from lecture_nn.lessons.convnets.figures import show_mosaic

    maps = np.random.default_rng(12).normal(size=(5, 4, 4))
    fig = show_mosaic(maps, ncols=3, label="value", title="five maps", symmetric=True)
    picture, colour_bar = fig.axes
    (image,) = picture.images
    assert image.get_clim() == (-np.abs(maps).max(), np.abs(maps).max())
    mosaic = image.get_array()
    assert mosaic.shape == (2 * (4 + 2), 3 * (4 + 1) - 1)                # 2 rows of 3, gaps between
    np.testing.assert_array_equal(mosaic[2:6, 5:9], maps[1])
    assert mosaic.mask[:, 4].all() and mosaic.mask[6 + 2:, 10:].all()   # gaps and the empty sixth place
    assert [t.get_text() for t in picture.texts] == ["0", "1", "2", "3", "4"]
    assert colour_bar.get_ylabel() == "value" and fig._suptitle.get_text() == "five maps"
    fig = show_mosaic(np.abs(maps), ncols=8, label="activation", names=list("abcde"))
    assert fig.axes[0].images[0].get_clim() == (np.abs(maps).min(), np.abs(maps).max())
    assert [t.get_text() for t in fig.axes[0].texts] == list("abcde")
    with pytest.raises(ValueError, match="names"):
        show_mosaic(maps, ncols=3, label="value", names=["a"])
    with pytest.raises(ValueError, match="maps"):
        show_mosaic(maps[0], ncols=3, label="value")
    with pytest.raises(TypeError, match="ncols"):
        show_mosaic(maps, ncols=2.5, label="value")
    plt.close("all")
