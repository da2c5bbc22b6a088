"""The one-hidden-layer hinge network of notes §2.2, written out unit by unit.

    z_j = Σᵢ w_ij x_i + b_j,   f(z_j) = max(0, z_j),   z = Σ_j w_j f(z_j) + b,
    ℓ(y, z) = max(0, 1 − y z).

:func:`hinge_weight_gradient` is the notes' chain-rule formula
∂ℓ/∂w_ij = [x_i] [z_j > 0] [w_j] (−y if ℓ > 0 else 0), with no backprop machinery,
so it can be compared with the package's layers and with finite differences;
:func:`hinge_gradient_by_backprop` is the package's version for a batch (the mean over the
examples of eq. (2)), the reference of the build-it exercise of notebook 01.
The rectifier has no derivative at 0; :func:`is_subgradient` checks the notes'
way out, a subgradient g with h(u) ≥ h(v) + g (u − v) for every u (at v = 0 any
g ∈ [0, 1] qualifies; the notes pick g = 0).
"""
from __future__ import annotations

import numpy as np

from lecture_nn.activations import ReLU
from lecture_nn.checks import as_float_array, check_values_in
from lecture_nn.layers import Linear, Sequential
from lecture_nn.losses import hinge

SMALL_EXAMPLE = {
    "x": np.array([1.0, -2.0]),
    "y": 1.0,
    "W": np.array([[0.5, -1.0, 2.0], [0.25, 0.5, -0.5]]),
    "b": np.array([0.5, 1.0, -1.0]),
    "w": np.array([1.0, -2.0, 0.5]),
    "c": -1.0,
}
"""One example through a one-hidden-layer hinge network with small round numbers, d = 2 inputs,
m = 3 ReLU units: W (d, m) is W² (input layer 1 → hidden layer 2), w and c the output unit's weights
and bias. Unit 2 is inactive (z_2 = −1) and the loss is positive (y z = 0.5 < 1)."""


def _check(x, y, W, b, w):
    x = as_float_array(x, "x", ndim=1)
    W = as_float_array(W, "W", ndim=2)
    b = as_float_array(b, "b", ndim=1)
    w = as_float_array(w, "w", ndim=1)
    d, m = W.shape
    if x.shape != (d,):
        raise ValueError(f"x must have shape ({d},) to match W {W.shape}, got {x.shape}")
    if b.shape != (m,) or w.shape != (m,):
        raise ValueError(f"b and w must have shape ({m},) (one per hidden unit), "
                         f"got {b.shape} and {w.shape}")
    check_values_in(np.asarray([y], dtype=float), (-1.0, 1.0), "y")
    return x, float(y), W, b, w


def hinge_network_loss(x, y, W, b, w, c) -> float:
    """ℓ(y, F(x; θ)) for one example x (d,), label y ∈ {−1, +1}, W = W² (d, m), b = b² (m,), and the
    output unit's weights w = W³ (m,) and bias c = b³."""
    x, y, W, b, w = _check(x, y, W, b, w)
    z_hidden = x @ W + b                      # aggregate
    a_hidden = np.maximum(z_hidden, 0.0)      # activate
    z = float(a_hidden @ w + c)               # output unit, F(x; θ) = z
    return max(0.0, 1.0 - y * z)


def hinge_weight_gradient(x, y, W, b, w, c) -> np.ndarray:
    """∂ℓ/∂w_ij for every weight into the hidden layer (the entries of W², input layer 1 → hidden
    layer 2), by the notes' formula; shape (d, m) like W.

    Each entry is the product of four factors: ∂z_j/∂w_ij = x_i, ∂f(z_j)/∂z_j = [z_j > 0]
    (the subgradient 0 at z_j = 0), ∂z/∂f(z_j) = w_j, and ∂ℓ/∂z = −y when ℓ > 0, else 0.
    """
    x, y, W, b, w = _check(x, y, W, b, w)
    z_hidden = x @ W + b
    z = float(np.maximum(z_hidden, 0.0) @ w + c)
    dloss_dz = -y if 1.0 - y * z > 0 else 0.0
    d, m = W.shape
    grad = np.zeros((d, m))
    for i in range(d):
        for j in range(m):
            grad[i, j] = x[i] * float(z_hidden[j] > 0) * w[j] * dloss_dz
    return grad


def hinge_gradient_by_backprop(X, y, W, b, w, c) -> np.ndarray:
    """∂R_n/∂W² for a batch, R_n the mean hinge loss of eq. (2), by the package's layers.

    X (n, d) holds one example per row, y (n,) the labels ±1; W = W² (d, m), b = b² (m,), the output
    unit's weights w (m,) and bias c. Returns the (d, m) gradient, the mean over the examples of
    :func:`hinge_weight_gradient`.
    """
    X = as_float_array(X, "X", ndim=2)
    W = as_float_array(W, "W", ndim=2)
    (d, m), n = W.shape, len(X)
    y = as_float_array(y, "y", ndim=1)
    if X.shape[1] != d or y.shape != (n,):
        raise ValueError(f"X must have shape (n, {d}) to match W {W.shape} and y shape (n,), "
                         f"got X {X.shape} and y {y.shape}")
    _check(X[0], y[0], W, b, w)
    model = Sequential(Linear(d, m, init="zeros"), ReLU(), Linear(m, 1, init="zeros"))
    model[0].params["W"][...], model[0].params["b"][...] = W, b
    model[2].params["W"][...], model[2].params["b"][...] = np.reshape(w, (m, 1)), float(c)
    _, dz = hinge(y, model.forward(X))
    model.backward(dz, input_grad=False)
    return model.grads["0.W"].copy()


def is_subgradient(h, v: float, g: float, u=None, tol: float = 1e-12) -> bool:
    """Check h(u) ≥ h(v) + g (u − v) on the points ``u`` (default: 401 points in [v − 2, v + 2]).

    A numerical check on a grid of scalars: it can prove that g is *not* a
    subgradient (a violated point) and supports, but cannot prove, that it is.
    """
    if not (np.isfinite(v) and np.isfinite(g)):
        raise ValueError(f"v and g must be finite numbers, got v={v!r}, g={g!r}")
    u = np.linspace(v - 2.0, v + 2.0, 401) if u is None else as_float_array(u, "u", ndim=1)
    return bool(np.all(h(u) >= h(np.float64(v)) + g * (u - v) - tol))
