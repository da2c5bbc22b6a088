"""The exercises of notebook 01 (feedforward networks), in the convention of
:mod:`lecture_nn.lessons.checking`: ``exercise_N.check(answer)``, ``hint(n)``, ``solution()``.

1. build-it: the forward pass of §2, a batch in rows;
2. the widest equal hidden layers within a parameter budget;
3. two ReLU units of your own that make the stripes separable (Fig. 6);
4. build-it: the four-factor gradient ∂R_n/∂W² of §2.2 for a batch.
"""
from __future__ import annotations

import numpy as np

from lecture_nn.activations import relu, sigmoid, tanh
from lecture_nn.data import make_three_stripes
from lecture_nn.layers import Linear, Sequential
from lecture_nn.lessons.checking import BuildExercise, Exercise, Mistake
from lecture_nn.lessons.feedforward.forward import as_network, network_forward
from lecture_nn.lessons.feedforward.one_hidden import hinge_gradient_by_backprop, hinge_weight_gradient
from lecture_nn.lessons.feedforward.representations import hidden_features, is_linearly_separable
from lecture_nn.losses import hinge
from lecture_nn.models import mlp
from lecture_nn.training import predict

# --- exercise 1: the forward pass --------------------------------------------------------------

FORWARD_CASES = (((1, 3), (3, 4, 2), relu, "ReLU"),        # a batch of one
                 ((5, 2), (2, 7, 3, 1), tanh, "tanh"),      # non-square layers, one output
                 ((4, 6), (6, 2), sigmoid, "sigmoid"),      # no hidden layer (Fig. 3)
                 ((7, 3), (3, 5, 5, 4), relu, "ReLU"))      # odd sizes, two hidden layers
"""(shape of x, widths n_1 … n_L, f, its name) of the checker's calls."""


def forward_inputs(rng: np.random.Generator):
    """Fresh (x, weights, biases, f) for every case of :data:`FORWARD_CASES`."""
    cases = []
    for shape, widths, f, f_name in FORWARD_CASES:
        x = rng.normal(size=shape)
        weights = [rng.normal(size=(n_in, n_out)) / np.sqrt(n_in) for n_in, n_out in zip(widths[:-1], widths[1:])]
        biases = [rng.normal(size=n_out) for n_out in widths[1:]]
        cases.append(((x, weights, biases, f),
                      f"x of shape {shape}, widths {list(widths)}, f = {f_name}"))
    return cases


exercise_1 = BuildExercise(
    name="exercise_1", title="the forward pass of a network", function_name="forward_pass",
    make_inputs=forward_inputs, reference=network_forward, outputs=("F(x; θ)",),
    forbidden=(network_forward, as_network, Linear, Sequential, mlp, predict, hidden_features),
    hints=("Start from a = x (the input layer, a^1). For each pair (W, b), in order, form z = a @ W + b: "
           "with one example per row, that is the notes' z^l = (W^l)^T a^{l−1} + b^l for every row at "
           "once. Which layers pass z through f, and which one does not?",
           "A loop over `zip(weights, biases)` does it. Inside: `z = a @ W + b`, then `a = f(z)` — but "
           "the network's output is F(x; θ) = z^L, the last z, with no f applied (the notes' output unit "
           "is linear). The shapes follow by themselves: (n, n_{l−1}) @ (n_{l−1}, n_l) gives (n, n_l)."),
    worked_solution="""The input layer only holds x, so the loop starts from a = x. Each later layer l
aggregates, z^l = (W^l)^T a^{l−1} + b^l, and activates, a^l = f(z^l). With the examples in the rows
of `a`, row i of `a @ W` is (W^l)^T applied to example i, so one matrix product aggregates the whole
batch; adding `b` (shape (n_l,)) adds b^l to every row. The output layer aggregates but does not
activate: F(x; θ) = z^L. A network without hidden layers (Fig. 3) is a single pass through the loop.""",
    solution_code="""def forward_pass(x, weights, biases, f):
    a = x                                          # a^1 = x
    for W, b in zip(weights[:-1], biases[:-1]):    # the hidden layers l = 2, …, L − 1
        a = f(a @ W + b)                           # z^l = (W^l)^T a^{l-1} + b^l, a^l = f(z^l), row by row
    return a @ weights[-1] + biases[-1]            # F(x; θ) = z^L: the output layer is linear""",
    mistakes=(
        Mistake("nonlinear output layer",
                "your F(x; θ) is f(z^L). The output unit of the notes is linear, F(x; θ) = z^L: apply f "
                "in the hidden layers only.",
                "def forward_pass(x, weights, biases, f):\n    a = x\n    for W, b in zip(weights, biases):\n"
                "        a = f(a @ W + b)\n    return a"),
        Mistake("missing bias",
                "your numbers are the network's without b^l: each layer is z^l = (W^l)^T a^{l−1} + b^l.",
                "def forward_pass(x, weights, biases, f):\n    a = x\n    for l, W in enumerate(weights):\n"
                "        z = a @ W\n        a = f(z) if l < len(weights) - 1 else z\n    return a"),
        Mistake("loop that activates before it aggregates",
                "your loop computes f(a) @ W + b: it activates the input x and leaves the last hidden "
                "layer's z unactivated. Aggregate first, then activate: a^l = f(z^l).",
                "def forward_pass(x, weights, biases, f):\n    a = x\n    for W, b in zip(weights, biases):\n"
                "        a = f(a) @ W + b\n    return a"),
        Mistake("result with one column per example",
                "your F holds the right numbers transposed, one column per example. The package keeps "
                "one example per row: return an array of shape (n, n_L).",
                "def forward_pass(x, weights, biases, f):\n    a = x.T\n    for l, (W, b) in enumerate(zip(weights, biases)):\n"
                "        z = W.T @ a + b[:, None]\n        a = f(z) if l < len(weights) - 1 else z\n    return a"),
    ),
    rtol=1e-9, atol=1e-12)


# --- exercise 2: parameters within a budget -------------------------------------------------------

BUDGET = 1000
"""Exercise 2: weights and biases allowed for a network of widths [2, m, m, 1]."""


def _total_parameters(sizes) -> int:
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))


def _widest_within_budget() -> int:
    m = 1
    while _total_parameters([2, m + 1, m + 1, 1]) <= BUDGET:
        m += 1
    return m


exercise_2 = Exercise(
    name="exercise_2", title="the widest two hidden layers within 1,000 parameters",
    expected=_widest_within_budget, rtol=0, atol=0,
    hints=("Write the number of weights and biases as a function of m, one pair of neighbouring layers "
           "at a time: W² and b², W³ and b³, W⁴ and b⁴. Does the input layer have parameters of its own?",
           "W^l has n_{l−1}·n_l entries and b^l has n_l. For widths [2, m, m, 1] that is 2m + m² + m "
           "weights and m + m + 1 biases, m² + 5m + 1 in all. Find the largest m with m² + 5m + 1 ≤ 1000."),
    worked_solution="""In the notes' numbering the input is layer 1 (2 units, no parameters), the hidden
layers 2 and 3 have m units each, and the output is layer 4 (1 unit). Each layer l ≥ 2 has a weight
matrix W^l of shape n_{l−1} × n_l and a bias vector b^l of length n_l:

* W² is 2 × m and b² has m entries: 3m;
* W³ is m × m and b³ has m entries: m² + m;
* W⁴ is m × 1 and b⁴ has 1 entry: m + 1.

The total is m² + 5m + 1. For m = 29 it is 841 + 145 + 1 = 987 ≤ 1000; for m = 30 it is
900 + 150 + 1 = 1051 > 1000. So m = 29. (Counting the weights alone, m² + 3m, would allow m = 30:
the 2m + 1 biases matter.)""",
    solution_code="""def n_parameters(sizes):
    return sum(n_prev * n_next + n_next for n_prev, n_next in zip(sizes[:-1], sizes[1:]))

answer = max(m for m in range(1, 100) if n_parameters([2, m, m, 1]) <= 1000)""",
    wrong_answer=30)          # the weights alone, without the biases


# --- exercise 3: two ReLU units of your own (Fig. 6) ---------------------------------------------

NOTEBOOK_UNITS = (np.array([[-1.0, 1.0], [0.6, 0.6]]), np.array([-0.5, -0.5]))
"""The two units (W, b) that notebook 01 draws in Fig. 6; exercise 3 asks for others."""


def exercise_stripes():
    """The fixed data of exercise 3: 30 three-stripe points, labels ±1."""
    return make_three_stripes(30, noise=0.15, rng=np.random.default_rng(7))


def _same_unit(w, b, w_ours, b_ours) -> bool:
    """Whether (w, b) is a positive multiple of (w_ours, b_ours): the same line and the same normal."""
    mine, ours = np.append(w, b), np.append(w_ours, b_ours)
    scale = (mine @ ours) / (ours @ ours)
    return bool(scale > 0 and np.allclose(mine, scale * ours, rtol=1e-6, atol=1e-9))


def separates_stripes(W, b) -> bool:
    """Exercise 3: do two ReLU units (W (2, 2), column j the normal of unit j; b (2,)) make
    :func:`exercise_stripes` linearly separable in [f(z₁), f(z₂)]?

    Raises ValueError (the checker's "not yet" with the reason) for ill-formed answers and for the
    notebook's own pair of units.
    """
    W, b = np.asarray(W, dtype=float), np.asarray(b, dtype=float)
    if W.shape != (2, 2) or b.shape != (2,):
        raise ValueError(f"W must have shape (2, 2) and b shape (2,), got {W.shape} and {b.shape}")
    if not (np.all(np.isfinite(W)) and np.all(np.isfinite(b))):
        raise ValueError("W and b must hold finite numbers; yours contain NaN or infinity")
    W_ours, b_ours = NOTEBOOK_UNITS
    if all(_same_unit(W[:, j], b[j], W_ours[:, k], b_ours[k]) for j, k in ((0, 0), (1, 1))) or \
            all(_same_unit(W[:, j], b[j], W_ours[:, k], b_ours[k]) for j, k in ((0, 1), (1, 0))):
        raise ValueError("these are the notebook's two units (the lines and normals of Fig. 6); "
                         "choose lines of your own")
    X, y = exercise_stripes()
    return is_linearly_separable(hidden_features(X, W, b), y)


exercise_3 = Exercise(
    name="exercise_3", title="two ReLU units that separate the stripes",
    judge=separates_stripes, n_answers=2,
    hints=("Each unit should stay at 0 on the middle stripe and grow on one of the outer stripes. "
           "Where must its line z_j = 0 lie, and which way must its normal point?",
           "Lines need not be tilted: with w_{2j} = 0, unit j looks at x_1 alone. The stripes are "
           "centred at x_1 = −1.5, 0 and 1.5. Put one line between the left and the middle stripe "
           "with its normal pointing left, the other between the middle and the right stripe with "
           "its normal pointing right."),
    worked_solution="""Unit j is 0 on the side of its line z_j = 0 away from its normal and grows linearly on the
side the normal points to. Send the middle stripe to the origin: both units must be 0 there, so
both lines run beside the middle stripe and both normals point away from it.

With vertical lines halfway between the stripe centres (x_1 = −0.75 and x_1 = 0.75):

* unit 1, normal (−1, 0), bias −0.75: z_1 = −x_1 − 0.75 > 0 only left of x_1 = −0.75;
* unit 2, normal (1, 0), bias −0.75: z_2 = x_1 − 0.75 > 0 only right of x_1 = 0.75.

Middle points map to (0, 0), the left stripe up the f(z_1) axis, the right stripe along the
f(z_2) axis. On these 30 points every outer point has |x_1| > 1.1, so f(z_1) + f(z_2) > 0.35 there,
while every middle point maps to exactly (0, 0): the line f(z_1) + f(z_2) = 0.2 separates them.
Lines through the centres of the outer stripes (biases −1.5) would not do: the inner half of
each outer stripe would then map to (0, 0) together with the middle stripe.""",
    solution_code="""import numpy as np
W = np.array([[-1.0, 1.0],     # column j is the normal vector of unit j
              [0.0, 0.0]])
b = np.array([-0.75, -0.75])
answer = (W, b)""",
    wrong_answer=(np.array([[-1.0, 1.0], [0.0, 0.0]]), np.array([-1.5, -1.5])))   # lines through the outer stripes


# --- exercise 4: ∂R_n/∂W² for a batch ---------------------------------------------------------------

HINGE_CASES = ((1, 3, 4), (6, 2, 5), (9, 4, 4), (5, 3, 1))
"""(n examples, d inputs, m hidden units) of the checker's calls: a batch of one, non-square W²,
a square W² and a single hidden unit."""


def _hinge_case(rng: np.random.Generator, n: int, d: int, m: int):
    """A batch whose gradient tells the common mistakes apart: some examples with positive loss
    through an active unit and, for n > 1, some whose margin is met (ℓ = 0)."""
    while True:
        X, W = rng.normal(size=(n, d)), rng.normal(size=(d, m))
        b, w, c = rng.normal(size=m), rng.normal(size=m), float(rng.normal())
        z_hidden = X @ W + b
        z = relu(z_hidden) @ w + c
        y = -np.sign(z)                                  # every example on the wrong side …
        met = np.flatnonzero(np.abs(z) > 1.2)
        y[met[: (len(met) + 1) // 2] if n > 1 else []] *= -1     # … except some beyond the margin
        positive = 1 - y * z > 0
        useful = positive & np.any(z_hidden > 0, axis=1)
        if useful.any() and (n == 1 or not positive.all()) and np.all(np.abs(z_hidden) > 1e-3) \
                and np.all(np.abs(1 - y * z) > 1e-3):
            return X, y, W, b, w, c


def hinge_batch_inputs(rng: np.random.Generator):
    """Fresh (X, y, W, b, w, c) for every case of :data:`HINGE_CASES`."""
    return [(_hinge_case(rng, n, d, m), f"a batch of {n} (X of shape {(n, d)}), m = {m} hidden units")
            for n, d, m in HINGE_CASES]


_HINGE_STEPS = """    n = len(X)
    z_hidden = X @ W + b                     # z_j for every example (row) and unit (column)
    z = np.maximum(z_hidden, 0) @ w + c      # the output z of every example
    dloss_dz = np.where(1 - y * z > 0, -y, 0.0)"""

exercise_4 = BuildExercise(
    name="exercise_4", title="∂R_n/∂W² of the hinge network for a batch",
    function_name="hinge_gradient_batch",
    make_inputs=hinge_batch_inputs, reference=hinge_gradient_by_backprop, outputs=("∂R_n/∂W²",),
    forbidden=(hinge_gradient_by_backprop, hinge_weight_gradient, hinge, Linear, Sequential, mlp),
    hints=("Go forward for all examples at once (z_j of every example, then z), then find ∂ℓ/∂z for "
           "each example. Entry (i, j) of the result is the mean over the batch of the four-factor "
           "product of one example. Which factors depend on i, which on j, which on the example?",
           "Per example k the gradient is an outer product: x^(k) (a column over i) times "
           "[z_j^(k) > 0] · w_j · ∂ℓ/∂z^(k) (a row over j). Summing outer products over the examples is "
           "one matrix product, `X.T @ G` with G of shape (n, m); then divide by n for the mean of eq. (2)."),
    worked_solution="""Forward for the whole batch: `z_hidden = X @ W + b` has one row per example and one
column per hidden unit; `z = relu(z_hidden) @ w + c` is the output of every example; ∂ℓ/∂z is −y for
the examples with positive loss and 0 for the others.

For one example the gradient is the outer product of x (the factor x_i) with the row
[z_j > 0] · w_j · ∂ℓ/∂z (the other three factors). Collect those rows into G, shape (n, m): then
X.T @ G sums the outer products over the examples, and dividing by n gives the gradient of the mean
loss R_n of eq. (2), shape (d, m) like W².""",
    solution_code=f"""import numpy as np

def hinge_gradient_batch(X, y, W, b, w, c):
{_HINGE_STEPS}
    G = (z_hidden > 0) * w * dloss_dz[:, None]   # [z_j > 0] w_j dℓ/dz, shape (n, m)
    return X.T @ G / n                            # mean over the batch of x_i [z_j > 0] w_j dℓ/dz""",
    mistakes=(
        Mistake("missing f′(z)",
                "your gradient is not 0 for hidden units that are off (z_j ≤ 0). The factor "
                "∂f(z_j)/∂z_j = [z_j > 0] switches them off, example by example.",
                f"import numpy as np\n\ndef hinge_gradient_batch(X, y, W, b, w, c):\n{_HINGE_STEPS}\n"
                "    return X.T @ (w * dloss_dz[:, None]) / n"),
        Mistake("hidden output in place of f′(z)",
                "your numbers carry f(z_j) where the chain rule needs f′(z_j) = [z_j > 0]: an active unit "
                "contributes with weight 1, not with its output.",
                f"import numpy as np\n\ndef hinge_gradient_batch(X, y, W, b, w, c):\n{_HINGE_STEPS}\n"
                "    return X.T @ (np.maximum(z_hidden, 0) * w * dloss_dz[:, None]) / n"),
        Mistake("transposed gradient",
                "your array holds ∂R_n/∂w_ij at position (j, i). The gradient has the shape of W², (d, m): "
                "rows for the inputs i, columns for the hidden units j.",
                f"import numpy as np\n\ndef hinge_gradient_batch(X, y, W, b, w, c):\n{_HINGE_STEPS}\n"
                "    return ((z_hidden > 0) * w * dloss_dz[:, None]).T @ X / n"),
        Mistake("sum instead of a mean",
                "your gradient is n times too large: R_n of eq. (2) is the mean loss, 1/n times the sum.",
                f"import numpy as np\n\ndef hinge_gradient_batch(X, y, W, b, w, c):\n{_HINGE_STEPS}\n"
                "    return X.T @ ((z_hidden > 0) * w * dloss_dz[:, None])"),
        Mistake("hinge factor −y where the margin is met",
                "examples with y z ≥ 1 have zero loss and contribute nothing, but your gradient counts "
                "them: ∂ℓ/∂z is −y only where ℓ(y, z) > 0.",
                f"import numpy as np\n\ndef hinge_gradient_batch(X, y, W, b, w, c):\n{_HINGE_STEPS}\n"
                "    return X.T @ ((z_hidden > 0) * w * -y[:, None]) / n"),
    ),
    rtol=1e-9, atol=1e-12)
