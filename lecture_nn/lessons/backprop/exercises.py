"""Checkers for the exercises of notebook 02 (backpropagation)."""
from __future__ import annotations

import numpy as np

from lecture_nn.lessons.backprop.procedure import Network, backprop_example
from lecture_nn.lessons.backprop.paths import count_paths
from lecture_nn.lessons.checking import verdict


def exercise_network() -> tuple[Network, np.ndarray, np.ndarray]:
    """A 2-2-1 network (ReLU hidden layer, linear output), one input and a target, for exercise 2."""
    network = Network(weights=[np.array([[1.0, -1.0], [2.0, 0.5]]), np.array([[1.5], [-2.0]])],
                      biases=[np.array([0.0, 1.0]), np.array([0.5])],
                      activations=["relu", "identity"])
    return network, np.array([1.0, 0.5]), np.array([1.0])


def check_path_count(widths, answer) -> bool:
    """Exercise 1: the number of input-to-output paths of a network with these widths."""
    return verdict(answer, count_paths(widths), f"paths through {list(widths)}",
                   hint="Choose one unit in every layer: multiply the widths.")


def check_hidden_delta(answer) -> bool:
    """Exercise 2: δ² = ∂ℓ/∂z² (squared loss) of the exercise network, a vector of shape (2,)."""
    network, x, y = exercise_network()
    expected = backprop_example(network, x, y, "squared").delta[2].ravel()
    return verdict(answer, expected, "δ²",
                   hint="Start from δ³ = a³ − y, then δ² = Diag[f'(z²)] W³ δ³.")


def check_first_layer_gradient(answer) -> bool:
    """Exercise 3: ∂ℓ/∂W² of the exercise network, shape (2, 2)."""
    network, x, y = exercise_network()
    expected = backprop_example(network, x, y, "squared").dW[2]
    return verdict(answer, expected, "∂ℓ/∂W²", hint="Step 5: a¹ (δ²)ᵀ, an outer product.")
