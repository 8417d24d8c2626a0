"""Chapter 2's composing exercise: softmax_backward for a batch, tried with a student's wrong
attempts. Each must be rejected with the hint for its own mistake (or none), never a value hint
for code that raised; right attempts pass."""
import numpy as np
import pytest

from nnbook.exercises.softmax_gradient import softmax_backward as check


def right(s, g):
    return s * (g - np.sum(g * s, axis=1, keepdims=True))


def right_with_jacobians(s, g):
    out = np.empty_like(s)
    for n in range(len(s)):
        J = np.diag(s[n]) - np.outer(s[n], s[n])
        out[n] = J.T @ g[n]
    return out


def copied(s, g):
    return s * (1 - s) * g


def whole_batch_dot(s, g):
    return s * (g - np.sum(g * s))


def no_keepdims(s, g):
    return s * (g - np.sum(g * s, axis=1))


def no_coupling(s, g):
    return s * g


def plain_sum(s, g):
    return s * (g - g.sum(axis=1, keepdims=True))


def sign_flipped(s, g):
    return s * (np.sum(g * s, axis=1, keepdims=True) - g)


def returns_jacobians(s, g):
    return np.stack([np.diag(r) - np.outer(r, r) for r in s])


def wrong_axis(s, g):
    return s * (g - np.sum(g * s, axis=0, keepdims=True))


def uses_g_dot_s_transposed(s, g):
    return s * (g - (g @ s.T))          # (N, N): a mistake NumPy lets through for N == K only


def typo(s, g):
    return s * (g - np.sum(g * S, axis=1, keepdims=True))   # noqa: F821


def forgets_s(s, g):
    return g - np.sum(g * s, axis=1, keepdims=True)


WRONG = [
    (copied, "copied `s * (1 - s) * g`"),
    (whole_batch_dot, "adds up the whole batch"),
    (no_keepdims, "Sum each row with `keepdims=True`"),
    (no_coupling, "left out the coupling term"),
    (plain_sum, "weighted by s"),
    (sign_flipped, "Sign error"),
    (returns_jacobians, "That is the Jacobian"),
    (wrong_axis, None),
    (uses_g_dot_s_transposed, None),
    (typo, None),
    (forgets_s, None),
]
HINTS = [h for _, h in WRONG if h]


@pytest.mark.parametrize("attempt, hint", WRONG, ids=[f.__name__ for f, _ in WRONG])
def test_wrong_attempt_is_rejected_with_its_own_hint(attempt, hint):
    result = check.run(attempt)
    assert result.status == "fail", result.text
    if hint is None:
        assert not any(h in (result.hint or "") for h in HINTS), result.hint
    else:
        assert hint in (result.hint or ""), result.hint


def test_a_raising_attempt_is_told_its_error():
    result = check.run(typo)
    assert "NameError" in result.text and "'S'" in result.text, result.text


@pytest.mark.parametrize("attempt", [right, right_with_jacobians])
def test_right_attempts_pass(attempt):
    assert check.run(attempt).passed, check.run(attempt).text
