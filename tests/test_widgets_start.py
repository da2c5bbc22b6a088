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


def test_one_hidden_unit_draws_a_straight_boundary():
    # notebook 00: with one ReLU unit the scores depend on the input only through w·x + b,
    # so along that direction the predicted class changes at most once
    import numpy as np
    from lecture_nn.lessons.start.widgets import train_toy_network
    from lecture_nn.training import predict_labels

    model = train_toy_network("moons", hidden=1, epochs=5, seed=1)["model"]
    w = model.params["0.W"][:, 0]
    grid = np.random.default_rng(0).uniform(-2, 3, size=(2000, 2))
    labels = predict_labels(model, grid[np.argsort(grid @ w)])
    assert np.count_nonzero(np.diff(labels)) <= 1


def test_toy_network_seeds_draw_their_own_data_and_weights():
    import numpy as np
    from lecture_nn.lessons.start.widgets import train_toy_network

    first, again, other = (train_toy_network(hidden=4, epochs=2, seed=s) for s in (0, 0, 1))
    np.testing.assert_array_equal(first["X"], again["X"])
    np.testing.assert_array_equal(first["model"].params["0.W"], again["model"].params["0.W"])
    assert not np.array_equal(first["X"], other["X"])


def test_notebook_00_accuracies_do_not_turn_on_rounding():
    # notebook 00 prints its network's accuracies to the last point; they must not move when
    # the starting weights move by far more than another CPU's rounding (1e-9 relative)
    import numpy as np
    import lecture_nn as nn

    def train(perturbation):
        rng = np.random.default_rng(0)
        X, y = nn.data.make_moons(n=200, noise=0.15, rng=rng)
        model = nn.mlp([2, 16, 2], activation="relu", rng=rng)
        noise = np.random.default_rng(1)
        for p in model.params.values():
            p *= 1 + perturbation * noise.standard_normal(p.shape)
        nn.fit(model, X, y, loss="softmax_cross_entropy", epochs=200, batch_size=16, lr=0.3,
               rng=rng, progress=False)
        X_new, y_new = nn.data.make_moons(n=500, noise=0.15, rng=np.random.default_rng(1))
        return nn.predict_labels(model, X), nn.predict_labels(model, X_new), y, y_new

    train_labels, new_labels, y, y_new = train(0.0)
    assert np.mean(train_labels == y) == 0.975 and np.mean(new_labels == y_new) == 0.974
    moved_train, moved_new, _, _ = train(1e-9)
    np.testing.assert_array_equal(moved_train, train_labels)
    np.testing.assert_array_equal(moved_new, new_labels)
