"""Regularisation helpers: virtual data by shifting, the training wrapper, weight summaries."""
import numpy as np
import pytest

import lecture_nn as nn
from lecture_nn.lessons.training.regularization import (augment_with_shifts, first_layer_weights,
                                       fraction_near_zero, train_classifier)


def test_augment_with_shifts_adds_shifted_copies_with_the_same_labels():
    X = np.arange(2 * 9, dtype=float).reshape(2, 9)  # two 3×3 images as rows
    y = np.array([4, 7])
    X_aug, y_aug = augment_with_shifts(X, y, shifts=((1, 0), (0, -1)))
    assert X_aug.shape == (6, 9) and list(y_aug) == [4, 7, 4, 7, 4, 7]
    np.testing.assert_array_equal(X_aug[:2], X)
    first = X[0].reshape(3, 3)
    np.testing.assert_array_equal(X_aug[2].reshape(3, 3)[:, 1:], first[:, :2])  # moved right
    np.testing.assert_array_equal(X_aug[2].reshape(3, 3)[:, 0], 0)
    np.testing.assert_array_equal(X_aug[4].reshape(3, 3)[:2], first[1:])  # moved up
    with pytest.raises(ValueError, match="one label per image"):
        augment_with_shifts(X, y[:1])


def test_train_classifier_is_deterministic_and_penalties_shrink_weights():
    data = nn.data.load_digits()
    args = ([64, 16, 10], data.X_train[:100], data.y_train[:100], data.X_test, data.y_test)
    plain = train_classifier(*args, epochs=5)
    again = train_classifier(*args, epochs=5)
    assert plain.test_accuracy == again.test_accuracy
    np.testing.assert_array_equal(first_layer_weights(plain.model), first_layer_weights(again.model))
    l1 = train_classifier(*args, epochs=5, penalty="l1", lam=0.01)
    assert np.abs(first_layer_weights(l1.model)).mean() < np.abs(first_layer_weights(plain.model)).mean()
    tracked = train_classifier(*args, epochs=3, track_test=True)
    assert len(tracked.history["val_accuracy"]) == 3 and "val_accuracy" not in plain.history
    assert 0.0 <= plain.train_accuracy <= 1.0


def test_fraction_near_zero():
    assert fraction_near_zero([0.0, 1e-4, -5e-4, 0.1]) == 0.75
    assert fraction_near_zero([0.0, 0.02], tol=0.05) == 1.0
    with pytest.raises(ValueError, match="tol"):
        fraction_near_zero([1.0], tol=0)
    with pytest.raises(ValueError, match="finite"):
        fraction_near_zero([np.nan])
