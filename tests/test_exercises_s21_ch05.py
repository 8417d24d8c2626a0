"""Chapter 5 (fresh-eyes review, session 21): the reviewer's wrong attempts that got a wrong hint
or none, each rejected now with the hint for its own mistake (or with none); and the chapter's
composing exercise, two_layer_backward, against realistic wrong answers and hostile code."""
import math

import numpy as np
import pytest

from nnbook.exercises import backprop as check
from nnbook.exercises import backprop_network as net_check
from nnlib.activations import sigmoid, sigmoid_prime
from nnlib.gradcheck import numerical_gradient as nnlib_numerical_gradient
from nnlib.gradcheck import rel_error


def _hints(checker):
    return [m.hint for m in checker.mistakes]


def assert_rejected(checker, fn, hint_part):
    """Rejected, with the hint that contains ``hint_part`` (or with no hint at all if None)."""
    result = checker.run(fn)
    assert result.status == "fail", result.text
    if hint_part is None:
        assert result.hint is None, result.hint
    else:
        assert result.hint is not None and hint_part in result.hint, (result.hint, result.text)
    return result


# ------------------------------------------------------------------ Exercise 5.4 numerical_gradient
def nudge_all_at_once(f, x, h=1e-5):                      # review C1 (attempt_14)
    grad = np.zeros_like(x, dtype=float)
    x += h
    fp = f(x)
    x -= 2 * h
    fm = f(x)
    x += h
    grad[...] = (fp - fm) / (2 * h)
    return grad


def calls_f_on_list(f, x, h=1e-5):                        # review C2 (attempt_18)
    grad = np.zeros_like(x, dtype=float)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        fp = f(list(x))
        x[i] = old - h
        fm = f(list(x))
        x[i] = old
        grad[i] = (fp - fm) / (2 * h)
    return grad


def forgot_return(f, x, h=1e-5):                          # review C4 (attempt_19)
    grad = np.zeros_like(x, dtype=float)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        fp = f(x)
        x[i] = old - h
        fm = f(x)
        x[i] = old
        grad[i] = (fp - fm) / (2 * h)


def precedence(f, x, h=1e-5):                             # review C6 (attempt_09)
    grad = np.zeros_like(x, dtype=float)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        fp = f(x)
        x[i] = old - h
        fm = f(x)
        x[i] = old
        grad[i] = (fp - fm) / 2 * h
    return grad


def restore_by_arithmetic(f, x, h=1e-5):                  # the round-off hint keeps its case
    grad = np.zeros_like(x, dtype=float)
    for i in np.ndindex(x.shape):
        x[i] += h
        fp = f(x)
        x[i] -= 2 * h
        fm = f(x)
        x[i] += h
        grad[i] = (fp - fm) / (2 * h)
    return grad


def no_h_parameter(f, x):                                  # a real signature mistake
    return np.zeros_like(x)


def book_numerical_gradient(f, x, h=1e-5):                # Exercise 5.4's solution
    grad = np.zeros_like(x, dtype=float)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        f_plus = f(x)
        x[i] = old - h
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def test_c1_nudging_everything_at_once_is_named_not_round_off():
    result = assert_rejected(check.numerical_gradient, nudge_all_at_once, "Nudge ONE entry")
    assert "round-off" not in result.hint


def test_round_off_hint_still_fires_for_its_own_mistake():
    assert_rejected(check.numerical_gradient, restore_by_arithmetic, "left off by round-off")


def test_c2_type_error_inside_f_is_not_called_a_signature_problem():
    result = assert_rejected(check.numerical_gradient, calls_f_on_list, "raised inside `f`")
    assert "accept these arguments" not in result.text


def test_c2_a_real_signature_mistake_keeps_the_signature_hint():
    assert_rejected(check.numerical_gradient, no_h_parameter, "accept these arguments")


def test_c4_forgotten_return_gets_no_single_number_hint():
    result = assert_rejected(check.numerical_gradient, forgot_return, None)
    assert "returned None" in result.text


def test_c6_precedence_slip_is_named():
    assert_rejected(check.numerical_gradient, precedence, "`/ 2 * h`")


def test_numerical_gradient_book_solution_passes():
    assert check.numerical_gradient.run(book_numerical_gradient).passed


# ------------------------------------------------------------------ Exercise 5.2 from activation
def test_c3_float_of_an_array_is_not_called_a_math_module_problem():
    result = assert_rejected(check.sigmoid_prime_from_activation,
                             lambda a: float(a * (1 - a)), "`float(...)`")
    assert "math.exp" not in result.hint


def test_c3_math_module_hint_still_fires_when_math_is_used():
    def with_math(a):
        return a * (1 - math.sqrt(a) ** 2)
    assert_rejected(check.sigmoid_prime_from_activation, with_math, "`math.exp`")


def test_c5_a_times_one_plus_a_gets_the_hint_that_names_it():
    assert_rejected(check.sigmoid_prime_from_activation, lambda a: a * (1 + a), "not a(1 + a)")
    assert_rejected(check.sigmoid_prime_from_activation, lambda a: 1 - a ** 2, "not a(1 + a)")


def test_sigmoid_prime_from_activation_solutions_pass():
    assert check.sigmoid_prime_from_activation.run(lambda a: a * (1 - a)).passed
    assert check.sigmoid_prime_from_activation.run(lambda a: a - a * a).passed


# ------------------------------------------------------------------ Exercise 5.1 sigmoid_backward
def test_c6_sigmoid_backward_dividing_by_n_again_is_named():
    def divides_by_N(dA, Z):                               # review attempt_08
        a = sigmoid(Z)
        return dA * a * (1 - a) / len(Z)
    assert_rejected(check.sigmoid_backward, divides_by_N, "divided by the batch size again")


def test_sigmoid_backward_wrong_quantity_hint_names_the_mistake_not_a_source():
    result = assert_rejected(check.sigmoid_backward, lambda dA, Z: dA * Z * (1 - Z),
                             "wrong quantity")
    assert "copied" not in result.hint.lower()


def test_c3_math_exp_in_sigmoid_backward_keeps_the_math_hint():
    def with_math(dA, Z):
        s = 1 / (1 + math.exp(-Z))
        return dA * s * (1 - s)
    assert_rejected(check.sigmoid_backward, with_math, "`math.exp`")


def test_sigmoid_backward_book_solution_passes():
    def book(dA, Z):
        a = sigmoid(Z)
        return dA * a * (1 - a)
    assert check.sigmoid_backward.run(book).passed


# ------------------------------------------------------------------ Exercise 5.3 dense_backward
def test_c6_dense_backward_n_times_too_large_is_named():
    def dW_times_N(dZ, X, W):                              # review attempt_13
        return dZ @ W.T, X.T @ dZ * len(X), dZ.sum(axis=0)
    assert_rejected(check.dense_backward, dW_times_N, "N times too large")


def test_db_wrong_axis_is_caught_by_the_new_case_alone():
    """N = D_out != D_in: dZ.sum(axis=1) has db's shape there, so only the values can tell."""
    case = check.dense_backward.cases[-1]
    dZ, X, W = case.args
    assert dZ.shape[0] == dZ.shape[1] != X.shape[1]
    wrong = dZ.sum(axis=1)
    assert wrong.shape == dZ.sum(axis=0).shape and not np.allclose(wrong, dZ.sum(axis=0))


def test_dense_backward_book_solution_passes():
    assert check.dense_backward.run(lambda dZ, X, W: (dZ @ W.T, X.T @ dZ, dZ.sum(axis=0))).passed


# ------------------------------------------------------------------ the composing exercise
C = net_check.two_layer_backward


def book_two_layer_backward(X, Y, W1, b1, W2, b2):          # the chapter's solution
    Z1 = X @ W1 + b1
    A1 = sigmoid(Z1)
    Y_hat = A1 @ W2 + b2
    dY_hat = 2 * (Y_hat - Y) / Y.size
    dW2 = A1.T @ dY_hat
    db2 = dY_hat.sum(axis=0)
    dA1 = dY_hat @ W2.T
    dZ1 = dA1 * A1 * (1 - A1)
    dW1 = X.T @ dZ1
    db1 = dZ1.sum(axis=0)
    return dW1, db1, dW2, db2


def right_with_loops(X, Y, W1, b1, W2, b2):               # written differently: one example at a time
    N, K = Y.shape
    grads = [np.zeros_like(W1), np.zeros_like(b1), np.zeros_like(W2), np.zeros_like(b2)]
    for n in range(N):
        z1 = X[n] @ W1 + b1
        a1 = sigmoid(z1)
        d_out = 2 * (a1 @ W2 + b2 - Y[n]) / (N * K)
        d_z1 = (W2 @ d_out) * sigmoid_prime(z1)
        grads[0] += np.outer(X[n], d_z1)
        grads[1] += d_z1
        grads[2] += np.outer(a1, d_out)
        grads[3] += d_out
    return tuple(grads)


def _forward(X, Y, W1, b1, W2, b2):
    Z1 = X @ W1 + b1
    A1 = sigmoid(Z1)
    return Z1, A1, A1 @ W2 + b2


def z_one_minus_z(X, Y, W1, b1, W2, b2):
    Z1, A1, Y_hat = _forward(X, Y, W1, b1, W2, b2)
    dY = 2 * (Y_hat - Y) / Y.size
    dZ1 = (dY @ W2.T) * Z1 * (1 - Z1)
    return X.T @ dZ1, dZ1.sum(axis=0), A1.T @ dY, dY.sum(axis=0)


def sigmoid_prime_of_activation(X, Y, W1, b1, W2, b2):
    Z1, A1, Y_hat = _forward(X, Y, W1, b1, W2, b2)
    dY = 2 * (Y_hat - Y) / Y.size
    dZ1 = (dY @ W2.T) * sigmoid_prime(A1)
    return X.T @ dZ1, dZ1.sum(axis=0), A1.T @ dY, dY.sum(axis=0)


def no_local_derivative(X, Y, W1, b1, W2, b2):
    Z1, A1, Y_hat = _forward(X, Y, W1, b1, W2, b2)
    dY = 2 * (Y_hat - Y) / Y.size
    dZ1 = dY @ W2.T
    return X.T @ dZ1, dZ1.sum(axis=0), A1.T @ dY, dY.sum(axis=0)


def no_mean(X, Y, W1, b1, W2, b2):
    Z1, A1, Y_hat = _forward(X, Y, W1, b1, W2, b2)
    dY = 2 * (Y_hat - Y)
    dZ1 = (dY @ W2.T) * A1 * (1 - A1)
    return X.T @ dZ1, dZ1.sum(axis=0), A1.T @ dY, dY.sum(axis=0)


def mean_over_examples_only(X, Y, W1, b1, W2, b2):
    Z1, A1, Y_hat = _forward(X, Y, W1, b1, W2, b2)
    dY = 2 * (Y_hat - Y) / len(X)
    dZ1 = (dY @ W2.T) * A1 * (1 - A1)
    return X.T @ dZ1, dZ1.sum(axis=0), A1.T @ dY, dY.sum(axis=0)


def mean_twice(X, Y, W1, b1, W2, b2):
    Z1, A1, Y_hat = _forward(X, Y, W1, b1, W2, b2)
    N = len(X)
    dY = 2 * (Y_hat - Y) / Y.size
    dZ1 = (dY @ W2.T) * A1 * (1 - A1)
    return X.T @ dZ1 / N, dZ1.sum(axis=0) / N, A1.T @ dY / N, dY.sum(axis=0) / N


def no_factor_two(X, Y, W1, b1, W2, b2):
    Z1, A1, Y_hat = _forward(X, Y, W1, b1, W2, b2)
    dY = (Y_hat - Y) / Y.size
    dZ1 = (dY @ W2.T) * A1 * (1 - A1)
    return X.T @ dZ1, dZ1.sum(axis=0), A1.T @ dY, dY.sum(axis=0)


def sign_flipped(X, Y, W1, b1, W2, b2):
    Z1, A1, Y_hat = _forward(X, Y, W1, b1, W2, b2)
    dY = 2 * (Y - Y_hat) / Y.size
    dZ1 = (dY @ W2.T) * A1 * (1 - A1)
    return X.T @ dZ1, dZ1.sum(axis=0), A1.T @ dY, dY.sum(axis=0)


def db_wrong_axis(X, Y, W1, b1, W2, b2):
    Z1, A1, Y_hat = _forward(X, Y, W1, b1, W2, b2)
    dY = 2 * (Y_hat - Y) / Y.size
    dZ1 = (dY @ W2.T) * A1 * (1 - A1)
    return X.T @ dZ1, dZ1.sum(axis=1), A1.T @ dY, dY.sum(axis=0)


def db2_not_summed(X, Y, W1, b1, W2, b2):
    Z1, A1, Y_hat = _forward(X, Y, W1, b1, W2, b2)
    dY = 2 * (Y_hat - Y) / Y.size
    dZ1 = (dY @ W2.T) * A1 * (1 - A1)
    return X.T @ dZ1, dZ1.sum(axis=0), A1.T @ dY, dY


def no_transpose_W2(X, Y, W1, b1, W2, b2):
    Z1, A1, Y_hat = _forward(X, Y, W1, b1, W2, b2)
    dY = 2 * (Y_hat - Y) / Y.size
    dA1 = dY @ W2
    dZ1 = dA1 * A1 * (1 - A1)
    return X.T @ dZ1, dZ1.sum(axis=0), A1.T @ dY, dY.sum(axis=0)


def backward_order(X, Y, W1, b1, W2, b2):
    dW1, db1, dW2, db2 = book_two_layer_backward(X, Y, W1, b1, W2, b2)
    return dW2, db2, dW1, db1


def dW1_transposed(X, Y, W1, b1, W2, b2):
    Z1, A1, Y_hat = _forward(X, Y, W1, b1, W2, b2)
    dY = 2 * (Y_hat - Y) / Y.size
    dZ1 = (dY @ W2.T) * A1 * (1 - A1)
    return dZ1.T @ X, dZ1.sum(axis=0), A1.T @ dY, dY.sum(axis=0)


def dW2_pytorch_layout(X, Y, W1, b1, W2, b2):
    Z1, A1, Y_hat = _forward(X, Y, W1, b1, W2, b2)
    dY = 2 * (Y_hat - Y) / Y.size
    dZ1 = (dY @ W2.T) * A1 * (1 - A1)
    return X.T @ dZ1, dZ1.sum(axis=0), dY.T @ A1, dY.sum(axis=0)


def updates_W1_in_place(X, Y, W1, b1, W2, b2):
    grads = book_two_layer_backward(X, Y, W1, b1, W2, b2)
    W1 -= 0.1 * grads[0]                                   # "one step of training" as well
    return grads


def typo(X, Y, W1, b1, W2, b2):
    Z1, A1, Y_hat = _forward(X, Y, W1, b1, W2, b2)
    dY = 2 * (Y_hat - Y) / Y.size
    dZ1 = (dY @ W2.T) * A1 * (1 - a1)                     # noqa: F821
    return X.T @ dZ1, dZ1.sum(axis=0), A1.T @ dY, dY.sum(axis=0)


WRONG = [
    (z_one_minus_z, "wrong quantity"),
    (sigmoid_prime_of_activation, "σ was applied twice"),
    (no_local_derivative, "local derivative is missing"),
    (no_mean, "N·K times too large"),
    (mean_over_examples_only, "K times too large"),
    (mean_twice, "divides by N again"),
    (no_factor_two, "factor 2"),
    (sign_flipped, "wrong sign"),
    (db_wrong_axis, "db1 must have b1's shape"),
    (db2_not_summed, "db2 must have b2's shape"),
    (no_transpose_W2, "`dZ2 @ W2.T`"),
    (backward_order, "in the order the exercise asks"),
    (dW1_transposed, "dW1 must have W1's shape"),
    (dW2_pytorch_layout, "dW2 must have W2's shape"),
    (updates_W1_in_place, None),
    (typo, None),
]


@pytest.mark.parametrize("wrong, hint", WRONG, ids=[w.__name__ for w, _ in WRONG])
def test_two_layer_backward_rejects_each_wrong_answer_with_its_hint(wrong, hint):
    result = assert_rejected(C, wrong, hint)
    if wrong is typo:
        assert "NameError" in result.text
    if wrong is updates_W1_in_place:
        assert "W1" in result.text and "in place" in result.text


def test_two_layer_backward_hints_are_each_used():
    """Every value diagnoser of the new checker is exercised by one wrong answer above."""
    fired = {assert_rejected(C, w, h).hint for w, h in WRONG if h is not None}
    own = [m.hint for m in C.mistakes[:14]]
    assert set(own) <= fired, set(own) - fired


@pytest.mark.parametrize("right", [book_two_layer_backward, right_with_loops])
def test_two_layer_backward_accepts_right_answers(right):
    result = C.run(right)
    assert result.passed, result.text


def test_two_layer_backward_reference_is_nnlib_and_agrees_with_finite_differences():
    for case in C.cases:
        X, Y, W1, b1, W2, b2 = [np.array(a, dtype=float) for a in case.args]
        ref = C.reference(X, Y, W1, b1, W2, b2)

        def loss(_):
            return float(np.mean((sigmoid(X @ W1 + b1) @ W2 + b2 - Y) ** 2))

        for got, p in zip(ref, (W1, b1, W2, b2)):
            assert rel_error(got, nnlib_numerical_gradient(loss, p)) < 1e-7


def test_two_layer_backward_cases_expose_what_they_claim():
    shapes = [(a[0].shape[0], a[4].shape[1]) for a in (c.args for c in C.cases)]
    assert any(K > 1 for _, K in shapes) and any(K == 1 for _, K in shapes)
    assert any(N == 1 for N, _ in shapes)
    X, Y, W1, b1, W2, b2 = C.cases[2].args
    assert np.abs(X @ W1 + b1).max() > 5                       # saturated hidden units
    W2 = C.cases[0].args[4]
    assert W2.shape[0] != W2.shape[1]              # the first case: dZ2 @ W2 raises (H != K)
    assert any(c.args[4].shape[0] == c.args[4].shape[1] for c in C.cases)   # and one is silent


def _forever(*args):
    while True:
        pass


def _chatty(*args):
    for i in range(5_000):
        print("x =", i)
    return "done"


def _stub(*args):
    raise NotImplementedError


@pytest.mark.parametrize("fn, words", [
    (lambda *a: None, "returned None"),
    (lambda *a: "garbage", "expected"),
    (lambda *a: (np.zeros(3),) * 3, "expected"),
    (lambda *a: object(), "expected"),
    (_forever, "did not finish"),
    (_chatty, "printed"),
    (lambda *a: (x for x in a), "expected"),
    (lambda *a: exit(), "SystemExit"),
], ids=["none", "string", "three", "object", "forever", "chatty", "generator", "exit"])
def test_two_layer_backward_survives_hostile_code(fn, words, monkeypatch, capsys):
    monkeypatch.setattr(C, "timeout", 0.1 if fn is _forever else 1.0)
    result = C.run(fn)
    assert result.status == "fail" and words in result.text, result.text
    assert "x = 4999" not in result.text


def test_two_layer_backward_nan_and_stub(capsys):
    expected = C.expected_for(C.cases[0])
    result = C.run(lambda *a: tuple(np.full(np.shape(e), np.nan) for e in expected))
    assert result.status == "fail" and "contains nan" in result.text
    C(_stub)
    assert "not attempted yet" in capsys.readouterr().out
    with pytest.raises(AssertionError):
        C(_stub, strict=True)
    with pytest.raises(AssertionError):
        C(no_mean, strict=True)
