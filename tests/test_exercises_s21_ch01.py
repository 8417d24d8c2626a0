"""Chapter 1's checkers against the wrong attempts of the session-21 fresh-eyes review.

Exercise 1.2 asks for weights that satisfy the four inequalities *strictly* (no corner on the
line); Exercise 1.3's update must return a new w (the chapter's training loop keeps every old
one). Each attempt is rejected with the hint for its own mistake, and the book's solutions and
the chapter's own code still pass."""
import numpy as np
import pytest

from nnbook.exercises import perceptron as check
from nnbook.exercises import perceptron_training


def step(z):
    return (np.asarray(z) > 0).astype(int)


# ------------------------------------------------------------------ Exercise 1.2: the gates
ON_THE_LINE = "exactly on your decision line"


@pytest.mark.parametrize("gate, w, b", [
    ("and", [1.0, 1.0], -1.0),         # (0, 1) and (1, 0) have z = 0, called 0 by convention
    ("or", [1.0, 1.0], 0.0),           # (0, 0) has z = 0
    ("and", [2.0, 1.0], -2.0),         # the perceptron's own zero-margin AND line, through (1, 0)
    ("and", [1.0, 1.0], -1.0 - 1e-12),  # strict only below round-off
    ("or", [0.1, 0.2], 0.0),           # (0, 0) on the line, small weights
    ("and", [0.1, 0.2], -0.2),         # (0, 1) on the line
])
def test_gate_corner_on_the_line_fails_with_the_on_the_line_hint(gate, w, b):
    result = getattr(check, f"{gate}_weights").run(np.array(w), b)
    assert result.status == "fail", result.text
    assert ON_THE_LINE in result.hint, result.text
    assert "outputs are right" in result.text      # says why four right outputs still fail


def test_gate_on_the_line_with_a_wrong_output_keeps_the_hint():
    result = check.and_weights.run(np.array([1.0, 1.0]), -2.0)  # (1, 1) on the line: called 0
    assert result.status == "fail" and ON_THE_LINE in result.hint


@pytest.mark.parametrize("gate, w, b", [
    ("and", np.array([1.0, 1.0]), -1.5), ("or", np.array([1.0, 1.0]), -0.5),   # the book's
    ("and", np.array([2, 2]), -3), ("and", [1, 1], -1.5),                     # ints, a list
    ("or", np.array([1.0, 1.0]), np.array([-0.5])),                           # b as (1,) array
    ("and", np.array([1.0, 1.0]), -1.0 - 1e-6),   # strict by a small but real margin
    ("or", np.array([3.0, 0.5]), -0.25), ("and", np.array([2.0, 3.0]), -4.0),
])
def test_gate_strict_solutions_pass(gate, w, b):
    result = getattr(check, f"{gate}_weights").run(w, b)
    assert result.passed, result.text


def test_gate_nan_names_the_nan_not_the_bias():
    result = check.or_weights.run(np.array([np.nan, 1.0]), -0.5)
    assert result.status == "fail" and "NaN" in result.hint, result.text
    assert "bias outweighs" not in result.text
    result = check.and_weights.run(np.array([1.0, 1.0]), np.inf)
    assert result.status == "fail" and "NaN or inf" in result.hint, result.text


def test_gate_bias_folded_into_w_is_a_shape_message_not_a_raised_error():
    result = check.and_weights.run(np.array([1.0, 1.0, -1.5]), 0.0)
    assert result.status == "fail"
    assert "raised" not in result.text and "shape (3,)" in result.text
    assert "one weight per input" in result.hint and "not a third weight" in result.hint
    result = check.and_weights.run(np.array([[1.0], [1.0]]), -1.5)
    assert result.status == "fail" and "raised" not in result.text
    assert "one weight per input" in result.hint


def test_gate_missing_bias_and_garbage_fail_cleanly():
    assert check.or_weights.run(np.array([1.0, 1.0]), None).status == "fail"
    assert check.or_weights.run(np.array([1.0, 1.0]), "x").status == "fail"
    assert check.and_weights.run("banana", -1.5).status == "fail"
    assert check.and_weights.run(np.array([1.0, 1.0]), np.array([-1.5, 0.0])).status == "fail"


# ------------------------------------------------------------------ Exercise 1.3: the update
def book_solution(w, b, x, y, lr):
    y_hat = 1.0 if x @ w + b > 0 else 0.0
    error = y - y_hat
    return w + lr * error * x, b + lr * error


def chapter_rule(w, b, x, y, lr=1.0):          # Section 1.7's perceptron_rule, verbatim
    y_hat = step(x @ w + b)
    return w + lr * (y - y_hat) * x, b + lr * (y - y_hat)


def copies_first(w, b, x, y, lr):              # right, written differently
    w = w.copy()
    e = y - float(np.dot(x, w) + b > 0)
    if e:
        w += lr * e * x                        # in place, but into its own copy
        b = b + lr * e
    return w, b


@pytest.mark.parametrize("fn", [book_solution, chapter_rule, copies_first])
def test_update_right_answers_pass(fn):
    assert check.perceptron_update.run(fn).passed


def mutates_w(w, b, x, y, lr):                 # attempt_07 of the review
    e = y - step(x @ w + b)
    w += lr * e * x
    return w, b + lr * e


def mutates_w_slice(w, b, x, y, lr):
    e = y - step(x @ w + b)
    w[:] = w + lr * e * x
    return w, b + lr * e


@pytest.mark.parametrize("fn", [mutates_w, mutates_w_slice])
def test_update_in_place_w_is_rejected_with_the_reason(fn):
    result = check.perceptron_update.run(fn)
    assert result.status == "fail", result.text
    assert "modified its input `w` in place" in result.text
    assert "keeps every old w" in result.hint


def test_in_place_update_really_breaks_the_chapters_loop():
    """Why F11 matters: Section 1.7's loop stores each state; a mutating rule aliases them."""
    def train(rule, X, y):
        w, b = np.zeros(2), 0.0
        states = [(w, b)]
        for _ in range(20):
            clean = True
            for x_i, y_i in zip(X, y):
                w_new, b_new = rule(w, b, x_i, y_i, 1.0)
                if b_new != b or np.any(w_new != w):
                    states.append((w_new, b_new))
                    clean = False
                w, b = w_new, b_new
            if clean:
                break
        return states

    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 0, 0, 1])
    good = train(chapter_rule, X, y)
    bad = train(lambda w, b, x, t, lr: mutates_w(w, float(b), x, t, lr), X, y)
    assert len({tuple(s[0]) for s in good}) > 2
    assert len({tuple(s[0]) for s in bad}) == 1     # every stored w is the final one


def ge_in_step(w, b, x, y, lr):                 # attempt_03: step(0) = 1, bias present
    y_hat = 1 if x @ w + b >= 0 else 0
    e = y - y_hat
    return w + lr * e * x, b + lr * e


def no_bias_in_prediction(w, b, x, y, lr):      # attempt_12
    e = y - step(x @ w)
    return w + lr * e * x, b + lr * e


def no_bias_and_ge(w, b, x, y, lr):
    e = y - float(x @ w >= 0)
    return w + lr * e * x, b + lr * e


def test_update_ge_gets_the_z_equals_0_hint_not_the_bias_hint():
    result = check.perceptron_update.run(ge_in_step)
    assert result.status == "fail"
    assert "`z > 0`, not `z >= 0`" in result.hint, result.text
    assert "needs the bias" not in result.hint


@pytest.mark.parametrize("fn", [no_bias_in_prediction, no_bias_and_ge])
def test_update_missing_bias_still_gets_the_bias_hint(fn):
    result = check.perceptron_update.run(fn)
    assert result.status == "fail" and "needs the bias" in result.hint, result.text


def pm1_rule(w, b, x, y, lr):                   # attempt_08: the ±1 rule on 0/1 labels
    if y * (x @ w + b) <= 0:
        w, b = w + lr * y * x, b + lr * y
    return w, b


def only_missed_positives(w, b, x, y, lr):      # attempt_15
    if y == 1 and step(x @ w + b) == 0:
        return w + lr * x, b + lr
    return w, b


def every_example(w, b, x, y, lr):              # attempt_01
    return w + lr * y * x, b + lr * y


@pytest.mark.parametrize("fn", [pm1_rule, only_missed_positives, every_example])
def test_update_that_ignores_false_alarms_is_told_so(fn):
    result = check.perceptron_update.run(fn)
    assert result.status == "fail"
    assert "negative example (y = 0) that was classified 1" in result.hint, result.text
    # the failing case is the false alarm, where all three leave w and b unchanged
    assert "classified 1: move away" in result.headline


def test_update_slips_without_a_fitting_hint_get_none():
    for fn in (lambda w, b, x, y, lr: (w + (y - step(x @ w + b)) * x, b + (y - step(x @ w + b))),
               lambda w, b, x, y, lr: (b, w)):
        result = check.perceptron_update.run(fn)
        assert result.status == "fail" and result.hint is None, result.text


# ------------------------------------------------------------------ Exercise 1.8 still right
def test_training_solution_passes():
    def train(X, y, lr, max_epochs):
        w, b, mistakes = np.zeros(X.shape[1]), 0.0, []
        for _ in range(max_epochs):
            count = 0
            for x_i, y_i in zip(X, y):
                w_new, b_new = book_solution(w, b, x_i, y_i, lr)
                count += int(b_new != b)
                w, b = w_new, b_new
            mistakes.append(count)
            if count == 0:
                break
        return w, b, mistakes
    assert perceptron_training.perceptron_train.run(train).passed


def counter_not_reset(X, y, lr, max_epochs):    # review attempt_01 (Exercise 1.8)
    w, b, mistakes, count = np.zeros(X.shape[1]), 0.0, [], 0
    for _ in range(max_epochs):
        for x_i, y_i in zip(X, y):
            e = y_i - step(x_i @ w + b)
            if e != 0:
                w, b, count = w + lr * e * x_i, b + lr * e, count + 1
        mistakes.append(count)
        if count == 0:
            break
    return w, b, mistakes


def training_pm1_rule(X, y, lr, max_epochs):    # review attempt_15 (Exercise 1.8)
    w, b, mistakes = np.zeros(X.shape[1]), 0.0, []
    for _ in range(max_epochs):
        count = 0
        for x_i, y_i in zip(X, y):
            if y_i * (x_i @ w + b) <= 0:
                w, b, count = w + lr * y_i * x_i, b + lr * y_i, count + 1
        mistakes.append(count)
        if count == 0:
            break
    return w, b, mistakes


def test_training_counter_not_reset_is_named():
    result = perceptron_training.perceptron_train.run(counter_not_reset)
    assert result.status == "fail" and "set the counter to 0" in result.hint, result.text


def test_training_pm1_rule_is_named():
    result = perceptron_training.perceptron_train.run(training_pm1_rule)
    assert result.status == "fail" and "labels in {−1, +1}" in result.hint, result.text
