"""The MLP 784-256-10 training step on a batch of 128: forward, backward, SGD update."""
from __future__ import annotations

import numpy as np

from case import SEED, Case

SIZES = (784, 256, 10)
BATCH = 128
LR = 0.01


def _data(dtype):
    rng = np.random.default_rng(SEED)
    x = rng.standard_normal((BATCH, SIZES[0])).astype(dtype)
    y = rng.integers(0, SIZES[-1], size=BATCH)
    return x, y


def build_lecture_nn(dtype):
    from lecture_nn import SGD, mlp, softmax_cross_entropy

    x, y = _data(dtype)
    model = mlp(SIZES, "relu", rng=np.random.default_rng(SEED), dtype=dtype)
    optimiser = SGD(model, lr=LR)

    def step():
        scores = model.forward(x)
        _, dz = softmax_cross_entropy(y, scores)
        model.backward(dz, input_grad=False)   # as in PyTorch, where the data does not require grad
        optimiser.step()
    return step


def build_torch(dtype):
    import torch

    x, y = _data(dtype)
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    torch_dtype = getattr(torch, dtype)
    model = torch.nn.Sequential(torch.nn.Linear(SIZES[0], SIZES[1]), torch.nn.ReLU(),
                                torch.nn.Linear(SIZES[1], SIZES[2])).to(torch_dtype)
    optimiser = torch.optim.SGD(model.parameters(), lr=LR)

    def step():
        optimiser.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimiser.step()
    return step


CASES = [Case("MLP", "784-256-10, batch 128", {"lecture_nn": build_lecture_nn, "torch": build_torch},
              floors={"float32": 1.2, "float64": 2.0},
              description="one training step: forward, softmax cross-entropy, backward, SGD update")]
