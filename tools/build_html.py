"""Static HTML edition of the course (`make html`): site/<notebook>.html and site/index.html.

Converts the committed, already executed notebooks; nothing is executed.  Each page carries
the widget state that tools/execute_notebooks.py stored in the notebook's metadata, so the
controls render in the page (the widget renderer and MathJax load from a CDN).  The index
lists the notebooks against the lecture sections, taken from the map in 00_start_here.

Usage: python tools/build_html.py [--notebooks notebooks] [--out site]
"""
from __future__ import annotations

import argparse
import html
import re
import sys
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parents[1]
MAP_NOTEBOOK = "00_start_here.ipynb"
MAP_HEADER = re.compile(r"^\|\s*notebook\s*\|", re.IGNORECASE)
# ipywidgets 8 is rendered by @jupyter-widgets/html-manager 1.x.
HTML_MANAGER_RANGE = "^1"


def notebook_title(nb, fallback: str) -> str:
    """The first Markdown heading of the notebook, e.g. '00 · Start here'."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#+\s+(.+)$", cell.source, re.MULTILINE)
            if match:
                return match.group(1).strip()
    return fallback


def read_section_map(notebooks_dir: Path) -> list[dict]:
    """Rows of the 'notebook | sections | figures' table in 00_start_here, in order."""
    path = notebooks_dir / MAP_NOTEBOOK
    if not path.exists():
        return []
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        lines = cell.source.splitlines()
        for start, line in enumerate(lines):
            if MAP_HEADER.match(line):
                rows = []
                for row in lines[start + 2:]:   # skip the header and the |---| line
                    if not row.startswith("|"):
                        break
                    fields = [f.strip() for f in row.strip().strip("|").split("|")]
                    rows.append({"stem": fields[0].strip("`"), "sections": fields[1],
                                 "figures": fields[2] if len(fields) > 2 else ""})
                return rows
    return []


def convert(path: Path, out_dir: Path, exporter: HTMLExporter) -> tuple[Path, str]:
    """Write out_dir/<stem>.html from the notebook as committed; return the page and title."""
    nb = nbformat.read(path, as_version=4)
    not_run = [i for i, c in enumerate(nb.cells)
               if c.cell_type == "code" and c.source.strip() and c.execution_count is None]
    if not_run:
        raise ValueError(f"{path.name} is not executed (cells {not_run} have no execution "
                         f"count): run tools/execute_notebooks.py {path} first")
    title = notebook_title(nb, path.stem)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    page = out_dir / f"{path.stem}.html"
    page.write_text(body, encoding="utf-8")
    return page, title


def index_page(rows: list[dict]) -> str:
    """The index: one table row per notebook, linking to its page."""
    body = []
    for row in rows:
        name = html.escape(row["stem"])
        link = (f'<a href="{name}.html">{name}</a>' if row.get("page")
                else f"{name} <em>(not yet available)</em>")
        body.append(f"<tr><td>{link}</td><td>{html.escape(row.get('title', ''))}</td>"
                    f"<td>{html.escape(row['sections'])}</td>"
                    f"<td>{html.escape(row['figures'])}</td></tr>")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>lecture-nn: notebooks on neural networks</title>
<style>
body {{ font-family: sans-serif; max-width: 60em; margin: 2em auto; padding: 0 1em; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border: 1px solid #ccc; padding: 0.4em 0.6em; text-align: left; vertical-align: top; }}
th {{ background: #f0f0f0; }}
</style>
</head>
<body>
<h1>lecture-nn: notebooks on neural networks</h1>
<p>A static copy of the executed notebooks, one page each. To run them and move the widgets'
controls yourself, open the notebooks in JupyterLab (<code>make lab</code>).</p>
<table>
<thead><tr><th>notebook</th><th>title</th><th>sections of the notes</th><th>figures</th></tr></thead>
<tbody>
{chr(10).join(body)}
</tbody>
</table>
</body>
</html>
"""


def build_site(notebooks_dir: Path, out_dir: Path) -> list[Path]:
    """Convert every notebook in notebooks_dir to out_dir and write out_dir/index.html.

    Returns the notebook pages written, in name order.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    exporter = HTMLExporter(template_name="lab", html_manager_semver_range=HTML_MANAGER_RANGE)
    rows = read_section_map(notebooks_dir)
    by_stem = {row["stem"]: row for row in rows}
    pages = []
    for path in sorted(notebooks_dir.glob("*.ipynb")):
        page, title = convert(path, out_dir, exporter)
        pages.append(page)
        row = by_stem.get(path.stem)
        if row is None:   # a notebook the map does not list yet still gets a row
            row = {"stem": path.stem, "sections": "—", "figures": "—"}
            rows.append(row)
        row.update(page=page.name, title=title)
    (out_dir / "index.html").write_text(index_page(rows), encoding="utf-8")
    return pages


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", type=Path, default=ROOT / "notebooks")
    parser.add_argument("--out", type=Path, default=ROOT / "site")
    args = parser.parse_args(argv)
    pages = build_site(args.notebooks, args.out)
    print(f"wrote {len(pages)} notebook pages and index.html to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
