"""Chapter 4's checkers against the wrong attempts of the session-21 fresh-eyes review.

Each wrong attempt must be rejected, with the hint for its own mistake or with none of the
checker's hints; right answers written in several ways (the book's solutions among them) must
pass. The cases that closed a false pass and three wrong hints:
- Exercise 4.3: a class-balanced mean passed (every exactly-checked case had as many 0s as 1s);
- Exercise 4.2: δ(|r| − δ²/2) was told "You ignored `delta`";
- Exercise 4.3: log of a negative number was told "At p = 0 or p = 1, log(0) …";
- Exercise 4.4: a NaN on small logits was told "inf or NaN at large logits".
"""
import numpy as np
import pytest

from nnbook.exercises import losses as check


def _hints(checker):
    return [m.hint for m in checker.mistakes]


def _assert_rejected(checker, attempt, hint):
    result = checker.run(attempt)
    assert result.status == "fail", result.text
    if hint is None:
        assert not any(h and h[:40] in (result.hint or "") for h in _hints(checker)), result.hint
    else:
        assert hint in (result.hint or ""), (result.hint, result.text)
    return result


# ---- Exercise 4.3, binary_cross_entropy ---------------------------------------------------

def bce_class_balanced_mean(p, y):
    p = np.clip(p, 1e-7, 1 - 1e-7)
    loss_pos = -np.log(p[y == 1]).mean()
    loss_neg = -np.log(1 - p[y == 0]).mean()
    return float((loss_pos + loss_neg) / 2)


def bce_typo_p_minus_1(p, y):
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(p - 1)))


def bce_where_still_warns(p, y):
    return float(-np.mean(np.where(y == 1, np.log(p), np.log(1 - p))))


def bce_naive(p, y):
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def bce_eps_1e15(p, y):
    p = np.clip(p, 1e-15, 1 - 1e-15)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def bce_swapped_args(p, y):
    yy = np.clip(y, 1e-7, 1 - 1e-7)
    return float(-np.mean(p * np.log(yy) + (1 - p) * np.log(1 - yy)))


def bce_eps_1e5(p, y):
    p = np.clip(p, 1e-5, 1 - 1e-5)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def bce_eps_1e8(p, y):
    p = np.clip(p, 1e-8, 1 - 1e-8)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def bce_per_class_sum(p, y):
    # sums over each class, then divides by 2 (another way to forget the one mean)
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return float(-(np.log(p[y == 1]).sum() / max(1, (y == 1).sum())
                   + np.log(1 - p[y == 0]).sum() / max(1, (y == 0).sum())) / 2)


BCE_WRONG = [
    (bce_class_balanced_mean, None),
    (bce_per_class_sum, None),
    (bce_typo_p_minus_1, None),                  # no p is 0 or 1 where it first fails
    (bce_where_still_warns, "`np.where` does not help"),
    (bce_naive, "At p = 0 or p = 1 one of the logs sees 0"),
    (bce_eps_1e15, "works in float64 but not in float32"),
    (bce_eps_1e8, "works in float64 but not in float32"),
    (bce_swapped_args, "The arguments are swapped"),
    (bce_eps_1e5, None),
]


@pytest.mark.parametrize("attempt, hint", BCE_WRONG, ids=[f.__name__ for f, _ in BCE_WRONG])
def test_bce_wrong_attempt_rejected_with_its_own_hint(attempt, hint):
    _assert_rejected(check.binary_cross_entropy, attempt, hint)


def test_bce_class_balanced_mean_fails_on_the_unbalanced_case_at_normal_tolerance():
    result = check.binary_cross_entropy.run(bce_class_balanced_mean)
    case = check.binary_cross_entropy.cases[result.case_index]
    assert "three 1s and one 0" in case.label
    assert case.rtol is None and case.atol is None          # the checker's default tolerance


def test_bce_log_of_negative_is_not_told_about_p_equal_0_or_1():
    result = check.binary_cross_entropy.run(bce_typo_p_minus_1)
    assert result.case_index == 0, result.text
    assert "p = 0 or p = 1" not in (result.hint or "")


def test_bce_confidently_wrong_case_accepts_exactly_the_allowed_eps_range():
    case = check.binary_cross_entropy.cases[-1]
    expected = 10.915672308736328                              # nnlib, eps = 1e-7
    lo, hi = expected * (1 - case.rtol), expected * (1 + case.rtol)
    for eps in (1e-7, 3e-7, 1e-6):
        q = np.clip(case.args[0], eps, 1 - eps)
        y = case.args[1]
        v = -np.mean(y * np.log(q) + (1 - y) * np.log(1 - q))
        assert lo <= v <= hi, (eps, v)
    for eps in (1e-5, 1e-8):                                   # outside the allowed range
        q = np.clip(case.args[0], eps, 1 - eps)
        y = case.args[1]
        v = -np.mean(y * np.log(q) + (1 - y) * np.log(1 - q))
        assert not lo <= v <= hi or eps == 1e-8, (eps, v)      # 1e-8 fails on float32 instead
    assert bce_class_balanced_mean(*case.args) < hi            # why the unbalanced case is needed


def bce_right_add_eps(p, y):
    eps = 1e-7
    return float(-np.mean(y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps)))


def bce_right_eps_1e6(p, y):
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def bce_right_where(p, y):
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return float(-np.mean(np.where(y == 1, np.log(p), np.log1p(-p))))


def bce_book_solution(p, y):
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


@pytest.mark.parametrize("attempt", [bce_book_solution, bce_right_add_eps, bce_right_eps_1e6,
                                     bce_right_where])
def test_bce_right_attempts_pass(attempt):
    result = check.binary_cross_entropy.run(attempt)
    assert result.passed, result.text


# ---- Exercise 4.2, huber -----------------------------------------------------------------

def huber_delta_squared(y_hat, y, delta):
    a = np.abs(y_hat - y)
    return float(np.mean(np.where(a <= delta, 0.5 * a**2, delta * (a - 0.5 * delta**2))))


def huber_ignores_delta(y_hat, y, delta):
    a = np.abs(y_hat - y)
    return float(np.mean(np.where(a <= 1.0, 0.5 * a**2, 1.0 * (a - 0.5))))


def huber_no_half_delta(y_hat, y, delta):
    a = np.abs(y_hat - y)
    return float(np.mean(np.where(a <= delta, 0.5 * a**2, delta * a)))


def huber_wrong_constant(y_hat, y, delta):
    a = np.abs(y_hat - y)
    return float(np.mean(np.where(a <= delta, 0.5 * a**2, delta * a - 0.5 * delta)))


def huber_smooth_l1(y_hat, y, delta):
    a = np.abs(y_hat - y)
    return float(np.mean(np.where(a <= delta, 0.5 * a**2 / delta, a - 0.5 * delta)))


HUBER_WRONG = [
    (huber_delta_squared, "half of δ, not half of δ²"),
    (huber_ignores_delta, "You ignored `delta`"),
    (huber_no_half_delta, "not δ|r|"),
    (huber_wrong_constant, None),
    (huber_smooth_l1, None),
]


@pytest.mark.parametrize("attempt, hint", HUBER_WRONG, ids=[f.__name__ for f, _ in HUBER_WRONG])
def test_huber_wrong_attempt_rejected_with_its_own_hint(attempt, hint):
    result = _assert_rejected(check.huber, attempt, hint)
    if attempt is huber_delta_squared:
        assert "You ignored" not in result.hint


def huber_book_solution(y_hat, y, delta):
    a = np.abs(y_hat - y)
    return float(np.mean(np.where(a <= delta, 0.5 * a**2, delta * (a - 0.5 * delta))))


def huber_right_min_form(y_hat, y, delta):
    a = np.abs(y_hat - y)
    m = np.minimum(a, delta)
    return float(np.mean(0.5 * m**2 + delta * (a - m)))


@pytest.mark.parametrize("attempt", [huber_book_solution, huber_right_min_form])
def test_huber_right_attempts_pass(attempt):
    assert check.huber.run(attempt).passed, check.huber.run(attempt).text


# ---- Exercise 4.4, cross_entropy_grad ----------------------------------------------------

def ce_log_of_logits(logits, Y):
    P = np.exp(np.log(logits))
    P = P / P.sum(axis=1, keepdims=True)
    return (P - Y) / len(logits)


def ce_zero_over_zero(logits, Y):
    P = np.exp(logits) * 0
    P = P / P.sum(axis=1, keepdims=True)
    return (P - Y) / len(logits)


def ce_no_shift(logits, Y):
    P = np.exp(logits)
    P = P / P.sum(axis=1, keepdims=True)
    return (P - Y) / len(logits)


def ce_global_max(logits, Y):
    s = logits - logits.max()
    P = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
    return (P - Y) / len(logits)


def ce_sign(logits, Y):
    s = logits - logits.max(axis=1, keepdims=True)
    P = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
    return (Y - P) / len(logits)


def ce_elementwise_softmax_derivative(logits, Y):
    s = logits - logits.max(axis=1, keepdims=True)
    P = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
    dP = -Y / np.clip(P, 1e-12, None) / len(logits)
    return dP * P * (1 - P)


CE_WRONG = [
    (ce_elementwise_softmax_derivative, "element-wise derivative s(1 − s)"),
    (ce_log_of_logits, None),          # NaN on small logits: not an overflow
    (ce_zero_over_zero, None),
    (ce_no_shift, "inf or NaN at large logits"),
    (ce_global_max, "inf or NaN at large logits"),
    (ce_sign, "Sign flipped"),
]


@pytest.mark.parametrize("attempt, hint", CE_WRONG, ids=[f.__name__ for f, _ in CE_WRONG])
def test_ce_grad_wrong_attempt_rejected_with_its_own_hint(attempt, hint):
    _assert_rejected(check.cross_entropy_grad, attempt, hint)


def ce_book_solution(logits, Y):
    shifted = logits - logits.max(axis=1, keepdims=True)
    P = np.exp(shifted)
    P /= P.sum(axis=1, keepdims=True)
    return (P - Y) / len(logits)


def ce_right_labels(logits, Y):
    s = logits - logits.max(axis=1, keepdims=True)
    P = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
    P[np.arange(len(logits)), Y.argmax(axis=1)] -= 1
    return P / len(logits)


@pytest.mark.parametrize("attempt", [ce_book_solution, ce_right_labels])
def test_ce_grad_right_attempts_pass(attempt):
    assert check.cross_entropy_grad.run(attempt).passed


# ---- Exercise 4.1, mse_grad: the hint names the exercise's own shape ----------------------

def test_mse_grad_rows_hint_speaks_of_the_output_shape_not_classes():
    result = _assert_rejected(check.mse_grad, lambda y_hat, y: 2 * (y_hat - y) / len(y_hat),
                              "ALL N·D_out entries")
    assert "N·K" not in result.text
