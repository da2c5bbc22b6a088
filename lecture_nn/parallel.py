"""Work on the parts of a batch in parallel threads, with BLAS on one thread meanwhile.

A convolutional layer treats a batch image by image: one patch matrix, one small
matrix product and one col2im per image. Those small products are too small for
BLAS to split over its threads, and numpy's copies always run on one thread, so
on its own the layer keeps one core busy however many the machine has.

:func:`for_each_part` cuts the batch into contiguous parts, one per thread BLAS
may use (the budget set by ``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS`` or
``threadpoolctl.threadpool_limits``): the calling thread runs the first part and
threads of our own the others; numpy releases the GIL inside copies and matrix
products, so the parts really run at the same time. Meanwhile BLAS is limited to
one thread, so the two kinds of threads do not fight over the cores —
scikit-learn's KMeans does the same.

Our threads start late: waking a thread that sleeps takes tens of µs, more on a
virtual machine or a busy core. Given a :class:`Pace` (the measured time per
item of the work), the calling thread takes a larger part, as many items more
as it gets done while our threads wake up, so that it, not they, finishes last:
then it need not sleep until they are done (a second wake-up). How late our
threads start is measured at every call. A part that no thread has started when
the caller is done with its own is taken by the caller.

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

Our threads are started once and wait on a queue between calls (a
``ThreadPoolExecutor``'s futures cost several times more per call).
"""
from __future__ import annotations

import os
import queue
import signal
import threading
from time import perf_counter

from threadpoolctl import ThreadpoolController

PARTS_PER_THREAD = 2
"""Parts cut per thread when no :class:`Pace` is given: a thread that starts late leaves its
share to the others."""

_blas = None                # the BLAS libraries' threadpoolctl controllers, found once
_workers = None             # (process id, list of task queues, one per worker thread)
_busy = threading.Lock()    # one parallel section at a time; a second caller runs serially
_inside = threading.local()
_lateness = [0.0, 0.0]      # how late our threads start (s): running mean, and mean deviation from it
LATENESS_MARGIN = 2.0
"""The calling thread's extra part covers the mean lateness plus this many mean deviations."""
RUNNING_MEAN_WEIGHT = 0.25
"""Weight of the newest measurement in the running means of :class:`Pace` and of the lateness."""


class Pace:
    """The seconds per item of one kind of work, measured by :func:`for_each_part` on the calling
    thread's part (a running mean). Keep one per kind of work (e.g. per layer and pass) and pass
    it at every call: with it, the calling thread's part is made longer by the items it gets done
    while our threads start."""

    __slots__ = ("seconds_per_item",)

    def __init__(self):
        self.seconds_per_item = 0.0       # not measured yet

    def update(self, seconds: float, items: int) -> None:
        rate = seconds / items
        old = self.seconds_per_item
        self.seconds_per_item = rate if old == 0.0 else old + RUNNING_MEAN_WEIGHT * (rate - old)


def _blas_libraries():
    global _blas
    if _blas is None:
        _blas = [lib for lib in ThreadpoolController().lib_controllers if lib.user_api == "blas"]
    return _blas


try:
    # signal.signal wraps this C function to convert handlers to and from enums; for a function
    # handler that raises and catches an exception at every call (15 µs inside the layer's step)
    from _signal import getsignal as _get_handler, signal as _set_handler
except ImportError:
    _get_handler, _set_handler = signal.getsignal, signal.signal


def thread_budget() -> int:
    """How many threads batch work may use now: BLAS's current thread limit (1 inside a part).

    With several BLAS libraries loaded (numpy's and scipy's OpenBLAS) the smallest
    limit counts: a library loaded after ``threadpool_limits`` keeps its default."""
    return _budget(_blas_limits())


def _blas_limits() -> list | None:
    """Each BLAS library's thread limit (None where unknown), or None inside a part."""
    if getattr(_inside, "active", False):
        return None
    return [lib.get_num_threads() for lib in _blas_libraries()]


def _budget(limits: list | None) -> int:
    return 1 if limits is None else max(1, min([n or 1 for n in limits], default=1))


def split(items: slice, n_parts: int) -> list[slice]:
    """Split the range ``items`` into at most ``n_parts`` contiguous, nearly equal slices."""
    start, stop = items.start, items.stop
    n_parts = max(1, min(n_parts, stop - start))
    edges = [start + (stop - start) * i // n_parts for i in range(n_parts + 1)]
    return [slice(a, b) for a, b in zip(edges[:-1], edges[1:])]


def lead_split(items: slice, n_threads: int, lead: float) -> list[slice]:
    """One part per thread, the first (the calling thread's) ``lead`` items longer than the others
    (rounded down; every other part keeps at least one item)."""
    start, stop = items.start, items.stop
    others = max(1, int((stop - start - lead) // n_threads))
    others = min(others, (stop - start) // n_threads)
    first = stop - start - (n_threads - 1) * others
    edges = [start] + [start + first + i * others for i in range(n_threads)]
    return [slice(a, b) for a, b in zip(edges[:-1], edges[1:])]


def _run_part(work, part):
    _inside.active = True
    try:
        work(part)
    finally:
        _inside.active = False


class _Section:
    """The parts of one call, handed out in order to whichever thread asks first."""

    __slots__ = ("work", "parts", "_lock", "_all_done", "_next", "_running", "_waiting", "error",
                 "stopped", "posted", "arrived")

    def __init__(self, work, parts: list[slice]):
        self.work, self.parts = work, parts
        self._lock = threading.Lock()
        self._all_done = threading.Lock()      # released when the caller waits and the last part ends
        self._all_done.acquire()
        self._next = 0                # the next part to hand out
        self._running = 0             # parts handed out and not finished yet
        self._waiting = False         # the caller sleeps on _all_done
        self.error = None             # the first error a part raised
        self.stopped = False          # set (without the lock) by the SIGINT handler: no new part
        self.posted = 0.0             # when the section was handed to our threads
        self.arrived = None           # when the first of our threads asked for a part

    def claim(self) -> slice | None:
        with self._lock:
            if self.stopped or self.error is not None or self._next == len(self.parts):
                return None
            self._next += 1
            self._running += 1
            return self.parts[self._next - 1]

    def run(self, part: slice | None) -> float:
        """Run ``part`` and then parts until none is left; every thread of the call runs this.
        Returns how long ``part`` took (0 if None)."""
        first = 0.0
        while part is not None:
            error = None
            started = perf_counter()
            try:
                _run_part(self.work, part)
            except BaseException as raised:      # handed to the caller, who re-raises it
                error = raised
            if not first:
                first = perf_counter() - started
            with self._lock:
                self._running -= 1
                if self.error is None:
                    self.error = error
                wake = self._waiting and self._running == 0
            if wake:
                self._all_done.release()
            part = self.claim()
        return first

    def help(self) -> None:
        """What one of our threads does with the section (a call that is already over finds no part)."""
        if self.arrived is None:
            self.arrived = perf_counter()
        self.run(self.claim())

    def wait(self) -> None:
        """Wait until no part is running; call it once this thread's ``run`` has returned
        (no part is handed out any more then)."""
        with self._lock:
            if self._running == 0:
                return
            self._waiting = True
        self._all_done.acquire()


def _serve(tasks: queue.SimpleQueue) -> None:
    while True:
        tasks.get().help()


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


def for_each_part(work, items: slice, n_threads: int | None = None, min_part_size: int = 1,
                  pace: Pace | None = None) -> None:
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
    pace : Pace, optional
        The measured time per item of this work, updated here. With it the range is
        cut into one part per thread, the calling thread's longer by the items it gets
        done while our threads start (see the module docstring); without it, into up
        to :data:`PARTS_PER_THREAD` equal parts per thread, each at least
        ``min_part_size`` long, which the threads take in order as they come free.

    Errors raised by ``work`` reach the caller after every running part has stopped;
    parts not started by then are skipped. A SIGINT arriving meanwhile is passed on
    to its handler at the same moment, with BLAS back to its thread limits.
    """
    limits = None
    if n_threads is None:     # thread_budget(), keeping the limits to restore them
        limits = _blas_limits()
        n_threads = _budget(limits)
    n_items = items.stop - items.start
    n_threads = min(n_threads, n_items // max(min_part_size, 1))
    # SIGINT can be held back only in the main thread, and only if its handler is Python's to restore
    if (n_threads <= 1 or threading.current_thread() is not threading.main_thread()
            or _get_handler(signal.SIGINT) is None):
        work(items)
        return
    if pace is None:
        parts = split(items, min(n_threads * PARTS_PER_THREAD, n_items // max(min_part_size, 1)))
    else:
        lead = 0.0
        if pace.seconds_per_item > 0.0:
            lead = (_lateness[0] + LATENESS_MARGIN * _lateness[1]) / pace.seconds_per_item
        parts = lead_split(items, n_threads, lead)
    section = _Section(work, parts)
    interrupts = []

    def note(signum, frame):
        interrupts.append(signum)
        section.stopped = True

    # from here on a SIGINT is noted, not raised: a KeyboardInterrupt in the middle of the
    # clean-up would leave BLAS on one thread or the lock held
    previous = _set_handler(signal.SIGINT, note)
    try:
        _run_section(section, n_threads, pace, limits)
    finally:
        _set_handler(signal.SIGINT, previous)
        if interrupts:
            # deliver it again, now to the previous handler: Python's raises KeyboardInterrupt,
            # IPython's does what it does, SIG_IGN ignores it, SIG_DFL ends the process
            signal.raise_signal(signal.SIGINT)


def _run_section(section: _Section, n_threads: int, pace: Pace | None, saved: list | None) -> None:
    if not _busy.acquire(blocking=False):    # a nested call: from a part, or a signal handler
        section.work(slice(section.parts[0].start, section.parts[-1].stop))
        return
    libraries = _blas_libraries()
    if saved is None:
        saved = [lib.get_num_threads() for lib in libraries]
    try:
        for lib in libraries:
            lib.set_num_threads(1)
        first = section.claim()            # the caller's part, claimed before our threads can
        for tasks in _worker_queues(n_threads - 1):
            tasks.put(section)
        section.posted = perf_counter()    # our threads are late from when the caller starts its part
        took = section.run(first)
        if pace is not None and section.error is None:
            pace.update(took, first.stop - first.start)
    finally:
        section.wait()                 # no part may still be writing when we return
        for lib, n in zip(libraries, saved):
            if n is not None:
                lib.set_num_threads(n)
        _busy.release()
    if pace is not None:
        _note_lateness(section)
    if section.error is not None:
        raise section.error            # a part's error, now that every part has stopped


def _note_lateness(section: _Section) -> None:
    """Update the running mean of how late our threads start (and of its deviation): the first
    arrival, or, if none came, a lower bound (now)."""
    arrived = section.arrived if section.arrived is not None else perf_counter()
    late = arrived - section.posted
    mean, deviation = _lateness
    _lateness[0] = mean + RUNNING_MEAN_WEIGHT * (late - mean)
    _lateness[1] = deviation + RUNNING_MEAN_WEIGHT * (abs(late - mean) - deviation)
