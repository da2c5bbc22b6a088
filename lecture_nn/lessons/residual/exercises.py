"""The exercises of notebook 07 (residual networks): ``exercise_1`` … ``exercise_3``."""
from __future__ import annotations

import numpy as np

from lecture_nn.lessons.residual.deep_nets import residual_network
from lecture_nn.lessons.checking import Exercise

EXERCISE_POINT = {"a": 0.5, "w": 2.0, "v": -1.5}
"""Exercise 1: the scalar block F(a) = w·tanh(v·a) at these values."""

EXERCISE_NETWORK = {"depth": 30, "width": 16, "n_in": 2, "n_out": 3}
"""Exercise 2: ``residual_network(**EXERCISE_NETWORK)`` — 30 weight layers of 16 units, 2 inputs, 3 classes."""


def skip_derivative(a: float, w: float, v: float) -> float:
    """d/da [a + w·tanh(v·a)] = 1 + w·v·(1 − tanh²(v·a)): the skip path's 1 plus the block's slope."""
    return 1.0 + w * v * (1.0 - np.tanh(v * a) ** 2)


exercise_1 = Exercise(
    name="exercise_1", title="derivative through a skip connection",
    expected=lambda: skip_derivative(**EXERCISE_POINT), rtol=1e-4,
    hints=("The output depends on a along two routes, one through the skip and one through the block. "
           "Differentiate along each route on its own, then combine the two.",
           "The skip route is out = a, slope 1. The block route is w·tanh(v·a); by the chain rule its slope "
           "is w·v·tanh′(v·a), with tanh′(u) = 1 − tanh²(u). The two slopes add."),
    worked_solution="""$a$ reaches the output twice: directly, and through $w\\tanh(va)$. The derivative of a sum is
the sum of the derivatives, so

$$\\frac{d\\,\\text{out}}{da} = \\underbrace{1}_{\\text{skip}} + \\underbrace{w\\,v\\,\\big(1-\\tanh^2(va)\\big)}_{\\text{block}}.$$

At $a = 0.5$, $w = 2$, $v = -1.5$: $\\tanh(-0.75) \\approx -0.635$, so the block's slope is
$2\\cdot(-1.5)\\cdot(1 - 0.403) \\approx -1.79$ and the total is $1 - 1.79 \\approx -0.79$. The skip contributes the
$1$: without it the slope would be $-1.79$. However small or large the block's slope, the skip adds exactly 1 —
which is why a gradient can cross many blocks without vanishing.""",
    solution_code="""import numpy as np
from lecture_nn.lessons.residual.exercises import EXERCISE_POINT
a, w, v = EXERCISE_POINT["a"], EXERCISE_POINT["w"], EXERCISE_POINT["v"]
through_skip = 1.0
through_block = w * v * (1 - np.tanh(v * a) ** 2)
answer = through_skip + through_block""",
    wrong_answer=skip_derivative(**EXERCISE_POINT) - 1.0)      # the skip forgotten


exercise_2 = Exercise(
    name="exercise_2", title="parameters of a residual network",
    expected=lambda: residual_network(**EXERCISE_NETWORK, rng=np.random.default_rng(0)).n_params(),
    rtol=0, atol=0,
    hints=("A skip connection has no weights. List the Linear layers of the network, from the input to the "
           "output, and count the weights and biases of each. You can test your way of counting on the "
           "table printed earlier in the notebook.",
           "30 weight layers: the first maps 2 inputs to 16 units, the 28 in the middle (one per residual "
           "block) map 16 to 16, the last maps 16 to 3 classes. A Linear(m, n) has m·n weights and n biases."),
    worked_solution="""The network is Linear(2, 16) → 28 blocks $a \\mapsto a + W\\,\\mathrm{ReLU}(a) + b$ with
$W$ of size $16\\times16$ → ReLU → Linear(16, 3). The skips add nothing, so the count is that of the plain
network with the same layers:

* first layer: $2\\cdot16 + 16 = 48$;
* each of the $30 - 2 = 28$ blocks: $16\\cdot16 + 16 = 272$, together $7616$;
* output layer: $16\\cdot3 + 3 = 51$.

In all $48 + 7616 + 51$.""",
    solution_code="""def linear(n_in, n_out):          # weights and biases of one Linear layer
    return n_in * n_out + n_out

depth, width = 30, 16
answer = linear(2, width) + (depth - 2) * linear(width, width) + linear(width, 3)""",
    wrong_answer=2 * 16 + 28 * 16 * 16 + 16 * 3)          # the biases forgotten


exercise_3 = Exercise(
    name="exercise_3", title="growth of E‖a‖² per unscaled block",
    expected=lambda: 2.0, rtol=1e-3,
    hints=("Call the branch's output u = W·ReLU(a), so the block gives a + u. Expand E‖a + u‖² into three "
           "terms. Which one averages to zero, and what is each of the other two in terms of E‖a‖²?",
           "The cross term 2·E[aᵀu] is 0 because W has mean 0 and is drawn independently of a. "
           "E‖u‖² = n·σ²·E‖ReLU(a)‖² (each of the n outputs sums n products of variance σ²·E[ReLU(a_j)²]), "
           "and for a symmetric a the ReLU keeps half of E‖a‖²."),
    worked_solution="""With $u = W\\,\\mathrm{ReLU}(a)$,

$$E\\|a + u\\|^2 = E\\|a\\|^2 + 2\\,E[a^T u] + E\\|u\\|^2 .$$

* $E[a^T u] = 0$: the entries of $W$ have mean 0 and are independent of $a$.
* Each of the $n$ entries of $u$ is $\\sum_j w_{ij}\\,\\mathrm{ReLU}(a_j)$, with variance
  $\\sigma^2 E\\|\\mathrm{ReLU}(a)\\|^2$; so $E\\|u\\|^2 = n\\sigma^2 E\\|\\mathrm{ReLU}(a)\\|^2 = 2\\,E\\|\\mathrm{ReLU}(a)\\|^2$
  for He weights $\\sigma^2 = 2/n$.
* A symmetric $a_j$ is positive half the time, and $\\mathrm{ReLU}$ keeps exactly those values:
  $E\\|\\mathrm{ReLU}(a)\\|^2 = \\tfrac12 E\\|a\\|^2$.

Together $E\\|a+u\\|^2 = E\\|a\\|^2 + 0 + 2\\cdot\\tfrac12 E\\|a\\|^2 = 2\\,E\\|a\\|^2$: the mean square doubles in every
block, $2^{38}$ over the 38 blocks of a 40-layer network. Scaling each branch's weights by $1/\\sqrt{B}$ turns the
factor into $1 + 1/B$, and $(1 + 1/B)^B < e$.

The code below also measures it: `measured` holds the mean square's growth in each of the 38 blocks of an
unscaled network. One $32\\times32$ matrix is a small sample, so single blocks scatter around 2; their geometric
mean lands near 2 (between about 1.8 and 2.2 for different seeds).""",
    solution_code="""import numpy as np
from lecture_nn.lessons.residual.deep_nets import residual_network

n_sigma2 = 2.0      # n weights per output, each of variance 2/n
relu_keeps = 0.5    # E‖ReLU(a)‖² = ½ E‖a‖² for a symmetric a
answer = 1 + n_sigma2 * relu_keeps

# measured: the mean square's growth block by block in an unscaled 40-layer network
net = residual_network(40, 32, 2, 3, rng=np.random.default_rng(0), branch_scale=1.0)
a = net.layers[0].forward(np.random.default_rng(1).standard_normal((2000, 2)))
measured = []
for block in net.layers[1:-2]:
    after = block.forward(a)
    measured.append(np.mean(np.sum(after ** 2, axis=1)) / np.mean(np.sum(a ** 2, axis=1)))
    a = after
geometric_mean = np.exp(np.mean(np.log(measured)))""",
    wrong_answer=1.5)                                       # Xavier weights, σ² = 1/n
