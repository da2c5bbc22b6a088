"""Classic 3×3 image filters and a sample photograph to apply them to (notes Fig. 11)."""
from __future__ import annotations

import matplotlib.cbook
import matplotlib.image
import numpy as np

from lecture_nn.checks import positive_int

FILTERS = {
    "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], dtype=float),
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=float),
    "edge detect": np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=float),
    "strong edge detect": np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], dtype=float),
    "box blur": np.full((3, 3), 1 / 9),
    "vertical edges": np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=float),
}
"""Named 3×3 kernels. Sharpen adds the difference from the neighbours to each pixel; the
edge detectors (discrete Laplacians) sum to 0, so flat regions go to 0 and only changes
survive; "vertical edges" is the Sobel kernel for horizontal changes."""


def sample_photo(step: int = 1) -> np.ndarray:
    """Grace Hopper's portrait bundled with matplotlib, in grey levels in [0, 1].

    Parameters
    ----------
    step : int
        Keep every ``step``-th pixel (2 halves the size) for quick demos.

    Returns
    -------
    (H, W) float64 array; (600, 512) at ``step=1``.
    """
    step = positive_int(step, "step")
    path = matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    rgb = matplotlib.image.imread(path).astype(np.float64) / 255.0
    # luminance weights of ITU-R BT.601: the eye is most sensitive to green
    grey = rgb[..., :3] @ np.array([0.299, 0.587, 0.114])
    return np.ascontiguousarray(grey[::step, ::step])
