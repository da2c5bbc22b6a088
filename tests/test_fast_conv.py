"""lecture_nn.fast_conv: the channel-run patch matrix and its col2im against the lesson's im2col/col2im."""
import numpy as np
import pytest

from lecture_nn import fast_conv
from lecture_nn.fast_conv import FastPatchProducts, col2im_runs, im2col_runs
from lecture_nn.lessons.convolution import Conv2D
from lecture_nn.patches import col2im, im2col

CASES = [((2, 3, 7, 6), (3, 3)), ((2, 1, 5, 8), (3, 2)), ((3, 2, 6, 6), (1, 4)), ((1, 4, 5, 5), (5, 1)),
         ((2, 2, 4, 4), (4, 4)), ((1, 1, 1, 1), (1, 1))]


def runs_as_rows(runs, x_shape, kernel):
    """The (N, C·kh·kw, Ho·Wo) patch matrix of the lesson (rows (c, i, j)) read out of the runs."""
    N, C, Hp, Wp = x_shape
    kh, kw = kernel
    Ho, Wo = Hp - kh + 1, Wp - kw + 1
    wide = runs.reshape(N, kh, kw, C, Hp * Wp)[..., :Ho * Wp].reshape(N, kh, kw, C, Ho, Wp)
    return wide[..., :Wo].transpose(0, 3, 1, 2, 4, 5).reshape(N, C * kh * kw, Ho * Wo)


@pytest.mark.parametrize("x_shape,kernel", CASES)
def test_im2col_runs_holds_the_patch_matrix_in_rows_i_j_c(x_shape, kernel):
    x = np.random.default_rng(0).standard_normal(x_shape)
    runs = im2col_runs(x, kernel)
    kh, kw = kernel
    assert runs.shape == (x_shape[0], kh * kw, x_shape[1] * x_shape[2] * x_shape[3])
    np.testing.assert_array_equal(runs_as_rows(runs, x_shape, kernel), im2col(x, kernel, 1))
    out = np.full_like(runs, np.nan)
    assert im2col_runs(x, kernel, out=out) is out
    np.testing.assert_array_equal(runs_as_rows(out, x_shape, kernel), im2col(x, kernel, 1))


@pytest.mark.parametrize("x_shape,kernel", CASES)
def test_col2im_runs_equals_col2im_when_the_junk_is_zero(x_shape, kernel):
    rng = np.random.default_rng(1)
    N, C, Hp, Wp = x_shape
    kh, kw = kernel
    Ho, Wo = Hp - kh + 1, Wp - kw + 1
    grads = rng.standard_normal((N, C * kh * kw, Ho * Wo))
    runs = np.zeros((N, kh, kw, C, Hp * Wp))           # the same numbers in the run layout, zero junk
    wide = runs[..., :Ho * Wp].reshape(N, kh, kw, C, Ho, Wp)
    wide[..., :Wo] = grads.reshape(N, C, kh, kw, Ho, Wo).transpose(0, 2, 3, 1, 4, 5)
    runs = runs.reshape(N, kh * kw, C * Hp * Wp)
    expected = col2im(grads, x_shape, kernel, 1)
    np.testing.assert_allclose(col2im_runs(runs, x_shape, kernel), expected, rtol=1e-13, atol=1e-13)
    out = np.full((N, C * Hp * Wp), np.nan)             # overwritten, not added to
    result = col2im_runs(runs, x_shape, kernel, out=out)
    assert np.shares_memory(result, out)
    np.testing.assert_allclose(result, expected, rtol=1e-13, atol=1e-13)


def test_col2im_runs_refuses_a_layout_it_cannot_view():
    runs = np.zeros((2, 9, 3 * 36))
    with pytest.raises(ValueError, match="C-contiguous array of shape"):
        col2im_runs(runs[:, :, :-1], (2, 3, 6, 6), (3, 3))
    with pytest.raises(ValueError, match="not contiguous"):
        col2im_runs(np.zeros((2, 9, 2 * 3 * 36))[..., ::2], (2, 3, 6, 6), (3, 3))
    with pytest.raises(ValueError, match="C-contiguous array of shape"):
        im2col_runs(np.zeros((2, 3, 6, 6)), (3, 3), out=np.zeros((2, 9, 3 * 36 + 1)))


def test_backward_without_forward_or_after_release_refuses():
    products = FastPatchProducts(2**20)
    with pytest.raises(RuntimeError, match="before forward"):
        products.backward(np.ones((1, 9)), np.ones((1, 1, 2, 2)))
    x = np.ones((1, 1, 4, 4))
    products.forward(np.ones((1, 9)), x, (3, 3), (1, 1), (0, 0), bias=np.zeros(1), keep_buffers=True)
    products.release()
    with pytest.raises(RuntimeError, match="after eval"):
        products.backward(np.ones((1, 9)), np.ones((1, 1, 2, 2)))


@pytest.mark.parametrize("stride,padding", [(1, 1), (2, 1)])
def test_a_training_step_reuses_the_views_of_the_first(stride, padding, monkeypatch):
    """Issue 20: views made at every step (as_strided alone took µs each) made S2's step slower;
    while training, the views and buffers of the first step are kept, and a step makes none."""
    made = []
    real = fast_conv.as_strided
    monkeypatch.setattr(fast_conv, "as_strided", lambda *args, **kwargs: made.append(1) or real(*args, **kwargs))
    rng = np.random.default_rng(0)
    layer = Conv2D(3, 4, 3, stride=stride, padding=padding, rng=rng)
    x, x2 = rng.standard_normal((5, 3, 8, 9)), rng.standard_normal((5, 3, 8, 9))
    grad = np.ones_like(layer.forward(x))
    layer.backward(grad)
    buffers, views = dict(layer.products._buffers), len(made)
    for _ in range(3):
        out, dx = layer.forward(x2), layer.backward(grad)
    assert len(made) == views                        # no new view ...
    assert all(layer.products._buffers[name] is buf for name, buf in buffers.items())   # ... nor buffer
    # and the results are those of a new layer
    fresh = Conv2D(3, 4, 3, stride=stride, padding=padding, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(fresh.forward(x2), out)
    np.testing.assert_array_equal(fresh.backward(grad), dx)
