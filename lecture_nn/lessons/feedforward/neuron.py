"""Fig. 1 of the notes, left part: one unit with inputs x₁ … x_d, weights w, bias b, z and f(z)."""
from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from lecture_nn.diagrams import finish_diagram
from lecture_nn.plotting import new_axes

INPUT_ROWS = (("$x_1$", "$w_1$", 0.85), ("$x_2$", "$w_2$", 0.58), ("$x_d$", "$w_d$", 0.12))
"""(input label, weight label, height) of the inputs drawn; a ⋮ stands for x₃ … x_{d−1}."""


def _arrow(ax, start, end, colour="0.35"):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=11, color=colour,
                                 lw=1.1, zorder=2))


def draw_neuron(ax=None, title=None):
    """One unit: the inputs x_i enter with weights w_i, the unit adds them and its bias b into
    z = wᵀx + b, and passes z through the activation f; the output is f(z).

    Returns the axes.
    """
    ax = new_axes(ax, figsize=(5.2, 3.2))
    unit = (0.62, 0.5)                       # the summing node Σ
    for name, weight, y in INPUT_ROWS:
        ax.add_patch(plt.Circle((0.1, y), 0.05, facecolor="#c6dbef", edgecolor="k", zorder=3))
        ax.text(-0.01, y, name, ha="right", va="center", fontsize=12)
        _arrow(ax, (0.15, y), (unit[0] - 0.08, unit[1] + 0.25 * (y - unit[1])))
        ax.text(0.36, unit[1] + 0.62 * (y - unit[1]) + 0.05, weight, ha="center", fontsize=11,
                color="#08519c")
    ax.text(0.1, 0.36, "⋮", ha="center", va="center", fontsize=15)
    ax.text(unit[0], 0.02, "$b$", ha="center", va="center", fontsize=12, color="#08519c")
    _arrow(ax, (unit[0], 0.07), (unit[0], unit[1] - 0.08), colour="#08519c")
    ax.add_patch(plt.Circle(unit, 0.08, facecolor="#c7e9c0", edgecolor="k", zorder=3))
    ax.text(*unit, r"$\Sigma$", ha="center", va="center", fontsize=14, zorder=4)
    ax.text(unit[0], 1.0, r"$z = \sum_i w_i x_i + b = w^T x + b$", ha="center", va="center",
            fontsize=11)
    box = (0.98, 0.5)                        # the activation f
    _arrow(ax, (unit[0] + 0.08, unit[1]), (box[0] - 0.09, box[1]))
    ax.text((unit[0] + box[0]) / 2 - 0.01, unit[1] + 0.04, "$z$", ha="center", fontsize=12)
    ax.add_patch(FancyBboxPatch((box[0] - 0.08, box[1] - 0.08), 0.16, 0.16, facecolor="#fdd0a2",
                                edgecolor="k", boxstyle="round,pad=0.01", zorder=3))
    ax.text(*box, "$f$", ha="center", va="center", fontsize=14, zorder=4)
    _arrow(ax, (box[0] + 0.09, box[1]), (box[0] + 0.3, box[1]))
    ax.text(box[0] + 0.32, box[1], "$f(z)$", ha="left", va="center", fontsize=12)
    return finish_diagram(ax, (-0.12, 1.45), (-0.03, 1.07), title)
