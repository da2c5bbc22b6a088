"""Subgradients of convex functions (notes §2.2, the note on non-differentiable ℓ and f).

g is a subgradient of a convex h at v when h(u) ≥ h(v) + g (u − v) for every u.
For the rectifier at v = 0 every g ∈ [0, 1] qualifies; the notes pick g = 0.
"""
from __future__ import annotations

import numpy as np

from ._validation import as_float_array


def is_subgradient(h, v: float, g: float, u=None, tol: float = 1e-12) -> bool:
    """Check h(u) ≥ h(v) + g (u − v) on the points ``u`` (default: 401 points in [v − 2, v + 2]).

    A numerical check on a grid of scalars: it can prove that g is *not* a
    subgradient (a violated point) and supports, but cannot prove, that it is.
    """
    if not (np.isfinite(v) and np.isfinite(g)):
        raise ValueError(f"v and g must be finite numbers, got v={v!r}, g={g!r}")
    u = np.linspace(v - 2.0, v + 2.0, 401) if u is None else as_float_array(u, "u", ndim=1)
    return bool(np.all(h(u) >= h(np.float64(v)) + g * (u - v) - tol))
