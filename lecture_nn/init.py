"""Weight initialisers (notes §4, "Initialization").

Each initialiser has the signature ``init(shape, rng, fan_in, fan_out, dtype)``
and returns a new array of that shape. ``fan_in`` is the number of inputs a
unit receives (n_{l-1} for a dense layer, in_channels·k·k for a convolution).
"""
from __future__ import annotations

import numpy as np

from lecture_nn.checks import check_rng


def zeros(shape, rng=None, fan_in=None, fan_out=None, dtype=np.float64):
    """All weights 0. With ReLU every activation and gradient is then 0 (notes §4)."""
    return np.zeros(shape, dtype=dtype)


def constant(value: float):
    """Return an initialiser that fills every weight with ``value`` (symmetry demo)."""
    def init(shape, rng=None, fan_in=None, fan_out=None, dtype=np.float64):
        return np.full(shape, value, dtype=dtype)
    init.__name__ = f"constant({value})"
    return init


def gaussian(sigma: float):
    """Return an initialiser drawing N(0, sigma²) independently of the layer size."""
    if not sigma >= 0:
        raise ValueError(f"sigma must be >= 0, got {sigma}")

    def init(shape, rng, fan_in=None, fan_out=None, dtype=np.float64):
        return (sigma * check_rng(rng).standard_normal(shape)).astype(dtype, copy=False)
    init.__name__ = f"gaussian({sigma})"
    return init


def xavier(shape, rng, fan_in, fan_out, dtype=np.float64):
    """Glorot/Xavier: N(0, σ²) with σ² = 2 / (fan_in + fan_out); keeps tanh layers' spread."""
    sigma = np.sqrt(2.0 / (fan_in + fan_out))
    return (sigma * check_rng(rng).standard_normal(shape)).astype(dtype, copy=False)


def he(shape, rng, fan_in, fan_out=None, dtype=np.float64):
    """He: N(0, σ²) with σ² = 2 / fan_in; keeps ReLU layers' spread (half the units are off)."""
    sigma = np.sqrt(2.0 / fan_in)
    return (sigma * check_rng(rng).standard_normal(shape)).astype(dtype, copy=False)


def lecun(shape, rng, fan_in, fan_out=None, dtype=np.float64):
    """LeCun: N(0, σ²) with σ² = 1 / fan_in, the variance the notes' remark suggests."""
    sigma = np.sqrt(1.0 / fan_in)
    return (sigma * check_rng(rng).standard_normal(shape)).astype(dtype, copy=False)


INITIALISERS = {"zeros": zeros, "xavier": xavier, "glorot": xavier, "he": he, "lecun": lecun}


def get_initialiser(init):
    """Turn a name from ``INITIALISERS`` or a callable into an initialiser."""
    if callable(init):
        return init
    if isinstance(init, str) and init in INITIALISERS:
        return INITIALISERS[init]
    raise ValueError(f"unknown initialiser {init!r}; expected one of "
                     f"{sorted(INITIALISERS)} or a callable")
