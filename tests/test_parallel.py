"""lecture_nn.parallel: batch parts in threads, BLAS on one thread meanwhile, errors passed on."""
import threading

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from lecture_nn import parallel
from lecture_nn.lessons.convolution import Conv2D


def blas_threads():
    return [lib.num_threads for lib in parallel._blas_libraries()]


@pytest.mark.parametrize("n_items,n_parts", [(10, 1), (10, 2), (10, 3), (3, 5), (1, 4), (64, 2)])
def test_split_covers_the_range_in_order_without_overlap(n_items, n_parts):
    parts = parallel.split(slice(5, 5 + n_items), n_parts)
    assert len(parts) == min(n_items, n_parts)
    assert parts[0].start == 5 and parts[-1].stop == 5 + n_items
    assert all(a.stop == b.start for a, b in zip(parts, parts[1:]))
    sizes = [part.stop - part.start for part in parts]
    assert max(sizes) - min(sizes) <= 1 and min(sizes) >= 1


def test_parts_run_in_other_threads_with_blas_on_one_thread():
    seen = {}
    lock = threading.Lock()

    def work(part):
        with lock:
            seen[part.start] = (threading.get_ident(), blas_threads(), parallel.thread_budget())

    with threadpool_limits(2):
        before = blas_threads()
        parallel.for_each_part(work, slice(0, 8))
        assert blas_threads() == before                    # restored afterwards
    assert sorted(seen) == [0, 4]
    assert len({ident for ident, _, _ in seen.values()}) == 2
    assert all(threads == [1] * len(threads) and budget == 1 for _, threads, budget in seen.values())


def test_one_thread_runs_the_whole_range_in_the_caller():
    calls = []
    with threadpool_limits(1):
        parallel.for_each_part(lambda part: calls.append((part, threading.get_ident())), slice(2, 9))
    assert calls == [(slice(2, 9), threading.get_ident())]


def test_an_error_in_a_part_reaches_the_caller_after_every_part_stopped():
    finished = []

    def work(part):
        if part.start == 0:
            raise ValueError("bad part")
        finished.append(part)

    with threadpool_limits(2):
        before = blas_threads()
        with pytest.raises(ValueError, match="bad part"):
            parallel.for_each_part(work, slice(0, 4))
        assert blas_threads() == before
        with pytest.raises(ZeroDivisionError):             # an error in the worker thread, too
            parallel.for_each_part(lambda part: part.start == 2 and 1 / 0, slice(0, 4))
        assert blas_threads() == before
    assert finished == [slice(2, 4)]


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
        parallel.for_each_part(lambda sub: inner.append((part.start, sub)), part)

    with threadpool_limits(2):
        parallel.for_each_part(outer, slice(0, 6))
    assert sorted(inner, key=lambda item: item[0]) == [(0, slice(0, 3)), (3, slice(3, 6))]


@pytest.mark.parametrize("stride,padding,cap", [(1, 1, None), (2, 1, None), (1, 0, 1), (3, 2, 2 * 2**10)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv2d_gives_the_same_bits_for_any_number_of_threads(stride, padding, cap, dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((7, 3, 11, 10)).astype(dtype)
    results = []
    for threads in (1, 2, 3):
        layer = Conv2D(3, 4, 3, stride=stride, padding=padding, rng=np.random.default_rng(1), dtype=dtype,
                       **({} if cap is None else {"max_patch_bytes": cap}))
        with threadpool_limits(threads):
            out = layer.forward(x)
            grad = np.random.default_rng(2).standard_normal(out.shape).astype(dtype)
            dx = layer.backward(grad)
        results.append((out, dx, layer.grads["W"], layer.grads["b"]))
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_array_equal(a, b)


def _child_sum(connection):
    total = []
    with threadpool_limits(2):
        parallel.for_each_part(lambda part: total.append(part.stop - part.start), slice(0, 10))
    connection.send(sorted(total))


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
    assert receive.recv() == [5, 5]
