"""Notebook 02, section 5: the package's backward pass for a batch (the reference of exercise 1),
the networks its checker draws, and the payoff: the worked solution trains like the package."""
import numpy as np
import pytest

import lecture_nn as nn
from lecture_nn.activations import relu_prime, sigmoid_prime, tanh_prime
from lecture_nn.lessons.backprop import exercises as ex
from lecture_nn.lessons.backprop.batch import batch_backward, gradient_names, random_batch
from lecture_nn.lessons.backprop.procedure import backprop_dataset, network_from_sequential

CASES = [("tanh", tanh_prime, np.tanh), ("relu", relu_prime, lambda v: np.maximum(v, 0)),
         ("sigmoid", sigmoid_prime, nn.activations.sigmoid)]


def cache_of(model, X):
    """W, a, z of an nn.mlp model on X, in the notes' numbering (a[L] = z[L]: linear output)."""
    network = network_from_sequential(model)
    W = dict(enumerate(network.weights, start=2))
    a, z = {1: X}, {}
    out = X
    for k, layer in enumerate(model.layers):
        out = layer.forward(out)
        l = 2 + k // 2
        if k % 2 == 0:
            z[l] = out
        a[l] = out
    return W, a, z


@pytest.mark.parametrize("name, f_prime, f", CASES, ids=[c[0] for c in CASES])
def test_batch_backward_agrees_with_the_models_backward_and_the_five_steps(name, f_prime, f):
    rng = np.random.default_rng(0)
    model = nn.mlp([4, 6, 5, 3], name, rng=rng)
    X, y = rng.standard_normal((7, 4)), rng.integers(0, 3, 7)
    W, a, z = cache_of(model, X)
    grads = batch_backward(W, a, z, y, f_prime)
    _, dz = nn.softmax_cross_entropy(y, model.forward(X))
    model.backward(dz)
    assert len(grads) == 6
    for k in range(3):
        assert nn.relative_error(grads[2 * k], model.grads[f"{2 * k}.W"]) < 1e-13
        assert nn.relative_error(grads[2 * k + 1], model.grads[f"{2 * k}.b"]) < 1e-13
    literal_dW, literal_db = backprop_dataset(network_from_sequential(model), X, y, "softmax_cross_entropy")
    for k in range(3):
        assert nn.relative_error(grads[2 * k], literal_dW[k]) < 1e-12
        assert nn.relative_error(grads[2 * k + 1], literal_db[k]) < 1e-12


def test_batch_backward_any_depth_and_a_batch_of_one():
    rng = np.random.default_rng(1)
    W, b, a, z, y = random_batch([3, 4], 1, rng)           # no hidden layer: L = 2
    dW, db = batch_backward(W, a, z, y)
    p = nn.softmax(z[2])
    assert np.allclose(dW, a[1].T @ (p - np.eye(4)[y])) and db.shape == (4,)
    W, b, a, z, y = random_batch([2, 3, 3, 3, 2], 5, rng)  # L = 5
    assert [g.shape for g in batch_backward(W, a, z, y)] == [(2, 3), (3,), (3, 3), (3,), (3, 3), (3,), (3, 2), (2,)]


def test_batch_backward_refuses_bad_input():
    W, b, a, z, y = random_batch([3, 4, 2], 5, np.random.default_rng(2))
    with pytest.raises(TypeError, match="W must be a dict"):
        batch_backward([W[2], W[3]], a, z, y)
    with pytest.raises(ValueError, match="W must have the keys 2, 3"):
        batch_backward({1: W[2], 2: W[3]}, a, z, y)
    with pytest.raises(ValueError, match="a must have the keys 1 … 3"):
        batch_backward(W, {2: a[2], 3: a[3]}, z, y)
    with pytest.raises(ValueError, match=r"z\[2\] must have shape \(5, 4\)"):
        batch_backward(W, a, {2: z[2][:, :3], 3: z[3]}, y)
    with pytest.raises(ValueError, match=r"a\[1\] has 3 columns but W\[2\]"):
        batch_backward({2: W[2][:2], 3: W[3]}, a, z, y)
    with pytest.raises(ValueError, match="f_prime must be one of"):
        batch_backward(W, a, z, y, np.tanh)
    with pytest.raises(ValueError, match="y"):
        batch_backward(W, a, z, np.zeros(4, dtype=int))      # one label short: the loss refuses it


def test_gradient_names_and_random_batch():
    assert gradient_names(3) == ("∂ℓ/∂W²", "∂ℓ/∂b²", "∂ℓ/∂W³", "∂ℓ/∂b³")
    W, b, a, z, y = random_batch([5, 3, 4, 2], 6, np.random.default_rng(3))
    assert np.allclose(z[3], a[2] @ W[3] + b[3]) and np.allclose(a[3], np.tanh(z[3]))
    assert a[4] is z[4] and y.shape == (6,) and set(y) <= {0, 1}
    with pytest.raises(ValueError, match="widths"):
        random_batch([5], 2, np.random.default_rng(0))
    with pytest.raises(TypeError, match="rng"):
        random_batch([2, 2], 2, 0)


def test_the_checker_draws_square_then_single_then_odd_networks():
    cases = ex.backward_inputs(np.random.default_rng(0))
    shapes = [(args[1][1].shape, args[0][4].shape) for args, _ in cases]   # (a¹ = X, W⁴)
    assert shapes == [((4, 3), (3, 3)), ((1, 5), (4, 2)), ((9, 7), (2, 6))]
    assert all(args[4] is tanh_prime for args, _ in cases)


def test_the_worked_solution_trains_the_spirals_like_the_package():
    """The payoff of section 5: with the worked solution in place of batch_backward the spiral
    network follows the same path (to rounding)."""
    solution = ex.exercise_1.solution_answer()
    X, y = nn.data.make_spirals(90, rng=np.random.default_rng(0))
    runs = []
    for backward in (batch_backward, solution):
        rng = np.random.default_rng(0)
        W = {l: rng.standard_normal(s) / np.sqrt(s[0]) for l, s in ((2, (2, 8)), (3, (8, 8)), (4, (8, 3)))}
        b = {l: np.zeros(W[l].shape[1]) for l in W}
        for _ in range(30):
            a, z = {1: X}, {}
            for l in (2, 3, 4):
                z[l] = a[l - 1] @ W[l] + b[l]
                a[l] = np.tanh(z[l]) if l < 4 else z[l]
            grads = backward(W, a, z, y, tanh_prime)
            for l, dW, db in zip((2, 3, 4), grads[0::2], grads[1::2]):
                W[l] -= dW
                b[l] -= db
        runs.append(W)
    for l in (2, 3, 4):
        assert nn.relative_error(runs[0][l], runs[1][l]) < 1e-10
