"""Notebook 03's exploration: how depth, initial scale and activation shape the gradients."""
from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from lecture_nn.lessons.training.diagnostics import deep_network_profile
from lecture_nn.lessons.explorer import Explorer


def gradient_flow(depth=20, scale=1.4, activation="relu", width=64, seed=0):
    """Per-layer ‖δ^l‖, activation spread and dead units of a fresh network (weights
    N(0, scale²/n_in)); adds the ratio ‖δ^1‖/‖δ^L‖ and the total dead units."""
    profile = deep_network_profile(depth, activation, scale=scale, width=width, seed=seed)
    delta = profile["delta"]
    ratio = delta[0] / delta[-1] if delta[-1] > 0 else float("nan")
    return {**profile, "ratio": ratio, "n_dead": int(sum(profile["dead"])),
            "n_hidden": (depth - 1) * width}


def _draw(state, **values):
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    layers = np.arange(1, len(state["delta"]) + 1)
    axes[0].semilogy(layers, np.maximum(state["delta"], 1e-300), "o-")
    axes[0].set_xlabel("layer l (1 = first hidden, L = output)")
    axes[0].set_ylabel("‖δ^l‖")
    axes[0].set_title("gradient arriving at each layer", fontsize=10)
    hidden = np.arange(1, len(state["spread"]) + 1)
    axes[1].semilogy(hidden, np.maximum(state["spread"], 1e-300), "s-", color="C1")
    axes[1].set_xlabel("hidden layer l (1 = first hidden)")
    axes[1].set_ylabel("std of a^l")
    axes[1].set_title("forward signal", fontsize=10)
    fig.tight_layout()
    return fig


def _describe(state, **values):
    return (f"‖δ^1‖ / ‖δ^L‖ = {state['ratio']:.2e}    dead units: {state['n_dead']} of "
            f"{state['n_hidden']}")


def gradient_flow_explorer() -> Explorer:
    """Sliders for depth and initial scale, a menu for the activation → per-layer
    gradient norms, activation spread and the dead-unit count, live."""
    controls = {
        "depth": widgets.IntSlider(value=20, min=2, max=50, description="depth",
                                   continuous_update=False),
        "scale": widgets.FloatSlider(value=1.4, min=0.2, max=3.0, step=0.1,
                                     description="scale", continuous_update=False),
        "activation": widgets.Dropdown(options=["relu", "tanh", "sigmoid"], value="relu",
                                       description="activation"),
    }
    return Explorer(controls, compute=gradient_flow, draw=_draw, describe=_describe,
                    title="Weights N(0, scale²/n_in): gradients through a deep network")
