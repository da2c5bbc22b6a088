"""Checkers for the exercises of notebook 07 (residual networks)."""
from __future__ import annotations

import numpy as np

from lecture_nn.lessons.residual.deep_nets import residual_network
from lecture_nn.lessons.checking import verdict

EXERCISE_POINT = {"a": 0.5, "w": 2.0, "v": -1.5}
"""Exercise 1: the scalar block F(a) = w·tanh(v·a) at these values."""


def skip_derivative(a: float, w: float, v: float) -> float:
    """d/da [a + w·tanh(v·a)] = 1 + w·v·(1 − tanh²(v·a)): the skip path's 1 plus the block's slope."""
    return 1.0 + w * v * (1.0 - np.tanh(v * a) ** 2)


def check_skip_derivative(answer) -> bool:
    """Exercise 1: d(out)/da for out = a + w·tanh(v·a) at ``EXERCISE_POINT``."""
    return verdict(answer, skip_derivative(**EXERCISE_POINT), "d(out)/da",
                   hint="Two paths from a to the output: add their derivatives.", rtol=1e-4)


def check_parameter_count(answer, depth: int = 40, width: int = 32, n_in: int = 2,
                          n_out: int = 3) -> bool:
    """Exercise 2: parameters of ``residual_network(depth, width, n_in, n_out)``."""
    expected = residual_network(depth, width, n_in, n_out, rng=np.random.default_rng(0)).n_params()
    return verdict(answer, expected, f"parameters of a {depth}-layer residual network",
                   hint="A skip connection has no parameters; count the Linear layers.", rtol=0)


def check_variance_growth(answer) -> bool:
    """Exercise 3: the factor by which E‖a‖² grows per block a ↦ a + W ReLU(a) with He
    weights (σ² = 2/n) and no branch scaling, for a symmetric a independent of W."""
    return verdict(answer, 2.0, "growth of E‖a‖² per unscaled block",
                   hint="E‖W ReLU(a)‖² = n·(2/n)·E‖ReLU(a)‖² and E‖ReLU(a)‖² = ½E‖a‖²; "
                        "the cross term has mean 0.", rtol=1e-3)
