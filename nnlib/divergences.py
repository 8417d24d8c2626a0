"""Divergences between probability distributions: a value, and its gradient.

``gaussian_kl(mu, logvar)`` is the Kullback–Leibler divergence of a diagonal Gaussian
q = N(μ, diag σ²) from the standard normal p = N(0, I), the regularizer of a variational
autoencoder (the layer that samples from q is :class:`nnlib.layers.Reparameterize`):

    KL(q ‖ p) = E_q[log q(z) − log p(z)] = ½ Σ_j (μ_j² + σ_j² − log σ_j² − 1)   per example,

a sum over the d latent dimensions. Derivation, one dimension at a time (the dimensions are
independent, so their KLs add): log q(z) = −½ log 2π − ½ log σ² − (z − μ)²/(2σ²) and
log p(z) = −½ log 2π − z²/2; under q, E[(z − μ)²] = σ² and E[z²] = μ² + σ², so
E_q[log q − log p] = −½ log σ² − ½ + ½ (μ² + σ²).

Reduction: summed over the latent dimensions, averaged over the batch -- the KL of one example
in nats, on the same footing as a reconstruction loss summed over that example's pixels.
(Averaging over the latent dimensions as well would weaken the term by a factor d.)
"""
from __future__ import annotations

import numpy as np

__all__ = ["gaussian_kl", "gaussian_kl_grad", "gaussian_kl_per_example"]


def _checked(mu, logvar):
    mu = np.asarray(mu, dtype=np.result_type(mu, np.float32))
    logvar = np.asarray(logvar, dtype=mu.dtype)
    if mu.shape != logvar.shape or mu.ndim != 2:
        raise ValueError(f"gaussian_kl: mu and logvar must both be (N, d), got {mu.shape} and "
                         f"{logvar.shape}")
    if mu.size == 0:
        raise ValueError("gaussian_kl: got empty arrays; the mean of nothing is undefined")
    return mu, logvar


def gaussian_kl_per_example(mu, logvar):
    """KL(N(μ, diag σ²) ‖ N(0, I)) of each example, (N, d) -> (N,):

        ½ Σ_j (μ_j² + σ_j² − log σ_j² − 1),   σ² = exp(logvar).
    """
    mu, logvar = _checked(mu, logvar)
    return 0.5 * np.sum(mu * mu + np.exp(logvar) - logvar - 1, axis=1)


def gaussian_kl(mu, logvar) -> float:
    """The KL divergence from N(0, I), summed over the d latent dimensions, mean over the N examples.

    mu, logvar: (N, d), the means and log-variances log σ² of q. Returns a float (nats).
    """
    return float(np.mean(gaussian_kl_per_example(mu, logvar)))


def gaussian_kl_grad(mu, logvar):
    """(dKL/dμ, dKL/d(log σ²)) of :func:`gaussian_kl`, each (N, d):

        dKL/dμ = μ / N,    dKL/d(log σ²) = ½ (σ² − 1) / N.

    Zero at μ = 0, σ² = 1: the KL pulls every code towards N(0, I).
    """
    mu, logvar = _checked(mu, logvar)
    N = mu.shape[0]
    return mu / N, 0.5 * (np.exp(logvar) - 1) / N
