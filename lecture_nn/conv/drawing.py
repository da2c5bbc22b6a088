"""Drawing where the patches of a convolution fall on the input (notes Figs. 9 and 10)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import ConnectionPatch, Rectangle

from .sizes import output_size

PATCH_COLOURS = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]


def _grid(ax, n_rows, n_cols, offset=0, colour="0.75"):
    for r in range(n_rows + 1):
        ax.plot([offset, offset + n_cols], [r, r], color=colour, lw=0.6)
    for c in range(n_cols + 1):
        ax.plot([offset + c, offset + c], [0, n_rows], color=colour, lw=0.6)
    ax.set_xlim(offset - 0.5, offset + n_cols + 0.5)
    ax.set_ylim(n_rows + 0.5, -0.5)
    ax.set_aspect("equal")
    ax.axis("off")


def draw_patches(input_size=14, kernel_size=4, stride=2, padding=0, units=None, axes=None):
    """Draw the input grid with some patches outlined, the hidden layer, and the links.

    Parameters
    ----------
    input_size, kernel_size, stride, padding : int
        The geometry (square input and patches); padded border cells are shaded.
    units : list of (p, q), optional
        Hidden units whose patches are drawn; default: the first three of the
        top row and the first of the second row. Every patch's top-left corner
        is marked with a dot, so all of them can be counted.
    axes : pair of matplotlib Axes, optional
        Where to draw the input and the hidden layer.

    Returns
    -------
    (fig, axes)
    """
    Ho, Wo = output_size(input_size, kernel_size, stride, padding)
    if units is None:
        units = [(0, q) for q in range(min(3, Wo))] + ([(1, 0)] if Ho > 1 else [])
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(9, 4.2), gridspec_kw={"width_ratios": [1.4, 1]})
    else:
        fig = axes[0].figure
    ax_in, ax_out = axes
    n = input_size + 2 * padding
    _grid(ax_in, n, n)
    if padding:
        inner = Rectangle((padding, padding), input_size, input_size, fill=False, lw=1.5,
                          edgecolor="0.3")
        ax_in.add_patch(Rectangle((0, 0), n, n, color="0.92", zorder=0))
        ax_in.add_patch(Rectangle((padding, padding), input_size, input_size, color="white", zorder=0))
        ax_in.add_patch(inner)
    corners = np.arange(Ho) * stride, np.arange(Wo) * stride
    rows, cols = np.meshgrid(*corners, indexing="ij")
    ax_in.plot(cols.ravel() + 0.5, rows.ravel() + 0.5, ".", color="0.45", ms=4)
    ax_in.set_title(f"input {input_size}×{input_size}" + (f" (+ padding {padding})" if padding else "")
                    + f", {kernel_size}×{kernel_size} patches, stride {stride}", fontsize=10)
    _grid(ax_out, Ho, Wo)
    ax_out.set_title(f"hidden layer {Ho}×{Wo} = {Ho * Wo} units", fontsize=10)
    for colour, (p, q) in zip(PATCH_COLOURS * (len(units) // len(PATCH_COLOURS) + 1), units):
        top, left = p * stride, q * stride
        ax_in.add_patch(Rectangle((left, top), kernel_size, kernel_size, fill=True, alpha=0.18,
                                  facecolor=colour, edgecolor=colour, lw=2))
        ax_in.add_patch(Rectangle((left, top), kernel_size, kernel_size, fill=False,
                                  edgecolor=colour, lw=2))
        ax_out.add_patch(Rectangle((q, p), 1, 1, facecolor=colour, alpha=0.7))
        link = ConnectionPatch(xyA=(left + kernel_size, top + kernel_size / 2), coordsA=ax_in.transData,
                               xyB=(q, p + 0.5), coordsB=ax_out.transData, color=colour, lw=1.2,
                               arrowstyle="->")
        fig.add_artist(link)
    return fig, axes
