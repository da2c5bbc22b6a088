"""Peak memory of the 256×256, k=31 convolution (lecture_nn's fastest route, float32), in a fresh process.

Two measures, printed as JSON: the peak of numpy's allocations seen by
``tracemalloc`` (numpy reports its array buffers to it), and the rise of the
process's peak resident set (``getrusage`` ru_maxrss) across the call, which
also counts memory that tracemalloc does not see (e.g. FFT scratch space).
"""
from __future__ import annotations

import json
import os
import resource
import sys
import tracemalloc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

from large_kernel_cases import data, fastest_route  # noqa: E402


def main():
    conv2d, route = fastest_route(31)
    x, w = data(31, np.float32)
    conv2d(x[:, :, :40, :40], w)  # import and plan everything lazy on a small image first
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    conv2d(x, w)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(json.dumps({"route": route, "tracemalloc_peak_mb": traced_peak / 2**20,
                      "maxrss_delta_mb": (rss_after - rss_before) / 1024}))


if __name__ == "__main__":
    main()
