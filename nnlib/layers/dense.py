"""The fully connected (Dense) layer, and Flatten, which feeds images into it."""
from __future__ import annotations

import math

import numpy as np

from .. import init as initializers
from .base import Layer, Parameter, check_input

_INITS = {"he": initializers.he_normal, "xavier": initializers.xavier_uniform}


def linear_backward(x, W, grad_out, need_dx: bool = True):
    """The backward pass of z = x W + b, as a pure function: returns ``(dx, dW, db)``.

    x: (N, D_in) inputs; W: (D_in, D_out); grad_out: dL/dz (N, D_out).
    dW = xᵀ · dZ (D_in, D_out);  db = Σ_n dZ[n] (D_out,);  dx = dZ · Wᵀ (N, D_in), or ``None``
    when ``need_dx`` is False (the first layer of a network needs no input gradient).
    Each is the only product whose shapes line up -- a handy way to remember them.
    Every layer with a linear map inside (Dense, attention's projections, the recurrent
    cells' input and hidden weights) uses this one function.
    """
    dW = x.T @ grad_out
    db = grad_out.sum(axis=0)
    dx = grad_out @ W.T if need_dx else None
    return dx, dW, db


class Dense(Layer):
    """Z = X W + b: every output unit is a weighted sum of every input feature.

    Args:
        in_features: D_in, the number of input features.
        out_features: D_out, the number of output units.
        init: "he" (He-normal, for ReLU networks), "xavier" (Glorot-uniform, for
            tanh/sigmoid), or a function ``init(shape, rng=..., dtype=...)``.
        bias: whether to add b (a following BatchNorm makes it redundant).
        rng: int seed or ``np.random.Generator`` for the initial W; None draws from nnlib's
            shared generator (:func:`nnlib.init.default_rng`), so two unseeded layers differ.
        dtype: dtype of W and b (inputs are cast to it).

    Shapes: x (N, D_in) -> Z (N, D_out); W (D_in, D_out); b (D_out,).
    Sequences work too: x (N, T, D_in) -> (N, T, D_out), the same W applied at every
    position (e.g. the output layer of a character-level RNN).
    (PyTorch's ``nn.Linear`` stores the transpose, ``weight: (D_out, D_in)``.)

    Attribute ``needs_input_grad`` (default True): set it to False on a network's first
    layer, whose input is the data, and ``backward`` skips dL/dx and returns None. That
    product costs as much as the forward pass; PyTorch skips it too, because the data
    tensor does not ``requires_grad``.
    """

    def __init__(self, in_features: int, out_features: int, init="he", bias: bool = True,
                 rng=None, dtype=np.float32):
        if int(in_features) < 1 or int(out_features) < 1:
            raise ValueError(f"Dense: in_features and out_features must be >= 1, "
                             f"got {in_features} and {out_features}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        if callable(init):
            init_fn = init
        elif init in _INITS:
            init_fn = _INITS[init]
        else:
            raise ValueError(f"Dense: init must be 'he', 'xavier' or a function, got {init!r}")
        shape = (self.in_features, self.out_features)
        self.W = Parameter(init_fn(shape, rng=rng, dtype=dtype), "W")
        self.b = Parameter(np.zeros(self.out_features, dtype=dtype), "b") if bias else None
        self.needs_input_grad = True

    def forward(self, x):
        """x: (N, D_in) -> Z = x W + b: (N, D_out); or (N, T, D_in) -> (N, T, D_out).

        Caches x for backward (``self.cache``).
        """
        x = np.asarray(x, dtype=self.W.data.dtype)    # no copy when already the right dtype
        D_in = self.in_features
        check_input(repr(self), x, f"(N, {D_in})" if x.ndim <= 2 else f"(N, ..., {D_in})",
                    x.ndim >= 2 and x.shape[-1] == D_in)
        self.cache = x
        # one (rows, D_in) @ (D_in, D_out) product for every row of every example: for
        # (N, D_in) input both reshapes are free no-ops
        z = (x.reshape(-1, D_in) @ self.W.data).reshape(*x.shape[:-1], self.out_features)
        if self.b is not None:
            z += self.b.data                           # in place: no second (N, D_out) array
        return z

    def backward(self, grad_out):
        """grad_out: dL/dZ (N, D_out) -> dL/dx (N, D_in), or None if not ``needs_input_grad``.

        From Z = x W + b:  dL/dW = xᵀ · dZ,  dL/db = Σ_n dZ[n],  dL/dx = dZ · Wᵀ.
        (Each is the only product whose shapes line up -- a handy way to remember them.)
        """
        x = self._cached()
        grad_out = self._check_grad_out(grad_out, x.shape[:-1] + (self.out_features,))
        # fold any sequence axis into the batch axis: every row is one example of x W
        rows, dZ = x.reshape(-1, self.in_features), grad_out.reshape(-1, self.out_features)
        dx, self.W.grad, db = linear_backward(rows, self.W.data, dZ, self.needs_input_grad)
        if self.b is not None:
            self.b.grad = db
        return None if dx is None else dx.reshape(x.shape)

    def __repr__(self):
        return f"Dense({self.in_features}→{self.out_features})"


class Flatten(Layer):
    """Flatten everything but the batch axis: x (N, d1, d2, ...) -> (N, d1·d2·...).

    The bridge from convolutional feature maps (N, C, H, W) to a Dense layer.
    No parameters; backward just restores the original shape.
    """

    def forward(self, x):
        """x: (N, d1, d2, ...) -> (N, d1·d2·...); caches the input's shape."""
        x = np.asarray(x)
        check_input(repr(self), x, "(N, ...) with at least 2 dimensions", x.ndim >= 2)
        self.cache = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, grad_out):
        """grad_out: (N, d1·d2·...) -> dL/dx (N, d1, d2, ...): the same numbers, reshaped."""
        shape = self._cached()
        return self._check_grad_out(grad_out, (shape[0], math.prod(shape[1:]))).reshape(shape)
