"""Pooling layers (notes §5.2, Fig. 13): a patchwise maximum or average of every feature map.

Images are NCHW arrays (n, channels, height, width). A pooling layer slides a
``size`` window (an int k for k × k, or a (kh, kw) pair) over each channel
separately with step ``stride`` (an int or a pair; default: ``size``, so the
windows tile the map without overlap); the output keeps the number of channels
("slices") and has the size :func:`lecture_nn.patches.output_size` gives,
``H_out = (H − kh) // sh + 1`` rows (likewise columns). Rows or columns that no
window reaches are ignored by forward and get zero gradient.

How it is computed. A maximum (or a sum) over a size × size window is a
maximum over its ``size`` columns followed by a maximum over its ``size``
rows, so both layers work in two separable stages: first along the width,
giving (n, C, H, W_out), then along the height, giving (n, C, H_out, W_out).
Each stage is ``size`` whole-array operations on strided views (the entries at
offset k of every window); there is no loop over windows and no
``np.add.at`` (why not a reshaped view: ``docs/benchmarks.md``).

Backward runs the two stages in reverse. When the windows tile the input
(``stride == size``) every pixel lies in exactly one window and each offset's
gradient is *written* into place (no zero-filled buffer when the windows
cover the whole map); when windows overlap (``stride < size``) the offsets'
gradients are *added*, so shared pixels collect every contribution.
"""
from __future__ import annotations

import numpy as np

from lecture_nn.checks import as_shape
from lecture_nn.layers import Layer
from lecture_nn.patches import output_size, pair


def _offset_views(arr, axis: int, count: int, size: int, stride: int) -> list[np.ndarray]:
    """Views of ``arr`` holding, for k = 0 … size−1, entry k of each of ``count`` windows along ``axis``."""
    index = [slice(None)] * arr.ndim
    views = []
    for k in range(size):
        index[axis] = slice(k, k + stride * (count - 1) + 1, stride)
        views.append(arr[tuple(index)])
    return views


class _Pool2D(Layer):
    """Shared window bookkeeping of :class:`MaxPool2D` and :class:`AvgPool2D`."""

    def __init__(self, size, stride=None):
        super().__init__()
        self.size = pair(size, "size", 1)
        self.stride = self.size if stride is None else pair(stride, "stride", 1)

    def output_shape(self, input_shape) -> tuple[int, int, int, int]:
        """(n, C, H_out, W_out) for an input of shape (n, C, H, W)."""
        input_shape = as_shape(input_shape, "input_shape")
        if len(input_shape) != 4:
            raise ValueError(f"{self!r} expects an input shape (n, C, H, W), got {input_shape}")
        n, c, h, w = input_shape
        return (n, c) + output_size((h, w), self.size, self.stride)

    def _axis(self, axis) -> int:
        """0 for the height (array axis 2), 1 for the width (axis 3)."""
        return axis - 2

    def _check_image_batch(self, x):
        x = self._check_input(x, ndim=4)
        if x.shape[2] < self.size[0] or x.shape[3] < self.size[1]:
            raise ValueError(f"{self!r} needs feature maps of at least {self.size[0]}×"
                             f"{self.size[1]}, got input of shape {x.shape} (NCHW)")
        return x

    def _stage_views(self, arr, axis, count):
        a = self._axis(axis)
        return _offset_views(arr, axis, count, self.size[a], self.stride[a])

    def _spread(self, grad, full_shape, axis, count, masks=None):
        """Reverse one stage: send ``grad`` (``count`` windows along ``axis``) back onto the full axis.

        Offset k receives ``grad`` (sum) or ``masks[k] * grad`` (max). Where windows
        overlap (stride < size) the offsets' shares add up; otherwise they are written.
        """
        a = self._axis(axis)
        size, stride = self.size[a], self.stride[a]
        covers_all = stride == size and count * size == full_shape[axis]
        out = (np.empty if covers_all else np.zeros)(full_shape, dtype=grad.dtype)
        for k, view in enumerate(self._stage_views(out, axis, count)):
            part = grad if masks is None else masks[k] * grad
            if stride < size:
                view += part
            else:
                view[...] = part
        return out

    def _backward_setup(self, grad_out):
        x = self._cached("x")
        out_shape = self.output_shape(x.shape)
        grad_out = self._check_grad(grad_out, out_shape).astype(x.dtype, copy=False)
        column_stage_shape = (*x.shape[:3], out_shape[3])
        return x, out_shape, grad_out, column_stage_shape

    def __repr__(self):
        def show(value):
            return value[0] if value[0] == value[1] else value
        stride = "" if self.stride == self.size else f", stride={show(self.stride)}"
        return f"{type(self).__name__}({show(self.size)}{stride})"


def _winners(better: list[np.ndarray], shape) -> list[np.ndarray]:
    """Which offset holds the maximum, from the masks ``better[k-1]`` = "offset k beat all before it".

    Offset k wins where it beat the earlier ones and no later offset beat it;
    offset 0 wins where nobody beat it. Exactly one offset wins everywhere.
    """
    if not better:
        return [np.ones(shape, dtype=bool)]
    beaten_later = np.zeros(shape, dtype=bool)
    winners = [None] * (len(better) + 1)
    for k in range(len(better), 0, -1):
        winners[k] = better[k - 1] & ~beaten_later
        beaten_later |= better[k - 1]
    winners[0] = ~beaten_later
    return winners


class MaxPool2D(_Pool2D):
    """Max pooling: each output is the largest entry of its window (Fig. 13 of the notes).

    Parameters
    ----------
    size : int or (kh, kw)
        Window size (an int k means k × k).
    stride : int or (sh, sw), optional
        Step between windows; default ``size`` (non-overlapping windows).

    Shapes: input (n, C, H, W) → output (n, C, H_out, W_out); no parameters.

    Backward: the maximum is a selection, so ∂out/∂x is 1 at the position of the
    window's maximum and 0 elsewhere; each output gradient goes entirely to
    that one position (and overlapping windows add up). **Ties**: when several
    entries of a window share the maximum, the gradient goes to the *first* of
    them in row-major window order (top row first, left to right) — the
    choice ``np.argmax`` would make; this is one valid subgradient and is
    deterministic. (A later column or row replaces the running maximum only if
    it is strictly larger.)

    The positions of the maxima are recorded in training mode; after a forward
    pass in evaluation mode, backward recomputes them from the cached input.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> MaxPool2D(2).forward(x)[0, 0]
    array([[ 5.,  7.],
           [13., 15.]])
    """

    def _running_max(self, arr, axis, count, record: bool):
        views = self._stage_views(arr, axis, count)
        best = views[0].copy()
        better = []
        for view in views[1:]:
            if record:
                better.append(view > best)
            np.maximum(best, view, out=best)
        return best, better

    def _forward(self, x, record: bool):
        _, _, ho, wo = self.output_shape(x.shape)
        column_max, column_better = self._running_max(x, 3, wo, record)
        out, row_better = self._running_max(column_max, 2, ho, record)
        return out, (column_better, row_better)

    def forward(self, x):
        x = self._check_image_batch(x)
        out, better = self._forward(x, record=self.training)
        self.cache = {"x": x, "better": better if self.training else None}
        return out

    def backward(self, grad_out, input_grad: bool = True):
        x, out_shape, grad_out, column_shape = self._backward_setup(grad_out)
        if self.cache["better"] is None:
            _, self.cache["better"] = self._forward(x, record=True)
        column_better, row_better = self.cache["better"]
        grad_columns = self._spread(grad_out, column_shape, 2, out_shape[2],
                                    _winners(row_better, out_shape))
        return self._spread(grad_columns, x.shape, 3, out_shape[3],
                            _winners(column_better, column_shape))


class AvgPool2D(_Pool2D):
    """Average pooling: each output is the mean of its size × size window.

    Same parameters and shapes as :class:`MaxPool2D`. Backward: every entry of
    a window receives 1/size² of that window's output gradient.
    """

    def _running_sum(self, arr, axis, count):
        views = self._stage_views(arr, axis, count)
        total = views[0].copy()
        for view in views[1:]:
            total += view
        return total

    def forward(self, x):
        x = self._check_image_batch(x)
        _, _, ho, wo = self.output_shape(x.shape)
        self.cache = {"x": x}
        out = self._running_sum(self._running_sum(x, 3, wo), 2, ho)
        out /= self.size[0] * self.size[1]
        return out

    def backward(self, grad_out, input_grad: bool = True):
        x, out_shape, grad_out, column_shape = self._backward_setup(grad_out)
        share = grad_out / (self.size[0] * self.size[1])
        grad_columns = self._spread(share, column_shape, 2, out_shape[2])
        return self._spread(grad_columns, x.shape, 3, out_shape[3])
