"""Initialisers written as a student writes them: ``init(n_in, n_out, rng) -> W`` (notes §4).

The notes' layer l computes z^l = (W^l)^T a^{l−1} + b^l, so W^l has one row per input and one
column per unit: shape (n_in, n_out) = (n_{l−1}, n_l). The package's initialisers
(:mod:`lecture_nn.init`) take ``(shape, rng, fan_in, fan_out, dtype)`` instead, the form every
layer calls; :func:`as_initialiser` turns the first form into the second, so a hand-written
initialiser can build a whole network with :func:`lecture_nn.mlp`.
"""
from __future__ import annotations

import numpy as np

from lecture_nn.checks import check_rng, positive_int
from lecture_nn.init import he


def he_weights(n_in, n_out, rng) -> np.ndarray:
    """W of shape (n_in, n_out) with independent N(0, 2 / n_in) entries drawn from ``rng``: He's
    rule for ReLU layers, the package's version (:func:`lecture_nn.init.he`)."""
    n_in, n_out = positive_int(n_in, "n_in"), positive_int(n_out, "n_out")
    return he((n_in, n_out), check_rng(rng), n_in, n_out)


def as_initialiser(init):
    """The package's form ``(shape, rng, fan_in, fan_out, dtype)`` of ``init(n_in, n_out, rng)``.

    For dense layers only: ``shape`` must be ``(fan_in, fan_out)``. The result is checked (shape,
    finite numbers) so that a broken initialiser fails when the network is built.
    """
    if not callable(init):
        raise TypeError(f"init must be a function init(n_in, n_out, rng), got {type(init).__name__}")

    def initialiser(shape, rng, fan_in=None, fan_out=None, dtype=np.float64):
        shape = tuple(shape)
        if len(shape) != 2:
            raise ValueError(f"shape: {init.__name__} makes dense weight matrices (n_in, n_out), "
                             f"got shape {shape}")
        W = np.asarray(init(shape[0], shape[1], rng), dtype=dtype)
        if W.shape != shape:
            raise ValueError(f"{init.__name__}({shape[0]}, {shape[1]}, rng) returned shape {W.shape}, "
                             f"expected {shape}")
        if not np.all(np.isfinite(W)):
            raise ValueError(f"{init.__name__} returned NaN or infinite weights")
        return W

    initialiser.__name__ = getattr(init, "__name__", "initialiser")
    return initialiser
