"""Residual blocks: the skip gradient adds, projections, the activation variant, errors."""
import numpy as np
import pytest

import lecture_nn as nn

from lecture_nn.activations import ReLU, Tanh
from lecture_nn.gradcheck import check_layer_gradients, check_model_gradients
from lecture_nn.layers import Linear, Sequential
from lecture_nn.residual import Residual, projection_for


def dense_block(n_in, n_out, rng, hidden=5):
    return Sequential(Linear(n_in, hidden, rng=rng), Tanh(), Linear(hidden, n_out, rng=rng))


def test_identity_skip_output_and_gradients():
    rng = np.random.default_rng(0)
    block = dense_block(4, 4, rng)
    res = Residual(block)
    a = rng.standard_normal((6, 4))
    np.testing.assert_allclose(res.forward(a), a + block.forward(a))
    errors = check_layer_gradients(res, a)
    assert set(errors) == {"input", "block.0.W", "block.0.b", "block.2.W", "block.2.b"}
    assert max(errors.values()) < 1e-7


def test_backward_is_skip_gradient_plus_block_gradient():
    rng = np.random.default_rng(1)
    block = dense_block(3, 3, rng)
    res = Residual(block)
    a, delta = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    res.forward(a)
    grad = res.backward(delta)
    block.forward(a)
    np.testing.assert_allclose(grad, delta + block.backward(delta))


def test_zero_block_passes_input_and_gradient_unchanged():
    block = Linear(3, 3, init="zeros")
    res = Residual(block)
    a = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(res.forward(a), a)
    delta = np.ones((2, 3))
    np.testing.assert_array_equal(res.backward(delta), delta)


def test_projection_when_shapes_differ():
    rng = np.random.default_rng(2)
    projection = projection_for((4,), (2,), rng)
    assert isinstance(projection, Linear) and (projection.n_in, projection.n_out) == (4, 2)
    res = Residual(dense_block(4, 2, rng), projection)
    a = rng.standard_normal((7, 4))
    assert res.forward(a).shape == (7, 2)
    errors = check_layer_gradients(res, a)
    assert "projection.W" in errors and max(errors.values()) < 1e-7


def test_activation_after_the_sum():
    rng = np.random.default_rng(3)
    block = dense_block(4, 4, rng)
    res = Residual(block, activation="relu")
    a = rng.standard_normal((6, 4))
    out = res.forward(a)
    np.testing.assert_allclose(out, np.maximum(0, a + block.forward(a)))
    assert max(check_layer_gradients(Residual(block, activation=Tanh()), a).values()) < 1e-7


def test_deep_residual_model_gradients_and_training():
    rng = np.random.default_rng(4)
    model = Sequential(Linear(2, 6, rng=rng),
                       *[Residual(Sequential(Tanh(), Linear(6, 6, rng=rng))) for _ in range(5)],
                       Linear(6, 3, rng=rng))
    X, y = rng.standard_normal((12, 2)), rng.integers(0, 3, 12)
    errors = check_model_gradients(model, "softmax_cross_entropy", X, y)
    assert "3.block.1.W" in errors and max(errors.values()) < 1e-7
    from lecture_nn.training import fit
    history = fit(model, X, y, epochs=60, batch_size=4, lr=0.1, rng=rng, progress=False)
    assert history["loss"][-1] < 0.5 * history["loss"][0]


def test_train_eval_and_zero_grad_reach_the_block():
    rng = np.random.default_rng(5)
    block = dense_block(3, 2, rng)
    projection = Linear(3, 2, rng=rng)
    res = Residual(block, projection, activation=ReLU())
    res.eval()
    assert not block.training and not block[1].training and not projection.training
    res.train()
    assert block.training and res.activation.training
    res.forward(rng.standard_normal((4, 3)) + 3)
    res.backward(np.ones((4, 2)))
    assert np.any(res.grads["projection.W"] != 0)
    res.zero_grad()
    assert all(np.all(g == 0) for g in res.grads.values())


def test_params_are_the_layers_own_arrays():
    rng = np.random.default_rng(6)
    block = Linear(2, 2, rng=rng)
    res = Residual(block)
    res.params["block.W"] += 1.0
    np.testing.assert_array_equal(block.params["W"], res.params["block.W"])
    with pytest.raises(AttributeError):
        res.params = {"W": np.zeros(2)}


def test_errors():
    rng = np.random.default_rng(7)
    with pytest.raises(TypeError, match="Layer"):
        Residual(lambda a: a)
    with pytest.raises(TypeError, match="projection"):
        Residual(Linear(2, 2, rng=rng), projection=np.eye(2))
    with pytest.raises(ValueError, match="projection_for"):
        Residual(Linear(3, 2, rng=rng)).forward(np.ones((4, 3)))
    with pytest.raises(ValueError, match="unknown|activation"):
        Residual(Linear(2, 2, rng=rng), activation="nope")
    res = Residual(Linear(2, 2, rng=rng))
    with pytest.raises(RuntimeError, match="before forward"):
        res.backward(np.ones((1, 2)))
    res.forward(np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"\(3, 2\)"):
        res.backward(np.ones((3, 3)))
    with pytest.raises(ValueError, match="projection_for expects"):
        projection_for((4,), (2, 3, 3))
    assert projection_for((3, 8, 8), (3, 8, 8)) is None


def test_image_projection_is_a_strided_1x1_convolution():
    conv = pytest.importorskip("lecture_nn.lessons.convolution")
    if not hasattr(conv, "Conv2D"):
        pytest.skip("lecture_nn.lessons.convolution.Conv2D is not available")
    rng = np.random.default_rng(8)
    projection = projection_for((2, 8, 8), (4, 4, 4), rng)
    assert isinstance(projection, conv.Conv2D)
    assert projection.params["W"].shape == (4, 2, 1, 1)
    assert projection.forward(rng.standard_normal((3, 2, 8, 8))).shape == (3, 4, 4, 4)
    with pytest.raises(ValueError, match="1×1"):
        projection_for((2, 7, 7), (4, 5, 5), rng)     # ⌈7/s⌉ is 7, 4, 3, … : never 5


def _reachable_by_a_stride(size, out_size):
    """Whether some stride s gives a 1×1 convolution on ``size`` pixels ``out_size`` outputs (any
    s >= size gives 1, so the strides up to ``size`` are all there is to try)."""
    return any(nn.output_size(size, 1, stride)[0] == out_size for stride in range(1, size + 1))


def test_image_projection_exists_exactly_when_some_stride_gives_the_output_size():
    """Issue 20: 7×7 → 4×4, 5×5 → 3×3 and 8×8 → 3×3 were refused although Conv2D(2, 4, 1, stride=2)
    (or 3) does it. Every H, H' up to 16, against output_size: the projection's output has
    the block's size whenever a stride reaches it, and it is refused with a correct message otherwise."""
    rng = np.random.default_rng(9)
    for h in range(1, 17):
        x = rng.standard_normal((1, 2, h, h))
        for h_out in range(1, 17):                   # 2 → 3 channels: never the identity
            if _reachable_by_a_stride(h, h_out):
                projection = projection_for((2, h, h), (3, h_out, h_out), rng)
                assert projection.forward(x).shape == (1, 3, h_out, h_out), (h, h_out)
            else:
                with pytest.raises(ValueError) as info:
                    projection_for((2, h, h), (3, h_out, h_out), rng)
                message = str(info.value)
                assert f"no 1×1 convolution maps a {h}×{h} image to {h_out}×{h_out}" in message
                assert "maps maps" not in message
    for in_shape, out_shape, stride in [((2, 7, 7), (4, 4, 4), 2), ((2, 5, 5), (4, 3, 3), 2),
                                        ((2, 8, 8), (4, 3, 3), 3), ((2, 8, 6), (4, 3, 2), (3, 3)),
                                        ((2, 8, 6), (4, 4, 3), 2), ((2, 9, 4), (4, 3, 4), (3, 1))]:
        projection = projection_for(in_shape, out_shape, rng)
        assert projection.stride == (stride if isinstance(stride, tuple) else (stride, stride))
        assert projection.forward(np.ones((1,) + in_shape)).shape == (1,) + out_shape
    # one axis reachable, the other not: refused, naming both sizes
    with pytest.raises(ValueError, match=r"8×7 image to 3×5"):
        projection_for((2, 8, 7), (4, 3, 5), rng)


# --- deep plain/residual networks (notebook 07) -------------------------------------------

from lecture_nn.lessons.residual.deep_nets import (depth_experiment, plain_sizes, residual_network,  # noqa: E402
                                  spiral_task, weight_gradient_norms)


def test_plain_and_residual_networks_have_the_same_parameters():
    rng = np.random.default_rng(0)
    plain, resnet = nn.mlp(plain_sizes(12, 8, 2, 3), rng=rng), residual_network(12, 8, 2, 3, rng=rng)
    assert plain.n_params() == resnet.n_params() == 2 * 8 + 8 + 10 * (8 * 8 + 8) + 8 * 3 + 3
    assert sum(isinstance(layer, Residual) for layer in resnet.layers) == 10
    X = rng.standard_normal((5, 2))
    assert len(weight_gradient_norms(plain, X, np.arange(5) % 3)) == 12
    assert len(weight_gradient_norms(resnet, X, np.arange(5) % 3)) == 12


def test_branch_scaling_keeps_the_deep_residual_signal_bounded():
    X = np.random.default_rng(1).standard_normal((200, 2))
    scaled = residual_network(40, 32, 2, 3, rng=np.random.default_rng(2))
    unscaled = residual_network(40, 32, 2, 3, rng=np.random.default_rng(2), branch_scale=1.0)
    first = np.linalg.norm(scaled[0].forward(X))
    scaled_norm = np.linalg.norm(Sequential(*scaled.layers[:-2]).forward(X))
    unscaled_norm = np.linalg.norm(Sequential(*unscaled.layers[:-2]).forward(X))
    assert scaled_norm < 3 * first
    assert unscaled_norm > 1e4 * first  # the norm grows by up to √2 per block over 38 blocks


def test_residual_network_gets_larger_gradients_at_depth_than_plain():
    X, y, _, _ = spiral_task(n=150)
    plain = weight_gradient_norms(nn.mlp(plain_sizes(40, 32, 2, 3), rng=np.random.default_rng(1)), X, y)
    resnet = weight_gradient_norms(residual_network(40, 32, 2, 3, rng=np.random.default_rng(1)), X, y)
    assert np.median(resnet) > 5 * np.median(plain)


def test_depth_experiment_is_reproducible():
    task = spiral_task(n=60)
    a = depth_experiment(6, True, width=8, epochs=3, seed=3, task=task)
    b = depth_experiment(6, True, width=8, epochs=3, seed=3, task=task)
    assert a["loss"] == b["loss"] and len(a["loss"]) == 3
    np.testing.assert_array_equal(a["grad_norms"], b["grad_norms"])
    assert depth_experiment(6, False, width=8, epochs=0, task=task)["loss"] == []


def test_deep_network_bad_sizes():
    with pytest.raises(ValueError, match="depth"):
        plain_sizes(1, 8, 2, 3)
    with pytest.raises(TypeError, match="width"):
        residual_network(5, 8.5, 2, 3)
    with pytest.raises(ValueError, match="no weight matrix"):
        weight_gradient_norms(Sequential(ReLU()), np.ones((2, 3)), np.array([0, 1]))


# --- widget, exercises, Fig. 14 ---------------------------------------------------------------

def test_residual_widget_recomputes_on_change():
    import matplotlib.pyplot as plt
    from lecture_nn.lessons.residual.widgets import residual_explorer

    explorer = residual_explorer()
    explorer.controls["epochs"].value = 0
    explorer.controls["depth"].value = 6
    first_state, first_figure = explorer.state, explorer.figure
    assert len(first_state["grad_norms"]) == 6 and first_state["loss"] == []
    explorer.controls["residual"].value = False
    assert explorer.state is not first_state and explorer.figure is not first_figure
    assert not any(isinstance(layer, Residual) for layer in explorer.state["model"].layers)
    explorer.controls["epochs"].value = 5
    assert len(explorer.state["loss"]) == 5
    assert "test accuracy" in explorer.text
    plt.close("all")


def test_fig14_drawing():
    import matplotlib.pyplot as plt
    from lecture_nn.diagrams import draw_residual_network

    ax = draw_residual_network(n_blocks=3, layers_per_block=1)
    texts = [t.get_text() for t in ax.texts]
    assert texts.count("+") == 3 and texts.count("skip: identity") == 3
    with pytest.raises(ValueError):
        draw_residual_network(n_blocks=0)
    plt.close("all")


def test_signal_at_initialisation_measures_size_and_spread():
    from lecture_nn.lessons.residual.deep_nets import signal_at_initialisation

    rng = np.random.default_rng(7)
    X = rng.standard_normal((50, 2))
    model = residual_network(6, 8, 2, 3, rng=rng)
    first = model[0].forward(X)
    h = X
    for layer in model.layers[:-1]:
        h = layer.forward(h)
    signal = signal_at_initialisation(model, X)
    rms = lambda a: np.sqrt(np.mean(np.sum(a ** 2, axis=1)))  # noqa: E731
    assert signal["growth"] == pytest.approx(rms(h) / rms(first))
    assert signal["spread"] == pytest.approx(rms(h - h.mean(axis=0)) / np.linalg.norm(h.mean(axis=0)))
    # every input the same: no spread at all
    assert signal_at_initialisation(model, np.ones((4, 2)))["spread"] == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="ReLU"):
        signal_at_initialisation(Sequential(Linear(2, 3, rng=rng), Linear(3, 3, rng=rng), Tanh(),
                                            Linear(3, 2, rng=rng)), X)


def test_depth_experiment_reports_the_signal_before_training():
    from lecture_nn.lessons.residual.deep_nets import signal_at_initialisation

    task = spiral_task(n=60)
    run = depth_experiment(8, False, width=8, epochs=2, seed=4, task=task)
    fresh = nn.mlp(plain_sizes(8, 8, 2, 3), rng=np.random.default_rng(4))
    assert run["signal"] == signal_at_initialisation(fresh, task[0])


def test_fig14_uses_the_notes_layer_numbering():
    import matplotlib.pyplot as plt
    from lecture_nn.diagrams import draw_residual_network

    ax = draw_residual_network(n_blocks=2, layers_per_block=2)
    texts = [t.get_text() for t in ax.texts]
    assert texts[0].startswith("layer 1") and "a^1 = x" in texts[0]
    assert [t for t in texts if t.startswith("layer ") and "\n" not in t] == [f"layer {k}" for k in range(2, 6)]
    assert texts[-1].startswith("layer 6") and "L" in texts[-1]
    plt.close("all")
