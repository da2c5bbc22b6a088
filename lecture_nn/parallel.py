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

Interrupts (Ctrl+C, Kernel → Interrupt): while the parts run, a SIGINT is only
noted, and delivered to the previous handler (usually as KeyboardInterrupt) once
the parts have stopped and the BLAS limits are restored — a few milliseconds
to a second later. An interrupt in the middle would leave BLAS on one thread.

Only the main thread can hold back SIGINT, and from other threads OpenBLAS
ignores ``set_num_threads``: called from another thread, :func:`for_each_part`
runs the work serially in that thread, without touching BLAS.
"""
from __future__ import annotations

import os
import signal
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
        Default :func:`thread_budget`. With one thread (or one item), when called
        from a thread other than the main one, or while ``for_each_part`` is
        already running, ``work`` is called once, on the whole range, in the
        calling thread.

    Errors raised by ``work`` reach the caller, after every part has stopped.
    A SIGINT arriving meanwhile is passed on to its handler after every part
    has stopped and BLAS is back to its thread limits.
    """
    if n_threads is None:
        n_threads = thread_budget()
    parts = split(items, n_threads)
    # SIGINT can be held back only in the main thread, and only if its handler is Python's to restore
    if (len(parts) == 1 or threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is None):
        work(items)
        return
    interrupts = []
    # from here on a SIGINT is noted, not raised: a KeyboardInterrupt in the middle of the
    # clean-up would leave BLAS on one thread or the lock held
    previous = signal.signal(signal.SIGINT, lambda signum, frame: interrupts.append(signum))
    try:
        _run_parts(work, items, parts)
    finally:
        signal.signal(signal.SIGINT, previous)
        if interrupts:
            # deliver it again, now to the previous handler: Python's raises KeyboardInterrupt,
            # IPython's does what it does, SIG_IGN ignores it, SIG_DFL ends the process
            signal.raise_signal(signal.SIGINT)


def _run_parts(work, items: slice, parts: list[slice]) -> None:
    libraries = _blas_libraries()
    saved = [lib.num_threads for lib in libraries]
    if not _busy.acquire(blocking=False):    # a nested call: from a part, or a signal handler
        work(items)
        return
    futures = []
    try:
        for lib in libraries:
            lib.set_num_threads(1)
        pool = _get_pool(len(parts) - 1)
        for part in parts[1:]:
            futures.append(pool.submit(_run_part, work, part))
        _run_part(work, parts[0])
    finally:
        wait(futures)                  # no part may still be writing when we return
        for lib, n in zip(libraries, saved):
            lib.set_num_threads(n)
        _busy.release()
    for future in futures:
        future.result()                # re-raise a part's error
