"""Checker for Chapter 2's composing exercise: the softmax's backward pass for a batch.

Use: ``from nnbook.exercises import softmax_gradient`` and
``softmax_gradient.softmax_backward(softmax_backward)``.

The reader writes ``softmax_backward(s, g)``: given the softmax outputs ``s`` (N, K) and the
gradient ``g = ∂L/∂s`` (N, K), return ``∂L/∂z`` (N, K), row by row ``s ⊙ (g − (g·s))``, without
building a K×K Jacobian per row. The reference is ``nnlib.activations.softmax_backward``.

=====================================================  ==========================================
mistake                                                recognised by
=====================================================  ==========================================
the copied ``s * (1 - s) * g``                         its value
``g · s`` summed over the whole batch (no axis)        its value on a batch of several rows
``g · s`` without ``keepdims`` (a broadcasting error   the error, or a value on a square batch
or a wrong broadcast)
the weighted sum left out: ``s * g``                   its value
``g − Σ g`` instead of ``g − Σ g s``                   its value
the sign flipped: ``s * (g·s − g)``                    its value
the Jacobian returned instead of the product           its shape (N, K, K) or (K, K)
=====================================================  ==========================================
"""
from __future__ import annotations

import re

import numpy as np

from nnlib.activations import softmax as _softmax
from nnlib.activations import softmax_backward as _reference

from .common import COMMON
from .core import Case, Checker, Mistake

__all__ = ["softmax_backward"]

_rng = np.random.default_rng(7)


def _case(n, k, scale=1.0):
    s = _softmax(_rng.normal(size=(n, k)) * scale)
    g = _rng.normal(size=(n, k))
    return s, g


def _row_dot_without_keepdims(s, g):
    return s * (g - (g * s).sum(axis=-1))


def _row_sums_without_keepdims(o) -> bool:
    # "could not be broadcast together with shapes (N,K) (N,)": a row sum lost its axis
    m = re.search(r"shapes \((\d+),(\d+)\)\s+\((\d+),\)", o.error_text)
    return m is not None and m.group(1) == m.group(3) and m.group(2) != m.group(3)


def _jacobian_shaped(o) -> bool:
    return (o.error is None and isinstance(o.got, np.ndarray) and isinstance(o.expected, np.ndarray)
            and o.got.ndim == o.expected.ndim + 1)


_KEEPDIMS = ("Sum each row with `keepdims=True`: without it the (N,) row sums line up with the "
             "columns, not the rows, when broadcast against (N, K).")

softmax_backward = Checker(
    "softmax_backward", lambda s, g: _reference(s, g), arg_names=("s", "g"),
    signature="softmax_backward(s, g)",
    cases=[
        Case(*_case(3, 5), label="a batch of 3 examples, K = 5"),
        Case(*_case(1, 4), label="one example, K = 4"),
        Case(*_case(4, 4, scale=3.0), label="a square batch (N = K = 4), confident rows"),
        Case(*_case(6, 10, scale=5.0), label="6 examples, 10 classes, very confident rows"),
    ],
    mistakes=[
        Mistake("That is the copied `s * (1 - s) * g`, the Jacobian's diagonal only: each z_j also "
                "changes every other s_i (the −s_i s_j terms). Use s ⊙ (g − g·s).",
                like=lambda s, g: s * (1 - s) * g),
        Mistake("`(g * s).sum()` adds up the whole batch; each example needs its own dot product: "
                "`(g * s).sum(axis=-1, keepdims=True)`.",
                like=lambda s, g: s * (g - (g * s).sum())),
        Mistake(_KEEPDIMS, like=_row_dot_without_keepdims),
        Mistake(_KEEPDIMS, when=_row_sums_without_keepdims, on_error=True),
        Mistake("You left out the coupling term: ∂L/∂z_j = s_j (g_j − Σ_i g_i s_i), not s_j g_j.",
                like=lambda s, g: s * g),
        Mistake("The term subtracted is the dot product Σ_i g_i s_i, weighted by s, not the plain "
                "sum Σ_i g_i.",
                like=lambda s, g: s * (g - g.sum(axis=-1, keepdims=True))),
        Mistake("Sign error: it is s ⊙ (g − g·s), not s ⊙ (g·s − g).",
                like=lambda s, g: -_reference(s, g)),
        Mistake("`g @ s` is a matrix product of two (N, K) arrays, which mixes the examples; the "
                "sum Σ_i g_i s_i is per example (per row): `(g * s).sum(axis=-1, keepdims=True)`. "
                "(A transpose would give an (N, N) matrix, not what you want.)",
                when=lambda o: "matmul" in o.error_text or "not aligned" in o.error_text,
                on_error=True),
        Mistake("That is the Jacobian (or one per example); backpropagation needs its product with "
                "g, one row of K numbers per example, without building K×K matrices.",
                when=_jacobian_shaped),
        *COMMON,
    ])
