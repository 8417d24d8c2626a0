"""Chapter 16's checkers (``nnbook.exercises.frameworks``): right answers pass, realistic wrong
ones fail with the hint for THAT mistake or none."""
from __future__ import annotations

import numpy as np
import pytest

from nnbook.exercises import frameworks as check
from nnbook.exercises.core import Checker
from wrong_answers import assert_each_hint_fires_only_for_its_own_mistake, assert_rejected_with_hint

CHECKERS = {name: obj for name, obj in vars(check).items() if isinstance(obj, Checker)}


def to_linear(W, b):
    return W.T.copy(), b.copy()


def to_linear_swap(W, b):
    return np.array(np.swapaxes(W, 0, 1)), np.array(b)      # np.array copies


def accumulated(grads, sizes):
    total = np.zeros_like(grads[0], dtype=float)
    for g, n in zip(grads, sizes):
        total += n * g
    return total / sum(sizes)


@pytest.mark.parametrize("name, fn", [("dense_to_linear", to_linear), ("dense_to_linear", to_linear_swap),
                                      ("accumulated_grad", accumulated)])
def test_accepts_right_answers(name, fn):
    assert CHECKERS[name].run(fn).passed


WRONG = [
    ("dense_to_linear", lambda W, b: (W.copy(), b.copy()), "transpose nnlib's W"),
    ("dense_to_linear", lambda W, b: (W.reshape(W.shape[1], W.shape[0]), b), "scrambled"),
    ("dense_to_linear", lambda W, b: (W.T.copy(), b[:, None]), "stays a vector"),
    ("dense_to_linear", lambda W, b: (W.T, b.copy()), "A VIEW"),
    ("dense_to_linear", lambda W, b: (np.transpose(W), b), "A VIEW"),
    ("dense_to_linear", lambda W, b: (W.T.astype(np.float32), b.astype(np.float32)), "float32"),
    ("dense_to_linear", lambda W, b: (W.T, b * 0), None),
    ("dense_to_linear", lambda W, b: (W.T.tolist(), b), None),
    ("dense_to_linear", lambda W, b: (np.flip(W, 0).T, b), None),
    ("dense_to_linear", lambda W, b: (W.T, bb), None),  # noqa: F821
    ("dense_to_linear", lambda W, b: W.T, None),
    ("accumulated_grad", lambda grads, sizes: np.mean(grads, axis=0), "weight it by its size"),
    ("accumulated_grad", lambda grads, sizes: np.sum(grads, axis=0), "without zero_grad"),
    ("accumulated_grad", lambda grads, sizes: sum(n * g for n, g in zip(sizes, grads)), "now divide"),
    ("accumulated_grad", lambda grads, sizes: grads[-1], "overwritten"),
    ("accumulated_grad", lambda grads, sizes: sum(n * g for n, g in zip(sizes, grads)) / len(sizes), None),
    ("accumulated_grad", lambda grads, sizes: sum(g / n for n, g in zip(sizes, grads)), None),
    ("accumulated_grad", lambda grads, sizes: np.average(grads, axis=0, weights=sizes[::-1]), None),
    ("accumulated_grad", lambda grads, sizes: grads[0], None),
]


@pytest.mark.parametrize("name, wrong, hint", WRONG, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(WRONG)])
def test_rejects_a_wrong_answer_with_the_right_hint_or_none(name, wrong, hint):
    assert_rejected_with_hint(CHECKERS, name, wrong, hint)


def test_tensors_are_not_numpy_arrays():
    torch = pytest.importorskip("torch")       # installed by requirements-test.txt
    result = check.dense_to_linear.run(lambda W, b: (torch.from_numpy(W.T.copy()),
                                                    torch.from_numpy(b.copy())))
    assert result.status == "fail" and "asks for NumPy arrays" in result.text, result.text


def test_a_mutated_input_is_reported_before_a_view():
    def transpose_in_place(W, b):
        Wt = W.T.copy()
        W.shape = Wt.shape
        W[...] = Wt
        return W, b
    result = check.dense_to_linear.run(transpose_in_place)
    assert result.status == "fail" and "modified its input `W`" in result.text, result.text


def test_each_hint_fires_only_for_its_own_mistake():
    assert_each_hint_fires_only_for_its_own_mistake(CHECKERS, WRONG)
