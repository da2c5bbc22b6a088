"""Diagnostics on hand-made networks whose answers are known."""
import numpy as np
import pytest

import lecture_nn as nn
from lecture_nn.lessons.training.diagnostics import (FIRST_LAYER, activation_spread, all_off_fraction,
                                                     backward_trace, by_layer, dead_unit_masks, dead_units,
                                                     deep_network_profile, delta_norms, layer_outputs)
from lecture_nn.layers import parameter_names


def hand_made_relu_net():
    """2 → 3 ReLU → 1. Unit 0 sees x₁ + x₂, unit 1 sees −x₁ − x₂ − 10 (dead on small inputs),
    unit 2 has zero weights and bias 0 (always z = 0: dead, since f'(0) = 0)."""
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(2, 3, rng=rng), nn.ReLU(), nn.Linear(3, 1, rng=rng))
    model[0].params["W"][:] = [[1.0, -1.0, 0.0], [1.0, -1.0, 0.0]]
    model[0].params["b"][:] = [0.0, -10.0, 0.0]
    model[2].params["W"][:] = [[2.0], [3.0], [4.0]]
    model[2].params["b"][:] = [0.5]
    return model


def test_dead_units_on_a_hand_made_network():
    model = hand_made_relu_net()
    X = np.array([[1.0, 2.0], [-1.0, 0.5], [3.0, -1.0]])
    assert dead_units(model, X) == [2]
    # on inputs where unit 0 is off too, all three are dead
    assert dead_units(model, -np.abs(X)) == [3]
    # a big negative input revives unit 1
    assert dead_units(model, np.vstack([X, [[-20.0, -20.0]]])) == [1]


def test_dead_unit_masks_and_all_off_fraction_on_a_hand_made_network():
    model = hand_made_relu_net()
    X = np.array([[1.0, 2.0], [-1.0, -0.5], [3.0, -1.0], [-2.0, 1.0]])   # unit 0 on for rows 0 and 2 only
    [mask] = dead_unit_masks(model, X)
    assert mask.tolist() == [False, True, True] and dead_units(model, X) == [2]
    assert all_off_fraction(model, X) == [0.5]           # rows 1 and 3 reach no live unit
    with pytest.raises(TypeError, match="Sequential"):
        all_off_fraction(model[0], X)


def test_dead_units_counts_each_hidden_layer_and_ignores_the_output():
    rng = np.random.default_rng(1)
    model = nn.mlp([4, 5, 6, 3], "relu", rng=rng, output_activation="sigmoid")
    model[2].params["b"][:] = -100.0  # second hidden layer: every unit dead
    counts = dead_units(model, rng.standard_normal((30, 4)))
    assert len(counts) == 2 and counts[1] == 6 and counts[0] < 5


def test_sigmoid_units_are_never_dead_on_moderate_inputs():
    rng = np.random.default_rng(2)
    model = nn.mlp([3, 4, 2], "sigmoid", rng=rng)
    assert dead_units(model, rng.standard_normal((10, 3))) == [0]


def test_activation_spread_on_a_hand_made_network():
    model = hand_made_relu_net()
    X = np.array([[1.0, 2.0], [0.0, 1.0]])
    # hidden activations: [[3, 0, 0], [1, 0, 0]] → std of these six numbers
    assert activation_spread(model, X) == [pytest.approx(np.std([3, 0, 0, 1, 0, 0]))]


def test_activation_spread_follows_the_weight_scale_in_a_linear_chain():
    rng = np.random.default_rng(3)
    model = nn.mlp([50, 50, 50, 50, 2], "relu", rng=rng)
    X = rng.uniform(1, 2, (20, 50))
    base = activation_spread(model, X)
    for layer in model.layers:
        if isinstance(layer, nn.Linear):
            layer.params["W"] *= 2.0
    # ReLU is positively homogeneous and biases are 0: layer l scales by 2^l
    np.testing.assert_allclose(activation_spread(model, X), [2 * base[0], 4 * base[1],
                                                             8 * base[2]], rtol=1e-12)


def test_delta_norms_on_a_hand_made_network():
    model = hand_made_relu_net()
    X = np.array([[1.0, 2.0]])
    y = np.array([[0.0]])
    # notes' numbering, L = 3: output z³ = 2·3 + 0.5 = 6.5, squared loss → δ³ = 6.5;
    # δ² = [2, 0, 0]·6.5
    assert delta_norms(model, X, y, loss="squared") == [pytest.approx(13.0), pytest.approx(6.5)]
    # the parameter gradients are left in the model: ∂ℓ/∂W² = a¹(δ²)ᵀ = [[13, 0, 0], [26, 0, 0]]
    np.testing.assert_allclose(model.grads["0.W"], [[13, 0, 0], [26, 0, 0]])


def test_backward_trace_follows_eq_4():
    rng = np.random.default_rng(4)
    model = nn.mlp([3, 5, 4, 2], "tanh", rng=rng)
    X, y = rng.standard_normal((6, 3)), rng.integers(0, 2, 6)
    deltas = backward_trace(model, X, y)
    assert [d.shape for d in deltas] == [(6, 5), (6, 4), (6, 2)]
    z = [out for out, layer in zip(layer_outputs(model, X), model.layers)
         if isinstance(layer, nn.Linear)]
    for l in range(2):
        W_next = model.params[f"{2 * (l + 1)}.W"]
        expected = (1 - np.tanh(z[l]) ** 2) * (deltas[l + 1] @ W_next.T)
        np.testing.assert_allclose(deltas[l], expected, rtol=1e-12, atol=1e-15)


def test_vanishing_gradients_with_sigmoid_and_small_weights():
    rng = np.random.default_rng(5)
    model = nn.mlp([20] * 12 + [2], "sigmoid", rng=rng, init=nn.init.gaussian(0.1))
    X, y = rng.standard_normal((16, 20)), rng.integers(0, 2, 16)
    norms = delta_norms(model, X, y)
    assert norms[0] < 1e-6 * norms[-1]
    assert all(a < b for a, b in zip(norms[:-1], norms[1:]))


def test_bad_input():
    with pytest.raises(TypeError, match="Sequential"):
        dead_units(nn.ReLU(), np.ones((2, 2)))
    with pytest.raises(ValueError, match="no Linear"):
        activation_spread(nn.Sequential(nn.ReLU()), np.ones((2, 2)))
    model = hand_made_relu_net()
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        dead_units(model, np.ones((2, 3)))
    with pytest.raises(ValueError, match="2 or 4-D"):
        layer_outputs(model, np.ones(2))
    with pytest.raises(ValueError, match="unknown loss"):
        delta_norms(model, np.ones((1, 2)), np.zeros((1, 1)), loss="cubic")


def test_deep_network_profile_shapes_and_the_scale_rule():
    he = deep_network_profile(13, "relu", scale=np.sqrt(2), width=32, n_examples=64)
    # L = 13: hidden layers 2..12, ‖δ^l‖ for layers 2..13
    assert list(he["spread"]) == list(he["dead"]) == list(range(2, 13))
    assert list(he["delta"]) == list(range(2, 14))
    # He scaling keeps the forward signal within a factor of a few; a small scale makes it vanish
    assert 0.2 < he["spread"][12] / he["spread"][2] < 5
    small = deep_network_profile(13, "relu", scale=0.5, width=32, n_examples=64)
    assert small["spread"][12] < 1e-3 * small["spread"][2]
    # the same seed gives the same numbers
    assert deep_network_profile(13, "relu", scale=np.sqrt(2), width=32, n_examples=64) == he


def test_deep_network_profile_by_initialiser_name_and_bad_scale():
    named = deep_network_profile(5, "tanh", init="xavier", width=8, n_examples=4)
    assert named["dead"] == {2: 0, 3: 0, 4: 0}
    with pytest.raises(ValueError, match="scale"):
        deep_network_profile(5, "tanh", scale=-1.0)
    with pytest.raises(ValueError, match="n_layers"):
        deep_network_profile(2, "tanh")


def test_deep_network_profile_numbers_layers_as_the_notes():
    """The input is layer 1: keys start at layer 2 (the first hidden layer) and end at L (the output)."""
    n_layers, width, n = 5, 6, 8
    profile = deep_network_profile(n_layers, "tanh", scale=1.0, width=width, n_examples=n, seed=3)
    rng = np.random.default_rng(3)
    model = nn.mlp([width] * (n_layers - 1) + [10], "tanh", rng=rng,
                   init=nn.init.gaussian(1.0 / np.sqrt(width)))
    X, y = rng.standard_normal((n, width)), rng.integers(0, 10, n)
    _, output_delta = nn.softmax_cross_entropy(y, model.forward(X))
    assert profile["delta"][n_layers] == pytest.approx(np.linalg.norm(output_delta))   # δ^L
    first_hidden = layer_outputs(model, X)[1]   # a^2 = f(z^2), after the first Linear layer
    assert profile["spread"][FIRST_LAYER] == pytest.approx(np.std(first_hidden))


def test_by_layer_and_parameter_names_follow_the_notes():
    assert by_layer([0.5, 0.25, 0.125]) == {2: 0.5, 3: 0.25, 4: 0.125}
    model = nn.mlp([2, 3, 3, 1], "relu", rng=np.random.default_rng(0))
    assert parameter_names(model) == {"0.W": "W^2", "0.b": "b^2", "2.W": "W^3", "2.b": "b^3",
                                      "4.W": "W^4", "4.b": "b^4"}
    assert set(parameter_names(model)) == set(model.params)
    with pytest.raises(TypeError, match="Sequential"):
        parameter_names(model.layers[0])
    with pytest.raises(ValueError, match="no Linear"):
        parameter_names(nn.Sequential(nn.ReLU()))
