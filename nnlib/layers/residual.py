"""The residual (skip) connection: y = x + block(x)."""
from __future__ import annotations

import numpy as np

from .base import Layer


class Residual(Layer):
    """Wrap a block (a layer or a Sequential) with a skip connection: y = x + block(x).

    The block learns only the *change* to its input. In backward the identity path
    hands the upstream gradient straight through, dL/dx = grad_out + block.backward(grad_out),
    so gradients reach early layers even when the block's own gradient is small -- the
    reason very deep networks (ResNets, transformers) train at all.

    Shapes: x any shape -> same shape; the block must preserve the shape.
    Parameters, train() and eval() are the block's.
    """

    def __init__(self, block: Layer):
        if not isinstance(block, Layer):
            raise ValueError(f"Residual: block must be a Layer, got {type(block).__name__}")
        self.block = block

    def forward(self, x):
        """x -> x + block(x), same shape. Caches the shape (the block caches what it needs)."""
        fx = self.block(x)
        if np.shape(fx) != np.shape(x):
            raise ValueError(f"{self!r}: the block must keep the input's shape to add it back, "
                             f"but it maps {np.shape(x)} to {np.shape(fx)}")
        self.cache = np.shape(x)
        return x + fx

    def backward(self, grad_out):
        """dL/dx = grad_out (identity path) + block.backward(grad_out)."""
        grad_out = self._check_grad_out(grad_out, self._cached())
        return grad_out + self.block.backward(grad_out)

    def __repr__(self):
        return f"Residual({self.block!r})"
