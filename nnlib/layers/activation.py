"""Activation layers: thin wrappers that put the functions of :mod:`nnlib.activations`
behind the Layer contract.

Each layer has no parameters. ``forward(z)`` remembers its input ``z`` (any shape) and
``backward(grad_out)`` returns ``grad_out * f'(z)`` -- the chain rule, elementwise.
Softmax and LogSoftmax are the exception: each output depends on a whole row, so their
backward passes use a vector–Jacobian product instead of an elementwise derivative.
"""
from __future__ import annotations

import numpy as np

from .. import activations as F
from .base import Layer


class _Elementwise(Layer):
    """Shared plumbing for y = f(z) applied elementwise; subclasses set ``f`` and ``f_prime``."""

    def __init__(self):
        self.z = None

    def f(self, z):
        raise NotImplementedError

    def f_prime(self, z):
        raise NotImplementedError

    def forward(self, z):
        """z: any shape -> same shape."""
        self.z = F._as_float(z)
        return self.f(self.z)

    def backward(self, grad_out):
        """grad_out: dL/dy, shape of z -> dL/dz = grad_out * f'(z)."""
        if self.z is None:
            raise RuntimeError(f"{self!r}: backward() called before forward()")
        if np.shape(grad_out) != self.z.shape:
            raise ValueError(f"{self!r}.backward: expected grad_out {self.z.shape}, got {np.shape(grad_out)}")
        return grad_out * self.f_prime(self.z)


class Sigmoid(_Elementwise):
    """y = σ(z) = 1 / (1 + e^{−z}); squashes to (0, 1)."""

    def f(self, z):
        return F.sigmoid(z)

    def f_prime(self, z):
        return F.sigmoid_prime(z)


class Tanh(_Elementwise):
    """y = tanh(z); squashes to (−1, 1), zero-centred."""

    def f(self, z):
        return F.tanh(z)

    def f_prime(self, z):
        return F.tanh_prime(z)


class ReLU(_Elementwise):
    """y = max(z, 0)."""

    def f(self, z):
        return F.relu(z)

    def f_prime(self, z):
        return F.relu_prime(z)


class LeakyReLU(_Elementwise):
    """y = z if z > 0 else alpha·z. ``alpha`` ≥ 0 is the slope for negative inputs."""

    def __init__(self, alpha: float = 0.01):
        super().__init__()
        if not alpha >= 0:
            raise ValueError(f"LeakyReLU: alpha must be >= 0, got {alpha}")
        self.alpha = float(alpha)

    def f(self, z):
        return F.leaky_relu(z, self.alpha)

    def f_prime(self, z):
        return F.leaky_relu_prime(z, self.alpha)

    def __repr__(self):
        return f"LeakyReLU(alpha={self.alpha})"


class ELU(_Elementwise):
    """y = z if z > 0 else alpha·(e^z − 1). ``alpha`` > 0."""

    def __init__(self, alpha: float = 1.0):
        super().__init__()
        if not alpha > 0:
            raise ValueError(f"ELU: alpha must be > 0, got {alpha}")
        self.alpha = float(alpha)

    def f(self, z):
        return F.elu(z, self.alpha)

    def f_prime(self, z):
        return F.elu_prime(z, self.alpha)

    def __repr__(self):
        return f"ELU(alpha={self.alpha})"


class GELU(_Elementwise):
    """y = z Φ(z) (exact, erf-based GELU as in PyTorch's default)."""

    def f(self, z):
        return F.gelu(z)

    def f_prime(self, z):
        return F.gelu_prime(z)


class Softmax(Layer):
    """y = softmax(z) along ``axis`` (default: the last one, the classes).

    z: (..., K) -> y: same shape, rows sum to 1.

    Backward: y_i depends on every z_j, so dL/dz = Jᵀ g with J = diag(y) − y yᵀ. Written
    out, (Jᵀ g)_j = y_j (g_j − Σ_i g_i y_i): O(K) per row instead of building the K×K
    Jacobian. (``y * (1 − y)`` is only the diagonal of J; using it is a well-known bug.)

    For classification, prefer feeding logits to ``cross_entropy``, which fuses the
    softmax and is both faster and more accurate.
    """

    def __init__(self, axis: int = -1):
        self.axis = axis
        self.y = None

    def forward(self, z):
        z = F._as_float(z)
        if z.ndim == 0:
            raise ValueError(f"{self!r}: expected input with at least 1 dimension, got a scalar")
        self.y = F.softmax(z, axis=self.axis)
        return self.y

    def backward(self, grad_out):
        if self.y is None:
            raise RuntimeError(f"{self!r}: backward() called before forward()")
        return F.softmax_backward(self.y, grad_out, axis=self.axis)

    def __repr__(self):
        return f"Softmax(axis={self.axis})"


class LogSoftmax(Layer):
    """y = log softmax(z) along ``axis``.

    z: (..., K) -> y: same shape.
    Backward: y_j = z_j − log Σ_i e^{z_i}, so dL/dz_j = g_j − softmax(z)_j · Σ_i g_i.
    """

    def __init__(self, axis: int = -1):
        self.axis = axis
        self.y = None

    def forward(self, z):
        z = F._as_float(z)
        if z.ndim == 0:
            raise ValueError(f"{self!r}: expected input with at least 1 dimension, got a scalar")
        self.y = F.log_softmax(z, axis=self.axis)
        return self.y

    def backward(self, grad_out):
        if self.y is None:
            raise RuntimeError(f"{self!r}: backward() called before forward()")
        s = np.exp(self.y)          # softmax(z), recovered from the cached log-probabilities
        return grad_out - s * grad_out.sum(axis=self.axis, keepdims=True)

    def __repr__(self):
        return f"LogSoftmax(axis={self.axis})"
