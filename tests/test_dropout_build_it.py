"""Notebook 04's build-it exercise (inverted dropout), its payoff layer, and the co-adaptation measures."""
import copy

import numpy as np
import pytest

import lecture_nn as nn
from lecture_nn.dropout import Dropout
from lecture_nn.lessons.dropout.coadaptation import (hidden_activations, linear_layers, mean_abs_correlation,
                                                     thinned_accuracies)
from lecture_nn.lessons.dropout.exercises import (exercise_1, inverted_dropout_inputs,
                                                  package_inverted_dropout)
from lecture_nn.lessons.dropout.your_dropout import FunctionDropout


# --- exercise 1 ------------------------------------------------------------------------------------

def test_exercise_1_inputs_cover_a_batch_of_one_odd_widths_test_time_and_p_other_than_a_half():
    cases = inverted_dropout_inputs(np.random.default_rng(0))
    shapes = [args[0].shape for args, _ in cases]
    assert (1, 7) in shapes and any(d % 2 == 1 for _, d in shapes)
    assert cases[0][0][2] != 0.5                      # the first case tells p from 1 − p
    assert {args[4] for args, _ in cases} == {True, False}
    for (a, grad_out, p, rng, training), description in cases:
        assert a.shape == grad_out.shape and np.all(a > 0) and isinstance(rng, np.random.Generator)
        assert str(a.shape) in description


def test_package_version_is_inverted_dropout():
    rng = np.random.default_rng(3)
    a, grad = rng.normal(size=(50, 40)), rng.normal(size=(50, 40))
    out, grad_a = package_inverted_dropout(a, grad, 0.25, np.random.default_rng(1))
    mask = np.random.default_rng(1).random(a.shape) < 0.75
    np.testing.assert_array_equal(out, a * (mask / 0.75))
    np.testing.assert_array_equal(grad_a, grad * (mask / 0.75))
    out, grad_a = package_inverted_dropout(a, grad, 0.25, np.random.default_rng(1), training=False)
    np.testing.assert_array_equal(out, a)
    np.testing.assert_array_equal(grad_a, grad)


def test_exercise_1_solution_matches_the_package_bit_for_bit():
    solution = exercise_1.solution_answer()
    for args, _ in inverted_dropout_inputs(np.random.default_rng(5)):
        mine, theirs = solution(*copy.deepcopy(args)), package_inverted_dropout(*copy.deepcopy(args))
        for x, y in zip(mine, theirs):
            np.testing.assert_array_equal(x, y)


def test_exercise_1_names_eight_mistakes_and_refuses_dropout(capsys):
    assert len(exercise_1.mistakes) == 8
    assert Dropout in exercise_1.forbidden

    def inverted_dropout(a, grad_out, p, rng, training=True):
        layer = Dropout(p, rng=rng, mode="inverted")
        return layer.forward(a), layer.backward(grad_out)

    assert exercise_1.check(inverted_dropout) is False
    assert "calls `Dropout`, the package's own version" in capsys.readouterr().out


def test_exercise_1_a_mask_from_another_generator_gets_the_differences(capsys):
    def inverted_dropout(a, grad_out, p, rng, training=True):
        if not training:
            return a, grad_out
        factor = (np.random.default_rng(0).random(a.shape) < 1 - p) / (1 - p)
        return a * factor, grad_out * factor

    assert exercise_1.check(inverted_dropout, rng=np.random.default_rng(2)) is False
    out = capsys.readouterr().out
    assert "compared with the package's arrays: out max difference" in out and "This looks like" not in out


# --- the payoff layer ------------------------------------------------------------------------------

def moons_network(layer_of):
    rng = np.random.default_rng(1)
    return nn.Sequential(nn.Linear(2, 16, rng=rng), nn.ReLU(), layer_of(rng), nn.Linear(16, 2, rng=rng)), rng


def test_function_dropout_trains_the_same_network_as_the_package_layer():
    X, y = nn.data.make_moons(n=60, noise=0.2, rng=np.random.default_rng(0))
    solution = exercise_1.solution_answer()
    theirs, rng_theirs = moons_network(lambda rng: Dropout(0.3, rng=rng, mode="inverted"))
    mine, rng_mine = moons_network(lambda rng: FunctionDropout(solution, 0.3, rng))
    for model, rng in ((theirs, rng_theirs), (mine, rng_mine)):
        nn.fit(model, X, y, epochs=5, batch_size=10, lr=0.1, rng=rng, progress=False)
    for name in theirs.params:
        np.testing.assert_array_equal(mine.params[name], theirs.params[name])
    np.testing.assert_array_equal(nn.predict(mine, X), nn.predict(theirs, X))


def test_function_dropout_passes_the_gradient_check_with_a_fixed_stream():
    rng = np.random.default_rng(4)
    layer = FunctionDropout(package_inverted_dropout, 0.4, rng)
    x = rng.normal(size=(3, 5))
    out = layer.forward(x)
    grad = rng.normal(size=out.shape)
    np.testing.assert_array_equal(layer.backward(grad), np.where(out != 0, grad / 0.6, 0.0))
    assert "package_inverted_dropout" in repr(layer) and "0.4" in repr(layer)
    np.testing.assert_array_equal(layer.eval().forward(x), x)


def test_function_dropout_bad_input():
    rng = np.random.default_rng(0)
    with pytest.raises(TypeError, match="function must be callable"):
        FunctionDropout("inverted_dropout", 0.5, rng)
    with pytest.raises(ValueError, match="p"):
        FunctionDropout(package_inverted_dropout, 1.0, rng)
    with pytest.raises(TypeError, match="rng"):
        FunctionDropout(package_inverted_dropout, 0.5, None)
    layer = FunctionDropout(package_inverted_dropout, 0.5, rng)
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.ones((2, 3)))
    layer.forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match="grad_out of shape"):
        layer.backward(np.ones((2, 4)))


# --- co-adaptation measures ------------------------------------------------------------------------

def small_params(seed=0, sizes=(6, 5, 4, 3)):
    model = nn.mlp(list(sizes), "relu", rng=np.random.default_rng(seed), dropout=0.5)
    return model, {name: value.copy() for name, value in model.params.items()}


def test_hidden_activations_are_the_test_time_activations_of_the_mlp():
    model, params = small_params()
    X = np.random.default_rng(1).normal(size=(7, 6))
    hidden = hidden_activations(params, X, keep=0.5)
    assert [h.shape for h in hidden] == [(7, 5), (7, 4)]
    model.eval()
    # the classic network's test-time output of the first hidden block: ReLU, then the factor 1 − p
    np.testing.assert_allclose(hidden[0], model[2].forward(model[1].forward(model[0].forward(X))))
    (W4, b4) = linear_layers(params)[-1]
    np.testing.assert_allclose(hidden[1] @ W4 + b4, model.forward(X))


def test_thinned_accuracies_keep_everything_when_nothing_is_removed_and_reuse_masks():
    model, params = small_params()
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(40, 6)), rng.integers(0, 3, 40)
    full = np.mean(nn.predict(model, X).argmax(1) == y)
    np.testing.assert_array_equal(thinned_accuracies(params, X, y, 0.5, 3, rng, removed=0.0), [full] * 3)
    a = thinned_accuracies(params, X, y, 0.5, 10, np.random.default_rng(7))
    b = thinned_accuracies(params, X, y, 0.5, 10, np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)
    assert a.shape == (10,) and np.all((0 <= a) & (a <= 1))


def test_thinned_network_is_the_dropout_network_with_a_fixed_mask():
    # removing half of a classic-dropout network's units and doubling the kept ones' test-time outputs
    # is its training-mode forward pass with that mask
    model, params = small_params(3, sizes=(4, 6, 3))
    rng = np.random.default_rng(4)
    X = rng.normal(size=(30, 4))
    mask = (np.random.default_rng(9).random(6) >= 0.5).astype(float)
    model.train()
    model[2].fix_mask(mask)
    labels = model.forward(X).argmax(1)
    assert thinned_accuracies(params, X, labels, 0.5, 1, np.random.default_rng(9))[0] == 1.0


def test_mean_abs_correlation():
    t = np.linspace(0, 1, 50)
    assert mean_abs_correlation(np.column_stack([t, -2 * t, 3 * t + 1])) == pytest.approx(1.0)
    rng = np.random.default_rng(0)
    assert mean_abs_correlation(rng.normal(size=(5000, 3))) < 0.05
    # a unit that never varies (a dead ReLU) is left out
    assert mean_abs_correlation(np.column_stack([t, 2 * t, np.zeros(50)])) == pytest.approx(1.0)


def test_coadaptation_bad_input():
    _, params = small_params()
    X, y = np.zeros((4, 6)), np.zeros(4, dtype=int)
    with pytest.raises(TypeError, match="params"):
        hidden_activations([], X)
    with pytest.raises(ValueError, match="params: expected a W and a b"):
        hidden_activations({"0.W": params["0.W"]}, X)
    with pytest.raises(ValueError, match="keep"):
        hidden_activations(params, X, keep=0.0)
    with pytest.raises(ValueError, match="X"):
        hidden_activations(params, np.zeros(6))
    with pytest.raises(ValueError, match="y must hold one class label per row"):
        thinned_accuracies(params, X, np.zeros(3, dtype=int), 0.5, 2, np.random.default_rng(0))
    with pytest.raises(TypeError, match="n_masks"):
        thinned_accuracies(params, X, y, 0.5, 2.5, np.random.default_rng(0))
    with pytest.raises(ValueError, match="removed"):
        thinned_accuracies(params, X, y, 0.5, 2, np.random.default_rng(0), removed=1.0)
    with pytest.raises(TypeError, match="rng"):
        thinned_accuracies(params, X, y, 0.5, 2, 0)
    with pytest.raises(ValueError, match="fewer than two units vary"):
        mean_abs_correlation(np.zeros((5, 3)))
