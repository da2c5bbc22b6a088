"""Numerical stability: losses and squashing functions on huge logits.

On logits of ±1e4 and ±1e300 every loss value and gradient must be finite and
take its correct limit, without any floating-point warning. Floating-point
overflow, invalid operations and division by zero are turned into exceptions
here (underflow to 0 is the correct limit and stays allowed); pyproject.toml
also turns every warning of the whole suite into an error (checked below).
"""
import tomllib
from pathlib import Path

import numpy as np
import pytest

import lecture_nn as nn
from lecture_nn.activations import sigmoid, sigmoid_prime, tanh_prime

BIG = [1e4, 1e300]


@pytest.fixture(autouse=True)
def strict_floats():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        yield


def finite(*arrays):
    return all(np.all(np.isfinite(np.asarray(a))) for a in arrays)


@pytest.mark.parametrize("big", BIG)
def test_softmax_cross_entropy_limits(big):
    z = np.array([[big, -big, 0.0], [-big, big, 0.0], [0.0, 0.0, big]])
    right = np.array([0, 1, 2])
    loss, dz = nn.softmax_cross_entropy(right, z)
    assert finite(loss, dz)
    assert loss == 0.0 and np.all(dz == 0.0)      # confident and right: nothing to learn

    wrong = np.array([1, 0, 0])
    loss, dz = nn.softmax_cross_entropy(wrong, z)
    assert finite(loss, dz)
    # −log softmax(z)_y → z_max − z_y: 2·big, 2·big, big, averaged over 3 rows
    assert loss == pytest.approx((2 * big + 2 * big + big) / 3, rel=1e-12)
    expected = (np.eye(3)[[0, 1, 2]] - np.eye(3)[wrong]) / 3   # softmax − onehot, / n
    np.testing.assert_allclose(dz, expected, atol=1e-15)


@pytest.mark.parametrize("big", BIG)
def test_softmax_of_huge_scores_is_one_hot(big):
    p = nn.softmax(np.array([[big, -big, 0.0], [-big, -big, -big]]))
    assert finite(p)
    np.testing.assert_allclose(p, [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]], atol=1e-15)


@pytest.mark.parametrize("big", BIG)
def test_logistic_limits(big):
    z = np.array([big, -big, big, -big])
    y = np.array([1.0, -1.0, -1.0, 1.0])       # first two right, last two wrong
    loss, dz = nn.logistic(y, z)
    assert finite(loss, dz)
    # log(1 + e^{−yz}) → 0 when yz → +∞ and → −yz when yz → −∞
    assert loss == pytest.approx((0 + 0 + big + big) / 4, rel=1e-12)
    # dℓ/dz = −y σ(−yz) / n → 0 and −y / n
    np.testing.assert_array_equal(dz, [0.0, 0.0, 0.25, -0.25])


@pytest.mark.parametrize("big", BIG)
def test_sigmoid_cross_entropy_limits(big):
    z = np.array([[big, -big], [big, -big]])
    y = np.array([[1.0, 0.0], [0.0, 1.0]])      # row 0 right, row 1 wrong on both outputs
    loss, dz = nn.sigmoid_cross_entropy(y, z)
    assert finite(loss, dz)
    assert loss == pytest.approx(2 * big / 2, rel=1e-12)
    np.testing.assert_array_equal(dz, [[0.0, 0.0], [0.5, -0.5]])   # (σ(z) − y) / n


@pytest.mark.parametrize("big", BIG)
def test_sigmoid_and_tanh_saturate_cleanly(big):
    z = np.array([[big, -big, 0.0]])
    np.testing.assert_array_equal(sigmoid(z), [[1.0, 0.0, 0.5]])
    np.testing.assert_array_equal(sigmoid_prime(z), [[0.0, 0.0, 0.25]])
    np.testing.assert_array_equal(tanh_prime(z), [[0.0, 0.0, 1.0]])
    for layer, out in ((nn.Sigmoid(), [[1.0, 0.0, 0.5]]), (nn.Tanh(), [[1.0, -1.0, 0.0]])):
        np.testing.assert_array_equal(layer.forward(z), out)
        grad = layer.backward(np.ones_like(z))
        assert finite(grad)
        assert grad[0, 0] == 0.0 and grad[0, 1] == 0.0   # saturated units pass no gradient


@pytest.mark.parametrize("big", BIG)
def test_relu_and_hinge_on_huge_values(big):
    z = np.array([[big, -big]])
    relu = nn.ReLU()
    np.testing.assert_array_equal(relu.forward(z), [[big, 0.0]])
    np.testing.assert_array_equal(relu.backward(np.ones_like(z)), [[1.0, 0.0]])
    loss, dz = nn.hinge(np.array([1.0, 1.0]), np.array([big, -big]))
    assert finite(loss, dz)
    assert loss == pytest.approx((0 + 1 + big) / 2, rel=1e-12)
    np.testing.assert_array_equal(dz, [0.0, -0.5])


@pytest.mark.parametrize("big", [1e4, 1e30])
def test_float32_logits_stay_finite_and_float32(big):
    z = np.array([[big, -big, 0.0], [-big, big, 0.0]], dtype=np.float32)
    loss, dz = nn.softmax_cross_entropy(np.array([1, 0]), z)
    assert np.isfinite(loss) and finite(dz) and dz.dtype == np.float32
    assert loss == pytest.approx(2 * big, rel=1e-6)
    zb = np.array([big, -big], dtype=np.float32)
    for loss_fn, y in ((nn.logistic, np.array([-1.0, 1.0])),):
        value, grad = loss_fn(y, zb)
        assert np.isfinite(value) and finite(grad) and grad.dtype == np.float32
    value, grad = nn.sigmoid_cross_entropy(np.array([[0.0, 1.0]]), zb[None, :])
    assert np.isfinite(value) and finite(grad)


def test_gradients_stay_exact_at_moderately_large_logits():
    """Finite differences at logits of ±30, where naive formulas lose all digits."""
    rng = np.random.default_rng(0)
    z = rng.choice([-30.0, 30.0], size=(6, 4)) + rng.standard_normal((6, 4))
    y = rng.integers(0, 4, size=6)
    assert nn.check_loss_gradient("softmax_cross_entropy", y, z) <= 1e-7
    yb = rng.choice([-1.0, 1.0], size=6)
    assert nn.check_loss_gradient("logistic", yb, z[:, 0]) <= 1e-7
    y01 = rng.integers(0, 2, size=(6, 4)).astype(float)
    assert nn.check_loss_gradient("sigmoid_cross_entropy", y01, z) <= 1e-7


def test_training_on_huge_inputs_raises_no_warning():
    """A step of SGD on badly scaled data may give large numbers but never NaN or a warning."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((20, 3)) * 1e3
    y = rng.integers(0, 2, size=20)
    model = nn.mlp([3, 4, 2], "sigmoid", rng=rng)
    history = nn.fit(model, X, y, epochs=2, batch_size=5, lr=0.1, rng=rng, progress=False)
    assert all(np.isfinite(history["loss"]))
    assert all(finite(p) for p in model.params.values())


def test_suite_turns_warnings_into_errors():
    """The whole test suite must run with warnings as errors, so a RuntimeWarning anywhere fails."""
    config = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    assert "error" in config["tool"]["pytest"]["ini_options"]["filterwarnings"]
