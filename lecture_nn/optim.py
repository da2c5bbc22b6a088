"""Stochastic gradient descent, eq. (3): θ ← θ − η ∂ℓ/∂θ, with optional momentum."""
from __future__ import annotations

import numpy as np

from lecture_nn.checks import probability, real_number


class SGD:
    """Update a model's parameters in place from its ``grads``.

    With ``momentum`` μ > 0 the step is v ← μ v − η g, θ ← θ + v (heavy ball);
    μ = 0 is plain eq. (3).

    Parameters
    ----------
    model : Layer
        Anything with ``params`` and ``grads`` dicts (a layer or a ``Sequential``).
    lr : float
        The step size η > 0.
    momentum : float in [0, 1)
    """

    def __init__(self, model, lr: float = 0.1, momentum: float = 0.0):
        if not isinstance(getattr(model, "params", None), dict):
            raise TypeError(f"SGD needs a layer or model with params and grads dicts, "
                            f"got {type(model).__name__}")
        self.model = model
        self.lr = real_number(lr, "lr (the step size η)", 0, strict=True)
        self.momentum = probability(momentum, "momentum")
        self.velocity: dict[str, np.ndarray] = {}

    def step(self, extra_grads: dict | None = None):
        """Apply one update; ``extra_grads`` (e.g. a penalty's) are added to the model's."""
        params, grads = self.model.params, self.model.grads
        for name, p in params.items():
            g = grads[name]
            if extra_grads and name in extra_grads:
                g = g + extra_grads[name]
            if self.momentum:
                v = self.velocity.get(name)
                if v is None:
                    v = self.velocity[name] = np.zeros_like(p)
                v *= self.momentum
                v -= self.lr * g
                p += v
            else:
                p -= self.lr * g
