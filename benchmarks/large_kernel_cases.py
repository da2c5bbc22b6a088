"""A single-channel 256×256 image with k = 3, 9, 31: lecture_nn's fastest route, forward only."""
from __future__ import annotations

import numpy as np

from availability import NotAvailable, import_first
from case import SEED, Case

SIZE = 256
KERNELS = (3, 9, 31)


def data(k, dtype):
    rng = np.random.default_rng(SEED)
    x = rng.standard_normal((1, 1, SIZE, SIZE)).astype(dtype)
    w = (rng.standard_normal((1, 1, k, k)) / k).astype(dtype)
    return x, w


def fastest_route(k):
    """The lecture_nn function a user would call for this kernel size, and its name."""
    try:
        return import_first([("lecture_nn.lessons.convolution", "conv2d_auto"), ("lecture_nn.lessons.convolution", "conv2d")]), "conv2d"
    except NotAvailable:
        pass
    if k >= 9:
        return import_first([("lecture_nn.lessons.convolution", "conv2d_fft"), ("lecture_nn.lessons.convolution.fft", "conv2d_fft")]), "conv2d_fft"
    return import_first([("lecture_nn.lessons.convolution", "conv2d_fast"), ("lecture_nn.convolution", "conv2d_fast")]), "conv2d_fast"


def _lecture_nn_builder(k):
    def build(dtype):
        conv2d, _ = fastest_route(k)
        x, w = data(k, dtype)
        return lambda: conv2d(x, w)
    return build


def _torch_builder(k):
    def build(dtype):
        import torch

        x, w = (torch.from_numpy(a) for a in data(k, dtype))

        def forward():
            with torch.no_grad():
                torch.nn.functional.conv2d(x, w)
        return forward
    return build


CASES = [Case(f"K{k}", f"x(1, 1, {SIZE}, {SIZE}), k={k}",
              {"lecture_nn": _lecture_nn_builder(k), "torch": _torch_builder(k)},
              floors={"float32": 1.0, "float64": 2.0} if k == 31 else {"float64": 2.0},
              description="single-channel convolution, forward only")
         for k in KERNELS]
