"""Network builders: the multilayer perceptron of Fig. 2, with or without dropout."""
from __future__ import annotations

import numpy as np

from lecture_nn.activations import Identity, get_activation
from lecture_nn.checks import probability
from lecture_nn.dropout import Dropout
from lecture_nn.layers import Layer, Linear, Sequential


def mlp(sizes, activation="relu", rng=None, init="he", output_activation="identity",
        dtype=np.float64, dropout: float = 0.0, dropout_mode: str = "classic") -> Sequential:
    """A multilayer perceptron: Linear layers of the given ``sizes`` with activations between.

    ``mlp([2, 16, 1], "relu", rng)`` is Linear(2, 16) → ReLU → Linear(16, 1) (an identity
    output is left out). With ``dropout=p`` a :class:`~lecture_nn.Dropout` layer follows
    every hidden activation (the notes' dropout network, §4.1); ``dropout=0`` adds none and
    draws the same weights from the same generator.

    Parameters
    ----------
    sizes : list of int
        Widths n_1 (input), n_2, …, n_L (output), in the notes' numbering: the first Linear
        layer holds W^2, of shape (n_1, n_2).
    activation, output_activation : name, Activation class or Activation layer
        Every position gets its own new activation layer.
    rng : numpy.random.Generator
        Draws the weights, then (stored by each Dropout layer) the dropout masks.
    init : initialiser for the weights (see :mod:`lecture_nn.init`)
    dropout : float in [0, 1), drop probability p after each hidden activation
    dropout_mode : "classic" or "inverted" (see :class:`~lecture_nn.Dropout`)

    Examples
    --------
    >>> import numpy as np
    >>> mlp([4, 5, 2], "tanh", rng=np.random.default_rng(0), dropout=0.5)
    Sequential(
      Linear(4, 5),
      Tanh(),
      Dropout(p=0.5, mode='classic'),
      Linear(5, 2)
    )
    """
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least the input and output widths, got {sizes}")
    p = probability(dropout, "dropout (the drop probability)")
    layers: list[Layer] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Linear(n_in, n_out, rng=rng, init=init, dtype=dtype))
        hidden = i < len(sizes) - 2
        layers.append(get_activation(activation if hidden else output_activation))
        if hidden and p > 0:
            layers.append(Dropout(p, rng=rng, mode=dropout_mode))
    if isinstance(layers[-1], Identity):
        layers.pop()
    return Sequential(*layers)
