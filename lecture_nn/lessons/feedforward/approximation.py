"""Universal approximation in one dimension (notes §2.1, Cybenko's theorem).

F(x) = Σᵢ vᵢ f(wᵢ x + bᵢ) + c is a one-hidden-layer network with N hidden units.
:func:`bump_network` chooses its weights by hand: a pair of steep units makes a
"bump" (a step up followed by a step down), and bumps of height h(centre) side
by side trace the target h. :func:`train_approximation` lets SGD choose them instead.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from lecture_nn.checks import as_float_array, check_rng, positive_int
from lecture_nn.activations import activation_functions
from lecture_nn.models import mlp
from lecture_nn.training import fit, predict

TARGETS = {
    "sine": lambda x: np.sin(2 * np.pi * x),
    "bumpy": lambda x: 0.6 * np.sin(6 * x) + 0.3 * np.cos(17 * x) * x,
    "abs": lambda x: np.abs(x - 0.4) * 2 - 0.5,
    "step-like": lambda x: np.tanh(20 * (x - 0.5)),
}
"""Continuous targets h on [0, 1] used in the notebook and the widget."""

STEP_UNITS = {"sigmoid": 1, "tanh": 1, "relu": 2}
"""Hidden units one steep step needs: σ or tanh alone, or two ReLUs (a clipped ramp)."""


class OneHiddenNetwork(NamedTuple):
    """F(x) = Σᵢ v[i] f(w[i] x + b[i]) + c for scalar x; w, b, v have shape (N,)."""
    w: np.ndarray
    b: np.ndarray
    v: np.ndarray
    c: float
    activation: str

    @property
    def n_hidden(self) -> int:
        return len(self.w)

    def __call__(self, x) -> np.ndarray:
        x = as_float_array(x, "x", ndim=1)
        f, _ = activation_functions(self.activation)
        return f(np.outer(x, self.w) + self.b) @ self.v + self.c


def get_target(name):
    """The target function h called ``name`` in :data:`TARGETS`, or a callable as given."""
    if callable(name):
        return name
    if name not in TARGETS:
        raise ValueError(f"unknown target {name!r}; expected one of {sorted(TARGETS)} or a callable")
    return TARGETS[name]


def _steep_step(t: float, k: float, activation: str):
    """Units (w, b, v) and output offset c whose sum ≈ the unit step at t, of steepness k."""
    if activation == "sigmoid":          # σ(k(x − t))
        return [k], [-k * t], [1.0], 0.0
    if activation == "tanh":             # (tanh(k(x − t)) + 1) / 2
        return [k], [-k * t], [0.5], 0.5
    if activation == "relu":             # k·relu(x − t + 1/2k) − k·relu(x − t − 1/2k): a ramp 0 → 1
        h = 0.5 / k
        return [1.0, 1.0], [-(t - h), -(t + h)], [k, -k], 0.0
    raise ValueError(f"activation must be one of {sorted(STEP_UNITS)}, got {activation!r}")


def bump_network(target, n_hidden: int, activation: str = "sigmoid", interval=(0.0, 1.0),
                 steepness: float = 10.0) -> OneHiddenNetwork:
    """Hand-built network whose bumps follow ``target`` on ``interval``.

    The interval is cut into B equal pieces, B = n_hidden // (2 · units per step);
    piece i gets a bump of height h(centreᵢ): a step up at its left edge and a
    step down at its right edge. The outer edges are moved half a piece outward
    so that the interval's end points are not on a step. A step's width is
    (piece width) / ``steepness``. Unused units (when n_hidden is not a multiple)
    get output weight 0.

    Returns
    -------
    OneHiddenNetwork with exactly ``n_hidden`` hidden units.
    """
    h = get_target(target)
    n_hidden = positive_int(n_hidden, "n_hidden")
    if activation not in STEP_UNITS:
        raise ValueError(f"activation must be one of {sorted(STEP_UNITS)}, got {activation!r}")
    per_bump = 2 * STEP_UNITS[activation]
    n_bumps = n_hidden // per_bump
    if n_bumps < 1:
        raise ValueError(f"one {activation} bump needs {per_bump} hidden units, got n_hidden={n_hidden}")
    lo, hi = float(interval[0]), float(interval[1])
    if not hi > lo:
        raise ValueError(f"interval must be (low, high) with low < high, got {interval}")
    width = (hi - lo) / n_bumps
    k = steepness / width
    edges = lo + width * np.arange(n_bumps + 1)
    heights = np.asarray(h(edges[:-1] + width / 2), dtype=float)
    edges[0] -= width / 2
    edges[-1] += width / 2
    w, b, v, c = [], [], [], 0.0
    for i, height in enumerate(heights):
        for t, sign in ((edges[i], 1.0), (edges[i + 1], -1.0)):
            sw, sb, sv, sc = _steep_step(t, k, activation)
            w += sw
            b += sb
            v += [sign * height * s for s in sv]
            c += sign * height * sc
    unused = n_hidden - len(w)
    w, b, v = w + [0.0] * unused, b + [0.0] * unused, v + [0.0] * unused
    return OneHiddenNetwork(np.array(w), np.array(b), np.array(v), float(c), activation)


def max_error(approximation, target, interval=(0.0, 1.0), n_points: int = 2001) -> float:
    """max |F(x) − h(x)| over an even grid of ``n_points`` on the interval."""
    x = np.linspace(interval[0], interval[1], positive_int(n_points, "n_points", 2))
    return float(np.max(np.abs(approximation(x) - get_target(target)(x))))


def train_approximation(target, n_hidden: int, activation: str = "sigmoid", *, rng,
                        n_train: int = 200, epochs: int = 300, lr: float = 0.05,
                        momentum: float = 0.9, batch_size: int = 20):
    """Fit a [1, N, 1] network to ``target`` on [0, 1] by SGD on the squared loss.

    Returns a callable x (m,) → F(x) (m,), with the trained model as ``.model``.
    """
    rng = check_rng(rng)
    h = get_target(target)
    x = np.linspace(0.0, 1.0, positive_int(n_train, "n_train", 2))
    # inputs centred so that the default initial hyperplanes cut through the data
    model = mlp([1, positive_int(n_hidden, "n_hidden"), 1], activation, rng=rng, init="xavier")
    fit(model, (x - 0.5)[:, None] * 4, h(x)[:, None], "squared", epochs=epochs, lr=lr,
        momentum=momentum, batch_size=batch_size, rng=rng, progress=False)

    def approximation(points):
        points = as_float_array(points, "x", ndim=1)
        return predict(model, (points - 0.5)[:, None] * 4)[:, 0]

    approximation.model = model
    return approximation
