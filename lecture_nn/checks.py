"""Input checks shared by every public function.

Each check raises ``TypeError`` (wrong kind of thing) or ``ValueError`` (right
kind, wrong value or shape) with a message that says what was expected and
what came, so that a student never meets a bare numpy broadcasting error.
"""
from __future__ import annotations

import numbers

import numpy as np


def as_float_array(x, name: str, ndim: int | tuple[int, ...] | None = None,
                   finite: bool = True, allow_empty: bool = False) -> np.ndarray:
    """Return ``x`` as a floating-point array, checking kind, rank and values.

    Integer and boolean input is converted to float64; float32 and float64 are
    kept as they are. Strings, objects and complex numbers are a ``TypeError``.
    """
    arr = np.asarray(x)
    if arr.dtype.kind in "iub":
        arr = arr.astype(np.float64)
    elif arr.dtype.kind != "f":
        raise TypeError(f"{name} must hold real numbers (a float or int array), "
                        f"got dtype {arr.dtype}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if arr.ndim not in allowed:
            want = " or ".join(str(d) for d in allowed)
            raise ValueError(f"{name} must be a {want}-D array, got shape {arr.shape}")
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if finite and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite numbers, found NaN or inf")
    return arr


def check_batch(x, name: str, n_features: int) -> np.ndarray:
    """Check a batch of row vectors of shape (n, n_features); return it as floats."""
    arr = as_float_array(x, name, ndim=2, finite=False)
    if arr.shape[1] != n_features:
        raise ValueError(f"{name} must have shape (n, {n_features}), got {arr.shape}")
    return arr


def check_same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{name_a} must have the same shape as {name_b} {b.shape}, "
                         f"got {a.shape}")


def as_class_labels(y, name: str, n: int, n_classes: int) -> np.ndarray:
    """Integer class labels 0..n_classes-1 of shape (n,)."""
    arr = np.asarray(y)
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise TypeError(f"{name} must be integer class labels, got non-integer values "
                            f"of dtype {arr.dtype}")
        arr = arr.astype(np.int64)
    elif arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must be integer class labels, got dtype {arr.dtype}")
    if arr.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), got {arr.shape}")
    if n and (arr.min() < 0 or arr.max() >= n_classes):
        raise ValueError(f"{name} must lie in 0..{n_classes - 1}, "
                         f"got values from {arr.min()} to {arr.max()}")
    return arr


def check_values_in(arr: np.ndarray, allowed: tuple, name: str) -> None:
    bad = ~np.isin(arr, allowed)
    if np.any(bad):
        allowed_text = ", ".join(str(v) for v in allowed)
        raise ValueError(f"{name} must take values in {{{allowed_text}}}, "
                         f"got {arr[bad].ravel()[0].item()!r}")


def positive_int(value, name: str, minimum: int = 1) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


def real_number(value, name: str, minimum: float | None = None, strict: bool = False) -> float:
    """A finite real number (Python or NumPy scalar), optionally > or >= ``minimum``; as a float."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    bound = "" if minimum is None else f" {'>' if strict else '>='} {minimum:g}"
    if not np.isfinite(value) or (minimum is not None and
                                  (value <= minimum if strict else value < minimum)):
        raise ValueError(f"{name} must be a finite number{bound}, got {value!r}")
    return float(value)


def probability(value, name: str, include_one: bool = False) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number in [0, 1), got {value!r}")
    upper_ok = value <= 1 if include_one else value < 1
    if not (0 <= value and upper_ok):
        bound = "[0, 1]" if include_one else "[0, 1)"
        raise ValueError(f"{name} must lie in {bound}, got {value}")
    return float(value)


def check_rng(rng) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy.random.Generator "
                        f"(e.g. numpy.random.default_rng(0)), got {type(rng).__name__}")
    return rng
