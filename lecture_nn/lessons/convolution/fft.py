"""The convolution through the Fast Fourier Transform (notes §5.1, "convolution is fast").

Multiplying Fourier transforms pointwise is the same as a *circular*
convolution in pixel space. For a cross-correlation we multiply by the
complex conjugate of the kernel's transform instead:

    out[p, q] = Σ_ij w[i, j] x[p + i, q + j]  =  IFFT( FFT(x) · conj(FFT(w)) )[p, q],

with the kernel zero-padded to the image size. Wrapping around only affects
positions whose window would leave the image, so the "valid" outputs
(p ≤ H − kh, q ≤ W − kw) are exact and no extra padding is needed.

Cost: three 2-D FFTs of the image size, O(d² log d), whatever the kernel size;
the sliding window costs O(d² k²). So the FFT wins for large kernels (see
:func:`~lecture_nn.lessons.convolution.counts.fft_flops` and :func:`~lecture_nn.lessons.convolution.route.conv2d`).
It computes every position, so a stride s > 1 is done by keeping every s-th
output, wasting work: prefer :func:`conv2d_fast` for strided convolutions.
"""
from __future__ import annotations

import numpy as np
from scipy.fft import next_fast_len

from lecture_nn.convolution import add_bias_and_squeeze, padded_conv_inputs


def conv2d_fft(x, w, b=None, stride=1, padding=0):
    """Cross-correlation through ``numpy.fft``: FFT, multiply by conj(FFT(kernel)), inverse FFT.

    Same arguments, shapes and result as :func:`lecture_nn.lessons.convolution.conv2d_fast`
    (float32 input is transformed in single precision and stays float32).
    """
    xp, w, b, (sh, sw), (Ho, Wo), squeeze = padded_conv_inputs(x, w, b, stride, padding)
    N, C, Hp, Wp = xp.shape
    O, _, kh, kw = w.shape
    # any size >= (Hp, Wp) works (the valid outputs never wrap); pick one with small prime factors
    shape = (next_fast_len(Hp, real=True), next_fast_len(Wp, real=True))
    x_hat = np.fft.rfft2(xp, s=shape)                       # (N, C, Fh, Fw)
    w_hat = np.conj(np.fft.rfft2(w, s=shape))               # (O, C, Fh, Fw)
    if C == 1 and N * O <= 64:                               # few products: broadcast them
        spectrum = x_hat[:, None, 0] * w_hat[None, :, 0]    # (N, O, Fh, Fw)
        full = np.fft.irfft2(spectrum, s=shape)
    else:   # at every frequency, sum over channels: an (N, C) @ (C, O) matmul per frequency
        x_f = np.ascontiguousarray(x_hat.transpose(2, 3, 0, 1))   # (Fh, Fw, N, C)
        w_f = np.ascontiguousarray(w_hat.transpose(2, 3, 1, 0))   # (Fh, Fw, C, O)
        full = np.fft.irfft2(x_f @ w_f, s=shape, axes=(0, 1)).transpose(2, 3, 0, 1)
    out = full[:, :, :sh * (Ho - 1) + 1:sh, :sw * (Wo - 1) + 1:sw]
    out = np.ascontiguousarray(out, dtype=xp.dtype)
    return add_bias_and_squeeze(out, b, squeeze)
