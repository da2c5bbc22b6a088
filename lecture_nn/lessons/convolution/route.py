"""``conv2d``: the convolution by whichever implementation is fastest for the shapes.

:func:`time_routes` measures where the FFT overtakes the sliding window on the machine that
calls it; notebook 05 counts operations instead (times change from run to run), and
``make bench`` records the measured crossover of the benchmark machine in ``docs/benchmarks.md``.
"""
from __future__ import annotations

import time

from lecture_nn.checks import check_rng, positive_int
from lecture_nn.lessons.convolution.counts import direct_flops, fft_crossover, fft_flops
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


TIMED_KERNEL_SIZES = (3, 5, 7, 9, 13, 19, 31)
"""The kernel sizes :func:`time_routes` tries by default: odd, from 3 to 31."""


def _fastest_call(call, repeats: int) -> float:
    """Seconds of the fastest of ``repeats`` calls, after one untimed call (allocations, caches)."""
    call()
    fastest = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        fastest = min(fastest, time.perf_counter() - start)
    return fastest


def time_routes(rng, image_size: int = 256, kernel_sizes=TIMED_KERNEL_SIZES, repeats: int = 3) -> dict:
    """Time the sliding window (:func:`conv2d_fast`) and the FFT (:func:`conv2d_fft`) on one
    ``image_size``×``image_size`` image, for each kernel size, on this machine.

    Times change from run to run and from machine to machine, so notebook 05 does not call
    this: call it yourself to see where the FFT overtakes the sliding window on your computer
    (a few seconds for the defaults). ``make bench`` calls it for ``docs/benchmarks.md``.

    Parameters
    ----------
    rng : numpy.random.Generator
        draws the image and the kernels (standard normal, float64)
    image_size : int >= 1
        side d of the square image
    kernel_sizes : sequence of int, each in [1, image_size]
        sides k of the square kernels, in increasing order
    repeats : int >= 1
        timed calls per route and kernel size (after an untimed one); the fastest counts

    Returns
    -------
    dict with ``"image_size"``; ``"kernel_sizes"``, a list of the K sizes; ``"sliding window"``
    and ``"FFT"``, lists of K times in seconds per call; ``"crossover"``, the smallest
    measured k from which the FFT was faster at every larger measured k too (None if it was
    not faster at the largest); and ``"crossover by counts"``, :func:`fft_crossover`'s k.
    """
    rng = check_rng(rng)
    image_size = positive_int(image_size, "image_size")
    repeats = positive_int(repeats, "repeats")
    if isinstance(kernel_sizes, (str, bytes)) or not hasattr(kernel_sizes, "__iter__"):
        raise TypeError(f"kernel_sizes must be a sequence of integers, got {kernel_sizes!r}")
    sizes = [positive_int(k, f"kernel_sizes[{i}]") for i, k in enumerate(kernel_sizes)]
    if not sizes or sizes != sorted(set(sizes)) or sizes[-1] > image_size:
        raise ValueError(f"kernel_sizes must be increasing integers from 1 to image_size = {image_size}, "
                         f"got {list(kernel_sizes)!r}")
    image = rng.standard_normal((image_size, image_size))
    routes = {"sliding window": conv2d_fast, "FFT": conv2d_fft}
    times = {name: [] for name in routes}
    for k in sizes:
        kernel = rng.standard_normal((k, k))
        for name, route in routes.items():
            times[name].append(_fastest_call(lambda: route(image, kernel), repeats))
    return {"image_size": image_size, "kernel_sizes": sizes, **times,
            "crossover": _measured_crossover(sizes, times["sliding window"], times["FFT"]),
            "crossover by counts": fft_crossover(image_size)}


def _measured_crossover(kernel_sizes, window_times, fft_times):
    """The smallest kernel size from which the FFT took less time at every larger size too
    (None if it was not faster at the largest): one lucky small size does not count."""
    crossover = None
    for k, window, fft in reversed(list(zip(kernel_sizes, window_times, fft_times))):
        if fft >= window:
            break
        crossover = k
    return crossover
