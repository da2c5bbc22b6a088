"""``conv2d``: the convolution by whichever implementation is fastest for the shapes."""
from __future__ import annotations

from lecture_nn.lessons.convolution.counts import direct_flops, fft_flops
from lecture_nn.convolution import MAX_PATCH_BYTES, conv2d_fast
from lecture_nn.patches import pair
from lecture_nn.lessons.convolution.fft import conv2d_fft
from lecture_nn.convolution import check_conv_inputs


BLAS_ADVANTAGE = 4.0
"""How many FFT flops cost as much time as one flop of a matrix-matrix product (im2col + matmul
runs near the CPU's peak, the FFT's passes over memory do not; see ``docs/benchmarks.md``).
With one filter on one channel the sliding window is a matrix-*vector* product, memory-bound
too, and the factor is 1."""


def prefers_fft(image_shape, kernel_shape, stride=1, padding=0, in_channels=1,
                out_channels=1, batch=1) -> bool:
    """True when :func:`conv2d` would use the FFT: stride 1 and
    advantage · :func:`fft_flops` < :func:`direct_flops`, with advantage = 1 for a
    single filter on a single channel and ``BLAS_ADVANTAGE`` otherwise."""
    if pair(stride, "stride", 1) != (1, 1):
        return False
    args = (image_shape, kernel_shape, stride, padding, in_channels, out_channels, batch)
    advantage = 1.0 if in_channels * out_channels == 1 else BLAS_ADVANTAGE
    return advantage * fft_flops(*args) < direct_flops(*args)


def conv2d(x, w, b=None, stride=1, padding=0, max_patch_bytes=MAX_PATCH_BYTES):
    """Cross-correlation of x (N, C, H, W) with w (O, C, kh, kw), or of one (H, W) image
    with one (kh, kw) kernel, through the faster route: :func:`conv2d_fft` for large
    kernels at stride 1, :func:`conv2d_fast` (im2col + matmul) otherwise.

    For a 256×256 image the FFT takes over at a 9×9 kernel; it also needs
    far less memory than the patch matrix (a 31×31 kernel makes the patch matrix
    961 times the image).
    """
    x4, w4, _, stride, padding, _ = check_conv_inputs(x, w, b, stride, padding)
    N, C, H, W = x4.shape
    O, _, kh, kw = w4.shape
    if prefers_fft((H, W), (kh, kw), stride, padding, C, O, N):
        return conv2d_fft(x, w, b, stride, padding)
    return conv2d_fast(x, w, b, stride, padding, max_patch_bytes)
