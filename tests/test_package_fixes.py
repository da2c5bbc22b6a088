"""Regression tests for the package issue: no silent wrong answers, bounded memory, a layout that
shows the framework apart from the lessons."""
import ast
import pathlib
import types

import numpy as np
import pytest

import lecture_nn as nn
from lecture_nn.gradcheck import check_model_gradients, relative_error, worst
from lecture_nn.lessons.convolution import conv2d_loop, conv_matrix

PACKAGE = pathlib.Path(nn.__file__).parent


# --- one layer object at two places ------------------------------------------------------
def test_a_layer_at_two_places_is_refused():
    rng = np.random.default_rng(0)
    lin = nn.Linear(3, 3, rng=rng)
    with pytest.raises(ValueError, match="two places, '0' and '2'"):
        nn.Sequential(lin, nn.Tanh(), lin, nn.Linear(3, 2, rng=rng))
    tanh = nn.Tanh()
    with pytest.raises(ValueError, match="same layer object"):
        nn.Sequential(nn.Linear(3, 3, rng=rng), tanh, nn.Linear(3, 3, rng=rng), tanh)


def test_a_layer_shared_across_nested_containers_is_refused():
    rng = np.random.default_rng(0)
    inner = nn.Linear(4, 4, rng=rng)
    with pytest.raises(ValueError, match=r"'0.block.0' and '1'"):
        nn.Sequential(nn.Residual(nn.Sequential(inner, nn.ReLU())), inner)
    with pytest.raises(ValueError, match="same layer object"):
        nn.Residual(inner, projection=inner)
    block = nn.Sequential(nn.Linear(4, 4, rng=rng), nn.ReLU())
    with pytest.raises(ValueError, match="same layer object"):
        nn.Sequential(block, block)


@pytest.mark.parametrize("activation", [nn.Tanh(), nn.Tanh, "tanh"], ids=["object", "class", "name"])
def test_mlp_gives_every_position_its_own_activation(activation):
    rng = np.random.default_rng(0)
    model = nn.mlp([3, 5, 5, 2], activation=activation, rng=rng)
    activations = [layer for layer in model.layers if isinstance(layer, nn.Tanh)]
    assert len(activations) == 2 and activations[0] is not activations[1]
    if isinstance(activation, nn.Layer):
        assert all(layer is not activation for layer in activations)
    X, y = rng.standard_normal((6, 3)), rng.integers(0, 2, 6)
    assert worst(check_model_gradients(model, "softmax_cross_entropy", X, y, eps=1e-5)) < 1e-7


# --- gradient checks cannot hide a NaN ---------------------------------------------------
class _NaNBiasLinear(nn.Linear):
    """A broken layer: its bias gradient is NaN."""

    def backward(self, delta, input_grad=True):
        out = super().backward(delta, input_grad)
        self.grads["b"] = np.full_like(self.grads["b"], np.nan)
        return out


def test_a_nan_gradient_makes_the_error_infinite():
    rng = np.random.default_rng(0)
    model = nn.Sequential(_NaNBiasLinear(3, 2, rng=rng))
    errors = check_model_gradients(model, "softmax_cross_entropy", rng.standard_normal((4, 3)),
                                   rng.integers(0, 2, 4))
    assert errors["0.W"] < 1e-7
    assert errors["0.b"] == np.inf
    assert worst(errors) == np.inf
    assert max(errors.values()) == np.inf      # even a plain max sees it


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_relative_error_of_a_non_finite_gradient_is_infinite(bad):
    good = np.ones(3)
    broken = np.array([1.0, bad, 1.0])
    assert relative_error(broken, good) == np.inf
    assert relative_error(good, broken) == np.inf
    assert worst({"a": 0.0, "b": float("nan")}) == np.inf


# --- (height, width) pairs, never cut -----------------------------------------------------
def test_the_issues_pair_examples():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 1, 8, 8))
    assert nn.Conv2D(1, 1, 3, stride=(1, 2), rng=rng).forward(x).shape == (1, 1, 6, 3)
    assert nn.Conv2D(1, 1, 3, padding=(0, 2), rng=rng).forward(x).shape == (1, 1, 6, 10)
    assert nn.output_size((8, 8), 3, stride=(1, 2)) == (6, 3)
    assert nn.output_size(8, (3, 1), padding=(0, 2)) == (6, 12)


@pytest.mark.parametrize("kernel, stride, padding", [((2, 3), (2, 1), (1, 0)), (3, (1, 2), (0, 1)),
                                                     ((3, 2), 1, (1, 2))])
def test_conv2d_with_pairs_passes_the_gradient_check_and_matches_the_loops(kernel, stride, padding):
    rng = np.random.default_rng(1)
    layer = nn.Conv2D(2, 3, kernel, stride=stride, padding=padding, rng=rng)
    layer.params["b"][:] = rng.standard_normal(3)
    x = rng.standard_normal((2, 2, 7, 6))
    np.testing.assert_allclose(layer.forward(x), conv2d_loop(x, layer.params["W"], layer.params["b"],
                                                             stride=stride, padding=padding),
                               rtol=1e-12, atol=1e-12)
    assert max(nn.check_layer_gradients(layer, x, rng=rng).values()) < 1e-7


@pytest.mark.parametrize("pool", [nn.MaxPool2D, nn.AvgPool2D])
@pytest.mark.parametrize("size, stride", [((2, 3), None), ((2, 3), (1, 2)), (2, (2, 1))])
def test_pooling_with_pairs_passes_the_gradient_check(pool, size, stride):
    rng = np.random.default_rng(2)
    x = rng.permutation(np.arange(2 * 2 * 6 * 7) * 0.01).reshape(2, 2, 6, 7)   # no ties
    layer = pool(size, stride=stride)
    kh, kw = (size, size) if isinstance(size, int) else size
    sh, sw = (kh, kw) if stride is None else ((stride, stride) if isinstance(stride, int) else stride)
    assert layer.forward(x).shape == (2, 2, (6 - kh) // sh + 1, (7 - kw) // sw + 1)
    assert max(nn.check_layer_gradients(layer, x, rng=rng).values()) < 1e-7


def test_conv_matrix_with_pairs_is_the_convolution():
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((6, 7)), rng.standard_normal((2, 3))
    for stride, padding in [((2, 1), (1, 0)), ((1, 3), (0, 2))]:
        M = conv_matrix(x.shape, w, stride=stride, padding=padding)
        expected = conv2d_loop(x, w, stride=stride, padding=padding)
        np.testing.assert_allclose(M @ x.ravel(), expected.ravel(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("make", [
    lambda value: nn.Conv2D(1, 1, 3, stride=value, rng=np.random.default_rng(0)),
    lambda value: nn.Conv2D(1, 1, value, rng=np.random.default_rng(0)),
    lambda value: nn.MaxPool2D(value),
    lambda value: nn.output_size(8, 3, stride=value),
], ids=["conv stride", "conv kernel", "pool size", "output_size"])
@pytest.mark.parametrize("value, error", [((1, 2, 3), ValueError), ((0, 1), ValueError),
                                          ((1.5, 1), TypeError), ((True, 1), TypeError)])
def test_bad_pairs_are_refused_clearly(make, value, error):
    with pytest.raises(error, match="integer"):
        make(value)


# --- NumPy scalars are numbers ------------------------------------------------------------
def test_numpy_scalars_are_accepted_wherever_python_numbers_are():
    rng = np.random.default_rng(0)
    model = nn.mlp([2, 3, 2], rng=rng, dropout=np.float32(0.25))
    opt = nn.SGD(model, lr=np.float32(0.1), momentum=np.float64(0.5))
    assert isinstance(opt.lr, float) and opt.lr == pytest.approx(0.1)
    nn.Conv2D(np.int64(1), np.int32(2), np.int64(3), stride=np.int64(1), padding=np.int8(1), rng=rng)
    nn.MaxPool2D(np.int64(2))
    nn.l2_penalty(model.params, np.float32(0.01))
    nn.data.make_moons(np.int64(10), noise=np.float32(0.1), rng=rng)
    X, y = nn.data.make_moons(20, rng=rng)
    nn.fit(model, X, y, epochs=np.int64(1), batch_size=np.int32(5), lr=np.float32(0.1), rng=rng,
           progress=False)
    with pytest.raises(TypeError, match="real number"):
        nn.SGD(model, lr="0.1")
    with pytest.raises(ValueError, match="> 0"):
        nn.SGD(model, lr=np.float32(-0.1))


# --- bounded memory ------------------------------------------------------------------------
def held_bytes(obj, seen=None) -> int:
    """Bytes of the distinct arrays reachable from ``obj``'s attributes (layers, dicts, lists)."""
    seen = set() if seen is None else seen
    if isinstance(obj, np.ndarray):
        base = obj
        while isinstance(base.base, np.ndarray):
            base = base.base
        if id(base) in seen:
            return 0
        seen.add(id(base))
        return base.nbytes
    if isinstance(obj, dict):
        return sum(held_bytes(v, seen) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return sum(held_bytes(v, seen) for v in obj)
    if hasattr(obj, "__dict__") and type(obj).__module__.startswith("lecture_nn"):
        if id(obj) in seen:
            return 0
        seen.add(id(obj))
        return sum(held_bytes(v, seen) for v in vars(obj).values())
    return 0


def notebook06_network(dtype):
    rng = np.random.default_rng(0)
    kw = dict(rng=rng, dtype=dtype)
    return nn.Sequential(nn.Conv2D(1, 12, 5, **kw), nn.MaxPool2D(2), nn.ReLU(),
                         nn.Conv2D(12, 24, 3, **kw), nn.MaxPool2D(2), nn.ReLU(),
                         nn.Flatten(), nn.Linear(24 * 5 * 5, 10, **kw))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_predicting_leaves_no_large_buffers_behind(dtype):
    rng = np.random.default_rng(0)
    model = notebook06_network(dtype)
    X = rng.random((1000, 1, 28, 28)).astype(dtype)
    y = rng.integers(0, 10, 1000)
    param_bytes = sum(p.nbytes for p in model.params.values())
    # one training step on a batch of 32: backward's cache and the scratch buffers stay
    _, dz = nn.softmax_cross_entropy(y[:32], model.forward(X[:32]))
    model.backward(dz)
    after_training = held_bytes(model)
    nn.predict(model, X)
    after_predict = held_bytes(model)
    # parameters and their gradients, nothing prediction-sized
    assert after_predict <= 2 * param_bytes + 2**20, (after_predict, param_bytes)
    assert after_predict <= after_training
    model.forward(X[:32])      # training again works as before
    model.backward(dz)


def test_eval_mode_frees_the_training_buffers():
    model = notebook06_network(np.float32)
    x = np.random.default_rng(0).random((64, 1, 28, 28), dtype=np.float32)
    model.forward(x)
    model.backward(np.ones((64, 10), dtype=np.float32))
    conv = model[0]
    assert conv.products._buffers
    model.eval()
    assert not conv.products._buffers
    model.forward(x)            # evaluation keeps no scratch buffer either
    assert not conv.products._buffers


def test_backward_after_clear_cache_says_what_happened():
    model = nn.mlp([2, 3, 2], rng=np.random.default_rng(0))
    model.forward(np.ones((4, 2)))
    model.clear_cache()
    with pytest.raises(RuntimeError, match="before forward"):
        model.backward(np.ones((4, 2)))


def test_evaluation_mode_restores_the_mode_even_on_error():
    model = nn.mlp([2, 3, 2], rng=np.random.default_rng(0), dropout=0.5)
    with pytest.raises(KeyError):
        with nn.evaluation_mode(model):
            assert not any(layer.training for layer in model.layers)
            raise KeyError("boom")
    assert model.training and all(layer.training for layer in model.layers)
    model.eval()
    with nn.evaluation_mode(model):
        pass
    assert not model.training


# --- the layout ----------------------------------------------------------------------------
def _modules():
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, path, ast.parse(path.read_text())


def test_the_framework_sits_at_the_top_and_the_lessons_below():
    top = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__")
    assert len(top) <= 21, top
    assert sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__") == ["lessons"]
    notebooks = {"start", "feedforward", "backprop", "training", "dropout", "convolution", "convnets",
                 "residual"}
    lessons = {p.name for p in (PACKAGE / "lessons").iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert lessons == notebooks
    for name in notebooks - {"start"}:
        assert (PACKAGE / "lessons" / name / "exercises.py").exists()
    for name in notebooks:
        assert (PACKAGE / "lessons" / name / "widgets.py").exists()


def test_all_lists_what_the_package_exposes():
    assert "Conv2D" in nn.__all__ and "mlp" in nn.__all__
    assert "TrainingDiverged" in nn.__all__     # what fit raises is caught as nn.TrainingDiverged
    for name in nn.__all__:
        assert hasattr(nn, name), name
    public = {n for n, v in vars(nn).items() if not n.startswith("_")
              and not isinstance(v, types.ModuleType)}
    assert public <= set(nn.__all__)


def test_no_import_cycle_and_no_hidden_imports():
    graph = {}
    for name, path, tree in _modules():
        deps = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("lecture_nn"):
                assert node.level == 0, f"{path}: relative import"
                deps.add(node.module)
                deps.update(f"{node.module}.{a.name}" for a in node.names)
        for fn in ast.walk(tree):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for node in ast.walk(fn):
                    if isinstance(node, (ast.Import, ast.ImportFrom)) and "lecture_nn" in ast.unparse(node):
                        pytest.fail(f"{path}:{node.lineno} imports inside a function (a hidden cycle?)")
        graph[name] = deps
    modules = set(graph)
    graph = {m: {d for d in deps if d in modules and d != m} for m, deps in graph.items()}
    # a package's __init__ may import its own submodules
    graph = {m: {d for d in deps if not d.startswith(m + ".")} for m, deps in graph.items()}
    state = {}

    def visit(m, stack):
        state[m] = "open"
        for d in graph[m]:
            if state.get(d) == "open":
                pytest.fail("import cycle: " + " -> ".join(stack + [m, d]))
            if d not in state:
                visit(d, stack + [m])
        state[m] = "done"

    for m in graph:
        if m not in state:
            visit(m, [])


def test_no_private_name_is_used_across_modules():
    for name, path, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("lecture_nn"):
                assert not any(part.startswith("_") for part in node.module.split(".")), \
                    f"{path}: imports the private module {node.module}"
                private = [a.name for a in node.names if a.name.startswith("_")]
                assert not private, f"{path}: imports private names {private} from {node.module}"
        text = path.read_text()
        assert "__name__ ==" not in text.replace('if __name__ == "__main__"', ""), \
            f"{path}: checks a class by its name"


def test_the_readable_loops_and_the_layer_agree_in_float32_too():
    rng = np.random.default_rng(4)
    layer = nn.Conv2D(3, 4, 3, padding=1, rng=rng, dtype=np.float32)
    x = rng.standard_normal((5, 3, 9, 8)).astype(np.float32)
    out = layer.forward(x)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, conv2d_loop(x.astype(np.float64), layer.params["W"].astype(np.float64),
                                                stride=1, padding=1), rtol=1e-4, atol=1e-4)


def test_every_folder_of_the_package_is_a_package():
    """A folder without __init__.py imports here (namespace package) but is left out of a wheel."""
    for folder in {path.parent for path in PACKAGE.rglob("*.py")}:
        assert (folder / "__init__.py").exists(), f"{folder} has no __init__.py"
