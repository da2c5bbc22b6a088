"""Work on the parts of a batch in parallel threads, with BLAS on one thread meanwhile.

A convolutional layer treats a batch image by image: one patch matrix, one small
matrix product and one col2im per image. Those small products are too small for
BLAS to split over its threads, and numpy's copies always run on one thread, so
on its own the layer keeps one core busy however many the machine has.

:func:`for_each_part` splits the batch into as many contiguous parts as BLAS may
use threads (the budget set by ``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS`` or
``threadpoolctl.threadpool_limits``) and runs the parts in threads of our own;
numpy releases the GIL inside copies and matrix products, so the parts really
run at the same time. Meanwhile BLAS is limited to one thread, so the two kinds
of threads do not fight over the cores — scikit-learn's KMeans does the same.

Each part must write only its own slice of the outputs, and any sum over the
batch must be taken after the parts are done: then the result does not depend
on the number of threads, bit for bit.
"""
from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor, wait

from threadpoolctl import ThreadpoolController

_controller = None
_pool = None                # (process id, executor)
_busy = threading.Lock()    # one parallel section at a time; a second caller runs serially
_inside = threading.local()


def _blas_libraries():
    global _controller
    if _controller is None:
        _controller = ThreadpoolController()
    return [lib for lib in _controller.lib_controllers if lib.user_api == "blas"]


def thread_budget() -> int:
    """How many threads batch work may use now: BLAS's current thread limit (1 inside a part).

    With several BLAS libraries loaded (numpy's and scipy's OpenBLAS) the smallest
    limit counts: a library loaded after ``threadpool_limits`` keeps its default."""
    if getattr(_inside, "active", False):
        return 1
    return max(1, min([lib.num_threads for lib in _blas_libraries()], default=1))


def split(items: slice, n_parts: int) -> list[slice]:
    """Split the range ``items`` into at most ``n_parts`` contiguous, nearly equal slices."""
    start, stop = items.start, items.stop
    n_parts = max(1, min(n_parts, stop - start))
    edges = [start + (stop - start) * i // n_parts for i in range(n_parts + 1)]
    return [slice(a, b) for a, b in zip(edges[:-1], edges[1:])]


def _run_part(work, part):
    _inside.active = True
    try:
        work(part)
    finally:
        _inside.active = False


def _get_pool(size: int) -> ThreadPoolExecutor:
    global _pool
    if _pool is None or _pool[0] != os.getpid() or _pool[1]._max_workers < size:
        # a forked child inherits the pool object but not its threads: start a new one
        _pool = (os.getpid(), ThreadPoolExecutor(max_workers=size, thread_name_prefix="lecture_nn"))
    return _pool[1]


def for_each_part(work, items: slice, n_threads: int | None = None) -> None:
    """Call ``work(part)`` for contiguous parts of ``items``, in parallel threads.

    Parameters
    ----------
    work : callable taking a slice
        Must write only to its own part of any shared output.
    items : slice with start and stop
        The range to split (e.g. the images of a batch).
    n_threads : int, optional
        Default :func:`thread_budget`. With one thread (or one item), or while
        another thread is inside ``for_each_part``, ``work`` is called once, on
        the whole range, in the calling thread.

    Errors raised by ``work`` reach the caller, after every part has stopped.
    """
    if n_threads is None:
        n_threads = thread_budget()
    parts = split(items, n_threads)
    if len(parts) == 1 or not _busy.acquire(blocking=False):
        work(items)
        return
    libraries = _blas_libraries()
    saved = [lib.num_threads for lib in libraries]
    futures = []
    try:
        for lib in libraries:
            lib.set_num_threads(1)
        pool = _get_pool(len(parts) - 1)
        futures = [pool.submit(_run_part, work, part) for part in parts[1:]]
        _run_part(work, parts[0])
    finally:
        wait(futures)                  # no part may still be writing when we return
        for lib, n in zip(libraries, saved):
            lib.set_num_threads(n)
        _busy.release()
    for future in futures:
        future.result()                # re-raise a part's error
