"""The fast convolution: im2col (a patch matrix) and one batched matrix multiply.

Every output pixel is the dot product of one filter with one patch. Copy all
patches of image n into the columns of a matrix ``cols[n]`` of shape
(C·kh·kw, Ho·Wo); then the output of every filter at every position is the
product ``Wmat @ cols[n]`` with ``Wmat = w.reshape(O, C·kh·kw)``, of shape
(O, Ho·Wo) — already the NCHW layout. One ``np.matmul`` over the batch hands
all the arithmetic to BLAS.

The patches come from ``numpy.lib.stride_tricks.sliding_window_view`` (a
view, no copy) and are copied once, contiguous, with the output position
(Wo) innermost so that the copy reads memory nearly in order.
At stride 1, :func:`im2col_wide` (used by :class:`Conv2D`) goes further: it
computes every output row across the full padded width, so that each row of
the patch matrix is a single contiguous run of the image.

The reverse, ``col2im``, adds each column of a patch-gradient matrix back
onto the pixels of its patch. Overlapping patches share pixels, so the
adds must accumulate; we do it as kh·kw strided slice-adds (one per offset
(i, j) inside the kernel, each covering every position at once) rather than
with ``np.add.at`` or a loop over positions.

Memory: ``cols`` has N·C·kh·kw·Ho·Wo entries, which for large kernels on large
images is huge (256×256 image, 31×31 kernel: 49 M entries, 190 MB in float32
per image). ``conv2d_fast`` therefore processes the batch in chunks so that
the patch matrix stays under ``max_patch_bytes``; for kernels that large the
FFT route (:func:`conv2d_fft`, chosen by :func:`conv2d`) is faster anyway.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided, sliding_window_view

from .sizes import check_conv_inputs, finish

MAX_PATCH_BYTES = 256 * 2**20
"""Default cap on the size of the patch matrix (bytes); the batch is chunked to respect it."""


def pad_images(x, padding: int):
    """Zero-pad the last two axes of an (N, C, H, W) batch by ``padding`` on every side."""
    if padding == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))


def im2col(x_padded, kernel_shape, stride: int, out=None):
    """The patch matrix of a padded batch.

    Parameters
    ----------
    x_padded : (N, C, Hp, Wp) array
    kernel_shape : (kh, kw)
    stride : int
    out : (N, C·kh·kw, Ho·Wo) array of the same dtype, optional
        Buffer to fill (reused across calls by :class:`Conv2D`).

    Returns
    -------
    cols : (N, C·kh·kw, Ho·Wo) array
        ``cols[n, (c, i, j), (p, q)] = x_padded[n, c, p·stride + i, q·stride + j]``.
    """
    N, C, Hp, Wp = x_padded.shape
    kh, kw = kernel_shape
    Ho, Wo = (Hp - kh) // stride + 1, (Wp - kw) // stride + 1
    windows = sliding_window_view(x_padded, (kh, kw), axis=(2, 3))   # (N, C, Hp-kh+1, Wp-kw+1, kh, kw)
    windows = windows[:, :, ::stride, ::stride][:, :, :Ho, :Wo]      # (N, C, Ho, Wo, kh, kw)
    if out is None:
        out = np.empty((N, C * kh * kw, Ho * Wo), dtype=x_padded.dtype)
    np.copyto(out.reshape(N, C, kh, kw, Ho, Wo), windows.transpose(0, 1, 4, 5, 2, 3))
    return out


def col2im(cols, padded_shape, kernel_shape, stride: int, out=None):
    """Adjoint of :func:`im2col`: sum every patch column back onto its pixels.

    Parameters
    ----------
    cols : (N, C·kh·kw, Ho·Wo) array
    padded_shape : (N, C, Hp, Wp)
    kernel_shape : (kh, kw)
    stride : int
    out : (N, C, Hp, Wp) array, optional
        Buffer for the result; it is overwritten.

    Returns
    -------
    (N, C, Hp, Wp) array with ``out[n, c, p·s + i, q·s + j] += cols[n, (c, i, j), (p, q)]``.
    """
    N, C, Hp, Wp = padded_shape
    kh, kw = kernel_shape
    Ho, Wo = (Hp - kh) // stride + 1, (Wp - kw) // stride + 1
    if out is None:
        out = np.zeros(padded_shape, dtype=cols.dtype)
    else:
        out[...] = 0
    blocks = cols.reshape(N, C, kh, kw, Ho, Wo)
    for i in range(kh):          # kh·kw slice-adds, each over all Ho·Wo positions
        for j in range(kw):
            out[:, :, i:i + stride * Ho:stride, j:j + stride * Wo:stride] += blocks[:, :, i, j]
    return out


def im2col_wide(x_padded, kernel_shape, out=None):
    """:func:`im2col` for stride 1, faster, as "wide" columns.

    Flatten each padded image channel to Hp·Wp numbers. Position t = p·Wp + q of
    the wide grid (q runs over the full padded width Wp, not just Wo) reads pixel
    t + i·Wp + j for kernel offset (i, j): so row (c, i, j) of the patch matrix is
    one contiguous run of the flattened channel, and the copy is kh·kw·C long runs
    instead of many runs of Wo numbers. Columns with q >= Wo are junk (their
    windows wrap into the next row); a product with them is discarded, or they
    meet zeros (see :func:`col2im_wide`). The last kw − 1 positions, which would
    read past the image, are left out.

    Parameters
    ----------
    x_padded : (N, C, Hp, Wp) array
    kernel_shape : (kh, kw)
    out : (N, C·kh·kw, Ho·Wp − kw + 1) array, optional

    Returns
    -------
    cols_wide : (N, C·kh·kw, Ho·Wp − kw + 1) array with
        ``cols_wide[n, (c, i, j), p·Wp + q] = x_padded[n, c, p + i, q + j]`` for q < Wo.
    """
    N, C, Hp, Wp = x_padded.shape
    kh, kw = kernel_shape
    run = (Hp - kh + 1) * Wp - (kw - 1)
    x_padded = np.ascontiguousarray(x_padded)
    item = x_padded.itemsize
    runs = as_strided(x_padded, shape=(N, C, kh, kw, run),
                      strides=(C * Hp * Wp * item, Hp * Wp * item, Wp * item, item, item), writeable=False)
    if out is None:
        out = np.empty((N, C * kh * kw, run), dtype=x_padded.dtype)
    elif out.shape != (N, C * kh * kw, run) or not out.flags.c_contiguous:
        raise ValueError(f"im2col_wide: out must be a C-contiguous array of shape {(N, C * kh * kw, run)}, "
                         f"got shape {out.shape}" + ("" if out.flags.c_contiguous else ", not contiguous"))
    np.copyto(out.reshape(N, C, kh, kw, run), runs)
    return out


def col2im_wide(cols_wide, padded_shape, kernel_shape, out=None):
    """:func:`col2im` for stride 1, faster, on "wide" columns.

    Wide columns have Ho·Wp positions per image instead of Ho·Wo: every output row
    is computed across the full padded width Wp, and the last kw − 1 entries of each
    row must be zero. Then kernel offset (i, j) adds onto one contiguous run of the
    flattened image, starting at i·Wp + j — each of the kh·kw slice-adds is a single
    long run instead of Ho short ones (the zeros that spill into the next row add
    nothing).

    Parameters
    ----------
    cols_wide : (N, C·kh·kw, Ho·Wp) array
    padded_shape : (N, C, Hp, Wp)
    kernel_shape : (kh, kw)
    out : (N, C, Hp·Wp + kw − 1) array, optional
        Flat buffer for the result; it is overwritten.

    Returns
    -------
    (N, C, Hp, Wp) view of ``out``.
    """
    N, C, Hp, Wp = padded_shape
    kh, kw = kernel_shape
    run = (Hp - kh + 1) * Wp
    if out is None:
        out = np.zeros((N, C, Hp * Wp + kw - 1), dtype=cols_wide.dtype)
    else:
        out[...] = 0
    blocks = cols_wide.reshape(N, C, kh, kw, run)
    for i in range(kh):
        for j in range(kw):
            out[:, :, i * Wp + j:i * Wp + j + run] += blocks[:, :, i, j]
    return out[:, :, :Hp * Wp].reshape(padded_shape)


def batch_chunk(n_images: int, bytes_per_image: int, max_bytes: int) -> int:
    """How many images fit in ``max_bytes`` of patch matrix (at least one)."""
    return int(max(1, min(n_images, max_bytes // max(bytes_per_image, 1))))


def batch_chunks(n_images: int, chunk: int) -> list[slice]:
    """The batch as consecutive slices of at most ``chunk`` images."""
    return [slice(start, min(start + chunk, n_images)) for start in range(0, n_images, chunk)]


def conv2d_fast(x, w, b=None, stride=1, padding=0, max_patch_bytes=MAX_PATCH_BYTES):
    """Cross-correlation of a batch with a bank of filters, by im2col and matmul.

    Computes ``out[n, o, p, q] = Σ_{c,i,j} w[o, c, i, j] · xpad[n, c, p·s + i, q·s + j] + b[o]``
    — the notes' Σ_ij w_ij x_{i+p, j+q} + b (before the activation f) for every
    filter o and position (p, q), summed over input channels c. As in the notes
    and in every deep-learning library, the kernel is *not* flipped (a
    convolution in the signal-processing sense would flip it).

    Parameters
    ----------
    x : (N, C, H, W) array, or one (H, W) image
    w : (O, C, kh, kw) array, or one (kh, kw) kernel
    b : (O,) array or None
    stride : int >= 1
    padding : int >= 0 (zeros on every side)
    max_patch_bytes : int
        Cap on the patch matrix; larger batches are processed in chunks.

    Returns
    -------
    (N, O, Ho, Wo) array (or (Ho, Wo) for 2-D input) of the dtype of ``x``.
    """
    x, w, b, stride, padding, squeeze = check_conv_inputs(x, w, b, stride, padding)
    N, C = x.shape[:2]
    O, _, kh, kw = w.shape
    xp = pad_images(x, padding)
    Ho, Wo = (xp.shape[2] - kh) // stride + 1, (xp.shape[3] - kw) // stride + 1
    w_mat = w.reshape(O, C * kh * kw)
    out = np.empty((N, O, Ho * Wo), dtype=x.dtype)
    chunk = batch_chunk(N, C * kh * kw * Ho * Wo * x.itemsize, max_patch_bytes)
    buffer = np.empty((chunk, C * kh * kw, Ho * Wo), dtype=x.dtype)
    for images in batch_chunks(N, chunk):
        cols = im2col(xp[images], (kh, kw), stride, out=buffer[:images.stop - images.start])
        np.matmul(w_mat, cols, out=out[images])
    return finish(out.reshape(N, O, Ho, Wo), b, squeeze)
