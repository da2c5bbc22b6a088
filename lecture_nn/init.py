"""Weight initialisers (notes §4, "Initialization").

Each initialiser has the signature ``init(shape, rng, fan_in, fan_out, dtype)``
and returns a new array of that shape (a tuple of positive ints) and dtype
(float32 or float64). ``fan_in`` is the number of inputs a unit receives
(n_{l-1} for a dense layer, in_channels·k·k for a convolution), ``fan_out`` the
number of units it feeds; the initialisers that scale by them check them.
"""
from __future__ import annotations

import numpy as np

from lecture_nn.checks import as_shape, check_rng, float_dtype, positive_int, real_number


def _normal(sigma: float, shape, rng, dtype) -> np.ndarray:
    """N(0, sigma²) draws of ``shape`` from ``rng``, as ``dtype``."""
    shape, dtype, rng = as_shape(shape, "shape"), float_dtype(dtype), check_rng(rng)
    return (sigma * rng.standard_normal(shape)).astype(dtype, copy=False)


def zeros(shape, rng=None, fan_in=None, fan_out=None, dtype=np.float64):
    """All weights 0. With ReLU every activation and gradient is then 0 (notes §4)."""
    return np.zeros(as_shape(shape, "shape"), dtype=float_dtype(dtype))


def constant(value: float):
    """Return an initialiser that fills every weight with ``value`` (symmetry demo)."""
    value = real_number(value, "value")

    def init(shape, rng=None, fan_in=None, fan_out=None, dtype=np.float64):
        dtype = float_dtype(dtype)
        if abs(value) > float(np.finfo(dtype).max):
            raise ValueError(f"constant({value:g}) is beyond the range of {dtype}")
        return np.full(as_shape(shape, "shape"), value, dtype=dtype)
    init.__name__ = f"constant({value})"
    return init


def gaussian(sigma: float):
    """Return an initialiser drawing N(0, sigma²) independently of the layer size."""
    sigma = real_number(sigma, "sigma")
    if sigma < 0:
        raise ValueError(f"sigma must be >= 0, got {sigma}")

    def init(shape, rng, fan_in=None, fan_out=None, dtype=np.float64):
        return _normal(sigma, shape, rng, dtype)
    init.__name__ = f"gaussian({sigma})"
    return init


def xavier(shape, rng, fan_in, fan_out, dtype=np.float64):
    """Glorot/Xavier: N(0, σ²) with σ² = 2 / (fan_in + fan_out); keeps tanh layers' spread."""
    fan_in, fan_out = positive_int(fan_in, "fan_in"), positive_int(fan_out, "fan_out")
    return _normal(np.sqrt(2.0 / (fan_in + fan_out)), shape, rng, dtype)


def he(shape, rng, fan_in, fan_out=None, dtype=np.float64):
    """He: N(0, σ²) with σ² = 2 / fan_in; keeps ReLU layers' spread (half the units are off)."""
    return _normal(np.sqrt(2.0 / positive_int(fan_in, "fan_in")), shape, rng, dtype)


def lecun(shape, rng, fan_in, fan_out=None, dtype=np.float64):
    """LeCun: N(0, σ²) with σ² = 1 / fan_in, the variance the notes' remark suggests."""
    return _normal(np.sqrt(1.0 / positive_int(fan_in, "fan_in")), shape, rng, dtype)


INITIALISERS = {"zeros": zeros, "xavier": xavier, "glorot": xavier, "he": he, "lecun": lecun}


def get_initialiser(init):
    """Turn a name from ``INITIALISERS`` or a callable into an initialiser."""
    if callable(init):
        return init
    if isinstance(init, str) and init in INITIALISERS:
        return INITIALISERS[init]
    raise ValueError(f"unknown initialiser {init!r}; expected one of "
                     f"{sorted(INITIALISERS)} or a callable")
