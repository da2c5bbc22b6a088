"""Property tests (hypothesis) over random shapes, strides, paddings and channel counts.

* every layer passes the finite-difference gradient check (float64, ≤ 1e-7);
* the convolution implementations agree with each other and with the formula;
* a delta image returns the filter flipped (we compute a cross-correlation,
  the kernel slides unflipped, see ``lecture_nn.lessons.convolution``), a delta kernel shifts;
* convolution is linear in the image and in the filters;
* pooling a constant image gives a constant.

Examples are derandomised (the same examples on every run, so CI is never
flaky) and few, to keep the unit suite fast.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import lecture_nn as nn
from lecture_nn.lessons.convolution import Conv2D, conv2d, conv2d_fast, conv2d_fft, conv2d_loop, conv_matrix
from lecture_nn.dropout import Dropout
from lecture_nn.layers import Flatten
from lecture_nn.pooling import AvgPool2D, MaxPool2D
from lecture_nn.residual import Residual

GRAD_TOL = 1e-7
FEW = settings(max_examples=25, deadline=None, derandomize=True, database=None,
               suppress_health_check=[HealthCheck.too_slow])
SOME = settings(FEW, max_examples=50)

seeds = st.integers(0, 2**32 - 1)


def distinct_values(rng, shape, spacing=0.05):
    """Entries at least ``spacing`` apart and away from 0: no max-pool ties, no ReLU kinks
    within the finite-difference step."""
    n = int(np.prod(shape))
    values = (np.arange(n) - n // 2 + 0.5) * spacing   # half-integers: never 0
    return rng.permutation(values).reshape(shape)


def assert_gradients_ok(layer, x, seed):
    errors = nn.check_layer_gradients(layer, x, rng=np.random.default_rng(seed))
    assert max(errors.values()) <= GRAD_TOL, errors


@st.composite
def conv_geometry(draw, max_side=7):
    k = draw(st.integers(1, 4))
    padding = draw(st.integers(0, 2))
    stride = draw(st.integers(1, 3))
    h = draw(st.integers(max(1, k - 2 * padding), max_side))
    w = draw(st.integers(max(1, k - 2 * padding), max_side))
    return dict(n=draw(st.integers(1, 2)), c=draw(st.integers(1, 3)), o=draw(st.integers(1, 3)),
                h=h, w=w, k=k, stride=stride, padding=padding)


def reference_conv(x, w, b, stride, padding):
    """The formula out[n,o,p,q] = Σ_{c,i,j} w[o,c,i,j] xpad[n,c,p·s+i,q·s+j] + b[o], as loops."""
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    N, C, H, W = xp.shape
    O, _, kh, kw = w.shape
    Ho, Wo = (H - kh) // stride + 1, (W - kw) // stride + 1
    out = np.zeros((N, O, Ho, Wo))
    for p in range(Ho):
        for q in range(Wo):
            patch = xp[:, :, p * stride:p * stride + kh, q * stride:q * stride + kw]
            out[:, :, p, q] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3]))
    return out + b[None, :, None, None]


# --- the convolution implementations agree -------------------------------------------
@SOME
@given(g=conv_geometry(), seed=seeds)
def test_convolution_implementations_agree(g, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((g["n"], g["c"], g["h"], g["w"]))
    layer = Conv2D(g["c"], g["o"], g["k"], stride=g["stride"], padding=g["padding"], rng=rng)
    layer.params["b"][:] = rng.standard_normal(g["o"])
    W, b = layer.params["W"], layer.params["b"]
    expected = reference_conv(x, W, b, g["stride"], g["padding"])
    geo = dict(stride=g["stride"], padding=g["padding"])
    for implementation in (conv2d_loop, conv2d_fast, conv2d_fft, conv2d):
        np.testing.assert_allclose(implementation(x, W, b, **geo), expected, rtol=1e-11,
                                   atol=1e-11, err_msg=implementation.__name__)
    np.testing.assert_allclose(layer.forward(x), expected, rtol=1e-12, atol=1e-12)
    # a tiny patch budget forces the chunked path: same numbers
    np.testing.assert_allclose(conv2d_fast(x, W, b, stride=g["stride"], padding=g["padding"],
                                           max_patch_bytes=1), expected, rtol=1e-12, atol=1e-12)


@SOME
@given(g=conv_geometry(), sparse=st.booleans(), seed=seeds)
def test_conv_matrix_agrees_with_the_convolution(g, sparse, seed):
    """M @ vec(x) is the convolution of one image with one kernel (the notes' d²×d² view)."""
    rng = np.random.default_rng(seed)
    image = rng.standard_normal((g["h"], g["w"]))
    kernel = rng.standard_normal((g["k"], g["k"]))
    geo = dict(stride=g["stride"], padding=g["padding"])
    M = conv_matrix(image.shape, kernel, sparse=sparse, **geo)
    expected = conv2d_fast(image, kernel, **geo)
    assert M.shape == (expected.size, image.size)
    np.testing.assert_allclose(M @ image.ravel(), expected.ravel(), rtol=1e-12, atol=1e-12)


@FEW
@given(h=st.integers(1, 8), w=st.integers(1, 8), k=st.integers(1, 4), seed=seeds)
def test_single_image_matches_scipy_correlate(h, w, k, seed):
    from scipy.signal import correlate2d

    rng = np.random.default_rng(seed)
    image = rng.standard_normal((h + k - 1, w + k - 1))
    kernel = rng.standard_normal((k, k))
    np.testing.assert_allclose(conv2d_fast(image, kernel), correlate2d(image, kernel, mode="valid"),
                               rtol=1e-12, atol=1e-12)


@FEW
@given(k=st.integers(1, 5), c=st.integers(1, 3), o=st.integers(1, 3), seed=seeds)
def test_delta_image_returns_the_flipped_filter(k, c, o, seed):
    """Cross-correlation: a unit impulse at the centre of a (2k−1)² image returns each
    filter rotated by 180° (a true convolution would return it unflipped)."""
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((o, c, k, k))
    for channel in range(c):
        x = np.zeros((1, c, 2 * k - 1, 2 * k - 1))
        x[0, channel, k - 1, k - 1] = 1.0
        out = conv2d_fast(x, w)
        np.testing.assert_array_equal(out[0], w[:, channel, ::-1, ::-1])


@FEW
@given(k=st.integers(1, 4), di=st.integers(0, 3), dj=st.integers(0, 3), seed=seeds)
def test_delta_kernel_shifts_the_image(k, di, dj, seed):
    """A kernel with a single 1 at (i, j) picks pixel (p + i, q + j): a shifted crop."""
    di, dj = di % k, dj % k
    rng = np.random.default_rng(seed)
    image = rng.standard_normal((7, 6))
    kernel = np.zeros((k, k))
    kernel[di, dj] = 1.0
    out = conv2d_fast(image, kernel)
    np.testing.assert_array_equal(out, image[di:di + out.shape[0], dj:dj + out.shape[1]])


@FEW
@given(g=conv_geometry(), a=st.floats(-3, 3), c=st.floats(-3, 3), seed=seeds)
def test_convolution_is_linear(g, a, c, seed):
    rng = np.random.default_rng(seed)
    shape = (g["n"], g["c"], g["h"], g["w"])
    x1, x2 = rng.standard_normal(shape), rng.standard_normal(shape)
    w1, w2 = (rng.standard_normal((g["o"], g["c"], g["k"], g["k"])) for _ in range(2))
    geo = dict(stride=g["stride"], padding=g["padding"])
    np.testing.assert_allclose(conv2d_fast(a * x1 + c * x2, w1, **geo),
                               a * conv2d_fast(x1, w1, **geo) + c * conv2d_fast(x2, w1, **geo),
                               rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(conv2d_fast(x1, a * w1 + c * w2, **geo),
                               a * conv2d_fast(x1, w1, **geo) + c * conv2d_fast(x1, w2, **geo),
                               rtol=1e-10, atol=1e-10)


# --- pooling ---------------------------------------------------------------------------
@SOME
@given(n=st.integers(1, 2), c=st.integers(1, 3), h=st.integers(1, 9), w=st.integers(1, 9),
       size=st.integers(1, 4), stride=st.integers(1, 4),
       value=st.floats(-1e6, 1e6, allow_nan=False))
def test_pooling_a_constant_image_is_constant(n, c, h, w, size, stride, value):
    size = min(size, h, w)
    x = np.full((n, c, h, w), value)
    for pool in (MaxPool2D(size, stride=stride), AvgPool2D(size, stride=stride)):
        out = pool.forward(x)
        assert out.shape == pool.output_shape(x.shape)
        np.testing.assert_allclose(out, value, rtol=1e-14, atol=0)


# --- every layer passes the gradient check -----------------------------------------------
@FEW
@given(n=st.integers(1, 4), n_in=st.integers(1, 5), n_out=st.integers(1, 5), seed=seeds)
def test_linear_gradients(n, n_in, n_out, seed):
    rng = np.random.default_rng(seed)
    layer = nn.Linear(n_in, n_out, rng=rng)
    layer.params["b"][:] = rng.standard_normal(n_out)
    assert_gradients_ok(layer, rng.standard_normal((n, n_in)), seed)


@FEW
@given(name=st.sampled_from(["relu", "sigmoid", "tanh", "identity"]),
       n=st.integers(1, 4), d=st.integers(1, 6), seed=seeds)
def test_activation_gradients(name, n, d, seed):
    rng = np.random.default_rng(seed)
    assert_gradients_ok(nn.get_activation(name), distinct_values(rng, (n, d), 0.3), seed)


@FEW
@given(g=conv_geometry(max_side=6), seed=seeds)
def test_conv2d_gradients(g, seed):
    rng = np.random.default_rng(seed)
    layer = Conv2D(g["c"], g["o"], g["k"], stride=g["stride"], padding=g["padding"], rng=rng)
    layer.params["b"][:] = rng.standard_normal(g["o"])
    assert_gradients_ok(layer, rng.standard_normal((g["n"], g["c"], g["h"], g["w"])), seed)


@FEW
@given(kind=st.sampled_from([MaxPool2D, AvgPool2D]), n=st.integers(1, 2), c=st.integers(1, 2),
       h=st.integers(1, 7), w=st.integers(1, 7), size=st.integers(1, 3), stride=st.integers(1, 3),
       seed=seeds)
def test_pooling_gradients(kind, n, c, h, w, size, stride, seed):
    rng = np.random.default_rng(seed)
    size = min(size, h, w)
    assert_gradients_ok(kind(size, stride=stride), distinct_values(rng, (n, c, h, w)), seed)


@FEW
@given(shape=st.lists(st.integers(1, 4), min_size=2, max_size=4), seed=seeds)
def test_flatten_gradients(shape, seed):
    rng = np.random.default_rng(seed)
    assert_gradients_ok(Flatten(), rng.standard_normal(shape), seed)


@FEW
@given(p=st.floats(0.0, 0.9), mode=st.sampled_from(["classic", "inverted"]),
       training=st.booleans(), n=st.integers(1, 4), d=st.integers(1, 6), seed=seeds)
def test_dropout_gradients_with_a_fixed_mask(p, mode, training, n, d, seed):
    rng = np.random.default_rng(seed)
    layer = Dropout(p, rng=rng, mode=mode).train(training)
    layer.fix_mask(rng.integers(0, 2, size=(n, d)))
    assert_gradients_ok(layer, rng.standard_normal((n, d)), seed)


@FEW
@given(d=st.integers(1, 5), d_out=st.integers(1, 5), activation=st.sampled_from([None, "tanh"]),
       seed=seeds)
def test_residual_gradients(d, d_out, activation, seed):
    from lecture_nn.residual import projection_for

    rng = np.random.default_rng(seed)
    block = nn.Sequential(nn.Linear(d, 4, rng=rng), nn.Tanh(), nn.Linear(4, d_out, rng=rng))
    layer = Residual(block, projection=projection_for((d,), (d_out,), rng=rng),
                     activation=activation)
    assert_gradients_ok(layer, rng.standard_normal((3, d)), seed)


@FEW
@given(sizes=st.lists(st.integers(1, 4), min_size=2, max_size=4),
       activation=st.sampled_from(["relu", "sigmoid", "tanh"]), seed=seeds)
def test_model_gradients_for_every_loss(sizes, activation, seed):
    rng = np.random.default_rng(seed)
    n = 5
    X = rng.standard_normal((n, sizes[0]))
    k = sizes[-1]
    targets = {
        "squared": rng.standard_normal((n, k)),
        "sigmoid_cross_entropy": rng.integers(0, 2, (n, k)).astype(float),
        "softmax_cross_entropy": rng.integers(0, k, n),
    }
    if k == 1:
        targets["logistic"] = rng.choice([-1.0, 1.0], n)
        with pytest.raises(ValueError, match="at least 2 scores"):    # softmax of one score is always 1
            nn.check_model_gradients(nn.mlp(sizes, activation, rng=np.random.default_rng(seed)),
                                     "softmax_cross_entropy", X, targets.pop("softmax_cross_entropy"))
    for loss, y in targets.items():
        model = nn.mlp(sizes, activation, rng=np.random.default_rng(seed))
        for layer in model.layers:
            if "b" in layer.params:   # biases off 0 keep ReLU inputs away from the kink
                layer.params["b"][:] = rng.uniform(0.1, 0.5, layer.params["b"].shape)
        errors = nn.check_model_gradients(model, loss, X, y)
        assert max(errors.values()) <= GRAD_TOL, (loss, errors)
