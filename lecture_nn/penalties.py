"""Penalties added to the empirical risk (2): λ‖θ‖² and λ‖θ‖₁.

Both act on the weight matrices only (names ending in ``"W"``): penalising
biases would pull every unit's threshold to 0 and does not reduce overfitting.
Each returns ``(value, grads)`` with ``grads`` keyed like the parameters.
"""
from __future__ import annotations

import numpy as np

from lecture_nn.checks import real_number


def _weights(params):
    return {k: v for k, v in params.items() if k.split(".")[-1] == "W"}


def _check_lam(lam):
    return real_number(lam, "the penalty strength lam", 0)


def l2_penalty(params: dict, lam: float):
    """λ Σ‖W‖² over the weight matrices; gradient 2λW."""
    lam = _check_lam(lam)
    weights = _weights(params)
    value = lam * sum(float(np.sum(w * w)) for w in weights.values())
    return value, {k: 2.0 * lam * w for k, w in weights.items()}


def l1_penalty(params: dict, lam: float):
    """λ Σ‖W‖₁ over the weight matrices; subgradient λ·sign(W) (0 at W = 0)."""
    lam = _check_lam(lam)
    weights = _weights(params)
    value = lam * sum(float(np.sum(np.abs(w))) for w in weights.values())
    return value, {k: lam * np.sign(w) for k, w in weights.items()}


PENALTIES = {"l2": l2_penalty, "l1": l1_penalty}
