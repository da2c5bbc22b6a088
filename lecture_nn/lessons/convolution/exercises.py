"""The exercises of notebook 05 (convolution), in the convention of :mod:`lecture_nn.lessons.checking`."""
from __future__ import annotations

import numpy as np

from lecture_nn.lessons.checking import Exercise
from lecture_nn.lessons.convolution import conv_matrix, fft_crossover, locally_connected_weights

EXERCISE_KERNEL = np.array([[1.0, -1.0], [2.0, 0.5]])
"""The 2×2 patch of exercise 1."""


exercise_1 = Exercise(
    name="exercise_1", title="the convolution matrix by hand",
    expected=lambda: conv_matrix((5, 5), EXERCISE_KERNEL), rtol=0, atol=0,
    hints=("Give each of the 16 outputs (p, q) its own row and each of the 25 pixels its own column, "
           "both in reading order. Which pixels does output (p, q) look at, and with which weight?",
           "Output (p, q) adds w[i, j] · x[p + i, q + j] for i, j in {0, 1}; pixel (r, c) is column "
           "5·r + c and output (p, q) is row 4·p + q. The kernel is not flipped."),
    worked_solution="""A 2×2 window fits 5 − 2 + 1 = 4 times along each axis, so there are 4·4 = 16 outputs; the
flattened image has 25 pixels, so the matrix is 16×25. Number the outputs and the pixels in reading
order: output (p, q) is row 4p + q, pixel (r, c) is column 5r + c. Output (p, q) is
w₀₀x[p, q] + w₀₁x[p, q+1] + w₁₀x[p+1, q] + w₁₁x[p+1, q+1], so its row holds w[i, j] in column
5(p + i) + (q + j) and zeros elsewhere: four non-zeros per row. (The kernel is used as it stands,
not flipped: the notes' formula, like `conv2d`, is a cross-correlation.)""",
    solution_code="""import numpy as np
from lecture_nn.lessons.convolution.exercises import EXERCISE_KERNEL
answer = np.zeros((16, 25))
for p in range(4):
    for q in range(4):
        for i in range(2):
            for j in range(2):
                answer[4 * p + q, 5 * (p + i) + (q + j)] = EXERCISE_KERNEL[i, j]""",
    wrong_answer=conv_matrix((5, 5), EXERCISE_KERNEL[::-1, ::-1]))   # the flipped kernel

exercise_2 = Exercise(
    name="exercise_2", title="weights without sharing",
    expected=lambda: locally_connected_weights(256, 5, stride=1), rtol=0, atol=0,
    hints=("Without sharing every patch has weights of its own: count the patches, then the weights "
           "of one patch.",
           "A 5-wide window placed every pixel fits 256 − 5 + 1 times along a row, and as many times "
           "along a column; each patch has 5·5 weights."),
    worked_solution="""Along one axis a window of k = 5 pixels with stride 1 fits n − k + 1 = 256 − 5 + 1 = 252 times,
so there are 252·252 = 63504 patches, each with a hidden unit of its own. Without sharing every
unit owns its 5·5 = 25 weights: 63504·25 = 1587600 weights (biases not counted), against 25 with
sharing. Forgetting that the window must fit inside the image gives 256·256·25 instead.""",
    solution_code="""n, k = 256, 5
patches_per_row = n - k + 1
answer = patches_per_row ** 2 * k * k""",
    wrong_answer=256 * 256 * 25)

exercise_3 = Exercise(
    name="exercise_3", title="FFT crossover on a 1024×1024 image",
    expected=lambda: fft_crossover(1024), rtol=0, atol=0,
    hints=("Evaluate both counts, conv.fft_flops(1024, k) and conv.direct_flops(1024, k), for "
           "growing k and watch which one moves.",
           "The FFT's count does not depend on k, while the sliding window's grows with k²: the answer "
           "is the first k at which direct_flops(1024, k) exceeds fft_flops(1024, k)."),
    worked_solution="""The FFT transforms the image and the kernel (zero-padded to the image's size), multiplies the
spectra and transforms back: its count, about 1.6·10⁸ flops for 1024×1024, is the same for every
kernel size. The sliding window costs 2·(1024 − k + 1)²·k² flops, which grows with k². Trying
k = 1, 2, 3, … the sliding window stays below the FFT up to k = 8 and passes it at k = 9.""",
    solution_code="""from lecture_nn.lessons import convolution as conv
k = 1
while conv.direct_flops(1024, k) <= conv.fft_flops(1024, k):
    k += 1
answer = k""",
    wrong_answer=8)
