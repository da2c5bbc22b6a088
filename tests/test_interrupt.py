"""A SIGINT (Ctrl+C, Kernel → Interrupt) during a parallel section leaves the process as it was.

The child processes get a real SIGINT at several moments of a Conv2D forward and
backward, or of parts of unequal length (then mostly while the main thread waits
for the other part); afterwards BLAS must have its thread limits back, the lock
must be free and Conv2D as fast as before, and the KeyboardInterrupt must have
arrived.
"""
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from threadpoolctl import threadpool_limits

from lecture_nn import parallel
from test_parallel import two_parts_at_once

CHILD = textwrap.dedent("""
    import json, signal, sys, time, traceback
    import numpy as np
    from threadpoolctl import threadpool_info
    import lecture_nn as nn
    from lecture_nn import parallel

    def blas_limits():
        return [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]

    layer = nn.Conv2D(16, 32, 3, rng=np.random.default_rng(0), dtype=np.float32)
    x = np.random.default_rng(1).standard_normal((128, 16, 32, 32)).astype(np.float32)
    grad = np.random.default_rng(2).standard_normal((128, 32, 30, 30)).astype(np.float32)

    matrix = np.random.default_rng(3).standard_normal((300, 300))

    def uneven(part):   # the main thread's part is short: it then waits for the other one
        for _ in range(1 if part.start == 0 else 20):
            matrix @ matrix

    def step_time():   # the fastest of three forward+backward passes
        times = []
        for _ in range(3):
            start = time.perf_counter()
            layer.forward(x)
            layer.backward(grad)
            times.append(time.perf_counter() - start)
        return min(times)

    before = {"limits": blas_limits(), "budget": parallel.thread_budget(), "time": step_time()}
    try:
        print("ready", flush=True)
        while True:
            if sys.argv[1] == "conv2d":
                layer.forward(x)
                layer.backward(grad)
            else:
                parallel.for_each_part(uneven, slice(0, 2))
    except KeyboardInterrupt as error:
        print("caught KeyboardInterrupt", flush=True)
        where = traceback.extract_tb(error.__traceback__)[-1].name
    lock_free = parallel._busy.acquire(blocking=False)
    if lock_free:
        parallel._busy.release()
    after = {"limits": blas_limits(), "budget": parallel.thread_budget(), "lock_free": lock_free,
             "handler_restored": signal.getsignal(signal.SIGINT) is signal.default_int_handler,
             "time": step_time(), "where": where}
    print(json.dumps({"before": before, "after": after}), flush=True)
""")


@pytest.fixture(scope="module")
def child_script(tmp_path_factory):
    path = tmp_path_factory.mktemp("interrupt") / "child.py"
    path.write_text(CHILD)
    return path


@pytest.mark.parametrize("loop,delay", [("conv2d", 0.0), ("conv2d", 0.03), ("conv2d", 0.07),
                                        ("conv2d", 0.13), ("conv2d", 0.21),
                                        ("uneven parts", 0.0), ("uneven parts", 0.05), ("uneven parts", 0.12)])
def test_sigint_leaves_blas_lock_and_speed_as_they_were(child_script, loop, delay):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="2", PYTHONUNBUFFERED="1")
    env.pop("OMP_NUM_THREADS", None)
    child = subprocess.Popen([sys.executable, str(child_script), loop], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert child.stdout.readline().strip() == "ready", child.stderr.read()
        time.sleep(delay)
        os.kill(child.pid, signal.SIGINT)
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 0, err
    lines = out.splitlines()
    assert lines[0] == "caught KeyboardInterrupt", out + err
    report = json.loads(lines[-1])
    before, after = report["before"], report["after"]
    print(f"{loop}, delay {delay}: interrupted in {after['where']}; "
          f"forward+backward {before['time'] * 1e3:.0f} ms before, {after['time'] * 1e3:.0f} ms after")
    assert before["limits"] and before["budget"] == 2
    assert after["limits"] == before["limits"]
    assert after["budget"] == before["budget"]
    assert after["lock_free"] and after["handler_restored"]
    # serial on one BLAS thread takes about twice as long here, which the checks above catch;
    # this loose bound (room for a busy machine) catches anything worse
    assert after["time"] < 3 * before["time"] + 0.05


# In this process: a KeyboardInterrupt from a part's work, and a SIGINT sent while the
# main thread's part is done and it waits for the other part (the old code's weak spot).

def blas_threads():
    return [lib.num_threads for lib in parallel._blas_libraries()]


def lock_is_free():
    if not parallel._busy.acquire(blocking=False):
        return False
    parallel._busy.release()
    return True


@pytest.mark.parametrize("raise_in", ["caller", "other"])   # the main thread's part, or our thread's
def test_a_keyboard_interrupt_from_work_restores_blas_and_frees_the_lock(raise_in):
    work, finished = two_parts_at_once(raise_in, KeyboardInterrupt())
    handler = signal.getsignal(signal.SIGINT)
    with threadpool_limits(2):
        before = blas_threads()
        with pytest.raises(KeyboardInterrupt):
            parallel.for_each_part(work, slice(0, 4))
        assert blas_threads() == before
    assert len(finished) == 1                 # the other running part finished, no new one started
    assert lock_is_free() and signal.getsignal(signal.SIGINT) is handler


def _sigint_while_the_main_thread_waits(main_part_done):
    """Two parts: the caller's returns once the other thread runs its part, which then sends a
    SIGINT while the caller waits for it."""
    other_started = threading.Event()

    def work(part):
        if threading.current_thread() is threading.main_thread():
            assert other_started.wait(10), "the other thread never took a part"
            main_part_done.set()
        else:
            other_started.set()
            main_part_done.wait(10)
            time.sleep(0.02)                # the main thread is in its wait by now
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
    return work


def test_a_sigint_while_waiting_for_a_part_arrives_after_the_clean_up():
    main_part_done = threading.Event()
    handler = signal.getsignal(signal.SIGINT)
    with threadpool_limits(2):
        before = blas_threads()
        with pytest.raises(KeyboardInterrupt) as caught:
            parallel.for_each_part(_sigint_while_the_main_thread_waits(main_part_done), slice(0, 2))
        assert blas_threads() == before
    assert caught.traceback[-1].name == "for_each_part"    # raised once the section was over
    assert lock_is_free() and signal.getsignal(signal.SIGINT) is handler


def test_a_sigint_stops_handing_out_parts():
    parts, sent = [], []

    def work(part):
        parts.append(part)
        if threading.current_thread() is threading.main_thread() and not sent:
            sent.append(part)
            os.kill(os.getpid(), signal.SIGINT)   # noted while the caller runs its first part
        time.sleep(0.05)

    with threadpool_limits(1), pytest.raises(KeyboardInterrupt):
        parallel.for_each_part(work, slice(0, 8), n_threads=2)
    # of the 4 parts, the caller's first and at most one the other thread had taken meanwhile
    assert sent and sent[0] in parts and len(parts) <= 2
    assert lock_is_free()


def test_a_sigint_goes_to_the_handler_that_was_there_before():
    received = []
    handler = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        with threadpool_limits(2):
            before = blas_threads()
            parallel.for_each_part(_sigint_while_the_main_thread_waits(threading.Event()), slice(0, 2))
            assert received == [signal.SIGINT] and blas_threads() == before
            signal.signal(signal.SIGINT, signal.SIG_IGN)              # ignored stays ignored
            parallel.for_each_part(_sigint_while_the_main_thread_waits(threading.Event()), slice(0, 2))
    finally:
        signal.signal(signal.SIGINT, handler)
    assert received == [signal.SIGINT] and lock_is_free()
