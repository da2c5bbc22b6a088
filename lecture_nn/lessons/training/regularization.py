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
    """The first weight matrix, W^2 in the notes' numbering (input → first hidden layer), as a flat copy."""
    return np.array(model.params["0.W"]).ravel()


def fraction_near_zero(weights, tol: float = 1e-3) -> float:
    """Fraction of weights with |w| < tol (SGD with an L1 penalty rarely lands on exactly 0)."""
    weights = as_float_array(weights, "weights")
    if not tol > 0:
        raise ValueError(f"tol must be > 0, got {tol!r}")
    return float(np.mean(np.abs(weights) < tol))


class SeedResult(NamedTuple):
    """One training run of :func:`compare_regularisers`: the model and its three accuracies."""
    model: Sequential
    train_accuracy: float
    validation_accuracy: float
    test_accuracy: float


def training_sample(X, y, n: int, seed: int, pool: int | None = None):
    """``n`` examples drawn without replacement from the first ``pool`` rows (all rows by
    default) with ``numpy.random.default_rng(seed)``: each seed's own small training set."""
    X = as_float_array(X, "X", ndim=(2, 4))
    pool = len(X) if pool is None else positive_int(pool, "pool")
    if not positive_int(n, "n") <= pool <= len(X):
        raise ValueError(f"need n ≤ pool ≤ {len(X)} rows, got n={n}, pool={pool}")
    rows = np.random.default_rng(seed).choice(pool, n, replace=False)
    return X[rows], np.asarray(y)[rows]


def compare_regularisers(options, split, *, seeds, sizes=(784, 32, 10), n_train: int = 300,
                         pool: int = 3000, epochs: int = 40, batch_size: int = 50,
                         **train_options) -> dict[str, list[SeedResult]]:
    """Train one network per option and seed; measure it on held-out validation and test digits.

    Seed s draws its own ``n_train`` training digits from the first ``pool`` rows of
    ``split.X_train`` (:func:`training_sample`) and its own initial weights and order
    (``train_classifier(seed=s)``), so the spread over seeds covers all three. The rows of
    ``split.X_train`` after ``pool`` are the validation set: never trained on, the place to
    choose a setting from. ``split.X_test`` is only measured.

    ``options`` maps a name to keyword arguments of :func:`train_classifier` (they override
    ``epochs``, ``batch_size`` and ``train_options``), plus ``shifted_copies=True`` for virtual
    data: the seed's digits and their one-pixel shifts (:func:`augment_with_shifts`), five
    times as many examples, so one epoch there is five times as many SGD steps. Every option
    of one seed starts from the same weights.

    Returns ``{name: [SeedResult, ...]}``, one result per seed in the order of ``seeds``.
    """
    X_val, y_val = split.X_train[pool:], split.y_train[pool:]
    if len(X_val) == 0:
        raise ValueError(f"pool={pool} leaves no validation digits in X_train ({len(split.X_train)} rows)")
    results = {name: [] for name in options}
    for seed in seeds:
        X, y = training_sample(split.X_train, split.y_train, n_train, seed, pool)
        for name, opts in options.items():
            opts = {"epochs": epochs, "batch_size": batch_size, **train_options, **opts}
            if opts.pop("shifted_copies", False):
                opts["augmented"] = augment_with_shifts(X, y)
            run = train_classifier(list(sizes), X, y, split.X_test, split.y_test, seed=seed, **opts)
            results[name].append(SeedResult(run.model, run.train_accuracy,
                                            accuracy(run.model, X_val, y_val), run.test_accuracy))
    return results


def paired_verdict(gains, min_effect: float = 0.005, standard_errors: float = 2.0) -> str:
    """``"higher"``, ``"lower"`` or ``"within the noise"`` for per-seed differences against a
    baseline trained on the same seeds (for instance validation accuracy minus that of no
    regularisation).

    A difference counts only when its mean is at least ``min_effect`` away from 0 *and* at
    least ``standard_errors`` standard errors (std / √n over the seeds) away from 0. The first
    condition ignores differences too small to matter, the second differences the seeds do not
    agree on; together they keep the verdict away from the ties that one test digit more or
    less on another CPU could tip.
    """
    gains = as_float_array(gains, "gains", ndim=1)
    if gains.size < 2:
        raise ValueError(f"a verdict needs at least 2 seeds, got {gains.size}")
    mean = float(gains.mean())
    standard_error = float(gains.std(ddof=1)) / np.sqrt(gains.size)
    if abs(mean) < min_effect or abs(mean) < standard_errors * standard_error:
        return "within the noise"
    return "higher" if mean > 0 else "lower"
