"""Where the FFT overtakes the sliding window, measured (`make bench`, or run this file).

Notebook 05 compares the two routes of a convolution by their operation counts, which are
the same on every run; measured times are not, so they are taken here and recorded in
docs/benchmarks.md (the section between the "crossover" markers) with
benchmarks/results/crossover.{json,png}. The timing itself is the lesson's own
:func:`lecture_nn.lessons.convolution.route.time_routes`, the function the notebook tells
students to call on their machine.

Usage: python benchmarks/crossover.py [--threads 1] [--no-write]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import machine  # noqa: E402

START, END = "<!-- crossover:start -->", "<!-- crossover:end -->"
IMAGE_SIZES = (64, 256, 512)
SEED = 0
HEADING = "## FFT or sliding window: the measured crossover (notebook 05)"
INTRODUCTION = f"""{HEADING}

Notebook 05 compares the sliding window (im2col + product) and the FFT by the operations they
count, which are the same on every machine and every run. Which one is *faster* depends on the
machine and changes from run to run, so no time is printed in the notebook; `make bench` (or
`.venv/bin/python benchmarks/crossover.py`) measures it here with the lesson's own
`lecture_nn.lessons.convolution.route.time_routes` (one d×d image, one k×k kernel, float64, the
fastest of 3 calls after a warm-up), the function the notebook invites students to call on their
own computer. "FFT faster from" is the smallest kernel size from which the FFT was faster at every
larger size measured too. BLAS gets one thread, as in `make notebooks` and the tests: one image and
one kernel make a matrix–vector product, which a second thread hardly speeds up, and on a busy
2-core machine a second thread made the sliding window up to 10× slower and the crossover erratic.
"""


def measure(threads: int, image_sizes=IMAGE_SIZES, seed: int = SEED) -> dict:
    """One :func:`time_routes` result per image size, BLAS limited to ``threads`` meanwhile."""
    import numpy as np
    from threadpoolctl import threadpool_info, threadpool_limits

    from lecture_nn.lessons.convolution.route import TIMED_KERNEL_SIZES, time_routes

    rng = np.random.default_rng(seed)
    load_before = os.getloadavg()[0]
    with threadpool_limits(threads):
        blas = ", ".join(f"{d['internal_api']} {d['version']} ({d.get('architecture')}, "
                         f"threads: {d['num_threads']})" for d in threadpool_info())
        results = [time_routes(rng, d, [k for k in TIMED_KERNEL_SIZES if k <= d])
                   for d in image_sizes]
    return {"date": time.strftime("%Y-%m-%d %H:%M"), "cpu": machine.cpu_model(),
            "cores": os.cpu_count(), "threads": threads, "python": platform.python_version(),
            "numpy": np.__version__, "blas": blas or "unknown",
            "load": f"{load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end",
            "results": results}


def fmt_time(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    return f"{seconds * 1e3:.3g} ms" if seconds < 1 else f"{seconds:.3g} s"


def markdown(run: dict) -> str:
    """The section's body: the machine, the crossovers, the times."""
    lines = [f"- date: {run['date']}",
             f"- CPU: {run['cpu']}, {run['cores']} cores; BLAS limited to {run['threads']} "
             + ("thread" if run["threads"] == 1 else "threads"),
             f"- Python {run['python']}, numpy {run['numpy']}, BLAS: {run['blas']}",
             f"- 1-minute load average: {run['load']}",
             "",
             "| image | FFT faster from (measured) | FFT fewer operations from (counts) |",
             "| --- | ---: | ---: |"]
    for r in run["results"]:
        measured = f"k = {r['crossover']}" if r["crossover"] else "not in the sizes timed"
        lines.append(f"| {r['image_size']}×{r['image_size']} | {measured} | k = {r['crossover by counts']} |")
    for r in run["results"]:
        lines += ["", f"{r['image_size']}×{r['image_size']} image, seconds per call:", "",
                  "| k | " + " | ".join(str(k) for k in r["kernel_sizes"]) + " |",
                  "| --- |" + " ---: |" * len(r["kernel_sizes"])]
        for route in ("sliding window", "FFT"):
            lines.append(f"| {route} | " + " | ".join(fmt_time(t) for t in r[route]) + " |")
    lines += ["", "![crossover](../benchmarks/results/crossover.png)"]
    return "\n".join(lines)


def chart(run: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # a script writing a file: no display needed
    import matplotlib.pyplot as plt

    results = run["results"]
    fig, axes = plt.subplots(1, len(results), figsize=(4 * len(results), 3.6), squeeze=False)
    for ax, r in zip(axes[0], results):
        for route in ("sliding window", "FFT"):
            ax.loglog(r["kernel_sizes"], r[route], "o-", label=route)
        ax.axvline(r["crossover by counts"], color="0.5", ls="--", label="crossover by counts")
        ax.xaxis.set_minor_locator(plt.NullLocator())
        ax.set_xticks(r["kernel_sizes"], labels=[str(k) for k in r["kernel_sizes"]])
        ax.set(xlabel="kernel size k", ylabel="seconds per call",
               title=f"{r['image_size']}×{r['image_size']} image")
        ax.legend(fontsize=8)
    fig.suptitle(f"measured {run['date']}, BLAS threads: {run['threads']}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_section(docs_path: Path, body: str) -> None:
    """Put ``body`` between the crossover markers of ``docs_path``; the first time, add the
    section (heading, introduction, markers) before the "Latest run" results, or at the end."""
    text = docs_path.read_text(encoding="utf-8") if docs_path.exists() else ""
    block = f"{START}\n{body}\n{END}"
    if START in text and END in text.split(START, 1)[1]:
        before, rest = text.split(START, 1)
        text = before + block + rest.split(END, 1)[1]
    else:
        section = f"{INTRODUCTION}\n{block}\n\n"
        results_start = "<!-- results:start -->"
        text = (text.replace(results_start, section + results_start, 1) if results_start in text
                else text.rstrip("\n") + "\n\n" + section)
    docs_path.write_text(text, encoding="utf-8")


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1)")
    parser.add_argument("--no-write", action="store_true", help="print only; do not write results or docs")
    args = parser.parse_args(argv)
    run = measure(args.threads)
    body = markdown(run)
    print(body)
    if not args.no_write:
        results = HERE / "results"
        results.mkdir(parents=True, exist_ok=True)
        (results / "crossover.json").write_text(json.dumps(run, indent=1) + "\n", encoding="utf-8")
        chart(run, results / "crossover.png")
        write_section(ROOT / "docs" / "benchmarks.md", body)
    return run


if __name__ == "__main__":
    main()
