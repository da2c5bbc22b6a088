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


def describe_check(errors, bound: float = 1e-7) -> str:
    """One line for a notebook: the worst relative error stated against a fixed ``bound``.

    ``errors`` is a dict of relative errors (what the checks above return) or one number.
    Choose ``bound`` where the call is written, about ten times above what the check
    measures: the exact error changes with the CPU's rounding (by a few times, for a
    finite-difference check; it may be 0 on one machine and 1e-16 on another for two
    computations that agree up to rounding), so the figure itself would not print alike
    everywhere, while "below the bound" does. Fails (says so) when the worst error is not
    below ``bound``; a NaN or an infinity fails.

    >>> describe_check({"W": 3.2e-10, "b": 8e-11}, bound=1e-8)
    'worst relative error < 1e-08 (passed)'
    """
    if not (np.isfinite(bound) and bound > 0):
        raise ValueError(f"bound must be a finite number > 0, got {bound!r}")
    errors = errors if isinstance(errors, dict) else {"value": errors}
    if not errors:
        raise ValueError("no errors to describe")
    passed = worst(errors) < bound
    return f"worst relative error {'<' if passed else '≥'} {bound:.0e} ({'passed' if passed else 'FAILED'})"


def describe_difference(a, b, bound: float = 1e-13) -> str:
    """:func:`describe_check` for ‖a − b‖ / max(‖a‖, ‖b‖): two computations of the same numbers
    that should agree up to rounding (default bound 1e-13, far above float64's 1e-16)."""
    return describe_check(relative_error(a, b), bound)


def worst(errors: dict[str, float]) -> float:
    """The largest relative error of a check (``inf`` if any is not a number)."""
    values = np.array(list(errors.values()), dtype=float)
    return float(np.max(np.where(np.isnan(values), np.inf, values)))
