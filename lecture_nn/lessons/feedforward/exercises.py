"""Checkers for the exercises of notebook 01 (feedforward networks)."""
from __future__ import annotations

import numpy as np

from lecture_nn.lessons.feedforward.one_hidden import hinge_weight_gradient
from lecture_nn.data import make_three_stripes
from lecture_nn.lessons.feedforward.representations import hidden_features, is_linearly_separable
from lecture_nn.lessons.checking import verdict

# The one-hidden-layer hinge network of exercise 3: d = 2 inputs, m = 3 ReLU units.
HINGE_EXAMPLE = {
    "x": np.array([1.0, -2.0]),
    "y": 1.0,
    "W": np.array([[0.5, -1.0, 2.0], [0.25, 0.5, -0.5]]),
    "b": np.array([0.5, 1.0, -1.0]),
    "w": np.array([1.0, -2.0, 0.5]),
    "c": -1.0,
}


def count_parameters(sizes) -> int:
    """Weights and biases of a fully connected network with layer widths ``sizes``."""
    sizes = [int(s) for s in sizes]
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))


def check_parameter_count(sizes, answer) -> bool:
    """Exercise 1: the number of parameters θ of the network with widths ``sizes``."""
    return verdict(answer, count_parameters(sizes), f"parameters of a {list(sizes)} network",
                   hint="Each layer has n_{l-1}·n_l weights and n_l biases.")


def exercise_stripes():
    """The fixed data of exercise 2: 30 three-stripe points, labels ±1."""
    return make_three_stripes(30, noise=0.15, rng=np.random.default_rng(7))


def check_separating_units(W, b) -> bool:
    """Exercise 2: do two ReLU units (W (2, 2), b (2,)) make the exercise points separable?"""
    X, y = exercise_stripes()
    W, b = np.asarray(W, dtype=float), np.asarray(b, dtype=float)
    if W.shape != (2, 2) or b.shape != (2,):
        raise ValueError(f"W must have shape (2, 2) and b shape (2,), got {W.shape} and {b.shape}")
    ok = is_linearly_separable(hidden_features(X, W, b), y)
    print("separable in [f(z1), f(z2)]: correct." if ok else
          "not separable in [f(z1), f(z2)] yet: put each hyperplane between two stripes, "
          "normals pointing away from the middle stripe.")
    return ok


def check_hinge_gradient(answer) -> bool:
    """Exercise 3: ∂ℓ/∂w_ij for every (i, j) of HINGE_EXAMPLE, an array of shape (2, 3)."""
    expected = hinge_weight_gradient(**HINGE_EXAMPLE)
    return verdict(answer, expected, "∂ℓ/∂w_ij",
                   hint="Multiply x_i, [z_j > 0], w_j and ∂ℓ/∂z (−y if the loss is positive).")
