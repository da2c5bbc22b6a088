"""Checkers for the exercises of notebook 03 (training a neural network)."""
from __future__ import annotations

import numpy as np

from lecture_nn.lessons.checking import verdict

ZERO_INIT_CLASS_COUNTS = (300, 100)
"""Examples of class 0 and class 1 in exercise 1."""


def check_zero_init_bias_gap(answer) -> bool:
    """Exercise 1: the limit of b_0 − b_1 for the output biases of a zero-initialised ReLU
    network trained by softmax cross-entropy on ``ZERO_INIT_CLASS_COUNTS`` examples."""
    n0, n1 = ZERO_INIT_CLASS_COUNTS
    return verdict(answer, np.log(n0 / n1), "b_0 − b_1", rtol=1e-3,
                   hint="Only the biases move, so the network predicts the same probabilities "
                        "for every input: which constant probabilities minimise the loss?")


def check_sigmoid_shrink_factor(n_layers, answer) -> bool:
    """Exercise 2: the largest possible ‖δ^1‖ / ‖δ^{L}‖ through ``n_layers`` factors
    Diag[σ'(z)] W whose weight matrices have spectral norm at most 1."""
    return verdict(answer, 0.25 ** int(n_layers), f"bound over {n_layers} sigmoid layers",
                   rtol=1e-6, atol=0.0,
                   hint="Each factor can stretch a vector by at most max σ' times ‖W‖.")


def check_relu_variance(n_in, answer) -> bool:
    """Exercise 3: the weight variance σ² that keeps E[z²] equal from one ReLU layer to the
    next when each unit has ``n_in`` inputs (He initialisation)."""
    return verdict(answer, 2.0 / n_in, f"σ² for n_in = {n_in}", rtol=1e-6,
                   hint="Var z = n_in σ² E[a²], and a ReLU keeps half of E[z²].")
