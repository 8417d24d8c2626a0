"""The equations in the docstrings, transcribed literally, give what the code computes.

PyTorch parity tests show the code is right; these show the *docstrings* say what the code does
(the code is sometimes rearranged, e.g. Adam's ``m += (1 − β₁)(g − m)`` for
``m ← β₁ m + (1 − β₁) g``, so the two can drift apart silently).
"""
import math

import numpy as np
import pytest

from nnlib import losses
from nnlib.layers import BatchNorm
from nnlib.layers.base import Parameter
from nnlib.optimizers import SGD, Adam, AdamW, RAdam, RMSprop

STEPS = 12


def _run(opt_class, kwargs, seed=0):
    """θ after STEPS steps of nnlib's optimizer, and the gradients it was given."""
    rng = np.random.default_rng(seed)
    theta0 = rng.normal(size=5)
    grads = [rng.normal(size=5) for _ in range(STEPS)]
    p = Parameter(theta0.copy())
    opt = opt_class([p], **kwargs)
    for g in grads:
        p.grad = g.copy()
        opt.step()
    return theta0, grads, p.data


@pytest.mark.parametrize("kw", [dict(lr=0.1), dict(lr=0.1, momentum=0.9, dampening=0.2),
                                dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)])
def test_sgd_docstring(kw):
    theta, grads, ours = _run(SGD, kw)
    mu, d, lam, eta = kw.get("momentum", 0), kw.get("dampening", 0), kw.get("weight_decay", 0), kw["lr"]
    v = None
    for g in grads:
        g = g + lam * theta                         # g ← g + λ θ
        if mu:
            v = g if v is None else mu * v + (1 - d) * g   # v ← g, then v ← μ v + (1 − dampening) g
            g = g + mu * v if kw.get("nesterov") else v
        theta = theta - eta * g                     # θ ← θ − η g
    np.testing.assert_allclose(ours, theta, rtol=1e-13)


@pytest.mark.parametrize("kw", [dict(lr=0.01), dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.1)])
def test_rmsprop_docstring(kw):
    theta, grads, ours = _run(RMSprop, kw)
    a, eps, mu, lam, eta = 0.99, 1e-8, kw.get("momentum", 0), kw.get("weight_decay", 0), kw["lr"]
    s = m = b = 0
    for g in grads:
        g = g + lam * theta
        s = a * s + (1 - a) * g**2                  # s ← α s + (1 − α) g²
        m = a * m + (1 - a) * g                     # m ← α m + (1 − α) g
        d = np.sqrt(s - m**2) + eps if kw.get("centered") else np.sqrt(s) + eps
        if mu:
            b = mu * b + g / d
            theta = theta - eta * b
        else:
            theta = theta - eta * g / d
    np.testing.assert_allclose(ours, theta, rtol=1e-12)


@pytest.mark.parametrize("cls, kw", [(Adam, dict(lr=0.01)), (Adam, dict(lr=0.01, weight_decay=0.1)),
                                     (AdamW, dict(lr=0.01, weight_decay=0.1))])
def test_adam_and_adamw_docstrings(cls, kw):
    theta, grads, ours = _run(cls, kw)
    b1, b2, eps, eta, lam = 0.9, 0.999, 1e-8, kw["lr"], kw.get("weight_decay", 0)
    m = v = 0
    for t, g in enumerate(grads, start=1):
        if cls is AdamW:
            theta = theta * (1 - eta * lam)         # θ ← θ (1 − η λ)
        else:
            g = g + lam * theta                     # g ← g + λ θ
        m = b1 * m + (1 - b1) * g                   # m ← β₁ m + (1 − β₁) g
        v = b2 * v + (1 - b2) * g**2                # v ← β₂ v + (1 − β₂) g²
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        theta = theta - eta * m_hat / (np.sqrt(v_hat) + eps)
    np.testing.assert_allclose(ours, theta, rtol=1e-12)


def test_radam_docstring():
    theta, grads, ours = _run(RAdam, dict(lr=0.01, betas=(0.9, 0.9)))   # small β₂: ρₜ > 5 at t = 6
    b1, b2, eps, eta = 0.9, 0.9, 1e-8, 0.01
    m = v = 0
    rho_inf = 2 / (1 - b2) - 1
    both = set()
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        m_hat = m / (1 - b1**t)
        rho_t = rho_inf - 2 * t * b2**t / (1 - b2**t)
        both.add(rho_t > 5)
        if rho_t > 5:
            r_t = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            theta = theta - eta * m_hat * r_t * math.sqrt(1 - b2**t) / (np.sqrt(v) + eps)
        else:
            theta = theta - eta * m_hat
    assert both == {True, False}                    # both branches of the docstring were used
    np.testing.assert_allclose(ours, theta, rtol=1e-12)


def test_batchnorm_running_statistics_docstring():
    rng = np.random.default_rng(0)
    bn, mom = BatchNorm(3, momentum=0.2, dtype=np.float64), 0.2
    mean, var = np.zeros(3), np.ones(3)
    for _ in range(4):
        x = rng.normal(2, 3, size=(8, 3))
        bn(x)
        m = len(x)
        mean = (1 - mom) * mean + mom * x.mean(axis=0)                 # running = (1 − momentum) ·
        var = (1 - mom) * var + mom * x.var(axis=0) * m / (m - 1)      # running + momentum · batch
    np.testing.assert_allclose(bn.running_mean, mean, rtol=1e-13)
    np.testing.assert_allclose(bn.running_var, var, rtol=1e-13)


@pytest.mark.parametrize("gamma, alpha", [(2.0, None), (0.5, 0.25), (0.0, None)])
def test_focal_loss_gradient_docstring(gamma, alpha):
    rng = np.random.default_rng(1)
    z, y = rng.normal(size=(6, 2)) * 3, (rng.random((6, 2)) > 0.5).astype(float)
    p = 1 / (1 + np.exp(-z))
    ce = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    one_minus_pt = np.where(y == 1, 1 - p, p)
    alpha_t = 1.0 if alpha is None else np.where(y == 1, alpha, 1 - alpha)
    # dFL/dz = α_t [ −γ (1 − p_t)^{γ−1} (2y − 1) p (1 − p) CE + (1 − p_t)^γ (p − y) ] / n
    expected = alpha_t * (-gamma * one_minus_pt ** (gamma - 1) * (2 * y - 1) * p * (1 - p) * ce
                          + one_minus_pt**gamma * (p - y)) / z.size
    np.testing.assert_allclose(losses.focal_loss_grad(z, y, gamma, alpha), expected, rtol=1e-10)
    np.testing.assert_allclose(losses.focal_loss(z, y, gamma, alpha),
                               np.mean(alpha_t * one_minus_pt**gamma * ce), rtol=1e-12)
