"""Notebook 04's widget, the dropout network builder and the exercise checkers."""
import matplotlib.pyplot as plt
import numpy as np
import pytest

import lecture_nn as nn
from lecture_nn.dropout import Dropout
from lecture_nn.lessons.dropout.exercises import (FGSM_EXAMPLE, VARIANCE_EXAMPLE, check_dropout_variance,
                                          check_fgsm_linear_change, dropout_output_variance)
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


def test_dropout_variance_by_enumeration_matches_the_formula(capsys):
    ex = VARIANCE_EXAMPLE
    formula = ex["p"] * (1 - ex["p"]) * np.sum((ex["x"] * ex["w"]) ** 2)
    assert np.isclose(dropout_output_variance(ex["x"], ex["w"], ex["p"]), formula)
    assert check_dropout_variance(formula)
    assert not check_dropout_variance(2 * formula)
    assert check_fgsm_linear_change(FGSM_EXAMPLE["epsilon"] * 3.75)
    assert not check_fgsm_linear_change(0.0)
    assert capsys.readouterr().out.count("correct.") == 2
