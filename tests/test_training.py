"""SGD (eq. 3), the training loop, prediction helpers, initialisers."""
import numpy as np
import pytest

import lecture_nn as nn
from lecture_nn import init


def small_problem(seed=0):
    rng = np.random.default_rng(seed)
    X, y = nn.data.make_blobs(60, rng=rng)
    return rng, X, y


def test_sgd_step_is_eq3():
    rng = np.random.default_rng(0)
    layer = nn.Linear(2, 1, rng=rng)
    before = {k: v.copy() for k, v in layer.params.items()}
    layer.forward(np.ones((3, 2)))
    layer.backward(np.ones((3, 1)))
    nn.SGD(layer, lr=0.5).step()
    for key in before:
        np.testing.assert_allclose(layer.params[key], before[key] - 0.5 * layer.grads[key])


def test_momentum_accumulates_velocity():
    layer = nn.Linear(1, 1, init="zeros")
    layer.grads = {"W": np.ones((1, 1)), "b": np.ones(1)}
    opt = nn.SGD(layer, lr=1.0, momentum=0.5)
    opt.step()
    opt.step()
    np.testing.assert_allclose(layer.params["W"], [[-(1 + 1.5)]])


def test_penalty_gradient_is_added_by_step():
    layer = nn.Linear(1, 1, init=init.constant(2.0))
    layer.grads = {"W": np.zeros((1, 1)), "b": np.zeros(1)}
    _, extra = nn.l2_penalty(layer.params, 0.25)
    nn.SGD(layer, lr=1.0).step(extra)
    np.testing.assert_allclose(layer.params["W"], [[2.0 - 2 * 0.25 * 2.0]])


@pytest.mark.parametrize("kwargs, message", [
    ({"lr": 0}, "lr"), ({"lr": float("nan")}, "lr"), ({"momentum": 1.0}, "momentum")])
def test_sgd_rejects_bad_settings(kwargs, message):
    layer = nn.Linear(1, 1, init="zeros")
    with pytest.raises(ValueError, match=message):
        nn.SGD(layer, **kwargs)


def test_fit_learns_separable_blobs_and_records_history():
    rng, X, y = small_problem()
    model = nn.mlp([2, 8, 2], rng=rng)
    history = nn.fit(model, X, y, epochs=20, lr=0.1, rng=rng, progress=False, validation=(X, y))
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 20 for v in history.values())
    assert history["loss"][-1] < history["loss"][0]
    assert history["accuracy"][-1] >= 0.95
    assert model.training  # fit gives the model back the mode it had (training, as built)


def test_per_example_sgd_with_hinge():
    rng = np.random.default_rng(1)
    X, y = nn.data.make_blobs(40, rng=rng)
    model = nn.mlp([2, 4, 1], rng=rng)
    history = nn.fit(model, X, nn.data.to_pm1(y), "hinge", epochs=10, batch_size=1, lr=0.05,
                     rng=rng, progress=False)
    assert history["accuracy"][-1] >= 0.95


def test_same_seed_gives_bit_identical_weights():
    def train(seed):
        rng, X, y = small_problem(seed)
        model = nn.mlp([2, 8, 2], rng=rng)
        nn.fit(model, X, y, epochs=5, lr=0.1, momentum=0.9, penalty="l2", lam=1e-3, rng=rng,
               progress=False)
        return model.params

    a, b, c = train(0), train(0), train(1)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not all(np.array_equal(a[k], c[k]) for k in a)


@pytest.mark.parametrize("mutate, error, message", [
    (lambda X, y: (np.where(np.arange(X.size).reshape(X.shape) == 3, np.nan, X), y), ValueError, "NaN"),
    (lambda X, y: (X, y + 5), ValueError, r"0\.\.1"),
    (lambda X, y: (X, y[:-1]), ValueError, "one entry per row"),
    (lambda X, y: (X[:0], y[:0]), ValueError, "empty"),
    (lambda X, y: (X.astype(str), y), TypeError, "real numbers"),
    (lambda X, y: (X, y.astype(str)), TypeError, "numeric labels"),
    (lambda X, y: (X[:, :1], y), ValueError, r"\(n, 2\)"),
])
def test_fit_rejects_bad_data(mutate, error, message):
    rng, X, y = small_problem()
    model = nn.mlp([2, 3, 2], rng=rng)
    before = {k: v.copy() for k, v in model.params.items()}
    Xb, yb = mutate(X, y)
    with pytest.raises(error, match=message):
        nn.fit(model, Xb, yb, epochs=1, rng=rng, progress=False)
    assert all(np.array_equal(before[k], model.params[k]) for k in before)


def test_fit_requires_generator_and_known_penalty():
    rng, X, y = small_problem()
    model = nn.mlp([2, 3, 2], rng=rng)
    with pytest.raises(TypeError, match="Generator"):
        nn.fit(model, X, y, epochs=1, rng=None, progress=False)
    with pytest.raises(ValueError, match="unknown penalty 'l3'"):
        nn.fit(model, X, y, epochs=1, rng=rng, penalty="l3", progress=False)


def test_predict_labels_and_accuracy_conventions():
    model = nn.Sequential(nn.Identity())
    assert list(nn.predict_labels(model, np.array([[0.2, 0.9], [3.0, -1.0]]))) == [1, 0]
    assert list(nn.predict_labels(model, np.array([[-0.5], [0.5]]))) == [-1, 1]
    assert nn.accuracy(model, np.array([[-0.5], [0.5]]), np.array([-1, -1])) == 0.5


@pytest.mark.parametrize("name, expected_var", [
    ("he", 2 / 400), ("xavier", 2 / 600), ("lecun", 1 / 400)])
def test_initialiser_variances(name, expected_var):
    W = init.get_initialiser(name)((400, 200), rng=np.random.default_rng(0), fan_in=400, fan_out=200)
    assert W.var() == pytest.approx(expected_var, rel=0.02)
    assert abs(W.mean()) < 0.01


def test_initialiser_names_and_fixed_ones():
    with pytest.raises(ValueError, match="unknown initialiser 'uniformish'"):
        init.get_initialiser("uniformish")
    assert np.all(init.constant(0.5)((2, 2)) == 0.5)
    W = init.gaussian(0.01)((1000,), rng=np.random.default_rng(0))
    assert W.std() == pytest.approx(0.01, rel=0.1)
