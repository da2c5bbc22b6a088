"""Input gradients, fooling images and FGSM."""
import numpy as np
import pytest

import lecture_nn as nn
from lecture_nn.lessons.dropout.adversarial import (class_probabilities, fgsm, fgsm_accuracy, fooling_images,
                                    input_gradient)
from lecture_nn.dropout import Dropout
from lecture_nn.gradcheck import numerical_gradient, relative_error


def small_classifier(seed=0, n_in=6, n_classes=3):
    rng = np.random.default_rng(seed)
    return nn.mlp([n_in, 8, n_classes], "tanh", rng=rng), rng


def test_input_gradient_matches_finite_differences_per_example():
    model, rng = small_classifier()
    X, y = rng.uniform(0, 1, (4, 6)), np.array([0, 2, 1, 2])
    grad = input_gradient(model, X, y)
    for i in range(len(X)):
        x = X[i:i + 1].copy()
        numeric = numerical_gradient(lambda: nn.softmax_cross_entropy(y[i:i + 1], model.forward(x))[0], x)
        assert relative_error(grad[i:i + 1], numeric) <= 1e-7


def test_input_gradient_does_not_depend_on_the_batch_and_restores_the_mode():
    rng = np.random.default_rng(1)
    model = nn.Sequential(nn.Linear(5, 6, rng=rng), nn.ReLU(), Dropout(0.5, rng=rng),
                          nn.Linear(6, 2, rng=rng))
    X, y = rng.uniform(0, 1, (6, 5)), rng.integers(0, 2, 6)
    model.train()
    full = input_gradient(model, X, y)
    np.testing.assert_allclose(input_gradient(model, X[:2], y[:2]), full[:2], rtol=1e-12)
    assert model.training and model[2].training  # evaluation mode was only borrowed


def test_fooling_images_reach_the_confidence_and_stay_in_range():
    # class c is confident where pixels 2c and 2c+1 are bright and the others dark
    model = nn.Sequential(nn.Linear(6, 3, rng=np.random.default_rng(2)))
    model[0].params["W"][:] = np.where(np.arange(6)[:, None] // 2 == np.arange(3), 5.0, -5.0)
    result = fooling_images(model, [0, 1, 2, 1], n_features=6, rng=np.random.default_rng(3),
                            step_size=0.5, confidence=0.9, max_steps=300)
    assert np.all(result.confidence >= 0.9)
    probs = class_probabilities(model, result.images)
    np.testing.assert_allclose(probs[np.arange(4), [0, 1, 2, 1]], result.confidence)
    assert result.images.min() >= 0 and result.images.max() <= 1
    assert np.all(result.steps >= 0)


def test_fooling_images_report_targets_never_reached():
    model, _ = small_classifier(2)
    result = fooling_images(model, [0, 1], n_features=6, rng=np.random.default_rng(3),
                            step_size=1e-6, confidence=0.999, max_steps=2)
    assert list(result.steps) == [-1, -1]


def test_fooling_images_are_reproducible():
    model, _ = small_classifier(4)
    a = fooling_images(model, [2], 6, rng=np.random.default_rng(5), max_steps=20)
    b = fooling_images(model, [2], 6, rng=np.random.default_rng(5), max_steps=20)
    np.testing.assert_array_equal(a.images, b.images)


def test_fgsm_moves_each_pixel_by_epsilon_and_raises_the_loss():
    model, rng = small_classifier(6)
    X, y = rng.uniform(0.3, 0.7, (10, 6)), rng.integers(0, 3, 10)
    X_adv = fgsm(model, X, y, epsilon=0.05)
    np.testing.assert_allclose(np.abs(X_adv - X), 0.05, rtol=1e-9)  # no clipping inside (0.3, 0.7)
    assert nn.evaluate(model, "softmax_cross_entropy", X_adv, y) > \
        nn.evaluate(model, "softmax_cross_entropy", X, y)
    np.testing.assert_array_equal(fgsm(model, X, y, 0.0), X)
    clipped = fgsm(model, X, y, epsilon=1.0)
    assert set(np.unique(clipped)) <= {0.0, 1.0}


def test_fgsm_accuracy_falls_with_epsilon():
    rng = np.random.default_rng(7)
    X, y = nn.data.make_blobs(200, centers=((0.3, 0.3), (0.7, 0.7)), std=0.08, rng=rng)
    model = nn.mlp([2, 8, 2], "relu", rng=rng)
    nn.fit(model, X, y, epochs=30, batch_size=10, lr=0.5, rng=rng, progress=False)
    acc = fgsm_accuracy(model, X, y, [0.0, 0.1, 0.3])
    assert acc[0] > 0.95 and acc[0] >= acc[1] >= acc[2] and acc[2] < 0.5


def test_bad_input():
    model, rng = small_classifier()
    with pytest.raises(ValueError, match="epsilon"):
        fgsm(model, np.zeros((1, 6)), [0], epsilon=-0.1)
    with pytest.raises(ValueError, match=r"0\.\.2"):
        fooling_images(model, [3], 6, rng=rng)
    with pytest.raises(ValueError, match="confidence"):
        fooling_images(model, [0], 6, rng=rng, confidence=1.0)
    with pytest.raises(TypeError, match="Generator"):
        fooling_images(model, [0], 6, rng=None)
    with pytest.raises(ValueError, match=r"\(n, 6\)"):
        input_gradient(model, np.zeros((2, 5)), [0, 1])
