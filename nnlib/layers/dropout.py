"""Dropout: randomly silence units during training so the network cannot rely on any one."""
from __future__ import annotations

import numpy as np

from ..init import as_rng
from .base import Layer


class Dropout(Layer):
    """Inverted dropout with drop probability ``p``.

    Training: each element is zeroed with probability p and the survivors are scaled by
    1 / (1 − p), so the *expected* output equals the input. Evaluation (``.eval()``): the
    identity -- because of the scaling during training, nothing has to change at test time.

    Args:
        p: probability of dropping a unit, in [0, 1). (p = 1 would drop everything and
           divide by zero.)
        rng: int seed or ``np.random.Generator`` for the masks; None draws them from nnlib's
            shared generator (:func:`nnlib.init.default_rng`).

    Shapes: x any shape -> same shape.
    """

    def __init__(self, p: float = 0.5, rng=None):
        if not (isinstance(p, (int, float, np.floating)) and 0 <= p < 1):
            raise ValueError(f"Dropout: p must be a probability in [0, 1), got {p!r}")
        self.p = float(p)
        self.rng = as_rng(rng)

    def forward(self, x):
        """x: any shape -> same shape. Caches the mask (None in eval mode: the identity)."""
        x = np.asarray(x)
        if not self.training or self.p == 0:
            self.cache = (x.shape, None)
            return x
        dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.float64
        keep = self.rng.random(x.shape) >= self.p
        mask = keep.astype(dtype) / (1 - self.p)         # scaled once here, reused by backward
        self.cache = (x.shape, mask)
        return x * mask

    def backward(self, grad_out):
        """dL/dx = grad_out * mask: dropped units pass no gradient, kept ones are scaled too."""
        shape, mask = self._cached()
        grad_out = self._check_grad_out(grad_out, shape)
        return grad_out if mask is None else grad_out * mask

    def __repr__(self):
        return f"Dropout(p={self.p})"
