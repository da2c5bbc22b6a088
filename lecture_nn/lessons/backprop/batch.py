"""The backward pass for a batch (notebook 02, section 4): the package's version of the build-it exercise.

Examples sit in the rows, as in the package's layers: for a batch of n examples a^l and z^l have
shape (n, n_l), W^l has shape (n_{l-1}, n_l) and z^l = a^{l-1} W^l + b^l. The caches ``a`` and ``z``
are dicts keyed by the notes' layer numbers: ``a[1]`` is the batch X, ``z[l]`` and ``a[l]`` exist for
l = 2 … L, and the output layer L is linear (a^L = z^L: the softmax is folded into the loss).
The loss is the softmax cross-entropy averaged over the batch, so δ^L = (p − y)/n.
"""
from __future__ import annotations

import numpy as np

from lecture_nn.activations import ReLU, Sigmoid, Tanh, relu_prime, sigmoid_prime, tanh_prime
from lecture_nn.checks import as_float_array
from lecture_nn.layers import Linear
from lecture_nn.losses import softmax_cross_entropy

ACTIVATION_OF = {tanh_prime: Tanh, relu_prime: ReLU, sigmoid_prime: Sigmoid}
"""The package's activation layer for each derivative function a backward pass may be given."""


def _check_network(W, a, z):
    """The layer numbers L, and every array of W, a, z as floats with matching shapes."""
    for name, value in (("W", W), ("a", a), ("z", z)):
        if not isinstance(value, dict):
            raise TypeError(f"{name} must be a dict keyed by layer number (W[2], W[3], …), "
                            f"got {type(value).__name__}")
    if not W or sorted(W) != list(range(2, max(W) + 1)):
        raise ValueError(f"W must have the keys 2, 3, …, L (the notes' layer numbers), got {sorted(W)}")
    L = max(W)
    if sorted(a) != list(range(1, L + 1)) or sorted(z) != list(range(2, L + 1)):
        raise ValueError(f"a must have the keys 1 … {L} and z the keys 2 … {L}, "
                         f"got a: {sorted(a)}, z: {sorted(z)}")
    W = {l: as_float_array(W[l], f"W[{l}]", ndim=2) for l in W}
    a = {l: as_float_array(a[l], f"a[{l}]", ndim=2) for l in a}
    z = {l: as_float_array(z[l], f"z[{l}]", ndim=2) for l in z}
    n = len(a[1])
    for l in range(2, L + 1):
        if a[l - 1].shape[1] != W[l].shape[0]:
            raise ValueError(f"a[{l - 1}] has {a[l - 1].shape[1]} columns but W[{l}] has "
                             f"{W[l].shape[0]} rows; they must match")
        for name, value in ((f"z[{l}]", z[l]), (f"a[{l}]", a[l])):
            if value.shape != (n, W[l].shape[1]):
                raise ValueError(f"{name} must have shape {(n, W[l].shape[1])}, got {value.shape}")
    return L, W, a, z


def batch_backward(W, a, z, y, f_prime=tanh_prime):
    """Steps 3–5 of notes §3 for a batch, by the package's layers run on the given cache.

    Parameters
    ----------
    W : dict {l: (n_{l-1}, n_l)} for l = 2 … L
    a, z : dicts, the forward pass's cache: a[l] (n, n_l) for l = 1 … L (a[1] = X), z[l] for l = 2 … L
    y : (n,) integer class labels, for the softmax cross-entropy averaged over the batch
    f_prime : the derivative of the hidden layers' activation, one of ``tanh_prime``,
        ``relu_prime``, ``sigmoid_prime`` of :mod:`lecture_nn.activations`

    Returns
    -------
    ∂ℓ/∂W², ∂ℓ/∂b², ∂ℓ/∂W³, ∂ℓ/∂b³, …, ∂ℓ/∂W^L, ∂ℓ/∂b^L: a tuple with the shapes of W^l and b^l (n_l,).
    """
    if not any(f_prime is known for known in ACTIVATION_OF):
        raise ValueError("f_prime must be one of lecture_nn.activations' tanh_prime, relu_prime, "
                         f"sigmoid_prime, got {f_prime!r}")
    L, W, a, z = _check_network(W, a, z)
    _, delta = softmax_cross_entropy(y, z[L])        # step 3: δ^L = (p − y)/n
    grads = {}
    for l in range(L, 1, -1):
        linear = Linear(*W[l].shape, init="zeros")
        linear.params["W"] = W[l]
        linear.forward(a[l - 1])                      # keeps a^{l-1} for the backward pass
        upstream = linear.backward(delta, input_grad=l > 2)   # step 5, and δ^l (W^l)^T
        grads[l] = (linear.grads["W"], linear.grads["b"])
        if l > 2:                                     # step 4: δ^{l-1} = f'(z^{l-1}) ⊙ (δ^l (W^l)^T)
            activation = ACTIVATION_OF[f_prime]()
            activation.forward(z[l - 1])
            delta = activation.backward(upstream)
    return tuple(g for l in range(2, L + 1) for g in grads[l])


def gradient_names(L: int = 4) -> tuple[str, ...]:
    """The names of what :func:`batch_backward` returns: ("∂ℓ/∂W²", "∂ℓ/∂b²", …) up to layer L."""
    superscript = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
    return tuple(f"∂ℓ/∂{p}{str(l).translate(superscript)}" for l in range(2, L + 1) for p in "Wb")


def random_batch(widths, n: int, rng: np.random.Generator, f=np.tanh):
    """A network with the given widths (n_1, …, n_L), a batch of n examples and its forward cache.

    Returns ``(W, b, a, z, y)``: dicts keyed by layer number as in :func:`batch_backward`, hidden
    layers ``f`` (tanh by default), a linear output, and labels y drawn from the n_L classes.
    """
    widths = [int(w) for w in widths]
    if len(widths) < 2 or min(widths) < 1:
        raise ValueError(f"widths must list at least two positive layer widths, got {widths}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    L = len(widths)
    W = {l: rng.standard_normal((widths[l - 2], widths[l - 1])) / np.sqrt(widths[l - 2])
         for l in range(2, L + 1)}
    b = {l: 0.5 * rng.standard_normal(widths[l - 1]) for l in range(2, L + 1)}
    a = {1: rng.standard_normal((n, widths[0]))}
    z = {}
    for l in range(2, L + 1):
        z[l] = a[l - 1] @ W[l] + b[l]
        a[l] = f(z[l]) if l < L else z[l]
    y = rng.integers(0, widths[-1], n)
    return W, b, a, z, y
