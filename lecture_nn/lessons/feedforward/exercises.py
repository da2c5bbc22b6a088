"""The exercises of notebook 01 (feedforward networks), in the convention of
:mod:`lecture_nn.lessons.checking`: ``exercise_N.check(answer)``, ``hint(n)``, ``solution()``."""
from __future__ import annotations

import numpy as np

from lecture_nn.data import make_three_stripes
from lecture_nn.lessons.checking import Exercise
from lecture_nn.lessons.feedforward.one_hidden import hinge_weight_gradient
from lecture_nn.lessons.feedforward.representations import hidden_features, is_linearly_separable

PARAMETER_COUNT_SIZES = [3, 5, 4, 1]
"""Exercise 1: the layer widths n_1 (input), n_2, n_3, n_4 (output) of the network to count."""

HINGE_EXAMPLE = {
    "x": np.array([1.0, -2.0]),
    "y": 1.0,
    "W": np.array([[0.5, -1.0, 2.0], [0.25, 0.5, -0.5]]),
    "b": np.array([0.5, 1.0, -1.0]),
    "w": np.array([1.0, -2.0, 0.5]),
    "c": -1.0,
}
"""Exercise 3: one example through a one-hidden-layer hinge network, d = 2 inputs, m = 3 ReLU
units; W (d, m) is W² (input layer 1 → hidden layer 2), w and c the output unit's weights and bias."""


def count_parameters(sizes) -> int:
    """Weights and biases of a fully connected network with layer widths ``sizes`` (n_1, …, n_L):
    each W^l has n_{l−1}·n_l entries and each b^l has n_l, for l = 2, …, L."""
    sizes = [int(s) for s in sizes]
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))


def exercise_stripes():
    """The fixed data of exercise 2: 30 three-stripe points, labels ±1."""
    return make_three_stripes(30, noise=0.15, rng=np.random.default_rng(7))


def separates_stripes(W, b) -> bool:
    """Exercise 2: do two ReLU units (W (2, 2), column j the normal of unit j; b (2,)) make
    :func:`exercise_stripes` linearly separable in [f(z₁), f(z₂)]?"""
    W, b = np.asarray(W, dtype=float), np.asarray(b, dtype=float)
    if W.shape != (2, 2) or b.shape != (2,):
        raise ValueError(f"W must have shape (2, 2) and b shape (2,), got {W.shape} and {b.shape}")
    X, y = exercise_stripes()
    return is_linearly_separable(hidden_features(X, W, b), y)


exercise_1 = Exercise(
    name="exercise_1", title="parameters of a [3, 5, 4, 1] network",
    expected=lambda: count_parameters(PARAMETER_COUNT_SIZES), rtol=0, atol=0,
    hints=("Go through the network one pair of neighbouring layers at a time. Which numbers does "
           "each pair contribute — and does the input layer have any parameters of its own?",
           "Between a layer of n_{l−1} units and the next of n_l units there is one weight per "
           "connection, n_{l−1}·n_l of them in W^l, and the receiving layer adds n_l biases b^l. "
           "The input (layer 1) has neither; add the contributions of W², W³ and W⁴."),
    worked_solution="""In the notes' numbering the input is layer 1 (3 units), the hidden layers are 2 and 3
(5 and 4 units) and the output is layer 4 (1 unit). Each layer l ≥ 2 has a weight matrix W^l of
shape n_{l−1} × n_l and a bias vector b^l of length n_l:

* W² is 3 × 5 (15 weights) and b² has 5 biases: 20;
* W³ is 5 × 4 (20 weights) and b³ has 4 biases: 24;
* W⁴ is 4 × 1 (4 weights) and b⁴ has 1 bias: 5.

Together 20 + 24 + 5 = 49. The package agrees: `nn.mlp([3, 5, 4, 1]).n_params()`.""",
    solution_code="""sizes = [3, 5, 4, 1]
answer = sum(n_prev * n_next + n_next for n_prev, n_next in zip(sizes[:-1], sizes[1:]))""",
    wrong_answer=3 * 5 + 5 * 4 + 4 * 1)       # the weights without the biases

exercise_2 = Exercise(
    name="exercise_2", title="two ReLU units that separate the stripes",
    judge=separates_stripes, n_answers=2,
    hints=("Each unit should stay at 0 on the middle stripe and grow on one of the outer stripes. "
           "Where must its line z_j = 0 lie, and which way must its normal point?",
           "Lines need not be tilted: with w_{2j} = 0, unit j looks at x_1 alone. The stripes are "
           "centred at x_1 = −1.5, 0 and 1.5. Put one line between the left and the middle stripe "
           "with its normal pointing left, the other between the middle and the right stripe with "
           "its normal pointing right."),
    worked_solution="""Unit j is 0 on the side of its line z_j = 0 away from its normal and grows linearly on the
side the normal points to. Send the middle stripe to the origin: both units must be 0 there, so
both lines run beside the middle stripe and both normals point away from it.

With vertical lines halfway between the stripe centres (x_1 = −0.75 and x_1 = 0.75):

* unit 1, normal (−1, 0), bias −0.75: z_1 = −x_1 − 0.75 > 0 only left of x_1 = −0.75;
* unit 2, normal (1, 0), bias −0.75: z_2 = x_1 − 0.75 > 0 only right of x_1 = 0.75.

Middle points map to (0, 0), the left stripe up the f(z_1) axis, the right stripe along the
f(z_2) axis. On these 30 points every outer point has |x_1| > 1.1, so f(z_1) + f(z_2) > 0.35 there,
while every middle point maps to exactly (0, 0): the line f(z_1) + f(z_2) = 0.2 separates them.
Lines through the centres of the outer stripes (biases −1.5) would not do: the inner half of
each outer stripe would then map to (0, 0) together with the middle stripe.""",
    solution_code="""import numpy as np
W = np.array([[-1.0, 1.0],     # column j is the normal vector of unit j
              [0.0, 0.0]])
b = np.array([-0.75, -0.75])
answer = (W, b)""",
    wrong_answer=(np.array([[-1.0, 1.0], [0.0, 0.0]]), np.array([-1.5, -1.5])))   # lines through the outer stripes

exercise_3 = Exercise(
    name="exercise_3", title="∂ℓ/∂w_ij of the hinge network",
    expected=lambda: hinge_weight_gradient(**HINGE_EXAMPLE), rtol=1e-9, atol=1e-12,
    hints=("Go forward first: every z_j, then the output z, then whether the hinge loss is "
           "positive. Which of the four factors of each entry can be zero?",
           "Entry (i, j) is x_i · [z_j > 0] · w_j · (−y if 1 − y z > 0, else 0). Here two hidden "
           "units are active and one is not, and the loss is positive."),
    worked_solution="""Forward, with x = (1, −2):

* z_1 = 0.5·1 + 0.25·(−2) + 0.5 = 0.5, z_2 = −1·1 + 0.5·(−2) + 1 = −1, z_3 = 2·1 − 0.5·(−2) − 1 = 2;
* f(z) = (0.5, 0, 2), so z = 1·0.5 − 2·0 + 0.5·2 − 1 = 0.5;
* y z = 0.5 < 1, so the loss 1 − y z = 0.5 is positive and ∂ℓ/∂z = −y = −1.

Backward, entry (i, j) = x_i · [z_j > 0] · w_j · (−1):

* column 1 (active, w_1 = 1): (−1, 2);
* column 2 (z_2 < 0, inactive): (0, 0) — the ReLU blocks the gradient;
* column 3 (active, w_3 = 0.5): (−0.5, 1).""",
    solution_code="""import numpy as np
from lecture_nn.lessons.feedforward.exercises import HINGE_EXAMPLE as p
z_hidden = p["x"] @ p["W"] + p["b"]                     # z_j = Σ_i w_ij x_i + b_j
z = np.maximum(z_hidden, 0) @ p["w"] + p["c"]           # the output unit
dloss_dz = -p["y"] if 1 - p["y"] * z > 0 else 0.0
answer = np.outer(p["x"], (z_hidden > 0) * p["w"] * dloss_dz)""",
    wrong_answer=np.outer(HINGE_EXAMPLE["x"], -HINGE_EXAMPLE["w"]))   # the ReLU factor [z_j > 0] forgotten
