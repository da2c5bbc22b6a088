"""Exercises of notebook 03 (training a neural network, notes §4).

Layers are numbered as in the notes: the input is layer 1, the first hidden layer is layer 2.
"""
from __future__ import annotations

import numpy as np

from lecture_nn.init import gaussian, he, lecun, xavier
from lecture_nn.layers import Linear
from lecture_nn.lessons.checking import Exercise, Mistake
from lecture_nn.lessons.training.draw_checking import RandomDrawExercise
from lecture_nn.lessons.training.initialisers import he_weights
from lecture_nn.models import mlp

ZERO_INIT_CLASS_COUNTS = (300, 100)
"""Exercise 2: examples of class 0 and of class 1."""

SHRINK_FACTORS = 10
"""Exercise 3: the number of factors Diag[σ'(z^l)] W^{l+1} between δ^12 and δ^2."""

LEAKY_FAN_IN = 50
"""Exercise 4: the number of inputs n_in of each leaky ReLU unit."""

LEAKY_SLOPE = 0.2
"""Exercise 4: the slope α of the leaky ReLU f(z) = max(αz, z) for z < 0."""


def initialiser_inputs(rng: np.random.Generator):
    """Layer sizes for exercise 1 (a single unit, a wide layer with few inputs, a non-square one),
    each with its own generator drawn from ``rng``."""
    sizes = [((64, 1), "n_in = 64, n_out = 1 (a single unit)"),
             ((9, 257), "n_in = 9, n_out = 257 (few inputs, many units)"),
             ((30, 50), "n_in = 30, n_out = 50")]
    seeds = rng.integers(0, 2 ** 63, size=len(sizes))
    return [((n_in, n_out, np.random.default_rng(seed)), description)
            for ((n_in, n_out), description), seed in zip(sizes, seeds)]


def _init_code(body: str) -> str:
    """A student's ``my_init`` with ``body`` (already indented) as its body."""
    return f"import numpy as np\n\ndef my_init(n_in, n_out, rng):\n{body}"


exercise_1 = RandomDrawExercise(
    name="exercise_1", title="He's initialiser for ReLU layers", function_name="my_init",
    make_inputs=initialiser_inputs, reference=he_weights, outputs=("W",),
    forbidden=(he_weights, he, lecun, xavier, gaussian, Linear, mlp),
    hints=("A unit adds up n_in terms w_i a_i. Work out Var z from the variance σ² of each weight "
           "and from what a ReLU keeps of its input, then choose σ² so that the spread neither grows "
           "nor shrinks. Draw every weight from the generator `rng` passed in.",
           "σ² = 2 / n_in (He's rule: the ReLU zeroes half of each z, the 2 makes up for it). "
           "`rng.normal(loc, scale, size)` takes the standard deviation σ as `scale`; W has one row "
           "per input and one column per unit."),
    worked_solution=r"""
A unit of the next layer computes $z = \sum_{i=1}^{n_{in}} w_i a_i$. With independent weights of
mean 0 and variance $\sigma^2$, $\mathrm{Var}\, z = n_{in}\,\sigma^2\,\mathbb{E}[a_i^2]$. A ReLU
passes the positive half of a $z$ that is symmetric around 0 and zeroes the rest, so
$\mathbb{E}[a^2] = \mathbb{E}[z^2]/2$ for the layer below. Together
$\mathrm{Var}\, z^{l+1} = \tfrac12\, n_{in}\,\sigma^2\, \mathrm{Var}\, z^l$: the spread stays the same
from layer to layer when $\sigma^2 = 2/n_{in}$, He's rule.

In code: `rng.normal` takes the standard deviation, $\sigma = \sqrt{2/n_{in}}$; the matrix $W^l$
of $z^l = (W^l)^T a^{l-1} + b^l$ has one row per input and one column per unit, shape
$(n_{in}, n_{out})$; and every number comes from the generator passed in, so that a seed
reproduces the network. (A uniform draw on $[-a, a]$ with $a = \sqrt{6/n_{in}}$ has the same
variance and passes as well.)""",
    solution_code="""import numpy as np

def my_init(n_in, n_out, rng):
    sigma = np.sqrt(2 / n_in)             # variance σ² = 2 / n_in
    return rng.normal(0.0, sigma, size=(n_in, n_out))""",
    mistakes=(
        Mistake("variance 1/n_in (LeCun's rule)",
                "your weights have half the variance they need. A ReLU zeroes half of each z, so with "
                "σ² = 1/n_in the spread shrinks by a factor √2 in every layer (the table's row "
                "'ReLU, σ = 0.1' is σ² = 1/n_in for n_in = 100: see where it ends).",
                _init_code("    return rng.normal(0.0, np.sqrt(1 / n_in), size=(n_in, n_out))")),
        Mistake("standard deviation set to the variance",
                "your weights have standard deviation 2/n_in, far too small. The second argument of "
                "`rng.normal` is the standard deviation σ, not the variance σ²: take a square root.",
                _init_code("    return rng.normal(0.0, 2 / n_in, size=(n_in, n_out))")),
        Mistake("fan-out instead of fan-in",
                "your variance is 2/n_out. Each unit adds up n_in inputs (the rows of W), so it is the "
                "number of inputs that sets the size of z, not the number of units in the layer.",
                _init_code("    return rng.normal(0.0, np.sqrt(2 / n_out), size=(n_in, n_out))")),
        Mistake("transposed weight matrix",
                "your W has shape (n_out, n_in). In the notes' z^l = (W^l)^T a^{l−1} + b^l, W^l has one "
                "row per input and one column per unit: (n_in, n_out).",
                _init_code("    return rng.normal(0.0, np.sqrt(2 / n_in), size=(n_out, n_in))")),
        Mistake("generator ignored",
                "the same generator state gave different weights: your numbers come from NumPy's "
                "global generator, not from the `rng` passed in, so no seed can reproduce the network.",
                _init_code("    return np.random.randn(n_in, n_out) * np.sqrt(2 / n_in)")),
        Mistake("same weights for every unit",
                "every column of your W is the same, so every unit of the layer computes the same "
                "function and they stay copies of each other (section 1). Draw every entry on its own.",
                _init_code("    w = rng.normal(0.0, np.sqrt(2 / n_in), size=(n_in, 1))\n"
                           "    return np.tile(w, (1, n_out))")),
        Mistake("Xavier's rule (meant for tanh)",
                "your variance is 2/(n_in + n_out), Glorot and Bengio's compromise for tanh layers; "
                "a ReLU layer needs its variance set by n_in alone, and larger.",
                _init_code("    return rng.normal(0.0, np.sqrt(2 / (n_in + n_out)), size=(n_in, n_out))")),
        Mistake("uniform on [0, 1) instead of a normal draw",
                "all your weights are positive: `rng.random` draws from [0, 1). The weights need mean "
                "0, as `rng.normal` or `rng.standard_normal` gives.",
                _init_code("    return rng.random((n_in, n_out)) * np.sqrt(2 / n_in)")),
    ))


exercise_2 = Exercise(
    name="exercise_2", title="output biases of a zero-initialised network",
    expected=lambda: np.log(ZERO_INIT_CLASS_COUNTS[0] / ZERO_INIT_CLASS_COUNTS[1]), rtol=1e-3,
    hints=("Only the output biases move, so the network gives every input the same two "
           "probabilities. Which constant probabilities make the mean cross-entropy smallest, "
           "and which biases produce them?",
           "The best constant probabilities are the class frequencies, 3/4 and 1/4. The softmax "
           "of the biases has p_0 / p_1 = exp(b_0 − b_1)."),
    worked_solution=r"""
All hidden activations stay 0, so the output is $z^L = b^L$ for every input and the network
predicts $p = \mathrm{softmax}(b^L)$ everywhere. The gradient of the mean cross-entropy with respect to
$b^L$ is the mean of $\delta^L = p - y$, i.e. $p$ minus the class frequencies; it vanishes when
$p_0 = 300/400 = 3/4$ and $p_1 = 1/4$. Since $p_0 / p_1 = e^{b_0 - b_1}$,
$$b_0 - b_1 = \ln\frac{3/4}{1/4} = \ln 3 \approx 1.10 .$$
Only the difference is fixed: adding the same number to both biases leaves the softmax unchanged.""",
    solution_code="""import numpy as np
from lecture_nn.lessons.training.exercises import ZERO_INIT_CLASS_COUNTS
n0, n1 = ZERO_INIT_CLASS_COUNTS
answer = np.log(n0 / n1)""",
    wrong_answer=3.0)

exercise_3 = Exercise(
    name="exercise_3", title="shrink factor of 10 sigmoid layers",
    expected=lambda: 0.25 ** SHRINK_FACTORS, rtol=1e-6, atol=0.0,
    hints=("Bound how much one factor Diag[σ'(z^l)] W^{l+1} can stretch a vector, then multiply "
           "the bounds of the 10 factors.",
           "A diagonal matrix stretches a vector by at most its largest entry, and W^{l+1} by at "
           "most its spectral norm, 1 here. σ'(z) = σ(z)(1 − σ(z)) is largest at z = 0."),
    worked_solution=r"""
By eq. (4), $\delta^l = \mathrm{Diag}[\sigma'(z^l)]\,W^{l+1}\delta^{l+1}$. The diagonal matrix
stretches a vector by at most its largest entry, and $\sigma'(z) = \sigma(z)(1 - \sigma(z))$ is
at most $1/4$ (at $z = 0$); $W^{l+1}$ stretches by at most its spectral norm, 1. So each factor shrinks the
norm by at least 4:
$$\lVert\delta^l\rVert \le \tfrac14 \lVert\delta^{l+1}\rVert,\qquad
\frac{\lVert\delta^2\rVert}{\lVert\delta^{12}\rVert} \le \left(\tfrac14\right)^{10} \approx 9.5\cdot10^{-7}.$$
The bound is reached when every $z^l = 0$ and every $W^{l+1}$ is orthogonal: with such weights, ten
sigmoid layers lose at least six orders of magnitude of gradient. The sigmoid row of the table in
section 2 falls by roughly a factor of 4 per layer too, although its random weights have spectral
norm near 2: a typical $\delta$ is stretched far less than the worst case allows.""",
    solution_code="""n_factors = 10              # δ^2 = Diag[σ'(z^2)] W^3 ⋯ Diag[σ'(z^11)] W^12 δ^12
largest_sigmoid_slope = 1 / 4
answer = largest_sigmoid_slope ** n_factors""",
    wrong_answer=0.25 ** (SHRINK_FACTORS - 1))

exercise_4 = Exercise(
    name="exercise_4", title="weight variance for leaky ReLU units",
    expected=lambda: 2.0 / ((1 + LEAKY_SLOPE ** 2) * LEAKY_FAN_IN), rtol=1e-6,
    hints=("Write E[z²] of a unit in terms of n_in, σ² and E[a²] of the layer before, as for He's "
           "rule; then ask how much of E[z²] a leaky ReLU keeps: the positive half passes unchanged, "
           "the negative half is multiplied by α.",
           "For a z symmetric around 0, E[f(z)²] = E[z²]/2 + α² E[z²]/2 = (1 + α²) E[z²]/2."),
    worked_solution=r"""
A unit of layer $l+1$ computes $z = \sum_{i=1}^{n_{in}} w_i a_i^l$. With independent weights of
mean 0 and variance $\sigma^2$, $\mathbb{E}[z^2] = n_{in}\,\sigma^2\,\mathbb{E}[(a^l)^2]$. The leaky
ReLU passes the positive half of a $z^l$ symmetric around 0 unchanged and multiplies the negative
half by $\alpha$, so $\mathbb{E}[(a^l)^2] = \tfrac12\mathbb{E}[(z^l)^2] + \tfrac12\alpha^2\mathbb{E}[(z^l)^2]
= \tfrac{1+\alpha^2}{2}\mathbb{E}[(z^l)^2]$. Together
$\mathbb{E}[(z^{l+1})^2] = \tfrac{1+\alpha^2}{2}\, n_{in}\sigma^2\,\mathbb{E}[(z^l)^2]$, the same in
every layer when
$$\sigma^2 = \frac{2}{(1+\alpha^2)\,n_{in}} = \frac{2}{1.04 \cdot 50} \approx 0.0385 .$$
With $\alpha = 0$ this is He's rule, $2/n_{in}$; with $\alpha = 1$ (no activation at all) it is
$1/n_{in}$.""",
    solution_code="""from lecture_nn.lessons.training.exercises import LEAKY_FAN_IN, LEAKY_SLOPE
n_in, alpha = LEAKY_FAN_IN, LEAKY_SLOPE
answer = 2 / ((1 + alpha ** 2) * n_in)""",
    wrong_answer=2.0 / LEAKY_FAN_IN)
