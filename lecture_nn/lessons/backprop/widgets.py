"""Exploration for notebook 02: step through backprop on a small network, layer by layer."""
from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from lecture_nn.lessons.backprop.procedure import backprop_example, network_from_sequential
from lecture_nn.models import mlp
from lecture_nn.lessons.explorer import Explorer


def small_problem(seed: int = 0):
    """A 3-4-3-2 tanh network with a linear output, and 5 examples with targets (squared loss)."""
    rng = np.random.default_rng(seed)
    network = network_from_sequential(mlp([3, 4, 3, 2], "tanh", rng=rng))
    X = rng.standard_normal((5, 3))
    Y = rng.standard_normal((5, 2))
    return network, X, Y


def backprop_layer(layer=2, example=0, seed=0):
    """z^l, a^l, δ^l and ∂ℓ/∂W^l of one example at layer l (2 … L) of :func:`small_problem`."""
    network, X, Y = small_problem(seed)
    L = len(network.weights) + 1
    if not 2 <= layer <= L:
        raise ValueError(f"layer must lie in 2..{L}, got {layer}")
    trace = backprop_example(network, X[example], Y[example], "squared")
    return {"layer": layer, "L": L, "z": trace.z[layer], "a": trace.a[layer],
            "delta": trace.delta[layer], "dW": trace.dW[layer], "a_prev": trace.a[layer - 1],
            "loss": trace.loss}


def describe_layer(state, **_) -> str:
    l = state["layer"]
    lines = [f"layer l = {l} of L = {state['L']}, loss ℓ = {state['loss']:.4f}"]
    for name, key in ((f"z^{l}", "z"), (f"a^{l}", "a"), (f"δ^{l}", "delta"), (f"∂ℓ/∂W^{l}", "dW")):
        value = state[key]
        lines.append(f"{name} shape {value.shape}:\n{np.array2string(np.round(value, 3))}")
    return "\n".join(lines)


def draw_layer(state, **_):
    """z^l, a^l, δ^l and ∂ℓ/∂W^l as coloured matrices, each with its own colour bar (centred on 0);
    rows and columns are numbered by unit, from 1 as in the notes."""
    fig, axes = plt.subplots(1, 4, figsize=(11, 3.2),
                             gridspec_kw={"width_ratios": [1, 1, 1, state["dW"].shape[1] + 1]})
    l = state["layer"]
    for ax, key, title in zip(axes, ("z", "a", "delta", "dW"),
                              (f"$z^{l}$", f"$a^{l}$", f"$\\delta^{l}$", f"$\\partial\\ell/\\partial W^{l}$")):
        value = state[key]
        limit = max(np.abs(value).max(), 1e-12)
        shown = ax.imshow(value, cmap="RdBu_r", vmin=-limit, vmax=limit)
        fig.colorbar(shown, ax=ax, shrink=0.8)
        ax.set_title(f"{title}  {value.shape}", fontsize=10)
        ax.set_yticks(range(value.shape[0]), labels=range(1, value.shape[0] + 1))
        if key == "dW":
            ax.set_ylabel(f"unit $i$ of layer {l - 1}")
            ax.set_xticks(range(value.shape[1]), labels=range(1, value.shape[1] + 1))
            ax.set_xlabel(f"unit $j$ of layer {l}")
        else:
            ax.set_ylabel(f"unit of layer {l}")
            ax.set_xticks([])
    fig.tight_layout()
    return fig


def backprop_stepper() -> Explorer:
    """Pick the layer and the example → z^l, a^l, δ^l and ∂ℓ/∂W^l with their shapes."""
    controls = {
        "layer": widgets.IntSlider(value=4, min=2, max=4, description="layer l"),
        "example": widgets.IntSlider(value=0, min=0, max=4, description="example"),
    }
    return Explorer(controls, compute=backprop_layer, draw=draw_layer, describe=describe_layer,
                    title="Backprop, one layer at a time")
