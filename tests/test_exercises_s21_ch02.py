"""Chapter 2's checkers against the wrong attempts of the session-21 fresh-eyes review.

A clipped sigmoid used to pass Exercise 2.1 (its tiny values were compared only at z = −30 and
−20, which a clip at ±30 leaves alone); three hints named code the student had not written (an
in-place `out=z` told about `z[z < 0] = 0`, a cosh overflow told about `np.exp`, the Jacobian
written with a Kronecker δ the chapter never uses). Each attempt below must be rejected with the
hint for its own mistake, and right answers written differently from the book's must pass.
"""
import numpy as np
import pytest

from nnbook.exercises import activations as check

CLIP_HINT = "Your σ gives one and the same value for z = −50 and z = −100"
TINY_HINT = "Right to about 1e-16 in absolute terms"
EXP_HINT = "`np.exp(-z)` overflows for very negative z"
OTHER_OVERFLOW_HINT = "An intermediate value overflows at |z| = 1000"


# --- Exercise 2.1: sigmoid -------------------------------------------------------------------

def sigmoid_clip_30(z):
    z = np.clip(z, -30, 30)                 # "avoid overflow"
    return 1 / (1 + np.exp(-z))


def sigmoid_clip_40(z):
    z = np.clip(np.asarray(z, dtype=float), -40, 40)
    return 1 / (1 + np.exp(-z))


def sigmoid_maximum_floor(z):
    z = np.maximum(np.asarray(z, dtype=float), -35.0)   # clips only the side that overflows
    return 1 / (1 + np.exp(-z))


def sigmoid_tanh_identity(z):
    return 0.5 * (1 + np.tanh(np.asarray(z) / 2))


def sigmoid_one_minus(z):
    z = np.asarray(z, dtype=float)
    u = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + u), 1 - 1 / (1 + u))


def sigmoid_naive(z):
    return 1 / (1 + np.exp(-z))


@pytest.mark.parametrize("attempt, hint", [
    (sigmoid_clip_30, CLIP_HINT),
    (sigmoid_clip_40, CLIP_HINT),
    (sigmoid_maximum_floor, CLIP_HINT),
    (sigmoid_tanh_identity, TINY_HINT),
    (sigmoid_one_minus, TINY_HINT),
    (sigmoid_naive, EXP_HINT),
], ids=lambda a: getattr(a, "__name__", "hint"))
def test_sigmoid_wrong_attempts_get_their_own_hint(attempt, hint):
    result = check.sigmoid.run(attempt)
    assert result.status == "fail", result.text
    assert hint in (result.hint or ""), result.hint
    for other in {CLIP_HINT, TINY_HINT, EXP_HINT} - {hint}:
        assert other not in (result.hint or ""), result.hint


def test_clipped_sigmoid_fails_on_the_relative_precision_case():
    result = check.sigmoid.run(sigmoid_clip_30)
    assert "no clipping of z" in result.text, result.text


def sigmoid_book(z):
    z = np.asarray(z, dtype=float)
    u = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + u), u / (1 + u))


def sigmoid_logaddexp(z):
    return np.exp(-np.logaddexp(0, -np.asarray(z, dtype=float)))


def sigmoid_masks(z):
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1 / (1 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1 + ez)
    return out


@pytest.mark.parametrize("attempt", [sigmoid_book, sigmoid_logaddexp, sigmoid_masks])
def test_right_sigmoids_pass(attempt):
    result = check.sigmoid.run(attempt)
    assert result.passed, result.text


def test_clip_hint_is_silent_for_wrong_values_that_are_not_a_clip():
    # σ(−z): the sign error gets its own hint, not the clipping one
    result = check.sigmoid.run(lambda z: sigmoid_book(-np.asarray(z, dtype=float)))
    assert result.status == "fail"
    assert CLIP_HINT not in (result.hint or "") and "Sign error" in (result.hint or "")


# --- Exercise 2.2: sigmoid_prime ---------------------------------------------------------------

def sigmoid_prime_cosh(z):
    return 1 / (4 * np.cosh(np.asarray(z, dtype=float) / 2) ** 2)


def sigmoid_prime_naive(z):
    s = 1 / (1 + np.exp(-z))
    return s * (1 - s)


def test_cosh_overflow_is_not_blamed_on_exp():
    result = check.sigmoid_prime.run(sigmoid_prime_cosh)
    assert result.status == "fail", result.text
    assert OTHER_OVERFLOW_HINT in (result.hint or ""), result.hint
    assert "np.exp" not in (result.hint or "") and "np.where" not in (result.hint or "")


def test_exp_overflow_still_gets_the_exp_hint():
    result = check.sigmoid_prime.run(sigmoid_prime_naive)
    assert result.status == "fail", result.text
    assert EXP_HINT in (result.hint or ""), result.hint
    assert OTHER_OVERFLOW_HINT not in (result.hint or "")


def test_sigmoid_prime_is_checked_to_absolute_precision_like_nnlib():
    # Exercise 2.2 asks for no overflow, not for relative precision: nnlib's own σ'(50) is 0
    # (1 − σ(50) rounds to 0), so a tanh form that returns 0 at ±50 is right to the same standard.
    result = check.sigmoid_prime.run(lambda z: 0.25 * (1 - np.tanh(np.asarray(z) / 2) ** 2))
    assert result.passed, result.text


# --- Exercise 2.3: relu ------------------------------------------------------------------------

def relu_clip_out(z):
    return np.clip(z, 0, None, out=z)


def relu_masked_assignment(z):
    z[z < 0] = 0
    return z


@pytest.mark.parametrize("attempt", [relu_clip_out, relu_masked_assignment])
def test_in_place_relu_hint_does_not_quote_a_line_the_student_did_not_write(attempt):
    result = check.relu.run(attempt)
    assert result.status == "fail", result.text
    hint = result.hint or ""
    assert "writes into the caller's array" in hint, hint
    assert "`out=z`" in hint and "such as" in hint, hint


# --- Exercise 2.5: softmax_jacobian --------------------------------------------------------------

def test_jacobian_hint_uses_the_chapters_notation():
    result = check.softmax_jacobian.run(lambda s: s * (1 - s))
    hint = result.hint or ""
    assert "NOT `s * (1 - s)`" in hint and "[i = j]" in hint, hint
    assert "δ" not in hint and "tutorial" not in hint, hint
