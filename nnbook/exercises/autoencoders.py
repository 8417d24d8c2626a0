"""Checkers for *Autoencoders* (Chapter 14). Use: ``from nnbook.exercises import autoencoders as check``.

Conventions are nnlib's: a batch of codes is ``(N, d)``; a VAE's encoder gives the means ``mu``
and the log-variances ``logvar`` = log σ² (not log σ), so σ = exp(½·logvar); an autoencoder's
decoder outputs logits, the image is their sigmoid. The references are nnlib's own functions
(:func:`nnlib.divergences.gaussian_kl_per_example`,
:func:`nnlib.layers.reparameterize.reparameterize_backward`); ``pairwise_auc`` is the pairwise
definition (scikit-learn's ``roc_auc_score`` gives the same numbers, see the tests).

==========================================  ====================================================
checker                                     recognises (hint given)
==========================================  ====================================================
``kl_per_example(mu, logvar)`` → (N,)       the sign; the ½; logvar read as log σ (σ² = e^{2·lv});
                                            the standard deviation where the variance belongs;
                                            the log term's sign; the −1 forgotten; μ not squared;
                                            a mean over the latent dimensions; one number for
                                            the batch; a sum over the batch axis
``reparameterize_backward(grad_z, logvar,   the ½ of the chain rule; e^{logvar} for σ; the
eps)`` → (d_mu, d_logvar)                   gradient with respect to σ (grad·ε); ε forgotten;
                                            d_mu scaled by σ or ε; the two outputs swapped;
                                            gradients summed over the batch
``pairwise_auc(scores_normal,               the direction reversed (1 − AUC); ties counted as
scores_anomalous)`` → float                 0 or as 1 instead of ½; pairs matched by position
                                            (zip) instead of all pairs; one summary (mean,
                                            median) of each list compared; anomalies above the
                                            largest normal score; a count, not a fraction;
                                            divided by n + m
``flag_anomalies(model, X_val, X_new,       the threshold taken from X_new, or from X_val and
fpr)`` → bool (N_new,)                      X_new pooled (a leak); the logits scored instead of
                                            the image (sigmoid forgotten); the fpr-quantile
                                            instead of the (1 − fpr)-quantile; one score for the
                                            whole batch; flags reversed; absolute instead of
                                            squared error; a threshold that ignores fpr (the
                                            largest validation score, mean + 2·std); indices
                                            instead of a mask
==========================================  ====================================================
"""
from __future__ import annotations

import numpy as np

from nnlib.activations import sigmoid
from nnlib.divergences import gaussian_kl_per_example
from nnlib.layers import Dense, Tanh
from nnlib.layers.reparameterize import reparameterize_backward as _reparam_backward
from nnlib.model import Sequential

from .common import COMMON
from .core import Case, Checker, Mistake

__all__ = ["kl_per_example", "reparameterize_backward", "pairwise_auc", "flag_anomalies"]

_rng = np.random.default_rng(14)


def _r(*shape, scale=1.0, shift=0.0, digits=3):
    return np.round(_rng.normal(size=shape) * scale + shift, digits)


def _close(a, b) -> bool:
    try:
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-5, atol=1e-8))
    except Exception:
        return False


# --------------------------------------------------------------------------- the KL divergence
def _kl_terms(mu, logvar, var=None, log_var=None, sq=True, minus_one=True):
    mu, logvar = np.asarray(mu, dtype=float), np.asarray(logvar, dtype=float)
    var = np.exp(logvar) if var is None else var
    log_var = logvar if log_var is None else log_var
    return 0.5 * np.sum((mu * mu if sq else mu) + var - log_var - (1 if minus_one else 0), axis=1)


def _kl_batch_mean(o) -> bool:
    return np.size(o.got) == 1 and _close(np.ravel(o.got)[0], np.mean(o.expected))


_KL_MU1 = np.array([[2.0]])
_KL_LV1 = np.array([[1.5]])
_KL_MU = _r(4, 3)
_KL_LV = _r(4, 3, scale=0.7)
_KL_MU_WIDE = _r(3, 5, scale=2.0)
_KL_LV_WIDE = np.array([[-6.0, -2.0, 0.0, 1.5, 3.0], [2.0, -1.0, 0.5, -3.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0]])

kl_per_example = Checker(
    "kl_per_example", gaussian_kl_per_example, arg_names=("mu", "logvar"),
    signature="kl_per_example(mu, logvar)",
    cases=[
        Case(_KL_MU1, _KL_LV1, label="one example, one dimension: μ = 2, log σ² = 1.5"),
        Case(np.array([[0.0, 0.0]]), np.array([[1.0, -0.5]]), label="μ = 0, log σ² = 1 and −0.5"),
        Case(_KL_MU, _KL_LV, label="4 examples, d = 3"),
        Case(_KL_MU_WIDE, _KL_LV_WIDE, label="d = 5, log σ² from −6 to 3"),
    ],
    mistakes=[
        Mistake("The sign is flipped: a KL divergence is never negative. KL = ½ Σ_j (μ² + σ² − "
                "log σ² − 1); the often-quoted form −½ Σ_j (1 + log σ² − μ² − σ²) is the same thing.",
                like=lambda mu, lv: -gaussian_kl_per_example(mu, lv)),
        Mistake("The ½ is missing: KL = ½ Σ_j (μ² + σ² − log σ² − 1).",
                like=lambda mu, lv: 2 * gaussian_kl_per_example(mu, lv)),
        Mistake("`logvar` is log σ², not log σ: the variance is σ² = exp(logvar), and the log term "
                "is logvar itself. You computed the KL of a Gaussian whose variance is exp(2·logvar).",
                like=lambda mu, lv: _kl_terms(mu, lv, var=np.exp(2 * np.asarray(lv)),
                                              log_var=2 * np.asarray(lv))),
        Mistake("The variance σ² = exp(logvar) belongs in the formula; exp(2·logvar) is σ⁴.",
                like=lambda mu, lv: _kl_terms(mu, lv, var=np.exp(2 * np.asarray(lv)))),
        Mistake("σ² (the variance, exp(logvar)) belongs there, not σ = exp(½·logvar).",
                like=lambda mu, lv: _kl_terms(mu, lv, var=np.exp(0.5 * np.asarray(lv)))),
        Mistake("Check the sign of the log term: KL = ½ Σ_j (μ² + σ² − log σ² − 1). (−log σ² is "
                "what makes a tiny variance expensive.)",
                like=lambda mu, lv: _kl_terms(mu, lv, log_var=-np.asarray(lv, dtype=float))),
        Mistake("The −1 is missing: at μ = 0, σ² = 1 the KL must be 0 (q is then the prior itself), "
                "and ½(0 + 1 − 0) = ½ per dimension.",
                like=lambda mu, lv: _kl_terms(mu, lv, minus_one=False)),
        Mistake("μ must be squared: KL = ½ Σ_j (μ² + σ² − log σ² − 1) (a negative mean costs as "
                "much as a positive one).",
                like=lambda mu, lv: _kl_terms(mu, lv, sq=False)),
        Mistake("SUM over the latent dimensions (axis=1), do not average: the dimensions are "
                "independent, so their KLs add. Averaging divides the term by d.",
                like=lambda mu, lv: gaussian_kl_per_example(mu, lv) / np.shape(mu)[1]),
        Mistake("Right numbers, one per example, but shape (N, 1): return shape (N,), so drop "
                "`keepdims=True` from the sum over the latent axis.",
                kinds=("shape",), when=lambda o: np.shape(o.got) == (np.shape(o.args[0])[0], 1)),
        Mistake("Return one KL per EXAMPLE, shape (N,): sum over the latent axis only "
                "(`axis=1`). You returned a single number for the whole batch.",
                kinds=("shape",), when=lambda o: np.ndim(o.got) == 0
                or (np.size(o.got) == 1 and np.shape(o.args[0])[0] > 1)),
        Mistake("The sum runs over the latent dimensions, axis=1, giving one KL per example "
                "(N,). You summed over the batch axis 0.",
                kinds=("shape",), when=lambda o: np.shape(o.got) == (np.shape(o.args[0])[1],)),
        *COMMON,
    ])


# --------------------------------------------------------------------------- reparameterization
def _sigma(lv):
    return np.exp(0.5 * np.asarray(lv, dtype=float))


_RB_G = _r(3, 2)
_RB_LV = _r(3, 2, scale=1.2)
_RB_EPS = _r(3, 2)

reparameterize_backward = Checker(
    "reparameterize_backward", _reparam_backward, arg_names=("grad_z", "logvar", "eps"),
    signature="reparameterize_backward(grad_z, logvar, eps)", output_names=("d_mu", "d_logvar"),
    cases=[
        Case(np.array([[1.0]]), np.array([[np.log(9.0)]]), np.array([[0.3]]),
             label="one number: σ² = 9, ε = 0.3, dL/dz = 1"),
        Case(_RB_G, _RB_LV, _RB_EPS, label="3 examples, d = 2"),
        Case(_r(4, 3), np.array([[-4.0, 0.0, 2.0]] * 4), _r(4, 3), label="log σ² from −4 to 2"),
    ],
    mistakes=[
        Mistake("Swap your two outputs: return (d_mu, d_logvar) in that order.",
                like=lambda g, lv, e: tuple(reversed(_reparam_backward(g, lv, e)))),
        Mistake("The chain rule's ½ is missing: σ = exp(½·logvar), so dσ/d(logvar) = ½σ and "
                "d_logvar = grad_z · ε · ½σ.",
                part="d_logvar", like=lambda g, lv, e: (g, g * e * _sigma(lv))),
        Mistake("σ is exp(½·logvar), not exp(logvar): `logvar` is log σ². Then "
                "d_logvar = grad_z · ε · ½ exp(½·logvar).",
                part="d_logvar", like=lambda g, lv, e: (g, g * e * 0.5 * np.exp(np.asarray(lv, float)))),
        Mistake("σ is exp(½·logvar), not exp(logvar) (Section 14.5's common mistake), and the "
                "chain rule adds a ½: d_logvar = grad_z · ε · ½ exp(½·logvar).",
                part="d_logvar", like=lambda g, lv, e: (g, g * e * np.exp(np.asarray(lv, float)))),
        Mistake("That is dL/dσ = grad_z · ε. The layer's input is log σ², so one more factor of the "
                "chain rule is needed: dσ/d(log σ²) = ½σ.",
                part="d_logvar", like=lambda g, lv, e: (g, g * e)),
        Mistake("ε is missing: z = μ + σ·ε, so dz/dσ = ε, and d_logvar = grad_z · ε · ½σ.",
                part="d_logvar", like=lambda g, lv, e: (g, g * 0.5 * _sigma(lv))),
        Mistake("z = μ + σ·ε depends on μ with slope 1: d_mu = grad_z, unchanged.",
                part="d_mu", when=lambda o: _close(o.got[0], o.args[0] * _sigma(o.args[1]))
                or _close(o.got[0], o.args[0] * o.args[2])),
        Mistake("Return one gradient per ENTRY of μ and log σ², the shape of grad_z: they are the "
                "gradients for this batch's codes, not for a parameter shared by the batch (no sum "
                "over axis 0).",
                kinds=("shape",), when=lambda o: np.ndim(o.problem.got_part) == 1),
        *COMMON,
    ])


# --------------------------------------------------------------------------- AUC
def _auc(scores_normal, scores_anomalous):
    """P(a random anomaly scores higher than a random normal example), ties counting ½."""
    s_n = np.asarray(scores_normal, dtype=float).reshape(-1, 1)
    s_a = np.asarray(scores_anomalous, dtype=float).reshape(1, -1)
    return float(np.mean((s_a > s_n) + 0.5 * (s_a == s_n)))


def _pairs(s_n, s_a, higher, tie):
    s_n = np.asarray(s_n, dtype=float).reshape(-1, 1)
    s_a = np.asarray(s_a, dtype=float).reshape(1, -1)
    return (s_a > s_n if higher else s_a < s_n) + tie * (s_a == s_n)


pairwise_auc = Checker(
    "pairwise_auc", _auc, arg_names=("scores_normal", "scores_anomalous"),
    signature="pairwise_auc(scores_normal, scores_anomalous)",
    cases=[
        Case(np.array([0.1, 0.2, 0.3]), np.array([0.5, 0.9]), label="perfect separation: AUC = 1"),
        Case(np.array([4.0, 1.0, 2.0, 8.0]), np.array([3.0, 5.0]), label="overlapping scores"),
        Case(np.array([1.0, 2.0, 2.0, 3.0]), np.array([2.0, 4.0, 0.5]), label="ties count ½"),
        Case(np.round(_rng.gamma(2.0, 1.0, size=40), 1), np.round(_rng.gamma(3.0, 1.0, size=25), 1),
             label="40 normal and 25 anomalous scores, some tied"),
        Case(np.array([5, 6, 7]), np.array([5, 9, 1, 7]), label="integer scores"),
        Case(np.array([1.0, 2.0, 3.0]), np.array([2.0, 4.0]), label="exactly one tied pair"),
    ],
    mistakes=[
        Mistake("Your AUC is 1 − the right one: a HIGHER score means more anomalous, so count the "
                "pairs in which the anomaly scores higher than the normal example.",
                like=lambda n, a: float(np.mean(_pairs(n, a, higher=False, tie=0.5)))),
        Mistake("Tied pairs count ½ (a coin flip decides them): AUC = mean over all pairs of "
                "[s_a > s_n] + ½·[s_a = s_n]. You counted ties as 0.",
                like=lambda n, a: float(np.mean(_pairs(n, a, higher=True, tie=0.0)))),
        Mistake("Tied pairs count ½, not 1: AUC = mean over all pairs of [s_a > s_n] + ½·[s_a = s_n].",
                like=lambda n, a: float(np.mean(_pairs(n, a, higher=True, tie=1.0)))),
        Mistake("Compare EVERY anomaly with EVERY normal example (n·m pairs) and average the "
                "outcomes: not the i-th with the i-th (the two lists are not paired, and need not "
                "even have the same length), and not with one number such as the normal scores' "
                "mean or median.",
                when=lambda o: "broadcast" in o.error_text or (
                    (_close(o.got, _zipped(*o.args)) or _against_one(o))
                    and not _close(o.got, _summary(*o.args))),
                on_error=True),
        Mistake("That is the fraction of anomalies above the LARGEST normal score (one threshold). "
                "The AUC averages over all thresholds: compare every anomaly with every normal score.",
                like=lambda n, a: float(np.mean(np.asarray(a) > np.max(n)))),
        Mistake("Divide the count of winning pairs by the number of pairs, n·m, to get a fraction.",
                like=lambda n, a: float(np.sum(_pairs(n, a, higher=True, tie=0.5)))),
        Mistake("There are n·m pairs, not n + m: divide by len(scores_normal) · len(scores_anomalous).",
                like=lambda n, a: float(np.sum(_pairs(n, a, higher=True, tie=0.5)) / (len(n) + len(a)))),
        Mistake("Comparing one summary of each list (their means or medians) gives 0 or 1, not a "
                "probability. The AUC compares every anomaly with every normal example and "
                "averages the outcomes.",
                when=lambda o: (_close(o.got, 0.0) or _close(o.got, 1.0)) and 0 < o.expected < 1
                and not _close(o.got, _zipped(*o.args))),
        *COMMON,
    ])


def _zipped(n, a):
    """The i-th anomaly against the i-th normal score only (a mistake)."""
    return float(np.mean([(x > y) + 0.5 * (x == y) for y, x in zip(n, a)]))


def _one_summary(n, a, summary):
    """Each anomaly against one number summarising the normal scores (a mistake)."""
    a, m = np.asarray(a, float), summary(np.asarray(n, float))
    return float(np.mean((a > m) + 0.5 * (a == m)))


def _against_one(o):
    return _close(o.got, _one_summary(*o.args, np.median)) or \
        _close(o.got, _one_summary(*o.args, np.mean))


def _summary(n, a):
    """1.0 or 0.0: the mean (or median) anomaly above the mean (or median) normal score."""
    return float(np.mean(a) > np.mean(n))


# --------------------------------------------------------------------------- flagging anomalies
def _score(model, X, image=True, squared=True, squash_input=False):
    out = model.predict(X)
    out = sigmoid(out) if image else out
    diff = out - (sigmoid(X) if squash_input else X)
    if squared is None:                     # a mistake: signed errors, which cancel
        return np.sum(diff, axis=1)
    return np.sum(diff * diff if squared else np.abs(diff), axis=1)


def _flags(model, X_val, X_new, fpr, image=True, squared=True, q=None, from_new=False, reverse=False,
           pooled=False, squash_input=False):
    ref = X_new if from_new else X_val
    ref = np.vstack([X_val, X_new]) if pooled else ref
    threshold = np.quantile(_score(model, ref, image, squared, squash_input),
                            1 - fpr if q is None else q(fpr))
    s = _score(model, X_new, image, squared, squash_input)
    return s < threshold if reverse else s > threshold


def _model(D=16, k=3, seed=0):
    """A small autoencoder with fixed weights: logits out, like the chapter's models."""
    return Sequential([Dense(D, 8, rng=seed, dtype=np.float64), Tanh(),
                       Dense(8, k, init="xavier", rng=seed + 1, dtype=np.float64),
                       Dense(k, D, init="xavier", rng=seed + 2, dtype=np.float64)])


def _digits_like(n, D=16, seed=0):
    r = np.random.default_rng(seed)
    return np.round(np.clip(r.normal(0.3, 0.35, size=(n, D)), 0, 1), 3)


def _new_rows(model, seed, D=16):
    """Rows to judge: 7 like the validation rows, 2 the model reconstructs almost perfectly (its
    fixed points: tiny errors) and 3 binary noise images (large errors), so that every mistake
    below changes some verdict."""
    fixed = _digits_like(2, D, seed + 9)
    for _ in range(50):
        fixed = sigmoid(model.predict(fixed))
    noise = np.random.default_rng(seed + 11).integers(0, 2, size=(3, D)).astype(float)
    return np.vstack([_digits_like(7, D, seed + 2), np.round(fixed, 3), noise])


def _flag_case(seed, n_val, fpr, rows_seed, label):
    model = _model(seed=seed)
    return Case(model, _digits_like(n_val, seed=seed + 1), _new_rows(model, rows_seed), fpr, label=label)


# The row seeds were searched for (tests/test_exercises_autoencoders.py checks the result): in
# the first case every mistake below gives its own verdicts, different from the right ones.
_FA_CASES = [
    _flag_case(0, 40, 0.1, 24, "40 validation rows, 12 new ones (3 of them noise), fpr = 0.1"),
    _flag_case(3, 60, 0.05, 3, "60 validation rows, fpr = 0.05"),
    _flag_case(12, 25, 0.3, 118, "25 validation rows, fpr = 0.3 (a generous threshold)"),
]

flag_anomalies = Checker(
    "flag_anomalies", _flags, arg_names=("model", "X_val", "X_new", "fpr"),
    signature="flag_anomalies(model, X_val, X_new, fpr)", cases=_FA_CASES,
    verify=lambda o: None if np.asarray(o.got).dtype == bool else (
        f"right verdicts, but not booleans: got {np.asarray(o.got).dtype}"),
    mistakes=[
        Mistake("Right verdicts, but return booleans (True = anomaly), as `scores > threshold` "
                "gives them: a mask of 0. and 1. cannot select rows, `X_new[flags]`.",
                when=lambda o: np.asarray(o.got).dtype != bool
                and np.shape(o.got) == np.shape(o.expected)
                and np.array_equal(np.asarray(o.got) != 0, o.expected)),
        Mistake("Return a boolean mask with one entry per row of X_new (True = anomaly), e.g. "
                "`scores > threshold` — not the indices of the flagged rows.",
                kinds=("shape", "values"),
                when=lambda o: np.issubdtype(np.asarray(o.got).dtype, np.integer)
                and np.array_equal(np.ravel(o.got), np.flatnonzero(o.expected))),
        Mistake("The threshold must come from the NORMAL validation data X_val, never from the data "
                "being judged: a quantile of X_new's own scores flags a fixed fraction of X_new "
                "whatever it contains (a batch of pure noise would get only fpr of it flagged).",
                when=lambda o: _close(o.got, _flags(*o.args, from_new=True))
                or _close(o.got, _flags(*o.args, pooled=True))),
        Mistake("The model outputs LOGITS (like the chapter's autoencoders) and X is already "
                "pixels in [0, 1]: apply the sigmoid to the model's output only, and compare "
                "sigmoid(model.predict(X)) with X itself.",
                when=lambda o: _close(o.got, _flags(*o.args, image=False))
                or _close(o.got, _flags(*o.args, squash_input=True))),
        Mistake("A false-positive rate fpr means a fraction fpr of NORMAL rows lies ABOVE the "
                "threshold: the threshold is the (1 − fpr)-quantile, np.quantile(scores, 1 - fpr).",
                like=lambda m, v, n, f: _flags(m, v, n, f, q=lambda f_: f_)),
        Mistake("Large reconstruction errors are the anomalies: flag `scores > threshold`.",
                like=lambda m, v, n, f: _flags(m, v, n, f, reverse=True)),
        Mistake("Square the error per pixel before summing the row: signed errors cancel (a pixel "
                "too bright and one too dark add to zero), so the sum is not a distance.",
                like=lambda m, v, n, f: _flags(m, v, n, f, squared=None)),
        Mistake("Score each row separately (sum over axis=1, the pixels): one number for the whole "
                "batch makes every row get the same verdict.",
                when=lambda o: np.size(o.got) == np.size(o.expected) and np.size(o.got) > 1
                and len(set(np.ravel(np.asarray(o.got, dtype=float)).tolist())) == 1),
        Mistake("Use the SQUARED error per pixel, summed over the row (as in Section 14.4); the "
                "absolute error ranks the rows differently.",
                like=lambda m, v, n, f: _flags(m, v, n, f, squared=False)),
        Mistake("Your threshold ignores fpr (the largest validation score, or mean + 2·std, flags "
                "whatever fraction it happens to): use the (1 − fpr)-quantile of the validation "
                "scores, np.quantile(scores, 1 - fpr), so that a fraction fpr of normal rows is flagged.",
                like=lambda m, v, n, f: _flags(m, v, n, f, q=lambda f_: 1.0)),
        *COMMON,
    ])
