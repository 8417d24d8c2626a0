"""Checkers for Chapter 2, *Activation functions*. Use: ``from nnbook.exercises import activations as check``.

Every function takes the pre-activation ``z`` (any shape) and is compared with
:mod:`nnlib.activations` on a few cases, simplest first, ending with extreme inputs.

==========================  ===============================================================
checker                     recognises (hint given)
==========================  ===============================================================
``sigmoid(z)``              ``np.exp(-z)`` overflowing at z = -1000 (incl. the ``np.where``
                            trap: both branches run); σ(−z) sign error; ``math.exp``; z
                            clipped (``np.clip(z, -30, 30)``: σ(−50) = σ(−100) = σ(−30));
                            tiny values imprecise (``1 − (almost 1)``, float32)
``relu(z)``                 Python ``max`` on arrays; ``np.max`` (a reduction) instead of
                            ``np.maximum``; returning the slope; editing ``z`` in place
``relu_prime(z)``           ``z >= 0`` (slope 1 at 0, not PyTorch's 0); returning ReLU itself
``softmax(z)``              no max-shift (overflow → NaN at large logits); the max of the
                            whole batch instead of each row; sum over the wrong axis / the
                            whole batch; missing ``keepdims``
``softmax_jacobian(s)``     the copied ``s * (1 - s)`` (element-wise or on the diagonal);
                            the sign flipped; softmax applied again to ``s``
``sigmoid_prime(z)``        ``z * (1 - z)`` (formula for the activation applied to z); σ applied
                            twice (``a * (1 - a)`` with ``a = σ(σ(z))``); returning σ(z); the
                            tanh pattern ``1 - σ²``; overflow of ``np.exp`` (or, without a
                            hint naming exp, of another operation such as ``np.cosh(z/2)**2``)
``tanh_prime(z)``           ``1 - z**2`` (applied to z); tanh applied twice; missing square;
                            ``1/np.cosh(z)**2`` overflowing
==========================  ===============================================================

Chapter writers may add checkers here; list them in this table.
"""
from __future__ import annotations

import numpy as np

from nnlib import activations as A

from .common import BROADCAST, COMMON, returned_an_input, warned
from .core import Case, Checker, Mistake

__all__ = ["sigmoid", "relu", "relu_prime", "softmax", "softmax_jacobian", "sigmoid_prime",
           "tanh_prime"]

_rng = np.random.default_rng(2)
_Z_SMALL = np.array([-2.0, -1.0, 0.0, 0.5, 3.0])
_Z_BATCH = np.round(_rng.normal(0, 2, size=(3, 4)), 3)
_Z_EXTREME = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])


def _sig_naive(z):
    return 1 / (1 + np.exp(-np.asarray(z, dtype=float)))


_OVERFLOW_EXP = (
    "`np.exp(-z)` overflows for very negative z, and `np.exp(z)` for very positive z (e^1000 is "
    "inf in float64; anything above ~709 is). Only ever exponentiate a non-positive number: with `u = np.exp(-np.abs(z))`, "
    "σ(z) is `1/(1+u)` for z ≥ 0 and `u/(1+u)` for z < 0. Careful: `np.where(c, A, B)` computes "
    "both A and B everywhere, so a branch with `np.exp(-z)` still overflows.")

def _exp_overflowed(o):
    # the overflow happened in an exponential (np.exp, or np.e ** z), not in cosh, square, ...
    return warned(o, "overflow encountered in exp", "overflow encountered in power")


def _clipped(o):
    # distinct very negative inputs whose true σ differ by orders of magnitude came back as one
    # and the same nonzero value: z was clipped (np.clip, np.maximum(z, -30), ...)
    try:
        z = np.asarray(o.args[0], float)
        got, exp = np.asarray(o.got, float), np.asarray(o.expected, float)
        if got.shape != exp.shape or got.shape != z.shape:
            return False
        low = z <= -40
        values = got[low]
        return bool(low.sum() >= 2 and np.all(values > 0) and np.all(values == values[0])
                    and not np.allclose(exp[low], values, rtol=1e-3, atol=0))
    except Exception:
        return False


def _tiny_values_imprecise(o):
    try:
        got, exp = np.asarray(o.got, float), np.asarray(o.expected, float)
        return bool(got.shape == exp.shape and np.all(np.abs(exp) < 1e-6)
                    and np.allclose(got, exp, rtol=0, atol=1e-15)
                    and not np.allclose(got, exp, rtol=1e-9, atol=0))
    except Exception:
        return False


sigmoid = Checker(
    "sigmoid", A.sigmoid, arg_names=("z",), signature="sigmoid(z)",
    cases=[
        Case(_Z_SMALL, label="a few values around 0"),
        Case(_Z_BATCH, label="a batch (3, 4): works element-wise on any shape"),
        Case(_Z_EXTREME, label="extreme inputs: z = ±1000 must not overflow"),
        Case(np.array([-3, 0, 2]), label="integer inputs: the output is still a fraction"),
        Case(np.array([-30.0, -20.0, -50.0, -100.0]), label="very negative z: tiny values, to "
             "full relative precision (no 1 − (almost 1), no clipping of z)", atol=0.0, rtol=1e-9),
    ],
    mistakes=[
        Mistake(_OVERFLOW_EXP, when=_exp_overflowed, on_error=True),
        Mistake("Your σ gives one and the same value for z = −50 and z = −100 (and σ(−30) for "
                "both if you clipped at ±30), but σ(−50) ≈ 1.9e-22 and σ(−100) ≈ 3.7e-44: "
                "clipping z, e.g. `np.clip(z, -30, 30)`, avoids the overflow by changing the "
                "function. Exponentiate only −|z| instead: with `u = np.exp(-np.abs(z))`, σ(z) is "
                "`1/(1+u)` for z ≥ 0 and `u/(1+u)` for z < 0.", when=_clipped),
        Mistake("Right to about 1e-16 in absolute terms, but σ(−30) is only about 1e-13, so "
                "relative to its size your answer is off by far more: the last test case asks for "
                "full relative precision. A float32 result, or a formula that computes "
                "1 − (something very close to 1), such as (1 + tanh(z/2))/2, loses those digits; "
                "for z < 0 use e^z/(1 + e^z), in float64.",
                when=lambda o: _tiny_values_imprecise(o)),
        Mistake("Sign error: σ(z) = 1/(1 + e^(−z)); you computed σ(−z) = 1/(1 + e^(z)).",
                like=lambda z: _sig_naive(-z)),
        Mistake("That is tanh, not the sigmoid: σ(z) = 1/(1 + e^(−z)) lies in (0, 1).",
                like=np.tanh),
        *COMMON,
    ])

relu = Checker(
    "relu", A.relu, arg_names=("z",), signature="relu(z)",
    cases=[
        Case(_Z_SMALL, label="a few values around 0"),
        Case(_Z_BATCH, label="a batch (3, 4)"),
        Case(np.array([0.0, 0.5, 2.0]), label="nothing negative: still a new array"),
        Case(np.array([-7.0, 8.0, 100.0]), label="large inputs pass through unchanged (no cap "
             "at 6)"),
    ], verify=returned_an_input,
    mistakes=[
        Mistake("`np.max(z, 0)` is a reduction (the largest entry along axis 0), not an "
                "element-wise maximum. Use `np.maximum(z, 0)`.",
                like=lambda z: np.max(z, 0)),
        Mistake("That is the slope of ReLU (0 or 1), i.e. `relu_prime`; ReLU itself is "
                "`np.maximum(z, 0)`.", like=lambda z: (np.asarray(z) > 0).astype(float)),
        Mistake("Your function writes into the caller's array `z` (an in-place write, such as "
                "`z[z < 0] = 0`, `z *= ...` or `out=z`). Use `np.maximum(z, 0)`, which returns a "
                "new array.", kinds=("mutated",), when=lambda o: True),
        Mistake("A shortcut like `return z` when nothing is negative hands the caller back its own "
                "array. `np.maximum(z, 0)` returns a new one in every case.",
                when=lambda o: o.problem is not None and "IS the caller's array" in o.problem.message),
        *COMMON,
    ])

relu_prime = Checker(
    "relu_prime", A.relu_prime, arg_names=("z",), signature="relu_prime(z)",
    cases=[
        Case(np.array([-2.0, -0.5, 0.5, 3.0]), label="values away from 0"),
        Case(_Z_SMALL, label="including z = 0"),
        Case(_Z_BATCH, label="a batch (3, 4)"),
    ],
    mistakes=[
        Mistake("At z = 0 ReLU has no derivative; the book (like PyTorch) uses slope 0 there: "
                "`(z > 0)`, not `(z >= 0)`.", like=lambda z: (np.asarray(z) >= 0).astype(float)),
        Mistake("You returned ReLU itself, `max(z, 0)`; its derivative is 1 where z > 0 and 0 "
                "elsewhere: `(z > 0).astype(float)`.", like=lambda z: np.maximum(z, 0)),
        *COMMON,
    ])


def _softmax_axis0(z):
    e = np.exp(z - np.max(z, axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def _softmax_whole(z):
    e = np.exp(z - np.max(z))
    return e / e.sum()


def _softmax_no_keepdims(z):
    e = np.exp(z - np.max(z))
    return e / e.sum(axis=-1)


def _softmax_global_shift(z):
    e = np.exp(z - np.max(z))
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_naive(z):
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


_KEEPDIMS = ("A row reduction without `keepdims` (`z.max(axis=-1)` or `e.sum(axis=-1)`) has shape "
             "(N,), which does not line up with (N, K) (or, worse, silently lines up with the "
             "COLUMNS when N = K). Keep the axis: `z.max(axis=-1, keepdims=True)`, "
             "`e.sum(axis=-1, keepdims=True)`, shape (N, 1).")

_NO_SHIFT = ("e^1000 overflows to inf and inf/inf is NaN. Subtract each row's maximum first: "
             "`z = z - z.max(axis=-1, keepdims=True)`. This does not change the answer, since "
             "softmax(z − c) = softmax(z) for any constant c, and now every exponent is ≤ 0.")

softmax = Checker(
    "softmax", A.softmax, arg_names=("z",), signature="softmax(z)",
    cases=[
        Case(np.array([1.0, 2.0, 3.0]), label="one example, K = 3"),
        Case(_Z_BATCH, label="a batch (3, 4): each ROW is an example and must sum to 1"),
        Case(np.array([[1, 2, 3], [0, 0, 4]]), label="integer logits: the output is still a fraction"),
        Case(np.round(_rng.normal(0, 1, size=(3, 3)), 3),
             label="a square batch (3, 3): rows, not columns"),
        Case(np.array([[1000.0, 1001.0, 1002.0]]), label="large logits: must not overflow"),
        Case(np.array([[800.0, 0.0, -800.0]]),
             label="one row spanning 1600: only subtracting the row MAX keeps every exponent ≤ 0"),
        Case(np.array([[1000.0, 1001.0, 1002.0], [-1002.0, -1001.0, -1000.0]]),
             label="rows on very different scales"),
    ],
    mistakes=[
        Mistake("You summed over axis 0 (down the columns). Rows are examples: normalise each "
                "row with `np.sum(e, axis=-1, keepdims=True)`.", like=_softmax_axis0),
        Mistake("You divided by the sum over the whole batch, so the whole array sums to 1. "
                "Each row must sum to 1: `np.sum(e, axis=-1, keepdims=True)`.",
                like=_softmax_whole),
        Mistake(_KEEPDIMS, like=_softmax_no_keepdims),
        Mistake(_KEEPDIMS, when=lambda o: "could not be broadcast" in o.error_text, on_error=True),
        Mistake("`z -= z.max(...)` subtracts IN PLACE, changing the caller's logits. Write "
                "`z = z - z.max(axis=-1, keepdims=True)`, which makes a new array.",
                kinds=("mutated",)),
        Mistake("You subtracted the maximum of the whole batch. A row whose logits are all far "
                "below it underflows to 0/0 = NaN. Subtract each row's own maximum: "
                "`z.max(axis=-1, keepdims=True)`.", like=_softmax_global_shift),
        Mistake(_NO_SHIFT, like=_softmax_naive),
        Mistake(_NO_SHIFT, when=lambda o: warned(o, "overflow", "invalid value"), on_error=True),
        *COMMON,
    ])


def _jac(s):
    return np.diag(s) - np.outer(s, s)


_COPIED = ("Softmax's derivative is NOT `s * (1 - s)` (that is the sigmoid's formula, carried "
           "over by analogy). Each output depends on every input: J[i, j] = s_i ([i = j] − s_j), "
           "where [i = j] is 1 on the diagonal and 0 elsewhere, a (K, K) matrix: "
           "`np.diag(s) - np.outer(s, s)`.")

softmax_jacobian = Checker(
    "softmax_jacobian", A.softmax_jacobian, arg_names=("s",), signature="softmax_jacobian(s)",
    cases=[
        Case(A.softmax(np.array([1.0, 2.0, 3.0])), label="s = softmax([1, 2, 3])"),
        Case(np.full(4, 0.25), label="uniform probabilities, K = 4"),
        Case(A.softmax(np.round(_rng.normal(0, 1, size=5), 3)), label="K = 5"),
    ],
    mistakes=[
        Mistake(_COPIED, like=lambda s: s * (1 - s)),
        Mistake("Only the diagonal is right: " + _COPIED, like=lambda s: np.diag(s * (1 - s))),
        Mistake("Sign flipped: J = diag(s) − s sᵀ (the diagonal s_i(1 − s_i) is positive).",
                like=lambda s: np.outer(s, s) - np.diag(s)),
        Mistake("The function receives `s`, which is already a softmax output; do not apply "
                "softmax to it again.", like=lambda s: _jac(A.softmax(s))),
        Mistake("`np.diag(s) - s * s` subtracts a vector from every row; the second term is the "
                "outer product s sᵀ: `np.outer(s, s)`.", like=lambda s: np.diag(s) - s * s),
        *COMMON,
    ])


_WRONG_QUANTITY = (
    "You applied the derivative formula to the wrong quantity. `a * (1 - a)` is σ′ written "
    "in terms of the ACTIVATION a = σ(z); this function receives the PRE-activation z. "
    "Compute `s = sigmoid(z)` first, then return `s * (1 - s)`.")

sigmoid_prime = Checker(
    "sigmoid_prime", A.sigmoid_prime, arg_names=("z",), signature="sigmoid_prime(z)",
    cases=[
        Case(_Z_SMALL, label="a few values around 0"),
        Case(_Z_BATCH, label="a batch (3, 4)"),
        Case(_Z_EXTREME, label="extreme inputs: z = ±1000 must not overflow"),
        Case(np.array([-2, 0, 3]), label="integer inputs: the slope is still a fraction"),
    ],
    mistakes=[
        Mistake(_WRONG_QUANTITY, like=lambda z: z * (1 - z)),
        Mistake("σ was applied twice: you computed `a * (1 - a)` with `a = σ(σ(z))` — e.g. "
                "called `sigmoid_prime(sigmoid(z))` inside, or passed an activation into a "
                "function that applies σ itself. The input is z; apply σ once.",
                like=lambda z: A.sigmoid_prime(A.sigmoid(z))),
        Mistake("That is σ(z) itself; its derivative is σ(z) · (1 − σ(z)).", like=A.sigmoid),
        Mistake("`1 - σ(z)**2` is the pattern of tanh′; the sigmoid's is σ(z) · (1 − σ(z)).",
                like=lambda z: 1 - A.sigmoid(z) ** 2),
        Mistake(_OVERFLOW_EXP + " Reuse your stable `sigmoid`.",
                when=_exp_overflowed, on_error=True),
        Mistake("An intermediate value overflows at |z| = 1000 (the message names the operation), "
                "even though σ′(z) itself is tiny there. Compute `s = sigmoid(z)` with a stable "
                "sigmoid and return `s * (1 - s)`: every piece then stays in [0, 1].",
                when=lambda o: warned(o, "overflow") and not _exp_overflowed(o), on_error=True),
        *COMMON,
    ])

tanh_prime = Checker(
    "tanh_prime", A.tanh_prime, arg_names=("z",), signature="tanh_prime(z)",
    cases=[
        Case(_Z_SMALL, label="a few values around 0"),
        Case(_Z_BATCH, label="a batch (3, 4)"),
        Case(_Z_EXTREME, label="extreme inputs: z = ±1000"),
    ],
    mistakes=[
        Mistake("You applied `1 - a**2` to z itself. That formula is tanh′ in terms of the "
                "ACTIVATION a = tanh(z); this function receives z, so compute `t = np.tanh(z)` "
                "first, then `1 - t**2`.", like=lambda z: 1 - z ** 2),
        Mistake("tanh was applied twice (`1 - a**2` with a = tanh(tanh(z))). The input is the "
                "pre-activation z; apply tanh once.", like=lambda z: 1 - np.tanh(np.tanh(z)) ** 2),
        Mistake("Missing square: tanh′(z) = 1 − tanh(z)².", like=lambda z: 1 - np.tanh(z)),
        Mistake("`np.cosh(z)` overflows for |z| > ~710. 1/cosh² equals `1 - np.tanh(z)**2`, "
                "which is stable (np.tanh saturates at ±1).", when=lambda o: warned(o, "overflow"), on_error=True),
        *COMMON,
    ])
