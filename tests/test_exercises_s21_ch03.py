"""Chapter 3's checked exercises, tried with the session-21 reviewer's attempts that got a
confusing verdict (and the right attempts, which must still pass). Each wrong attempt must be
rejected with the hint for its own mistake, or with none of the checker's hints."""
import numpy as np
import pytest

from nnbook.exercises import multilayer as check


# --- Exercise 3.1, dense_forward -------------------------------------------------------------
def einsum_transposed(X, W, b):
    return np.einsum("ni,ji->nj", X, W) + b          # W's indices swapped: X @ W.T


def einsum_right(X, W, b):
    return np.einsum("ni,ij->nj", X, W) + b


def pytorch_transpose(X, W, b):
    return X @ W.T + b


def typo_raises(X, W, b):
    return X @ w + b   # noqa: F821


def einsum_typo(X, W, b):
    return np.einsum("ni,ij->nj", X, W) + B   # noqa: F821  (a NameError on an einsum line)


def elementwise(X, W, b):
    return X * W + b


# --- Exercise 3.2, count_parameters ----------------------------------------------------------
def first_pair_only(layer_sizes):
    if len(layer_sizes) < 2:
        return 0
    return layer_sizes[0] * layer_sizes[1] + layer_sizes[1]


def skips_last_layer(layer_sizes):
    return sum(a * b + b for a, b in zip(layer_sizes[:-2], layer_sizes[1:-1]))


def count_units(layer_sizes):
    return sum(layer_sizes[1:])


def no_biases(layer_sizes):
    return sum(a * b for a, b in zip(layer_sizes[:-1], layer_sizes[1:]))


def count_right(layer_sizes):
    total = 0
    for d_in, d_out in zip(layer_sizes, layer_sizes[1:]):
        total += (d_in + 1) * d_out
    return total


# --- Exercise 3.3, mlp_forward ---------------------------------------------------------------
def np_max(X, Ws, bs):
    A = X
    for l, (W, b) in enumerate(zip(Ws, bs)):
        Z = A @ W + b
        A = Z if l == len(Ws) - 1 else np.max(Z, 0)
    return A


def sigmoid_hidden(X, Ws, bs):
    A = X
    for l, (W, b) in enumerate(zip(Ws, bs)):
        Z = A @ W + b
        A = Z if l == len(Ws) - 1 else 1 / (1 + np.exp(-Z))
    return A


def relu_on_last(X, Ws, bs):
    A = X
    for W, b in zip(Ws, bs):
        A = np.maximum(A @ W + b, 0)
    return A


def max_over_last_axis(X, Ws, bs):       # another reduction: not the np.max(Z, 0) slip
    A = X
    for l, (W, b) in enumerate(zip(Ws, bs)):
        Z = A @ W + b
        A = Z if l == len(Ws) - 1 else np.max(Z, axis=1, keepdims=True) + 0 * Z
    return A


def mlp_right(X, Ws, bs):
    *hidden, last = list(zip(Ws, bs))
    A = X
    for W, b in hidden:
        A = (A @ W + b).clip(min=0)
    return A @ last[0] + last[1]


EINSUM = "subscripts of your `np.einsum`"
TRANSPOSE = "PyTorch stores its weight"
LAST_MISSING = "The last layer is missing from your count"
UNITS = "That counts units"
NP_MAX = "`np.max(Z, 0)` is the largest entry"
SIGMOID = "not the sigmoid"
RELU_LAST = "The last layer returns raw scores"

WRONG = [
    (check.dense_forward, einsum_transposed, EINSUM),
    (check.dense_forward, pytorch_transpose, TRANSPOSE),
    (check.dense_forward, typo_raises, None),
    (check.dense_forward, einsum_typo, None),
    (check.dense_forward, elementwise, "multiplies entry by entry"),
    (check.count_parameters, first_pair_only, LAST_MISSING),
    (check.count_parameters, skips_last_layer, LAST_MISSING),
    (check.count_parameters, count_units, UNITS),
    (check.count_parameters, no_biases, "Biases are parameters too"),
    (check.mlp_forward, np_max, NP_MAX),
    (check.mlp_forward, sigmoid_hidden, SIGMOID),
    (check.mlp_forward, relu_on_last, RELU_LAST),
    (check.mlp_forward, max_over_last_axis, None),
]
HINTS = [EINSUM, TRANSPOSE, LAST_MISSING, UNITS, NP_MAX, SIGMOID, RELU_LAST,
         "multiplies entry by entry", "Biases are parameters too"]


@pytest.mark.parametrize("checker, attempt, hint", WRONG, ids=[f.__name__ for _, f, _ in WRONG])
def test_wrong_attempt_is_rejected_with_its_own_hint(checker, attempt, hint):
    result = checker.run(attempt)
    assert result.status == "fail", result.text
    if hint is None:
        assert not any(h in (result.hint or "") for h in HINTS), result.hint
    else:
        assert hint in (result.hint or ""), result.hint


def test_the_count_hint_uses_the_books_letter_for_the_number_of_layers():
    hint = check.count_parameters.run(first_pair_only).hint or ""
    assert "m + 1 sizes has m layers" in hint and "L " not in hint, hint
    assert "loop" not in hint, hint           # the attempt has no loop


def test_a_name_error_on_an_einsum_line_gets_the_error_not_the_einsum_hint():
    result = check.dense_forward.run(einsum_typo)
    assert "NameError" in result.text and EINSUM not in (result.hint or ""), result.text


@pytest.mark.parametrize("checker, attempt", [
    (check.dense_forward, einsum_right), (check.count_parameters, count_right),
    (check.mlp_forward, mlp_right)], ids=["einsum_right", "count_right", "mlp_right"])
def test_right_attempts_pass(checker, attempt):
    result = checker.run(attempt)
    assert result.passed, result.text
