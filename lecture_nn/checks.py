"""Input checks shared by every public function.

Each check raises ``TypeError`` (wrong kind of thing) or ``ValueError`` (right
kind, wrong value or shape) with a message that says what was expected and
what came, so that a student never meets a bare numpy broadcasting error.
"""
from __future__ import annotations

import numbers
import os

import numpy as np


def as_array(x, name: str) -> np.ndarray:
    """``np.asarray(x)``, but nested lists of unequal lengths are a ``ValueError`` naming ``name``."""
    try:
        return np.asarray(x)
    except ValueError as err:
        if "inhomogeneous" not in str(err):
            raise
        raise ValueError(f"{name} must be a rectangular array (every row the same length), "
                         "got nested sequences of different lengths") from None


FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def float_dtype(dtype, name: str = "dtype") -> np.dtype:
    """``dtype`` as float32 or float64 (the two the layers compute in); anything else is a ``TypeError``."""
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{name} must be float32 or float64, got {dtype!r}") from None
    if dtype not in FLOAT_DTYPES:
        raise TypeError(f"{name} must be float32 or float64, got {dtype}")
    return dtype


def as_float_array(x, name: str, ndim: int | tuple[int, ...] | None = None,
                   finite: bool = True, allow_empty: bool = False) -> np.ndarray:
    """Return ``x`` as a floating-point array, checking kind, rank and values.

    Integer and boolean input is converted to float64; float32 and float64 are
    kept as they are. Strings, objects and complex numbers are a ``TypeError``.
    """
    arr = as_array(x, name)
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
    arr = as_array(y, name)
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise TypeError(f"{name} must be integer class labels, got non-integer values "
                            f"of dtype {arr.dtype}")
    elif arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must be integer class labels, got dtype {arr.dtype}")
    if arr.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), got {arr.shape}")
    # the range is checked before the cast: a float label like 1e20 has no int64 value
    if n and (arr.min() < 0 or arr.max() >= n_classes):
        low, high = (int(v) for v in (arr.min(), arr.max()))
        raise ValueError(f"{name} must lie in 0..{n_classes - 1}, "
                         f"got values from {low} to {high}")
    return arr.astype(np.int64, copy=False)


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


def as_path(path, name: str = "path") -> str:
    """A file-system path (``str`` or ``os.PathLike``) as a ``str``; anything else is a ``TypeError``."""
    if isinstance(path, (bytes, bytearray)) or not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name} must be a file path (a str or pathlib.Path), got {path!r}")
    path = os.fspath(path)
    if not isinstance(path, str):       # a PathLike may hand back bytes
        raise TypeError(f"{name} must be a file path (a str or pathlib.Path), got {path!r}")
    return path


def as_shape(shape, name: str, minimum: int = 1) -> tuple[int, ...]:
    """An array shape: an int or a sequence of ints, each >= ``minimum``, as a tuple of ints."""
    if isinstance(shape, np.ndarray) and shape.ndim == 0:
        shape = shape.item()
    values = tuple(shape) if isinstance(shape, (tuple, list, np.ndarray)) else (shape,)
    for v in values:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral):
            raise TypeError(f"{name} must be an integer or a tuple of integers >= {minimum}, "
                            f"got {shape!r}")
        if v < minimum:
            raise ValueError(f"{name} must be an integer or a tuple of integers >= {minimum}, "
                             f"got {shape!r}")
    return tuple(int(v) for v in values)


def flag(value, name: str) -> bool:
    """A yes/no switch: ``True`` or ``False`` (NumPy booleans too); anything else is a ``TypeError``."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)
