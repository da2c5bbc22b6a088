"""Finite-difference gradient checks: the test every backward pass must pass."""
from __future__ import annotations

import numpy as np

from lecture_nn.checks import check_rng
from lecture_nn.losses import get_loss


def numerical_gradient(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences (f(x + εe_i) − f(x − εe_i)) / 2ε for every entry of ``x``.

    ``f`` takes no argument and reads ``x``, which is changed in place and
    restored; ``x`` must be a float64 array for the check to be meaningful.
    """
    grad = np.zeros_like(x, dtype=np.float64)
    flat_x, flat_g = x.reshape(-1), grad.reshape(-1)
    if not np.shares_memory(flat_x, x):
        raise ValueError("numerical_gradient needs a contiguous array it can change in place")
    for i in range(flat_x.size):
        old = flat_x[i]
        flat_x[i] = old + eps
        f_plus = f()
        flat_x[i] = old - eps
        f_minus = f()
        flat_x[i] = old
        flat_g[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def relative_error(analytic, numeric) -> float:
    """‖a − n‖ / max(‖a‖, ‖n‖); 0 when both are 0.

    A NaN or an infinity in either gradient makes the error ``inf``: a broken
    gradient must fail every check, never slip past a ``max``.
    """
    a, n = np.asarray(analytic, float), np.asarray(numeric, float)
    if a.shape != n.shape:
        raise ValueError(f"the two gradients must have the same shape, got {a.shape} and {n.shape}")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(n))):
        return float("inf")
    scale = max(np.linalg.norm(a), np.linalg.norm(n))
    return 0.0 if scale == 0 else float(np.linalg.norm(a - n) / scale)


def check_layer_gradients(layer, x, rng=None, eps: float = 1e-6) -> dict[str, float]:
    """Compare a layer's backward with finite differences.

    Uses the scalar L = Σ out ⊙ R for a fixed random R, so that ∂L/∂out = R.
    Returns the relative error for the input (key ``"input"``) and for every
    parameter. The layer's mode (train/eval) is left as it is; a layer with
    randomness (dropout) must have a fixed mask for the check to make sense.
    """
    rng = check_rng(rng if rng is not None else np.random.default_rng(0))
    x = np.array(x, dtype=np.float64)
    out = layer.forward(x)
    R = rng.standard_normal(out.shape)
    dx = layer.backward(R)
    analytic = {"input": dx, **{k: g.copy() for k, g in layer.grads.items()}}

    def scalar():
        return float(np.sum(layer.forward(x) * R))

    errors = {"input": relative_error(analytic["input"], numerical_gradient(scalar, x, eps))}
    for name, p in layer.params.items():
        errors[name] = relative_error(analytic[name], numerical_gradient(scalar, p, eps))
    layer.forward(x)  # leave the cache consistent with the unperturbed input
    return errors


def check_loss_gradient(loss, y, z, eps: float = 1e-6) -> float:
    """Relative error between a loss's dℓ/dz and finite differences."""
    loss = get_loss(loss)
    z = np.array(z, dtype=np.float64)
    _, dz = loss(y, z)
    return relative_error(dz, numerical_gradient(lambda: loss(y, z)[0], z, eps))


def check_model_gradients(model, loss, X, y, eps: float = 1e-6) -> dict[str, float]:
    """Relative error of backprop against finite differences for every parameter of a model
    trained with ``loss`` on the batch (X, y). The largest value is the worst."""
    loss = get_loss(loss)
    X = np.asarray(X, dtype=np.float64)

    def risk():
        return loss(y, model.forward(X))[0]

    _, dz = loss(y, model.forward(X))
    model.backward(dz)
    analytic = {k: g.copy() for k, g in model.grads.items()}
    return {name: relative_error(analytic[name], numerical_gradient(risk, p, eps))
            for name, p in model.params.items()}


def error_bound(worst_error: float) -> float:
    """A power of ten 10 to 100 times above ``worst_error``: its size in a form that the
    rounding of another CPU or BLAS (which moves a finite-difference error by a few times,
    not by ten) does not change. ``inf`` stays ``inf``; 0 stays 0."""
    if not np.isfinite(worst_error) or worst_error <= 0:
        return float(worst_error)
    return float(10.0 ** (np.ceil(np.log10(worst_error)) + 1))


def describe_check(errors: dict[str, float], threshold: float = 1e-7) -> str:
    """One line for a notebook: the size of the worst relative error and the verdict.

    >>> describe_check({"W": 3.2e-10, "b": 8e-11})
    'worst relative error < 1e-08 (threshold 1e-07: passed)'
    """
    value = worst(errors)
    verdict = "passed" if value <= threshold else "FAILED"
    size = f"< {error_bound(value):.0e}" if np.isfinite(value) and value > 0 else f"= {value:g}"
    return f"worst relative error {size} (threshold {threshold:.0e}: {verdict})"


def worst(errors: dict[str, float]) -> float:
    """The largest relative error of a check (``inf`` if any is not a number)."""
    values = np.array(list(errors.values()), dtype=float)
    return float(np.max(np.where(np.isnan(values), np.inf, values)))
