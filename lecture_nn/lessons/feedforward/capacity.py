"""Fig. 5 of the notes: the same data fitted by networks with more and more hidden units."""
from __future__ import annotations

import numpy as np

from lecture_nn.checks import positive_int
from lecture_nn.models import mlp
from lecture_nn.data import make_three_stripes
from lecture_nn.training import accuracy, fit, predict_labels

HALFWAY = 0.75
"""|x₁| at the lines halfway between the stripe centres −1.5, 0 and 1.5 of
:func:`lecture_nn.data.make_three_stripes`: the rule the stripes were generated around."""


def fit_hidden_units(hidden: int, noise: float = 0.7, seed: int = 0, *, n_train: int = 45,
                     n_test: int = 600, epochs: int = 400, lr: float = 0.05,
                     batch_size: int = 15):
    """Train a [2, hidden, 2] ReLU network on a small noisy three-stripe training set.

    The data come from :func:`lecture_nn.data.make_three_stripes`
    (labels 0 for the middle stripe, 1 for the outer ones) with generator seed
    ``seed``; the network is initialised from ``seed + 1`` so that the data stay
    the same when ``hidden`` changes. SGD with momentum 0.9 on the softmax
    cross-entropy (two output units), mini-batches of ``batch_size`` and step ``lr``, runs
    for ``epochs`` epochs.

    Returns
    -------
    dict with ``model``, ``X``, ``y``, ``X_test``, ``y_test``, ``train_accuracy``,
    ``test_accuracy``, ``hidden`` and ``one_class`` (True when the trained network gives
    every training point the same class: training got stuck at the majority answer).
    """
    hidden = positive_int(hidden, "hidden")
    data_rng = np.random.default_rng(seed)
    X, y_pm = make_three_stripes(n_train, noise, rng=data_rng)
    X_test, y_test_pm = make_three_stripes(n_test, noise, rng=data_rng)
    y, y_test = (y_pm > 0).astype(np.int64), (y_test_pm > 0).astype(np.int64)
    rng = np.random.default_rng(seed + 1)
    model = mlp([2, hidden, 2], "relu", rng=rng)
    fit(model, X, y, "softmax_cross_entropy", epochs=epochs, batch_size=batch_size, lr=lr, momentum=0.9,
        rng=rng, progress=False)
    return {"model": model, "X": X, "y": y, "X_test": X_test, "y_test": y_test, "hidden": hidden,
            "train_accuracy": accuracy(model, X, y), "test_accuracy": accuracy(model, X_test, y_test),
            "one_class": bool(np.unique(predict_labels(model, X)).size == 1)}


def halfway_rule(X) -> np.ndarray:
    """Labels of the two vertical lines halfway between the stripes: 1 (outer stripes) when
    |x₁| > 0.75, else 0. No network; it knows how the data were generated."""
    X = np.asarray(X, dtype=float)
    return (np.abs(X[:, 0]) > HALFWAY).astype(np.int64)


def halfway_rule_accuracy(X, y) -> float:
    """Accuracy of :func:`halfway_rule` on points X with labels y ∈ {0, 1}."""
    return float(np.mean(halfway_rule(X) == np.asarray(y)))
