"""Every diagram of the notebooks, drawn from code: layered networks (Figs. 2–4), one unit and
its inputs (Fig. 7), where convolution patches fall (Figs. 9–10), a convnet's stages (Fig. 12),
pooling on numbers (Fig. 13) and skip connections (Fig. 14)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import ConnectionPatch, FancyArrowPatch, Rectangle

from lecture_nn.checks import positive_int
from lecture_nn.patches import output_size
from lecture_nn.plotting import new_axes
from lecture_nn.pooling import AvgPool2D, MaxPool2D


def finish_diagram(ax, xlim, ylim, title=None, fontsize=10):
    """Last touches shared by every diagram: limits, equal aspect, no axes, optional title
    (``fontsize=None``: matplotlib's default title size)."""
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title, **({} if fontsize is None else {"fontsize": fontsize}))
    return ax


def draw_network(layer_sizes, ax=None, layer_names=None, max_units=8, title=None):
    """Draw a layered network (units as circles, every connection as a line), like Figs. 2–4.

    Layers wider than ``max_units`` are drawn with their first and last units and an ellipsis.
    """
    ax = new_axes(ax, figsize=(1.6 * len(layer_sizes) + 1, 3.5))
    n_layers = len(layer_sizes)
    positions = []
    for l, size in enumerate(layer_sizes):
        shown = min(size, max_units)
        ys = np.linspace(0, 1, shown) if shown > 1 else np.array([0.5])
        ys = 0.5 + (ys - 0.5) * min(1.0, shown / max_units)
        if size > max_units:  # leave the middle slot for an ellipsis
            middle = shown // 2
            ax.text(l, ys[middle], "⋮", ha="center", va="center", fontsize=14)
            ys = np.delete(ys, middle)
        positions.append([(l, y) for y in ys])
    for left, right in zip(positions[:-1], positions[1:]):
        for (x0, y0) in left:
            for (x1, y1) in right:
                ax.plot([x0, x1], [y0, y1], color="0.7", lw=0.6, zorder=1)
    for l, units in enumerate(positions):
        colour = "#c6dbef" if l == 0 else ("#fdd0a2" if l == n_layers - 1 else "#c7e9c0")
        for (x, y) in units:
            ax.add_patch(plt.Circle((x, y), 0.045, facecolor=colour, edgecolor="k", zorder=2))
    # the notes' numbering: the input is layer 1, the output layer L
    names = layer_names or (["layer 1: input"] + [f"layer {l}: hidden" for l in range(2, n_layers)]
                            + [f"layer {n_layers}: output"])
    for l, name in enumerate(names):
        ax.text(l, -0.15, f"{name}\n({layer_sizes[l]})", ha="center", va="top", fontsize=9)
    return finish_diagram(ax, (-0.4, n_layers - 0.6), (-0.4, 1.12), title)




def draw_layer_connection(n_prev: int = 4, ax=None):
    """Fig. 7: units a^{l-1}_1 … a^{l-1}_n feed unit j of layer l through the weights w^l_{ij}.

    Unit j aggregates z^l_j = Σᵢ w^l_{ij} a^{l-1}_i + b^l_j and activates a^l_j = f(z^l_j).
    Returns the axes.
    """
    n_prev = positive_int(n_prev, "n_prev")
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 3.6))
    ys = np.linspace(0.9, 0.1, n_prev) if n_prev > 1 else np.array([0.5])
    target = (0.62, 0.5)
    for i, y in enumerate(ys, start=1):
        ax.add_patch(plt.Circle((0.12, y), 0.045, facecolor="#c6dbef", edgecolor="k", zorder=3))
        ax.text(0.02, y, f"$a^{{l-1}}_{{{i}}}$", ha="right", va="center", fontsize=11)
        ax.annotate("", xy=(target[0] - 0.07, target[1]), xytext=(0.165, y),
                    arrowprops=dict(arrowstyle="->", color="0.4", lw=1.0), zorder=2)
        # label each arrow a third of the way along it, just above the line
        t = 0.33
        label_x = 0.165 + t * (target[0] - 0.07 - 0.165)
        label_y = y + t * (target[1] - y)
        ax.text(label_x, label_y + 0.02, f"$w^l_{{{i}j}}$", ha="center", va="bottom", fontsize=10,
                color="#08519c")
    ax.add_patch(plt.Circle(target, 0.07, facecolor="#c7e9c0", edgecolor="k", zorder=3))
    ax.text(target[0], target[1], "$j$", ha="center", va="center", fontsize=12, zorder=4)
    ax.text(target[0], target[1] - 0.13, "$+\\,b^l_j$", ha="center", va="top", fontsize=10)
    ax.annotate("", xy=(0.86, 0.5), xytext=(0.69, 0.5),
                arrowprops=dict(arrowstyle="->", color="k", lw=1.2))
    ax.text(0.88, 0.5, "$a^l_j = f(z^l_j)$", ha="left", va="center", fontsize=11)
    ax.text(target[0], 0.88, "$z^l_j = \\sum_i w^l_{ij}\\, a^{l-1}_i + b^l_j$", ha="center",
            fontsize=11)
    ax.text(0.12, -0.02, "layer $l-1$", ha="center", va="top", fontsize=10)
    ax.text(target[0], -0.02, "layer $l$", ha="center", va="top", fontsize=10)
    return finish_diagram(ax, (-0.12, 1.2), (-0.1, 1.0))


def draw_convnet(stages, ax=None, title=None):
    """Fig. 12: each stage as a stack of feature maps (C slabs of H×W), vectors as a bar.

    Parameters
    ----------
    stages : list of (label, shape)
        ``shape`` of one example: (C, H, W) for feature maps or (n,) for a
        fully connected layer, e.g. ``[("input", (1, 28, 28)), ("conv", (3, 24, 24)), …]``.
    ax : matplotlib Axes, optional

    Returns the axes. Map sides are drawn proportional to H and W.
    """
    stages = list(stages)
    if not stages:
        raise ValueError("stages must list at least one (label, shape) pair")
    if ax is None:
        _, ax = plt.subplots(figsize=(2.3 * len(stages), 3.2))
    biggest = max(max(shape[-2:]) if len(shape) == 3 else 1 for _, shape in stages)
    x, prev_right = 0.0, None
    for label, shape in stages:
        shape = tuple(shape)
        if len(shape) == 3:
            c, h, w = shape
            side_h, side_w = 2.0 * h / biggest, 2.0 * w / biggest
            shown = min(c, 6)
            for k in range(shown):
                ax.add_patch(Rectangle((x + 0.12 * k, 0.12 * k - side_h / 2), side_w, side_h,
                                       facecolor=plt.cm.Blues(0.25 + 0.5 * k / max(shown, 1)),
                                       edgecolor="k", lw=0.8))
            right = x + 0.12 * (shown - 1) + side_w
            text = f"{c}×{h}×{w}"
        elif len(shape) == 1:
            ax.add_patch(Rectangle((x, -1.0), 0.25, 2.0, facecolor="#c7e9c0", edgecolor="k"))
            right = x + 0.25
            text = f"{shape[0]} units"
        else:
            raise ValueError(f"stage {label!r}: shape must be (C, H, W) or (n,), got {shape}")
        ax.text((x + right) / 2, -1.35, f"{label}\n{text}", ha="center", va="top", fontsize=9)
        if prev_right is not None:
            ax.add_patch(FancyArrowPatch((prev_right + 0.05, 0), (x - 0.08, 0),
                                         arrowstyle="->", mutation_scale=12, color="0.3"))
        prev_right, x = right, right + 0.9
    return finish_diagram(ax, (-0.2, x - 0.5), (-2.1, 1.6), title, fontsize=None)


def draw_residual_network(n_blocks: int = 2, layers_per_block: int = 2, ax=None, title=None):
    """Fig. 14: a chain of layers in which each block's input also jumps ahead to a sum node.

    Every block of ``layers_per_block`` layers computes F(a); a curved arrow
    carries a past the block to a ⊕ node that outputs a + F(a) — the
    non-sequential flow graph of notes §5.3. Layers are numbered as in the notes: the input is
    layer 1 (a^1 = x), the hidden layers 2, 3, … and the output layer L. Returns the axes.
    """
    n_blocks = positive_int(n_blocks, "n_blocks")
    layers_per_block = positive_int(layers_per_block, "layers_per_block")
    if ax is None:
        _, ax = plt.subplots(figsize=(1.6 + 1.5 * n_blocks * (layers_per_block + 1), 2.6))
    x = 0.0

    def node(x, text, colour, width=0.8):
        ax.add_patch(Rectangle((x - width / 2, -0.35), width, 0.7, facecolor=colour,
                               edgecolor="k", lw=1.0, zorder=3))
        ax.text(x, 0, text, ha="center", va="center", fontsize=9, zorder=4)

    def arrow(x0, x1):
        ax.add_patch(FancyArrowPatch((x0, 0), (x1, 0), arrowstyle="->", mutation_scale=12,
                                     color="k", zorder=2))

    node(x, "layer 1\n$a^1 = x$", "#fdd0a2")
    layer = 1
    for _ in range(n_blocks):
        start = x
        for _ in range(layers_per_block):
            layer += 1
            arrow(x + 0.4, x + 1.1)
            x += 1.5
            node(x, f"layer {layer}", "#c6dbef")
        arrow(x + 0.4, x + 1.05)
        x += 1.4
        ax.add_patch(plt.Circle((x, 0), 0.3, facecolor="white", edgecolor="k", zorder=3))
        ax.text(x, 0, "+", ha="center", va="center", fontsize=14, zorder=4)
        ax.add_patch(FancyArrowPatch((start + 0.1, 0.35), (x, 0.3), connectionstyle="arc3,rad=-0.35",
                                     arrowstyle="->", mutation_scale=12, color="#d94801", lw=1.5,
                                     zorder=2))
        ax.text((start + x) / 2, 1.2, "skip: identity", ha="center", va="bottom", fontsize=8,
                color="#d94801")   # above the arc's top, not across it
        x -= 0.4
    arrow(x + 0.7, x + 1.3)
    node(x + 1.75, f"layer {layer + 1}\n= $L$", "#c7e9c0")
    return finish_diagram(ax, (-0.6, x + 2.3), (-0.8, 1.6), title, fontsize=None)


def _number_grid(ax, values, title, highlight=None, window=None, cmap="Blues"):
    values = np.asarray(values, dtype=float)
    ax.imshow(values, cmap=cmap, vmin=min(0.0, values.min()), vmax=max(values.max(), 1e-12) * 1.6)
    for (i, j), v in np.ndenumerate(values):
        bold = highlight is not None and highlight[i, j]
        ax.text(j, i, f"{v:g}", ha="center", va="center", fontsize=10,
                fontweight="bold" if bold else "normal", color="#a50f15" if bold else "k")
    if window:
        h, w = values.shape
        for k in range(0, h + 1, window):
            ax.axhline(k - 0.5, color="k", lw=2)
        for k in range(0, w + 1, window):
            ax.axvline(k - 0.5, color="k", lw=2)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=10)


def draw_pooling_example(feature_map, grad_out, size: int = 2):
    """Fig. 13: max and average pooling of one feature map, forward and backward, as number grids.

    Rows: max pooling, average pooling. Columns: the input map with the
    pooling windows outlined (the maxima in bold red), the pooled output, the
    upstream gradient, and the gradient that backward sends to the input.
    Returns the figure.
    """
    x = np.asarray(feature_map, dtype=float)[None, None]
    g = np.asarray(grad_out, dtype=float)[None, None]
    fig, axes = plt.subplots(2, 4, figsize=(11, 5.4))
    for row, layer in enumerate((MaxPool2D(size), AvgPool2D(size))):
        out = layer.forward(x)
        grad_in = layer.backward(g)
        name = type(layer).__name__
        winners = grad_in[0, 0] != 0 if row == 0 else None
        _number_grid(axes[row, 0], x[0, 0], f"input map ({name}({size}))", winners, size)
        _number_grid(axes[row, 1], out[0, 0], "pooled output", cmap="Greens")
        _number_grid(axes[row, 2], g[0, 0], "gradient from above", cmap="Oranges")
        _number_grid(axes[row, 3], grad_in[0, 0], "gradient to the input", winners, size,
                     cmap="Oranges")
    fig.tight_layout()
    return fig


PATCH_COLOURS = ["#D55E00", "#0072B2", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"]
"""Okabe and Ito's colour-blind-safe colours (vermillion, blue, bluish green, reddish purple, …)."""


def draw_patches(input_size=14, kernel_size=4, stride=2, padding=0, units=None, ax=None):
    """Draw the input grid with some patches outlined, the hidden layer beside it, and an arrow from
    each drawn patch to its hidden unit.

    Parameters
    ----------
    input_size, kernel_size, stride, padding : int
        The geometry (square input and patches); padded border cells are shaded.
    units : list of (p, q), optional
        Hidden units whose patches are drawn; default: the first two of the
        top row and the first of the second row. Every patch's top-left corner
        is marked with a dot, so all of them can be counted.
    ax : matplotlib Axes, optional
        Where to draw (both grids share it).

    Each patch and its unit carry the same colour and the same letter (A, B, …), so they can be
    matched without telling colours apart. The hidden cells are min(stride, 2) input cells wide and
    the hidden grid sits up and to the right, so that every arrow, from the patch's centre to the
    unit's, rises with slope 1/2: at stride ≤ 2 the arrows are parallel, and the arrows of
    neighbouring patches (in a row, in a column or diagonal) stay apart.

    Returns
    -------
    (fig, ax)
    """
    Ho, Wo = output_size(input_size, kernel_size, stride, padding)
    if units is None:
        units = [(0, q) for q in range(min(2, Wo))] + ([(1, 0)] if Ho > 1 else [])
    n = input_size + 2 * padding
    cell = float(min(stride, 2))                      # a hidden cell, in input cells
    x_out = n + max(2.5, 0.2 * n)                     # where the hidden grid starts
    # raised so that the arrows rise with slope 1/2: neighbouring patches' arrows stay apart
    y_out = kernel_size / 2 - cell / 2 - 0.5 * (x_out + cell / 2 - kernel_size / 2)
    width, top = x_out + Wo * cell, min(0.0, y_out)
    bottom = max(n, y_out + Ho * cell)
    if ax is None:
        scale = min(9.0 / (width + 1), 5.2 / (bottom - top + 4))       # inches per cell
        fig, ax = plt.subplots(figsize=(scale * (width + 1), scale * (bottom - top + 4) + 0.5))
        fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.92)
    fig = ax.figure

    def grid(x0, y0, rows, cols, size):
        for r in range(rows + 1):
            ax.plot([x0, x0 + cols * size], [y0 + r * size] * 2, color="0.75", lw=0.6)
        for c in range(cols + 1):
            ax.plot([x0 + c * size] * 2, [y0, y0 + rows * size], color="0.75", lw=0.6)

    if padding:
        ax.add_patch(Rectangle((0, 0), n, n, color="0.9", zorder=0))
        ax.add_patch(Rectangle((padding, padding), input_size, input_size, color="white", zorder=0))
        ax.add_patch(Rectangle((padding, padding), input_size, input_size, fill=False, lw=1.5, edgecolor="0.3"))
    grid(0, 0, n, n, 1.0)
    grid(x_out, y_out, Ho, Wo, cell)
    corners = np.arange(Ho) * stride, np.arange(Wo) * stride
    rows, cols = np.meshgrid(*corners, indexing="ij")
    ax.plot(cols.ravel() + 0.5, rows.ravel() + 0.5, ".", color="0.45", ms=4)
    ax.text(n / 2, n + 0.6, f"input {input_size}×{input_size}" + (f" (+ padding {padding})" if padding else "")
            + f", {kernel_size}×{kernel_size} patches, stride {stride}", ha="center", va="top", fontsize=10)
    ax.text(x_out + Wo * cell / 2, y_out - 0.8, f"hidden layer {Ho}×{Wo} = {Ho * Wo} units", ha="center",
            va="bottom", fontsize=10)
    colours = PATCH_COLOURS * (len(units) // len(PATCH_COLOURS) + 1)
    for index, (colour, (p, q)) in enumerate(zip(colours, units)):
        letter = chr(ord("A") + index % 26)
        top_p, left = p * stride, q * stride
        ax.add_patch(Rectangle((left, top_p), kernel_size, kernel_size, facecolor=colour, alpha=0.18))
        ax.add_patch(Rectangle((left, top_p), kernel_size, kernel_size, fill=False, edgecolor=colour, lw=2))
        ax.text(left + 0.15, top_p + 0.1, letter, color=colour, fontsize=9, fontweight="bold", ha="left", va="top")
        unit_x, unit_y = x_out + q * cell, y_out + p * cell
        ax.add_patch(Rectangle((unit_x, unit_y), cell, cell, facecolor=colour, alpha=0.85))
        ax.text(unit_x + cell / 2, unit_y + cell / 2, letter, color="white", fontsize=9, fontweight="bold",
                ha="center", va="center")
        start = (left + kernel_size / 2, top_p + kernel_size / 2)
        ax.plot(*start, "o", color=colour, ms=3.5)
        ax.add_patch(FancyArrowPatch(start, (unit_x + cell / 2, unit_y + cell / 2), arrowstyle="-|>",
                                     mutation_scale=11, color=colour, lw=1.4, shrinkA=0, shrinkB=7, zorder=3))
    ax.set_xlim(-0.5, width + 0.5)
    ax.set_ylim(bottom + 2.0, top - 2.0)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig, ax
