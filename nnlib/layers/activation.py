"""Activation layers: thin wrappers that put the functions of :mod:`nnlib.activations`
behind the Layer contract.

Each layer has no parameters. ``forward(z)`` caches its input ``z`` (any shape) and
``backward(grad_out)`` returns ``grad_out * f'(z)`` -- the chain rule, elementwise.
Softmax and LogSoftmax are the exception: each output depends on a whole row, so they cache
their output and their backward passes use a vector–Jacobian product
(:func:`~nnlib.activations.softmax_backward`, :func:`~nnlib.activations.log_softmax_backward`)
instead of an elementwise derivative.
"""
from __future__ import annotations

from .. import activations as F
from .base import Layer


class _Elementwise(Layer):
    """Shared plumbing for y = f(z) applied elementwise; subclasses set ``f`` and ``f_prime``."""

    def f(self, z):
        raise NotImplementedError

    def f_prime(self, z):
        raise NotImplementedError

    def forward(self, z):
        """z: any shape -> same shape. Caches the pre-activation z."""
        self.cache = F._as_float(z)
        return self.f(self.cache)

    def backward(self, grad_out):
        """grad_out: dL/dy, shape of z -> dL/dz = grad_out * f'(z)."""
        z = self._cached()
        grad_out = self._check_grad_out(grad_out, z.shape)
        return grad_out * self.f_prime(z)


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

    def forward(self, z):
        """z: (..., K) -> y = softmax(z): same shape. Caches y, which is all backward needs."""
        z = _at_least_1d(self, z)
        self.cache = y = F.softmax(z, axis=self.axis)
        return y.copy()            # the caller may change what it gets; the cache stays intact

    def backward(self, grad_out):
        """grad_out: dL/dy -> dL/dz = y ⊙ (g − Σ_i g_i y_i), from the cached y."""
        y = self._cached()
        grad_out = self._check_grad_out(grad_out, y.shape)
        return F.softmax_backward(y, grad_out, axis=self.axis)

    def __repr__(self):
        return f"Softmax(axis={self.axis})"


class LogSoftmax(Layer):
    """y = log softmax(z) along ``axis``.

    z: (..., K) -> y: same shape.
    Backward: y_j = z_j − log Σ_i e^{z_i}, so dL/dz_j = g_j − softmax(z)_j · Σ_i g_i.
    """

    def __init__(self, axis: int = -1):
        self.axis = axis

    def forward(self, z):
        """z: (..., K) -> y = log softmax(z): same shape. Caches y."""
        z = _at_least_1d(self, z)
        self.cache = y = F.log_softmax(z, axis=self.axis)
        return y.copy()            # the caller may change what it gets; the cache stays intact

    def backward(self, grad_out):
        """grad_out: dL/dy -> dL/dz = g − softmax(z) Σ_i g_i, from the cached y."""
        y = self._cached()
        grad_out = self._check_grad_out(grad_out, y.shape)
        return F.log_softmax_backward(y, grad_out, axis=self.axis)

    def __repr__(self):
        return f"LogSoftmax(axis={self.axis})"


def _at_least_1d(layer, z):
    """z as a float array with an axis to normalise over; a scalar gets a ValueError."""
    z = F._as_float(z)
    if z.ndim == 0:
        raise ValueError(f"{layer!r}: expected input with at least 1 dimension, got a scalar")
    return z
