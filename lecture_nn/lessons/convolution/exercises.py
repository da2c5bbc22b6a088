"""The exercises of notebook 05 (convolution), in the convention of :mod:`lecture_nn.lessons.checking`.

1. (build it) a strided, padded convolution of a batch with channels, ``my_conv2d``;
2. (build it) the notes' exercise: the matrix of a convolution, ``my_conv_matrix``;
3. the parameters of a locally connected layer with channels (no sharing);
4. how many Fourier transforms the FFT route needs for a batch with channels.
"""
from __future__ import annotations

import sys

import numpy as np

from lecture_nn.convolution import Conv2D, conv2d_fast
from lecture_nn.fast_conv import FastPatchProducts
from lecture_nn.lessons.checking import BuildExercise, Exercise, Mistake
from lecture_nn.lessons.convolution.fft import conv2d_fft
from lecture_nn.lessons.convolution.loop import conv2d_loop
from lecture_nn.lessons.convolution.matrix import conv_matrix
from lecture_nn.lessons.convolution.route import conv2d
from lecture_nn.patches import col2im, im2col

SCIPY_CORRELATIONS = {"scipy.signal": ("correlate2d", "convolve2d", "correlate", "convolve", "fftconvolve",
                                       "oaconvolve"),
                      "scipy.ndimage": ("correlate", "convolve")}
"""SciPy's functions that would compute exercise 1 or 2 for the student, by module."""


def scipy_correlations() -> tuple:
    """The functions of :data:`SCIPY_CORRELATIONS` from the SciPy modules imported so far.

    A student who calls one has imported its module, so looking only at ``sys.modules`` finds it
    without importing ``scipy.signal`` here (which would cost every run of the notebook time)."""
    found = []
    for module_name, names in SCIPY_CORRELATIONS.items():
        module = sys.modules.get(module_name)
        if module is not None:
            found += [getattr(module, name) for name in names if hasattr(module, name)]
    return tuple(found)


class NoSciPyBuildExercise(BuildExercise):
    """A build-it exercise that also refuses SciPy's correlation functions (when SciPy's module is
    imported): a function that refers to ``correlate2d`` gets "not yet" before it runs."""

    def is_forbidden(self, obj) -> bool:
        return super().is_forbidden(obj) or any(obj is f for f in scipy_correlations())

    def delegation_message(self, names) -> str:
        scipy_names = {name for names_ in SCIPY_CORRELATIONS.values() for name in names_}
        if all(name in scipy_names for name in names):
            listed = ", ".join(f"`{n}`" for n in names)
            return f"Your function calls {listed}, SciPy's version; write it with NumPy."
        return super().delegation_message(names)


# --- exercise 1: the convolution layer's z, built by hand --------------------------------------

def conv2d_inputs(rng: np.random.Generator):
    """Fresh (x, w, b, stride, padding) for exercise 1: a batch of one single-channel image first,
    then several images with channels, non-square images and kernels, strides 2 and 3, padding 1
    and 2, and a size where the window does not reach the last row (the floor in the output size)."""
    shapes = [((1, 1, 5, 5), (1, 1, 2, 2), 1, 0),
              ((2, 3, 7, 6), (4, 3, 3, 2), 2, 1),
              ((3, 2, 8, 9), (5, 2, 3, 3), 3, 2),
              ((1, 4, 6, 7), (2, 4, 3, 2), 2, 0)]
    cases = []
    for x_shape, w_shape, stride, padding in shapes:
        x, w = rng.normal(size=x_shape), rng.normal(size=w_shape)
        b = rng.normal(size=w_shape[0])
        cases.append(((x, w, b, stride, padding),
                      f"x of shape {x_shape}, w of shape {w_shape}, stride {stride}, padding {padding}"))
    return cases


def _conv2d_code(*, pad="np.pad(x, ((0, 0), (0, 0), (P, P), (P, P)))",
                 Ho="(H + 2 * P - kh) // s + 1", Wo="(W + 2 * P - kw) // s + 1",
                 patch="xp[:, :, p * s:p * s + kh, q * s:q * s + kw]",
                 total='z[:, :, p, q] = np.einsum("ncij,ocij->no", patch, w)',
                 result="z + b[:, None, None]") -> str:
    """Exercise 1's function as a student may write it, with one part changed (for the mistakes)."""
    return ("import numpy as np\n\n"
            "def my_conv2d(x, w, b, stride, padding):\n"
            "    N, C, H, W = x.shape\n"
            "    O, _, kh, kw = w.shape\n"
            "    s, P = stride, padding\n"
            f"    xp = {pad}\n"
            f"    Ho = {Ho}\n"
            f"    Wo = {Wo}\n"
            "    z = np.zeros((N, O, Ho, Wo))\n"
            "    for p in range(Ho):\n"
            "        for q in range(Wo):\n"
            f"            patch = {patch}\n"
            f"            {total}\n"
            f"    return {result}")


_EVERY_CHANNEL = ("for c in range(C):\n"
                  '                z[:, :, p, q] = np.einsum("nij,oij->no", patch[:, c], w[:, c])')
_BIAS_IN_CHANNEL_LOOP = ("for c in range(C):\n"
                         '                z[:, :, p, q] += np.einsum("nij,oij->no", patch[:, c], w[:, c]) + b')

CONV2D_MISTAKES = (
    Mistake("flipped kernel (a true convolution)",
            "your numbers are what the kernel gives turned by 180°: signal processing's convolution. The "
            "notes' formula, like every deep-learning library, multiplies w[i, j] with the pixel at offset "
            "(i, j) from the window's corner, without flipping.",
            _conv2d_code(total='z[:, :, p, q] = np.einsum("ncij,ocij->no", patch, w[:, :, ::-1, ::-1])')),
    Mistake("off-by-one output size",
            "your map is one row and one column short. Count the window's positions along an axis: the "
            "first at 0, the last at (H + 2P − kh) // s · s, so there are (H + 2P − kh) // s + 1 of them.",
            _conv2d_code(Ho="(H + 2 * P - kh) // s", Wo="(W + 2 * P - kw) // s")),
    Mistake("padding ignored",
            "your numbers are those of the unpadded image. Add P zeros on each side of every image (rows "
            "and columns, not the batch or the channels) before the window slides, and count the output "
            "size on the padded image.",
            _conv2d_code(pad="x", Ho="(H - kh) // s + 1", Wo="(W - kw) // s + 1")),
    Mistake("stride ignored",
            "your window moves one pixel at a time: output (p, q) should start at row p·s and column q·s, "
            "and there are only (H + 2P − kh) // s + 1 positions along an axis.",
            _conv2d_code(Ho="H + 2 * P - kh + 1", Wo="W + 2 * P - kw + 1",
                         patch="xp[:, :, p:p + kh, q:q + kw]")),
    Mistake("stride applied to the kernel offsets",
            "your window starts at (p, q) and takes every s-th pixel, a spread-out kernel. The stride moves "
            "the window's corner to (p·s, q·s); inside the window the kh×kw pixels are next to each other.",
            _conv2d_code(patch="xp[:, :, p:p + s * (kh - 1) + 1:s, q:q + s * (kw - 1) + 1:s]")),
    Mistake("channels not summed",
            "your output keeps only the last input channel's sum: each channel overwrites the one before. "
            "A filter's output adds the sums over all C input channels.",
            _conv2d_code(total=_EVERY_CHANNEL)),
    Mistake("bias missing",
            "your numbers are off by one constant per filter: b[o] is missing.",
            _conv2d_code(result="z")),
    Mistake("bias added once per input channel",
            "your numbers are off by (C − 1)·b[o]: the bias is added inside the loop over channels. Each "
            "output gets b[o] once.",
            _conv2d_code(total=_BIAS_IN_CHANNEL_LOOP, result="z")),
)

exercise_1 = NoSciPyBuildExercise(
    name="exercise_1", title="a strided, padded convolution with channels", function_name="my_conv2d",
    make_inputs=conv2d_inputs, reference=conv2d_fast, outputs=("z",),
    forbidden=(conv2d_fast, Conv2D, conv2d, conv2d_loop, conv2d_fft, conv_matrix, im2col, col2im,
               FastPatchProducts),
    hints=("Pad first (np.pad, only the two image axes), then work out Ho and Wo. For every output "
           "position (p, q) cut out the window of all images and all channels, xp[:, :, rows, columns], "
           "and multiply it with every filter: the sum runs over c, i and j.",
           "Loop over p in range(Ho) and q in range(Wo): patch = xp[:, :, p*s:p*s + kh, q*s:q*s + kw] "
           "has shape (N, C, kh, kw); np.einsum('ncij,ocij->no', patch, w) gives z[:, :, p, q]. Add "
           "b[:, None, None] at the end."),
    worked_solution="""Padding adds $P$ zeros on each side of the two image axes only. On the padded image of height
$H + 2P$ a window of height $k_h$ moved $s$ rows at a time fits $\\lfloor (H + 2P - k_h)/s \\rfloor + 1$
times, and likewise along the width. Output $(p, q)$ of filter $o$ is the multi-channel formula
$z[n, o, p, q] = \\sum_c \\sum_{ij} w[o, c, i, j]\\, x_\\text{pad}[n, c, p s + i, q s + j] + b[o]$: the
window starts at $(ps, qs)$, the kernel is not flipped, the sum runs over every input channel, and
each filter adds its bias once. Looping over the $H_o W_o$ positions and letting `np.einsum` do the
sum over $(c, i, j)$ for every image and filter at once keeps the Python loop short.""",
    solution_code="""import numpy as np

def my_conv2d(x, w, b, stride, padding):
    N, C, H, W = x.shape
    O, _, kh, kw = w.shape
    s, P = stride, padding
    xp = np.pad(x, ((0, 0), (0, 0), (P, P), (P, P)))          # P zeros around every image
    Ho = (H + 2 * P - kh) // s + 1
    Wo = (W + 2 * P - kw) // s + 1
    z = np.zeros((N, O, Ho, Wo))
    for p in range(Ho):
        for q in range(Wo):
            patch = xp[:, :, p * s:p * s + kh, q * s:q * s + kw]     # (N, C, kh, kw)
            z[:, :, p, q] = np.einsum("ncij,ocij->no", patch, w)   # sum over c, i, j
    return z + b[:, None, None]""",
    mistakes=CONV2D_MISTAKES,
    rtol=1e-9, atol=1e-10)


# --- exercise 2: the notes' exercise, the matrix of a convolution ------------------------------

def package_conv_matrix(w, image_shape):
    """Exercise 2's function computed by the package: ``conv_matrix(image_shape, w)`` (stride 1, no padding)."""
    return conv_matrix(image_shape, w)


def conv_matrix_inputs(rng: np.random.Generator):
    """Fresh (w, image_shape) for exercise 2: the notes' 5×5 image with a 2×2 kernel first, then
    non-square images and kernels (one a single row)."""
    cases = []
    for image_shape, kernel_shape in (((5, 5), (2, 2)), ((4, 6), (3, 2)), ((3, 7), (1, 4)),
                                      ((6, 5), (2, 3))):
        w = rng.normal(size=kernel_shape)
        cases.append(((w, image_shape), f"a {image_shape[0]}×{image_shape[1]} image and a "
                                        f"{kernel_shape[0]}×{kernel_shape[1]} kernel"))
    return cases


def _conv_matrix_code(*, rows="Ho * Wo", cols="H * W", Ho="H - kh + 1", Wo="W - kw + 1",
                      entry="M[Wo * p + q, W * (p + i) + (q + j)] = w[i, j]", outputs=None) -> str:
    """Exercise 2's function as a student may write it, with one part changed (for the mistakes)."""
    loops = outputs or ("    for p in range(Ho):\n"
                        "        for q in range(Wo):\n"
                        "            for i in range(kh):\n"
                        "                for j in range(kw):\n"
                        f"                    {entry}\n")
    return ("import numpy as np\n\n"
            "def my_conv_matrix(w, image_shape):\n"
            "    H, W = image_shape\n"
            "    kh, kw = w.shape\n"
            f"    Ho, Wo = {Ho}, {Wo}\n"
            f"    M = np.zeros(({rows}, {cols}))\n"
            f"{loops}"
            "    return M")


_EVERY_PIXEL_AN_OUTPUT = ("    for p in range(H):\n"
                          "        for q in range(W):\n"
                          "            for i in range(kh):\n"
                          "                for j in range(kw):\n"
                          "                    if p + i < H and q + j < W:\n"
                          "                        M[W * p + q, W * (p + i) + (q + j)] = w[i, j]\n")

CONV_MATRIX_MISTAKES = (
    Mistake("flipped kernel",
            "your rows hold the kernel turned by 180°. Output (p, q) multiplies w[i, j] with pixel "
            "(p + i, q + j): the weight in the window's top-left corner is w[0, 0].",
            _conv_matrix_code(entry="M[Wo * p + q, W * (p + i) + (q + j)] = w[kh - 1 - i, kw - 1 - j]")),
    Mistake("transposed matrix",
            "your matrix has one row per pixel and one column per output: it is Mᵀ. M multiplies the "
            "flattened image, so it has one row per output and one column per pixel.",
            _conv_matrix_code(rows="H * W", cols="Ho * Wo",
                              entry="M[W * (p + i) + (q + j), Wo * p + q] = w[i, j]")),
    Mistake("square d²×d² matrix",
            "your matrix has a row for every pixel, as the notes' \"d² × d²\" suggests, with the windows "
            "that leave the image cut short. Without padding the window fits only (H − kh + 1)·(W − kw + 1) "
            "times, one row each.",
            _conv_matrix_code(rows="H * W", outputs=_EVERY_PIXEL_AN_OUTPUT)),
    Mistake("pixel numbered with the output's width",
            "your columns are numbered as if the image rows were Wo = W − kw + 1 pixels long. Pixel "
            "(r, c) of the flattened image is column W·r + c.",
            _conv_matrix_code(entry="M[Wo * p + q, Wo * (p + i) + (q + j)] = w[i, j]")),
)

exercise_2 = NoSciPyBuildExercise(
    name="exercise_2", title="the matrix of a convolution, the notes' exercise",
    function_name="my_conv_matrix",
    make_inputs=conv_matrix_inputs, reference=package_conv_matrix, outputs=("M",),
    forbidden=(conv_matrix, conv2d_fast, Conv2D, conv2d, conv2d_loop, conv2d_fft, im2col),
    hints=("Give each output (p, q) its own row and each pixel (r, c) its own column, both in reading "
           "order. Which pixels does output (p, q) look at, and with which weight?",
           "Output (p, q) adds w[i, j]·x[p + i, q + j] for every (i, j) of the kernel: its row, Wo·p + q, "
           "holds w[i, j] in column W·(p + i) + (q + j), where Wo = W − kw + 1. Four nested loops fill M."),
    worked_solution="""A $k_h\\times k_w$ window fits $H_o = H - k_h + 1$ times down and $W_o = W - k_w + 1$ times
across, so there are $H_o W_o$ outputs; the flattened image has $HW$ pixels, so $M$ is
$H_oW_o \\times HW$ — $16\\times 25$ for the notes' $5\\times5$ image and $2\\times2$ patch. Number the
outputs and the pixels in reading order: output $(p, q)$ is row $W_o p + q$, pixel $(r, c)$ is column
$W r + c$. Output $(p, q)$ is $\\sum_{ij} w_{ij}\\, x_{p+i,\\,q+j}$, so its row holds $w_{ij}$ in column
$W(p + i) + (q + j)$ and zeros elsewhere: $k_h k_w$ non-zeros per row, each row the one before shifted
by one column, except where the window moves down a row. The kernel is used as it stands, not
flipped: the notes' formula is a cross-correlation.""",
    solution_code="""import numpy as np

def my_conv_matrix(w, image_shape):
    H, W = image_shape
    kh, kw = w.shape
    Ho, Wo = H - kh + 1, W - kw + 1
    M = np.zeros((Ho * Wo, H * W))              # one row per output, one column per pixel
    for p in range(Ho):
        for q in range(Wo):
            for i in range(kh):
                for j in range(kw):
                    M[Wo * p + q, W * (p + i) + (q + j)] = w[i, j]
    return M""",
    mistakes=CONV_MATRIX_MISTAKES,
    rtol=0, atol=0)


# --- exercises 3 and 4: reasoning ---------------------------------------------------------------

SECOND_LAYER = {"in_channels": 12, "out_channels": 24, "kernel_size": 3, "input_size": 12}
"""Exercise 3: notebook 06's second convolution, Conv2D(12, 24, 3), on 12×12 feature maps."""

FFT_BATCH = {"N": 64, "C": 12, "O": 24}
"""Exercise 4: a batch of N images with C channels, and O filters (06's second layer, batch of 64)."""


def locally_connected_parameters(in_channels, out_channels, kernel_size, input_size) -> int:
    """Weights and biases of a layer with the shapes of a stride-1 unpadded convolution but no sharing:
    every hidden unit has C·k² weights and a bias of its own."""
    side = input_size - kernel_size + 1
    return out_channels * side * side * (in_channels * kernel_size ** 2 + 1)


def fft_route_transforms(N, C, O) -> int:
    """2-D Fourier transforms of the FFT route for N images with C channels and O filters: one per
    image channel and per filter channel, and one inverse per (image, filter) pair, since the sum over
    channels can be done on the spectra (the transform is linear)."""
    return N * C + O * C + N * O


exercise_3 = Exercise(
    name="exercise_3", title="a locally connected layer with channels",
    expected=lambda: locally_connected_parameters(**SECOND_LAYER), rtol=0, atol=0,
    hints=("First count the hidden units: how many output maps, each of what size? Then what one unit "
           "needs when it shares nothing: a weight for every input value its window covers, in every "
           "input channel, and a bias.",
           "The output is 24 maps of 10×10 = 2400 hidden units. Each sees a 3×3 window in each of the "
           "12 input channels, 12·9 = 108 weights, and has a bias of its own."),
    worked_solution="""`Conv2D(12, 24, 3)` maps 12 channels of 12×12 to 24 maps of 10×10 (12 − 3 + 1 = 10): that is
24·10·10 = 2400 hidden units. Each looks at a 3×3 window in every one of the 12 input channels, so
without sharing it owns 12·3·3 = 108 weights, plus its own bias: 109 parameters. Together
2400·109 = 261600, exactly 100 times the convolution's 24·108 + 24 = 2616 — one copy of every filter
and bias for each of the 10·10 positions. Forgetting the channels gives 2400·10 = 24000; giving the
units one bias per filter instead of one each gives 259224.""",
    solution_code="""C, O, k, n = 12, 24, 3, 12
side = n - k + 1                     # 10: the output maps are 10×10
units = O * side * side              # every hidden unit of every output map
answer = units * (C * k * k + 1)     # its own weights in every channel, and its own bias""",
    wrong_answer=24 * 10 * 10 * 12 * 9 + 24)

exercise_4 = Exercise(
    name="exercise_4", title="Fourier transforms for a batch with channels",
    expected=lambda: fft_route_transforms(**FFT_BATCH), rtol=0, atol=0,
    hints=("Which arrays need a forward transform, and which results an inverse one? The output of a "
           "filter is a sum over the input channels, and the transform of a sum is the sum of the "
           "transforms: where can that sum be done?",
           "Transform every channel of every image once (N·C) and every channel of every filter once "
           "(O·C). For each image and filter, multiply the spectra channel by channel and add them up "
           "in the frequency domain; then one inverse transform per (image, filter) pair (N·O)."),
    worked_solution="""Output map $o$ of image $n$ is $\\sum_c x_{n,c} \\star w_{o,c}$. Each term is, in the frequency
domain, $\\hat x_{n,c}\\cdot\\overline{\\hat w_{o,c}}$, and the inverse transform is linear, so the sum over
$c$ can be taken on the spectra: $\\mathrm{IFFT}\\big(\\sum_c \\hat x_{n,c}\\,\\overline{\\hat w_{o,c}}\\big)$.
Every spectrum is computed once and used many times: $N\\cdot C = 768$ transforms of image
channels, $O\\cdot C = 288$ of filter channels, and one inverse per pair $(n, o)$, $N\\cdot O = 1536$:
$2592$ in all. Three transforms per product, one for each of the $N\\cdot O\\cdot C$ pairs of an image
channel and a filter channel, would be $3\\cdot 64\\cdot 12\\cdot 24 = 55296$. The package's `conv2d_fft`
(`lecture_nn/lessons/convolution/fft.py`) does it this way: at every frequency the sum over channels
is a small matrix product.""",
    solution_code="""N, C, O = 64, 12, 24
forward = N * C + O * C        # every channel of every image and of every filter, once
inverse = N * O                # one per (image, filter): the channel sum is done on the spectra
answer = forward + inverse""",
    wrong_answer=3 * 64 * 12 * 24)
