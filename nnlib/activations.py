"""Activation functions and their derivatives, as pure NumPy functions.

Every function takes the **pre-activation** ``z`` (any shape) and returns an array of the
same shape and floating dtype (float32 stays float32). The derivative ``f_prime(z)``
also takes ``z`` -- never the activation ``f(z)``. (Much code found online writes
``sigmoid_prime(a) = a * (1 - a)`` and expects the *output*; mixing the two conventions
is a classic silent bug.)

Numerical stability is part of the contract: for ``|z|`` up to 1e4, in float32 and
float64, every function returns finite values without a single overflow warning.

The layer classes in :mod:`nnlib.layers.activation` are thin wrappers around these.
"""
from __future__ import annotations

import math

import numpy as np
from scipy.special import erf

__all__ = [
    "sigmoid", "sigmoid_prime", "tanh", "tanh_prime", "relu", "relu_prime",
    "leaky_relu", "leaky_relu_prime", "elu", "elu_prime", "gelu", "gelu_prime",
    "softmax", "log_softmax", "softmax_jacobian", "softmax_backward", "log_softmax_backward",
]


def _as_float(z) -> np.ndarray:
    """``z`` as a floating array: float32/float64 kept, integers and lists become float64."""
    z = np.asarray(z)
    if not np.issubdtype(z.dtype, np.floating):
        z = z.astype(np.float64)
    return z


# --- sigmoid and tanh ---------------------------------------------------------------

def sigmoid(z):
    """σ(z) = 1 / (1 + e^{-z}), elementwise. Shape and dtype of ``z``; values in [0, 1].

    The textbook formula overflows: ``np.exp(-z)`` is inf for z < -709 (float64) or
    z < -88 (float32). We only ever exponentiate ``-|z|`` (at most 1, so no overflow) and
    use the identity σ(z) = e^{z} / (1 + e^{z}) for negative z: with u = e^{-|z|}, the
    numerator is 1 for z ≥ 0 and u for z < 0, over the same denominator 1 + u.
    """
    z = _as_float(z)
    u = np.exp(-np.abs(z))                 # e^{-|z|} ∈ (0, 1]
    # The numerator, 1 or u, is max(u, [z >= 0]): max(u, 1) = 1 and max(u, 0) = u, as 0 < u <= 1.
    # (One division, and np.maximum rather than np.where: half the time of the two-branch form.)
    return np.maximum(u, z >= 0) / (1 + u)


def sigmoid_prime(z):
    """dσ/dz = σ(z) (1 − σ(z)), evaluated at the pre-activation ``z``."""
    s = sigmoid(z)
    return s * (1 - s)


def tanh(z):
    """tanh(z) elementwise; NumPy's ``tanh`` is already stable for any |z|."""
    return np.tanh(_as_float(z))


def tanh_prime(z):
    """d tanh/dz = 1 − tanh(z)², evaluated at ``z``."""
    t = np.tanh(_as_float(z))
    return 1 - t * t


# --- the ReLU family ----------------------------------------------------------------

def relu(z):
    """max(z, 0) elementwise."""
    z = _as_float(z)
    return np.maximum(z, 0)


def relu_prime(z):
    """1 where z > 0, else 0. At z = 0 we pick 0, the same choice as PyTorch."""
    z = _as_float(z)
    return (z > 0).astype(z.dtype)


def leaky_relu(z, alpha: float = 0.01):
    """z for z > 0, ``alpha * z`` otherwise: a small slope keeps negative units alive."""
    z = _as_float(z)
    return np.where(z > 0, z, alpha * z)


def leaky_relu_prime(z, alpha: float = 0.01):
    """1 for z > 0, ``alpha`` otherwise (``alpha`` at z = 0, like PyTorch)."""
    z = _as_float(z)
    return np.where(z > 0, 1, alpha).astype(z.dtype)


def elu(z, alpha: float = 1.0):
    """z for z > 0, ``alpha * (e^z − 1)`` otherwise: smooth, and negative outputs are bounded by −alpha."""
    z = _as_float(z)
    # exp of the positive branch is never used, but np.where evaluates both branches:
    # clip to z <= 0 so e^{1e4} is never computed (it would overflow and warn).
    return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0)))


def elu_prime(z, alpha: float = 1.0):
    """1 for z > 0, ``alpha * e^z`` otherwise."""
    z = _as_float(z)
    return np.where(z > 0, 1, alpha * np.exp(np.minimum(z, 0))).astype(z.dtype)


# --- GELU ---------------------------------------------------------------------------

# Python floats, not NumPy scalars: a np.float64 constant would promote float32 arrays.
_SQRT2 = math.sqrt(2.0)
_SQRT_2PI = math.sqrt(2.0 * math.pi)


def gelu(z):
    """GELU(z) = z Φ(z), Φ the standard normal CDF = ½(1 + erf(z/√2)).

    This is the *exact* GELU (PyTorch's default), not the tanh approximation.
    """
    z = _as_float(z)
    return 0.5 * z * (1 + erf(z / _SQRT2).astype(z.dtype))


def gelu_prime(z):
    """d GELU/dz = Φ(z) + z φ(z), with φ(z) = e^{−z²/2} / √(2π) the normal density."""
    z = _as_float(z)
    cdf = 0.5 * (1 + erf(z / _SQRT2))
    # φ(z) underflows to 0 long before |z| = 40; clipping first keeps z² from
    # overflowing float32 for huge inputs without changing any result.
    zc = np.clip(z, -40, 40)
    pdf = np.exp(-0.5 * zc * zc) / _SQRT_2PI
    return (cdf + z * pdf).astype(z.dtype)


# --- softmax ------------------------------------------------------------------------

def _max_over(z, axis):
    """``z.max(axis=axis, keepdims=True)``. NumPy reduces a short last axis row by row, which
    is slow: on attention's (32, 4, 32, 32) scores 233 µs, against 93 µs for a transposed copy
    whose reduction is one element-wise maximum of whole rows per step. Same values."""
    K = z.shape[axis]
    if z.ndim > 1 and axis in (-1, z.ndim - 1) and K <= 64:
        rows = np.ascontiguousarray(z.reshape(-1, K).T)          # (K, everything else)
        return rows.max(axis=0).reshape(*z.shape[:-1], 1)
    return z.max(axis=axis, keepdims=True)


def _sum_over(z, axis):
    """``z.sum(axis=axis, keepdims=True)``; over a short last axis as a product with a vector
    of ones (14 µs against 90 µs on the scores above)."""
    K = z.shape[axis]
    if z.ndim > 1 and axis in (-1, z.ndim - 1) and K <= 64:
        return (z @ np.ones(K, dtype=z.dtype))[..., None]
    return z.sum(axis=axis, keepdims=True)


def softmax(z, axis: int = -1):
    """softmax(z)_k = e^{z_k} / Σ_j e^{z_j} along ``axis``.

    z: (..., K) logits (by default the last axis holds the K classes).
    Returns probabilities of the same shape; each slice along ``axis`` sums to 1.

    We subtract the max first: softmax(z) = softmax(z − c) for any c, and with c = max(z)
    every exponent is ≤ 0, so exp never overflows (it would above ~709 in float64, ~88
    in float32) and the largest term is exactly 1, so the sum is never 0.
    """
    z = _as_float(z)
    e = z - _max_over(z, axis)
    np.exp(e, out=e)                      # in place: one array instead of three (attention calls
    e /= _sum_over(e, axis)               # this on (N, heads, T, T) scores every step)
    return e


def log_softmax(z, axis: int = -1):
    """log(softmax(z)) along ``axis``, computed without ever forming softmax.

    log softmax(z)_k = (z_k − m) − log Σ_j e^{z_j − m}, m = max(z). Taking ``np.log`` of
    ``softmax(z)`` instead would give log(0) = −inf for very negative logits.
    """
    z = _as_float(z)
    shifted = z - _max_over(z, axis)
    return shifted - np.log(_sum_over(np.exp(shifted), axis))


def softmax_backward(s, grad_out, axis: int = -1):
    """dL/dz from dL/ds for s = softmax(z) along ``axis``: the vector–Jacobian product Jᵀ g.

    s: softmax output (any shape); grad_out: dL/ds, same shape. Returns dL/dz, same shape.

    With J = diag(s) − s sᵀ (see :func:`softmax_jacobian`), (Jᵀ g)_j = s_j (g_j − Σ_i g_i s_i):
    O(K) per slice instead of building the K×K matrix. Every layer that applies a softmax
    (``Softmax``, attention) uses this one function.
    """
    return s * (grad_out - _sum_over(grad_out * s, axis))      # Σ_i g_i s_i along the axis


def log_softmax_backward(log_s, grad_out, axis: int = -1):
    """dL/dz from dL/dy for y = log softmax(z) along ``axis``.

    log_s: the log-softmax output y (any shape); grad_out: dL/dy, same shape. Returns dL/dz.

    From y_j = z_j − log Σ_i e^{z_i}: ∂y_j/∂z_k = δ_jk − s_k with s = softmax(z) = e^y, so
    dL/dz_k = g_k − s_k Σ_j g_j. (With g the one-hot −y_true / N this is cross-entropy's
    familiar (s − y_true) / N.)
    """
    return grad_out - np.exp(log_s) * grad_out.sum(axis=axis, keepdims=True)


def softmax_jacobian(s):
    """The Jacobian of softmax at one example, from its output.

    s: (K,) a softmax output (probabilities). Returns the (K, K) matrix
    J[i, j] = ∂s_i/∂z_j = s_i (δ_ij − s_j), i.e. ``diag(s) − s sᵀ``.

    Note that it is a full matrix, not ``s * (1 − s)`` (that is only its diagonal).
    Layers never build it: the vector–Jacobian product Jᵀ g = s ⊙ (g − (g·s)) is cheaper.
    """
    s = _as_float(s)
    if s.ndim != 1:
        raise ValueError(f"softmax_jacobian: expected a 1-D softmax output (K,), got shape {s.shape}")
    return np.diag(s) - np.outer(s, s)
