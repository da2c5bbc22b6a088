"""The exercises of notebook 07 (residual networks), in the notebook's order.

* ``exercise_1`` (build-it): the backward pass of a residual block, skip route plus branch;
* ``exercise_2``: the derivative through a scalar block's two routes;
* ``exercise_3``: the derivative across many blocks, with and without the skips;
* ``exercise_4``: by what factor an unscaled block grows E‖a‖².
"""
from __future__ import annotations

import numpy as np

from lecture_nn.gradcheck import numerical_gradient
from lecture_nn.layers import Linear, Sequential
from lecture_nn.lessons.checking import BuildExercise, Exercise, Mistake
from lecture_nn.lessons.residual.blocks import package_residual_backward
from lecture_nn.residual import Residual

# --- exercise 1: the block's backward ---------------------------------------------------------

BLOCK_SIZES = ((1, 3, 4), (5, 2, 7), (4, 6, 3), (3, 5, 5))
"""(n, d, h) of the checker's calls: a batch of one, a narrow block with a wide branch, the
reverse, and a square branch (where a transposed weight gradient keeps its shape)."""


def block_inputs(rng: np.random.Generator):
    """Fresh (delta, a, W1, b1, W2) for every size in :data:`BLOCK_SIZES`."""
    cases = []
    for n, d, h in BLOCK_SIZES:
        args = (rng.standard_normal((n, d)),                     # delta = ∂ℓ/∂out
                rng.standard_normal((n, d)),                     # a
                rng.standard_normal((d, h)) / np.sqrt(d),        # W1
                rng.normal(scale=0.5, size=h),                   # b1
                rng.standard_normal((h, d)) / np.sqrt(h))        # W2
        examples = f"{n} example{'s' if n > 1 else ''}"
        cases.append((args, f"a batch of {examples}, block width d = {d}, branch width h = {h}"))
    return cases


def _block_code(body: str) -> str:
    """A version of ``residual_backward`` whose lines after the branch's forward are ``body``."""
    return ("import numpy as np\n\n"
            "def residual_backward(delta, a, W1, b1, W2):\n"
            "    z = a @ W1 + b1\n"
            "    h = np.maximum(z, 0)\n" + body)


_SOLUTION_BODY = """    dW2 = h.T @ delta
    db2 = delta.sum(axis=0)
    dz = (delta @ W2.T) * (z > 0)
    dW1 = a.T @ dz
    db1 = dz.sum(axis=0)
    da = delta + dz @ W1.T
    return da, dW1, db1, dW2, db2
"""


def _with(old: str, new: str) -> str:
    assert old in _SOLUTION_BODY
    return _block_code(_SOLUTION_BODY.replace(old, new))


exercise_1 = BuildExercise(
    name="exercise_1", title="backward pass of a residual block", function_name="residual_backward",
    make_inputs=block_inputs, reference=package_residual_backward,
    outputs=("∂ℓ/∂a", "∂ℓ/∂W1", "∂ℓ/∂b1", "∂ℓ/∂W2", "∂ℓ/∂b2"),
    forbidden=(package_residual_backward, Residual, Sequential, Linear, numerical_gradient),
    hints=("Recompute the branch's forward first (z = a W1 + b1, then ReLU). Go back through the branch "
           "layer by layer as in notebook 02: the second Linear layer, then the ReLU, then the first. "
           "The block's input a feeds two routes, so its gradient has two parts.",
           "With δ = delta: ∂ℓ/∂W2 = hᵀδ and ∂ℓ/∂b2 = the sum of δ over the rows; the gradient at z is "
           "(δ W2ᵀ) ⊙ ReLU′(z); from it ∂ℓ/∂W1 = aᵀ(∂ℓ/∂z) and ∂ℓ/∂b1 its row sum; and ∂ℓ/∂a = δ (the skip) "
           "+ (∂ℓ/∂z) W1ᵀ (the branch)."),
    worked_solution="""Write the forward pass as named steps, z = a W1 + b1, h = ReLU(z), out = a + h W2 + b2,
and go back through them from δ = ∂ℓ/∂out:

* the second layer of the branch: ∂ℓ/∂W2 = hᵀδ and ∂ℓ/∂b2 = Σ_rows δ — a batch's gradient is the sum
  over its examples (the 1/n of the mean loss is already inside δ);
* back through W2 and the ReLU: ∂ℓ/∂z = (δ W2ᵀ) ⊙ ReLU′(z), with ReLU′(z) = 1 where z > 0 and 0 elsewhere;
* the first layer: ∂ℓ/∂W1 = aᵀ(∂ℓ/∂z) and ∂ℓ/∂b1 = Σ_rows ∂ℓ/∂z;
* a is used twice, by the skip and by the branch, so the two gradients add:
  ∂ℓ/∂a = δ + (∂ℓ/∂z) W1ᵀ.

Each gradient has the shape of what it differentiates: that is a quick check of every line.""",
    solution_code=_block_code(_SOLUTION_BODY),
    mistakes=(
        Mistake("missing skip gradient",
                "∂ℓ/∂a holds only the branch's part. The input a also reaches the output directly, and "
                "that route's gradient, δ itself, must be added.",
                _with("da = delta + dz @ W1.T", "da = dz @ W1.T")),
        Mistake("missing branch gradient",
                "∂ℓ/∂a equals δ: only the skip route came back. The branch uses a too; add what comes "
                "back through W1.",
                _with("da = delta + dz @ W1.T", "da = delta")),
        Mistake("skip gradient counted twice",
                "∂ℓ/∂a has δ once too often. The skip carries a to the output once, so δ is added once, "
                "to what comes back through the branch.",
                _with("da = delta + dz @ W1.T", "from_branch = delta + dz @ W1.T\n    da = delta + from_branch")),
        Mistake("missing f′(z)",
                "the gradient went back through W2 but not through the ReLU: multiply by ReLU′(z), "
                "which is 0 where z ≤ 0 (it changes ∂ℓ/∂W1, ∂ℓ/∂b1 and ∂ℓ/∂a).",
                _with("dz = (delta @ W2.T) * (z > 0)", "dz = delta @ W2.T")),
        Mistake("transposed weight gradient",
                "your ∂ℓ/∂W1 and ∂ℓ/∂W2 are the transposes of the right ones. A weight gradient has the "
                "shape of its weight matrix: (input of the layer)ᵀ times (gradient at its output).",
                _with("dW2 = h.T @ delta", "dW2 = delta.T @ h").replace("dW1 = a.T @ dz", "dW1 = dz.T @ a")),
        Mistake("gradient averaged over the batch",
                "your parameter gradients are those of the mean loss divided by n once more. δ already "
                "carries the 1/n of the mean loss: sum over the examples, do not average.",
                _with("dW2 = h.T @ delta", "n = len(a)\n    dW2 = h.T @ delta / n")
                .replace("db2 = delta.sum(axis=0)", "db2 = delta.mean(axis=0)")
                .replace("dW1 = a.T @ dz", "dW1 = a.T @ dz / n").replace("db1 = dz.sum(axis=0)", "db1 = dz.mean(axis=0)")),
    ),
    rtol=1e-7, atol=1e-10)


EXERCISE_POINT = {"a": 0.5, "w": 2.0, "v": -1.5}
"""Exercise 2: the scalar block F(a) = w·tanh(v·a) at these values."""

EXERCISE_STACK = {"n_blocks": 20, "slope": -0.05}
"""Exercise 3: twenty scalar blocks whose branches each have slope F′ = −0.05."""


def skip_derivative(a: float, w: float, v: float) -> float:
    """d/da [a + w·tanh(v·a)] = 1 + w·v·(1 − tanh²(v·a)): the skip path's 1 plus the block's slope."""
    return 1.0 + w * v * (1.0 - np.tanh(v * a) ** 2)


exercise_2 = Exercise(
    name="exercise_2", title="derivative through a skip connection",
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


def stack_factors(n_blocks: int, slope: float) -> np.ndarray:
    """[with the skips, without them]: the derivative across ``n_blocks`` scalar blocks whose
    branches have slope ``slope``: a product of (1 + slope) per block, or of slope alone."""
    return np.array([(1.0 + slope) ** n_blocks, slope ** n_blocks])


exercise_3 = Exercise(
    name="exercise_3", title="a gradient across many blocks",
    expected=lambda: stack_factors(**EXERCISE_STACK), rtol=1e-3, atol=0.0,
    hints=("Each block's output is the next block's input, so the chain rule multiplies the blocks' "
           "derivatives. What is one block's derivative with its skip (exercise 2), and what is it when the "
           "block is the branch alone?",
           "With the skip one block's derivative is 1 + F′ = 0.95; without it, F′ = −0.05. The stack of twenty "
           "multiplies twenty such factors."),
    worked_solution="""By the chain rule the derivative of a composition is the product of the derivatives. One block
$a \\mapsto a + F(a)$ has derivative $1 + F'$; the branch alone has $F'$. So across twenty blocks

$$\\prod_{k=1}^{20} (1 + F_k') = 0.95^{20} \\approx 0.36 \\quad\\text{with the skips},\\qquad
\\prod_{k=1}^{20} F_k' = (-0.05)^{20} \\approx 9.5\\cdot10^{-27} \\quad\\text{without}.$$

Small branches are harmless with the skips (each factor is close to 1) and fatal without them (each
factor is close to 0). That is what the control runs of the notebook show: the plain network started with the
residual network's small weights gets ‖δ²‖/‖δ^L‖ around $10^{-30}$. With many units per layer the factors
become matrices, $I + J_{F_k}$ against $J_{F_k}$, and the same reasoning holds for their sizes.""",
    solution_code="""from lecture_nn.lessons.residual.exercises import EXERCISE_STACK
n_blocks, slope = EXERCISE_STACK["n_blocks"], EXERCISE_STACK["slope"]
with_skips = (1 + slope) ** n_blocks
without_skips = slope ** n_blocks
answer = [with_skips, without_skips]""",
    wrong_answer=[1 + 20 * -0.05, (-0.05) ** 20])      # the slopes added instead of multiplied


exercise_4 = Exercise(
    name="exercise_4", title="growth of E‖a‖² per unscaled block",
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
