"""Notebook 07's lesson code: the control networks, ‖δ^l‖, the block of exercise 1 in arrays, the exercises."""
import numpy as np
import pytest

import lecture_nn as nn
from lecture_nn.activations import ReLU
from lecture_nn.gradcheck import check_layer_gradients, numerical_gradient
from lecture_nn.layers import Linear, Sequential
from lecture_nn.lessons.residual.blocks import BlockWithBackward, network_with_backward, package_residual_backward
from lecture_nn.lessons.residual.deep_nets import (default_branch_scale, delta_norms, depth_experiment, plain_network,
                                                   plain_sizes, residual_network, spiral_task, weight_gradient_norms)
from lecture_nn.lessons.residual import exercises as ex
from lecture_nn.lessons.training.diagnostics import delta_norms as chain_delta_norms
from lecture_nn.residual import Residual


# --- the control networks ---------------------------------------------------------------------

def test_default_branch_scale_is_one_over_root_of_the_blocks():
    assert default_branch_scale(40) == pytest.approx(1 / np.sqrt(38))
    assert default_branch_scale(3) == default_branch_scale(2) == 1.0
    with pytest.raises(ValueError, match="depth"):
        default_branch_scale(1)


def test_plain_and_residual_start_from_the_same_weights_up_to_the_scale():
    scale = default_branch_scale(8)
    plain = plain_network(8, 5, 2, 3, rng=np.random.default_rng(4))
    small_plain = plain_network(8, 5, 2, 3, rng=np.random.default_rng(4), middle_scale=scale)
    resnet = residual_network(8, 5, 2, 3, rng=np.random.default_rng(4))
    he_resnet = residual_network(8, 5, 2, 3, rng=np.random.default_rng(4), branch_scale=1.0)
    for p, s, r, h in zip(plain.params.values(), small_plain.params.values(), resnet.params.values(),
                          he_resnet.params.values()):
        np.testing.assert_array_equal(p, h)       # the He-start control: the plain weights, with skips
        np.testing.assert_array_equal(s, r)       # the small-start control: the residual weights, without
    middle = [layer.params["W"] for layer in plain.layers if isinstance(layer, Linear)][1:-1]
    small = [layer.params["W"] for layer in small_plain.layers if isinstance(layer, Linear)][1:-1]
    assert len(middle) == 6
    for w, v in zip(middle, small):
        np.testing.assert_allclose(v, scale * w)
    np.testing.assert_array_equal(plain.params["0.W"], small_plain.params["0.W"])   # first and last unscaled


@pytest.mark.parametrize("bad, error", [(0.0, ValueError), (-1.0, ValueError), (float("nan"), ValueError),
                                        ("small", TypeError), (True, TypeError)])
def test_bad_scales_name_the_argument(bad, error):
    with pytest.raises(error, match="middle_scale"):
        plain_network(5, 4, 2, 3, rng=np.random.default_rng(0), middle_scale=bad)
    with pytest.raises(error, match="branch_scale"):
        residual_network(5, 4, 2, 3, rng=np.random.default_rng(0), branch_scale=bad)


# --- ‖δ^l‖ ------------------------------------------------------------------------------------

def test_delta_norms_of_a_plain_network_agree_with_notebook_03():
    rng = np.random.default_rng(2)
    model = plain_network(6, 7, 2, 3, rng=rng)
    X, y = rng.standard_normal((9, 2)), rng.integers(0, 3, 9)
    np.testing.assert_allclose(delta_norms(model, X, y), chain_delta_norms(model, X, y), rtol=1e-12)


def test_delta_norms_of_a_residual_network_are_the_gradients_at_the_block_outputs():
    rng = np.random.default_rng(3)
    model = residual_network(6, 5, 2, 3, rng=rng)
    X, y = rng.standard_normal((8, 2)), rng.integers(0, 3, 8)
    norms = delta_norms(model, X, y)
    assert len(norms) == 6                           # layers 2 … L, one per weight matrix
    # by hand: the gradient of the mean loss at each block's output, by finite differences at one block
    _, dz = nn.get_loss("softmax_cross_entropy")(y, model.forward(X))
    grads, grad = [], dz
    for layer in reversed(model.layers):
        if isinstance(layer, (Linear, Residual)):
            grads.append(grad)
        grad = layer.backward(grad)
    np.testing.assert_allclose(norms, [np.linalg.norm(g) for g in grads[::-1]])
    # δ at the first block's output equals ∂ℓ/∂(that output), checked numerically
    first_out = model.layers[1].forward(model.layers[0].forward(X))

    def loss_from(out):
        h = out
        for layer in model.layers[2:]:
            h = layer.forward(h)
        return nn.get_loss("softmax_cross_entropy")(y, h)[0]

    numeric = numerical_gradient(lambda: loss_from(first_out), first_out)   # changes first_out in place
    np.testing.assert_allclose(np.linalg.norm(numeric), norms[1], rtol=1e-5)


def test_delta_norms_refuse_what_they_cannot_number():
    rng = np.random.default_rng(0)
    X, y = np.ones((2, 3)), np.array([0, 1])
    with pytest.raises(TypeError, match="model"):
        delta_norms(Linear(3, 2, rng=rng), X, y)
    with pytest.raises(ValueError, match="no weight layer"):
        delta_norms(Sequential(ReLU()), X, y)
    after_sum = Sequential(Residual(Sequential(ReLU(), Linear(3, 3, rng=rng)), activation="relu"), Linear(3, 2, rng=rng))
    with pytest.raises(ValueError, match="nothing after the sum"):
        delta_norms(after_sum, X, y)


def test_depth_experiment_returns_weight_gradients_and_deltas_and_reports_divergence():
    task = spiral_task(n=60)
    run = depth_experiment(6, True, width=8, epochs=2, seed=1, task=task)
    fresh = residual_network(6, 8, 2, 3, rng=np.random.default_rng(1))
    np.testing.assert_allclose(run["grad_norms"], weight_gradient_norms(fresh, task[0], task[1]))
    np.testing.assert_allclose(run["delta_norms"], delta_norms(fresh, task[0], task[1]))
    assert run["diverged"] is False and len(run["loss"]) == 2 and 0 <= run["test_accuracy"] <= 1
    # the He-start control of the notebook: the unscaled 40-layer residual network runs away at once
    control = depth_experiment(40, True, seed=0, middle_scale=1.0, task=spiral_task())
    assert control["diverged"] is True and control["loss"] == [] and np.isnan(control["test_accuracy"])
    small = depth_experiment(10, False, epochs=0, seed=0, middle_scale=0.5, task=task)
    plain = plain_network(10, 32, 2, 3, rng=np.random.default_rng(0), middle_scale=0.5)
    np.testing.assert_allclose(small["delta_norms"], delta_norms(plain, task[0], task[1]))


# --- the block of exercise 1 in arrays --------------------------------------------------------

def block_case(rng, n=4, d=3, h=5):
    return (rng.standard_normal((n, d)), rng.standard_normal((n, d)), rng.standard_normal((d, h)),
            rng.standard_normal(h), rng.standard_normal((h, d)))


def test_package_backward_agrees_with_finite_differences():
    rng = np.random.default_rng(5)
    delta, a, W1, b1, W2 = block_case(rng)
    b2 = rng.standard_normal(3)

    def loss(a_, W1_, b1_, W2_, b2_):   # ℓ = Σ δ ⊙ out, so ∂ℓ/∂out = δ
        return np.sum(delta * (a_ + np.maximum(a_ @ W1_ + b1_, 0) @ W2_ + b2_))

    values = [a, W1, b1, W2, b2]
    grads = package_residual_backward(delta, a, W1, b1, W2)
    for grad, value in zip(grads, values):          # numerical_gradient moves each array in place
        np.testing.assert_allclose(grad, numerical_gradient(lambda: loss(*values), value), rtol=1e-6, atol=1e-8)


def test_package_backward_bad_input_names_the_argument():
    rng = np.random.default_rng(0)
    delta, a, W1, b1, W2 = block_case(rng)
    with pytest.raises(ValueError, match="delta"):
        package_residual_backward(delta[:, :2], a, W1, b1, W2)
    with pytest.raises(ValueError, match="W1"):
        package_residual_backward(delta, a, W1[:2], b1, W2)
    with pytest.raises(ValueError, match="b1"):
        package_residual_backward(delta, a, W1, b1[:2], W2)
    with pytest.raises(ValueError, match="W2"):
        package_residual_backward(delta, a, W1, b1, W2.T)
    with pytest.raises(ValueError, match="a"):
        package_residual_backward(delta, a[0], W1, b1, W2)


def test_block_with_backward_passes_the_gradient_check_and_matches_residual():
    rng = np.random.default_rng(6)
    block = BlockWithBackward(3, 5, package_residual_backward, rng=rng, branch_scale=0.5)
    a = rng.standard_normal((4, 3))
    errors = check_layer_gradients(block, a)
    assert set(errors) == {"input", "W1", "b1", "W2", "b2"} and max(errors.values()) < 1e-7
    solution = ex.exercise_1.solution_answer()
    by_solution = BlockWithBackward(3, 5, solution, rng=np.random.default_rng(6), branch_scale=0.5)
    np.testing.assert_allclose(by_solution.forward(a), block.forward(a))
    assert "residual_backward" in repr(by_solution)


def test_block_with_backward_bad_input():
    rng = np.random.default_rng(0)
    with pytest.raises(TypeError, match="backward"):
        BlockWithBackward(3, 4, "not a function", rng=rng)
    with pytest.raises(ValueError, match="hidden"):
        BlockWithBackward(3, 0, package_residual_backward, rng=rng)
    with pytest.raises(ValueError, match="branch_scale"):
        BlockWithBackward(3, 4, package_residual_backward, rng=rng, branch_scale=0)
    with pytest.raises(ValueError, match=r"\(n, 3\)"):
        BlockWithBackward(3, 4, package_residual_backward, rng=rng).forward(np.ones((2, 4)))
    with pytest.raises(TypeError, match="backward"):
        network_with_backward(3, n_blocks=2, width=4, n_in=2, n_out=3, rng=rng)
    with pytest.raises(ValueError, match="n_blocks"):
        network_with_backward(None, n_blocks=0, width=4, n_in=2, n_out=3, rng=rng)


def test_network_trains_the_same_with_the_package_or_the_worked_solution():
    X, y, _, _ = spiral_task(n=60)
    losses = []
    for backward in (None, ex.exercise_1.solution_answer()):
        rng = np.random.default_rng(0)
        net = network_with_backward(backward, n_blocks=3, width=8, n_in=2, n_out=3, rng=rng)
        kinds = {type(layer) for layer in net.layers}
        assert (Residual in kinds) == (backward is None) and (BlockWithBackward in kinds) == (backward is not None)
        losses.append(nn.fit(net, X, y, epochs=3, batch_size=16, lr=0.05, rng=rng, progress=False)["loss"])
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-9)


# --- the exercises (they replace the tests of the earlier exercises 1–3) ------------------------

def test_exercise_1_solution_agrees_with_finite_differences_without_the_package():
    rng = np.random.default_rng(8)
    delta, a, W1, b1, W2 = block_case(rng, n=2, d=4, h=3)
    grads = ex.exercise_1.solution_answer()(delta, a, W1, b1, W2)
    numeric = numerical_gradient(lambda: np.sum(delta * (a + np.maximum(a @ W1 + b1, 0) @ W2)), a)
    np.testing.assert_allclose(grads[0], numeric, rtol=1e-6, atol=1e-8)
    assert [g.shape for g in grads] == [(2, 4), (4, 3), (3,), (3, 4), (4,)]


def test_answer_exercises_agree_with_independent_computations(capsys):
    a, w, v = ex.EXERCISE_POINT.values()
    eps = 1e-6
    numeric = ((a + eps + w * np.tanh(v * (a + eps))) - (a - eps + w * np.tanh(v * (a - eps)))) / (2 * eps)
    assert ex.exercise_2.check(numeric)
    assert not ex.exercise_2.check(numeric - 1.0)          # forgetting the skip path
    slopes = np.full(ex.EXERCISE_STACK["n_blocks"], ex.EXERCISE_STACK["slope"])
    assert ex.exercise_3.check([np.prod(1 + slopes), np.prod(slopes)])
    assert not ex.exercise_3.check([np.prod(slopes), np.prod(1 + slopes)])   # the two swapped
    assert ex.exercise_4.check(2) and not ex.exercise_4.check(1.5)
    out = capsys.readouterr().out
    assert out.count("correct.") == 3 and out.count("not yet") == 3


def test_exercise_4_measures_a_growth_near_two():
    namespace = {}
    exec(ex.exercise_4.solution_code, namespace)
    assert len(namespace["measured"]) == 38
    assert 1.7 < namespace["geometric_mean"] < 2.3


# --- the widget -------------------------------------------------------------------------------

def test_widget_draws_delta_norms_and_a_divergence():
    import matplotlib.pyplot as plt
    from lecture_nn.lessons.residual import widgets

    explorer = widgets.residual_explorer()
    explorer.controls["epochs"].value = 0
    explorer.controls["depth"].value = 5
    assert len(explorer.state["delta_norms"]) == 5 and "‖δ²‖ / ‖δ^L‖" in explorer.text
    assert all(control.description for control in explorer.controls.values())
    state = dict(explorer.state, diverged=True, loss=[])
    values = explorer.values()
    figure = widgets._draw(state, **values)
    assert "diverged" in " ".join(text.get_text() for ax in figure.axes for text in ax.texts)
    assert "SGD diverged" in widgets._describe(state, **values)
    plt.close("all")
