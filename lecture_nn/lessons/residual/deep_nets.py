"""Deep dense networks with and without skip connections, and their per-layer gradient sizes (§5.3).

Layers are numbered as in the notes: the input is layer 1 (a¹ = x), the first hidden layer is
layer 2 with weight matrix W², and the output is layer L. ``depth`` counts the weight layers
(Linear layers), so a network of ``depth`` D has L = D + 1 and weight matrices W², …, W^L.

The plain network is :func:`lecture_nn.mlp` with ``depth`` Linear layers of ``width`` units;
:func:`residual_network` wraps its middle layers in skips, so the two have the same number of
parameters, and from the same generator they draw the same He weights:

* plain:    Linear → [ReLU → Linear] × (depth − 2) → ReLU → Linear   (:func:`plain_sizes`)
* residual: Linear → [Residual(ReLU → Linear)] × (depth − 2) → ReLU → Linear

They do not start alike: the residual network shrinks its B = depth − 2 middle weight matrices
by 1/√B (:func:`default_branch_scale`). ``middle_scale`` of :func:`plain_network`,
``branch_scale`` of :func:`residual_network` and ``middle_scale`` of :func:`depth_experiment`
give either kind the other's start, the control that separates the skips from the scale.
"""
from __future__ import annotations

import numpy as np

from lecture_nn.checks import as_float_array, positive_int, real_number
from lecture_nn.activations import ReLU
from lecture_nn.layers import Linear, Sequential
from lecture_nn.models import mlp
from lecture_nn.losses import get_loss
from lecture_nn.residual import Residual
from lecture_nn.data import make_spirals
from lecture_nn.training import TrainingDiverged, accuracy, fit


def _check_sizes(depth, width, n_in, n_out):
    depth = positive_int(depth, "depth", minimum=2)
    return depth, positive_int(width, "width"), positive_int(n_in, "n_in"), positive_int(n_out, "n_out")


def plain_sizes(depth: int, width: int, n_in: int, n_out: int) -> list[int]:
    """The ``sizes`` for :func:`lecture_nn.mlp` of a plain network with ``depth`` Linear layers."""
    depth, width, n_in, n_out = _check_sizes(depth, width, n_in, n_out)
    return [n_in] + [width] * (depth - 1) + [n_out]


def default_branch_scale(depth: int) -> float:
    """1/√B for a network of ``depth`` weight layers, B = depth − 2 blocks (1 when B ≤ 1)."""
    depth = positive_int(depth, "depth", minimum=2)
    return 1.0 / np.sqrt(max(depth - 2, 1))


def _middle_linears(model) -> list:
    return [layer for layer in model.layers if isinstance(layer, Linear)][1:-1]


def plain_network(depth: int, width: int, n_in: int, n_out: int, rng=None,
                  middle_scale: float = 1.0) -> Sequential:
    """The plain network ``mlp(plain_sizes(...))``, its middle weight matrices W³ … W^{L−1}
    multiplied by ``middle_scale`` (1: He weights; :func:`default_branch_scale`: the residual
    network's start without its skips)."""
    depth, width, n_in, n_out = _check_sizes(depth, width, n_in, n_out)
    middle_scale = real_number(middle_scale, "middle_scale", 0, strict=True)
    model = mlp(plain_sizes(depth, width, n_in, n_out), rng=rng)
    for layer in _middle_linears(model):
        layer.params["W"] *= middle_scale
    return model


def residual_network(depth: int, width: int, n_in: int, n_out: int, rng=None,
                     branch_scale: float | None = None) -> Sequential:
    """The plain network with each middle layer wrapped as a block a ↦ a + W ReLU(a) + b.

    ``branch_scale`` multiplies each block's initial weights; the default
    1/√(number of blocks) keeps the forward signal bounded. (Every block adds
    its branch's variance to the signal's; with He weights that roughly
    doubles the mean square per block — measured on the spirals, the signal's
    norm grows 5·10⁴-fold over 38 blocks — while with the scaled branches the
    growth is at most about (1 + 1/B)^B < e for B blocks.)
    """
    depth, width, n_in, n_out = _check_sizes(depth, width, n_in, n_out)
    n_blocks = depth - 2
    scale = default_branch_scale(depth) if branch_scale is None else \
        real_number(branch_scale, "branch_scale", 0, strict=True)
    layers = [Linear(n_in, width, rng=rng)]
    for _ in range(n_blocks):
        branch = Linear(width, width, rng=rng)
        branch.params["W"] *= scale
        layers.append(Residual(Sequential(ReLU(), branch)))
    layers += [ReLU(), Linear(width, n_out, rng=rng)]
    return Sequential(*layers)


def weight_gradient_norms(model, X, y, loss="softmax_cross_entropy") -> np.ndarray:
    """‖∂ℓ/∂W^l‖ (Frobenius) for every weight matrix of ``model``: W² (the first) first, W^L last.

    One forward and backward pass of the mean loss on (X, y); works for any
    model whose parameters are named ``"...W"`` (plain or with residual
    blocks), in the order the model lists them. Gradients are left in
    ``model.grads``.
    """
    loss_fn = get_loss(loss)
    X = as_float_array(X, "X", ndim=(2, 4))
    _, dz = loss_fn(y, model.forward(X))
    model.backward(dz)
    norms = [np.linalg.norm(g) for name, g in model.grads.items() if name.split(".")[-1] == "W"]
    if not norms:
        raise ValueError("the model has no weight matrix (parameter named 'W')")
    return np.array(norms)


def delta_norms(model, X, y, loss="softmax_cross_entropy") -> np.ndarray:
    """‖δ^l‖ = ‖∂ℓ/∂z^l‖ (Frobenius, over the batch) for l = 2, …, L: the layer-2 entry first.

    One forward and backward pass of the mean loss on (X, y) through a plain or residual
    network of this module (a ``Sequential`` whose weight layers are ``Linear`` layers and
    ``Residual`` blocks ending in a ``Linear``). In a block a ↦ a + W ReLU(a) + b the branch's
    z^l = W ReLU(a) + b enters the output as a plus z^l, so δ^l is the gradient that reaches
    the block's output. Unlike ‖∂ℓ/∂W^l‖ = ‖(a^{l−1})ᵀ δ^l‖, it does not depend on the width
    and size of the layer's input (for W² the 2-d input). Gradients are left in ``model.grads``.
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"model must be a Sequential network, got {type(model).__name__}")
    for layer in model.layers:
        if isinstance(layer, Residual) and (layer.projection is not None or layer.activation is not None
                                            or not isinstance(layer.block, Sequential)
                                            or not isinstance(layer.block.layers[-1], Linear)):
            raise ValueError("delta_norms takes blocks a + F(a) with an identity skip, nothing after the sum "
                             "and a branch F that ends in a Linear layer")
    loss_fn = get_loss(loss)
    X = as_float_array(X, "X", ndim=2)
    _, grad = loss_fn(y, model.forward(X))
    norms = []
    for layer in reversed(model.layers):
        if isinstance(layer, (Linear, Residual)):
            norms.append(np.linalg.norm(grad))
        grad = layer.backward(grad)
    if not norms:
        raise ValueError("the model has no weight layer (Linear or Residual)")
    return np.array(norms[::-1])


def signal_at_initialisation(model, X) -> dict:
    """What reaches the output layer, compared with what leaves the first hidden layer, on the inputs X.

    ``model`` starts with a Linear layer and ends with ReLU → Linear (as both
    kinds of network here do). With z²(x) the first hidden layer's weighted input
    (the first Linear layer's output) and h(x) = a^{L−1}(x) the last ReLU's output
    (the input of the output layer L):

    * ``growth`` = RMSₓ‖h(x)‖ / RMSₓ‖z²(x)‖: how much the signal's size changed
      on its way through the middle layers;
    * ``spread`` = RMSₓ‖h(x) − h̄‖ / ‖h̄‖ with h̄ the mean of h(x) over X: how
      different the inputs still look at the end, relative to the typical vector.
      Near 0 would mean every input reaches the output layer as the same vector.
    """
    X = as_float_array(X, "X", ndim=2)
    if len(model.layers) < 3 or not isinstance(model.layers[-2], ReLU):
        raise ValueError("the model must end with ReLU → Linear")
    h = X
    try:
        for layer in model.layers[:-1]:
            h = layer.forward(h)
            if layer is model.layers[0]:
                first = h
    finally:
        model.clear_cache()

    def rms_norm(a):
        return np.sqrt(np.mean(np.sum(a ** 2, axis=1)))

    mean = h.mean(axis=0)
    return {"growth": float(rms_norm(h) / rms_norm(first)),
            "spread": float(rms_norm(h - mean) / np.linalg.norm(mean))}


def spiral_task(n: int = 300, seed: int = 0):
    """The task of notebook 07: 3-class spirals, ``n`` training and ``n`` fresh test points.

    Returns (X_train, y_train, X_test, y_test); the test points come from a
    separate generator (``seed + 1``).
    """

    X, y = make_spirals(n=n, rng=np.random.default_rng(seed))
    X_test, y_test = make_spirals(n=n, rng=np.random.default_rng(seed + 1))
    return X, y, X_test, y_test


def depth_experiment(depth: int, residual: bool, width: int = 32, epochs: int = 30,
                     lr: float = 0.02, seed: int = 0, task=None, middle_scale: float | None = None) -> dict:
    """Build a plain or residual network, measure its gradients at initialisation, train it.

    Parameters
    ----------
    depth : number of Linear (weight) layers D; the output is layer L = D + 1
    residual : wrap the middle layers in skip connections (:func:`residual_network`)
    width, epochs, lr : hidden width, SGD epochs (0: no training), step size
    seed : seeds the weights and the order of the examples; the same seed gives a plain and a
        residual network the same He weights before ``middle_scale``
    task : (X_train, y_train, X_test, y_test); default :func:`spiral_task`
    middle_scale : factor on the middle weight matrices W³ … W^{L−1}; default each kind's own
        (1 for plain, :func:`default_branch_scale` for residual)

    Returns
    -------
    dict with ``model``, ``grad_norms`` (‖∂ℓ/∂W^l‖ at initialisation on the training set for
    l = 2, …, L), ``delta_norms`` (‖δ^l‖ likewise, :func:`delta_norms`), ``signal``
    (:func:`signal_at_initialisation` on the training set), ``loss`` (mean training loss per
    epoch), ``diverged`` (True when SGD ran away: then ``loss`` is empty and
    ``test_accuracy`` NaN), ``test_accuracy`` and ``n_params``.
    """

    X, y, X_test, y_test = spiral_task() if task is None else task
    rng = np.random.default_rng(seed)
    n_out = int(max(y.max(), y_test.max())) + 1
    if residual:
        model = residual_network(depth, width, X.shape[1], n_out, rng=rng, branch_scale=middle_scale)
    else:
        model = plain_network(depth, width, X.shape[1], n_out, rng=rng,
                              middle_scale=1.0 if middle_scale is None else middle_scale)
    signal = signal_at_initialisation(model, X)
    deltas = delta_norms(model, X, y)
    grad_norms = np.array([np.linalg.norm(g) for name, g in model.grads.items() if name.split(".")[-1] == "W"])
    model.zero_grad()
    losses, diverged, test_accuracy = [], False, float("nan")
    if epochs:
        epochs = positive_int(epochs, "epochs")
        try:
            losses = list(fit(model, X, y, epochs=epochs, batch_size=32, lr=lr, rng=rng,
                              progress=False)["loss"])
        except TrainingDiverged:
            diverged = True
    if not diverged:
        test_accuracy = accuracy(model, X_test, y_test)
    return {"model": model, "grad_norms": grad_norms, "delta_norms": deltas, "signal": signal,
            "loss": losses, "diverged": diverged, "test_accuracy": test_accuracy,
            "n_params": model.n_params()}
