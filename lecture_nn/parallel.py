"""Work on the parts of a batch in parallel threads, with BLAS on one thread meanwhile.

A convolutional layer treats a batch image by image: one patch matrix, one small
matrix product and one col2im per image. Those small products are too small for
BLAS to split over its threads, and numpy's copies always run on one thread, so
on its own the layer keeps one core busy however many the machine has.

:func:`for_each_part` cuts the batch into a few contiguous parts per thread BLAS
may use (the budget set by ``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS`` or
``threadpoolctl.threadpool_limits``), and the calling thread and threads of our
own take the parts one by one until none is left; numpy releases the GIL inside
copies and matrix products, so the parts really run at the same time. A thread
that starts late (its core busy with other work, or slow to wake from idle)
leaves its parts to the others instead of making them wait. Meanwhile BLAS is
limited to one thread, so the two kinds of threads do not fight over the cores —
scikit-learn's KMeans does the same.

Each part must write only its own slice of the outputs, and any sum over the
batch must be taken after the parts are done: then the result does not depend
on the number of threads (nor on which thread ran which part), bit for bit.

Interrupts (Ctrl+C, Kernel → Interrupt): while the parts run, a SIGINT is only
noted; no new part starts, and the signal is delivered to the previous handler
(usually as KeyboardInterrupt) once the running parts have stopped and the BLAS
limits are restored — a few milliseconds to a second later. An interrupt in the
middle would leave BLAS on one thread.

Only the main thread can hold back SIGINT, and from other threads OpenBLAS
ignores ``set_num_threads``: called from another thread, :func:`for_each_part`
runs the work serially in that thread, without touching BLAS.

Our threads are started once and wait on a queue between calls: handing them a
call costs about 10 µs on the 2-core machine of ``docs/benchmarks.md``, where a
``ThreadPoolExecutor``'s futures cost about 80 µs a call.
"""
from __future__ import annotations

import os
import queue
import signal
import threading

from threadpoolctl import ThreadpoolController

PARTS_PER_THREAD = 2
"""Parts cut per thread: a thread that starts late leaves its share to the others."""

_controller = None
_workers = None             # (process id, list of task queues, one per worker thread)
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


class _Section:
    """The parts of one call, handed out in order to whichever thread asks first."""

    def __init__(self, work, parts: list[slice]):
        self.work, self.parts = work, parts
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._next = 0                # the next part to hand out
        self._running = 0             # parts handed out and not finished yet
        self.error = None             # the first error a part raised
        self.stopped = False          # set (without the lock) by the SIGINT handler: no new part

    def _claim(self) -> slice | None:
        with self._lock:
            if self.stopped or self.error is not None or self._next == len(self.parts):
                return None
            self._next += 1
            self._running += 1
            return self.parts[self._next - 1]

    def run_parts(self) -> None:
        """Run parts until none is left; every thread of the call runs this."""
        while (part := self._claim()) is not None:
            error = None
            try:
                _run_part(self.work, part)
            except BaseException as raised:      # handed to the caller, who re-raises it
                error = raised
            with self._lock:
                self._running -= 1
                if self.error is None:
                    self.error = error
                if self._running == 0:
                    self._idle.notify_all()

    def wait(self) -> None:
        """Wait until no part is running; call it once this thread's ``run_parts`` has returned
        (no part is handed out any more then)."""
        with self._lock:
            while self._running:
                self._idle.wait()


def _serve(tasks: queue.SimpleQueue) -> None:
    while True:
        tasks.get().run_parts()          # a call that is already over finds no part left


def _worker_queues(count: int) -> list[queue.SimpleQueue]:
    global _workers
    if _workers is None or _workers[0] != os.getpid():
        # a forked child inherits the list but not the threads: start new ones
        _workers = (os.getpid(), [])
    queues = _workers[1]
    while len(queues) < count:
        queues.append(queue.SimpleQueue())
        threading.Thread(target=_serve, args=(queues[-1],), name="lecture_nn-part", daemon=True).start()
    return queues[:count]


def for_each_part(work, items: slice, n_threads: int | None = None, min_part_size: int = 1) -> None:
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
    min_part_size : int
        The fewest items worth a thread: a range shorter than twice this is not
        split (waking a thread for less work costs more than it saves).

    The range is cut into up to :data:`PARTS_PER_THREAD` parts per thread, each at
    least ``min_part_size`` long, which the threads take in order as they come free.
    Errors raised by ``work`` reach the caller after every running part has stopped;
    parts not started by then are skipped. A SIGINT arriving meanwhile is passed on
    to its handler at the same moment, with BLAS back to its thread limits.
    """
    if n_threads is None:
        n_threads = thread_budget()
    n_items = items.stop - items.start
    n_threads = min(n_threads, n_items // max(min_part_size, 1))
    # SIGINT can be held back only in the main thread, and only if its handler is Python's to restore
    if (n_threads <= 1 or threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is None):
        work(items)
        return
    section = _Section(work, split(items, min(n_threads * PARTS_PER_THREAD, n_items // max(min_part_size, 1))))
    interrupts = []

    def note(signum, frame):
        interrupts.append(signum)
        section.stopped = True

    # from here on a SIGINT is noted, not raised: a KeyboardInterrupt in the middle of the
    # clean-up would leave BLAS on one thread or the lock held
    previous = signal.signal(signal.SIGINT, note)
    try:
        _run_section(section, n_threads)
    finally:
        signal.signal(signal.SIGINT, previous)
        if interrupts:
            # deliver it again, now to the previous handler: Python's raises KeyboardInterrupt,
            # IPython's does what it does, SIG_IGN ignores it, SIG_DFL ends the process
            signal.raise_signal(signal.SIGINT)


def _run_section(section: _Section, n_threads: int) -> None:
    if not _busy.acquire(blocking=False):    # a nested call: from a part, or a signal handler
        section.work(slice(section.parts[0].start, section.parts[-1].stop))
        return
    libraries = _blas_libraries()
    saved = [lib.num_threads for lib in libraries]
    try:
        for lib in libraries:
            lib.set_num_threads(1)
        for tasks in _worker_queues(n_threads - 1):
            tasks.put(section)
        section.run_parts()
    finally:
        section.wait()                 # no part may still be writing when we return
        for lib, n in zip(libraries, saved):
            lib.set_num_threads(n)
        _busy.release()
    if section.error is not None:
        raise section.error            # a part's error, now that every part has stopped
