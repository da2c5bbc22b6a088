"""The tuned engine behind :class:`lecture_nn.Conv2D`: the same products as the lesson, faster.

:class:`FastPatchProducts` computes exactly what notebook 05 writes with
:func:`~lecture_nn.patches.im2col` and :func:`~lecture_nn.patches.col2im`,

    forward:   z[n] = W_mat @ cols[n]                 (cols = im2col(x_padded))
    backward:  ∂ℓ/∂W_mat = Σ_n δ[n] cols[n]ᵀ,   ∂ℓ/∂x = col2im(W_matᵀ δ[n]),

with these tunings, none of which changes what is computed (only the order in
which sums are rounded):

* **threads**: images are independent, so the batch is split over threads
  (:func:`lecture_nn.parallel.for_each_part`); the sum over images is taken after
  the parts join, so the result is the same, bit for bit, for any thread count
  and any split. A thread gets at least :data:`MIN_WORK_PER_THREAD` multiply-adds:
  for less, waking it costs more than it saves, and the batch stays in the calling
  thread. The calling thread's part is longer by the images it gets done while our
  thread wakes up (a measured :class:`~lecture_nn.parallel.Pace` per pass);
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
  are kept between calls (fresh multi-MB arrays cost page faults every step),
  and with them every view into them (:class:`_Plan`, one per input shape: a
  step then costs a few numpy calls and little Python). In evaluation mode no
  scratch buffer is kept, only the padded input that backward needs;
  :meth:`FastPatchProducts.release` frees everything (``Conv2D`` calls it from
  ``eval()`` and ``clear_cache()``, which ``predict`` calls).

Measurements behind these choices are in ``docs/benchmarks.md``.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from lecture_nn.parallel import Pace, for_each_part
from lecture_nn.patches import batch_chunk, batch_chunks, col2im, im2col, output_size

MIN_WORK_PER_THREAD = 2**23
"""Multiply-adds (of the three products of a training step) a thread must get before the
batch is split, forward and backward alike. On the 2-core VM of ``docs/benchmarks.md`` a
second thread broke even at 5–6 Mi multiply-adds per thread (S2's layer on 32 images) and
saved a fifth at 11 Mi (on 64); a step with one pass split and the other not was slower
than either."""


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
    image n's patch matrix copies, from number i·Wp + j of the flattened image to its last number.

    Made by the ndarray constructor: a training step makes it anew for every batch, and
    ``as_strided`` costs several µs more in the calling thread."""
    N, C, Hp, Wp = x_padded.shape
    item = x_padded.itemsize
    view = np.ndarray((N, *kernel_shape, _run_length(C, (Hp, Wp), kernel_shape)), x_padded.dtype, x_padded, 0,
                      (C * Hp * Wp * item, Wp * item, item, item))
    view.flags.writeable = False
    return view


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

    def __init__(self, x_shape, kernel, stride, padding, out_channels, itemsize, max_patch_bytes):
        N, C, H, W = x_shape
        (kh, kw), (ph, pw) = kernel, padding
        Hp, Wp = H + 2 * ph, W + 2 * pw
        self.N, self.C, self.H, self.W, self.Hp, self.Wp = N, C, H, W, Hp, Wp
        self.kh, self.kw, self.O, self.stride, self.padding = kh, kw, out_channels, stride, padding
        self.Ho, self.Wo = output_size((H, W), kernel, stride, padding)   # raises if the kernel does not fit
        self.output_shape = (N, out_channels, self.Ho, self.Wo)
        self.K = C * kh * kw                      # rows of the patch matrix
        self.runs = stride == (1, 1)              # channel runs: rows (i, j, c), S apart
        if self.runs:
            self.S = Hp * Wp                      # the row stride of the patch matrix
            self.P = self.Ho * Wp - (kw - 1)      # its columns: wide positions p·Wp + q
            self.cols_shape = ((self.K + 1) * self.S,)      # the K rows, then the row of ones
            self.dcols_shape = (kh * kw, C * self.S)
            self.run_length = _run_length(C, (Hp, Wp), kernel)
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

    def order_rows(self, W_mat, out):
        """Write W_mat (O, K), columns (c, i, j), into ``out`` (O, K) with its columns in the order of
        the patch matrix's rows: (i, j, c) for runs."""
        if self.runs:
            np.copyto(out.reshape(self.O, self.kh, self.kw, self.C),
                      W_mat.reshape(self.O, self.C, self.kh, self.kw).transpose(0, 2, 3, 1))
        else:
            np.copyto(out, W_mat)

    def order_columns(self, dW_rows):
        """∂ℓ/∂W_mat (O, K) with columns (c, i, j), a new array, from its transpose (K, O) whose rows
        are in the patch matrix's row order."""
        grad = np.empty((self.O, self.K), dtype=dW_rows.dtype)
        if self.runs:
            np.copyto(grad.reshape(self.O, self.C, self.kh, self.kw),
                      dW_rows.reshape(self.kh, self.kw, self.C, self.O).transpose(3, 2, 0, 1))
        else:
            np.copyto(grad, dW_rows.T)
        return grad


class _Plan:
    """One input shape's buffers, the views into them and the work of a part, made once.

    While training, :class:`FastPatchProducts` keeps its plan between steps, so that a step
    costs a few numpy calls per part and little Python: on the 2-core VM of
    ``docs/benchmarks.md`` every µs of Python in the calling thread is a µs more per step.
    ``buffer(name, shape, zero)`` allocates an array: one kept between steps while
    training, a fresh one in evaluation mode. Every view is made before the parts run,
    and each part fills only its own rows.
    """

    _KEPT = ("layout", "dtype", "buffer", "key", "forward_pace", "backward_pace", "x_padded")

    def __init__(self, layout: _Layout, dtype, buffer, key):
        self.layout, self.dtype, self.buffer, self.key = layout, dtype, buffer, key
        # the calling thread's measured time per image, for the split (lecture_nn.parallel)
        self.forward_pace, self.backward_pace = Pace(), {True: Pace(), False: Pace()}
        self.x_padded = None              # the padded input of the last forward pass
        self.drop_buffers()

    def drop_buffers(self):
        """Forget every buffer and view; keep the layout, the paces and the padded input."""
        kept = {name: self.__dict__[name] for name in self._KEPT}
        self.__dict__.clear()
        self.__dict__.update(kept)
        self.forward_views = self.backward_views = None
        self.cols_hold_batch = False      # the patch matrix of the whole last batch is in the buffer
        self.offset = 0                   # the first image of the chunk the parts work on

    # --- views, made once per plan --------------------------------------------------------------
    def _make_forward_views(self):
        L, buffer = self.layout, self.buffer
        self.cols = cols = buffer("cols", (L.chunk,) + L.cols_shape)
        if L.runs:
            cols[:, L.K * L.S:] = 1                      # the row of ones, for the bias
            self.patches = L.matrices(cols, L.K + 1)
            runs = cols[:, :L.K * L.S].reshape((L.chunk,) + L.dcols_shape)          # (chunk, kh·kw, C·S)
            self.targets = runs[..., :L.run_length].reshape(L.chunk, L.kh, L.kw, L.run_length)
            self.W_and_b = np.empty((L.O, L.K + 1), dtype=self.dtype)
            z_wide = buffer("z_wide", (L.chunk, L.O, L.Ho, L.Wp))
            self.products, self.valid = _flat(z_wide)[..., :L.P], z_wide[..., :L.Wo]
        else:
            self.patches = cols
        self.forward_views = True

    def _make_backward_views(self, input_grad):
        L, buffer = self.layout, self.buffer
        if self.forward_views is None:
            self._make_forward_views()
        self.dW_per_image = buffer("dW_per_image", (L.chunk, self.patches.shape[1], L.O))
        self.W_rows = np.empty((L.O, L.K), dtype=self.dtype)
        if L.runs:
            # δ laid out over the padded width; the columns Wo..Wp are never written, so stay zero
            delta_wide = buffer("delta_wide", (L.chunk, L.O, L.Ho, L.Wp), zero=True)
            self.d, self.delta_valid = _flat(delta_wide)[..., :L.P], delta_wide[..., :L.Wo]
        if input_grad:
            if L.runs:
                # the products write the first P columns of each row: the rest stays zero, as col2im_runs needs
                self.dcols = buffer("dcols_runs", (L.chunk,) + L.dcols_shape, zero=True)
                self.at_pixels = _runs_at_pixels(self.dcols, L.Wp, (L.kh, L.kw))
            else:
                self.dcols = buffer("dcols", (L.chunk,) + L.dcols_shape)
            self.dcols_matrices = L.matrices(self.dcols, L.K)
            if L.padding != (0, 0):      # col2im's result is padded: its inside is copied out
                (ph, pw) = L.padding
                self.dx_padded = buffer("dx_padded", (L.chunk, L.C, L.Hp, L.Wp))
                self.dx_valid = self.dx_padded[:, :, ph:ph + L.H, pw:pw + L.W]
        self.backward_views = input_grad

    # --- where a part copies its patches from ---------------------------------------------------
    def _set_source(self):
        if self.layout.runs:
            self.source = _runs_source(self.x_padded, (self.layout.kh, self.layout.kw))

    def _fill(self, images, rows):
        """Put the patch matrices of ``images`` of the batch into ``rows`` of the buffer."""
        L = self.layout
        if L.runs:
            np.copyto(self.targets[rows], self.source[images])
        else:
            im2col(self.x_padded[images], (L.kh, L.kw), L.stride, out=self.cols[rows])

    def _rows(self, images):
        offset = self.offset
        return images if offset == 0 else slice(images.start - offset, images.stop - offset)

    # --- forward ------------------------------------------------------------------------------
    def forward(self, W_mat, bias, x):
        L = self.layout
        if self.forward_views is None:
            self._make_forward_views()
        self.cols_hold_batch = False
        (ph, pw) = L.padding
        if ph or pw:
            self.x_padded = x_padded = self.buffer("x_padded", (L.N, L.C, L.Hp, L.Wp), zero=True)
            x_padded[:, :, ph:ph + L.H, pw:pw + L.W] = x                 # the border stays zero
        else:
            self.x_padded = np.ascontiguousarray(x)
        self._set_source()
        self.z = z = np.empty(L.output_shape, dtype=self.dtype)
        if L.runs:      # the bias as the weight of the row of ones
            L.order_rows(W_mat, self.W_and_b[:, :L.K])
            self.W_and_b[:, L.K] = bias
            work = self._forward_part_runs
        else:
            self.W_mat, self.bias = W_mat, bias[:, None]
            work = self._forward_part
        try:
            for batch in batch_chunks(L.N, L.chunk):
                self.offset = batch.start
                for_each_part(work, batch, min_part_size=L.images_per_thread, pace=self.forward_pace)
        finally:
            self.z = None                 # the output is the caller's
        # the whole batch's patch matrix stays in the buffer: backward then skips im2col
        self.cols_hold_batch = L.chunk >= L.N
        return z

    def _forward_part_runs(self, images):
        rows = self._rows(images)
        np.copyto(self.targets[rows], self.source[images])
        np.matmul(self.W_and_b, self.patches[rows], out=self.products[rows])   # over the padded width
        np.copyto(self.z[images], self.valid[rows])                           # junk columns dropped

    def _forward_part(self, images):
        rows = self._rows(images)
        self._fill(images, rows)
        z = _flat(self.z[images])
        np.matmul(self.W_mat, self.patches[rows], out=z)
        np.add(z, self.bias, out=z)

    # --- backward -----------------------------------------------------------------------------
    def backward(self, W_mat, delta, input_grad):
        L = self.layout
        if self.backward_views is None or (input_grad and not self.backward_views):
            self._make_backward_views(input_grad)
        if not self.cols_hold_batch:
            self._set_source()
        L.order_rows(W_mat, self.W_rows)
        self.delta, self.input_grad = delta, input_grad
        if not L.runs:
            self.d_images = _flat(delta)                     # (N, O, Ho·Wo), indexed by images
        self.grad_x = grad_x = np.empty((L.N, L.C, L.H, L.W), dtype=self.dtype) if input_grad else None
        pace, min_images = self.backward_pace[input_grad], L.images_per_thread
        dW_rows = None
        try:
            for batch in batch_chunks(L.N, L.chunk):
                self.offset = batch.start
                for_each_part(self._backward_part, batch, min_part_size=min_images, pace=pace)
                # summed after the parts are done: the same sum for any number of threads
                share = np.add.reduce(self.dW_per_image[:batch.stop - batch.start], axis=0)
                dW_rows = share if dW_rows is None else np.add(dW_rows, share, out=dW_rows)
        finally:
            self.delta = self.grad_x = self.d_images = None   # the caller's
        grad_b = dW_rows[L.K].copy() if L.runs else delta.sum(axis=(0, 2, 3))
        return L.order_columns(dW_rows[:L.K]), grad_b, grad_x

    def _backward_part(self, images):
        rows = self._rows(images)
        if not self.cols_hold_batch:
            self._fill(images, rows)
        if self.layout.runs:
            np.copyto(self.delta_valid[rows], self.delta[images])
            d_part = self.d[rows]
        else:
            d_part = self.d_images[images]
        # cols[n] δ[n]ᵀ is image n's share of ∂ℓ/∂W_matᵀ (this operand order runs faster in BLAS)
        np.matmul(self.patches[rows], d_part.transpose(0, 2, 1), out=self.dW_per_image[rows])
        if not self.input_grad:
            return
        np.matmul(self.W_rows.T, d_part, out=self.dcols_matrices[rows])       # ∂ℓ/∂cols = W_matᵀ δ
        L = self.layout
        # col2im: without padding straight into the gradient, else into a buffer, the inside copied out
        padded = self.dx_padded[rows] if L.padding != (0, 0) else self.grad_x[images]
        if L.runs:       # col2im_runs, on views made once
            np.add.reduce(self.at_pixels[rows], axis=(1, 2), out=padded.reshape(len(padded), -1))
        else:
            col2im(self.dcols[rows], (rows.stop - rows.start, L.C, L.Hp, L.Wp), (L.kh, L.kw), L.stride,
                   out=padded)
        if L.padding != (0, 0):
            np.copyto(self.grad_x[images], self.dx_valid[rows])


class FastPatchProducts:
    """Conv2D's products, tuned (see the module docstring); holds what backward needs.

    It computes in the dtype of the input it is given (``Conv2D`` casts the input to
    its parameters' dtype first).

    Parameters
    ----------
    max_patch_bytes : int
        Cap on the patch matrix of one chunk of the batch.
    """

    def __init__(self, max_patch_bytes: int):
        self.max_patch_bytes = max_patch_bytes
        self.release()

    def release(self):
        """Forget the forward pass and free every buffer."""
        self._buffers: dict[str, np.ndarray] = {}
        self._plan = None

    def release_buffers(self):
        """Free the scratch buffers kept between training steps (the patch matrix among them)."""
        self._buffers = {}
        if self._plan is not None:
            self._plan.drop_buffers()

    def _kept_buffer(self, name, shape, zero=False):
        buffers, dtype = self._buffers, self._plan.dtype
        buf = buffers.get(name)
        if buf is None or buf.shape != shape or buf.dtype != dtype:
            buf = buffers[name] = (np.zeros if zero else np.empty)(shape, dtype=dtype)
        return buf

    def _fresh_buffer(self, name, shape, zero=False):
        return (np.zeros if zero else np.empty)(shape, dtype=self._plan.dtype)

    def forward(self, W_mat, x, kernel, stride, padding, bias, keep_buffers: bool):
        """z[n] = W_mat @ im2col(x padded)[n] + bias for every image: (N, O, Ho, Wo).

        ``W_mat`` is (O, C·kh·kw) with columns (c, i, j), as ``W.reshape(O, -1)``; ``x`` is the
        unpadded input (N, C, H, W); ``kernel``, ``stride`` and ``padding`` are pairs. Raises
        ``ValueError`` if the kernel is larger than the padded input."""
        key = (x.shape, x.dtype, kernel, stride, padding, len(W_mat))
        plan = self._plan
        if plan is None or plan.key != key:
            self.release()
            layout = _Layout(x.shape, kernel, stride, padding, len(W_mat), x.itemsize, self.max_patch_bytes)
            plan = self._plan = _Plan(layout, x.dtype, self._kept_buffer, key)
        if keep_buffers:
            if plan.buffer != self._kept_buffer:
                plan.buffer = self._kept_buffer
            return plan.forward(W_mat, bias, x)
        # evaluation: fresh buffers, dropped after the pass; the padded input stays for backward
        self.release_buffers()
        plan.buffer = self._fresh_buffer
        try:
            return plan.forward(W_mat, bias, x)
        finally:
            plan.drop_buffers()

    def backward(self, W_mat, delta, input_grad: bool = True):
        """(∂ℓ/∂W_mat (O, C·kh·kw), ∂ℓ/∂b (O,), ∂ℓ/∂x of the unpadded input's shape or None).

        ``delta`` is (N, O, Ho, Wo) in the dtype of the forward pass."""
        plan = self._plan
        if plan is None or plan.x_padded is None:
            raise RuntimeError("Conv2D.backward called before forward (or after eval() or clear_cache())")
        if plan.buffer == self._kept_buffer:
            return plan.backward(W_mat, delta, input_grad)
        try:
            return plan.backward(W_mat, delta, input_grad)
        finally:
            plan.drop_buffers()

    @property
    def output_shape(self):
        """(N, O, Ho, Wo) of the last forward pass, or None."""
        plan = self._plan
        return None if plan is None or plan.x_padded is None else plan.layout.output_shape


def _flat(images):
    """View an (n, channels, h, w) block as (n, channels, h·w)."""
    n, channels = images.shape[:2]
    return images.reshape(n, channels, -1)
