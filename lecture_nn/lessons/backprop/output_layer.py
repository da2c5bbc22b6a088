"""The output layer of notebook 02: softmax and its Jacobian, set beside step 3 of notes §3.

Step 3 of the notes, δ^L = Diag[f'(z^L)] ∇_{a^L} ℓ, assumes that output unit k depends only on
z^L_k. Softmax, p = softmax(z^L), couples every output with every score: its Jacobian
J = ∂p/∂z^L (J_kj = ∂p_k/∂z^L_j) is Diag(p) − p pᵀ, a full matrix, and step 3 becomes
δ^L = Jᵀ ∇_p ℓ. For the cross-entropy ℓ = −Σ_k y_k log p_k this is p − y.
The package's losses (:mod:`lecture_nn.losses`) take z^L and return p − y directly.
"""
from __future__ import annotations

import numpy as np

from lecture_nn.checks import as_float_array
from lecture_nn.losses import softmax


def softmax_jacobian(z) -> np.ndarray:
    """J = ∂p/∂z = Diag(p) − p pᵀ for p = softmax(z), z one score vector (K,); J[k, j] = ∂p_k/∂z_j."""
    z = as_float_array(z, "z", ndim=1)
    p = softmax(z[None])[0]
    return np.diag(p) - np.outer(p, p)


def cross_entropy_gradient_in_p(p, y_onehot) -> np.ndarray:
    """∇_p ℓ for ℓ = −Σ_k y_k log p_k: the vector −y_k / p_k."""
    p = as_float_array(p, "p", ndim=1)
    return -np.asarray(y_onehot, dtype=float) / p


def output_error_by_chain_rule(z, y_onehot, diagonal_only: bool = False) -> np.ndarray:
    """δ^L = Jᵀ ∇_p ℓ for a softmax output and the cross-entropy, written out with the full
    Jacobian J = ∂p/∂z^L; with ``diagonal_only`` the off-diagonal entries of J are dropped,
    as step 3 taken literally (Diag[f'(z^L)]) would do."""
    J = softmax_jacobian(z)
    if diagonal_only:
        J = np.diag(np.diag(J))
    p = softmax(np.asarray(z, dtype=float)[None])[0]
    return J.T @ cross_entropy_gradient_in_p(p, y_onehot)
