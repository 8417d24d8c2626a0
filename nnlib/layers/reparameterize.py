"""The reparameterization trick: a random sample that gradients can flow through.

A variational autoencoder's encoder outputs, for each example, the mean μ and the log-variance
log σ² of a Gaussian over the latent code, and the decoder needs a *sample* z from it. Sampling
is not a differentiable operation of μ and σ -- but writing the sample as

    z = μ + σ ⊙ ε,   σ = exp(½ log σ²),   ε ~ N(0, I) drawn independently of μ and σ,

makes z an ordinary function of μ and log σ² (ε is just another input), with

    ∂z/∂μ = 1,    ∂z/∂(log σ²) = ½ σ ⊙ ε     (elementwise).

Why log σ² and not σ: a linear layer can output any real number, and exp turns it into a
positive variance without a constraint; the KL term (:mod:`nnlib.divergences`) is simplest in it.
"""
from __future__ import annotations

import numpy as np

from ..init import as_rng
from .base import Layer, check_input


def reparameterize(mu, logvar, eps):
    """z = μ + exp(½ log σ²) ⊙ ε. mu, logvar, eps, z: one shape, (N, d)."""
    return mu + np.exp(0.5 * logvar) * eps


def reparameterize_backward(grad_z, logvar, eps):
    """dL/dμ and dL/d(log σ²) from dL/dz (all the same shape).

    From z = μ + exp(½ log σ²) ε:  dL/dμ = dL/dz,  dL/d(log σ²) = dL/dz ⊙ ½ exp(½ log σ²) ⊙ ε.
    """
    return grad_z, grad_z * 0.5 * np.exp(0.5 * logvar) * eps


class Reparameterize(Layer):
    """Draw z ~ N(μ, diag σ²) as z = μ + σ ⊙ ε, for a variational autoencoder.

    The input is the encoder's last Dense output with 2·d columns, the means first and then the
    log-variances: ``h = [μ | log σ²]``. Taking them as one array keeps this a one-input layer,
    so an encoder, this layer and a decoder chain in a ``Sequential``.

    Training mode draws a fresh ε ~ N(0, I) at every forward. Evaluation mode (``.eval()``,
    and so ``predict``) uses ε = 0, returning the mean μ: the deterministic code of an input.

    Args:
        latent_dim: d, the size of the latent code z.
        rng: int seed or ``np.random.Generator`` for ε; None draws from nnlib's shared
            generator (:func:`nnlib.init.default_rng`).

    Shapes: h (N, 2d) -> z (N, d).
    """

    def __init__(self, latent_dim: int, rng=None):
        if int(latent_dim) < 1:
            raise ValueError(f"Reparameterize: latent_dim must be >= 1, got {latent_dim}")
        self.latent_dim = int(latent_dim)
        self.rng = as_rng(rng)

    def split(self, h):
        """(μ, log σ²): the two halves of h (N, 2d), each (N, d)."""
        h = np.asarray(h)
        d = self.latent_dim
        check_input(repr(self), h, f"(N, {2 * d}) = [μ | log σ²]", h.ndim == 2 and h.shape[1] == 2 * d)
        return h[:, :d], h[:, d:]

    def forward(self, h):
        """h: (N, 2d) = [μ | log σ²] -> z = μ + exp(½ log σ²) ⊙ ε: (N, d).

        Caches (log σ², ε) for backward. ε ~ N(0, I) in training mode,
        ε = 0 in eval mode (z = μ).
        """
        h = np.asarray(h)
        if not np.issubdtype(h.dtype, np.floating):
            h = h.astype(np.float64)
        mu, logvar = self.split(h)
        if self.training:
            eps = self.rng.standard_normal(mu.shape)
            eps = eps.astype(h.dtype, copy=False)
        else:
            eps = np.zeros_like(mu)
        self.cache = (logvar.copy(), eps)   # a copy: h is the caller's
        return reparameterize(mu, logvar, eps)

    def backward(self, grad_out):
        """grad_out = dL/dz (N, d) -> [dL/dμ | dL/d(log σ²)] (N, 2d)."""
        logvar, eps = self._cached()
        grad_out = self._check_grad_out(grad_out, eps.shape)
        d_mu, d_logvar = reparameterize_backward(grad_out, logvar, eps)
        return np.concatenate([d_mu, d_logvar], axis=1)

    def __repr__(self):
        return f"Reparameterize({2 * self.latent_dim}→{self.latent_dim})"
