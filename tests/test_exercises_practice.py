"""Chapter 9's checkers (``nnbook.exercises.practice``): each accepts right answers written as a
student would, rejects realistic wrong ones with the hint that names THAT mistake (or with no hint
where none fits). Hostile code, NaN and stubs: tests/test_exercises_checkers.py."""
from __future__ import annotations

import numpy as np
import pytest

from nnbook.exercises import practice as check
from nnbook.exercises.core import Checker
from wrong_answers import assert_each_hint_fires_only_for_its_own_mistake, assert_rejected_with_hint

CHECKERS = {name: obj for name, obj in vars(check).items() if isinstance(obj, Checker)}


# --------------------------------------------------------------------------- right answers
def standardize(X_train, X_other):
    mu = X_train.mean(axis=0)
    sigma = X_train.std(axis=0)
    sigma[sigma == 0] = 1.0
    return (X_train - mu) / sigma, (X_other - mu) / sigma


def standardize_loops(X_train, X_other):
    A, B = X_train.astype(float), X_other.astype(float)
    out_a, out_b = np.empty_like(A), np.empty_like(B)
    for j in range(A.shape[1]):
        m = sum(A[:, j]) / len(A)
        s = np.sqrt(sum((A[:, j] - m) ** 2) / len(A))
        s = s if s > 0 else 1
        out_a[:, j], out_b[:, j] = (A[:, j] - m) / s, (B[:, j] - m) / s
    return out_a, out_b


def prf(y_true, y_pred):
    tp = np.sum((y_true == 1) & (y_pred == 1))
    fp = np.sum((y_true == 0) & (y_pred == 1))
    fn = np.sum((y_true == 1) & (y_pred == 0))
    precision = tp / (tp + fp) if tp + fp > 0 else 0.0
    recall = tp / (tp + fn) if tp + fn > 0 else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return precision, recall, f1


def prf_counts(y_true, y_pred):
    t, p = list(map(int, y_true)), list(map(int, y_pred))
    tp = sum(a and b for a, b in zip(t, p))
    predicted, actual = sum(p), sum(t)
    P = tp / predicted if predicted else 0.0
    R = tp / actual if actual else 0.0
    return P, R, (2 * P * R / (P + R) if P + R else 0.0)


def random_search(evaluate, low, high, n_trials, seed):
    rng = np.random.default_rng(seed)
    best_values, best_score = None, -np.inf
    for _ in range(n_trials):
        values = 10 ** rng.uniform(np.log10(low), np.log10(high))
        score = evaluate(values)
        if score > best_score:
            best_values, best_score = values, score
    return best_values, best_score


def random_search_all_at_once(evaluate, low, high, n_trials, seed):
    rng = np.random.default_rng(seed)
    exps = rng.uniform(np.log10(low), np.log10(high), size=(n_trials, len(low)))
    scores = [evaluate(10.0 ** e) for e in exps]
    k = int(np.argmax(scores))
    return 10.0 ** exps[k], scores[k]


@pytest.mark.parametrize("name, fn", [
    ("standardize", standardize), ("standardize", standardize_loops),
    ("precision_recall_f1", prf), ("precision_recall_f1", prf_counts),
    ("random_search", random_search), ("random_search", random_search_all_at_once)])
def test_accepts_right_answers_written_differently(name, fn):
    result = CHECKERS[name].run(fn)
    assert result.passed, result.text


# --------------------------------------------------------------------------- wrong answers
def s_own_stats(X_train, X_other):
    z = lambda X: (X - X.mean(axis=0)) / X.std(axis=0)
    return z(X_train), z(X_other)


def s_own_stats_guarded(X_train, X_other):
    def z(X):
        s = X.std(axis=0)
        return (X - X.mean(axis=0)) / np.where(s == 0, 1, s)
    return z(X_train), z(X_other)


def s_both(X_train, X_other):
    allX = np.concatenate([X_train, X_other])
    mu, sigma = allX.mean(axis=0), allX.std(axis=0)
    sigma = np.where(sigma == 0, 1, sigma)
    return (X_train - mu) / sigma, (X_other - mu) / sigma


def s_ddof1(X_train, X_other):
    mu, sigma = X_train.mean(axis=0), X_train.std(axis=0, ddof=1)
    sigma[sigma == 0] = 1
    return (X_train - mu) / sigma, (X_other - mu) / sigma


def s_rows(X_train, X_other):
    def z(X):
        s = X.std(axis=1, keepdims=True)
        return (X - X.mean(axis=1, keepdims=True)) / np.where(s == 0, 1, s)
    return z(X_train), z(X_other)


def s_no_guard(X_train, X_other):
    mu, sigma = X_train.mean(axis=0), X_train.std(axis=0)
    return (X_train - mu) / sigma, (X_other - mu) / sigma


def s_eps(X_train, X_other):
    mu, sigma = X_train.mean(axis=0), X_train.std(axis=0)
    return (X_train - mu) / (sigma + 1e-8), (X_other - mu) / (sigma + 1e-8)


def s_minmax(X_train, X_other):
    lo, hi = X_train.min(axis=0), X_train.max(axis=0)
    rng = np.where(hi > lo, hi - lo, 1)
    return (X_train - lo) / rng, (X_other - lo) / rng


def s_center(X_train, X_other):
    mu = X_train.mean(axis=0)
    return X_train - mu, X_other - mu


def s_other_raw(X_train, X_other):
    mu, sigma = X_train.mean(axis=0), X_train.std(axis=0)
    sigma[sigma == 0] = 1
    return (X_train - mu) / sigma, X_other


def s_in_place(X_train, X_other):
    mu, sigma = X_train.mean(axis=0), X_train.std(axis=0)
    sigma[sigma == 0] = 1
    X_train -= mu
    X_train /= sigma
    return X_train, (X_other - mu) / sigma


def s_typo(X_train, X_other):
    mu, sigma = X_train.mean(axis=0), X_train.std(axis=0)
    return (X_train - mu) / sigma, (X_other - mu) / sgima  # noqa: F821


def p_swapped(y_true, y_pred):
    tp = np.sum(y_true * y_pred)
    return tp / np.sum(y_true), tp / max(np.sum(y_pred), 1), 0.0


def p_swapped_full(y_true, y_pred):
    P, R, F = prf(y_true, y_pred)
    return R, P, F


def p_mean(y_true, y_pred):
    P, R, _ = prf(y_true, y_pred)
    return P, R, (P + R) / 2


def p_nan(y_true, y_pred):
    tp = np.sum((y_true == 1) & (y_pred == 1))
    P = tp / np.sum(y_pred == 1)
    R = tp / np.sum(y_true == 1)
    return P, R, 2 * P * R / (P + R)


def p_zero_division(y_true, y_pred):
    t, p = list(y_true), list(y_pred)
    tp = sum(1 for a, b in zip(t, p) if a == 1 and b == 1)
    P = tp / sum(1 for b in p if b == 1)
    R = tp / sum(1 for a in t if a == 1)
    return P, R, 2 * P * R / (P + R)


def p_negative(y_true, y_pred):
    return prf(1 - y_true.astype(int), 1 - y_pred.astype(int))


def p_matches(y_true, y_pred):
    tp = np.sum(y_true == y_pred)
    fp = np.sum((y_true == 0) & (y_pred == 1))
    fn = np.sum((y_true == 1) & (y_pred == 0))
    P, R = tp / (tp + fp), tp / (tp + fn)
    return P, R, 2 * P * R / (P + R)


def p_percent(y_true, y_pred):
    return tuple(100 * v for v in prf(y_true, y_pred))


def p_accuracy(y_true, y_pred):
    acc = np.mean(y_true == y_pred)
    _, R, F = prf(y_true, y_pred)
    return acc, R, F


def p_minus_bools(y_true, y_pred):
    fn = np.sum(y_true - y_pred == 1)      # right for 0/1 integers; bools cannot be subtracted
    P, R, F = prf(y_true, y_pred)
    return P, (R if fn >= 0 else 0.0), F


def r_linear(evaluate, low, high, n_trials, seed):
    rng = np.random.default_rng(seed)
    best = (None, -np.inf)
    for _ in range(n_trials):
        v = rng.uniform(low, high)
        s = evaluate(v)
        if s > best[1]:
            best = (v, s)
    return best


def r_ln(evaluate, low, high, n_trials, seed):
    rng = np.random.default_rng(seed)
    exps = rng.uniform(np.log10(low), np.log10(high), size=(n_trials, len(low)))
    vals = np.exp(exps)
    scores = [evaluate(v) for v in vals]
    return vals[np.argmax(scores)], max(scores)


def r_min(evaluate, low, high, n_trials, seed):
    rng = np.random.default_rng(seed)
    vals = [10 ** rng.uniform(np.log10(low), np.log10(high)) for _ in range(n_trials)]
    scores = [evaluate(v) for v in vals]
    return vals[int(np.argmin(scores))], min(scores)


def r_last(evaluate, low, high, n_trials, seed):
    rng = np.random.default_rng(seed)
    for _ in range(n_trials):
        values = 10 ** rng.uniform(np.log10(low), np.log10(high))
        score = evaluate(values)
    return values, score


def r_fewer(evaluate, low, high, n_trials, seed):
    rng = np.random.default_rng(seed)
    values = 10 ** rng.uniform(np.log10(low), np.log10(high))
    best_v, best_s = values, evaluate(values)
    for _ in range(1, n_trials - 1):
        values = 10 ** rng.uniform(np.log10(low), np.log10(high))
        s = evaluate(values)
        if s > best_s:
            best_v, best_s = values, s
    return best_v, best_s


def r_reseed(evaluate, low, high, n_trials, seed):
    best_v, best_s = None, -np.inf
    for _ in range(n_trials):
        rng = np.random.default_rng(seed)
        values = 10 ** rng.uniform(np.log10(low), np.log10(high))
        if evaluate(values) > best_s:
            best_v, best_s = values, evaluate(values)
    return best_v, best_s


def r_by_column(evaluate, low, high, n_trials, seed):
    rng = np.random.default_rng(seed)
    cols = [10 ** rng.uniform(np.log10(lo), np.log10(hi), n_trials) for lo, hi in zip(low, high)]
    trials = np.stack(cols, axis=1)
    scores = [evaluate(v) for v in trials]
    return trials[np.argmax(scores)], max(scores)


def r_mixed(evaluate, low, high, n_trials, seed):
    rng = np.random.default_rng(seed)
    best_s = -np.inf
    for _ in range(n_trials):
        values = 10 ** rng.uniform(np.log10(low), np.log10(high))
        best_s = max(best_s, evaluate(values))
    return values, best_s


def r_global_random(evaluate, low, high, n_trials, seed):
    np.random.seed(seed)
    vals = [10 ** np.random.uniform(np.log10(low), np.log10(high)) for _ in range(n_trials)]
    scores = [evaluate(v) for v in vals]
    return vals[int(np.argmax(scores))], max(scores)


def r_int_exponents(evaluate, low, high, n_trials, seed):
    rng = np.random.default_rng(seed)
    vals = [10.0 ** np.round(rng.uniform(np.log10(low), np.log10(high))) for _ in range(n_trials)]
    scores = [evaluate(v) for v in vals]
    return vals[int(np.argmax(scores))], max(scores)


def r_typo(evaluate, low, high, n_trials, seed):
    rng = np.random.default_rng(seed)
    vals = [10 ** rng.uniform(np.log10(low), np.log10(high)) for _ in range(n_trials)]
    return max(vals, key=evaluate), evaluate(max(vals, key=evalute))  # noqa: F821


def r_start_at_zero(evaluate, low, high, n_trials, seed):
    rng = np.random.default_rng(seed)
    lo, hi = np.log10(low), np.log10(high)
    best_values, best_score = None, 0.0                 # 0, not -inf
    for _ in range(n_trials):
        values = 10.0 ** rng.uniform(lo, hi)
        score = evaluate(values)
        if score > best_score:
            best_values, best_score = values, score
    return best_values, best_score


WRONG = [
    ("standardize", lambda A, B: (
        (A - np.where(A.std(axis=0) > 0, A.mean(axis=0), 0)) / np.where(A.std(axis=0) > 0, A.std(axis=0), 1),
        (B - np.where(A.std(axis=0) > 0, A.mean(axis=0), 0)) / np.where(A.std(axis=0) > 0, A.std(axis=0), 1)),
     None),                                     # a constant column left un-centred

    ("standardize", s_own_stats, "TRAINING mean and standard deviation for X_other"),
    ("standardize", s_own_stats_guarded, "TRAINING mean and standard deviation for X_other"),
    ("standardize", s_both, "from X_train ALONE"),
    ("standardize", s_ddof1, "ddof=0"),
    ("standardize", s_rows, "per FEATURE"),
    ("standardize", s_no_guard, "0/0 is nan"),
    ("standardize", s_eps, "divides a column that is constant"),
    ("standardize", s_minmax, "min-max"),
    ("standardize", s_center, "did not divide"),
    ("standardize", s_other_raw, "Return X_other standardized"),
    ("standardize", s_typo, None),
    ("precision_recall_f1", p_swapped_full, "swapped"),
    ("precision_recall_f1", p_mean, "HARMONIC"),
    ("precision_recall_f1", p_nan, "defined as 0"),
    ("precision_recall_f1", p_zero_division, "defined as 0"),
    ("precision_recall_f1", p_negative, "class 0 as positive"),
    ("precision_recall_f1", p_matches, "also counts the true negatives"),
    ("precision_recall_f1", p_percent, "percentages"),
    ("precision_recall_f1", p_accuracy, None),
    ("precision_recall_f1", p_swapped, None),
    ("random_search", r_start_at_zero, "minus infinity"),
    ("random_search", r_linear, "EXPONENT"),
    ("random_search", r_ln, "base 10 and base e"),
    ("random_search", r_min, "HIGHEST"),
    ("random_search", r_last, "not the last"),
    ("random_search", r_fewer, "one too few"),
    ("random_search", r_reseed, "ONCE, before the loop"),
    ("random_search", r_by_column, "in trial order"),
    ("random_search", r_mixed, "another trial's"),
    ("random_search", r_global_random, None),
    ("random_search", r_int_exponents, None),
    ("random_search", r_typo, None),
]


@pytest.mark.parametrize("name, wrong, hint", WRONG, ids=[f"{n}-{w.__name__}" for n, w, _ in WRONG])
def test_rejects_a_wrong_answer_with_the_right_hint_or_none(name, wrong, hint):
    assert_rejected_with_hint(CHECKERS, name, wrong, hint)


def test_each_hint_fires_only_for_its_own_mistake():
    assert_each_hint_fires_only_for_its_own_mistake(CHECKERS, WRONG)


def test_an_error_is_reported_as_the_error():
    text = check.standardize.run(s_typo).text
    assert "NameError" in text and "sgima" in text
    text = check.precision_recall_f1.run(p_minus_bools).text
    assert "TypeError" in text and "y_true - y_pred" in text


def test_modifying_the_training_array_is_reported(capsys):
    result = check.standardize.run(s_in_place)
    assert result.status == "fail" and "X_train" in result.text and "modified" in result.text


def test_the_stand_in_score_refuses_the_wrong_number_of_values():
    text = check.random_search.run(lambda e, lo, hi, n, s: (lo, e(np.concatenate([lo, lo])))).text
    assert "expected 1 hyperparameter values" in text


def r_keeps_last_tie(evaluate, low, high, n_trials, seed):
    rng = np.random.default_rng(seed)
    best_values, best_score = None, -np.inf
    for _ in range(n_trials):
        values = 10 ** rng.uniform(np.log10(low), np.log10(high))
        score = evaluate(values)
        if score >= best_score:                  # ties replace the earlier trial
            best_values, best_score = values, score
    return best_values, best_score


def test_the_last_of_tied_trials_is_rejected_with_its_hint():
    # found by the fresh-eyes review: no case had a tie, so `>=` passed
    assert_rejected_with_hint(CHECKERS, "random_search", r_keeps_last_tie, "keep the FIRST of them")
