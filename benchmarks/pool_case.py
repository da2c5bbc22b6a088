"""MaxPool2D 2×2 (stride 2) forward+backward on (64, 8, 24, 24)."""
from __future__ import annotations

import numpy as np

from availability import import_first
from case import SEED, Case

X_SHAPE = (64, 8, 24, 24)


def _data(dtype):
    rng = np.random.default_rng(SEED)
    x = rng.standard_normal(X_SHAPE).astype(dtype)  # continuous values: no ties
    grad_out = rng.standard_normal((*X_SHAPE[:2], X_SHAPE[2] // 2, X_SHAPE[3] // 2)).astype(dtype)
    return x, grad_out


def build_lecture_nn(dtype):
    MaxPool2D = import_first([("lecture_nn.pooling", "MaxPool2D"), ("lecture_nn", "MaxPool2D")])
    x, grad_out = _data(dtype)
    layer = MaxPool2D(2)

    def forward_backward():
        layer.forward(x)
        layer.backward(grad_out)
    return forward_backward


def build_torch(dtype):
    import torch

    x, grad_out = _data(dtype)
    x = torch.from_numpy(x).requires_grad_(True)
    grad_out = torch.from_numpy(grad_out)

    def forward_backward():
        x.grad = None
        torch.nn.functional.max_pool2d(x, 2).backward(grad_out)
    return forward_backward


CASES = [Case("MaxPool", f"x{X_SHAPE}, 2×2", {"lecture_nn": build_lecture_nn, "torch": build_torch},
              floors={"float32": 2.0, "float64": 2.0}, description="MaxPool2D forward + backward")]
