"""Checkers for the exercises of notebook 06 (convnet architectures and pooling)."""
from __future__ import annotations

import numpy as np

from lecture_nn.convolution import Conv2D
from lecture_nn.layers import Flatten
from lecture_nn.layers import Linear, Sequential
from lecture_nn.pooling import MaxPool2D
from lecture_nn.lessons.checking import verdict

EXERCISE_MAP = np.array([[2.0, 7.0, 1.0, 3.0, 0.0, 4.0],
                         [5.0, 1.0, 9.0, 2.0, 6.0, 6.0],
                         [0.0, 8.0, 3.0, 3.0, 1.0, 2.0],
                         [4.0, 2.0, 5.0, 0.0, 7.0, 1.0]])
"""Exercise 2: a 4×6 feature map pooled by MaxPool2D(2)."""

EXERCISE_GRAD = np.array([[1.0, -2.0, 3.0],
                          [0.5, 4.0, -1.0]])
"""Exercise 2: the gradient arriving at the 2×3 pooled output."""


def fig12_network(pool: bool = True, rng=None) -> Sequential:
    """The notes' Fig. 12 network: 3 filters of 5×5 on 28×28, optional 2×2 max pooling, 10 outputs."""
    rng = np.random.default_rng(0) if rng is None else rng
    layers = [Conv2D(1, 3, 5, rng=rng)]
    if pool:
        layers.append(MaxPool2D(2))
    n_features = 3 * (12 * 12 if pool else 24 * 24)
    return Sequential(*layers, Flatten(), Linear(n_features, 10, rng=rng))


def check_unpooled_parameters(answer) -> bool:
    """Exercise 1: parameters of Fig. 12's network without the pooling layer."""
    return verdict(answer, fig12_network(pool=False).n_params(),
                   "parameters without pooling", rtol=0,
                   hint="3·(5·5) + 3 for the convolution, then (3·24·24)·10 + 10 for the last layer.")


def check_pool_backward(answer) -> bool:
    """Exercise 2: ∂ℓ/∂(EXERCISE_MAP) under MaxPool2D(2), given EXERCISE_GRAD from above."""
    answer = np.asarray(answer, dtype=float)
    pool = MaxPool2D(2)
    pool.forward(EXERCISE_MAP[None, None])
    expected = pool.backward(EXERCISE_GRAD[None, None])[0, 0]
    return verdict(answer, expected, "gradient of the 4×6 map",
                   hint="Each window sends its whole gradient to its largest entry; "
                        "every other entry gets 0. Ties: the first in reading order.", rtol=0)


def check_output_shape(answer, in_shape=(1, 28, 28)) -> bool:
    """Exercise 3: the shape of one example after Conv2D(1, 8, 3) → MaxPool2D(2) → Conv2D(8, 16, 3) →
    MaxPool2D(2), as a tuple (C, H, W)."""
    rng = np.random.default_rng(0)
    net = Sequential(Conv2D(1, 8, 3, rng=rng), MaxPool2D(2), Conv2D(8, 16, 3, rng=rng), MaxPool2D(2))
    expected = net.forward(np.zeros((1, *in_shape)))[0].shape
    return verdict(tuple(answer), expected, "output shape", rtol=0,
                   hint="Each 3×3 convolution (no padding) removes 2 rows and columns; pooling halves, "
                        "rounding down.")
