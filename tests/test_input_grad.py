"""backward(..., input_grad=False): the same parameter gradients, no gradient for the data,
at the first layer of any container (Sequential, Residual, nested)."""
import numpy as np
import pytest

import lecture_nn as nn
from lecture_nn import Linear, mlp, softmax_cross_entropy


def test_linear_skips_only_the_input_gradient():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 5))
    delta = rng.standard_normal((8, 3))
    full = Linear(5, 3, rng=np.random.default_rng(1))
    lean = Linear(5, 3, rng=np.random.default_rng(1))
    full.forward(x)
    lean.forward(x)
    assert full.backward(delta).shape == x.shape
    assert lean.backward(delta, input_grad=False) is None
    for key in ("W", "b"):
        np.testing.assert_array_equal(lean.grads[key], full.grads[key])


def _models(seed=2):
    """Containers whose first part is itself a container, so input_grad must travel inward."""
    def build():
        rng = np.random.default_rng(seed)
        return nn.Sequential(
            nn.Residual(nn.Sequential(Linear(6, 6, rng=rng), nn.Tanh(), Linear(6, 6, rng=rng))),
            nn.ReLU(),
            nn.Sequential(Linear(6, 10, rng=rng), nn.Tanh()),
            nn.Residual(nn.Sequential(nn.ReLU(), Linear(10, 4, rng=rng)), projection=Linear(10, 4, rng=rng)),
        )
    return build(), build()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_nested_containers_give_the_same_parameter_gradients(dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 6)).astype(dtype)
    y = rng.integers(0, 4, size=16)
    full, lean = _models()
    _, dz = softmax_cross_entropy(y, full.forward(x))
    assert full.backward(dz).shape == x.shape
    _, dz = softmax_cross_entropy(y, lean.forward(x))
    assert lean.backward(dz, input_grad=False) is None
    assert set(full.grads) == set(lean.grads)
    for key, grad in full.grads.items():
        np.testing.assert_array_equal(lean.grads[key], grad)


def test_the_flag_reaches_only_the_first_layer():
    """Asking for no data gradient must not cut the gradient flow to earlier layers
    (before the fix, a layer told to skip it sent None down the network)."""
    x = np.random.default_rng(3).standard_normal((4, 6))
    model, _ = _models()
    model.backward(np.ones(model.forward(x).shape), input_grad=False)
    first_weight = model.grads["0.block.0.W"]
    assert np.all(np.isfinite(first_weight)) and np.any(first_weight != 0)


def test_training_skips_the_data_gradient_and_trains_the_same():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 6)).astype(np.float32)
    y = rng.integers(0, 4, size=40)
    by_fit = mlp([6, 10, 4], rng=np.random.default_rng(2), dtype=np.float32)
    nn.fit(by_fit, X, y, epochs=2, batch_size=8, lr=0.1, rng=np.random.default_rng(5), progress=False)
    by_hand = mlp([6, 10, 4], rng=np.random.default_rng(2), dtype=np.float32)
    order_rng, opt = np.random.default_rng(5), nn.SGD(by_hand, lr=0.1)
    for _ in range(2):
        order = order_rng.permutation(40)
        for start in range(0, 40, 8):
            idx = order[start:start + 8]
            _, dz = softmax_cross_entropy(y[idx], by_hand.forward(X[idx]))
            assert by_hand.backward(dz).shape == (8, 6)     # with the data gradient
            opt.step()
    for key, value in by_fit.params.items():
        np.testing.assert_array_equal(value, by_hand.params[key])
        assert value.dtype == np.float32
