"""Notebook 03's widget (layers numbered as in the notes: the input is layer 1)."""
from lecture_nn.lessons.training.widgets import gradient_flow, gradient_flow_explorer


def test_gradient_flow_explorer_reacts_to_every_control():
    explorer = gradient_flow_explorer()
    first_state, first_figure, first_text = explorer.state, explorer.figure, explorer.text
    assert list(first_state["delta"]) == list(range(2, 22)) and "dead units" in first_text
    explorer.controls["n_layers"].value = 9
    assert list(explorer.state["delta"]) == list(range(2, 10)) and explorer.figure is not first_figure
    explorer.controls["scale"].value = 0.5
    assert explorer.state["ratio"] < 1e-2  # small weights: the gradient vanishes towards the input
    explorer.controls["activation"].value = "sigmoid"
    assert explorer.state["n_dead"] == 0 and explorer.text != first_text


def test_gradient_flow_counts_dead_units_and_explodes_with_a_large_scale():
    relu = gradient_flow(n_layers=21, scale=2.0, activation="relu", width=32)
    assert relu["n_hidden"] == 19 * 32 and 0 < relu["n_dead"] < relu["n_hidden"]
    assert relu["ratio"] > 10  # ‖δ^2‖ ≫ ‖δ^L‖: exploding
    assert gradient_flow(n_layers=21, scale=1.0, activation="sigmoid")["ratio"] < 1e-8  # vanishing


def test_gradient_flow_axes_use_the_notes_numbering_and_integer_ticks():
    explorer = gradient_flow_explorer()
    explorer.controls["n_layers"].value = 5
    axes = explorer.figure.axes
    assert "2 = first hidden" in axes[0].get_xlabel() and "L = output" in axes[0].get_xlabel()
    assert "2 = first hidden" in axes[1].get_xlabel()
    assert axes[0].get_ylabel() == r"$\|\delta^l\|$"   # mathtext, no literal caret
    for ax in axes:
        ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
        assert ticks and all(float(t).is_integer() for t in ticks), ticks


def test_every_control_says_what_it_sets():
    controls = gradient_flow_explorer().controls
    descriptions = {name: control.description for name, control in controls.items()}
    assert descriptions == {"n_layers": "layers L (input included)", "scale": "weight scale s",
                            "activation": "activation f"}
    assert all(control.style.description_width == "initial" for control in controls.values())
