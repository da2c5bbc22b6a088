"""Benchmark lecture_nn against PyTorch CPU: `make bench` (or `python benchmarks/run.py --help`).

Each library is timed in its own worker process with the same number of
threads; the two workers take turns, case by case and round by round, so that
both libraries meet the same load on a busy machine and the ratio holds. Every
time reported is the median over all rounds (at least 15 samples), after a warm-up.

Writes benchmarks/results/{results.md, results.json, ratios.png} and docs/benchmarks.md; a full run
(no --cases) then runs crossover.py, notebook 05's measured FFT crossover.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from cases import ALL_CASES  # noqa: E402
import machine  # noqa: E402
import report  # noqa: E402

WORKER_OF_IMPL = {"lecture_nn": "numpy", "naive": "numpy", "torch": "torch"}


class Worker:
    """A worker.py process for one library, answering one JSON request per line."""

    def __init__(self, library: str, threads: int):
        env = dict(os.environ)
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = str(threads)
        self.process = subprocess.Popen([sys.executable, str(HERE / "worker.py"), library, str(threads)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                        env=env, cwd=ROOT)
        self.info = self._read()

    def _read(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"benchmark worker exited (code {self.process.wait()})")
        return json.loads(line)

    def ask(self, **request) -> dict:
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        return self._read()

    def close(self):
        self.process.stdin.close()
        self.process.wait()


def time_case(case, dtype, workers, repeats, rounds):
    """Median seconds per implementation (or a reason it is missing), taking turns round by round."""
    impls = list(case.builders)
    repeats = case.repeats or repeats
    per_round = max(1, -(-repeats // rounds))
    n_rounds = -(-repeats // per_round)
    samples = {impl: [] for impl in impls}
    missing = {}
    for r in range(n_rounds):
        for impl in (impls if r % 2 == 0 else impls[::-1]):
            if impl in missing:
                continue
            slow = impl in case.slow_impls
            answer = workers[WORKER_OF_IMPL[impl]].ask(case=case.name, impl=impl, dtype=dtype,
                                                       repeats=per_round, slow=slow)
            if "times" in answer:
                samples[impl] += answer["times"]
            else:
                missing[impl] = answer.get("unavailable") or answer.get("error", "").strip().splitlines()[-1]
                if "error" in answer:
                    print(answer["error"], file=sys.stderr)
    result = {"case": case.name, "shape": case.shape, "dtype": dtype, "description": case.description,
              "floor": case.floors.get(dtype), "samples": {k: len(v) for k, v in samples.items()}}
    for impl in impls:
        result[impl] = statistics.median(samples[impl]) if impl not in missing else None
        result[f"{impl}_min"] = min(samples[impl]) if impl not in missing else None
        if impl in missing:
            result[f"{impl}_missing"] = missing[impl]
    return result


def run_memory_probe(threads):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads))
    done = subprocess.run([sys.executable, str(HERE / "memory_probe.py")], capture_output=True,
                          text=True, env=env, cwd=ROOT)
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_nbval():
    """Wall time of the whole nbval suite, as `make nbval` runs it."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "notebooks", "-q"], capture_output=True,
                          text=True, cwd=ROOT)
    seconds = time.perf_counter() - start
    lines = done.stdout.strip().splitlines()
    failed = [line.split(" - ")[0] for line in lines if line.startswith(("FAILED", "ERROR"))]
    return {"seconds": seconds, "returncode": done.returncode, "summary": lines[-1] if lines else "",
            "failed": failed}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="*", help="case names (default: all): "
                        + ", ".join(c.name for c in ALL_CASES))
    parser.add_argument("--dtypes", nargs="*", default=["float32", "float64"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=15, help="samples per implementation (>= 15)")
    parser.add_argument("--rounds", type=int, default=5, help="turns each library takes per case")
    parser.add_argument("--skip-nbval", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="print only; do not write results or docs")
    parser.add_argument("--skip-crossover", action="store_true",
                        help="do not measure notebook 05's FFT crossover (crossover.py; a full run does)")
    args = parser.parse_args(argv)

    chosen = [c for c in ALL_CASES if not args.cases or c.name in args.cases]
    load_before = os.getloadavg()[0]
    if load_before > 0.5 * (os.cpu_count() or 1):
        print(f"warning: the machine is busy (1-minute load average {load_before:.1f} on "
              f"{os.cpu_count()} cores): thread pools will wait for each other and the ratios "
              f"will be noisy", file=sys.stderr)
    workers = {"numpy": Worker("numpy", args.threads), "torch": Worker("torch", args.threads)}
    rows = []
    try:
        for case in chosen:
            for dtype in case.dtypes:
                if dtype in args.dtypes:
                    rows.append(time_case(case, dtype, workers, args.repeats, args.rounds))
                    print(report.progress_line(rows[-1]), file=sys.stderr, flush=True)
    finally:
        for worker in workers.values():
            worker.close()
    load_after = os.getloadavg()[0]
    extras = {}
    if not args.skip_memory:
        extras["memory"] = run_memory_probe(args.threads)
    if not args.skip_nbval:
        extras["nbval"] = run_nbval()
    info = machine.describe(workers["numpy"].info, workers["torch"].info, args.threads)
    info["load"] = f"{load_before:.1f} at the start, {load_after:.1f} at the end of the timings"
    run = {"date": time.strftime("%Y-%m-%d %H:%M"), "machine": info, "rows": rows, "extras": extras,
           "repeats": args.repeats, "rounds": args.rounds}
    print(report.markdown(run))
    if not args.no_write:
        report.write_all(run, HERE / "results", ROOT / "docs" / "benchmarks.md")
    if not (args.skip_crossover or args.cases):
        # the timings notebook 05 leaves out: their own section of docs/benchmarks.md
        subprocess.run([sys.executable, str(HERE / "crossover.py")] + (["--no-write"] if args.no_write else []),
                       cwd=ROOT, check=True)


if __name__ == "__main__":
    main()
