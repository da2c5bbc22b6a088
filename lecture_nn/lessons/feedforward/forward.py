"""The forward pass of notes §2 for a batch in rows, computed by the package's layers.

    z^l = (W^l)^T a^{l−1} + b^l,  a^l = f(z^l)  for l = 2, …, L − 1,  F(x; θ) = z^L,

with a^1 = x. For a batch in rows (one example per row of ``x``) the first line reads
``z = a @ W + b``. :func:`network_forward` is the reference of the build-it exercise in which the
student writes this loop with NumPy.
"""
from __future__ import annotations

import numpy as np

from lecture_nn.activations import ACTIVATIONS
from lecture_nn.checks import as_float_array
from lecture_nn.layers import Linear, Sequential


def _activation_layer(f):
    """The package's activation layer whose function is ``f`` (relu, sigmoid, tanh, identity)."""
    for layer_class in ACTIVATIONS.values():
        if layer_class.f is f:
            return layer_class()
    raise TypeError(f"f must be one of the package's activation functions "
                    f"(lecture_nn.activations.relu, sigmoid, tanh), got {f!r}")


def as_network(weights, biases, f) -> Sequential:
    """A :class:`~lecture_nn.Sequential` holding copies of ``weights`` [W², …, W^L] and ``biases``
    [b², …, b^L], with the activation ``f`` after every layer but the last."""
    if not isinstance(weights, (list, tuple)) or not isinstance(biases, (list, tuple)):
        raise TypeError("weights and biases must be lists [W², …, W^L] and [b², …, b^L]")
    if len(weights) != len(biases) or not weights:
        raise ValueError(f"weights and biases must be lists of the same length ≥ 1, "
                         f"got {len(weights)} and {len(biases)}")
    layers = []
    for l, (W, b) in enumerate(zip(weights, biases), start=2):
        W = as_float_array(W, f"weights[{l - 2}] (W^{l})", ndim=2)
        b = as_float_array(b, f"biases[{l - 2}] (b^{l})", ndim=1)
        if b.shape != (W.shape[1],):
            raise ValueError(f"biases[{l - 2}] (b^{l}) must have shape ({W.shape[1]},) to match "
                             f"W^{l} {W.shape}, got {b.shape}")
        if layers and layers[-2].n_out != W.shape[0]:
            raise ValueError(f"weights[{l - 2}] (W^{l}) must have {layers[-2].n_out} rows to follow "
                             f"W^{l - 1}, got shape {W.shape}")
        linear = Linear(*W.shape, init="zeros")
        linear.params["W"][...] = W
        linear.params["b"][...] = b
        layers += [linear, _activation_layer(f)]
    return Sequential(*layers[:-1])     # F(x; θ) = z^L: no activation after the last layer


def network_forward(x, weights, biases, f) -> np.ndarray:
    """F(x; θ) = z^L for a batch x (n, n_1), by the package's layers; shape (n, n_L)."""
    return as_network(weights, biases, f).forward(as_float_array(x, "x", ndim=2))


def weights_of(model: Sequential) -> tuple[list, list]:
    """The lists [W², …, W^L] and [b², …, b^L] of a network built by :func:`lecture_nn.mlp`."""
    linear = [layer for layer in model if isinstance(layer, Linear)]
    if len(linear) != len([layer for layer in model if layer.params]):
        raise ValueError("model must hold only Linear layers and activations (a network from nn.mlp)")
    return [layer.params["W"] for layer in linear], [layer.params["b"] for layer in linear]
