"""Activation functions f and their derivatives f' (notes Fig. 1), as layers.

Each activation layer computes a = f(z) elementwise and, in ``backward``,
δ = f'(z) ⊙ grad_out — the ``Diag[f'(z^l)]`` factor of eq. (4).

Each derivative is written once, as a function of z and (optionally) of the
output a = f(z) that the forward pass already computed: σ' = a(1 − a) and
tanh' = 1 − a² reuse a, so backward costs one multiply. Plots and the
per-example backprop of notebook 02 call the same functions with z alone.
"""
from __future__ import annotations

import numpy as np
from scipy.special import expit

from lecture_nn.checks import as_float_array
from lecture_nn.layers import Layer


def _real(z, name: str = "z"):
    """``z`` as a float array of any shape (NaN allowed: it propagates); strings and the like refused."""
    if type(z) is np.ndarray and z.dtype.kind == "f":
        return z                        # the layers' own calls: already checked, so nothing to do
    return as_float_array(z, name, finite=False, allow_empty=True)


def sigmoid(z):
    """σ(z) = 1 / (1 + e^{-z}), computed without overflow for any finite z."""
    return expit(_real(z))


def sigmoid_prime(z, a=None):
    """σ'(z) = σ(z)(1 − σ(z)) ≤ 1/4; pass ``a = σ(z)`` if it is known."""
    s = expit(_real(z)) if a is None else _real(a, "a")
    return s * (1 - s)


def tanh(z):
    return np.tanh(_real(z))


def tanh_prime(z, a=None):
    """tanh'(z) = 1 − tanh²(z); pass ``a = tanh(z)`` if it is known."""
    t = np.tanh(_real(z)) if a is None else _real(a, "a")
    return 1 - t * t


def relu(z):
    """The rectifier max(0, z)."""
    return np.maximum(_real(z), 0)


def relu_prime(z, a=None):
    """Subgradient of the rectifier: 1 where z > 0, else 0 (at z = 0 we pick 0, as the notes do, §2.2)."""
    z = _real(z)
    return (z > 0).astype(z.dtype)


def identity(z):
    return _real(z)


def identity_prime(z, a=None):
    return np.ones_like(_real(z))


class Activation(Layer):
    """An elementwise activation a = f(z); backward returns f'(z) ⊙ grad_out."""

    f = staticmethod(identity)
    f_prime = staticmethod(identity_prime)

    def forward(self, z):
        z = self._check_input(z)
        a = self.f(z)
        self.cache = {"z": z, "a": a}
        return a

    def backward(self, grad_out, input_grad: bool = True):
        z = self._cached("z")
        grad_out = self._check_grad(grad_out, z.shape)
        return self.f_prime(z, self.cache["a"]) * grad_out

    def __repr__(self):
        return f"{type(self).__name__}()"


class Identity(Activation):
    """f(z) = z: the linear output unit of the notes, F(x; θ) = z."""


class ReLU(Activation):
    """f(z) = max(0, z), with f'(0) = 0."""

    f = staticmethod(relu)
    f_prime = staticmethod(relu_prime)


class Sigmoid(Activation):
    """f(z) = σ(z); f'(z) = σ(z)(1 − σ(z)) ≤ 1/4."""

    f = staticmethod(sigmoid)
    f_prime = staticmethod(sigmoid_prime)


class Tanh(Activation):
    """f(z) = tanh(z); f'(z) = 1 − tanh²(z)."""

    f = staticmethod(tanh)
    f_prime = staticmethod(tanh_prime)


ACTIVATIONS = {"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh, "identity": Identity}


def get_activation(activation) -> Activation:
    """A new activation layer from a name (``"relu"``, ``"sigmoid"``, ``"tanh"``, ``"identity"``),
    an activation class, or an activation layer (a fresh layer of the same kind is returned,
    so that one object never sits at two places of a network)."""
    if isinstance(activation, Activation):
        return type(activation)()
    if isinstance(activation, type) and issubclass(activation, Activation):
        return activation()
    if isinstance(activation, str) and activation.lower() in ACTIVATIONS:
        return ACTIVATIONS[activation.lower()]()
    raise ValueError(f"unknown activation {activation!r}; expected one of {sorted(ACTIVATIONS)}, "
                     "an Activation class or an Activation layer")


def activation_functions(name: str):
    """The pair (f, f') for an activation name, for plots and the per-example backprop."""
    layer = get_activation(name)
    return layer.f, layer.f_prime
