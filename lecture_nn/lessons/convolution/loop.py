"""The convolution as the notes write it: nested loops, one output pixel at a time.

Slow (pure Python) and meant for reading and as the reference the fast
versions are tested against.
"""
from __future__ import annotations

import numpy as np

from lecture_nn.convolution import add_bias_and_squeeze, padded_conv_inputs


def conv2d_loop(x, w, b=None, stride=1, padding=0):
    """Cross-correlation by loops: hidden unit (p, q) of filter o computes
    Σ_c Σ_i Σ_j w[o, c, i, j] · x[n, c, p·sh + i, q·sw + j] + b[o]
    (the notes' Σ_ij w_ij x_{i+p, j+q} + b, with stride and channels).

    Same arguments, shapes and result as :func:`lecture_nn.lessons.convolution.conv2d_fast`.
    """
    xp, w, b, (sh, sw), (Ho, Wo), squeeze = padded_conv_inputs(x, w, b, stride, padding)
    N, C, Hp, Wp = xp.shape
    O, _, kh, kw = w.shape
    out = np.zeros((N, O, Ho, Wo), dtype=xp.dtype)
    for n in range(N):
        for o in range(O):
            for p in range(Ho):
                for q in range(Wo):
                    total = 0.0
                    for c in range(C):
                        for i in range(kh):
                            for j in range(kw):
                                total += w[o, c, i, j] * xp[n, c, p * sh + i, q * sw + j]
                    out[n, o, p, q] = total
    return add_bias_and_squeeze(out, b, squeeze)
