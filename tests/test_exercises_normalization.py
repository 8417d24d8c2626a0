"""Chapter 7's checkers (``nnbook.exercises.normalization``): each accepts right answers written
as a student would, rejects realistic wrong ones with the hint that names THAT mistake (or with
no hint where none fits), and survives hostile code."""
from __future__ import annotations

import math

import numpy as np
import pytest

from nnbook.exercises import normalization as check
from nnbook.exercises.core import Checker
from wrong_answers import assert_each_hint_fires_only_for_its_own_mistake, assert_rejected_with_hint

CHECKERS = {name: obj for name, obj in vars(check).items() if isinstance(obj, Checker)}


# --------------------------------------------------------------------------- right answers
def init_std(D_in, D_out, activation):
    if activation == "relu":
        return np.sqrt(2 / D_in)
    return np.sqrt(2 / (D_in + D_out))


def init_std_gain(D_in, D_out, activation):
    # written with PyTorch's vocabulary: a gain times √(2/(fan_in + fan_out)), or He's rule
    fan_in, fan_out = D_in, D_out
    return math.sqrt(2.0 / fan_in) if activation == "relu" else 1.0 * math.sqrt(2.0 / (fan_in + fan_out))


def bn_forward(x, gamma, beta, running_mean, running_var, training, momentum, eps):
    if training:
        mean = x.mean(axis=0)
        var = x.var(axis=0)
        n = x.shape[0]
        running_mean = (1 - momentum) * running_mean + momentum * mean
        running_var = (1 - momentum) * running_var + momentum * var * n / (n - 1)
    else:
        mean, var = running_mean, running_var
    x_hat = (x - mean) / np.sqrt(var + eps)
    return gamma * x_hat + beta, running_mean, running_var


def bn_forward_ddof(x, gamma, beta, running_mean, running_var, training, momentum, eps):
    # the same, with np.var(ddof=1) for the running update: a different but right spelling
    x = np.asarray(x, dtype=float)
    if not training:
        return gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta, running_mean, running_var
    mu, var = np.mean(x, axis=0), np.var(x, axis=0)
    y = gamma * (x - mu) / np.sqrt(var + eps) + beta
    new_mean = running_mean + momentum * (mu - running_mean)
    new_var = running_var + momentum * (np.var(x, axis=0, ddof=1) - running_var)
    return y, new_mean, new_var


def bn_backward(grad_out, x_hat, gamma, inv_std):
    N = grad_out.shape[0]
    dx_hat = grad_out * gamma
    dx = inv_std / N * (N * dx_hat - dx_hat.sum(axis=0) - x_hat * (dx_hat * x_hat).sum(axis=0))
    return dx, (grad_out * x_hat).sum(axis=0), grad_out.sum(axis=0)


def bn_backward_staged(grad_out, x_hat, gamma, inv_std):
    # the cs231n-style staged derivation: through the variance, then through the mean
    N = grad_out.shape[0]
    dx_hat = grad_out * gamma
    xmu = x_hat / inv_std                                 # x − μ
    dvar = np.sum(dx_hat * xmu, axis=0) * -0.5 * inv_std ** 3
    dmu = np.sum(-dx_hat * inv_std, axis=0) + dvar * np.mean(-2 * xmu, axis=0)
    dx = dx_hat * inv_std + dvar * 2 * xmu / N + dmu / N
    return dx, np.sum(grad_out * x_hat, axis=0), np.sum(grad_out, axis=0)


SOLUTIONS = {
    "init_std": [init_std, init_std_gain],
    "batchnorm_forward": [bn_forward, bn_forward_ddof],
    "batchnorm_backward": [bn_backward, bn_backward_staged],
}


# --------------------------------------------------------------------------- wrong answers
def _fwd(**kw):
    """bn_forward with one mistake switched on (the keyword names it)."""
    def f(x, gamma, beta, running_mean, running_var, training, momentum, eps):
        x = np.asarray(x, dtype=float)
        axis = 1 if kw.get("axis1") else 0
        n = x.shape[axis]
        mean = x.mean(axis=axis, keepdims=True)
        var = x.var(axis=axis, ddof=1 if kw.get("ddof") else 0, keepdims=True)
        rm, rv = running_mean, running_var
        if training or kw.get("eval_update"):
            bvar = x.var(axis=0) * (1 if kw.get("biased_running") else n / (n - 1))
            if kw.get("keras"):
                rm = momentum * rm + (1 - momentum) * x.mean(axis=0)
                rv = momentum * rv + (1 - momentum) * bvar
            elif not kw.get("no_update"):
                rm = (1 - momentum) * rm + momentum * x.mean(axis=0)
                rv = (1 - momentum) * rv + momentum * (np.sqrt(bvar) if kw.get("std") else bvar)
        if not training and not kw.get("eval_batch"):
            mean, var = running_mean, running_var
        denom = np.sqrt(var) + eps if kw.get("eps_out") else np.sqrt(var + eps)
        x_hat = (x - mean) / denom
        y = x_hat if kw.get("no_affine") else gamma * x_hat + beta
        return y, rm, rv
    return f


def _bwd(**kw):
    def f(grad_out, x_hat, gamma, inv_std):
        N = grad_out.shape[0]
        dxh = grad_out if kw.get("no_gamma") else grad_out * gamma
        inner = N * dxh
        if not kw.get("no_mean"):
            inner = inner - dxh.sum(axis=0)
        if not kw.get("no_var"):
            inner = inner - x_hat * (dxh * x_hat).sum(axis=0)
        dx = inv_std / N * inner
        if kw.get("no_N"):
            dx = inv_std * inner
        dg, db = (grad_out * x_hat).sum(axis=0), grad_out.sum(axis=0)
        if kw.get("swap"):
            dg, db = db, dg
        if kw.get("dg_mean"):
            dg = (grad_out * x_hat).mean(axis=0)
        if kw.get("db_mean"):
            db = grad_out.mean(axis=0)
        if kw.get("db_unsummed"):
            db = grad_out
        return dx, dg, db
    return f


def _naive_backward(grad_out, x_hat, gamma, inv_std):
    return grad_out * gamma * inv_std, (grad_out * x_hat).sum(axis=0), grad_out.sum(axis=0)


WRONG = [
    # init_std
    ("init_std", lambda i, o, a: 2 / i if a == "relu" else 2 / (i + o), "VARIANCE"),
    ("init_std", lambda i, o, a: np.sqrt(6 / i) if a == "relu" else np.sqrt(6 / (i + o)), "UNIFORM"),
    ("init_std", lambda i, o, a: np.sqrt(2 / o) if a == "relu" else np.sqrt(2 / (i + o)), "fan-IN"),
    ("init_std", lambda i, o, a: np.sqrt(2 / (i + o)), "For a ReLU layer use He"),
    ("init_std", lambda i, o, a: np.sqrt(2 / i), "For tanh"),
    ("init_std", lambda i, o, a: 2 / np.sqrt(i) if a == "relu" else np.sqrt(2 / (i + o)), "ReLU gain"),
    ("init_std", lambda i, o, a: np.sqrt(2 / i) if a == "relu" else np.sqrt(1 / i), "LeCun"),
    ("init_std", lambda i, o, a: np.sqrt(2 / i) if a == "relu"
     else np.sqrt(2 / (i + o)) * (5 / 3 if a == "tanh" else 1), "optional extra factor"),
    ("init_std", lambda i, o, a: np.sqrt(2 / (i + o)) if a == "tanh" else np.sqrt(2 / i), "For tanh"),
    ("batchnorm_forward", lambda x, g, b, rm, rv, t, m, e: bn_forward(x, g, b, rm, rv, t, m, e) if t
     else (g * (np.asarray(x, float) - rm) / np.sqrt(rv) + b, rm, rv), "eps belongs in evaluation mode"),
    ("init_std", lambda i, o, a: np.sqrt(1 / i) if a == "relu" else np.sqrt(2 / (i + o)), "factor 2"),
    ("init_std", lambda i, o, a: np.sqrt(2 / i) if a == "relu" else np.sqrt(1 / (i + o)), "average of 1/D_in"),
    ("init_std", lambda i, o, a: 0.01, "fixed scale"),
    ("init_std", lambda i, o, a: np.sqrt(2) / i if a == "relu" else np.sqrt(2) / (i + o), "whole fraction"),
    ("init_std", lambda i, o, a: np.sqrt(1 / i), "factor 2"),      # LeCun for both: the ReLU case fails first
    ("init_std", lambda i, o, a: np.sqrt(2 / i) if a == "ReLU" else np.sqrt(2 / (i + o)),
     "For a ReLU layer use He"),                                    # compares with "ReLU": never true
    ("init_std", lambda i, o, a: [np.sqrt(2 / i), np.sqrt(2 / o)], None),   # two numbers: no hint fits
    # batchnorm_forward
    ("batchnorm_forward", _fwd(eval_batch=True), "RUNNING statistics"),
    ("batchnorm_forward", _fwd(eval_update=True), "must not change the running"),
    ("batchnorm_forward", _fwd(ddof=True), "BIASED variance"),
    ("batchnorm_forward", _fwd(biased_running=True), "UNBIASED batch variance"),
    ("batchnorm_forward", _fwd(keras=True), "Keras"),
    ("batchnorm_forward", _fwd(axis1=True), "layer normalization"),
    ("batchnorm_forward", _fwd(eps_out=True), "INSIDE the square root"),
    ("batchnorm_forward", _fwd(no_affine=True), "γ·x̂ + β"),
    ("batchnorm_forward", _fwd(no_update=True), "update the running statistics"),
    ("batchnorm_forward", _fwd(std=True), "VARIANCE"),
    ("batchnorm_forward", lambda x, g, b, rm, rv, t, m, e: ((x - x.mean(0)) / np.sqrt(x.var(0) + e) * g + b),
     None),                                                         # returns y only
    ("batchnorm_forward", _fwd(keras=True, ddof=True), "BIASED variance"),   # two mistakes: y first
    # batchnorm_backward
    ("batchnorm_backward", _naive_backward, "constants"),
    ("batchnorm_backward", _bwd(no_mean=True), "mean's term"),
    ("batchnorm_backward", _bwd(no_var=True), "variance's term"),
    ("batchnorm_backward", _bwd(no_gamma=True), "dx̂ = grad_out·γ"),
    ("batchnorm_backward", _bwd(no_N=True), "Divide by N"),
    ("batchnorm_backward", lambda g, xh, gm, s: _bwd()(g, xh, gm, 1 / s), "standard deviation"),
    ("batchnorm_backward", _bwd(swap=True), "swapped"),
    ("batchnorm_backward", _bwd(dg_mean=True), "SUM over the batch: dγ"),
    ("batchnorm_backward", _bwd(db_mean=True), "SUM over the batch: dβ"),
    ("batchnorm_backward", _bwd(db_unsummed=True), "β's shape"),
    ("batchnorm_backward", lambda g, xh, gm, s: (_bwd()(g, xh, gm, s)[0], (g * xh).sum(axis=1), g.sum(axis=0)),
     None),                       # dγ summed over the features: shape (N,) — shape hint for dγ
]
# the last one is a shape error in dgamma: the shape hint names it
WRONG[-1] = (WRONG[-1][0], WRONG[-1][1], "γ's shape")


def test_every_checker_has_solutions_and_eight_wrong_answers():
    assert set(CHECKERS) == set(SOLUTIONS) == set(check.__all__)
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
    # the hints of the wrong-answer set are distinct: no two different mistakes share a hint
    assert_each_hint_fires_only_for_its_own_mistake(CHECKERS, WRONG)


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
    return float("nan")


def _nan_tuple(*a):
    return tuple(np.full_like(np.asarray(x, dtype=float), np.nan) for x in a[:3])


def _mutates(x, *rest):
    out = bn_forward(np.asarray(x, dtype=float), *rest)
    x[...] = 0
    return out


def _prints(*a):
    for i in range(5_000):
        print("debug", i)


def _generator(*a):
    yield 1


def _seterr_raise(*a):
    np.seterr(all="raise")
    return None


HOSTILE = [_raises_type, _raises_index, _loops, _swallows, _nan, _nan_tuple, _prints, _generator,
           _seterr_raise, lambda *a: None, lambda *a: [1, 2, 3], lambda *a: "0.05"]


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


def test_mutating_the_batch_is_reported():
    result = check.batchnorm_forward.run(_mutates)
    assert result.status == "fail" and "modified its input" in result.text


def test_strict_mode_raises_and_passes(capsys):
    check.init_std(init_std, strict=True)
    with pytest.raises(AssertionError, match="fails its check"):
        check.batchnorm_backward(_naive_backward, strict=True)
    assert "❌" in capsys.readouterr().out


def test_reference_is_nnlib():
    # the forward reference is nnlib's BatchNorm layer itself, in both modes
    from nnlib.layers import BatchNorm
    x = np.random.default_rng(0).normal(size=(6, 3))
    bn = BatchNorm(3, dtype=np.float64)
    y = bn(x)
    got, rm, rv = check.batchnorm_forward.reference(x, np.ones(3), np.zeros(3), np.zeros(3),
                                                     np.ones(3), True, 0.1, 1e-5)
    np.testing.assert_allclose(got, y)
    np.testing.assert_allclose(rv, bn.running_var)
