"""Backpropagation for one example, literally as the five steps of notes §3.

Vectors are columns, as in the notes: a^l and z^l have shape (n_l, 1), W^l has
shape (n_{l-1}, n_l) and z^l = (W^l)^T a^{l-1} + b^l. Layers are numbered as in
the notes: layer 1 is the input, layer L the output, so ``weights[0]`` is W^2.
The package's batch layers (:mod:`lecture_nn.layers`) compute the same numbers
for many examples at once; this module exists to be read next to the notes.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from lecture_nn.checks import as_float_array
from lecture_nn.activations import Activation, activation_functions
from lecture_nn.layers import Linear, Sequential
from lecture_nn.losses import get_loss


class Network(NamedTuple):
    """Parameters of a feedforward network in the notes' notation.

    ``weights[k]`` is W^{k+2} (n_{k+1}, n_{k+2}), ``biases[k]`` is b^{k+2} (n_{k+2},),
    ``activations[k]`` the name of f in layer k + 2 (``"identity"`` for a linear output).
    """
    weights: list
    biases: list
    activations: list

    @property
    def widths(self) -> list[int]:
        return [self.weights[0].shape[0]] + [W.shape[1] for W in self.weights]


def network_from_sequential(model: Sequential) -> Network:
    """Read W^l, b^l and f of every layer from a ``Sequential`` of Linear and activation layers.

    A Linear layer not followed by an activation gets ``"identity"``. The arrays
    are shared with the model (not copied).
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"model must be a Sequential, got {type(model).__name__}")
    weights, biases, names = [], [], []
    for layer in model.layers:
        if isinstance(layer, Linear):
            weights.append(layer.params["W"])
            biases.append(layer.params["b"])
            names.append("identity")
        elif isinstance(layer, Activation) and weights and names[-1] == "identity":
            names[-1] = type(layer).__name__.lower()
        else:
            raise ValueError("network_from_sequential expects Linear layers, each followed by at "
                             f"most one activation; found {layer!r}")
    if not weights:
        raise ValueError("the model has no Linear layer")
    return Network(weights, biases, names)


class BackpropTrace(NamedTuple):
    """Everything the five steps compute, indexed by layer number l = 1 … L.

    ``a[l]``, ``z[l]``, ``delta[l]``: column vectors (n_l, 1) (``z``/``delta`` from l = 2);
    ``dW[l]`` (n_{l-1}, n_l) and ``db[l]`` (n_l, 1): ∂ℓ/∂W^l and ∂ℓ/∂b^l; ``loss``: ℓ(y, a^L).
    """
    a: dict
    z: dict
    delta: dict
    dW: dict
    db: dict
    loss: float


def output_gradient(loss, y, a_L):
    """ℓ and ∇_{a^L} ℓ as a column (n_L, 1), from a package loss applied to a batch of one."""
    y = np.asarray(y)
    y_batch = y.reshape(1) if y.ndim == 0 else y.reshape(1, -1)
    value, grad = get_loss(loss)(y_batch, a_L.T)   # the mean over one example is its loss
    return value, np.asarray(grad, dtype=float).reshape(-1, 1)


def backprop_example(network: Network, x, y, loss="squared") -> BackpropTrace:
    """∂ℓ(y, F(x; θ))/∂θ for ONE example by the five steps of notes §3.

    Parameters
    ----------
    network : Network (see :func:`network_from_sequential`)
    x : (d,) the input
    y : target as ``loss`` expects for one example: a label (int class for
        softmax_cross_entropy, ±1 for hinge/logistic) or a vector (n_L,) for squared
    loss : name of a loss in :mod:`lecture_nn.losses`, applied to a^L

    Returns
    -------
    BackpropTrace with a^l, z^l, δ^l, ∂ℓ/∂W^l, ∂ℓ/∂b^l for l = 2 … L.
    """
    x = as_float_array(x, "x", ndim=1)
    L = len(network.weights) + 1
    if x.shape[0] != network.widths[0]:
        raise ValueError(f"x must have shape ({network.widths[0]},), got {x.shape}")
    W = {l: network.weights[l - 2] for l in range(2, L + 1)}
    b = {l: network.biases[l - 2].reshape(-1, 1) for l in range(2, L + 1)}
    f = {l: activation_functions(network.activations[l - 2]) for l in range(2, L + 1)}
    a, z, delta, dW, db = {}, {}, {}, {}, {}

    # 1. Input: set the activations of layer 1 to x
    a[1] = x.reshape(-1, 1)
    # 2. Feedforward: z^l = (W^l)^T a^{l-1} + b^l, a^l = f(z^l)
    for l in range(2, L + 1):
        z[l] = W[l].T @ a[l - 1] + b[l]
        a[l] = f[l][0](z[l])
    # 3. Output error: δ^L = Diag[f'(z^L)] ∇_{a^L} ℓ
    loss_value, grad_aL = output_gradient(loss, y, a[L])
    delta[L] = np.diag(f[L][1](z[L]).ravel()) @ grad_aL
    # 4. Backpropagate: δ^l = Diag[f'(z^l)] W^{l+1} δ^{l+1}
    for l in range(L - 1, 1, -1):
        delta[l] = np.diag(f[l][1](z[l]).ravel()) @ W[l + 1] @ delta[l + 1]
    # 5. Gradient: ∂ℓ/∂W^l = a^{l-1} (δ^l)^T, ∂ℓ/∂b^l = δ^l
    for l in range(2, L + 1):
        dW[l] = a[l - 1] @ delta[l].T
        db[l] = delta[l]
    return BackpropTrace(a, z, delta, dW, db, loss_value)


def backprop_dataset(network: Network, X, y, loss="squared") -> tuple[list, list]:
    """Mean over the rows of X of the per-example gradients: ∂R_n/∂W^l and ∂R_n/∂b^l (eq. 2).

    Returns two lists ordered like ``network.weights`` (W^2 first), with the
    parameters' shapes, so they can be compared with a batch model's ``grads``.
    """
    X = as_float_array(X, "X", ndim=2)
    if len(y) != len(X):
        raise ValueError(f"y must have one entry per row of X ({len(X)}), got {len(y)}")
    L = len(network.weights) + 1
    dW = [np.zeros_like(W, dtype=float) for W in network.weights]
    db = [np.zeros(bias.shape, dtype=float) for bias in network.biases]
    for x_row, y_row in zip(X, y):
        trace = backprop_example(network, x_row, y_row, loss)
        for l in range(2, L + 1):
            dW[l - 2] += trace.dW[l] / len(X)
            db[l - 2] += trace.db[l].ravel() / len(X)
    return dW, db
