"""Dropout: gradients with a fixed mask, the test-time rule, dropped units, both forms, bad input."""
import numpy as np
import pytest

import lecture_nn as nn
from lecture_nn.dropout import (Dropout, all_masks, halve_outgoing_weights,
                                mask_ensemble_average, to_inverted)
from lecture_nn.gradcheck import check_layer_gradients, check_model_gradients

TOL = 1e-7


def dropout_net(rng, p=0.5, mode="classic", n_in=3, hidden=6, n_out=4):
    return nn.Sequential(nn.Linear(n_in, hidden, rng=rng), nn.Tanh(),
                         Dropout(p, rng=rng, mode=mode), nn.Linear(hidden, n_out, rng=rng))


@pytest.mark.parametrize("mode", ["classic", "inverted"])
@pytest.mark.parametrize("training", [True, False])
def test_dropout_gradient_with_fixed_mask(mode, training):
    rng = np.random.default_rng(0)
    layer = Dropout(0.3, rng=rng, mode=mode).train(training)
    x = rng.standard_normal((5, 7))
    layer.forward(x)
    if training:
        layer.fix_mask()
    errors = check_layer_gradients(layer, x, rng=rng)
    assert errors["input"] <= TOL
    if training:
        assert 0 < layer.mask.sum() < layer.mask.size  # the check saw both kept and dropped units


@pytest.mark.parametrize("mode", ["classic", "inverted"])
def test_model_with_dropout_gradients_with_fixed_mask(mode):
    rng = np.random.default_rng(1)
    model = dropout_net(rng, mode=mode)
    X, y = rng.standard_normal((8, 3)), rng.integers(0, 4, 8)
    model.forward(X)
    model[2].fix_mask()
    errors = check_model_gradients(model, "softmax_cross_entropy", X, y)
    assert max(errors.values()) <= TOL, errors


def test_without_fixed_mask_every_forward_draws_a_new_mask():
    layer = Dropout(0.5, rng=np.random.default_rng(2))
    x = np.ones((50, 20))
    first, second = layer.forward(x).copy(), layer.forward(x)
    assert not np.array_equal(first, second)
    # a fresh mask per example: rows differ from each other
    assert len({tuple(row) for row in first}) > 45


def test_same_seed_gives_the_same_masks():
    x = np.ones((10, 8))
    a = Dropout(0.5, rng=np.random.default_rng(3)).forward(x)
    b = Dropout(0.5, rng=np.random.default_rng(3)).forward(x)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_fraction_dropped_is_p(p):
    layer = Dropout(p, rng=np.random.default_rng(4))
    out = layer.forward(np.ones((400, 100)))
    assert abs(np.mean(out == 0) - p) < 0.01


def test_classic_form_values_in_training_and_at_test_time():
    rng = np.random.default_rng(5)
    layer = Dropout(0.5, rng=rng)
    x = rng.uniform(1, 2, (4, 6))
    out = layer.forward(x)
    np.testing.assert_array_equal(out[layer.mask == 1], x[layer.mask == 1])
    np.testing.assert_array_equal(out[layer.mask == 0], 0)
    np.testing.assert_allclose(layer.eval().forward(x), 0.5 * x, rtol=0, atol=0)


def test_inverted_form_values_in_training_and_at_test_time():
    rng = np.random.default_rng(6)
    layer = Dropout(0.25, rng=rng, mode="inverted")
    x = rng.uniform(1, 2, (4, 6))
    out = layer.forward(x)
    np.testing.assert_allclose(out[layer.mask == 1], x[layer.mask == 1] / 0.75)
    np.testing.assert_array_equal(out[layer.mask == 0], 0)
    np.testing.assert_array_equal(layer.eval().forward(x), x)


def test_dropped_units_get_no_update_for_that_example():
    rng = np.random.default_rng(7)
    model = nn.Sequential(nn.Linear(3, 8, rng=rng), nn.ReLU(), Dropout(0.5, rng=rng),
                          nn.Linear(8, 2, rng=rng))
    model.params["0.b"][:] = 5.0  # every hidden unit active, so only dropout zeroes gradients
    x = rng.uniform(0.5, 1.0, (1, 3))
    _, dz = nn.softmax_cross_entropy(np.array([1]), model.forward(x))
    model.backward(dz)
    dropped = model[2].mask[0] == 0
    assert dropped.any() and (~dropped).any()
    grads = model.grads
    # incoming weights and bias of dropped units, outgoing weights from them: all zero
    assert np.all(grads["0.W"][:, dropped] == 0) and np.all(grads["0.b"][dropped] == 0)
    assert np.all(grads["3.W"][dropped, :] == 0)
    # kept units do learn
    assert np.all(grads["0.W"][:, ~dropped] != 0) and np.all(grads["3.W"][~dropped, :] != 0)


def test_linear_layer_expectation_over_masks_is_the_halved_network():
    rng = np.random.default_rng(8)
    model = nn.Sequential(Dropout(0.5, rng=rng), nn.Linear(6, 3, rng=rng))
    model.params["1.b"][:] = rng.standard_normal(3)
    X = rng.standard_normal((5, 6))
    ensemble = mask_ensemble_average(model, X, dropout_index=0)
    halved = halve_outgoing_weights(model).forward(X)
    np.testing.assert_allclose(ensemble, halved, rtol=0, atol=1e-12)
    np.testing.assert_allclose(nn.predict(model, X), halved, rtol=0, atol=1e-12)


@pytest.mark.parametrize("p", [0.2, 0.7])
def test_expectation_property_for_other_p(p):
    rng = np.random.default_rng(9)
    model = nn.Sequential(nn.Linear(2, 5, rng=rng), nn.ReLU(), Dropout(p, rng=rng),
                          nn.Linear(5, 2, rng=rng))
    X = rng.standard_normal((4, 2))
    ensemble = mask_ensemble_average(model, X, dropout_index=2)
    np.testing.assert_allclose(ensemble, nn.predict(model, X), rtol=0, atol=1e-12)
    assert model.training  # the mode is restored


def test_nonlinear_network_ensemble_differs_from_halved_network():
    rng = np.random.default_rng(10)
    model = nn.Sequential(nn.Linear(2, 6, rng=rng), nn.ReLU(), Dropout(0.5, rng=rng),
                          nn.Linear(6, 6, rng=rng), nn.Tanh(), nn.Linear(6, 1, rng=rng))
    X = rng.standard_normal((20, 2))
    gap = np.abs(mask_ensemble_average(model, X, 2) - nn.predict(model, X))
    assert gap.max() > 1e-3  # after a nonlinearity the rule is only an approximation


def test_monte_carlo_average_approaches_the_test_time_output():
    rng = np.random.default_rng(11)
    for mode in ("classic", "inverted"):
        layer = Dropout(0.5, rng=rng, mode=mode)
        x = np.tile(rng.uniform(1, 2, (1, 5)), (20000, 1))
        mean = layer.forward(x).mean(axis=0)
        np.testing.assert_allclose(mean, layer.eval().forward(x[:1])[0], rtol=0.03)


def test_halved_and_inverted_networks_equal_the_classic_one():
    rng = np.random.default_rng(12)
    model = dropout_net(rng)
    X = rng.standard_normal((7, 3))
    halved = halve_outgoing_weights(model)
    assert not any(isinstance(layer, Dropout) for layer in halved.layers)
    inverted = to_inverted(model)  # copies the generator state: the same masks follow
    np.testing.assert_allclose(inverted.forward(X), model.forward(X), rtol=1e-12, atol=1e-12)
    assert inverted[2].mode == "inverted" and model[2].mode == "classic"
    for net in (halved, inverted):
        np.testing.assert_allclose(nn.predict(net, X), nn.predict(model, X), rtol=1e-12,
                                   atol=1e-12)
    # the input model is untouched
    assert model[3].params["W"] is not inverted[3].params["W"]


def test_all_masks_enumerates_every_mask_once():
    masks = all_masks(4)
    assert masks.shape == (16, 4)
    assert len({tuple(m) for m in masks}) == 16
    assert set(np.unique(masks)) == {0.0, 1.0}


def test_fixed_mask_for_one_example_broadcasts_and_release_restores_randomness():
    layer = Dropout(0.5, rng=np.random.default_rng(13))
    layer.fix_mask([1, 0, 1])
    out = layer.forward(np.ones((4, 3)))
    np.testing.assert_array_equal(out, np.tile([1.0, 0.0, 1.0], (4, 1)))
    layer.release_mask()
    outs = layer.forward(np.ones((200, 3)))
    assert len({tuple(row) for row in outs}) > 1


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(p=1.0), ValueError, "[0, 1)"),
    (dict(p=-0.1), ValueError, "[0, 1)"),
    (dict(p="half"), TypeError, "number"),
    (dict(p=0.5, mode="scaled"), ValueError, "classic"),
])
def test_bad_constructor_arguments(kwargs, error, words):
    with pytest.raises(error, match=words.replace("[", r"\[").replace(")", r"\)")):
        Dropout(rng=np.random.default_rng(0), **kwargs)


def test_rng_is_required():
    with pytest.raises(TypeError, match="Generator"):
        Dropout(0.5)


def test_bad_masks_and_calls():
    layer = Dropout(0.5, rng=np.random.default_rng(0))
    with pytest.raises(RuntimeError, match="no mask"):
        layer.fix_mask()
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.ones((2, 3)))
    with pytest.raises(ValueError, match="only 0"):
        layer.fix_mask([0, 2, 1])
    layer.fix_mask([0, 1])
    with pytest.raises(ValueError, match=r"expected the input's shape \(2, 3\)"):
        layer.forward(np.ones((2, 3)))
    layer.release_mask()
    with pytest.raises(ValueError, match=r"batch of shape \(n, ...\)"):
        layer.forward(np.ones(3))
    layer.forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"grad_out of shape \(2, 3\)"):
        layer.backward(np.ones((3, 2)))
    with pytest.raises(TypeError, match="real numbers"):
        layer.forward(np.array([["a", "b"]]))


def test_helpers_reject_models_they_cannot_fold():
    rng = np.random.default_rng(0)
    with pytest.raises(TypeError, match="Sequential"):
        halve_outgoing_weights(Dropout(0.5, rng=rng))
    ends_in_dropout = nn.Sequential(nn.Linear(2, 3, rng=rng), Dropout(0.5, rng=rng))
    with pytest.raises(ValueError, match="followed by a Linear"):
        halve_outgoing_weights(ends_in_dropout)
    inverted = dropout_net(rng, mode="inverted")
    with pytest.raises(ValueError, match="classic"):
        halve_outgoing_weights(inverted)
    with pytest.raises(ValueError, match="already inverted"):
        to_inverted(inverted)
    with pytest.raises(ValueError, match="not a Dropout"):
        mask_ensemble_average(inverted, np.ones((1, 3)), dropout_index=1)
    with pytest.raises(ValueError, match="too many"):
        all_masks(21)


# --- notebook 04's experiment: wrong labels, validation split, early-stopping epoch ---------------
from lecture_nn.lessons.dropout.experiment import (N_TRAIN, N_VALIDATION, corrupt_labels, digit_split,
                                                   dropout_run)


def test_corrupt_labels_changes_exactly_the_chosen_fraction_to_other_classes():
    y = np.arange(200) % 10
    noisy, flipped = corrupt_labels(y, 0.2, np.random.default_rng(0))
    assert flipped.sum() == 40
    assert np.all(noisy[flipped] != y[flipped]) and np.array_equal(noisy[~flipped], y[~flipped])
    assert set(np.unique(noisy)) <= set(range(10))
    again, _ = corrupt_labels(y, 0.2, np.random.default_rng(0))
    np.testing.assert_array_equal(noisy, again)
    untouched, none = corrupt_labels(y, 0.0, np.random.default_rng(0))
    assert not none.any() and np.array_equal(untouched, y)
    with pytest.raises(ValueError, match="fraction"):
        corrupt_labels(y, 1.5, np.random.default_rng(0))


def test_digit_split_keeps_validation_and_test_apart_from_training():
    split = digit_split(0.2)
    data = nn.data.load_mnist_subset()
    assert len(split.X_train) == N_TRAIN and len(split.X_val) == N_VALIDATION
    np.testing.assert_array_equal(split.X_val, data.X_train[N_TRAIN:N_TRAIN + N_VALIDATION])
    np.testing.assert_array_equal(split.y_val, data.y_train[N_TRAIN:N_TRAIN + N_VALIDATION])
    np.testing.assert_array_equal(split.X_test, data.X_test)
    assert split.flipped.sum() == round(0.2 * N_TRAIN)
    np.testing.assert_array_equal(split.y_train_true, data.y_train[:N_TRAIN])


def test_dropout_run_epoch_by_epoch_is_one_fit_and_keeps_the_best_epoch():
    run = dropout_run(0.0, seed=3, epochs=4)
    # the same training as one call of fit: momentum and the generator carry over the epochs
    split = digit_split()
    rng = np.random.default_rng(3)
    model = nn.mlp([784, 128, 128, 10], "relu", rng=rng)
    history = nn.fit(model, split.X_train, split.y_train, epochs=4, batch_size=50, lr=0.05, momentum=0.9,
                     rng=rng, progress=False, validation=(split.X_val, split.y_val))
    np.testing.assert_allclose(run.history["val_loss"], history["val_loss"], rtol=1e-12)
    assert run.test_accuracy == pytest.approx(nn.accuracy(model, split.X_test, split.y_test))
    assert run.best_epoch == int(np.argmin(history["val_loss"])) + 1
    one = dropout_run(0.0, seed=3, epochs=1)
    assert one.best_epoch == 1 and one.test_accuracy_at_best == one.test_accuracy
    assert 0.1 <= one.test_confidence <= 1.0
    assert dropout_run(0.0, 3, 0.2, 4) is run   # one cache entry however the arguments are spelt


# --- issue 20: nothing batch-sized stays after clear_cache() or eval() --------------------

def _arrays_with_batch_axis(obj, n: int, seen=None) -> list[str]:
    """Names of the arrays reachable from ``obj``'s attributes whose first axis has length ``n``."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return []
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        return ["array"] if obj.ndim >= 1 and obj.shape[0] == n else []
    if isinstance(obj, dict):
        items = obj.items()
    elif isinstance(obj, (list, tuple)):
        items = enumerate(obj)
    elif hasattr(obj, "__dict__") and not isinstance(obj, (type, np.random.Generator)):
        items = vars(obj).items()
    else:
        return []
    return [f"{key}.{inner}" for key, value in items for inner in _arrays_with_batch_axis(value, n, seen)]


@pytest.mark.parametrize("mode", ["classic", "inverted"])
@pytest.mark.parametrize("forget", ["clear_cache", "eval"])
def test_clear_cache_and_eval_drop_the_mask_and_the_cache(mode, forget):
    rng = np.random.default_rng(20)
    n = 37                                               # a batch size no other axis has
    layer = Dropout(0.5, rng=rng, mode=mode)
    model = nn.Sequential(nn.Linear(4, 6, rng=rng), layer, nn.Linear(6, 2, rng=rng))
    model.forward(rng.standard_normal((n, 4)))
    assert _arrays_with_batch_axis(layer, n), "the training pass keeps its mask for backward"
    getattr(model, forget)()                             # through the container, as predict does
    assert _arrays_with_batch_axis(layer, n) == []
    assert layer.mask is None
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.ones((n, 6)))


def test_fixed_masks_survive_clear_cache_and_eval():
    rng = np.random.default_rng(21)
    x = rng.standard_normal((5, 4))
    per_example = Dropout(0.5, rng=rng).fix_mask([1, 0, 1, 1])
    per_example.forward(x)
    frozen = Dropout(0.5, rng=rng)
    frozen.forward(x)
    frozen.fix_mask()                                    # the latest mask, batch-sized, kept on purpose
    wanted = frozen.mask.copy()
    for layer in (per_example, frozen):
        layer.clear_cache()
        layer.eval().train()
    np.testing.assert_array_equal(per_example.forward(x), x * [1, 0, 1, 1])
    np.testing.assert_array_equal(frozen.forward(x), x * wanted)


def test_evaluation_forward_and_backward_still_work_after_eval():
    layer = Dropout(0.25, rng=np.random.default_rng(22))
    x = np.ones((3, 2))
    layer.forward(x)
    layer.eval()
    np.testing.assert_array_equal(layer.forward(x), 0.75 * x)
    np.testing.assert_array_equal(layer.backward(np.ones((3, 2))), 0.75 * x)
