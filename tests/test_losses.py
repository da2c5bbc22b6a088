"""Losses ℓ(y, z): gradients, known values, stability, bad input."""
import numpy as np
import pytest

import lecture_nn as nn
from lecture_nn.gradcheck import check_loss_gradient
from lecture_nn.penalties import l1_penalty, l2_penalty
from lecture_nn.gradcheck import numerical_gradient, relative_error

TOL = 1e-7
rng = np.random.default_rng(0)
PM1 = np.where(rng.random(6) > 0.5, 1.0, -1.0)
CASES = {
    "hinge": (PM1, 0.3 + 0.5 * rng.random(6) * PM1),  # margins kept away from 1
    "logistic": (PM1, rng.standard_normal(6)),
    "squared": (rng.standard_normal((6, 2)), rng.standard_normal((6, 2))),
    "sigmoid_cross_entropy": (rng.integers(0, 2, (6, 3)).astype(float), rng.standard_normal((6, 3))),
    "softmax_cross_entropy": (rng.integers(0, 4, 6), rng.standard_normal((6, 4))),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_loss_gradient_matches_finite_differences(name):
    y, z = CASES[name]
    assert check_loss_gradient(name, y, z) <= TOL


def test_hinge_margin_away_from_kink_in_test_data():
    y, z = CASES["hinge"]
    assert np.min(np.abs(1 - y * z)) > 1e-3


def test_softmax_cross_entropy_of_equal_logits_is_log_k():
    loss, dz = nn.softmax_cross_entropy(np.array([0, 3]), np.zeros((2, 5)))
    assert loss == pytest.approx(np.log(5))
    np.testing.assert_allclose(dz.sum(axis=1), 0, atol=1e-15)


def test_hinge_at_margin_one_is_zero_with_zero_gradient():
    loss, dz = nn.hinge(np.array([1.0, -1.0]), np.array([1.0, -1.0]))
    assert loss == 0.0
    np.testing.assert_array_equal(dz, 0.0)


def test_hinge_inside_margin_gradient_is_minus_y_over_n():
    loss, dz = nn.hinge(np.array([1.0, -1.0]), np.array([0.5, 0.0]))
    assert loss == pytest.approx((0.5 + 1.0) / 2)
    np.testing.assert_allclose(dz, [-0.5, 0.5])


def test_squared_and_logistic_known_values():
    assert nn.squared(np.array([1.0, 2.0]), np.array([0.0, 0.0]))[0] == pytest.approx(1.25)
    assert nn.logistic(np.array([1.0]), np.array([0.0]))[0] == pytest.approx(np.log(2))
    assert nn.sigmoid_cross_entropy(np.array([[1.0, 0.0]]), np.zeros((1, 2)))[0] == \
        pytest.approx(2 * np.log(2))


@pytest.mark.parametrize("scale", [1e4, 1e300])
def test_losses_stay_finite_for_huge_logits(scale):
    z2 = np.array([[scale, -scale], [-scale, scale]])
    loss, dz = nn.softmax_cross_entropy(np.array([0, 0]), z2)
    assert np.isfinite(loss) and np.all(np.isfinite(dz))
    assert loss == pytest.approx(scale)  # one example right (loss 0), one wrong by 2·scale
    y = np.array([1.0, -1.0])
    for loss_fn in (nn.logistic, nn.hinge):
        value, grad = loss_fn(y, np.array([scale, scale]))
        assert np.isfinite(value) and np.all(np.isfinite(grad))
    value, grad = nn.sigmoid_cross_entropy(np.array([[1.0, 0.0]]), np.array([[-scale, scale]]))
    assert value == pytest.approx(2 * scale) and np.all(np.isfinite(grad))


@pytest.mark.parametrize("call, error, message", [
    (lambda: nn.softmax_cross_entropy(np.array([0, 5]), np.zeros((2, 4))), ValueError, r"0\.\.3"),
    (lambda: nn.softmax_cross_entropy(np.array([0.5, 1]), np.zeros((2, 4))), TypeError, "integer"),
    (lambda: nn.softmax_cross_entropy(np.array(["a", "b"]), np.zeros((2, 4))), TypeError, "integer"),
    (lambda: nn.softmax_cross_entropy(np.array([0, 1, 2]), np.zeros((2, 4))), ValueError, r"\(2,\)"),
    (lambda: nn.softmax_cross_entropy(np.array([], dtype=int), np.zeros((0, 4))), ValueError, "empty"),
    (lambda: nn.softmax_cross_entropy(np.array([0]), np.array([[np.nan, 1.0]])), ValueError, "NaN"),
    (lambda: nn.hinge(np.array([0.0, 1.0]), np.zeros(2)), ValueError, r"\{-1\.0, 1\.0\}"),
    (lambda: nn.hinge(np.array([1.0, 1.0]), np.zeros((2, 3))), ValueError, r"\(n,\) or \(n, 1\)"),
    (lambda: nn.logistic(np.array([1.0]), np.array([np.inf])), ValueError, "finite"),
    (lambda: nn.squared(np.zeros((3, 2)), np.zeros((3, 1))), ValueError, "shape of z"),
    (lambda: nn.sigmoid_cross_entropy(np.full((1, 2), 2.0), np.zeros((1, 2))), ValueError, r"\{0\.0, 1\.0\}"),
    (lambda: nn.get_loss("cross"), ValueError, "unknown loss 'cross'"),
])
def test_losses_reject_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("penalty", [l2_penalty, l1_penalty])
def test_penalty_gradients(penalty):
    r = np.random.default_rng(5)
    params = {"0.W": r.standard_normal((3, 2)) + 0.05, "0.b": r.standard_normal(2)}
    _, grads = penalty(params, 0.3)
    assert set(grads) == {"0.W"}  # biases are not penalised
    W = params["0.W"]
    numeric = numerical_gradient(lambda: penalty(params, 0.3)[0], W)
    assert relative_error(grads["0.W"], numeric) <= TOL


def test_penalty_values_and_bad_lambda():
    params = {"W": np.array([[1.0, -2.0]]), "b": np.array([5.0])}
    assert l2_penalty(params, 0.5)[0] == pytest.approx(2.5)
    assert l1_penalty(params, 0.5)[0] == pytest.approx(1.5)
    with pytest.raises(ValueError, match="lam must be a finite number >= 0"):
        l2_penalty(params, -1.0)
