"""Exercises of notebook 03 (training a neural network, notes §4).

Layers are numbered as in the notes: the input is layer 1, the first hidden layer is layer 2.
"""
from __future__ import annotations

import numpy as np

from lecture_nn.lessons.checking import Exercise

ZERO_INIT_CLASS_COUNTS = (300, 100)
"""Exercise 1: examples of class 0 and of class 1."""

SHRINK_FACTORS = 10
"""Exercise 2: the number of factors Diag[σ'(z^l)] W^{l+1} between δ^12 and δ^2."""

RELU_FAN_IN = 50
"""Exercise 3: the number of inputs n_in of each ReLU unit."""


exercise_1 = Exercise(
    name="exercise_1", title="output biases of a zero-initialised network",
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

exercise_2 = Exercise(
    name="exercise_2", title="shrink factor of 10 sigmoid layers",
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

exercise_3 = Exercise(
    name="exercise_3", title="ReLU weight variance for n_in = 50",
    expected=lambda: 2.0 / RELU_FAN_IN, rtol=1e-6,
    hints=("Write E[z²] of a unit in terms of n_in, σ² and E[a²] of the layer before; then ask "
           "how much of E[z²] is left after a ReLU.",
           "E[z²] = n_in σ² E[a²] for independent zero-mean weights, and a ReLU applied to a z "
           "symmetric around 0 keeps half of it: E[a²] = E[z²] / 2."),
    worked_solution=r"""
A unit of layer $l+1$ computes $z = \sum_{i=1}^{n_{in}} w_i a_i^l$. With independent weights of
mean 0 and variance $\sigma^2$, $\mathbb{E}[z^2] = n_{in}\,\sigma^2\,\mathbb{E}[(a^l)^2]$. The ReLU
zeroes the negative half of a $z^l$ that is symmetric around 0 and keeps the positive half, so
$\mathbb{E}[(a^l)^2] = \mathbb{E}[(z^l)^2]/2$. Together
$\mathbb{E}[(z^{l+1})^2] = \tfrac12 n_{in}\sigma^2\,\mathbb{E}[(z^l)^2]$, the same in every layer when
$$\sigma^2 = \frac{2}{n_{in}} = \frac{2}{50} = 0.04 ,$$
He's rule. In `gradient_flow_explorer` this is the scale $s = \sigma\sqrt{n_{in}} = \sqrt2 \approx 1.4$.""",
    solution_code="""n_in = 50
answer = 2 / n_in""",
    wrong_answer=1.0 / RELU_FAN_IN)
