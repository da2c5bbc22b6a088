"""Notebook 03's exploration: how depth, initial scale and activation shape the gradients.

Layers are numbered as in the notes: the input is layer 1, the first hidden layer is layer 2,
the output is layer L.
"""
from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

from lecture_nn.lessons.training.diagnostics import FIRST_LAYER, deep_network_profile
from lecture_nn.lessons.explorer import Explorer


def gradient_flow(n_layers=21, scale=1.4, activation="relu", width=64, seed=0):
    """Per-layer ‖δ^l‖, activation spread and dead units of a fresh network of L = ``n_layers``
    layers (weights N(0, scale²/n_in)); adds the ratio ‖δ^2‖/‖δ^L‖ and the total dead units."""
    profile = deep_network_profile(n_layers, activation, scale=scale, width=width, seed=seed)
    delta = profile["delta"]
    first, last = delta[FIRST_LAYER], delta[n_layers]
    ratio = first / last if last > 0 else float("nan")
    return {**profile, "ratio": ratio, "n_dead": int(sum(profile["dead"].values())),
            "n_hidden": (n_layers - 2) * width}


def _semilogy_by_layer(ax, values: dict, *args, **kwargs):
    ax.semilogy(list(values), np.maximum(list(values.values()), 1e-300), *args, **kwargs)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _draw(state, **values):
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    _semilogy_by_layer(axes[0], state["delta"], "o-")
    axes[0].set_xlabel("layer l (2 = first hidden, L = output)")
    axes[0].set_ylabel(r"$\|\delta^l\|$")
    axes[0].set_title("gradient arriving at each layer", fontsize=10)
    _semilogy_by_layer(axes[1], state["spread"], "s-", color="C1")
    axes[1].set_xlabel("hidden layer l (2 = first hidden)")
    axes[1].set_ylabel(r"standard deviation of $a^l$")
    axes[1].set_title("forward signal", fontsize=10)
    fig.tight_layout()
    return fig


def _describe(state, **values):
    return (f"‖δ^2‖ / ‖δ^L‖ = {state['ratio']:.2e}    dead units: {state['n_dead']} of "
            f"{state['n_hidden']}")


def gradient_flow_explorer() -> Explorer:
    """Sliders for the number of layers L (input included) and the weight scale s (weights
    N(0, s²/n_in)), a menu for the activation f → per-layer gradient norms, activation spread and
    the dead-unit count, live. Each control's description is its accessible name."""
    wide = {"description_width": "initial"}   # the descriptions are the controls' accessible names
    controls = {
        "n_layers": widgets.IntSlider(value=21, min=3, max=51, description="layers L (input included)",
                                      style=wide, continuous_update=False),
        "scale": widgets.FloatSlider(value=1.4, min=0.2, max=3.0, step=0.1,
                                     description="weight scale s", style=wide, continuous_update=False),
        "activation": widgets.Dropdown(options=["relu", "tanh", "sigmoid"], value="relu",
                                       description="activation f", style=wide),
    }
    return Explorer(controls, compute=gradient_flow, draw=_draw, describe=_describe,
                    title="Weights N(0, s²/n_in): gradients through a deep network")
