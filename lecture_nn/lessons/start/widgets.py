"""The start-here exploration: train a tiny network on a toy set and see its boundary."""
from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from lecture_nn.data import make_toy
from lecture_nn.models import mlp
from lecture_nn.plotting import plot_decision_boundary
from lecture_nn.training import accuracy, fit, predict_labels
from lecture_nn.lessons.explorer import Explorer


def train_toy_network(dataset="moons", hidden=8, noise=0.15, epochs=100, seed=0):
    """Train a one-hidden-layer ReLU network (softmax output) on a toy set.

    Returns a dict with the model, the data and the training accuracy.
    """
    rng = np.random.default_rng(seed)
    X, y = make_toy(dataset, n=200, noise=noise, rng=rng)
    model = mlp([2, hidden, int(y.max()) + 1], "relu", rng=rng)
    fit(model, X, y, "softmax_cross_entropy", epochs=epochs, batch_size=16, lr=0.1,
        rng=rng, progress=False)
    return {"model": model, "X": X, "y": y, "accuracy": accuracy(model, X, y)}


def _draw(state, **values):
    fig, ax = plt.subplots(figsize=(4, 4))
    plot_decision_boundary(lambda P: predict_labels(state["model"], P), state["X"], state["y"],
                           ax=ax, title=f"{values['hidden']} hidden units: "
                                        f"train accuracy {state['accuracy']:.0%}")
    ax.set_xlabel(r"$x_1$")
    ax.set_ylabel(r"$x_2$")
    return fig


def toy_network_explorer() -> Explorer:
    """Sliders for the data set, hidden units and noise → the trained network's boundary."""
    controls = {
        "dataset": widgets.Dropdown(options=["moons", "circles", "xor", "spirals"],
                                    value="moons", description="data"),
        "hidden": widgets.IntSlider(value=8, min=1, max=64, description="hidden units",
                                    continuous_update=False),
        "noise": widgets.FloatSlider(value=0.15, min=0.0, max=0.5, step=0.05,
                                     description="noise", continuous_update=False),
    }
    return Explorer(controls, compute=train_toy_network, draw=_draw,
                    describe=lambda s, **v: f"training accuracy: {s['accuracy']:.3f}",
                    title="Train a one-hidden-layer network")
