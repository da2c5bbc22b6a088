"""MaxPool2D, AvgPool2D and Flatten: values against a loop reference, gradients, ties, errors."""
import numpy as np
import pytest

from lecture_nn.layers import Flatten
from lecture_nn.gradcheck import check_layer_gradients
from lecture_nn.pooling import AvgPool2D, MaxPool2D

CASES = [(2, None), (3, None), (2, 1), (3, 2), (2, 3)]  # (size, stride): tiling, overlapping, gappy


def distinct_input(shape, seed=0):
    """Entries at least 0.1 apart, so no window has a tie and finite differences see no kink."""
    rng = np.random.default_rng(seed)
    return rng.permutation(int(np.prod(shape))).reshape(shape) / 10.0


def loop_pool(x, size, stride, reduce):
    n, c, h, w = x.shape
    ho, wo = (h - size) // stride + 1, (w - size) // stride + 1
    out = np.empty((n, c, ho, wo))
    for i in range(ho):
        for j in range(wo):
            out[:, :, i, j] = reduce(x[:, :, i * stride:i * stride + size,
                                       j * stride:j * stride + size], axis=(2, 3))
    return out


@pytest.mark.parametrize("size,stride", CASES)
@pytest.mark.parametrize("layer_cls,reduce", [(MaxPool2D, np.max), (AvgPool2D, np.mean)])
def test_forward_matches_loop_reference(layer_cls, reduce, size, stride):
    x = distinct_input((2, 3, 8, 7))
    out = layer_cls(size, stride).forward(x)
    np.testing.assert_allclose(out, loop_pool(x, size, stride or size, reduce), rtol=0, atol=1e-12)


@pytest.mark.parametrize("size,stride", CASES)
@pytest.mark.parametrize("layer_cls", [MaxPool2D, AvgPool2D])
def test_gradients_match_finite_differences(layer_cls, size, stride):
    errors = check_layer_gradients(layer_cls(size, stride), distinct_input((2, 2, 7, 8), seed=1))
    assert errors["input"] < 1e-7


def test_channels_are_kept_and_pooled_separately():
    x = distinct_input((4, 3, 24, 24))
    out = MaxPool2D(2).forward(x)
    assert out.shape == (4, 3, 12, 12)
    single = MaxPool2D(2).forward(x[:, 1:2])
    np.testing.assert_array_equal(out[:, 1:2], single)


def test_max_backward_routes_gradient_to_the_maximum():
    x = np.array([[1., 5., 2., 0.],
                  [3., 4., 8., 1.],
                  [0., 2., 1., 1.5],
                  [7., 1., 3., 2.]]).reshape(1, 1, 4, 4)
    pool = MaxPool2D(2)
    np.testing.assert_array_equal(pool.forward(x)[0, 0], [[5., 8.], [7., 3.]])
    grad = pool.backward(np.array([[10., 20.], [30., 40.]]).reshape(1, 1, 2, 2))[0, 0]
    expected = np.zeros((4, 4))
    expected[0, 1], expected[1, 2], expected[3, 0], expected[3, 2] = 10, 20, 30, 40
    np.testing.assert_array_equal(grad, expected)


@pytest.mark.parametrize("stride", [None, 1])
def test_ties_go_to_the_first_maximum_in_row_major_order(stride):
    x = np.ones((1, 1, 2, 2))
    pool = MaxPool2D(2, stride)
    pool.forward(x)
    grad = pool.backward(np.full((1, 1, 1, 1), 3.0))
    np.testing.assert_array_equal(grad[0, 0], [[3., 0.], [0., 0.]])
    x = np.array([[0., 2.], [2., 1.]]).reshape(1, 1, 2, 2)
    pool.forward(x)
    np.testing.assert_array_equal(pool.backward(np.ones((1, 1, 1, 1)))[0, 0], [[0., 1.], [0., 0.]])


def test_overlapping_windows_add_their_gradients():
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 1] = 1.0  # the centre is the maximum of all four 2×2 windows
    pool = MaxPool2D(2, stride=1)
    pool.forward(x)
    grad = pool.backward(np.array([[1., 2.], [3., 4.]]).reshape(1, 1, 2, 2))
    assert grad[0, 0, 1, 1] == 10.0
    assert grad.sum() == 10.0


def test_avg_backward_spreads_gradient_evenly_and_skips_unreached_pixels():
    pool = AvgPool2D(2)
    pool.forward(np.ones((1, 1, 5, 5)))
    grad = pool.backward(np.full((1, 1, 2, 2), 4.0))
    np.testing.assert_array_equal(grad[0, 0, :4, :4], np.ones((4, 4)))
    assert np.all(grad[0, 0, 4, :] == 0) and np.all(grad[0, 0, :, 4] == 0)


@pytest.mark.parametrize("layer_cls", [MaxPool2D, AvgPool2D])
def test_float32_stays_float32(layer_cls):
    pool = layer_cls(2)
    out = pool.forward(distinct_input((1, 2, 4, 4)).astype(np.float32))
    assert out.dtype == np.float32
    assert pool.backward(np.ones_like(out)).dtype == np.float32


def test_write_path_equals_accumulate_path():
    x = distinct_input((3, 2, 6, 6), seed=2)

    class AccumulatingMaxPool(MaxPool2D):
        _tiles = False  # zero-filled buffer ...
        _overlaps = True  # ... and gradients added, as for overlapping windows

    fast, general = MaxPool2D(2), AccumulatingMaxPool(2)
    np.testing.assert_array_equal(fast.forward(x), general.forward(x))
    g = distinct_input((3, 2, 3, 3), seed=3)
    np.testing.assert_array_equal(fast.backward(g), general.backward(g))


@pytest.mark.parametrize("size,stride", CASES)
def test_eval_mode_forward_then_backward_gives_the_same_gradient(size, stride):
    x = np.round(distinct_input((2, 2, 7, 8), seed=4) / 3)  # many ties
    g = distinct_input(MaxPool2D(size, stride).output_shape(x.shape), seed=5)
    trained, evaluated = MaxPool2D(size, stride), MaxPool2D(size, stride).eval()
    np.testing.assert_array_equal(trained.forward(x), evaluated.forward(x))
    np.testing.assert_array_equal(trained.backward(g), evaluated.backward(g))


@pytest.mark.parametrize("size,stride", CASES)
def test_ties_match_argmax_in_row_major_order(size, stride):
    x = np.round(distinct_input((2, 3, 8, 7), seed=6) / 8)  # many ties
    pool = MaxPool2D(size, stride)
    out = pool.forward(x)
    g = np.random.default_rng(7).standard_normal(out.shape)
    stride = stride or size
    expected = np.zeros_like(x)
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            window = x[:, :, i * stride:i * stride + size, j * stride:j * stride + size]
            first = window.reshape(*window.shape[:2], -1).argmax(axis=-1)
            for n in range(x.shape[0]):
                for c in range(x.shape[1]):
                    r, q = divmod(first[n, c], size)
                    expected[n, c, i * stride + r, j * stride + q] += g[n, c, i, j]
    np.testing.assert_allclose(pool.backward(g), expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("bad,error", [(0, ValueError), (-2, ValueError), (2.5, TypeError),
                                       ("2", TypeError), (True, TypeError)])
def test_bad_size_or_stride(bad, error):
    with pytest.raises(error, match="size"):
        MaxPool2D(bad)
    with pytest.raises(error, match="stride"):
        AvgPool2D(2, stride=bad)


@pytest.mark.parametrize("layer_cls", [MaxPool2D, AvgPool2D])
def test_bad_inputs(layer_cls):
    pool = layer_cls(3)
    with pytest.raises(ValueError, match="4-D"):
        pool.forward(np.ones((5, 28, 28)))
    with pytest.raises(ValueError, match="at least 3×3"):
        pool.forward(np.ones((1, 1, 2, 5)))
    with pytest.raises(TypeError, match="real numbers"):
        pool.forward(np.full((1, 1, 3, 3), "a"))
    with pytest.raises(RuntimeError, match="before forward"):
        layer_cls(2).backward(np.ones((1, 1, 1, 1)))
    pool.forward(np.ones((2, 1, 6, 6)))
    with pytest.raises(ValueError, match=r"\(2, 1, 2, 2\)"):
        pool.backward(np.ones((2, 1, 3, 3)))


def test_flatten_round_trip_and_gradient():
    x = distinct_input((2, 3, 4, 5))
    flat = Flatten()
    out = flat.forward(x)
    assert out.shape == (2, 60)
    assert out[1, 2 * 20 + 3 * 5 + 4] == x[1, 2, 3, 4]  # channel-major, then row-major
    np.testing.assert_array_equal(flat.backward(out), x)
    assert check_layer_gradients(flat, x)["input"] < 1e-7


def test_flatten_bad_inputs():
    flat = Flatten()
    with pytest.raises(ValueError, match="at least 2"):
        flat.forward(np.ones(5))
    flat.forward(np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match=r"\(2, 12\)"):
        flat.backward(np.ones((2, 11)))
