"""Exercise 1's payoff: a max-pooling layer whose backward pass is the student's ``maxpool_backward``.

The exercise asks for ``maxpool_backward(grad_out, x, k) -> grad_x``. :class:`FunctionMaxPool`
is ``MaxPool2D(k)`` with that function as its backward pass, so it can stand in a ``Sequential``
network and be trained; the forward pass stays the package's.
"""
from __future__ import annotations

import numpy as np

from lecture_nn.checks import positive_int
from lecture_nn.pooling import MaxPool2D


class FunctionMaxPool(MaxPool2D):
    """k × k max pooling at stride k whose backward pass is ``function(grad_out, x, k)``.

    Parameters
    ----------
    function : callable
        Exercise 1's signature; returns ∂ℓ/∂x of ``x``'s shape (n, C, H, W).
    k : int >= 1
        Window size and stride.
    """

    def __init__(self, function, k: int):
        if not callable(function):
            raise TypeError(f"function must be callable (your maxpool_backward), got {type(function).__name__}")
        self.k = positive_int(k, "k (the window size)")
        super().__init__(self.k)
        self.function = function

    def backward(self, grad_out, input_grad: bool = True):
        x = self._cached("x")
        grad_out = self._check_grad(grad_out, self.output_shape(x.shape)).astype(x.dtype, copy=False)
        grad = np.asarray(self.function(grad_out, x, self.k), dtype=x.dtype)
        if grad.shape != x.shape:
            raise ValueError(f"function returned a gradient of shape {grad.shape}; it must have the "
                             f"input's shape {x.shape}")
        return grad

    def __repr__(self):
        return f"FunctionMaxPool({getattr(self.function, '__name__', 'function')}, k={self.k})"
