"""Inside a trained convnet: pick a test image and a layer → that layer's feature maps."""
from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from lecture_nn.checks import as_float_array
from lecture_nn.lessons.training.diagnostics import layer_outputs
from lecture_nn.layers import Sequential
from lecture_nn.lessons.explorer import Explorer


def _map_layers(model, image) -> dict[str, int]:
    """Dropdown options: the steps of ``model`` whose output is a stack of feature maps.

    The options count the steps of the ``Sequential`` (1 = its first), not the notes' layers:
    a convolution and its ReLU are two steps but one layer of the notes."""
    outputs = layer_outputs(model, np.asarray(image)[None])
    return {f"step {i + 1}: after {model[i]!r} → {out.shape[1]}×{out.shape[2]}×{out.shape[3]}": i
            for i, out in enumerate(outputs) if out.ndim == 4}


def map_scale(maps) -> dict:
    """One colour scale for a stack of feature maps: ``imshow`` keyword arguments and a colour-bar label.

    Maps with negative values (a convolution's output before ReLU) get a diverging map symmetric
    about 0; maps that are never negative (after ReLU or pooling of ReLU) run from 0 to their maximum.
    """
    maps = np.asarray(maps, dtype=float)
    if maps.min() < 0:
        limit = float(np.abs(maps).max())
        return {"cmap": "RdBu_r", "vmin": -limit, "vmax": limit, "label": "value (0: white)"}
    return {"cmap": "viridis", "vmin": 0.0, "vmax": float(maps.max()) or 1.0, "label": "activation"}


def feature_map_explorer(model, images, labels) -> Explorer:
    """A slider over ``images`` (n, 1, H, W) and a dropdown of ``model``'s convolution, pooling
    and ReLU steps; shows the image, the chosen step's feature maps on one colour scale with a
    colour bar, and the prediction."""
    if not isinstance(model, Sequential):
        raise TypeError(f"model must be a Sequential, got {type(model).__name__}")
    images = as_float_array(images, "images", ndim=4)
    labels = np.asarray(labels)
    if len(labels) != len(images):
        raise ValueError(f"labels must have one entry per image ({len(images)}), got {len(labels)}")
    options = _map_layers(model, images[0])
    controls = {
        "index": widgets.IntSlider(value=0, min=0, max=len(images) - 1, description="test image",
                                   continuous_update=False),
        "layer": widgets.Dropdown(options=options, value=next(iter(options.values())),
                                  description="layer", layout=widgets.Layout(width="420px")),
    }

    def compute(index, layer):
        outputs = layer_outputs(model, images[index:index + 1])
        return {"maps": outputs[layer][0], "scores": outputs[-1][0],
                "prediction": int(np.argmax(outputs[-1][0])), "label": int(labels[index])}

    def draw(state, index, layer):
        maps = state["maps"]
        ncols = min(len(maps), 8) + 1
        nrows = int(np.ceil(len(maps) / (ncols - 1)))
        fig, axes = plt.subplots(nrows, ncols, figsize=(1.25 * ncols + 0.8, 1.35 * nrows), squeeze=False)
        for ax in axes.ravel():
            ax.axis("off")
        axes[0, 0].imshow(images[index, 0], cmap="gray")
        axes[0, 0].set_title(f"input ({state['label']})", fontsize=8)
        scale = map_scale(maps)
        label = scale.pop("label")
        for k, feature_map in enumerate(maps):
            ax = axes[k // (ncols - 1), 1 + k % (ncols - 1)]
            shown = ax.imshow(feature_map, **scale)
            ax.set_title(f"map {k}", fontsize=7)
        fig.tight_layout()
        fig.colorbar(shown, ax=axes[:, 1:].ravel().tolist(), shrink=0.8, label=label)
        return fig

    def describe(state, index, layer):
        c, h, w = state["maps"].shape
        return (f"after {model[layer]!r} (step {layer + 1}): {c} feature maps of {h}×{w};  "
                f"label {state['label']}, "
                f"predicted {state['prediction']}")

    return Explorer(controls, compute=compute, draw=draw, describe=describe,
                    title="Feature maps of a test digit")
