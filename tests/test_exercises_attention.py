"""Chapter 13's checkers (``nnbook.exercises.attention``): each reference agrees with nnlib, each
checker accepts right answers written as a student would (two different ways), rejects realistic
wrong ones with the hint that names THAT mistake (or with no hint where none fits), and survives
hostile code."""
from __future__ import annotations

import numpy as np
import pytest

from nnbook.exercises import attention as check
from nnbook.exercises.core import Checker
from nnlib.layers import MultiHeadSelfAttention
from nnlib.layers.positional import sinusoidal_positional_encoding

CHECKERS = {name: obj for name, obj in vars(check).items() if isinstance(obj, Checker)}


# --------------------------------------------------------------------------- right answers
def _softmax_rows(Z):
    e = np.exp(Z - Z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def masked_where(Q, K, V, mask):
    Z = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])
    A = _softmax_rows(np.where(mask, Z, -np.inf))
    return A @ V, A


def masked_big_negative_renormalised(Q, K, V, mask):
    # -1e9 instead of -inf, einsum, and zero + renormalize afterwards: all legitimate
    Z = np.einsum("...td,...sd->...ts", Q, K) / Q.shape[-1] ** 0.5
    Z = Z + np.where(mask, 0.0, -1e9)
    A = _softmax_rows(Z) * mask
    A = A / A.sum(axis=-1, keepdims=True)
    return np.einsum("...ts,...sv->...tv", A, V), A


def shift_angle(pe, delta):
    # recover each pair's angle with arctan2, add Δω, take sin and cos again
    d = pe.shape[1]
    omega = 1 / 10000 ** (np.arange(d // 2) * 2 / d)
    angle = np.arctan2(pe[:, 0::2], pe[:, 1::2]) + delta * omega
    out = np.zeros_like(pe)
    out[:, 0::2], out[:, 1::2] = np.sin(angle), np.cos(angle)
    return out


def shift_matrix(pe, delta):
    # one block-diagonal rotation matrix for the whole row
    d = pe.shape[1]
    R = np.zeros((d, d))
    for k in range(d // 2):
        theta = delta * 10000.0 ** (-2 * k / d)
        c, s = np.cos(theta), np.sin(theta)
        R[2 * k:2 * k + 2, 2 * k:2 * k + 2] = [[c, -s], [s, c]]     # row-vector convention
    return pe @ R


def mha_transpose(x, W_q, W_k, W_v, W_o, num_heads):
    N, T, d = x.shape
    d_k = d // num_heads
    split = lambda z: z.reshape(N, T, num_heads, d_k).transpose(0, 2, 1, 3)
    Q, K, V = split(x @ W_q), split(x @ W_k), split(x @ W_v)
    Z = Q @ K.transpose(0, 1, 3, 2) / np.sqrt(d_k)
    Z = Z + np.triu(np.full((T, T), -np.inf), k=1)
    out = _softmax_rows(Z) @ V
    return out.transpose(0, 2, 1, 3).reshape(N, T, d) @ W_o


def mha_loop(x, W_q, W_k, W_v, W_o, num_heads):
    # a loop over heads with column slices, np.where for the mask
    N, T, d = x.shape
    d_k = d // num_heads
    Q, K, V = x @ W_q, x @ W_k, x @ W_v
    future = np.triu(np.ones((T, T), dtype=bool), 1)
    heads = []
    for h in range(num_heads):
        c = slice(h * d_k, (h + 1) * d_k)
        Z = np.where(future, -np.inf, Q[..., c] @ np.swapaxes(K[..., c], 1, 2) / np.sqrt(d_k))
        heads.append(_softmax_rows(Z) @ V[..., c])
    return np.concatenate(heads, axis=-1) @ W_o


SOLUTIONS = {
    "masked_attention": [masked_where, masked_big_negative_renormalised],
    "shift_encoding": [shift_angle, shift_matrix],
    "causal_self_attention": [mha_transpose, mha_loop],
}


# --------------------------------------------------------------------------- wrong answers
def _scores(Q, K, scale=None):
    return Q @ np.swapaxes(K, -1, -2) * (1 / np.sqrt(Q.shape[-1]) if scale is None else scale)


def _att(Q, K, V, mask, scale=None, axis=-1):
    Z = np.where(mask, _scores(Q, K, scale), -np.inf)
    e = np.exp(Z - Z.max(axis=axis, keepdims=True))
    A = e / e.sum(axis=axis, keepdims=True)
    return A @ V, A


def att_unscaled(Q, K, V, mask):
    return _att(Q, K, V, mask, scale=1.0)


def att_by_dk(Q, K, V, mask):
    return _att(Q, K, V, mask, scale=1 / Q.shape[-1])


def att_axis_queries(Q, K, V, mask):
    return _att(Q, K, V, mask, axis=-2)


def att_mask_after(Q, K, V, mask):
    A = _softmax_rows(_scores(Q, K)) * mask
    return A @ V, A


def att_mask_inverted(Q, K, V, mask):
    return _att(Q, K, V, np.logical_not(mask))


def att_mask_times(Q, K, V, mask):
    A = _softmax_rows(_scores(Q, K) * mask)
    return A @ V, A


def att_always_causal(Q, K, V, mask):
    T, S = Q.shape[-2], K.shape[-2]
    return _att(Q, K, V, np.tril(np.ones((T, S), dtype=bool)))


def att_weights_T(Q, K, V, mask):
    out, A = _att(Q, K, V, mask)
    return out, np.swapaxes(A, -1, -2)


def att_no_max_shift(Q, K, V, mask):
    Z = np.where(mask, _scores(Q, K), -np.inf)
    e = np.exp(Z)
    A = e / e.sum(axis=-1, keepdims=True)
    return A @ V, A


def att_K_not_transposed(Q, K, V, mask):
    Z = Q @ K / np.sqrt(Q.shape[-1])
    A = _softmax_rows(np.where(mask, Z, -np.inf))
    return A @ V, A


def att_K_dot_T(Q, K, V, mask):
    Z = Q @ K.T / np.sqrt(Q.shape[-1])                 # fine for one sequence, not for a batch
    A = _softmax_rows(np.where(mask, Z, -np.inf))
    return A @ V, A


def att_only_outputs(Q, K, V, mask):
    return _att(Q, K, V, mask)[0]


def att_V_weighted_by_keys(Q, K, V, mask):
    # averages the keys instead of the values: a wrong formula no hint describes
    out, A = _att(Q, K, V, mask)
    return A @ K, A


def _shift_with(pe, delta, omega):
    s, c = pe[:, 0::2], pe[:, 1::2]
    out = np.empty_like(pe)
    out[:, 0::2] = s * np.cos(delta * omega) + c * np.sin(delta * omega)
    out[:, 1::2] = c * np.cos(delta * omega) - s * np.sin(delta * omega)
    return out


def _w(d):
    return 10000.0 ** (-np.arange(0, d, 2) / d)


def shift_backwards(pe, delta):
    return _shift_with(pe, -delta, _w(pe.shape[1]))


def shift_per_column(pe, delta):
    d = pe.shape[1]
    return _shift_with(pe, delta, 10000.0 ** (-np.arange(0, d, 2) / (2 * d)))


def shift_add_angle(pe, delta):
    return pe + delta * np.repeat(_w(pe.shape[1]), 2)


def shift_roll(pe, delta):
    return np.roll(pe, -delta, axis=0)


def shift_degrees(pe, delta):
    return _shift_with(pe, np.radians(delta), _w(pe.shape[1]))


def shift_in_place(pe, delta):
    s, c = pe[:, 0::2].copy(), pe[:, 1::2].copy()
    w = _w(pe.shape[1])
    pe[:, 0::2] = s * np.cos(delta * w) + c * np.sin(delta * w)
    pe[:, 1::2] = c * np.cos(delta * w) - s * np.sin(delta * w)
    return pe


def shift_sin_cos_mixed(pe, delta):
    # forgets the cross term: sin(a + b) written as sin(a)·cos(b)
    w = _w(pe.shape[1])
    out = pe.copy()
    out[:, 0::2] = pe[:, 0::2] * np.cos(delta * w)
    out[:, 1::2] = pe[:, 1::2] * np.cos(delta * w)
    return out


def _mha(split="right", merge=None, scale="d_k", mask="before", axis=-1, use_W_o=True):
    return check._mha_variant(split, merge, scale, mask, axis, use_W_o)


def mha_bias_forgotten_heads_fixed(x, W_q, W_k, W_v, W_o, num_heads):
    # always two heads: right only when num_heads happens to be 2
    return mha_transpose(x, W_q, W_k, W_v, W_o, 2)


def mha_one_wide_head(x, W_q, W_k, W_v, W_o, num_heads):
    return mha_transpose(x, W_q, W_k, W_v, W_o, 1)


WRONG = [
    ("masked_attention", att_unscaled, "Scale the scores"),
    ("masked_attention", att_by_dk, "not by d_k"),
    ("masked_attention", att_axis_queries, "the LAST axis"),
    ("masked_attention", att_mask_after, "BEFORE the softmax"),
    ("masked_attention", att_mask_inverted, "mask is inverted"),
    ("masked_attention", att_mask_times, "a score of 0"),
    ("masked_attention", att_always_causal, "Use the mask you are given"),
    ("masked_attention", att_weights_T, "transposed"),
    ("masked_attention", att_no_max_shift, "overflowed"),
    ("masked_attention", att_K_not_transposed, "inner dimensions must agree"),
    ("masked_attention", att_only_outputs, None),
    ("masked_attention", att_K_dot_T, "reverses ALL the axes"),
    ("masked_attention", att_V_weighted_by_keys, None),
    ("shift_encoding", shift_backwards, "wrong way"),
    ("shift_encoding", shift_per_column, "Each PAIR"),
    ("shift_encoding", shift_add_angle, "Adding Δ·ω"),
    ("shift_encoding", shift_roll, "np.roll"),
    ("shift_encoding", shift_degrees, "radians"),
    ("shift_encoding", shift_in_place, None),
    ("shift_encoding", shift_sin_cos_mixed, None),
    ("causal_self_attention", _mha(split="bare"), "bare reshape"),
    ("causal_self_attention", _mha(split="right", merge="bare"), "merge is not"),
    ("causal_self_attention", _mha(split="dealt"), "CONSECUTIVE"),
    ("causal_self_attention", _mha(scale="d_model"), "not by √d_model"),
    ("causal_self_attention", _mha(mask="none"), "causal mask is missing"),
    ("causal_self_attention", _mha(mask="past"), "hides the past"),
    ("causal_self_attention", _mha(mask="after"), "BEFORE the softmax"),
    ("causal_self_attention", _mha(axis=-2), "over the keys"),
    ("causal_self_attention", _mha(use_W_o=False), "output projection"),
    ("causal_self_attention", mha_bias_forgotten_heads_fixed, None),
    ("causal_self_attention", mha_one_wide_head, "was ignored"),
]


# --------------------------------------------------------------------------- the references
def test_masked_reference_is_nnlib_attention_with_identity_projections():
    # MultiHeadSelfAttention(causal=True) with W = I and b = 0 is causal attention of x on itself
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 5, 4))
    layer = MultiHeadSelfAttention(4, 1, causal=True, bias=False, rng=0).astype(np.float64)
    for name in "qkvo":
        getattr(layer, f"W_{name}").data = np.eye(4)
    out, A = check._reference_masked(x, x, x, np.tril(np.ones((5, 5), dtype=bool)))
    np.testing.assert_allclose(out, layer(x), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(A, layer.attention_weights[:, 0], rtol=1e-12, atol=1e-12)


def test_shift_reference_matches_the_table():
    table = sinusoidal_positional_encoding(80, 32, dtype=np.float64)
    for delta in (-7, 0, 3, 40):
        rows = np.arange(10, 40)
        np.testing.assert_allclose(check._shift_reference(table[rows], delta), table[rows + delta],
                                   atol=1e-10)
    for case in check.shift_encoding.cases:
        np.testing.assert_allclose(check._shift_reference(*case.args), case.expected, atol=1e-10)


def test_mha_reference_is_nnlib_and_the_right_variant():
    for case in check.causal_self_attention.cases:
        np.testing.assert_allclose(check._nnlib_mha(*case.args), check._mha_variant()(*case.args),
                                   rtol=1e-10, atol=1e-12)


def test_large_score_case_overflows_a_naive_exp():
    Q, K, V, mask = check.masked_attention.cases[-1].args
    with np.errstate(over="raise"), pytest.raises(FloatingPointError):
        np.exp(np.where(mask, Q @ K.T / np.sqrt(Q.shape[-1]), -np.inf))


# --------------------------------------------------------------------------- the checkers
def test_every_checker_is_covered():
    assert set(CHECKERS) == set(SOLUTIONS)
    for name in CHECKERS:
        assert sum(1 for n, _, h in WRONG if n == name and h) >= 4


@pytest.mark.parametrize("name", sorted(CHECKERS))
def test_accepts_its_reference(name):
    assert CHECKERS[name].run(CHECKERS[name].reference).passed


@pytest.mark.parametrize("name, k", [(n, k) for n in sorted(SOLUTIONS) for k in range(2)])
def test_accepts_right_answers_written_two_ways(name, k):
    result = CHECKERS[name].run(SOLUTIONS[name][k])
    assert result.passed, result.text


@pytest.mark.parametrize("name, wrong, hint", WRONG,
                         ids=[f"{n}-{w.__name__ if hasattr(w, '__name__') else i}-{i}"
                              for i, (n, w, _) in enumerate(WRONG)])
def test_rejects_a_wrong_answer_with_the_right_hint(name, wrong, hint):
    result = CHECKERS[name].run(wrong)
    assert result.status == "fail", result.text
    if hint is None:
        assert result.hint is None or "did not finish" in result.text or "modified its input" in result.text \
            or "expected a tuple" in result.text, result.text
    else:
        assert result.hint is not None and hint in result.hint, result.text


def test_in_place_shift_is_reported_as_mutation():
    result = check.shift_encoding.run(shift_in_place)
    assert result.status == "fail" and "modified its input" in result.text, result.text


def test_returning_only_the_outputs_asks_for_the_pair():
    result = check.masked_attention.run(att_only_outputs)
    assert "expected a tuple of 2 results" in result.text, result.text


def _raises(*args):
    raise ValueError("reader bug")


def _stub(*args):
    raise NotImplementedError


def _forever(*args):
    while True:
        pass


HOSTILE = {"raises": (_raises, "ValueError: reader bug"), "none": (lambda *a: None, "returned None"),
           "string": (lambda *a: "garbage", "expected"), "forever": (_forever, "did not finish"),
           "nan": (lambda *a: np.full((7, 3), np.nan), "expected")}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
@pytest.mark.parametrize("name", sorted(CHECKERS))
def test_survives_hostile_code(name, kind, monkeypatch, capsys):
    checker = CHECKERS[name]
    monkeypatch.setattr(checker, "timeout", 0.2)
    fn, words = HOSTILE[kind]
    checker(fn)
    out = capsys.readouterr().out
    assert out.startswith("❌") and words in out


@pytest.mark.parametrize("name", sorted(CHECKERS))
def test_stub_is_not_attempted_and_strict_mode_raises(name, capsys):
    CHECKERS[name](_stub)
    assert "not attempted yet" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="fails its check"):
        CHECKERS[name](WRONG[[n for n, _, _ in WRONG].index(name)][1], strict=True)
