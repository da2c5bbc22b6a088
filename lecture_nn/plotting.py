"""Plots shared by the notebooks: decision boundaries, learning curves, image grids.

Diagrams of networks and convolutions are in :mod:`lecture_nn.diagrams`."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

CLASS_COLOURS = ("#7f7f7f", "#2ca02c", "#1f77b4", "#d62728", "#9467bd")
CLASS_MARKERS = ("o", "s", "^", "v", "D")


def new_axes(ax, figsize=(4, 4)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def class_name(label, labels) -> str:
    """How a legend names a class: ``"0"``, ``"1"`` … or, for ±1 labels, ``"−1"`` and ``"+1"``."""
    value = float(label)
    if value.is_integer():
        signed = np.min(labels) < 0
        return (f"{int(value):+d}" if signed else f"{int(value)}").replace("-", "−")
    return f"{value:g}"


def scatter_classes(X, y, ax=None, size=18):
    """Points coloured by class; labels may be {0, 1, …} or {−1, +1}.

    Negative class: grey circles, positive: green squares (as in the notes' Fig. 6); the marker
    shapes differ too, so the classes stay apart without colour.
    """
    ax = new_axes(ax)
    y = np.asarray(y)
    labels = np.unique(y)
    for i, label in enumerate(labels):
        pts = X[y == label]
        ax.scatter(pts[:, 0], pts[:, 1], s=size, c=CLASS_COLOURS[i % len(CLASS_COLOURS)],
                   marker=CLASS_MARKERS[i % len(CLASS_MARKERS)], edgecolors="k",
                   linewidths=0.4, label=f"class {class_name(label, labels)}")
    return ax


def grid_for(X, resolution=150, margin=0.5):
    """A (resolution², 2) grid of points covering X, and the two mesh arrays."""
    lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], resolution),
                         np.linspace(lo[1], hi[1], resolution))
    return np.column_stack([xx.ravel(), yy.ravel()]), xx, yy


def plot_decision_boundary(predict_fn, X, y, ax=None, resolution=150, title=None,
                           xlabel=r"$x_1$", ylabel=r"$x_2$"):
    """Shade the regions ``predict_fn`` assigns to each class and draw the data (axes: the two inputs).

    ``predict_fn`` maps an (n, 2) array to labels (n,); a model from
    :mod:`lecture_nn` can be passed as ``lambda P: predict_labels(model, P)``. The legend names
    the classes of the points (the shading uses the same colours for the predicted class).
    """
    ax = new_axes(ax)
    grid, xx, yy = grid_for(X, resolution)
    labels = np.asarray(predict_fn(grid)).reshape(xx.shape)
    classes = np.unique(np.concatenate([np.unique(y), np.unique(labels)]))
    index = np.searchsorted(classes, labels)
    colours = [CLASS_COLOURS[i % len(CLASS_COLOURS)] for i in range(len(classes))]
    ax.contourf(xx, yy, index, levels=np.arange(len(classes) + 1) - 0.5, colors=colours,
                alpha=0.25)
    scatter_classes(X, y, ax=ax)
    ax.set_xlim(xx.min(), xx.max())
    ax.set_ylim(yy.min(), yy.max())
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(loc="upper right", fontsize=8, framealpha=0.85, handletextpad=0.2)
    if title:
        ax.set_title(title, fontsize=10)
    return ax


HISTORY_LABELS = {"loss": "training loss", "accuracy": "training accuracy",
                  "val_loss": "validation loss", "val_accuracy": "validation accuracy"}
"""Readable names for the keys of a :class:`lecture_nn.training.History`."""


def plot_history(history, ax=None, keys=("loss", "val_loss"), title=None, ylabel=None):
    """Learning curves from a :class:`lecture_nn.training.History`, one line per key, against epoch.

    Training and validation curves of one quantity share a colour (solid: training, dashed:
    validation), so the eye pairs them.  ``ylabel`` defaults to the quantity's name.
    """
    ax = new_axes(ax, figsize=(5, 3.2))
    quantities = list(dict.fromkeys(key.removeprefix("val_") for key in keys))
    for key in keys:
        if key in history:
            quantity = key.removeprefix("val_")
            ax.plot(np.arange(1, len(history[key]) + 1), history[key], label=HISTORY_LABELS.get(key, key),
                    color=f"C{quantities.index(quantity)}", linestyle="--" if key.startswith("val_") else "-")
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel or " / ".join(quantities))
    ax.legend()
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def show_images(images, titles=None, ncols=10, size=1.1, cmap="gray", colorbar_label=None,
                symmetric=False):
    """A grid of grey-scale images (n, H, W), (n, 1, H, W) or flat square rows.

    With ``colorbar_label`` every panel shares one colour scale (centred on 0 when
    ``symmetric``) and one colour bar with that label: use it when colour carries a value
    (filters, feature maps), not for photographs or digits.
    """
    images = np.asarray(images)
    if images.ndim == 2:
        side = int(round(np.sqrt(images.shape[1])))
        images = images.reshape(len(images), side, side)
    elif images.ndim == 4:
        images = images[:, 0]
    n = len(images)
    ncols = min(ncols, n)
    nrows = int(np.ceil(n / ncols))
    scale = {}
    if colorbar_label is not None:
        limit = float(np.abs(images).max()) or 1.0
        scale = ({"vmin": -limit, "vmax": limit} if symmetric
                 else {"vmin": float(images.min()), "vmax": float(images.max())})
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols + (0.8 if scale else 0),
                                                    size * nrows + 0.3 * nrows), squeeze=False)
    shown = None
    for i, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if i < n:
            shown = ax.imshow(images[i], cmap=cmap, **scale)
            if titles is not None:
                ax.set_title(titles[i], fontsize=8)
    fig.tight_layout()
    if scale:
        fig.colorbar(shown, ax=axes.ravel().tolist(), shrink=0.8, label=colorbar_label)
    return fig


def show_misclassified(images, predicted, true, ncols=10, size=1.1):
    """Misclassified images, each titled the same way in every notebook: "9 (true 7)" means the
    network said 9 and the label is 7."""
    titles = [f"{int(p)} (true {int(t)})" for p, t in zip(predicted, true)]
    fig = show_images(images, titles=titles, ncols=ncols, size=size)
    # above the top edge, clear of the panel titles (the notebooks save figures with a tight box)
    fig.suptitle("network's answer (true label)", fontsize=9, y=1.0, va="bottom")
    return fig
