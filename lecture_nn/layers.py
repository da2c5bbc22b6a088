"""The layer contract, the dense layer and the sequential container.

Every layer has

* ``forward(x)`` returning its output and caching what ``backward`` needs;
* ``backward(grad_out)`` taking ∂ℓ/∂(output), filling ``grads`` and returning
  ∂ℓ/∂(input);
* ``params`` and ``grads``: dicts of arrays with the same keys (empty for
  layers without parameters);
* ``training``: True while training, False while evaluating; set it for a
  whole model with ``model.train()`` / ``model.eval()`` (dropout reads it);
* ``cache``: what forward kept for backward; ``clear_cache()`` forgets it
  (``predict`` does, so a model holds no prediction-sized arrays afterwards).

``backward(grad_out, input_grad=False)`` may skip ∂ℓ/∂(input) and return None:
training does that for a network's first layer, where the gradient with
respect to the data is not needed. Containers pass it on to their first part.

Batches are in rows: a dense layer computes z = a @ W + b, which is the notes'
z^l = (W^l)^T a^{l-1} + b^l applied to every row a^{l-1} of the batch.
"""
from __future__ import annotations

from contextlib import contextmanager

import numpy as np

from lecture_nn.checks import as_float_array, positive_int
from lecture_nn.init import get_initialiser


class Layer:
    """Base class: no parameters, identity forward/backward, train/eval switch."""

    def __init__(self):
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.training = True
        self.cache: dict = {}

    def __call__(self, x):
        return self.forward(x)

    def forward(self, x):
        raise NotImplementedError

    def backward(self, grad_out, input_grad: bool = True):
        raise NotImplementedError

    def clear_cache(self):
        """Forget what the last forward pass kept for backward (frees its memory)."""
        self.cache = {}

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

    def _cached(self, key):
        if key not in self.cache:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward "
                               "(or after clear_cache)")
        return self.cache[key]


@contextmanager
def evaluation_mode(model: Layer):
    """Run a block with ``model`` in evaluation mode, then give it back its mode, even on error.

    >>> with evaluation_mode(model):          # doctest: +SKIP
    ...     scores = model.forward(X)
    """
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


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

    ``backward(δ, input_grad=False)`` skips the product δ Wᵀ (a third of the
    layer's work) and returns None: training does that for the first layer,
    where ∂ℓ/∂a would be the gradient with respect to the data.

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

    def forward(self, a):
        a = self._check_input(a, ndim=2)
        if a.shape[1] != self.n_in:
            raise ValueError(f"Linear({self.n_in}, {self.n_out}) expected input of shape "
                             f"(n, {self.n_in}), got {a.shape}")
        self.cache = {"a": a}
        return a @ self.params["W"] + self.params["b"]

    def backward(self, delta, input_grad: bool = True):
        a = self._cached("a")
        delta = self._check_grad(delta, (a.shape[0], self.n_out))
        self.grads["W"] = a.T @ delta
        self.grads["b"] = delta.sum(axis=0)
        return delta @ self.params["W"].T if input_grad else None

    def __repr__(self):
        return f"Linear({self.n_in}, {self.n_out})"


class Flatten(Layer):
    """Reshape each example to one row: (n, C, H, W) → (n, C·H·W) (any rank ≥ 2 works).

    The bridge from feature maps to a fully connected layer (notes §5.2, Fig. 12).
    The order is C-order, channel by channel and each map row by row, so unit
    ``c·H·W + i·W + j`` of the output is pixel (i, j) of feature map c.
    Backward reshapes the gradient back; no parameters.

    Examples
    --------
    >>> import numpy as np
    >>> Flatten().forward(np.zeros((5, 3, 12, 12))).shape
    (5, 432)
    """

    def forward(self, x):
        x = self._check_input(x)
        if x.ndim < 2:
            raise ValueError(f"Flatten expects a batch (n, ...) with at least 2 dimensions, "
                             f"got shape {x.shape}")
        self.cache = {"x_shape": x.shape}
        return x.reshape(x.shape[0], -1)

    def backward(self, grad_out, input_grad: bool = True):
        x_shape = self._cached("x_shape")
        grad_out = self._check_grad(grad_out, (x_shape[0], int(np.prod(x_shape[1:]))))
        return grad_out.reshape(x_shape)

    def __repr__(self):
        return "Flatten()"


class Container(Layer):
    """A layer built from other layers (``Sequential``, ``Residual``).

    Subclasses name their parts in :meth:`children`; ``params`` and ``grads``
    then expose every part's arrays as ``"<child name>.<key>"`` (the parts' own
    arrays, so an in-place update changes the part), and ``train``/``eval``/
    ``zero_grad``/``clear_cache`` reach every part.

    One layer object may sit at one place only: a layer reused at two places
    would keep one forward cache and one gradient for both, silently wrong, so
    the constructor refuses it (build a new layer for each place).
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

    def clear_cache(self):
        super().clear_cache()
        for _, layer in self.children():
            layer.clear_cache()

    def _refuse_shared_layers(self):
        """Raise ValueError if one layer object appears at two places of this container's tree."""
        seen: dict[int, str] = {}

        def visit(layer, path):
            if id(layer) in seen:
                raise ValueError(f"the same layer object {layer!r} is used at two places, "
                                 f"{seen[id(layer)]!r} and {path!r}; a layer keeps one cache and "
                                 "one gradient, so give each place its own layer "
                                 "(e.g. copy.deepcopy(layer))")
            seen[id(layer)] = path
            if isinstance(layer, Container):
                for name, child in layer.children():
                    visit(child, f"{path}.{name}" if path else name)

        for name, child in self.children():
            visit(child, name)


class Sequential(Container):
    """Layers applied one after another: the feedforward network of Fig. 2.

    ``params`` and ``grads`` expose every layer's arrays under the names
    ``"<index>.<key>"`` (e.g. ``"0.W"``, ``"2.b"``); the arrays are the layers'
    own, so an in-place update changes the layer. :func:`parameter_names` gives
    the notes' names for them (``"0.W"`` is W^2).
    """

    def __init__(self, *layers: Layer):
        super().__init__()
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"Sequential takes layers, got {type(layer).__name__} "
                                f"at position {i}")
        self.layers = list(layers)
        self._refuse_shared_layers()

    def children(self):
        return [(str(i), layer) for i, layer in enumerate(self.layers)]

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad_out, input_grad: bool = True):
        """Backpropagate through the layers, last first; ``input_grad=False`` is passed to the first."""
        for i in range(len(self.layers) - 1, -1, -1):
            layer = self.layers[i]
            grad_out = layer.backward(grad_out) if i or input_grad else \
                layer.backward(grad_out, input_grad=False)
        return grad_out

    def __getitem__(self, i):
        return self.layers[i]

    def __len__(self):
        return len(self.layers)

    def __repr__(self):
        inner = ",\n  ".join(repr(layer) for layer in self.layers)
        return f"Sequential(\n  {inner}\n)"


FIRST_WEIGHT_LAYER = 2
"""The notes' number of the first layer with weights (W^2): the input is layer 1."""


def parameter_names(model: Sequential) -> dict[str, str]:
    """The notes' name of each parameter: ``{"0.W": "W^2", "0.b": "b^2", "2.W": "W^3", …}``.

    A Sequential names a parameter after its layer's position in the model (activations count
    too); the notes number the layers, the input being layer 1, so the k-th Linear holds
    W^{k+1} and b^{k+1}.
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"expected a Sequential model, got {type(model).__name__}")
    linear = [i for i, layer in enumerate(model.layers) if isinstance(layer, Linear)]
    if not linear:
        raise ValueError("the model has no Linear layer to name")
    return {f"{position}.{key}": f"{key}^{number}"
            for number, position in enumerate(linear, start=FIRST_WEIGHT_LAYER)
            for key in model.layers[position].params}
