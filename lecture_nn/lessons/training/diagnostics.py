"""What happens inside a network (notes §4): dead units, activation spread, gradient norms.

All functions take a :class:`~lecture_nn.layers.Sequential` and a batch X.

Numbering: the notes'. The input is layer 1 (a^1 = x); the k-th ``Linear`` layer of the
model holds W^{k+1} and b^{k+1} and computes z^{k+1} = (W^{k+1})^T a^k + b^{k+1}, so the
first ``Linear`` layer makes the first hidden layer, layer 2, and the last one makes the
output layer L. A model with L − 1 ``Linear`` layers has L layers. The per-layer lists
returned here start at layer 2 (:data:`FIRST_LAYER`, the framework's ``FIRST_WEIGHT_LAYER``):
entry k is layer k + 2. The notes' names of a model's parameters come from
:func:`lecture_nn.layers.parameter_names`.
:func:`by_layer` turns such a list into a dict keyed by the notes' layer numbers, and
:func:`deep_network_profile` returns its results keyed that way.
"""
from __future__ import annotations

import numpy as np

from lecture_nn.checks import as_float_array, positive_int, real_number
from lecture_nn.activations import Activation, Identity
from lecture_nn.layers import FIRST_WEIGHT_LAYER as FIRST_LAYER
from lecture_nn.layers import Linear, Sequential, evaluation_mode
from lecture_nn.losses import get_loss
from lecture_nn.init import gaussian
from lecture_nn.models import mlp


def by_layer(values, first: int = FIRST_LAYER) -> dict[int, float]:
    """``{layer: value}`` for a per-layer list whose first entry is layer ``first`` (default 2)."""
    return {first + k: value for k, value in enumerate(values)}


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


def _off(model, X) -> list[np.ndarray]:
    """Per hidden layer, a boolean array (n examples, n units): f'(z) = 0 for that example."""
    model = _check_model(model)
    outputs = layer_outputs(model, X)
    off = []
    for i in _hidden_activations(model):
        z = outputs[i - 1] if i > 0 else as_float_array(X, "X")
        off.append(model.layers[i].f_prime(z).reshape(len(z), -1) == 0)
    return off


def dead_unit_masks(model, X) -> list[np.ndarray]:
    """Which units are dead on X, per hidden layer (entry k is layer k + 2): a boolean array with
    one entry per unit, True where f'(z) = 0 for every example (see :func:`dead_units`).

    Comparing the masks before and after training pairs the counts unit by unit: which units
    died, and which came back."""
    return [np.all(off, axis=0) for off in _off(model, X)]


def dead_units(model, X) -> list[int]:
    """Number of dead units in each hidden layer: entry k is layer k + 2 (the first hidden
    layer is layer 2 in the notes' numbering).

    A unit is dead on X when f'(z) = 0 for every example: it passes no
    gradient back, so its incoming weights can no longer change. For a ReLU
    that means z ≤ 0 (output 0) on every example — the "dying units" of §4.
    In the first hidden layer that is for good (its input X does not change); a deeper unit
    can come back when the layers below it change.
    """
    return [int(mask.sum()) for mask in dead_unit_masks(model, X)]


def all_off_fraction(model, X) -> list[float]:
    """Per hidden layer (entry k is layer k + 2), the fraction of the examples of X on which
    *every* unit of the layer has f'(z) = 0. For ReLU layers those examples reach the layers
    above as the same all-zero vector: the network gives all of them one and the same output,
    and no weight below that layer gets a gradient from them."""
    return [float(np.mean(np.all(off, axis=1))) for off in _off(model, X)]


def activation_spread(model, X) -> list[float]:
    """Standard deviation of the hidden activations a^l over the batch and the units, one value
    per hidden layer (the forward signal of each layer): entry k is a^{k+2}, the first hidden
    layer being layer 2."""
    model = _check_model(model)
    outputs = layer_outputs(model, X)
    return [float(np.std(outputs[i])) for i in _hidden_activations(model)]


def backward_trace(model, X, y, loss="softmax_cross_entropy"):
    """Forward X (in the model's current mode), backpropagate the mean loss, and record δ^l = ∂ℓ/∂z^l.

    Returns a list with one array (n, n_l) per Linear layer, [δ^2, δ^3, …, δ^L] (entry k is
    layer k + 2): the gradient that arrives at that layer's z^l, i.e. eq. (4) evaluated for
    every example (scaled by 1/n, as the loss is a mean). Parameter gradients are left in
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
    """Per-layer gradient sizes [‖δ^2‖, …, ‖δ^L‖] for one batch (Frobenius norms): entry k is
    layer k + 2, the last entry the output layer L.

    By eq. (4) each δ^l is δ^{l+1} multiplied by W^{l+1} and Diag[f'(z^l)], so
    the norms shrink (vanish) or grow (explode) geometrically with depth when
    those factors are consistently small or large. For the weight gradients
    ‖∂ℓ/∂W^l‖ see :func:`lecture_nn.lessons.residual.deep_nets.weight_gradient_norms`.
    """
    return [float(np.linalg.norm(d)) for d in backward_trace(model, X, y, loss)]


def deep_network_profile(n_layers: int, activation: str = "relu", scale: float | None = None,
                         init="he", width: int = 64, n_examples: int = 128,
                         seed: int = 0) -> dict[str, dict[int, float]]:
    """Activation spread, ‖δ^l‖ and dead units of a freshly initialised deep network.

    ``n_layers`` is L in the notes' count: the input (layer 1, ``width`` standard-normal
    features), hidden layers 2, …, L − 1 of ``width`` units with ``activation``, and 10 linear
    outputs (layer L) — so L − 1 weight matrices W^2, …, W^L. The weights are
    N(0, scale² / n_in) when ``scale`` is given (scale = 1: the 1/n_in rule, √2: He's 2/n_in)
    and otherwise come from ``init``. The batch is ``n_examples`` standard-normal inputs with
    random labels, all drawn from ``numpy.random.default_rng(seed)``; the loss is softmax
    cross-entropy.

    Returns dicts keyed by the notes' layer number: ``"spread"`` and ``"dead"`` for the hidden
    layers 2, …, L − 1, ``"delta"`` (‖δ^l‖) for layers 2, …, L.
    """
    n_layers = positive_int(n_layers, "n_layers", minimum=3)
    width = positive_int(width, "width")
    n_examples = positive_int(n_examples, "n_examples")
    if scale is not None:
        scale = real_number(scale, "scale", 0, strict=True)
        init = gaussian(scale / np.sqrt(width))  # every layer has n_in = width
    rng = np.random.default_rng(seed)
    model = mlp([width] * (n_layers - 1) + [10], activation, rng=rng, init=init)
    X = rng.standard_normal((n_examples, width))
    y = rng.integers(0, 10, n_examples)
    return {"spread": by_layer(activation_spread(model, X)), "delta": by_layer(delta_norms(model, X, y)),
            "dead": by_layer(dead_units(model, X))}
