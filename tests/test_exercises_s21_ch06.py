"""Chapter 6's step-function checkers against the session-21 review's attempts.

The reviewer's attempts are copied below verbatim (their header comments record the verdict
they got before this change). Each is checked for its verdict and hint; the new hints (only m
or only v bias-corrected, m̂/v̂ returned as the state, eps added to the uncorrected √v, (v, w)
returned) are shown to fire for their own mistake and for no other attempt. In-place updates of
w (and v, m) are accepted, as the chapter says; a changed gradient is not.
"""
import numpy as np
import pytest

from nnbook.exercises import optimizers as check
from nnbook.exercises.common import COMMON


# ---- Exercise sgd_step: the review's attempts (/work/reviews/attempts/ch06_s21_sgd_step.py)
def sgd_attempt_01_plus_sign(w, grad, lr):
    # intended mistake: steps uphill (w + lr*grad)
    # verdict now: fail, hint: "Step AGAINST the gradient: w − lr·grad. ... `+` climbs it." -> OK
    return w + lr * grad


def sgd_attempt_02_in_place(w, grad, lr):
    # intended mistake: updates the caller's array in place (w -= ...)
    # verdict now: pass, hint: none -> FALSE PASS (against the chapter's own contract: cell 69 "Your step functions ... return new arrays", solution 6.1 "Returning a new array (rather than changing w in place) keeps the caller's array intact"; the checker has allow_mutation=("w",) on purpose)
    w -= lr * grad
    return w


def sgd_attempt_03_ignores_lr(w, grad, lr):
    # intended mistake: forgets the learning rate
    # verdict now: fail, hint: "The learning rate is missing: w − lr·grad." -> OK
    return w - grad


def sgd_attempt_04_returns_step(w, grad, lr):
    # intended mistake: returns the step, not the new weights
    # verdict now: fail, hint: "Return the new weights w − lr·grad, not just the step lr·grad." -> OK
    return lr * grad


def sgd_attempt_05_mean_grad(w, grad, lr):
    # intended mistake: averages the gradient into one number ("the gradient of the mean")
    # verdict now: fail, hint: none (values differ, expected/got shown) -> OK
    return w - lr * grad.mean()


def sgd_attempt_06_sign_grad(w, grad, lr):
    # intended mistake: signSGD, steps of size lr whatever the gradient
    # verdict now: fail, hint: none -> OK
    return w - lr * np.sign(grad)


def sgd_attempt_07_normalised(w, grad, lr):
    # intended mistake: normalises the gradient to unit length
    # verdict now: fail, hint: none -> OK
    return w - lr * grad / np.linalg.norm(grad)


def sgd_attempt_08_no_return(w, grad, lr):
    # intended mistake: forgets to return
    # verdict now: fail, "returned None — did you forget the `return` statement?" -> OK
    w_new = w - lr * grad


def sgd_attempt_09_float32(w, grad, lr):
    # intended mistake: casts to float32 ("networks use float32")
    # verdict now: pass, hint: none -> OK (float32 result within tolerance; acceptable)
    return (w - lr * grad).astype(np.float32)


def sgd_attempt_10_list(w, grad, lr):
    # intended mistake: returns a Python list
    # verdict now: fail, "expected a NumPy array, got a Python list" -> OK
    return [wi - lr * gi for wi, gi in zip(w, grad)]


def sgd_attempt_11_weight_decay(w, grad, lr):
    # intended mistake: adds weight decay that was not asked for (Section 6.4)
    # verdict now: fail, hint: none -> OK
    return w * (1 - lr * 0.01) - lr * grad


def sgd_attempt_12_transpose(w, grad, lr):
    # intended mistake: transposes the gradient ("PyTorch stores the transpose", Chapter 3)
    # verdict now: fail, hint: "The shapes do not line up ... a size taken from the wrong axis ..., or a reduction ... without keepdims=True" -> CONFUSING (generic; names two causes, neither is a transpose; the error line above does show grad.T)
    return w - lr * grad.T


def sgd_attempt_13_ravel(w, grad, lr):
    # intended mistake: flattens (returns shape (n,) for a matrix)
    # verdict now: fail, "wrong shape: expected (2, 3), got (6,)" -> OK
    return (w - lr * grad).ravel()


def sgd_attempt_14_int_lr(w, grad, lr):
    # intended mistake: int(lr) truncates 0.1 to 0
    # verdict now: fail, hint: none -> OK
    return w - int(lr) * grad


def sgd_attempt_15_squared(w, grad, lr):
    # intended mistake: grad squared (mixing up with RMSprop)
    # verdict now: fail, hint: none -> OK
    return w - lr * grad ** 2


def sgd_attempt_16_typo(w, grad, lr):
    # intended mistake: typo -> NameError
    # verdict now: fail, "your code raised NameError ... at line ...: return w - lr * gard" -> OK
    return w - lr * gard


def sgd_attempt_17_correct(w, grad, lr):
    # correct
    # verdict now: pass -> OK
    return w - lr * grad


def sgd_attempt_18_sys_exit(w, grad, lr):
    # intended mistake (hostile): calls exit() in the function (a student copying a script)
    # verdict now: fail, "your code raised SystemExit" (see report) -> OK, no crash
    import sys
    sys.exit("done")


def sgd_attempt_19_matrix(w, grad, lr):
    # intended mistake (hostile): returns np.matrix
    # verdict now: fail, hint: none -> OK
    return np.asmatrix(w - lr * grad)


def sgd_attempt_20_input(w, grad, lr):
    # intended mistake (hostile): asks for input (reads stdin)
    # verdict now: fail (EOF on stdin reported as an error) -> OK, no hang
    lr = float(input("lr? "))
    return w - lr * grad


def sgd_attempt_21_nan(w, grad, lr):
    # intended mistake: returns nan where the result is tiny (0 * inf)
    # verdict now: fail, hint: none -> OK
    return w - lr * grad + 0 * np.log(np.abs(grad) - np.abs(grad))


# ---- Exercise momentum_step: the review's attempts (/work/reviews/attempts/ch06_s21_momentum_step.py)
def mom_attempt_01_forgetful(w, grad, v, lr, beta):
    # intended mistake: fresh velocity every call (the chapter's "forgetful momentum")
    # verdict now: fail, hint: "You rebuilt the velocity from zero (v = grad), which is plain SGD. Accumulate into the v you were given" -> OK
    v = np.zeros_like(w)
    v = beta * v + grad
    return w - lr * v, v


def mom_attempt_02_old_velocity(w, grad, v, lr, beta):
    # intended mistake: moves with the OLD velocity, then updates it
    # verdict now: fail, hint: "Move w with the NEW velocity: first v ← β·v + grad, then w ← w − lr·v." -> OK
    w_new = w - lr * v
    v = beta * v + grad
    return w_new, v


def mom_attempt_03_lr_inside(w, grad, v, lr, beta):
    # intended mistake: the "other" form with lr inside the velocity (Section 6.3)
    # verdict now: fail, hint: "You used the other common convention (v ← β·v + lr·grad, w ← w − v) ..." -> OK
    v = beta * v + lr * grad
    return w - v, v


def mom_attempt_04_dampened(w, grad, v, lr, beta):
    # intended mistake: EMA form (1 - beta) * grad, as in Adam's m
    # verdict now: fail, hint: "That is the exponential-average form v ← β·v + (1 − β)·grad (Adam's first moment)..." -> OK
    v = beta * v + (1 - beta) * grad
    return w - lr * v, v


def mom_attempt_05_only_w(w, grad, v, lr, beta):
    # intended mistake: returns only w (forgets to return v)
    # verdict now: fail, "expected a tuple of 2 results (w, v), got an array" -> OK
    v = beta * v + grad
    return w - lr * v


def mom_attempt_06_swapped_return(w, grad, v, lr, beta):
    # intended mistake: returns (v, w)
    # verdict now: fail, hint: none; "values differ (w) ... got w: [0.3, -0.1, 0.8]" -> CONFUSING (the got-w equals the expected v; a hint "did you return (v, w)?" would name it)
    v = beta * v + grad
    return v, w - lr * v


def mom_attempt_07_nesterov(w, grad, v, lr, beta):
    # intended mistake: writes the Nesterov step instead of heavy ball
    # verdict now: fail, hint: none -> OK (no hint, but the failing case is shown; a Nesterov hint would be nice)
    v = beta * v + grad
    return w - lr * (grad + beta * v), v


def mom_attempt_08_swapped_beta(w, grad, v, lr, beta):
    # intended mistake: beta on the gradient instead of the velocity
    # verdict now: fail, hint: none -> OK
    v = v + beta * grad
    return w - lr * v, v


def mom_attempt_09_plus_sign(w, grad, v, lr, beta):
    # intended mistake: w + lr * v
    # verdict now: fail, hint: "Sign error: w ← w − lr·v" -> OK
    v = beta * v + grad
    return w + lr * v, v


def mom_attempt_10_in_place(w, grad, v, lr, beta):
    # intended mistake: mutates the caller's w and v in place
    # verdict now: pass -> FALSE PASS vs the chapter contract (cell 69 "return new arrays"); allow_mutation=("w","v") is deliberate in the checker
    v *= beta
    v += grad
    w -= lr * v
    return w, v


def mom_attempt_11_beta_squared_step(w, grad, v, lr, beta):
    # intended mistake: moves by beta * v (mixing up the update)
    # verdict now: fail, hint: none -> OK
    v = beta * v + grad
    return w - lr * beta * v, v


def mom_attempt_12_tuple_list(w, grad, v, lr, beta):
    # intended mistake: returns a list [w, v] instead of a tuple
    # verdict now: pass -> OK (a list [w, v] unpacks like the tuple; acceptable)
    v = beta * v + grad
    return [w - lr * v, v]


def mom_attempt_13_ignores_v_arg(w, grad, v, lr, beta):
    # intended mistake: keeps the velocity in a global, ignores the v argument
    # verdict now: fail, hint: none, fails case 2 "a later step: v carries the past gradients" -> OK
    global _V
    try:
        _V = beta * _V + grad
    except NameError:
        _V = grad.copy()
    return w - lr * _V, _V


def mom_attempt_14_first_step_special(w, grad, v, lr, beta):
    # intended mistake: "PyTorch sets v = g at the first step": checks `if not v.any()` -> but also
    # forgets to add grad afterwards when v is non-zero (typo: grad dropped)
    # verdict now: fail, hint: none, case 2 -> OK
    if not v.any():
        v = grad.copy()
    else:
        v = beta * v
    return w - lr * v, v


def mom_attempt_15_correct(w, grad, v, lr, beta):
    # correct
    # verdict now: pass -> OK
    v = beta * v + grad
    return w - lr * v, v


def mom_attempt_16_correct_first_step_copy(w, grad, v, lr, beta):
    # correct variant (PyTorch's first-step v = g), should pass
    # verdict now: pass -> OK (equivalent PyTorch first-step form)
    v = grad.copy() if not np.any(v) else beta * v + grad
    return w - lr * v, v


# ---- Exercise adam_step: the review's attempts (/work/reviews/attempts/ch06_s21_adam_step.py)
def adam_attempt_01_no_bias_correction(w, grad, m, v, t, lr, beta1, beta2, eps):
    # intended mistake: drops both bias corrections (the chapter's common mistake)
    # verdict now: fail, hint: "Missing bias correction: m and v start at 0 ..." -> OK
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    return w - lr * m / (np.sqrt(v) + eps), m, v


def adam_attempt_02_only_m_corrected(w, grad, m, v, t, lr, beta1, beta2, eps):
    # intended mistake: corrects m only
    # verdict now: fail, hint: none ("values differ (w): largest difference 3.06") -> CONFUSING (Figure 6.4 discusses exactly this half-fix, "first step 31.6 times too large", but the checker names nothing)
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    m_hat = m / (1 - beta1 ** t)
    return w - lr * m_hat / (np.sqrt(v) + eps), m, v


def adam_attempt_03_only_v_corrected(w, grad, m, v, t, lr, beta1, beta2, eps):
    # intended mistake: corrects v only
    # verdict now: fail, hint: none -> CONFUSING (the other half-fix of Figure 6.4, "m not corrected"; no hint)
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    v_hat = v / (1 - beta2 ** t)
    return w - lr * m / (np.sqrt(v_hat) + eps), m, v


def adam_attempt_04_eps_inside_sqrt(w, grad, m, v, t, lr, beta1, beta2, eps):
    # intended mistake: eps inside the square root
    # verdict now: fail, hint: "ε goes outside the square root ..." -> OK
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return w - lr * m_hat / np.sqrt(v_hat + eps), m, v


def adam_attempt_05_t_minus_1(w, grad, m, v, t, lr, beta1, beta2, eps):
    # intended mistake: off-by-one in the step counter (t - 1), divides by 0 at t = 1
    # verdict now: fail, "your output (w) contains nan ... NumPy warned: divide by zero" -> OK (no hint naming t-1, but the warning points there)
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    m_hat, v_hat = m / (1 - beta1 ** (t - 1)), v / (1 - beta2 ** (t - 1))
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def adam_attempt_06_returns_hats(w, grad, m, v, t, lr, beta1, beta2, eps):
    # intended mistake: returns the corrected m_hat, v_hat as the new state
    # verdict now: fail, hint: none, "values differ (m)" -> CONFUSING (a common slip; "return the raw m, v, not m_hat, v_hat" would name it)
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m_hat, v_hat


def adam_attempt_07_v_not_squared(w, grad, m, v, t, lr, beta1, beta2, eps):
    # intended mistake: second moment of grad, not grad²
    # verdict now: fail, hint: none -> OK
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * np.abs(grad)
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def adam_attempt_08_swapped_weights(w, grad, m, v, t, lr, beta1, beta2, eps):
    # intended mistake: (1 - beta) on the old average, beta on the new value
    # verdict now: fail, hint: none -> OK
    m = (1 - beta1) * m + beta1 * grad
    v = (1 - beta2) * v + beta2 * grad * grad
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def adam_attempt_09_in_place(w, grad, m, v, t, lr, beta1, beta2, eps):
    # intended mistake: updates m, v and w in place (the caller's arrays change)
    # verdict now: pass -> FALSE PASS vs the chapter contract (cell 69 "return new arrays"); checker allow_mutation=("w","m","v") on purpose
    m *= beta1
    m += (1 - beta1) * grad
    v *= beta2
    v += (1 - beta2) * grad * grad
    w -= lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps)
    return w, m, v


def adam_attempt_10_t_ignored(w, grad, m, v, t, lr, beta1, beta2, eps):
    # intended mistake: always corrects as if t = 1
    # verdict now: fail, hint: none, case 2 "step t = 3 with running moments" -> OK
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    m_hat, v_hat = m / (1 - beta1), v / (1 - beta2)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def adam_attempt_11_no_eps(w, grad, m, v, t, lr, beta1, beta2, eps):
    # intended mistake: forgets eps (0/0 = nan for a zero gradient)
    # verdict now: fail, hint: none, case 4 title "a weight whose gradient is 0: without eps its step is 0/0" -> OK (the case title names it)
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return w - lr * m_hat / np.sqrt(v_hat), m, v


def adam_attempt_12_beta_times_t(w, grad, m, v, t, lr, beta1, beta2, eps):
    # intended mistake: beta1 * t instead of beta1 ** t
    # verdict now: fail, hint: none -> OK
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    m_hat, v_hat = m / (1 - beta1 * t), v / (1 - beta2 * t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def adam_attempt_13_order_wvm(w, grad, m, v, t, lr, beta1, beta2, eps):
    # intended mistake: returns (w, v, m)
    # verdict now: fail, hint: none, "values differ (m)" -> OK (order visible from the message)
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), v, m


def adam_attempt_14_hardcoded_defaults(w, grad, m, v, t, lr, beta1, beta2, eps):
    # intended mistake: ignores the arguments and uses Adam's defaults 0.9, 0.999, 1e-8
    # verdict now: fail, hint: none, case 3 "other betas" -> OK (case title names it)
    m = 0.9 * m + 0.1 * grad
    v = 0.999 * v + 0.001 * grad * grad
    m_hat, v_hat = m / (1 - 0.9 ** t), v / (1 - 0.999 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + 1e-8), m, v


def adam_attempt_15_eps_ignored(w, grad, m, v, t, lr, beta1, beta2, eps):
    # intended mistake: hard-codes eps = 1e-8 (ignores the eps argument)
    # verdict now: fail, hint: "Use the eps you are given; yours looks hard-coded at 1e-8." -> OK
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + 1e-8), m, v


def adam_attempt_16_grad_not_m(w, grad, m, v, t, lr, beta1, beta2, eps):
    # intended mistake: steps with the raw gradient instead of m_hat (RMSprop with Adam's v)
    # verdict now: fail, hint: none -> OK
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    v_hat = v / (1 - beta2 ** t)
    return w - lr * grad / (np.sqrt(v_hat) + eps), m, v


def adam_attempt_17_sqrt_uncorrected_v_then_correct(w, grad, m, v, t, lr, beta1, beta2, eps):
    # intended mistake: corrects sqrt(v) with (1 - beta2**t) instead of sqrt(1 - beta2**t)
    # verdict now: fail, hint: none -> OK
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    m_hat = m / (1 - beta1 ** t)
    return w - lr * m_hat / (np.sqrt(v) / (1 - beta2 ** t) + eps), m, v


def adam_attempt_18_correct(w, grad, m, v, t, lr, beta1, beta2, eps):
    # correct
    # verdict now: pass -> OK
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def adam_attempt_19_correct_kingma_eps_hat(w, grad, m, v, t, lr, beta1, beta2, eps):
    # correct alternative written as in Kingma & Ba's "efficient version" (Section 2):
    # lr_t = lr * sqrt(1 - b2^t) / (1 - b1^t), w -= lr_t * m / (sqrt(v) + eps_hat) -- eps differs slightly
    # verdict now: fail, hint: none (case 5, eps = 1e-6) -> CONFUSING: this is the eps placement of Kingma & Ba's own "more efficient" ordering (paper Section 2), cited in Further reading; the exercise does say "the equations of Section 6.4", so failing is defensible, but a hint "eps must be added to sqrt(v_hat), not to sqrt(v)" would explain it
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    lr_t = lr * np.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
    return w - lr_t * m / (np.sqrt(v) + eps), m, v


# ---- expected verdicts: "pass", or the start of the hint the failure must carry (None: no hint
# of the checker's own; a NumPy-level hint shared by every checker is allowed)
HALF_M = "Only the first moment is corrected"
HALF_V = "Only the second moment is corrected"
HATS = "Return the moving averages m and v themselves"
FOLDED = "Add eps to √v̂"
SWAPPED = "Right values, wrong order: you returned (v, w)"

EXPECTED = {
    check.sgd_step: {
        sgd_attempt_01_plus_sign: "Step AGAINST the gradient",
        sgd_attempt_02_in_place: "pass",          # in place is fine when w is returned
        sgd_attempt_03_ignores_lr: "The learning rate is missing",
        sgd_attempt_04_returns_step: "Return the new weights w − lr·grad, not just the step lr·grad",
        sgd_attempt_05_mean_grad: None,
        sgd_attempt_06_sign_grad: None,
        sgd_attempt_07_normalised: None,
        sgd_attempt_08_no_return: None,
        sgd_attempt_09_float32: "pass",
        sgd_attempt_10_list: None,
        sgd_attempt_11_weight_decay: None,
        sgd_attempt_12_transpose: None,
        sgd_attempt_13_ravel: None,
        sgd_attempt_14_int_lr: None,
        sgd_attempt_15_squared: None,
        sgd_attempt_16_typo: None,
        sgd_attempt_17_correct: "pass",
        sgd_attempt_18_sys_exit: None,
        sgd_attempt_19_matrix: None,
        sgd_attempt_20_input: None,
        sgd_attempt_21_nan: None,
    },
    check.momentum_step: {
        mom_attempt_01_forgetful: "You rebuilt the velocity from zero",
        mom_attempt_02_old_velocity: "Move w with the NEW velocity",
        mom_attempt_03_lr_inside: "You used the other common convention",
        mom_attempt_04_dampened: "That is the exponential-average form",
        mom_attempt_05_only_w: None,
        mom_attempt_06_swapped_return: SWAPPED,
        mom_attempt_07_nesterov: None,
        mom_attempt_08_swapped_beta: None,
        mom_attempt_09_plus_sign: "Sign error: w ← w − lr·v",
        mom_attempt_10_in_place: "pass",          # in place is fine when w, v are returned
        mom_attempt_11_beta_squared_step: None,
        mom_attempt_12_tuple_list: "pass",
        mom_attempt_13_ignores_v_arg: None,
        mom_attempt_14_first_step_special: None,
        mom_attempt_15_correct: "pass",
        mom_attempt_16_correct_first_step_copy: "pass",
    },
    check.adam_step: {
        adam_attempt_01_no_bias_correction: "Missing bias correction",
        adam_attempt_02_only_m_corrected: HALF_M,
        adam_attempt_03_only_v_corrected: HALF_V,
        adam_attempt_04_eps_inside_sqrt: "ε goes outside the square root",
        adam_attempt_05_t_minus_1: None,
        adam_attempt_06_returns_hats: HATS,
        adam_attempt_07_v_not_squared: None,
        adam_attempt_08_swapped_weights: None,
        adam_attempt_09_in_place: "pass",         # in place is fine when w, m, v are returned
        adam_attempt_10_t_ignored: None,
        adam_attempt_11_no_eps: None,
        adam_attempt_12_beta_times_t: None,
        adam_attempt_13_order_wvm: None,
        adam_attempt_14_hardcoded_defaults: None,
        adam_attempt_15_eps_ignored: "Use the eps you are given",
        adam_attempt_16_grad_not_m: None,
        adam_attempt_17_sqrt_uncorrected_v_then_correct: None,
        adam_attempt_18_correct: "pass",
        adam_attempt_19_correct_kingma_eps_hat: FOLDED,
    },
}
CASES = [(checker, attempt, want) for checker, table in EXPECTED.items()
         for attempt, want in table.items()]


@pytest.mark.parametrize("checker, attempt, want", CASES,
                         ids=[f"{c.name}-{a.__name__}" for c, a, _ in CASES])
def test_review_attempt_gets_its_verdict_and_hint(checker, attempt, want):
    result = checker.run(attempt)
    if want == "pass":
        assert result.passed, result.text
        return
    assert result.status == "fail", result.text
    if want is None:
        shared = {m.hint for m in COMMON}
        own = [m.hint for m in checker.mistakes if m.hint not in shared]
        assert result.hint not in own, result.hint
    else:
        assert (result.hint or "").startswith(want), result.text


@pytest.mark.parametrize("hint", [HALF_M, HALF_V, HATS, FOLDED, SWAPPED])
def test_a_new_hint_fires_for_its_own_mistake_only(hint):
    """Every attempt of the three step checkers is run; the hint appears for exactly the
    attempts whose expected verdict names it."""
    for checker, table in EXPECTED.items():
        for attempt, want in table.items():
            got = checker.run(attempt).hint or ""
            assert got.startswith(hint) == (want == hint), (attempt.__name__, got)


# ---- the same mistakes written differently, and their neighbours

def only_m_corrected_other_order(w, grad, m, v, t, lr, beta1, beta2, eps):
    m = m * beta1 + grad * (1 - beta1)
    v = v * beta2 + grad ** 2 * (1 - beta2)
    return w - lr * (m / (1 - beta1 ** t)) / (v ** 0.5 + eps), m, v


def only_v_corrected_other_order(w, grad, m, v, t, lr, beta1, beta2, eps):
    m = m * beta1 + grad * (1 - beta1)
    v = v * beta2 + grad ** 2 * (1 - beta2)
    return w - lr * m / ((v / (1 - beta2 ** t)) ** 0.5 + eps), m, v


def only_m_corrected_t_from_0(w, grad, m, v, t, lr, beta1, beta2, eps):
    # two mistakes at once: no hint names just one of them
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    return w - lr * (m / (1 - beta1 ** (t + 1))) / (np.sqrt(v) + eps), m, v


def hats_returned_in_place(w, grad, m, v, t, lr, beta1, beta2, eps):
    m_new = beta1 * m + (1 - beta1) * grad
    v_new = beta2 * v + (1 - beta2) * grad * grad
    m_hat, v_hat = m_new / (1 - beta1 ** t), v_new / (1 - beta2 ** t)
    w -= lr * m_hat / (np.sqrt(v_hat) + eps)
    return w, m_hat, v_hat


def folded_with_eps_hat(w, grad, m, v, t, lr, beta1, beta2, eps):
    # the folded form with eps rescaled to eps·√(1 − β₂ᵗ) is exactly Adam: it passes
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    lr_t = lr * np.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
    return w - lr_t * m / (np.sqrt(v) + eps * np.sqrt(1 - beta2 ** t)), m, v


def adam_changes_grad(w, grad, m, v, t, lr, beta1, beta2, eps):
    grad *= 1.0          # touches the gradient: numbers unchanged, but written to
    grad -= 0.0
    m = beta1 * m + (1 - beta1) * grad
    grad **= 2
    v = beta2 * v + (1 - beta2) * grad
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def sgd_changes_grad(w, grad, lr):
    grad *= lr
    return w - grad


def momentum_swapped_and_in_place(w, grad, v, lr, beta):
    v *= beta
    v += grad
    w -= lr * v
    return v, w


@pytest.mark.parametrize("attempt, want", [
    (only_m_corrected_other_order, HALF_M),
    (only_v_corrected_other_order, HALF_V),
    (only_m_corrected_t_from_0, None),
    (hats_returned_in_place, HATS),
    (folded_with_eps_hat, "pass"),
])
def test_adam_variants(attempt, want):
    result = check.adam_step.run(attempt)
    if want == "pass":
        assert result.passed, result.text
    elif want is None:
        assert result.status == "fail" and not any(
            (result.hint or "").startswith(h) for h in (HALF_M, HALF_V, HATS, FOLDED)), result.text
    else:
        assert result.status == "fail" and (result.hint or "").startswith(want), result.text


def test_a_step_that_changes_the_gradient_is_rejected_and_told_so():
    for checker, attempt in [(check.adam_step, adam_changes_grad),
                             (check.sgd_step, sgd_changes_grad)]:
        result = checker.run(attempt)
        assert result.status == "fail", result.text
        assert "modified its input `grad` in place" in result.text, result.text


def test_swapped_order_is_named_even_when_updated_in_place():
    result = check.momentum_step.run(momentum_swapped_and_in_place)
    assert result.status == "fail" and (result.hint or "").startswith(SWAPPED), result.text
