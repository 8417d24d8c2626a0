"""Checkers for Chapter 4, *Loss functions*. Use: ``from nnbook.exercises import losses as check``.

References are :mod:`nnlib.losses` (mean reduction over all entries, like PyTorch). Losses
return a number; gradients have the shape of the prediction.

=========================================  ====================================================
checker                                    recognises (hint given)
=========================================  ====================================================
``mse(y_hat, y)``                          sum instead of mean; no square; MAE; RMSE; a ½
                                           factor
``mse_grad(y_hat, y)``                     missing 1/N; missing factor 2; sign flipped;
                                           dividing by the number of rows instead of all
                                           N·D_out entries
``binary_cross_entropy(p, y)``             no clipping (log 0 → inf, 0·log 0 → NaN; said only
                                           on a case with p = 0 or 1); sign flipped; sum
                                           instead of mean; the (1 − y) term missing; terms
                                           swapped; arguments swapped; log10
``cross_entropy_grad(logits, Y)``          missing 1/N; sign flipped; dividing by N·K;
(``Y`` one-hot, ``(N, K)``)                softmax forgotten; sigmoid instead of softmax;
                                           element-wise softmax derivative; overflow (said only on the large-logit cases)
``huber(y_hat, y, delta)``                 linear piece without −δ/2; linear piece with
                                           −δ²/2; quadratic without ½; branches swapped;
                                           δ ignored; sum instead of mean; r instead of |r|
=========================================  ====================================================
"""
from __future__ import annotations

import numpy as np

from nnlib import losses as L
from nnlib.activations import softmax as _softmax

from .common import COMMON, has_nonfinite, warned
from .core import Case, Checker, Mistake

__all__ = ["mse", "mse_grad", "binary_cross_entropy", "cross_entropy_grad", "huber"]

_rng = np.random.default_rng(4)


def _r(*shape, scale=1.0):
    return np.round(_rng.normal(0, scale, size=shape), 2)


_YH1, _Y1 = np.array([2.5, 0.0, 2.0, 8.0, -1.0]), np.array([3.0, -0.5, 2.0, 7.0, -1.5])
_YH2, _Y2 = _r(4, 3), _r(4, 3)

mse = Checker(
    "mse", L.mse, arg_names=("y_hat", "y"), signature="mse(y_hat, y)",
    cases=[
        Case(_YH1, _Y1, label="5 predictions"),
        Case(_YH2, _Y2, label="a batch (4, 3): the mean over all 12 entries"),
    ],
    mistakes=[
        Mistake("You summed the squared errors; MSE is their MEAN: `np.mean((y_hat - y)**2)`.",
                like=lambda a, b: np.sum((a - b) ** 2)),
        Mistake("The errors must be squared before averaging (positive and negative errors "
                "would cancel).", like=lambda a, b: np.mean(a - b)),
        Mistake("That is the mean ABSOLUTE error (MAE); MSE squares the errors.",
                like=lambda a, b: np.mean(np.abs(a - b))),
        Mistake("That is the ROOT mean squared error; MSE has no square root.",
                like=lambda a, b: np.sqrt(np.mean((a - b) ** 2))),
        Mistake("No ½ here: this book's MSE (like PyTorch's MSELoss) is mean((ŷ − y)²). The ½ "
                "in some texts only tidies the derivative.",
                like=lambda a, b: 0.5 * np.mean((a - b) ** 2)),
        *COMMON,
    ])

mse_grad = Checker(
    "mse_grad", L.mse_grad, arg_names=("y_hat", "y"), signature="mse_grad(y_hat, y)",
    cases=[
        Case(_YH1, _Y1, label="5 predictions"),
        Case(_YH2, _Y2, label="a batch (4, 3): N·D_out = 12 entries"),
        Case(np.array([3, 0, 2]), np.array([1, 1, 1]), label="integer predictions and targets: "
             "the gradient is still a fraction"),
    ],
    mistakes=[
        Mistake("Missing the 1/N: the loss is a MEAN over the N entries, so each entry's "
                "gradient is 2(ŷ − y)/N. Without it the step size grows with the batch size.",
                like=lambda a, b: 2 * (a - b)),
        Mistake("Missing the factor 2: d/dŷ (ŷ − y)² = 2(ŷ − y).",
                like=lambda a, b: (a - b) / a.size),
        Mistake("Sign flipped: the gradient with respect to ŷ is +2(ŷ − y)/N (it points "
                "uphill, towards larger loss).", like=lambda a, b: 2 * (b - a) / a.size),
        Mistake("The mean runs over ALL N·D_out entries (`y_hat.size`), not over the rows "
                "(`len(y_hat)`), because mse averages every entry.",
                like=lambda a, b: 2 * (a - b) / len(a)),
        Mistake("Missing both the 2 and the 1/N: the gradient of mean((ŷ − y)²) is 2(ŷ − y)/N.",
                like=lambda a, b: a - b),
        *COMMON,
    ])

_P1, _T1 = np.array([0.9, 0.2, 0.6, 0.35]), np.array([1.0, 0.0, 1.0, 0.0])
_PCONF, _TCONF = np.array([1.0, 0.0, 0.8, 0.3]), np.array([1.0, 0.0, 1.0, 0.0])

def _has_0_or_1(o) -> bool:
    # the log(0) hint is only true of a case that has a probability of exactly 0 or 1
    p = np.asarray(o.args[0], dtype=float)
    return bool(np.any((p == 0) | (p == 1)))


_CLIP = ("At p = 0 or p = 1 one of the logs sees 0: log(0) = −inf, and 0·log(0) = 0·(−inf) = "
         "NaN (`np.where` does not help: it evaluates both logs for every entry). Clip the "
         "probabilities away from 0 and 1 first: `p = np.clip(p, 1e-7, 1 - 1e-7)` (nnlib uses "
         "eps = 1e-7; anything from 1e-7 to 1e-6 passes here. A smaller eps such as 1e-15 "
         "vanishes in float32, where 1 − 1e-15 rounds to exactly 1: Section 4.7).")

binary_cross_entropy = Checker(
    "binary_cross_entropy", L.binary_cross_entropy, arg_names=("p", "y"),
    signature="binary_cross_entropy(p, y)",
    cases=[
        Case(_P1, _T1, label="4 predicted probabilities"),
        Case(np.array([[0.7, 0.1], [0.4, 0.95]]), np.array([[1.0, 0.0], [0.0, 1.0]]),
             label="a batch (2, 2): the mean over all entries"),
        # three 1s and one 0: a class-balanced mean ((mean over the 1s + mean over the 0s) / 2)
        # equals the plain mean only when the classes are equally frequent, as in the cases above
        Case(np.array([0.8, 0.3, 0.65, 0.1]), np.array([1.0, 1.0, 1.0, 0.0]),
             label="three 1s and one 0: ONE mean over all entries, whatever the class"),
        Case(_PCONF, _TCONF, label="confident predictions p = 1 and p = 0 (must stay finite)",
             atol=2e-6, rtol=1e-4),
        Case(_PCONF.astype(np.float32), _TCONF.astype(np.float32),
             label="the same in float32, where a tiny eps such as 1e-15 does nothing (Section 4.7)",
             atol=2e-6, rtol=1e-4),
        # nnlib (eps = 1e-7) gives 10.92 here and eps = 1e-6 gives 9.38: rtol 0.145 accepts
        # that range (9.33 to 12.50) and no wider; inf, nan or a number like 1.8e308
        # (np.nan_to_num of inf) fails
        Case(np.array([0.0, 1.0, 0.6]), np.array([1.0, 0.0, 1.0]),
             label="confidently WRONG predictions: the loss is large, but finite", rtol=0.145),
    ],
    mistakes=[
        Mistake("Your clipping works in float64 but not in float32: there 1 − ε rounds to exactly 1 "
                "when ε is below about 6e-8, so log(1 − p) is still log(0). Use ε = 1e-7 "
                "(Section 4.7).",
                when=lambda o: "float32" in o.case.label
                and (has_nonfinite(o) or warned(o, "divide by zero", "invalid value")), on_error=True),
        Mistake(_CLIP, when=lambda o: _has_0_or_1(o) and (
            has_nonfinite(o) or warned(o, "divide by zero", "invalid value")), on_error=True),
        Mistake("The arguments are swapped: the prediction `p` comes first and the target `y` "
                "second, and the formula takes the log of p, never of y (Section 4.5).",
                like=lambda p, y: L.binary_cross_entropy(y, p)),
        Mistake("Sign flipped: log p ≤ 0, so the loss needs a minus sign to be ≥ 0: "
                "−mean[y log p + (1 − y) log(1 − p)].",
                like=lambda p, y: np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))),
        Mistake("You summed over the examples; the loss is the MEAN (so it does not grow with "
                "the batch size).", like=lambda p, y: -np.sum(y * np.log(p) + (1 - y) * np.log(1 - p))),
        Mistake("Only the positive term: BCE also penalises p > 0 when y = 0, through "
                "(1 − y) log(1 − p).", like=lambda p, y: -np.mean(y * np.log(p))),
        Mistake("The two terms are swapped: y goes with log p, (1 − y) with log(1 − p).",
                like=lambda p, y: -np.mean(y * np.log(1 - p) + (1 - y) * np.log(p))),
        Mistake("Cross-entropy uses the natural log (`np.log`), not log10 or log2.",
                like=lambda p, y: -np.mean(y * np.log10(p) + (1 - y) * np.log10(1 - p))),
        *COMMON,
    ])


def _onehot(labels, K):
    return np.eye(K)[labels]


_Z1, _Y1H = _r(4, 3, scale=2), _onehot([0, 2, 1, 2], 3)


def _large_logits(o) -> bool:
    # the overflow hint is only true of the cases whose logits can overflow exp (|z| > 709)
    return bool(np.max(np.abs(np.asarray(o.args[0], dtype=float))) > 700)


def _ce_grad(z, Y):
    return L.cross_entropy_grad(z, Y)


cross_entropy_grad = Checker(
    "cross_entropy_grad", _ce_grad, arg_names=("logits", "Y"),
    signature="cross_entropy_grad(logits, Y)",
    cases=[
        Case(_Z1, _Y1H, label="N = 4 examples, K = 3 classes (Y one-hot)"),
        Case(_r(2, 5, scale=2), _onehot([4, 0], 5), label="N = 2, K = 5"),
        Case(np.array([[2, 0, 1], [0, 3, 0]]), _onehot([0, 1], 3).astype(int),
             label="integer logits and labels: probabilities are fractions"),
        Case(np.array([[1000.0, 0.0, -1000.0], [5.0, 1005.0, 0.0]]), _onehot([0, 2], 3),
             label="large logits: must not overflow"),
        Case(np.array([[2000.0, 0.0, 1.0], [-2000.0, -1999.0, -2001.0]]), _onehot([0, 1], 3),
             label="two examples whose logits are 4000 apart: shift each ROW by its own max"),
    ],
    mistakes=[
        Mistake("Missing the 1/N: the loss is the mean over N examples, so the gradient is "
                "(softmax(z) − Y)/N.", like=lambda z, Y: _softmax(z) - Y),
        Mistake("Sign flipped: the gradient is softmax(z) − Y (predicted minus target), over N.",
                like=lambda z, Y: (Y - _softmax(z)) / len(z)),
        Mistake("Divide by the number of EXAMPLES N (`len(logits)`), not by N·K "
                "(`logits.size`): the loss averages over examples, and sums over classes.",
                like=lambda z, Y: (_softmax(z) - Y) / z.size),
        Mistake("Apply softmax to the logits first: the gradient is (softmax(z) − Y)/N, not "
                "(z − Y)/N.", like=lambda z, Y: (z - Y) / len(z)),
        Mistake("Softmax, not the sigmoid: the K probabilities of one example must sum to 1.",
                like=lambda z, Y: (1 / (1 + np.exp(-z)) - Y) / len(z)),
        Mistake("That uses the element-wise derivative s(1 − s) of the softmax (the common "
                "mistake of Chapter 2): each probability depends on EVERY logit of its row, so "
                "the chain rule needs the softmax's full Jacobian, and −Y/P then becomes "
                "(softmax(z) − Y)/N.", like=lambda z, Y: -Y * (1 - _softmax(z)) / len(z)),
        Mistake("inf or NaN at large logits: either the softmax overflows (subtract each row's "
                "max first, `z - z.max(axis=-1, keepdims=True)`), or you divide by a probability "
                "that underflowed to 0 (−Y/P through the softmax's Jacobian): use the simplified "
                "gradient (softmax(z) − Y)/N.",
                when=lambda o: _large_logits(o) and (
                    has_nonfinite(o) or warned(o, "overflow", "invalid value")), on_error=True),
        *COMMON,
    ])


def _huber(y_hat, y, delta, quad=0.5, lin_shift=True, swap=False, absolute=True, reduce=np.mean,
           shift=None):
    r = y_hat - y
    a = np.abs(r) if absolute else r
    small = np.abs(r) <= delta
    if swap:
        small = ~small
    if shift is None:
        shift = 0.5 * delta if lin_shift else 0.0
    linear = delta * (a - shift)
    return reduce(np.where(small, quad * r * r, linear))


_HYH = np.array([0.0, 0.5, -0.3, 3.0, -4.0, 1.0])
_HY = np.zeros(6)

huber = Checker(
    "huber", L.huber, arg_names=("y_hat", "y", "delta"), signature="huber(y_hat, y, delta)",
    cases=[
        Case(np.array([0.2, -0.5, 0.1]), np.zeros(3), 1.0, label="small errors (quadratic part)"),
        Case(_HYH, _HY, 1.0, label="errors on both sides of δ = 1"),
        # the error 5 tells δ(|r| − δ²/2) (gives 6) from δ ignored (gives 4.5); without it both
        # give 6.67/6 on this case and the hint could blame the wrong one
        Case(np.append(_HYH, 5.0), np.zeros(7), 2.0, label="δ = 2"),
        Case(np.array([1.5, -0.3, 3.0, -1.2]), np.zeros(4), 2.0,
             label="δ = 2 with errors between 1 and δ: the switch is at δ, not at 1"),
        Case(np.array([0.7, -0.2, 0.4]), np.zeros(3), 0.5, label="δ = 0.5, below 1"),
        Case(np.array([[0.5, -2.0], [3.0, 0.25]]), np.array([[0.0, 0.0], [1.0, 1.0]]), 1.0,
             label="a batch (2, 2): the mean over ALL entries is one number"),
        Case(np.array([3, 0, 1]), np.array([0, 0, 2]), 1.0, label="integer inputs: the loss is "
             "still a fraction"),
    ],
    mistakes=[
        Mistake("The linear piece must meet the quadratic one at |r| = δ: use δ(|r| − δ/2), "
                "not δ|r| (the curve would jump at δ).",
                like=lambda a, b, d: _huber(a, b, d, lin_shift=False)),
        Mistake("The linear piece is δ(|r| − δ/2): half of δ, not half of δ² (only then do the "
                "pieces meet at |r| = δ).", like=lambda a, b, d: _huber(a, b, d, shift=0.5 * d * d)),
        Mistake("The quadratic piece is ½r² (so its slope r matches the linear piece's slope δ "
                "at |r| = δ).", like=lambda a, b, d: _huber(a, b, d, quad=1.0)),
        Mistake("The pieces switch at |r| = δ, not at |r| = 1: compare |r| with `delta`.",
                like=lambda a, b, d: float(np.mean(np.where(
                    np.abs(np.asarray(a, float) - b) <= 1, 0.5 * (np.asarray(a, float) - b) ** 2,
                    d * (np.abs(np.asarray(a, float) - b) - 0.5 * d))))),
        Mistake("Branches swapped: small errors (|r| ≤ δ) are squared, large ones grow linearly.",
                like=lambda a, b, d: _huber(a, b, d, swap=True)),
        Mistake("You ignored `delta` (used 1): the switch point and the linear slope are δ.",
                like=lambda a, b, d: _huber(a, b, d if d == 1.0 else 1.0)),
        Mistake("You summed; the loss is the MEAN over the entries.",
                like=lambda a, b, d: _huber(a, b, d, reduce=np.sum)),
        Mistake("The linear piece needs |r|: with r itself, large negative errors give a "
                "negative loss.", like=lambda a, b, d: _huber(a, b, d, absolute=False)),
        *COMMON,
    ])
