"""Package parts of notebook 01: kernel features, approximation, ReLU feature maps, §2.2 formulas."""
import matplotlib.pyplot as plt
import numpy as np
import pytest

import lecture_nn as nn
from lecture_nn.activations import relu
from lecture_nn.lessons.feedforward.approximation import bump_network, max_error, train_approximation, TARGETS
from lecture_nn.lessons.backprop.procedure import network_from_sequential
from lecture_nn.lessons.feedforward.capacity import fit_hidden_units
from lecture_nn.diagrams import draw_layer_connection
from lecture_nn.lessons.feedforward import exercises as ex
from lecture_nn.lessons.feedforward.kernels import KernelClassifier, kernel_feature_map, rbf_kernel
from lecture_nn.lessons.feedforward.forward import network_forward, weights_of
from lecture_nn.lessons.feedforward.one_hidden import (SMALL_EXAMPLE, hinge_gradient_by_backprop, hinge_network_loss,
                                                       hinge_weight_gradient)
from lecture_nn.data import make_three_stripes
from lecture_nn.lessons.feedforward.representations import (flip_units, hidden_features, is_linearly_separable,
                                        separating_hyperplane)
from lecture_nn.lessons.feedforward.one_hidden import is_subgradient


# --- kernels ------------------------------------------------------------------------------
def test_rbf_kernel_matches_definition_and_is_one_on_the_diagonal():
    rng = np.random.default_rng(0)
    A, B = rng.standard_normal((4, 3)), rng.standard_normal((5, 3))
    K = rbf_kernel(A, B, gamma=0.7)
    assert K.shape == (4, 5)
    assert K[1, 2] == pytest.approx(np.exp(-0.7 * np.sum((A[1] - B[2]) ** 2)))
    assert np.allclose(np.diag(rbf_kernel(A, A)), 1.0)


def test_kernel_feature_map_signs_columns_by_training_labels():
    rng = np.random.default_rng(1)
    X_train, X = rng.standard_normal((6, 2)), rng.standard_normal((3, 2))
    y = np.array([1, -1, 1, 1, -1, -1.0])
    psi = kernel_feature_map(X_train, y, X, gamma=2.0)
    assert psi.shape == (3, 6)
    assert np.allclose(psi, rbf_kernel(X, X_train, 2.0) * y)


def test_kernel_input_errors():
    with pytest.raises(ValueError, match="y_train"):
        kernel_feature_map(np.zeros((3, 2)), [1, 0, 1], np.zeros((1, 2)))
    with pytest.raises(ValueError, match="gamma"):
        rbf_kernel(np.zeros((2, 2)), np.zeros((2, 2)), gamma=-1.0)
    with pytest.raises(ValueError, match="same number of columns"):
        rbf_kernel(np.zeros((2, 2)), np.zeros((2, 3)))


def test_kernel_classifier_learns_circles_and_is_reproducible():
    def run():
        rng = np.random.default_rng(0)
        X, y = nn.data.make_circles(n=80, noise=0.05, rng=rng)
        clf = KernelClassifier(gamma=2.0).fit(X, nn.data.to_pm1(y), epochs=60, rng=rng)
        return clf, X, nn.data.to_pm1(y)
    clf, X, y = run()
    assert clf.accuracy(X, y) > 0.95
    assert np.array_equal(clf.alpha, run()[0].alpha)
    assert np.allclose(clf.decision_function(X), clf.features(X) @ clf.alpha + clf.b)


# --- universal approximation ----------------------------------------------------------------
@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_bump_network_error_shrinks_as_units_grow(activation):
    errors = [max_error(bump_network("sine", n, activation), "sine") for n in (8, 32, 128)]
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 0.1
    assert bump_network("sine", 30, activation).n_hidden == 30


def test_bump_network_is_a_one_hidden_layer_network():
    net = bump_network("abs", 12, "sigmoid")
    x = np.linspace(0, 1, 7)
    assert np.allclose(net(x), nn.activations.sigmoid(np.outer(x, net.w) + net.b) @ net.v + net.c)


def test_bump_network_rejects_too_few_units_and_unknown_names():
    with pytest.raises(ValueError, match="needs 4 hidden units"):
        bump_network("sine", 3, "relu")
    with pytest.raises(ValueError, match="unknown target"):
        bump_network("cosine", 8)
    with pytest.raises(ValueError, match="activation"):
        bump_network("sine", 8, "softplus")


def test_trained_approximation_beats_a_constant():
    F = train_approximation("sine", 16, "relu", rng=np.random.default_rng(0), epochs=100)
    assert max_error(F, "sine") < 0.5   # the best constant has max error 1
    assert set(TARGETS) >= {"sine", "abs"}


# --- Fig. 6 representations -----------------------------------------------------------------
def test_separability_decisions():
    X = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])
    assert not is_linearly_separable(X, [1, -1, 1])
    assert is_linearly_separable(X, [1, 1, -1])
    w, c = separating_hyperplane(X, np.array([1.0, 1.0, -1.0]))
    assert np.all(np.array([1, 1, -1]) * (X @ w + c) >= 1 - 1e-7)


def test_two_relu_units_separate_the_stripes_and_flipping_breaks_it():
    X, y = make_three_stripes(36, noise=0.2, rng=np.random.default_rng(0))
    W, b = np.array([[-1.0, 1.0], [0.6, 0.6]]), np.array([-0.5, -0.5])
    assert not is_linearly_separable(X, y)
    features = hidden_features(X, W, b)
    assert np.allclose(features, relu(X @ W + b))
    assert is_linearly_separable(features, y)
    assert not is_linearly_separable(hidden_features(X, *flip_units(W, b, [True, True])), y)


def test_flip_units_negates_only_marked_units():
    W, b = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([5.0, 6.0])
    Wf, bf = flip_units(W, b, [False, True])
    assert np.array_equal(Wf, [[1, -2], [3, -4]]) and np.array_equal(bf, [5, -6])
    assert W[0, 1] == 2.0   # input untouched
    with pytest.raises(ValueError, match="one entry per unit"):
        flip_units(W, b, [True])


def test_hidden_features_shape_errors():
    with pytest.raises(ValueError, match="W must have shape"):
        hidden_features(np.zeros((3, 2)), np.zeros((3, 2)), np.zeros(2))
    with pytest.raises(ValueError, match="b must have shape"):
        hidden_features(np.zeros((3, 2)), np.zeros((2, 2)), np.zeros(3))


def test_capacity_fit_reaches_separation_with_many_units():
    result = fit_hidden_units(50, noise=0.3, epochs=150)
    assert result["train_accuracy"] == 1.0
    assert result["model"].params["0.W"].shape == (2, 50)
    assert fit_hidden_units(1, noise=0.3, epochs=20)["train_accuracy"] < 0.9


# --- §2.2: the hinge network by hand, subgradients --------------------------------------------
def _random_hinge_net(seed):
    rng = np.random.default_rng(seed)
    return dict(x=rng.standard_normal(3), y=-1.0, W=rng.standard_normal((3, 4)),
                b=rng.standard_normal(4), w=rng.standard_normal(4), c=0.3)


def test_hinge_weight_gradient_matches_finite_differences_and_backprop():
    for seed in range(5):
        p = _random_hinge_net(seed)
        if hinge_network_loss(**p) == 0:
            continue
        W = p["W"].copy()
        numeric = nn.numerical_gradient(lambda: hinge_network_loss(**{**p, "W": W}), W)
        assert nn.relative_error(hinge_weight_gradient(**p), numeric) < 1e-7
        model = nn.mlp([3, 4, 1], "relu", rng=np.random.default_rng(0))
        model[0].params["W"][...] = p["W"]
        model[0].params["b"][...] = p["b"]
        model[2].params["W"][...] = p["w"][:, None]
        model[2].params["b"][...] = p["c"]
        _, dz = nn.hinge(np.array([p["y"]]), model.forward(p["x"][None]))
        model.backward(dz)
        assert nn.relative_error(hinge_weight_gradient(**p), model.grads["0.W"]) < 1e-12


def test_hinge_gradient_is_zero_when_the_margin_is_met():
    p = _random_hinge_net(0)
    p["c"] = 100.0 * p["y"]   # y z ≫ 1
    assert hinge_network_loss(**p) == 0
    assert np.all(hinge_weight_gradient(**p) == 0)


def test_hinge_network_input_errors():
    p = _random_hinge_net(1)
    with pytest.raises(ValueError, match="x must have shape"):
        hinge_weight_gradient(**{**p, "x": np.zeros(2)})
    with pytest.raises(ValueError, match="y"):
        hinge_weight_gradient(**{**p, "y": 0.0})


def test_small_example_has_positive_loss_and_one_inactive_unit():
    right = hinge_weight_gradient(**SMALL_EXAMPLE)
    assert hinge_network_loss(**SMALL_EXAMPLE) == pytest.approx(0.5)
    np.testing.assert_allclose(right, [[-1.0, 0.0, -0.5], [2.0, 0.0, 1.0]])   # the numbers the notebook prints


def test_batch_gradient_by_backprop_is_the_mean_of_the_one_example_formula():
    rng = np.random.default_rng(4)
    for n, d, m in [(1, 3, 4), (7, 2, 5), (5, 4, 1)]:
        X, y = rng.standard_normal((n, d)), np.where(rng.random(n) < 0.5, -1.0, 1.0)
        W, b, w, c = rng.standard_normal((d, m)), rng.standard_normal(m), rng.standard_normal(m), 0.2
        mean = np.mean([hinge_weight_gradient(X[k], y[k], W, b, w, c) for k in range(n)], axis=0)
        np.testing.assert_allclose(hinge_gradient_by_backprop(X, y, W, b, w, c), mean, rtol=1e-12, atol=1e-14)


def test_batch_gradient_by_backprop_input_errors():
    X, y, W, b, w = np.zeros((3, 2)), np.ones(3), np.zeros((2, 4)), np.zeros(4), np.zeros(4)
    with pytest.raises(ValueError, match="X must have shape"):
        hinge_gradient_by_backprop(np.zeros((3, 5)), y, W, b, w, 0.0)
    with pytest.raises(ValueError, match="y"):
        hinge_gradient_by_backprop(X, np.ones(2), W, b, w, 0.0)
    with pytest.raises(ValueError, match="b and w"):
        hinge_gradient_by_backprop(X, y, W, np.zeros(3), w, 0.0)
    with pytest.raises(ValueError, match="y"):
        hinge_gradient_by_backprop(X, np.zeros(3), W, b, w, 0.0)


# --- the forward pass by the package (reference of exercise 1) -----------------------------------
def test_network_forward_matches_the_mlp_it_comes_from():
    from lecture_nn.activations import sigmoid, tanh
    for activation, f in [("relu", relu), ("tanh", tanh), ("sigmoid", sigmoid)]:
        model = nn.mlp([3, 5, 4, 2], activation, rng=np.random.default_rng(1))
        X = np.random.default_rng(2).standard_normal((6, 3))
        np.testing.assert_array_equal(network_forward(X, *weights_of(model), f), model.forward(X))


def test_network_forward_without_hidden_layers_is_linear():
    W, b = np.arange(6.0).reshape(3, 2), np.array([1.0, -1.0])
    X = np.ones((2, 3))
    np.testing.assert_allclose(network_forward(X, [W], [b], relu), X @ W + b)


def test_network_forward_input_errors():
    W2, b2, W3, b3 = np.zeros((3, 4)), np.zeros(4), np.zeros((4, 2)), np.zeros(2)
    with pytest.raises(TypeError, match="weights and biases must be lists"):
        network_forward(np.zeros((1, 3)), W2, b2, relu)
    with pytest.raises(ValueError, match="same length"):
        network_forward(np.zeros((1, 3)), [W2, W3], [b2], relu)
    with pytest.raises(ValueError, match=r"biases\[1\] \(b\^3\)"):
        network_forward(np.zeros((1, 3)), [W2, W3], [b2, np.zeros(3)], relu)
    with pytest.raises(ValueError, match=r"weights\[1\] \(W\^3\) must have 4 rows"):
        network_forward(np.zeros((1, 3)), [W2, np.zeros((5, 2))], [b2, b3], relu)
    with pytest.raises(TypeError, match="f must be one of the package's activation functions"):
        network_forward(np.zeros((1, 3)), [W2, W3], [b2, b3], np.tanh)
    with pytest.raises(ValueError, match="Linear"):
        network_forward(np.zeros((1, 5)), [W2, W3], [b2, b3], relu)


def test_weights_of_refuses_other_layers():
    assert [W.shape for W in weights_of(nn.mlp([2, 3, 1], rng=np.random.default_rng(0)))[0]] == [(2, 3), (3, 1)]
    with pytest.raises(ValueError, match="only Linear layers"):
        weights_of(nn.Sequential(nn.Conv2D(1, 2, 3, rng=np.random.default_rng(0)), nn.Flatten()))


def test_relu_subgradients_at_zero_are_the_interval_zero_one():
    for g in (0.0, 0.5, 1.0):
        assert is_subgradient(relu, 0.0, g)
    for g in (-0.1, 1.1):
        assert not is_subgradient(relu, 0.0, g)
    assert is_subgradient(relu, 1.0, 1.0) and not is_subgradient(relu, 1.0, 0.0)


# --- exercises (the convention itself is tested in test_exercises.py) -------------------------
def test_parameter_budget_answer_matches_the_package():
    m = ex.exercise_2.expected()
    assert nn.mlp([2, m, m, 1], rng=np.random.default_rng(0)).n_params() <= ex.BUDGET
    assert nn.mlp([2, m + 1, m + 1, 1], rng=np.random.default_rng(0)).n_params() > ex.BUDGET
    assert ex.exercise_2.wrong_answer != m        # the weights alone allow a wider network


def test_separating_units_judge():
    assert ex.separates_stripes([[-1.0, 1.0], [0.0, 0.0]], [-0.75, -0.75])
    assert not ex.separates_stripes([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0])
    assert not ex.separates_stripes([[-1.0, 1.0], [0.0, 0.0]], [-1.5, -1.5])   # lines through the outer stripes
    with pytest.raises(ValueError, match="shape"):
        ex.separates_stripes(np.zeros((3, 2)), np.zeros(2))
    with pytest.raises(ValueError, match="NaN"):
        ex.separates_stripes([[np.nan, 1.0], [0.0, 0.0]], [-0.75, -0.75])


def test_separating_units_judge_refuses_the_notebooks_own_units(capsys):
    W, b = ex.NOTEBOOK_UNITS
    assert ex.separates_stripes(W * 1.01, b * 1.01 + [0.05, 0.0])            # lines of one's own are fine
    for W_given, b_given in [(W, b), (3 * W, 3 * b), (W[:, ::-1], b[::-1])]:  # scaled or the units swapped
        with pytest.raises(ValueError, match="notebook's two units"):
            ex.separates_stripes(W_given, b_given)
    assert ex.exercise_3.check(W, b) is False
    assert "notebook's two units" in capsys.readouterr().out


def test_nan_answer_to_the_stripes_is_not_yet_with_a_reason(capsys):
    assert ex.exercise_3.check(np.array([[np.nan, 1.0], [0.0, 0.0]]), np.array([-0.5, -0.5])) is False
    out = capsys.readouterr().out
    assert "not yet. W and b must hold finite numbers" in out and "Traceback" not in out


def test_forward_inputs_cover_a_batch_of_one_and_a_network_without_hidden_layers():
    cases = ex.forward_inputs(np.random.default_rng(0))
    shapes = [args[0].shape for args, _ in cases]
    depths = [len(args[1]) for args, _ in cases]
    assert (1, 3) in shapes and 1 in depths and max(depths) >= 3
    for (x, weights, biases, f), description in cases:
        assert [W.shape[1] for W in weights] == [b.shape[0] for b in biases]
        assert "x of shape" in description


def test_hinge_batch_inputs_separate_the_mistakes():
    for (X, y, W, b, w, c), _ in ex.hinge_batch_inputs(np.random.default_rng(3)):
        z_hidden = X @ W + b
        z = np.maximum(z_hidden, 0) @ w + c
        positive = 1 - y * z > 0
        assert np.any(positive & np.any(z_hidden > 0, axis=1))     # some gradient flows
        if len(X) > 1:
            assert not positive.all()                                # some examples beyond the margin
        assert set(np.unique(y)) <= {-1.0, 1.0}


# --- diagrams and widgets ---------------------------------------------------------------------
def test_layer_connection_diagram_has_one_arrow_per_input():
    ax = draw_layer_connection(5)
    assert len(ax.patches) == 6            # five input units and unit j
    assert sum(1 for t in ax.texts if t.get_text().startswith("$w^l_")) == 5
    plt.close("all")


def test_neuron_diagram_labels_inputs_weights_bias_and_output():
    from lecture_nn.lessons.feedforward.neuron import draw_neuron
    ax = draw_neuron()
    texts = {t.get_text() for t in ax.texts}
    assert {"$x_1$", "$x_d$", "$w_1$", "$w_d$", "$b$", "$z$", "$f$", "$f(z)$"} <= texts
    plt.close("all")


def test_widest_separating_line_is_the_perpendicular_bisector_of_two_points():
    X, y = np.array([[0.0, 0.0], [2.0, 2.0]]), np.array([1.0, -1.0])
    w, c = separating_hyperplane(X, y, widest=True)
    np.testing.assert_allclose(w, [-0.5, -0.5], atol=1e-6)
    np.testing.assert_allclose(c, 1.0, atol=1e-6)


def test_feature_map_draws_a_separating_line_only_when_there_is_one():
    from lecture_nn.lessons.feedforward.widgets import draw_feature_map, map_points
    X, y = make_three_stripes(36, noise=0.2, rng=np.random.default_rng(0))
    W, b = np.array([[-1.0, 1.0], [0.6, 0.6]]), np.array([-0.5, -0.5])
    for flips, expected in [((False, False), 1), ((True, True), 0)]:
        state = map_points(X, y, *flip_units(W, b, flips))
        _, axes = plt.subplots(1, 2)
        draw_feature_map(state, axes)
        lines = [l for l in axes[1].get_lines() if l.get_label() == "separating line"]
        assert len(lines) == expected
        if lines:   # every mapped point on its class's side of the drawn line
            (x0, x1), (y0, y1) = lines[0].get_data()
            side = np.sign((x1 - x0) * (state["features"][:, 1] - y0) - (y1 - y0) * (state["features"][:, 0] - x0))
            assert len(np.unique(side[y > 0])) == 1 and len(np.unique(side[y < 0])) == 1
            assert side[y > 0][0] != side[y < 0][0]
    plt.close("all")


def test_approximation_explorer_reacts_to_controls():
    from lecture_nn.lessons.feedforward.widgets import approximation_explorer
    explorer = approximation_explorer()
    before = explorer.state["max_error"]
    explorer.controls["n_hidden"].value = 64
    assert explorer.state["max_error"] < before
    assert explorer.state["network"].n_hidden == 64
    explorer.controls["activation"].value = "relu"
    assert explorer.state["network"].activation == "relu"
    assert "max |F − h|" in explorer.text
    plt.close("all")


def test_relu_map_explorer_flip_changes_separability():
    from lecture_nn.lessons.feedforward.widgets import relu_map_explorer
    explorer = relu_map_explorer()
    assert explorer.text.endswith("yes")
    first_figure = explorer.figure
    explorer.controls["flip1"].value = True
    assert explorer.text.endswith("no")
    assert explorer.figure is not first_figure
    assert np.allclose(explorer.state["W"][:, 0], [1.0, -0.6])
    plt.close("all")


def test_hidden_units_explorer_retrains():
    from lecture_nn.lessons.feedforward.widgets import hidden_units_explorer
    explorer = hidden_units_explorer()
    explorer.controls["hidden"].value = 1
    assert explorer.state["model"].params["0.W"].shape == (2, 1)
    assert "test accuracy" in explorer.text
    plt.close("all")


# --- Fig. 5: the halfway rule and stuck runs --------------------------------------------------
def test_halfway_rule_labels_by_the_lines_between_the_stripes():
    from lecture_nn.lessons.feedforward.capacity import halfway_rule, halfway_rule_accuracy
    X = np.array([[-1.5, 0.3], [0.0, -0.9], [1.5, 0.0], [0.8, 0.5], [-0.7, 0.1]])
    np.testing.assert_array_equal(halfway_rule(X), [1, 0, 1, 1, 0])
    assert halfway_rule_accuracy(X, [1, 0, 1, 0, 0]) == pytest.approx(0.8)


def test_halfway_rule_scores_what_the_overlap_of_the_stripes_allows():
    from math import erf, sqrt
    from lecture_nn.lessons.feedforward.capacity import halfway_rule_accuracy
    noise = 0.7
    X, y_pm = make_three_stripes(30000, noise, rng=np.random.default_rng(0))
    inside = erf(0.75 / noise / sqrt(2))                 # middle stripe within ±0.75
    outside = 0.5 * (1 + erf(0.75 / noise / sqrt(2)))    # an outer stripe beyond its line (far side negligible)
    expected = (inside + 2 * outside) / 3
    assert halfway_rule_accuracy(X, (y_pm > 0).astype(int)) == pytest.approx(expected, abs=0.01)


def test_capacity_fit_flags_a_network_that_answers_one_class():
    for hidden, epochs in [(1, 20), (10, 100)]:
        result = fit_hidden_units(hidden, noise=0.3, epochs=epochs, batch_size=45)
        labels = nn.predict_labels(result["model"], result["X"])
        assert result["one_class"] == (np.unique(labels).size == 1)
    assert not fit_hidden_units(50, noise=0.3, epochs=150)["one_class"]
