"""The residual block of exercise 1 in plain arrays: a ↦ a + F(a) with F(a) = ReLU(a W1 + b1) W2 + b2.

Shapes (batch in rows): a (n, d), W1 (d, h), b1 (h,), W2 (h, d), b2 (d,); the block keeps the
shape (n, d) of its input, so its skip is the identity.

* :func:`package_residual_backward` — the block's backward computed by the package's
  ``Residual`` (the reference the checker of exercise 1 compares with);
* :class:`BlockWithBackward` — the block as a layer whose backward is a function you give
  (the student's ``residual_backward``), and :func:`network_with_backward`, a residual
  network of such blocks, to train with it.
"""
from __future__ import annotations

import numpy as np

from lecture_nn.activations import ReLU
from lecture_nn.checks import as_float_array, positive_int, real_number
from lecture_nn.layers import Layer, Linear, Sequential
from lecture_nn.residual import Residual


def _matrix(value, name: str, shape: tuple) -> np.ndarray:
    arr = as_float_array(value, name, ndim=len(shape))
    if arr.shape != shape:
        raise ValueError(f"{name} should have shape {shape}, got {arr.shape}")
    return arr


def _block_arrays(delta, a, W1, b1, W2):
    """The arguments of a backward, checked against each other's shapes."""
    a = as_float_array(a, "a", ndim=2)
    n, d = a.shape
    W1 = as_float_array(W1, "W1", ndim=2)
    if W1.shape[0] != d:
        raise ValueError(f"W1 should have {d} rows (the width d of a), got shape {W1.shape}")
    h = W1.shape[1]
    return (_matrix(delta, "delta", (n, d)), a, W1, _matrix(b1, "b1", (h,)), _matrix(W2, "W2", (h, d)))


def package_residual_backward(delta, a, W1, b1, W2):
    """(∂ℓ/∂a, ∂ℓ/∂W1, ∂ℓ/∂b1, ∂ℓ/∂W2, ∂ℓ/∂b2) for the block a + ReLU(a W1 + b1) W2 + b2,
    computed by ``Residual(Sequential(Linear, ReLU, Linear)).backward``.

    ``delta`` = ∂ℓ/∂(output), shape (n, d). b2 does not enter any of the gradients, so it is
    not an argument. Returns arrays of shapes (n, d), (d, h), (h,), (h, d), (d,).
    """
    delta, a, W1, b1, W2 = _block_arrays(delta, a, W1, b1, W2)
    d, h = W1.shape
    first, second = Linear(d, h, init="zeros"), Linear(h, d, init="zeros")   # weights set below
    first.params.update(W=W1.copy(), b=b1.copy())
    second.params.update(W=W2.copy(), b=np.zeros(d))
    block = Residual(Sequential(first, ReLU(), second))
    block.forward(a)
    grad_a = block.backward(delta)
    return grad_a, first.grads["W"], first.grads["b"], second.grads["W"], second.grads["b"]


class BlockWithBackward(Layer):
    """The block a ↦ a + ReLU(a W1 + b1) W2 + b2 as a layer whose backward is ``backward``.

    Parameters
    ----------
    width, hidden : int
        d (the block's input and output width) and h (its branch's hidden width).
    backward : callable
        ``backward(delta, a, W1, b1, W2) -> (∂ℓ/∂a, ∂ℓ/∂W1, ∂ℓ/∂b1, ∂ℓ/∂W2, ∂ℓ/∂b2)``, e.g. the
        student's ``residual_backward`` or :func:`package_residual_backward`.
    rng : numpy.random.Generator
        Draws He weights for W1 and W2 (biases start at 0).
    branch_scale : float
        Multiplies the initial W2 (as :func:`~lecture_nn.lessons.residual.deep_nets.residual_network`
        shrinks its branches).

    Parameters are named ``W1``, ``b1``, ``W2``, ``b2``.
    """

    def __init__(self, width: int, hidden: int, backward, rng=None, branch_scale: float = 1.0):
        super().__init__()
        width, hidden = positive_int(width, "width"), positive_int(hidden, "hidden")
        if not callable(backward):
            raise TypeError(f"backward must be a function, got {type(backward).__name__}")
        branch_scale = real_number(branch_scale, "branch_scale", 0, strict=True)
        first, second = Linear(width, hidden, rng=rng), Linear(hidden, width, rng=rng)
        self.params = {"W1": first.params["W"], "b1": first.params["b"],
                       "W2": second.params["W"] * branch_scale, "b2": second.params["b"]}
        self.zero_grad()
        self.backward_function = backward

    def forward(self, a):
        a = self._check_input(a, ndim=2)
        p = self.params
        if a.shape[1] != p["W1"].shape[0]:
            raise ValueError(f"BlockWithBackward expected input of shape (n, {p['W1'].shape[0]}), got {a.shape}")
        self.cache = {"a": a}
        return a + np.maximum(a @ p["W1"] + p["b1"], 0) @ p["W2"] + p["b2"]

    def backward(self, grad_out, input_grad: bool = True):
        a = self._cached("a")
        delta = self._check_grad(grad_out, a.shape)
        p = self.params
        grads = self.backward_function(delta, a, p["W1"], p["b1"], p["W2"])
        for name, grad in zip(("W1", "b1", "W2", "b2"), grads[1:]):
            self.grads[name] = np.asarray(grad, dtype=float).reshape(p[name].shape)
        return np.asarray(grads[0], dtype=float) if input_grad else None

    def __repr__(self):
        d, h = self.params["W1"].shape
        name = getattr(self.backward_function, "__name__", "backward")
        return f"BlockWithBackward({d}, {h}, backward={name})"


def network_with_backward(backward, n_blocks: int, width: int, n_in: int, n_out: int, rng=None) -> Sequential:
    """Linear(n_in, width) → ``n_blocks`` blocks a + ReLU(a W1 + b1) W2 + b2 (hidden width = width, W2
    scaled by 1/√n_blocks) → ReLU → Linear(width, n_out).

    Every block is a :class:`BlockWithBackward` whose backward is ``backward``; with
    ``backward=None`` it is the package's ``Residual(Sequential(Linear, ReLU, Linear))`` instead.
    From the same generator both draw the same weights, so they compute the same network.
    """
    if backward is not None and not callable(backward):
        raise TypeError(f"backward must be a function or None, got {type(backward).__name__}")
    n_blocks = positive_int(n_blocks, "n_blocks")
    width, n_in, n_out = positive_int(width, "width"), positive_int(n_in, "n_in"), positive_int(n_out, "n_out")
    scale = 1 / np.sqrt(n_blocks)
    layers = [Linear(n_in, width, rng=rng)]
    for _ in range(n_blocks):
        if backward is None:
            first, second = Linear(width, width, rng=rng), Linear(width, width, rng=rng)
            second.params["W"] *= scale
            layers.append(Residual(Sequential(first, ReLU(), second)))
        else:
            layers.append(BlockWithBackward(width, width, backward, rng=rng, branch_scale=scale))
    return Sequential(*layers, ReLU(), Linear(width, n_out, rng=rng))
