"""Penalties added to the empirical risk (2): λ‖θ‖² and λ‖θ‖₁.

Both act on the weight matrices only (names ending in ``"W"``): penalising
biases would pull every unit's threshold to 0 and does not reduce overfitting.
Each returns ``(value, grads)`` with ``grads`` keyed like the parameters.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from lecture_nn.checks import as_float_array, real_number


def _weights(params) -> dict[str, np.ndarray]:
    """The weight matrices of ``params`` (names ending in "W"), each checked to be an array of reals."""
    if not isinstance(params, Mapping):
        hint = " (pass model.params)" if hasattr(params, "params") else ""
        raise TypeError(f"params must be a dict of named parameter arrays{hint}, "
                        f"got {type(params).__name__}")
    weights = {}
    for name, value in params.items():
        if not isinstance(name, str):
            raise TypeError(f"params must be keyed by parameter names (str), got the key {name!r}")
        if name.split(".")[-1] == "W":
            weights[name] = as_float_array(value, f"params[{name!r}]", finite=False, allow_empty=True)
    return weights


def _check_lam(lam):
    return real_number(lam, "the penalty strength lam", 0)


def l2_penalty(params: dict, lam: float):
    """λ Σ‖W‖² over the weight matrices; gradient 2λW.

    ``params`` maps names to arrays (``model.params``); ``lam`` >= 0. Returns the
    penalty (a float) and a dict of gradients, one per weight matrix, each of its shape.
    """
    lam = _check_lam(lam)
    weights = _weights(params)
    with np.errstate(over="ignore"):    # a diverged model's huge weights give an infinite penalty
        total = sum(float(np.sum(w * w)) for w in weights.values())
    value = lam * total if lam else 0.0   # λ = 0 switches the penalty off, even then (0·inf is NaN)
    return value, {k: 2.0 * lam * w for k, w in weights.items()}


def l1_penalty(params: dict, lam: float):
    """λ Σ‖W‖₁ over the weight matrices; subgradient λ·sign(W) (0 at W = 0).

    Arguments and result as for :func:`l2_penalty`.
    """
    lam = _check_lam(lam)
    weights = _weights(params)
    value = lam * sum(float(np.sum(np.abs(w))) for w in weights.values())
    return value, {k: lam * np.sign(w) for k, w in weights.items()}


PENALTIES = {"l2": l2_penalty, "l1": l1_penalty}
