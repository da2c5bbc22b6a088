"""What happens inside a network (notes §4): dead units, activation spread, gradient norms.

All functions take a :class:`~lecture_nn.layers.Sequential` and a batch X and
report one number per layer, first layer first.

Numbering: "layer l" here is the l-th ``Linear`` layer, so l = 1 is the first
hidden layer and l = L the output layer; it computes z^l = (W^l)^T a^{l-1} + b^l
from a^0 = x, and the activation after it gives a^l = f(z^l). The notes count
differently: their layer 1 is the input (a^1 = x) and their first hidden layer
is layer 2. So layer l here is layer l + 1 of the notes (δ^1 here is their δ^2),
and a network with L ``Linear`` layers has L + 1 layers there. Eq. (4),
δ^l = Diag[f'(z^l)] W^{l+1} δ^{l+1}, reads the same in both numberings.
"""
from __future__ import annotations

import numpy as np

from lecture_nn.checks import as_float_array, positive_int, real_number
from lecture_nn.activations import Activation, Identity
from lecture_nn.layers import Linear, Sequential, evaluation_mode
from lecture_nn.losses import get_loss
from lecture_nn.init import gaussian
from lecture_nn.models import mlp


def _check_model(model) -> Sequential:
    if not isinstance(model, Sequential):
        raise TypeError(f"expected a Sequential model, got {type(model).__name__}")
    if not any(isinstance(layer, Linear) for layer in model.layers):
        raise ValueError("the model has no Linear layer to report on")
    return model


def _hidden_activations(model: Sequential):
    """Indices of the activation layers that produce hidden units (not the output)."""
    return [i for i, layer in enumerate(model.layers)
            if isinstance(layer, Activation) and not isinstance(layer, Identity)
            and any(isinstance(later, Linear) for later in model.layers[i + 1:])]


def layer_outputs(model, X) -> list[np.ndarray]:
    """The output of every layer of ``model`` for the batch X, in evaluation mode."""
    model = _check_model(model)
    x = as_float_array(X, "X", ndim=(2, 4))
    outputs = []
    with evaluation_mode(model):
        for layer in model.layers:
            x = layer.forward(x)
            outputs.append(x)
    model.clear_cache()
    return outputs


def dead_units(model, X) -> list[int]:
    """Number of dead units in each hidden activation layer.

    A unit is dead on X when f'(z) = 0 for every example: it passes no
    gradient back, so its incoming weights can no longer change. For a ReLU
    that means z ≤ 0 (output 0) on every example — the "dying units" of §4.
    """
    model = _check_model(model)
    outputs = layer_outputs(model, X)
    counts = []
    for i in _hidden_activations(model):
        z = outputs[i - 1] if i > 0 else as_float_array(X, "X")
        f_prime = model.layers[i].f_prime(z).reshape(len(z), -1)
        counts.append(int(np.sum(np.all(f_prime == 0, axis=0))))
    return counts


def activation_spread(model, X) -> list[float]:
    """Standard deviation of the hidden activations a^l over the batch and the units,
    one value per hidden activation layer (the forward signal of each layer)."""
    model = _check_model(model)
    outputs = layer_outputs(model, X)
    return [float(np.std(outputs[i])) for i in _hidden_activations(model)]


def backward_trace(model, X, y, loss="softmax_cross_entropy"):
    """Forward X (in the model's current mode), backpropagate the mean loss, and record δ^l = ∂ℓ/∂z^l.

    Returns a list with one array (n, n_l) per Linear layer: the gradient that
    arrives at that layer's output z^l, i.e. eq. (4) evaluated for every example
    (scaled by 1/n, as the loss is a mean). Parameter gradients are left in
    ``model.grads``.
    """
    model = _check_model(model)
    loss_fn = get_loss(loss)
    x = as_float_array(X, "X", ndim=(2, 4))
    _, grad = loss_fn(y, model.forward(x))
    deltas = []
    for layer in reversed(model.layers):
        if isinstance(layer, Linear):
            deltas.append(grad)
        grad = layer.backward(grad)
    return deltas[::-1]


def delta_norms(model, X, y, loss="softmax_cross_entropy") -> list[float]:
    """Per-layer gradient sizes ‖δ^1‖, …, ‖δ^L‖ for one batch (Frobenius norms), first layer first.

    By eq. (4) each δ^l is δ^{l+1} multiplied by W^{l+1} and Diag[f'(z^l)], so
    the norms shrink (vanish) or grow (explode) geometrically with depth when
    those factors are consistently small or large. For the weight gradients
    ‖∂ℓ/∂W^l‖ see :func:`lecture_nn.lessons.residual.deep_nets.weight_gradient_norms`.
    """
    return [float(np.linalg.norm(d)) for d in backward_trace(model, X, y, loss)]


def deep_network_profile(depth: int, activation: str = "relu", scale: float | None = None,
                         init="he", width: int = 64, n_examples: int = 128,
                         seed: int = 0) -> dict[str, list]:
    """Activation spread, ‖δ^l‖ and dead units of a freshly initialised deep network.

    The network has ``depth`` Linear layers: ``depth − 1`` hidden layers of
    ``width`` units with ``activation`` and 10 linear outputs. Its weights are
    N(0, scale² / n_in) when ``scale`` is given (scale = 1: the 1/n_in rule,
    √2: He's 2/n_in) and otherwise come from ``init``. The batch is
    ``n_examples`` standard-normal inputs with random labels, all drawn from
    ``numpy.random.default_rng(seed)``; the loss is softmax cross-entropy.

    Returns ``{"spread": [...], "dead": [...]}`` for the depth − 1 hidden
    layers and ``{"delta": [...]}`` for all depth layers, numbered as in this
    module (entry l − 1 is layer l; the notes' layer l + 1).
    """

    depth = positive_int(depth, "depth", minimum=2)
    width = positive_int(width, "width")
    n_examples = positive_int(n_examples, "n_examples")
    if scale is not None:
        scale = real_number(scale, "scale", 0, strict=True)
        init = gaussian(scale / np.sqrt(width))  # every layer has n_in = width
    rng = np.random.default_rng(seed)
    model = mlp([width] * depth + [10], activation, rng=rng, init=init)
    X = rng.standard_normal((n_examples, width))
    y = rng.integers(0, 10, n_examples)
    return {"spread": activation_spread(model, X), "delta": delta_norms(model, X, y),
            "dead": dead_units(model, X)}
