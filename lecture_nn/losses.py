"""Losses ℓ(y, z) of the notes (eq. 2 and §4 "Loss function").

Every loss has the signature ``loss(y, z) -> (mean_loss, dz)``: the mean of
ℓ(y⁽ⁱ⁾, z⁽ⁱ⁾) over the batch and its gradient with respect to ``z`` (already
divided by the batch size, so ``dz`` is what backprop starts from). ``z`` is
the network output before any output nonlinearity — the sigmoid or softmax is
folded into the loss, which is both simpler and numerically stable.

Shapes: ``hinge``, ``logistic`` take z of shape (n,) or (n, 1) and y ∈ {−1, +1}
of shape (n,); ``squared`` takes y and z of the same shape, (n,) or (n, k);
``sigmoid_cross_entropy`` takes y ∈ {0, 1} and z of shape (n, k);
``softmax_cross_entropy`` takes integer labels y (n,) and z (n, K).
"""
from __future__ import annotations

import numpy as np
from scipy.special import expit, log_softmax, softmax as _softmax

from lecture_nn.checks import as_class_labels, as_float_array, check_values_in


def _scores(z, name="z"):
    return as_float_array(z, name, ndim=(1, 2))


def _binary_setup(y, z):
    """y ∈ {−1, +1} of shape (n,); z of shape (n,) or (n, 1). Returns flat y, flat z."""
    z = _scores(z)
    if z.ndim == 2 and z.shape[1] != 1:
        raise ValueError(f"a binary loss expects z of shape (n,) or (n, 1), got {z.shape}")
    y = as_float_array(y, "y", ndim=(1, 2))
    n = z.shape[0]
    if y.size != n or (y.ndim == 2 and y.shape[1] != 1):
        raise ValueError(f"y must have shape ({n},) to match z {z.shape}, got {y.shape}")
    y = y.reshape(n)
    check_values_in(y, (-1.0, 1.0), "y (binary labels)")
    return y, z


def hinge(y, z):
    """ℓ(y, z) = max(0, 1 − y z), y ∈ {−1, +1}.

    Subgradient: −y where the loss is positive, 0 otherwise (also at the kink
    y z = 1, the choice the notes make in §2.2).
    """
    y, z = _binary_setup(y, z)
    flat = z.reshape(-1)
    margin = 1.0 - y * flat
    loss = np.maximum(margin, 0.0)
    dz = np.where(margin > 0, -y, 0.0) / len(y)
    return float(loss.mean()), dz.reshape(z.shape).astype(z.dtype, copy=False)


def logistic(y, z):
    """ℓ(y, z) = log(1 + e^{−y z}), y ∈ {−1, +1}; dℓ/dz = −y σ(−y z)."""
    y, z = _binary_setup(y, z)
    m = y * z.reshape(-1)
    loss = np.logaddexp(0.0, -m)
    dz = -y * expit(-m) / len(y)
    return float(loss.mean()), dz.reshape(z.shape).astype(z.dtype, copy=False)


def squared(y, z):
    """ℓ(y, z) = ½‖y − z‖² per example (summed over outputs); dℓ/dz = z − y."""
    z = _scores(z)
    y = as_float_array(y, "y", ndim=(1, 2))
    if y.shape != z.shape:
        if z.ndim == 2 and z.shape[1] == 1 and y.shape == (z.shape[0],):
            y = y.reshape(z.shape)
        else:
            raise ValueError(f"y must have the shape of z {z.shape}, got {y.shape}")
    n = z.shape[0]
    diff = z - y
    loss = 0.5 * np.sum(diff * diff) / n
    return float(loss), (diff / n).astype(z.dtype, copy=False)


def sigmoid_cross_entropy(y, z):
    """Independent binary labels: ℓ = Σ_k −[y_k log σ(z_k) + (1 − y_k) log(1 − σ(z_k))].

    y ∈ {0, 1} and z both of shape (n, k); dℓ/dz = σ(z) − y.
    """
    z = _scores(z)
    y = as_float_array(y, "y", ndim=(1, 2))
    if y.shape != z.shape:
        raise ValueError(f"y must have the shape of z {z.shape}, got {y.shape}")
    check_values_in(y, (0.0, 1.0), "y (binary labels)")
    n = z.shape[0]
    # log(1 + e^z) − y z, the stable form of the cross-entropy of σ(z)
    loss = np.sum(np.logaddexp(0.0, z) - y * z) / n
    dz = (expit(z) - y) / n
    return float(loss), dz.astype(z.dtype, copy=False)


def softmax(z):
    """Row-wise softmax of scores z (n, K), stable for any finite scores."""
    z = as_float_array(z, "z", ndim=2)
    return _softmax(z, axis=1)


def softmax_cross_entropy(y, z):
    """Multiclass cross-entropy of softmax(z): ℓ = −log softmax(z)_y.

    y: integer labels (n,) in 0..K−1; z: scores (n, K), K >= 2. dℓ/dz = softmax(z) − onehot(y).
    """
    z = as_float_array(z, "z", ndim=2)
    n, K = z.shape
    if K < 2:       # softmax of one score is always 1: the loss would be 0 and nothing would learn
        raise ValueError(f"z: softmax cross-entropy needs at least 2 scores per example, shape (n, K) with "
                         f"K >= 2, got shape {z.shape}; with one output use 'sigmoid_cross_entropy' "
                         "(labels (n, 1) of 0 and 1) or 'logistic' (labels ±1)")
    y = as_class_labels(y, "y", n, K)
    logp = log_softmax(z, axis=1)
    rows = np.arange(n)
    loss = -logp[rows, y].sum() / n
    dz = np.exp(logp)
    dz[rows, y] -= 1.0
    return float(loss), (dz / n).astype(z.dtype, copy=False)


LOSSES = {"hinge": hinge, "logistic": logistic, "squared": squared,
          "sigmoid_cross_entropy": sigmoid_cross_entropy,
          "softmax_cross_entropy": softmax_cross_entropy}


def get_loss(loss):
    """A loss function from its name in ``LOSSES`` or a callable."""
    if callable(loss):
        return loss
    if isinstance(loss, str) and loss in LOSSES:
        return LOSSES[loss]
    raise ValueError(f"unknown loss {loss!r}; expected one of {sorted(LOSSES)} or a callable")
