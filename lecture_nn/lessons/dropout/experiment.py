"""Notebook 04's dropout experiment: a network that can memorise its training set, with and without dropout.

The notes motivate dropout as a way to keep hidden units from fitting the noise in the data.
To give the network noise to fit, a fixed fifth of the ``N_TRAIN`` training labels is replaced
by a wrong class. The validation digits (other training digits, labels untouched) are what
any choice is made on — here the epoch an early-stopping rule would keep; the 1,000 test digits
are only looked at once per run, at the end, for the numbers the notebook reports.
"""
from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np

from lecture_nn.checks import check_rng, probability
from lecture_nn.lessons.dropout.adversarial import class_probabilities, mnist_digits
from lecture_nn.models import mlp
from lecture_nn.optim import SGD
from lecture_nn.training import History, fit, predict

N_TRAIN = 500
"""Training digits: few enough for a 784-128-128-10 network to fit every label, wrong ones included."""
N_VALIDATION = 500
"""Validation digits, taken from the training digits after the first ``N_TRAIN``."""
LABEL_NOISE = 0.2
"""Fraction of the training labels replaced by a wrong class."""
NOISE_SEED = 2024
"""The corruption is part of the data set: the same labels are wrong in every run."""
SIZES = (784, 128, 128, 10)
EPOCHS = 30


def corrupt_labels(y, fraction: float, rng) -> tuple[np.ndarray, np.ndarray]:
    """A copy of ``y`` in which round(fraction · n) labels, chosen at random, are replaced by a
    different class (drawn uniformly among the other classes); returns ``(labels, flipped)``
    with ``flipped`` a boolean mask of the changed positions."""
    rng = check_rng(rng)
    fraction = probability(fraction, "fraction")
    y = np.asarray(y)
    n_classes = int(y.max()) + 1
    flipped = np.zeros(len(y), dtype=bool)
    flipped[rng.choice(len(y), size=int(round(fraction * len(y))), replace=False)] = True
    noisy = y.copy()
    # adding 1..K-1 modulo K always lands on another class, each equally likely
    noisy[flipped] = (y[flipped] + rng.integers(1, n_classes, flipped.sum())) % n_classes
    return noisy, flipped


class Split(NamedTuple):
    X_train: np.ndarray
    y_train: np.ndarray      # as trained on: with the wrong labels
    y_train_true: np.ndarray
    flipped: np.ndarray      # which training labels are wrong
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


@lru_cache(maxsize=4)
def digit_split(label_noise: float = LABEL_NOISE) -> Split:
    """Training digits (a fraction ``label_noise`` of their labels wrong), validation digits
    (other training digits, labels as given) and the test digits of the MNIST subset."""
    data = mnist_digits()
    X_train, y_true = data.X_train[:N_TRAIN], data.y_train[:N_TRAIN]
    y_noisy, flipped = corrupt_labels(y_true, label_noise, np.random.default_rng(NOISE_SEED))
    val = slice(N_TRAIN, N_TRAIN + N_VALIDATION)
    return Split(X_train, y_noisy, y_true, flipped, data.X_train[val], data.y_train[val],
                 data.X_test, data.y_test)


class Run(NamedTuple):
    history: History          # per epoch: loss, accuracy (training, as labelled), val_loss, val_accuracy
    train_accuracy: float     # on the training labels as trained on (wrong ones included)
    memorised: float          # fraction of the wrong labels the network reproduces
    test_accuracy: float      # after the last epoch
    best_epoch: int           # 1-based epoch of the lowest validation loss
    test_accuracy_at_best: float  # the weights of that epoch, on the test digits
    test_confidence: float    # mean probability of the predicted class on the test digits
    params: dict              # the weights after the last epoch (copies), for looking inside the network


def _accuracy_and_confidence(model, X, y) -> tuple[float, float]:
    probs = class_probabilities(model, X)
    return float(np.mean(probs.argmax(1) == y)), float(probs.max(1).mean())


def dropout_run(p: float, seed: int = 0, label_noise: float = LABEL_NOISE, epochs: int = EPOCHS) -> Run:
    """Train ``mlp(SIZES)`` with classic dropout ``p`` after each hidden layer (p = 0: none) on
    :func:`digit_split` (SGD, step 0.05, momentum 0.9, batches of 50). The weights, the order of
    the examples and the masks come from ``default_rng(seed)``, so runs that differ only in ``p``
    start from the same weights. Cached: the notebook and its widget share runs."""
    # one cache key however the arguments are spelt (positional, keyword, 0 or 0.0)
    return _cached_run(float(p), int(seed), float(label_noise), int(epochs))


@lru_cache(maxsize=64)
def _cached_run(p: float, seed: int, label_noise: float, epochs: int) -> Run:
    split = digit_split(float(label_noise))
    rng = np.random.default_rng(seed)
    model = mlp(list(SIZES), "relu", rng=rng, dropout=float(p))
    optimizer = SGD(model, lr=0.05, momentum=0.9)   # one optimizer: the momentum carries over epochs
    history = History(loss=[], accuracy=[], val_loss=[], val_accuracy=[])
    best_params = None
    for _ in range(epochs):
        epoch = fit(model, split.X_train, split.y_train, "softmax_cross_entropy", epochs=1,
                    batch_size=50, rng=rng, progress=False, optimizer=optimizer,
                    validation=(split.X_val, split.y_val))
        for key in history:
            history[key] += epoch[key]
        if history["val_loss"][-1] == min(history["val_loss"]):
            best_params = {name: value.copy() for name, value in model.params.items()}
    predicted = predict(model, split.X_train).argmax(1)
    memorised = float(np.mean(predicted[split.flipped] == split.y_train[split.flipped])) \
        if split.flipped.any() else float("nan")
    test_accuracy, confidence = _accuracy_and_confidence(model, split.X_test, split.y_test)
    final_params = {name: value.copy() for name, value in model.params.items()}
    for name, value in best_params.items():
        model.params[name][...] = value
    at_best, _ = _accuracy_and_confidence(model, split.X_test, split.y_test)
    for name, value in final_params.items():
        model.params[name][...] = value
    return Run(history, float(np.mean(predicted == split.y_train)), memorised, test_accuracy,
               int(np.argmin(history["val_loss"])) + 1, at_best, confidence, final_params)
