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


def dropout_curves(histories_by_setting: dict, figsize=(10, 3.4)):
    """One panel per setting (name → list of histories, averaged over them), same y axis:
    loss and accuracy, training solid and validation dashed in the same colour."""
    fig, axes = plt.subplots(1, len(histories_by_setting), figsize=figsize, sharey=True, squeeze=False)
    for ax, (name, histories) in zip(axes[0], histories_by_setting.items()):
        histories = list(histories)
        seeds = f" (mean of {len(histories)} seeds)" if len(histories) > 1 else ""
        plot_history(mean_history(histories), ax=ax, keys=CURVE_KEYS, title=f"{name}{seeds}",
                     ylabel="loss / accuracy")
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def accuracy_against_epsilon(comparison, ax=None):
    """Accuracy under FGSM and under random ±ε signs (mean over the seeds, bars: min–max) against ε."""
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.2))
    eps = np.asarray(comparison.epsilons)
    random = np.array([[effect.accuracy for effect in row] for row in comparison.random])
    mean = random.mean(1)
    _ = ax.plot(eps, [effect.accuracy for effect in comparison.fgsm], "o-", label="FGSM: ε·sign(∇ₓℓ)")
    _ = ax.errorbar(eps, mean, yerr=[mean - random.min(1), random.max(1) - mean], fmt="s--", capsize=3,
                    label=f"random ±ε signs ({random.shape[1]} seeds: mean, min–max)")
    ax.set_xlabel(r"$\varepsilon$ (change per pixel, pixels in [0, 1])")
    ax.set_ylabel("test accuracy")
    ax.set_ylim(-0.03, 1.0)
    ax.legend(fontsize=8)
    return ax
