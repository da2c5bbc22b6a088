"""Turning a run into the markdown table, the bar chart of ratios, and docs/benchmarks.md."""
from __future__ import annotations

import json
from pathlib import Path

START, END = "<!-- results:start -->", "<!-- results:end -->"
MEMORY_FLOOR_MB = 100.0


def fmt_time(seconds):
    if seconds is None:
        return "not available"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds:.3g} s"


def ratio(row):
    """lecture_nn / torch for comparisons; naive / fast (the speed-up) for the loop case."""
    if "naive" in row:
        return row["naive"] / row["lecture_nn"] if row["naive"] and row["lecture_nn"] else None
    return row["lecture_nn"] / row["torch"] if row["lecture_nn"] and row["torch"] else None


def min_ratio(row):
    """The same ratio from each implementation's fastest sample: less sensitive to other load."""
    a, b = (row.get("naive_min"), row.get("lecture_nn_min")) if "naive" in row else \
        (row.get("lecture_nn_min"), row.get("torch_min"))
    return a / b if a and b else None


def fmt_ratio(r):
    if r is None:
        return "–"
    return f"{r:.2f}×" if r >= 0.1 else f"{r:.3f}×"


def verdict(row):
    r, floor = ratio(row), row["floor"]
    if floor is None:
        return ""
    if r is None:
        return "not measured"
    if "naive" in row:
        return f"≥ {floor:g}×: " + ("met" if r >= floor else "MISSED")
    if floor == 1.0:
        return "< 1×: " + ("met" if r < 1 else "MISSED")
    return f"≤ {floor:g}×: " + ("met" if r <= floor else "MISSED")


def progress_line(row):
    r = ratio(row)
    return (f"{row['case']:8s} {row['dtype']:8s} " + "  ".join(f"{k}={fmt_time(row.get(k))}"
            for k in ("lecture_nn", "torch", "naive") if k in row)
            + (f"  ratio={r:.2f}" if r else "  ratio=-"))


def _missing_note(row):
    notes = [f"{impl}: {row[impl + '_missing']}" for impl in ("lecture_nn", "torch", "naive")
             if impl + "_missing" in row]
    return "; ".join(notes)


def markdown(run):
    rows = [r for r in run["rows"] if "naive" not in r]
    loops = [r for r in run["rows"] if "naive" in r]
    lines = ["| case | shape | dtype | lecture_nn median | PyTorch median | ratio | floor (on the ratio) "
             "| ratio of fastest samples |",
             "| --- | --- | --- | ---: | ---: | ---: | --- | ---: |"]
    for row in rows:
        r, rm = ratio(row), min_ratio(row)
        lines.append(f"| {row['case']} | {row['shape']} | {row['dtype']} | {fmt_time(row['lecture_nn'])} "
                     f"| {fmt_time(row['torch'])} | {fmt_ratio(r)} | {verdict(row)} | {fmt_ratio(rm)} |")
    for row in loops:
        r = ratio(row)
        lines += ["", "| case | shape | dtype | readable loop | fast route | speed-up | floor |",
                  "| --- | --- | --- | ---: | ---: | ---: | --- |",
                  f"| {row['case']} | {row['shape']} | {row['dtype']} | {fmt_time(row['naive'])} "
                  f"| {fmt_time(row['lecture_nn'])} | {f'{r:.0f}×' if r else '–'} | {verdict(row)} |"]
    missing = [(row["case"], row["dtype"], _missing_note(row)) for row in run["rows"] if _missing_note(row)]
    if missing:
        lines += ["", "Not available:"] + [f"- {c} {d}: {note}" for c, d, note in missing]
    memory, nbval = run["extras"].get("memory"), run["extras"].get("nbval")
    if memory:
        lines.append("")
        if "error" in memory:
            lines.append(f"Peak memory of the 256×256, k=31 case: not measured ({memory['error']}).")
        else:
            peak = max(memory["tracemalloc_peak_mb"], memory["maxrss_delta_mb"])
            lines.append(f"Peak memory of the 256×256, k=31 case ({memory['route']}, float32, fresh process): "
                         f"{memory['tracemalloc_peak_mb']:.1f} MB traced by tracemalloc (numpy's allocations), "
                         f"{memory['maxrss_delta_mb']:.1f} MB rise of the process's peak RSS (getrusage ru_maxrss); "
                         f"floor ≤ {MEMORY_FLOOR_MB:.0f} MB: {'met' if peak <= MEMORY_FLOOR_MB else 'MISSED'}.")
    if nbval:
        lines += ["", f"Whole nbval suite (`python -m pytest notebooks -q`): {nbval['seconds']:.0f} s "
                  f"({nbval['summary']}); budget ≤ 120 s: "
                  + ("met" if nbval["seconds"] <= 120 and nbval["returncode"] == 0 else
                     "MISSED" if nbval["seconds"] > 120 else "within time, but the suite failed")]
        lines += [f"- {name}" for name in nbval.get("failed", [])]
    return "\n".join(lines)


def machine_markdown(run):
    m = run["machine"]
    return "\n".join([
        f"- date: {run['date']}",
        f"- CPU: {m['cpu']}, {m['cores']} cores; {m['threads']} threads for each library",
        f"- Python {m['python']} on {m['os']}",
        f"- numpy {m['numpy']}, BLAS: {m['blas']}",
        f"- torch {m['torch']} (CPU, {m['torch_threads']} threads)",
        f"- 1-minute load average: {m.get('load', 'not recorded')} (other work on the machine slows both libraries)",
        f"- method: separate worker processes, warm-up, median of {run['repeats']} samples per "
        f"implementation taken in {run['rounds']} alternating rounds (the readable loop: 3 samples)",
    ])


def chart(run, path):
    import matplotlib

    matplotlib.use("Agg")  # a script writing a file: no display needed
    import matplotlib.pyplot as plt

    rows = [r for r in run["rows"] if "naive" not in r and ratio(r)]
    labels = [f"{r['case']} {r['dtype']}" for r in rows]
    values = [ratio(r) for r in rows]
    colours = ["tab:red" if verdict(r).endswith("MISSED") else "tab:green" if verdict(r) else "tab:gray"
               for r in rows]
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(rows) + 1.5))
    ax.barh(labels, values, color=colours)
    for i, (r, value) in enumerate(zip(rows, values)):
        ax.text(value, i, f" {value:.2g}×", va="center", fontsize=8)
        if r["floor"]:
            ax.plot([r["floor"]] * 2, [i - 0.4, i + 0.4], color="black", lw=2)
    ax.axvline(1.0, color="gray", ls="--", lw=1)
    ax.set_xscale("log")
    ax.invert_yaxis()
    ax.set_xlabel("time of lecture_nn / time of PyTorch CPU (log scale; black tick: floor)")
    ax.set_title(f"lecture_nn vs PyTorch, {run['machine']['threads']} threads ({run['date']})")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_all(run, results_dir: Path, docs_path: Path):
    results_dir.mkdir(parents=True, exist_ok=True)
    table = markdown(run)
    (results_dir / "results.md").write_text(f"# Benchmark run {run['date']}\n\n{machine_markdown(run)}\n\n"
                                            f"{table}\n")
    (results_dir / "results.json").write_text(json.dumps(run, indent=1) + "\n")
    chart(run, results_dir / "ratios.png")
    section = (f"{START}\n## Latest run\n\n{machine_markdown(run)}\n\n{table}\n\n"
               f"![ratios](../benchmarks/results/ratios.png)\n{END}")
    if docs_path.exists() and START in docs_path.read_text():
        text = docs_path.read_text()
        before, rest = text.split(START, 1)
        after = rest.split(END, 1)[1] if END in rest else ""
        docs_path.write_text(before + section + after)
    else:
        docs_path.parent.mkdir(parents=True, exist_ok=True)
        docs_path.write_text(f"# Benchmarks: lecture_nn against PyTorch CPU\n\n`make bench` runs "
                             f"`benchmarks/run.py`.\n\n{section}\n")
