"""One epoch of notebook 06's convnet on the MNIST subset (its 4,000 training digits).

``notebook06_convnet`` repeats the architecture that notebook 06 builds inline
(keep the two in step) with its optimiser settings (batch 32, SGD with learning
rate 0.05 and momentum 0.9). The PyTorch model is a layer-by-layer translation
of the lecture_nn model with the same initial weights, trained by the same
loop: shuffle with the same seed, then per mini-batch forward, softmax
cross-entropy, backward and SGD update (no per-epoch evaluation, which ``fit`` adds).
"""
from __future__ import annotations

import numpy as np

from availability import NotAvailable
from case import SEED, Case

BATCH_SIZE = 32
LR, MOMENTUM = 0.05, 0.9


def notebook06_convnet(rng, dtype):
    """Conv(1→12, 5×5) → max-pool 2 → ReLU → Conv(12→24, 3×3) → max-pool 2 → ReLU → Linear(600→10)."""
    try:
        from lecture_nn import Linear, ReLU, Sequential
        from lecture_nn import Conv2D
        from lecture_nn.layers import Flatten
        from lecture_nn.pooling import MaxPool2D
    except ImportError as exc:
        raise NotAvailable(f"a layer of the convnet is missing ({exc})") from exc
    kw = dict(rng=rng, dtype=dtype)
    return Sequential(Conv2D(1, 12, 5, **kw), MaxPool2D(2), ReLU(),
                      Conv2D(12, 24, 3, **kw), MaxPool2D(2), ReLU(),
                      Flatten(), Linear(24 * 5 * 5, 10, **kw))


def lecture_nn_model(dtype):
    return notebook06_convnet(np.random.default_rng(SEED), dtype)


def _data(dtype):
    from lecture_nn.data import load_mnist_subset

    split = load_mnist_subset(images=True)
    return split.X_train.astype(dtype), split.y_train.astype(np.int64)


def _batches(n):
    order = np.random.default_rng(SEED).permutation(n)
    return [order[start:start + BATCH_SIZE] for start in range(0, n, BATCH_SIZE)]


def build_lecture_nn(dtype):
    from lecture_nn import SGD, softmax_cross_entropy

    X, y = _data(dtype)
    model = lecture_nn_model(dtype)
    optimiser = SGD(model, lr=LR, momentum=MOMENTUM)
    batches = _batches(len(X))

    def epoch():
        model.train()
        for idx in batches:
            _, dz = softmax_cross_entropy(y[idx], model.forward(X[idx]))
            model.backward(dz, input_grad=False)   # as in PyTorch: no gradient for the data
            optimiser.step()
    return epoch


def to_torch(model, dtype):
    """The same network in PyTorch, with copies of the lecture_nn parameters."""
    import torch

    def convert(layer):
        kind = type(layer).__name__
        if kind == "Conv2D":
            out_c, in_c, k, _ = layer.params["W"].shape
            t = torch.nn.Conv2d(in_c, out_c, k, stride=layer.stride, padding=layer.padding)
            t.weight.data = torch.tensor(layer.params["W"])
            t.bias.data = torch.tensor(layer.params["b"])
            return t
        if kind == "Linear":
            t = torch.nn.Linear(layer.n_in, layer.n_out)
            t.weight.data = torch.tensor(layer.params["W"].T.copy())  # ours is (in, out)
            t.bias.data = torch.tensor(layer.params["b"])
            return t
        simple = {"ReLU": torch.nn.ReLU, "Flatten": torch.nn.Flatten, "Tanh": torch.nn.Tanh,
                  "Sigmoid": torch.nn.Sigmoid, "Identity": torch.nn.Identity}
        if kind in simple:
            return simple[kind]()
        if kind in ("MaxPool2D", "AvgPool2D"):
            pool = torch.nn.MaxPool2d if kind == "MaxPool2D" else torch.nn.AvgPool2d
            return pool(layer.size, layer.stride)
        raise NotAvailable(f"no PyTorch translation for layer {kind}")

    return torch.nn.Sequential(*(convert(layer) for layer in model.layers)).to(getattr(torch, dtype))


def build_torch(dtype):
    import torch

    X, y = _data(dtype)
    X, y = torch.from_numpy(X), torch.from_numpy(y)
    model = to_torch(lecture_nn_model(dtype), dtype)
    optimiser = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    batches = [torch.from_numpy(idx) for idx in _batches(len(X))]

    def epoch():
        model.train()
        for idx in batches:
            optimiser.zero_grad()
            torch.nn.functional.cross_entropy(model(X[idx]), y[idx]).backward()
            optimiser.step()
    return epoch


CASES = [Case("Convnet epoch", f"notebook 06 convnet, 4000 digits, batch {BATCH_SIZE}",
              {"lecture_nn": build_lecture_nn, "torch": build_torch},
              floors={"float64": 2.0}, description="one training epoch of the convnet")]
