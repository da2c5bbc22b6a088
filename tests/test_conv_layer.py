"""Conv2D: the layer contract, gradients, dtypes, memory, chunking, errors (and PyTorch as an oracle)."""
import gc
import types

import numpy as np
import pytest

from lecture_nn import Sequential, ReLU
from lecture_nn.lessons.convolution import Conv2D, conv2d_fast, conv2d_loop
from lecture_nn.gradcheck import check_layer_gradients, worst


def make_layer(rng, C=2, O=3, k=3, stride=1, padding=0, **kwargs):
    layer = Conv2D(C, O, k, stride=stride, padding=padding, rng=rng, **kwargs)
    layer.params["b"][:] = rng.standard_normal(O)
    return layer


@pytest.mark.parametrize("stride,padding,k", [(1, 0, 3), (2, 1, 3), (3, 2, 2), (1, 1, 1), (2, 0, 4)])
def test_gradients_match_finite_differences(stride, padding, k):
    rng = np.random.default_rng(stride * 10 + padding)
    layer = make_layer(rng, k=k, stride=stride, padding=padding)
    x = rng.standard_normal((2, 2, 7, 6))
    errors = check_layer_gradients(layer, x, rng=rng)
    assert set(errors) == {"input", "W", "b"}
    assert worst(errors) <= 1e-7, errors


@pytest.mark.parametrize("stride", [1, 2])
def test_gradients_through_the_chunked_path(stride):
    rng = np.random.default_rng(5)
    layer = make_layer(rng, stride=stride, padding=1, max_patch_bytes=1)   # one image per chunk
    assert worst(check_layer_gradients(layer, rng.standard_normal((3, 2, 6, 6)), rng=rng)) <= 1e-7


@pytest.mark.parametrize("stride", [1, 2])
def test_forward_matches_the_loop_and_chunking_changes_nothing(stride):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((5, 2, 9, 9))
    Ho = (9 + 2 - 3) // stride + 1
    g = rng.standard_normal((5, 3, Ho, Ho))
    layers = [make_layer(np.random.default_rng(0), stride=stride, padding=1, max_patch_bytes=cap)
              for cap in (2**28, 1, 2 * 18 * Ho * Ho * 8)]
    outs = [layer.forward(x) for layer in layers]
    dxs = [layer.backward(g) for layer in layers]
    np.testing.assert_allclose(outs[0], conv2d_loop(x, layers[0].params["W"], layers[0].params["b"],
                                                    stride=stride, padding=1), atol=1e-12)
    for out, dx, layer in zip(outs[1:], dxs[1:], layers[1:]):
        np.testing.assert_allclose(out, outs[0], atol=1e-12)
        np.testing.assert_allclose(dx, dxs[0], atol=1e-12)
        for key in ("W", "b"):
            np.testing.assert_allclose(layer.grads[key], layers[0].grads[key], atol=1e-12)


def test_backward_is_the_adjoint_of_forward():
    # <conv(x), g> is linear in x, so <forward(x) - b, g> == <x, backward(g)>
    rng = np.random.default_rng(7)
    layer = make_layer(rng, stride=2, padding=2, k=4)
    x = rng.standard_normal((2, 2, 9, 8))
    out = layer.forward(x) - layer.params["b"][:, None, None]
    g = rng.standard_normal(out.shape)
    assert np.sum(out * g) == pytest.approx(np.sum(x * layer.backward(g)), rel=1e-12)


def test_float32_input_gives_float32_everywhere():
    rng = np.random.default_rng(8)
    layer = Conv2D(1, 4, 5, padding=2, rng=rng, dtype=np.float32)
    x = rng.standard_normal((3, 1, 12, 12)).astype(np.float32)
    out = layer.forward(x)
    assert out.dtype == np.float32 and out.shape == (3, 4, 12, 12)
    dx = layer.backward(np.ones_like(out))
    assert dx.dtype == np.float32 and dx.shape == x.shape
    assert layer.grads["W"].dtype == np.float32 and layer.grads["b"].dtype == np.float32
    np.testing.assert_allclose(layer.grads["b"], np.full(4, 3 * 144))


def forward_backward(layer, x, grad):
    out = layer.forward(x)
    dx = layer.backward(grad)
    return out, dx, layer.grads["W"], layer.grads["b"]


@pytest.mark.parametrize("stride,padding", [(1, 1), (2, 0)])
def test_a_float64_layer_computes_in_float64_when_fed_float32(stride, padding):
    """Issue 20: the layer computes in its parameters' dtype; input of the other dtype is cast."""
    rng = np.random.default_rng(9)
    x = rng.standard_normal((3, 2, 7, 6)).astype(np.float32)
    layer = make_layer(np.random.default_rng(1), stride=stride, padding=padding)
    grad = rng.standard_normal(layer.forward(x).shape).astype(np.float32)
    results = forward_backward(layer, x, grad)
    assert [a.dtype for a in results] == [np.float64] * 4       # output, ∂ℓ/∂x, ∂ℓ/∂W, ∂ℓ/∂b
    # the same numbers as the float64 computation on the same (exactly representable) input
    reference = forward_backward(make_layer(np.random.default_rng(1), stride=stride, padding=padding),
                                 x.astype(np.float64), grad.astype(np.float64))
    for got, expected in zip(results, reference):
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("stride,padding", [(1, 1), (2, 0)])
def test_a_float32_layer_computes_in_float32_when_fed_float64(stride, padding):
    rng = np.random.default_rng(10)
    x = rng.standard_normal((3, 2, 7, 6))
    layer32 = make_layer(np.random.default_rng(1), stride=stride, padding=padding, dtype=np.float32)
    grad = rng.standard_normal(layer32.forward(x).shape)
    results = forward_backward(layer32, x, grad)
    assert [a.dtype for a in results] == [np.float32] * 4
    # exactly what the layer gives for float32 input, and the float64 numbers to float32 precision
    same = forward_backward(make_layer(np.random.default_rng(1), stride=stride, padding=padding,
                                       dtype=np.float32), x.astype(np.float32), grad.astype(np.float32))
    layer64 = make_layer(np.random.default_rng(1), stride=stride, padding=padding)
    for key in ("W", "b"):
        layer64.params[key][...] = layer32.params[key]
    reference = forward_backward(layer64, x, grad)
    for got, exact, expected in zip(results, same, reference):
        np.testing.assert_array_equal(got, exact)
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


def test_integer_input_and_gradients_are_cast_to_the_parameter_dtype():
    layer = make_layer(np.random.default_rng(2), dtype=np.float32)
    out = layer.forward(np.ones((1, 2, 5, 5), dtype=np.int64))
    assert out.dtype == np.float32
    assert layer.backward(np.ones(out.shape, dtype=np.int32)).dtype == np.float32
    assert layer.grads["W"].dtype == layer.grads["b"].dtype == np.float32


def test_the_functional_convolution_computes_in_the_dtype_of_its_input():
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((2, 2, 6, 6)).astype(np.float32), rng.standard_normal((3, 2, 3, 3))
    out = conv2d_fast(x, w, np.ones(3))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, conv2d_loop(x.astype(np.float64), w, np.ones(3)), rtol=1e-5, atol=1e-5)
    assert conv2d_fast(x.astype(np.float64), w.astype(np.float32)).dtype == np.float64


# --- conv2d_fast with one filter on one channel: shifted multiply-adds (issue 20) -----------
@pytest.mark.parametrize("x_shape,k,padding,dtype", [
    ((1, 1, 16, 16), 3, 0, np.float64), ((3, 1, 9, 7), (2, 4), 1, np.float64),
    ((2, 1, 5, 6), 1, (2, 0), np.float32), ((1, 1, 6, 6), 6, 0, np.float64), ((4, 1, 8, 11), 5, 2, np.float32),
])
def test_one_filter_on_one_channel_matches_the_loop(x_shape, k, padding, dtype):
    rng = np.random.default_rng(11)
    kh, kw = (k, k) if isinstance(k, int) else k
    x, w = rng.standard_normal(x_shape).astype(dtype), rng.standard_normal((1, 1, kh, kw)).astype(dtype)
    b = rng.standard_normal(1)
    out = conv2d_fast(x, w, b, padding=padding)
    assert out.dtype == dtype and out.flags.c_contiguous
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out, conv2d_loop(x.astype(np.float64), w.astype(np.float64), b, padding=padding),
                               rtol=tolerance, atol=tolerance)
    # one image and one kernel, 2-D in and out
    np.testing.assert_array_equal(conv2d_fast(x[0, 0], w[0, 0], padding=padding),
                                  conv2d_fast(x[:1], w, padding=padding)[0, 0])


def test_one_filter_on_one_channel_makes_no_patch_matrix():
    """K3 of docs/benchmarks.md (a 256×256 image, one 3×3 kernel) took 2.3–2.5 times PyTorch through
    im2col + matmul: the copies of a matrix–vector product. The shifted multiply-adds need a few
    arrays of the image's size, where the patch matrix is kh·kw times the image."""
    import tracemalloc

    x = np.random.default_rng(12).standard_normal((1, 1, 128, 128))
    w = np.ones((1, 1, 7, 7))
    tracemalloc.start()
    try:
        conv2d_fast(x, w)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * x.nbytes, peak / x.nbytes        # the patch matrix alone: 42 times x


# --- memory: what a layer holds (issue 20) ------------------------------------------------
def held_arrays(obj) -> list[np.ndarray]:
    """Every distinct array memory reachable from ``obj``, each counted once (views by their base).

    Walks everything the garbage collector sees as referenced (attributes, dicts, lists,
    closures of functions kept as attributes), but not into classes, modules or functions'
    globals, which are not the layer's."""
    seen, bases, todo = set(), {}, [obj]
    while todo:
        item = todo.pop()
        if id(item) in seen or isinstance(item, (type, types.ModuleType, types.BuiltinFunctionType)):
            continue
        seen.add(id(item))
        if isinstance(item, np.ndarray):
            while isinstance(item.base, np.ndarray):
                item = item.base
            bases[id(item)] = item
        elif isinstance(item, types.FunctionType):
            todo.extend(cell.cell_contents for cell in item.__closure__ or () if _full(cell))
            todo.extend(item.__defaults__ or ())
        else:
            todo.extend(gc.get_referents(item))
    return list(bases.values())


def _full(cell):
    try:
        cell.cell_contents
    except ValueError:
        return False
    return True


def held_bytes(obj) -> int:
    return sum(a.nbytes for a in held_arrays(obj))


def parameter_and_gradient_bytes(layer) -> int:
    return sum(a.nbytes for a in [*layer.params.values(), *layer.grads.values()])


def test_held_bytes_counts_views_once_and_finds_arrays_in_closures():
    big = np.zeros(1000)
    holder = types.SimpleNamespace(view=big[:10], again=big, inner={"list": [big[5:]]}, fn=lambda: big)
    assert held_bytes(holder) == big.nbytes
    assert held_bytes(types.SimpleNamespace(fn=lambda: big)) == big.nbytes


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("stride,padding", [(1, 2), (2, 1)])
def test_eval_and_clear_cache_leave_only_parameters_and_gradients(dtype, stride, padding):
    """Issue 20: after eval() a Conv2D still held its patch matrix (the issue's example: 210 MiB)."""
    rng = np.random.default_rng(4)
    x = rng.random((16, 3, 32, 32)).astype(dtype)
    for release in ("eval", "clear_cache"):
        layer = Conv2D(3, 16, 5, stride=stride, padding=padding, rng=np.random.default_rng(0), dtype=dtype)
        out = layer.forward(x)
        layer.backward(np.ones_like(out))
        expected = parameter_and_gradient_bytes(layer)
        patch_matrix = 16 * 3 * 25 * out.shape[2] * out.shape[3] * x.itemsize
        assert held_bytes(layer) > expected + patch_matrix      # a training step keeps its buffers
        layer.eval() if release == "eval" else layer.clear_cache()
        assert held_bytes(layer) == expected, release
        # back in training mode, backward needs a new forward pass and says so
        layer.train()
        with pytest.raises(RuntimeError, match="before forward, or after eval"):
            layer.backward(np.ones_like(out))
        assert held_bytes(layer) == expected
        np.testing.assert_array_equal(forward_backward(layer, x, np.ones_like(out))[0], out)


def test_an_evaluation_mode_forward_keeps_only_the_input_for_backward():
    rng = np.random.default_rng(5)
    x, grad = rng.standard_normal((4, 2, 9, 9)), rng.standard_normal((4, 3, 9, 9))
    trained = forward_backward(make_layer(np.random.default_rng(1), padding=1), x, grad)
    layer = make_layer(np.random.default_rng(1), padding=1).eval()
    out = layer.forward(x)
    padded_input = x.nbytes * 11 * 11 // (9 * 9)
    assert held_bytes(layer) == parameter_and_gradient_bytes(layer) + padded_input
    results = out, layer.backward(grad), layer.grads["W"], layer.grads["b"]   # e.g. input gradients
    for got, expected in zip(results, trained):
        np.testing.assert_array_equal(got, expected)
    assert held_bytes(layer) == parameter_and_gradient_bytes(layer) + padded_input
    layer.eval()
    assert held_bytes(layer) == parameter_and_gradient_bytes(layer)


def test_eval_through_a_container_frees_every_conv_layer():
    rng = np.random.default_rng(6)
    model = Sequential(Conv2D(1, 4, 3, padding=1, rng=rng), ReLU(), Conv2D(4, 2, 3, rng=rng))
    x = rng.standard_normal((8, 1, 12, 12))
    model.backward(np.ones_like(model.forward(x)))
    model.eval()
    for conv in (model.layers[0], model.layers[2]):
        assert held_bytes(conv) == parameter_and_gradient_bytes(conv)


def test_he_initialisation_and_reproducibility():
    W1 = Conv2D(16, 32, 3, rng=np.random.default_rng(0)).params["W"]
    W2 = Conv2D(16, 32, 3, rng=np.random.default_rng(0)).params["W"]
    np.testing.assert_array_equal(W1, W2)
    assert W1.shape == (32, 16, 3, 3)
    assert W1.std() == pytest.approx(np.sqrt(2 / (16 * 9)), rel=0.05)
    layer = Conv2D(16, 32, 3, rng=np.random.default_rng(0))
    assert layer.n_params() == 32 * 16 * 9 + 32
    np.testing.assert_array_equal(layer.params["b"], 0)


def test_buffers_are_reused_and_results_not_overwritten():
    rng = np.random.default_rng(10)
    layer = make_layer(rng, padding=1)
    x1, x2 = rng.standard_normal((2, 2, 6, 6)), rng.standard_normal((2, 2, 6, 6))
    g = rng.standard_normal((2, 3, 6, 6))
    out1 = layer.forward(x1)
    dx1 = layer.backward(g)
    saved = out1.copy(), dx1.copy()
    buffers = {name: id(buf) for name, buf in layer.products._buffers.items()}
    layer.forward(x2)
    layer.backward(g)
    assert {name: id(buf) for name, buf in layer.products._buffers.items()} == buffers
    np.testing.assert_array_equal(out1, saved[0])     # returned arrays belong to the caller
    np.testing.assert_array_equal(dx1, saved[1])


@pytest.mark.parametrize("stride", [1, 2])
def test_skipping_the_input_gradient_keeps_the_parameter_gradients(stride):
    rng = np.random.default_rng(13)
    x = rng.standard_normal((3, 2, 8, 7))
    full, lean = (make_layer(np.random.default_rng(1), stride=stride, padding=1) for _ in range(2))
    g = rng.standard_normal(full.forward(x).shape)
    lean.forward(x)
    assert full.backward(g).shape == x.shape
    assert lean.backward(g, input_grad=False) is None
    for key in ("W", "b"):
        np.testing.assert_array_equal(lean.grads[key], full.grads[key])


def test_works_inside_sequential():
    rng = np.random.default_rng(11)
    model = Sequential(Conv2D(1, 2, 3, rng=rng, padding=1), ReLU(), Conv2D(2, 1, 3, rng=rng))
    x = rng.standard_normal((2, 1, 6, 6)) + 0.1
    assert model.forward(x).shape == (2, 1, 4, 4)
    assert sorted(model.params) == ["0.W", "0.b", "2.W", "2.b"]


def test_clear_errors():
    rng = np.random.default_rng(12)
    with pytest.raises(ValueError, match="stride"):
        Conv2D(1, 1, 3, stride=0, rng=rng)
    with pytest.raises(ValueError, match="padding"):
        Conv2D(1, 1, 3, padding=-1, rng=rng)
    with pytest.raises(ValueError, match="kernel_size"):
        Conv2D(1, 1, 0, rng=rng)
    layer = Conv2D(3, 2, 5, rng=rng)
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 3, H, W\)"):
        layer.forward(np.ones((1, 2, 8, 8)))
    with pytest.raises(ValueError, match="larger than the input"):
        layer.forward(np.ones((1, 3, 4, 8)))
    with pytest.raises(ValueError, match="4-D"):
        layer.forward(np.ones((3, 8, 8)))
    with pytest.raises(RuntimeError, match="before forward"):
        Conv2D(1, 1, 3, rng=rng).backward(np.ones((1, 1, 2, 2)))
    out = layer.forward(np.ones((1, 3, 8, 8)))
    with pytest.raises(ValueError, match="grad_out of shape"):
        layer.backward(np.ones((1, 2, 3, 3)))
    assert out.shape == (1, 2, 4, 4)


def test_agrees_with_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(13)
    for stride, padding in [(1, 0), (2, 1), (1, 2)]:
        layer = make_layer(rng, C=3, O=4, k=3, stride=stride, padding=padding)
        x = rng.standard_normal((2, 3, 9, 8))
        out = layer.forward(x)
        g = rng.standard_normal(out.shape)
        dx = layer.backward(g)
        xt = torch.tensor(x, requires_grad=True)
        Wt = torch.tensor(layer.params["W"], requires_grad=True)
        bt = torch.tensor(layer.params["b"], requires_grad=True)
        outt = torch.nn.functional.conv2d(xt, Wt, bt, stride=stride, padding=padding)
        outt.backward(torch.tensor(g))
        np.testing.assert_allclose(out, outt.detach().numpy(), atol=1e-12)
        np.testing.assert_allclose(dx, xt.grad.numpy(), atol=1e-12)
        np.testing.assert_allclose(layer.grads["W"], Wt.grad.numpy(), atol=1e-12)
        np.testing.assert_allclose(layer.grads["b"], bt.grad.numpy(), atol=1e-12)
