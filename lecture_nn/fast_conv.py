"""The tuned engine behind :class:`lecture_nn.Conv2D`: the same products as the lesson, faster.

:class:`FastPatchProducts` computes exactly what notebook 05 writes with
:func:`~lecture_nn.patches.im2col` and :func:`~lecture_nn.patches.col2im`,

    forward:   z[n] = W_mat @ cols[n]                 (cols = im2col(x_padded))
    backward:  ∂ℓ/∂W_mat = Σ_n δ[n] cols[n]ᵀ,   ∂ℓ/∂x = col2im(W_matᵀ δ[n]),

with these tunings, none of which changes what is computed (only the order in
which sums are rounded):

* **threads**: images are independent, so the batch is split over threads
  (:func:`lecture_nn.parallel.for_each_part`); the sum over images is taken after
  the parts join, so the result is the same, bit for bit, for any thread count.
  A thread gets at least :data:`MIN_WORK_PER_THREAD` multiply-adds: for less,
  waking it costs more than it saves, and the batch stays in the calling thread;
* **channel runs** at stride 1 (:func:`im2col_runs`, :func:`col2im_runs`): the
  rows of the patch matrix are ordered (kernel offset, channel) instead of
  (channel, kernel offset), so that for one image and one offset the rows of all
  channels are a single contiguous run of the flattened image; the patch matrix
  is then kh·kw long copies per image instead of C·kh·kw short ones, and col2im
  one numpy reduction over a strided view;
* **the bias as a weight** at stride 1: each image's patch matrix ends with a row
  of ones, whose weight is the bias (b is the weight of a constant input 1), so
  the forward product adds b and the product for ∂ℓ/∂W gives ∂ℓ/∂b = Σ δ;
* **bounded, reused memory**: the batch is processed in chunks whose patch
  matrix stays under ``max_patch_bytes``; while training, the scratch buffers
  are kept between calls (fresh multi-MB arrays cost page faults every step).
  In evaluation mode no scratch buffer is kept, only the padded input that
  backward needs; :meth:`FastPatchProducts.release` frees everything (``Conv2D``
  calls it from ``eval()`` and ``clear_cache()``, which ``predict`` calls).

Measurements behind these choices are in ``docs/benchmarks.md``.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from lecture_nn.parallel import for_each_part
from lecture_nn.patches import batch_chunk, batch_chunks, col2im, im2col, output_size

MIN_WORK_PER_THREAD = 2**23
"""Multiply-adds (of the three products of a training step) a thread must get before the
batch is split. On the 2-core VM of ``docs/benchmarks.md`` a parallel section costs 130–170 µs
of wake-ups, and a second thread broke even at 8–12 Mi multiply-adds per thread."""


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


def _run_length(channels, padded_hw, kernel_shape):
    """Numbers copied per image and kernel offset by :func:`im2col_runs`: (C − 1)·Hp·Wp + P."""
    (Hp, Wp), (kh, kw) = padded_hw, kernel_shape
    return (channels - 1) * Hp * Wp + (Hp - kh + 1) * Wp - (kw - 1)


def _runs_source(x_padded, kernel_shape):
    """Read-only view (N, kh, kw, run) of a C-contiguous batch: [n, i, j] is the run that row (i, j) of
    image n's patch matrix copies, from number i·Wp + j of the flattened image to its last number."""
    N, C, Hp, Wp = x_padded.shape
    item = x_padded.itemsize
    return as_strided(x_padded, shape=(N, *kernel_shape, _run_length(C, (Hp, Wp), kernel_shape)),
                      strides=(C * Hp * Wp * item, Wp * item, item, item), writeable=False)


def _runs_at_pixels(dcols_runs, padded_width, kernel_shape):
    """Read-only view (N, kh, kw, C·S) of C-contiguous runs: [n, i, j, m] is ``dcols_runs[n, (i, j), m − i·Wp − j]``,
    row (i, j) moved onto the numbers it adds to. Before a row's start it reads the previous row's last
    i·Wp + j entries: junk of the last channel, which must be zero (for (0, 0) there is nothing before)."""
    N, _, length = dcols_runs.shape
    (kh, kw), Wp, item = kernel_shape, padded_width, dcols_runs.itemsize
    return as_strided(dcols_runs, shape=(N, kh, kw, length),
                      strides=(kh * kw * length * item, (kw * length - Wp) * item, (length - 1) * item, item),
                      writeable=False)


def im2col_runs(x_padded, kernel_shape, out=None):
    """The patch matrix at stride 1 with its rows ordered (i, j, c): kh·kw copies per image.

    Flatten each padded image, channel after channel, to C·S numbers (S = Hp·Wp).
    Kernel offset (i, j) at the wide position t = p·Wp + q (q over the full padded
    width, as in :func:`im2col_wide`) reads number c·S + t + i·Wp + j of channel c:
    for one image and one offset the rows of all C channels, S apart, are a single
    run of the flattened image, copied at once.

    Parameters
    ----------
    x_padded : (N, C, Hp, Wp) array
    kernel_shape : (kh, kw)
    out : (N, kh·kw, C·S) C-contiguous array, optional

    Returns
    -------
    runs : (N, kh·kw, C·S) array; viewed as (N, kh·kw·C, S), row (i, j, c) of image n
        holds ``x_padded[n, c, p + i, q + j]`` at column p·Wp + q, for q < Wo. Only its
        first P = Ho·Wp − kw + 1 columns are patch columns, and those with q >= Wo are
        junk; the columns from P on are junk too (for the last channel: not written).
    """
    N, C, Hp, Wp = x_padded.shape
    kh, kw = kernel_shape
    shape = (N, kh * kw, C * Hp * Wp)
    if out is None:
        out = np.zeros(shape, dtype=x_padded.dtype)
    elif out.shape != shape or not out.flags.c_contiguous:
        raise ValueError(f"im2col_runs: out must be a C-contiguous array of shape {shape}, got shape "
                         f"{out.shape}" + ("" if out.flags.c_contiguous else ", not contiguous"))
    source = _runs_source(np.ascontiguousarray(x_padded), kernel_shape)
    np.copyto(out[..., :source.shape[-1]].reshape(source.shape), source)
    return out


def col2im_runs(dcols_runs, padded_shape, kernel_shape, out=None):
    """:func:`col2im` for stride 1 on the layout of :func:`im2col_runs`: one sum over kernel offsets.

    Row (i, j, c) adds onto the flattened image from number c·S + i·Wp + j on, so
    ``out[n, m] = Σ_ij dcols_runs[n, (i, j), m − (i·Wp + j)]``: one numpy reduction over
    a strided view in which the rows of each offset are moved to where they add
    (kh·kw separate slice-additions cost several times more). Every junk entry of
    ``dcols_runs`` (columns q >= Wo, and the columns from P on) must be zero: the view
    reads them where an offset's rows start before the image or spill into the next
    row or channel.

    Parameters
    ----------
    dcols_runs : (N, kh·kw, C·Hp·Wp) C-contiguous array
    padded_shape : (N, C, Hp, Wp)
    kernel_shape : (kh, kw)
    out : (N, C·Hp·Wp) array, optional
        Buffer for the result; it is overwritten.

    Returns
    -------
    (N, C, Hp, Wp) view of ``out``.
    """
    N, C, Hp, Wp = padded_shape
    kh, kw = kernel_shape
    shape = (N, kh * kw, C * Hp * Wp)
    if dcols_runs.shape != shape or not dcols_runs.flags.c_contiguous:
        raise ValueError(f"col2im_runs: dcols_runs must be a C-contiguous array of shape {shape}, got shape "
                         f"{dcols_runs.shape}" + ("" if dcols_runs.flags.c_contiguous else ", not contiguous"))
    if out is None:
        out = np.empty((N, C * Hp * Wp), dtype=dcols_runs.dtype)
    np.add.reduce(_runs_at_pixels(dcols_runs, Wp, kernel_shape), axis=(1, 2), out=out)
    return out.reshape(padded_shape)


class _Layout:
    """Sizes of one forward pass, worked out once: the backward pass reuses them.

    With channel runs (stride 1) each image's patch matrix has a last row of ones
    after its K rows: the bias is the weight of that constant input, so the forward
    product adds it, and the product for ∂ℓ/∂W gives ∂ℓ/∂b = Σ δ as its last row."""

    def __init__(self, x_shape, kernel, stride, out_channels, itemsize, max_patch_bytes):
        N, C, Hp, Wp = x_shape
        (kh, kw), self.stride = kernel, stride
        self.N, self.C, self.Hp, self.Wp, self.kh, self.kw, self.O = N, C, Hp, Wp, kh, kw, out_channels
        self.Ho, self.Wo = output_size((Hp, Wp), kernel, stride)
        self.K = C * kh * kw                      # rows of the patch matrix
        self.runs = stride == (1, 1)              # channel runs: rows (i, j, c), S apart
        if self.runs:
            self.S = Hp * Wp                      # the row stride of the patch matrix
            self.P = self.Ho * Wp - (kw - 1)      # its columns: wide positions p·Wp + q
            self.cols_shape = ((self.K + 1) * self.S,)      # the K rows, then the row of ones
            self.dcols_shape = (kh * kw, C * self.S)
        else:
            self.P = self.Ho * self.Wo
            self.cols_shape = self.dcols_shape = (self.K, self.P)
        self.chunk = batch_chunk(N, int(np.prod(self.cols_shape)) * itemsize, max_patch_bytes)
        # forward and backward each do about 3·O·K·Ho·Wo multiply-adds per image in their products
        self.images_per_thread = -(-MIN_WORK_PER_THREAD // (3 * out_channels * self.K * self.Ho * self.Wo))

    def matrices(self, buffer, rows):
        """The (n, rows, P) matrices of a block of a patch-matrix buffer (a view)."""
        if self.runs:
            return buffer.reshape(len(buffer), -1)[:, :rows * self.S].reshape(len(buffer), rows, self.S)[..., :self.P]
        return buffer

    def order_rows(self, W_mat):
        """W_mat (O, K) with its columns in the order of the patch matrix's rows: (i, j, c) for runs."""
        if not self.runs:
            return W_mat
        return W_mat.reshape(self.O, self.C, self.kh, self.kw).transpose(0, 2, 3, 1).reshape(self.O, self.K)

    def order_columns(self, dW_rows):
        """∂ℓ/∂W_mat (O, K) with columns (c, i, j) from its transpose (K, O) in the patch matrix's row order."""
        if not self.runs:
            return dW_rows.T
        return dW_rows.reshape(self.kh, self.kw, self.C, self.O).transpose(3, 2, 0, 1).reshape(self.O, self.K)


class FastPatchProducts:
    """Conv2D's products, tuned (see the module docstring); holds what backward needs.

    It computes in the dtype of the padded input it is given (``Conv2D`` casts the
    input to its parameters' dtype first).

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
        self.x_padded = self.layout = None

    def release_buffers(self):
        """Free the scratch buffers kept between training steps (the patch matrix among them)."""
        self._buffers = {}
        self.cols = None

    def _buffer(self, name, shape, dtype, zero=False):
        buf = self._buffers.get(name)
        if buf is None or buf.shape != shape or buf.dtype != dtype:
            buf = (np.zeros if zero else np.empty)(shape, dtype=dtype)
            if self._keep_buffers:
                self._buffers[name] = buf
        return buf

    def _each_chunk(self, part):
        """Run ``part(images, rows)`` over the batch, chunk by chunk, each chunk split over threads;
        yields each chunk (a slice of the batch) once its parts are done."""
        images_per_thread = self.layout.images_per_thread
        for batch in batch_chunks(self.layout.N, self.layout.chunk):
            for_each_part(lambda images: part(images, _within(images, batch)), batch,
                          min_part_size=images_per_thread)
            yield batch

    def _patch_matrix(self, cols):
        """``(fill, patches)``: ``fill(images, rows)`` puts the patch matrices of those images of the
        batch into rows of ``cols``, and ``patches`` views those as (chunk, K (+ 1), P) matrices.

        At stride 1 the strided views are made here, once, so that a part only slices them
        and copies (the threads wait for each other's Python code, not for numpy's)."""
        L = self.layout
        if L.runs:
            cols[:, L.K * L.S:] = 1                      # the row of ones, for the bias
            source = _runs_source(self.x_padded, (L.kh, L.kw))
            runs = cols[:, :L.K * L.S].reshape((L.chunk,) + L.dcols_shape)       # (chunk, kh·kw, C·S)
            targets = runs[..., :source.shape[-1]].reshape((L.chunk,) + source.shape[1:])
            return (lambda images, rows: np.copyto(targets[rows], source[images])), L.matrices(cols, L.K + 1)
        return (lambda images, rows: im2col(self.x_padded[images], (L.kh, L.kw), L.stride, out=cols[rows]),
                cols)

    def forward(self, W_mat, x_padded, kernel, stride, bias, keep_buffers: bool):
        """z[n] = W_mat @ im2col(x_padded)[n] + bias for every image: (N, O, Ho, Wo).

        ``W_mat`` is (O, C·kh·kw) with columns (c, i, j), as ``W.reshape(O, -1)``."""
        self._keep_buffers = keep_buffers
        if not keep_buffers:
            self.release_buffers()
        self.cols = None                  # set again once the whole batch's patch matrix is complete
        self.x_padded = x_padded = np.ascontiguousarray(x_padded)
        L = self.layout = _Layout(x_padded.shape, tuple(kernel), tuple(stride), len(W_mat), x_padded.itemsize,
                                  self.max_patch_bytes)
        dtype = x_padded.dtype
        cols = self._buffer("cols", (L.chunk,) + L.cols_shape, dtype)
        fill_cols, patches = self._patch_matrix(cols)
        z = np.empty((L.N, L.O, L.Ho, L.Wo), dtype=dtype)
        if L.runs:    # products over the padded width, the bias by the row of ones; junk columns dropped
            W_and_b = np.concatenate((L.order_rows(W_mat), bias[:, None]), axis=1)
            z_wide = self._buffer("z_wide", (L.chunk, L.O, L.Ho, L.Wp), dtype)
            products, valid = _flat(z_wide)[..., :L.P], z_wide[..., :L.Wo]

            def part(images, rows):   # images of the batch, rows of the chunk's buffers
                fill_cols(images, rows)
                np.matmul(W_and_b, patches[rows], out=products[rows])
                np.copyto(z[images], valid[rows])
        else:
            z_flat, b = _flat(z), bias[:, None]

            def part(images, rows):
                fill_cols(images, rows)
                np.matmul(W_mat, patches[rows], out=z_flat[images])
                np.add(z_flat[images], b, out=z_flat[images])

        for _ in self._each_chunk(part):
            pass
        # the whole batch's patch matrix, kept while training: backward then skips im2col
        self.cols = cols if (L.chunk >= L.N and keep_buffers) else None
        return z

    def backward(self, W_mat, delta, padding, input_grad: bool = True):
        """(∂ℓ/∂W_mat (O, C·kh·kw), ∂ℓ/∂b (O,), ∂ℓ/∂x of the unpadded input's shape or None).

        ``delta`` is (N, O, Ho, Wo) in the dtype of the forward pass."""
        if self.x_padded is None:
            raise RuntimeError("Conv2D.backward called before forward (or after eval() or clear_cache())")
        L, dtype = self.layout, self.x_padded.dtype
        (ph, pw) = padding
        H, W = L.Hp - 2 * ph, L.Wp - 2 * pw
        W_rows = L.order_rows(W_mat)
        # every buffer and view is made here, before the parts run: each part fills only its own rows
        kept = self.cols is not None
        cols = self.cols if kept else self._buffer("cols", (L.chunk,) + L.cols_shape, dtype)
        fill_cols, patches = self._patch_matrix(cols)
        rows_dW = patches.shape[1]                          # K, and the row of ones for ∂ℓ/∂b with runs
        dW_per_image = self._buffer("dW_per_image", (L.chunk, rows_dW, L.O), dtype)
        grad_x = np.empty((L.N, L.C, H, W), dtype=dtype) if input_grad else None
        if L.runs:
            # δ laid out over the padded width; the columns Wo..Wp are never written, so stay zero
            delta_wide = self._buffer("delta_wide", (L.chunk, L.O, L.Ho, L.Wp), dtype, zero=True)
            d, delta_valid = _flat(delta_wide)[..., :L.P], delta_wide[..., :L.Wo]   # d matches the patch columns
            # the products write the first P columns of each row: the rest stays zero, as col2im_runs needs
            dcols = self._buffer("dcols_runs", (L.chunk,) + L.dcols_shape, dtype, zero=True)
            dx_padded = self._buffer("dx_runs", (L.chunk, L.C * L.S), dtype)
            at_pixels = _runs_at_pixels(dcols, L.Wp, (L.kh, L.kw))
        else:
            d = _flat(delta)                                 # (N, O, Ho·Wo), indexed by images
            dcols = self._buffer("dcols", (L.chunk,) + L.dcols_shape, dtype)
            dx_padded = self._buffer("dx_padded", (L.chunk, L.C, L.Hp, L.Wp), dtype)
        dcols_matrices = L.matrices(dcols, L.K)
        dx_valid = dx_padded.reshape(L.chunk, L.C, L.Hp, L.Wp)[:, :, ph:ph + H, pw:pw + W]

        def part(images, rows):
            if not kept:
                fill_cols(images, rows)
            if L.runs:
                np.copyto(delta_valid[rows], delta[images])
                d_part = d[rows]
            else:
                d_part = d[images]
            # cols[n] δ[n]ᵀ is image n's share of ∂ℓ/∂W_matᵀ (this operand order runs faster in BLAS)
            np.matmul(patches[rows], d_part.transpose(0, 2, 1), out=dW_per_image[rows])
            if grad_x is None:
                return
            np.matmul(W_rows.T, d_part, out=dcols_matrices[rows])       # ∂ℓ/∂cols = W_matᵀ δ
            if L.runs:       # col2im_runs, on views made once
                np.add.reduce(at_pixels[rows], axis=(1, 2), out=dx_padded[rows])
            else:
                col2im(dcols[rows], (rows.stop - rows.start, L.C, L.Hp, L.Wp), (L.kh, L.kw), L.stride,
                       out=dx_padded[rows])
            np.copyto(grad_x[images], dx_valid[rows])

        dW_rows = np.zeros((rows_dW, L.O), dtype=dtype)
        for batch in self._each_chunk(part):
            # summed after the parts are done: the same sum for any number of threads
            dW_rows += dW_per_image[:batch.stop - batch.start].sum(axis=0)
        # copies, not views of dW_rows: the layer keeps the gradients and nothing more
        grad_W = L.order_columns(dW_rows[:L.K]).copy()
        grad_b = dW_rows[L.K].copy() if L.runs else delta.sum(axis=(0, 2, 3))
        return grad_W, grad_b, grad_x


def _flat(images):
    """View an (n, channels, h, w) block as (n, channels, h·w)."""
    n, channels = images.shape[:2]
    return images.reshape(n, channels, -1)


def _within(images, batch):
    """``images`` (a slice of the batch) as rows of buffers that hold the chunk ``batch``."""
    return slice(images.start - batch.start, images.stop - batch.start)
