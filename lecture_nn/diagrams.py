"""Diagrams drawn from code: one unit j of layer l and its inputs from layer l − 1 (Fig. 7)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ._validation import positive_int


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
    ax.set_xlim(-0.12, 1.2)
    ax.set_ylim(-0.1, 1.0)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax
