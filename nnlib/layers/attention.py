"""Multi-head self-attention, forward and backward, on sequences ``x: (N, T, d_model)``.

For every position, attention builds its output as a weighted average of the other
positions' values, with weights that say "how relevant is position j to position i":

    Q = x W_q + b_q,   K = x W_k + b_k,   V = x W_v + b_v              each (N, T, d_model)
    split d_model into h heads of d_k = d_model / h columns            → (N, h, T, d_k)
    S = Q K^T / √d_k                                                   scores (N, h, T, T)
    (causal: S[..., i, j] = -∞ for j > i — a position may not look at the future)
    A = softmax(S, axis=-1)                                            each row sums to 1
    C = A V,  heads concatenated back                                  (N, T, d_model)
    y = C W_o + b_o                                                    (N, T, d_model)

Why divide by √d_k: a dot product of d_k independent unit-variance terms has variance d_k;
without the scale, large d_k pushes the softmax into saturation, where its gradient vanishes.

After ``forward``, ``.attention_weights`` holds A, ``(N, h, T, T)``, for plotting.
Parameters use the row-vector convention of Dense (``W: (d_model, d_model)``). PyTorch's
``nn.MultiheadAttention`` stores the three input projections stacked and transposed:
``in_proj_weight = concat([W_q.T, W_k.T, W_v.T])`` and ``out_proj.weight = W_o.T``.
"""
from __future__ import annotations

import math

import numpy as np

from ..init import as_rng, xavier_uniform
from .base import Layer, Parameter, check_input


def _softmax(s):
    """Softmax over the last axis. Subtract the row max first: exp overflows above ~88
    (float32); exp(-inf) = 0 exactly, so masked scores get weight 0 without a warning."""
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


class MultiHeadSelfAttention(Layer):
    """Multi-head scaled dot-product self-attention (see the module docstring for the math).

    Args:
        d_model: features per position (input and output width).
        num_heads: h; must divide d_model. Each head works in d_k = d_model / h dimensions.
        causal: if True, position i attends only to positions j <= i (language models).
        bias: learn b_q, b_k, b_v, b_o.
        rng, dtype: initialisation seed/generator and parameter dtype.

    Parameters: ``W_q, W_k, W_v, W_o: (d_model, d_model)``, Xavier-uniform (as PyTorch's
    in-projection); ``b_q, b_k, b_v, b_o: (d_model,)``, zeros.

    Shapes: x ``(N, T, d_model)`` → y ``(N, T, d_model)``; ``.attention_weights`` (N, h, T, T).
    """

    def __init__(self, d_model: int, num_heads: int, causal: bool = False, bias: bool = True,
                 rng=None, dtype=np.float32):
        self.name = f"MultiHeadSelfAttention(d_model={d_model}, heads={num_heads})"
        for what, v in (("d_model", d_model), ("num_heads", num_heads)):
            if not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"{self.name}: {what} must be a positive int, got {v!r}")
        if d_model % num_heads:
            raise ValueError(f"{self.name}: num_heads must divide d_model "
                             f"({d_model} / {num_heads} is not a whole number of dimensions per head)")
        self.d_model, self.num_heads, self.causal = int(d_model), int(num_heads), bool(causal)
        self.d_k = self.d_model // self.num_heads
        self.scale = 1.0 / math.sqrt(self.d_k)       # a Python float: keeps float32 arrays float32
        rng = as_rng(rng)
        d = self.d_model
        for name in ("q", "k", "v", "o"):
            setattr(self, f"W_{name}", Parameter(xavier_uniform((d, d), rng=rng, dtype=dtype), f"W_{name}"))
            if bias:
                setattr(self, f"b_{name}", Parameter(np.zeros(d, dtype=dtype), f"b_{name}"))
        self.bias = bias
        self.attention_weights = None
        self._cache = None

    def __repr__(self):
        return (f"MultiHeadSelfAttention(d_model={self.d_model}, num_heads={self.num_heads}, "
                f"causal={self.causal})")

    # --- helpers: linear maps and the head split -----------------------------------------
    def _project(self, x, which):
        """x @ W_which + b_which."""
        y = x @ getattr(self, f"W_{which}").data
        return y + getattr(self, f"b_{which}").data if self.bias else y

    def _project_backward(self, which, inp, dZ):
        """For Z = inp @ W + b: store dW = inp^T dZ and db = sum of dZ over all positions;
        return dL/d(inp) = dZ W^T. inp, dZ: (N, T, d_model)."""
        W = getattr(self, f"W_{which}")
        W.grad = (inp.reshape(-1, self.d_model).T @ dZ.reshape(-1, self.d_model)).astype(W.data.dtype, copy=False)
        if self.bias:
            b = getattr(self, f"b_{which}")
            b.grad = dZ.sum(axis=(0, 1)).astype(b.data.dtype, copy=False)
        return dZ @ W.data.T

    def _split_heads(self, z):
        """(N, T, d_model) → (N, h, T, d_k): head i owns columns i*d_k ... (i+1)*d_k - 1."""
        N, T, _ = z.shape
        return z.reshape(N, T, self.num_heads, self.d_k).transpose(0, 2, 1, 3)

    def _merge_heads(self, z):
        """(N, h, T, d_k) → (N, T, d_model): the inverse of _split_heads."""
        N, _, T, _ = z.shape
        return z.transpose(0, 2, 1, 3).reshape(N, T, self.d_model)

    def _future_mask(self, T):
        """(T, T) boolean, True above the diagonal: the positions a causal row may not see."""
        return np.triu(np.ones((T, T), dtype=bool), k=1)

    # --- forward / backward -----------------------------------------------------------------
    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (N, T, d_model) → y: (N, T, d_model). x is cast to the parameters' dtype."""
        x = np.asarray(x, dtype=self.W_q.data.dtype)
        check_input(self.name, x, f"(N, T, {self.d_model})", x.ndim == 3 and x.shape[2] == self.d_model)
        Q, K, V = (self._split_heads(self._project(x, w)) for w in "qkv")
        S = Q @ K.transpose(0, 1, 3, 2) * self.scale                # (N, h, T, T)
        if self.causal:
            S = np.where(self._future_mask(x.shape[1]), -np.inf, S)
        A = _softmax(S)
        C = self._merge_heads(A @ V)                                 # (N, T, d_model)
        self.attention_weights = A
        self._cache = (x, Q, K, V, A, C)
        return self._project(C, "o")

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        """grad_out: (N, T, d_model) → dx: (N, T, d_model); fills every parameter's .grad."""
        if self._cache is None:
            raise RuntimeError(f"{self.name}: backward called before forward")
        x, Q, K, V, A, C = self._cache
        grad_out = np.asarray(grad_out, dtype=x.dtype)
        check_input(self.name + ".backward", grad_out, f"{x.shape}", np.shape(grad_out) == x.shape)
        # Walk the forward pass backwards: y = C W_o + b_o, C = A V, A = softmax(S), S = Q K^T / √d_k.
        dC = self._split_heads(self._project_backward("o", C, grad_out))   # (N, h, T, d_k)
        dA = dC @ V.transpose(0, 1, 3, 2)
        dV = A.transpose(0, 1, 3, 2) @ dC
        # Softmax backward, row by row: dS = A * (dA - sum_j dA_j A_j). Masked entries have
        # A = 0, so they get no gradient, as they should.
        dS = A * (dA - np.sum(dA * A, axis=-1, keepdims=True)) * self.scale
        dQ = dS @ K
        dK = dS.transpose(0, 1, 3, 2) @ Q
        # x feeds all three projections, so its gradient is the sum of three paths.
        dx = sum(self._project_backward(w, x, self._merge_heads(dZ)) for w, dZ in zip("qkv", (dQ, dK, dV)))
        return dx
