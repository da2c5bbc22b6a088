"""Exercises of notebook 02 (backpropagation): counting paths, one backward step by hand, and the
gradient of the first weight matrix. Layers are numbered as in the notes: layer 1 is the input."""
from __future__ import annotations

import numpy as np

from lecture_nn.lessons.backprop.paths import count_paths
from lecture_nn.lessons.backprop.procedure import Network, backprop_example
from lecture_nn.lessons.checking import Exercise


def exercise_network() -> tuple[Network, np.ndarray, np.ndarray]:
    """A 2-2-1 network (ReLU hidden layer 2, linear output layer 3), one input and a target,
    for exercises 2 and 3 (squared loss)."""
    network = Network(weights=[np.array([[1.0, -1.0], [2.0, 0.5]]), np.array([[1.5], [-2.0]])],
                      biases=[np.array([0.0, 1.0]), np.array([0.5])],
                      activations=["relu", "identity"])
    return network, np.array([1.0, 0.5]), np.array([1.0])


def _trace():
    network, x, y = exercise_network()
    return backprop_example(network, x, y, "squared")


exercise_1 = Exercise(
    name="exercise_1", title="paths through the MNIST networks",
    expected=lambda: np.array([count_paths([784, 128, 10]), count_paths([784, 128, 64, 10])]),
    rtol=0, atol=0,
    hints=("A path picks one unit in every layer, input and output included. How many choices "
           "are there in each layer, and how do choices in different layers combine? Answer with "
           "two numbers, e.g. (paths_1, paths_2).",
           "The choices are independent, so the counts multiply: the number of paths is the "
           "product of all the layer widths. Adding a layer of 64 units multiplies it by 64."),
    worked_solution="""A path from an input to an output chooses one unit in each layer, and every choice in one
layer can be combined with every choice in the others, so the number of paths is the product of
the widths: 784 · 128 · 10 = 1,003,520 for the network trained above, and 64 times as many,
64,225,280, once a hidden layer of 64 units is added.

The weights grow only by a sum of products of *neighbouring* widths: 784 · 128 + 128 · 10 =
101,632, and 784 · 128 + 128 · 64 + 64 · 10 = 109,184 for the deeper network (biases not
counted). One extra layer multiplies the paths by 64 but adds under 8 % to the weights, and
backprop's work grows like the weights, not like the paths.""",
    solution_code="""import numpy as np
answer = (int(np.prod([784, 128, 10])), int(np.prod([784, 128, 64, 10])))""",
    wrong_answer=(784 + 128 + 10, 784 + 128 + 64 + 10))

exercise_2 = Exercise(
    name="exercise_2", title="δ² of the exercise network",
    expected=lambda: _trace().delta[2].ravel(),
    hints=("Run the forward pass first and keep z² — the derivative of the ReLU needs it. Then start "
           "at the output: with the squared loss and a linear output, what is δ³?",
           "δ³ = a³ − y (one number here), and eq. (4) gives δ² = Diag[f'(z²)] W³ δ³, where f'(z) is "
           "1 for z > 0 and 0 otherwise, and W³ is the 2 × 1 column of output weights."),
    worked_solution="""**Forward.** z² = (W²)ᵀx + b²: the first unit gets 1·1 + 2·0.5 + 0 = 2, the second
−1·1 + 0.5·0.5 + 1 = 0.25. Both are positive, so a² = (2, 0.25) and f'(z²) = (1, 1).
The output is linear: z³ = a³ = 1.5·2 − 2·0.25 + 0.5 = 3.

**Backward.** For ℓ = ½(a³ − y)² and a linear output, δ³ = a³ − y = 3 − 1 = 2.
Eq. (4): δ² = Diag[f'(z²)] W³ δ³ = Diag(1, 1) · (1.5, −2)ᵀ · 2 = (3, −4).
The sign matters: δ is ∂ℓ/∂z, so it starts from a³ − y, not y − a³.""",
    solution_code="""import numpy as np
from lecture_nn.lessons.backprop.exercises import exercise_network
network, x, y = exercise_network()
(W2, W3), (b2, b3) = network.weights, network.biases
z2 = W2.T @ x + b2                   # feedforward, layer 2 (ReLU)
a2 = np.maximum(z2, 0.0)
a3 = W3.T @ a2 + b3                  # layer 3, linear output
delta3 = a3 - y                      # step 3 for the squared loss
answer = (z2 > 0) * (W3 @ delta3)    # step 4: Diag[f'(z2)] W3 delta3""",
    wrong_answer=np.array([-3.0, 4.0]))

exercise_3 = Exercise(
    name="exercise_3", title="∂ℓ/∂W² of the exercise network",
    expected=lambda: _trace().dW[2],
    hints=("Step 5 of the procedure needs two things you already have: the activations that feed "
           "layer 2 and the error δ² of exercise 2. Mind the shape: ∂ℓ/∂W² has the shape of W².",
           "∂ℓ/∂W² = a¹ (δ²)ᵀ with a¹ = x: an outer product of a column with 2 entries and a row with "
           "2 entries. Entry (i, j) is x_i δ²_j, like w²_ij connects input i to unit j."),
    worked_solution="""Step 5: ∂ℓ/∂W² = a¹ (δ²)ᵀ, with a¹ = x = (1, 0.5) and δ² = (3, −4) from exercise 2.
Entry (i, j) is x_i · δ²_j, matching w²_ij, which connects input i to hidden unit j:

| | j = 1 | j = 2 |
|---|---|---|
| i = 1 | 1 · 3 = 3 | 1 · (−4) = −4 |
| i = 2 | 0.5 · 3 = 1.5 | 0.5 · (−4) = −2 |

The transpose, δ² (a¹)ᵀ, has the same shape here (2 × 2) but puts the entries in the wrong places.""",
    solution_code="""import numpy as np
from lecture_nn.lessons.backprop.exercises import exercise_network
network, x, y = exercise_network()
(W2, W3), (b2, b3) = network.weights, network.biases
z2 = W2.T @ x + b2
a3 = W3.T @ np.maximum(z2, 0.0) + b3
delta2 = (z2 > 0) * (W3 @ (a3 - y))  # exercise 2
answer = np.outer(x, delta2)         # step 5: a1 (delta2)^T""",
    wrong_answer=np.array([[3.0, 1.5], [-4.0, -2.0]]))
