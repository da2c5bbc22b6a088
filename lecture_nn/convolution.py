"""Convolution (notes §5, §5.1): the output size, the patch matrix, and the Conv2D layer.

Layout: images and batches are NCHW (batch, channels, height, width) and filters
are (out_channels, in_channels, kh, kw). Kernel size, stride and padding are an
int (the same along both axes) or an (along height, along width) pair, as in PyTorch.

What is computed is a **cross-correlation**, exactly the notes' formula
f(Σ_ij w_ij x_{i+p, j+q} + b): the kernel slides over the image *without being
flipped*. Signal processing calls the flipped version "convolution"; deep
learning (the notes, PyTorch, every library) uses the unflipped one under that
name, and so do we. ``scipy.signal.correlate2d`` computes the same thing.

The fast way to compute it (notebook 05): copy every patch of image n into a
column of the **patch matrix** ``cols[n] = im2col(x[n])`` (:mod:`lecture_nn.patches`), of shape
(C·kh·kw, Ho·Wo); then every filter at every position is one matrix product,
``W_mat @ cols[n]`` with ``W_mat = W.reshape(O, C·kh·kw)``. Backward uses the
same matrix: ∂ℓ/∂W_mat = Σ_n δ[n] cols[n]ᵀ, and ∂ℓ/∂cols[n] = W_matᵀ δ[n],
which :func:`col2im` adds back onto the pixels each patch came from.
The teaching versions (loops, FFT, explicit matrix) are in
:mod:`lecture_nn.lessons.convolution`.
"""
from __future__ import annotations

import numpy as np

from lecture_nn.checks import as_float_array, float_dtype, positive_int
from lecture_nn.fast_conv import FastPatchProducts
from lecture_nn.init import get_initialiser
from lecture_nn.layers import Layer
from lecture_nn.patches import batch_chunk, batch_chunks, im2col, output_size, pad_images, pair

MAX_PATCH_BYTES = 256 * 2**20
"""Default cap on the size of the patch matrix (bytes); larger batches are processed in chunks."""


def check_conv_inputs(x, w, b=None, stride=1, padding=0):
    """Validate the arguments of every ``conv2d_*`` function.

    Accepts a batch ``x`` (N, C, H, W) with filters ``w`` (O, C, kh, kw), or a
    single image (H, W) with a single kernel (kh, kw). Returns
    ``(x4, w4, b, stride, padding, squeeze)`` with 4-D arrays of one common
    float dtype (that of ``x``), ``b`` of shape (O,) or None, stride and padding
    as (height, width) pairs, and ``squeeze`` True when the caller passed 2-D
    arrays (the result is then returned 2-D).
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
    stride, padding = pair(stride, "stride", 1), pair(padding, "padding", 0)
    output_size(x.shape[2:], w.shape[2:], stride, padding)  # raises if the kernel is too large
    if b is not None:
        b = as_float_array(b, "b (the biases)", ndim=(0, 1))
        if b.ndim == 1 and b.shape != (w.shape[0],):
            raise ValueError(f"b must have shape ({w.shape[0]},), one bias per filter, "
                             f"got {b.shape}")
        b = np.broadcast_to(b, (w.shape[0],)).astype(x.dtype, copy=False)
    return x, w.astype(x.dtype, copy=False), b, stride, padding, squeeze


def padded_conv_inputs(x, w, b=None, stride=1, padding=0):
    """:func:`check_conv_inputs`, then pad: ``(x_padded, w4, b, stride, (Ho, Wo), squeeze)``."""
    x, w, b, stride, padding, squeeze = check_conv_inputs(x, w, b, stride, padding)
    x_padded = pad_images(x, padding)
    return x_padded, w, b, stride, output_size(x_padded.shape[2:], w.shape[2:], stride), squeeze


def add_bias_and_squeeze(out, b, squeeze):
    """Add the bias per output channel and undo the 2-D → 4-D promotion of :func:`check_conv_inputs`."""
    if b is not None:
        out += b[:, None, None]
    return out[0, 0] if squeeze else out


def conv2d_fast(x, w, b=None, stride=1, padding=0, max_patch_bytes=MAX_PATCH_BYTES):
    """Cross-correlation of a batch with a bank of filters, by im2col and one matrix product.

    Computes ``out[n, o, p, q] = Σ_{c,i,j} w[o, c, i, j] · xpad[n, c, p·sh + i, q·sw + j] + b[o]``
    — the notes' Σ_ij w_ij x_{i+p, j+q} + b (before the activation f) for every
    filter o and position (p, q), summed over input channels c.

    Parameters
    ----------
    x : (N, C, H, W) array, or one (H, W) image
    w : (O, C, kh, kw) array, or one (kh, kw) kernel
    b : (O,) array or None
    stride : int or (sh, sw), >= 1
    padding : int or (ph, pw), >= 0 (zeros on each side)
    max_patch_bytes : int >= 1
        Cap on the patch matrix (bytes); larger batches are processed in chunks.

    Returns
    -------
    (N, O, Ho, Wo) array (or (Ho, Wo) for 2-D input) of the dtype of ``x``.

    The computation runs in the dtype of ``x`` (float32 or float64; integers become
    float64): a function has no parameters of its own, so ``w`` and ``b`` are cast to it.
    The :class:`Conv2D` layer instead computes in the dtype of its parameters.

    One filter on one channel at stride 1 is computed without a patch matrix, as kh·kw
    shifted multiply-adds (:func:`_shift_and_add`): the product would be a
    matrix–vector product, and copying the patches would cost more than the sums.
    """
    max_patch_bytes = positive_int(max_patch_bytes, "max_patch_bytes")
    xp, w, b, stride, (Ho, Wo), squeeze = padded_conv_inputs(x, w, b, stride, padding)
    N, C = xp.shape[:2]
    O, _, kh, kw = w.shape
    if C == O == 1 and stride == (1, 1):
        return add_bias_and_squeeze(_shift_and_add(xp, w[0, 0], (Ho, Wo)), b, squeeze)
    w_mat = w.reshape(O, C * kh * kw)
    out = np.empty((N, O, Ho * Wo), dtype=xp.dtype)
    chunk = batch_chunk(N, C * kh * kw * Ho * Wo * xp.itemsize, max_patch_bytes)
    buffer = np.empty((chunk, C * kh * kw, Ho * Wo), dtype=xp.dtype)
    for images in batch_chunks(N, chunk):
        cols = im2col(xp[images], (kh, kw), stride, out=buffer[:images.stop - images.start])
        np.matmul(w_mat, cols, out=out[images])
    return add_bias_and_squeeze(out.reshape(N, O, Ho, Wo), b, squeeze)


def _shift_and_add(x_padded, kernel, output_size):
    """Σ_ij kernel[i, j] · (the images shifted by (i, j)): one kernel over single-channel images
    at stride 1, as kh·kw multiply-adds, each over one contiguous run of the whole batch.

    Flatten the padded batch (N, 1, Hp, Wp) to one row of numbers; position t = n·Hp·Wp + p·Wp + q
    reads pixel t + i·Wp + j for kernel offset (i, j), so each offset's term is a contiguous
    slice. Positions with q >= Wo or p >= Ho straddle two rows or two images: they are computed
    and dropped. Returns the (N, 1, Ho, Wo) output, a new array.
    """
    N, _, Hp, Wp = x_padded.shape
    (kh, kw), (Ho, Wo) = kernel.shape, output_size
    flat = np.ascontiguousarray(x_padded).reshape(-1)
    length = flat.size - (kh - 1) * Wp - (kw - 1)       # the last output pixel is the last position
    wide = np.empty(flat.size, dtype=flat.dtype)
    sums, term = wide[:length], np.empty(length, dtype=flat.dtype)
    np.multiply(flat[:length], kernel[0, 0], out=sums)
    for i in range(kh):
        for j in range(kw):
            if i or j:
                start = i * Wp + j
                np.multiply(flat[start:start + length], kernel[i, j], out=term)
                sums += term
    return wide.reshape(N, 1, Hp, Wp)[:, :, :Ho, :Wo].copy()


class Conv2D(Layer):
    """A 2-D convolutional layer (notes §5): every filter slides over the image.

    ``z[n, o, p, q] = Σ_{c,i,j} W[o, c, i, j] · xpad[n, c, p·sh + i, q·sw + j] + b[o]``,
    the notes' Σ_ij w_ij x_{i+p,j+q} + b for all filters o, input channels c and
    positions (p, q) — a cross-correlation: the kernel is not flipped.

    Parameters
    ----------
    in_channels, out_channels : int
        C and O.
    kernel_size : int or (kh, kw)
    stride : int or (sh, sw), >= 1
    padding : int or (ph, pw), >= 0
        Zeros added on each side of the input.
    rng : numpy.random.Generator
        Source of the initial weights.
    init : str or callable
        Initialiser (:mod:`lecture_nn.init`), default He with fan_in = C·kh·kw.
        Biases start at 0.
    dtype : float32 or float64
        dtype of the parameters, and the one the layer computes in: input of the
        other float dtype is cast to it, and the output, the parameter gradients
        and the input gradient come out in it (the rule of every layer with
        parameters; layers without parameters keep their input's dtype).
    max_patch_bytes : int >= 1
        Cap on the patch matrix (bytes); larger batches are processed in chunks.

    Shapes: ``params["W"]`` (O, C, kh, kw), ``params["b"]`` (O,); forward maps
    x (N, C, H, W) to z (N, O, Ho, Wo), with (Ho, Wo) from :func:`output_size`.

    How: forward is ``z[n] = W_mat @ cols[n] + b`` with ``cols = im2col(x_padded)``;
    backward is ∂ℓ/∂b = Σ δ, ∂ℓ/∂W_mat = Σ_n δ[n] cols[n]ᵀ and
    ∂ℓ/∂x = col2im(W_matᵀ δ[n]). The products run in
    :class:`lecture_nn.fast_conv.FastPatchProducts`, which computes exactly these
    (tested against the loops of :mod:`lecture_nn.lessons.convolution`) but faster.

    Memory: forward keeps what backward needs (the padded input and, while
    training, the patch matrix and scratch buffers reused at every step).
    ``eval()`` and ``clear_cache()`` free all of it, leaving the parameters and
    their gradients only; backward then needs a new forward pass.

    Examples
    --------
    >>> import numpy as np
    >>> conv = Conv2D(1, 8, 5, rng=np.random.default_rng(0))
    >>> conv.forward(np.zeros((2, 1, 28, 28), dtype=np.float32)).shape
    (2, 8, 24, 24)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1,
                 padding=0, rng=None, init="he", dtype=np.float64,
                 max_patch_bytes: int = MAX_PATCH_BYTES):
        super().__init__()
        self.in_channels = positive_int(in_channels, "in_channels")
        self.out_channels = positive_int(out_channels, "out_channels")
        self.kernel_size = pair(kernel_size, "kernel_size", 1)
        self.stride = pair(stride, "stride", 1)
        self.padding = pair(padding, "padding", 0)
        dtype = float_dtype(dtype, "dtype")
        kh, kw = self.kernel_size
        shape = (self.out_channels, self.in_channels, kh, kw)
        W = get_initialiser(init)(shape, rng=rng, fan_in=self.in_channels * kh * kw,
                                  fan_out=self.out_channels * kh * kw, dtype=dtype)
        self.params = {"W": np.asarray(W, dtype=dtype), "b": np.zeros(self.out_channels, dtype=dtype)}
        self.zero_grad()
        self.products = FastPatchProducts(positive_int(max_patch_bytes, "max_patch_bytes"))

    def forward(self, x):
        x = self._check_input(x, ndim=4)
        if x.shape[1] != self.in_channels:
            raise ValueError(f"{self!r} expected input of shape (N, {self.in_channels}, H, W), "
                             f"got {x.shape} ({x.shape[1]} channels)")
        self.cache = {}                   # an interrupted forward leaves nothing for backward
        dtype = self.params["W"].dtype    # the layer computes in its parameters' dtype
        W_mat = self.params["W"].reshape(self.out_channels, -1)
        b = self.params["b"].astype(dtype, copy=False)
        # z[n] = W_mat @ im2col(x_padded)[n] + b: every filter (row) times every patch (column),
        # x_padded being x with `padding` zeros around each image (raises if the kernel does not fit)
        z = self.products.forward(W_mat, x.astype(dtype, copy=False), self.kernel_size, self.stride,
                                  self.padding, bias=b, keep_buffers=self.training)
        self.cache = {"x_shape": x.shape}
        return z

    def backward(self, delta, input_grad: bool = True):
        output_shape = self.products.output_shape       # (N, O, Ho, Wo) of the last forward pass
        if "x_shape" not in self.cache or output_shape is None:
            raise RuntimeError("Conv2D.backward called before forward, or after eval() or clear_cache() "
                               "freed what the last forward pass kept: run forward again first")
        delta = self._check_grad(delta, output_shape)
        delta = delta.astype(self.params["W"].dtype, copy=False)
        W_mat = self.params["W"].reshape(self.out_channels, -1)
        # ∂ℓ/∂W_mat = Σ_n δ[n] im2col(x_padded)[n]ᵀ;  ∂ℓ/∂x = col2im(W_matᵀ δ[n]), padding cut off
        # ∂ℓ/∂b = Σ δ over images and positions (the products compute it with ∂ℓ/∂W_mat)
        grad_W_mat, grad_b, grad_x = self.products.backward(W_mat, delta, input_grad)
        self.grads["W"] = grad_W_mat.reshape(self.params["W"].shape)
        self.grads["b"] = grad_b
        return grad_x

    def train(self, mode: bool = True):
        if not mode:
            self.clear_cache()   # evaluation keeps nothing of the last training step
        return super().train(mode)

    def clear_cache(self):
        super().clear_cache()
        self.products.release()

    def __repr__(self):
        def show(value):
            return value[0] if value[0] == value[1] else value
        extra = "".join(f", {name}={show(getattr(self, name))}" for name, default in
                        (("stride", (1, 1)), ("padding", (0, 0))) if getattr(self, name) != default)
        return (f"Conv2D({self.in_channels}, {self.out_channels}, {show(self.kernel_size)}"
                f"{extra})")
