"""Checkers for Chapter 6, *Gradient descent and optimizers*. Use: ``from nnbook.exercises import optimizers as check``.

Each step function returns the NEW values. Updating ``w`` (and ``v``, ``m``) in place as well is
allowed, as the chapter says (nnlib's optimizers update their parameters in place): none of the
chapter's code keeps an array a step returns without copying it. The gradient must come back
unchanged. The
equations are PyTorch's, the same as :mod:`nnlib.optimizers` (velocity and moments start at 0):

* ``sgd_step(w, grad, lr)`` → ``w − lr·grad``
* ``momentum_step(w, grad, v, lr, beta)`` → ``(w, v)`` with ``v ← β v + grad``, ``w ← w − lr v``
* ``adam_step(w, grad, m, v, t, lr, beta1, beta2, eps)`` → ``(w, m, v)`` with
  ``m ← β₁ m + (1 − β₁) g``, ``v ← β₂ v + (1 − β₂) g²``, ``m̂ = m/(1 − β₁ᵗ)``,
  ``v̂ = v/(1 − β₂ᵗ)``, ``w ← w − lr m̂/(√v̂ + eps)``; ``t`` counts steps from 1.

=============================  ================================================================
checker                        recognises (hint given)
=============================  ================================================================
``sgd_step``                   ``+`` instead of ``−`` (ascent); lr forgotten; returning the
                               step instead of the new weights
``momentum_step``              velocity forgotten (v returned unchanged, or rebuilt from zero:
                               plain SGD); w moved with the OLD velocity; the other convention
                               (v ← βv + lr·g, w ← w − v); the EMA form (1 − β)g; sign errors;
                               (v, w) returned instead of (w, v)
``adam_step``                  no bias correction; only m corrected (v̂ missing); only v corrected
                               (m̂ missing); m̂, v̂ returned as the state; g instead of g² in v; no
                               square root; t counted from 0; eps inside the square root; eps
                               hard-coded; eps added to √v instead of √v̂ (the corrections
                               folded into the learning rate)
=============================  ================================================================

(``conv_output_size`` lives in :mod:`nnbook.exercises.conv`, for the convolution chapter.)
"""
from __future__ import annotations

import numpy as np

from .common import COMMON
from .core import Case, Checker, Mistake

__all__ = ["sgd_step", "momentum_step", "adam_step"]

_rng = np.random.default_rng(6)


def _r(*shape):
    return np.round(_rng.normal(size=shape), 2)


_W, _G = np.array([1.0, -2.0, 0.5]), np.array([0.3, -0.1, 0.8])
_W2, _G2 = _r(2, 3), _r(2, 3)

sgd_step = Checker(
    "sgd_step", lambda w, grad, lr: w - lr * grad, arg_names=("w", "grad", "lr"),
    signature="sgd_step(w, grad, lr)", allow_mutation=("w",),
    cases=[
        Case(_W, _G, 0.1, label="3 weights, lr = 0.1"),
        Case(_W2, _G2, 0.5, label="a (2, 3) weight matrix, lr = 0.5"),
    ],
    mistakes=[
        Mistake("Step AGAINST the gradient: w − lr·grad. The gradient points uphill (towards "
                "larger loss); `+` climbs it.", like=lambda w, g, lr: w + lr * g),
        Mistake("The learning rate is missing: w − lr·grad.", like=lambda w, g, lr: w - g),
        Mistake("Return the new weights w − lr·grad, not just the step lr·grad.",
                like=lambda w, g, lr: lr * g),
        Mistake("Return the new weights w − lr·grad, not just the step.",
                like=lambda w, g, lr: -lr * g),
        *COMMON,
    ])


def _momentum(w, grad, v, lr, beta):
    v = beta * v + grad
    return w - lr * v, v


_V = np.array([0.5, 0.2, -0.4])

momentum_step = Checker(
    "momentum_step", _momentum, arg_names=("w", "grad", "v", "lr", "beta"),
    signature="momentum_step(w, grad, v, lr, beta)", output_names=("w", "v"),
    allow_mutation=("w", "v"),
    cases=[
        Case(_W, _G, np.zeros(3), 0.1, 0.9, label="the first step: v starts at 0"),
        Case(_W, _G, _V, 0.1, 0.9, label="a later step: v carries the past gradients"),
        Case(_W2, _G2, _r(2, 3), 0.05, 0.8, label="(2, 3) weights, beta = 0.8"),
    ],
    mistakes=[
        Mistake("Momentum that forgets its velocity: you returned v unchanged. Compute the new "
                "velocity v ← β·v + grad and RETURN it; the caller passes it into the next step.",
                part="v", like=lambda w, g, v, lr, b: (_momentum(w, g, v, lr, b)[0], v)),
        Mistake("Momentum that forgets its velocity: this is plain SGD (w − lr·grad). The "
                "velocity you are given remembers past gradients: v ← β·v + grad, w ← w − lr·v.",
                like=lambda w, g, v, lr, b: (w - lr * g, v)),
        Mistake("You rebuilt the velocity from zero (v = grad), which is plain SGD. Accumulate "
                "into the v you were given: v ← β·v + grad.",
                like=lambda w, g, v, lr, b: (w - lr * g, g)),
        Mistake("Move w with the NEW velocity: first v ← β·v + grad, then w ← w − lr·v.",
                part="w", like=lambda w, g, v, lr, b: (w - lr * v, _momentum(w, g, v, lr, b)[1])),
        Mistake("You used the other common convention (v ← β·v + lr·grad, w ← w − v). This book "
                "follows PyTorch and nnlib: v ← β·v + grad, w ← w − lr·v (the same path while lr "
                "is constant, but v differs by a factor lr).",
                like=lambda w, g, v, lr, b: (w - (b * v + lr * g), b * v + lr * g)),
        Mistake("That is the exponential-average form v ← β·v + (1 − β)·grad (Adam's first "
                "moment). Classical momentum adds the full gradient: v ← β·v + grad.",
                like=lambda w, g, v, lr, b: (w - lr * (b * v + (1 - b) * g), b * v + (1 - b) * g)),
        Mistake("Sign error: w ← w − lr·v (down the slope), with v ← β·v + grad.",
                like=lambda w, g, v, lr, b: (w + lr * (b * v + g), b * v + g)),
        Mistake("Sign error in the velocity: v ← β·v + grad, then w ← w − lr·v.",
                like=lambda w, g, v, lr, b: (w + lr * (b * v - g), b * v - g)),
        Mistake("Right values, wrong order: you returned (v, w). Return the new weights first, "
                "then the new velocity: `return w, v`.",
                like=lambda w, g, v, lr, b: _momentum(w, g, v, lr, b)[::-1]),
        *COMMON,
    ])


def _adam(w, g, m, v, t, lr, b1, b2, eps, correct="mv", square=True, root=True, t_shift=0,
          return_hats=False):
    """Adam's step (the reference, with the defaults); each keyword gives one mistake:
    ``correct`` names the moments that get their bias correction ("mv", "m", "v" or "")."""
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * (g * g if square else g)
    tt = t + t_shift
    m_hat = m / (1 - b1 ** tt) if "m" in correct else m
    v_hat = v / (1 - b2 ** tt) if "v" in correct else v
    step = m_hat / ((np.sqrt(v_hat) if root else v_hat) + eps)
    if return_hats:
        return w - lr * step, m_hat, v_hat
    return w - lr * step, m, v


def _adam_folded(w, g, m, v, t, lr, b1, b2, eps):
    """The bias corrections folded into the learning rate, lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ), and eps added
    to the UNcorrected √v: the same as Adam except where eps matters (rejected, with a hint)."""
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    lr_t = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
    return w - lr_t * m / (np.sqrt(v) + eps), m, v


_ADAM_ARGS = ("w", "grad", "m", "v", "t", "lr", "beta1", "beta2", "eps")

adam_step = Checker(
    "adam_step", _adam, arg_names=_ADAM_ARGS,
    signature="adam_step(w, grad, m, v, t, lr, beta1, beta2, eps)", output_names=("w", "m", "v"),
    allow_mutation=("w", "m", "v"),
    cases=[
        Case(_W, _G, np.zeros(3), np.zeros(3), 1, 0.1, 0.9, 0.999, 1e-8,
             label="the first step (t = 1, m = v = 0)"),
        Case(_W, _G, np.array([0.1, -0.05, 0.2]), np.array([0.01, 0.002, 0.03]), 3, 0.1, 0.9,
             0.999, 1e-8, label="step t = 3 with running moments"),
        Case(_W2, _G2, np.zeros((2, 3)), np.zeros((2, 3)), 1, 0.01, 0.8, 0.99, 1e-8,
             label="(2, 3) weights, other betas"),
        Case(_W, np.array([0.0, 0.5, -0.3]), np.zeros(3), np.zeros(3), 1, 0.1, 0.9, 0.999,
             1e-8, label="a weight whose gradient is 0: without eps its step is 0/0"),
        Case(_W, np.array([2e-6, -1e-6, 4e-6]), np.zeros(3), np.zeros(3), 1, 0.1, 0.9, 0.999,
             1e-6, label="tiny gradients and eps = 1e-6: where eps goes (and its value) matters"),
    ],
    mistakes=[
        Mistake("ε goes outside the square root, m̂/(√v̂ + ε). Inside, √(v̂ + ε), its square root "
                "counts: √(1e-6) = 1e-3, which swamps tiny gradients and shrinks their steps "
                "(the last test case).", like=lambda *a: _adam_eps_inside(*a)),
        Mistake("Use the eps you are given; yours looks hard-coded at 1e-8.",
                like=lambda w, g, m, v, t, lr, b1, b2, eps: _adam(w, g, m, v, t, lr, b1, b2, 1e-8)),
        Mistake("Missing bias correction: m and v start at 0, so early on they are pulled "
                "towards 0 (at t = 1, m = 0.1·g). Divide: m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ), "
                "and step with m̂/(√v̂ + eps).",
                like=lambda *a: _adam(*a, correct="")),
        Mistake("Only the first moment is corrected: v needs its correction too, "
                "v̂ = v/(1 − β₂ᵗ), and the step divides by √v̂ + eps. Without it √v is far too "
                "small at first (at t = 1, √v = √(1 − β₂)·|g|), so the first step is "
                "1/√(1 − β₂) times too large: about 32 times for β₂ = 0.999 (Figure 6.4).",
                like=lambda *a: _adam(*a, correct="m")),
        Mistake("Only the second moment is corrected: m needs its correction too, "
                "m̂ = m/(1 − β₁ᵗ), and the step uses m̂. Without it the first steps are too "
                "small (at t = 1, m = (1 − β₁)·g: ten times too small for β₁ = 0.9).",
                like=lambda *a: _adam(*a, correct="v")),
        Mistake("Return the moving averages m and v themselves, the state the next step "
                "continues from, not the corrected m̂ and v̂: the corrections are only for "
                "this step's update.", like=lambda *a: _adam(*a, return_hats=True)),
        Mistake("Add eps to √v̂, the square root of the CORRECTED second moment: "
                "m̂/(√v̂ + eps), as in Section 6.4. Folding the corrections into the learning "
                "rate, lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ)·m/(√v + eps), adds eps to the uncorrected √v, "
                "which is a different eps; it shows when the gradients are tiny (the last test "
                "case).", like=_adam_folded),
        Mistake("The second moment averages the SQUARED gradient: v ← β₂ v + (1 − β₂) g².",
                like=lambda *a: _adam(*a, square=False)),
        Mistake("Divide by the square ROOT of v̂: w ← w − lr·m̂/(√v̂ + eps).",
                like=lambda *a: _adam(*a, root=False)),
        Mistake("t counts steps from 1 (the first call has t = 1): the corrections are "
                "1 − β₁ᵗ and 1 − β₂ᵗ with the t you are given.",
                like=lambda *a: _adam(*a, t_shift=1)),
        *COMMON,
    ])


def _adam_eps_inside(w, g, m, v, t, lr, b1, b2, eps):
    """eps inside the square root: close to Adam for gradients of size 1, but for tiny gradients
    √eps, not eps, sets the step (rejected, with a hint)."""
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    return w - lr * (m / (1 - b1 ** t)) / np.sqrt(v / (1 - b2 ** t) + eps), m, v
