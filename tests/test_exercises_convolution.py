"""Chapter 10's checkers (``nnbook.exercises.convolution``): each accepts right answers written
as a student would (two different ways), rejects realistic wrong ones with the hint that names
THAT mistake (or with no hint where none fits), and survives hostile code."""
from __future__ import annotations

import numpy as np
import pytest

from nnbook.exercises import convolution as check
from nnbook.exercises.core import AnswerCheck, Checker
from wrong_answers import assert_each_hint_fires_only_for_its_own_mistake, assert_rejected_with_hint

CHECKERS = {name: obj for name, obj in vars(check).items() if isinstance(obj, Checker)}
ANSWERS = {name: obj for name, obj in vars(check).items() if isinstance(obj, AnswerCheck)}


# --------------------------------------------------------------------------- right answers
def corr_loops(x, w):
    """Valid cross-correlation with two loops, as Section 10.2 writes it."""
    x, w = np.asarray(x, float), np.asarray(w, float)
    kh, kw = w.shape
    y = np.zeros((x.shape[0] - kh + 1, x.shape[1] - kw + 1))
    for i in range(y.shape[0]):
        for j in range(y.shape[1]):
            y[i, j] = np.sum(x[i:i + kh, j:j + kw] * w)
    return y


def convolve_flip(x, w):
    return corr_loops(x, np.asarray(w)[::-1, ::-1])


def convolve_definition(x, w):
    # y[i, j] = Σ_{u,v} w[u, v] x[i + kh − 1 − u, j + kw − 1 − v], term by term
    x, w = np.asarray(x, float), np.asarray(w, float)
    kh, kw = w.shape
    H, W = x.shape
    y = np.zeros((H - kh + 1, W - kw + 1))
    for i in range(H - kh + 1):
        for j in range(W - kw + 1):
            for u in range(kh):
                for v in range(kw):
                    y[i, j] += w[u, v] * x[i + kh - 1 - u, j + kw - 1 - v]
    return y


def rf_recursion(layers):
    r, jump = 1, 1
    for k, s, d in layers:
        r += d * (k - 1) * jump
        jump *= s
    return r


def rf_backwards(layers):
    # from the output back to the input: a window of n units needs s(n − 1) + d(k − 1) + 1 inputs
    n = 1
    for k, s, d in reversed(layers):
        n = s * (n - 1) + d * (k - 1) + 1
    return n


def pool_back_loops(x, g, k):
    x, g = np.asarray(x, float), np.asarray(g, float)
    dx = np.zeros_like(x)
    N, C, Ho, Wo = g.shape
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    window = x[n, c, i * k:(i + 1) * k, j * k:(j + 1) * k]
                    a, b = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, c, i * k + a, j * k + b] += g[n, c, i, j]
    return dx


def pool_back_mask(x, g, k):
    x = np.asarray(x, float)
    N, C, H, W = x.shape
    windows = x.reshape(N, C, H // k, k, W // k, k)
    mask = windows == windows.max(axis=(3, 5), keepdims=True)
    return (mask * np.asarray(g, float)[:, :, :, None, :, None]).reshape(x.shape)


def input_grad_pad_flip(g, w):
    w = np.asarray(w, float)
    kh, kw = w.shape
    return corr_loops(np.pad(np.asarray(g, float), ((kh - 1, kh - 1), (kw - 1, kw - 1))), w[::-1, ::-1])


def input_grad_scatter(g, w):
    # every output sends g[i, j]·w back to the pixels its window read
    g, w = np.asarray(g, float), np.asarray(w, float)
    kh, kw = w.shape
    dx = np.zeros((g.shape[0] + kh - 1, g.shape[1] + kw - 1))
    for i in range(g.shape[0]):
        for j in range(g.shape[1]):
            dx[i:i + kh, j:j + kw] += g[i, j] * w
    return dx


SOLUTIONS = {
    "convolve2d": [convolve_flip, convolve_definition],
    "receptive_field": [rf_recursion, rf_backwards],
    "max_pool_backward": [pool_back_loops, pool_back_mask],
    "conv_input_grad": [input_grad_pad_flip, input_grad_scatter],
}


# --------------------------------------------------------------------------- wrong answers
def _pad_corr(g, w, pad, flip=True):
    w = np.asarray(w, float)
    return corr_loops(np.pad(np.asarray(g, float), pad), w[::-1, ::-1] if flip else w)


def _full(g, w):
    kh, kw = np.shape(w)
    return ((kh - 1, kh - 1), (kw - 1, kw - 1))


def _rf_variant(add, stride_first=False, use_stride=True, start=1):
    def f(layers):
        r, jump = start, 1
        for k, s, d in layers:
            if stride_first and use_stride:
                jump *= s
            r += add(k, d) * jump
            if use_stride and not stride_first:
                jump *= s
        return r
    return f


def _pool_up(g, k):
    return np.repeat(np.repeat(np.asarray(g, float), k, axis=2), k, axis=3)


WRONG = [
    # convolve2d
    ("convolve2d", corr_loops, "cross-correlation"),
    ("convolve2d", lambda x, w: corr_loops(x, np.asarray(w)[::-1]), "upside down only"),
    ("convolve2d", lambda x, w: corr_loops(x, np.asarray(w)[:, ::-1]), "left-right only"),
    ("convolve2d", lambda x, w: corr_loops(x, np.asarray(w).T), "diagonal"),
    ("convolve2d", lambda x, w: convolve_flip(x, w).T, "swapped"),
    ("convolve2d", lambda x, w: corr_loops(np.asarray(x, float)[::-1, ::-1], w), "rotated the IMAGE"),
    ("convolve2d", lambda x, w: corr_loops(np.pad(x, ((len(w) - 1,) * 2, (np.shape(w)[1] - 1,) * 2)),
                                           np.asarray(w)[::-1, ::-1]), "'full' size"),
    ("convolve2d", lambda x, w: corr_loops(   # 'same' padding: (k − 1) // 2 before, k // 2 after
        np.pad(x, [((k - 1) // 2, k // 2) for k in np.shape(w)]), np.asarray(w)[::-1, ::-1]),
     "input's size"),
    ("convolve2d", lambda x, w: convolve_flip(x, w)[:-1, :-1], "One window position short"),
    ("convolve2d", lambda x, w: convolve_flip(x, w) / np.abs(w).sum(), None),   # normalised: no hint fits
    ("convolve2d", lambda x, w: np.zeros_like(convolve_flip(x, w)), None),
    # receptive_field
    ("receptive_field", lambda layers: min(rf_recursion(layers), 28), "Do not clip"),
    ("receptive_field", lambda layers: sum(k for k, _, _ in layers), "Adding up the kernel sizes"),
    ("receptive_field", _rf_variant(lambda k, d: d * (k - 1), use_stride=False), "Strides are ignored"),
    ("receptive_field", _rf_variant(lambda k, d: d * (k - 1), stride_first=True), "own stride"),
    ("receptive_field", _rf_variant(lambda k, d: k - 1), "Dilation is ignored"),
    ("receptive_field", _rf_variant(lambda k, d: d * k - 1), "not d·k"),
    ("receptive_field", lambda layers: int(np.prod([k for k, _, _ in layers])), "product of the kernel sizes"),
    ("receptive_field", _rf_variant(lambda k, d: d * (k - 1), start=0), "Start from r = 1"),
    ("receptive_field", lambda layers: float(rf_recursion(layers)), "whole number"),   # a float
    ("receptive_field", lambda layers: (rf_recursion(layers), 1), None),
    # max_pool_backward
    ("max_pool_backward", lambda x, g, k: _pool_up(g, k) / k ** 2, "AVERAGE pooling"),
    ("max_pool_backward", lambda x, g, k: _pool_up(g, k), "copied the gradient to every pixel"),
    ("max_pool_backward", lambda x, g, k: pool_back_mask(x, np.ones_like(g), k), "0/1 mask"),
    ("max_pool_backward", lambda x, g, k: (np.asarray(x) > 0) * _pool_up(g, k), "ReLU's"),
    ("max_pool_backward", lambda x, g, k: np.asarray(g, float), "pooled shape"),
    ("max_pool_backward", lambda x, g, k: (np.asarray(x) == np.asarray(x).max(axis=(2, 3), keepdims=True))
     * _pool_up(g, k), "not over the whole image"),
    ("max_pool_backward", lambda x, g, k: pool_back_mask(x, g, k)[:, :, :, ::-1], None),   # mirrored
    ("max_pool_backward", lambda x, g, k: -pool_back_mask(x, g, k), None),
    # conv_input_grad
    ("conv_input_grad", lambda g, w: _pad_corr(g, w, _full(g, w), flip=False), "must be flipped"),
    ("conv_input_grad", lambda g, w: corr_loops(np.pad(g, _full(g, w)), np.asarray(w)[::-1]), "one axis only"),
    ("conv_input_grad", lambda g, w: corr_loops(np.pad(g, _full(g, w)), np.asarray(w)[:, ::-1]), "one axis only"),
    ("conv_input_grad", lambda g, w: corr_loops(np.pad(g, _full(g, w)), np.asarray(w).T), "diagonal"),
    ("conv_input_grad", lambda g, w: _pad_corr(g, w, ((0, 0), (0, 0))) if min(np.shape(g)) >= max(np.shape(w))
     else np.zeros((1, 1)), "the input's shape"),
    ("conv_input_grad", lambda g, w: _pad_corr(g, w, ((np.shape(w)[0] // 2,) * 2, (np.shape(w)[1] // 2,) * 2))
     if np.shape(w)[0] % 2 else _pad_corr(g, w, ((1, 0), (1, 0))), "the input's shape"),
    ("conv_input_grad", lambda g, w: _pad_corr(g, w, ((np.shape(w)[0] - 1, 0), (np.shape(w)[1] - 1, 0))),
     "the input's shape"),
    ("conv_input_grad", lambda g, w: 2 * input_grad_pad_flip(g, w), None),
    ("conv_input_grad", lambda g, w: input_grad_pad_flip(g, w) + 1, None),
]


def test_every_checker_has_solutions_and_eight_wrong_answers():
    assert set(CHECKERS) == set(SOLUTIONS)
    assert set(CHECKERS) | set(ANSWERS) == set(check.__all__)
    for name in CHECKERS:
        assert sum(1 for n, _, _ in WRONG if n == name) >= 8, name


@pytest.mark.parametrize("name", sorted(SOLUTIONS))
def test_accepts_right_answers_written_two_ways(name):
    for solution in SOLUTIONS[name]:
        result = CHECKERS[name].run(solution)
        assert result.passed, result.text


@pytest.mark.parametrize("name", sorted(CHECKERS))
def test_accepts_its_reference(name):
    assert CHECKERS[name].run(CHECKERS[name].reference).passed


@pytest.mark.parametrize("name, wrong, hint", WRONG, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(WRONG)])
def test_rejects_a_wrong_answer_with_the_hint_for_that_mistake(name, wrong, hint):
    assert_rejected_with_hint(CHECKERS, name, wrong, hint)


def test_each_hint_fires_only_for_its_own_mistake():
    assert_each_hint_fires_only_for_its_own_mistake(CHECKERS, WRONG)


def test_cases_have_no_ties_in_a_pooling_window():
    # the exercise promises no ties (with ties, "which pixel gets the gradient" is a convention)
    for case in check.max_pool_backward.cases:
        x, _, k = case.args
        N, C, H, W = x.shape
        windows = x.reshape(N, C, H // k, k, W // k, k).transpose(0, 1, 2, 4, 3, 5).reshape(N, C, H // k, W // k, -1)
        top2 = np.sort(windows, axis=-1)[..., -2:]
        assert np.all(top2[..., 1] > top2[..., 0])


def test_references_agree_with_the_definitions():
    from scipy.signal import correlate2d
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=(6, 7)), rng.normal(size=(3, 2))
    np.testing.assert_allclose(check.convolve2d.reference(x, w), correlate2d(x, w[::-1, ::-1], mode="valid"))
    g = rng.normal(size=(4, 6))
    np.testing.assert_allclose(check.conv_input_grad.reference(g, w), input_grad_scatter(g, w))
    xp = rng.normal(size=(2, 2, 6, 4))
    gp = rng.normal(size=(2, 2, 3, 2))
    np.testing.assert_allclose(check.max_pool_backward.reference(xp, gp, 2), pool_back_loops(xp, gp, 2))


# --------------------------------------------------------------------------- hostile code
def _raises_type(*a):
    return None + 1


def _raises_index(*a):
    return a[0][99]


def _loops(*a):
    while True:
        pass


def _swallows(*a):
    while True:
        try:
            while True:
                pass
        except Exception:
            pass


def _nan(*a):
    return np.full(np.shape(a[0]), np.nan)


def _prints(*a):
    for i in range(5_000):
        print("debug", i)


def _generator(*a):
    yield 1


def _seterr_raise(*a):
    np.seterr(all="raise")
    return None


def _mutates(*a):
    a[0][...] = 0
    return a[0]


HOSTILE = [_raises_type, _raises_index, _loops, _swallows, _nan, _prints, _generator,
           _seterr_raise, _mutates, lambda *a: None, lambda *a: [1, 2, 3], lambda *a: "7"]


@pytest.mark.parametrize("name", sorted(CHECKERS))
@pytest.mark.parametrize("fn", HOSTILE, ids=lambda f: f.__name__)
def test_hostile_code_gets_a_verdict_not_a_crash(name, fn):
    old = np.geterr()
    try:
        checker = CHECKERS[name]
        if fn in (_loops, _swallows):
            checker = Checker(checker.name, checker.reference, checker.cases[:1], checker.mistakes,
                              checker.arg_names, output_names=checker.output_names, timeout=0.3)
        result = checker.run(fn)
    finally:
        np.seterr(**old)
    assert result.status == "fail", result.text
    assert result.text


def test_untouched_stub_is_not_attempted(capsys):
    def stub(*a):
        raise NotImplementedError
    for checker in CHECKERS.values():
        assert checker.run(stub).status == "not_attempted"


def test_strict_mode_raises_and_passes(capsys):
    check.convolve2d(convolve_flip, strict=True)
    with pytest.raises(AssertionError, match="fails its check"):
        check.conv_input_grad(lambda g, w: _pad_corr(g, w, _full(g, w), flip=False), strict=True)
    assert "❌" in capsys.readouterr().out


# --------------------------------------------------------------------------- the budget answers
def _budget_from_nnlib():
    """The four answers computed by building the network with nnlib (independent of the checks)."""
    from nnlib.layers import Conv2D, Dense, Flatten, MaxPool2D, ReLU
    layers = [Conv2D(1, 8, 5, padding=2, rng=0), ReLU(), MaxPool2D(2), Conv2D(8, 16, 5, rng=0),
              ReLU(), MaxPool2D(2), Flatten()]
    out = np.zeros((1, 1, 28, 28), dtype=np.float32)
    macs, params = [], []
    for layer in layers:
        x_in, out = out, layer(out)
        if isinstance(layer, Conv2D):
            C_out, C_in, k, _ = layer.W.data.shape
            macs.append(C_out * out.shape[2] * out.shape[3] * C_in * k * k)
            params.append(sum(p.data.size for p in layer.parameters()))
    dense = Dense(out.shape[1], 10, rng=0)
    params.append(sum(p.data.size for p in dense.parameters()))
    macs.append(out.shape[1] * 10)
    r, jump = 1, 1
    for k, s in [(5, 1), (2, 2), (5, 1), (2, 2)]:
        r, jump = r + (k - 1) * jump, jump * s
    return {"flat_size": out.shape[1], "param_counts": tuple(params), "mac_counts": tuple(macs),
            "rf_after_pool2": r}


def test_budget_answers_are_what_nnlib_builds():
    for name, value in _budget_from_nnlib().items():
        assert ANSWERS[name].run(value).passed, name
        assert ANSWERS[name].run(list(value) if isinstance(value, tuple) else value).passed


WRONG_ANSWERS = [
    ("flat_size", 256, "padding 2"),
    ("flat_size", 784, "no padding"),
    ("flat_size", 200, "16 channels"),
    ("flat_size", 1600, "two poolings"),
    ("flat_size", 400.0, None),                   # a float: "expected an integer"
    ("flat_size", 401, None),
    ("param_counts", (200, 3200, 4000), "bias"),
    ("param_counts", (208, 416, 4010), "PAIR"),
    ("param_counts", (48, 656, 4010), "k²"),
    ("param_counts", (208, 3216), None),          # two numbers instead of three
    ("param_counts", (208, 3216, 4000), None),
    ("mac_counts", (156800, 627200, 4000), "10 × 10"),
    ("mac_counts", (156800, 40000, 4000), "all 8 input channels"),
    ("mac_counts", (208, 3216, 4010), "parameter counts"),
    ("mac_counts", (200, 3200, 4000), "parameter counts"),
    ("mac_counts", (156800, 320000, 4010), None),
    ("rf_after_pool2", 11, "Strides are ignored"),
    ("rf_after_pool2", 14, "kernel sizes"),
    ("rf_after_pool2", 19, "own stride"),
    ("rf_after_pool2", 28, None),
]


@pytest.mark.parametrize("name, value, hint", WRONG_ANSWERS,
                         ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(WRONG_ANSWERS)])
def test_budget_rejects_wrong_values_with_the_right_hint(name, value, hint):
    result = ANSWERS[name].run(value)
    assert result.status == "fail", result.text
    if hint is None:
        assert result.hint is None, result.hint
    else:
        assert result.hint is not None and hint in result.hint, result.text


@pytest.mark.parametrize("name", sorted(ANSWERS))
@pytest.mark.parametrize("value", [None, ..., "400", [1, 2, 3], np.nan, {"a": 1}, (None, None)],
                         ids=repr)
def test_budget_survives_placeholders_and_garbage(name, value):
    result = ANSWERS[name].run(value)
    if value is None or value is Ellipsis:
        assert result.status == "not_attempted"
    else:
        assert result.status == "fail" and result.text
