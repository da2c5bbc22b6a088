"""Conv2D forward+backward on the issue's shapes S1, S2, S3, and the naive loop against the fast route."""
from __future__ import annotations

import numpy as np

from availability import import_first
from case import SEED, Case

# name: (x shape NCHW, w shape (out, in, k, k), stride, padding)
SHAPES = {
    "S1": ((64, 1, 28, 28), (8, 1, 5, 5), 1, 0),
    "S2": ((64, 8, 12, 12), (16, 8, 3, 3), 1, 0),
    "S3": ((64, 16, 14, 14), (32, 16, 3, 3), 1, 1),
}
FLOORS = {"S1": 1.5, "S2": 1.5, "S3": 3.0}


def conv2d_layer_class():
    return import_first([("lecture_nn.lessons.convolution", "Conv2D"), ("lecture_nn.convolution", "Conv2D"),
                         ("lecture_nn", "Conv2D")])


def _data(name, dtype):
    x_shape, w_shape, stride, padding = SHAPES[name]
    rng = np.random.default_rng(SEED)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = (rng.standard_normal(w_shape) / np.sqrt(np.prod(w_shape[1:]))).astype(dtype)
    b = rng.standard_normal(w_shape[0]).astype(dtype)
    n, _, h, wd = x_shape
    k = w_shape[-1]
    out_hw = ((h + 2 * padding - k) // stride + 1, (wd + 2 * padding - k) // stride + 1)
    grad_out = rng.standard_normal((n, w_shape[0], *out_hw)).astype(dtype)
    return x, w, b, grad_out, stride, padding


def _lecture_nn_builder(name):
    def build(dtype):
        Conv2D = conv2d_layer_class()
        x, w, b, grad_out, stride, padding = _data(name, dtype)
        layer = Conv2D(w.shape[1], w.shape[0], w.shape[-1], stride=stride, padding=padding,
                       rng=np.random.default_rng(SEED), dtype=dtype)
        layer.params["W"][...] = w  # the same weights as the PyTorch side
        layer.params["b"][...] = b

        def forward_backward():
            layer.forward(x)
            layer.backward(grad_out)
        return forward_backward
    return build


def _torch_builder(name):
    def build(dtype):
        import torch

        x, w, b, grad_out, stride, padding = _data(name, dtype)
        x = torch.from_numpy(x).requires_grad_(True)  # lecture_nn always returns dx: so does torch here
        w = torch.from_numpy(w).requires_grad_(True)
        b = torch.from_numpy(b).requires_grad_(True)
        grad_out = torch.from_numpy(grad_out)

        def forward_backward():
            x.grad = w.grad = b.grad = None
            out = torch.nn.functional.conv2d(x, w, b, stride=stride, padding=padding)
            out.backward(grad_out)
        return forward_backward
    return build


def _shape_text(name):
    x_shape, w_shape, stride, padding = SHAPES[name]
    text = f"x{x_shape}, w{w_shape}"
    return text + (f", pad {padding}" if padding else "")


CASES = [Case(name, _shape_text(name), {"lecture_nn": _lecture_nn_builder(name), "torch": _torch_builder(name)},
              floors={"float32": FLOORS[name], "float64": 2.0},
              description="Conv2D forward + backward (dx, dW, db)")
         for name in SHAPES]


# --- the readable loop against the fast route (forward only, S1) -----------------
def _loop_conv():
    return import_first([("lecture_nn.lessons.convolution", "conv2d_loop"), ("lecture_nn.lessons.convolution.loop", "conv2d_loop"),
                         ("lecture_nn.lessons.convolution", "conv2d_naive"), ("lecture_nn.lessons.convolution.naive", "conv2d_naive")])


def _fast_conv():
    return import_first([("lecture_nn.lessons.convolution", "conv2d_fast"), ("lecture_nn.convolution", "conv2d_fast")])


def _speedup_builder(get_function):
    def build(dtype):
        conv2d = get_function()
        x, w, b, _, stride, padding = _data("S1", dtype)
        return lambda: conv2d(x, w, b, stride=stride, padding=padding)
    return build


SPEEDUP_CASES = [Case("S1-loop", _shape_text("S1"),
                      {"naive": _speedup_builder(_loop_conv), "lecture_nn": _speedup_builder(_fast_conv)},
                      floors={"float64": 500.0}, dtypes=("float64",), repeats=3, slow_impls=("naive",),
                      description="conv2d forward: the readable loop against the fast route")]
