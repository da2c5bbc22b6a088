"""Notebook figures compared with their committed versions, inside the nbval run.

nbval compares text only. This module adds the figures: every ``image/png`` output that a
checked cell produces is compared with the PNG committed in the notebook (its *baseline*), by a
measure that tolerates what another CPU or a tick label one digit wider changes, and fails what
a reader would see: a blank panel, a missing curve, arrow, colour bar or panel.

* **Pixel comparison** (every figure): the new image is resized to the baseline's size if the
  two differ by a few pixels; a pixel differs by how far its colour lies outside the range of
  colours within ``RADIUS`` pixels of it in the other image (so strokes that moved by up to
  ``RADIUS`` pixels, and antialiasing, cost nothing; ink that appeared or vanished costs its
  full contrast); the figure fails when the mean difference over some block of ``BLOCK``×``BLOCK``
  pixels exceeds ``BLOCK_LIMIT``.
* **Structural check** (cells tagged ``figure-varies-by-machine``, whose content legitimately
  depends on the CPU, e.g. which digits a network gets wrong): the same size, the same panels
  (axes frames and images, found as long straight dark edges), none of them blank where the
  baseline's had content, and every saturated colour the baseline's panels had still present.

On failure the baseline, the new image and a picture of their difference are written to
``test-artifacts/figures/<notebook>/cell-<i>-<k>-{baseline,new,diff}.png`` (cell ``i`` as nbval
counts code cells, ``k``-th figure of that cell) and the message names them. Baselines are the
committed outputs, so ``make notebooks`` regenerates them after an intended change.

The plugin part (``install``) wraps ``nbval.plugin.IPyNbCell.compare_outputs``: nbval's own
comparison runs unchanged, then the figures'; cells nbval does not check (tags
``nbval-ignore-output``, ``nbval-skip``) are not compared either.
"""
from __future__ import annotations

import base64
import binascii
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

TAG_VARIES_BY_MACHINE = "figure-varies-by-machine"

# --- the pixel comparison -----------------------------------------------------------------
RADIUS = 2
"""Pixels a stroke may move without cost (antialiasing, a resize by a few pixels, subpixel data)."""
NOISE_FLOOR = 0.05
"""Per-pixel differences up to this (13 of 255 levels) count as none: a colour-mapped value that
moved by a rounding error, a shade of antialiasing."""
BLOCK = 16
"""Side of the square blocks over which the difference is averaged (a thin curve crossing a
block covers about a tenth of it)."""
BLOCK_STRIDE = 8
"""Blocks overlap by half, so a small mark (an arrow head) is never split between four blocks."""
BLOCK_LIMIT = 0.03
"""Largest mean difference of a block that still passes (0 = same, 1 = black where white was)."""
SIZE_SLACK_PX = 8
SIZE_SLACK_FRACTION = 0.02
"""Sizes may differ by this much (the larger of the two) in each direction before a figure fails
outright; a tight bounding box grows by a few pixels when a tick label gets a digit wider."""

# --- the structural check -----------------------------------------------------------------
STRUCTURE_SIZE_SLACK_FRACTION = 0.05
EDGE_RUN_PX = 30
"""A panel's edge: a straight run of dark pixels at least this long (ticks and text are shorter)."""
PANEL_MIN_PX = 20
PANEL_MATCH_IOU = 0.7
"""A baseline panel is found again when a new panel overlaps it this much (intersection/union)."""
INK_STEP = 24
"""Colour step (of 255) above which a pixel counts as content against its panel's background."""
BLANK_FRACTION = 0.1
"""A panel is blank when its content is below this fraction of the baseline panel's."""
MIN_CONTENT = 0.002
HUE_BINS = 12
HUE_MIN_FRACTION = 0.03
HUE_MIN_PIXELS = 15
HUE_KEPT_FRACTION = 0.25
"""A colour (hue bin) the baseline shows on at least HUE_MIN_PIXELS pixels and HUE_MIN_FRACTION of
its coloured pixels must keep at least HUE_KEPT_FRACTION of its pixels."""


@dataclass(frozen=True)
class Verdict:
    """The outcome of comparing one new figure with its baseline.

    Attributes
    ----------
    passed : bool
    reason : str
        What differs, in words ("" when passed).
    diff : numpy.ndarray or None
        (H, W, 3) uint8 picture of the difference, at the baseline's size, when one was made.
    """

    passed: bool
    reason: str = ""
    diff: np.ndarray | None = None


# --- decoding -----------------------------------------------------------------------------
def png_bytes(data) -> bytes:
    """The bytes of a PNG given as bytes or as the base64 text a notebook stores."""
    if isinstance(data, (bytes, bytearray)):
        return bytes(data)
    if isinstance(data, list):        # a notebook may store the base64 text as a list of lines
        data = "".join(data)
    if not isinstance(data, str):
        raise TypeError(f"data: expected PNG bytes or base64 text, got {type(data).__name__}")
    try:
        return base64.b64decode(data)
    except binascii.Error as error:
        raise ValueError(f"data: expected base64 text of a PNG, got text that is not base64 ({error})") from None


def decode_png(data) -> np.ndarray:
    """A PNG (bytes or base64 text) as an (H, W, 3) uint8 RGB array, laid over white."""
    raw = png_bytes(data)
    try:
        image = Image.open(io.BytesIO(raw))
        image.load()
    except (OSError, SyntaxError) as error:
        raise ValueError(f"data: expected a PNG image, got {len(raw)} bytes Pillow cannot read ({error})") from None
    if image.mode in ("RGBA", "LA", "P", "PA"):
        image = image.convert("RGBA")
        white = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, image)
    return np.asarray(image.convert("RGB"))


def encode_png(pixels: np.ndarray) -> bytes:
    """An (H, W, 3) uint8 array as PNG bytes."""
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels, dtype=np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def size_within(baseline_shape, new_shape, fraction: float) -> bool:
    """Whether the heights and widths differ by at most max(SIZE_SLACK_PX, fraction of the baseline's)."""
    return all(abs(b - n) <= max(SIZE_SLACK_PX, fraction * b)
               for b, n in zip(baseline_shape[:2], new_shape[:2]))


def resized(pixels: np.ndarray, shape) -> np.ndarray:
    """``pixels`` resized (bilinear) to ``shape[:2]``; the same array when the size already fits."""
    height, width = shape[:2]
    if pixels.shape[:2] == (height, width):
        return pixels
    return np.asarray(Image.fromarray(pixels).resize((width, height), Image.Resampling.BILINEAR))


def size_text(shape) -> str:
    """An array shape as an image size: "width×height px"."""
    return f"{shape[1]}×{shape[0]} px"


# --- the pixel comparison -------------------------------------------------------------------
def difference_map(baseline: np.ndarray, new: np.ndarray, radius: int = RADIUS) -> np.ndarray:
    """Per pixel, how far (0…1) one image's colour lies outside the colours of the other image
    within ``radius`` pixels, in either direction; the largest over the three channels.

    A stroke moved by up to ``radius`` pixels costs nothing; a stroke that vanished or appeared
    costs its contrast with the background; differences up to NOISE_FLOOR count as none. Both
    arrays are (H, W, 3) uint8 of one size; the result is (H, W) float32.
    """
    size = (2 * radius + 1, 2 * radius + 1, 1)
    worst = np.zeros(baseline.shape[:2], dtype=np.int16)
    for this, other in ((baseline, new), (new, baseline)):
        low = ndimage.minimum_filter(other, size=size, mode="nearest").astype(np.int16)
        high = ndimage.maximum_filter(other, size=size, mode="nearest").astype(np.int16)
        this = this.astype(np.int16)
        outside = np.maximum(np.maximum(low - this, this - high), 0).max(axis=2)
        np.maximum(worst, outside, out=worst)
    difference = worst.astype(np.float32) / 255.0
    difference[difference <= NOISE_FLOOR] = 0.0
    return difference


def block_means(values: np.ndarray, block: int = BLOCK, stride: int = BLOCK_STRIDE) -> np.ndarray:
    """Means of ``values`` (H, W) over ``block``×``block`` windows every ``stride`` pixels (by
    rows, then columns); an image smaller than a block is one window."""
    height, width = values.shape
    table = np.zeros((height + 1, width + 1))
    table[1:, 1:] = values.cumsum(axis=0).cumsum(axis=1)
    tops = np.arange(0, max(height - block, 0) + 1, stride)
    lefts = np.arange(0, max(width - block, 0) + 1, stride)
    bottoms, rights = np.minimum(tops + block, height), np.minimum(lefts + block, width)
    sums = (table[np.ix_(bottoms, rights)] - table[np.ix_(tops, rights)]
            - table[np.ix_(bottoms, lefts)] + table[np.ix_(tops, lefts)])
    areas = np.outer(bottoms - tops, rights - lefts)
    return sums / areas


def difference_picture(baseline: np.ndarray, difference: np.ndarray, boxes=(), box_colour=(200, 0, 200)):
    """The baseline faded to light grey, every difference in red (full red from 0.25 on, so that
    faint ones show) and ``boxes`` (x0, y0, x1, y1) outlined."""
    grey = baseline.mean(axis=2, keepdims=True)
    picture = 255 - (255 - grey) * 0.25
    picture = np.repeat(picture, 3, axis=2)
    strength = np.clip(difference[..., None] / 0.25, 0.0, 1.0)
    red = np.array([220.0, 0.0, 0.0])
    picture = picture * (1 - strength) + red * strength
    picture = picture.astype(np.uint8)
    for x0, y0, x1, y1 in boxes:
        x1, y1 = min(x1, picture.shape[1]) - 1, min(y1, picture.shape[0]) - 1
        picture[y0:y1 + 1, [x0, x1]] = box_colour
        picture[[y0, y1], x0:x1 + 1] = box_colour
    return picture


def compare_images(baseline: np.ndarray, new: np.ndarray) -> Verdict:
    """Pixel comparison of a new figure with its baseline, both (H, W, 3) uint8 (see the module)."""
    difference = difference_map(baseline, resized(new, baseline.shape))
    if not size_within(baseline.shape, new.shape, SIZE_SLACK_FRACTION):
        return Verdict(False, f"its size changed from {size_text(baseline.shape)} to {size_text(new.shape)} "
                              "(the diff shows the new image stretched to the old size)",
                       difference_picture(baseline, difference))
    means = block_means(difference)
    worst = float(means.max())
    if worst <= BLOCK_LIMIT:
        return Verdict(True)
    row, column = np.unravel_index(int(means.argmax()), means.shape)
    y, x = row * BLOCK_STRIDE, column * BLOCK_STRIDE
    changed = int((means > BLOCK_LIMIT).sum())
    reason = (f"its content changed: mean difference {worst:.3f} (limit {BLOCK_LIMIT}) in the "
              f"{BLOCK}×{BLOCK} px block at x={x}, y={y} (boxed in the diff), {changed} block(s) over the limit")
    return Verdict(False, reason, difference_picture(baseline, difference, [(x, y, x + BLOCK, y + BLOCK)]))


# --- the structural check -------------------------------------------------------------------
def long_runs(mask: np.ndarray, length: int) -> np.ndarray:
    """The pixels of ``mask`` (H, W bool) that belong to a horizontal run of at least ``length``."""
    out = np.zeros_like(mask)
    padded = np.pad(mask, ((0, 0), (1, 1))).astype(np.int8)
    steps = np.diff(padded, axis=1)
    for row, start in zip(*np.nonzero(steps == 1)):
        end = start + np.argmax(steps[row, start:] == -1)
        if end - start >= length:
            out[row, start:end] = True
    return out


def find_panels(pixels: np.ndarray) -> list[tuple[int, int, int, int]]:
    """The panels of a figure, as boxes (x0, y0, x1, y1), in reading order.

    A panel is an axes frame or an image: a connected set of long straight runs of dark pixels
    (spines, the edges and dark background of an image) at least ``PANEL_MIN_PX`` each way.
    Curves, text and ticks make no long straight runs; light grid lines and legend frames are
    not dark.
    """
    dark = pixels.max(axis=2) < 128
    edges = long_runs(dark, EDGE_RUN_PX) | long_runs(dark.T, EDGE_RUN_PX).T
    labels, _ = ndimage.label(edges, structure=np.ones((3, 3)))
    boxes = []
    for found in ndimage.find_objects(labels):
        rows, columns = found
        box = (columns.start, rows.start, columns.stop, rows.stop)
        if box[2] - box[0] >= PANEL_MIN_PX and box[3] - box[1] >= PANEL_MIN_PX:
            boxes.append(box)
    # a panel drawn inside another (an image inside its frame) is the same panel
    boxes = [b for b in boxes if not any(o != b and o[0] <= b[0] and o[1] <= b[1] and o[2] >= b[2]
                                         and o[3] >= b[3] for o in boxes)]
    return sorted(boxes, key=lambda b: (round(b[1] / PANEL_MIN_PX), b[0]))


def overlap(a, b) -> float:
    """Intersection over union of two boxes (x0, y0, x1, y1)."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    area = lambda box: (box[2] - box[0]) * (box[3] - box[1])
    return inter / (area(a) + area(b) - inter)


def interior(pixels: np.ndarray, box, inset: int = 3) -> np.ndarray:
    """The pixels inside a box (x0, y0, x1, y1), ``inset`` pixels clear of its edges (the frame)."""
    x0, y0, x1, y1 = box
    return pixels[y0 + inset:max(y1 - inset, y0 + inset + 1), x0 + inset:max(x1 - inset, x0 + inset + 1)]


def content_fraction(region: np.ndarray) -> float:
    """The fraction of a region's pixels that differ from its most common colour by more than INK_STEP."""
    flat = region.reshape(-1, 3).astype(np.int32)
    packed = (flat[:, 0] << 16) | (flat[:, 1] << 8) | flat[:, 2]
    colours, counts = np.unique(packed, return_counts=True)
    common = colours[counts.argmax()]
    background = np.array([common >> 16, (common >> 8) & 255, common & 255])
    return float((np.abs(flat - background).max(axis=1) > INK_STEP).mean())


def hue_counts(region: np.ndarray) -> np.ndarray:
    """How many clearly coloured pixels (saturation > 0.35, value > 0.3) have each of HUE_BINS hues.

    Bin i holds the hues within 15° of i·30° (HSV hue: 0° red, 120° green, 240° blue); a line's
    antialiased edge, its colour mixed with white, keeps its hue.
    """
    rgb = region.reshape(-1, 3).astype(np.float32) / 255.0
    high, low = rgb.max(axis=1), rgb.min(axis=1)
    coloured = (high > 0.3) & (high - low > 0.35 * high)
    r, g, b = rgb[coloured].T
    high, spread = high[coloured], (high - low)[coloured]
    hue = np.where(high == r, (g - b) / spread % 6, np.where(high == g, (b - r) / spread + 2, (r - g) / spread + 4))
    bins = np.rint(hue * 60 / (360 / HUE_BINS)).astype(int) % HUE_BINS
    return np.bincount(bins, minlength=HUE_BINS)


HUE_NAMES = ("red", "orange", "yellow", "chartreuse", "green", "spring green", "cyan", "azure", "blue",
             "violet", "magenta", "rose")
"""Names of the HUE_BINS hue bins, from 0° (red) on."""


def missing_hues(baseline_region: np.ndarray, new_region: np.ndarray) -> dict[str, tuple[int, int]]:
    """The colours the baseline region shows that the new region has (nearly) lost:
    {name: (pixels before, pixels after)}."""
    before, after = hue_counts(baseline_region), hue_counts(new_region)
    shown = (before >= HUE_MIN_PIXELS) & (before >= HUE_MIN_FRACTION * before.sum())
    lost = shown & (after < HUE_KEPT_FRACTION * before)
    return {HUE_NAMES[i]: (int(before[i]), int(after[i])) for i in np.nonzero(lost)[0]}


def numbers_text(numbers) -> str:
    """Increasing numbers with runs shortened: 1, 2, 3, 5 → "1–3, 5"."""
    runs = []
    for n in numbers:
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return ", ".join(f"{a}" if a == b else f"{a}, {b}" if b == a + 1 else f"{a}–{b}" for a, b in runs)


def compare_structure(baseline: np.ndarray, new: np.ndarray) -> Verdict:
    """Structural check of a figure whose content may vary with the CPU (see the module).

    Fails when the size changed by more than STRUCTURE_SIZE_SLACK_FRACTION, when the number of
    panels changed or a baseline panel has no counterpart, when a panel with content went blank,
    or when a colour of a panel (or of the whole figure) is gone. The diff picture outlines the
    panels at fault (all the baseline's panels, in green, when none is).
    """
    new_size = new.shape
    new = resized(new, baseline.shape)
    if not size_within(baseline.shape, new_size, STRUCTURE_SIZE_SLACK_FRACTION):
        return Verdict(False, f"its size changed from {size_text(baseline.shape)} to {size_text(new_size)} "
                              "(the diff shows the new image stretched to the old size)",
                       difference_picture(new, np.zeros(new.shape[:2], np.float32)))
    before, after = find_panels(baseline), find_panels(new)
    problems, gone, blank, at_fault = [], [], [], []
    contents = []
    lost_colours: dict[str, list] = {}
    if len(before) != len(after):
        problems.append(f"it has {len(after)} panel(s), the baseline {len(before)}")
    for number, box in enumerate(before, start=1):
        match = max(after, key=lambda other: overlap(box, other), default=None)
        if match is None or overlap(box, match) < PANEL_MATCH_IOU:
            gone.append(number)
            at_fault.append(box)
            continue
        had, has = content_fraction(interior(baseline, box)), content_fraction(interior(new, match))
        if had >= MIN_CONTENT and has < BLANK_FRACTION * had:
            blank.append(number)
            contents.append((has, had))
            at_fault.append(box)
        for name, counts in missing_hues(interior(baseline, box), interior(new, match)).items():
            lost_colours.setdefault(name, []).append((number, counts))
            at_fault.append(box)
    if gone:
        problems.append(f"baseline panel(s) {numbers_text(gone)} not found")
    if blank:
        problems.append(f"panel(s) {numbers_text(blank)} blank (content at most {max(c[0] for c in contents):.4f} "
                        f"of their area, the baseline's at least {min(c[1] for c in contents):.4f})")
    for name, where in lost_colours.items():
        problems.append(f"{name} gone from panel(s) {numbers_text(n for n, _ in where)} "
                        f"({where[0][1][0]} px → {where[0][1][1]} in panel {where[0][0]})")
    for name, (had, has) in missing_hues(baseline, new).items():
        if name not in lost_colours:
            problems.append(f"{name} gone from the figure ({had} px → {has})")
    if not problems:
        return Verdict(True)
    nothing = np.zeros(new.shape[:2], np.float32)
    picture = (difference_picture(new, nothing, at_fault) if at_fault
               else difference_picture(new, nothing, before, box_colour=(0, 160, 0)))
    return Verdict(False, "; ".join(problems), picture)


# --- one cell ---------------------------------------------------------------------------------
def figures_of(outputs) -> list:
    """The ``image/png`` data of a cell's outputs, in order."""
    return [output["data"]["image/png"] for output in outputs
            if output.get("output_type") in ("display_data", "execute_result")
            and "image/png" in output.get("data", {})]


def compare_cell_figures(baseline_outputs, new_outputs, *, structural: bool, artifacts: Path,
                         cell_num: int, root: Path | None = None) -> list[str]:
    """Compare the figures a cell drew with its committed ones; the failures, in words.

    Parameters
    ----------
    baseline_outputs, new_outputs : list of dict
        The cell's committed outputs and those of this run (nbformat output dicts).
    structural : bool
        Use the structural check (cells tagged ``figure-varies-by-machine``).
    artifacts : Path
        Folder of this notebook's artifacts; ``cell-<cell_num>-<k>-*.png`` files there are
        replaced (removed when the figure passes).
    cell_num : int
        The code cell's number, as nbval counts them.
    root : Path, optional
        Paths in the messages are relative to it.
    """
    baselines, news = figures_of(baseline_outputs), figures_of(new_outputs)
    for stale in artifacts.glob(f"cell-{cell_num}-*.png") if artifacts.is_dir() else ():
        stale.unlink()
    failures = []
    if len(baselines) != len(news):
        failures.append(f"the cell drew {len(news)} figure(s), its committed output has {len(baselines)}")
    compare = compare_structure if structural else compare_images
    for k, (baseline_data, new_data) in enumerate(zip(baselines, news)):
        if png_bytes(baseline_data) == png_bytes(new_data):
            continue
        verdict = compare(decode_png(baseline_data), decode_png(new_data))
        if verdict.passed:
            continue
        artifacts.mkdir(parents=True, exist_ok=True)
        stem = artifacts / f"cell-{cell_num}-{k}"
        Path(f"{stem}-baseline.png").write_bytes(png_bytes(baseline_data))
        Path(f"{stem}-new.png").write_bytes(png_bytes(new_data))
        names = "{baseline,new}"
        if verdict.diff is not None:
            Path(f"{stem}-diff.png").write_bytes(encode_png(verdict.diff))
            names = "{baseline,new,diff}"
        shown = stem.relative_to(root) if root is not None and stem.is_relative_to(root) else stem
        kind = "structure (figure-varies-by-machine)" if structural else "pixels"
        failures.append(f"figure {k + 1} of {len(baselines)} differs from the committed one ({kind}): "
                        f"{verdict.reason}; see {shown}-{names}.png")
    return failures


# --- the nbval plugin -----------------------------------------------------------------------
REGENERATE = ("If the change is intended, regenerate the committed outputs (the figures' baselines) "
              "with `make notebooks` and commit them.")


def install():
    """Wrap nbval's ``IPyNbCell.compare_outputs`` so that figures are compared too; returns a
    function that puts nbval's own back."""
    from nbval.plugin import IPyNbCell

    original = IPyNbCell.compare_outputs

    def compare_outputs(self, test, ref, skip_compare=None):
        same_text = original(self, test, ref, skip_compare)
        root = Path(str(self.config.rootpath))
        notebook = Path(self.path).stem
        failures = compare_cell_figures(
            ref, test, structural=TAG_VARIES_BY_MACHINE in self.cell.metadata.get("tags", []),
            artifacts=root / "test-artifacts" / "figures" / notebook, cell_num=self.cell_num, root=root)
        if not failures:
            return same_text
        self.comparison_traceback.append(self.colors.FAIL + "Figures differ from the committed outputs:"
                                         + self.colors.ENDC)
        self.comparison_traceback.extend(f"  {failure}" for failure in failures)
        self.comparison_traceback.append(f"  {REGENERATE}")
        return False

    IPyNbCell.compare_outputs = compare_outputs

    def uninstall():
        IPyNbCell.compare_outputs = original

    return uninstall
