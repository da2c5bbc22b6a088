"""Linear.needs_input_grad = False: the same parameter gradients, no input gradient."""
import numpy as np

from lecture_nn import Linear, mlp, softmax_cross_entropy


def test_skipping_the_input_gradient_keeps_the_parameter_gradients():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 5))
    delta = rng.standard_normal((8, 3))
    full = Linear(5, 3, rng=np.random.default_rng(1))
    lean = Linear(5, 3, rng=np.random.default_rng(1))
    lean.needs_input_grad = False
    full.forward(x)
    lean.forward(x)
    dx = full.backward(delta)
    assert dx.shape == x.shape
    assert lean.backward(delta) is None
    for key in ("W", "b"):
        np.testing.assert_array_equal(lean.grads[key], full.grads[key])


def test_a_network_without_the_data_gradient_trains_the_same():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 6)).astype(np.float32)
    y = rng.integers(0, 4, size=16)
    full = mlp([6, 10, 4], rng=np.random.default_rng(2), dtype=np.float32)
    lean = mlp([6, 10, 4], rng=np.random.default_rng(2), dtype=np.float32)
    lean[0].needs_input_grad = False
    _, dz = softmax_cross_entropy(y, full.forward(x))
    assert full.backward(dz).shape == x.shape
    _, dz = softmax_cross_entropy(y, lean.forward(x))
    assert lean.backward(dz) is None
    for key, grad in full.grads.items():
        np.testing.assert_array_equal(lean.grads[key], grad)
        assert lean.grads[key].dtype == np.float32
