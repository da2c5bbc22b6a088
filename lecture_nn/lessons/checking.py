"""Comparing a student's numeric answer with the computed one and saying so."""
from __future__ import annotations

import numpy as np


def verdict(answer, expected, what: str, hint: str = "", rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    """Print "correct" or "not yet" for ``answer`` against ``expected`` (same shape); return the result."""
    expected = np.asarray(expected, dtype=float)
    try:
        given = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{what}: expected a number or an array of numbers, got {answer!r}") from None
    if given.shape != expected.shape:
        raise ValueError(f"{what}: expected an answer of shape {expected.shape}, got {given.shape}")
    ok = bool(np.all(np.isfinite(given)) and np.allclose(given, expected, rtol=rtol, atol=atol))
    print(f"{what}: correct." if ok else f"{what}: not yet. {hint}".rstrip())
    return ok
