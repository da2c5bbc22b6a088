"""Convolution (notes §5, §5.1): the operation four ways, sizes and counts, and the Conv2D layer.

Layout: images and batches are NCHW (batch, channels, height, width) and filters
are (out_channels, in_channels, kh, kw).

What is computed is a **cross-correlation**, exactly the notes' formula
f(Σ_ij w_ij x_{i+p, j+q} + b): the kernel slides over the image *without being
flipped*. Signal processing calls the flipped version "convolution"; deep
learning (the notes, PyTorch, every library) uses the unflipped one under that
name, and so do we. ``scipy.signal.correlate2d`` computes the same thing.

Implementations (all agree to rounding):

* :func:`conv2d_loop` — the formula as nested loops, for reading;
* :func:`conv2d_fast` — im2col + one batched matmul, the default;
* :func:`conv2d_fft` — through the FFT, best for large kernels;
* :func:`conv_matrix` — the convolution as an explicit (dense or sparse) matrix;
* :func:`conv2d` — picks the fastest route for the shapes.
"""
from .sizes import (output_size, fully_connected_weights, locally_connected_weights,
                    shared_weights)
from .counts import dense_matrix_flops, direct_flops, fft_flops, fft_crossover
from .fast import conv2d_fast, im2col, im2col_wide, col2im, col2im_wide, MAX_PATCH_BYTES
from .loop import conv2d_loop
from .fft import conv2d_fft
from .matrix import conv_matrix
from .route import conv2d, prefers_fft
from .layer import Conv2D

__all__ = ["Conv2D", "conv2d", "conv2d_loop", "conv2d_fast", "conv2d_fft", "conv_matrix",
           "im2col", "im2col_wide", "col2im", "col2im_wide", "prefers_fft", "output_size", "fully_connected_weights",
           "locally_connected_weights", "shared_weights", "dense_matrix_flops", "direct_flops",
           "fft_flops", "fft_crossover", "MAX_PATCH_BYTES"]
