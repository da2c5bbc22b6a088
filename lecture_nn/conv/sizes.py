"""Sizes and counts for a convolution: the output size and the weight counts of §5.

The output size along one axis is ``(n + 2·padding − k) // stride + 1``: the
number of positions a k-wide window can take, every ``stride`` pixels, on an
input of n pixels with ``padding`` zeros added on each side. When the last
window does not fit exactly, the leftover rows/columns are ignored (as in
PyTorch).

The three weight counts compare ways of mapping an input image to a hidden
layer (notes §5, Figs. 9 and 10); biases (one per hidden unit, or one per
filter with sharing) are not included.
"""
from __future__ import annotations

import numbers

import numpy as np

from .._validation import as_float_array


def _pair(value, name: str, minimum: int) -> tuple[int, int]:
    """An int or an (int, int) pair → (rows, cols), each >= ``minimum``."""
    values = value if isinstance(value, (tuple, list)) else (value, value)
    if len(values) != 2:
        raise ValueError(f"{name} must be an integer or a pair of integers, got {value!r}")
    for v in values:
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise TypeError(f"{name} must be an integer >= {minimum}, got {value!r}")
        if v < minimum:
            raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(values[0]), int(values[1])


def output_size(input_size, kernel_size, stride=1, padding=0) -> tuple[int, int]:
    """Height and width of the output map: ``(n + 2·padding − k) // stride + 1`` per axis.

    Parameters
    ----------
    input_size, kernel_size : int or (int, int)
        Input (H, W) and kernel (kh, kw); an int means a square.
    stride : int >= 1
    padding : int >= 0
        Zeros added on every side.

    Examples
    --------
    >>> output_size(14, 4, stride=2)   # Fig. 10 of the notes
    (6, 6)
    """
    H, W = _pair(input_size, "input_size", 1)
    kh, kw = _pair(kernel_size, "kernel_size", 1)
    stride = _pair(stride, "stride", 1)[0]
    padding = _pair(padding, "padding", 0)[0]
    if kh > H + 2 * padding or kw > W + 2 * padding:
        raise ValueError(f"kernel {kh}x{kw} is larger than the input {H}x{W} "
                         f"with padding {padding} ({H + 2 * padding}x{W + 2 * padding})")
    return (H + 2 * padding - kh) // stride + 1, (W + 2 * padding - kw) // stride + 1


def fully_connected_weights(input_size, hidden_size, in_channels=1, out_channels=1) -> int:
    """Weights of a dense layer from every input pixel to every hidden unit:
    (C·H·W) · (O·Ho·Wo)."""
    H, W = _pair(input_size, "input_size", 1)
    Ho, Wo = _pair(hidden_size, "hidden_size", 1)
    return in_channels * H * W * out_channels * Ho * Wo


def locally_connected_weights(input_size, kernel_size, stride=1, padding=0,
                              in_channels=1, out_channels=1) -> int:
    """Weights when each hidden unit sees only its own patch and has its own weights
    (Fig. 10, no sharing): (number of patches) · (weights per patch) = Ho·Wo · O·C·kh·kw."""
    Ho, Wo = output_size(input_size, kernel_size, stride, padding)
    return Ho * Wo * shared_weights(kernel_size, in_channels, out_channels)


def shared_weights(kernel_size, in_channels=1, out_channels=1) -> int:
    """Weights with weight sharing (a convolution): one kh×kw filter per pair of
    input and output channels, O·C·kh·kw, whatever the image size."""
    kh, kw = _pair(kernel_size, "kernel_size", 1)
    return out_channels * in_channels * kh * kw


def check_conv_inputs(x, w, b=None, stride=1, padding=0):
    """Validate the arguments of every ``conv2d_*`` function.

    Accepts a batch ``x`` (N, C, H, W) with filters ``w`` (O, C, kh, kw), or a
    single image (H, W) with a single kernel (kh, kw). Returns
    ``(x4, w4, b, stride, padding, squeeze)`` with 4-D arrays of one common
    float dtype (that of ``x``), ``b`` of shape (O,) or None, and ``squeeze``
    True when the caller passed 2-D arrays (the result is then returned 2-D).
    """
    x = as_float_array(x, "x (the input images)", ndim=(2, 4))
    w = as_float_array(w, "w (the filters)", ndim=(2, 4))
    squeeze = x.ndim == 2
    if squeeze != (w.ndim == 2):
        raise ValueError("x and w must both be 2-D (one image, one kernel) or both 4-D "
                         f"(x: N,C,H,W and w: O,C,kh,kw); got x {x.shape} and w {w.shape}")
    if squeeze:
        x, w = x[None, None], w[None, None]
    if w.shape[1] != x.shape[1]:
        raise ValueError(f"channel mismatch: x has {x.shape[1]} channels (shape {x.shape}) "
                         f"but the filters w expect {w.shape[1]} (shape {w.shape})")
    stride = _pair(stride, "stride", 1)[0]
    padding = _pair(padding, "padding", 0)[0]
    output_size(x.shape[2:], w.shape[2:], stride, padding)  # raises if the kernel is too large
    if b is not None:
        b = as_float_array(b, "b (the biases)", ndim=(0, 1))
        if b.ndim == 1 and b.shape != (w.shape[0],):
            raise ValueError(f"b must have shape ({w.shape[0]},), one bias per filter, "
                             f"got {b.shape}")
        b = np.broadcast_to(b, (w.shape[0],)).astype(x.dtype, copy=False)
    return x, w.astype(x.dtype, copy=False), b, stride, padding, squeeze


def finish(out, b, squeeze):
    """Add the bias per output channel and undo the 2-D → 4-D promotion."""
    if b is not None:
        out += b[:, None, None]
    return out[0, 0] if squeeze else out
