"""Issue 20, entry points: what the public functions now accept and compute, besides what they refuse.

The refused inputs are in the bad-input catalogue (test_bad_input.py); these tests pin the
behaviour of the fixed functions on good input, and the cases that must not warn.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import lecture_nn as nn
from lecture_nn import activations, data, init
from lecture_nn.checks import as_class_labels, as_path, as_shape, flag
from lecture_nn.patches import output_size


def test_l2_penalty_of_huge_weights_is_infinite_without_a_warning():
    params = {"0.W": np.array([[1e300, 0.0]]), "0.b": np.zeros(2)}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, grads = nn.l2_penalty(params, 0.5)
    assert value == np.inf
    np.testing.assert_array_equal(grads["0.W"], params["0.W"])      # 2λW, finite


def test_penalties_accept_any_mapping_and_nested_lists():
    from types import MappingProxyType

    params = MappingProxyType({"0.W": [[1.0, -2.0]], "0.b": [5.0]})
    assert nn.l2_penalty(params, 0.1)[0] == pytest.approx(0.5)
    value, grads = nn.l1_penalty(params, 0.1)
    assert value == pytest.approx(0.3) and set(grads) == {"0.W"}
    np.testing.assert_array_equal(grads["0.W"], [[0.1, -0.1]])


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "identity"])
def test_activation_functions_take_scalars_and_lists(name):
    f, f_prime = activations.activation_functions(name)
    z = [-1.5, 0.0, 2.0]
    np.testing.assert_array_equal(f(z), f(np.array(z)))
    np.testing.assert_array_equal(f_prime(z), f_prime(np.array(z)))
    assert float(f_prime(2.0)) == float(f_prime(np.array([2.0]))[0])   # relu_prime(2.0) was an AttributeError


def test_relu_prime_keeps_float32_and_turns_integers_into_float64():
    assert activations.relu_prime(np.ones(2, np.float32)).dtype == np.float32
    assert activations.relu_prime(np.array([-1, 3])).dtype == np.float64
    np.testing.assert_array_equal(activations.relu_prime(np.array([-1, 0, 3])), [0.0, 0.0, 1.0])


def test_sizes_may_be_zero_dimensional_numpy_integers():
    assert output_size(np.array(14), np.array(4), stride=np.int64(2)) == (6, 6)
    assert nn.MaxPool2D(np.array(2)).size == (2, 2)


def test_class_labels_are_checked_before_the_cast():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"from -100000000000000000000 to 1"):
            as_class_labels(np.array([-1e20, 1.0]), "y", 2, 3)
        labels = as_class_labels(np.array([2.0, 0.0]), "y", 2, 3)
    assert labels.dtype == np.int64 and labels.tolist() == [2, 0]


def test_make_blobs_takes_centres_as_lists_and_ints():
    X, y = data.make_blobs(6, centers=[[0, 0], [5, 5], [-5, 5]], std=0.0, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(X, [[0, 0], [5, 5], [-5, 5]] * 2)
    np.testing.assert_array_equal(y, [0, 1, 2, 0, 1, 2])


def test_initialisers_check_their_sizes_and_keep_their_bits():
    rng_a, rng_b = np.random.default_rng(3), np.random.default_rng(3)
    np.testing.assert_array_equal(init.he([4, 5], rng_a, np.int64(4)),
                                  np.sqrt(2.0 / 4) * rng_b.standard_normal((4, 5)))
    assert init.zeros(3).shape == (3,)
    assert init.constant(2)((2, 2), dtype=np.float32).dtype == np.float32
    with pytest.raises(TypeError, match="dtype must be float32 or float64"):
        init.zeros((2, 2), dtype=int)
    with pytest.raises(TypeError, match="fan_out must be an integer >= 1"):
        init.xavier((2, 2), np.random.default_rng(0), 2, None)


def test_check_helpers():
    assert as_shape(np.array([2, 3]), "s") == (2, 3) and as_shape(4, "s") == (4,)
    assert as_path(__import__("pathlib").Path("/tmp/w.npz")) == "/tmp/w.npz"
    with pytest.raises(TypeError, match="file path"):
        as_path(b"/tmp/w.npz")
    assert flag(np.bool_(True), "images") is True
    with pytest.raises(TypeError, match="True or False"):
        flag(1, "images")


def test_l2_penalty_switched_off_is_zero_even_for_huge_weights():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, grads = nn.l2_penalty({"0.W": np.array([[1e300]])}, 0)
    assert value == 0.0 and grads["0.W"].tolist() == [[0.0]]
