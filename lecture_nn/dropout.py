"""Dropout (notes §4.1): switch hidden units off at random while training.

Two forms compute the same test-time network:

* ``"classic"`` (the notes' form): while training, each unit's output is kept
  with probability 1 − p and set to 0 otherwise, a fresh mask for every
  example; at test time every output is multiplied by 1 − p, which is the
  same as multiplying the unit's outgoing weights by 1 − p (by 1/2 for p = 1/2).
* ``"inverted"``: while training, kept outputs are divided by 1 − p; at test
  time the layer does nothing.

In both forms the expected input to the next layer is the same in training and
at test time. :func:`halve_outgoing_weights` and :func:`to_inverted` turn a
network with classic dropout into the two explicit equivalents.
"""
from __future__ import annotations

import copy
import itertools

import numpy as np

from lecture_nn.checks import as_array, as_float_array, check_rng, positive_int, probability
from lecture_nn.layers import Layer, Linear, Sequential, evaluation_mode

DROPOUT_MODES = ("classic", "inverted")


class Dropout(Layer):
    """Drop each unit with probability ``p`` while training.

    Parameters
    ----------
    p : float in [0, 1)
        Probability that a unit is dropped (the notes use 1/2).
    rng : numpy.random.Generator
        Draws the masks; a new mask of the input's shape on every training
        forward pass, so every example gets its own.
    mode : "classic" or "inverted"
        Where the factor 1 − p goes: the test-time output (classic) or the
        training-time output, as 1/(1 − p) (inverted).

    Shapes: any input (n, ...) maps to an output of the same shape.
    Training: a = m ⊙ x (classic) or m ⊙ x / (1 − p) (inverted), m_i ~ Bernoulli(1 − p);
    backward multiplies ∂ℓ/∂a by the same factor, so a dropped unit passes no
    gradient back and its incoming weights get no update from that example.
    Evaluation: a = (1 − p) x (classic) or a = x (inverted).

    ``fix_mask(mask)`` freezes the mask (for gradient checks and for
    enumerating masks); ``release_mask()`` returns to fresh random masks.

    ``mask`` holds the latest training mask (batch-sized) until ``clear_cache()``
    or ``eval()``, which forget it together with the cache; a fixed mask stays.
    """

    def __init__(self, p: float = 0.5, rng=None, mode: str = "classic"):
        super().__init__()
        self.p = probability(p, "p (the drop probability)")
        self.rng = check_rng(rng)
        if not isinstance(mode, str) or mode not in DROPOUT_MODES:
            raise ValueError(f"mode must be one of {DROPOUT_MODES}, got {mode!r}")
        self.mode = mode
        self.mask = None          # the mask of the latest training forward pass
        self._fixed_mask = None

    @property
    def keep(self) -> float:
        """Probability 1 − p that a unit is kept."""
        return 1.0 - self.p

    def fix_mask(self, mask=None):
        """Use ``mask`` (0/1 entries) on every training forward pass until released.

        Its shape is the input's or the input's without the batch axis (the same
        mask for every example). Without an argument, the latest mask is frozen.
        """
        if mask is None:
            if self.mask is None:
                raise RuntimeError("no mask to fix yet: run a training forward pass first "
                                   "or pass a mask")
            mask = self.mask
        mask = as_array(mask, "mask")
        if mask.dtype.kind not in "biuf" or not np.all(np.isin(mask, (0, 1))):
            raise ValueError("a dropout mask must contain only 0 (dropped) and 1 (kept)")
        if mask.ndim == 0 or mask.size == 0:
            raise ValueError("a dropout mask must have the shape of the input or of one example, "
                             f"got shape {mask.shape}")
        self._fixed_mask = mask.astype(np.float64)
        return self

    def clear_cache(self):
        """Forget the cache and the latest training mask (both batch-sized); a fixed mask stays."""
        super().clear_cache()
        self.mask = None

    def train(self, mode: bool = True):
        """Switch mode; switching to evaluation forgets the training mask and the cache."""
        super().train(mode)
        if not self.training:
            self.clear_cache()
        return self

    def release_mask(self):
        """Draw a fresh random mask on every training forward pass again."""
        self._fixed_mask = None
        return self

    def _training_mask(self, x):
        if self._fixed_mask is None:
            return (self.rng.random(x.shape) < self.keep).astype(x.dtype)
        fixed = self._fixed_mask
        if fixed.shape != x.shape and fixed.shape != x.shape[1:]:
            raise ValueError(f"the fixed dropout mask has shape {fixed.shape}; expected the "
                             f"input's shape {x.shape} or one example's {x.shape[1:]}")
        return np.broadcast_to(fixed, x.shape).astype(x.dtype)

    def forward(self, x):
        x = self._check_input(x)
        if x.ndim < 2:
            raise ValueError(f"Dropout expects a batch of shape (n, ...), got shape {x.shape}")
        if self.training:
            self.mask = self._training_mask(x)
            factor = self.mask / self.keep if self.mode == "inverted" else self.mask
        else:
            factor = np.full(x.shape, self.keep if self.mode == "classic" else 1.0, dtype=x.dtype)
        self.cache = {"factor": factor}
        return x * factor

    def backward(self, grad_out, input_grad: bool = True):
        factor = self._cached("factor")
        grad_out = self._check_grad(grad_out, factor.shape)
        return grad_out * factor

    def __repr__(self):
        return f"Dropout(p={self.p}, mode={self.mode!r})"


def _dropout_positions(model: Sequential) -> list[int]:
    if not isinstance(model, Sequential):
        raise TypeError(f"expected a Sequential model, got {type(model).__name__}")
    return [i for i, layer in enumerate(model.layers) if isinstance(layer, Dropout)]


def _next_linear(model: Sequential, i: int) -> int:
    """Index of the Linear layer right after the Dropout at position i (other Dropouts may sit between)."""
    for j in range(i + 1, len(model.layers)):
        if isinstance(model.layers[j], Linear):
            return j
        if not isinstance(model.layers[j], Dropout):
            break
    raise ValueError(f"the Dropout at position {i} must be followed by a Linear layer "
                     "(its outgoing weights) to fold its factor into weights")


def halve_outgoing_weights(model: Sequential) -> Sequential:
    """The notes' test-time network: classic dropout layers removed and the outgoing
    weights W of each dropped layer multiplied by 1 − p (1/2 for p = 1/2).

    Returns a new model (the input is not changed) whose forward equals the
    input model's evaluation-mode forward.
    """
    positions = _dropout_positions(model)
    new = copy.deepcopy(model)
    for i in positions:
        layer = new.layers[i]
        if layer.mode != "classic":
            raise ValueError("halve_outgoing_weights expects classic dropout layers; an inverted "
                             "dropout network is its own test-time network")
        new.layers[_next_linear(new, i)].params["W"] *= layer.keep
    kept = [layer for i, layer in enumerate(new.layers) if i not in positions]
    return Sequential(*kept).train(model.training)


def to_inverted(model: Sequential) -> Sequential:
    """The inverted-dropout network equal to a classic-dropout one in both modes.

    Each classic Dropout becomes inverted (training output scaled by 1/(1 − p))
    and the next layer's W is multiplied by 1 − p, so the training forward pass
    (with the same masks) and the test-time forward pass are unchanged.
    The dropout layers keep their own copies of the random generators.
    """
    new = copy.deepcopy(model)
    for i in _dropout_positions(new):
        layer = new.layers[i]
        if layer.mode != "classic":
            raise ValueError(f"the Dropout at position {i} is already inverted")
        layer.mode = "inverted"
        new.layers[_next_linear(new, i)].params["W"] *= layer.keep
    return new


def all_masks(n_units: int) -> np.ndarray:
    """Every 0/1 mask over ``n_units`` units: an array (2**n_units, n_units)."""
    n_units = positive_int(n_units, "n_units")
    if n_units > 20:
        raise ValueError(f"2**{n_units} masks are too many to enumerate; use n_units <= 20")
    return np.array(list(itertools.product((0.0, 1.0), repeat=n_units)))


def mask_ensemble_average(model: Sequential, X, dropout_index: int) -> np.ndarray:
    """Average output of the 2^n networks one dropout layer can make, each weighted by
    its probability p^{#dropped} (1 − p)^{#kept}.

    The same mask is applied to every row of X, so the result is, row by row,
    the expectation of the training-mode output over the masks of the layer at
    ``dropout_index`` (other dropout layers are set to evaluation mode).
    The layer's input must be (n, n_units) with n_units <= 20.
    """
    positions = _dropout_positions(model)
    dropout_index = positive_int(dropout_index, "dropout_index", minimum=0)
    if dropout_index not in positions:
        raise ValueError(f"dropout_index {dropout_index}: model layer {dropout_index} is not a Dropout "
                         f"layer (the model's Dropout layers are at {positions})")
    layer = model.layers[dropout_index]
    before = Sequential(*model.layers[:dropout_index])
    after = Sequential(*model.layers[dropout_index + 1:])
    with evaluation_mode(model):
        hidden = before.forward(as_float_array(X, "X").astype(np.float64, copy=False))
        total = 0.0
        try:
            for mask in all_masks(hidden.shape[1]):
                n_kept = mask.sum()
                weight = layer.keep ** n_kept * layer.p ** (len(mask) - n_kept)
                layer.train().fix_mask(mask)
                total = total + weight * after.forward(layer.forward(hidden))
        finally:
            layer.release_mask()
    return total
