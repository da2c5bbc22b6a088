"""Adversarial examples (notes §4.1, Fig. 8): gradients with respect to the *input*.

Backprop already computes ∂ℓ/∂x: it is what the first layer's ``backward``
returns. Instead of changing the weights against it, we change the input:

* :func:`fooling_images` starts from noise and climbs the log-probability
  of a chosen class until the network is (wrongly) confident, as in Fig. 8;
* :func:`fgsm` (the fast gradient sign method) moves a real image by ε in
  the direction sign(∂ℓ/∂x) that increases its loss the fastest in the
  max-norm, x' = clip(x + ε sign(∇ₓℓ(y, F(x))), 0, 1).

Pixels are kept in [0, 1] throughout, the range of the data.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from lecture_nn.checks import as_class_labels, as_float_array, check_rng, positive_int, real_number
from lecture_nn.layers import evaluation_mode
from lecture_nn.losses import get_loss, softmax
from lecture_nn.training import accuracy, predict


def input_gradient(model, X, y, loss="softmax_cross_entropy") -> np.ndarray:
    """∂ℓ(y⁽ⁱ⁾, F(x⁽ⁱ⁾)) / ∂x⁽ⁱ⁾ for every example, through the model's own backward.

    Each row is the gradient of that example's own loss (not of the batch
    mean), so it does not depend on the batch size. The model runs in
    evaluation mode (dropout off) and its mode is restored afterwards.

    Shapes: X (n, d) or (n, C, H, W); the result has the shape of X.
    """
    X = as_float_array(X, "X", ndim=(2, 4))
    loss_fn = get_loss(loss)
    with evaluation_mode(model):
        _, dz = loss_fn(y, model.forward(X))
        grad = model.backward(dz)
    return grad * len(X)


def class_probabilities(model, X) -> np.ndarray:
    """softmax(F(X)): the network's class probabilities, (n, K)."""
    return softmax(predict(model, X))


class FoolingResult(NamedTuple):
    images: np.ndarray       # (n, d): the final inputs, pixels in [0, 1]
    confidence: np.ndarray   # (n,): the network's probability of the target class
    steps: np.ndarray        # (n,): ascent steps each image needed (−1 if it never got there)


def fooling_images(model, targets, n_features: int, rng=None, step_size: float = 0.05,
                   confidence: float = 0.99, max_steps: int = 500, start_range=(0.0, 1.0)
                   ) -> FoolingResult:
    """Noise that the network classifies as ``targets`` with at least ``confidence``.

    Each image starts as uniform noise in ``start_range`` (drawn from ``rng``)
    and takes steps x ← clip(x + η ∇ₓ log p_c(x), 0, 1) of the log-probability
    of its target class c, η = ``step_size``, until p_c(x) ≥ ``confidence`` or
    ``max_steps`` is reached. Images that have arrived stop moving.
    """
    rng = check_rng(rng)
    targets = np.asarray(targets)
    n_features = positive_int(n_features, "n_features")
    max_steps = positive_int(max_steps, "max_steps")
    if not (0 < confidence < 1):
        raise ValueError(f"confidence must lie in (0, 1), got {confidence!r}")
    if not (np.isfinite(step_size) and step_size > 0):
        raise ValueError(f"step_size must be a finite number > 0, got {step_size!r}")
    low, high = start_range
    X = rng.uniform(low, high, (len(targets), n_features))
    n_classes = predict(model, X[:1]).shape[1]
    targets = as_class_labels(targets, "targets", len(targets), n_classes)
    rows = np.arange(len(targets))
    arrived = np.full(len(targets), -1)
    for step in range(max_steps + 1):
        done = class_probabilities(model, X)[rows, targets] >= confidence
        arrived[done & (arrived < 0)] = step
        if done.all() or step == max_steps:
            break
        active = ~done
        # ∂(−log p_c)/∂x is the cross-entropy gradient; step against it
        grad = input_gradient(model, X[active], targets[active])
        X[active] = np.clip(X[active] - step_size * grad, 0.0, 1.0)
    return FoolingResult(X, class_probabilities(model, X)[rows, targets], arrived)


def fgsm(model, X, y, epsilon: float, loss="softmax_cross_entropy") -> np.ndarray:
    """Fast gradient sign method: x' = clip(x + ε sign(∇ₓ ℓ(y, F(x))), 0, 1).

    Every pixel moves by at most ε, in the direction that increases the loss
    to first order the most for that budget.
    """
    epsilon = real_number(epsilon, "epsilon", 0)
    X = as_float_array(X, "X", ndim=(2, 4))
    return np.clip(X + epsilon * np.sign(input_gradient(model, X, y, loss)), 0.0, 1.0)


def fgsm_accuracy(model, X, y, epsilons) -> list[float]:
    """Accuracy on FGSM-perturbed copies of (X, y), one value per ε in ``epsilons``."""

    return [accuracy(model, fgsm(model, X, y, float(eps)), y) for eps in epsilons]
