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

Floating-point types: a layer with parameters computes in its parameters' dtype
(float32 or float64). Input of the other float dtype is cast to it, and the
output, every parameter gradient and the input gradient come out in that dtype.
Layers without parameters keep their input's dtype.

``backward(grad_out, input_grad=False)`` may skip ∂ℓ/∂(input) and return None:
training does that for a network's first layer, where the gradient with
respect to the data is not needed. Containers pass it on to their first part.

Batches are in rows: a dense layer computes z = a @ W + b, which is the notes'
z^l = (W^l)^T a^{l-1} + b^l applied to every row a^{l-1} of the batch.
"""
from __future__ import annotations

import functools
import reprlib
from contextlib import contextmanager
from operator import attrgetter

import numpy as np

from lecture_nn.checks import as_float_array, float_dtype, positive_int
from lecture_nn.init import get_initialiser

# A new token whenever something that decides a model's structure changes (a layer's params or
# grads dict, an entry of a params dict, a container's list of layers or one of its parts).
# A container checks its structure once per token, so its forward pass stays as cheap as before.
_structure = [object()]


def _structure_changed():
    _structure[0] = object()


class ParamDict(dict):
    """A layer's ``params``: a dict that tells the containers when an entry is added or replaced,
    so that a parameter array shared with another layer of the model is found before it is used."""

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        _structure_changed()

    def __delitem__(self, key):
        super().__delitem__(key)
        _structure_changed()

    def __ior__(self, other):
        result = super().__ior__(other)
        _structure_changed()
        return result

    def update(self, *args, **kwargs):
        super().update(*args, **kwargs)
        _structure_changed()

    def setdefault(self, key, default=None):
        result = super().setdefault(key, default)
        _structure_changed()
        return result

    def pop(self, *args):
        result = super().pop(*args)
        _structure_changed()
        return result

    def popitem(self):
        result = super().popitem()
        _structure_changed()
        return result

    def clear(self):
        super().clear()
        _structure_changed()


def _set_params(layer, params):
    # a plain dict becomes a ParamDict, whose changes the containers hear about
    layer._params = params if isinstance(params, ParamDict) else ParamDict(params)
    _structure_changed()


def _set_grads(layer, grads):
    layer._grads = grads
    _structure_changed()


class Layer:
    """Base class: no parameters, identity forward/backward, train/eval switch."""

    # Properties so that assigning a dict (``layer.params = other.params``) is noticed; the
    # getters are C-level attribute lookups because layers read their params on every pass.
    params = property(attrgetter("_params"), _set_params,
                      doc="The parameter arrays by name (a :class:`ParamDict`).")
    grads = property(attrgetter("_grads"), _set_grads,
                     doc="∂ℓ/∂(parameter) by name, filled by ``backward``.")

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


def walk(model) -> list:
    """``model`` and every layer inside it, each container before its parts (pre-order)."""
    layers = [model]
    if isinstance(model, Container):
        for _, child in model.children():
            layers += walk(child)
    return layers


def _give_back_modes(saved):
    for layer, was_training in saved:
        if isinstance(layer, Container):
            layer.training = was_training      # its parts get their own modes after it
        elif layer.training != was_training:
            layer.train(was_training)


@contextmanager
def modes_restored(model: Layer):
    """Run a block, then give every layer of ``model`` the mode it had before, even on error
    (KeyboardInterrupt included).

    Each layer gets its own mode back, not only the model's top-level flag: a dropout layer
    switched off on purpose (``model.train(); model[2].eval()``) stays off afterwards.
    """
    saved = [(layer, layer.training) for layer in walk(model)]
    try:
        yield model
    finally:
        _give_back_modes(saved)


@contextmanager
def evaluation_mode(model: Layer):
    """Run a block with ``model`` in evaluation mode, then give every layer back its own mode,
    even on error (KeyboardInterrupt included).

    >>> with evaluation_mode(model):          # doctest: +SKIP
    ...     scores = model.forward(X)
    """
    saved = [(layer, layer.training) for layer in walk(model)]
    try:
        model.eval()
        yield model
    finally:
        _give_back_modes(saved)


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
        The dtype of the parameters, and so of the computation: input of the other
        float dtype is cast to it, and z, ∂ℓ/∂W, ∂ℓ/∂b and ∂ℓ/∂a come out in it.

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
        dtype = float_dtype(dtype, "dtype")
        W = initialiser((self.n_in, self.n_out), rng=rng, fan_in=self.n_in,
                        fan_out=self.n_out, dtype=dtype)
        self.params = {"W": np.asarray(W, dtype=dtype), "b": np.zeros(self.n_out, dtype=dtype)}
        self.zero_grad()

    def forward(self, a):
        a = self._check_input(a, ndim=2)
        if a.shape[1] != self.n_in:
            raise ValueError(f"Linear({self.n_in}, {self.n_out}) expected input of shape "
                             f"(n, {self.n_in}), got {a.shape}")
        params = self.params
        W = params["W"]
        if a.dtype != W.dtype:      # compute in the parameters' dtype
            a = a.astype(W.dtype)
        self.cache = {"a": a}
        return a @ W + params["b"]

    def backward(self, delta, input_grad: bool = True):
        a = self._cached("a")
        delta = self._check_grad(delta, (a.shape[0], self.n_out))
        W = self.params["W"]
        if delta.dtype != W.dtype:
            delta = delta.astype(W.dtype)
        grads = self.grads
        grads["W"] = a.T @ delta
        grads["b"] = delta.sum(axis=0)
        return delta @ W.T if input_grad else None

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


def _memory_owner(array):
    """The object that owns an array's memory (views lead back to it)."""
    owner = array
    while isinstance(owner, np.ndarray) and owner.base is not None:
        owner = owner.base
    return owner


def _short_repr(layer):
    """A layer's repr, or only its class name for a container (whose repr lists its parts)."""
    return f"{type(layer).__name__}(…)" if isinstance(layer, Container) else repr(layer)


class Container(Layer):
    """A layer built from other layers (``Sequential``, ``Residual``).

    Subclasses name their parts in :meth:`children`; ``params`` and ``grads``
    then expose every part's arrays as ``"<child name>.<key>"`` (the parts' own
    arrays, so an in-place update changes the part), and ``train``/``eval``/
    ``zero_grad``/``clear_cache`` reach every part.

    One layer may sit at one place only: a layer reused at two places would
    keep one forward cache and one gradient for both, silently wrong. The same
    holds for a ``params`` or ``grads`` dict shared by two layers (what
    ``copy.copy(layer)`` makes) and for parameter arrays that share memory.
    :meth:`check_structure` refuses all three. It runs when the container is
    built, and again on the first forward pass (of any container subclass) or
    ``params``/``grads`` access after anything that could change the structure
    (``model.layers.append``, ``layer.params = …``, ``layer.params["W"] = …``,
    ``residual.block = …``), so a model built right and changed later is caught
    too; in between, the check costs one comparison. Build a new layer for each
    place (``copy.deepcopy(layer)``).
    """

    _checked = None     # the structure token this container was last checked at

    def __init_subclass__(cls, **kwargs):
        # Every container's forward pass, whoever writes the subclass, first makes sure the
        # structure was checked since it last changed (one comparison when nothing changed).
        super().__init_subclass__(**kwargs)
        forward = cls.__dict__.get("forward")
        if forward is not None and not getattr(forward, "checks_structure", False):
            @functools.wraps(forward)
            def forward_after_structure_check(self, x):
                if self._checked is not _structure[0]:
                    self._walk_structure()
                return forward(self, x)

            cls.forward = forward_after_structure_check

    def __setattr__(self, name, value):
        object.__setattr__(self, name, value)
        if isinstance(value, Layer):      # a part put in or replaced (e.g. ``residual.block = …``)
            _structure_changed()

    def children(self) -> list[tuple[str, Layer]]:
        """The parts as (name, layer) pairs."""
        raise NotImplementedError

    def check_structure(self):
        """Raise ValueError if a layer, a ``params``/``grads`` dict or the memory of a parameter
        array sits at two places of this container's tree; return None otherwise.

        Free when nothing changed since the last check (of this container or of one holding it).
        """
        if self._checked is not _structure[0]:
            self._walk_structure()

    def _walk_structure(self):
        token = _structure[0]
        layers: dict[int, str] = {id(self): "(the model itself)"}
        dicts: dict[int, str] = {}
        owners: dict[int, list[tuple[str, np.ndarray]]] = {}
        inner: list[Container] = []
        advice = ("a layer keeps one cache and one gradient, so give each place its own layer "
                  "(e.g. copy.deepcopy(layer))")

        def visit(layer, path):
            if id(layer) in layers:
                raise ValueError(f"the same layer object {_short_repr(layer)} is used at two places, "
                                 f"{layers[id(layer)]!r} and {path!r}; {advice}")
            layers[id(layer)] = path
            if isinstance(layer, Container):
                inner.append(layer)
                for name, child in layer.children():
                    visit(child, f"{path}.{name}")
                return
            if not layer.params:
                return
            for kind in ("params", "grads"):
                table = getattr(layer, kind)
                if id(table) in dicts:
                    raise ValueError(f"the layers at {dicts[id(table)]!r} and {path!r} share one "
                                     f"{kind} dict (is one a copy.copy of the other?); {advice}")
                dicts[id(table)] = path
            for key, value in layer.params.items():
                name = f"{path}.{key}"
                if not isinstance(value, np.ndarray):
                    continue
                same_owner = owners.setdefault(id(_memory_owner(value)), [])
                for other_name, other in same_owner:
                    if np.shares_memory(value, other):
                        raise ValueError(f"the parameters {other_name!r} and {name!r} share memory, "
                                         f"so one update or gradient would serve both; {advice}")
                same_owner.append((name, value))

        for name, child in self.children():
            visit(child, name)
        for container in inner:
            container._checked = token
        self._checked = token

    @property
    def params(self):
        if self._checked is not _structure[0]:
            self._walk_structure()
        return {f"{name}.{k}": v for name, layer in self.children() for k, v in layer.params.items()}

    @params.setter
    def params(self, value):
        if value:
            raise AttributeError(f"set parameters on the layers inside a {type(self).__name__}")

    @property
    def grads(self):
        if self._checked is not _structure[0]:
            self._walk_structure()
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
        """The check at construction (kept for the containers that call it by this name)."""
        self.check_structure()


class LayerList(list):
    """``Sequential.layers``: a list of layers that refuses anything else and tells the
    containers when it changes (they check their structure again before the next use)."""

    def __init__(self, layers=(), owner: str = "Sequential"):
        layers = list(layers)
        for i, layer in enumerate(layers):
            self._check_item(layer, i, owner)
        super().__init__(layers)

    @staticmethod
    def _check_item(layer, position, owner="Sequential.layers"):
        if not isinstance(layer, Layer):
            raise TypeError(f"{owner} takes layers, got {type(layer).__name__} at position {position}")

    def _changed(self, result=None):
        _structure_changed()
        return result

    def append(self, layer):
        self._check_item(layer, len(self))
        return self._changed(super().append(layer))

    def insert(self, index, layer):
        self._check_item(layer, index)
        return self._changed(super().insert(index, layer))

    def extend(self, layers):
        layers = list(layers)
        for i, layer in enumerate(layers):
            self._check_item(layer, len(self) + i)
        return self._changed(super().extend(layers))

    def __iadd__(self, layers):
        self.extend(layers)
        return self

    def __imul__(self, times):
        return self._changed(super().__imul__(times))

    def __setitem__(self, index, value):
        if isinstance(index, slice):
            value = list(value)
            for i, layer in enumerate(value):
                self._check_item(layer, i)
        else:
            self._check_item(value, index)
        return self._changed(super().__setitem__(index, value))

    def __delitem__(self, index):
        return self._changed(super().__delitem__(index))

    def pop(self, index=-1):
        return self._changed(super().pop(index))

    def remove(self, layer):
        return self._changed(super().remove(layer))

    def clear(self):
        return self._changed(super().clear())

    def reverse(self):
        return self._changed(super().reverse())

    def sort(self, *args, **kwargs):
        return self._changed(super().sort(*args, **kwargs))


class Sequential(Container):
    """Layers applied one after another: the feedforward network of Fig. 2.

    ``params`` and ``grads`` expose every layer's arrays under the names
    ``"<index>.<key>"`` (e.g. ``"0.W"``, ``"2.b"``); the arrays are the layers'
    own, so an in-place update changes the layer. :func:`parameter_names` gives
    the notes' names for them (``"0.W"`` is W^2).

    ``layers`` is a list that may be changed (``model.layers.append(layer)``);
    the model checks its structure again before its next use (see :class:`Container`).
    """

    def __init__(self, *layers: Layer):
        super().__init__()
        self.layers = layers
        self.check_structure()

    @property
    def layers(self) -> LayerList:
        return self._layers

    @layers.setter
    def layers(self, layers):
        self._layers = LayerList(layers)
        _structure_changed()

    def children(self):
        return [(str(i), layer) for i, layer in enumerate(self._layers)]

    def forward(self, x):
        if self._checked is not _structure[0]:
            self._walk_structure()
        for layer in self._layers:
            x = layer.forward(x)
        return x

    forward.checks_structure = True      # itself, without the wrapper of Container subclasses

    def backward(self, grad_out, input_grad: bool = True):
        """Backpropagate through the layers, last first; ``input_grad=False`` is passed to the first."""
        layers = self._layers
        for i in range(len(layers) - 1, -1, -1):
            layer = layers[i]
            grad_out = layer.backward(grad_out) if i or input_grad else \
                layer.backward(grad_out, input_grad=False)
        return grad_out

    def __getitem__(self, i):
        return self._layers[i]

    def __len__(self):
        return len(self._layers)

    @reprlib.recursive_repr("Sequential(…)")
    def __repr__(self):
        inner = ",\n  ".join(repr(layer) for layer in self._layers)
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
