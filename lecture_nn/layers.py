"""The layer contract, the dense layer and the sequential container.

Every layer has

* ``forward(x)`` returning its output and caching what ``backward`` needs;
* ``backward(grad_out)`` taking ∂ℓ/∂(output), filling ``grads`` and returning
  ∂ℓ/∂(input);
* ``params`` and ``grads``: dicts of arrays with the same keys (empty for
  layers without parameters);
* ``training``: True while training, False while evaluating; set it for a
  whole model with ``model.train()`` / ``model.eval()`` (dropout reads it).

Batches are in rows: a dense layer computes z = a @ W + b, which is the notes'
z^l = (W^l)^T a^{l-1} + b^l applied to every row a^{l-1} of the batch.
"""
from __future__ import annotations

import numpy as np

from ._validation import as_float_array, positive_int
from .init import get_initialiser


class Layer:
    """Base class: no parameters, identity forward/backward, train/eval switch."""

    def __init__(self):
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.training = True

    def __call__(self, x):
        return self.forward(x)

    def forward(self, x):
        raise NotImplementedError

    def backward(self, grad_out):
        raise NotImplementedError

    def train(self, mode: bool = True):
        """Switch to training mode (``mode=False``: evaluation); returns self."""
        self.training = bool(mode)
        return self

    def eval(self):
        """Switch to evaluation mode; returns self."""
        return self.train(False)

    def zero_grad(self):
        for key, value in self.params.items():
            self.grads[key] = np.zeros_like(value)

    def n_params(self) -> int:
        """Number of scalar parameters."""
        return int(sum(p.size for p in self.params.values()))

    # -- helpers for subclasses --------------------------------------------
    def _check_input(self, x, ndim=None):
        return as_float_array(x, f"{type(self).__name__} input", ndim=ndim, finite=False)

    def _check_grad(self, grad_out, shape):
        grad_out = as_float_array(grad_out, f"{type(self).__name__} grad_out", finite=False)
        if grad_out.shape != tuple(shape):
            raise ValueError(f"{type(self).__name__}.backward expected grad_out of shape "
                             f"{tuple(shape)} (the forward output), got {grad_out.shape}")
        return grad_out

    def _cached(self, attr):
        value = getattr(self, attr, None)
        if value is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        return value


class Linear(Layer):
    """Dense layer z = a @ W + b (notes: z^l = (W^l)^T a^{l-1} + b^l).

    Parameters
    ----------
    n_in, n_out : int
        n_{l-1} and n_l, the widths of the previous and this layer.
    rng : numpy.random.Generator
        Source of the random initial weights.
    init : str or callable
        Weight initialiser (see :mod:`lecture_nn.init`), default ``"he"``.
        Biases start at 0.
    dtype : float32 or float64

    Shapes: ``params["W"]`` (n_in, n_out), ``params["b"]`` (n_out,);
    forward maps a (n, n_in) to z (n, n_out).
    Backward (eq. 5 of the procedure, for a batch): ∂ℓ/∂W = aᵀ δ,
    ∂ℓ/∂b = Σ_rows δ, and ∂ℓ/∂a = δ Wᵀ.

    ``needs_input_grad`` (default True): set it to False on the first layer of a
    network when nothing needs ∂ℓ/∂a of the data (plain training): backward then
    skips the product δ Wᵀ — a third of the layer's work — and returns None.

    Examples
    --------
    >>> import numpy as np
    >>> layer = Linear(3, 2, rng=np.random.default_rng(0))
    >>> layer.forward(np.ones((4, 3))).shape
    (4, 2)
    """

    def __init__(self, n_in: int, n_out: int, rng=None, init="he", dtype=np.float64):
        super().__init__()
        self.n_in = positive_int(n_in, "n_in")
        self.n_out = positive_int(n_out, "n_out")
        initialiser = get_initialiser(init)
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"dtype must be float32 or float64, got {dtype}")
        W = initialiser((self.n_in, self.n_out), rng=rng, fan_in=self.n_in,
                        fan_out=self.n_out, dtype=dtype)
        self.params = {"W": np.asarray(W, dtype=dtype), "b": np.zeros(self.n_out, dtype=dtype)}
        self.zero_grad()
        self.needs_input_grad = True
        self._a = None

    def forward(self, a):
        a = self._check_input(a, ndim=2)
        if a.shape[1] != self.n_in:
            raise ValueError(f"Linear({self.n_in}, {self.n_out}) expected input of shape "
                             f"(n, {self.n_in}), got {a.shape}")
        self._a = a
        return a @ self.params["W"] + self.params["b"]

    def backward(self, delta):
        a = self._cached("_a")
        delta = self._check_grad(delta, (a.shape[0], self.n_out))
        self.grads["W"] = a.T @ delta
        self.grads["b"] = delta.sum(axis=0)
        if not self.needs_input_grad:
            return None
        return delta @ self.params["W"].T

    def __repr__(self):
        return f"Linear({self.n_in}, {self.n_out})"


class Container(Layer):
    """A layer built from other layers (``Sequential``, ``Residual``).

    Subclasses name their parts in :meth:`children`; ``params`` and ``grads``
    then expose every part's arrays as ``"<child name>.<key>"`` (the parts' own
    arrays, so an in-place update changes the part), and ``train``/``eval``/
    ``zero_grad`` reach every part.
    """

    def children(self) -> list[tuple[str, Layer]]:
        """The parts as (name, layer) pairs."""
        raise NotImplementedError

    @property
    def params(self):
        return {f"{name}.{k}": v for name, layer in self.children() for k, v in layer.params.items()}

    @params.setter
    def params(self, value):
        if value:
            raise AttributeError(f"set parameters on the layers inside a {type(self).__name__}")

    @property
    def grads(self):
        return {f"{name}.{k}": v for name, layer in self.children() for k, v in layer.grads.items()}

    @grads.setter
    def grads(self, value):
        if value:
            raise AttributeError(f"gradients belong to the layers inside a {type(self).__name__}")

    def train(self, mode: bool = True):
        self.training = bool(mode)
        for _, layer in self.children():
            layer.train(mode)
        return self

    def zero_grad(self):
        for _, layer in self.children():
            layer.zero_grad()


class Sequential(Container):
    """Layers applied one after another: the feedforward network of Fig. 2.

    ``params`` and ``grads`` expose every layer's arrays under the names
    ``"<index>.<key>"`` (e.g. ``"0.W"``, ``"2.b"``); the arrays are the layers'
    own, so an in-place update changes the layer.
    """

    def __init__(self, *layers: Layer):
        super().__init__()
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"Sequential takes layers, got {type(layer).__name__} "
                                f"at position {i}")
        self.layers = list(layers)

    def children(self):
        return [(str(i), layer) for i, layer in enumerate(self.layers)]

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad_out):
        for layer in reversed(self.layers):
            grad_out = layer.backward(grad_out)
        return grad_out

    def __getitem__(self, i):
        return self.layers[i]

    def __len__(self):
        return len(self.layers)

    def __repr__(self):
        inner = ",\n  ".join(repr(layer) for layer in self.layers)
        return f"Sequential(\n  {inner}\n)"


def mlp(sizes, activation="relu", rng=None, init="he", output_activation="identity",
        dtype=np.float64) -> Sequential:
    """A multilayer perceptron: Linear layers of the given ``sizes`` with activations between.

    ``mlp([2, 16, 1], "relu", rng)`` is Linear(2,16) → ReLU → Linear(16,1) → Identity.
    """
    from .activations import get_activation

    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least the input and output widths, got {sizes}")
    layers: list[Layer] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Linear(n_in, n_out, rng=rng, init=init, dtype=dtype))
        last = i == len(sizes) - 2
        layers.append(get_activation(output_activation if last else activation))
    if isinstance(layers[-1], Layer) and type(layers[-1]).__name__ == "Identity":
        layers.pop()
    return Sequential(*layers)
