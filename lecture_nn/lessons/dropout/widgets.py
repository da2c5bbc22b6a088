"""Notebook 04's explorations: the dropout probability and the label noise against the learning
curves; FGSM beside random ±ε signs on one digit."""
from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from lecture_nn.lessons.dropout.adversarial import (class_probabilities, digit_classifier, input_gradient,
                                                    mnist_digits, random_signs, sign_step)
from lecture_nn.lessons.dropout.experiment import LABEL_NOISE, N_TRAIN, dropout_run
from lecture_nn.lessons.dropout.figures import dropout_curves
from lecture_nn.lessons.explorer import Explorer

WIDE_LABEL = {"description_width": "initial"}
"""Slider style: the whole description is shown (it is also the control's accessible name)."""

__all__ = ["N_TRAIN", "dropout_comparison", "dropout_explorer", "dropout_run", "fgsm_example",
           "fgsm_explorer"]


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
    return dropout_curves({"no dropout": [state["without"]["history"]],
                           f"dropout p = {p:.1f}": [state["with"]["history"]]}, figsize=(9.5, 5.2))


def _describe(state, p, **_):
    return (f"one seed: train − test accuracy {state['with']['gap']:.3f} with p = {p:.1f}, "
            f"{state['without']['gap']:.3f} without; test accuracy {state['with']['test']:.3f} vs "
            f"{state['without']['test']:.3f}; last validation loss {state['with']['val_loss']:.3f} vs "
            f"{state['without']['val_loss']:.3f}")


def dropout_explorer() -> Explorer:
    """Sliders for the dropout probability and the fraction of wrong training labels → learning
    curves with and without dropout, and the train − test gap (one seed)."""
    controls = {"p": widgets.FloatSlider(value=0.5, min=0.0, max=0.8, step=0.1,
                                         description="drop probability p", continuous_update=False,
                                         style=WIDE_LABEL),
                "label_noise": widgets.FloatSlider(value=LABEL_NOISE, min=0.0, max=0.4, step=0.1,
                                                   description="fraction of wrong training labels",
                                                   continuous_update=False, style=WIDE_LABEL)}
    return Explorer(controls, compute=dropout_comparison, draw=_draw, describe=_describe,
                    title=f"Dropout on {N_TRAIN} MNIST digits (each new setting trains for a second or two)")


EPSILON_GRID = np.round(np.arange(0.0, 0.301, 0.01), 2)
"""The ε values of the widget's curve (and of its slider)."""


def fgsm_example(model, x, label: int, epsilon: float, seed: int = 0) -> dict:
    """One digit ``x`` (d,) with true ``label``, moved by ε per pixel along sign(∇ₓℓ) (FGSM) and
    along random signs drawn with ``default_rng(seed)``: the images, the network's answers and
    their probabilities, and the probability of the true label for every ε of ``EPSILON_GRID``."""
    x = np.asarray(x, dtype=float).reshape(1, -1)
    directions = {"FGSM": np.sign(input_gradient(model, x, [label])),
                  "random signs": random_signs(x.shape, np.random.default_rng(seed))}
    images = {"original": x[0]}
    curves = {}
    for name, direction in directions.items():
        images[name] = sign_step(x, direction, epsilon)[0]
        on_grid = np.concatenate([sign_step(x, direction, eps) for eps in EPSILON_GRID])
        curves[name] = class_probabilities(model, on_grid)[:, label]
    probs = class_probabilities(model, np.stack(list(images.values())))
    return {"label": int(label), "images": images, "answers": dict(zip(images, probs.argmax(1).tolist())),
            "confidence": dict(zip(images, probs.max(1).tolist())), "curves": curves}


def _draw_fgsm(state, epsilon, **_):
    fig, axes = plt.subplots(1, 4, figsize=(10, 2.6), gridspec_kw={"width_ratios": [1, 1, 1, 1.6]})
    for ax, (name, image) in zip(axes, state["images"].items()):
        side = int(round(np.sqrt(image.size)))
        ax.imshow(image.reshape(side, side), cmap="gray", vmin=0, vmax=1)
        ax.axis("off")
        ax.set_title(f"{name}: {state['answers'][name]} (true {state['label']})", fontsize=9)
    for name, curve in state["curves"].items():
        _ = axes[3].plot(EPSILON_GRID, curve, "-" if name == "FGSM" else "--", label=name)
    _ = axes[3].axvline(epsilon, color="0.5", lw=1)
    axes[3].set_xlabel(r"$\varepsilon$ (change per pixel)")
    axes[3].set_ylabel(f"probability of the true label {state['label']}", fontsize=8)
    axes[3].set_ylim(-0.03, 1.03)
    axes[3].legend(fontsize=8)
    fig.tight_layout()
    return fig


def _describe_fgsm(state, epsilon, **_):
    answers, confidence = state["answers"], state["confidence"]
    return "; ".join(f"{name}: answer {answers[name]} (probability {confidence[name]:.2f})"
                     for name in answers) + f" | true label {state['label']}, ε = {epsilon:.2f}"


def fgsm_explorer(model=None, n_digits: int = 50) -> Explorer:
    """Sliders for ε, the test digit and the seed of the random signs → the digit, its FGSM and its
    random-sign version with the network's answers, and the probability of the true label against ε.
    ``model`` defaults to the notebook's :func:`digit_classifier`."""
    model = digit_classifier() if model is None else model
    mnist = mnist_digits()
    X, y = mnist.X_test[:n_digits], mnist.y_test[:n_digits]
    controls = {"epsilon": widgets.FloatSlider(value=0.1, min=0.0, max=float(EPSILON_GRID[-1]), step=0.01,
                                               description="ε, change per pixel", continuous_update=False,
                                               style=WIDE_LABEL),
                "digit": widgets.IntSlider(value=0, min=0, max=len(X) - 1, description="test digit number",
                                           continuous_update=False, style=WIDE_LABEL),
                "seed": widgets.IntSlider(value=0, min=0, max=9, description="seed of the random signs",
                                          continuous_update=False, style=WIDE_LABEL)}

    def compute(epsilon, digit, seed):
        return fgsm_example(model, X[digit], int(y[digit]), round(float(epsilon), 2), seed)

    return Explorer(controls, compute=compute, draw=_draw_fgsm, describe=_describe_fgsm,
                    title="FGSM against random signs of the same size, one test digit")
