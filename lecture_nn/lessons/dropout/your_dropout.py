"""Exercise 1's payoff: a dropout layer computed by the student's ``inverted_dropout``.

The exercise asks for one function that does the forward and the backward pass,
``inverted_dropout(a, grad_out, p, rng, training) -> (out, grad_a)``, with the mask drawn from
``rng``. :class:`FunctionDropout` turns any such function into a layer of a ``Sequential``
network: its forward pass calls the function (the gradient argument is not needed yet), and its
backward pass calls it again with a generator in the state it had before the forward pass, so
that both passes use the same mask.
"""
from __future__ import annotations

import numpy as np

from lecture_nn.checks import check_rng, probability
from lecture_nn.layers import Layer


class FunctionDropout(Layer):
    """Dropout whose passes are computed by ``function(a, grad_out, p, rng, training)``.

    Parameters
    ----------
    function : callable
        Exercise 1's signature; returns ``(out, grad_a)``, both of ``a``'s shape.
    p : float in [0, 1)
        Probability that a unit is dropped.
    rng : numpy.random.Generator
        Draws the masks (the function draws them from it).

    Shapes: any input (n, ...) maps to an output of the same shape.
    """

    def __init__(self, function, p: float, rng):
        super().__init__()
        if not callable(function):
            raise TypeError(f"function must be callable (your inverted_dropout), got {type(function).__name__}")
        self.function = function
        self.p = probability(p, "p (the drop probability)")
        self.rng = check_rng(rng)

    def forward(self, x):
        x = self._check_input(x)
        before = self.rng.bit_generator.state     # the generator as the mask is drawn from it
        out, _ = self.function(x, np.zeros_like(x), self.p, self.rng, self.training)
        self.cache = {"x": x, "rng_state": before, "training": self.training}
        return np.asarray(out, dtype=x.dtype)

    def backward(self, grad_out, input_grad: bool = True):
        x = self._cached("x")
        grad_out = self._check_grad(grad_out, x.shape)
        # a generator in the state of the forward pass: the function draws the same mask again
        replay = type(self.rng.bit_generator)(0)
        replay.state = self.cache["rng_state"]
        _, grad = self.function(x, grad_out, self.p, np.random.Generator(replay), self.cache["training"])
        return np.asarray(grad, dtype=x.dtype)

    def __repr__(self):
        return f"FunctionDropout({getattr(self.function, '__name__', 'function')}, p={self.p})"
