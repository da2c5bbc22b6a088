"""Residual blocks (notes §5.3, Fig. 14): a layer's input joined directly to a deeper layer.

A residual block wraps any layer or ``Sequential`` F and outputs

    out = P(a) + F(a)                   (default, ``activation=None``)
    out = f(P(a) + F(a))                (``activation="relu"`` etc.)

where P is the identity when F keeps the shape, and a learned projection
(a ``Linear`` layer, or a 1×1 convolution for images) when it does not.

Why the default is a + F(a) with nothing applied after the sum: the flow
graph then has two paths from a to the output, and backpropagation adds
their gradients,

    ∂ℓ/∂a = ∂ℓ/∂out + J_F(a)ᵀ ∂ℓ/∂out,

so the skip path hands ∂ℓ/∂out to the block's input *unchanged*. Stacking
blocks keeps an unobstructed identity path from the loss to the first layer,
which is what lets very deep networks train (He et al., "Identity mappings in
deep residual networks", 2016). With f(a + F(a)) (the original ResNet of
2015) every block multiplies the skip gradient by f'(·), e.g. zeroes it where
a ReLU is off; that variant is available through ``activation``.
"""
from __future__ import annotations

from lecture_nn.activations import get_activation
from lecture_nn.checks import as_shape
from lecture_nn.convolution import Conv2D, output_size
from lecture_nn.layers import Container, Layer, Linear


class Residual(Container):
    """out = P(a) + F(a), or f(P(a) + F(a)) with an ``activation``.

    Parameters
    ----------
    block : Layer
        F, any layer or ``Sequential`` (dense or convolutional).
    projection : Layer, optional
        P for when F changes the shape of its input (e.g. ``Linear(n_in, n_out)``
        or a 1×1 ``Conv2D``); see :func:`projection_for`. Default: identity.
    activation : str or Layer, optional
        f applied after the sum; default none (see the module docstring for why).

    Shapes: F(a) and P(a) must have the same shape; that is the output shape.
    Parameters are named ``"block.<name>"`` and ``"projection.<name>"``.

    Backward: with δ = ∂ℓ/∂(P(a) + F(a)), returns
    ∂ℓ/∂a = (backward of F)(δ) + (backward of P)(δ) — the skip path's δ
    itself when P is the identity.
    """

    def __init__(self, block: Layer, projection: Layer | None = None, activation=None):
        super().__init__()
        for name, layer in (("block", block), ("projection", projection)):
            if (layer is not None or name == "block") and not isinstance(layer, Layer):
                raise TypeError(f"Residual {name} must be a Layer (e.g. a Sequential), "
                                f"got {type(layer).__name__}")
        if activation is not None and not isinstance(activation, Layer):
            activation = get_activation(activation)
        self.block, self.projection, self.activation = block, projection, activation
        self._refuse_shared_layers()

    def children(self):
        parts = (("block", self.block), ("projection", self.projection),
                 ("activation", self.activation))
        return [(name, layer) for name, layer in parts if layer is not None]

    def forward(self, a):
        a = self._check_input(a)
        branch = self.block.forward(a)
        skip = a if self.projection is None else self.projection.forward(a)
        if branch.shape != skip.shape:
            hint = ("pass projection=projection_for(...) to map the input to the block's output "
                    "shape" if self.projection is None else "fix the projection's sizes")
            raise ValueError(f"Residual: the block maps input {a.shape} to {branch.shape} but the "
                             f"skip path gives {skip.shape}; {hint}")
        self.cache = {"out_shape": branch.shape}
        total = skip + branch
        return total if self.activation is None else self.activation.forward(total)

    def backward(self, grad_out, input_grad: bool = True):
        out_shape = self._cached("out_shape")
        delta = self._check_grad(grad_out, out_shape)
        if self.activation is not None:
            delta = self.activation.backward(delta)
        if not input_grad:   # the parts still fill their grads; nobody needs ∂ℓ/∂a
            self.block.backward(delta, input_grad=False)
            if self.projection is not None:
                self.projection.backward(delta, input_grad=False)
            return None
        grad_block = self.block.backward(delta)
        grad_skip = delta if self.projection is None else self.projection.backward(delta)
        return grad_skip + grad_block

    def __repr__(self):
        inner = repr(self.block).replace("\n", "\n  ")
        extra = "" if self.projection is None else f", projection={self.projection!r}"
        if self.activation is not None:
            extra += f", activation={self.activation!r}"
        return f"Residual(\n  {inner}{extra}\n)"


def _stride_for(size: int, out_size: int) -> int | None:
    """The smallest stride s with which a 1×1 window on ``size`` pixels gives ``out_size`` outputs.

    A 1×1 kernel at stride s gives (size − 1) // s + 1 = ⌈size / s⌉ outputs, which
    falls as s grows and is 1 from s = size on; None when no stride gives ``out_size``.
    """
    for stride in range(1, size + 1):
        if output_size((size, size), 1, stride)[0] == out_size:
            return stride
    return None


def projection_for(in_shape, out_shape, rng=None) -> Layer | None:
    """The skip-path projection P for a block mapping one example of ``in_shape`` to ``out_shape``.

    * equal shapes → ``None`` (identity skip, nothing to learn);
    * vectors (d_in,) → (d_out,) → ``Linear(d_in, d_out)``;
    * images (C_in, H, W) → (C_out, H', W') → a 1×1 ``Conv2D(C_in, C_out, 1, stride=s)``,
      which mixes channels pixel by pixel and subsamples like the block does. Per axis, s is
      the smallest stride with ⌈H / s⌉ = H' (e.g. 2 for 7 → 4, 3 for 8 → 3); when no stride
      gives H' (e.g. 7 → 5, or a larger output), a ``ValueError`` says so.
    """
    in_shape, out_shape = as_shape(in_shape, "in_shape"), as_shape(out_shape, "out_shape")
    if in_shape == out_shape:
        return None
    if len(in_shape) == 1 and len(out_shape) == 1:
        return Linear(in_shape[0], out_shape[0], rng=rng)
    if len(in_shape) == 3 and len(out_shape) == 3:
        (_, h, w), (_, h_out, w_out) = in_shape, out_shape
        stride = (_stride_for(h, h_out), _stride_for(w, w_out))
        if None in stride:
            raise ValueError(f"no 1×1 convolution maps a {h}×{w} image to {h_out}×{w_out}: with stride s "
                             f"it gives ⌈{h}/s⌉×⌈{w}/s⌉, and no s makes that {h_out}×{w_out}; use a block "
                             "whose output size a stride reaches (e.g. one that keeps or halves the size)")
        return Conv2D(in_shape[0], out_shape[0], 1, stride=stride[0] if stride[0] == stride[1] else stride,
                      rng=rng)
    raise ValueError(f"projection_for expects two vector shapes (d,) or two image shapes "
                     f"(C, H, W) of one example, got {in_shape} and {out_shape}")
