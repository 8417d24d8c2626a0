"""The transformer block: attention and an MLP, each wrapped in LayerNorm and a residual.

This is the pre-LN block (GPT-2 and most models since; PyTorch's
``TransformerEncoderLayer(norm_first=True)``), normalizing the input of each sublayer:

    y = x + Attention(LayerNorm₁(x))                         mix information across positions
    z = y + W₂ act(LayerNorm₂(y) W₁ + b₁) + b₂               transform each position on its own

The original transformer (Vaswani et al., 2017) is post-LN, ``y = LayerNorm(x + Attention(x))``:
there every gradient on its way down passes through each block's LayerNorm, and deep stacks
need a learning-rate warm-up to train at all; in pre-LN the residual path x → y → z is the
identity, so the gradient reaches the bottom unchanged (Xiong et al., 2020).

Backward is the chain rule through the two residual sums, read from the bottom line up:
the gradient of z = y + F(y) is ``dy = dz + F'(y)ᵀ dz`` — the identity path plus the sublayer's.

A tiny decoder-only (GPT-style) model is a stack of causal blocks between an embedding with
positions and a final LayerNorm and Dense (``tests/test_transformer.py`` trains one block to
reverse sequences in 200 steps)::

    h = PositionalEncoding(d)(Embedding(V, d)(ids))          # (N, T, d)
    for block in blocks:                                      # TransformerBlock(d, heads, causal=True)
        h = block(h)
    logits = Dense(d, V)(LayerNorm(d)(h))                     # next-token scores at every position
"""
from __future__ import annotations

import numpy as np

from ..init import as_rng
from .activation import GELU, ReLU
from .attention import MultiHeadSelfAttention
from .base import Layer, check_input
from .dense import Dense
from .norm import LayerNorm

_ACTIVATIONS = {"relu": ReLU, "gelu": GELU}


class TransformerBlock(Layer):
    """Pre-LN transformer block: ``y = x + MHA(LN₁(x))``, ``z = y + MLP(LN₂(y))``.

    Args:
        d_model: features per position.
        num_heads: attention heads (must divide d_model).
        d_ff: hidden width of the MLP (default 4 · d_model, as in the original paper).
        causal: mask the future in attention (decoder-only / GPT-style models).
        activation: "relu" (PyTorch's default) or "gelu" (GPT, BERT).
        rng, dtype: initialisation seed/generator and parameter dtype.

    Sublayers (their parameters are this block's): ``ln1``, ``attn``, ``ln2``, ``ff1``,
    ``act``, ``ff2``. Shapes: x (N, T, d_model) → (N, T, d_model). No dropout: the book's
    models are small and train for seconds; PyTorch parity holds with ``dropout=0``.
    """

    def __init__(self, d_model: int, num_heads: int, d_ff: int | None = None, causal: bool = False,
                 activation: str = "relu", rng=None, dtype=np.float32):
        if activation not in _ACTIVATIONS:
            raise ValueError(f"TransformerBlock: activation must be 'relu' or 'gelu', got {activation!r}")
        d_ff = 4 * d_model if d_ff is None else d_ff
        rng = as_rng(rng)                 # one stream for all sublayers: distinct weights in each
        self.d_model, self.num_heads, self.d_ff, self.causal = d_model, num_heads, d_ff, causal
        self.ln1 = LayerNorm(d_model, dtype=dtype)
        self.attn = MultiHeadSelfAttention(d_model, num_heads, causal=causal, rng=rng, dtype=dtype)
        self.ln2 = LayerNorm(d_model, dtype=dtype)
        self.ff1 = Dense(d_model, d_ff, init="he", rng=rng, dtype=dtype)
        self.act = _ACTIVATIONS[activation]()
        self.ff2 = Dense(d_ff, d_model, init="xavier", rng=rng, dtype=dtype)
        self.cache = None

    def forward(self, x):
        """x: (N, T, d_model) → (N, T, d_model). The sublayers keep their own caches; this
        block's cache is x's shape."""
        x = np.asarray(x, dtype=self.ln1.gamma.data.dtype)
        check_input(repr(self), x, f"(N, T, {self.d_model})", x.ndim == 3 and x.shape[2] == self.d_model)
        y = x + self.attn(self.ln1(x))
        z = y + self.ff2(self.act(self.ff1(self.ln2(y))))
        self.cache = x.shape
        return z

    def backward(self, grad_out):
        """grad_out: dL/dz (N, T, d_model) → dL/dx; fills every sublayer's parameter gradients."""
        shape = self._cached()
        check_input(repr(self) + ".backward", grad_out, f"{shape}", np.shape(grad_out) == shape)
        dz = grad_out
        dy = dz + self.ln2.backward(self.ff1.backward(self.act.backward(self.ff2.backward(dz))))
        dx = dy + self.ln1.backward(self.attn.backward(dy))
        return dx

    def __repr__(self):
        return (f"TransformerBlock(d_model={self.d_model}, heads={self.num_heads}, d_ff={self.d_ff}, "
                f"causal={self.causal})")
