"""Regularisation helpers: virtual data by shifting, the training wrapper, weight summaries."""
import numpy as np
import pytest

import lecture_nn as nn
from lecture_nn.lessons.training.regularization import (augment_with_shifts, compare_regularisers,
                                                        first_layer_weights, fraction_near_zero,
                                                        paired_verdict, train_classifier, training_sample)


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


def test_training_sample_draws_distinct_rows_from_the_pool():
    X, y = np.arange(40.0).reshape(20, 2), np.arange(20)
    Xs, ys = training_sample(X, y, 5, seed=3, pool=10)
    assert Xs.shape == (5, 2) and len(set(ys)) == 5 and ys.max() < 10
    np.testing.assert_array_equal(Xs[:, 0], 2 * ys)   # rows and labels stay together
    np.testing.assert_array_equal(training_sample(X, y, 5, seed=3, pool=10)[1], ys)
    assert not np.array_equal(training_sample(X, y, 5, seed=4, pool=10)[1], ys)
    with pytest.raises(ValueError, match="n ≤ pool"):
        training_sample(X, y, 11, seed=0, pool=10)


def test_compare_regularisers_measures_on_held_out_validation_digits():
    data = nn.data.load_digits()
    options = {"plain": {}, "plain again": {"penalty": None},
               "l1": {"penalty": "l1", "lam": 0.01}, "copies": {"shifted_copies": True, "epochs": 1}}
    results = compare_regularisers(options, data, seeds=[0, 1], sizes=(64, 8, 10), n_train=100, pool=1000,
                                   epochs=2, batch_size=20)
    assert list(results) == list(options) and all(len(runs) == 2 for runs in results.values())
    for runs in results.values():
        for run in runs:
            assert 0.0 <= run.train_accuracy <= 1.0
            assert run.validation_accuracy == nn.accuracy(run.model, data.X_train[1000:], data.y_train[1000:])
            assert run.test_accuracy == nn.accuracy(run.model, data.X_test, data.y_test)
    # one seed, one starting point: identical options give identical networks; the seeds differ
    plain, again = results["plain"], results["plain again"]
    np.testing.assert_array_equal(first_layer_weights(plain[0].model), first_layer_weights(again[0].model))
    assert not np.array_equal(first_layer_weights(plain[0].model), first_layer_weights(plain[1].model))
    with pytest.raises(ValueError, match="no validation"):
        compare_regularisers(options, data, seeds=[0], pool=len(data.X_train))


def test_paired_verdict_needs_size_and_consistency():
    assert paired_verdict([0.02, 0.03, 0.025, 0.02, 0.03]) == "higher"
    assert paired_verdict([-0.02, -0.01, -0.015]) == "lower"
    assert paired_verdict([0.002, 0.003, 0.001]) == "within the noise"        # consistent but too small
    assert paired_verdict([0.05, -0.04, 0.03, -0.02, 0.01]) == "within the noise"  # large but inconsistent
    assert paired_verdict([0.002, 0.003], min_effect=0.001) == "higher"
    with pytest.raises(ValueError, match="2 seeds"):
        paired_verdict([0.1])
