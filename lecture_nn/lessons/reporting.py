"""Printing results that hold on every machine and for every seed (shared by the lessons).

Training amplifies the last bits of floating-point sums, and those differ between CPUs
and BLAS builds: a test accuracy of 0.980 here can be 0.979 on a student's laptop. So
the notebooks print

* **verdicts** decided by a wide margin (``"5 of 5 seeds"``, ``"below 0.8"``), which nbval checks;
* spreads over several seeds (:func:`mean_std`) at a precision that the machine cannot move;
* and, where an exact figure is worth showing but cannot be stable, a line of its own
  that says so in words (:func:`varies_with_cpu`: "… (exact digits vary by machine)"):
  nbval's sanitizer (``tests/nbval_sanitize.cfg``) blanks exactly those lines and nothing else.

A claim's verdicts print as one small table (:func:`table`), not as a column of True/False.
"""
from __future__ import annotations

import numpy as np

CPU_MARK = "(exact digits vary by machine)"
"""Ends a printed line whose digits may differ on another machine; the test sanitizer blanks it."""


def varies_with_cpu(text: str) -> str:
    """``text`` marked as a figure that another CPU may print differently (one line)."""
    if "\n" in text:
        raise ValueError("mark one line at a time")
    return f"{text}  {CPU_MARK}"


def mean_std(values, digits: int = 2) -> str:
    """``"0.83 ± 0.02"``: the mean and the standard deviation (ddof=1) of per-seed results."""
    values = np.asarray(values, dtype=float)
    spread = values.std(ddof=1) if values.size > 1 else 0.0
    return f"{values.mean():.{digits}f} ± {spread:.{digits}f}"


def seeds_where(flags) -> str:
    """``"4 of 5 seeds"``: in how many of the seeds a condition held."""
    flags = [bool(f) for f in flags]
    return f"{sum(flags)} of {len(flags)} seeds"


def table(header, rows) -> str:
    """A small plain-text table, columns aligned: what a claim's verdicts print as.

    >>> print(table(("depth", "spread", "verdict"), [(10, "0.81", "kept"), (40, "1e-12", "vanished")]))
    depth  spread  verdict
    -----  ------  --------
    10     0.81    kept
    40     1e-12   vanished
    """
    header = [str(h) for h in header]
    rows = [[str(cell) for cell in row] for row in rows]
    if any(len(row) != len(header) for row in rows):
        raise ValueError(f"every row must have {len(header)} cells, as the header")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [header, ["-" * w for w in widths], *rows]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip() for line in lines)
