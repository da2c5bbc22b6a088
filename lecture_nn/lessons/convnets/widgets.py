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
    """Dropdown options: the layers whose output is a stack of feature maps."""
    outputs = layer_outputs(model, np.asarray(image)[None])
    return {f"{i}: {model[i]!r} → {out.shape[1]}×{out.shape[2]}×{out.shape[3]}": i
            for i, out in enumerate(outputs) if out.ndim == 4}


def feature_map_explorer(model, images, labels) -> Explorer:
    """A slider over ``images`` (n, 1, H, W) and a dropdown of ``model``'s convolution and
    pooling layers; shows the image, the chosen layer's feature maps and the prediction."""
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
        fig, axes = plt.subplots(nrows, ncols, figsize=(1.25 * ncols, 1.35 * nrows), squeeze=False)
        for ax in axes.ravel():
            ax.axis("off")
        axes[0, 0].imshow(images[index, 0], cmap="gray")
        axes[0, 0].set_title(f"input ({state['label']})", fontsize=8)
        for k, feature_map in enumerate(maps):
            ax = axes[k // (ncols - 1), 1 + k % (ncols - 1)]
            ax.imshow(feature_map, cmap="viridis")
            ax.set_title(f"map {k}", fontsize=7)
        fig.tight_layout()
        return fig

    def describe(state, index, layer):
        c, h, w = state["maps"].shape
        return (f"layer {layer}: {c} feature maps of {h}×{w};  label {state['label']}, "
                f"predicted {state['prediction']}")

    return Explorer(controls, compute=compute, draw=draw, describe=describe,
                    title="Feature maps of a test digit")
