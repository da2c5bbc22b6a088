"""Timing one callable: warm-up, then per-call times (median taken by the caller).

Very fast calls are timed in groups of ``number`` calls so that one sample
lasts at least ``min_sample_seconds`` and the timer's resolution and the
loop overhead do not dominate; a sample is the group's time divided by ``number``.
"""
from __future__ import annotations

import math
import time


def calibrate(fn, warmup_seconds: float = 0.2, min_sample_seconds: float = 0.02,
              max_number: int = 200) -> int:
    """Warm up ``fn`` (at least two calls) and return how many calls make one sample."""
    start = time.perf_counter()
    fn()  # first call: allocations, lazy imports, BLAS thread start-up
    times = []
    while True:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        if time.perf_counter() - start >= warmup_seconds or len(times) >= 50:
            break
    fastest = max(min(times), 1e-9)
    return max(1, min(max_number, math.ceil(min_sample_seconds / fastest)))


def sample(fn, repeats: int, number: int = 1, warmup_calls: int = 1) -> list[float]:
    """``repeats`` samples of the time per call of ``fn`` in seconds."""
    for _ in range(warmup_calls):
        fn()
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - t0) / number)
    return samples
