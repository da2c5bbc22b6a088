"""Notebook 06's figures of a trained convnet: filters and feature maps, one stack per picture."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from lecture_nn.checks import as_float_array, positive_int


def show_mosaic(maps, *, ncols: int, label: str, title: str | None = None, width: float = 9.0,
                symmetric: bool = False, names=None):
    """A stack of maps (n, H, W) tiled into **one** picture, ``ncols`` to a row, on one colour scale
    with its colour bar right beside it; each map is named above it (``names``, default "0", "1", …).

    ``symmetric``: a diverging scale centred on 0 (red positive, blue negative, white 0), for
    weights and maps with both signs; otherwise viridis from the smallest value to the largest.
    One panel rather than n: the figure of a trained network then has the same panels on every
    machine, even where another machine's weights leave a different map at 0 (the figure tests
    check panels one by one). Maps are separated by white gaps; the layout is constrained, so
    the title does not collide with the names. Returns the figure.
    """
    maps = as_float_array(maps, "maps", ndim=3)
    ncols = min(positive_int(ncols, "ncols"), len(maps))
    n, h, w = maps.shape
    names = [str(k) for k in range(n)] if names is None else [str(name) for name in names]
    if len(names) != n:
        raise ValueError(f"names must have one entry per map ({n}), got {len(names)}")
    nrows = -(-n // ncols)
    gap, top = max(1, h // 8), max(2, h // 4)           # between maps; above each row, for the names
    mosaic = np.full((nrows * (h + top), ncols * (w + gap) - gap), np.nan)
    corners = []
    for k, one in enumerate(maps):
        row, col = divmod(k, ncols)
        y, x = row * (h + top) + top, col * (w + gap)
        mosaic[y:y + h, x:x + w] = one
        corners.append((x, y))
    if symmetric:
        limit = float(np.abs(maps).max()) or 1.0
        cmap, vmin, vmax = "RdBu_r", -limit, limit
    else:
        cmap, vmin, vmax = "viridis", float(maps.min()), float(maps.max())
    cmap = plt.get_cmap(cmap).with_extremes(bad="white")          # the gaps
    height = width * mosaic.shape[0] / mosaic.shape[1]
    fig, ax = plt.subplots(figsize=(width + 1.2, height + (0.5 if title else 0.1)), layout="constrained")
    shown = ax.imshow(mosaic, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
    for name, (x, y) in zip(names, corners):
        ax.text(x + (w - 1) / 2, y - 0.6, name, ha="center", va="bottom", fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    fig.colorbar(shown, ax=ax, shrink=0.9, fraction=0.05, pad=0.02, aspect=25, label=label)   # narrow: not a panel
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


__all__ = ["show_mosaic"]
