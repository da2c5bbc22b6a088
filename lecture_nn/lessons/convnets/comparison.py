"""Notebook 06's comparison: a convnet against a multilayer network, trained alike (§5.2).

Both networks read the images as they are (the multilayer network flattens them first), get
the same recipe (:data:`RECIPE`) and the same training images, with or without one shifted
copy of each (:func:`with_shifted_copies`). One seed draws the shifts, the weights and the
order of the examples, so a comparison over several seeds is a comparison over all three.
"""
from __future__ import annotations

import numpy as np

from lecture_nn.activations import ReLU
from lecture_nn.checks import check_rng
from lecture_nn.data import shift_images
from lecture_nn.layers import Flatten, Linear, Sequential
from lecture_nn.lessons.training.regularization import ONE_PIXEL_SHIFTS
from lecture_nn.convolution import Conv2D
from lecture_nn.models import mlp
from lecture_nn.pooling import MaxPool2D
from lecture_nn.training import accuracy, fit

MOVES = ONE_PIXEL_SHIFTS
"""One pixel right, left, down or up (dx, dy): the shifts of notebook 03's virtual data."""

RECIPE = {"stages": ((1, 0.05), (1, 0.01)), "momentum": 0.9, "batch_size": 32}
"""SGD with momentum 0.9, batches of 32: one epoch at step size 0.05, then one at 0.01 to settle."""

DATA = ("originals", "originals + shifted copies")
"""The two training sets of :func:`compare`."""


def with_shifted_copies(images, labels, rng):
    """The images followed by a copy of each moved one pixel in a direction drawn from ``rng``.

    Returns (images, labels) twice as long; the originals come first, unchanged.
    """
    rng = check_rng(rng)
    move_of = rng.integers(0, len(MOVES), len(images))
    shifted = np.empty_like(images)
    for k, (dx, dy) in enumerate(MOVES):
        shifted[move_of == k] = shift_images(images[move_of == k], dx, dy)
    return np.concatenate([images, shifted]), np.concatenate([labels, labels])


def digit_convnet(rng, dtype=np.float32) -> Sequential:
    """conv 5×5, 12 filters → max pool → ReLU → conv 3×3, 24 filters → max pool → ReLU → 10 outputs."""
    f = dict(rng=rng, dtype=dtype)
    return Sequential(Conv2D(1, 12, 5, **f), MaxPool2D(2), ReLU(),
                      Conv2D(12, 24, 3, **f), MaxPool2D(2), ReLU(),
                      Flatten(), Linear(24 * 5 * 5, 10, **f))


def digit_mlp(rng, hidden: int = 128, dtype=np.float32) -> Sequential:
    """Notebook 02's network for 28×28 images: flatten → 784-``hidden``-10 with ReLU (He weights)."""
    return Sequential(Flatten(), *mlp([28 * 28, hidden, 10], "relu", rng=rng, dtype=dtype).layers)


def train(model, images, labels, rng, recipe=RECIPE):
    """Train ``model`` in place with ``recipe`` (stages of (epochs, step size)); returns the model."""
    for epochs, lr in recipe["stages"]:
        fit(model, images, labels, epochs=epochs, batch_size=recipe["batch_size"], lr=lr,
            momentum=recipe["momentum"], rng=rng, progress=False)
    return model


def compare(images, labels, test_images, test_labels, seeds, recipe=RECIPE) -> dict:
    """Test accuracy of both networks, trained with and without the shifted copies, for each seed.

    Returns ``{"accuracy": {(network, data): [one value per seed]}, "models": {...}}`` with
    network ``"MLP"`` or ``"convnet"`` and data one of :data:`DATA`;
    ``models`` keeps the trained networks of the first seed.
    """
    builders = {"MLP": digit_mlp, "convnet": digit_convnet}
    results = {(network, data): [] for network in builders for data in DATA}
    models = {}
    for index, seed in enumerate(seeds):
        augmented = with_shifted_copies(images, labels, np.random.default_rng([seed, 0]))
        for network, build in builders.items():
            for data, (X, y) in zip(DATA, ((images, labels), augmented)):
                rng = np.random.default_rng([seed, 1])
                model = train(build(rng), X, y, rng, recipe)
                results[network, data].append(accuracy(model, test_images, test_labels))
                if index == 0:
                    models[network, data] = model
    return {"accuracy": results, "models": models}
