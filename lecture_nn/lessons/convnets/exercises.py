"""Checkers for the exercises of notebook 06 (convnet architectures and pooling)."""
from __future__ import annotations

import numpy as np

from lecture_nn.convolution import Conv2D
from lecture_nn.layers import Flatten
from lecture_nn.layers import Linear, Sequential
from lecture_nn.pooling import MaxPool2D
from lecture_nn.lessons.checking import Exercise

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


def _pooled_gradient():
    pool = MaxPool2D(2)
    pool.forward(EXERCISE_MAP[None, None])
    return pool.backward(EXERCISE_GRAD[None, None])[0, 0]


def _output_shape(in_shape=(1, 28, 28)):
    rng = np.random.default_rng(0)
    net = Sequential(Conv2D(1, 8, 3, rng=rng), MaxPool2D(2), Conv2D(8, 16, 3, rng=rng), MaxPool2D(2))
    return net.forward(np.zeros((1, *in_shape)))[0].shape


exercise_1 = Exercise(
    name="exercise_1", title="parameters without pooling",
    expected=lambda: fig12_network(pool=False).n_params(), rtol=0, atol=0,
    hints=("Count the two layers with parameters separately: the convolution, then the fully "
           "connected layer. Without pooling, how large is each feature map?",
           "A 5×5 filter on a 28×28 image gives a 24×24 map. Each filter has one weight per "
           "kernel entry plus one bias; the last layer has one weight per (input, output) pair "
           "plus one bias per output."),
    worked_solution="""The convolution has 3 filters of 5×5 on one input channel: 3·(5·5) weights and 3 biases,
78 parameters. Without pooling each filter's map stays 24×24 (28 − 5 + 1), so the fully connected
layer sees 3·24·24 = 1728 inputs and has 1728·10 weights and 10 biases: 17290. Together 17368,
against 4408 with pooling: the pooling layer has no parameters but shrinks the last layer fourfold.""",
    solution_code="""conv = 3 * (5 * 5) + 3
dense = (3 * 24 * 24) * 10 + 10
answer = conv + dense""",
    wrong_answer=3 * 25 + 3 * 24 * 24 * 10)

exercise_2 = Exercise(
    name="exercise_2", title="gradient through 2×2 max pooling",
    expected=_pooled_gradient, rtol=0,
    hints=("Max pooling's output is one entry of each window. Which entries of the window change "
           "the output when you nudge them?",
           "Only the largest entry of each window affects the output, with slope 1; the others "
           "have slope 0. A tie goes to the first in reading order."),
    worked_solution="""Within each 2×2 window the output equals its largest entry, so ∂(output)/∂(entry) is 1 for
that entry and 0 for the other three. By the chain rule the gradient arriving at a pooled
output goes, whole, to the position of its window's maximum; every other position gets 0.
A tie would go to the first in reading order.""",
    solution_code="""import numpy as np
from lecture_nn.lessons.convnets.exercises import EXERCISE_GRAD, EXERCISE_MAP
answer = np.zeros_like(EXERCISE_MAP)
for i in range(2):
    for j in range(3):
        window = EXERCISE_MAP[2 * i:2 * i + 2, 2 * j:2 * j + 2]
        r, c = np.unravel_index(np.argmax(window), window.shape)   # first maximum in reading order
        answer[2 * i + r, 2 * j + c] = EXERCISE_GRAD[i, j]""",
    wrong_answer=np.repeat(np.repeat(EXERCISE_GRAD, 2, axis=0), 2, axis=1) / 4)

exercise_3 = Exercise(
    name="exercise_3", title="output shape after conv → pool → conv → pool",
    expected=_output_shape, rtol=0,
    hints=("Follow one 28×28 image layer by layer and write its (channels, height, width) after each.",
           "A 3×3 convolution without padding removes 2 rows and 2 columns and sets the channels to "
           "its number of filters; 2×2 pooling halves height and width, rounding down."),
    worked_solution="""(1, 28, 28) → Conv2D(1, 8, 3) → (8, 26, 26) → MaxPool2D(2) → (8, 13, 13) →
Conv2D(8, 16, 3) → (16, 11, 11) → MaxPool2D(2) → (16, 5, 5): the last pooling drops the 11th
row and column.""",
    solution_code="""size = 28
size = size - 2        # 3×3 convolution, no padding
size = size // 2       # 2×2 pooling
size = size - 2
size = size // 2
answer = (16, size, size)""",
    wrong_answer=(16, 6, 6))
