"""Weight and operation counts of a convolution (notes §5, §5.1).

Weight counts compare ways of mapping an input image to a hidden layer (Figs. 9
and 10); biases (one per hidden unit, or one per filter with sharing) are not
included.

Operation counts of the three ways to convolve ("convolution is fast").

Counts are floating-point operations (a multiply-add is 2) for correlating a
batch of N images with C channels and O filters, and serve two purposes: the
notebook's comparison of growth rates, and :func:`lecture_nn.lessons.convolution.conv2d`'s
choice between the sliding window and the FFT.

* dense matrix (:func:`conv_matrix`): 2 · (O·Ho·Wo) · (C·H·W) per image — O(d⁴) for a d×d image;
* sliding window (:func:`conv2d_fast`, :func:`conv2d_loop`): 2 · O·C·Ho·Wo·kh·kw per image — O(d² k²);
* FFT (:func:`conv2d_fft`): a real 2-D FFT of n = H·W points costs about 2.5 · n · log₂ n
  (half of the classic 5 n log₂ n for complex input); we transform N·C images and O·C
  kernels, multiply N·O·C spectra of n/2 complex numbers (6 flops each, 2 more for the
  channel sum), and invert N·O results — O(d² log d) whatever the kernel size.
"""
from __future__ import annotations

import numpy as np

from lecture_nn.patches import output_size, pair


def fully_connected_weights(input_size, hidden_size, in_channels=1, out_channels=1) -> int:
    """Weights of a dense layer from every input pixel to every hidden unit:
    (C·H·W) · (O·Ho·Wo)."""
    H, W = pair(input_size, "input_size", 1)
    Ho, Wo = pair(hidden_size, "hidden_size", 1)
    return in_channels * H * W * out_channels * Ho * Wo


def locally_connected_weights(input_size, kernel_size, stride=1, padding=0,
                              in_channels=1, out_channels=1) -> int:
    """Weights when each hidden unit sees only its own patch and has its own weights
    (Fig. 10, no sharing): (number of patches) · (weights per patch) = Ho·Wo · O·C·kh·kw."""
    Ho, Wo = output_size(input_size, kernel_size, stride, padding)
    return Ho * Wo * shared_weights(kernel_size, in_channels, out_channels)


def shared_weights(kernel_size, in_channels=1, out_channels=1) -> int:
    """Weights with weight sharing (a convolution): one kh×kw filter per pair of
    input and output channels, O·C·kh·kw, whatever the image size."""
    kh, kw = pair(kernel_size, "kernel_size", 1)
    return out_channels * in_channels * kh * kw


def _geometry(image_shape, kernel_shape, stride, padding):
    H, W = pair(image_shape, "image_shape", 1)
    kh, kw = pair(kernel_shape, "kernel_shape", 1)
    Ho, Wo = output_size((H, W), (kh, kw), stride, padding)
    return H, W, kh, kw, Ho, Wo


def dense_matrix_flops(image_shape, kernel_shape, stride=1, padding=0, in_channels=1,
                       out_channels=1, batch=1) -> int:
    """Flops of multiplying the dense (O·Ho·Wo) × (C·H·W) convolution matrix with each image."""
    H, W, _, _, Ho, Wo = _geometry(image_shape, kernel_shape, stride, padding)
    return 2 * batch * out_channels * Ho * Wo * in_channels * H * W


def direct_flops(image_shape, kernel_shape, stride=1, padding=0, in_channels=1,
                 out_channels=1, batch=1) -> int:
    """Flops of the sliding window: one kh·kw·C dot product per output pixel and filter."""
    _, _, kh, kw, Ho, Wo = _geometry(image_shape, kernel_shape, stride, padding)
    return 2 * batch * out_channels * in_channels * Ho * Wo * kh * kw


def fft_flops(image_shape, kernel_shape, stride=1, padding=0, in_channels=1,
              out_channels=1, batch=1) -> float:
    """Approximate flops of the FFT route (stride ignored: every position is computed)."""
    H, W, _, _, _, _ = _geometry(image_shape, kernel_shape, stride, padding)
    ph, pw = pair(padding, "padding", 0)
    n = (H + 2 * ph) * (W + 2 * pw)
    transforms = batch * in_channels + out_channels * in_channels + batch * out_channels
    products = batch * out_channels * in_channels * (n / 2) * 8
    return 2.5 * n * np.log2(n) * transforms + products


def fft_crossover(image_size: int, kernel_sizes=None) -> int | None:
    """Smallest odd-or-even kernel size k for which the FFT needs fewer flops than the
    sliding window on a single-channel ``image_size``² image (None if it never does)."""
    kernel_sizes = range(1, image_size + 1) if kernel_sizes is None else kernel_sizes
    for k in kernel_sizes:
        if fft_flops(image_size, k) < direct_flops(image_size, k):
            return int(k)
    return None
