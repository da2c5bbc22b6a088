"""The convolutional layer: Conv2D, forward by im2col + matmul, backward by matmul + col2im."""
from __future__ import annotations

import numpy as np

from .._validation import positive_int
from ..parallel import for_each_part
from ..init import get_initialiser
from ..layers import Layer
from .fast import MAX_PATCH_BYTES, batch_chunk, batch_chunks, col2im, col2im_wide, im2col, im2col_wide
from .sizes import _pair, output_size


class Conv2D(Layer):
    """A 2-D convolutional layer (notes §5): every filter slides over the image.

    ``out[n, o, p, q] = Σ_{c,i,j} W[o, c, i, j] · xpad[n, c, p·s + i, q·s + j] + b[o]``,
    the notes' Σ_ij w_ij x_{i+p,j+q} + b for all filters o, input channels c and
    positions (p, q) — a cross-correlation: the kernel is not flipped (see
    :func:`lecture_nn.conv.conv2d_fast`).

    Parameters
    ----------
    in_channels, out_channels : int
        C and O.
    kernel_size : int
        k; filters are k×k.
    stride : int >= 1
    padding : int >= 0
        Zeros added on every side of the input.
    rng : numpy.random.Generator
        Source of the initial weights.
    init : str or callable
        Initialiser (:mod:`lecture_nn.init`), default He with fan_in = C·k·k.
        Biases start at 0.
    dtype : float32 or float64
        dtype of the parameters. The computation runs in the dtype of the
        input, which the output keeps.
    max_patch_bytes : int
        Cap on the patch matrix; larger batches are processed in chunks.

    Shapes: ``params["W"]`` (O, C, k, k), ``params["b"]`` (O,); forward maps
    x (N, C, H, W) to (N, O, Ho, Wo) with Ho = (H + 2·padding − k) // stride + 1.

    Backward, with δ = ∂ℓ/∂out and ``cols`` the patch matrix of the forward pass:
    ∂ℓ/∂b[o] = Σ_{n,p,q} δ[n,o,p,q]; ∂ℓ/∂W = Σ_n δ[n] colsᵀ[n]; ∂ℓ/∂x is
    col2im(Wᵀ δ[n]): each patch's gradient added back onto its pixels.
    At stride 1 the patch matrix has wide columns (:func:`~lecture_nn.conv.im2col_wide`,
    three to four times cheaper to copy), with δ zero in the extra columns.

    ``needs_input_grad`` (default True): as for :class:`lecture_nn.Linear`, set it
    to False on a network's first layer when nothing needs ∂ℓ/∂x of the data;
    backward then skips Wᵀ δ and col2im and returns None.

    The batch is split over as many threads as BLAS may use (see
    :mod:`lecture_nn.parallel`); the results are the same, bit for bit, for any
    number of threads.

    Examples
    --------
    >>> import numpy as np
    >>> conv = Conv2D(1, 8, 5, rng=np.random.default_rng(0))
    >>> conv.forward(np.zeros((2, 1, 28, 28), dtype=np.float32)).shape
    (2, 8, 24, 24)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                 padding: int = 0, rng=None, init="he", dtype=np.float64,
                 max_patch_bytes: int = MAX_PATCH_BYTES):
        super().__init__()
        self.in_channels = positive_int(in_channels, "in_channels")
        self.out_channels = positive_int(out_channels, "out_channels")
        self.kernel_size = positive_int(kernel_size, "kernel_size")
        self.stride = _pair(stride, "stride", 1)[0]
        self.padding = _pair(padding, "padding", 0)[0]
        self.max_patch_bytes = positive_int(max_patch_bytes, "max_patch_bytes")
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"dtype must be float32 or float64, got {dtype}")
        k = self.kernel_size
        shape = (self.out_channels, self.in_channels, k, k)
        W = get_initialiser(init)(shape, rng=rng, fan_in=self.in_channels * k * k,
                                  fan_out=self.out_channels * k * k, dtype=dtype)
        self.params = {"W": np.asarray(W, dtype=dtype), "b": np.zeros(self.out_channels, dtype=dtype)}
        self.zero_grad()
        self.needs_input_grad = True
        self._buffers: dict[str, np.ndarray] = {}
        self._x_padded = self._cols = None

    # -- buffers reused across calls: fresh multi-MB arrays each step cost page faults
    def _buffer(self, name, shape, dtype, zero=False):
        buf = self._buffers.get(name)
        if buf is None or buf.shape != shape or buf.dtype != dtype:
            buf = (np.zeros if zero else np.empty)(shape, dtype=dtype)
            self._buffers[name] = buf
        return buf

    def _pad(self, x):
        p = self.padding
        if p == 0:
            return x
        N, C, H, W = x.shape
        # the border stays zero: only the interior is ever written
        xp = self._buffer("x_padded", (N, C, H + 2 * p, W + 2 * p), x.dtype, zero=True)
        xp[:, :, p:p + H, p:p + W] = x
        return xp

    def _geometry(self, x_padded):
        N, C, Hp, Wp = x_padded.shape
        k, s = self.kernel_size, self.stride
        Ho, Wo = (Hp - k) // s + 1, (Wp - k) // s + 1
        _, K, columns = self._cols_shape(x_padded)
        chunk = batch_chunk(N, K * columns * x_padded.itemsize, self.max_patch_bytes)
        return N, Ho, Wo, chunk

    def _weights(self, dtype):
        return self.params["W"].astype(dtype, copy=False).reshape(self.out_channels, -1)

    def forward(self, x):
        x = self._check_input(x, ndim=4)
        if x.shape[1] != self.in_channels:
            raise ValueError(f"{self!r} expected input of shape (N, {self.in_channels}, H, W), "
                             f"got {x.shape} ({x.shape[1]} channels)")
        k, s, O = self.kernel_size, self.stride, self.out_channels
        output_size(x.shape[2:], k, s, self.padding)   # raises if the kernel does not fit
        xp = self._pad(x)
        N, Ho, Wo, chunk = self._geometry(xp)
        Wp = xp.shape[3]
        w_mat = self._weights(x.dtype)
        b = self.params["b"].astype(x.dtype, copy=False)[:, None, None]
        cols = self._buffer("cols", (chunk,) + self._cols_shape(xp)[1:], x.dtype)
        out = np.empty((N, O, Ho, Wo), dtype=x.dtype)
        if s == 1:   # wide columns (see im2col_wide): the products run over the padded width
            out_wide = self._buffer("out_wide", (chunk, O, Ho, Wp), x.dtype)

            def forward_part(images, rows):   # images of the batch, rows of the chunk's buffers
                im2col_wide(xp[images], (k, k), out=cols[rows])
                np.matmul(w_mat, cols[rows], out=_flat(out_wide[rows])[..., :cols.shape[2]])
                np.add(out_wide[rows, ..., :Wo], b, out=out[images])   # drop the junk columns
        else:
            def forward_part(images, rows):
                im2col(xp[images], (k, k), s, out=cols[rows])
                np.matmul(w_mat, cols[rows], out=_flat(out[images]))
                out[images] += b

        for batch in batch_chunks(N, chunk):
            for_each_part(lambda images: forward_part(images, _within(images, batch)), batch)
        self._x_padded, self._x_shape = xp, x.shape
        self._cols = cols if chunk >= N else None   # whole batch cached: backward skips im2col
        return out

    def _cols_shape(self, x_padded):
        """Shape of the patch matrix: wide columns at stride 1, plain ones otherwise."""
        N, C, Hp, Wp = x_padded.shape
        k, s = self.kernel_size, self.stride
        if s == 1:
            return (N, C * k * k, (Hp - k + 1) * Wp - (k - 1))
        return (N, C * k * k, ((Hp - k) // s + 1) * ((Wp - k) // s + 1))

    def backward(self, grad_out):
        xp = self._cached("_x_padded")
        N, Ho, Wo, chunk = self._geometry(xp)
        grad_out = self._check_grad(grad_out, (N, self.out_channels, Ho, Wo))
        delta = grad_out.astype(xp.dtype, copy=False)
        k, s, p, O = self.kernel_size, self.stride, self.padding, self.out_channels
        C, Hp, Wp = xp.shape[1:]
        H, W = self._x_shape[2:]
        w_mat = self._weights(xp.dtype)
        K = w_mat.shape[1]
        # every buffer is made here, before the parts run: each part fills only its own rows
        cols = self._cols if self._cols is not None else \
            self._buffer("cols", (chunk,) + self._cols_shape(xp)[1:], xp.dtype)
        dW_per_image = self._buffer("dW_per_image", (chunk, K, O), xp.dtype)
        dx = np.empty(self._x_shape, dtype=xp.dtype) if self.needs_input_grad else None
        if s == 1:
            # δ laid out over the padded width; the columns Wo..Wp are never written, so stay zero
            wide = self._buffer("delta_wide", (chunk, O, Ho, Wp), xp.dtype, zero=True)
            dcols = self._buffer("dcols_wide", (chunk, K, Ho * Wp), xp.dtype)
            dx_padded = self._buffer("dx_flat", (chunk, C, Hp * Wp + k - 1), xp.dtype)
        else:
            dcols = self._buffer("dcols", (chunk, K, Ho * Wo), xp.dtype)
            dx_padded = self._buffer("dx_padded", (chunk, C, Hp, Wp), xp.dtype)

        def backward_part(images, rows):
            n = rows.stop - rows.start
            if s == 1:
                if self._cols is None:
                    im2col_wide(xp[images], (k, k), out=cols[rows])
                wide[rows, ..., :Wo] = delta[images]
                d = _flat(wide[rows])                          # (n, O, Ho·Wp)
                d_cols = d[..., :cols.shape[2]]                # matches the wide columns
            else:
                if self._cols is None:
                    im2col(xp[images], (k, k), s, out=cols[rows])
                d = d_cols = _flat(delta[images])               # (n, O, Ho·Wo)
            # cols[n] δ[n]ᵀ is image n's share of dWᵀ (this operand order runs faster in BLAS)
            np.matmul(cols[rows], d_cols.transpose(0, 2, 1), out=dW_per_image[rows])
            if dx is None:
                return
            np.matmul(w_mat.T, d, out=dcols[rows])                # ∂ℓ/∂cols = Wᵀ δ
            if s == 1:
                grad_padded = col2im_wide(dcols[rows], (n, C, Hp, Wp), (k, k), out=dx_padded[rows])
            else:
                grad_padded = col2im(dcols[rows], (n, C, Hp, Wp), (k, k), s, out=dx_padded[rows])
            dx[images] = grad_padded[:, :, p:p + H, p:p + W]

        dW = np.zeros((K, O), dtype=xp.dtype)
        for batch in batch_chunks(N, chunk):
            for_each_part(lambda images: backward_part(images, _within(images, batch)), batch)
            # summed after the parts are done: the same sum for any number of threads
            dW += dW_per_image[:batch.stop - batch.start].sum(axis=0)
        self.grads["W"] = dW.T.reshape(self.params["W"].shape).astype(self.params["W"].dtype, copy=False)
        self.grads["b"] = delta.sum(axis=(0, 2, 3)).astype(self.params["b"].dtype, copy=False)
        return dx

    def __repr__(self):
        extra = "".join(f", {name}={getattr(self, name)}" for name in ("stride", "padding")
                        if getattr(self, name) != (1 if name == "stride" else 0))
        return f"Conv2D({self.in_channels}, {self.out_channels}, {self.kernel_size}{extra})"


def _flat(images):
    """View an (n, channels, h, w) block as (n, channels, h·w)."""
    n, channels = images.shape[:2]
    return images.reshape(n, channels, -1)


def _within(images, batch):
    """``images`` (a slice of the batch) as rows of buffers that hold the chunk ``batch``."""
    return slice(images.start - batch.start, images.stop - batch.start)
