"""Sinusoidal positional encodings: telling attention where each position is.

Self-attention treats its input as a set: permute the positions and the outputs permute the
same way (the tests check this). Word order matters, so a transformer ADDS to each position's
vector a fixed pattern that depends on the position alone (Vaswani et al., 2017, section 3.5):

    PE[pos, 2k]     = sin(pos · ω_k)
    PE[pos, 2k + 1] = cos(pos · ω_k),        ω_k = 1 / base^(2k / d_model),  base = 10000

Each pair of columns is a clock hand turning at its own speed, from one radian per position
(k = 0) down to one turn in about 2π · 10000 positions, so nearby positions get similar
vectors and far ones can still be told apart. Because the pair (sin, cos) at pos + Δ is a
rotation of the pair at pos by the angle Δ · ω_k, "Δ positions further" is the same linear map
wherever you are — which a layer can learn to use.

(Learned positional embeddings, an Embedding over positions, are the common alternative; GPT-2
uses those. Rotary encodings (RoPE) rotate Q and K instead of adding to x.)
"""
from __future__ import annotations

import numpy as np

from .base import Layer, check_input


def sinusoidal_positional_encoding(num_positions: int, d_model: int, base: float = 10000.0,
                                   dtype=np.float32) -> np.ndarray:
    """The table PE: ``(num_positions, d_model)``; row ``pos`` is the encoding of position pos.

    Even columns hold sin(pos · ω_k), odd columns cos(pos · ω_k), ω_k = base^(-2k/d_model).
    An odd d_model is allowed: the last column is then a sine without its cosine.
    """
    for what, v in (("num_positions", num_positions), ("d_model", d_model)):
        if not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"sinusoidal_positional_encoding: {what} must be a positive int, got {v!r}")
    if not base > 1:
        raise ValueError(f"sinusoidal_positional_encoding: base must be > 1, got {base!r}")
    pos = np.arange(num_positions)[:, None]                     # (P, 1)
    two_k = np.arange(0, d_model, 2)                            # 0, 2, 4, ...: the even columns
    omega = base ** (-two_k / d_model)                          # (ceil(d/2),) angular speeds
    angle = pos * omega                                         # (P, ceil(d/2)), in float64
    pe = np.empty((num_positions, d_model))
    pe[:, 0::2] = np.sin(angle)
    pe[:, 1::2] = np.cos(angle[:, :d_model // 2])
    return pe.astype(dtype)


class PositionalEncoding(Layer):
    """Adds the sinusoidal table to a sequence of vectors: y = x + PE[:T].

    Args:
        d_model: the width of x's last axis.
        max_len: the longest sequence it will see (the table is computed once, up to here).
        base, dtype: as in :func:`sinusoidal_positional_encoding`.

    Shapes: x (N, T, d_model) → (N, T, d_model), T ≤ max_len. No parameters: the table
    ``.pe`` is fixed. Backward passes the gradient straight through (dy/dx = I).
    """

    def __init__(self, d_model: int, max_len: int = 512, base: float = 10000.0, dtype=np.float32):
        self.pe = sinusoidal_positional_encoding(max_len, d_model, base, dtype)
        self.d_model, self.max_len = int(d_model), int(max_len)
        self.cache = None

    def forward(self, x):
        """x: (N, T, d_model) → x + PE[:T]. The cache holds x's shape (backward needs nothing else)."""
        x = np.asarray(x, dtype=self.pe.dtype)
        check_input(repr(self), x, f"(N, T, {self.d_model})", x.ndim == 3 and x.shape[2] == self.d_model)
        T = x.shape[1]
        if T > self.max_len:
            raise ValueError(f"{self!r}: the sequence has T = {T} positions but the table stops at "
                             f"max_len = {self.max_len}; build it with max_len >= {T}")
        self.cache = x.shape
        return x + self.pe[:T]

    def backward(self, grad_out):
        """grad_out: (N, T, d_model) → the same values (a new array: the caller owns it)."""
        shape = self._cached()
        check_input(repr(self) + ".backward", grad_out, f"{shape}", np.shape(grad_out) == shape)
        return np.array(grad_out, dtype=self.pe.dtype, copy=True)

    def astype(self, dtype):
        """The table has no gradient but follows the model's dtype (inputs are cast to it)."""
        self.pe = self.pe.astype(dtype)
        return self

    def __repr__(self):
        return f"PositionalEncoding(d_model={self.d_model}, max_len={self.max_len})"
