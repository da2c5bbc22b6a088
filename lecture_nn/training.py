"""Training loop (empirical risk (2) minimised by SGD (3)) and prediction helpers."""
from __future__ import annotations

import math

import numpy as np
from tqdm.auto import tqdm

from lecture_nn.checks import (as_array, as_class_labels, as_float_array, check_rng, check_values_in,
                               positive_int, real_number)
from lecture_nn.layers import Container, evaluation_mode, modes_restored
from lecture_nn.losses import get_loss
from lecture_nn.optim import SGD
from lecture_nn.penalties import PENALTIES

CLASSIFICATION_LOSSES = {"hinge", "logistic", "softmax_cross_entropy", "sigmoid_cross_entropy"}


class TrainingDiverged(FloatingPointError):
    """SGD ran away: the network's outputs, the loss or the parameters became inf or NaN."""


def _as_batch(X, name: str = "X") -> np.ndarray:
    """X as a float array with one example per row: any rank ≥ 2 (the model's first layer
    decides which ranks and widths it takes, and says so if X does not fit)."""
    X = as_float_array(X, name)
    if X.ndim < 2:
        raise ValueError(f"{name} must hold one example per row, (n, d) or (n, C, H, W) for images "
                         f"(at least 2-D), got shape {X.shape}")
    return X


def predict(model, X, batch_size: int = 1024) -> np.ndarray:
    """Network outputs F(X; θ) in evaluation mode (dropout off), in batches.

    Parameters
    ----------
    model : Layer
    X : array (n, ...), one example per row, of a rank the model's first layer takes
        ((n, d) for a dense network, (n, C, H, W) for a convnet, any for one that starts
        with ``Flatten``)
    batch_size : int >= 1, examples per forward pass

    Returns
    -------
    array (n, K) (or whatever shape the model gives): the scores.

    Every layer gets back the mode it had, and what the forward passes kept for
    backward is dropped (``model.clear_cache()``): prediction-sized arrays would
    otherwise stay in memory as long as the model does.
    """
    X = _as_batch(X)
    batch_size = positive_int(batch_size, "batch_size")
    if isinstance(model, Container):
        model.check_structure()     # before switching modes, which walks the structure
    with evaluation_mode(model):
        try:
            outs = [model.forward(X[i:i + batch_size]) for i in range(0, len(X), batch_size)]
        finally:
            model.clear_cache()
    return np.concatenate(outs)


def _one_output(z: np.ndarray) -> bool:
    return z.ndim == 1 or (z.ndim == 2 and z.shape[1] == 1)


def scores_to_labels(z) -> np.ndarray:
    """Decisions from network outputs z, without labels to compare with.

    (n, K) with K > 1: the arg-max class (n,); (n,) or (n, 1): sign(z) ∈ {−1, +1}
    as (n,), a score of exactly 0 counting as +1. (:func:`accuracy` decides in the
    convention of the labels it is given, 0/1 included.)
    """
    z = as_float_array(z, "z", finite=False)
    if z.ndim == 2 and z.shape[1] > 1:
        return z.argmax(axis=1)
    if _one_output(z):
        return np.where(z.reshape(-1) >= 0, 1, -1)
    raise ValueError(f"labels need scores of shape (n,) or (n, K), got shape {z.shape}")


def _labels_and_decisions(z: np.ndarray, y) -> tuple[np.ndarray, np.ndarray]:
    """Check labels ``y`` against scores ``z`` (n, ...); return (y, decisions), same shape.

    The conventions are those of the losses (:mod:`lecture_nn.losses`), and only those:

    * K > 1 outputs, y integer classes (n,) in 0..K−1 (softmax cross-entropy): arg-max;
    * y ∈ {0, 1} of the shape of z (sigmoid cross-entropy, multi-label when K > 1):
      1 where z ≥ 0;
    * one output, y ∈ {−1, +1} as (n,) or (n, 1) (hinge, logistic): sign(z).

    A score of exactly 0 decides for the positive class (+1, or 1) in every convention,
    so labels that fit two conventions (a column of ones) get one answer.
    """
    n = len(z)
    y = as_array(y, "y")
    if y.dtype.kind not in "biuf":
        raise TypeError(f"y must hold numeric labels, got dtype {y.dtype}")
    if y.ndim == 0 or len(y) != n:
        raise ValueError(f"y must have one label per row of X ({n}), got shape {y.shape}")
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise ValueError("y must contain only finite numbers, found NaN or inf")
    if not np.isfinite(z).all():
        raise ValueError("the model's outputs contain NaN or inf, so no decision can be made")
    multi_output = z.ndim == 2 and z.shape[1] > 1
    if y.shape == z.shape and (multi_output or ((y == 0) | (y == 1)).all()):
        check_values_in(y, (0, 1), "y (0/1 labels of the output's shape, as for sigmoid cross-entropy)")
        return y, (z >= 0).astype(np.int64)
    if multi_output:
        K = z.shape[1]
        if y.ndim != 1:
            raise ValueError(f"y of shape {y.shape} does not fit a model with {K} outputs: pass integer "
                             f"class labels of shape ({n},) (softmax cross-entropy) or 0/1 labels of "
                             f"shape ({n}, {K}) (sigmoid cross-entropy)")
        return as_class_labels(y, "y", n, K), z.argmax(axis=1)
    if not _one_output(z):
        raise ValueError(f"accuracy needs model outputs of shape (n,) or (n, K), got {z.shape}")
    if y.shape not in ((n,), (n, 1)):
        raise ValueError(f"y must have shape ({n},) or ({n}, 1) for a model with one output, "
                         f"got {y.shape}")
    if ((y == -1) | (y == 1)).all():
        return y, np.where(z >= 0, 1, -1).reshape(y.shape)
    if ((y == 0) | (y == 1)).all():
        raise ValueError(f"y holds 0/1 labels of shape {y.shape}, but the model's output has shape "
                         f"{z.shape}: no loss takes that pair. Pass ±1 labels "
                         "(nn.data.to_pm1(y)) for hinge or logistic, or the 0/1 labels with the "
                         f"output's shape {(n,) + z.shape[1:]} (y[:, None]) for sigmoid cross-entropy")
    other = y[(y != -1) & (y != 1)].ravel()[0].item()
    raise ValueError(f"y must hold ±1 labels for a model with one output (hinge, logistic), "
                     f"or 0/1 labels of the output's shape (sigmoid cross-entropy); got the label {other!r}")


def _accuracy_of_scores(z: np.ndarray, y) -> float:
    y, decided = _labels_and_decisions(z, y)
    return float(np.mean(decided == y))


def predict_labels(model, X) -> np.ndarray:
    """Predicted class labels (see :func:`scores_to_labels`)."""
    return scores_to_labels(predict(model, X))


def accuracy(model, X, y) -> float:
    """Fraction of examples (or of labels, for multi-label y) predicted right.

    ``y`` as a classification loss takes it, and only so (anything else is refused,
    saying which shape to pass):

    * integer classes 0..K−1 of shape (n,) for a model with K > 1 outputs (softmax
      cross-entropy): the arg-max class decides;
    * ±1 labels of shape (n,) or (n, 1) for a model with one output (hinge, logistic):
      the sign of the score decides;
    * 0/1 labels of the output's shape, (n, 1) or (n, K) (sigmoid cross-entropy, one
      label per output): a score ≥ 0 says 1.

    A score of exactly 0 counts as the positive class (+1, or 1) in every convention.
    """
    return _accuracy_of_scores(predict(model, X), y)


class History(dict):
    """Per-epoch record: ``loss``, ``accuracy`` and, with validation data,
    ``val_loss`` and ``val_accuracy`` (lists, one entry per epoch)."""


def _check_labels_length(y, n):
    y = as_array(y, "y")
    if y.dtype.kind not in "iufb":
        raise TypeError(f"y must be numeric labels or targets, got dtype {y.dtype}")
    if y.ndim == 0 or len(y) != n:
        raise ValueError(f"y must have one entry per row of X ({n}), got shape {y.shape}")
    if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
        raise ValueError("y must contain only finite numbers, found NaN or inf")
    return y


def _check_against_model(model, loss_fn, X, y, classify, name="X"):
    """Check X against the model's input and y against the loss, changing nothing.

    One example goes through the model in evaluation mode (no dropout draws)
    to learn the output shape; the loss then sees every label with zero scores
    of that shape, so a label out of range anywhere in y fails before training;
    for a classification loss, so does a label shape :func:`accuracy` cannot read.
    """
    if isinstance(model, Container):
        model.check_structure()       # its own message, not one about X
    try:
        z = predict(model, X[:1])
    except ValueError as err:
        raise ValueError(f"{name} of shape {X.shape} does not fit the model "
                         f"(tried on its first example): {err}") from None
    zeros = np.zeros((len(X),) + z.shape[1:], dtype=z.dtype)
    loss_fn(y, zeros)
    if classify:
        _labels_and_decisions(zeros, y)


def _validation_pair(validation, ndim):
    """(X_val, y_val) checked like fit's X and y; anything but a pair is a TypeError."""
    if isinstance(validation, np.ndarray):
        got = f"an array of shape {validation.shape}"
    elif not isinstance(validation, (tuple, list)):
        got = type(validation).__name__
    elif len(validation) != 2:
        got = f"a {type(validation).__name__} of length {len(validation)}"
    else:
        X_val = as_float_array(validation[0], "validation X", ndim=ndim)
        return X_val, _check_labels_length(validation[1], len(X_val))
    raise TypeError(f"validation must be a pair (X_val, y_val), got {got}")


def evaluate(model, loss, X, y, batch_size: int = 1024) -> float:
    """Mean loss of the model on (X, y) in evaluation mode (every layer's mode is given back)."""
    loss_fn = get_loss(loss)
    return float(loss_fn(y, predict(model, X, batch_size))[0])


def _diverged(what: str, where: str, epoch: int, epochs: int, steps: int, lr) -> TrainingDiverged:
    smaller = f"a smaller lr than {lr:g} (e.g. {lr / 10:g})" if lr else "a smaller step size"
    return TrainingDiverged(
        f"the loss diverged in epoch {epoch} of {epochs} ({where}, after {steps} updates): "
        f"{what} became inf or NaN. The steps are too large for this problem; try {smaller}.")


def fit(model, X, y, loss="softmax_cross_entropy", *, epochs: int = 10, batch_size: int = 32,
        lr: float | None = None, momentum: float | None = None, penalty: str | None = None, lam: float = 0.0,
        rng=None, validation=None, progress: bool = True, optimizer=None) -> History:
    """Train ``model`` by mini-batch SGD on the empirical risk (2), plus an optional penalty.

    Each epoch visits the training set once in an order drawn from ``rng``;
    ``batch_size=1`` is the per-example update (3) of the notes. Every training
    forward pass runs in training mode (dropout on); afterwards every layer gets
    back the mode it had before the call.

    Parameters
    ----------
    model : Layer
    X : array (n, ...), one example per row: (n, d), or (n, C, H, W) for images (any rank
        the model's first layer takes)
    y : labels or targets as the loss expects (see :mod:`lecture_nn.losses`)
    loss : name in ``lecture_nn.losses.LOSSES`` or a callable ``loss(y, z)``
    penalty : None, ``"l2"`` or ``"l1"``; ``lam`` its strength λ >= 0 (a λ ≠ 0 without a
        penalty is refused: it would change nothing)
    rng : numpy.random.Generator, required (it shuffles the examples)
    validation : optional pair (X_val, y_val)
    progress : show a tqdm progress bar over the epochs
    lr, momentum : the step size η (default 0.1) and momentum μ (default 0) of the default optimizer
    optimizer : optional object with ``step(extra_grads)``, used instead of ``SGD(model, lr, momentum)``;
        it has its own step size and momentum, so passing ``lr`` or ``momentum`` with it is refused

    Returns
    -------
    History with lists ``loss`` (the mean of the batch losses over the epoch, each batch
    weighted by its size) and, for classification losses, ``accuracy`` (equal to
    :func:`accuracy` on (X, y) after the epoch); ``val_loss`` and ``val_accuracy`` with
    validation data.

    Raises
    ------
    TrainingDiverged
        (a FloatingPointError) when the outputs, the loss or the parameters become inf or
        NaN: the message names the epoch and the batch and suggests a smaller step. The
        model keeps the parameters it had then.
    """
    rng = check_rng(rng)
    X = _as_batch(X)
    y = _check_labels_length(y, len(X))
    epochs = positive_int(epochs, "epochs")
    batch_size = positive_int(batch_size, "batch_size")
    loss_name = loss if isinstance(loss, str) else getattr(loss, "__name__", "")
    loss_fn = get_loss(loss)
    if penalty is not None and penalty not in PENALTIES:
        raise ValueError(f"unknown penalty {penalty!r}; expected None, 'l1' or 'l2'")
    lam = real_number(lam, "lam (the penalty strength λ)", 0)
    if penalty is None and lam != 0:
        raise ValueError(f"lam={lam:g} was given without a penalty, so it would change nothing: "
                         "pass penalty='l2' or penalty='l1' with it, or leave lam at 0")
    if validation is not None:
        X_val, y_val = _validation_pair(validation, X.ndim)
    classify = loss_name in CLASSIFICATION_LOSSES
    # bad labels or a wrong input shape must fail now, not after some updates were made
    _check_against_model(model, loss_fn, X, y, classify)
    if validation is not None:
        _check_against_model(model, loss_fn, X_val, y_val, classify, "validation X")
    if optimizer is None:
        opt = SGD(model, lr=0.1 if lr is None else lr, momentum=0.0 if momentum is None else momentum)
    elif lr is not None or momentum is not None:
        given = ", ".join(f"{name}={value!r}" for name, value in (("lr", lr), ("momentum", momentum))
                          if value is not None)
        raise ValueError(f"fit got optimizer={optimizer!r} and {given}: the optimizer's own settings would be "
                         "used and these ignored; set them on the optimizer, or leave optimizer out")
    else:
        opt = optimizer
    history = History(loss=[])
    if classify:
        history["accuracy"] = []
    if validation is not None:
        history["val_loss"] = []
        if classify:
            history["val_accuracy"] = []

    n = len(X)
    n_batches = -(-n // batch_size)
    steps = 0

    def diverged(what, batch=None):
        where = (f"batch {batch} of {n_batches}" if batch is not None
                 else f"after its last batch, {n_batches} of {n_batches}")
        return _diverged(what, where, epoch + 1, epochs, steps, getattr(opt, "lr", None))

    bar = tqdm(range(epochs), desc="epochs", disable=not progress, leave=False)
    # overflow in a diverging run is reported as TrainingDiverged below, not as numpy warnings
    with modes_restored(model), np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for epoch in bar:
            model.train()
            order = rng.permutation(n)
            total = 0.0
            for start in range(0, n, batch_size):
                idx = order[start:start + batch_size]
                z = model.forward(X[idx])
                try:
                    batch_loss, dz = loss_fn(y[idx], z)
                except ValueError:
                    if np.all(np.isfinite(z)):
                        raise
                    raise diverged("the network's outputs", start // batch_size + 1) from None
                if not math.isfinite(batch_loss):
                    raise diverged("the batch loss", start // batch_size + 1)
                model.backward(dz, input_grad=False)   # ∂ℓ/∂(data) is not needed
                extra = None
                if penalty:
                    _, extra = PENALTIES[penalty](model.params, lam)
                opt.step(extra)
                steps += 1
                total += batch_loss * len(idx)
            if not all(np.isfinite(p).all() for p in model.params.values()):
                raise diverged("the parameters")
            history["loss"].append(total / n)
            if classify:
                z = predict(model, X)
                if not np.isfinite(z).all():
                    raise diverged("the network's outputs on the training set")
                history["accuracy"].append(_accuracy_of_scores(z, y))
            if validation is not None:
                z_val = predict(model, X_val)
                if not np.isfinite(z_val).all():
                    raise diverged("the network's outputs on the validation set")
                history["val_loss"].append(float(loss_fn(y_val, z_val)[0]))
                if classify:
                    history["val_accuracy"].append(_accuracy_of_scores(z_val, y_val))
            if progress:
                bar.set_postfix(loss=f"{history['loss'][-1]:.4f}")
    return history

