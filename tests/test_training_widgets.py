"""Notebook 03's widget and exercise checkers."""
import numpy as np
import pytest

from lecture_nn.lessons.training.exercises import (ZERO_INIT_CLASS_COUNTS, check_relu_variance,
                                           check_sigmoid_shrink_factor, check_zero_init_bias_gap)
from lecture_nn.lessons.training.widgets import gradient_flow, gradient_flow_explorer


def test_gradient_flow_explorer_reacts_to_every_control():
    explorer = gradient_flow_explorer()
    first_state, first_figure, first_text = explorer.state, explorer.figure, explorer.text
    assert len(first_state["delta"]) == 20 and "dead units" in first_text
    explorer.controls["depth"].value = 8
    assert len(explorer.state["delta"]) == 8 and explorer.figure is not first_figure
    explorer.controls["scale"].value = 0.5
    assert explorer.state["ratio"] < 1e-2  # small weights: the gradient vanishes towards the input
    explorer.controls["activation"].value = "sigmoid"
    assert explorer.state["n_dead"] == 0 and explorer.text != first_text


def test_gradient_flow_counts_dead_units_and_explodes_with_a_large_scale():
    relu = gradient_flow(depth=20, scale=2.0, activation="relu", width=32)
    assert relu["n_hidden"] == 19 * 32 and 0 < relu["n_dead"] < relu["n_hidden"]
    assert relu["ratio"] > 10  # ‖δ^1‖ ≫ ‖δ^L‖: exploding
    assert gradient_flow(depth=20, scale=1.0, activation="sigmoid")["ratio"] < 1e-8  # vanishing


def test_exercise_checkers_accept_the_right_answers_and_reject_wrong_ones(capsys):
    n0, n1 = ZERO_INIT_CLASS_COUNTS
    assert check_zero_init_bias_gap(np.log(n0 / n1))
    assert not check_zero_init_bias_gap(n0 / n1)
    assert check_sigmoid_shrink_factor(10, 0.25 ** 10)
    assert not check_sigmoid_shrink_factor(10, 0.25 ** 9)
    assert check_relu_variance(50, 0.04)
    assert not check_relu_variance(50, 0.02)
    out = capsys.readouterr().out
    assert out.count("correct.") == 3 and out.count("not yet") == 3


def test_exercise_checker_rejects_a_non_number():
    with pytest.raises(TypeError, match="number"):
        check_relu_variance(50, "two over fifty")


def test_gradient_flow_axes_say_how_layers_are_numbered():
    explorer = gradient_flow_explorer()
    labels = [ax.get_xlabel() for ax in explorer.figure.axes]
    assert "1 = first hidden" in labels[0] and "L = output" in labels[0]
    assert "1 = first hidden" in labels[1]
