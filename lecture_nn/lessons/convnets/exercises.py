"""Checkers for the exercises of notebook 06 (convnet architectures and pooling, notes §5.2).

1. (build it) the backward pass of k × k max pooling, compared with the package's ``MaxPool2D``;
2. (build it) the shape and the number of parameters after each layer of a stack of convolutions
   and poolings (Fig. 12's bookkeeping), compared with the package's ``Conv2D`` and ``MaxPool2D``.
"""
from __future__ import annotations

import numpy as np

from lecture_nn.convolution import Conv2D
from lecture_nn.lessons.checking import BuildExercise, Mistake
from lecture_nn.lessons.training.diagnostics import layer_outputs
from lecture_nn.patches import output_size
from lecture_nn.pooling import AvgPool2D, MaxPool2D

# --- exercise 1: the backward pass of max pooling ------------------------------------------------


def package_maxpool_backward(grad_out, x, k):
    """Exercise 1's function computed by the package: ``MaxPool2D(k)`` forward on ``x``, then
    backward from ``grad_out``."""
    pool = MaxPool2D(k)
    pool.forward(x)
    return pool.backward(grad_out)


def maxpool_inputs(rng: np.random.Generator):
    """Fresh (grad_out, x, k) for exercise 1: a batch of one, maps with ties (small whole numbers),
    odd and non-square maps whose last row or column no window reaches, k = 2 and k = 3."""
    cases = []
    for shape, k, ties in (((1, 1, 4, 4), 2, False), ((2, 3, 6, 8), 2, True),
                           ((3, 2, 7, 5), 2, False), ((2, 2, 8, 10), 3, True)):
        n, c, h, w = shape
        x = rng.integers(0, 3, size=shape).astype(float) if ties else rng.normal(size=shape)
        grad_out = rng.normal(size=(n, c, h // k, w // k))
        what = ", ".join(word for word, yes in (("with ties", ties), ("a leftover row or column", h % k or w % k))
                         if yes)
        cases.append(((grad_out, x, k), f"x of shape {shape}" + (f" ({what})" if what else "") + f", k = {k}"))
    return cases


_MAXPOOL_HEAD = """import numpy as np

def maxpool_backward(grad_out, x, k):
    n, C, Ho, Wo = grad_out.shape
    grad_x = np.zeros_like(x)
    for i in range(Ho):
        for j in range(Wo):
            window = x[:, :, i * k:(i + 1) * k, j * k:(j + 1) * k]
"""
_GRAD_HERE = "            grad_x[:, :, i * k:(i + 1) * k, j * k:(j + 1) * k] = "
_ARRIVING = "grad_out[:, :, i, j][:, :, None, None]"


def _maxpool_code(body: str) -> str:
    """Exercise 1's function as a student may write it, window by window, with ``body`` inside the loop."""
    return _MAXPOOL_HEAD + body + "    return grad_x"


MAXPOOL_SOLUTION = _maxpool_code(
    "            first = window.reshape(n, C, k * k).argmax(axis=2)    # first maximum, reading order\n"
    "            one_hot = (np.arange(k * k) == first[:, :, None]).reshape(n, C, k, k)\n"
    + _GRAD_HERE + f"one_hot * {_ARRIVING}\n")

MAXPOOL_MISTAKES = (
    Mistake("gradient copied to every cell of the window",
            "every entry of a window receives the whole gradient of its pooled unit. Only the entry that "
            "is the maximum changes the output when nudged; the others should get 0.",
            _maxpool_code(_GRAD_HERE + f"{_ARRIVING}\n")),
    Mistake("gradient averaged over the window",
            "every entry of a window receives 1/k² of its pooled unit's gradient: that is the backward "
            "pass of average pooling. Max pooling's output is one entry of the window, selected.",
            _maxpool_code(_GRAD_HERE + f"{_ARRIVING} / (k * k)\n")),
    Mistake("gradient sent to the minimum",
            "the gradient of each window lands on its smallest entry; it belongs to the largest.",
            MAXPOOL_SOLUTION.replace("argmax(axis=2)    # first maximum, reading order", "argmin(axis=2)")),
    Mistake("tie shared by every maximum",
            "where two entries of a window tie for the maximum, each of them receives the whole "
            "gradient, so the window passes back more than arrived. MaxPool2D gives it to one of them: "
            "the first in reading order (top row first, left to right).",
            _maxpool_code("            is_max = window == window.max(axis=(2, 3), keepdims=True)\n"
                          + _GRAD_HERE + f"is_max * {_ARRIVING}\n")),
    Mistake("tie sent to the last maximum",
            "where two entries of a window tie for the maximum, your gradient goes to the last of them. "
            "MaxPool2D's rule is the first in reading order (top row first, left to right), as "
            "`np.argmax` picks it; a comparison `>=` while scanning keeps the last.",
            """import numpy as np

def maxpool_backward(grad_out, x, k):
    n, C, Ho, Wo = grad_out.shape
    grad_x = np.zeros_like(x)
    for a in range(n):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    best, where = -np.inf, None
                    for r in range(i * k, (i + 1) * k):
                        for s in range(j * k, (j + 1) * k):
                            if x[a, c, r, s] >= best:
                                best, where = x[a, c, r, s], (r, s)
                    grad_x[a, c, where[0], where[1]] = grad_out[a, c, i, j]
    return grad_x"""),
    Mistake("gradient shaped like the windows, not like x",
            "your gradient covers only the rows and columns the windows reach, (Ho·k, Wo·k); when H or W "
            "is not a multiple of k, x has a row or column more, and its gradient must have x's shape "
            "(0 on what no window reaches).",
            MAXPOOL_SOLUTION.replace("grad_x = np.zeros_like(x)",
                                     "grad_x = np.zeros((n, C, Ho * k, Wo * k))")),
)

exercise_1 = BuildExercise(
    name="exercise_1", title="the backward pass of max pooling", function_name="maxpool_backward",
    make_inputs=maxpool_inputs, reference=package_maxpool_backward, outputs=("grad_x",),
    forbidden=(MaxPool2D, AvgPool2D),
    hints=("Go window by window as `maxpool_forward` does. Within one window the output is one entry, "
           "selected: which entries change it when you nudge them, and by how much? Start from "
           "`np.zeros_like(x)`, so that whatever no window reaches keeps a gradient of 0.",
           "For window (i, j): `window.reshape(n, C, k * k).argmax(axis=2)` gives, for every example "
           "and map, the position of the first maximum in reading order; put grad_out[:, :, i, j] "
           "there and 0 on the rest of the window."),
    worked_solution="""Within a window the output is $\\max_{r,s} x_{rs}$, a selection: nudging the largest
entry moves the output by as much (slope 1), nudging any other entry does not move it at all (slope 0).
By the chain rule the gradient arriving at the pooled unit goes, whole, to the position of the window's
maximum, and every other entry of the window gets 0. When entries tie, the maximum is not
differentiable; `MaxPool2D` picks one valid choice, the first maximum in reading order, which is the
position `np.argmax` returns for the flattened window. Rows or columns that no window reaches (when
$H$ or $W$ is not a multiple of $k$) do not influence the output: their gradient is 0, which
`np.zeros_like(x)` gives them. Each map of each example is handled separately, so one `argmax` along
the flattened window serves all $n \\cdot C$ of them at once.""",
    solution_code=MAXPOOL_SOLUTION,
    mistakes=MAXPOOL_MISTAKES,
    rtol=1e-12, atol=1e-12)


# --- exercise 2: shapes and parameters, layer by layer ---------------------------------------------


def package_convnet_shapes(input_shape, layers):
    """Exercise 2's function computed by the package: build each layer (``Conv2D(C, F, k)`` for
    ``("conv", F, k)``, ``MaxPool2D(k)`` for ``("pool", k)``), pass one image of zeros through them,
    and read off each output's (C, H, W) and each layer's ``n_params()``."""
    x, shapes, n_params = np.zeros((1, *input_shape)), [], []
    for spec in layers:
        layer = (Conv2D(x.shape[1], spec[1], spec[2], rng=np.random.default_rng(0)) if spec[0] == "conv"
                 else MaxPool2D(spec[1]))
        x = layer.forward(x)
        shapes.append(x.shape[1:])
        n_params.append(layer.n_params())
    return np.array(shapes), np.array(n_params)


def stack_inputs(rng: np.random.Generator):
    """Fresh (input_shape, layers) for exercise 2: Fig. 12-like stacks on 28×28 digits, odd and
    non-square images with several channels, pools of 2 and 3 on odd sizes, a single layer."""
    f1, f2 = (int(v) for v in rng.integers(4, 33, size=2))
    digit = ((1, 28, 28), [("conv", f1, 3), ("pool", 2), ("conv", f2, 3), ("pool", 2)])
    c, h, w = int(rng.integers(2, 4)), 2 * int(rng.integers(11, 16)) + 1, 2 * int(rng.integers(12, 17))
    odd = ((c, h, w), [("conv", int(rng.integers(4, 17)), 5), ("pool", 2),
                       ("conv", int(rng.integers(4, 17)), 3), ("pool", 3)])
    single = ((int(rng.integers(2, 5)), 9, 7), [("conv", int(rng.integers(2, 9)), 2)])
    return [((shape, layers), f"input {shape} and layers {layers}") for shape, layers in (digit, odd, single)]


def _shapes_code(*, conv_size="H - k + 1, W - k + 1", pool_size="H // k, W // k",
                 params="F * C * k * k + F") -> str:
    return f"""import numpy as np

def convnet_shapes(input_shape, layers):
    C, H, W = input_shape
    shapes, n_params = [], []
    for layer in layers:
        if layer[0] == "conv":
            _, F, k = layer
            n_params.append({params})
            C, H, W = F, {conv_size}
        else:
            _, k = layer
            n_params.append(0)
            H, W = {pool_size}
        shapes.append((C, H, W))
    return np.array(shapes), np.array(n_params)"""


exercise_2 = BuildExercise(
    name="exercise_2", title="shapes and parameters, layer by layer", function_name="convnet_shapes",
    make_inputs=stack_inputs, reference=package_convnet_shapes, outputs=("shapes", "n_params"),
    forbidden=(Conv2D, MaxPool2D, AvgPool2D, output_size, layer_outputs),
    hints=("Carry (C, H, W) through the list. A k×k convolution with F filters, stride 1 and no padding: "
           "how many positions can a k×k window take along a side of H pixels, and what becomes of C? "
           "A k×k pooling: how many whole windows fit? A filter has one weight per input channel and "
           "kernel entry, and one bias.",
           "Convolution: (C, H, W) → (F, H − k + 1, W − k + 1) with F·C·k² + F parameters. "
           "Pooling: (C, H, W) → (C, H // k, W // k), rounding down (a leftover row is dropped), "
           "no parameters."),
    worked_solution="""A $k\\times k$ window slides over $H$ rows in $H-k+1$ positions at stride 1 (Fig. 12:
$28-5+1 = 24$), and likewise over the columns; each of the $F$ filters gives one map, so the
channels become $F$. Each filter has a weight for every input channel and every kernel entry,
$C\\cdot k^2$, plus one bias: $F\\,(C k^2 + 1)$ parameters (for notebook 06's `Conv2D(12, 24, 3)`,
$24\\cdot12\\cdot9 + 24 = 2616$). A $k\\times k$ pooling at stride $k$ fits $\\lfloor H/k\\rfloor$ whole
windows along the rows (a leftover row is dropped), keeps the number of maps, and has nothing to learn.""",
    solution_code=_shapes_code(),
    mistakes=(
        Mistake("pooled size rounded up",
                "after a pooling of an odd-sized map your size is one too large: a leftover row or column "
                "that does not fill a window is dropped, so the size is H // k, rounded down.",
                _shapes_code(pool_size="-(-H // k), -(-W // k)")),
        Mistake("convolution output one short",
                "after each convolution your height and width are one smaller than the package's: a "
                "k×k window fits in H − k + 1 positions along H (Fig. 12: 28 − 5 + 1 = 24).",
                _shapes_code(conv_size="H - k, W - k")),
        Mistake("filter without its input channels",
                "your convolutions have F·k² + F parameters: each filter spans all C input channels, "
                "so it has C·k² weights, plus its bias.",
                _shapes_code(params="F * k * k + F")),
        Mistake("convolution without biases",
                "your convolutions have F·C·k² parameters: every filter has a bias too.",
                _shapes_code(params="F * C * k * k")),
        Mistake("size kept by the convolution",
                "your convolutions keep the height and width, as a padded ('same') convolution would; "
                "without padding a k×k window fits in H − k + 1 positions.",
                _shapes_code(conv_size="H, W")),
    ),
    rtol=0, atol=0)
