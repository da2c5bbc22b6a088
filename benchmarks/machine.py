"""A description of the machine a run was made on (CPU, cores, library versions)."""
from __future__ import annotations

import os
import platform


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe(numpy_worker_info: dict, torch_worker_info: dict, threads: int) -> dict:
    import numpy as np

    blas = ", ".join(f"{d['internal_api']} {d['version']} ({d['threading_layer']}, "
                     f"{d['architecture']}, {d['num_threads']} threads)"
                     for d in numpy_worker_info.get("blas", []))
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "threads": threads,
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "numpy": np.__version__,
        "blas": blas or "unknown",
        "torch": torch_worker_info.get("torch_version", "not installed"),
        "torch_threads": torch_worker_info.get("torch_threads"),
    }
