"""Exercises of notebook 02 (backpropagation): the backward pass for a batch (build-it), why paths
multiply while weights add, and which gradients a dead unit silences. Layers are numbered as in the
notes: layer 1 is the input, so the first weight matrix is W²."""
from __future__ import annotations

import numpy as np

from lecture_nn.activations import Activation, ReLU, Sigmoid, Tanh, tanh_prime
from lecture_nn.layers import Linear, Sequential
from lecture_nn.lessons.backprop.batch import batch_backward, gradient_names, random_batch
from lecture_nn.lessons.backprop.procedure import backprop_dataset, backprop_example
from lecture_nn.lessons.checking import BuildExercise, Exercise, Mistake
from lecture_nn.losses import get_loss, softmax_cross_entropy
from lecture_nn.models import mlp

# --- exercise 1: the backward pass for a batch ---------------------------------------------------

BATCH_CASES = (
    ((3, 3, 3, 3), 4, "widths 3 → 3 → 3 → 3 and a batch of 4"),
    ((5, 3, 4, 2), 1, "widths 5 → 3 → 4 → 2 and a batch of 1"),
    ((7, 5, 2, 6), 9, "widths 7 → 5 → 2 → 6 and a batch of 9"),
)
"""The checker's networks: square layers first (every mistake then runs and shows in its numbers),
then a batch of one, then odd, non-square sizes."""


def backward_inputs(rng: np.random.Generator):
    """Fresh (W, a, z, y, f_prime) for each network of :data:`BATCH_CASES`, tanh hidden layers."""
    cases = []
    for widths, n, description in BATCH_CASES:
        W, _, a, z, y = random_batch(widths, n, rng)
        cases.append(((W, a, z, y, tanh_prime), description))
    return cases


_SOLUTION = '''import numpy as np
import lecture_nn as nn

def backward_pass(W, a, z, y, f_prime):
    L = max(W)                                   # the output layer (4 here)
    n = len(y)
    p = nn.softmax(z[L])                         # the output's probabilities, one row per example
    delta = {L: (p - np.eye(p.shape[1])[y]) / n} # step 3: δ^L = (p − y)/n, the loss is a mean
    for l in range(L - 1, 1, -1):                # step 4: eq. (4), one example per row
        delta[l] = f_prime(z[l]) * (delta[l + 1] @ W[l + 1].T)
    grads = []
    for l in range(2, L + 1):                    # step 5, summed over the batch
        grads += [a[l - 1].T @ delta[l], delta[l].sum(axis=0)]
    return tuple(grads)'''


def _with(*replacements: tuple[str, str]) -> str:
    """The worked solution with one slip: each (old, new) replaces a piece of one line."""
    code = _SOLUTION
    for old, new in replacements:
        if code.count(old) != 1:            # pragma: no cover - a guard while writing the mistakes
            raise ValueError(f"{old!r} must occur exactly once in the solution")
        code = code.replace(old, new)
    return code


exercise_1 = BuildExercise(
    name="exercise_1", title="the backward pass for a batch", function_name="backward_pass",
    make_inputs=backward_inputs, reference=batch_backward, outputs=gradient_names(4),
    forbidden=(batch_backward, backprop_example, backprop_dataset, softmax_cross_entropy, get_loss,
               Linear, Sequential, Activation, Tanh, ReLU, Sigmoid, mlp),
    hints=("One row of δ^l is one example's (δ^l)ᵀ. Transpose eq. (4) and step 5 for one example, then "
           "stack the rows: which products become matrix products over the batch, and what happens to "
           "the per-example gradients, which the mean loss averages? Check every shape against W^l and b^l.",
           "δ^L = (p − y)/n with p = nn.softmax(z[L]) and y one-hot (np.eye(K)[y]); then for l = L−1, …, 2: "
           "δ^l = f_prime(z[l]) * (δ^{l+1} @ W[l+1].T); and ∂ℓ/∂W^l = a[l−1].T @ δ^l, "
           "∂ℓ/∂b^l = δ^l summed over the rows (axis 0)."),
    worked_solution="""With one example per row, the notes' column formulas are transposed and stacked.
**Step 3.** The loss is the mean of the n examples' cross-entropies, so each example's error p − y
(section 3) is divided by n: δ^L = (p − y)/n, one row per example.
**Step 4.** For one example eq. (4) reads δ^l = Diag[f′(z^l)] W^{l+1} δ^{l+1}; transposed, the row
(δ^l)ᵀ = f′(z^l)ᵀ ⊙ ((δ^{l+1})ᵀ (W^{l+1})ᵀ). Stacking the rows gives
δ^l = f′(z^l) ⊙ (δ^{l+1} (W^{l+1})ᵀ): the diagonal matrix becomes an entry-by-entry product.
**Step 5.** Each example contributes a^{l−1} (δ^l)ᵀ, an outer product; the sum over the batch of
these outer products is the matrix product (a^{l−1})ᵀ δ^l, of shape (n_{l−1}, n_l) like W^l. The bias
gradient is the sum of the rows of δ^l. No second division by n: it is already in δ^L.""",
    solution_code=_SOLUTION,
    mistakes=(
        Mistake("transposed weight gradient",
                "your ∂ℓ/∂W^l are the transposes of the right ones. Entry (i, j) of ∂ℓ/∂W^l belongs to "
                "w^l_ij, from unit i of layer l−1 to unit j of layer l: the activations a^{l−1} come first.",
                _with(("a[l - 1].T @ delta[l]", "delta[l].T @ a[l - 1]"))),
        Mistake("missing f′(z)",
                "your errors δ^l skip the factor f′(z^l) of eq. (4), so every layer below the output "
                "is off; the output layer's gradients are right.",
                _with(("f_prime(z[l]) * (delta[l + 1] @ W[l + 1].T)", "delta[l + 1] @ W[l + 1].T"))),
        Mistake("derivative taken at a^l instead of z^l",
                "your f′ is evaluated at the activations a^l; eq. (4) needs it at the weighted inputs "
                "z^l (f_prime(z[l])).",
                _with(("f_prime(z[l])", "f_prime(a[l])"))),
        Mistake("recursion with W^l instead of W^{l+1}",
                "your δ^l is carried down with the weight matrix of layer l; eq. (4) uses W^{l+1}, "
                "the matrix through which z^l reaches z^{l+1}.",
                _with(("@ W[l + 1].T", "@ W[l].T"))),
        Mistake("bias gradient not summed over the batch",
                "your ∂ℓ/∂b^l has one row per example; like b^l it must have one entry per unit: add "
                "up the examples' contributions.",
                _with(("delta[l].sum(axis=0)]", "delta[l]]"))),
        Mistake("bias gradient averaged a second time",
                "your ∂ℓ/∂b^l are n times too small: δ^L already carries the 1/n of the mean loss, so "
                "the bias gradient is the sum of the rows of δ^l, not their mean.",
                _with(("delta[l].sum(axis=0)]", "delta[l].mean(axis=0)]"))),
        Mistake("missing division by the batch size",
                "every gradient is n times too large: the loss is the mean over the batch, so the "
                "output error is (p − y)/n.",
                _with(("/ n} ", "} "))),
        Mistake("sign slip in the output error",
                "every gradient has the wrong sign: δ^L = ∂ℓ/∂z^L is p − y (raising the true class's "
                "score lowers the loss), not y − p.",
                _with(("(p - np.eye(p.shape[1])[y])", "(np.eye(p.shape[1])[y] - p)"))),
        Mistake("diagonal-only softmax Jacobian",
                "your output error is zero for every wrong class: step 3 taken literally keeps only the "
                "diagonal of ∂p/∂z^L. Section 3 shows why the full Jacobian gives p − y.",
                _with(("(p - np.eye(p.shape[1])[y])", "(p * (1 - p) * -(np.eye(p.shape[1])[y] / p))"))),
    ),
    rtol=1e-7, atol=1e-10)


# --- exercise 2: paths multiply, weights add -----------------------------------------------------

def _weights(widths) -> int:
    return int(sum(m * n for m, n in zip(widths, widths[1:])))


exercise_2 = Exercise(
    name="exercise_2", title="paths multiply, weights add",
    expected=lambda: np.array([64.0, _weights([784, 128, 64, 10]) / _weights([784, 128, 10])]),
    rtol=1e-3, atol=0,
    hints=("A path picks one unit in every layer; a weight joins one unit to one unit of the next layer. "
           "Write both counts for the two networks as formulas in the widths before you put numbers in: "
           "what does the new layer do to each formula?",
           "Paths: the product of all the widths, so the new factor is the new layer's width. Weights: the "
           "sum of the products of neighbouring widths, 784·128 + 128·10 before and "
           "784·128 + 128·64 + 64·10 after (biases not counted)."),
    worked_solution="""A path chooses one unit in each layer, and every choice combines with every other, so
the number of paths is the product of the widths: 784 · 128 · 10 before, 784 · 128 · 64 · 10 after.
The new layer multiplies it by its width, **64**, with no arithmetic at all.

A weight joins neighbouring layers, so the number of weights is a sum of products of neighbours:
784 · 128 + 128 · 10 = 101,632 before, 784 · 128 + 128 · 64 + 64 · 10 = 109,184 after, a factor of
**1.074**. The layer of 64 replaces the 128 · 10 weights to the output by 128 · 64 + 64 · 10.

Summing the chain rule over paths costs work in proportion to the paths; backprop's work grows like
the weights (section 1's table). One more layer multiplies the first by 64 and adds 7 % to the second.""",
    solution_code="""import numpy as np
paths_factor = np.prod([784, 128, 64, 10]) / np.prod([784, 128, 10])
weights_factor = (784 * 128 + 128 * 64 + 64 * 10) / (784 * 128 + 128 * 10)
answer = (paths_factor, weights_factor)""",
    wrong_answer=(64, 64))


# --- exercise 3: what a dead unit silences -------------------------------------------------------

DEAD_UNIT_OPTIONS = {
    "A": "column j of ∂ℓ/∂W^l",
    "B": "entry j of ∂ℓ/∂b^l",
    "C": "row j of ∂ℓ/∂W^l",
    "D": "row j of ∂ℓ/∂W^{l+1}",
    "E": "column j of ∂ℓ/∂W^{l+1}",
    "F": "all of δ^{l−1}, the error one layer down",
}
"""The statements of exercise 3; the notebook lists them."""


def chosen_letters(answer) -> set[str]:
    """The options a student chose: a string of letters ("ABD", "a, b, d") or a list of letters."""
    if isinstance(answer, str):
        letters = [ch for ch in answer.upper() if ch.isalpha()]
    elif isinstance(answer, (list, tuple, set, frozenset)) and all(isinstance(x, str) for x in answer):
        letters = [ch for x in answer for ch in x.upper() if ch.isalpha()]
    else:
        raise TypeError(f"answer with the letters of the options, e.g. \"AC\"; got {answer!r}")
    unknown = sorted(set(letters) - set(DEAD_UNIT_OPTIONS))
    if unknown:
        raise ValueError(f"the options are {', '.join(DEAD_UNIT_OPTIONS)}; {', '.join(unknown)} is not one of them")
    if not letters:
        raise ValueError("answer with at least one letter")
    return set(letters)


exercise_3 = Exercise(
    name="exercise_3", title="what a dead unit silences",
    judge=lambda answer: chosen_letters(answer) == {"A", "B", "D"},
    hints=("Take one example. What is δ^l_j, the entry of eq. (4) for unit j, when z^l_j < 0? And what "
           "is a^l_j? Then find, in step 5 for layers l and l+1, the entries that are products with δ^l_j "
           "or with a^l_j.",
           "δ^l_j = f′(z^l_j) · (…) = 0 and a^l_j = 0 for every example. ∂ℓ/∂w^l_ij = Σ a^{l−1}_i δ^l_j (a "
           "column), ∂ℓ/∂b^l_j = Σ δ^l_j, ∂ℓ/∂w^{l+1}_jk = Σ a^l_j δ^{l+1}_k (a row). The other units of "
           "layer l still pass errors down to layer l−1."),
    worked_solution="""For every example of the batch z^l_j < 0, so f′(z^l_j) = 0 and a^l_j = 0.

* Eq. (4) multiplies entry j by f′(z^l_j): **δ^l_j = 0** for every example.
* Step 5 for layer l: ∂ℓ/∂w^l_ij sums a^{l−1}_i δ^l_j over the batch, so **column j of ∂ℓ/∂W^l** is zero
  (A), and so is **∂ℓ/∂b^l_j** = Σ δ^l_j (B). Row j of ∂ℓ/∂W^l (C) belongs to unit j of layer l−1, which
  is alive.
* Step 5 for layer l+1: ∂ℓ/∂w^{l+1}_jk sums a^l_j δ^{l+1}_k, so **row j of ∂ℓ/∂W^{l+1}** is zero (D):
  the weights leaving the dead unit do not learn either. Column j of ∂ℓ/∂W^{l+1} (E) belongs to unit j
  of layer l+1, which still gets its error from the output.
* δ^{l−1} (F) = f′(z^{l−1}) ⊙ (δ^l (W^l)ᵀ) still receives the errors of the other units of layer l;
  it vanishes only when every unit of layer l is dead.

So SGD changes neither the weights into the unit nor those out of it: on such a batch the unit cannot
come back by its own gradient (notebook 03 counts such dead units).""",
    solution_code='answer = "ABD"',
    wrong_answer="ABCD")
