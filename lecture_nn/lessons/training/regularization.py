"""Regularisation experiments of notes §4: train one small network several ways and compare.

The ways are the ones the notes list: a penalty (L2 or L1), a smaller step
size, "virtual data" (shifted copies of the training images) and dropout
(see :mod:`lecture_nn.dropout`).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from lecture_nn.checks import as_float_array, positive_int
from lecture_nn.data import shift_images
from lecture_nn.layers import Sequential
from lecture_nn.models import mlp
from lecture_nn.training import History, accuracy, fit

ONE_PIXEL_SHIFTS = ((1, 0), (-1, 0), (0, 1), (0, -1))


def augment_with_shifts(X, y, shifts=ONE_PIXEL_SHIFTS):
    """Virtual data: X and y followed by a copy of X shifted by each (dx, dy) in ``shifts``.

    X holds square images as flat rows (n, side²) or (n, 1, H, W); returns
    ``(X_aug, y_aug)`` with (1 + len(shifts)) · n examples.
    """
    X = as_float_array(X, "X", ndim=(2, 4))
    y = np.asarray(y)
    if len(y) != len(X):
        raise ValueError(f"y must have one label per image ({len(X)}), got {len(y)}")
    copies = [X] + [shift_images(X, dx, dy) for dx, dy in shifts]
    return np.concatenate(copies), np.concatenate([y] * len(copies))


class Result(NamedTuple):
    model: Sequential
    history: History
    train_accuracy: float
    test_accuracy: float


def train_classifier(sizes, X_train, y_train, X_test, y_test, *, seed: int = 0,
                     activation: str = "relu", epochs: int = 30, batch_size: int = 25,
                     lr: float = 0.1, dropout: float = 0.0, track_test: bool = False,
                     **fit_options) -> Result:
    """Train ``mlp(sizes)`` with softmax cross-entropy and report train and test accuracy.

    The network and the shuffling both draw from ``numpy.random.default_rng(seed)``,
    so two calls that differ only in ``fit_options`` (``penalty``, ``lam``, …)
    start from the same weights. The training accuracy is measured on
    ``X_train`` as given, so pass the original images when training on
    augmented ones through ``fit_options["augmented"] = (X_aug, y_aug)``. ``dropout`` > 0 puts a
    classic Dropout layer with that probability after every hidden layer.
    """
    positive_int(epochs, "epochs")
    rng = np.random.default_rng(seed)
    model = mlp(sizes, activation, rng=rng, dropout=dropout)
    X_fit, y_fit = fit_options.pop("augmented", (X_train, y_train))
    history = fit(model, X_fit, y_fit, "softmax_cross_entropy", epochs=epochs,
                  batch_size=batch_size, lr=lr, rng=rng, progress=False,
                  validation=(X_test, y_test) if track_test else None, **fit_options)
    return Result(model, history, accuracy(model, X_train, y_train),
                  accuracy(model, X_test, y_test))


def first_layer_weights(model: Sequential) -> np.ndarray:
    """The weight matrix W^1 of the first layer (flattened copy)."""
    return np.array(model.params["0.W"]).ravel()


def fraction_near_zero(weights, tol: float = 1e-3) -> float:
    """Fraction of weights with |w| < tol (SGD with an L1 penalty rarely lands on exactly 0)."""
    weights = as_float_array(weights, "weights")
    if not tol > 0:
        raise ValueError(f"tol must be > 0, got {tol!r}")
    return float(np.mean(np.abs(weights) < tol))
