"""Notebook 04's FGSM beside random signs of the same size, and its ε widget."""
import matplotlib.pyplot as plt
import numpy as np
import pytest

import lecture_nn as nn
from lecture_nn.lessons.dropout import widgets as dropout_widgets
from lecture_nn.lessons.dropout.adversarial import (compare_with_random_signs, fgsm, input_gradient,
                                                    mnist_digits, perturbation_effect, random_signs, sign_step)
from lecture_nn.lessons.dropout.figures import accuracy_against_epsilon


def trained_blob_classifier():
    rng = np.random.default_rng(7)
    X, y = nn.data.make_blobs(200, centers=((0.3, 0.3), (0.7, 0.7)), std=0.08, rng=rng)
    model = nn.mlp([2, 8, 2], "relu", rng=rng)
    nn.fit(model, X, y, epochs=30, batch_size=10, lr=0.5, rng=rng, progress=False)
    return model, X, y


def test_random_signs_have_the_size_of_the_gradient_signs():
    signs = random_signs((50, 784), np.random.default_rng(0))
    assert set(np.unique(signs)) == {-1.0, 1.0}
    assert 0.45 < np.mean(signs > 0) < 0.55
    np.testing.assert_array_equal(signs, random_signs((50, 784), np.random.default_rng(0)))
    # unclipped, a step along either direction has max-norm ε and 2-norm ε√d
    x = np.full((1, 784), 0.5)
    step = sign_step(x, signs[:1], 0.1) - x
    np.testing.assert_allclose([np.abs(step).max(), np.linalg.norm(step)], [0.1, 0.1 * 28])
    with pytest.raises(TypeError, match="Generator"):
        random_signs((2, 3), None)


def test_fgsm_is_a_sign_step_along_the_gradient():
    model, X, y = trained_blob_classifier()
    np.testing.assert_array_equal(fgsm(model, X, y, 0.1), sign_step(X, np.sign(input_gradient(model, X, y)), 0.1))


def test_perturbation_effect_counts_accuracy_loss_and_changed_answers():
    model, X, y = trained_blob_classifier()
    same = perturbation_effect(model, X, y, X)
    assert same.changed == 0 and same.accuracy == nn.accuracy(model, X, y)
    assert same.loss == pytest.approx(nn.evaluate(model, "softmax_cross_entropy", X, y))
    swapped = perturbation_effect(model, X, y, 1 - X)          # the blobs trade places
    assert swapped.changed > 0.9 and swapped.accuracy < 0.1 and swapped.loss > same.loss


def test_fgsm_hurts_far_more_than_random_signs_of_the_same_size():
    model, X, y = trained_blob_classifier()
    result = compare_with_random_signs(model, X, y, [0.0, 0.05, 0.15], seeds=range(3))
    assert result.epsilons == [0.0, 0.05, 0.15]
    assert len(result.fgsm) == 3 and [len(row) for row in result.random] == [3, 3, 3]
    assert result.fgsm[0] == result.random[0][0]               # ε = 0: both are the data
    assert result.fgsm[2].accuracy < min(r.accuracy for r in result.random[2]) - 0.05
    assert result.fgsm[2].loss > max(r.loss for r in result.random[2])
    low, high = result.l2_ratio
    assert 0.5 < low <= high < 1.5
    fig = accuracy_against_epsilon(result)
    both, zoom = fig.axes
    assert all(ax.get_xlabel() and ax.get_ylabel() == "test accuracy" for ax in fig.axes)
    assert len(both.get_lines()) == 2 and both.get_legend() is not None
    # the zoomed panel draws the random signs' min–max bars, within its own y range
    bars = [c for c in zoom.containers if hasattr(c, "has_yerr") and c.has_yerr]
    assert len(bars) == 1
    low, high = zoom.get_ylim()
    random_accuracy = [[r.accuracy for r in row] for row in result.random]
    assert low <= np.min(random_accuracy) and np.max(random_accuracy) <= high
    plt.close("all")


def test_fgsm_example_and_explorer_react_to_epsilon():
    model, _, _ = trained_blob_classifier()
    state = dropout_widgets.fgsm_example(model, [0.3, 0.3], 0, epsilon=0.0)
    assert state["answers"] == {"original": 0, "FGSM": 0, "random signs": 0}
    np.testing.assert_array_equal(state["images"]["FGSM"], [0.3, 0.3])
    grid = dropout_widgets.EPSILON_GRID
    assert grid[0] == 0 and len(state["curves"]["FGSM"]) == len(grid)
    # along the gradient's sign the true class only loses probability as ε grows
    assert np.all(np.diff(state["curves"]["FGSM"]) <= 1e-12)

    digits = mnist_digits()
    explorer = dropout_widgets.fgsm_explorer(n_digits=3)
    assert set(explorer.controls) == {"epsilon", "digit", "seed"}
    assert explorer.state["label"] == digits.y_test[0]
    first = explorer.state["images"]["FGSM"].copy()
    explorer.controls["epsilon"].value = 0.0
    np.testing.assert_array_equal(explorer.state["images"]["FGSM"], digits.X_test[0])
    assert not np.array_equal(first, digits.X_test[0])
    explorer.controls["digit"].value = 2
    assert explorer.state["label"] == digits.y_test[2] and "true label" in explorer.text
    assert explorer.figure.axes[3].get_xlabel() and explorer.figure.axes[3].get_ylabel()
    plt.close("all")
