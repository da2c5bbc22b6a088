"""The convolutional layer: Conv2D, forward by im2col + matmul, backward by matmul + col2im."""
from __future__ import annotations

import numpy as np

from .._validation import positive_int
from ..init import get_initialiser
from ..layers import Layer
from .fast import MAX_PATCH_BYTES, batch_chunk, col2im, col2im_wide, im2col
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
        chunk = batch_chunk(N, C * k * k * Ho * Wo * x_padded.itemsize, self.max_patch_bytes)
        return N, Ho, Wo, chunk

    def _weights(self, dtype):
        return self.params["W"].astype(dtype, copy=False).reshape(self.out_channels, -1)

    def forward(self, x):
        x = self._check_input(x, ndim=4)
        if x.shape[1] != self.in_channels:
            raise ValueError(f"{self!r} expected input of shape (N, {self.in_channels}, H, W), "
                             f"got {x.shape} ({x.shape[1]} channels)")
        k, s = self.kernel_size, self.stride
        output_size(x.shape[2:], k, s, self.padding)   # raises if the kernel does not fit
        xp = self._pad(x)
        N, Ho, Wo, chunk = self._geometry(xp)
        w_mat = self._weights(x.dtype)
        cols_shape = (chunk, w_mat.shape[1], Ho * Wo)
        cols = self._buffer("cols", cols_shape, x.dtype)
        out = np.empty((N, self.out_channels, Ho * Wo), dtype=x.dtype)
        for start in range(0, N, chunk):
            stop = min(start + chunk, N)
            im2col(xp[start:stop], (k, k), s, out=cols[:stop - start])
            np.matmul(w_mat, cols[:stop - start], out=out[start:stop])
        out += self.params["b"].astype(x.dtype, copy=False)[:, None]
        self._x_padded, self._x_shape = xp, x.shape
        self._cols = cols if chunk >= N else None   # whole batch cached: backward skips im2col
        return out.reshape(N, self.out_channels, Ho, Wo)

    def backward(self, grad_out):
        xp = self._cached("_x_padded")
        N, Ho, Wo, chunk = self._geometry(xp)
        grad_out = self._check_grad(grad_out, (N, self.out_channels, Ho, Wo))
        delta = np.ascontiguousarray(grad_out, dtype=xp.dtype).reshape(N, self.out_channels, Ho * Wo)
        k, s, p = self.kernel_size, self.stride, self.padding
        H, W = self._x_shape[2:]
        w_mat = self._weights(xp.dtype)
        dW = np.zeros(w_mat.shape, dtype=xp.dtype)
        dx = np.empty(self._x_shape, dtype=xp.dtype)
        for start in range(0, N, chunk):
            stop = min(start + chunk, N)
            cols = (self._cols[:stop - start] if self._cols is not None
                    else im2col(xp[start:stop], (k, k), s,
                                out=self._buffer("cols", (chunk,) + self._cols_shape(xp)[1:],
                                                 xp.dtype)[:stop - start]))
            # Σ_n cols[n] δ[n]ᵀ gives dWᵀ; this operand order runs faster in BLAS than δ colsᵀ
            dW += np.matmul(cols, delta[start:stop].transpose(0, 2, 1)).sum(axis=0).T
            dxp = self._padded_input_gradient(delta[start:stop], w_mat, xp[start:stop].shape, chunk)
            dx[start:stop] = dxp[:, :, p:p + H, p:p + W]
        self.grads["W"] = dW.reshape(self.params["W"].shape).astype(self.params["W"].dtype, copy=False)
        self.grads["b"] = delta.sum(axis=(0, 2)).astype(self.params["b"].dtype, copy=False)
        return dx

    def _cols_shape(self, xp):
        N, Ho, Wo, _ = self._geometry(xp)
        return (N, self.in_channels * self.kernel_size ** 2, Ho * Wo)

    def _padded_input_gradient(self, delta, w_mat, padded_shape, chunk):
        """∂ℓ/∂xpad for a chunk: col2im(Wᵀ δ). At stride 1 through wide columns (see
        :func:`col2im_wide`), where δ is laid out over the full padded width with zeros."""
        n, C, Hp, Wp = padded_shape
        k, s, O = self.kernel_size, self.stride, self.out_channels
        Ho, Wo = (Hp - k) // s + 1, (Wp - k) // s + 1
        dtype = delta.dtype
        if s != 1:
            dcols = self._buffer("dcols", (chunk, w_mat.shape[1], Ho * Wo), dtype)[:n]
            np.matmul(w_mat.T, delta, out=dcols)
            return col2im(dcols, padded_shape, (k, k), s,
                          out=self._buffer("dx_padded", (chunk, C, Hp, Wp), dtype)[:n])
        # the junk columns Wo..Wp of the wide δ are never written, so they stay zero
        wide = self._buffer("delta_wide", (chunk, O, Ho, Wp), dtype, zero=True)[:n]
        wide[..., :Wo] = delta.reshape(n, O, Ho, Wo)
        dcols = self._buffer("dcols_wide", (chunk, w_mat.shape[1], Ho * Wp), dtype)[:n]
        np.matmul(w_mat.T, wide.reshape(n, O, Ho * Wp), out=dcols)
        flat = self._buffer("dx_flat", (chunk, C, Hp * Wp + k - 1), dtype)[:n]
        return col2im_wide(dcols, padded_shape, (k, k), out=flat)

    def __repr__(self):
        extra = "".join(f", {name}={getattr(self, name)}" for name in ("stride", "padding")
                        if getattr(self, name) != (1 if name == "stride" else 0))
        return f"Conv2D({self.in_channels}, {self.out_channels}, {self.kernel_size}{extra})"
