"""The convolution as a matrix acting on the flattened image (notes §5.1, the exercise).

Convolution is linear in the image, so for a fixed kernel there is a matrix M
with ``M @ x.ravel() == conv(x, w).ravel()``. Row r = (p, q) of M holds the
kernel weights w[i, j] in the columns of the pixels (p·s + i, q·s + j) its
window covers, and zeros elsewhere: out of the H·W entries of a row only
kh·kw are non-zero, so M is very sparse — and each row is the previous one
shifted, which is the structure the fast methods exploit.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse

from lecture_nn.checks import as_float_array
from lecture_nn.patches import output_size, pair


def conv_matrix(image_shape, w, stride=1, padding=0, sparse=False):
    """The (Ho·Wo) × (H·W) matrix M of the cross-correlation of an H×W image with ``w``.

    Parameters
    ----------
    image_shape : (H, W) or int
    w : (kh, kw) array
        The kernel.
    stride, padding : int or (int, int)
        As in :func:`lecture_nn.lessons.convolution.conv2d_fast`. Padded zeros multiply
        nothing, so their weights are simply left out of M.
    sparse : bool
        Return a ``scipy.sparse.csr_array`` instead of a dense ndarray.

    Returns
    -------
    M : (Ho·Wo, H·W) array or csr_array
        ``M @ x.ravel()`` equals ``conv2d_fast(x, w, stride=stride, padding=padding).ravel()``.

    Examples
    --------
    >>> conv_matrix((5, 5), np.ones((2, 2))).shape   # the notes' exercise
    (16, 25)
    """
    H, W = pair(image_shape, "image_shape", 1)
    w = as_float_array(w, "w (the kernel)", ndim=2)
    kh, kw = w.shape
    (sh, sw), (ph, pw) = pair(stride, "stride", 1), pair(padding, "padding", 0)
    Ho, Wo = output_size((H, W), (kh, kw), (sh, sw), (ph, pw))
    # one entry per (output pixel, kernel offset): its row, column and weight
    p, q, i, j = np.meshgrid(np.arange(Ho), np.arange(Wo), np.arange(kh), np.arange(kw),
                             indexing="ij")
    rows_in, cols_in = p * sh + i - ph, q * sw + j - pw
    inside = (rows_in >= 0) & (rows_in < H) & (cols_in >= 0) & (cols_in < W)
    row = (p * Wo + q)[inside]
    col = (rows_in * W + cols_in)[inside]
    values = np.broadcast_to(w, p.shape)[inside]
    if sparse:
        return scipy.sparse.csr_array((values, (row, col)), shape=(Ho * Wo, H * W))
    M = np.zeros((Ho * Wo, H * W), dtype=w.dtype)
    M[row, col] = values          # each (row, col) pair occurs once: no accumulation needed
    return M
