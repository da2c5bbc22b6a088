"""Plain against residual: depth and skips → per-layer gradient sizes ‖δ^l‖ and a short training curve."""
from __future__ import annotations

from functools import lru_cache

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from lecture_nn.lessons.residual.deep_nets import depth_experiment, spiral_task
from lecture_nn.lessons.explorer import Explorer


@lru_cache(maxsize=1)
def _task():
    """The same spirals for every redraw (arrays are only read)."""
    return spiral_task()


def gradient_and_training(depth=20, residual=True, epochs=10, seed=0):
    """The widget's computation: :func:`lecture_nn.lessons.residual.deep_nets.depth_experiment` on the spirals."""
    return depth_experiment(depth, residual, epochs=epochs, seed=seed, task=_task())


def _draw(state, **values):
    fig, (ax_grad, ax_loss) = plt.subplots(1, 2, figsize=(9.5, 3.4))
    norms = state["delta_norms"]
    kind = "residual" if values["residual"] else "plain"
    ax_grad.semilogy(np.arange(2, len(norms) + 2), norms, "s--" if values["residual"] else "o-", ms=3,
                     color="#d94801" if values["residual"] else "#2171b5")
    ax_grad.set_xlabel(r"layer $l$ (input = layer 1)")
    ax_grad.set_ylabel(r"$\|\delta^l\|$ at initialisation")
    ax_grad.set_title(f"{kind}, {values['depth']} weight layers")
    if state["diverged"]:
        ax_loss.axis("off")
        ax_loss.text(0.5, 0.5, "SGD diverged: the loss became inf or NaN", ha="center", transform=ax_loss.transAxes)
    elif state["loss"]:
        ax_loss.plot(np.arange(1, len(state["loss"]) + 1), state["loss"], "o-", ms=3)
        ax_loss.axhline(np.log(3), color="0.6", ls="--", lw=1)
        ax_loss.set_xlabel("epoch")
        ax_loss.set_ylabel("mean training loss")
        ax_loss.set_title("dashed: ln 3, guessing")
    else:
        ax_loss.axis("off")   # no axes to label: only the message
        ax_loss.text(0.5, 0.5, "epochs = 0: no training", ha="center", transform=ax_loss.transAxes)
    fig.tight_layout()
    return fig


def _describe(state, **values):
    norms = state["delta_norms"]
    text = f"‖δ²‖ / ‖δ^L‖ (first hidden layer / output layer): {norms[0] / norms[-1]:.3g};  parameters: {state['n_params']}"
    if state["diverged"]:
        text += "\nSGD diverged"
    elif state["loss"]:
        text += (f"\nfinal training loss {state['loss'][-1]:.3f}, "
                 f"test accuracy {state['test_accuracy']:.3f}")
    return text


def residual_explorer() -> Explorer:
    """Depth, skip connections on/off, epochs and seed → ‖δ^l‖ per layer at initialisation and a training curve."""
    controls = {
        "depth": widgets.IntSlider(value=20, min=3, max=60, step=1, description="weight layers",
                                   continuous_update=False, style={"description_width": "initial"}),
        "residual": widgets.Checkbox(value=True, description="skip connections"),
        "epochs": widgets.IntSlider(value=10, min=0, max=40, step=5, description="training epochs",
                                    continuous_update=False, style={"description_width": "initial"}),
        "seed": widgets.IntSlider(value=0, min=0, max=9, description="random seed",
                                  continuous_update=False, style={"description_width": "initial"}),
    }
    return Explorer(controls, compute=gradient_and_training, draw=_draw, describe=_describe,
                    title="Plain or residual: gradients at initialisation and training")
