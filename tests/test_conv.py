"""The four convolution implementations, the sizes and counts, and the routing."""
import numpy as np
import pytest
import scipy.sparse
from scipy.signal import correlate2d

from lecture_nn.lessons.convolution import col2im, im2col
from lecture_nn.fast_conv import col2im_wide, im2col_wide
from lecture_nn.lessons.convolution import (conv2d, conv2d_fast, conv2d_fft, conv2d_loop, conv_matrix,
                             dense_matrix_flops, direct_flops, fft_crossover, fft_flops,
                             fully_connected_weights, locally_connected_weights, output_size,
                             prefers_fft, shared_weights)

IMPLEMENTATIONS = [conv2d_loop, conv2d_fast, conv2d_fft, conv2d]


def scipy_reference(x, w, b, stride, padding):
    """Σ_c correlate2d over channels, then subsample by the stride."""
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    out = np.array([[sum(correlate2d(xp[n, c], w[o, c], mode="valid") for c in range(x.shape[1]))
                     + b[o] for o in range(w.shape[0])] for n in range(x.shape[0])])
    return out[:, :, ::stride, ::stride]


def random_case(rng):
    N, C, O = rng.integers(1, 4, size=3)
    k = int(rng.integers(1, 6))
    padding = int(rng.integers(0, 3))
    stride = int(rng.integers(1, 4))
    H, W = rng.integers(max(k - 2 * padding, 1), 11, size=2)
    x = rng.standard_normal((N, C, H, W))
    w = rng.standard_normal((O, C, k, k))
    b = rng.standard_normal(O)
    return x, w, b, stride, padding


@pytest.mark.parametrize("seed", range(12))
def test_all_implementations_agree_with_scipy(seed):
    rng = np.random.default_rng(seed)
    x, w, b, stride, padding = random_case(rng)
    expected = scipy_reference(x, w, b, stride, padding)
    for conv in IMPLEMENTATIONS:
        out = conv(x, w, b, stride=stride, padding=padding)
        assert out.shape == expected.shape, conv.__name__
        np.testing.assert_allclose(out, expected, rtol=0, atol=1e-10, err_msg=conv.__name__)


@pytest.mark.parametrize("seed", range(6))
def test_conv_matrix_dense_and_sparse_match_the_convolution(seed):
    rng = np.random.default_rng(100 + seed)
    H, W = rng.integers(3, 9, size=2)
    kh, kw = rng.integers(1, 4, size=2)
    stride, padding = int(rng.integers(1, 3)), int(rng.integers(0, 2))
    x, w = rng.standard_normal((H, W)), rng.standard_normal((kh, kw))
    expected = conv2d_loop(x, w, stride=stride, padding=padding).ravel()
    dense = conv_matrix((H, W), w, stride=stride, padding=padding)
    sparse = conv_matrix((H, W), w, stride=stride, padding=padding, sparse=True)
    assert isinstance(dense, np.ndarray) and scipy.sparse.issparse(sparse)
    np.testing.assert_allclose(dense @ x.ravel(), expected, atol=1e-10)
    np.testing.assert_allclose(sparse @ x.ravel(), expected, atol=1e-10)
    np.testing.assert_array_equal(sparse.toarray(), dense)


def test_notes_exercise_matrix_5x5_image_2x2_patch():
    w = np.array([[1.0, 2.0], [3.0, 4.0]])
    M = conv_matrix((5, 5), w)
    assert M.shape == (16, 25)
    assert np.count_nonzero(M) == 16 * 4
    # row 0 covers pixels (0,0), (0,1), (1,0), (1,1); row 5 is output (1, 1): shifted by 6
    np.testing.assert_array_equal(np.flatnonzero(M[0]), [0, 1, 5, 6])
    np.testing.assert_array_equal(np.flatnonzero(M[5]), [6, 7, 11, 12])
    np.testing.assert_array_equal(M[5, [6, 7, 11, 12]], [1, 2, 3, 4])


def test_single_image_and_kernel_give_a_2d_result():
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((8, 7)), rng.standard_normal((3, 3))
    for conv in IMPLEMENTATIONS:
        out = conv(x, w)
        assert out.shape == (6, 5)
        np.testing.assert_allclose(out, correlate2d(x, w, mode="valid"), atol=1e-10)


def test_cross_correlation_not_flipped():
    x = np.zeros((5, 5))
    x[2, 2] = 1.0
    w = np.arange(9.0).reshape(3, 3)
    # an impulse reveals the kernel rotated by 180°: the signature of correlation
    np.testing.assert_array_equal(conv2d_fast(x, w, padding=1)[1:4, 1:4], w[::-1, ::-1])


@pytest.mark.parametrize("conv", IMPLEMENTATIONS)
def test_float32_stays_float32(conv):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 2, 9, 9)).astype(np.float32)
    w = rng.standard_normal((3, 2, 3, 3))
    out = conv(x, w, np.zeros(3), padding=1)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, conv2d_loop(x.astype(float), w, padding=1), atol=1e-4)


def test_chunked_fast_path_equals_unchunked():
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((7, 2, 10, 10)), rng.standard_normal((3, 2, 3, 3))
    whole = conv2d_fast(x, w, stride=2, padding=1)
    one_image = 2 * 9 * 5 * 5 * 8
    for cap in (1, one_image, 3 * one_image):
        np.testing.assert_array_equal(conv2d_fast(x, w, stride=2, padding=1, max_patch_bytes=cap),
                                      whole)


@pytest.mark.parametrize("conv", IMPLEMENTATIONS)
def test_bad_arguments_are_clear_errors(conv):
    x, w = np.ones((1, 2, 6, 6)), np.ones((3, 2, 3, 3))
    with pytest.raises(ValueError, match="stride"):
        conv(x, w, stride=0)
    with pytest.raises(TypeError, match="stride"):
        conv(x, w, stride=1.5)
    with pytest.raises(ValueError, match="padding"):
        conv(x, w, padding=-1)
    with pytest.raises(ValueError, match="larger than the input"):
        conv(x, np.ones((3, 2, 7, 7)))
    with pytest.raises(ValueError, match="channel mismatch"):
        conv(x, np.ones((3, 1, 3, 3)))
    with pytest.raises(ValueError, match=r"b must have shape \(3,\)"):
        conv(x, w, b=np.ones(2))
    with pytest.raises(ValueError, match="both be 2-D"):
        conv(np.ones((6, 6)), w)
    with pytest.raises(ValueError, match="finite"):
        conv(np.full((1, 2, 6, 6), np.nan), w)


def test_output_size_and_weight_counts_of_the_notes():
    assert output_size(14, 4, stride=2) == (6, 6)
    assert output_size(14, 4, stride=1) == (11, 11)
    assert output_size((28, 20), 5, padding=2) == (28, 20)
    assert output_size(7, 3, stride=2) == (3, 3)
    assert locally_connected_weights(14, 4, stride=2) == 576
    assert locally_connected_weights(14, 4, stride=1) == 1936
    assert shared_weights(4) == 16
    assert shared_weights(3, in_channels=8, out_channels=16) == 1152
    assert fully_connected_weights(14, 6) == 196 * 36
    assert locally_connected_weights(256, 4, stride=2) == 127 * 127 * 16
    with pytest.raises(ValueError, match="larger than the input"):
        output_size(3, 4)


def test_locally_connected_count_is_the_number_of_nonzeros_of_the_matrix():
    w = np.ones((4, 4))
    for stride in (1, 2):
        M = conv_matrix(14, w, stride=stride, sparse=True)
        assert M.nnz == locally_connected_weights(14, 4, stride=stride)


def test_operation_counts_grow_as_the_notes_say():
    # dense matrix: ~d⁴; direct: ~d² k²; FFT: ~d² log d, independent of k
    assert dense_matrix_flops(64, 3) / dense_matrix_flops(32, 3) == pytest.approx(16, rel=0.15)
    assert direct_flops(256, 9) / direct_flops(256, 3) == pytest.approx(9 * 248**2 / 254**2)
    assert fft_flops(256, 3) == fft_flops(256, 31)
    assert fft_flops(512, 3) / fft_flops(256, 3) == pytest.approx(4 * 18 / 16, rel=0.05)
    assert fft_crossover(256) == 9
    assert fft_flops(256, 8) > direct_flops(256, 8) and fft_flops(256, 9) < direct_flops(256, 9)


def test_router_takes_fft_only_for_large_kernels_at_stride_1():
    assert prefers_fft(256, 31) and prefers_fft(256, 9)
    assert not prefers_fft(256, 3)
    assert not prefers_fft(256, 31, stride=2)
    assert not prefers_fft(28, 5, in_channels=1, out_channels=8, batch=64)
    assert not prefers_fft(14, 3, padding=1, in_channels=16, out_channels=32, batch=64)


def test_large_kernel_routes_to_fft_and_matches():
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((64, 64)), rng.standard_normal((21, 21))
    np.testing.assert_allclose(conv2d(x, w), correlate2d(x, w, mode="valid"), atol=1e-9)


@pytest.mark.parametrize("stride", [1, 2, 3])
def test_col2im_is_the_adjoint_of_im2col(stride):
    # <im2col(x), c> == <x, col2im(c)> for every x and c: the backward pass of a copy
    rng = np.random.default_rng(20 + stride)
    x = rng.standard_normal((2, 3, 8, 7))
    cols = im2col(x, (3, 2), stride)
    c = rng.standard_normal(cols.shape)
    assert np.sum(cols * c) == pytest.approx(np.sum(x * col2im(c, x.shape, (3, 2), stride)), rel=1e-12)


def test_col2im_wide_equals_col2im_at_stride_1():
    rng = np.random.default_rng(30)
    N, C, Hp, Wp, k = 2, 3, 7, 6, 3
    Ho, Wo = Hp - k + 1, Wp - k + 1
    wide = rng.standard_normal((N, C * k * k, Ho, Wp))
    wide[..., Wo:] = 0                                    # the junk columns must be zero
    narrow = np.ascontiguousarray(wide[..., :Wo]).reshape(N, C * k * k, Ho * Wo)
    np.testing.assert_allclose(col2im_wide(wide.reshape(N, C * k * k, Ho * Wp), (N, C, Hp, Wp), (k, k)),
                               col2im(narrow, (N, C, Hp, Wp), (k, k), 1), atol=1e-12)


@pytest.mark.parametrize("kernel", [(3, 3), (3, 2), (1, 4), (5, 1)])
def test_im2col_wide_holds_the_patches_in_the_first_wo_columns_of_each_row(kernel):
    rng = np.random.default_rng(31)
    x = rng.standard_normal((2, 3, 7, 6))
    kh, kw = kernel
    Ho, Wo, Wp = 7 - kh + 1, 6 - kw + 1, 6
    wide = im2col_wide(x, kernel)
    assert wide.shape == (2, 3 * kh * kw, Ho * Wp - (kw - 1))
    rows = np.concatenate([wide, np.zeros((2, 3 * kh * kw, kw - 1))], axis=2).reshape(2, -1, Ho, Wp)
    np.testing.assert_array_equal(rows[..., :Wo].reshape(2, -1, Ho * Wo), im2col(x, kernel, 1))
    out = np.empty_like(wide)
    assert im2col_wide(x, kernel, out=out) is out
    with pytest.raises(ValueError, match="C-contiguous"):   # a reshape would copy: the result would be lost
        im2col_wide(x, kernel, out=np.empty(wide.shape[:2] + (wide.shape[2] + 1,))[..., :-1])


def test_dense_matrix_memory_is_the_notebook_formula():
    # notebook 05 prints (d-k+1)² d² · 8 bytes for the dense matrix: 118.0 MB at d = 64, k = 5
    kernel = np.ones((5, 5))
    for d in (16, 32):
        assert conv_matrix(d, kernel).nbytes == (d - 4) ** 2 * d ** 2 * 8
    assert round((64 - 4) ** 2 * 64 ** 2 * 8 / 1e6, 1) == 118.0


def test_integer_images_and_kernels_give_exact_matrix_products():
    # notebook 05 prints the difference between M vec(x) and conv(x) as exactly 0.0
    rng = np.random.default_rng(7)
    x = rng.integers(-9, 10, size=(6, 7)).astype(float)
    w = rng.integers(-3, 4, size=(2, 3)).astype(float)
    M = conv_matrix(x.shape, w)
    np.testing.assert_array_equal(M @ x.ravel(), conv2d(x, w).ravel())
    np.testing.assert_array_equal(conv_matrix(x.shape, w, sparse=True) @ x.ravel(), M @ x.ravel())


def test_router_asks_several_filters_for_a_factor_4():
    # one filter on one channel: the counts decide; several filters: the FFT must win by 4
    assert prefers_fft(256, 9) == (fft_flops(256, 9) < direct_flops(256, 9))
    for k in (9, 15, 31):
        counts = dict(in_channels=1, out_channels=2)
        assert prefers_fft(256, k, **counts) == (4 * fft_flops(256, k, **counts)
                                                 < direct_flops(256, k, **counts))
    assert prefers_fft(256, 9) and not prefers_fft(256, 9, out_channels=2)


def test_im2col_refuses_an_out_it_could_not_fill():
    """Issue 20: a non-contiguous ``out`` made the reshape inside im2col a copy, so the patches went
    into the copy and ``out`` came back unfilled, silently. It is refused now, and nothing is written."""
    x = np.random.default_rng(40).standard_normal((2, 3, 6, 5))
    strided = np.full((2, 27, 13), 7.0)[:, :, :12]                 # (2, 3·3·3, 4·3), not contiguous
    with pytest.raises(ValueError, match="C-contiguous"):
        im2col(x, (3, 3), 1, out=strided)
    assert np.all(strided == 7.0)
    out = np.empty((2, 27, 12))
    assert im2col(x, (3, 3), 1, out=out) is out
    np.testing.assert_array_equal(out, im2col(x, (3, 3), 1))


def test_col2im_checks_cols_before_it_clears_out():
    out = np.full((2, 3, 6, 5), 7.0)
    with pytest.raises(ValueError, match=r"cols must have shape \(N, C·kh·kw, Ho·Wo\) = \(2, 27, 12\)"):
        col2im(np.ones((2, 27, 11)), out.shape, (3, 3), 1, out=out)
    assert np.all(out == 7.0)                                     # was zeroed before the reshape failed
    with pytest.raises(ValueError, match=r"out must be a writable array of shape \(2, 3, 6, 5\) and dtype float64"):
        col2im(np.ones((2, 27, 12)), out.shape, (3, 3), 1, out=out.astype(np.float32))
    cols = np.random.default_rng(41).standard_normal((2, 27, 12))
    assert col2im(cols, out.shape, (3, 3), 1, out=out) is out
    np.testing.assert_array_equal(out, col2im(cols, out.shape, (3, 3), 1))


def test_im2col_and_col2im_take_lists_and_integer_images():
    x = np.arange(2 * 1 * 4 * 4).reshape(2, 1, 4, 4)
    np.testing.assert_array_equal(im2col(x.tolist(), 2, 2), im2col(x.astype(float), (2, 2), (2, 2)))
    cols = im2col(x, (2, 2), 2)
    assert cols.dtype == np.float64
    np.testing.assert_array_equal(col2im(cols.tolist(), x.shape, [2, 2], 2), x)  # stride 2: a partition
