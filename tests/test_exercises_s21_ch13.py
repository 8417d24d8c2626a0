"""Chapter 13's checkers after the session-21 review: the wrong attempts a fresh-eyes reader wrote
that passed (or got a hint naming the wrong cause) are now rejected with the right hint or with
none, and every right answer still passes."""
from __future__ import annotations

import numpy as np
import pytest

from nnbook.exercises import attention as check
from nnlib.activations import softmax


# --------------------------------------------------------------------------- Exercise 13.1
def att_global_max_softmax(Q, K, V, mask):
    # review attempt 21: the softmax shifted by the max of the whole array, not of each row
    d_k = Q.shape[-1]
    Z = Q @ np.swapaxes(K, -1, -2) / np.sqrt(d_k)
    Z = np.where(mask, Z, -np.inf)
    E = np.exp(Z - Z.max())
    A = E / E.sum(axis=-1, keepdims=True)
    return A @ V, A


def att_tril_hardcoded(Q, K, V, mask):
    # review attempt 16: ignores the given mask and always applies a causal one
    d_k = Q.shape[-1]
    Z = Q @ np.swapaxes(K, -1, -2) / np.sqrt(d_k)
    causal = np.tril(np.ones(Z.shape[-2:], dtype=bool))
    A = softmax(np.where(causal, Z, -np.inf), axis=-1)
    return A @ V, A


def att_log_mask(Q, K, V, mask):
    # review attempt 20: log 0 = -inf is exactly the mask, but it warns "divide by zero"
    d_k = Q.shape[-1]
    Z = Q @ np.swapaxes(K, -1, -2) / np.sqrt(d_k) + np.log(mask)
    A = softmax(Z, axis=-1)
    return A @ V, A


def att_row_max_by_hand(Q, K, V, mask):
    # right: a hand-written softmax with each row's own max-shift
    Z = np.where(mask, Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1]), -np.inf)
    E = np.exp(Z - Z.max(axis=-1, keepdims=True))
    A = E / E.sum(axis=-1, keepdims=True)
    return A @ V, A


def att_exp_times_mask(Q, K, V, mask):
    # review attempt 22 (right): exp of row-shifted scores times the mask, then normalize
    Z = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])
    Z = np.where(mask, Z, -np.inf)
    E = np.exp(Z - Z.max(axis=-1, keepdims=True)) * mask
    A = E / E.sum(axis=-1, keepdims=True)
    return A @ V, A


def test_global_max_softmax_is_rejected_with_the_row_max_hint():
    result = check.masked_attention.run(att_global_max_softmax)
    assert result.status == "fail", result.text
    assert "very different scales" in result.text
    assert result.hint is not None and "each ROW's maximum" in result.hint, result.text


def test_mixed_scale_case_separates_the_rows():
    case = next(c for c in check.masked_attention.cases if "very different" in c.label)
    Z = case.args[0] @ case.args[1].T / np.sqrt(case.args[0].shape[-1])
    row_max = Z.max(axis=-1)
    assert row_max.max() - row_max.min() > 800        # e^-800 underflows to 0 in float64
    with np.errstate(all="ignore"):
        assert np.isnan(att_global_max_softmax(*case.args)[1]).any()


def test_hardcoded_causal_mask_gets_no_hint_about_padding_on_a_mask_hiding_nothing():
    result = check.masked_attention.run(att_tril_hardcoded)
    assert result.status == "fail", result.text
    assert "no key hidden" in result.text, result.text
    assert result.hint is not None and "Use the mask you are given" in result.hint, result.text
    assert "last keys of every row" not in result.hint, result.text
    assert "all True" in result.hint, result.text


def test_padding_hint_still_fires_where_the_mask_is_padding():
    # a reader whose code applies a causal mask only when the given one hides something
    def causal_when_masked(Q, K, V, mask):
        if np.all(mask):
            return att_row_max_by_hand(Q, K, V, mask)
        return att_tril_hardcoded(Q, K, V, mask)
    result = check.masked_attention.run(causal_when_masked)
    assert result.status == "fail" and "padding" in result.text, result.text
    assert result.hint is not None and "last keys of every row" in result.hint, result.text


def test_log_mask_hint_says_the_numbers_are_right():
    result = check.masked_attention.run(att_log_mask)
    assert result.status == "fail", result.text
    assert result.hint is not None and "numbers are right" in result.hint, result.text


@pytest.mark.parametrize("fn", [att_row_max_by_hand, att_exp_times_mask])
def test_masked_right_answers_pass(fn):
    result = check.masked_attention.run(fn)
    assert result.passed, result.text


# --------------------------------------------------------------------------- Exercise 13.2
def shift_abs_delta(pe, delta):
    # review attempt 08: abs(delta), so negative shifts go forwards
    delta = abs(delta)
    d = pe.shape[1]
    omega = 10000.0 ** (-np.arange(0, d, 2) / d)
    s, c = pe[:, 0::2], pe[:, 1::2]
    out = np.empty_like(pe)
    out[:, 0::2] = s * np.cos(delta * omega) + c * np.sin(delta * omega)
    out[:, 1::2] = c * np.cos(delta * omega) - s * np.sin(delta * omega)
    return out


def shift_float32(pe, delta):
    # review attempt 12: right formulas, computed in float32
    d = pe.shape[1]
    omega = (10000.0 ** (-np.arange(0, d, 2) / d)).astype(np.float32)
    s, c = pe[:, 0::2].astype(np.float32), pe[:, 1::2].astype(np.float32)
    out = np.empty(pe.shape, dtype=np.float32)
    out[:, 0::2] = s * np.cos(delta * omega) + c * np.sin(delta * omega)
    out[:, 1::2] = c * np.cos(delta * omega) - s * np.sin(delta * omega)
    return out


def shift_float32_wrong_base(pe, delta):
    # float32 AND a wrong formula (base 1000): the precision hint must not fire
    d = pe.shape[1]
    omega = (1000.0 ** (-np.arange(0, d, 2) / d)).astype(np.float32)
    s, c = pe[:, 0::2].astype(np.float32), pe[:, 1::2].astype(np.float32)
    out = np.empty(pe.shape, dtype=np.float32)
    out[:, 0::2] = s * np.cos(delta * omega) + c * np.sin(delta * omega)
    out[:, 1::2] = c * np.cos(delta * omega) - s * np.sin(delta * omega)
    return out


def shift_sign_error(pe, delta):
    d = pe.shape[1]
    omega = 10000.0 ** (-np.arange(0, d, 2) / d)
    s, c = pe[:, 0::2], pe[:, 1::2]
    out = np.empty_like(pe)
    out[:, 0::2] = s * np.cos(delta * omega) - c * np.sin(delta * omega)
    out[:, 1::2] = c * np.cos(delta * omega) + s * np.sin(delta * omega)
    return out


def test_abs_delta_is_told_about_the_negative_shift():
    result = check.shift_encoding.run(shift_abs_delta)
    assert result.status == "fail", result.text
    assert result.hint is not None and "NEGATIVE" in result.hint, result.text


def test_sign_error_still_gets_the_wrong_way_hint():
    result = check.shift_encoding.run(shift_sign_error)
    assert result.hint is not None and "wrong way" in result.hint, result.text


def test_float32_is_told_about_precision():
    result = check.shift_encoding.run(shift_float32)
    assert result.status == "fail", result.text
    assert result.hint is not None and "float32" in result.hint, result.text


def test_float32_with_a_wrong_formula_gets_no_precision_hint():
    result = check.shift_encoding.run(shift_float32_wrong_base)
    assert result.status == "fail", result.text
    assert result.hint is None or "float32" not in result.hint, result.text


# --------------------------------------------------------------------------- Exercise 13.3
def _split(z, N, T, num_heads, d_k):
    return z.reshape(N, T, num_heads, d_k).transpose(0, 2, 1, 3)


def mha_naive_softmax(x, W_q, W_k, W_v, W_o, num_heads):
    # review attempt 18: a softmax without any max-shift
    N, T, d = x.shape
    d_k = d // num_heads
    Q, K, V = (_split(x @ W, N, T, num_heads, d_k) for W in (W_q, W_k, W_v))
    Z = Q @ K.transpose(0, 1, 3, 2) / np.sqrt(d_k)
    Z = np.where(np.triu(np.ones((T, T), dtype=bool), k=1), -np.inf, Z)
    E = np.exp(Z)
    A = E / E.sum(axis=-1, keepdims=True)
    return (A @ V).transpose(0, 2, 1, 3).reshape(N, T, d) @ W_o


def mha_mask_from_d_model(x, W_q, W_k, W_v, W_o, num_heads):
    # review attempt 19: the mask built (d_model, d_model) and cut to (T, T)
    N, T, d = x.shape
    d_k = d // num_heads
    Q, K, V = (_split(x @ W, N, T, num_heads, d_k) for W in (W_q, W_k, W_v))
    Z = Q @ K.transpose(0, 1, 3, 2) / np.sqrt(d_k)
    future = np.triu(np.ones((d, d), dtype=bool), k=1)[:T, :T]
    A = softmax(np.where(future, -np.inf, Z), axis=-1)
    return (A @ V).transpose(0, 2, 1, 3).reshape(N, T, d) @ W_o


def mha_diagonal_masked(x, W_q, W_k, W_v, W_o, num_heads):
    # review attempt 08 of 13.3: np.triu(k=0) hides each query's own key too
    N, T, d = x.shape
    d_k = d // num_heads
    Q, K, V = (_split(x @ W, N, T, num_heads, d_k) for W in (W_q, W_k, W_v))
    Z = Q @ K.transpose(0, 1, 3, 2) / np.sqrt(d_k)
    Z = np.where(np.triu(np.ones((T, T), dtype=bool)), -np.inf, Z)
    A = softmax(Z, axis=-1)
    return (A @ V).transpose(0, 2, 1, 3).reshape(N, T, d) @ W_o


def mha_global_max(x, W_q, W_k, W_v, W_o, num_heads):
    # the global-max softmax of 13.1, in 13.3
    N, T, d = x.shape
    d_k = d // num_heads
    Q, K, V = (_split(x @ W, N, T, num_heads, d_k) for W in (W_q, W_k, W_v))
    Z = Q @ K.transpose(0, 1, 3, 2) / np.sqrt(d_k)
    Z = np.where(np.triu(np.ones((T, T), dtype=bool), k=1), -np.inf, Z)
    E = np.exp(Z - Z.max())
    A = E / E.sum(axis=-1, keepdims=True)
    return (A @ V).transpose(0, 2, 1, 3).reshape(N, T, d) @ W_o


def mha_right_by_hand(x, W_q, W_k, W_v, W_o, num_heads):
    N, T, d = x.shape
    d_k = d // num_heads
    Q, K, V = (_split(x @ W, N, T, num_heads, d_k) for W in (W_q, W_k, W_v))
    Z = Q @ K.transpose(0, 1, 3, 2) / np.sqrt(d_k)
    Z = np.where(np.triu(np.ones((T, T), dtype=bool), k=1), -np.inf, Z)
    E = np.exp(Z - Z.max(axis=-1, keepdims=True))
    A = E / E.sum(axis=-1, keepdims=True)
    return (A @ V).transpose(0, 2, 1, 3).reshape(N, T, d) @ W_o


def test_naive_softmax_is_rejected_with_the_overflow_hint():
    result = check.causal_self_attention.run(mha_naive_softmax)
    assert result.status == "fail", result.text
    assert result.hint is not None and "overflowed" in result.hint, result.text


def test_mask_sized_by_d_model_is_rejected():
    result = check.causal_self_attention.run(mha_mask_from_d_model)
    assert result.status == "fail", result.text
    assert "T = 10" in result.text and "Error" in result.text, result.text


def test_a_case_has_more_positions_than_features():
    assert any(c.args[0].shape[1] > c.args[0].shape[2] for c in check.causal_self_attention.cases)


def test_diagonal_mask_is_told_that_query_0_sees_nothing():
    result = check.causal_self_attention.run(mha_diagonal_masked)
    assert result.status == "fail", result.text
    assert result.hint is not None and "k=0" in result.hint, result.text


def test_global_max_softmax_fails_13_3_too():
    result = check.causal_self_attention.run(mha_global_max)
    assert result.status == "fail", result.text


def test_mha_right_by_hand_passes():
    result = check.causal_self_attention.run(mha_right_by_hand)
    assert result.passed, result.text
