"""Notebook 04's figures: learning curves of the dropout runs, FGSM beside random signs."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from lecture_nn.plotting import plot_history
from lecture_nn.training import History

CURVE_KEYS = ("loss", "val_loss", "accuracy", "val_accuracy")


def mean_history(histories) -> History:
    """The epoch-by-epoch mean of several runs' histories (the keys they all have)."""
    histories = list(histories)
    keys = [key for key in CURVE_KEYS if all(key in h for h in histories)]
    return History({key: list(np.mean([h[key] for h in histories], axis=0)) for key in keys})


ROWS = (("loss", "val_loss", "cross-entropy loss"), ("accuracy", "val_accuracy", "accuracy"))
"""The two rows of :func:`dropout_curves`: the keys drawn and the y label."""


def dropout_curves(histories_by_setting: dict, figsize=(10, 5.4)):
    """Learning curves, one column per setting (name → list of histories, averaged over them):
    loss in the top row, accuracy in the bottom row, each row on one y scale; training solid and
    validation dashed in the same colour."""
    columns = len(histories_by_setting)
    fig, axes = plt.subplots(2, columns, figsize=figsize, sharex=True, sharey="row", squeeze=False)
    for column, (name, histories) in enumerate(histories_by_setting.items()):
        histories = list(histories)
        seeds = f" (mean of {len(histories)} seeds)" if len(histories) > 1 else ""
        mean = mean_history(histories)
        for row, (train_key, val_key, ylabel) in enumerate(ROWS):
            ax = axes[row, column]
            plot_history(mean, ax=ax, keys=(train_key, val_key), title=f"{name}{seeds}" if row == 0 else None,
                         ylabel=ylabel)
            ax.legend(fontsize=8, loc="upper right" if row == 0 else "lower right")
            if row == 0:
                ax.set_xlabel("")
            if column > 0:
                ax.set_ylabel("")          # the row shares the y axis of the first column
        axes[1, column].set_ylim(0, 1.02)
    fig.tight_layout()
    return fig


def accuracy_against_epsilon(comparison, figsize=(10, 3.6)):
    """Two panels against ε: left, test accuracy under FGSM and under random ±ε signs (mean over
    the seeds); right, the random signs alone on a zoomed y axis, mean and min–max over the seeds."""
    fig, (ax, zoom) = plt.subplots(1, 2, figsize=figsize)
    eps = np.asarray(comparison.epsilons)
    random = np.array([[effect.accuracy for effect in row] for row in comparison.random])
    mean = random.mean(1)
    n_seeds = random.shape[1]
    _ = ax.plot(eps, [effect.accuracy for effect in comparison.fgsm], "o-", color="C0",
                label="FGSM: ε·sign(∇ₓℓ)")
    _ = ax.plot(eps, mean, "s--", color="C1", label=f"random ±ε signs (mean of {n_seeds} seeds)")
    ax.set_ylabel("test accuracy")
    ax.set_ylim(-0.03, 1.0)
    ax.set_title("both steps", fontsize=10)
    ax.legend(fontsize=8, loc="center right")
    _ = zoom.errorbar(eps, mean, yerr=[mean - random.min(1), random.max(1) - mean], fmt="s--", color="C1",
                      capsize=4, label=f"mean; bars: min to max of {n_seeds} seeds")
    zoom.set_title("random ±ε signs alone, y axis zoomed", fontsize=10)
    zoom.set_ylabel("test accuracy")
    zoom.legend(fontsize=8, loc="lower left")
    for axis in (ax, zoom):
        axis.set_xlabel(r"$\varepsilon$ (change per pixel, pixels in [0, 1])")
    fig.tight_layout()
    return fig
