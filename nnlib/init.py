"""Weight initializers: Xavier/Glorot and He/Kaiming, uniform and normal.

Why it matters: if each layer multiplies the variance of its signal by a factor c, after
L layers the variance has changed by c^L -- it explodes or vanishes. These schemes pick
the weight variance so that c ≈ 1:

* Xavier/Glorot (2010), for tanh/sigmoid/linear layers: Var(W) = 2 / (fan_in + fan_out),
  a compromise between keeping the forward signal (1/fan_in) and the backward gradient
  (1/fan_out) steady.
* He/Kaiming (2015), for ReLU layers: Var(W) = 2 / fan_in. ReLU zeroes half of its inputs,
  halving the variance; the factor 2 gives it back.

A uniform distribution on [−a, a] has variance a²/3, so the uniform versions use
a = √3 · std.

Shapes follow nnlib's conventions (which differ from PyTorch's for dense layers):
Dense ``W: (in, out)``; Conv2D ``W: (C_out, C_in, kh, kw)``.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = [
    "fan_in_out", "calculate_gain", "xavier_uniform", "xavier_normal",
    "he_uniform", "he_normal", "as_rng", "default_rng", "seed",
]

# ONE generator for everything created without an explicit ``rng``. Seeded once, at import, so a
# fresh run of the same code gives the same numbers -- while two layers created one after the other
# draw different numbers from it (a new generator seeded 0 for each would give them equal weights).
_SHARED = np.random.default_rng(0)


def default_rng() -> np.random.Generator:
    """The library's shared generator: what ``rng=None`` means everywhere in nnlib."""
    return _SHARED


def seed(s) -> None:
    """Reset the shared generator to seed ``s`` (an int): the code that follows reproduces exactly.

    The generator object stays the same (layers that hold it, like an unseeded Dropout, see the
    reset); only its state is replaced by that of ``np.random.default_rng(s)``.
    """
    _SHARED.bit_generator.state = np.random.default_rng(s).bit_generator.state


def as_rng(rng=None) -> np.random.Generator:
    """A ``np.random.Generator`` from ``rng``: a Generator is used as is, an int seeds a new one,
    and None means the shared generator :func:`default_rng`."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return _SHARED
    return np.random.default_rng(rng)


def fan_in_out(shape) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight array: how many inputs feed one output unit, and how
    many outputs one input unit feeds.

    * 2-D ``(in, out)`` (a Dense layer's W): fan_in = in, fan_out = out.
    * k-D ``(C_out, C_in, *kernel)`` (a convolution): each output sees C_in·kh·kw inputs, so
      fan_in = C_in · prod(kernel) and fan_out = C_out · prod(kernel).
    """
    shape = tuple(int(s) for s in shape)
    if len(shape) < 2:
        raise ValueError(f"fan_in_out: need a weight shape with at least 2 dimensions, got {shape}")
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended extra scale for Xavier init in front of a given nonlinearity
    (the same table as PyTorch's ``calculate_gain``): linear/sigmoid 1, tanh 5/3,
    relu √2, leaky_relu √(2 / (1 + slope²))."""
    if nonlinearity in ("linear", "identity", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1 + slope**2))
    raise ValueError(f"calculate_gain: unknown nonlinearity {nonlinearity!r}; "
                     "use 'linear', 'sigmoid', 'tanh', 'relu' or 'leaky_relu'")


def _sample(kind, shape, std, rng, dtype):
    rng = as_rng(rng)
    if kind == "uniform":
        bound = math.sqrt(3.0) * std          # U(−a, a) has std a/√3
        return rng.uniform(-bound, bound, size=shape).astype(dtype)
    return rng.normal(0.0, std, size=shape).astype(dtype)


def xavier_uniform(shape, rng=None, gain: float = 1.0, dtype=np.float32) -> np.ndarray:
    """W ~ U(−a, a), a = gain · √(6 / (fan_in + fan_out)). Returns an array of ``shape``."""
    fan_in, fan_out = fan_in_out(shape)
    return _sample("uniform", shape, gain * math.sqrt(2.0 / (fan_in + fan_out)), rng, dtype)


def xavier_normal(shape, rng=None, gain: float = 1.0, dtype=np.float32) -> np.ndarray:
    """W ~ N(0, std²), std = gain · √(2 / (fan_in + fan_out)). Returns an array of ``shape``."""
    fan_in, fan_out = fan_in_out(shape)
    return _sample("normal", shape, gain * math.sqrt(2.0 / (fan_in + fan_out)), rng, dtype)


def he_uniform(shape, rng=None, gain: float = 1.0, dtype=np.float32) -> np.ndarray:
    """W ~ U(−a, a), a = gain · √(6 / fan_in).

    The ReLU factor 2 is built in (std = √(2/fan_in) at gain 1); ``gain`` is an extra
    multiplier, e.g. ``1 / √(1 + slope²)`` for a leaky ReLU. Same as PyTorch's
    ``kaiming_uniform_(nonlinearity="relu")`` up to the transposed Dense shape.
    """
    fan_in, _ = fan_in_out(shape)
    return _sample("uniform", shape, gain * math.sqrt(2.0 / fan_in), rng, dtype)


def he_normal(shape, rng=None, gain: float = 1.0, dtype=np.float32) -> np.ndarray:
    """W ~ N(0, std²), std = gain · √(2 / fan_in) (ReLU factor 2 built in, see :func:`he_uniform`)."""
    fan_in, _ = fan_in_out(shape)
    return _sample("normal", shape, gain * math.sqrt(2.0 / fan_in), rng, dtype)
