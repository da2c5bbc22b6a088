"""The patch matrix (notes §5.1): the output-size formula, zero padding, im2col and col2im.

Every output pixel of a convolution is the dot product of one filter with one
patch of the input. :func:`im2col` copies all patches of an image into the
columns of one matrix, so that a whole convolution becomes one matrix product;
:func:`col2im`, its adjoint, adds patch gradients back onto the pixels they came
from. Kernel size, stride and padding are an int (the same along both axes) or
an (along height, along width) pair, as in PyTorch.
"""
from __future__ import annotations

import numbers

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from lecture_nn.checks import as_float_array, as_shape


def pair(value, name: str, minimum: int) -> tuple[int, int]:
    """An int or an (int, int) pair → (along height, along width), each an integer >= ``minimum``."""
    if type(value) is tuple and len(value) == 2 and type(value[0]) is int and type(value[1]) is int \
            and value[0] >= minimum and value[1] >= minimum:
        return value                    # already checked: the layers call this on every step
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    values = tuple(value) if isinstance(value, (tuple, list, np.ndarray)) else (value, value)
    if len(values) != 2:
        raise ValueError(f"{name} must be an integer or a pair of integers, got {value!r}")
    for v in values:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral):
            raise TypeError(f"{name} must be an integer >= {minimum} or a pair of them, got {value!r}")
        if v < minimum:
            raise ValueError(f"{name} must be an integer >= {minimum} or a pair of them, got {value!r}")
    return int(values[0]), int(values[1])


def output_size(input_size, kernel_size, stride=1, padding=0) -> tuple[int, int]:
    """Height and width of the output map: ``(n + 2·padding − k) // stride + 1`` per axis.

    The number of places a k-wide window can take, every ``stride`` pixels, on n
    pixels with ``padding`` zeros added at both ends; when the last window does
    not fit exactly, the leftover rows or columns are ignored (as in PyTorch).
    Every layer and function of the package that needs an output size asks this one.

    Parameters
    ----------
    input_size, kernel_size, stride, padding : int or (int, int)
        Input (H, W), kernel (kh, kw), stride (sh, sw) >= 1 and padding (ph, pw) >= 0;
        an int means the same along both axes.

    Examples
    --------
    >>> output_size(14, 4, stride=2)   # Fig. 10 of the notes
    (6, 6)
    >>> output_size((8, 8), 3, stride=(1, 2), padding=(0, 2))
    (6, 5)
    """
    (H, W), (kh, kw) = pair(input_size, "input_size", 1), pair(kernel_size, "kernel_size", 1)
    (sh, sw), (ph, pw) = pair(stride, "stride", 1), pair(padding, "padding", 0)
    if kh > H + 2 * ph or kw > W + 2 * pw:
        raise ValueError(f"kernel {kh}x{kw} is larger than the input {H}x{W} "
                         f"with padding {(ph, pw)} ({H + 2 * ph}x{W + 2 * pw})")
    return (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1


def pad_images(x, padding):
    """Zero-pad an (N, C, H, W) batch: ``padding`` = p or (ph, pw) zeros on each side."""
    x = as_float_array(x, "x (an (N, C, H, W) batch)", ndim=4, finite=False)
    ph, pw = pair(padding, "padding", 0)
    if ph == pw == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))


def im2col(x_padded, kernel_shape, stride=1, out=None):
    """The patch matrix of a padded batch: one column per output position.

    Parameters
    ----------
    x_padded : (N, C, Hp, Wp) array
    kernel_shape : (kh, kw)
    stride : int or (sh, sw)
    out : (N, C·kh·kw, Ho·Wo) array of the same dtype, optional
        Buffer to fill.

    Returns
    -------
    cols : (N, C·kh·kw, Ho·Wo) array
        ``cols[n, (c, i, j), (p, q)] = x_padded[n, c, p·sh + i, q·sw + j]``.
    """
    x_padded = as_float_array(x_padded, "x_padded (an (N, C, Hp, Wp) batch)", ndim=4, finite=False)
    N, C, Hp, Wp = x_padded.shape
    kh, kw = pair(kernel_shape, "kernel_shape", 1)
    sh, sw = pair(stride, "stride", 1)
    Ho, Wo = output_size((Hp, Wp), (kh, kw), (sh, sw))
    # a view of every window, no copy: (N, C, Ho, Wo, kh, kw)
    windows = sliding_window_view(x_padded, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw][:, :, :Ho, :Wo]
    if out is None:
        out = np.empty((N, C * kh * kw, Ho * Wo), dtype=x_padded.dtype)
    else:
        # a non-contiguous out would make the reshape below a copy, and the patches would be lost
        _check_out(out, (N, C * kh * kw, Ho * Wo), x_padded.dtype, contiguous=True)
    # one copy, with the output position innermost so that it reads memory nearly in order
    np.copyto(out.reshape(N, C, kh, kw, Ho, Wo), windows.transpose(0, 1, 4, 5, 2, 3))
    return out


def _check_out(out, shape: tuple, dtype, contiguous: bool = False) -> None:
    """``out`` must be a writable array of exactly ``shape`` and ``dtype`` (C-contiguous if asked)."""
    layout = "a C-contiguous" if contiguous else "a"
    want = f"{layout} writable array of shape {shape} and dtype {np.dtype(dtype)}"
    if not isinstance(out, np.ndarray):
        raise TypeError(f"out must be {want}, got {type(out).__name__}")
    if out.shape != shape or out.dtype != dtype:
        raise ValueError(f"out must be {want}, got shape {out.shape} and dtype {out.dtype}")
    if not out.flags.writeable or (contiguous and not out.flags.c_contiguous):
        raise ValueError(f"out must be {want}, got a read-only or non-contiguous view")


def col2im(cols, padded_shape, kernel_shape, stride=1, out=None):
    """Adjoint of :func:`im2col`: add every patch column back onto the pixels it came from.

    Overlapping patches share pixels, so the adds accumulate. They are done as
    kh·kw strided slice-adds (one per offset (i, j) in the kernel, each covering
    every position at once), not as a loop over positions.

    Parameters
    ----------
    cols : (N, C·kh·kw, Ho·Wo) array
    padded_shape : (N, C, Hp, Wp)
    kernel_shape : (kh, kw)
    stride : int or (sh, sw)
    out : (N, C, Hp, Wp) array, optional
        Buffer for the result; it is overwritten.

    Returns
    -------
    (N, C, Hp, Wp) array with ``out[n, c, p·sh + i, q·sw + j] += cols[n, (c, i, j), (p, q)]``.
    """
    padded_shape = as_shape(padded_shape, "padded_shape")
    if len(padded_shape) != 4:
        raise ValueError(f"padded_shape must be (N, C, Hp, Wp), got {padded_shape}")
    N, C, Hp, Wp = padded_shape
    kh, kw = pair(kernel_shape, "kernel_shape", 1)
    sh, sw = pair(stride, "stride", 1)
    Ho, Wo = output_size((Hp, Wp), (kh, kw), (sh, sw))
    cols = as_float_array(cols, "cols", ndim=3, finite=False)
    if cols.shape != (N, C * kh * kw, Ho * Wo):
        raise ValueError(f"cols must have shape (N, C·kh·kw, Ho·Wo) = {(N, C * kh * kw, Ho * Wo)} for "
                         f"padded_shape {padded_shape}, kernel {kh}x{kw} and stride {(sh, sw)}, "
                         f"got {cols.shape}")
    if out is None:
        out = np.zeros(padded_shape, dtype=cols.dtype)
    else:
        _check_out(out, padded_shape, cols.dtype)
        out[...] = 0
    blocks = cols.reshape(N, C, kh, kw, Ho, Wo)
    for i in range(kh):
        for j in range(kw):
            out[:, :, i:i + sh * Ho:sh, j:j + sw * Wo:sw] += blocks[:, :, i, j]
    return out


def batch_chunk(n_images: int, bytes_per_image: int, max_bytes: int) -> int:
    """How many images fit in ``max_bytes`` of patch matrix (at least one)."""
    return int(max(1, min(n_images, max_bytes // max(bytes_per_image, 1))))


def batch_chunks(n_images: int, chunk: int) -> list[slice]:
    """The batch as consecutive slices of at most ``chunk`` images."""
    return [slice(start, min(start + chunk, n_images)) for start in range(0, n_images, chunk)]
