"""The tuned engine behind :class:`lecture_nn.Conv2D`: the same products as the lesson, faster.

:class:`FastPatchProducts` computes exactly what notebook 05 writes with
:func:`~lecture_nn.patches.im2col` and :func:`~lecture_nn.patches.col2im`,

    forward:   z[n] = W_mat @ cols[n]                 (cols = im2col(x_padded))
    backward:  ∂ℓ/∂W_mat = Σ_n δ[n] cols[n]ᵀ,   ∂ℓ/∂x = col2im(W_matᵀ δ[n]),

with three tunings, none of which changes what is computed:

* **threads**: images are independent, so the batch is split over threads
  (:func:`lecture_nn.parallel.for_each_part`); the sum over images is taken after
  the parts join, so the result is the same, bit for bit, for any thread count;
* **wide columns** at stride 1 (:func:`im2col_wide`, :func:`col2im_wide`): each
  row of the patch matrix becomes one contiguous run of the image;
* **bounded, reused memory**: the batch is processed in chunks whose patch
  matrix stays under ``max_patch_bytes``; while training, the scratch buffers
  are kept between calls (fresh multi-MB arrays cost page faults every step);
  in evaluation mode nothing is kept, and :meth:`FastPatchProducts.release` frees
  everything (``Layer.clear_cache``, which ``predict`` calls).

Measurements behind these choices are in ``docs/benchmarks.md``.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from lecture_nn.parallel import for_each_part
from lecture_nn.patches import batch_chunk, batch_chunks, col2im, im2col, output_size


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


class FastPatchProducts:
    """Conv2D's products, tuned (see the module docstring); holds what backward needs.

    Parameters
    ----------
    max_patch_bytes : int
        Cap on the patch matrix of one chunk of the batch.
    """

    def __init__(self, max_patch_bytes: int):
        self.max_patch_bytes = max_patch_bytes
        self._buffers: dict[str, np.ndarray] = {}
        self._keep_buffers = False
        self.release()

    def release(self):
        """Forget the forward pass and free every buffer."""
        self.release_buffers()
        self.x_padded = self.cols = None
        self.kernel = self.stride = None

    def release_buffers(self):
        """Free the scratch buffers kept between training steps."""
        self._buffers = {}

    @property
    def dtype(self):
        if self.x_padded is None:
            raise RuntimeError("Conv2D.backward called before forward (or after clear_cache)")
        return self.x_padded.dtype

    def _buffer(self, name, shape, dtype, zero=False):
        buf = self._buffers.get(name)
        if buf is None or buf.shape != shape or buf.dtype != dtype:
            buf = (np.zeros if zero else np.empty)(shape, dtype=dtype)
            if self._keep_buffers:
                self._buffers[name] = buf
        return buf

    def _cols_shape(self):
        """(N, C·kh·kw, positions): wide columns at stride 1, plain ones otherwise."""
        N, C, Hp, Wp = self.x_padded.shape
        kh, kw = self.kernel
        if self.stride == (1, 1):
            return N, C * kh * kw, (Hp - kh + 1) * Wp - (kw - 1)
        Ho, Wo = output_size((Hp, Wp), self.kernel, self.stride)
        return N, C * kh * kw, Ho * Wo

    def _fill_cols(self, images, out):
        if self.stride == (1, 1):
            return im2col_wide(self.x_padded[images], self.kernel, out=out)
        return im2col(self.x_padded[images], self.kernel, self.stride, out=out)

    def forward(self, W_mat, x_padded, kernel, stride, bias, keep_buffers: bool):
        """z[n] = W_mat @ im2col(x_padded)[n] + bias for every image: (N, O, Ho, Wo)."""
        self._keep_buffers = keep_buffers
        if not keep_buffers:
            self.release_buffers()
        self.x_padded, self.kernel, self.stride = x_padded, tuple(kernel), tuple(stride)
        N, K, positions = self._cols_shape()
        Hp, Wp = x_padded.shape[2:]
        Ho, Wo = output_size((Hp, Wp), self.kernel, self.stride)
        O, dtype = W_mat.shape[0], x_padded.dtype
        chunk = batch_chunk(N, K * positions * x_padded.itemsize, self.max_patch_bytes)
        cols = self._buffer("cols", (chunk, K, positions), dtype)
        b = bias[:, None]
        z = np.empty((N, O, Ho, Wo), dtype=dtype)
        if self.stride == (1, 1):   # products over the padded width, then the junk columns dropped
            z_wide = self._buffer("z_wide", (chunk, O, Ho, Wp), dtype)

            def part(images, rows):   # images of the batch, rows of the chunk's buffers
                self._fill_cols(images, cols[rows])
                np.matmul(W_mat, cols[rows], out=_flat(z_wide[rows])[..., :positions])
                np.copyto(z[images], z_wide[rows, ..., :Wo])
                z_part = _flat(z[images])
                z_part += b         # on the contiguous result: faster than adding while cropping
        else:
            def part(images, rows):
                self._fill_cols(images, cols[rows])
                z_part = _flat(z[images])
                np.matmul(W_mat, cols[rows], out=z_part)
                z_part += b

        for batch in batch_chunks(N, chunk):
            for_each_part(lambda images: part(images, _within(images, batch)), batch)
        # the whole batch's patch matrix, kept while training: backward then skips im2col
        self.cols = cols if (chunk >= N and keep_buffers) else None
        return z

    def backward(self, W_mat, delta, padding, input_grad: bool = True):
        """(∂ℓ/∂W_mat of shape (O, C·kh·kw), ∂ℓ/∂x of the unpadded input's shape or None)."""
        N, K, positions = self._cols_shape()
        O, dtype = W_mat.shape[0], self.x_padded.dtype
        C, Hp, Wp = self.x_padded.shape[1:]
        (kh, kw), (ph, pw) = self.kernel, padding
        H, W = Hp - 2 * ph, Wp - 2 * pw
        Ho, Wo = delta.shape[2:]
        chunk = batch_chunk(N, K * positions * self.x_padded.itemsize, self.max_patch_bytes)
        # every buffer is made here, before the parts run: each part fills only its own rows
        cols = self.cols if self.cols is not None else self._buffer("cols", (chunk, K, positions), dtype)
        dW_per_image = self._buffer("dW_per_image", (chunk, K, O), dtype)
        grad_x = np.empty((N, C, H, W), dtype=dtype) if input_grad else None
        wide = self.stride == (1, 1)
        if wide:
            # δ laid out over the padded width; the columns Wo..Wp are never written, so stay zero
            delta_wide = self._buffer("delta_wide", (chunk, O, Ho, Wp), dtype, zero=True)
            dcols = self._buffer("dcols_wide", (chunk, K, Ho * Wp), dtype)
            dx_padded = self._buffer("dx_flat", (chunk, C, Hp * Wp + kw - 1), dtype)
        else:
            dcols = self._buffer("dcols", (chunk, K, Ho * Wo), dtype)
            dx_padded = self._buffer("dx_padded", (chunk, C, Hp, Wp), dtype)

        def part(images, rows):
            n = rows.stop - rows.start
            if self.cols is None:
                self._fill_cols(images, cols[rows])
            if wide:
                delta_wide[rows, ..., :Wo] = delta[images]
                d = _flat(delta_wide[rows])                  # (n, O, Ho·Wp)
                d_cols = d[..., :positions]                  # matches the wide columns
            else:
                d = d_cols = _flat(delta[images])            # (n, O, Ho·Wo)
            # cols[n] δ[n]ᵀ is image n's share of ∂ℓ/∂W_matᵀ (this operand order runs faster in BLAS)
            np.matmul(cols[rows], d_cols.transpose(0, 2, 1), out=dW_per_image[rows])
            if grad_x is None:
                return
            np.matmul(W_mat.T, d, out=dcols[rows])           # ∂ℓ/∂cols = W_matᵀ δ
            if wide:
                padded = col2im_wide(dcols[rows], (n, C, Hp, Wp), (kh, kw), out=dx_padded[rows])
            else:
                padded = col2im(dcols[rows], (n, C, Hp, Wp), (kh, kw), self.stride, out=dx_padded[rows])
            grad_x[images] = padded[:, :, ph:ph + H, pw:pw + W]

        dW = np.zeros((K, O), dtype=dtype)
        for batch in batch_chunks(N, chunk):
            for_each_part(lambda images: part(images, _within(images, batch)), batch)
            # summed after the parts are done: the same sum for any number of threads
            dW += dW_per_image[:batch.stop - batch.start].sum(axis=0)
        return dW.T, grad_x


def _flat(images):
    """View an (n, channels, h, w) block as (n, channels, h·w)."""
    n, channels = images.shape[:2]
    return images.reshape(n, channels, -1)


def _within(images, batch):
    """``images`` (a slice of the batch) as rows of buffers that hold the chunk ``batch``."""
    return slice(images.start - batch.start, images.stop - batch.start)
