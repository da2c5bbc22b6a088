"""Notebook 06: what pooling does to a small shift, and how much of the image one unit sees.

Layers are numbered as in the notes: the input is layer 1, so in conv → pool → conv the first
convolution's output is layer 2, the pooled maps layer 3 and the second convolution's output layer 4.
"""
from __future__ import annotations

import numpy as np

from lecture_nn.activations import ReLU
from lecture_nn.checks import check_rng
from lecture_nn.convolution import Conv2D
from lecture_nn.data import shift_images
from lecture_nn.layers import Sequential
from lecture_nn.pooling import MaxPool2D


def relative_change(before, after) -> np.ndarray:
    """‖after − before‖ / ‖before‖ for each example (first axis) of two stacks of maps."""
    before = np.asarray(before, dtype=float).reshape(len(before), -1)
    after = np.asarray(after, dtype=float).reshape(len(after), -1)
    return np.linalg.norm(after - before, axis=1) / np.linalg.norm(before, axis=1)


def shift_sensitivity(images, moves, rng, n_filters: int = 12, kernel_size: int = 5, pool: int = 2):
    """How much moving the images changes a convolution layer's maps, before and after pooling.

    A convolution with ``n_filters`` random (He-initialised) filters drawn from ``rng``, then ReLU,
    gives the maps; ``MaxPool2D(pool)`` pools them. For every image and every move (dx, dy) in
    ``moves`` (filled with 0 by :func:`lecture_nn.data.shift_images`) the maps of the moved image
    are compared with the maps of the original *at the same positions*.

    Returns ``{"before": ..., "after": ...}``: the relative changes (:func:`relative_change`) of
    the maps and of the pooled maps, one per (move, image).
    """
    rng = check_rng(rng)
    images = np.asarray(images, dtype=np.float64)
    conv, relu, pooling = Conv2D(images.shape[1], n_filters, kernel_size, rng=rng), ReLU(), MaxPool2D(pool)

    def maps_of(x):
        maps = relu.forward(conv.forward(x))
        return maps, pooling.forward(maps)

    maps, pooled = maps_of(images)
    before, after = [], []
    for dx, dy in moves:
        moved_maps, moved_pooled = maps_of(shift_images(images, dx, dy))
        before.append(relative_change(maps, moved_maps))
        after.append(relative_change(pooled, moved_pooled))
    return {"before": np.concatenate(before), "after": np.concatenate(after)}


def conv_pool_conv(pool, kernel_size: int = 3) -> Sequential:
    """conv ``kernel_size``² → ``pool`` → conv ``kernel_size``², one channel, every weight 1, biases 0.

    Weights of 1 make every path from a pixel to a unit count with the same sign, so no
    contribution cancels and the input gradient is non-zero exactly where a path exists.
    """
    model = Sequential(Conv2D(1, 1, kernel_size, rng=np.random.default_rng(0)), pool,
                       Conv2D(1, 1, kernel_size, rng=np.random.default_rng(0)))
    for layer in (model[0], model[2]):
        layer.params["W"][:] = 1.0
    return model


def input_gradient(model, x, unit) -> np.ndarray:
    """∂(one output unit)/∂(input) for one single-channel image ``x`` (1, 1, H, W): the forward
    pass, then a one-hot gradient at ``unit`` = (row, column) of the output map passed backward."""
    out = model.forward(x)
    one_hot = np.zeros_like(out)
    one_hot[0, 0][tuple(unit)] = 1.0
    return model.backward(one_hot)[0, 0]


def extent(grad) -> tuple[slice, slice]:
    """The smallest rectangle (rows, columns) holding every non-zero entry of ``grad``."""
    rows, cols = np.nonzero(grad)
    if rows.size == 0:
        raise ValueError("the gradient is zero everywhere")
    return slice(rows.min(), rows.max() + 1), slice(cols.min(), cols.max() + 1)


def receptive_field_size(layers) -> int:
    """Side of the receptive field after a chain of windows ``[(size, stride), …]``.

    Each layer widens the field by (size − 1) steps of the layers below it; a stride multiplies
    the size of those steps for every later layer.
    """
    size, step = 1, 1
    for window, stride in layers:
        size += (window - 1) * step
        step *= stride
    return size


__all__ = ["relative_change", "shift_sensitivity", "conv_pool_conv", "input_gradient", "extent",
           "receptive_field_size"]
