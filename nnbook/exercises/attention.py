"""Checkers for Chapter 13, *Attention and transformers*. Use: ``from nnbook.exercises import attention as check``.

=================================================  ===============================================
checker                                            recognises (hint given)
=================================================  ===============================================
``masked_attention(Q, K, V, mask)``                no 1/√d_k, or 1/d_k; softmax over the queries
                                                   (axis -2); the mask applied after the softmax;
                                                   the mask inverted (True read as "hidden"); the
                                                   mask multiplied into the scores (a score of 0 is
                                                   not hidden); a causal mask instead of the given
                                                   one (told apart: a mask hiding padding, a mask
                                                   hiding nothing); the weights returned
                                                   transposed; exp without the max-shift (overflow
                                                   at large scores); the max of the whole array
                                                   subtracted instead of each row's (a row of small
                                                   scores becomes 0/0); np.log(mask) (right
                                                   numbers, a warning)
``shift_encoding(pe, delta)``                      turned the wrong way (positions p − Δ); a speed
                                                   per column, 10000^(−j/d), instead of one per
                                                   pair; Δ·ω added to the values instead of a
                                                   rotation; the rows rolled (np.roll) instead of
                                                   turned; Δ used as an angle in degrees; the sign
                                                   of a negative Δ dropped; float32 precision
``causal_self_attention(x, W_q, W_k, W_v, W_o,     heads split by a bare reshape (no transpose);
num_heads)``                                       merged without the transpose back; columns dealt
                                                   to the heads in turn (h::n_h); scaled by
                                                   √d_model instead of √d_k; no causal mask; the
                                                   past hidden instead of the future; the diagonal
                                                   hidden too (k=0); exp without the max-shift
                                                   (overflow at large scores); the mask
                                                   after the softmax; softmax over the queries;
                                                   W_o forgotten; num_heads ignored (one wide head)
=================================================  ===============================================

The references are nnlib's own: ``nnlib.activations.softmax`` with the scores masked by −∞
before it (as ``MultiHeadAttention`` does), ``nnlib.layers.positional.sinusoidal_positional_encoding``
for the shifted rows, and ``MultiHeadSelfAttention(causal=True, bias=False)`` holding the reader's
matrices. ``tests/test_exercises_attention.py`` checks that each reference agrees with nnlib and
that each mistake gets its hint.
"""
from __future__ import annotations

import numpy as np

from nnlib.activations import softmax
from nnlib.layers import MultiHeadSelfAttention
from nnlib.layers.positional import sinusoidal_positional_encoding

from .common import COMMON, has_nonfinite, warned
from .core import Case, Checker, Mistake

__all__ = ["masked_attention", "shift_encoding", "causal_self_attention"]

_rng = np.random.default_rng(13)


# --------------------------------------------------------------------------- masked attention
def _scores(Q, K, scale=None):
    d_k = Q.shape[-1]
    scale = 1 / np.sqrt(d_k) if scale is None else scale
    return Q @ np.swapaxes(K, -1, -2) * scale


def _masked(Q, K, V, mask, scale=None, axis=-1):
    A = softmax(np.where(mask, _scores(Q, K, scale), -np.inf), axis=axis)
    return A @ V, A


def _reference_masked(Q, K, V, mask):
    return _masked(Q, K, V, mask)


def _mask_after(Q, K, V, mask):
    A = np.where(mask, softmax(_scores(Q, K), axis=-1), 0.0)
    return A @ V, A


def _mask_inverted(Q, K, V, mask):
    return _masked(Q, K, V, ~np.asarray(mask, dtype=bool))


def _mask_multiplied(Q, K, V, mask):
    A = softmax(_scores(Q, K) * mask, axis=-1)
    return A @ V, A


def _always_causal(Q, K, V, mask):
    T, S = Q.shape[-2], K.shape[-2]
    return _masked(Q, K, V, np.tril(np.ones((T, S), dtype=bool)))


def _global_max_softmax(Q, K, V, mask):
    # the softmax shifted by the max of the WHOLE array instead of each row's
    Z = np.where(mask, _scores(Q, K), -np.inf)
    E = np.exp(Z - Z.max())
    A = E / E.sum(axis=-1, keepdims=True)
    return A @ V, A


def _hides_nothing(o):
    return bool(np.all(np.asarray(o.args[3], dtype=bool)))


def _hides_padding_only(o):
    # every hidden key is hidden from every query (a padding mask): "the last keys of every row"
    mask = np.asarray(o.args[3], dtype=bool)
    return bool(not mask.all() and np.all(mask == mask[..., :1, :]))


def _weights_transposed(Q, K, V, mask):
    out, A = _masked(Q, K, V, mask)
    return out, np.swapaxes(A, -1, -2)


def _attention_case(N, T, S, d_k, d_v, mask, label, scale=1.0):
    lead = () if N is None else (N,)
    Q = np.round(_rng.normal(0, 1, size=lead + (T, d_k)), 2) * scale
    K = np.round(_rng.normal(0, 1, size=lead + (S, d_k)), 2)
    V = np.round(_rng.normal(0, 1, size=lead + (S, d_v)), 2)
    return Case(Q, K, V, np.asarray(mask, dtype=bool), label=label)


_CAUSAL5 = np.tril(np.ones((5, 5), dtype=bool))
_PAD = np.array([[True, True, True, False, False]])                      # (1, S): keys 3, 4 padding
_PAD_BATCH = np.array([[[True] * 6], [[True] * 4 + [False] * 2]])          # (N, 1, S)

masked_attention = Checker(
    "masked_attention", _reference_masked, arg_names=("Q", "K", "V", "mask"),
    signature="masked_attention(Q, K, V, mask)", output_names=("outputs", "A"),
    cases=[
        _attention_case(None, 2, 3, 2, 2, np.ones((2, 3)), "T = 2 queries, S = 3 keys, no key hidden"),
        _attention_case(None, 3, 4, 4, 2, np.ones((3, 4)),
                        "d_k = 4, values of width d_v = 2, nothing hidden"),
        _attention_case(None, 5, 5, 4, 3, _CAUSAL5, "a causal mask, np.tril(np.ones((5, 5)))"),
        _attention_case(None, 4, 5, 4, 3, _PAD,
                        "padding: keys 3 and 4 hidden from every query (mask of shape (1, S))"),
        _attention_case(2, 4, 6, 4, 3, _PAD_BATCH,
                        "a batch of N = 2 with its own padding (mask (N, 1, S))"),
        Case(np.array([[40.0, 0.0], [0.01, 0.0], [3.0, -2.0]]),
             np.array([[40.0, 0.0], [-40.0, 0.0], [0.0, 1.0], [1.5, 2.5]]),
             np.round(_rng.normal(0, 1, size=(4, 3)), 2), np.ones((3, 4), dtype=bool),
             label="rows of very different scales: query 0's scores reach 1131, query 1's stay "
                   "below 0.3 (each row needs its own max-shift)"),
        _attention_case(None, 3, 3, 4, 2, np.tril(np.ones((3, 3))),
                        "large scores (beyond 1000): must not overflow", scale=1000.0),
    ],
    mistakes=[
        Mistake("Scale the scores: Z = Q Kᵀ / √d_k, with d_k = Q.shape[-1]. Without it the "
                "scores spread as √d_k and the softmax saturates (Section 13.2).",
                like=lambda Q, K, V, m: _masked(Q, K, V, m, scale=1.0)),
        Mistake("Divide by √d_k, not by d_k: the standard deviation of a dot product grows as "
                "√d_k (Section 13.2). `np.sqrt(d_k)`.",
                like=lambda Q, K, V, m: _masked(Q, K, V, m, scale=1 / Q.shape[-1])),
        Mistake("The softmax runs over the keys, the LAST axis (`axis=-1`): each row of A, one "
                "query's weights, must sum to 1. Your columns sum to 1 (a softmax over the queries).",
                like=lambda Q, K, V, m: _masked(Q, K, V, m, axis=-2)),
        Mistake("Hide the keys BEFORE the softmax: set their scores to -inf "
                "(`np.where(mask, Z, -np.inf)`), then take the softmax. Zeroing weights after it "
                "leaves every row normalized by a sum that includes the hidden keys: the rows no "
                "longer sum to 1, and the hidden keys still change the result (Section 13.4).",
                like=_mask_after),
        Mistake("The mask is inverted: True means the query MAY attend to that key, so keep the "
                "scores where the mask is True: `np.where(mask, Z, -np.inf)`.",
                like=_mask_inverted),
        Mistake("Multiplying the scores by the mask sets the hidden scores to 0, and a score of 0 "
                "is not hidden: e⁰ = 1 still gets weight. Use -inf: `np.where(mask, Z, -np.inf)`.",
                like=_mask_multiplied),
        Mistake("Use the mask you are given: it may be causal, or it may hide padding keys, or "
                "both. Here it hides the last keys of every row, not the future.",
                like=_always_causal, when=_hides_padding_only),
        Mistake("Use the mask you are given: here it is all True (no key hidden), yet your "
                "weights above the diagonal are 0, as if a causal mask of your own had been "
                "applied. The mask may be causal, hide padding keys, both, or nothing.",
                like=_always_causal, when=_hides_nothing),
        Mistake("The weights come back transposed: A must be (..., T, S), one row per query "
                "(`softmax(Z, axis=-1)` of the scores Z = Q Kᵀ / √d_k), not Aᵀ.",
                like=_weights_transposed),
        Mistake("np.exp overflowed at large scores (e^710 is inf in float64): subtract each row's "
                "maximum before exponentiating, or use `softmax` from nnlib.activations, which "
                "does. -inf stays -inf after the shift, so hidden keys still get exactly 0.",
                when=lambda o: warned(o, "overflow") or (has_nonfinite(o) and o.case.label.startswith("large")), on_error=True),
        Mistake("Subtract each ROW's maximum, `Z.max(axis=-1, keepdims=True)`, not the maximum of "
                "the whole array: here query 0's scores reach 1131 and query 1's stay below 0.3, "
                "so after the shift by 1131 every e^z of row 1 underflows to 0 and the row becomes "
                "0/0 = NaN (Chapter 2: take the maximum of each row).",
                like=_global_max_softmax),
        Mistake("The numbers are right: log 0 = -inf hides exactly the keys the mask hides. But "
                "`np.log(mask)` warns \"divide by zero\" on every call, and a checker (or you) "
                "cannot then tell it from a real overflow. Say it without a warning: "
                "`np.where(mask, Z, -np.inf)`.",
                when=lambda o: o.problem is not None and o.problem.kind == "warning"
                and any("divide by zero encountered in log" in w for w in o.warnings)),
        Mistake("`K.T` reverses ALL the axes of a batch (N, S, d_k) into (d_k, S, N). Swap only the "
                "last two: `np.swapaxes(K, -1, -2)` (or `K.transpose(0, 2, 1)` for 3-D arrays).",
                when=lambda o: "matmul" in o.error_text and np.ndim(o.args[1]) > 2, on_error=True),
        *COMMON,
    ])


# --------------------------------------------------------------------------- shifted encodings
def _table(positions, d):
    positions = np.asarray(positions)
    full = sinusoidal_positional_encoding(int(positions.max()) + 1, d, dtype=np.float64)
    return full[positions]


def _rotate(pe, delta, omega):
    s, c = pe[:, 0::2], pe[:, 1::2]
    out = np.empty_like(pe)
    out[:, 0::2] = s * np.cos(delta * omega) + c * np.sin(delta * omega)
    out[:, 1::2] = c * np.cos(delta * omega) - s * np.sin(delta * omega)
    return out


def _omega(d, per_column=False):
    if per_column:                       # one speed per column: 10000^(-j/d) at the even columns
        return 10000.0 ** (-np.arange(0, d, 2) / (2 * d))
    return 10000.0 ** (-np.arange(0, d, 2) / d)


def _float32_but_close(o):
    got = o.got
    if not isinstance(got, np.ndarray) or got.dtype not in (np.float32, np.float16):
        return False
    if o.problem is None or o.problem.kind != "values" or o.expected is None:
        return False
    return bool(np.allclose(got.astype(np.float64), o.expected, rtol=0, atol=1e-4))


def _shift_reference(pe, delta):
    return _rotate(np.asarray(pe, dtype=float), delta, _omega(np.shape(pe)[1]))


def _shift_case(positions, d, delta, label):
    pe = _table(positions, d)
    expected = _table(np.asarray(positions) + delta, d)
    return Case(pe, delta, expected=expected, label=label, atol=1e-9)


shift_encoding = Checker(
    "shift_encoding", _shift_reference, arg_names=("pe", "delta"),
    signature="shift_encoding(pe, delta)",
    cases=[
        _shift_case(np.arange(0, 5), 4, 1, "positions 0 … 4, d_model = 4, shifted by 1"),
        _shift_case(np.array([3, 10, 50]), 8, 7, "positions 3, 10, 50, d_model = 8, shifted by 7"),
        _shift_case(np.array([2, 9, 30, 31]), 8, -2, "a negative shift: Δ = -2"),
        _shift_case(np.arange(6, 12), 16, 0, "Δ = 0 changes nothing"),
        _shift_case(np.arange(0, 10), 64, 100, "d_model = 64, Δ = 100: every pair turns at its own speed"),
        _shift_case(np.array([700, 1500, 1999]), 6, 5,
                    "far positions (even the slowest pair has turned past π): rotate, do not "
                    "recover p"),
    ],
    mistakes=[
        Mistake("Your rows are those of p + |Δ|: for this NEGATIVE Δ the pairs turned forwards, as "
                "if the sign of Δ had been dropped (`abs(delta)`?). Use Δ itself in cos(Δω) and "
                "sin(Δω): a negative angle turns each pair backwards, the same formulas serve both "
                "signs.",
                like=lambda pe, delta: _shift_reference(pe, abs(delta)),
                when=lambda o: np.ndim(o.args[1]) == 0 and o.args[1] < 0),
        Mistake("You turned the pairs the wrong way: these are the rows of positions p − Δ. With "
                "s = sin(pω), c = cos(pω): sin(pω + Δω) = s·cos(Δω) + c·sin(Δω) and "
                "cos(pω + Δω) = c·cos(Δω) − s·sin(Δω).",
                like=lambda pe, delta: _shift_reference(pe, -delta)),
        Mistake("Each PAIR of columns (2k, 2k+1) shares one speed, ω_k = 10000^(−2k/d_model), "
                "where k counts pairs: `10000.0 ** (-np.arange(0, d, 2) / d)`. You gave each "
                "column its own, 10000^(−j/d) with j the column.",
                like=lambda pe, delta: _rotate(np.asarray(pe, float), delta,
                                               _omega(np.shape(pe)[1], per_column=True))),
        Mistake("Adding Δ·ω to the values shifts the ANGLE only inside a sine or cosine: the table "
                "holds sin(pω) and cos(pω), not pω. Turn each (sin, cos) pair by the angle Δω with "
                "the rotation of Section 13.5.",
                like=lambda pe, delta: np.asarray(pe, float) + delta * np.repeat(
                    _omega(np.shape(pe)[1]), 2)[: np.shape(pe)[1]]),
        Mistake("`np.roll` moves rows around: the rows you are given need not be consecutive "
                "positions, and the last ones would wrap around to the front. Compute each new row "
                "from its own old row: turn every (sin, cos) pair by Δω_k.",
                like=lambda pe, delta: np.roll(np.asarray(pe), -delta, axis=0)),
        Mistake("The angles are in radians: Δ positions turn pair k by Δ·ω_k radians, "
                "`np.sin(delta * omega)`, no conversion from degrees.",
                like=lambda pe, delta: _shift_reference(pe, np.deg2rad(delta))),
        Mistake("Your numbers are float32, which keeps about 7 significant digits: they are off "
                "by about 1e-7, and this check asks for 1e-9. Compute in float64, NumPy's default "
                "(no `.astype(np.float32)`; `sinusoidal_positional_encoding` takes "
                "`dtype=np.float64`).",
                when=lambda o: _float32_but_close(o)),
        *COMMON,
    ])


# --------------------------------------------------------------------------- multi-head, causal
def _nnlib_mha(x, W_q, W_k, W_v, W_o, num_heads):
    x = np.asarray(x, dtype=np.float64)
    layer = MultiHeadSelfAttention(x.shape[-1], int(num_heads), causal=True, bias=False, rng=0)
    layer.astype(np.float64)
    for name, W in zip("qkvo", (W_q, W_k, W_v, W_o)):
        getattr(layer, f"W_{name}").data = np.asarray(W, dtype=np.float64)
    return layer(x)


def _split(z, n_h, how):
    N, T, d = z.shape
    d_k = d // n_h
    if how == "bare":
        return z.reshape(N, n_h, T, d_k)
    if how == "dealt":                   # columns h, h + n_h, h + 2 n_h ... to head h
        return z.reshape(N, T, d_k, n_h).transpose(0, 3, 1, 2)
    return z.reshape(N, T, n_h, d_k).transpose(0, 2, 1, 3)


def _merge(z, how):
    N, n_h, T, d_k = z.shape
    if how == "bare":
        return z.reshape(N, T, n_h * d_k)
    if how == "dealt":
        return z.transpose(0, 2, 3, 1).reshape(N, T, n_h * d_k)
    return z.transpose(0, 2, 1, 3).reshape(N, T, n_h * d_k)


def _mha_variant(split="right", merge=None, scale="d_k", mask="before", axis=-1, use_W_o=True,
                 one_head=False):
    merge = split if merge is None else merge

    def mha(x, W_q, W_k, W_v, W_o, num_heads):
        x = np.asarray(x, dtype=np.float64)
        num_heads = 1 if one_head else num_heads
        N, T, d = x.shape
        Q, K, V = (_split(x @ W, num_heads, split) for W in (W_q, W_k, W_v))
        d_k = d // num_heads
        Z = Q @ np.swapaxes(K, -1, -2) / np.sqrt(d_k if scale == "d_k" else d)
        future = np.triu(np.ones((T, T), dtype=bool), k=1)
        if mask == "before":
            A = softmax(np.where(future, -np.inf, Z), axis=axis)
        elif mask == "diagonal":         # np.triu(k=0): each query's own key hidden too
            A = softmax(np.where(np.triu(np.ones((T, T), dtype=bool), k=0), -np.inf, Z), axis=axis)
        elif mask == "past":             # the past hidden instead of the future
            A = softmax(np.where(np.tril(np.ones((T, T), dtype=bool), k=-1), -np.inf, Z), axis=axis)
        elif mask == "after":
            A = np.where(future, 0.0, softmax(Z, axis=axis))
        else:                            # no mask
            A = softmax(Z, axis=axis)
        out = _merge(A @ V, merge)
        return out @ W_o if use_W_o else out
    return mha


def _mha_case(N, T, d, n_h, label, scale=1.0):
    x = np.round(_rng.normal(0, 1, size=(N, T, d)), 2) * scale
    Ws = [np.round(_rng.normal(0, 1 / np.sqrt(d), size=(d, d)), 3) for _ in range(4)]
    return Case(x, *Ws, n_h, label=label)


causal_self_attention = Checker(
    "causal_self_attention", _nnlib_mha, arg_names=("x", "W_q", "W_k", "W_v", "W_o", "num_heads"),
    signature="causal_self_attention(x, W_q, W_k, W_v, W_o, num_heads)", rtol=1e-6, atol=1e-9,
    cases=[
        _mha_case(1, 3, 4, 1, "one sequence, T = 3, d_model = 4, a single head"),
        _mha_case(2, 5, 8, 2, "N = 2, T = 5, d_model = 8, 2 heads of d_k = 4"),
        _mha_case(2, 6, 12, 3, "N = 2, T = 6, d_model = 12, 3 heads of d_k = 4"),
        _mha_case(1, 4, 8, 4, "T = 4, d_model = 8, 4 heads of d_k = 2"),
        _mha_case(1, 10, 4, 2, "T = 10 positions, more than d_model = 4 features (the mask is "
                               "(T, T))"),
        _mha_case(1, 4, 8, 2, "large scores (inputs of size 40, scores beyond 1000): must not "
                              "overflow", scale=40.0),
    ],
    mistakes=[
        Mistake("Heads split by a bare reshape: `z.reshape(N, num_heads, T, d_k)` reads the numbers "
                "in memory order, so a head's rows are pieces of positions. Reshape the LAST axis "
                "and move the head axis forward: `z.reshape(N, T, num_heads, d_k).transpose(0, 2, 1, 3)` "
                "(and undo both when merging).",
                like=_mha_variant(split="bare")),
        Mistake("The split is right but the merge is not: undo the transpose before reshaping, "
                "`out.transpose(0, 2, 1, 3).reshape(N, T, d_model)`. A bare reshape of "
                "(N, heads, T, d_k) puts the heads' rows in the wrong positions.",
                like=_mha_variant(split="right", merge="bare")),
        Mistake("Head h owns a block of d_k CONSECUTIVE columns, h·d_k … (h+1)·d_k − 1 "
                "(`reshape(N, T, num_heads, d_k)`), not every num_heads-th column "
                "(`reshape(N, T, d_k, num_heads)`). nnlib and PyTorch use the blocks.",
                like=_mha_variant(split="dealt")),
        Mistake("Scale by √d_k, the width of ONE head (d_model // num_heads), not by √d_model.",
                like=_mha_variant(scale="d_model")),
        Mistake("The causal mask is missing: every position can read the future. Set the scores "
                "above the diagonal to -inf before the softmax (`attention(..., causal=True)` does).",
                like=_mha_variant(mask="none")),
        Mistake("np.exp overflowed at large scores (e^710 is inf in float64): subtract each row's "
                "maximum before exponentiating, or use `softmax` from nnlib.activations, which "
                "does. -inf stays -inf after the shift, so the future still gets exactly 0.",
                when=lambda o: warned(o, "overflow") or (has_nonfinite(o) and o.case.label.startswith("large")), on_error=True),
        Mistake("The mask hides each query's own position too (`np.triu(..., k=0)`): query 0 then "
                "has no key left, and its softmax is 0/0 = NaN. Query i may read keys j <= i, so "
                "hide only j > i: `np.triu(np.ones((T, T), dtype=bool), k=1)`.",
                like=_mha_variant(mask="diagonal")),
        Mistake("The mask hides the past instead of the future: query i may read keys j <= i, so "
                "hide j > i, `np.triu(np.ones((T, T), dtype=bool), k=1)`.",
                like=_mha_variant(mask="past")),
        Mistake("Hide the future BEFORE the softmax (scores to -inf). Zeroing weights after it "
                "leaves the rows normalized by sums that include the future (Section 13.4).",
                like=_mha_variant(mask="after")),
        Mistake("The softmax runs over the keys, the last axis: `softmax(Z, axis=-1)`. Over axis -2 "
                "each column sums to 1 instead of each row, and the future leaks.",
                like=_mha_variant(axis=-2)),
        Mistake("`num_heads` was ignored: this is ONE head as wide as d_model. Split Q, K and V "
                "into num_heads heads of d_k = d_model // num_heads columns each, attend in every "
                "head, and scale by √d_k.",
                like=_mha_variant(one_head=True)),
        Mistake("The heads' outputs, merged back to (N, T, d_model), still go through the output "
                "projection: `merged @ W_o`.",
                like=_mha_variant(use_W_o=False)),
        *COMMON,
    ])
