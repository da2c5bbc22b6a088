"""Checkers for the exercises of notebook 04 (dropout and adversarial examples)."""
from __future__ import annotations

import numpy as np

from lecture_nn.dropout import all_masks
from lecture_nn.lessons.checking import verdict

VARIANCE_EXAMPLE = {"x": np.array([1.0, -2.0, 0.5, 3.0]), "w": np.array([0.5, 1.0, -2.0, 0.25]),
                    "p": 0.5}
"""Exercise 1: activations x of four units, their outgoing weights w, drop probability p."""

FGSM_EXAMPLE = {"w": np.array([0.5, -1.0, 2.0, 0.0, -0.25]), "epsilon": 0.1}
"""Exercise 2: a linear score z = w·x and the FGSM step size ε."""


def dropout_output_variance(x, w, p) -> float:
    """Variance over all masks of z = Σ_i m_i x_i w_i with m_i = 0 with probability p."""
    x, w = np.asarray(x, float), np.asarray(w, float)
    masks = all_masks(len(x))
    n_kept = masks.sum(axis=1)
    weights = (1 - p) ** n_kept * p ** (len(x) - n_kept)
    z = masks @ (x * w)
    mean = weights @ z
    return float(weights @ (z - mean) ** 2)


def check_dropout_variance(answer) -> bool:
    """Exercise 1: the variance of the next unit's input under classic dropout."""
    ex = VARIANCE_EXAMPLE
    return verdict(answer, dropout_output_variance(ex["x"], ex["w"], ex["p"]),
                   "variance over the dropout masks", rtol=1e-6,
                   hint="The m_i are independent: add up Var(m_i) (x_i w_i)², with Var(m_i) = p(1 − p).")


def check_fgsm_linear_change(answer) -> bool:
    """Exercise 2: the change of z = w·x when every pixel moves by ε in the direction sign(w)."""
    ex = FGSM_EXAMPLE
    return verdict(answer, ex["epsilon"] * np.abs(ex["w"]).sum(), "change of the score",
                   rtol=1e-6, hint="Each pixel contributes w_i · ε sign(w_i).")
