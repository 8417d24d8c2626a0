"""Checkers for *Initialization and normalization* (Chapter 7).
Use: ``from nnbook.exercises import normalization as check``.

Shapes and conventions are nnlib's: a Dense weight is ``W: (D_in, D_out)``; a batch is
``x: (N, C)``, statistics over the batch axis 0, one per feature. BatchNorm follows PyTorch
(and :class:`nnlib.layers.BatchNorm`): the batch variance that normalizes is the biased one
(divide by N); the running variance is updated with the unbiased one (times N/(N − 1)); and
``running ← (1 − momentum)·running + momentum·batch``. nnlib is the reference of every check.

=====================================  ==========================================================
checker                                recognises (hint given)
=====================================  ==========================================================
``init_std(D_in, D_out, activation)``  the variance instead of the standard deviation; the
→ float                                uniform bound a = √3·std; fan-out for He (W's second
                                       axis: PyTorch's layout is the transpose); Xavier for a
                                       ReLU, He for tanh; He without its factor 2 (LeCun's
                                       1/D_in); Xavier without its 2; a fixed 0.01
``batchnorm_forward(x, gamma, beta,    unbiased variance in the normalization; a biased
running_mean, running_var, training,   running variance; Keras's momentum convention; eval
momentum, eps)`` → (y, mean, var)      mode with the batch's statistics, or updating the running
                                       statistics in eval mode; statistics over the features
                                       (LayerNorm); eps outside the square root; γ, β forgotten;
                                       the running statistics not updated; the standard
                                       deviation stored as running variance
``batchnorm_backward(grad_out, x_hat,  the statistics treated as constants (dx = g·γ/σ); only
gamma, inv_std)`` → (dx, dgamma,       one of the two correction sums; γ forgotten in dx; the
dbeta)                                 1/N forgotten; multiplying by σ instead of dividing;
                                       dγ and dβ swapped, averaged or not summed
=====================================  ==========================================================
"""
from __future__ import annotations

import math

import numpy as np

from nnlib.layers import BatchNorm
from nnlib.layers.norm import normalize_backward

from .common import COMMON
from .core import Case, Checker, Mistake

__all__ = ["init_std", "batchnorm_forward", "batchnorm_backward"]

_rng = np.random.default_rng(7)


def _r(*shape, scale=1.0, shift=0.0, digits=3):
    return np.round(_rng.normal(size=shape) * scale + shift, digits)


# --------------------------------------------------------------------------- initialization
_XAVIER_FOR = ("tanh", "sigmoid", "linear")


def _init_std(D_in, D_out, activation):
    """The book's rule: Xavier for tanh/sigmoid/linear layers, He for ReLU."""
    if activation == "relu":
        return math.sqrt(2.0 / D_in)
    return math.sqrt(2.0 / (D_in + D_out))


def _by_activation(relu_rule, other_rule):
    def like(D_in, D_out, activation):
        return relu_rule(D_in, D_out) if activation == "relu" else other_rule(D_in, D_out)
    return like


def _he(i, o):
    return math.sqrt(2.0 / i)


def _xavier(i, o):
    return math.sqrt(2.0 / (i + o))


init_std = Checker(
    "init_std", _init_std, arg_names=("D_in", "D_out", "activation"),
    signature="init_std(D_in, D_out, activation)", rtol=1e-6,
    cases=[
        Case(784, 256, "relu", label="a ReLU layer 784 → 256 (fan-in ≠ fan-out)"),
        Case(64, 32, "relu", label="a ReLU layer 64 → 32"),
        Case(256, 10, "tanh", label="a tanh layer 256 → 10"),
        Case(30, 120, "tanh", label="a tanh layer 30 → 120"),
        Case(100, 400, "relu", label="a ReLU layer 100 → 400 (fan-out larger)"),
        Case(50, 20, "sigmoid", label="a sigmoid layer 50 → 20"),
        Case(40, 60, "linear", label="a linear layer 40 → 60 (no activation)"),
    ],
    mistakes=[
        Mistake("That is the VARIANCE the scheme prescribes; the function returns the standard "
                "deviation, its square root (He: √(2/D_in), Xavier: √(2/(D_in + D_out))).",
                like=_by_activation(lambda i, o: 2.0 / i, lambda i, o: 2.0 / (i + o))),
        Mistake("That is the bound a of the UNIFORM version, U(−a, a) with a = √3·std. The "
                "standard deviation of U(−a, a) is a/√3.",
                like=_by_activation(lambda i, o: math.sqrt(6.0 / i), lambda i, o: math.sqrt(6.0 / (i + o)))),
        Mistake("That is He's std times √2, √(4/D_in): the ReLU gain of `calculate_gain` applied "
                "on top of He's rule, which already has ReLU's factor 2 in it. The gain table is "
                "for Xavier-style rules.",
                like=_by_activation(lambda i, o: 2.0 / math.sqrt(i), _xavier)),
        Mistake("For tanh layers the book's rule is Xavier, √(2/(D_in + D_out)); √(1/D_in) "
                "(LeCun's) uses the fan-in alone.",
                like=_by_activation(_he, lambda i, o: math.sqrt(1.0 / i))),
        Mistake("Return Xavier's std itself: the gain 5/3 for tanh is an optional extra factor "
                "(the `gain=` argument), not part of the rule.",
                like=lambda i, o, a: _init_std(i, o, a) * (5 / 3 if a == "tanh" else 1)),
        Mistake("He uses the fan-IN, D_in: each output unit sums D_in products, and that sum's "
                "variance is what must stay put. (PyTorch stores the weight transposed, "
                "(D_out, D_in), so its fan-in is the SECOND axis there; nnlib's W is (D_in, D_out).)",
                like=_by_activation(lambda i, o: math.sqrt(2.0 / o), _xavier)),
        Mistake("For a ReLU layer use He, √(2/D_in): ReLU zeroes half of its inputs and halves "
                "the signal's second moment, and Xavier does not give that factor 2 back.",
                like=_by_activation(_xavier, _xavier)),
        Mistake("For tanh, sigmoid and linear layers use Xavier, √(2/(D_in + D_out)); the factor 2 of "
                "He compensates for ReLU's zeros, which tanh does not have.",
                like=_by_activation(_he, _he)),
        Mistake("He's rule has a factor 2: √(2/D_in). √(1/D_in) (LeCun's) keeps the variance of "
                "a linear or tanh layer, but ReLU halves it at every layer.",
                like=_by_activation(lambda i, o: math.sqrt(1.0 / i), _xavier)),
        Mistake("Xavier is √(2/(D_in + D_out)): the average of 1/D_in (forward) and 1/D_out "
                "(backward) is 2/(D_in + D_out), not 1/(D_in + D_out).",
                like=_by_activation(_he, lambda i, o: math.sqrt(1.0 / (i + o)))),
        Mistake("A fixed scale such as 0.01 does not depend on the layer's width, which is the "
                "whole point: the variance of a sum of D_in terms grows with D_in.",
                when=lambda o: _all_close_to(o.got, 0.01)),
        Mistake("The square root belongs around the whole fraction: √(2/D_in), not √2/D_in.",
                like=_by_activation(lambda i, o: math.sqrt(2.0) / i, lambda i, o: math.sqrt(2.0) / (i + o))),
        *COMMON,
    ])


def _eval_without_eps(x, gamma, beta, rm, rv, training, momentum, eps):
    x = np.asarray(x, float)
    return gamma * (x - rm) / np.sqrt(rv) + beta


def _close_y(o, y):
    try:
        return bool(np.allclose(np.asarray(o.got[0], float), y, rtol=1e-5, atol=1e-8))
    except Exception:
        return False


def _all_close_to(got, value) -> bool:
    try:
        return bool(np.allclose(float(got), value))
    except Exception:
        return False


# --------------------------------------------------------------------------- batch norm forward
def _bn_forward(x, gamma, beta, running_mean, running_var, training, momentum, eps):
    """nnlib's BatchNorm, set up with these parameters and statistics, run once."""
    x = np.asarray(x, dtype=np.float64)
    bn = BatchNorm(x.shape[1], momentum=momentum, eps=eps, dtype=np.float64)
    bn.gamma.data = np.array(gamma, dtype=np.float64)
    bn.beta.data = np.array(beta, dtype=np.float64)
    bn.running_mean = np.array(running_mean, dtype=np.float64)
    bn.running_var = np.array(running_var, dtype=np.float64)
    if not training:
        bn.eval()
    y = bn(x)
    return y, bn.running_mean, bn.running_var


def _bn_variant(x, gamma, beta, rm, rv, training, momentum, eps, *, ddof_norm=0, unbiased_running=True,
                keras=False, eval_batch=False, eval_update=False, axis=0, eps_outside=False,
                affine=True, update=True, running_std=False):
    """The forward pass with one thing changed: each keyword is one mistake."""
    x = np.asarray(x, dtype=np.float64)
    m = x.shape[axis]
    mean = x.mean(axis=axis, keepdims=True)
    var = x.var(axis=axis, ddof=ddof_norm, keepdims=True)
    new_rm, new_rv = np.array(rm, dtype=float), np.array(rv, dtype=float)
    if training or eval_update:
        bmean, bvar = x.mean(axis=0), x.var(axis=0)
        if unbiased_running:
            bvar = bvar * m / (m - 1)
        if running_std:
            bvar = np.sqrt(bvar)
        if update:
            if keras:
                new_rm, new_rv = momentum * new_rm + (1 - momentum) * bmean, momentum * new_rv + (1 - momentum) * bvar
            else:
                new_rm = (1 - momentum) * new_rm + momentum * bmean
                new_rv = (1 - momentum) * new_rv + momentum * bvar
    if not training and not eval_batch:
        mean, var = np.asarray(rm, dtype=float), np.asarray(rv, dtype=float)
    x_hat = (x - mean) / (np.sqrt(var) + eps if eps_outside else np.sqrt(var + eps))
    y = gamma * x_hat + beta if affine else x_hat
    return y, new_rm, new_rv


def _v(**mistake):
    return lambda *args: _bn_variant(*args, **mistake)


_X1 = np.array([[1.0, 2.0, -1.0], [3.0, 0.0, 1.0], [2.0, 4.0, 0.5], [-2.0, 2.0, 3.5]])
_X2 = _r(6, 2, scale=[30.0, 0.002], shift=[50.0, -1.0], digits=6)        # wide and tiny spreads
_G2, _B2 = np.array([1.5, -0.5]), np.array([0.25, 2.0])
_X3 = np.array([[4, 1, 7], [0, 3, 5], [2, 2, 6], [6, 0, 2], [3, 9, 1]])   # integers
_RM3, _RV3 = np.array([2.0, 1.0, 4.0]), np.array([3.0, 2.0, 5.0])

batchnorm_forward = Checker(
    "batchnorm_forward", _bn_forward,
    arg_names=("x", "gamma", "beta", "running_mean", "running_var", "training", "momentum", "eps"),
    signature="batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum, eps)",
    output_names=("y", "running_mean", "running_var"), rtol=1e-5, atol=1e-8,
    cases=[
        Case(_X1, np.ones(3), np.zeros(3), np.zeros(3), np.ones(3), True, 0.1, 1e-5,
             label="training, a batch of 4, γ = 1, β = 0, fresh running statistics"),
        Case(_X2, _G2, _B2, np.array([40.0, -1.0]), np.array([500.0, 1e-6]), True, 0.3, 1e-4,
             label="training, momentum 0.3, eps 1e-4, a feature with a tiny spread"),
        Case(_X3, np.array([2.0, 1.0, 0.5]), np.array([0.0, -1.0, 1.0]), _RM3, _RV3, False, 0.1, 1e-5,
             label="EVAL mode, integer inputs"),
        Case(_X3, np.array([2.0, 1.0, 0.5]), np.array([0.0, -1.0, 1.0]), _RM3, _RV3, True, 0.5, 1e-5,
             label="the same batch in training mode, momentum 0.5"),
        Case(_X3, np.array([2.0, 1.0, 0.5]), np.array([0.0, -1.0, 1.0]), _RM3,
             np.array([1e-6, 2.0, 5.0]), False, 0.1, 0.1,
             label="EVAL mode, eps 0.1, a feature whose running variance is almost 0"),
    ],
    mistakes=[
        Mistake("In eval mode normalize with the RUNNING statistics (and leave them unchanged): "
                "a prediction must not depend on the other examples in the batch.",
                part="y", like=_v(eval_batch=True)),
        Mistake("eps belongs in evaluation mode too: (x − running_mean)/√(running_var + eps). "
                "Without it a feature whose running variance is 0 divides by zero.",
                part="y", when=lambda o: not o.args[5] and _close_y(o, _eval_without_eps(*o.args))),
        Mistake("Eval mode must not change the running statistics: return them as they came in. "
                "Only training steps update them.", like=_v(eval_update=True)),
        Mistake("The batch is normalized with its BIASED variance (divide by N: `x.var(axis=0)`); "
                "N/(N − 1) is used only when the running variance is updated.",
                part="y", like=_v(ddof_norm=1)),
        Mistake("The running variance is updated with the UNBIASED batch variance, "
                "var · N/(N − 1) (PyTorch's convention, and nnlib's).",
                part="running_var", like=_v(unbiased_running=False)),
        Mistake("That is Keras's momentum convention (running ← momentum·running + (1 − momentum)·"
                "batch, with momentum ≈ 0.99). Here, as in PyTorch, momentum is the weight of the "
                "NEW batch: running ← (1 − momentum)·running + momentum·batch.",
                like=_v(keras=True)),
        Mistake("BatchNorm's statistics run over the BATCH axis (axis=0), one mean and variance per "
                "feature. Over axis 1 is layer normalization.", part="y", like=_v(axis=1)),
        Mistake("eps goes INSIDE the square root: (x − μ)/√(σ² + eps). Outside, it changes the "
                "output of features with a tiny spread.", part="y", like=_v(eps_outside=True)),
        Mistake("Scale and shift the normalized value: y = γ·x̂ + β. Without γ and β the layer "
                "could never undo the normalization if that were better.", part="y",
                like=_v(affine=False)),
        Mistake("In training mode update the running statistics with this batch's mean and "
                "(unbiased) variance and return the NEW values.", like=_v(update=False)),
        Mistake("running_var keeps a VARIANCE (σ²), not a standard deviation.", part="running_var",
                like=_v(running_std=True)),
        *COMMON,
    ])


# --------------------------------------------------------------------------- batch norm backward
def _bn_backward(grad_out, x_hat, gamma, inv_std):
    """nnlib's shared normalization backward, plus the γ and β gradients."""
    dx = normalize_backward(grad_out * gamma, x_hat, inv_std, axes=(0,))
    return dx, (grad_out * x_hat).sum(axis=0), grad_out.sum(axis=0)


def _bwd_variant(grad_out, x_hat, gamma, inv_std, *, mean_term=True, var_term=True, use_gamma=True,
                 over_m=True, invert=False, dgamma=None, dbeta=None):
    m = grad_out.shape[0]
    dxh = grad_out * gamma if use_gamma else grad_out
    s = 1 / inv_std if invert else inv_std
    inner = m * dxh
    if mean_term:
        inner = inner - dxh.sum(axis=0)
    if var_term:
        inner = inner - x_hat * (dxh * x_hat).sum(axis=0)
    dx = s / m * inner if over_m else s * inner
    dg = (grad_out * x_hat).sum(axis=0) if dgamma is None else dgamma(grad_out, x_hat)
    db = grad_out.sum(axis=0) if dbeta is None else dbeta(grad_out, x_hat)
    return dx, dg, db


def _b(**mistake):
    return lambda *args: _bwd_variant(*args, **mistake)


def _normalized(x, eps=1e-5):
    x = np.asarray(x, dtype=np.float64)
    inv_std = 1 / np.sqrt(x.var(axis=0) + eps)
    return (x - x.mean(axis=0)) * inv_std, inv_std


_XH1, _IS1 = _normalized(_r(4, 3, scale=2.0, shift=1.0))
_XH2, _IS2 = _normalized(_r(8, 2, scale=[5.0, 0.1]))
_XH3, _IS3 = _normalized(_r(5, 3))

batchnorm_backward = Checker(
    "batchnorm_backward", _bn_backward, arg_names=("grad_out", "x_hat", "gamma", "inv_std"),
    signature="batchnorm_backward(grad_out, x_hat, gamma, inv_std)",
    output_names=("dx", "dgamma", "dbeta"), rtol=1e-6, atol=1e-9,
    cases=[
        Case(_r(4, 3), _XH1, np.ones(3), _IS1, label="a batch of 4, γ = 1"),
        Case(_r(8, 2, scale=3.0), _XH2, np.array([2.0, -0.5]), _IS2,
             label="a batch of 8, γ = (2, −0.5), features of very different spread"),
        Case(np.tile([[1.0, -2.0, 0.5]], (5, 1)), _XH3, np.array([1.0, 3.0, 0.5]), _IS3,
             label="the same upstream gradient for every example (the true dx is 0)"),
    ],
    mistakes=[
        Mistake("You treated the batch mean and variance as constants (dx = grad_out·γ/σ). They "
                "are computed FROM x, so moving one example moves every x̂: dx = (1/σ)/N · "
                "(N·dx̂ − Σ dx̂ − x̂·Σ(dx̂·x̂)) with dx̂ = grad_out·γ.", part="dx",
                like=_b(mean_term=False, var_term=False)),
        Mistake("The mean's term is missing: subtract Σ dx̂ (the sum over the batch of dx̂ = "
                "grad_out·γ), because every x̂ depends on μ.", part="dx", like=_b(mean_term=False)),
        Mistake("The variance's term is missing: subtract x̂·Σ(dx̂·x̂), because every x̂ depends on "
                "σ², which depends on every x.", part="dx", like=_b(var_term=False)),
        Mistake("γ multiplies x̂ in the forward pass, so dx̂ = grad_out·γ; you used grad_out alone.",
                part="dx", like=_b(use_gamma=False)),
        Mistake("Divide by N: dx = (1/σ)/N · (N·dx̂ − Σ dx̂ − x̂·Σ(dx̂·x̂)); yours is N times too large.",
                part="dx", like=_b(over_m=False)),
        Mistake("x̂ = (x − μ)·inv_std, so the chain rule MULTIPLIES by inv_std = 1/√(σ² + eps); "
                "you multiplied by the standard deviation.", part="dx", like=_b(invert=True)),
        Mistake("dγ and dβ are swapped: y = γ·x̂ + β, so dγ = Σ grad_out·x̂ and dβ = Σ grad_out.",
                like=_b(dgamma=lambda g, xh: g.sum(axis=0), dbeta=lambda g, xh: (g * xh).sum(axis=0))),
        Mistake("γ is shared by every example, so its gradient is a SUM over the batch: "
                "dγ = Σ_n grad_out·x̂ (not a mean), shape (C,).", part="dgamma",
                like=_b(dgamma=lambda g, xh: (g * xh).mean(axis=0))),
        Mistake("β is shared by every example, so its gradient is a SUM over the batch: "
                "dβ = Σ_n grad_out (not a mean), shape (C,).", part="dbeta",
                like=_b(dbeta=lambda g, xh: g.mean(axis=0))),
        Mistake("dγ and dβ have γ's shape (C,): sum over the batch axis, `axis=0`.",
                part="dgamma", kinds=("shape",)),
        Mistake("dγ and dβ have β's shape (C,): sum over the batch axis, `axis=0`.",
                part="dbeta", kinds=("shape",)),
        *COMMON,
    ])
