"""The start-here widget recomputes and redraws when a control changes (no browser needed)."""
import matplotlib.pyplot as plt

from lecture_nn.lessons.start.widgets import toy_network_explorer


def test_changing_hidden_units_retrains_and_redraws():
    explorer = toy_network_explorer()
    first_state, first_figure = explorer.state, explorer.figure
    explorer.controls["hidden"].value = 1
    assert explorer.state is not first_state
    assert explorer.figure is not first_figure
    assert explorer.state["model"].params["0.W"].shape == (2, 1)
    assert "training accuracy" in explorer.text
    explorer.controls["dataset"].value = "spirals"
    assert explorer.state["model"].params["2.W"].shape == (1, 3)  # three spiral classes
    plt.close("all")
