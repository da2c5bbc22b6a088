"""Package parts of notebook 02: the literal five-step backprop, path counting, the output layer,
exercises, widget."""
import matplotlib.pyplot as plt
import numpy as np
import pytest

import lecture_nn as nn
from lecture_nn.lessons.backprop.procedure import (Network, backprop_dataset, backprop_example,
                                 network_from_sequential)
from lecture_nn.lessons.backprop import exercises as ex
from lecture_nn.lessons.backprop.paths import (backprop_cost, count_paths, naive_chain_rule_cost,
                              sum_over_paths_gradient)


def _problem(activation, loss, seed=0):
    rng = np.random.default_rng(seed)
    model = nn.mlp([4, 5, 3, 3], activation, rng=rng)
    X = rng.standard_normal((6, 4))
    y = rng.integers(0, 3, 6) if loss == "softmax_cross_entropy" else rng.standard_normal((6, 3))
    return model, X, y


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("loss", ["squared", "softmax_cross_entropy"])
def test_five_steps_agree_with_batch_layers(activation, loss):
    model, X, y = _problem(activation, loss)
    dW, db = backprop_dataset(network_from_sequential(model), X, y, loss)
    _, dz = nn.get_loss(loss)(y, model.forward(X))
    model.backward(dz)
    for k in range(3):
        assert nn.relative_error(dW[k], model.grads[f"{2 * k}.W"]) < 1e-12
        assert nn.relative_error(db[k], model.grads[f"{2 * k}.b"]) < 1e-12


def test_five_steps_agree_with_finite_differences():
    model, X, y = _problem("tanh", "squared", seed=1)
    network = network_from_sequential(model)
    trace = backprop_example(network, X[0], y[0], "squared")
    for k, W in enumerate(network.weights):
        numeric = nn.numerical_gradient(lambda: backprop_example(network, X[0], y[0]).loss, W)
        assert nn.relative_error(trace.dW[k + 2], numeric) < 1e-7


def test_trace_shapes_are_column_vectors_and_eq4_holds():
    model, X, y = _problem("relu", "squared", seed=2)
    network = network_from_sequential(model)
    t = backprop_example(network, X[1], y[1])
    assert t.a[1].shape == (4, 1) and t.z[2].shape == (5, 1) and t.delta[3].shape == (3, 1)
    assert t.dW[2].shape == (4, 5) and t.db[4].shape == (3, 1)
    # eq. (4): δ² = Diag[f'(z²)] W³ δ³, and δ^L = a^L − y for the squared loss with linear output
    assert np.allclose(t.delta[2], (t.z[2] > 0) * (network.weights[1] @ t.delta[3]))
    assert np.allclose(t.delta[4], t.a[4] - y[1].reshape(-1, 1))


def test_hinge_loss_per_example_matches_batch():
    rng = np.random.default_rng(3)
    model = nn.mlp([3, 4, 1], "relu", rng=rng)
    X, y = rng.standard_normal((5, 3)), np.array([1.0, -1, 1, -1, 1])
    dW, _ = backprop_dataset(network_from_sequential(model), X, y, "hinge")
    _, dz = nn.hinge(y, model.forward(X))
    model.backward(dz)
    assert nn.relative_error(dW[0], model.grads["0.W"]) < 1e-12


def test_network_from_sequential_errors_and_names():
    net = network_from_sequential(nn.mlp([2, 3, 1], "sigmoid", rng=np.random.default_rng(0)))
    assert net.activations == ["sigmoid", "identity"] and net.widths == [2, 3, 1]
    with pytest.raises(TypeError, match="Sequential"):
        network_from_sequential(nn.Linear(2, 2, rng=np.random.default_rng(0)))
    with pytest.raises(ValueError, match="Linear"):
        network_from_sequential(nn.Sequential(nn.ReLU()))
    with pytest.raises(ValueError, match="x must have shape"):
        backprop_example(net, np.zeros(3), np.zeros(1))


def test_path_counts_and_costs():
    assert count_paths([2, 3, 4]) == 24
    # [2, 3, 1]: layer 2 weights 6 × 1 path × 4 factors, layer 3 weights 3 × 2 factors
    assert naive_chain_rule_cost([2, 3, 1]) == 6 * 1 * 4 + 3 * 1 * 2
    assert backprop_cost([2, 3, 1]) == 1 + (3 * 1 + 3) + (6 + 3)
    deep = [[10] * depth + [1] for depth in range(2, 8)]
    naive, backprop = [naive_chain_rule_cost(w) for w in deep], [backprop_cost(w) for w in deep]
    assert all(b2 - b1 == backprop[1] - backprop[0] for b1, b2 in zip(backprop, backprop[1:]))
    assert naive[-1] / naive[-2] > 9
    with pytest.raises(ValueError, match="at least"):
        count_paths([3])


def test_sum_over_paths_equals_backprop():
    rng = np.random.default_rng(4)
    network = network_from_sequential(nn.mlp([2, 3, 3, 2], "tanh", rng=rng))
    x, y = rng.standard_normal(2), rng.standard_normal(2)
    by_paths = sum_over_paths_gradient(network, x, y)
    trace = backprop_example(network, x, y)
    for k, g in enumerate(by_paths):
        assert nn.relative_error(g, trace.dW[k + 2]) < 1e-12
    big = Network([np.zeros((50, 50))] * 3, [np.zeros(50)] * 3, ["relu"] * 3)
    with pytest.raises(ValueError, match="too many"):
        sum_over_paths_gradient(big, np.zeros(50), np.zeros(50))


def test_reasoning_exercises_accept_the_answer_in_its_forms(capsys):
    assert ex.exercise_2.check((64, (784 * 128 + 128 * 64 + 64 * 10) / (784 * 128 + 128 * 10)))
    assert ex.exercise_2.check((64.0, 1.074))                      # three digits are enough
    assert not ex.exercise_2.check((64, 1.08))
    assert not ex.exercise_2.check((784 * 128 * 10, 784 * 128 * 64 * 10))   # the counts, not the factors
    for right in ("ABD", "a, b, d", ["A", "B", "D"], ("D", "B", "A"), {"a", "b", "d"}):
        assert ex.exercise_3.check(right), right
    for wrong in ("AB", "ABCD", "ABDF", ["A", "D"]):
        assert not ex.exercise_3.check(wrong), wrong
    out = capsys.readouterr().out
    assert "Traceback" not in out


def test_chosen_letters_reads_letters_and_refuses_the_rest():
    assert ex.chosen_letters("b d") == {"B", "D"}
    assert ex.chosen_letters(["ab", "D"]) == {"A", "B", "D"}
    with pytest.raises(ValueError, match="G is not one of them"):
        ex.chosen_letters("AG")
    with pytest.raises(ValueError, match="at least one letter"):
        ex.chosen_letters("  ")
    for bad in (3, None, ["A", 1], np.array(["A"])):
        with pytest.raises(TypeError, match="answer with the letters"):
            ex.chosen_letters(bad)


def test_softmax_jacobian_and_the_output_error():
    from lecture_nn.lessons.backprop.output_layer import output_error_by_chain_rule, softmax_jacobian
    rng = np.random.default_rng(5)
    z, label = rng.standard_normal(4), 2
    y = np.eye(4)[label]
    J = softmax_jacobian(z)
    numeric = np.stack([nn.numerical_gradient(lambda: float(nn.softmax(z[None])[0, k]), z)
                        for k in range(4)])           # row k: ∂p_k/∂z
    assert nn.relative_error(J, numeric) < 1e-8
    assert not np.allclose(J, np.diag(np.diag(J)))    # not diagonal
    p = nn.softmax(z[None])[0]
    _, dz = nn.softmax_cross_entropy(np.array([label]), z[None])
    assert nn.relative_error(output_error_by_chain_rule(z, y), p - y) < 1e-13
    assert nn.relative_error(dz[0], p - y) < 1e-13
    # dropping the off-diagonal terms keeps only the true class's entry
    diagonal = output_error_by_chain_rule(z, y, diagonal_only=True)
    assert np.isclose(diagonal[label], p[label] - 1) and np.all(np.delete(diagonal, label) == 0)


def test_backprop_stepper_shows_the_chosen_layer():
    from lecture_nn.lessons.backprop.widgets import backprop_stepper
    explorer = backprop_stepper()
    assert explorer.state["dW"].shape == (3, 2)
    first_figure = explorer.figure
    explorer.controls["layer"].value = 2
    assert explorer.state["dW"].shape == (3, 4) and explorer.state["delta"].shape == (4, 1)
    assert "δ^2 shape (4, 1)" in explorer.text
    assert explorer.figure is not first_figure
    before = explorer.state["z"].copy()
    explorer.controls["example"].value = 3
    assert not np.allclose(explorer.state["z"], before)
    plt.close("all")


def test_describe_agreement_states_a_fixed_bound():
    from lecture_nn.gradcheck import describe_check as describe_agreement, describe_difference
    assert describe_agreement({"W": 2e-16, "b": 0.0}, bound=1e-13) == "worst relative error < 1e-13 (passed)"
    assert describe_agreement(3e-10, bound=1e-8) == "worst relative error < 1e-08 (passed)"
    assert describe_agreement({"W": 1e-12}, bound=1e-13) == "worst relative error ≥ 1e-13 (FAILED)"
    assert "FAILED" in describe_agreement({"W": float("nan")})
    a = np.array([1.0, 2.0])
    assert describe_difference(a, a + 1e-17) == "worst relative error < 1e-13 (passed)"
    assert "FAILED" in describe_difference(a, 2 * a)
    with pytest.raises(ValueError, match="bound"):
        describe_agreement(0.0, bound=0)
    with pytest.raises(ValueError, match="no errors"):
        describe_agreement({})
