"""Kernel predictions as a fixed feature map (notes §1, eq. 1).

A kernel classifier predicts wᵀφ(x) + b = Σᵢ αᵢ y⁽ⁱ⁾ k(x⁽ⁱ⁾, x) + b = αᵀψ(x) + b with
ψ(x) = [y⁽¹⁾k(x⁽¹⁾, x), …, y⁽ⁿ⁾k(x⁽ⁿ⁾, x)]. The features ψ are fixed once the
training set and the kernel are chosen; only α and b are learned.
"""
from __future__ import annotations

import numpy as np

from lecture_nn.checks import as_float_array, check_rng, check_values_in, real_number
from lecture_nn.layers import Linear
from lecture_nn.training import fit


def rbf_kernel(A, B, gamma: float = 1.0) -> np.ndarray:
    """k(a, b) = exp(−γ‖a − b‖²) for every row a of A (n, d) and row b of B (m, d); returns (n, m)."""
    A = as_float_array(A, "A", ndim=2)
    B = as_float_array(B, "B", ndim=2)
    if A.shape[1] != B.shape[1]:
        raise ValueError(f"A and B must have the same number of columns, got {A.shape} and {B.shape}")
    gamma = real_number(gamma, "gamma", 0, strict=True)
    sq = (A * A).sum(1)[:, None] + (B * B).sum(1)[None, :] - 2.0 * A @ B.T
    return np.exp(-gamma * np.maximum(sq, 0.0))


def kernel_feature_map(X_train, y_train, X, gamma: float = 1.0) -> np.ndarray:
    """ψ(x) = [y⁽ⁱ⁾ k(x⁽ⁱ⁾, x)]ᵢ for every row x of X.

    Parameters
    ----------
    X_train : (n, d) training inputs x⁽ⁱ⁾
    y_train : (n,) labels in {−1, +1}
    X : (m, d) points to map

    Returns
    -------
    (m, n) array: row j is ψ(x_j), one feature per training example.
    """
    y_train = as_float_array(y_train, "y_train", ndim=1)
    check_values_in(y_train, (-1.0, 1.0), "y_train")
    K = rbf_kernel(X, X_train, gamma)
    if K.shape[1] != len(y_train):
        raise ValueError(f"y_train must have one label per row of X_train ({K.shape[1]}), "
                         f"got {len(y_train)}")
    return K * y_train[None, :]


class KernelClassifier:
    """Prediction αᵀψ(x) + b with ψ fixed by the training set and an RBF kernel.

    ``fit`` learns (α, b) by SGD on the hinge loss plus λ‖α‖² — a linear
    classifier (the no-hidden-layer network of Fig. 3) on the features ψ.
    """

    def __init__(self, gamma: float = 1.0):
        self.gamma = real_number(gamma, "gamma", 0, strict=True)
        self.alpha = None
        self.b = 0.0

    def features(self, X) -> np.ndarray:
        if self.alpha is None:
            raise RuntimeError("call fit before using the classifier")
        return kernel_feature_map(self.X_train, self.y_train, X, self.gamma)

    def fit(self, X, y, *, lam: float = 1e-3, epochs: int = 200, lr: float = 0.1,
            batch_size: int = 16, rng=None):
        """Learn α (n,) and b from (X, y), y ∈ {−1, +1}; returns self."""
        rng = check_rng(rng)
        self.X_train = as_float_array(X, "X", ndim=2)
        self.y_train = as_float_array(y, "y", ndim=1)
        psi = kernel_feature_map(self.X_train, self.y_train, self.X_train, self.gamma)
        layer = Linear(psi.shape[1], 1, rng=rng, init="zeros")
        fit(layer, psi, self.y_train, "hinge", epochs=epochs, batch_size=batch_size, lr=lr,
            penalty="l2", lam=lam, rng=rng, progress=False)
        self.alpha = layer.params["W"][:, 0].copy()
        self.b = float(layer.params["b"][0])
        return self

    def decision_function(self, X) -> np.ndarray:
        """αᵀψ(x) + b for every row of X, shape (m,)."""
        return self.features(X) @ self.alpha + self.b

    def predict(self, X) -> np.ndarray:
        """Labels in {−1, +1} (0 counts as +1)."""
        return np.where(self.decision_function(X) >= 0, 1, -1)

    def accuracy(self, X, y) -> float:
        return float(np.mean(self.predict(X) == np.asarray(y)))
