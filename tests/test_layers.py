"""Dense layers, activations and Sequential: gradients, shapes, modes, bad input."""
import numpy as np
import pytest

import lecture_nn as nn
from lecture_nn.activations import relu_prime, sigmoid_prime, tanh_prime
from lecture_nn.gradcheck import check_layer_gradients, check_model_gradients

TOL = 1e-7


def away_from_zero(rng, shape, margin=0.1):
    """Random inputs with |x| ≥ margin, so finite differences never straddle the ReLU kink."""
    x = rng.standard_normal(shape)
    return np.where(x >= 0, x + margin, x - margin)


@pytest.mark.parametrize("layer_factory", [
    lambda rng: nn.Linear(4, 3, rng=rng),
    lambda rng: nn.ReLU(),
    lambda rng: nn.Sigmoid(),
    lambda rng: nn.Tanh(),
    lambda rng: nn.Identity(),
], ids=["Linear", "ReLU", "Sigmoid", "Tanh", "Identity"])
def test_layer_gradients_match_finite_differences(layer_factory):
    rng = np.random.default_rng(1)
    layer = layer_factory(rng)
    x = away_from_zero(rng, (5, 4))
    errors = check_layer_gradients(layer, x, rng=rng)
    assert max(errors.values()) <= TOL, errors
    assert set(errors) == {"input", *layer.params}


def test_linear_bias_gradient_also_checked():
    rng = np.random.default_rng(2)
    layer = nn.Linear(3, 2, rng=rng)
    layer.params["b"][:] = rng.standard_normal(2)
    errors = check_layer_gradients(layer, rng.standard_normal((6, 3)), rng=rng)
    assert errors["b"] <= TOL and errors["W"] <= TOL


def test_sequential_gradients_for_every_parameter():
    rng = np.random.default_rng(3)
    model = nn.Sequential(nn.Linear(3, 5, rng=rng), nn.Tanh(), nn.Linear(5, 4, rng=rng),
                          nn.Sigmoid(), nn.Linear(4, 3, rng=rng))
    X = rng.standard_normal((6, 3))
    y = rng.integers(0, 3, 6)
    errors = check_model_gradients(model, "softmax_cross_entropy", X, y)
    assert set(errors) == {"0.W", "0.b", "2.W", "2.b", "4.W", "4.b"}
    assert max(errors.values()) <= TOL, errors


def test_layer_gradcheck_of_sequential_input():
    rng = np.random.default_rng(4)
    model = nn.mlp([3, 4, 2], "relu", rng=rng)
    model.params["0.b"][:] = 0.3  # shift pre-activations away from the kink for most units
    x = rng.standard_normal((4, 3))
    z = x @ model.params["0.W"] + model.params["0.b"]
    assert np.min(np.abs(z)) > 1e-3
    errors = check_layer_gradients(model, x, rng=rng)
    assert max(errors.values()) <= TOL


def test_linear_computes_a_W_plus_b():
    rng = np.random.default_rng(0)
    layer = nn.Linear(3, 2, rng=rng)
    a = rng.standard_normal((4, 3))
    expected = np.stack([layer.params["W"].T @ row + layer.params["b"] for row in a])
    np.testing.assert_allclose(layer.forward(a), expected)
    assert layer.params["W"].shape == (3, 2) and layer.params["b"].shape == (2,)


def test_relu_derivative_at_zero_is_zero():
    assert relu_prime(np.array([0.0]))[0] == 0.0
    layer = nn.ReLU()
    layer.forward(np.array([[-1.0, 0.0, 2.0]]))
    np.testing.assert_array_equal(layer.backward(np.ones((1, 3))), [[0.0, 0.0, 1.0]])


@pytest.mark.parametrize("f_prime, z, expected", [
    (sigmoid_prime, 0.0, 0.25), (tanh_prime, 0.0, 1.0), (relu_prime, 2.0, 1.0)])
def test_activation_derivative_values(f_prime, z, expected):
    assert f_prime(np.array([z]))[0] == pytest.approx(expected)


def test_sequential_params_are_the_layers_own_arrays():
    rng = np.random.default_rng(0)
    model = nn.mlp([2, 3, 1], rng=rng)
    model.params["0.W"][0, 0] = 42.0
    assert model.layers[0].params["W"][0, 0] == 42.0


def test_train_and_eval_reach_every_layer():
    rng = np.random.default_rng(0)
    inner = nn.Sequential(nn.Linear(2, 2, rng=rng), nn.ReLU())
    model = nn.Sequential(inner, nn.Linear(2, 1, rng=rng))
    model.eval()
    assert not any(layer.training for layer in [model, inner, *inner.layers, model[1]])
    model.train()
    assert all(layer.training for layer in [model, inner, *inner.layers, model[1]])


def test_mlp_structure_and_unknown_activation():
    model = nn.mlp([2, 4, 4, 3], "tanh", rng=np.random.default_rng(0))
    assert [type(layer).__name__ for layer in model.layers] == [
        "Linear", "Tanh", "Linear", "Tanh", "Linear"]
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        nn.mlp([2, 3, 1], "swish", rng=np.random.default_rng(0))


@pytest.mark.parametrize("bad, error, message", [
    (np.ones((4, 5)), ValueError, r"expected input of shape \(n, 3\), got \(4, 5\)"),
    (np.ones(3), ValueError, r"2-D array, got shape \(3,\)"),
    (np.array([["a", "b", "c"]]), TypeError, "real numbers"),
    (np.array([[object(), 1, 2]], dtype=object), TypeError, "real numbers"),
    (np.ones((0, 3)), ValueError, "must not be empty"),
])
def test_linear_rejects_bad_input(bad, error, message):
    layer = nn.Linear(3, 2, rng=np.random.default_rng(0))
    with pytest.raises(error, match=message):
        layer.forward(bad)


def test_backward_checks_shape_and_order():
    layer = nn.Linear(3, 2, rng=np.random.default_rng(0))
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.ones((4, 2)))
    layer.forward(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"grad_out of shape \(4, 2\)"):
        layer.backward(np.ones((4, 3)))


def test_linear_needs_a_generator_for_random_init():
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        nn.Linear(3, 2)
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        nn.Linear(3, 2, rng=0)
    zero = nn.Linear(3, 2, init="zeros")
    assert not zero.params["W"].any()


@pytest.mark.parametrize("n_in", [0, -1, 2.5, "3"])
def test_linear_rejects_bad_sizes(n_in):
    with pytest.raises((ValueError, TypeError), match="n_in must be an integer >= 1"):
        nn.Linear(n_in, 2, rng=np.random.default_rng(0))


def test_float32_is_kept():
    layer = nn.Linear(3, 2, rng=np.random.default_rng(0), dtype=np.float32)
    out = layer.forward(np.ones((2, 3), dtype=np.float32))
    assert out.dtype == np.float32
    assert layer.backward(np.ones((2, 2), dtype=np.float32)).dtype == np.float32
