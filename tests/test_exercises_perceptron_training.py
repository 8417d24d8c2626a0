"""Chapter 1's composing exercise: perceptron_train, tried with a student's wrong attempts.

Each attempt is code a student could write after Section 1.7; each must be rejected, with the
hint for its own mistake (or with no specific hint where none fits), and the book's solution
must pass."""
import numpy as np
import pytest

from nnbook.exercises.perceptron_training import perceptron_train as check


def right(X, y, lr, max_epochs):
    w, b, mistakes = np.zeros(X.shape[1]), 0.0, []
    for epoch in range(max_epochs):
        count = 0
        for x_i, y_i in zip(X, y):
            y_hat = 1.0 if x_i @ w + b > 0 else 0.0
            if y_hat != y_i:
                w = w + lr * (y_i - y_hat) * x_i
                b = b + lr * (y_i - y_hat)
                count += 1
        mistakes.append(count)
        if count == 0:
            break
    return w, b, mistakes


def no_early_stop(X, y, lr, max_epochs):
    w, b, mistakes = np.zeros(X.shape[1]), 0.0, []
    for epoch in range(max_epochs):
        count = 0
        for x_i, y_i in zip(X, y):
            e = y_i - float(x_i @ w + b > 0)
            w, b, count = w + lr * e * x_i, b + lr * e, count + (e != 0)
        mistakes.append(count)
    return w, b, mistakes


def stops_after_one_epoch(X, y, lr, max_epochs):
    w, b, mistakes = np.zeros(X.shape[1]), 0.0, []
    for epoch in range(max_epochs):
        count = 0
        for x_i, y_i in zip(X, y):
            e = y_i - float(x_i @ w + b > 0)
            w, b, count = w + lr * e * x_i, b + lr * e, count + (e != 0)
        mistakes.append(count)
        break
    return w, b, mistakes


def clean_epoch_not_recorded(X, y, lr, max_epochs):
    w, b, mistakes = np.zeros(X.shape[1]), 0.0, []
    for epoch in range(max_epochs):
        count = 0
        for x_i, y_i in zip(X, y):
            e = y_i - float(x_i @ w + b > 0)
            w, b, count = w + lr * e * x_i, b + lr * e, count + (e != 0)
        if count == 0:
            break
        mistakes.append(count)
    return w, b, mistakes


def counter_not_reset(X, y, lr, max_epochs):
    w, b, mistakes, count = np.zeros(X.shape[1]), 0.0, [], 0
    for epoch in range(max_epochs):
        before = count
        for x_i, y_i in zip(X, y):
            e = y_i - float(x_i @ w + b > 0)
            w, b, count = w + lr * e * x_i, b + lr * e, count + (e != 0)
        mistakes.append(count)
        if count == before:
            break
    return w, b, mistakes


def starts_from_ones(X, y, lr, max_epochs):
    w, b, mistakes = np.ones(X.shape[1]), 0.0, []
    for epoch in range(max_epochs):
        count = 0
        for x_i, y_i in zip(X, y):
            e = y_i - float(x_i @ w + b > 0)
            w, b, count = w + lr * e * x_i, b + lr * e, count + (e != 0)
        mistakes.append(count)
        if count == 0:
            break
    return w, b, mistakes


def bias_frozen(X, y, lr, max_epochs):
    w, b, mistakes = np.zeros(X.shape[1]), 0.0, []
    for epoch in range(max_epochs):
        count = 0
        for x_i, y_i in zip(X, y):
            e = y_i - float(x_i @ w + b > 0)
            w, count = w + lr * e * x_i, count + (e != 0)
        mistakes.append(count)
        if count == 0:
            break
    return w, b, mistakes


def step_with_ge(X, y, lr, max_epochs):
    w, b, mistakes = np.zeros(X.shape[1]), 0.0, []
    for epoch in range(max_epochs):
        count = 0
        for x_i, y_i in zip(X, y):
            e = y_i - float(x_i @ w + b >= 0)
            w, b, count = w + lr * e * x_i, b + lr * e, count + (e != 0)
        mistakes.append(count)
        if count == 0:
            break
    return w, b, mistakes


def sign_error(X, y, lr, max_epochs):
    w, b, mistakes = np.zeros(X.shape[1]), 0.0, []
    for epoch in range(max_epochs):
        count = 0
        for x_i, y_i in zip(X, y):
            e = y_i - float(x_i @ w + b > 0)
            w, b, count = w - lr * e * x_i, b - lr * e, count + (e != 0)
        mistakes.append(count)
        if count == 0:
            break
    return w, b, mistakes


def returns_epoch_count(X, y, lr, max_epochs):
    w, b, mistakes = right(X, y, lr, max_epochs)
    return w, b, len(mistakes)


def ignores_lr(X, y, lr, max_epochs):
    return right(X, y, 1.0, max_epochs)


def shuffles(X, y, lr, max_epochs):
    order = np.random.default_rng(0).permutation(len(X))
    return right(X[order], y[order], lr, max_epochs)


def in_place_aliasing(X, y, lr, max_epochs):
    # updates w in place AND stores no copy: harmless here, the result is still right
    w, b, mistakes = np.zeros(X.shape[1]), 0.0, []
    for epoch in range(max_epochs):
        count = 0
        for x_i, y_i in zip(X, y):
            e = y_i - float(x_i @ w + b > 0)
            w += lr * e * x_i
            b += lr * e
            count += int(e != 0)
        mistakes.append(count)
        if count == 0:
            break
    return w, b, mistakes


def typo_raises(X, y, lr, max_epochs):
    w, b, mistakes = np.zeros(X.shape[1]), 0.0, []
    for epoch in range(max_epochs):
        count = 0
        for x_i, y_i in zip(X, y):
            e = y_i - float(x_i @ w + b > 0)
            w = w + lr * e * xi   # noqa: F821 (the typo)
        mistakes.append(count)
    return w, b, mistakes


WRONG = [
    (no_early_stop, "Stop after the first epoch in which no example was a mistake"),
    (stops_after_one_epoch, "stopped after one epoch"),
    (clean_epoch_not_recorded, "the clean epoch's 0"),
    (counter_not_reset, "reset the counter"),
    (starts_from_ones, "Start from w = 0"),
    (bias_frozen, "The bias must learn too"),
    (step_with_ge, "At z = 0 the prediction is ŷ = 0"),
    (sign_error, "Sign error"),
    (returns_epoch_count, "not a single number"),
    (ignores_lr, None),
    (shuffles, None),
    (typo_raises, None),
]
HINTS = [h for _, h in WRONG if h]


@pytest.mark.parametrize("attempt, hint", WRONG, ids=[f.__name__ for f, _ in WRONG])
def test_wrong_attempt_is_rejected_with_its_own_hint(attempt, hint):
    result = check.run(attempt)
    assert result.status == "fail", result.text
    if hint is None:   # no specific hint fits: none of the others may fire
        assert not any(h in (result.hint or "") for h in HINTS), result.hint
    else:
        assert hint in (result.hint or ""), result.hint


def test_a_raising_attempt_is_told_about_its_error_not_a_value_hint():
    result = check.run(typo_raises)
    assert "NameError" in result.text and "xi" in result.text, result.text


@pytest.mark.parametrize("attempt", [right, in_place_aliasing])
def test_right_attempts_pass(attempt):
    assert check.run(attempt).passed


def test_the_cases_run_every_mistake_into_a_different_output():
    """Each recognised mistake is told apart from the right answer by some case."""
    for m in check.mistakes:
        if m.like is None:
            continue
        assert not check.run(m.like).passed

