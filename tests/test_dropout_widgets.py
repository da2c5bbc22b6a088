"""Notebook 04's widgets, the dropout network builder, its figures and its exercises."""
import matplotlib.pyplot as plt
import numpy as np
import pytest

import lecture_nn as nn
from lecture_nn.dropout import Dropout
from lecture_nn.lessons.dropout.adversarial import digit_classifier, mnist_digits
from lecture_nn.lessons.dropout.exercises import (ONE_INDEX, TARGET, VARIANCE_EXAMPLE, dropout_output_variance,
                                                  exercise_2, reads_as_target, targeted_attack_judge)
from lecture_nn.lessons.dropout.figures import dropout_curves
from lecture_nn.lessons.dropout import widgets as dropout_widget
from lecture_nn.lessons.dropout.experiment import EPOCHS, LABEL_NOISE


def test_dropout_mlp_layout_and_p_zero_is_the_plain_mlp():
    net = nn.mlp([4, 5, 6, 2], "relu", rng=np.random.default_rng(0), dropout=0.3)
    kinds = [type(layer).__name__ for layer in net.layers]
    assert kinds == ["Linear", "ReLU", "Dropout", "Linear", "ReLU", "Dropout", "Linear"]
    plain = nn.mlp([4, 5, 2], rng=np.random.default_rng(1), dropout=0.0)
    reference = nn.mlp([4, 5, 2], "relu", rng=np.random.default_rng(1))
    assert not any(isinstance(layer, Dropout) for layer in plain.layers)
    for key in reference.params:
        np.testing.assert_array_equal(plain.params[key], reference.params[key])


def test_dropout_explorer_reacts_to_the_sliders(monkeypatch):
    calls = []

    class FakeRun:
        def __init__(self, p, label_noise):
            self.train_accuracy, self.test_accuracy = 1.0, 0.8 + p / 10 - label_noise / 10
            self.history = {"loss": [1.0, 0.5], "accuracy": [0.5, 1.0],
                            "val_loss": [1.0, 0.7 - p / 10], "val_accuracy": [0.5, self.test_accuracy]}

    def fake_run(p, label_noise):
        calls.append((p, label_noise))
        return FakeRun(p, label_noise)

    # the real runs train for a second each; the widget logic is what is under test here
    monkeypatch.setattr(dropout_widget, "dropout_run", fake_run)
    explorer = dropout_widget.dropout_explorer()
    assert calls == [(0.5, 0.2), (0.0, 0.2)]
    assert explorer.state["with"]["gap"] == pytest.approx(1.0 - 0.83)
    first_text, first_figure = explorer.text, explorer.figure
    explorer.controls["p"].value = 0.2
    assert calls[-2:] == [(0.2, 0.2), (0.0, 0.2)]
    assert explorer.state["with"]["test"] == pytest.approx(0.8 + 0.02 - 0.02)
    assert explorer.text != first_text and explorer.figure is not first_figure
    # slider values such as 0.30000000000000004 reach the cached runs rounded
    explorer.controls["label_noise"].value = 0.1 + 0.2
    assert calls[-2:] == [(0.2, 0.3), (0.0, 0.3)]
    plt.close("all")


def test_dropout_run_is_cached_and_regularises_on_wrong_labels():
    plain = dropout_widget.dropout_run(0.0)
    assert plain is dropout_widget.dropout_run(0.0, seed=0) is dropout_widget.dropout_run(0, 0, LABEL_NOISE)
    dropped = dropout_widget.dropout_run(0.5)
    assert len(dropped.history["val_loss"]) == EPOCHS
    # without dropout the network learns the wrong labels; with it, far fewer of them
    assert plain.memorised == 1.0 and dropped.memorised < 0.6
    assert dropped.test_accuracy > plain.test_accuracy + 0.02
    assert min(dropped.history["val_loss"]) < min(plain.history["val_loss"])
    assert dropped.history["val_loss"][-1] < plain.history["val_loss"][-1]


def test_dropout_variance_by_enumeration_matches_the_formula():
    ex = VARIANCE_EXAMPLE
    formula = ex["p"] * (1 - ex["p"]) * np.sum((ex["x"] * ex["w"]) ** 2)
    assert np.isclose(dropout_output_variance(ex["x"], ex["w"], ex["p"]), formula)
    assert np.isclose(exercise_2.expected(), formula)


def test_dropout_curves_pair_training_and_validation_by_colour():
    history = {"loss": [1.0, 0.5], "val_loss": [1.1, 0.8], "accuracy": [0.5, 0.9], "val_accuracy": [0.4, 0.7]}
    other = {key: [v + 0.1 for v in values] for key, values in history.items()}
    fig = dropout_curves({"no dropout": [history, other], "dropout": [history]})
    top_left, top_right, bottom_left, bottom_right = fig.axes
    assert top_left.get_title() == "no dropout (mean of 2 seeds)" and top_right.get_title() == "dropout"
    # loss and accuracy on axes of their own, each row on one y scale
    for ax, quantity in ((top_left, "loss"), (top_right, "loss"), (bottom_left, "accuracy"),
                         (bottom_right, "accuracy")):
        lines = {line.get_label(): line for line in ax.get_lines()}
        assert set(lines) == {f"training {quantity}", f"validation {quantity}"}
        train, val = lines[f"training {quantity}"], lines[f"validation {quantity}"]
        assert train.get_color() == val.get_color()
        assert train.get_linestyle() == "-" and val.get_linestyle() == "--"
    np.testing.assert_allclose(dict((l.get_label(), l) for l in top_left.get_lines())["training loss"].get_ydata(),
                               [1.05, 0.55])
    assert top_left.get_ylabel() == "cross-entropy loss" and bottom_left.get_ylabel() == "accuracy"
    assert bottom_left.get_ylim() == (0, 1.02)
    assert [ax.get_xlabel() for ax in fig.axes] == ["", "", "epoch", "epoch"]
    plt.close(fig)


def test_exercise_4_judge_checks_the_limits_and_the_answer():
    start = mnist_digits().X_test[ONE_INDEX]
    assert mnist_digits().y_test[ONE_INDEX] == 1
    assert not reads_as_target(start)                      # the network reads the 1 correctly
    assert not reads_as_target(np.zeros(5)) and not reads_as_target("seven")
    assert not reads_as_target(start + 0.5)                  # too far and outside [0, 1]
    assert digit_classifier() is digit_classifier()          # one network for the notebook and its exercises
    assert TARGET == 7


@pytest.mark.parametrize("image, reason", [
    (True, "784 pixel values"), ("seven", "784 pixel values"), (None, "784 pixel values"),
    ([[1, 2], [3]], "ragged"), (np.zeros(784, dtype=bool), "numbers"), (np.zeros(5), "784 pixels, got 5"),
    (np.full(784, np.nan), "NaN"), (np.full(784, 1.5), r"\[0, 1\]"), (np.full(784, 0.5), "more than 0.2"),
])
def test_exercise_4_judge_says_what_is_wrong(image, reason):
    with pytest.raises(ValueError, match=reason):
        targeted_attack_judge(image)


def test_exercise_4_judge_reports_a_low_probability():
    with pytest.raises(ValueError, match="probability of 0.00"):
        targeted_attack_judge(mnist_digits().X_test[ONE_INDEX])
