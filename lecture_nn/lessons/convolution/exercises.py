"""Checkers for the exercises of notebook 05 (convolution)."""
from __future__ import annotations

import numpy as np

from lecture_nn.lessons.convolution import conv_matrix, fft_crossover, locally_connected_weights
from lecture_nn.lessons.checking import verdict

EXERCISE_KERNEL = np.array([[1.0, -1.0], [2.0, 0.5]])
"""The 2×2 patch of exercise 1."""


def check_conv_matrix(answer) -> bool:
    """Exercise 1: the 16×25 matrix of correlating a 5×5 image with ``EXERCISE_KERNEL`` (stride 1)."""
    answer = np.asarray(answer, dtype=float)
    if answer.shape != (16, 25):
        hint = " (rows: the 4×4 outputs, columns: the 5×5 pixels)" if answer.size else ""
        raise ValueError(f"the matrix must have shape (16, 25){hint}, got {answer.shape}")
    return verdict(answer, conv_matrix((5, 5), EXERCISE_KERNEL), "convolution matrix",
                   hint="Row 4·p + q (output (p, q)) holds w[i, j] in column 5·(p + i) + (q + j).")


def check_weight_count(answer, input_size=256, kernel_size=5, stride=1) -> bool:
    """Exercise 2: weights of a locally connected layer (no sharing) on this geometry."""
    return verdict(answer, locally_connected_weights(input_size, kernel_size, stride),
                   f"weights without sharing ({input_size}², {kernel_size}×{kernel_size}, "
                   f"stride {stride})",
                   hint="(number of patches) × (weights per patch); count the patches per row first.")


def check_crossover(answer, image_size=1024) -> bool:
    """Exercise 3: the smallest kernel size for which the FFT needs fewer flops than the
    sliding window on an ``image_size``² image (by :mod:`lecture_nn.lessons.convolution.counts`)."""
    return verdict(answer, fft_crossover(image_size), f"FFT crossover for {image_size}²",
                   hint="Compare fft_flops and direct_flops for k = 1, 2, 3, …")
