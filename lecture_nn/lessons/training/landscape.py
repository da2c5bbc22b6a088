"""The shape of the empirical risk (2) between two trained networks (notes §2.2, §4: "non-convex").

If R_n were convex, every point of the straight line θ(t) = (1 − t) θ_a + t θ_b between two
parameter vectors would have R_n(θ(t)) ≤ (1 − t) R_n(θ_a) + t R_n(θ_b): the loss along the line
could never rise above the chord joining its ends. :func:`loss_along_line` measures the loss on
that line; a bump above the chord proves that R_n is not convex.
"""
from __future__ import annotations

import copy

import numpy as np

from lecture_nn.checks import as_float_array
from lecture_nn.layers import Sequential
from lecture_nn.training import evaluate


def _same_architecture(model_a, model_b) -> None:
    for name, model in (("model_a", model_a), ("model_b", model_b)):
        if not isinstance(model, Sequential):
            raise TypeError(f"{name} must be a Sequential model, got {type(model).__name__}")
    shapes_a = {key: np.shape(value) for key, value in model_a.params.items()}
    shapes_b = {key: np.shape(value) for key, value in model_b.params.items()}
    if shapes_a != shapes_b:
        raise ValueError(f"model_a and model_b must have the same parameters and shapes, got "
                         f"{shapes_a} and {shapes_b}")


def loss_along_line(model_a, model_b, X, y, ts, loss: str = "softmax_cross_entropy") -> np.ndarray:
    """The empirical risk R_n on (X, y) at θ(t) = (1 − t) θ_a + t θ_b for each t in ``ts``.

    ``t = 0`` is ``model_a``, ``t = 1`` is ``model_b``; neither model is changed. Returns an
    array of the same length as ``ts``.
    """
    _same_architecture(model_a, model_b)
    ts = as_float_array(ts, "ts", ndim=1)
    if not np.all(np.isfinite(ts)):
        raise ValueError("ts must be finite numbers")
    probe = copy.deepcopy(model_a)
    losses = []
    for t in ts:
        for key, value in probe.params.items():
            value[...] = (1 - t) * model_a.params[key] + t * model_b.params[key]
        losses.append(evaluate(probe, loss, X, y))
    return np.array(losses)


def height_above_chord(losses, ts) -> float:
    """The largest amount by which the losses on the line rise above the straight chord joining the
    first and the last (> 0 proves that the loss is not convex along the line)."""
    losses = as_float_array(losses, "losses", ndim=1)
    ts = as_float_array(ts, "ts", ndim=1)
    if losses.shape != ts.shape or ts.size < 2:
        raise ValueError(f"losses and ts must be 1-D of the same length ≥ 2, got {losses.shape} "
                         f"and {ts.shape}")
    t0, t1 = ts[0], ts[-1]
    if t1 == t0:
        raise ValueError("ts must not start and end at the same t")
    chord = losses[0] + (ts - t0) / (t1 - t0) * (losses[-1] - losses[0])
    return float(np.max(losses - chord))
