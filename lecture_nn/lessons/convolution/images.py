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


def response_scale(filtered, kernel, coverage: float = 0.98) -> dict:
    """How to draw a filtered image: ``imshow`` keyword arguments, a colour-bar label, and whether
    to draw the magnitude.

    A kernel whose weights sum to 0 (an edge detector) answers flat regions with 0 and edges with
    either sign: it is drawn as the size of the response, |response|, black for 0 and white for the
    strongest edges (``"magnitude": True``), so that the edges stand out on a dark ground. Any other
    kernel keeps the picture: grey levels of the response itself. Either way the scale ends at the
    ``coverage`` quantile (98% by default; both ends for grey levels), so that a few extreme pixels
    do not wash out the rest (they saturate; the colour bar's arrow end says so).
    """
    values = np.asarray(filtered, dtype=float)
    if not 0 < coverage <= 1:
        raise ValueError(f"coverage must be in (0, 1], got {coverage}")
    if abs(float(np.sum(kernel))) < 1e-12:
        limit = float(np.quantile(np.abs(values), coverage)) or 1.0
        return {"cmap": "gray", "vmin": 0.0, "vmax": limit, "label": "|response|",
                "magnitude": True, "extend": "max"}
    tail = (1 - coverage) / 2
    low, high = (float(v) for v in np.quantile(values, [tail, 1 - tail]))
    if high <= low:
        low, high = low - 0.5, low + 0.5
    return {"cmap": "gray", "vmin": low, "vmax": high, "label": "response", "magnitude": False,
            "extend": "both"}


def show_filtered(ax, filtered, kernel, title=None, coverage: float = 0.98):
    """Draw a filtered image on ``ax`` with the scale of :func:`response_scale` and a colour bar."""
    scale = response_scale(filtered, kernel, coverage)
    label, magnitude, extend = scale.pop("label"), scale.pop("magnitude"), scale.pop("extend")
    shown = ax.imshow(np.abs(filtered) if magnitude else filtered, **scale)
    ax.axis("off")
    if title:
        ax.set_title(title)
    ax.figure.colorbar(shown, ax=ax, shrink=0.75, extend=extend, label=label)
    return shown
