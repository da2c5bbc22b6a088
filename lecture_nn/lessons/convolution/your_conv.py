"""Exercise 1's payoff: a convolutional layer computed by the student's ``my_conv2d``.

The exercise asks for ``my_conv2d(x, w, b, stride, padding)``, the forward computation of a
convolutional layer. :class:`FunctionConv2D` turns any function with that signature into a layer of
a ``Sequential`` network — and not only its forward pass: at stride 1 both gradients of a
convolution are convolutions too, so the backward pass calls the same function twice more.

With x_pad the padded input (N, C, Hp, Wp), δ = ∂ℓ/∂z (N, O, Ho, Wo) and filters W (O, C, k, k):

* ∂ℓ/∂W[o, c, i, j] = Σ_n Σ_pq δ[n, o, p, q] · x_pad[n, c, p + i, q + j]: the images correlated with
  the deltas, where the batch plays the part of the channels (swap the first two axes of both);
* ∂ℓ/∂x_pad[n, c, r, t] = Σ_o Σ_ij δ[n, o, r − i, t − j] · W[o, c, i, j]: the deltas, padded by k − 1,
  correlated with the filters turned by 180° (and their two channel axes swapped);
* ∂ℓ/∂b[o] = Σ δ[:, o]: a sum, no convolution.
"""
from __future__ import annotations

import numpy as np

from lecture_nn.checks import positive_int
from lecture_nn.init import get_initialiser
from lecture_nn.layers import Layer


def _non_negative_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return int(value)


class FunctionConv2D(Layer):
    """A stride-1 convolutional layer whose three convolutions are computed by ``function``.

    Parameters
    ----------
    function : callable
        ``function(x, w, b, stride, padding)`` with exercise 1's shapes: x (N, C, H, W),
        w (O, C, kh, kw), b (O,) → (N, O, Ho, Wo). Your ``my_conv2d``, or the package's
        ``conv2d_fast``.
    in_channels, out_channels : int >= 1
        C and O.
    kernel_size : int >= 1
        k (square filters).
    padding : int >= 0
        P zeros on each side of the input.
    rng : numpy.random.Generator
        Draws the initial weights (He's scale, σ² = 2 / (C k²)); the biases start at 0.

    Shapes: ``params["W"]`` (O, C, k, k), ``params["b"]`` (O,); forward maps x (N, C, H, W) to
    z (N, O, H + 2P − k + 1, W + 2P − k + 1). Computes in float64.
    """

    def __init__(self, function, in_channels: int, out_channels: int, kernel_size: int, padding: int = 0,
                 rng=None):
        super().__init__()
        if not callable(function):
            raise TypeError(f"function must be callable (your my_conv2d), got {type(function).__name__}")
        self.function = function
        self.in_channels = positive_int(in_channels, "in_channels")
        self.out_channels = positive_int(out_channels, "out_channels")
        self.kernel_size = positive_int(kernel_size, "kernel_size")
        self.padding = _non_negative_int(padding, "padding")
        k, C, O = self.kernel_size, self.in_channels, self.out_channels
        W = get_initialiser("he")((O, C, k, k), rng=rng, fan_in=C * k * k, fan_out=O * k * k,
                                  dtype=np.float64)
        self.params = {"W": np.asarray(W, dtype=np.float64), "b": np.zeros(O)}
        self.zero_grad()

    def _call(self, x, w, b, padding, shape, what):
        out = np.asarray(self.function(x, w, b, 1, padding), dtype=np.float64)
        if out.shape != shape:
            raise ValueError(f"{getattr(self.function, '__name__', 'function')} returned shape {out.shape} "
                             f"for {what}, expected {shape}")
        return out

    def forward(self, x):
        x = self._check_input(x, ndim=4).astype(np.float64, copy=False)
        N, C, H, W = x.shape
        if C != self.in_channels:
            raise ValueError(f"{self!r} expected input of shape (N, {self.in_channels}, H, W), got {x.shape}")
        k, P = self.kernel_size, self.padding
        if min(H, W) + 2 * P < k:
            raise ValueError(f"{self!r}: the {k}×{k} filters do not fit in a padded {H + 2 * P}×{W + 2 * P} input")
        self.cache = {}
        shape = (N, self.out_channels, H + 2 * P - k + 1, W + 2 * P - k + 1)
        z = self._call(x, self.params["W"], self.params["b"], P, shape, "the forward pass")
        self.cache = {"x_padded": np.pad(x, ((0, 0), (0, 0), (P, P), (P, P)))}
        return z

    def backward(self, delta, input_grad: bool = True):
        xp = self._cached("x_padded")
        N, C, Hp, Wp = xp.shape
        O, k, P = self.out_channels, self.kernel_size, self.padding
        delta = self._check_grad(delta, (N, O, Hp - k + 1, Wp - k + 1)).astype(np.float64, copy=False)
        # ∂ℓ/∂W: the images correlated with the deltas, the batch axis playing the channels
        grad_W = self._call(xp.transpose(1, 0, 2, 3), delta.transpose(1, 0, 2, 3), np.zeros(O), 0,
                            (C, O, k, k), "∂ℓ/∂W")
        self.grads["W"] = np.ascontiguousarray(grad_W.transpose(1, 0, 2, 3))
        self.grads["b"] = delta.sum(axis=(0, 2, 3))
        if not input_grad:
            return None
        # ∂ℓ/∂x: the deltas, padded by k − 1, correlated with the filters turned by 180°
        turned = np.ascontiguousarray(self.params["W"][:, :, ::-1, ::-1].transpose(1, 0, 2, 3))
        grad_xp = self._call(delta, turned, np.zeros(C), k - 1, (N, C, Hp, Wp), "∂ℓ/∂x")
        return grad_xp[:, :, P:Hp - P, P:Wp - P]

    def __repr__(self):
        name = getattr(self.function, "__name__", "function")
        return (f"FunctionConv2D({name}, {self.in_channels}, {self.out_channels}, {self.kernel_size}, "
                f"padding={self.padding})")
