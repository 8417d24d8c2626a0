"""Turning a model's scores into choices: greedy decoding and sampling with a temperature.

A character model outputs logits z (one score per character) for the next position. To
generate text we pick one character, feed it back in, and repeat. Two ways to pick:

* **greedy**: always the most likely character, ``argmax z``. Deterministic, and it tends to
  loop ("the the the ...");
* **sampling** from ``p = softmax(z / τ)`` with a *temperature* τ > 0. τ = 1 samples the
  model's own distribution; τ < 1 sharpens it towards the argmax (τ → 0 is greedy); τ > 1
  flattens it towards uniform (τ → ∞ picks any allowed character with equal probability).

Both limits are computed exactly, without NaN or overflow warnings: ``τ = 0`` gives the
one-hot argmax (ties share the mass), ``τ = inf`` the uniform distribution. A logit of
``-inf`` marks a forbidden choice and gets probability 0 at every temperature.

Generating from a character-level recurrent model, one character at a time, carrying the
state (``emb``, ``rnn``, ``out``: an Embedding, an RNN/LSTM/GRU and a Dense layer)::

    rng, state, ids = np.random.default_rng(0), None, [start_id]
    for _ in range(length):
        y, state = rnn(emb(np.array([[ids[-1]]])), state, return_state=True)
        ids.append(int(sample(out(y[:, -1]), temperature, rng)[0]))   # logits (1, V) → one id
"""
from __future__ import annotations

import math

import numpy as np

from .activations import softmax
from .init import as_rng

__all__ = ["probabilities", "sample", "greedy"]


def _check_logits(who: str, logits) -> np.ndarray:
    z = np.asarray(logits)
    if not (np.issubdtype(z.dtype, np.floating) or np.issubdtype(z.dtype, np.integer)):
        raise ValueError(f"{who}: logits must be numbers, got dtype {z.dtype}")
    z = z.astype(np.float64) if not np.issubdtype(z.dtype, np.floating) else z
    if z.ndim < 1 or z.shape[-1] == 0:
        raise ValueError(f"{who}: expected logits (..., K) with K >= 1 choices, got shape {z.shape}")
    if np.isnan(z).any() or (z == np.inf).any():
        raise ValueError(f"{who}: logits must be finite or -inf (a forbidden choice); "
                         f"got NaN or +inf in an array of shape {z.shape}")
    if (z == -np.inf).all(axis=-1).any():
        raise ValueError(f"{who}: every choice is forbidden (-inf) in some row of logits {z.shape}")
    return z


def _check_temperature(who: str, temperature) -> float:
    try:
        tau = float(temperature)
    except (TypeError, ValueError):
        raise ValueError(f"{who}: temperature must be a number >= 0, got {temperature!r}") from None
    if math.isnan(tau) or tau < 0:
        raise ValueError(f"{who}: temperature must be a number >= 0 (0 = greedy, inf = uniform), "
                         f"got {temperature!r}")
    return tau


def probabilities(logits, temperature: float = 1.0) -> np.ndarray:
    """p = softmax(logits / τ) over the last axis, with the limits τ = 0 and τ = inf exact.

    logits: (..., K); returns (..., K) probabilities, each row summing to 1, in logits' dtype.
    """
    return _probabilities("probabilities", logits, temperature)


def _probabilities(who: str, logits, temperature) -> np.ndarray:
    z = _check_logits(who, logits)
    tau = _check_temperature(who, temperature)
    shifted = z - z.max(axis=-1, keepdims=True)            # the best choice at 0, the rest < 0
    if tau == 0:                                            # the limit τ → 0: all mass on the max
        p = (shifted == 0).astype(z.dtype)
    elif tau == math.inf:                                   # the limit τ → ∞: uniform over allowed
        p = np.isfinite(shifted).astype(z.dtype)
    else:
        # A tiny τ sends shifted / τ to -inf, which exp maps to 0: the right answer, so the
        # overflow warning is silenced for this one line.
        with np.errstate(over="ignore"):
            return softmax(shifted / tau, axis=-1)
    return p / p.sum(axis=-1, keepdims=True)


def greedy(logits) -> np.ndarray:
    """The most likely choice: argmax over the last axis (the first one, if tied).
    logits: (..., K) → integer ids (...)."""
    return _check_logits("greedy", logits).argmax(axis=-1)


def sample(logits, temperature: float = 1.0, rng=None) -> np.ndarray:
    """Draw one choice per row from ``probabilities(logits, temperature)``.

    logits: (..., K) → integer ids (...); a single row (K,) gives a 0-d array (use ``int()``).
    rng: None (nnlib's shared generator: ``nnlib.init.seed(s)`` makes a run reproducible),
    a seed, or a ``np.random.Generator``. When generating text, keep using ONE generator:
    re-seeding before every character would draw the same uniform number each time.

    Inverse-CDF sampling: with cumulative sums c_k and u uniform in [0, 1), the choice is the
    first k with c_k > u · c_K. A zero-probability choice never has c_k > c_{k-1}, so it is
    never drawn, whatever the rounding.
    """
    p = _probabilities("sample", logits, temperature)
    u = as_rng(rng).random(p.shape[:-1] + (1,))
    c = np.cumsum(p, axis=-1)
    return (c <= u * c[..., -1:]).sum(axis=-1)
