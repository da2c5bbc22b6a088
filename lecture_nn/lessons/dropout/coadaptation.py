"""Looking for co-adaptation (notes §4.1) inside notebook 04's trained networks.

The notes give dropout's reason: hidden units "co-adapt", each relying on particular others to
fit the data, noise included. Two measures on the networks the dropout experiment has already
trained (no new training):

* :func:`thinned_accuracies`: how a network fares when a random half of its hidden units is
  taken away (the same units for every example, the kept ones scaled so that the next layer's
  expected input stays the same). Units that only work together with particular partners do badly;
* :func:`mean_abs_correlation`: how alike the units of a hidden layer respond, over examples.

The networks are ``mlp`` ReLU networks given by their parameters (``Run.params``): Linear
layers whose weights are named ``"<index>.W"``, ``"<index>.b"``, in the order of the index.
"""
from __future__ import annotations

import numpy as np

from lecture_nn.checks import as_float_array, check_rng, positive_int, probability


def linear_layers(params: dict) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (W, b) pairs of an ``mlp``'s parameters, first layer first."""
    if not isinstance(params, dict) or not params:
        raise TypeError(f"params must be a non-empty dict of an mlp's parameters, got {type(params).__name__}")
    indices = sorted({int(name.split(".")[0]) for name in params})
    try:
        return [(params[f"{i}.W"], params[f"{i}.b"]) for i in indices]
    except KeyError as missing:
        raise ValueError(f"params: expected a W and a b for every layer, missing {missing}") from None


def hidden_activations(params: dict, X, keep: float = 1.0) -> list[np.ndarray]:
    """The test-time activations of every hidden layer of a ReLU ``mlp``, each (n, width).

    ``keep`` = 1 − p multiplies each hidden layer's output, as classic dropout does at test time
    (1 for a network without dropout)."""
    keep = _keep(keep)
    layers = linear_layers(params)
    h = as_float_array(X, "X", ndim=2)
    hidden = []
    for W, b in layers[:-1]:
        h = np.maximum(h @ W + b, 0.0) * keep
        hidden.append(h)
    return hidden


def thinned_accuracies(params: dict, X, y, keep: float, n_masks: int, rng, removed: float = 0.5) -> np.ndarray:
    """Accuracy on (X, y) of ``n_masks`` thinned networks, one per random mask.

    Each mask takes away a fraction ``removed`` of the units of every hidden layer (drawn
    independently per unit, the same units for every example) and divides the kept units'
    test-time outputs by 1 − ``removed``, so that the next layer's expected input is unchanged.
    ``keep``: as in :func:`hidden_activations`. Masks come from ``rng``; the same generator
    state gives two networks of the same widths the same masks.
    """
    keep, rng = _keep(keep), check_rng(rng)
    n_masks = positive_int(n_masks, "n_masks")
    removed = probability(removed, "removed (the fraction of units taken away)")
    layers = linear_layers(params)
    X = as_float_array(X, "X", ndim=2)
    y = np.asarray(y)
    if y.shape != (len(X),):
        raise ValueError(f"y must hold one class label per row of X, shape ({len(X)},), got {y.shape}")
    first = np.maximum(X @ layers[0][0] + layers[0][1], 0.0) * keep    # the same for every mask
    accuracies = np.empty(n_masks)
    for k in range(n_masks):
        h = first
        for depth, (W, b) in enumerate(layers[1:]):
            h = h * ((rng.random(h.shape[1]) >= removed) / (1 - removed))
            h = h @ W + b
            if depth < len(layers) - 2:
                h = np.maximum(h, 0.0) * keep
        accuracies[k] = np.mean(h.argmax(1) == y)
    return accuracies


def mean_abs_correlation(h) -> float:
    """Mean |Pearson correlation| between two units of a layer, over the pairs of units whose
    activation varies over the examples (h: (n examples, units))."""
    h = as_float_array(h, "h", ndim=2)
    varying = h.std(axis=0) > 0
    if varying.sum() < 2:
        raise ValueError("h: fewer than two units vary over the examples, no correlation to measure")
    corr = np.corrcoef(h[:, varying].T)
    upper = np.triu_indices_from(corr, k=1)
    return float(np.abs(corr[upper]).mean())


def _keep(keep) -> float:
    keep = probability(keep, "keep (1 - p, the probability a unit is kept)", include_one=True)
    if keep == 0:
        raise ValueError("keep must be > 0: a network that keeps no unit computes nothing")
    return keep
