"""The warm-up exercise of notebook 00: a first build-it exercise (see :mod:`lecture_nn.lessons.checking`)."""
from __future__ import annotations

import numpy as np

from lecture_nn.activations import Sigmoid, sigmoid
from lecture_nn.lessons.checking import BuildExercise, Mistake


def sigmoid_inputs(rng: np.random.Generator):
    """Fresh z arrays of several shapes, with a few large entries (where e^{−z} overflows)."""
    cases = [(rng.normal(size=(5,)), "z of shape (5,)"),
             (rng.normal(scale=3, size=(3, 4)), "z of shape (3, 4)"),
             (rng.normal(size=(1, 1)), "z of shape (1, 1)")]
    large = rng.normal(size=(2, 3))
    large[0, 0], large[1, 2] = 40.0, -40.0
    cases.append((large, "z of shape (2, 3) with entries ±40"))
    return [((z,), description) for z, description in cases]


exercise_1 = BuildExercise(
    name="exercise_1", title="write the sigmoid", function_name="my_sigmoid",
    make_inputs=sigmoid_inputs, reference=sigmoid, outputs=("σ(z)",),
    forbidden=(sigmoid, Sigmoid),
    hints=("The sigmoid of Fig. 1 is σ(z) = 1 / (1 + e^(−z)), taken entry by entry. NumPy's "
           "functions work on whole arrays at once, so no loop is needed.",
           "`np.exp(-z)` is e^(−z) for every entry of z; then add 1 and take the reciprocal."),
    worked_solution="""NumPy applies `np.exp`, `+` and `/` to every entry of an array, so the
formula of Fig. 1 is one line and works for any shape of `z`. For z = −40, e^(−z) ≈ 2·10^17 is
large but finite and σ(z) comes out as a tiny positive number; for much larger |z| NumPy warns about
an overflow, and the package's `nn.sigmoid` (SciPy's `expit`) avoids it.""",
    solution_code="""import numpy as np

def my_sigmoid(z):
    return 1 / (1 + np.exp(-z))""",
    mistakes=(
        Mistake("sign slip in the exponent",
                "your values are 1 − σ(z): they fall as z grows. Check the sign inside `np.exp`.",
                "import numpy as np\n\ndef my_sigmoid(z):\n    return 1 / (1 + np.exp(z))"),
        Mistake("derivative instead of the function",
                "your values are σ(z)(1 − σ(z)), the slope σ′(z), which is never above 1/4.",
                "import numpy as np\n\ndef my_sigmoid(z):\n    s = 1 / (1 + np.exp(-z))\n"
                "    return s * (1 - s)"),
        Mistake("tanh instead of the sigmoid",
                "your values run from −1 to 1; the sigmoid runs from 0 to 1 (Fig. 1 shows both).",
                "import numpy as np\n\ndef my_sigmoid(z):\n    return np.tanh(z)"),
        Mistake("minus sign in the denominator",
                "the denominator is 1 + e^(−z), not 1 − e^(−z).",
                "import numpy as np\n\ndef my_sigmoid(z):\n    return 1 / (1 - np.exp(-z))"),
    ),
    rtol=1e-9, atol=1e-12)
