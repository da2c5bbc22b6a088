"""Training loop (empirical risk (2) minimised by SGD (3)) and prediction helpers."""
from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from lecture_nn.checks import as_float_array, check_rng, positive_int
from lecture_nn.layers import evaluation_mode
from lecture_nn.losses import get_loss
from lecture_nn.optim import SGD
from lecture_nn.penalties import PENALTIES

CLASSIFICATION_LOSSES = {"hinge", "logistic", "softmax_cross_entropy", "sigmoid_cross_entropy"}


def predict(model, X, batch_size: int = 1024) -> np.ndarray:
    """Network outputs F(X; θ) in evaluation mode (dropout off), in batches.

    The model's mode is restored afterwards, and what the forward passes kept
    for backward is dropped (``model.clear_cache()``): prediction-sized arrays
    would otherwise stay in memory as long as the model does.
    """
    X = as_float_array(X, "X", ndim=(2, 4))
    with evaluation_mode(model):
        try:
            outs = [model.forward(X[i:i + batch_size]) for i in range(0, len(X), batch_size)]
        finally:
            model.clear_cache()
    return np.concatenate(outs)


def scores_to_labels(z: np.ndarray, y_like=None) -> np.ndarray:
    """Decisions from network outputs.

    (n, K) with K > 1: the arg-max class; (n,) or (n, 1): sign(z) ∈ {−1, +1}
    (z = 0 counts as +1); with ``y_like`` 2-D (multi-label): z > 0 as 0/1.
    """
    if y_like is not None and np.ndim(y_like) == 2:
        return (z > 0).astype(np.int64)
    if z.ndim == 2 and z.shape[1] > 1:
        return z.argmax(axis=1)
    return np.where(z.reshape(-1) >= 0, 1, -1)


def predict_labels(model, X) -> np.ndarray:
    """Predicted class labels (see :func:`scores_to_labels`)."""
    return scores_to_labels(predict(model, X))


def accuracy(model, X, y) -> float:
    """Fraction of examples (or of labels, for multi-label y) predicted right."""
    y = np.asarray(y)
    z = predict(model, X)
    if len(y) != len(z):
        raise ValueError(f"y must have one label per row of X ({len(z)}), got {len(y)}")
    return float(np.mean(scores_to_labels(z, y) == y))


class History(dict):
    """Per-epoch record: ``loss``, ``accuracy`` and, with validation data,
    ``val_loss`` and ``val_accuracy`` (lists, one entry per epoch)."""


def _check_labels_length(y, n):
    y = np.asarray(y)
    if y.dtype.kind not in "iufb":
        raise TypeError(f"y must be numeric labels or targets, got dtype {y.dtype}")
    if len(y) != n:
        raise ValueError(f"y must have one entry per row of X ({n}), got {len(y)}")
    if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
        raise ValueError("y must contain only finite numbers, found NaN or inf")
    return y


def _check_against_model(model, loss_fn, X, y):
    """Check X against the model's input and y against the loss, changing nothing.

    One example goes through the model in evaluation mode (no dropout draws)
    to learn the output shape; the loss then sees every label with zero scores
    of that shape, so a label out of range anywhere in y fails before training.
    """
    z = predict(model, X[:1])
    loss_fn(y, np.zeros((len(X),) + z.shape[1:], dtype=z.dtype))


def evaluate(model, loss, X, y, batch_size: int = 1024) -> float:
    """Mean loss of the model on (X, y) in evaluation mode."""
    loss_fn = get_loss(loss)
    return float(loss_fn(y, predict(model, X, batch_size))[0])


def fit(model, X, y, loss="softmax_cross_entropy", *, epochs: int = 10, batch_size: int = 32,
        lr: float = 0.1, momentum: float = 0.0, penalty: str | None = None, lam: float = 0.0,
        rng=None, validation=None, progress: bool = True, optimizer=None) -> History:
    """Train ``model`` by mini-batch SGD on the empirical risk (2), plus an optional penalty.

    Each epoch visits the training set once in an order drawn from ``rng``;
    ``batch_size=1`` is the per-example update (3) of the notes.

    Parameters
    ----------
    model : Layer
    X : array (n, d) or (n, C, H, W)
    y : labels or targets as the loss expects (see :mod:`lecture_nn.losses`)
    loss : name in ``lecture_nn.losses.LOSSES`` or a callable ``loss(y, z)``
    penalty : None, ``"l2"`` or ``"l1"``; ``lam`` its strength λ
    rng : numpy.random.Generator, required (it shuffles the examples)
    validation : optional (X_val, y_val)
    progress : show a tqdm progress bar over the epochs
    optimizer : optional object with ``step(extra_grads)``; default ``SGD(model, lr, momentum)``

    Returns
    -------
    History with lists ``loss`` and, for classification losses, ``accuracy``;
    ``val_loss`` and ``val_accuracy`` with validation data.
    """
    rng = check_rng(rng)
    X = as_float_array(X, "X", ndim=(2, 4))
    y = _check_labels_length(y, len(X))
    epochs = positive_int(epochs, "epochs")
    batch_size = positive_int(batch_size, "batch_size")
    loss_name = loss if isinstance(loss, str) else getattr(loss, "__name__", "")
    loss_fn = get_loss(loss)
    if penalty is not None and penalty not in PENALTIES:
        raise ValueError(f"unknown penalty {penalty!r}; expected None, 'l1' or 'l2'")
    if validation is not None:
        X_val, y_val = validation
        X_val = as_float_array(X_val, "validation X", ndim=X.ndim)
        y_val = _check_labels_length(y_val, len(X_val))
    # bad labels or a wrong input width must fail now, not after some updates were made
    _check_against_model(model, loss_fn, X, y)
    if validation is not None:
        _check_against_model(model, loss_fn, X_val, y_val)
    opt = optimizer or SGD(model, lr=lr, momentum=momentum)
    classify = loss_name in CLASSIFICATION_LOSSES
    history = History(loss=[])
    if classify:
        history["accuracy"] = []
    if validation is not None:
        history["val_loss"] = []
        if classify:
            history["val_accuracy"] = []

    n = len(X)
    bar = tqdm(range(epochs), desc="epochs", disable=not progress, leave=False)
    for _ in bar:
        model.train()
        order = rng.permutation(n)
        total = 0.0
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            z = model.forward(X[idx])
            batch_loss, dz = loss_fn(y[idx], z)
            model.backward(dz, input_grad=False)   # ∂ℓ/∂(data) is not needed
            extra = None
            if penalty:
                _, extra = PENALTIES[penalty](model.params, lam)
            opt.step(extra)
            total += batch_loss * len(idx)
        model.eval()
        history["loss"].append(total / n)
        if classify:
            history["accuracy"].append(accuracy(model, X, y))
        if validation is not None:
            history["val_loss"].append(evaluate(model, loss_fn, X_val, y_val))
            if classify:
                history["val_accuracy"].append(accuracy(model, X_val, y_val))
        if progress:
            bar.set_postfix(loss=f"{history['loss'][-1]:.4f}")
    model.eval()
    return history
