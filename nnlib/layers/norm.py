"""Normalization layers: BatchNorm (statistics over the batch) and LayerNorm (over features).

Both compute x̂ = (x − μ) / √(σ² + eps) and output y = γ x̂ + β with learned γ, β; they
differ only in *which* axes μ and σ² are taken over. So they share their backward passes:
:func:`_scale_shift_backward` for y = γ x̂ + β and :func:`normalize_backward` for x̂.
"""
from __future__ import annotations

import math

import numpy as np

from .base import Layer, Parameter, check_input


def _scale_shift_backward(layer, grad_out, x_hat, axes, shape):
    """The backward pass of y = γ x̂ + β: sets dL/dγ = Σ grad_out·x̂ and dL/dβ = Σ grad_out (sums
    over ``axes``, every axis but the feature one) and returns dL/dx̂ = grad_out·γ.
    ``shape`` broadcasts γ, shape (C,), against x̂."""
    layer.gamma.grad = (grad_out * x_hat).sum(axis=axes)
    layer.beta.grad = grad_out.sum(axis=axes)
    return grad_out * layer.gamma.data.reshape(shape)


def normalize_backward(dx_hat, x_hat, inv_std, axes):
    """dL/dx for x̂ = (x − mean(x)) · inv_std, where mean and variance run over ``axes``.

    dx_hat: dL/dx̂; x_hat, inv_std: from the forward pass (inv_std broadcastable).
    With m the number of elements averaged over, the chain rule through the mean and
    the variance collapses to

        dL/dx = inv_std / m · (m · dx̂ − Σ dx̂ − x̂ · Σ (dx̂ · x̂))

    The two sums are the extra terms a naive "divide by the std" backward misses: moving
    one x also moves the mean and the variance that every other x̂ was computed with.
    """
    m = math.prod(x_hat.shape[a] for a in axes)   # a Python int: a NumPy int64 would promote float32
    sum_dx_hat = dx_hat.sum(axis=axes, keepdims=True)
    sum_dx_hat_x_hat = (dx_hat * x_hat).sum(axis=axes, keepdims=True)
    return inv_std / m * (m * dx_hat - sum_dx_hat - x_hat * sum_dx_hat_x_hat)


class BatchNorm(Layer):
    """Batch normalization over the batch (and spatial) axes, one μ, σ² per feature/channel.

    Args:
        num_features: C, the number of features (dense input) or channels (conv input).
        momentum: weight of the new batch in the running statistics:
            running = (1 − momentum) · running + momentum · batch (PyTorch's convention).
        eps: added to the variance before the square root, so a constant feature does
            not divide by zero.
        dtype: dtype of γ, β and the running statistics.

    Shapes: x (N, C) -> (N, C), statistics over N; or x (N, C, H, W) -> (N, C, H, W),
    statistics over N, H, W. γ, β: (C,).

    Training mode normalizes with the batch's own mean and (biased) variance and
    updates ``running_mean`` / ``running_var`` -- the running variance uses the unbiased
    estimate m/(m − 1) · σ², as PyTorch does. Eval mode normalizes with the running
    statistics, so a prediction does not depend on what else is in the batch.
    The running statistics are state, not Parameters: optimizers must not touch them.
    """

    def __init__(self, num_features: int, momentum: float = 0.1, eps: float = 1e-5,
                 dtype=np.float32):
        if int(num_features) < 1:
            raise ValueError(f"BatchNorm: num_features must be >= 1, got {num_features}")
        if not 0 <= momentum <= 1:
            raise ValueError(f"BatchNorm: momentum must be in [0, 1], got {momentum}")
        if not eps > 0:
            raise ValueError(f"BatchNorm: eps must be > 0, got {eps}")
        self.num_features, self.momentum, self.eps = int(num_features), float(momentum), float(eps)
        self.gamma = Parameter(np.ones(self.num_features, dtype=dtype), "gamma")
        self.beta = Parameter(np.zeros(self.num_features, dtype=dtype), "beta")
        self.running_mean = np.zeros(self.num_features, dtype=dtype)
        self.running_var = np.ones(self.num_features, dtype=dtype)

    def forward(self, x):
        """x: (N, C) or (N, C, H, W) -> same shape. Caches x̂, 1/σ and how they broadcast."""
        x = np.asarray(x, dtype=self.gamma.data.dtype)
        C = self.num_features
        check_input(repr(self), x, f"(N, {C}) or (N, {C}, H, W)",
                    x.ndim in (2, 4) and x.shape[1] == C)
        axes = (0,) if x.ndim == 2 else (0, 2, 3)
        shape = (1, C) if x.ndim == 2 else (1, C, 1, 1)     # to broadcast (C,) against x
        if self.training:
            m = x.size // C
            if m < 2:
                raise ValueError(f"{self!r}: need more than 1 value per channel in training mode "
                                 f"to estimate a variance, got input {x.shape}")
            mean = x.mean(axis=axes)
            var = x.var(axis=axes)                           # biased: what normalizes this batch
            mom = self.momentum
            self.running_mean = (1 - mom) * self.running_mean + mom * mean
            self.running_var = (1 - mom) * self.running_var + mom * var * (m / (m - 1))
        else:
            mean, var = self.running_mean, self.running_var
        inv_std = (1 / np.sqrt(var + self.eps)).reshape(shape)
        x_hat = (x - mean.reshape(shape)) * inv_std
        self.cache = (x_hat, inv_std, axes, shape, self.training)
        return self.gamma.data.reshape(shape) * x_hat + self.beta.data.reshape(shape)

    def backward(self, grad_out):
        """grad_out: dL/dy, shape of x -> dL/dx; sets dL/dγ = Σ grad_out·x̂, dL/dβ = Σ grad_out."""
        x_hat, inv_std, axes, shape, training = self._cached()
        grad_out = self._check_grad_out(grad_out, x_hat.shape)
        dx_hat = _scale_shift_backward(self, grad_out, x_hat, axes, shape)
        if not training:
            # eval: mean and variance are constants, so x̂ is just an affine function of x
            return dx_hat * inv_std
        return normalize_backward(dx_hat, x_hat, inv_std, axes)

    def astype(self, dtype):
        super().astype(dtype)
        self.running_mean = self.running_mean.astype(dtype)
        self.running_var = self.running_var.astype(dtype)
        return self

    def __repr__(self):
        return f"BatchNorm({self.num_features})"


class LayerNorm(Layer):
    """Layer normalization: each example is normalized over its last axis (its features).

    Args:
        normalized_dim: D, the size of the last axis.
        eps: added to the variance before the square root.
        dtype: dtype of γ and β.

    Shapes: x (..., D) -> same shape, e.g. (N, D) or (N, T, D) in a transformer. γ, β: (D,).
    Unlike BatchNorm there are no running statistics and no train/eval difference:
    every example is normalized with its own mean and variance.
    """

    def __init__(self, normalized_dim: int, eps: float = 1e-5, dtype=np.float32):
        if int(normalized_dim) < 1:
            raise ValueError(f"LayerNorm: normalized_dim must be >= 1, got {normalized_dim}")
        if not eps > 0:
            raise ValueError(f"LayerNorm: eps must be > 0, got {eps}")
        self.normalized_dim, self.eps = int(normalized_dim), float(eps)
        self.gamma = Parameter(np.ones(self.normalized_dim, dtype=dtype), "gamma")
        self.beta = Parameter(np.zeros(self.normalized_dim, dtype=dtype), "beta")

    def forward(self, x):
        """x: (..., D) -> same shape. Caches x̂ and 1/σ."""
        x = np.asarray(x, dtype=self.gamma.data.dtype)
        D = self.normalized_dim
        check_input(repr(self), x, f"(..., {D})", x.ndim >= 1 and x.shape[-1] == D)
        # Means over the last axis as products with a vector of 1/D: for a short axis (D = 64)
        # NumPy's x.mean(axis=-1) is about 6x slower than this matrix-vector product.
        avg = np.full(D, 1 / D, dtype=x.dtype)
        centred = x - (x @ avg)[..., None]
        inv_std = 1 / np.sqrt(((centred * centred) @ avg)[..., None] + self.eps)
        x_hat = centred * inv_std
        self.cache = (x_hat, inv_std)
        return self.gamma.data * x_hat + self.beta.data

    def backward(self, grad_out):
        """grad_out: dL/dy, shape of x -> dL/dx; γ, β gradients summed over all leading axes."""
        x_hat, inv_std = self._cached()
        grad_out = self._check_grad_out(grad_out, x_hat.shape)
        leading = tuple(range(x_hat.ndim - 1))
        dx_hat = _scale_shift_backward(self, grad_out, x_hat, leading, (self.normalized_dim,))
        return normalize_backward(dx_hat, x_hat, inv_std, axes=(-1,))

    def __repr__(self):
        return f"LayerNorm({self.normalized_dim})"
