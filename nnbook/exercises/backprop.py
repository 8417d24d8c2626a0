"""Checkers for Chapter 5, *Backpropagation*. Use: ``from nnbook.exercises import backprop as check``.

Shapes: ``X`` ``(N, D_in)``, ``W`` ``(D_in, D_out)``, ``Z = X @ W + b`` ``(N, D_out)``;
``dZ`` is ∂L/∂Z and already contains the loss's 1/N (mean reduction), so no layer divides
by N again. This is exactly :meth:`nnlib.layers.Dense.backward`.

==================================  ===========================================================
checker                             recognises (hint given)
==================================  ===========================================================
``sigmoid_backward(dA, Z)`` → dZ    ``Z * (1 - Z)``: the derivative formula for the
                                    activation applied to the pre-activation; σ applied
                                    twice; the upstream ``dA`` forgotten (chain rule);
                                    ``dA * σ(Z)``; adding instead of multiplying; 1/N again
``sigmoid_prime_from_activation``   the vice-versa mistake: σ applied again to an input that
``(a)`` → a(1 − a)                  is already the activation; ``1 - a**2`` (tanh's form),
                                    ``a * (1 + a)``; ``float(...)`` of an array
``dense_backward(dZ, X, W)``        ``dW = dZ.T @ X`` / ``X @ dZ`` transposes; ``dX = dZ @ W``;
→ ``(dX, dW, db)``                  ``db`` summed over the wrong axis, not summed, averaged,
                                    or kept 2-D; an extra 1/N (or N) in dW/db
``numerical_gradient(f, x, h)``     forward (or backward) differences instead of central;
                                    a missing 2 in 2h; ``/ 2 * h``; ``x`` not restored after
                                    each probe; all coordinates nudged at once; ``f`` called
                                    on a list (the TypeError raised inside ``f``)
==================================  ===========================================================
"""
from __future__ import annotations

import os
import re
import traceback

import numpy as np

from nnlib.activations import sigmoid as _sigmoid
from nnlib.activations import sigmoid_prime as _sigmoid_prime

from . import common as _common
from .common import COMMON, failing_line, raised_on, warned
from .core import Case, Checker, Mistake

__all__ = ["sigmoid_backward", "sigmoid_prime_from_activation", "dense_backward",
           "numerical_gradient"]

_rng = np.random.default_rng(5)

_SCALAR_CONVERSION = ("converted to python scalar", "only length-1 arrays", "must be real number")


def _scalar_conversion(o) -> bool:
    return any(t in o.error_text.lower() for t in _SCALAR_CONVERSION)


def _line_calls(o, pattern: str) -> bool:
    return re.search(pattern, failing_line(o)) is not None


FLOAT_OF_ARRAY = Mistake(
    "`float(...)` (or `int(...)`) turns ONE number into a Python number; the check passes whole "
    "arrays, so it cannot convert them. Return the NumPy array itself (no `float(...)`).",
    when=lambda o: _scalar_conversion(o) and _line_calls(o, r"\b(float|int)\s*\("),
    on_error=True)

MATH_MODULE = Mistake(
    _common.MATH_MODULE.hint,
    when=lambda o: _scalar_conversion(o) and _line_calls(o, r"\bmath\s*\."), on_error=True)

# COMMON, with the math-module hint given only when the failing line uses `math.`
_COMMON = [MATH_MODULE if m is _common.MATH_MODULE else m for m in COMMON]


def _r(*shape):
    return np.round(_rng.normal(size=shape), 2)


sigmoid_backward = Checker(
    "sigmoid_backward", lambda dA, Z: dA * _sigmoid_prime(Z), arg_names=("dA", "Z"),
    signature="sigmoid_backward(dA, Z)",
    cases=[
        Case(_r(2, 3), _r(2, 3), label="a batch (2, 3)"),
        Case(_r(4, 2), 3 * _r(4, 2), label="a batch (4, 2) with larger Z"),
        Case(np.array([[0.5, -1.0, 2.0, 1.5]]), np.array([[-1000.0, -20.0, 20.0, 1000.0]]),
             label="extreme Z: must not overflow"),
        Case(_r(5), _r(5), label="a 1-D array: any shape, elementwise"),
        Case(_r(2, 2, 3), _r(2, 2, 3), label="a (2, 2, 3) array"),
    ],
    mistakes=[
        Mistake("The derivative was applied to the wrong quantity: `a * (1 - a)` needs the "
                "ACTIVATION a = σ(Z), and this function receives the PRE-activation Z. "
                "Compute `s = sigmoid(Z)`, then `dA * s * (1 - s)`. (A helper "
                "`sigmoid_derivative(x) = x * (1 - x)` is right only when x is σ(Z).)",
                like=lambda dA, Z: dA * Z * (1 - Z)),
        Mistake("σ was applied twice: you computed a(1 − a) with a = σ(σ(Z)). Z is the "
                "pre-activation; apply σ once.",
                like=lambda dA, Z: dA * _sigmoid_prime(_sigmoid(Z))),
        Mistake("Chain rule: multiply the local derivative σ′(Z) by the upstream gradient dA "
                "(dZ = dA ⊙ σ′(Z)).", like=lambda dA, Z: _sigmoid_prime(Z)),
        Mistake("That is dA ⊙ σ(Z); the local derivative is σ′(Z) = σ(Z)(1 − σ(Z)).",
                like=lambda dA, Z: dA * _sigmoid(Z)),
        Mistake("dA already carries the loss's 1/N (it enters once, at the top); the activation's "
                "backward only multiplies by σ′(Z). Yours is divided by the batch size again.",
                like=lambda dA, Z: dA * _sigmoid_prime(Z) / len(Z)),
        Mistake("The chain rule MULTIPLIES the upstream gradient by the local derivative: "
                "dA * σ′(Z), not dA + σ′(Z).", like=lambda dA, Z: dA + _sigmoid_prime(Z)),
        Mistake("The exponential overflows at |Z| = 1000 (`np.exp(-Z)` for very negative Z, "
                "`np.exp(Z)` for very positive Z): use a stable sigmoid (exponentiate only −|Z|).",
                when=lambda o: warned(o, "overflow"), on_error=True),
        FLOAT_OF_ARRAY,
        *_COMMON,
    ])


sigmoid_prime_from_activation = Checker(
    "sigmoid_prime_from_activation", lambda a: a * (1 - a), arg_names=("a",),
    signature="sigmoid_prime_from_activation(a)",
    cases=[
        Case(_sigmoid(np.array([-2.0, -0.5, 0.0, 1.0, 3.0])),
             label="a = σ(z) for a few z"),
        Case(_sigmoid(_r(3, 4)), label="a batch of activations (3, 4)"),
        Case(np.array([1e-4, 0.5, 0.9999]), label="saturated units: a close to 0 and to 1",
             atol=1e-12),
        Case(np.array([0.0, 0.25, 1.0]), label="fully saturated units: a exactly 0 and 1, as "
             "float64 gives for |z| above about 37", atol=1e-12),
    ],
    mistakes=[
        Mistake("The vice-versa mistake: this function receives the ACTIVATION a = σ(z), which is "
                "already squashed. Applying σ again gives σ(a)(1 − σ(a)); the derivative in terms "
                "of a is simply `a * (1 - a)`.", like=lambda a: _sigmoid_prime(a)),
        Mistake("σ′ in terms of the activation is a(1 − a), not a(1 + a) or 1 − a².",
                like=lambda a: 1 - a ** 2),
        Mistake("σ′ in terms of the activation is a(1 − a), not a(1 + a) or 1 − a².",
                like=lambda a: a * (1 + a)),
        FLOAT_OF_ARRAY,
        *_COMMON,
    ])


def _dense_backward(dZ, X, W):
    return dZ @ W.T, X.T @ dZ, dZ.sum(axis=0)


def _with(part, value_fn):
    """A wrong answer that differs from the right one in one output only."""
    names = ("dX", "dW", "db")

    def like(dZ, X, W):
        out = list(_dense_backward(dZ, X, W))
        out[names.index(part)] = value_fn(dZ, X, W)
        return tuple(out)
    return like


_N_SQ = 3  # the square case: N = D_in = D_out, so every transpose has the right shape

dense_backward = Checker(
    "dense_backward", _dense_backward, arg_names=("dZ", "X", "W"),
    signature="dense_backward(dZ, X, W)", output_names=("dX", "dW", "db"),
    cases=[
        Case(_r(4, 2), _r(4, 3), _r(3, 2), label="N = 4, 3 → 2 units"),
        Case(_r(_N_SQ, _N_SQ), _r(_N_SQ, _N_SQ), _r(_N_SQ, _N_SQ),
             label="everything 3 × 3: transposes are silent here"),
        Case(_r(2, 2), _r(2, 4), _r(4, 2),
             label="N = D_out = 2, D_in = 4: summing db over the wrong axis keeps its shape"),
    ],
    mistakes=[
        Mistake("dW must have W's shape (D_in, D_out): dW = Xᵀ dZ, i.e. `X.T @ dZ`.",
                part="dW", kinds=("shape",)),
        Mistake("dW = Xᵀ dZ (`X.T @ dZ`): you computed its transpose, dZᵀ X.",
                part="dW", like=_with("dW", lambda dZ, X, W: (dZ.T @ X).T)),
        Mistake("dW = Xᵀ dZ, (D_in, N) @ (N, D_out); `dZ.T @ X` gives (D_out, D_in), the "
                "PyTorch layout.", part="dW", like=_with("dW", lambda dZ, X, W: dZ.T @ X)),
        Mistake("dZ already contains the loss's 1/N (the loss is a mean), so dW = Xᵀ dZ with no "
                "extra division: yours is N times too small.",
                part="dW", like=_with("dW", lambda dZ, X, W: X.T @ dZ / len(X))),
        Mistake("dZ already contains the loss's 1/N (the loss is a mean), so dW = Xᵀ dZ with no "
                "extra factor: yours is N times too large.",
                part="dW", like=_with("dW", lambda dZ, X, W: X.T @ dZ * len(X))),
        Mistake("Return the gradients in the order the exercise asks, `(dX, dW, db)`: your first "
                "output has W's shape and your second X's.",
                when=lambda o: isinstance(o.got, tuple) and len(o.got) == 3
                and np.shape(o.args[1]) != np.shape(o.args[2])
                and np.shape(o.got[0]) == np.shape(o.args[2])
                and np.shape(o.got[1]) == np.shape(o.args[1])),
        Mistake("dX must have X's shape (N, D_in): dX = dZ Wᵀ, i.e. `dZ @ W.T`.",
                part="dX", kinds=("shape",)),
        Mistake("dX must have X's shape (N, D_in): dX = dZ Wᵀ, i.e. `dZ @ W.T`.",
                when=lambda o: ("matmul" in o.error_text or "not aligned" in o.error_text)
                and raised_on(o, "dX", "dx"), on_error=True),
        Mistake("dX = dZ Wᵀ (`dZ @ W.T`): each input receives gradient through the weights it "
                "was multiplied by.", part="dX", like=_with("dX", lambda dZ, X, W: dZ @ W)),
        Mistake("b is added to every row, so its gradient is the SUM over the batch axis: "
                "`dZ.sum(axis=0)`, shape (D_out,). You summed over axis 1.",
                part="db", like=_with("db", lambda dZ, X, W: dZ.sum(axis=1))),
        Mistake("db must have b's shape (D_out,): sum dZ over the batch axis, `dZ.sum(axis=0)`.",
                part="db", kinds=("shape",)),
        Mistake("db is the SUM of dZ over the batch (dZ already carries the 1/N), not the mean.",
                part="db", like=_with("db", lambda dZ, X, W: dZ.mean(axis=0))),
        Mistake("The error comes from a matrix product whose inner dimensions differ. With "
                "dZ (N, D_out), X (N, D_in), W (D_in, D_out): dX = dZ @ W.T, dW = X.T @ dZ.",
                when=lambda o: "matmul" in o.error_text or "not aligned" in o.error_text, on_error=True),
        FLOAT_OF_ARRAY,
        *_COMMON,
    ])


# --------------------------------------------------------------------------- gradient checking
def sum_of_squares(x):
    """f(x) = Σ x²; ∇f = 2x."""
    return float(np.sum(x ** 2))


def cubic_mix(x):
    """f(x) = Σ x³ + (Σ x)²: not separable, so a probe left in place corrupts later ones."""
    return float(np.sum(x ** 3) + np.sum(x) ** 2)


class ReadsItsArray:
    """f(x) = Σ x² computed from the array it was BUILT with, not from its argument, as the
    chapter's loss reads a parameter from the params dictionary: a probe on a copy changes nothing.
    (The checker's deep copy of (f, x, h) keeps f's array and x the same object.)"""

    def __init__(self, x):
        self.x = x

    def __call__(self, _ignored):
        return float(np.sum(self.x ** 2))

    def __repr__(self):
        return "f = Σx², read from x itself (not from f's argument)"


def _raised_inside_f(o) -> bool:
    """The exception came from inside the test function f (this module's), not from the reader's
    own lines: the reader called f with something that is not an array (a list, a tuple)."""
    if not isinstance(o.error, TypeError):
        return False
    frames = traceback.extract_tb(o.error.__traceback__)
    return bool(frames) and os.path.abspath(frames[-1].filename) == os.path.abspath(__file__) \
        and frames[-1].name in ("sum_of_squares", "cubic_mix", "__call__")


def _all_entries_equal(o) -> bool:
    """Every entry of the reader's gradient is the same nonzero number, where the right one is
    not constant: all of x was nudged at once (a directional derivative)."""
    try:
        got, expected = np.asarray(o.got, float), np.asarray(o.expected, float)
    except Exception:
        return False
    return o.got is not None and got.size > 1 and got.shape == expected.shape \
        and np.ptp(got) == 0 and np.any(got != 0) and np.ptp(expected) > 0


def _zero_grad(o):
    got = np.asarray(o.got, float) if o.got is not None else None
    return got is not None and got.shape == np.shape(o.expected) and not np.any(got) \
        and np.any(np.asarray(o.expected))


def _cubic_mix_grad(x):
    return 3 * x ** 2 + 2 * np.sum(x)


def _probe(f, x, h, scheme):
    x = x.astype(float).copy()
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        plus = f(x)
        x[i] = old - h
        minus = f(x)
        x[i] = old
        base = f(x)
        grad[i] = {"central": (plus - minus) / (2 * h), "forward": (plus - base) / h,
                   "backward": (base - minus) / h, "no2": (plus - minus) / h}[scheme]
    return grad


def _round_off_only(o) -> bool:
    """x came back within round-off of where it started (restored by arithmetic, not by value)."""
    try:
        before, after = np.asarray(o.args[1], float), np.asarray(o.received[1], float)
        return 0 < np.max(np.abs(after - before)) < 1e-9
    except Exception:
        return False


_X1 = np.array([1.0, -2.0, 0.5])
_X2 = np.array([[1.5, -0.5, 2.0], [0.3, -1.2, 0.8]])

_F_SELF = ReadsItsArray(_X2.copy())          # f and x are ONE array (kept so by deep copies)

numerical_gradient = Checker(
    "numerical_gradient", None, arg_names=("f", "x", "h"), signature="numerical_gradient(f, x, h)",
    rtol=1e-6, atol=1e-7, mutation_atol=0.0,          # "leave x EXACTLY as you found it"
    cases=[
        Case(sum_of_squares, _X1, 1e-5, expected=2 * _X1, label="f = Σx², x of shape (3,)"),
        Case(cubic_mix, _X1, 1e-5, expected=_cubic_mix_grad(_X1), label="f = Σx³ + (Σx)²"),
        Case(cubic_mix, _X2, 1e-5, expected=_cubic_mix_grad(_X2),
             label="the same f on a (2, 3) array: every entry, any shape"),
        Case(cubic_mix, _X1, 0.1, expected=_probe(cubic_mix, _X1, 0.1, "central"),
             label="a large step, h = 0.1: use the h you are given"),
        Case(_F_SELF, _F_SELF.x, 1e-5, expected=2 * _X2,
             label="an f that reads x itself, like the chapter's loss reading the params "
                   "dictionary: nudge x IN PLACE"),
    ],
    mistakes=[
        Mistake("Every entry of your gradient is 0: f saw the same values at x + h and x − h. "
                "Either `x_plus = x` made no copy (both names are one array, so the second nudge "
                "undid the first), or you nudged a copy while f reads x itself. Nudge x in place, "
                "`x[i] = old + h`, call f(x), then `x[i] = old - h`, call f(x), and restore.",
                when=_zero_grad),
        Mistake("Nudge ONE entry at a time (a loop over `np.ndindex(x.shape)`); moving all of x "
                "at once measures a single directional derivative, not the gradient (every entry "
                "of yours is the same number).", when=_all_entries_equal),
        Mistake("The TypeError was raised inside `f`, the function you are differentiating, not "
                "by your own lines: `f` takes an array of x's shape. Call `f(x)` on the array "
                "itself (nudged in place), not on a list, a tuple or a single entry.",
                when=_raised_inside_f, on_error=True),
        Mistake("x is left off by round-off (about 1e-16): adding h back after subtracting 2h "
                "does not return a float exactly to where it started. Save the entry first, "
                "`old = x[i]` (a number, not a view such as `flat[i:i+1]`), and assign it back, "
                "`x[i] = old`.", when=lambda o: bool(o.mutated) and _round_off_only(o)),
        Mistake("Restore each entry after probing it (`old = x[i]; ...; x[i] = old`). Yours "
                "leaves x changed, so every later probe (and the caller) sees a shifted x.",
                when=lambda o: bool(o.mutated)),
        Mistake("That is the forward difference (f(x + h) − f(x))/h: its error shrinks like h. "
                "Use the central difference (f(x + h) − f(x − h))/(2h): error ~h², about a "
                "million times smaller at h = 1e-5.",
                like=lambda f, x, h: _probe(f, x, h, "forward"), rtol=1e-9, atol=1e-12),
        Mistake("That is the backward difference (f(x) − f(x − h))/h; use the central one, "
                "(f(x + h) − f(x − h))/(2h).",
                like=lambda f, x, h: _probe(f, x, h, "backward"), rtol=1e-9, atol=1e-12),
        Mistake("The central difference divides by 2h: the two probes are 2h apart.",
                like=lambda f, x, h: _probe(f, x, h, "no2"), rtol=1e-9, atol=1e-12),
        Mistake("`/ 2 * h` divides by 2 and then MULTIPLIES by h (Python reads `*` and `/` left "
                "to right): write `/ (2 * h)`.",
                like=lambda f, x, h: _probe(f, x, h, "central") * h * h, rtol=1e-6, atol=0),
        Mistake("Return one partial derivative per entry of x, an array of x's shape, not a "
                "single number.", when=lambda o: o.got is not None and np.ndim(o.got) == 0),
        Mistake("Use the h you are given: your gradient matches a probe with another step.",
                when=lambda o: o.args[2] != 1e-5 and np.allclose(
                    np.asarray(o.got, float), _probe(o.args[0], np.asarray(o.args[1]), 1e-5,
                                                     "central"), rtol=1e-7, atol=1e-9)),
        Mistake("The gradient has the shape of x; loop over every index with "
                "`for i in np.ndindex(x.shape):` (works for any number of dimensions).",
                kinds=("shape",)),
        FLOAT_OF_ARRAY,
        *_COMMON,
    ])
