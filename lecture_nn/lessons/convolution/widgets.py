"""Explorations for notebook 05: a filter editor on a photograph, and the patch geometry."""
from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from lecture_nn.lessons.convolution import (conv2d, fully_connected_weights, locally_connected_weights,
                                           output_size, shared_weights)
from lecture_nn.diagrams import draw_patches
from lecture_nn.lessons.convolution.images import FILTERS, sample_photo, show_filtered
from lecture_nn.lessons.explorer import Explorer


def parse_kernel(text: str) -> np.ndarray:
    """'0 -1 0; -1 5 -1; 0 -1 0' → a square kernel (rows separated by ';' or new lines)."""
    rows = [r.replace(",", " ").split() for r in text.replace("\n", ";").split(";") if r.strip()]
    try:
        kernel = np.array([[float(v) for v in row] for row in rows])
    except ValueError:
        raise ValueError(f"the kernel must be numbers, rows separated by ';', got {text!r}") from None
    if kernel.ndim != 2 or kernel.shape[0] != kernel.shape[1] or kernel.shape[0] % 2 == 0:
        raise ValueError(f"the kernel must be square with an odd size (3×3, 5×5), got rows "
                         f"of lengths {[len(r) for r in rows]}")
    return kernel


def format_kernel(kernel) -> str:
    return "; ".join(" ".join(f"{v:g}" for v in row) for row in np.asarray(kernel))


def filter_photo(kernel_text: str, image=None) -> dict:
    """Apply the kernel written in ``kernel_text`` to the photo (zero padding: same size)."""
    image = sample_photo(step=2) if image is None else image
    try:
        kernel = parse_kernel(kernel_text)
    except ValueError as error:
        return {"error": str(error), "image": image}
    filtered = conv2d(image, kernel, padding=kernel.shape[0] // 2)
    return {"error": None, "image": image, "kernel": kernel, "filtered": filtered,
            "kernel_sum": float(kernel.sum())}


def _draw_filtered(state, **values):
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.6))
    axes[0].imshow(state["image"], cmap="gray", vmin=0, vmax=1)
    axes[0].set_title("input")
    axes[0].axis("off")
    if state["error"] is None:
        show_filtered(axes[1], state["filtered"], state["kernel"], title="filtered")
    else:
        axes[1].axis("off")
    return fig


def _describe_filtered(state, **values):
    if state["error"] is not None:
        return state["error"]
    return (f"kernel {state['kernel'].shape[0]}×{state['kernel'].shape[0]}, weights sum to "
            f"{state['kernel_sum']:g}: output range [{state['filtered'].min():.2f}, "
            f"{state['filtered'].max():.2f}]")


def filter_editor() -> Explorer:
    """Choose a preset or type a kernel ('a b c; d e f; g h i') → the filtered photograph."""
    image = sample_photo(step=2)
    named = {"description_width": "initial"}     # the whole description shows: the control's accessible name
    preset = widgets.Dropdown(options=list(FILTERS), value="sharpen", description="preset kernel",
                              style=named)
    kernel = widgets.Textarea(value=format_kernel(FILTERS["sharpen"]), description="kernel (rows split by ;)",
                              continuous_update=False, layout=widgets.Layout(width="28em"), style=named)
    explorer = Explorer({"preset": preset, "kernel_text": kernel},
                        compute=lambda preset, kernel_text: filter_photo(kernel_text, image),
                        draw=_draw_filtered, describe=_describe_filtered,
                        title="Filter a photograph with a kernel of your choice")

    def load_preset(change):
        kernel.value = format_kernel(FILTERS[change["new"]])
    preset.observe(load_preset, names="value")
    return explorer


def patch_geometry(input_size=14, kernel_size=4, stride=2, padding=0) -> dict:
    """Output size and the three weight counts for a square input and patch."""
    try:
        Ho, Wo = output_size(input_size, kernel_size, stride, padding)
    except ValueError as error:
        return {"error": str(error)}
    return {"error": None, "output": (Ho, Wo),
            "fully_connected": fully_connected_weights(input_size, (Ho, Wo)),
            "locally_connected": locally_connected_weights(input_size, kernel_size, stride, padding),
            "shared": shared_weights(kernel_size)}


def _draw_geometry(state, **values):
    if state["error"] is not None:
        fig, ax = plt.subplots(figsize=(4, 1))
        ax.axis("off")
        return fig
    fig, _ = draw_patches(**values)
    return fig


def _describe_geometry(state, **values):
    if state["error"] is not None:
        return state["error"]
    Ho, Wo = state["output"]
    return (f"hidden layer {Ho}×{Wo}; weights: fully connected {state['fully_connected']:,}, "
            f"local patches without sharing {state['locally_connected']:,}, "
            f"with sharing {state['shared']:,}")


def patch_explorer() -> Explorer:
    """Sliders for input size, patch size, stride and padding → output size, counts, drawing."""
    slider = dict(continuous_update=False, style={"description_width": "initial"})
    controls = {
        "input_size": widgets.IntSlider(value=14, min=4, max=32, description="input size (pixels)", **slider),
        "kernel_size": widgets.IntSlider(value=4, min=1, max=9, description="patch size (pixels)", **slider),
        "stride": widgets.IntSlider(value=2, min=1, max=5, description="stride (pixels)", **slider),
        "padding": widgets.IntSlider(value=0, min=0, max=4, description="padding (zeros per side)", **slider),
    }
    return Explorer(controls, compute=patch_geometry, draw=_draw_geometry,
                    describe=_describe_geometry, title="Where do the patches fall?")
