"""Notebook 03's lesson helpers: the student's form of an initialiser, the checker that compares random
draws by their statistics, and the loss on the line between two networks (dead-unit masks: test_diagnostics)."""
import dataclasses

import numpy as np
import pytest

import lecture_nn as nn
from lecture_nn.lessons.checking import Mistake
from lecture_nn.lessons.training.draw_checking import RandomDrawExercise
from lecture_nn.lessons.training.exercises import exercise_1, initialiser_inputs
from lecture_nn.lessons.training.initialisers import as_initialiser, he_weights
from lecture_nn.lessons.training.landscape import height_above_chord, loss_along_line


# --- initialisers in the student's form ----------------------------------------------------

def test_he_weights_has_the_notes_shape_and_variance():
    W = he_weights(400, 300, np.random.default_rng(0))
    assert W.shape == (400, 300)
    assert abs(W.mean()) < 0.01 * np.sqrt(2 / 400)
    assert W.var() == pytest.approx(2 / 400, rel=0.02)
    assert np.array_equal(W, he_weights(400, 300, np.random.default_rng(0)))


@pytest.mark.parametrize("args, error, match", [
    ((0, 3, np.random.default_rng(0)), ValueError, "n_in"),
    ((3, 2.5, np.random.default_rng(0)), TypeError, "n_out"),
    ((3, 2, 0), TypeError, "rng must be a numpy.random.Generator"),
])
def test_he_weights_bad_input(args, error, match):
    with pytest.raises(error, match=match):
        he_weights(*args)


def test_as_initialiser_builds_a_network_from_a_hand_written_initialiser():
    def my_init(n_in, n_out, rng):
        return rng.normal(0.0, np.sqrt(2 / n_in), size=(n_in, n_out))

    net = nn.mlp([5, 7, 3], "relu", rng=np.random.default_rng(1), init=as_initialiser(my_init))
    reference = nn.mlp([5, 7, 3], "relu", rng=np.random.default_rng(1), init="he")
    assert net.params["0.W"].shape == (5, 7) and net.params["2.W"].shape == (7, 3)
    for key in net.params:           # rng.normal(0, σ) and the package's σ · standard_normal agree
        np.testing.assert_allclose(net.params[key], reference.params[key], rtol=1e-12)


def test_as_initialiser_bad_input():
    with pytest.raises(TypeError, match="init must be a function"):
        as_initialiser(3)
    transposed = as_initialiser(lambda n_in, n_out, rng: np.zeros((n_out, n_in)))
    with pytest.raises(ValueError, match=r"returned shape \(3, 2\), expected \(2, 3\)"):
        transposed((2, 3), np.random.default_rng(0))
    with pytest.raises(ValueError, match="NaN or infinite"):
        as_initialiser(lambda n_in, n_out, rng: np.full((n_in, n_out), np.nan))((2, 3), np.random.default_rng(0))
    with pytest.raises(ValueError, match="shape: .* dense weight matrices"):
        as_initialiser(he_weights)((2, 3, 3, 3), np.random.default_rng(0))


# --- the checker of random draws -----------------------------------------------------------

def test_initialiser_checker_accepts_every_right_form(capsys):
    def standard_normal(n_in, n_out, rng):
        return np.sqrt(2 / n_in) * rng.standard_normal((n_in, n_out))

    def drawn_transposed(n_in, n_out, rng):           # other draws, same distribution
        return (np.sqrt(2 / n_in) * rng.standard_normal((n_out, n_in))).T

    def uniform(n_in, n_out, rng):                    # the same variance, another distribution
        limit = np.sqrt(6 / n_in)
        return rng.uniform(-limit, limit, (n_in, n_out))

    def single_precision(n_in, n_out, rng):
        return standard_normal(n_in, n_out, rng).astype(np.float32)

    for function in (standard_normal, drawn_transposed, uniform, single_precision):
        assert exercise_1.check(function, rng=np.random.default_rng(5)) is True, function.__name__
    assert capsys.readouterr().out.count("correct.") == 4


@pytest.mark.parametrize("body, message", [
    ("return np.random.default_rng(0).normal(0, np.sqrt(2 / n_in), (n_in, n_out))",
     "Called with two different generators, your function returned the same numbers"),
    ("return np.random.randn(n_in, n_out) * np.sqrt(3 / n_in)",      # no named mistake: both wrong
     "Called twice with the same generator state, your function returned different numbers"),
    ("return rng.normal(0.5 * np.sqrt(2 / n_in), np.sqrt(2 / n_in), (n_in, n_out))",
     "standard deviations, not 0 (for n_in = 64"),
    ("return rng.normal(0, np.sqrt(3 / n_in), (n_in, n_out))",
     "The variance of your numbers is 1.5 times what it should be"),
    ("w = rng.normal(0, np.sqrt(2 / n_in), (n_in, n_out))\n    w[:, 1:2] = w[:, :1]\n    return w",
     None),                                           # one copied column of 257 or 50: within tolerance
    ("return rng.normal(0, np.sqrt(2 / n_in), (n_in, n_out)) > 0",
     "should be an array of numbers; your function returned an array of bool"),
])
def test_initialiser_checker_says_what_is_wrong(body, message, capsys):
    namespace = {"np": np}
    exec(f"def my_init(n_in, n_out, rng):\n    {body}\n", namespace)
    result = exercise_1.check(namespace["my_init"], rng=np.random.default_rng(3))
    out = capsys.readouterr().out
    if message is None:
        assert result is True, out
    else:
        assert result is False and message in out, out
        assert "This looks like a" not in out and "Traceback" not in out


def test_initialiser_checker_prints_a_student_print_once_per_input(capsys):
    def chatty(n_in, n_out, rng):
        print("drawing")
        return rng.normal(0, np.sqrt(2 / n_in), (n_in, n_out))

    assert exercise_1.check(chatty, rng=np.random.default_rng(0)) is True
    assert capsys.readouterr().out.count("drawing") == len(initialiser_inputs(np.random.default_rng(0)))


def test_initialiser_checker_form_part_ignores_the_statistics_but_not_the_shape():
    """The graded assignment's "form" test replaces rtol/atol as for every build-it exercise."""
    form = dataclasses.replace(exercise_1, rtol=0.0, atol=float(np.finfo(np.float64).max))
    too_small = exercise_1.mistake_function(exercise_1.mistakes[1])       # σ = 2 / n_in
    assert form.verdict(too_small, np.random.default_rng(1)) == ""
    assert exercise_1.verdict(too_small, np.random.default_rng(1)).startswith("This looks like a")
    transposed = next(m for m in exercise_1.mistakes if m.name == "transposed weight matrix")
    assert "transposed" in form.verdict(exercise_1.mistake_function(transposed), np.random.default_rng(1))


def test_initialiser_inputs_are_non_square_with_their_own_generators():
    cases = initialiser_inputs(np.random.default_rng(0))
    sizes = [args[:2] for args, _ in cases]
    assert any(n_out == 1 for _, n_out in sizes) and all(n_in != n_out for n_in, n_out in sizes)
    generators = [args[2] for args, _ in cases]
    assert all(isinstance(g, np.random.Generator) for g in generators)
    assert len({g.bit_generator.state["state"]["state"] for g in generators}) == len(cases)


def test_random_draw_exercise_keeps_the_build_exercise_rules():
    mistakes = tuple(Mistake(f"mistake {i}", "…", "def f(n, rng):\n    return rng.normal(size=n)") for i in range(2))
    with pytest.raises(ValueError, match="at least 3 common mistakes"):
        RandomDrawExercise(name="exercise_9", title="t", function_name="f", hints=("a", "b"),
                           worked_solution="w", solution_code="def f(n, rng): ...",
                           make_inputs=lambda rng: [], reference=he_weights, mistakes=mistakes,
                           forbidden=(he_weights,))


# --- the loss on the line between two networks ---------------------------------------------

def test_loss_along_line_ends_at_the_two_networks_and_changes_neither():
    rng = np.random.default_rng(2)
    X, y = rng.standard_normal((20, 2)), rng.integers(0, 2, 20)
    a, b = (nn.mlp([2, 4, 2], "tanh", rng=rng) for _ in range(2))
    before = {k: v.copy() for k, v in a.params.items()}
    losses = loss_along_line(a, b, X, y, [0.0, 0.5, 1.0])
    assert losses[0] == pytest.approx(nn.evaluate(a, "softmax_cross_entropy", X, y))
    assert losses[2] == pytest.approx(nn.evaluate(b, "softmax_cross_entropy", X, y))
    assert all(np.array_equal(before[k], a.params[k]) for k in before)


def test_loss_along_line_bad_input():
    rng = np.random.default_rng(2)
    X, y = rng.standard_normal((5, 2)), rng.integers(0, 2, 5)
    a, b = nn.mlp([2, 4, 2], "relu", rng=rng), nn.mlp([2, 3, 2], "relu", rng=rng)
    with pytest.raises(ValueError, match="same parameters and shapes"):
        loss_along_line(a, b, X, y, [0.0, 1.0])
    with pytest.raises(TypeError, match="model_b must be a Sequential"):
        loss_along_line(a, "b", X, y, [0.0, 1.0])
    with pytest.raises(ValueError, match="ts must"):
        loss_along_line(a, a, X, y, [0.0, np.nan])


def test_height_above_chord():
    ts = np.linspace(0, 1, 5)
    assert height_above_chord([1.0, 1.5, 2.0, 2.5, 3.0], ts) == pytest.approx(0.0)     # a straight line
    assert height_above_chord([1.0, 0.5, 0.2, 0.5, 1.0], ts) == pytest.approx(0.0)     # a convex valley
    assert height_above_chord([1.0, 2.0, 3.0, 2.0, 1.0], ts) == pytest.approx(2.0)     # a ridge
    with pytest.raises(ValueError, match="same length"):
        height_above_chord([1.0, 2.0], ts)
    with pytest.raises(ValueError, match="same t"):
        height_above_chord([1.0, 2.0], [0.5, 0.5])
