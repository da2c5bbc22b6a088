"""Notebook 05's widgets, image helpers, drawing and exercise checkers."""
import matplotlib
import numpy as np
import pytest

from lecture_nn.lessons.convolution.images import FILTERS, response_scale, sample_photo, show_filtered
from lecture_nn.lessons.convolution.exercises import exercise_3, exercise_4
from lecture_nn.lessons.convolution.widgets import (filter_editor, format_kernel, parse_kernel,
                                            patch_explorer, patch_geometry)


def test_sample_photo_is_grey_in_unit_range():
    photo = sample_photo()
    assert photo.shape == (600, 512) and photo.dtype == np.float64
    assert 0 <= photo.min() < photo.max() <= 1
    assert sample_photo(step=2).shape == (300, 256)


def test_edge_filters_remove_flat_regions():
    for name in ("edge detect", "strong edge detect"):
        assert FILTERS[name].sum() == 0
    assert FILTERS["sharpen"].sum() == 1


def test_parse_and_format_kernel_round_trip():
    kernel = FILTERS["strong edge detect"]
    np.testing.assert_array_equal(parse_kernel(format_kernel(kernel)), kernel)
    with pytest.raises(ValueError, match="square"):
        parse_kernel("1 2; 3 4")
    with pytest.raises(ValueError, match="numbers"):
        parse_kernel("1 a 2; 1 2 3; 1 2 3")


def test_filter_editor_reacts_to_presets_and_typed_kernels():
    explorer = filter_editor()
    assert explorer.state["error"] is None
    assert explorer.state["filtered"].shape == explorer.state["image"].shape
    first_figure = explorer.figure
    explorer.controls["preset"].value = "edge detect"
    assert explorer.controls["kernel_text"].value == format_kernel(FILTERS["edge detect"])
    assert explorer.state["kernel_sum"] == 0
    assert explorer.figure is not first_figure
    assert "sum to 0" in explorer.text
    explorer.controls["kernel_text"].value = "1 2; 3 4"
    assert explorer.state["error"] is not None and "square" in explorer.text
    explorer.controls["kernel_text"].value = "0 0 0; 0 1 0; 0 0 0"
    np.testing.assert_allclose(explorer.state["filtered"], explorer.state["image"])
    matplotlib.pyplot.close("all")


def test_patch_explorer_counts_follow_the_sliders():
    explorer = patch_explorer()
    assert explorer.state["output"] == (6, 6)
    assert explorer.state["locally_connected"] == 576 and explorer.state["shared"] == 16
    explorer.controls["stride"].value = 1
    assert explorer.state["output"] == (11, 11)
    assert "1,936" in explorer.text
    explorer.controls["kernel_size"].value = 9
    explorer.controls["input_size"].value = 4
    assert explorer.state["error"] is not None and "larger than the input" in explorer.text
    explorer.controls["padding"].value = 3
    assert explorer.state["output"] == (2, 2)
    matplotlib.pyplot.close("all")


def test_patch_geometry_fully_connected_count():
    assert patch_geometry(14, 4, 2)["fully_connected"] == 196 * 36


def test_reasoning_exercise_checkers(capsys):
    assert exercise_3.check(24 * 10 * 10 * (12 * 9 + 1))
    assert not exercise_3.check(24 * 10 * 10 * (9 + 1))            # the channels forgotten
    assert exercise_4.check(64 * 12 + 24 * 12 + 64 * 24)
    assert not exercise_4.check(3 * 64 * 12 * 24)                   # three transforms for every product
    out = capsys.readouterr().out
    assert "correct" in out and "not yet" in out


def test_response_scale_fits_the_filtered_values():
    from lecture_nn.lessons.convolution import conv2d
    photo = sample_photo(step=2)
    edges = conv2d(photo, FILTERS["edge detect"], padding=1)
    scale = response_scale(edges, FILTERS["edge detect"])
    # an edge map is drawn as |response| from black (0, flat) to white at its 98th percentile
    assert scale["magnitude"] and scale["cmap"] == "gray" and scale["vmin"] == 0 and scale["extend"] == "max"
    assert np.mean(np.abs(edges) <= scale["vmax"]) >= 0.98 > np.mean(np.abs(edges) <= 0.5 * scale["vmax"])
    sharp = conv2d(photo, FILTERS["sharpen"], padding=1)
    scale = response_scale(sharp, FILTERS["sharpen"])
    assert not scale["magnitude"] and scale["extend"] == "both"
    assert scale["cmap"] == "gray" and sharp.min() < scale["vmin"] < scale["vmax"] < sharp.max()
    with pytest.raises(ValueError, match="coverage"):
        response_scale(sharp, FILTERS["sharpen"], coverage=0)


def test_edge_maps_are_drawn_as_magnitudes_not_washed_out():
    # Fig. 11's edge maps: most pixels dark (flat regions), the edges bright, the colour bar labelled
    from lecture_nn.lessons.convolution import conv2d
    photo = sample_photo(step=2)
    edges = conv2d(photo, FILTERS["edge detect"], padding=1)
    fig, ax = matplotlib.pyplot.subplots()
    shown = show_filtered(ax, edges, FILTERS["edge detect"], title="edge detect")
    drawn = np.asarray(shown.get_array())
    np.testing.assert_array_equal(drawn, np.abs(edges))
    brightness = np.asarray(shown.norm(drawn))           # 0 black … 1 white
    assert np.median(brightness) < 0.2 and np.mean(brightness >= 1) >= 0.01
    assert "|response|" in fig.axes[-1].get_ylabel()
    matplotlib.pyplot.close(fig)


def test_filters_on_the_photo_as_notebook_05_describes():
    # the plain edge detector sends most pixels near zero, the strong one about a third,
    # with a median output more than twice as large; sharpening has the largest outputs
    from lecture_nn.lessons.convolution import conv2d
    photo = sample_photo()
    names = ("sharpen", "edge detect", "strong edge detect")
    size = {name: np.abs(conv2d(photo, FILTERS[name], padding=1)) for name in names}
    near_zero = {name: np.mean(s < 0.05) for name, s in size.items()}
    median = {name: np.median(s) for name, s in size.items()}
    assert near_zero["edge detect"] > 0.6 and 0.25 < near_zero["strong edge detect"] < 0.4
    assert median["strong edge detect"] > 2 * median["edge detect"]
    assert median["sharpen"] == max(median.values())
    assert near_zero["sharpen"] == min(near_zero.values())
