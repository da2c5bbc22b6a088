"""The chain rule as a sum over paths, and why backprop avoids it (notes §3, opening).

A change of W^l_{ij} reaches the loss through every path j = k_l → k_{l+1} → … → k_L
from unit j of layer l to an output unit:

    ∂ℓ/∂W^l_{ij} = a^{l-1}_i f'(z^l_j) Σ_paths Π_{m=l+1}^{L} W^m_{k_{m-1} k_m} f'(z^m_{k_m}) · ∂ℓ/∂a^L_{k_L}.

The number of paths is a product of layer widths, so it grows exponentially
with depth; backprop shares the partial sums (the δ^l) and needs work that only
grows like the number of weights.
"""
from __future__ import annotations

import itertools

import numpy as np

from lecture_nn.checks import as_float_array, positive_int
from lecture_nn.activations import activation_functions
from lecture_nn.lessons.backprop.procedure import Network, output_gradient


def _widths(widths) -> list[int]:
    widths = [positive_int(w, "each layer width") for w in widths]
    if len(widths) < 2:
        raise ValueError(f"widths must list at least the input and output layers, got {widths}")
    return widths


def count_paths(widths) -> int:
    """Number of input-to-output paths in a fully connected network: Π_l n_l."""
    return int(np.prod([int(w) for w in _widths(widths)], dtype=object))


def naive_chain_rule_cost(widths) -> int:
    """Multiplications to get every ∂ℓ/∂W^l_{ij} by summing over paths separately.

    Weight W^l_{ij} needs the P_l = Π_{m>l} n_m paths from unit j to the outputs,
    each a product of 2(L − l) + 2 factors (a, f'(z^l_j), a weight and an f' per
    later layer, and ∂ℓ/∂a^L). The forward pass, which both methods need, is not counted.
    """
    n = _widths(widths)
    L = len(n)                      # layers 1 … L are n[0] … n[L-1]
    total = 0
    for l in range(2, L + 1):
        paths_from_unit = int(np.prod(n[l:], dtype=object)) if l < L else 1
        total += n[l - 2] * n[l - 1] * paths_from_unit * (2 * (L - l) + 2)
    return int(total)


def backprop_cost(widths) -> int:
    """Multiplications of backprop's steps 3–5 for one example.

    Step 3: n_L; step 4: n_l n_{l+1} + n_l per hidden layer l; step 5: n_{l-1} n_l per layer.
    """
    n = _widths(widths)
    L = len(n)
    cost = n[-1]
    cost += sum(n[l - 1] * n[l] + n[l - 1] for l in range(2, L))
    cost += sum(n[l - 2] * n[l - 1] for l in range(2, L + 1))
    return int(cost)


def sum_over_paths_gradient(network: Network, x, y, loss="squared") -> list[np.ndarray]:
    """∂ℓ/∂W^l for every layer by literally summing products along every path (tiny networks only).

    Returns a list ordered like ``network.weights`` (W^2 first).
    """
    x = as_float_array(x, "x", ndim=1)
    n = network.widths
    if count_paths(n) > 100_000:
        raise ValueError(f"{count_paths(n)} paths is too many to enumerate; use a tiny network")
    L = len(n)
    W = {l: network.weights[l - 2] for l in range(2, L + 1)}
    fs = {l: activation_functions(network.activations[l - 2]) for l in range(2, L + 1)}
    a, fprime = {1: x}, {}
    for l in range(2, L + 1):
        z = a[l - 1] @ W[l] + network.biases[l - 2]
        a[l], fprime[l] = fs[l][0](z), fs[l][1](z)
    _, grad_aL = output_gradient(loss, y, a[L].reshape(-1, 1))
    grad_aL = grad_aL.ravel()

    grads = []
    for l in range(2, L + 1):
        dW = np.zeros(W[l].shape)
        for i, j in itertools.product(range(n[l - 2]), range(n[l - 1])):
            total = 0.0
            for path in itertools.product(*(range(n[m - 1]) for m in range(l + 1, L + 1))):
                units = (j,) + path                  # k_l = j, k_{l+1}, …, k_L
                product = 1.0
                for step, m in enumerate(range(l + 1, L + 1)):
                    product *= W[m][units[step], units[step + 1]] * fprime[m][units[step + 1]]
                total += product * grad_aL[units[-1]]
            dW[i, j] = a[l - 1][i] * fprime[l][j] * total
        grads.append(dW)
    return grads
