"""Explorations for notebook 01: universal approximation, capacity (Fig. 5), ReLU features (Fig. 6)."""
from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from lecture_nn.lessons.feedforward.approximation import STEP_UNITS, TARGETS, bump_network, get_target, max_error
from lecture_nn.lessons.feedforward.capacity import fit_hidden_units
from lecture_nn.plotting import plot_decision_boundary, scatter_classes
from lecture_nn.data import make_three_stripes
from lecture_nn.lessons.feedforward.representations import (flip_units, hidden_features, is_linearly_separable,
                                                             separating_hyperplane)
from lecture_nn.training import predict_labels
from lecture_nn.lessons.explorer import Explorer

LABEL_STYLE = {"description_width": "initial"}
"""Controls show their whole description (their accessible name) instead of cutting it short."""


# --- universal approximation ---------------------------------------------------------------
def approximate(n_hidden=16, target="sine", activation="sigmoid"):
    """The hand-built bump network with ``n_hidden`` units for ``target``, and its max error."""
    network = bump_network(target, n_hidden, activation)
    return {"network": network, "max_error": max_error(network, target), "target": target}


def draw_approximation(state, **_):
    x = np.linspace(0, 1, 500)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    axes[0].plot(x, get_target(state["target"])(x), "k", lw=2, label="target h(x)")
    axes[0].plot(x, state["network"](x), "C1", lw=1.5, label="network F(x)")
    axes[0].legend(fontsize=8)
    axes[0].set_title(f"{state['network'].n_hidden} {state['network'].activation} units", fontsize=10)
    axes[1].plot(x, np.abs(state["network"](x) - get_target(state["target"])(x)), "C3")
    axes[1].set_title(f"|F(x) − h(x)|, max {state['max_error']:.3f}", fontsize=10)
    axes[0].set_ylabel("$h(x)$ and $F(x)$")
    axes[1].set_ylabel("$|F(x) - h(x)|$")
    for ax in axes:
        ax.set_xlabel("$x$")
    fig.tight_layout()
    return fig


def approximation_explorer() -> Explorer:
    """Sliders for N, the target and the activation → the bump approximation and its error."""
    controls = {
        "n_hidden": widgets.IntSlider(value=16, min=4, max=128, step=4, description="hidden units N",
                                      style=LABEL_STYLE),
        "target": widgets.Dropdown(options=sorted(TARGETS), value="sine", description="target h",
                                   style=LABEL_STYLE),
        "activation": widgets.Dropdown(options=sorted(STEP_UNITS), value="sigmoid",
                                       description="activation f", style=LABEL_STYLE),
    }
    return Explorer(controls, compute=approximate, draw=draw_approximation,
                    describe=lambda s, **v: f"max |F − h| = {s['max_error']:.4f}",
                    title="A sum of N hidden units approximates a continuous function")


# --- Fig. 5: more hidden units -----------------------------------------------------------------
def draw_boundary(result, ax=None):
    """Decision regions of a :func:`fit_hidden_units` result over its training points."""
    ax = plot_decision_boundary(
        lambda P: predict_labels(result["model"], P), result["X"], result["y"], ax=ax,
        title=f"{result['hidden']} hidden: train {result['train_accuracy']:.2f}, "
              f"test {result['test_accuracy']:.2f}")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    return ax


def hidden_units_explorer() -> Explorer:
    """Sliders for the hidden units and the noise → the trained boundary and its accuracies."""
    controls = {
        "hidden": widgets.IntSlider(value=10, min=1, max=100, description="hidden units",
                                    continuous_update=False, style=LABEL_STYLE),
        "noise": widgets.FloatSlider(value=0.7, min=0.0, max=1.0, step=0.1, description="stripe noise",
                                     continuous_update=False, style=LABEL_STYLE),
    }

    def draw(state, **_):
        fig, ax = plt.subplots(figsize=(4, 4))
        draw_boundary(state, ax=ax)
        return fig

    return Explorer(controls, compute=lambda hidden, noise: fit_hidden_units(hidden, noise),
                    draw=draw, title="Hidden units and overfitting",
                    describe=lambda s, **v: f"train accuracy {s['train_accuracy']:.3f}, "
                                            f"test accuracy {s['test_accuracy']:.3f}")


# --- Fig. 6: two ReLU units ------------------------------------------------------------------
def map_points(X, y, W, b):
    """Map X through two ReLU units and decide separability in both spaces."""
    features = hidden_features(X, W, b)
    return {"X": X, "y": y, "W": np.asarray(W, float), "b": np.asarray(b, float),
            "features": features, "separable_input": is_linearly_separable(X, y),
            "separable_features": is_linearly_separable(features, y)}


def draw_separating_line(ax, features, y):
    """The widest line that separates the two classes of ``features`` (n, 2), dashed, over the
    points' range; the axes keep that range."""
    w, c = separating_hyperplane(features, y, widest=True)
    lo, hi = features.min(0), features.max(0)
    pad = 0.08 * np.maximum(hi - lo, 1e-3)
    lo, hi = lo - pad, hi + pad
    label = "separating line"
    if abs(w[1]) >= abs(w[0]):
        xs = np.array([lo[0], hi[0]])
        ax.plot(xs, -(c + w[0] * xs) / w[1], "k--", lw=1.5, label=label)
    else:
        ys = np.array([lo[1], hi[1]])
        ax.plot(-(c + w[1] * ys) / w[0], ys, "k--", lw=1.5, label=label)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.legend(fontsize=8, loc="upper right")


def draw_feature_map(state, axes=None):
    """Fig. 6: left, the points with both hyperplanes z_j = 0 and their normals; right, [f(z₁), f(z₂)]
    with a separating line when there is one."""
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(9, 4))
    X, y, W, b = state["X"], state["y"], state["W"], state["b"]
    left, right = axes
    scatter_classes(X, y, ax=left, size=30)
    lo, hi = X.min(0) - 0.6, X.max(0) + 0.6
    for j, colour in enumerate(("C0", "C3")):
        normal, bias = W[:, j], b[j]
        if abs(normal[1]) > 1e-12:
            xs = np.array([lo[0], hi[0]])
            left.plot(xs, -(bias + normal[0] * xs) / normal[1], colour, lw=1.5, label=f"$z_{j + 1} = 0$")
        else:
            left.axvline(-bias / normal[0], color=colour, lw=1.5, label=f"$z_{j + 1} = 0$")
        # the point of the hyperplane closest to the origin, and the normal drawn from it
        foot = -bias * normal / (normal @ normal)
        unit = normal / np.linalg.norm(normal) * 0.6
        left.annotate("", xy=foot + unit, xytext=foot,
                      arrowprops=dict(arrowstyle="->", color=colour, lw=2))
    left.set_xlim(lo[0], hi[0])
    left.set_ylim(lo[1], hi[1])
    left.set_xlabel("$x_1$")
    left.set_ylabel("$x_2$")
    left.legend(fontsize=8, loc="upper center", ncol=4, bbox_to_anchor=(0.5, -0.12))
    left.set_title(f"input space (separable: {'yes' if state['separable_input'] else 'no'})",
                   fontsize=10)
    features = state["features"]
    scatter_classes(features, y, ax=right, size=30)
    if state["separable_features"]:
        draw_separating_line(right, features, y)
    right.set_xlabel("$f(z_1)$")
    right.set_ylabel("$f(z_2)$")
    right.set_title(f"hidden features (separable: {'yes' if state['separable_features'] else 'no'})",
                    fontsize=10)
    return axes


def relu_map_explorer(W=((-1.0, 1.0), (0.6, 0.6)), b=(-0.5, -0.5)) -> Explorer:
    """Sliders for both units' weights and biases, and sign flips → Fig. 6's panels, live."""
    W, b = np.asarray(W, float), np.asarray(b, float)
    X, y = make_three_stripes(36, noise=0.2, rng=np.random.default_rng(0))
    slider = dict(min=-2.0, max=2.0, step=0.1, continuous_update=False, style=LABEL_STYLE)
    controls = {
        "w11": widgets.FloatSlider(value=W[0, 0], description="unit 1 weight w11", **slider),
        "w21": widgets.FloatSlider(value=W[1, 0], description="unit 1 weight w21", **slider),
        "b1": widgets.FloatSlider(value=b[0], description="unit 1 bias b1", **slider),
        "w12": widgets.FloatSlider(value=W[0, 1], description="unit 2 weight w12", **slider),
        "w22": widgets.FloatSlider(value=W[1, 1], description="unit 2 weight w22", **slider),
        "b2": widgets.FloatSlider(value=b[1], description="unit 2 bias b2", **slider),
        "flip1": widgets.Checkbox(value=False, description="flip unit 1's normal", style=LABEL_STYLE),
        "flip2": widgets.Checkbox(value=False, description="flip unit 2's normal", style=LABEL_STYLE),
    }

    def compute(w11, w21, b1, w12, w22, b2, flip1, flip2):
        Wf, bf = flip_units([[w11, w12], [w21, w22]], [b1, b2], [flip1, flip2])
        if np.any(np.linalg.norm(Wf, axis=0) == 0):
            Wf = Wf + (np.linalg.norm(Wf, axis=0) == 0) * 1e-6   # keep a drawable normal
        return map_points(X, y, Wf, bf)

    def draw(state, **_):
        fig, axes = plt.subplots(1, 2, figsize=(9, 4))
        draw_feature_map(state, axes)
        fig.tight_layout()
        return fig

    return Explorer(controls, compute=compute, draw=draw, title="Two ReLU units as a feature map",
                    describe=lambda s, **v: "separable in [f(z1), f(z2)]: "
                                            + ("yes" if s["separable_features"] else "no"))
