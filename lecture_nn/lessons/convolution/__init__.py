"""Notebook 05, convolution (notes §5, §5.1): the operation four ways, sizes and counts, filters.

What is computed everywhere is the notes' cross-correlation (see :mod:`lecture_nn.convolution`).
Implementations (all agree to rounding):

* :func:`conv2d_loop` — the formula as nested loops, for reading, and the tests' oracle;
* :func:`conv2d_fast` — im2col + one batched matmul (the package's, re-exported here);
* :func:`conv2d_fft` — through the FFT, best for large kernels;
* :func:`conv_matrix` — the convolution as an explicit (dense or sparse) matrix;
* :func:`conv2d` — picks the faster of the fast and FFT routes for the shapes.

``from lecture_nn.lessons import convolution as conv`` gives all of them, with the
counts, the filters and the sample photo; the widgets and exercises are the
submodules ``widgets`` and ``exercises``.
"""
from lecture_nn.convolution import Conv2D, conv2d_fast
from lecture_nn.lessons.convolution.counts import (dense_matrix_flops, direct_flops, fft_crossover,
                                                   fft_flops, fully_connected_weights,
                                                   locally_connected_weights, shared_weights)
from lecture_nn.lessons.convolution.fft import conv2d_fft
from lecture_nn.lessons.convolution.loop import conv2d_loop
from lecture_nn.lessons.convolution.matrix import conv_matrix
from lecture_nn.lessons.convolution.route import conv2d, prefers_fft
from lecture_nn.patches import col2im, im2col, output_size

__all__ = ["Conv2D", "conv2d", "conv2d_loop", "conv2d_fast", "conv2d_fft", "conv_matrix",
           "im2col", "col2im", "prefers_fft", "output_size", "fully_connected_weights",
           "locally_connected_weights", "shared_weights", "dense_matrix_flops", "direct_flops",
           "fft_flops", "fft_crossover"]
