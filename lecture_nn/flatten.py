"""Flatten: the bridge from feature maps to a fully connected layer (notes §5.2, Fig. 12)."""
from __future__ import annotations

from .layers import Layer


class Flatten(Layer):
    """Reshape each example to one row: (n, C, H, W) → (n, C·H·W) (any rank ≥ 2 works).

    The order is C-order, channel by channel and each map row by row, so unit
    ``c·H·W + i·W + j`` of the output is pixel (i, j) of feature map c.
    Backward reshapes the gradient back; no parameters.

    Examples
    --------
    >>> import numpy as np
    >>> Flatten().forward(np.zeros((5, 3, 12, 12))).shape
    (5, 432)
    """

    def __init__(self):
        super().__init__()
        self._x_shape = None

    def forward(self, x):
        x = self._check_input(x)
        if x.ndim < 2:
            raise ValueError(f"Flatten expects a batch (n, ...) with at least 2 dimensions, "
                             f"got shape {x.shape}")
        self._x_shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, grad_out):
        x_shape = self._cached("_x_shape")
        n_features = 1
        for d in x_shape[1:]:
            n_features *= d
        grad_out = self._check_grad(grad_out, (x_shape[0], n_features))
        return grad_out.reshape(x_shape)

    def __repr__(self):
        return "Flatten()"
