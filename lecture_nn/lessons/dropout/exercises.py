"""Exercises of notebook 04 (dropout and adversarial examples)."""
from __future__ import annotations

import numpy as np

from lecture_nn.dropout import all_masks
from lecture_nn.lessons.checking import Exercise
from lecture_nn.lessons.dropout.adversarial import class_probabilities, digit_classifier, mnist_digits

VARIANCE_EXAMPLE = {"x": np.array([1.0, -2.0, 0.5, 3.0]), "w": np.array([0.5, 1.0, -2.0, 0.25]),
                    "p": 0.5}
"""Exercise 1: activations x of four units, their outgoing weights w, drop probability p."""

FGSM_EXAMPLE = {"w": np.array([0.5, -1.0, 2.0, 0.0, -0.25]), "epsilon": 0.1}
"""Exercise 2: a linear score z = w·x and the FGSM step size ε."""

ONE_INDEX = 21
"""Exercise 3: the first test digit labelled 1 (``mnist_digits().X_test[ONE_INDEX]``)."""
TARGET = 7
MAX_CHANGE = 0.2
"""Exercise 3: no pixel may move further than this from the test digit."""
MIN_PROBABILITY = 0.9
"""Exercise 3: the probability the network must give the target class."""


def dropout_output_variance(x, w, p) -> float:
    """Variance over all masks of z = Σ_i m_i x_i w_i with m_i = 0 with probability p."""
    x, w = np.asarray(x, float), np.asarray(w, float)
    masks = all_masks(len(x))
    n_kept = masks.sum(axis=1)
    weights = (1 - p) ** n_kept * p ** (len(x) - n_kept)
    z = masks @ (x * w)
    mean = weights @ z
    return float(weights @ (z - mean) ** 2)


def reads_as_target(image) -> bool:
    """Exercise 3's judge: ``image`` (784 pixels in [0, 1]) is within ``MAX_CHANGE`` of the test digit
    ``ONE_INDEX`` in every pixel, and the notebook's classifier gives ``TARGET`` a probability of
    at least ``MIN_PROBABILITY``."""
    try:
        x = np.asarray(image, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        return False
    start = mnist_digits().X_test[ONE_INDEX]
    if x.shape != start.shape or not np.all(np.isfinite(x)):
        return False
    if x.min() < 0 or x.max() > 1 or np.abs(x - start).max() > MAX_CHANGE + 1e-9:
        return False
    return bool(class_probabilities(digit_classifier(), x[None])[0, TARGET] >= MIN_PROBABILITY)


def _towards_a_picture_of_seven():
    """A plausible mistake for exercise 3: move every pixel by 0.2 towards a real 7, ignoring the gradient."""
    mnist = mnist_digits()
    seven = mnist.X_test[np.flatnonzero(mnist.y_test == TARGET)[0]]
    start = mnist.X_test[ONE_INDEX]
    return np.clip(start + MAX_CHANGE * np.sign(seven - start), 0.0, 1.0)


exercise_1 = Exercise(
    name="exercise_1", title="variance over the dropout masks",
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

exercise_2 = Exercise(
    name="exercise_2", title="FGSM on a linear score",
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

exercise_3 = Exercise(
    name="exercise_3", title="turn a 1 into a confident 7",
    judge=reads_as_target,
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
