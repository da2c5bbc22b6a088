"""A timing worker: one process per library, driven over stdin/stdout by run.py.

numpy and PyTorch each start their own thread pool; in one process the two
pools fight for the cores, so each library is timed in its own process with the
same thread count. Protocol: one JSON request per line on stdin,
``{"case": ..., "impl": ..., "dtype": ..., "repeats": ...}``, one JSON answer
per line: ``{"times": [...], "number": n}``, ``{"unavailable": reason}`` or
``{"error": traceback}``. The built callable is kept between requests for the
same case, so layers can reuse their buffers as they would in training.
"""
from __future__ import annotations

import json
import os
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def _limit_threads(library: str, threads: int) -> dict:
    from threadpoolctl import threadpool_info, threadpool_limits

    threadpool_limits(threads)
    info = {"blas": [{k: d.get(k) for k in ("internal_api", "version", "num_threads",
                                             "threading_layer", "architecture")}
                     for d in threadpool_info()]}
    if library == "torch":
        import torch

        torch.set_num_threads(threads)
        info["torch_threads"] = torch.get_num_threads()
        info["torch_version"] = torch.__version__
    return info


def main():
    library, threads = sys.argv[1], int(sys.argv[2])
    answer_stream = sys.stdout
    sys.stdout = sys.stderr  # anything a library prints must not corrupt the protocol
    from availability import NotAvailable
    from cases import BY_NAME
    from timing import calibrate, sample

    def answer(obj):
        answer_stream.write(json.dumps(obj) + "\n")
        answer_stream.flush()

    answer({"ready": True, **_limit_threads(library, threads)})
    built = {}  # (case, impl, dtype) -> (callable, number)
    for line in sys.stdin:
        request = json.loads(line)
        key = (request["case"], request["impl"], request["dtype"])
        try:
            if key not in built:
                built.clear()  # free the previous case's arrays
                fn = BY_NAME[request["case"]].builders[request["impl"]](request["dtype"])
                built[key] = (fn, 1 if request.get("slow") else calibrate(fn))
            fn, number = built[key]
            warmup_calls = 0 if request.get("slow") else 1
            answer({"times": sample(fn, request["repeats"], number, warmup_calls), "number": number})
        except NotAvailable as exc:
            answer({"unavailable": str(exc)})
        except Exception:
            built.pop(key, None)
            answer({"error": traceback.format_exc()})


if __name__ == "__main__":
    main()
