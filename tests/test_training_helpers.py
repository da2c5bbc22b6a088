"""Issue 20, the training helpers: label conventions of accuracy, the one-layer-at-one-place
guard, modes restored layer by layer, lam without a penalty, entry-point checks, the dtype
rule of Linear, divergence, and tests that pin fit's bookkeeping."""
import copy
import re

import numpy as np
import pytest

import lecture_nn as nn
from lecture_nn.dropout import Dropout
from lecture_nn.layers import Container, walk
from lecture_nn.training import TrainingDiverged

CLASSIFICATION_LOSSES = [nn.hinge, nn.logistic, nn.sigmoid_cross_entropy, nn.softmax_cross_entropy]


def perfect_pm1_classifier():
    """The issue's example: sign(5·x1) on points whose label is the sign of x1."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 2))
    X[:, 0] = np.where(X[:, 0] >= 0, X[:, 0] + 0.1, X[:, 0] - 0.1)
    y = np.where(X[:, 0] > 0, 1, -1)
    model = nn.mlp([2, 1], rng=rng)
    model.params["0.W"][:] = [[5.0], [0.0]]
    return model, X, y


class Scores(nn.Layer):
    """A 'model' whose output is its input (optionally flattened to (n,)): fixed scores."""

    def __init__(self, flat=False):
        super().__init__()
        self.flat = flat

    def forward(self, x):
        return x[:, 0] if self.flat else x

    def backward(self, grad_out, input_grad=True):
        return grad_out


# --- 1. label conventions -------------------------------------------------------------------
@pytest.mark.parametrize("shape", ["flat", "column"])
def test_pm1_labels_as_a_column_are_read_like_the_flat_ones(shape):
    model, X, y = perfect_pm1_classifier()
    labels = y if shape == "flat" else y[:, None]
    assert nn.accuracy(model, X, labels) == 1.0
    assert nn.accuracy(model, X, -labels) == 0.0


def test_zero_one_column_labels_of_a_one_output_model_are_read_as_sigmoid_labels():
    model, X, y = perfect_pm1_classifier()
    assert nn.accuracy(model, X, (y[:, None] > 0).astype(int)) == 1.0
    assert nn.accuracy(model, X, (y[:, None] < 0).astype(float)) == 0.0


def test_one_dimensional_zero_one_labels_of_a_one_output_model_are_refused():
    model, X, y = perfect_pm1_classifier()
    with pytest.raises(ValueError, match=r"0/1 labels of shape \(50,\).*±1.*\(50, 1\)"):
        nn.accuracy(model, X, (y > 0).astype(int))


def test_integer_labels_as_a_column_are_refused_for_a_softmax_model():
    rng = np.random.default_rng(0)
    model = nn.mlp([2, 3], rng=rng)
    X, y = rng.standard_normal((30, 2)), rng.integers(0, 3, 30)
    with pytest.raises(ValueError, match=r"shape \(30,\) \(softmax cross-entropy\)"):
        nn.accuracy(model, X, y[:, None])
    expected = np.mean(nn.predict(model, X).argmax(1) == y)
    assert nn.accuracy(model, X, y) == expected


@pytest.mark.parametrize("labels, error, match", [
    (np.array([0, 1, 7]), ValueError, r"0\.\.2"),
    (np.array([0.0, np.nan, 1.0]), ValueError, "finite"),
    (np.array(["a", "b", "c"]), TypeError, "numeric labels"),
    (np.array([0.5, 1.0, 2.0]), TypeError, "integer class labels"),
    (np.array([0, 1]), ValueError, "one label per row"),
])
def test_bad_labels_are_refused_by_accuracy_as_by_the_loss(labels, error, match):
    model = nn.Sequential(Scores())
    with pytest.raises(error, match=match):
        nn.accuracy(model, np.eye(3), labels)


LABEL_CANDIDATES = {
    "pm1 flat": lambda n, k: np.where(np.arange(n) % 2, 1, -1),
    "pm1 column": lambda n, k: np.where(np.arange(n) % 2, 1, -1)[:, None],
    "ones flat": lambda n, k: np.ones(n, int),
    "ones column": lambda n, k: np.ones((n, 1)),
    "zeros flat": lambda n, k: np.zeros(n, int),
    "01 flat": lambda n, k: np.arange(n) % 2,
    "01 column": lambda n, k: (np.arange(n) % 2)[:, None].astype(float),
    "01 matrix": lambda n, k: (np.arange(n * k).reshape(n, k) % 2).astype(float),
    "bool matrix": lambda n, k: np.arange(n * k).reshape(n, k) % 3 == 0,
    "pm1 matrix": lambda n, k: np.where(np.arange(n * k).reshape(n, k) % 2, 1.0, -1.0),
    "classes flat": lambda n, k: np.arange(n) % 3,
    "classes as floats": lambda n, k: (np.arange(n) % 3).astype(float),
    "classes column": lambda n, k: (np.arange(n) % 3)[:, None],
    "class 7": lambda n, k: np.full(n, 7),
    "halves": lambda n, k: np.full(n, 0.5),
    "bool flat": lambda n, k: np.arange(n) % 2 == 0,
}


def _accepts(call):
    try:
        call()
    except (ValueError, TypeError):
        return False
    return True


@pytest.mark.parametrize("output", ["(n,)", "(n, 1)", "(n, 3)"])
@pytest.mark.parametrize("label_name", sorted(LABEL_CANDIDATES))
def test_accuracy_takes_exactly_the_labels_some_classification_loss_takes(output, label_name):
    n = 6
    scores = np.linspace(-1.0, 1.5, n * 3).reshape(n, 3)
    X = scores[:, :1] if output != "(n, 3)" else scores
    model = nn.Sequential(Scores(flat=output == "(n,)"))
    z = nn.predict(model, X)
    y = LABEL_CANDIDATES[label_name](n, z.shape[1] if z.ndim == 2 else 1)
    # softmax over a single output is no classifier (its loss is 0 whatever the weights)
    losses = [loss for loss in CLASSIFICATION_LOSSES
              if not (loss is nn.softmax_cross_entropy and output != "(n, 3)")]
    some_loss_takes = any(_accepts(lambda loss=loss: loss(y, z)) for loss in losses)
    assert _accepts(lambda: nn.accuracy(model, X, y)) == some_loss_takes


@pytest.mark.parametrize("loss, make_labels, outputs", [
    ("hinge", lambda y: nn.data.to_pm1(y), 1),
    ("hinge", lambda y: nn.data.to_pm1(y)[:, None], 1),
    ("logistic", lambda y: nn.data.to_pm1(y)[:, None], 1),
    ("sigmoid_cross_entropy", lambda y: y[:, None].astype(float), 1),
    ("sigmoid_cross_entropy", lambda y: np.column_stack([y, 1 - y, y]).astype(float), 3),
    ("softmax_cross_entropy", lambda y: y, 2),
], ids=["hinge flat", "hinge column", "logistic column", "sigmoid column", "sigmoid multi-label",
        "softmax"])
def test_fit_history_accuracy_equals_accuracy_for_every_label_shape(loss, make_labels, outputs):
    rng = np.random.default_rng(3)
    X, y01 = nn.data.make_blobs(60, rng=rng)
    y = make_labels(y01)
    model = nn.mlp([2, 6, outputs], rng=rng)
    history = nn.fit(model, X, y, loss, epochs=3, batch_size=8, lr=0.1, rng=rng, progress=False,
                     validation=(X[:20], y[:20]))
    assert history["accuracy"][-1] == nn.accuracy(model, X, y)
    assert history["val_accuracy"][-1] == nn.accuracy(model, X[:20], y[:20])
    assert history["accuracy"][-1] > 0.9      # the blobs are easy: a wrong reading would show


def test_the_issues_column_run_gets_the_accuracy_of_the_flat_run():
    rng = np.random.default_rng(0)
    X, y01 = nn.data.make_blobs(80, rng=rng)
    y = nn.data.to_pm1(y01)
    runs = {}
    for shape, labels in (("flat", y), ("column", y[:, None])):
        model = nn.mlp([2, 1], rng=np.random.default_rng(1))
        runs[shape] = nn.fit(model, X, labels, "logistic", epochs=5, batch_size=10, lr=0.1,
                             rng=np.random.default_rng(2), progress=False)
    assert runs["flat"]["loss"] == runs["column"]["loss"]
    assert runs["flat"]["accuracy"] == runs["column"]["accuracy"]


def test_fit_refuses_labels_accuracy_cannot_read_before_training():
    rng = np.random.default_rng(0)
    model = nn.mlp([2, 1], rng=rng)
    before = copy.deepcopy(model.params)
    X = rng.standard_normal((10, 2))
    # sigmoid cross-entropy takes 0/1 of the output's shape only: (n,) is refused by both
    with pytest.raises(ValueError, match=r"shape of z \(10, 1\)"):
        nn.fit(model, X, np.arange(10) % 2, "sigmoid_cross_entropy", rng=rng, progress=False)
    assert all(np.array_equal(before[k], model.params[k]) for k in before)


# --- 13. the decision at a score of exactly 0 --------------------------------------------------
def test_a_score_of_exactly_zero_decides_for_the_positive_class():
    model = nn.Sequential(Scores())
    zero = np.zeros((1, 1))
    assert list(nn.predict_labels(model, zero)) == [1]
    assert nn.accuracy(model, zero, np.array([1])) == 1.0
    assert nn.accuracy(model, zero, np.array([[1.0]])) == 1.0       # ±1 or 0/1: the same answer
    assert nn.accuracy(model, zero, np.array([[0.0]])) == 0.0
    assert nn.accuracy(model, np.zeros((1, 2)), np.array([[1, 1]])) == 1.0   # multi-label
    just_below = np.full((1, 1), -np.finfo(float).tiny)
    assert list(nn.predict_labels(model, just_below)) == [-1]


# --- 2. one layer at one place ------------------------------------------------------------------
def test_a_shallow_copy_sharing_the_params_dict_is_refused():
    rng = np.random.default_rng(0)
    lin = nn.Linear(3, 3, rng=rng)
    with pytest.raises(ValueError, match=r"'0' and '2' share one params dict"):
        nn.Sequential(lin, nn.Tanh(), copy.copy(lin))


def test_a_layer_appended_after_construction_is_refused_when_the_model_is_used():
    rng = np.random.default_rng(0)
    lin = nn.Linear(3, 3, rng=rng)
    model = nn.Sequential(lin, nn.Tanh())
    model.forward(np.ones((2, 3)))
    model.layers.append(lin)
    X, y = rng.standard_normal((4, 3)), rng.integers(0, 3, 4)
    for use in (lambda: model.forward(X), lambda: model.params, lambda: model.grads,
                lambda: nn.predict(model, X),
                lambda: nn.check_model_gradients(model, "softmax_cross_entropy", X, y),
                lambda: nn.fit(model, X, y, rng=rng, progress=False)):
        with pytest.raises(ValueError, match=r"two places, '0' and '2'"):
            use()
    model.layers.pop()
    model.forward(X)           # fixed: usable again


@pytest.mark.parametrize("change", [
    lambda m: m.layers.__setitem__(2, m.layers[0]),
    lambda m: m.layers.insert(1, m.layers[0]),
    lambda m: m.layers.extend([m.layers[0]]),
    lambda m: setattr(m, "layers", [*m.layers, m.layers[0]]),
    lambda m: m.layers.append(m),
], ids=["setitem", "insert", "extend", "assign", "itself"])
def test_every_way_of_changing_the_layer_list_is_checked(change):
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(3, 3, rng=rng), nn.Tanh(), nn.Linear(3, 3, rng=rng))
    change(model)
    with pytest.raises(ValueError, match="two places"):
        model.forward(np.ones((2, 3)))


@pytest.mark.parametrize("share", [
    lambda a, b: setattr(b, "params", a.params),
    lambda a, b: setattr(b, "grads", a.grads),
    lambda a, b: b.params.__setitem__("W", a.params["W"]),
    lambda a, b: b.params.__setitem__("W", a.params["W"][:, ::-1]),
    lambda a, b: b.params.update(b=a.params["b"]),
], ids=["params dict", "grads dict", "array", "view", "update"])
def test_sharing_introduced_after_construction_is_found(share):
    rng = np.random.default_rng(0)
    first, second = nn.Linear(3, 3, rng=rng), nn.Linear(3, 3, rng=rng)
    model = nn.Sequential(first, nn.Tanh(), second)
    model.forward(np.ones((2, 3)))
    share(first, second)
    with pytest.raises(ValueError, match="share"):
        model.forward(np.ones((2, 3)))


def test_sharing_inside_a_nested_container_is_found_from_the_outer_model():
    rng = np.random.default_rng(0)
    lin = nn.Linear(4, 4, rng=rng)
    inner = nn.Sequential(nn.Linear(4, 4, rng=rng), nn.ReLU())
    model = nn.Sequential(nn.Residual(inner), lin)
    model.forward(np.ones((2, 4)))
    inner.layers.append(lin)
    with pytest.raises(ValueError, match=r"'0.block.2' and '1'"):
        model.forward(np.ones((2, 4)))
    residual = nn.Sequential(nn.Residual(nn.Sequential(nn.Linear(4, 4, rng=rng))), lin)
    residual[0].block = nn.Sequential(lin)
    with pytest.raises(ValueError, match="two places"):
        residual.params
    alone = nn.Residual(nn.Sequential(lin, nn.ReLU()))        # a residual block as the whole model
    alone.forward(np.ones((2, 4)))
    alone.projection = lin
    with pytest.raises(ValueError, match=r"'block.0' and 'projection'"):
        alone.forward(np.ones((2, 4)))


def test_disjoint_views_of_one_buffer_are_not_sharing():
    rng = np.random.default_rng(0)
    first, second = nn.Linear(3, 2, rng=rng), nn.Linear(2, 2, rng=rng)
    buffer = rng.standard_normal(10)
    first.params["W"] = buffer[:6].reshape(3, 2)
    second.params["W"] = buffer[6:].reshape(2, 2)
    model = nn.Sequential(first, nn.Tanh(), second)
    X, y = rng.standard_normal((5, 3)), rng.integers(0, 2, 5)
    errors = nn.check_model_gradients(model, "softmax_cross_entropy", X, y)
    assert max(errors.values()) <= 1e-7


def test_the_structure_is_checked_once_per_change_not_on_every_pass(monkeypatch):
    rng = np.random.default_rng(0)
    model = nn.mlp([2, 4, 2], rng=rng, dropout=0.5)
    X, y = rng.standard_normal((20, 2)), rng.integers(0, 2, 20)
    model.forward(X)
    calls = []
    original = Container._walk_structure       # the full check, behind the cheap test
    monkeypatch.setattr(Container, "_walk_structure",
                        lambda self: calls.append(1) or original(self))
    for _ in range(5):
        model.forward(X)
        model.backward(np.ones((20, 2)))
        model.params, model.grads
    nn.SGD(model, lr=0.1).step()
    nn.predict(model, X)
    nn.fit(model, X, y, epochs=2, batch_size=8, rng=rng, progress=False)
    assert calls == []
    model.layers.append(nn.ReLU())
    model.forward(X)
    model.forward(X)
    assert len(calls) == 1


def test_the_layer_list_takes_layers_only():
    model = nn.Sequential(nn.ReLU())
    with pytest.raises(TypeError, match="takes layers, got str at position 1"):
        model.layers.append("dense")
    with pytest.raises(TypeError, match="takes layers, got int"):
        model.layers[0] = 3
    assert len(model) == 1


# --- 3. modes restored layer by layer -----------------------------------------------------------
def dropout_model(rng):
    return nn.Sequential(nn.Linear(3, 6, rng=rng), nn.ReLU(), Dropout(0.5, rng=rng),
                         nn.Residual(nn.Sequential(nn.Linear(6, 6, rng=rng), Dropout(0.5, rng=rng))),
                         nn.Linear(6, 2, rng=rng))


def modes(model):
    return [layer.training for layer in walk(model)]


def mixed_modes(rng, top_training):
    model = dropout_model(rng)
    model.train(top_training)
    model[2].train(not top_training)            # one dropout layer switched the other way
    model[3].block[1].train(not top_training)
    return model


HELPERS = {
    "predict": lambda m, X, y, rng: nn.predict(m, X),
    "evaluate": lambda m, X, y, rng: nn.evaluate(m, "softmax_cross_entropy", X, y),
    "accuracy": lambda m, X, y, rng: nn.accuracy(m, X, y),
    "predict_labels": lambda m, X, y, rng: nn.predict_labels(m, X),
    "fit": lambda m, X, y, rng: nn.fit(m, X, y, epochs=2, batch_size=4, rng=rng, progress=False,
                                       validation=(X, y)),
}


@pytest.mark.parametrize("top_training", [True, False], ids=["train, one dropout off",
                                                             "eval, one dropout on"])
@pytest.mark.parametrize("helper", sorted(HELPERS))
def test_helpers_give_every_layer_back_its_own_mode(helper, top_training):
    rng = np.random.default_rng(0)
    model = mixed_modes(rng, top_training)
    before = modes(model)
    assert len(set(before)) == 2
    X, y = rng.standard_normal((10, 3)), rng.integers(0, 2, 10)
    HELPERS[helper](model, X, y, rng)
    assert modes(model) == before


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, ValueError])
def test_evaluation_mode_restores_every_layer_on_any_exit(interrupt):
    rng = np.random.default_rng(0)
    model = mixed_modes(rng, True)
    before = modes(model)
    with pytest.raises(interrupt):
        with nn.evaluation_mode(model):
            assert not any(modes(model))
            raise interrupt()
    assert modes(model) == before


def test_fit_interrupted_gives_the_modes_back():
    rng = np.random.default_rng(0)
    model = mixed_modes(rng, False)
    before = modes(model)

    class Interrupting:
        def step(self, extra=None):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        nn.fit(model, rng.standard_normal((8, 3)), rng.integers(0, 2, 8), rng=rng, progress=False,
               optimizer=Interrupting())
    assert modes(model) == before


class ModeSpy(nn.Layer):
    """Passes its input on and records, at each backward pass, the mode its forward pass ran in."""

    def __init__(self):
        super().__init__()
        self.trained_in = []

    def forward(self, x):
        self.cache = {"training": self.training}
        return x

    def backward(self, grad_out, input_grad=True):
        self.trained_in.append(self._cached("training"))
        return grad_out


def test_every_training_forward_of_fit_runs_in_training_mode():
    rng = np.random.default_rng(0)
    spy = ModeSpy()
    model = nn.Sequential(nn.Linear(3, 5, rng=rng), spy, nn.ReLU(), Dropout(0.5, rng=rng),
                          nn.Linear(5, 2, rng=rng))
    model.eval()
    X, y = rng.standard_normal((10, 3)), rng.integers(0, 2, 10)
    nn.fit(model, X, y, epochs=3, batch_size=4, rng=rng, progress=False, validation=(X, y))
    assert spy.trained_in == [True] * (3 * 3)
    assert not any(modes(model))            # and evaluation mode again afterwards, as found


# --- 13. the bookkeeping of fit -------------------------------------------------------------------
class StandStill:
    """An optimizer that never moves the parameters."""

    def step(self, extra=None):
        pass


def test_the_epoch_loss_is_the_mean_over_examples_not_over_batches():
    rng = np.random.default_rng(5)
    X, y = rng.standard_normal((10, 3)), rng.integers(0, 3, 10)
    model = nn.mlp([3, 4, 3], rng=rng)
    history = nn.fit(model, X, y, epochs=1, batch_size=4, rng=rng, progress=False,
                     optimizer=StandStill())
    expected = nn.evaluate(model, "softmax_cross_entropy", X, y)
    assert history["loss"][0] == pytest.approx(expected, rel=1e-12, abs=0)


def fit_by_hand(model, X, y, *, epochs, batch_size, lr, momentum, rng):
    """The loop fit is documented to run (notebook 01 writes the same)."""
    optimizer = nn.SGD(model, lr=lr, momentum=momentum)
    losses = []
    for _ in range(epochs):
        order = rng.permutation(len(X))
        total = 0.0
        for start in range(0, len(X), batch_size):
            batch = order[start:start + batch_size]
            loss, dz = nn.softmax_cross_entropy(y[batch], model.forward(X[batch]))
            model.backward(dz)
            optimizer.step()
            total += loss * len(batch)
        losses.append(total / len(X))
    return losses


def test_fit_equals_the_hand_loop_bit_for_bit_when_the_batch_size_does_not_divide_n():
    def build(seed):
        rng = np.random.default_rng(seed)
        return nn.mlp([3, 5, 3], rng=rng), rng

    data_rng = np.random.default_rng(9)
    X, y = data_rng.standard_normal((23, 3)), data_rng.integers(0, 3, 23)
    by_fit, rng_fit = build(1)
    by_hand, rng_hand = build(1)
    history = nn.fit(by_fit, X, y, epochs=3, batch_size=5, lr=0.2, momentum=0.5, rng=rng_fit,
                     progress=False)
    losses = fit_by_hand(by_hand, X, y, epochs=3, batch_size=5, lr=0.2, momentum=0.5, rng=rng_hand)
    assert history["loss"] == losses
    for name, value in by_hand.params.items():
        assert np.array_equal(by_fit.params[name], value), name


# --- 4. lam without a penalty --------------------------------------------------------------------
def test_lam_without_a_penalty_is_refused_and_with_one_it_acts():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((8, 3)), rng.integers(0, 2, 8)
    model = nn.mlp([3, 2], rng=rng)
    with pytest.raises(ValueError, match=r"lam=0\.5 was given without a penalty.*penalty='l2'"):
        nn.fit(model, X, y, lam=0.5, rng=rng, progress=False)
    with pytest.raises(ValueError, match="lam"):
        nn.fit(model, X, y, penalty="l2", lam=-1.0, rng=rng, progress=False)

    def trained(**kw):
        m = nn.mlp([3, 2], rng=np.random.default_rng(1))
        nn.fit(m, X, y, epochs=2, rng=np.random.default_rng(2), progress=False, **kw)
        return m.params["0.W"]

    assert np.array_equal(trained(), trained(penalty="l2", lam=0.0))
    assert not np.array_equal(trained(), trained(penalty="l2", lam=0.5))


# --- 8. entry points --------------------------------------------------------------------------
@pytest.mark.parametrize("batch_size, error", [(0, ValueError), (-1, ValueError), (2.5, TypeError)])
def test_predict_checks_its_batch_size(batch_size, error):
    model = nn.mlp([3, 2], rng=np.random.default_rng(0))
    with pytest.raises(error, match=r"batch_size must be an integer >= 1"):
        nn.predict(model, np.ones((4, 3)), batch_size=batch_size)
    with pytest.raises(error, match=r"batch_size must be an integer >= 1"):
        nn.evaluate(model, "softmax_cross_entropy", np.ones((4, 3)), np.zeros(4, int), batch_size=batch_size)


@pytest.mark.parametrize("validation", [np.ones((5, 3)), np.ones((2, 3)), (np.ones((2, 3)),), "X"])
def test_validation_must_be_a_pair(validation):
    rng = np.random.default_rng(0)
    model = nn.mlp([3, 2], rng=rng)
    with pytest.raises(TypeError, match=r"validation must be a pair \(X_val, y_val\)"):
        nn.fit(model, np.ones((5, 3)), np.zeros(5, int), rng=rng, progress=False, validation=validation)


def test_a_model_starting_with_flatten_takes_any_rank():
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(6, 2, rng=rng))
    X3, y = rng.standard_normal((8, 2, 3)), rng.integers(0, 2, 8)
    assert nn.predict(model, X3).shape == (8, 2)
    history = nn.fit(model, X3, y, epochs=2, batch_size=4, rng=rng, progress=False,
                     validation=(X3[:3], y[:3]))
    assert history["accuracy"][-1] == nn.accuracy(model, X3, y)
    flat = nn.Sequential(nn.Linear(6, 2, rng=rng))
    flat.params["0.W"][...] = model.params["1.W"]
    flat.params["0.b"][...] = model.params["1.b"]
    assert np.array_equal(nn.predict(flat, X3.reshape(8, 6)), nn.predict(model, X3))
    with pytest.raises(ValueError, match=r"X of shape \(8, 2, 3\) does not fit the model.*2-D"):
        nn.fit(flat, X3, y, rng=rng, progress=False)


def test_linear_refuses_float16():
    with pytest.raises(TypeError, match=r"dtype must be float32 or float64, got float16"):
        nn.Linear(2, 2, rng=np.random.default_rng(0), dtype=np.float16)


# --- 9. the dtype rule for Linear -----------------------------------------------------------------
@pytest.mark.parametrize("layer_dtype, input_dtype", [(np.float32, np.float64), (np.float64, np.float32),
                                                      (np.float32, np.int64)])
def test_linear_computes_in_its_parameters_dtype(layer_dtype, input_dtype):
    rng = np.random.default_rng(0)
    layer = nn.Linear(4, 3, rng=rng, dtype=layer_dtype)
    x = (rng.standard_normal((5, 4)) * 3).astype(input_dtype)
    delta = rng.standard_normal((5, 3)).astype(input_dtype)
    out = layer.forward(x)
    dx = layer.backward(delta)
    assert out.dtype == layer_dtype and dx.dtype == layer_dtype
    assert all(layer.grads[k].dtype == layer.params[k].dtype == layer_dtype for k in layer.params)
    # the same numbers as the float64 computation, to the precision of the lower dtype
    W, b = (layer.params[k].astype(np.float64) for k in ("W", "b"))
    x64 = x.astype(layer_dtype).astype(np.float64)
    d64 = delta.astype(layer_dtype).astype(np.float64)
    tol = 1e-5 if np.float32 in (layer_dtype, input_dtype) else 1e-12
    np.testing.assert_allclose(out, x64 @ W + b, rtol=tol, atol=tol)
    np.testing.assert_allclose(dx, d64 @ W.T, rtol=tol, atol=tol)
    np.testing.assert_allclose(layer.grads["W"], x64.T @ d64, rtol=tol, atol=tol)
    np.testing.assert_allclose(layer.grads["b"], d64.sum(0), rtol=tol, atol=tol)


def test_a_float32_network_fed_float64_trains_in_float32():
    rng = np.random.default_rng(0)
    model = nn.mlp([3, 4, 2], rng=rng, dtype=np.float32)
    X, y = rng.standard_normal((12, 3)), rng.integers(0, 2, 12)
    nn.fit(model, X, y, epochs=2, batch_size=4, rng=rng, progress=False)
    assert all(p.dtype == np.float32 for p in model.params.values())
    assert all(g.dtype == np.float32 for g in model.grads.values())
    assert nn.predict(model, X).dtype == np.float32


# --- 10. divergence ----------------------------------------------------------------------------
DIVERGED = (r"the loss diverged in epoch \d+ of 50 "
            r"\((batch \d+ of 4|after its last batch, 4 of 4), after \d+ updates\)")


@pytest.mark.parametrize("sizes, loss, lr", [([2, 8, 2], "softmax_cross_entropy", 1e8),
                                             ([2, 8, 8, 1], "squared", 1e4),
                                             ([2, 8, 8, 1], "squared", 1e8)])
def test_divergence_names_the_epoch_and_batch_and_suggests_a_smaller_step(sizes, loss, lr):
    rng = np.random.default_rng(0)
    X, y = nn.data.make_blobs(64, rng=rng)
    model = nn.mlp(sizes, rng=rng, dropout=0.2)
    model.eval()
    targets = y if loss == "softmax_cross_entropy" else nn.data.to_pm1(y)
    # warnings are errors here: no numpy overflow warning may come first
    advice = re.escape(f"try a smaller lr than {lr:g} (e.g. {lr / 10:g})")
    with pytest.raises(TrainingDiverged, match=DIVERGED + ".*" + advice):
        nn.fit(model, X, targets, loss, epochs=50, batch_size=16, lr=lr, momentum=0.9, rng=rng,
               progress=False)
    assert not any(modes(model))     # the modes are given back on this exit too
    assert issubclass(TrainingDiverged, FloatingPointError)


class Explode:
    """An optimizer that sets the first weight matrix to inf at its k-th step."""

    def __init__(self, model, k):
        self.model, self.k, self.steps = model, k, 0

    def step(self, extra=None):
        self.steps += 1
        if self.steps == self.k:
            self.model.params["0.W"][...] = np.inf


def test_outputs_that_become_inf_mid_epoch_are_reported_at_their_batch():
    rng = np.random.default_rng(0)
    model = nn.mlp([2, 3, 2], rng=rng)
    X, y = rng.standard_normal((16, 2)), rng.integers(0, 2, 16)
    with pytest.raises(TrainingDiverged, match=r"epoch 2 of 3 \(batch 3 of 4, after 6 updates\): the "
                                               r"network's outputs became inf or NaN.*smaller step size"):
        nn.fit(model, X, y, epochs=3, batch_size=4, rng=rng, progress=False, optimizer=Explode(model, 6))


def test_divergence_after_the_last_batch_is_caught_before_it_is_recorded():
    rng = np.random.default_rng(0)
    model = nn.mlp([2, 1], rng=rng)
    X = rng.standard_normal((6, 2))
    with pytest.raises(TrainingDiverged, match=r"epoch 1 of 3 \(after its last batch, 1 of 1, after 1 "
                                               r"updates\): the parameters became inf or NaN"):
        nn.fit(model, X, X[:, :1] ** 2, "squared", epochs=3, batch_size=8, rng=rng, progress=False,
               optimizer=Explode(model, 1))
