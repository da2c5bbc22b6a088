"""Notebook 04's exploration: the dropout probability and the label noise against the learning curves."""
from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from lecture_nn.lessons.dropout.experiment import LABEL_NOISE, N_TRAIN, dropout_run
from lecture_nn.lessons.explorer import Explorer

__all__ = ["N_TRAIN", "dropout_comparison", "dropout_explorer", "dropout_run"]


def dropout_comparison(p: float = 0.5, label_noise: float = LABEL_NOISE):
    """Seed 0's run with dropout ``p`` and without dropout on training labels of which a fraction
    ``label_noise`` is wrong: curves, train and test accuracy, and the train − test gap."""
    # rounded as the notebook passes them, so that both share the cached runs
    p, label_noise = round(float(p), 2), round(float(label_noise), 2)
    runs = {"with": dropout_run(p, label_noise=label_noise),
            "without": dropout_run(0.0, label_noise=label_noise)}
    return {name: {"history": r.history, "train": r.train_accuracy, "test": r.test_accuracy,
                   "gap": r.train_accuracy - r.test_accuracy,
                   "val_loss": r.history["val_loss"][-1]}
            for name, r in runs.items()}


def _draw(state, p, **_):
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.2))
    for name, style in (("without", "--"), ("with", "-")):
        h = state[name]["history"]
        epochs = np.arange(1, len(h["loss"]) + 1)
        label = "no dropout" if name == "without" else f"dropout p = {p:.1f}"
        axes[0].plot(epochs, h["val_loss"], style, label=label)
        axes[1].plot(epochs, h["val_accuracy"], style, label=f"{label}: validation")
        axes[1].plot(epochs, h["accuracy"], style, alpha=0.4, label=f"{label}: training labels")
    axes[0].set_ylabel("validation loss")
    axes[1].set_ylabel("accuracy")
    for ax in axes:
        ax.set_xlabel("epoch")
    axes[0].legend(fontsize=8)
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    return fig


def _describe(state, p, **_):
    return (f"one seed: train − test accuracy {state['with']['gap']:.3f} with p = {p:.1f}, "
            f"{state['without']['gap']:.3f} without; test accuracy {state['with']['test']:.3f} vs "
            f"{state['without']['test']:.3f}; last validation loss {state['with']['val_loss']:.3f} vs "
            f"{state['without']['val_loss']:.3f}")


def dropout_explorer() -> Explorer:
    """Sliders for the dropout probability and the fraction of wrong training labels → learning
    curves with and without dropout, and the train − test gap (one seed)."""
    controls = {"p": widgets.FloatSlider(value=0.5, min=0.0, max=0.8, step=0.1,
                                         description="dropout p", continuous_update=False),
                "label_noise": widgets.FloatSlider(value=LABEL_NOISE, min=0.0, max=0.4, step=0.1,
                                                   description="wrong labels", continuous_update=False)}
    return Explorer(controls, compute=dropout_comparison, draw=_draw, describe=_describe,
                    title=f"Dropout on {N_TRAIN} MNIST digits (each new setting trains for a second or two)")
