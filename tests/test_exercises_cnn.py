"""Chapter 11's checkers (``nnbook.exercises.cnn``): right answers written as a student would pass;
realistic wrong ones fail with the hint for THAT mistake (or none where none fits); the design
exercise rejects dense networks, models over budget, wrong output shapes and weak designs."""
from __future__ import annotations

import numpy as np
import pytest

from nnbook.exercises import cnn as check
from nnbook.exercises.core import Checker
from nnlib.layers import Conv2D, Dense, Flatten, MaxPool2D, ReLU
from nnlib.model import Sequential
from wrong_answers import assert_each_hint_fires_only_for_its_own_mistake, assert_rejected_with_hint

CHECKERS = {name: obj for name, obj in vars(check).items() if isinstance(obj, Checker)}


def conv_loops(x, W, b, stride, padding):
    x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    N, C, H, Wd = x.shape
    O, _, k, _ = W.shape
    Ho, Wo = (H - k) // stride + 1, (Wd - k) // stride + 1
    y = np.zeros((N, O, Ho, Wo))
    for n in range(N):
        for o in range(O):
            for i in range(Ho):
                for j in range(Wo):
                    patch = x[n, :, i * stride:i * stride + k, j * stride:j * stride + k]
                    y[n, o, i, j] = np.sum(patch * W[o]) + b[o]
    return y


def conv_einsum(x, W, b, stride, padding):
    x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    k = W.shape[2]
    Ho, Wo = (x.shape[2] - k) // stride + 1, (x.shape[3] - k) // stride + 1
    windows = np.stack([np.stack([x[:, :, i * stride:i * stride + k, j * stride:j * stride + k]
                                  for j in range(Wo)], axis=2) for i in range(Ho)], axis=2)
    return np.einsum("ncijab,ocab->noij", windows, W) + b[None, :, None, None]


def summary(C_in, H, C_out, k, stride, padding):
    return (H + 2 * padding - k) // stride + 1, C_out * C_in * k * k + C_out


@pytest.mark.parametrize("name, fn", [("conv2d_forward", conv_loops), ("conv2d_forward", conv_einsum),
                                      ("conv_summary", summary)])
def test_accepts_right_answers(name, fn):
    result = CHECKERS[name].run(fn)
    assert result.passed, result.text


def _changed(**c):
    def conv(x, W, b, stride, padding):
        if c.get("flip"):
            W = W[:, :, ::-1, ::-1]
        if c.get("no_pad"):
            padding = 0
        if c.get("no_stride"):
            stride = 1
        y = conv_loops(x[:, :1] if c.get("one_channel") else x,
                       W[:, :1] if c.get("one_channel") else W, b * (0 if c.get("no_bias") else 1),
                       stride, padding)
        return y
    return conv


def conv_bias_once(x, W, b, stride, padding):
    y = conv_loops(x, W, np.zeros_like(b), stride, padding)
    return y + b.sum()


def conv_bias_on_width(x, W, b, stride, padding):
    y = conv_loops(x, W, np.zeros_like(b), stride, padding)
    return y + b                                   # lines b up with the width, not the channels


def conv_square_only(x, W, b, stride, padding):
    y = conv_loops(x, W, b, stride, padding)       # as if W_out were H_out
    return y if y.shape[2] == y.shape[3] else y[..., :1].repeat(y.shape[2], axis=3)


def conv_float32(x, W, b, stride, padding):
    return conv_loops(x, W, b, stride, padding).astype(np.float32)


def conv_typo(x, W, b, stride, padding):
    return conv_loops(x, W, b, strid, padding)  # noqa: F821


def conv_list(x, W, b, stride, padding):
    return conv_loops(x, W, b, stride, padding).tolist()


def s_no_plus1(C_in, H, C_out, k, stride, padding):
    return (H + 2 * padding - k) // stride, C_out * C_in * k * k + C_out


def s_pad_once(C_in, H, C_out, k, stride, padding):
    return (H + padding - k) // stride + 1, C_out * C_in * k * k + C_out


def s_true_div(C_in, H, C_out, k, stride, padding):
    return (H + 2 * padding - k) / stride + 1, C_out * C_in * k * k + C_out


def s_no_bias(C_in, H, C_out, k, stride, padding):
    return (H + 2 * padding - k) // stride + 1, C_out * C_in * k * k


def s_no_cin(C_in, H, C_out, k, stride, padding):
    return (H + 2 * padding - k) // stride + 1, C_out * k * k + C_out


def s_k(C_in, H, C_out, k, stride, padding):
    return (H + 2 * padding - k) // stride + 1, C_out * C_in * k + C_out


def s_same(C_in, H, C_out, k, stride, padding):
    return H // stride, C_out * C_in * k * k + C_out        # "same" assumed


def s_ceil(C_in, H, C_out, k, stride, padding):
    return int(np.ceil((H + 2 * padding - k) / stride)) + 1, C_out * C_in * k * k + C_out


WRONG = [
    ("conv2d_forward", _changed(no_bias=True), "Add the bias"),
    ("conv2d_forward", conv_bias_on_width, "with the LAST axis"),
    ("conv2d_forward", conv_square_only, None),
    ("conv2d_forward", conv_float32, "float32"),
    ("conv2d_forward", _changed(flip=True), "without flipping"),
    ("conv2d_forward", _changed(one_channel=True), "ALL input channels"),
    ("conv2d_forward", _changed(no_pad=True), "Pad x"),
    ("conv2d_forward", _changed(no_stride=True), "`stride` pixels at a time"),
    ("conv2d_forward", conv_bias_once, None),
    ("conv2d_forward", conv_typo, None),
    ("conv2d_forward", conv_list, None),
    ("conv_summary", s_no_plus1, "the + 1"),
    ("conv_summary", s_pad_once, "BOTH sides"),
    ("conv_summary", s_true_div, None),
    ("conv_summary", s_no_bias, "one bias too"),
    ("conv_summary", s_no_cin, "EVERY input channel"),
    ("conv_summary", s_k, "k² weights"),
    ("conv_summary", s_same, "Padding keeps the size only when"),
    ("conv_summary", lambda C_in, H, C_out, k, stride, padding:
        ((H + 2 * padding - k + 1) // stride, C_out * C_in * k * k + C_out), "outside the floor"),
    ("conv_summary", s_ceil, None),
]


@pytest.mark.parametrize("name, wrong, hint", WRONG, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(WRONG)])
def test_rejects_a_wrong_answer_with_the_right_hint_or_none(name, wrong, hint):
    assert_rejected_with_hint(CHECKERS, name, wrong, hint)


def test_a_float_output_size_is_reported_as_not_an_integer():
    assert "expected an integer (H_out), got float" in check.conv_summary.run(s_true_div).text


def test_each_hint_fires_only_for_its_own_mistake():
    assert_each_hint_fires_only_for_its_own_mistake(CHECKERS, WRONG)


# --------------------------------------------------------------------------- the design
def good_cnn():
    return Sequential([Conv2D(1, 12, 3, padding=1, rng=0), ReLU(), MaxPool2D(2),
                       Conv2D(12, 16, 3, padding=1, rng=1), ReLU(), MaxPool2D(2), Flatten(),
                       Dense(64, 10, rng=2)])


@pytest.mark.parametrize("build, words", [
    (lambda: Sequential([Flatten(), Dense(64, 10, rng=0)]), "at least one Conv2D"),
    (lambda: Sequential([Conv2D(1, 32, 3, padding=1, rng=0), ReLU(), Flatten(),
                         Dense(2048, 10, rng=1)]), "over the budget"),
    (lambda: Sequential([Conv2D(1, 4, 3, padding=1, rng=0), ReLU(), MaxPool2D(2), Flatten(),
                         Dense(64, 9, rng=1)]), "to 10 scores"),
    (lambda: Sequential([Conv2D(1, 2, 3, rng=0), ReLU(), MaxPool2D(2), Flatten(),
                         Dense(18, 10, rng=1)]), "below the target"),
    (lambda: "a model", "must return an nnlib model"),
    (lambda: None, "forget `return model`"),
])
def test_the_design_check_rejects_what_is_not_a_good_small_cnn(build, words):
    result = check.small_cnn.run(build)
    assert result.status == "fail" and words in result.text, result.text


def test_the_design_check_accepts_a_good_small_cnn():
    model = good_cnn()
    assert sum(p.data.size for p in model.parameters()) <= check.PARAM_BUDGET
    result = check.small_cnn.run(good_cnn)
    assert result.passed, result.text


@pytest.mark.parametrize("s", range(8))
def test_the_design_solution_meets_the_target_whatever_its_seeds(s):
    """Exercise 11.3's solution with other `rng` seeds: the target must not hang on a lucky draw."""
    model = Sequential([
        Conv2D(1, 12, 3, padding=1, rng=3 * s), ReLU(), MaxPool2D(2),
        Conv2D(12, 16, 3, padding=1, rng=3 * s + 1), ReLU(), MaxPool2D(2),
        Flatten(), Dense(64, 10, rng=3 * s + 2)])
    accuracy = check.train_and_score(model)
    assert accuracy >= check.ACCURACY_TARGET + 0.005
