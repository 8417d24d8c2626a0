"""Chapter 14's checkers (``nnbook.exercises.autoencoders``): each accepts right answers written
as a student would, rejects realistic wrong ones with the hint that names THAT mistake (or with
no hint where none fits), and survives hostile code."""
from __future__ import annotations

import math

import numpy as np
import pytest

from nnbook.exercises import autoencoders as check
from nnbook.exercises.core import Checker
from nnlib.activations import sigmoid
from nnlib.divergences import gaussian_kl_per_example
from nnlib.layers.reparameterize import reparameterize_backward

CHECKERS = {name: obj for name, obj in vars(check).items() if isinstance(obj, Checker)}


# --------------------------------------------------------------------------- right answers
def kl(mu, logvar):
    return 0.5 * np.sum(mu ** 2 + np.exp(logvar) - logvar - 1, axis=1)


def kl_keras_form(mu, logvar):
    # the form most code writes: −½ Σ (1 + log σ² − μ² − σ²)
    return -0.5 * np.sum(1 + logvar - np.square(mu) - np.exp(logvar), axis=-1)


def kl_loop(mu, logvar):
    out = []
    for m_row, lv_row in zip(mu, logvar):
        total = 0.0
        for m, lv in zip(m_row, lv_row):
            var = math.exp(lv)
            total += 0.5 * (m * m + var - math.log(var) - 1)
        out.append(total)
    return np.array(out)


def rb(grad_z, logvar, eps):
    sigma = np.exp(0.5 * logvar)
    return grad_z, grad_z * eps * sigma / 2


def rb_sqrt(grad_z, logvar, eps):
    # via the variance: σ = √(σ²), dσ/d(log σ²) = σ/2
    var = np.exp(logvar)
    return grad_z.copy(), 0.5 * grad_z * eps * np.sqrt(var)


def auc_pairs(s_n, s_a):
    total = 0.0
    for a in s_a:
        for n in s_n:
            total += 1.0 if a > n else 0.5 if a == n else 0.0
    return total / (len(s_a) * len(s_n))


def auc_sklearn(s_n, s_a):
    from sklearn.metrics import roc_auc_score
    y = np.r_[np.zeros(len(s_n)), np.ones(len(s_a))]
    return roc_auc_score(y, np.r_[s_n, s_a])


def auc_ranks(s_n, s_a):
    # Mann–Whitney U from average ranks
    from scipy.stats import rankdata
    ranks = rankdata(np.r_[s_n, s_a])
    m, n = len(s_a), len(s_n)
    return (ranks[n:].sum() - m * (m + 1) / 2) / (m * n)


def flag(model, X_val, X_new, fpr):
    def errors(X):
        return np.sum((sigmoid(model.predict(X)) - X) ** 2, axis=1)
    return errors(X_new) > np.quantile(errors(X_val), 1 - fpr)


def flag_mse_percentile(model, X_val, X_new, fpr):
    # mean instead of sum over pixels ranks the rows the same; np.percentile in percent
    def errors(X):
        x_hat = 1 / (1 + np.exp(-model(X)))
        return ((x_hat - X) ** 2).mean(axis=1)
    threshold = np.percentile(errors(X_val), 100 * (1 - fpr))
    return np.array([e > threshold for e in errors(X_new)])


SOLUTIONS = {
    "kl_per_example": [kl, kl_keras_form, kl_loop],
    "reparameterize_backward": [rb, rb_sqrt],
    "pairwise_auc": [auc_pairs, auc_sklearn, auc_ranks],
    "flag_anomalies": [flag, flag_mse_percentile],
}


# --------------------------------------------------------------------------- wrong answers
def _kl(mu, lv, var=None, log_var=None, sq=True, one=True, axis=1, reduce="sum"):
    var = np.exp(lv) if var is None else var
    log_var = lv if log_var is None else log_var
    terms = 0.5 * ((mu ** 2 if sq else mu) + var - log_var - (1 if one else 0))
    return terms.sum(axis=axis) if reduce == "sum" else terms.mean(axis=axis)


def _errors(model, X, image=True, squared=True):
    out = model.predict(X)
    out = sigmoid(out) if image else out
    d = out - X
    return (d ** 2 if squared else np.abs(d)).sum(axis=1)


WRONG = [
    # (checker, wrong function, words the hint must contain; None: no specific hint)
    ("kl_per_example", lambda mu, lv: -kl(mu, lv), "sign is flipped"),
    ("kl_per_example", lambda mu, lv: kl(mu, lv)[:, None], "drop `keepdims=True`"),
    ("kl_per_example", lambda mu, lv: 0.5 * np.sum(1 + lv - mu ** 2 - np.exp(lv), axis=1), "sign is flipped"),
    ("kl_per_example", lambda mu, lv: 2 * kl(mu, lv), "½ is missing"),
    ("kl_per_example", lambda mu, lv: _kl(mu, lv, var=np.exp(2 * lv), log_var=2 * lv), "not log σ"),
    ("kl_per_example", lambda mu, lv: _kl(mu, lv, var=np.exp(2 * lv)), "σ⁴"),
    ("kl_per_example", lambda mu, lv: _kl(mu, lv, var=np.exp(lv / 2)), "not σ = exp"),
    ("kl_per_example", lambda mu, lv: _kl(mu, lv, log_var=-lv), "sign of the log term"),
    ("kl_per_example", lambda mu, lv: _kl(mu, lv, one=False), "−1 is missing"),
    ("kl_per_example", lambda mu, lv: _kl(mu, lv, sq=False), "μ must be squared"),
    ("kl_per_example", lambda mu, lv: _kl(mu, lv, reduce="mean"), "SUM over the latent"),
    ("kl_per_example", lambda mu, lv: np.mean(kl(mu, lv)), "single number"),
    ("kl_per_example", lambda mu, lv: np.sum(kl(mu, lv)), "single number"),
    ("kl_per_example", lambda mu, lv: _kl(mu, lv, axis=0), "batch axis 0"),
    ("kl_per_example", lambda mu, lv: 0.5 * np.sum(mu ** 2 + np.exp(lv) - np.log(lv) - 1, axis=1), None),
    ("kl_per_example", lambda mu, lv: 0.5 * np.sum(mu ** 2 + lv - np.log(lv) - 1, axis=1), None),
    ("reparameterize_backward", lambda g, lv, e: (g * e * np.exp(lv / 2) / 2, g), "Swap"),
    ("reparameterize_backward", lambda g, lv, e: (g, g * e * np.exp(lv / 2)), "½ is missing"),
    ("reparameterize_backward", lambda g, lv, e: (g, g * e * np.exp(lv)), "common mistake"),
    ("reparameterize_backward", lambda g, lv, e: (g, g * e * np.exp(lv) / 2), "not exp(logvar)"),
    ("reparameterize_backward", lambda g, lv, e: (g, g * e), "dL/dσ"),
    ("reparameterize_backward", lambda g, lv, e: (g, g * np.exp(lv / 2) / 2), "ε is missing"),
    ("reparameterize_backward", lambda g, lv, e: (g * np.exp(lv / 2), g * e * np.exp(lv / 2) / 2), "slope 1"),
    ("reparameterize_backward", lambda g, lv, e: (g * e, g * e * np.exp(lv / 2) / 2), "slope 1"),
    ("reparameterize_backward", lambda g, lv, e: (g.sum(0), (g * e * np.exp(lv / 2) / 2).sum(0)), "no sum"),
    ("reparameterize_backward", lambda g, lv, e: (g, g * e * np.exp(lv / 2) / 2 * np.exp(lv / 2)), "not exp(logvar)"),
    ("reparameterize_backward", lambda g, lv, e: (g, g * e / (2 * np.exp(lv / 2))), None),
    ("pairwise_auc", lambda n, a: 1 - auc_pairs(n, a), "1 − the right one"),
    ("pairwise_auc", lambda n, a: auc_sklearn(a, n), "1 − the right one"),
    ("pairwise_auc", lambda n, a: float(np.mean(np.asarray(a)[None, :] > np.asarray(n)[:, None])), "counted ties as 0"),
    ("pairwise_auc", lambda n, a: float(np.mean(np.asarray(a)[None, :] >= np.asarray(n)[:, None])), "not 1"),
    ("pairwise_auc", lambda n, a: float(np.mean([x > y for x, y in zip(a, n)])), "EVERY anomaly"),
    ("pairwise_auc", lambda n, a: float(np.mean(np.asarray(a) > np.asarray(n))), "EVERY anomaly"),
    ("pairwise_auc", lambda n, a: float(np.mean(np.asarray(a) > np.median(n))), "EVERY anomaly"),
    ("pairwise_auc", lambda n, a: (2 * int(np.sum(np.asarray(a)[None, :] > np.asarray(n)[:, None]))
                                   + int(np.sum(np.asarray(a)[None, :] == np.asarray(n)[:, None]))) // 2
     / (len(n) * len(a)), "counted ties as 0"),           # whole pairs only: an odd tie is lost
    ("pairwise_auc", lambda n, a: float(np.mean(a) > np.mean(n)), "means or medians"),
    ("pairwise_auc", lambda n, a: float(np.mean(np.asarray(a) > np.max(n))), "LARGEST normal"),
    ("pairwise_auc", lambda n, a: auc_pairs(n, a) * len(n) * len(a), "number of pairs"),
    ("pairwise_auc", lambda n, a: auc_pairs(n, a) * len(n) * len(a) / (len(n) + len(a)), "n + m"),
    ("pairwise_auc", lambda n, a: float(np.median(a) > np.median(n)), "means or medians"),
    ("pairwise_auc", lambda n, a: float(np.mean(a) / (np.mean(a) + np.mean(n))), None),
    ("flag_anomalies", lambda m, v, n, f: np.flatnonzero(flag(m, v, n, f)), "boolean mask"),
    ("flag_anomalies", lambda m, v, n, f: flag(m, v, n, f).astype(float), "return booleans"),
    ("flag_anomalies", lambda m, v, n, f: np.sum(sigmoid(m.predict(n)) - n, axis=1)
     > np.quantile(np.sum(sigmoid(m.predict(v)) - v, axis=1), 1 - f), "signed errors cancel"),
    ("flag_anomalies", lambda m, v, n, f: _errors(m, n) > np.quantile(_errors(m, n), 1 - f), "NORMAL validation"),
    ("flag_anomalies", lambda m, v, n, f: _errors(m, n, image=False) > np.quantile(_errors(m, v, image=False), 1 - f),
     "LOGITS"),
    ("flag_anomalies", lambda m, v, n, f: _errors(m, n) > np.quantile(_errors(m, v), f), "(1 − fpr)-quantile"),
    ("flag_anomalies", lambda m, v, n, f: _errors(m, n) < np.quantile(_errors(m, v), 1 - f), "scores > threshold"),
    ("flag_anomalies", lambda m, v, n, f: np.full(len(n), np.sum((sigmoid(m.predict(n)) - n) ** 2)
                                                  > np.quantile(_errors(m, v), 1 - f)), "Score each row"),
    ("flag_anomalies", lambda m, v, n, f: _errors(m, n, squared=False) > np.quantile(_errors(m, v, squared=False), 1 - f),
     "SQUARED"),
    ("flag_anomalies", lambda m, v, n, f: _errors(m, n) > _errors(m, v).max(), "ignores fpr"),
    ("flag_anomalies", lambda m, v, n, f: _errors(m, n) > np.mean(_errors(m, v)) + 2 * np.std(_errors(m, v)),
     "ignores fpr"),
    ("flag_anomalies", lambda m, v, n, f: _errors(m, n) > np.quantile(_errors(m, np.vstack([v, n])), 1 - f),
     "NORMAL validation"),
]


def test_every_checker_has_solutions_and_eight_wrong_answers():
    assert set(CHECKERS) == set(SOLUTIONS) == set(check.__all__)
    counts = {name: sum(1 for n, _, _ in WRONG if n == name) for name in CHECKERS}
    assert all(c >= 8 for c in counts.values()), counts


@pytest.mark.parametrize("name, solution", [(n, s) for n, sols in SOLUTIONS.items() for s in sols],
                         ids=[f"{n}-{s.__name__}" for n, sols in SOLUTIONS.items() for s in sols])
def test_accepts_right_answers(name, solution):
    result = CHECKERS[name].run(solution)
    assert result.passed, result.text


@pytest.mark.parametrize("name, wrong, hint", WRONG, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(WRONG)])
def test_rejects_a_wrong_answer_with_the_intended_hint(name, wrong, hint):
    result = CHECKERS[name].run(wrong)
    assert result.status == "fail", result.text
    if hint is None:
        assert result.hint is None, f"a hint that names another mistake:\n{result.text}"
    else:
        assert result.hint is not None and hint in result.hint, result.text


def test_each_hint_fires_for_its_own_mistake_only():
    """No two wrong answers that should get different hints get the same one."""
    by_hint = {}
    for name, wrong, words in WRONG:
        if words is None:
            continue
        hint = CHECKERS[name].run(wrong).hint
        by_hint.setdefault((name, hint), set()).add(words)
    assert all(len(words) == 1 for words in by_hint.values()), by_hint


def test_references_are_nnlib_and_agree_with_scikit_learn():
    r = np.random.default_rng(0)
    mu, lv = r.normal(size=(5, 3)), r.normal(size=(5, 3))
    np.testing.assert_allclose(check.kl_per_example.reference(mu, lv), gaussian_kl_per_example(mu, lv))
    g, e = r.normal(size=(5, 3)), r.normal(size=(5, 3))
    for a, b in zip(check.reparameterize_backward.reference(g, lv, e), reparameterize_backward(g, lv, e)):
        np.testing.assert_array_equal(a, b)
    for case in check.pairwise_auc.cases:
        assert check.pairwise_auc.expected_for(case) == pytest.approx(auc_sklearn(*case.args), abs=1e-12)


def test_flag_cases_have_mixed_verdicts_and_no_score_near_the_threshold():
    """A case where every row gets the same verdict, or one score sits on the threshold, would
    let a wrong answer pass by luck or fail a right one by rounding."""
    for case in check.flag_anomalies.cases:
        model, X_val, X_new, fpr = case.args
        flags = check.flag_anomalies.expected_for(case)
        assert 0 < flags.sum() < len(flags)
        scores = np.sum((sigmoid(model.predict(X_new)) - X_new) ** 2, axis=1)
        threshold = np.quantile(np.sum((sigmoid(model.predict(X_val)) - X_val) ** 2, axis=1), 1 - fpr)
        assert np.min(np.abs(scores - threshold)) > 1e-6 * threshold
        # the leak (threshold from X_new) gives different flags in every case
        leak = scores > np.quantile(scores, 1 - fpr)
        assert not np.array_equal(leak, flags)


# --------------------------------------------------------------------------- hostile code
def _raises(*args):
    raise ValueError("reader bug")


def _stub(*args):
    raise NotImplementedError


def _forever(*args):
    while True:
        pass


def _chatty(*args):
    for i in range(50_000):
        print("z =", i)
    return "done"


def _mutates(*args):
    for a in args:
        if isinstance(a, np.ndarray) and a.dtype.kind == "f":
            a *= 2
    return SOLUTIONS_FIRST[_mutates.name](*args)


SOLUTIONS_FIRST = {name: sols[0] for name, sols in SOLUTIONS.items()}

HOSTILE = {
    "raises": (_raises, "ValueError: reader bug"),
    "none": (lambda *a: None, "returned None"),
    "string": (lambda *a: "garbage", "expected"),
    "wrong-shape": (lambda *a: np.zeros((7, 7, 7)), "expected"),
    "forever": (_forever, "did not finish"),
    "chatty": (_chatty, "printed"),
    "object": (lambda *a: object(), "expected"),
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
@pytest.mark.parametrize("name", sorted(CHECKERS))
def test_survives_hostile_code(name, kind, monkeypatch, capsys):
    checker = CHECKERS[name]
    monkeypatch.setattr(checker, "timeout", 0.15)
    fn, words = HOSTILE[kind]
    checker(fn)
    out = capsys.readouterr().out
    assert out.startswith("❌") and words in out
    assert "z = 49999" not in out


@pytest.mark.parametrize("name", sorted(CHECKERS))
def test_mutating_an_input_is_reported(name, capsys):
    _mutates.name = name
    result = CHECKERS[name].run(_mutates)
    assert result.status == "fail"


@pytest.mark.parametrize("name", sorted(CHECKERS))
def test_nan_output_is_reported(name):
    checker = CHECKERS[name]
    expected = checker.expected_for(checker.cases[0])
    nan = tuple(np.full(np.shape(e), np.nan) for e in expected) if isinstance(expected, tuple) \
        else np.full(np.shape(expected), np.nan)
    result = checker.run(lambda *a: nan)
    assert result.status == "fail" and "contains nan" in result.text


@pytest.mark.parametrize("name", sorted(CHECKERS))
def test_untouched_stub_is_not_attempted_and_strict_raises(name, capsys):
    checker = CHECKERS[name]
    checker(_stub)
    assert "not attempted yet" in capsys.readouterr().out
    with pytest.raises(AssertionError):
        checker(_stub, strict=True)


@pytest.mark.parametrize("name", sorted(CHECKERS))
def test_strict_mode_passes_the_first_solution(name, capsys):
    CHECKERS[name](SOLUTIONS_FIRST[name], strict=True)
    assert "✅" in capsys.readouterr().out


def test_the_first_flag_case_tells_every_mistake_apart():
    """Every flag_anomalies mistake gives verdicts of its own on case 1, so its hint (and no
    other) fires there; mean + 2·std may coincide with the largest score (the same hint)."""
    model, X_val, X_new, fpr = check.flag_anomalies.cases[0].args
    flags = {
        "right": check._flags(model, X_val, X_new, fpr),
        "leak": check._flags(model, X_val, X_new, fpr, from_new=True),
        "pooled": check._flags(model, X_val, X_new, fpr, pooled=True),
        "logits": check._flags(model, X_val, X_new, fpr, image=False),
        "fpr-quantile": check._flags(model, X_val, X_new, fpr, q=lambda f: f),
        "reversed": check._flags(model, X_val, X_new, fpr, reverse=True),
        "absolute": check._flags(model, X_val, X_new, fpr, squared=False),
        "max": check._flags(model, X_val, X_new, fpr, q=lambda f: 1.0),
    }
    assert all(0 < f.sum() < len(f) for f in flags.values())
    assert len({f.tobytes() for f in flags.values()}) == len(flags)
