"""Checkers for *Training in practice* (Chapter 9).
Use: ``from nnbook.exercises import practice as check``.

nnlib is the reference: :func:`nnlib.data.standardize` and :func:`nnlib.metrics.precision_recall_f1`;
random search is specified exactly in the exercise (one ``np.random.default_rng(seed)``, each
trial's exponents drawn together with ``rng.uniform(log10(low), log10(high))``), so a right answer
reproduces the reference's trials number for number.

=========================================  ======================================================
checker                                    recognises (hint given)
=========================================  ======================================================
``standardize(X_train, X_other)``          X_other standardized with its own statistics; the
→ (Z_train, Z_other)                       statistics of both sets together; ``ddof=1``; the
                                           statistics of each ROW; a constant column giving nan,
                                           or divided by a tiny eps; min-max scaling; centring
                                           without dividing; X_other left unscaled
``precision_recall_f1(y_true, y_pred)``    precision and recall swapped; F1 as the arithmetic
→ (precision, recall, f1)                  mean; 0/0 giving nan or ZeroDivisionError; the
                                           negative class taken as positive; matches counted as
                                           true positives; percentages
``random_search(evaluate, low, high,       uniform instead of log-uniform sampling; the natural
n_trials, seed)`` → (best_values,          log; the lowest score kept; the last trial returned;
best_score)                                one trial too few; a new generator in every trial;
                                           the last of tied trials kept (>= for >);
                                           draws per hyperparameter instead of per trial; the
                                           best score with another trial's values
=========================================  ======================================================
"""
from __future__ import annotations

import numpy as np

from nnlib.data import standardize as _standardize
from nnlib.metrics import precision_recall_f1 as _prf

from .common import COMMON, has_nonfinite, warned
from .core import Case, Checker, Mistake

__all__ = ["standardize", "precision_recall_f1", "random_search"]


# --------------------------------------------------------------------------- standardize
def _std_reference(X_train, X_other):
    return _standardize(X_train, X_other)


def _std_variant(X_train, X_other, *, stats="train", ddof=0, axis=0, guard="one", kind="z",
                 scale_other=True):
    """Standardization with one thing changed: each keyword is one mistake."""
    A, B = np.asarray(X_train, dtype=float), np.asarray(X_other, dtype=float)
    source = np.vstack([A, B]) if stats == "both" else A
    if kind == "minmax":
        lo, span = source.min(axis=0), np.ptp(source, axis=0)
        span = np.where(span > 0, span, 1.0)
        return (A - lo) / span, (B - lo) / span
    if axis == 1:
        f = lambda X: (X - X.mean(axis=1, keepdims=True)) / np.where(
            X.std(axis=1, keepdims=True) > 0, X.std(axis=1, keepdims=True), 1.0)
        return f(A), f(B)
    mu, sd = source.mean(axis=0), source.std(axis=0, ddof=ddof)
    sd = np.where(sd > 0, sd, 1.0)
    if kind == "center":
        return A - mu, B - mu
    if stats == "own":
        mb, sb = B.mean(axis=0), B.std(axis=0)
        return (A - mu) / sd, (B - mb) / np.where(sb > 0, sb, 1.0)
    return (A - mu) / sd, ((B - mu) / sd if scale_other else B)


def _vs(**mistake):
    return lambda A, B: _std_variant(A, B, **mistake)


def _own_stats(A, B):
    return _std_variant(A, B, stats="own")


def _divided_by_eps(o) -> bool:
    """A column constant in X_train came back huge in X_other: σ + eps with σ = 0."""
    try:
        A = np.asarray(o.args[0], dtype=float)
        const = A.std(axis=0) == 0
        got = np.asarray(o.got[1], dtype=float)[:, const]
        want = np.asarray(o.expected[1])[:, const]
        return bool(const.any() and np.any(np.abs(got) > 1e3 * np.maximum(np.abs(want), 1.0)))
    except Exception:
        return False


_A1 = np.array([[1.0, 10.0], [2.0, 30.0], [3.0, 20.0], [6.0, 60.0]])
_B1 = np.array([[4.0, 40.0], [0.0, 0.0]])
# integer pixels with a column that is 0 in every training image (like the digits' border)
_A2 = np.array([[0, 3, 16, 5], [0, 7, 12, 5], [0, 0, 16, 1], [0, 9, 4, 0], [0, 5, 8, 2]])
_B2 = np.array([[2, 4, 10, 3], [0, 16, 0, 6], [1, 1, 1, 1]])
_rng = np.random.default_rng(9)
_A3 = np.round(_rng.normal([150.0, 0.5, -3.0], [40.0, 0.01, 2.0], size=(12, 3)), 4)
_B3 = np.round(_rng.normal([150.0, 0.5, -3.0], [40.0, 0.01, 2.0], size=(1, 3)), 4)

standardize = Checker(
    "standardize", _std_reference, arg_names=("X_train", "X_other"),
    signature="standardize(X_train, X_other)", output_names=("Z_train", "Z_other"),
    rtol=1e-6, atol=1e-9,
    cases=[
        Case(_A1, _B1, label="4 training rows, 2 features, 2 other rows"),
        Case(_A2, _B2, label="integer pixels; the first column is 0 in every training row"),
        Case(_A3, _B3, label="wide and tiny spreads, ONE other row"),
        Case(np.array([[5.0, 1.0], [5.0, 2.0], [5.0, 4.0]]), np.array([[5.0, 0.0], [7.0, 3.0]]),
             label="a constant column that is not 0: centred, not divided"),
    ],
    mistakes=[
        Mistake("Use the TRAINING mean and standard deviation for X_other too. Statistics computed "
                "on the other set describe data the model must not learn from — and a single "
                "test example has a standard deviation of 0.", part="Z_other", like=_own_stats),
        Mistake("Compute μ and σ from X_train ALONE: statistics of both sets together let the "
                "validation or test data leak into training.", like=_vs(stats="both")),
        Mistake("Use the standard deviation NumPy computes by default (`ddof=0`, divide by N), "
                "as nnlib and scikit-learn's StandardScaler do.", like=_vs(ddof=1)),
        Mistake("One mean and standard deviation per FEATURE: statistics over axis 0 (down the "
                "rows), not over each example's row.", like=_vs(axis=1)),
        Mistake("A column that is constant in X_train has σ = 0, and 0/0 is nan. Divide such "
                "columns by 1 (only centre them): `np.where(sigma > 0, sigma, 1)`.",
                when=lambda o: has_nonfinite(o) or warned(o, "invalid value", "divide by zero")),
        Mistake("σ + eps with a tiny eps divides a column that is constant in X_train by eps: "
                "any other value in X_other becomes enormous. Divide such columns by 1 instead.",
                when=_divided_by_eps),
        Mistake("That is min-max scaling to [0, 1]. Standardize instead: subtract the mean, "
                "divide by the standard deviation.", like=_vs(kind="minmax")),
        Mistake("You centred the columns but did not divide by their standard deviation.",
                like=_vs(kind="center")),
        Mistake("Return X_other standardized too, with the training statistics.",
                part="Z_other", like=_vs(scale_other=False)),
        *COMMON,
    ])


# --------------------------------------------------------------------------- precision, recall, F1
def _counts(t, p):
    t, p = np.asarray(t).astype(int), np.asarray(p).astype(int)
    return (int(np.sum((p == 1) & (t == 1))), int(np.sum((p == 1) & (t == 0))),
            int(np.sum((p == 0) & (t == 1))))


def _ratio(a, b):
    return a / b if b else 0.0


def _prf_variant(t, p, *, swap=False, mean=False, negative=False, matches=False, percent=False):
    t, p = np.asarray(t).astype(int), np.asarray(p).astype(int)
    if negative:
        t, p = 1 - t, 1 - p
    tp, fp, fn = _counts(t, p)
    if matches:
        tp = int(np.sum(t == p))
    P, R = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    if swap:
        P, R = R, P
    F = (P + R) / 2 if mean else _ratio(2 * P * R, P + R)
    scale = 100.0 if percent else 1.0
    return P * scale, R * scale, F * scale


def _vp(**mistake):
    return lambda t, p: _prf_variant(t, p, **mistake)


def _zero_division(o) -> bool:
    return (isinstance(o.error, ZeroDivisionError)
            or (o.error is None and (has_nonfinite(o) or warned(o, "invalid value",
                                                                   "divide by zero"))))


precision_recall_f1 = Checker(
    "precision_recall_f1", _prf, arg_names=("y_true", "y_pred"),
    signature="precision_recall_f1(y_true, y_pred)",
    output_names=("precision", "recall", "f1"), rtol=1e-9, atol=1e-12,
    cases=[
        Case(np.array([1, 0, 1, 1, 0, 0, 0, 1, 0, 0]), np.array([1, 1, 0, 1, 0, 0, 1, 0, 0, 0]),
             label="10 examples, 4 positive"),
        Case(np.array([0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 1, 0]),
             np.array([0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 1, 1]),
             label="12 examples, 3 positive, all found"),
        Case(np.array([True, False, False, True, False]), np.array([True, True, False, False, False]),
             label="booleans (True = positive)"),
        Case(np.array([1, 1, 1, 0, 0, 0, 0]), np.array([1, 0, 0, 1, 1, 0, 0]),
             label="1 of 3 positives found, 1 of 3 alarms right: thirds, not round numbers"),
        Case(np.array([0, 0, 0, 0]), np.array([1, 0, 1, 0]),
             label="no positive examples at all: recall is 0/0, which is 0 by convention"),
        Case(np.array([0, 1, 0, 0, 1]), np.array([0, 0, 0, 0, 0]),
             label="nothing predicted positive: precision is 0/0, defined as 0"),
    ],
    mistakes=[
        Mistake("Precision and recall are swapped. Precision = TP/(TP + FP): of the examples you "
                "CALLED positive, how many are. Recall = TP/(TP + FN): of the POSITIVE examples, "
                "how many you found.", like=_vp(swap=True)),
        Mistake("F1 is the HARMONIC mean, 2·P·R/(P + R), not (P + R)/2: it is low when either "
                "one is low.", part="f1", like=_vp(mean=True)),
        Mistake("When a denominator is 0 (nothing predicted positive, or no positive example) "
                "the ratio is defined as 0 here (scikit-learn's zero_division=0): test the "
                "denominator before dividing.", when=_zero_division, on_error=True),
        Mistake("The positive class is 1 (True). You counted class 0 as positive.",
                like=_vp(negative=True)),
        Mistake("A true positive is an example that is positive AND predicted positive; "
                "`y_true == y_pred` also counts the true negatives.", like=_vp(matches=True)),
        Mistake("Return fractions between 0 and 1, not percentages.", like=_vp(percent=True)),
        *COMMON,
    ])


# --------------------------------------------------------------------------- random search
class Bowl:
    """A stand-in for "train a model with these hyperparameters and return its validation
    score": highest where log10 of the values equals ``peak`` (a smooth bowl in log space)."""

    def __init__(self, *peak):
        self.peak = np.array(peak, dtype=float)

    def __call__(self, values):
        v = np.asarray(values, dtype=float)
        if v.shape != self.peak.shape:
            raise ValueError(f"evaluate: expected {self.peak.size} hyperparameter values, "
                             f"got shape {v.shape}")
        with np.errstate(all="ignore"):
            return float(1.0 - 0.1 * np.sum((np.log10(v) - self.peak) ** 2))

    def __repr__(self):
        peak = ", ".join(f"{p:g}" for p in self.peak)
        return f"evaluate (a stand-in score, best at log10(values) = [{peak}])"


class NegativeBowl(Bowl):
    """Like :class:`Bowl`, but every score is negative (a score such as minus a validation loss)."""

    def __call__(self, values):
        return super().__call__(values) - 10.0

    def __repr__(self):
        return "evaluate (minus a loss: every score is negative)"


class Plateau(Bowl):
    """Like :class:`Bowl`, but the score is rounded to one decimal, as a validation accuracy on a
    small set is: nearby trials tie, and the search must keep the FIRST of the best."""

    def __call__(self, values):
        return round(super().__call__(values), 1)

    def __repr__(self):
        return "evaluate (a stand-in score rounded to 0.1, so trials tie)"


def _search(evaluate, low, high, n_trials, seed, *, linear=False, ln=False, worst=False,
            last=False, fewer=False, reseed=False, by_column=False, mixed=False, last_tie=False):
    low, high = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    rng = np.random.default_rng(seed)
    n = n_trials - 1 if fewer else n_trials
    if by_column:
        draws = np.stack([rng.uniform(np.log10(lo), np.log10(hi), size=n)
                          for lo, hi in zip(low, high)], axis=1)
    trials = []
    for i in range(n):
        if reseed:
            rng = np.random.default_rng(seed)
        if linear:
            values = rng.uniform(low, high)
        elif by_column:
            values = 10.0 ** draws[i]
        elif ln:
            values = np.exp(rng.uniform(np.log10(low), np.log10(high)))
        else:
            values = 10.0 ** rng.uniform(np.log10(low), np.log10(high))
        trials.append((values, evaluate(values)))
    scores = [s for _, s in trials]
    k = len(trials) - 1 if last else int(np.argmin(scores) if worst else np.argmax(scores))
    if last_tie:
        k = len(scores) - 1 - int(np.argmax(scores[::-1]))
    if mixed:
        return trials[-1][0], float(max(scores))
    return trials[k][0], float(trials[k][1])


def _reference_search(evaluate, low, high, n_trials, seed):
    return _search(evaluate, low, high, n_trials, seed)


def _vr(**mistake):
    return lambda *args: _search(*args, **mistake)


random_search = Checker(
    "random_search", _reference_search,
    arg_names=("evaluate", "low", "high", "n_trials", "seed"),
    signature="random_search(evaluate, low, high, n_trials, seed)",
    output_names=("best_values", "best_score"), rtol=1e-9, atol=1e-12,
    cases=[
        Case(Bowl(-1.5), np.array([1e-4]), np.array([1.0]), 8, 0,
             label="one hyperparameter (a learning rate in [1e-4, 1]), 8 trials"),
        Case(Bowl(-1.2, -5.0), np.array([1e-4, 1e-6]), np.array([1.0, 1e-2]), 12, 19,
             label="two hyperparameters, 12 trials (the best is the last)"),
        Case(Bowl(0.5, -2.0, 1.0), np.array([0.1, 1e-3, 1.0]), np.array([100.0, 1.0, 10.0]), 7, 11,
             label="three hyperparameters, 7 trials, seed 11"),
        Case(Bowl(-3.0), np.array([1e-4]), np.array([1.0]), 1, 5, label="a single trial"),
        Case(NegativeBowl(-1.5), np.array([1e-4]), np.array([1.0]), 6, 2,
             label="every score is negative (minus a loss): the best is still the highest"),
        Case(Plateau(-1.0), np.array([1e-4]), np.array([1.0]), 10, 3,
             label="scores rounded to 0.1, so several trials tie: keep the first of the best"),
    ],
    mistakes=[
        Mistake("Start the best score at minus infinity (`best_score = -np.inf`), not at 0: when "
                "every score is negative (minus a loss, say), no trial beats 0 and nothing is "
                "ever kept.",
                when=lambda o: isinstance(o.got, tuple) and len(o.got) == 2
                and o.expected is not None and o.expected[1] < 0
                and (o.got[0] is None or o.got[1] == 0)),
        Mistake("Sample the EXPONENT uniformly: `10 ** rng.uniform(np.log10(low), np.log10(high))`. "
                "Uniform between 1e-4 and 1 puts 90% of the trials above 0.1.", like=_vr(linear=True)),
        Mistake("`np.log10` and `10 **` go together: you mixed base 10 and base e.",
                like=_vr(ln=True)),
        Mistake("A higher score is better: keep the trial with the HIGHEST score.",
                like=_vr(worst=True)),
        Mistake("Return the BEST trial, not the last one: keep track of the best values and score "
                "as you go (or collect all trials and pick the best at the end).",
                like=_vr(last=True)),
        Mistake("Several trials tie for the best score: keep the FIRST of them (update only on a "
                "strictly better score, `>`, not `>=`).", part="best_values",
                like=_vr(last_tie=True)),
        Mistake("Run exactly n_trials trials (`range(n_trials)`): you ran one too few.",
                like=_vr(fewer=True)),
        Mistake("Create the generator ONCE, before the loop: a new `default_rng(seed)` in every "
                "trial draws the same values every time.", like=_vr(reseed=True)),
        Mistake("Draw each trial's values together, in trial order: "
                "`rng.uniform(np.log10(low), np.log10(high))` once per trial gives one value per "
                "hyperparameter. You drew all trials of one hyperparameter at a time.",
                like=_vr(by_column=True)),
        Mistake("The best score is right, but the values returned are another trial's: keep the "
                "values and the score of the same trial.", part="best_values", like=_vr(mixed=True)),
        *COMMON,
    ])
