"""Oracle tests: every layer and loss agrees with PyTorch in float64.

Forward outputs and backward gradients (input and parameters) must match to
1e-10 relative to the scale of the quantity compared. PyTorch is only a test
oracle (CI installs it); without it these tests skip with a reason.
"""
import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the oracle for these tests; "
                                            "install it with `pip install torch==2.13.0`")
F = torch.nn.functional

import lecture_nn as nn  # noqa: E402

TOL = 1e-10


def assert_close(ours, reference, what):
    ours = np.asarray(ours, dtype=np.float64)
    reference = reference.detach().numpy() if isinstance(reference, torch.Tensor) else reference
    reference = np.asarray(reference, dtype=np.float64)
    assert ours.shape == reference.shape, f"{what}: shape {ours.shape} vs torch {reference.shape}"
    scale = max(1.0, float(np.max(np.abs(reference), initial=0.0)))
    diff = float(np.max(np.abs(ours - reference), initial=0.0))
    assert diff <= TOL * scale, f"{what}: max |ours - torch| = {diff:.3e} (scale {scale:.3g})"


def t(array, grad=True):
    return torch.tensor(np.asarray(array, dtype=np.float64), requires_grad=grad)


def compare_layer(layer, x, torch_forward, torch_params, rng):
    """Run our layer and a torch function on the same input and upstream gradient.

    ``torch_params`` maps our parameter names to torch leaf tensors used by
    ``torch_forward(x_t)``.
    """
    x = np.asarray(x, dtype=np.float64)
    out = layer.forward(x)
    grad_out = rng.standard_normal(out.shape)
    grad_in = layer.backward(grad_out)

    x_t = t(x)
    out_t = torch_forward(x_t)
    out_t.backward(torch.tensor(grad_out))
    assert_close(out, out_t, "forward")
    assert_close(grad_in, x_t.grad, "grad wrt input")
    for name, param_t in torch_params.items():
        assert_close(layer.grads[name], param_t.grad, f"grad wrt {name}")


# --- dense layer and activations ----------------------------------------------
@pytest.mark.parametrize("n, n_in, n_out", [(1, 1, 1), (5, 3, 4), (16, 10, 7)])
def test_linear_matches_torch(n, n_in, n_out):
    rng = np.random.default_rng(n * 100 + n_in)
    layer = nn.Linear(n_in, n_out, rng=rng)
    layer.params["b"][:] = rng.standard_normal(n_out)
    W_t, b_t = t(layer.params["W"]), t(layer.params["b"])
    # torch stores the weight as (out, in); ours is (in, out): z = a @ W + b
    compare_layer(layer, rng.standard_normal((n, n_in)),
                  lambda x: F.linear(x, W_t.T, b_t), {"W": W_t, "b": b_t}, rng)


@pytest.mark.parametrize("ours, theirs", [
    (nn.ReLU, torch.relu), (nn.Sigmoid, torch.sigmoid), (nn.Tanh, torch.tanh),
    (nn.Identity, lambda x: x * 1.0),
], ids=["relu", "sigmoid", "tanh", "identity"])
def test_activation_matches_torch(ours, theirs):
    rng = np.random.default_rng(1)
    z = rng.standard_normal((6, 5)) * 3
    z[np.abs(z) < 1e-3] = 0.5  # keep away from the ReLU kink, where conventions may differ
    compare_layer(ours(), z, theirs, {}, rng)


def test_relu_derivative_at_zero_matches_torch_convention():
    # the notes pick f'(0) = 0; so does torch
    z = np.array([[0.0, -1.0, 2.0]])
    layer = nn.ReLU()
    layer.forward(z)
    ours = layer.backward(np.ones_like(z))
    z_t = t(z)
    torch.relu(z_t).backward(torch.ones(1, 3, dtype=torch.float64))
    assert_close(ours, z_t.grad, "relu'(0)")


def test_mlp_end_to_end_matches_torch():
    rng = np.random.default_rng(7)
    model = nn.mlp([4, 8, 6, 3], "tanh", rng=rng)
    for layer in model.layers:
        if "b" in layer.params:
            layer.params["b"][:] = rng.standard_normal(layer.params["b"].shape)
    X = rng.standard_normal((10, 4))
    y = rng.integers(0, 3, size=10)
    loss, dz = nn.softmax_cross_entropy(y, model.forward(X))
    model.backward(dz)

    params_t = {k: t(v) for k, v in model.params.items()}
    h = t(X, grad=False)
    h = torch.tanh(h @ params_t["0.W"] + params_t["0.b"])
    h = torch.tanh(h @ params_t["2.W"] + params_t["2.b"])
    z_t = h @ params_t["4.W"] + params_t["4.b"]
    loss_t = F.cross_entropy(z_t, torch.tensor(y))
    loss_t.backward()
    assert_close(loss, loss_t, "loss")
    for name, p in params_t.items():
        assert_close(model.grads[name], p.grad, f"grad {name}")


# --- losses --------------------------------------------------------------------
def _binary_case(rng, n=12, column=False):
    z = rng.standard_normal((n, 1) if column else n) * 2
    y = rng.choice([-1.0, 1.0], size=n)
    return y, z


def _torch_pm1(y, z_t):
    return torch.tensor(y).reshape(z_t.shape)


TORCH_LOSSES = {
    # ℓ = max(0, 1 − yz), mean over the batch; at the kink torch's relu' is 0 as ours
    "hinge": lambda y, z: torch.relu(1 - _torch_pm1(y, z) * z).mean(),
    # ℓ = log(1 + e^{−yz}) = softplus(−yz)
    "logistic": lambda y, z: F.softplus(-_torch_pm1(y, z) * z).mean(),
    # ℓ = ½‖y − z‖² summed over outputs, mean over examples
    "squared": lambda y, z: 0.5 * ((torch.tensor(y).reshape(z.shape) - z) ** 2).sum() / z.shape[0],
    "sigmoid_cross_entropy": lambda y, z: F.binary_cross_entropy_with_logits(
        z, torch.tensor(y), reduction="sum") / z.shape[0],
    "softmax_cross_entropy": lambda y, z: F.cross_entropy(z, torch.tensor(y)),
}


def _loss_cases():
    rng = np.random.default_rng(3)
    cases = []
    for column in (False, True):
        cases.append(("hinge", *_binary_case(rng, column=column)))
        cases.append(("logistic", *_binary_case(rng, column=column)))
    cases.append(("squared", rng.standard_normal(9), rng.standard_normal(9)))
    cases.append(("squared", rng.standard_normal((9, 3)), rng.standard_normal((9, 3))))
    cases.append(("sigmoid_cross_entropy", rng.integers(0, 2, (8, 4)).astype(float),
                  rng.standard_normal((8, 4)) * 3))
    for K in (2, 5, 10):
        cases.append(("softmax_cross_entropy", rng.integers(0, K, 11), rng.standard_normal((11, K)) * 4))
    return cases


@pytest.mark.parametrize("name, y, z", _loss_cases(),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_loss_matches_torch(name, y, z):
    if name == "hinge":  # stay off the kink y z = 1
        z = np.where(np.abs(1 - y.reshape(z.shape) * z) < 1e-3, z + 0.1, z)
    loss, dz = nn.losses.get_loss(name)(y, z)
    z_t = t(z)
    loss_t = TORCH_LOSSES[name](y, z_t)
    loss_t.backward()
    assert_close(loss, loss_t, f"{name} value")
    assert_close(dz, z_t.grad, f"{name} dℓ/dz")


def test_softmax_matches_torch():
    z = np.random.default_rng(4).standard_normal((5, 7)) * 10
    assert_close(nn.softmax(z), torch.softmax(t(z, grad=False), dim=1), "softmax")


@pytest.mark.parametrize("penalty, torch_value", [
    ("l2", lambda W: (W ** 2).sum()), ("l1", lambda W: W.abs().sum())])
def test_penalties_match_torch(penalty, torch_value):
    from lecture_nn.penalties import PENALTIES

    model = nn.mlp([3, 4, 2], rng=np.random.default_rng(2))
    lam = 0.37
    value, grads = PENALTIES[penalty](model.params, lam)
    weights_t = {k: t(v) for k, v in model.params.items() if k.endswith("W")}
    total = lam * sum(torch_value(W) for W in weights_t.values())
    total.backward()
    assert_close(value, total, f"{penalty} value")
    assert set(grads) == set(weights_t)
    for k, W in weights_t.items():
        assert_close(grads[k], W.grad, f"{penalty} grad {k}")


def test_sgd_momentum_matches_torch():
    rng = np.random.default_rng(9)
    layer = nn.Linear(3, 2, rng=rng)
    W_t = t(layer.params["W"])
    opt_t = torch.optim.SGD([W_t], lr=0.05, momentum=0.9)
    opt = nn.SGD(layer, lr=0.05, momentum=0.9)
    for _ in range(4):
        g = rng.standard_normal(layer.params["W"].shape)
        layer.grads["W"] = g
        layer.grads["b"] = np.zeros(2)
        opt.step()
        W_t.grad = torch.tensor(g)
        opt_t.step()
    # torch's momentum form v ← μv + g, θ ← θ − ηv is the same sequence as ours for constant η
    assert_close(layer.params["W"], W_t, "W after 4 momentum steps")


# --- convolution, pooling, flatten, dropout, residual -----------------------------
from lecture_nn.lessons.convolution import Conv2D, conv2d, conv2d_fast, conv2d_fft, conv2d_loop  # noqa: E402
from lecture_nn.dropout import Dropout  # noqa: E402
from lecture_nn.layers import Flatten  # noqa: E402
from lecture_nn.pooling import AvgPool2D, MaxPool2D  # noqa: E402
from lecture_nn.residual import Residual, projection_for  # noqa: E402

CONV_CASES = [  # (n, in_channels, out_channels, H, W, kernel, stride, padding)
    (1, 1, 1, 5, 5, 3, 1, 0), (2, 3, 4, 8, 7, 3, 1, 1), (2, 2, 3, 9, 9, 4, 2, 0),
    (1, 3, 2, 10, 8, 5, 3, 2), (3, 1, 5, 6, 6, 1, 1, 0), (2, 4, 2, 7, 11, 2, 2, 1),
    (1, 2, 2, 14, 14, 4, 2, 0),   # Fig. 10 of the notes: 4×4 patches, stride 2 → 6×6
    # (height, width) pairs, as PyTorch takes them
    (1, 1, 1, 8, 8, 3, (1, 2), 0),             # 6×3, not cut to 6×6
    (1, 1, 1, 8, 8, 3, 1, (0, 2)),             # 6×10, not 6×6
    (2, 2, 3, 9, 11, (2, 4), (2, 1), (1, 0)),
    (2, 3, 2, 10, 7, (3, 1), (1, 1), (2, 1)),  # stride 1 with an oblong kernel: the wide-column route
    (1, 2, 2, 7, 12, (1, 3), (3, 2), (0, 1)),
]
FUNCTION_CASES = CONV_CASES[:4] + CONV_CASES[-5:]


@pytest.mark.parametrize("n, c, o, h, w, k, stride, padding", CONV_CASES)
def test_conv2d_layer_matches_torch(n, c, o, h, w, k, stride, padding):
    rng = np.random.default_rng(n * 1000 + c * 100 + h * 10 + w)
    layer = Conv2D(c, o, k, stride=stride, padding=padding, rng=rng)
    layer.params["b"][:] = rng.standard_normal(o)
    W_t, b_t = t(layer.params["W"]), t(layer.params["b"])
    compare_layer(layer, rng.standard_normal((n, c, h, w)),
                  lambda x: F.conv2d(x, W_t, b_t, stride=stride, padding=padding),
                  {"W": W_t, "b": b_t}, rng)


@pytest.mark.parametrize("implementation", [conv2d_loop, conv2d_fast, conv2d_fft, conv2d],
                         ids=lambda f: f.__name__)
@pytest.mark.parametrize("n, c, o, h, w, k, stride, padding", FUNCTION_CASES)
def test_conv2d_functions_match_torch(implementation, n, c, o, h, w, k, stride, padding):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((n, c, h, w))
    W = rng.standard_normal((o, c) + ((k, k) if isinstance(k, int) else k))
    b = rng.standard_normal(o)
    expected = F.conv2d(t(x, False), t(W, False), t(b, False), stride=stride, padding=padding)
    assert_close(implementation(x, W, b, stride=stride, padding=padding), expected,
                 implementation.__name__)


POOL_CASES = [(2, None, (2, 3, 8, 8)), (3, None, (1, 2, 9, 7)), (3, 2, (2, 1, 7, 7)),
              (2, 1, (1, 3, 5, 6)), (2, 3, (2, 2, 9, 8)),
              ((2, 3), None, (2, 2, 8, 9)), ((2, 3), (1, 2), (1, 3, 6, 7)), (2, (2, 1), (1, 2, 6, 5)),
              ((3, 1), (2, 1), (2, 1, 7, 4))]


@pytest.mark.parametrize("ours, theirs", [(MaxPool2D, F.max_pool2d), (AvgPool2D, F.avg_pool2d)],
                         ids=["max", "avg"])
@pytest.mark.parametrize("size, stride, shape", POOL_CASES)
def test_pooling_matches_torch(ours, theirs, size, stride, shape):
    rng = np.random.default_rng(sum(shape))
    x = rng.permutation(np.arange(np.prod(shape)) * 0.01).reshape(shape)  # no ties
    compare_layer(ours(size, stride=stride), x,
                  lambda x_t: theirs(x_t, size, stride=stride or size), {}, rng)


def test_flatten_matches_torch():
    rng = np.random.default_rng(0)
    compare_layer(Flatten(), rng.standard_normal((3, 2, 4, 5)), lambda x: torch.flatten(x, 1),
                  {}, rng)


def _torch_dropout(x_t, p, training, seed=1234):
    torch.manual_seed(seed)   # the same seed draws the same mask for the same shape
    return F.dropout(x_t, p, training=training)


@pytest.mark.parametrize("p", [0.5, 0.2])
@pytest.mark.parametrize("mode", ["classic", "inverted"])
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_dropout_with_torchs_mask_matches_torch(p, mode, training):
    """Our layer with torch's mask fixed gives torch's dropout (inverted form) exactly;
    classic dropout is the same times 1 − p in both modes."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 8))
    probe = _torch_dropout(torch.ones(x.shape, dtype=torch.float64), p, training=True)
    mask = (probe != 0).numpy().astype(np.int64)
    assert 0 < mask.sum() < mask.size
    layer = Dropout(p, rng=rng, mode=mode).train(training)
    layer.fix_mask(mask)
    scale = (1 - p) if mode == "classic" else 1.0
    compare_layer(layer, x, lambda x_t: _torch_dropout(x_t, p, training) * scale, {}, rng)


def test_residual_matches_torch():
    rng = np.random.default_rng(2)
    block = nn.Sequential(nn.Linear(5, 6, rng=rng), nn.ReLU(), nn.Linear(6, 5, rng=rng))
    layer = Residual(block, activation="relu")
    for sub in block.layers:
        if "b" in sub.params:
            sub.params["b"][:] = rng.standard_normal(sub.params["b"].shape)
    p = {k: t(v) for k, v in layer.params.items()}

    def reference(x):
        branch = torch.relu(x @ p["block.0.W"] + p["block.0.b"]) @ p["block.2.W"] + p["block.2.b"]
        return torch.relu(x + branch)

    compare_layer(layer, rng.standard_normal((4, 5)), reference, p, rng)


def test_residual_conv_projection_matches_torch():
    rng = np.random.default_rng(3)
    block = nn.Sequential(Conv2D(2, 4, 3, stride=2, padding=1, rng=rng), nn.Tanh())
    layer = Residual(block, projection=projection_for((2, 8, 8), (4, 4, 4), rng=rng))
    p = {k: t(v) for k, v in layer.params.items()}

    def reference(x):
        branch = torch.tanh(F.conv2d(x, p["block.0.W"], p["block.0.b"], stride=2, padding=1))
        return F.conv2d(x, p["projection.W"], p["projection.b"], stride=2) + branch

    compare_layer(layer, rng.standard_normal((2, 2, 8, 8)), reference, p, rng)


# --- the lessons' layers that run a student's function (with the package's function in it) ---------
def test_lesson_dropout_layer_matches_torch():
    """Notebook 04's FunctionDropout: the mask it draws, applied by torch, gives the same passes."""
    from lecture_nn.lessons.dropout.exercises import package_inverted_dropout
    from lecture_nn.lessons.dropout.your_dropout import FunctionDropout

    rng = np.random.default_rng(4)
    x = rng.standard_normal((6, 9))
    p = 0.3
    layer = FunctionDropout(package_inverted_dropout, p, rng=np.random.default_rng(5))
    probe = FunctionDropout(package_inverted_dropout, p, rng=np.random.default_rng(5))
    keep = probe.forward(np.ones_like(x)) != 0          # the same generator draws the same mask
    assert 0 < keep.sum() < keep.size
    compare_layer(layer, x, lambda x_t: x_t * t(keep, grad=False) / (1 - p), {}, rng)


def test_lesson_residual_block_matches_torch():
    """Notebook 07's BlockWithBackward with the package's backward: a + ReLU(a W1 + b1) W2 + b2."""
    from lecture_nn.lessons.residual.blocks import BlockWithBackward, package_residual_backward

    rng = np.random.default_rng(6)
    layer = BlockWithBackward(5, 7, package_residual_backward, rng=rng)
    for name in ("b1", "b2"):
        layer.params[name][:] = rng.standard_normal(layer.params[name].shape)
    p = {k: t(v) for k, v in layer.params.items()}
    compare_layer(layer, rng.standard_normal((4, 5)),
                  lambda x: x + torch.relu(x @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"], p, rng)


def test_lesson_convolution_layer_matches_torch():
    """Notebook 05's FunctionConv2D with the package's conv2d_fast in it: a padded, stride-1 convolution."""
    from lecture_nn.lessons.convolution.your_conv import FunctionConv2D

    rng = np.random.default_rng(7)
    layer = FunctionConv2D(conv2d_fast, 2, 3, 3, padding=1, rng=rng)
    layer.params["b"][:] = rng.standard_normal(3)
    p = {k: t(v) for k, v in layer.params.items()}
    compare_layer(layer, rng.standard_normal((2, 2, 6, 5)),
                  lambda x: F.conv2d(x, p["W"], p["b"], padding=1), p, rng)


def test_lesson_pooling_layer_matches_torch():
    """Notebook 06's FunctionMaxPool with the package's backward in it."""
    from lecture_nn.lessons.convnets.exercises import package_maxpool_backward
    from lecture_nn.lessons.convnets.your_pooling import FunctionMaxPool

    rng = np.random.default_rng(8)
    compare_layer(FunctionMaxPool(package_maxpool_backward, 2), rng.standard_normal((2, 3, 6, 7)),
                  lambda x: F.max_pool2d(x, 2), {}, rng)


def test_small_convnet_end_to_end_matches_torch():
    """Conv → ReLU → MaxPool → Flatten → Linear → softmax cross-entropy (Fig. 12's shape)."""
    rng = np.random.default_rng(4)
    model = nn.Sequential(Conv2D(1, 3, 5, rng=rng), nn.ReLU(), MaxPool2D(2), Flatten(),
                          nn.Linear(3 * 4 * 4, 10, rng=rng))
    X = rng.standard_normal((3, 1, 12, 12))
    y = np.array([1, 7, 3])
    loss, dz = nn.softmax_cross_entropy(y, model.forward(X))
    model.backward(dz)
    p = {k: t(v) for k, v in model.params.items()}
    h = F.max_pool2d(torch.relu(F.conv2d(t(X, False), p["0.W"], p["0.b"])), 2)
    z = torch.flatten(h, 1) @ p["4.W"] + p["4.b"]
    loss_t = F.cross_entropy(z, torch.tensor(y))
    loss_t.backward()
    assert_close(loss, loss_t, "loss")
    for name, param in p.items():
        assert_close(model.grads[name], param.grad, f"grad {name}")


# --- coverage: a new layer or loss needs an oracle test here ------------------------
ORACLE_LAYERS = {"Linear", "Sequential", "ReLU", "Sigmoid", "Tanh", "Identity", "Conv2D",
                 "MaxPool2D", "AvgPool2D", "Flatten", "Dropout", "Residual",
                 "FunctionDropout", "BlockWithBackward", "FunctionConv2D", "FunctionMaxPool"}


def _package_layer_classes():
    import importlib
    import inspect
    import pkgutil

    import lecture_nn
    from lecture_nn.activations import Activation
    from lecture_nn.layers import Container, Layer

    found = set()
    for info in pkgutil.walk_packages(lecture_nn.__path__, "lecture_nn."):
        if ".widgets" in info.name:
            continue
        module = importlib.import_module(info.name)
        for name, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, Layer) and obj.__module__.startswith("lecture_nn") \
                    and obj not in (Layer, Activation, Container) and not name.startswith("_"):
                found.add(name)
    return found


def test_every_layer_has_an_oracle_test():
    missing = _package_layer_classes() - ORACLE_LAYERS
    assert not missing, f"layers without a PyTorch oracle test in this file: {sorted(missing)}"


def test_every_loss_has_an_oracle_test():
    missing = set(nn.losses.LOSSES) - set(TORCH_LOSSES)
    assert not missing, f"losses without a PyTorch oracle test in this file: {sorted(missing)}"

