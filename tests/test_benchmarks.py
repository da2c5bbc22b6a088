"""The benchmark harness (benchmarks/): timing, verdicts, the report, and a worker round trip."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCH))

import report  # noqa: E402
import timing  # noqa: E402


def test_sample_returns_per_call_times():
    calls = []
    samples = timing.sample(lambda: calls.append(1), repeats=4, number=3, warmup_calls=2)
    assert len(samples) == 4 and all(s >= 0 for s in samples)
    assert len(calls) == 2 + 4 * 3


def test_calibrate_groups_fast_calls_and_not_slow_ones():
    assert timing.calibrate(lambda: None, warmup_seconds=0.01) > 1
    assert timing.calibrate(lambda: sum(range(300_000)), warmup_seconds=0.0,
                            min_sample_seconds=1e-6) == 1


def _row(**kw):
    row = {"case": "S1", "shape": "x", "dtype": "float32", "floor": 1.5, "lecture_nn": 2.0,
           "torch": 1.0, "lecture_nn_min": 1.0, "torch_min": 1.0}
    row.update(kw)
    return row


def test_verdicts_compare_the_ratio_with_the_floor():
    assert report.ratio(_row()) == 2.0
    assert report.verdict(_row()).endswith("MISSED")
    assert report.verdict(_row(lecture_nn=1.4)).endswith("met")
    assert report.verdict(_row(floor=1.0, lecture_nn=0.9)) == "< 1×: met"
    speedup = {"case": "loop", "dtype": "float64", "floor": 500.0, "naive": 1.0, "lecture_nn": 1e-3}
    assert report.ratio(speedup) == pytest.approx(1000.0)
    assert report.verdict(speedup).endswith("met")


def test_markdown_reports_a_missing_module_instead_of_crashing():
    run = {"rows": [_row(lecture_nn=None, lecture_nn_missing="lecture_nn.x does not exist")],
           "extras": {"nbval": {"seconds": 130.0, "returncode": 0, "summary": "9 passed"}}}
    text = report.markdown(run)
    assert "not available" in text and "lecture_nn.x does not exist" in text
    assert "budget ≤ 120 s: MISSED" in text


def test_worker_times_the_mlp_step_over_the_pipe():
    with subprocess.Popen([sys.executable, str(BENCH / "worker.py"), "numpy", "1"],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as worker:
        ready = json.loads(worker.stdout.readline())
        assert ready["ready"]
        worker.stdin.write(json.dumps({"case": "MLP", "impl": "lecture_nn", "dtype": "float32",
                                       "repeats": 2}) + "\n")
        worker.stdin.flush()
        answer = json.loads(worker.stdout.readline())
        worker.stdin.close()
    assert len(answer["times"]) == 2 and all(t > 0 for t in answer["times"])
