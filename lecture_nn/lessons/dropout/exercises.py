"""Exercises of notebook 04 (dropout and adversarial examples).

1. (build it) inverted dropout, forward and backward, compared with the package's ``Dropout``;
2. the variance of a unit's input over the dropout masks;
3. FGSM on a linear score;
4. a targeted attack: turn a 1 into a confident 7.
"""
from __future__ import annotations

import numpy as np

from lecture_nn.dropout import Dropout, all_masks
from lecture_nn.lessons.checking import BuildExercise, Exercise, Mistake
from lecture_nn.lessons.dropout.adversarial import class_probabilities, digit_classifier, mnist_digits

# --- exercise 1: inverted dropout, built by hand ------------------------------------------------


def package_inverted_dropout(a, grad_out, p, rng, training=True):
    """Exercise 1's function computed by the package: inverted ``Dropout(p, rng, mode="inverted")``
    in training or evaluation mode, forward on ``a`` and backward from ``grad_out``."""
    layer = Dropout(p, rng=rng, mode="inverted").train(training)
    return layer.forward(a), layer.backward(grad_out)


def inverted_dropout_inputs(rng: np.random.Generator):
    """Fresh (a, grad_out, p, generator, training) for exercise 1: several shapes (a batch of one,
    odd widths), drop probabilities other than 1/2 first (where p and 1 − p coincide), test time."""
    cases = []
    for (n, d), p, training in (((6, 9), 0.3, True), ((1, 7), 0.6, True), ((5, 3), 0.25, False),
                                ((4, 11), 0.5, True)):
        a = np.maximum(rng.normal(size=(n, d)), 0.0) + 0.1     # ReLU-like activations, none exactly 0
        grad_out = rng.normal(size=(n, d))
        masks = np.random.default_rng(rng.integers(2 ** 32))   # the same stream for yours and the package's
        when = "training" if training else "test time"
        cases.append(((a, grad_out, p, masks, training), f"a of shape {(n, d)}, p = {p}, {when}"))
    return cases


def _inverted_dropout_code(*, keep_test="return a, grad_out", mask="rng.random(a.shape) < 1 - p",
                           factor="mask / (1 - p)", out="a * factor", grad="grad_out * factor",
                           training_branch=True) -> str:
    """Exercise 1's function as a student may write it, with one part changed (for the mistakes)."""
    head = "import numpy as np\n\ndef inverted_dropout(a, grad_out, p, rng, training=True):\n"
    test_time = f"    if not training:\n        {keep_test}\n" if training_branch else ""
    return (head + test_time + f"    mask = {mask}\n    factor = {factor}\n"
            f"    return {out}, {grad}")


INVERTED_DROPOUT_MISTAKES = (
    Mistake("division by p instead of by 1 − p",
            "your kept units are divided by p, the probability of *dropping* a unit. The factor that "
            "keeps the expected output equal to a is one over the probability of keeping it.",
            _inverted_dropout_code(factor="mask / p")),
    Mistake("classic factor 1 − p used while training",
            "your kept units are multiplied by 1 − p, the notes' test-time factor. Inverted dropout "
            "divides them by 1 − p while training, so that the test-time layer has nothing to do.",
            _inverted_dropout_code(factor="mask * (1 - p)")),
    Mistake("mask that keeps a unit with probability p",
            "your mask keeps about a fraction p of the units; p is the probability of dropping one, so "
            "a unit should be kept with probability 1 − p.",
            _inverted_dropout_code(mask="rng.random(a.shape) < p")),
    Mistake("mask drawn the other way round (u > p)",
            "your mask keeps each unit with the right probability, 1 − p, but not the units the "
            "checker keeps: keep a unit where its u is *below* 1 − p, as the docstring says, so that "
            "your numbers can be compared with the package's.",
            _inverted_dropout_code(mask="rng.random(a.shape) > p")),
    Mistake("second scaling at test time",
            "at test time your layer multiplies by 1 − p. That is the notes' classic rule; inverted "
            "dropout has already scaled by 1/(1 − p) while training, so at test time it passes a and "
            "grad_out through unchanged.",
            _inverted_dropout_code(keep_test="return a * (1 - p), grad_out * (1 - p)")),
    Mistake("mask still applied at test time",
            "with training=False your layer still drops units; at test time every unit is on.",
            _inverted_dropout_code(training_branch=False)),
    Mistake("mask missing in the backward pass",
            "your ∂ℓ/∂a is grad_out / (1 − p) for every unit, the dropped ones included. A dropped "
            "unit's output is 0 whatever its input, so no gradient flows back through it.",
            _inverted_dropout_code(grad="grad_out / (1 - p)")),
    Mistake("factor 1/(1 − p) missing in the backward pass",
            "your ∂ℓ/∂a is the mask times grad_out. The output is a times the factor m/(1 − p), so its "
            "derivative with respect to a is that same factor, not the bare mask.",
            _inverted_dropout_code(grad="grad_out * mask")),
)

exercise_1 = BuildExercise(
    name="exercise_1", title="inverted dropout, forward and backward", function_name="inverted_dropout",
    make_inputs=inverted_dropout_inputs, reference=package_inverted_dropout, outputs=("out", "grad_a"),
    forbidden=(Dropout,),
    hints=("Write the training output as a ⊙ f, with a factor f that is 0 for a dropped unit and one "
           "number for every kept unit: which number makes the expected output equal to a? The "
           "derivative of a ⊙ f with respect to a is f, entry by entry. At test time, is anything left "
           "to scale?",
           "While training: mask = rng.random(a.shape) < 1 - p, f = mask / (1 - p), and return "
           "(a * f, grad_out * f). With training=False return (a, grad_out) unchanged."),
    worked_solution="""A unit is kept with probability $1-p$, so $\\mathbb{E}[m_i] = 1-p$ and dividing
the kept outputs by $1-p$ gives $\\mathbb{E}[m_i a_i/(1-p)] = a_i$: in expectation the next layer sees
what it sees at test time, when every unit is on and nothing is scaled. The output is $a \\odot f$
with $f = m/(1-p)$, a factor that does not depend on $a$; its derivative with respect to $a$ is $f$,
so the backward pass multiplies $\\partial\\ell/\\partial(\\text{output})$ by the same $f$: a dropped unit
passes no gradient back, a kept one passes it on scaled by $1/(1-p)$. The mask is drawn once, with one
uniform number per unit and example, and used by both passes.""",
    solution_code="""import numpy as np

def inverted_dropout(a, grad_out, p, rng, training=True):
    if not training:
        return a, grad_out                  # test time: every unit on, nothing to scale
    mask = rng.random(a.shape) < 1 - p      # True where a unit is kept (probability 1 - p)
    factor = mask / (1 - p)                 # 0 for a dropped unit, 1/(1 - p) for a kept one
    return a * factor, grad_out * factor    # the backward pass multiplies by the same factor""",
    mistakes=INVERTED_DROPOUT_MISTAKES,
    rtol=1e-12, atol=1e-12)


# --- exercises 2-4: answers -----------------------------------------------------------------------

VARIANCE_EXAMPLE = {"x": np.array([1.0, -2.0, 0.5, 3.0]), "w": np.array([0.5, 1.0, -2.0, 0.25]),
                    "p": 0.5}
"""Exercise 2: activations x of four units, their outgoing weights w, drop probability p."""

FGSM_EXAMPLE = {"w": np.array([0.5, -1.0, 2.0, 0.0, -0.25]), "epsilon": 0.1}
"""Exercise 3: a linear score z = w·x and the FGSM step size ε."""

ONE_INDEX = 21
"""Exercise 4: the first test digit labelled 1 (``mnist_digits().X_test[ONE_INDEX]``)."""
TARGET = 7
MAX_CHANGE = 0.2
"""Exercise 4: no pixel may move further than this from the test digit."""
MIN_PROBABILITY = 0.9
"""Exercise 4: the probability the network must give the target class."""


def dropout_output_variance(x, w, p) -> float:
    """Variance over all masks of z = Σ_i m_i x_i w_i with m_i = 0 with probability p."""
    x, w = np.asarray(x, float), np.asarray(w, float)
    masks = all_masks(len(x))
    n_kept = masks.sum(axis=1)
    weights = (1 - p) ** n_kept * p ** (len(x) - n_kept)
    z = masks @ (x * w)
    mean = weights @ z
    return float(weights @ (z - mean) ** 2)


def targeted_attack_judge(image) -> bool:
    """Exercise 4's judge: True when ``image`` (784 pixels) reads as ``TARGET`` with probability at
    least ``MIN_PROBABILITY``. Otherwise it raises ValueError saying what is wrong (not 784 numbers,
    NaN, a pixel outside [0, 1], a pixel moved more than ``MAX_CHANGE``, too low a probability),
    which the checker prints after "not yet"."""
    if image is None or isinstance(image, (bool, np.bool_, str, bytes)):
        raise ValueError(f"expected an image of 784 pixel values, got {image!r:.40}")
    try:
        x = np.asarray(image)
    except (TypeError, ValueError):
        raise ValueError("expected an image of 784 pixel values, got a ragged list") from None
    if x.dtype.kind not in "iuf":
        raise ValueError(f"expected an image of 784 pixel values (numbers), got an array of {x.dtype}")
    x = x.astype(float).reshape(-1)
    start = mnist_digits().X_test[ONE_INDEX]
    if x.shape != start.shape:
        raise ValueError(f"expected an image of {start.size} pixels, got {x.size}")
    if not np.all(np.isfinite(x)):
        raise ValueError("your image contains NaN or infinity")
    if x.min() < 0 or x.max() > 1:
        raise ValueError(f"every pixel must lie in [0, 1]; yours range from {x.min():.3g} to {x.max():.3g}")
    moved = np.abs(x - start).max()
    if moved > MAX_CHANGE + 1e-9:
        raise ValueError(f"a pixel moved by {moved:.3g}, more than {MAX_CHANGE} from the test digit")
    probability = class_probabilities(digit_classifier(), x[None])[0, TARGET]
    if probability < MIN_PROBABILITY:
        raise ValueError(f"the network gives '{TARGET}' a probability of {probability:.2f}; it should be at "
                         f"least {MIN_PROBABILITY}")
    return True


def reads_as_target(image) -> bool:
    """Whether ``image`` answers exercise 4: within ``MAX_CHANGE`` of the test digit ``ONE_INDEX``
    in every pixel, in [0, 1], and read as ``TARGET`` with probability at least ``MIN_PROBABILITY``."""
    try:
        return targeted_attack_judge(image)
    except ValueError:
        return False


def _towards_a_picture_of_seven():
    """A plausible mistake for exercise 4: move every pixel by 0.2 towards a real 7, ignoring the gradient."""
    mnist = mnist_digits()
    seven = mnist.X_test[np.flatnonzero(mnist.y_test == TARGET)[0]]
    start = mnist.X_test[ONE_INDEX]
    return np.clip(start + MAX_CHANGE * np.sign(seven - start), 0.0, 1.0)


exercise_2 = Exercise(
    name="exercise_2", title="variance over the dropout masks",
    expected=lambda: dropout_output_variance(VARIANCE_EXAMPLE["x"], VARIANCE_EXAMPLE["w"],
                                             VARIANCE_EXAMPLE["p"]),
    hints=("z is a sum of terms m_i · (x_i w_i) in which only the m_i are random, and the m_i are "
           "independent. What does independence let you do with the variance of a sum?",
           "Var(Σ_i c_i m_i) = Σ_i c_i² Var(m_i) for independent m_i, and m_i is 1 with probability "
           "1 − p and 0 otherwise, so Var(m_i) = p(1 − p)."),
    worked_solution="""Write $c_i = x_i w_i$, so $z = \\sum_i m_i c_i$ with independent $m_i \\in \\{0, 1\\}$,
$P(m_i = 1) = 1 - p$. A 0/1 variable has mean $1 - p$ and variance $(1-p) - (1-p)^2 = p(1-p)$.
For independent terms the variances add, and a constant factor comes out squared:
$\\mathrm{Var}(z) = p(1-p) \\sum_i c_i^2$. Here $c = (0.5, -2, -1, 0.75)$, $\\sum_i c_i^2 = 5.8125$
and $p(1-p) = 1/4$. The halved network computes the mean of $z$; this is how far a single
thinned network typically strays from it.""",
    solution_code="""import numpy as np
from lecture_nn.lessons.dropout.exercises import VARIANCE_EXAMPLE
c = VARIANCE_EXAMPLE["x"] * VARIANCE_EXAMPLE["w"]
p = VARIANCE_EXAMPLE["p"]
answer = p * (1 - p) * np.sum(c ** 2)""",
    wrong_answer=0.5 * 5.8125)          # Var(m_i) taken as p instead of p(1 − p)

exercise_3 = Exercise(
    name="exercise_3", title="FGSM on a linear score",
    expected=lambda: FGSM_EXAMPLE["epsilon"] * np.abs(FGSM_EXAMPLE["w"]).sum(),
    hints=("The step changes x by δ = ε sign(w), so z changes by w · δ. Work out one term w_i δ_i: "
           "what is its sign?",
           "w_i · ε sign(w_i) = ε |w_i|: every pixel with a nonzero weight adds to z, none "
           "subtracts. Add these up."),
    worked_solution="""For $z = w \\cdot x$ the gradient with respect to $x$ is $w$, so the FGSM step is
$\\delta = \\varepsilon\\,\\mathrm{sign}(w)$ and $z$ changes by $w \\cdot \\delta = \\varepsilon \\sum_i |w_i|$:
each pixel's contribution has the sign of the increase, none cancels. With
$\\sum_i |w_i| = 3.75$ and $\\varepsilon = 0.1$ the score rises by 0.375. The sum has one term
per pixel, so with $d$ pixels of typical weight size $\\bar w$ it grows like $\\varepsilon d \\bar w$:
a change too small to see in each of 784 pixels adds up to a large change of the score. Random
signs instead give terms of both signs, whose sum grows only like $\\sqrt{d}$.""",
    solution_code="""import numpy as np
from lecture_nn.lessons.dropout.exercises import FGSM_EXAMPLE
w, eps = FGSM_EXAMPLE["w"], FGSM_EXAMPLE["epsilon"]
answer = w @ (eps * np.sign(w))""",
    wrong_answer=0.1 * 1.25)            # ε Σ w_i: the signs forgotten

exercise_4 = Exercise(
    name="exercise_4", title="turn a 1 into a confident 7",
    judge=targeted_attack_judge,
    hints=("FGSM climbs the loss of the true label. To reach a chosen label, use the loss of *that* "
           "label instead, go the other way, and take several small steps, checking the two limits "
           "after each.",
           "Repeat x ← x − 0.01 · sign(input_gradient(classifier, x, [7])), then clip x to "
           "[x₀ − 0.2, x₀ + 0.2] and to [0, 1], until class_probabilities(classifier, x)[0, 7] ≥ 0.9."),
    worked_solution="""Lowering the cross-entropy loss for the label 7, $-\\log p_7(x)$, raises $p_7$. So step
*against* the sign of its input gradient, as FGSM steps along the sign of the true label's
gradient, but in small steps of 0.01, since one step of the full 0.2 overshoots what the
linearisation can predict. After each step, project back: no pixel further than 0.2 from the
starting 1, and every pixel in $[0, 1]$. Stop once $p_7 \\ge 0.9$. Counting the steps answers
the open question: a few dozen at most, each changing no pixel by more than 0.01.""",
    solution_code="""import numpy as np
from lecture_nn.lessons.dropout.adversarial import (class_probabilities, digit_classifier,
                                                    input_gradient, mnist_digits)
from lecture_nn.lessons.dropout.exercises import MAX_CHANGE, ONE_INDEX
classifier = digit_classifier()
x0 = mnist_digits().X_test[ONE_INDEX:ONE_INDEX + 1]
x, steps = x0.copy(), 0
while class_probabilities(classifier, x)[0, 7] < 0.9 and steps < 200:
    x = x - 0.01 * np.sign(input_gradient(classifier, x, [7]))   # down the loss of the label 7
    x = np.clip(x, x0 - MAX_CHANGE, x0 + MAX_CHANGE)               # at most 0.2 from the 1
    x = np.clip(x, 0.0, 1.0)                                        # still an image
    steps += 1
answer = x[0]""",
    wrong_answer=_towards_a_picture_of_seven())
