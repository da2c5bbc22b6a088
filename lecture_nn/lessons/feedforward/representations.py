"""Hidden units as a learned feature map (notes §2.1, Fig. 6).

Two ReLU units send a point x ∈ R² to [f(z₁), f(z₂)] with z_j = w_{1j} x₁ + w_{2j} x₂ + b_j.
Points that no line separates in the input space may be separable in the new
coordinates; :func:`is_linearly_separable` decides that exactly with a linear program.
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import linprog, minimize

from lecture_nn.checks import as_float_array, check_values_in
from lecture_nn.activations import relu


def hidden_features(X, W, b, activation=relu) -> np.ndarray:
    """The hidden layer's outputs f(z) with z = X @ W + b.

    Parameters
    ----------
    X : (n, d) inputs, one per row
    W : (d, m) weights, column j is the normal vector of unit j's hyperplane
    b : (m,) biases
    activation : elementwise f, the rectifier by default

    Returns
    -------
    (n, m) array, row i is [f(z₁(x⁽ⁱ⁾)), …, f(z_m(x⁽ⁱ⁾))].
    """
    X = as_float_array(X, "X", ndim=2)
    W = as_float_array(W, "W", ndim=2)
    b = as_float_array(b, "b", ndim=1)
    if W.shape[0] != X.shape[1]:
        raise ValueError(f"W must have shape ({X.shape[1]}, m) to match X {X.shape}, got {W.shape}")
    if b.shape != (W.shape[1],):
        raise ValueError(f"b must have shape ({W.shape[1]},) to match W {W.shape}, got {b.shape}")
    return activation(X @ W + b)


def flip_units(W, b, flips) -> tuple[np.ndarray, np.ndarray]:
    """Negate the normal vector and bias of the units marked True in ``flips``.

    The hyperplane z_j = 0 stays where it is; the side on which the unit is
    active swaps.
    """
    W = np.array(as_float_array(W, "W", ndim=2))
    b = np.array(as_float_array(b, "b", ndim=1))
    flips = np.asarray(flips, dtype=bool)
    if flips.shape != b.shape:
        raise ValueError(f"flips must have one entry per unit, shape {b.shape}, got {flips.shape}")
    sign = np.where(flips, -1.0, 1.0)
    return W * sign, b * sign


def separating_hyperplane(X, y, widest: bool = False):
    """A (w, c) with y⁽ⁱ⁾ (wᵀx⁽ⁱ⁾ + c) ≥ 1 for every point, or None if none exists.

    Labels y ∈ {−1, +1}. Solved as a feasibility linear program, so the answer
    is exact up to the solver's tolerance (points must not coincide across classes).
    The program returns *some* separating hyperplane, often one that grazes a point;
    ``widest=True`` then moves it to the one with the widest gap on both sides
    (smallest ‖w‖, the hard-margin SVM), for drawing.
    """
    X = as_float_array(X, "X", ndim=2)
    y = as_float_array(y, "y", ndim=1)
    if len(y) != len(X):
        raise ValueError(f"y must have one label per row of X ({len(X)}), got {len(y)}")
    check_values_in(y, (-1.0, 1.0), "y")
    n, d = X.shape
    # variables (w, c); constraints −y (wᵀx + c) ≤ −1
    A = -y[:, None] * np.column_stack([X, np.ones(n)])
    result = linprog(np.zeros(d + 1), A_ub=A, b_ub=-np.ones(n), bounds=[(None, None)] * (d + 1),
                     method="highs")
    if result.status != 0:
        return None
    if widest:
        widest_fit = minimize(lambda v: v[:d] @ v[:d], result.x, jac=lambda v: np.append(2 * v[:d], 0.0),
                              constraints={"type": "ineq", "fun": lambda v: -(A @ v) - 1, "jac": lambda v: -A},
                              method="SLSQP")
        if widest_fit.success:
            return widest_fit.x[:d], float(widest_fit.x[d])
    return result.x[:d], float(result.x[d])


def is_linearly_separable(X, y) -> bool:
    """True when some line (hyperplane) puts every +1 point on one side and every −1 on the other."""
    return separating_hyperplane(X, y) is not None


