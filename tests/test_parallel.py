"""lecture_nn.parallel: batch parts in threads, BLAS on one thread meanwhile, errors passed on."""
import threading
import time
import types

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from lecture_nn import fast_conv, parallel
from lecture_nn.lessons.convolution import Conv2D


def blas_threads():
    return [lib.num_threads for lib in parallel._blas_libraries()]


def lock_is_free():
    if not parallel._busy.acquire(blocking=False):
        return False
    parallel._busy.release()
    return True


@pytest.mark.parametrize("n_items,n_parts", [(10, 1), (10, 2), (10, 3), (3, 5), (1, 4), (64, 2)])
def test_split_covers_the_range_in_order_without_overlap(n_items, n_parts):
    parts = parallel.split(slice(5, 5 + n_items), n_parts)
    assert len(parts) == min(n_items, n_parts)
    assert parts[0].start == 5 and parts[-1].stop == 5 + n_items
    assert all(a.stop == b.start for a, b in zip(parts, parts[1:]))
    sizes = [part.stop - part.start for part in parts]
    assert max(sizes) - min(sizes) <= 1 and min(sizes) >= 1


def record_parts(seconds=0.0):
    """A ``work`` that records (part, thread, BLAS limits, budget), taking ``seconds`` per part."""
    seen, lock = [], threading.Lock()

    def work(part):
        time.sleep(seconds)
        with lock:
            seen.append((part, threading.get_ident(), blas_threads(), parallel.thread_budget()))
    return work, seen


def test_parts_run_in_other_threads_with_blas_on_one_thread():
    work, seen = record_parts(seconds=0.05)       # long enough for the other thread to take parts
    with threadpool_limits(2):
        before = blas_threads()
        parallel.for_each_part(work, slice(0, 8))
        assert blas_threads() == before                    # restored afterwards
    assert sorted((part.start, part.stop) for part, *_ in seen) == [(0, 2), (2, 4), (4, 6), (6, 8)]
    assert len({ident for _, ident, _, _ in seen}) == 2
    assert all(threads == [1] * len(threads) and budget == 1 for _, _, threads, budget in seen)


def test_a_thread_that_starts_late_leaves_its_parts_to_the_caller():
    release = threading.Event()
    busy = types.SimpleNamespace(help=lambda: release.wait(10))         # keeps our thread occupied
    work, seen = record_parts()
    with threadpool_limits(2):
        parallel._worker_queues(1)[0].put(busy)
        start = time.perf_counter()
        parallel.for_each_part(work, slice(0, 8))
        waited = time.perf_counter() - start
        release.set()
    assert [(part.start, part.stop) for part, *_ in seen] == [(0, 2), (2, 4), (4, 6), (6, 8)]
    assert {ident for _, ident, _, _ in seen} == {threading.get_ident()}
    assert waited < 5                          # it did not wait for the occupied thread


def test_one_thread_runs_the_whole_range_in_the_caller():
    calls = []
    with threadpool_limits(1):
        parallel.for_each_part(lambda part: calls.append((part, threading.get_ident())), slice(2, 9))
    assert calls == [(slice(2, 9), threading.get_ident())]


def two_parts_at_once(raise_in, error):
    """A ``work`` for 4 one-item parts: the caller's first part and the other thread's first part
    run at the same time, and one of them (``raise_in``: "caller" or "other") raises ``error``
    while the other is still running; the parts that finish are listed."""
    other_started, finished = threading.Event(), []

    def work(part):
        caller = threading.current_thread() is threading.main_thread()
        if not caller:
            other_started.set()
        elif not other_started.wait(10):
            raise AssertionError("the other thread never took a part")
        if (raise_in == "caller") == caller:
            raise error
        time.sleep(0.05)
        finished.append(part)
    return work, finished


@pytest.mark.parametrize("raise_in", ["caller", "other"])
def test_an_error_in_a_part_reaches_the_caller_after_every_running_part_stopped(raise_in):
    work, finished = two_parts_at_once(raise_in, ValueError("bad part"))
    with threadpool_limits(2):
        before = blas_threads()
        with pytest.raises(ValueError, match="bad part"):
            parallel.for_each_part(work, slice(0, 4))
        assert blas_threads() == before
    assert len(finished) == 1                  # the running part finished; later parts were skipped
    assert lock_is_free()


def test_a_call_from_another_thread_runs_serially_there_and_leaves_blas_alone():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 3, 9, 9)).astype(np.float32)
    grad = rng.standard_normal((6, 4, 7, 7)).astype(np.float32)

    def conv_results():
        layer = Conv2D(3, 4, 3, rng=np.random.default_rng(1), dtype=np.float32)
        return layer.forward(x), layer.backward(grad), layer.grads["W"]

    calls, results = [], []

    def in_a_thread():
        parallel.for_each_part(lambda part: calls.append((part, threading.get_ident(), blas_threads())),
                               slice(0, 8))
        results.append(conv_results())

    with threadpool_limits(2):
        before = blas_threads()
        expected = conv_results()
        thread = threading.Thread(target=in_a_thread)
        thread.start()
        thread.join()
        assert blas_threads() == before
    assert calls == [(slice(0, 8), thread.ident, before)]
    for a, b in zip(expected, results[0]):
        np.testing.assert_array_equal(a, b)


def test_nested_calls_run_serially():
    inner = []

    def outer(part):
        parallel.for_each_part(lambda sub: inner.append((part, sub)), part)

    with threadpool_limits(2):
        parallel.for_each_part(outer, slice(0, 6))
    assert sorted((part.start, part.stop) for part, _ in inner) == [(0, 1), (1, 3), (3, 4), (4, 6)]
    assert all(sub == part for part, sub in inner)        # each inner call took its part whole


@pytest.mark.parametrize("threads,min_part_size,expected", [
    (3, 5, [(0, 8)]),                                    # shorter than two minimal parts: not split
    (3, 4, [(0, 4), (4, 8)]),                            # two threads' worth, one part each
    (3, 3, [(0, 4), (4, 8)]),
    (2, 2, [(0, 2), (2, 4), (4, 6), (6, 8)]),            # PARTS_PER_THREAD parts per thread
    (3, 1, [(0, 1), (1, 2), (2, 4), (4, 5), (5, 6), (6, 8)]),
])
def test_the_range_is_cut_into_parts_of_at_least_min_part_size(threads, min_part_size, expected):
    work, seen = record_parts()
    with threadpool_limits(threads):
        parallel.for_each_part(work, slice(0, 8), min_part_size=min_part_size)
    assert sorted((part.start, part.stop) for part, *_ in seen) == expected
    if len(expected) == 1:
        assert seen[0][1] == threading.get_ident()


@pytest.mark.parametrize("n_items,n_threads,lead,expected", [
    (10, 2, 0.0, [5, 5]),
    (11, 2, 0.0, [6, 5]),
    (10, 2, 2.0, [6, 4]),        # the caller's part longer by the lead
    (10, 2, 2.9, [7, 3]),        # the others' parts rounded down, the rest to the caller
    (10, 3, 3.0, [6, 2, 2]),
    (10, 2, 50.0, [9, 1]),       # every other part keeps one item
    (4, 3, 0.0, [2, 1, 1]),
])
def test_lead_split_makes_the_first_part_longer_by_the_lead(n_items, n_threads, lead, expected):
    parts = parallel.lead_split(slice(3, 3 + n_items), n_threads, lead)
    assert [part.stop - part.start for part in parts] == expected
    assert parts[0].start == 3 and parts[-1].stop == 3 + n_items
    assert all(a.stop == b.start for a, b in zip(parts, parts[1:]))


def test_with_a_pace_the_caller_takes_the_items_it_gets_done_while_our_thread_starts(monkeypatch):
    """Issue 20: our thread starts tens of µs late; the caller's part makes up for it, so that the
    caller finishes last and need not be woken by our thread (a second wake-up)."""
    monkeypatch.setattr(parallel, "_lateness", [0.002, 0.0])       # our thread starts 2 ms late
    pace = parallel.Pace()
    pace.seconds_per_item = 0.001                                   # 1 ms per item
    seen = []

    def work(part):
        time.sleep(0.001 * (part.stop - part.start))
        seen.append((part, threading.get_ident()))

    with threadpool_limits(2):
        parallel.for_each_part(work, slice(0, 12), pace=pace)
    by_caller = [part for part, ident in seen if ident == threading.get_ident()]
    assert (by_caller[0].start, by_caller[0].stop) == (0, 7)        # 12 − 2 items of lead, halved, + 2
    assert sorted((part.start, part.stop) for part, _ in seen) == [(0, 7), (7, 12)]
    # the pace is the caller's time per item, measured; the lateness is measured too
    assert 0.001 <= pace.seconds_per_item < 0.1
    assert parallel._lateness != [0.002, 0.0]


def test_with_a_pace_a_part_our_thread_has_not_started_is_run_by_the_caller():
    release = threading.Event()
    busy = types.SimpleNamespace(help=lambda: release.wait(10))     # keeps our thread occupied
    work, seen = record_parts()
    pace = parallel.Pace()
    with threadpool_limits(2):
        parallel._worker_queues(1)[0].put(busy)
        start = time.perf_counter()
        parallel.for_each_part(work, slice(0, 8), pace=pace)
        waited = time.perf_counter() - start
        release.set()
    assert sorted((part.start, part.stop) for part, *_ in seen) == [(0, 4), (4, 8)]
    assert {ident for _, ident, _, _ in seen} == {threading.get_ident()}
    assert waited < 5 and pace.seconds_per_item > 0


def part_counter(monkeypatch):
    """Count the parts each of Conv2D's parallel sections was cut into (a list of counts)."""
    counts = []

    def counting(work, items, *args, **kwargs):
        parts = []

        def wrapped(part):
            parts.append(part)
            work(part)
        parallel.for_each_part(wrapped, items, *args, **kwargs)
        counts.append(len(parts))
    monkeypatch.setattr(fast_conv, "for_each_part", counting)
    return counts


@pytest.mark.parametrize("stride,padding,cap", [(1, 1, None), (2, 1, None), (1, 0, 1), (3, 2, 2 * 2**10)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv2d_gives_the_same_bits_for_any_number_of_threads(stride, padding, cap, dtype, monkeypatch):
    monkeypatch.setattr(fast_conv, "MIN_WORK_PER_THREAD", 1)   # threads even for this small batch
    counts = part_counter(monkeypatch)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((7, 3, 11, 10)).astype(dtype)
    results = []
    # with our threads measured as late, the calling thread takes more of the images: the split
    # changes, the numbers must not
    for threads, lateness in [(1, 0.0), (2, 0.0), (3, 0.0), (2, 1.0), (3, 1.0)]:
        monkeypatch.setattr(parallel, "_lateness", [lateness, 0.0])
        monkeypatch.setattr(parallel, "RUNNING_MEAN_WEIGHT", 0.0)        # keep that lateness
        layer = Conv2D(3, 4, 3, stride=stride, padding=padding, rng=np.random.default_rng(1), dtype=dtype,
                       **({} if cap is None else {"max_patch_bytes": cap}))
        with threadpool_limits(threads):
            for _ in range(2):      # the second step splits by the pace the first one measured
                out = layer.forward(x)
                grad = np.random.default_rng(2).standard_normal(out.shape).astype(dtype)
                dx = layer.backward(grad)
        results.append((out, dx, layer.grads["W"], layer.grads["b"]))
        # the 7 images cut into one part per thread (a chunk of one image: not cut)
        assert max(counts) == (min(7, threads) if threads > 1 and cap is None else 1)
        counts.clear()
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("stride", [1, 2])
def test_conv2d_uses_threads_only_for_enough_work(stride, monkeypatch):
    """A thread gets at least MIN_WORK_PER_THREAD multiply-adds (issue 20: fixed costs of small layers)."""
    counts = part_counter(monkeypatch)
    layer = Conv2D(3, 4, 3, stride=stride, rng=np.random.default_rng(1))
    Ho = (11 - 3) // stride + 1
    work_per_image = 3 * 4 * 27 * Ho * Ho           # the three products of one image
    enough = -(-fast_conv.MIN_WORK_PER_THREAD // work_per_image)
    with threadpool_limits(2):
        for n, parts in [(2 * enough - 1, 1), (2 * enough, 2), (4 * enough, 2)]:
            x = np.random.default_rng(0).standard_normal((n, 3, 11, 11))
            layer.backward(np.ones_like(layer.forward(x)))
            assert counts == [parts, parts], n          # forward, then backward
            counts.clear()


def _child_sum(connection):
    work, seen = record_parts(seconds=0.02)
    with threadpool_limits(2):
        parallel.for_each_part(work, slice(0, 10))
    connection.send((sorted((part.start, part.stop) for part, *_ in seen), len({ident for _, ident, _, _ in seen})))


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_forked_child_starts_its_own_threads():
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork on this platform")
    with threadpool_limits(2):
        parallel.for_each_part(lambda part: None, slice(0, 4))   # the parent's worker exists
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child_sum, args=(send,))
    child.start()
    child.join(timeout=60)
    assert child.exitcode == 0, "the child hung or failed"
    assert receive.recv() == ([(0, 2), (2, 5), (5, 7), (7, 10)], 2)
