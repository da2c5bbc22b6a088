"""Activation functions f and their derivatives f' (notes Fig. 1), as layers.

Each activation layer computes a = f(z) elementwise and, in ``backward``,
δ = f'(z) ⊙ grad_out — the ``Diag[f'(z^l)]`` factor of eq. (4).
"""
from __future__ import annotations

import numpy as np
from scipy.special import expit

from .layers import Layer


def sigmoid(z):
    """σ(z) = 1 / (1 + e^{-z}), computed without overflow for any finite z."""
    return expit(z)


def sigmoid_prime(z):
    s = expit(z)
    return s * (1.0 - s)


def tanh(z):
    return np.tanh(z)


def tanh_prime(z):
    return 1.0 - np.tanh(z) ** 2


def relu(z):
    """The rectifier max(0, z)."""
    return np.maximum(z, 0)


def relu_prime(z):
    """Subgradient of the rectifier; at z = 0 we pick 0, as the notes do (§2.2)."""
    return (z > 0).astype(np.result_type(z, np.float32))


def identity(z):
    return z


def identity_prime(z):
    return np.ones_like(z)


class Activation(Layer):
    """An elementwise activation a = f(z); backward returns f'(z) ⊙ grad_out."""

    f = staticmethod(identity)
    f_prime = staticmethod(identity_prime)

    def forward(self, z):
        z = self._check_input(z)
        self._z = z
        return self.f(z)

    def backward(self, grad_out):
        z = self._cached("_z")
        grad_out = self._check_grad(grad_out, z.shape)
        return self.f_prime(z) * grad_out

    def __repr__(self):
        return f"{type(self).__name__}()"


class Identity(Activation):
    """f(z) = z: the linear output unit of the notes, F(x; θ) = z."""

    def backward(self, grad_out):
        z = self._cached("_z")
        return self._check_grad(grad_out, z.shape)


class ReLU(Activation):
    """f(z) = max(0, z), with f'(0) = 0."""

    f = staticmethod(relu)
    f_prime = staticmethod(relu_prime)

    def backward(self, grad_out):
        z = self._cached("_z")
        grad_out = self._check_grad(grad_out, z.shape)
        return np.where(z > 0, grad_out, 0).astype(grad_out.dtype, copy=False)


class Sigmoid(Activation):
    """f(z) = σ(z); f'(z) = σ(z)(1 − σ(z)) ≤ 1/4."""

    f = staticmethod(sigmoid)
    f_prime = staticmethod(sigmoid_prime)

    def forward(self, z):
        z = self._check_input(z)
        self._z = z
        self._a = expit(z)
        return self._a

    def backward(self, grad_out):
        a = self._cached("_a")
        grad_out = self._check_grad(grad_out, a.shape)
        return a * (1 - a) * grad_out


class Tanh(Activation):
    """f(z) = tanh(z); f'(z) = 1 − tanh²(z)."""

    f = staticmethod(tanh)
    f_prime = staticmethod(tanh_prime)

    def forward(self, z):
        z = self._check_input(z)
        self._z = z
        self._a = np.tanh(z)
        return self._a

    def backward(self, grad_out):
        a = self._cached("_a")
        grad_out = self._check_grad(grad_out, a.shape)
        return (1 - a * a) * grad_out


ACTIVATIONS = {"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh, "identity": Identity}


def get_activation(name) -> Activation:
    """A new activation layer from its name (``"relu"``, ``"sigmoid"``, ``"tanh"``, ``"identity"``)."""
    if isinstance(name, Layer):
        return name
    if isinstance(name, str) and name.lower() in ACTIVATIONS:
        return ACTIVATIONS[name.lower()]()
    raise ValueError(f"unknown activation {name!r}; expected one of {sorted(ACTIVATIONS)}")


def activation_functions(name: str):
    """The pair (f, f') for an activation name, for plots and the per-example backprop."""
    layer = get_activation(name)
    return layer.f, layer.f_prime
