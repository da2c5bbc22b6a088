"""Notebook 04's exploration: the dropout probability against the learning curves."""
from __future__ import annotations

from functools import lru_cache

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from lecture_nn.data import load_mnist_subset
from lecture_nn.lessons.training.regularization import train_classifier
from lecture_nn.lessons.explorer import Explorer

N_TRAIN = 500
"""Training digits in the dropout experiment: few enough for a 784-128-128-10 network to overfit."""


@lru_cache(maxsize=1)
def _mnist():
    return load_mnist_subset()


@lru_cache(maxsize=16)
def dropout_run(p: float, epochs: int = 40, seed: int = 0):
    """Train a 784-128-128-10 ReLU network with classic dropout ``p`` after each hidden layer
    on the first ``N_TRAIN`` digits of the MNIST subset (SGD, step 0.05, momentum 0.9);
    returns the :class:`~lecture_nn.lessons.training.regularization.Result` with per-epoch test curves.
    Results are cached, so the notebook and the widget share runs."""
    data = _mnist()
    return train_classifier([784, 128, 128, 10], data.X_train[:N_TRAIN], data.y_train[:N_TRAIN],
                            data.X_test, data.y_test, seed=seed, epochs=epochs, batch_size=50,
                            lr=0.05, momentum=0.9, dropout=float(p), track_test=True)


def dropout_comparison(p: float = 0.5):
    """Curves and the train − test accuracy gap with dropout ``p`` and without dropout."""
    # called like the notebook calls dropout_run, so that both share the cached runs
    runs = {"with": dropout_run(round(float(p), 2)), "without": dropout_run(0.0)}
    return {name: {"history": r.history, "train": r.train_accuracy, "test": r.test_accuracy,
                   "gap": r.train_accuracy - r.test_accuracy,
                   "test_loss": r.history["val_loss"][-1]}
            for name, r in runs.items()}


def _draw(state, p, **_):
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.2))
    for name, style in (("without", "--"), ("with", "-")):
        h = state[name]["history"]
        epochs = np.arange(1, len(h["loss"]) + 1)
        label = "no dropout" if name == "without" else f"dropout p = {p:.1f}"
        axes[0].plot(epochs, h["val_loss"], style, label=label)
        axes[1].plot(epochs, h["val_accuracy"], style, label=f"{label}: test")
        axes[1].plot(epochs, h["accuracy"], style, alpha=0.4, label=f"{label}: train")
    axes[0].set_ylabel("test loss")
    axes[1].set_ylabel("accuracy")
    for ax in axes:
        ax.set_xlabel("epoch")
    axes[0].legend(fontsize=8)
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    return fig


def _describe(state, p, **_):
    return (f"gap train − test accuracy: {state['with']['gap']:.3f} with p = {p:.1f}, "
            f"{state['without']['gap']:.3f} without;  test loss {state['with']['test_loss']:.3f} "
            f"vs {state['without']['test_loss']:.3f}")


def dropout_explorer() -> Explorer:
    """A slider for the dropout probability → learning curves with and without dropout, and the gap."""
    controls = {"p": widgets.FloatSlider(value=0.5, min=0.0, max=0.8, step=0.1,
                                         description="dropout p", continuous_update=False)}
    return Explorer(controls, compute=dropout_comparison, draw=_draw, describe=_describe,
                    title="Dropout on 500 MNIST digits (each new p trains for a few seconds)")
