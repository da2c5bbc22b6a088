"""Adversarial examples (notes §4.1, Fig. 8): gradients with respect to the *input*.

Backprop already computes ∂ℓ/∂x: it is what the backward pass of the first
weight layer (W², the input being layer 1) returns. Instead of changing the
weights against it, we change the input:

* :func:`fooling_images` starts from noise and climbs the log-probability
  of a chosen class until the network is (wrongly) confident, as in Fig. 8;
* :func:`fgsm` (the fast gradient sign method) moves a real image by ε in
  the direction sign(∂ℓ/∂x) that increases its loss the fastest in the
  max-norm, x' = clip(x + ε sign(∇ₓℓ(y, F(x))), 0, 1);
* :func:`compare_with_random_signs` sets FGSM beside random ±ε signs, a step of
  the same size in a direction that ignores the gradient.

Pixels are kept in [0, 1] throughout, the range of the data.
"""
from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np

from lecture_nn.checks import as_class_labels, as_float_array, check_rng, positive_int, real_number
from lecture_nn.data import load_mnist_subset
from lecture_nn.layers import evaluation_mode
from lecture_nn.losses import get_loss, softmax
from lecture_nn.models import mlp
from lecture_nn.training import accuracy, fit, predict


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


def sign_step(X, direction, epsilon: float) -> np.ndarray:
    """clip(X + ε · direction, 0, 1): every pixel moves by ε along a ±1 ``direction`` (less only
    where the step would leave [0, 1])."""
    epsilon = real_number(epsilon, "epsilon", 0)
    return np.clip(X + epsilon * direction, 0.0, 1.0)


def fgsm(model, X, y, epsilon: float, loss="softmax_cross_entropy") -> np.ndarray:
    """Fast gradient sign method: x' = clip(x + ε sign(∇ₓ ℓ(y, F(x))), 0, 1).

    Every pixel moves by at most ε, in the direction that increases the loss
    to first order the most for that budget.
    """
    epsilon = real_number(epsilon, "epsilon", 0)
    X = as_float_array(X, "X", ndim=(2, 4))
    return sign_step(X, np.sign(input_gradient(model, X, y, loss)), epsilon)


def fgsm_accuracy(model, X, y, epsilons) -> list[float]:
    """Accuracy on FGSM-perturbed copies of (X, y), one value per ε in ``epsilons``."""

    return [accuracy(model, fgsm(model, X, y, float(eps)), y) for eps in epsilons]


def random_signs(shape, rng) -> np.ndarray:
    """+1 or −1 in every entry, each with probability 1/2 (drawn from ``rng``): a direction with
    the same max-norm and 2-norm as sign(∇ₓℓ), which ignores the gradient."""
    rng = check_rng(rng)
    return rng.choice(np.array([-1.0, 1.0]), size=shape)


class Effect(NamedTuple):
    accuracy: float   # on the perturbed inputs
    loss: float       # mean cross-entropy on the perturbed inputs
    changed: float    # fraction of the network's answers that differ from its answers on X


def perturbation_effect(model, X, y, X_perturbed, before=None) -> Effect:
    """What a perturbation X → X_perturbed does to the network's accuracy, loss and answers
    (``before``: the network's answers on X, if already known)."""
    before = predict(model, X).argmax(1) if before is None else before
    scores = predict(model, X_perturbed)
    loss, _ = get_loss("softmax_cross_entropy")(y, scores)
    return Effect(float(np.mean(scores.argmax(1) == y)), float(loss), float(np.mean(scores.argmax(1) != before)))


class SignComparison(NamedTuple):
    epsilons: list[float]
    fgsm: list[Effect]            # one per ε
    random: list[list[Effect]]    # [ε][seed]: random signs, one sign pattern per seed
    l2_ratio: tuple[float, float]  # smallest and largest ‖random step‖₂ / ‖FGSM step‖₂ over digits, seeds, ε > 0


def compare_with_random_signs(model, X, y, epsilons, seeds) -> SignComparison:
    """FGSM and random ±ε signs (one pattern per seed in ``seeds``, drawn with ``default_rng(seed)``
    and kept for every ε) applied to the same digits: their effect for each ε.

    Before clipping to [0, 1] both steps have max-norm ε and 2-norm ε√d; ``l2_ratio`` says how
    far the clipping moves their 2-norms apart."""
    X = as_float_array(X, "X", ndim=(2, 4))
    gradient_signs = np.sign(input_gradient(model, X, y))
    patterns = [random_signs(X.shape, np.random.default_rng(seed)) for seed in seeds]
    before = predict(model, X).argmax(1)
    fgsm_effects, random_effects, ratios = [], [], []
    for eps in epsilons:
        X_fgsm = sign_step(X, gradient_signs, eps)
        fgsm_effects.append(perturbation_effect(model, X, y, X_fgsm, before))
        row = []
        for pattern in patterns:
            X_random = sign_step(X, pattern, eps)
            row.append(perturbation_effect(model, X, y, X_random, before))
            if eps > 0:
                ratios.append(_l2(X_random - X) / _l2(X_fgsm - X))
        random_effects.append(row)
    ratios = np.concatenate(ratios) if ratios else np.ones(1)
    return SignComparison([float(e) for e in epsilons], fgsm_effects, random_effects,
                          (float(ratios.min()), float(ratios.max())))


def _l2(delta) -> np.ndarray:
    return np.linalg.norm(delta.reshape(len(delta), -1), axis=1)


@lru_cache(maxsize=1)
def mnist_digits():
    """``load_mnist_subset()``, read once and shared (its arrays are read-only): reading the file
    takes about a second, and the notebook, its widgets and its exercises all use it."""
    split = load_mnist_subset()
    for array in split:
        if isinstance(array, np.ndarray):
            array.flags.writeable = False
    return split


@lru_cache(maxsize=1)
def digit_classifier():
    """The notebook's digit classifier: a 784–128–10 ReLU network trained for 5 epochs (SGD, step
    0.1, mini-batches of 50) on the 4,000 training digits of the MNIST subset, from
    ``default_rng(4)``. Cached, so the notebook, its widget and the exercises share one network;
    do not train it further."""
    mnist = mnist_digits()
    rng = np.random.default_rng(4)
    model = mlp([784, 128, 10], "relu", rng=rng)
    fit(model, mnist.X_train, mnist.y_train, epochs=5, batch_size=50, lr=0.1, rng=rng, progress=False)
    return model
