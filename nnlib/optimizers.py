"""Optimizers: turn gradients into parameter updates.

Every optimizer holds a list of :class:`~nnlib.layers.base.Parameter` objects and, for each
one, a little state (a velocity, running averages, a step count). ``step()`` reads each
``p.grad`` and updates ``p.data`` **in place**, so the layers that own the arrays see the new
values without being told. The learning rate ``opt.lr`` is a plain attribute: a schedule
(``nnlib.schedules``) changes it between steps.

Usage, exactly as in PyTorch::

    opt = Adam(model.parameters(), lr=1e-3)
    for X_batch, y_batch in batches(X, y, 32):
        loss = loss_fn(model(X_batch), y_batch)
        model.backward(loss_fn.backward())   # writes every p.grad
        opt.step()                           # updates every p.data

Hyperparameter names, defaults and update equations follow PyTorch (``torch.optim``), and the
tests check 20 steps of each against it to 1e-10. Notation in the docstrings: ``θ`` a
parameter, ``g`` its gradient, ``η`` the learning rate ``lr``, ``λ`` the weight decay, ``t``
the step number starting at 1.
"""
from __future__ import annotations

import math

import numpy as np

from .layers.base import Parameter


class Optimizer:
    """Base class: keeps the parameter list, the learning rate and per-parameter state.

    Subclasses implement ``update(p, g, state)``, which changes ``p.data`` in place using the
    gradient ``g`` (already a copy when weight decay was added) and the dict ``state`` that
    belongs to this parameter alone.
    """

    def __init__(self, params, lr: float, weight_decay: float = 0.0):
        self.params = _parameter_list(params, type(self).__name__)
        self._check(lr > 0, f"lr must be > 0, got {lr}")
        self._check(weight_decay >= 0, f"weight_decay must be >= 0, got {weight_decay}")
        self.lr = lr
        self.weight_decay = weight_decay
        self.state: dict[Parameter, dict] = {p: {} for p in self.params}

    def _check(self, ok: bool, message: str) -> None:
        if not ok:
            raise ValueError(f"{type(self).__name__}: {message}")

    def zero_grad(self) -> None:
        """Set every gradient to zero (layers overwrite gradients, so this is rarely needed)."""
        for p in self.params:
            p.grad[...] = 0

    def step(self) -> None:
        """Apply one update to every parameter, using the current ``p.grad``."""
        for p in self.params:
            self.update(p, p.grad, self.state[p])

    def update(self, p: Parameter, g: np.ndarray, state: dict) -> None:
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}(lr={self.lr}, {len(self.params)} parameters)"


def _parameter_list(params, who: str) -> list[Parameter]:
    """Accept any iterable of Parameters (e.g. ``model.parameters()``); explain mistakes."""
    if hasattr(params, "parameters") and callable(params.parameters):
        raise TypeError(f"{who}: pass model.parameters(), not the model itself")
    params = list(params)
    if not params:
        raise ValueError(f"{who}: got an empty parameter list (does the model have layers?)")
    for p in params:
        if not isinstance(p, Parameter):
            raise TypeError(f"{who}: expected Parameter objects, e.g. "
                            f"{who}(model.parameters(), lr=0.1); got {type(p).__name__}")
    return params


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, Nesterov momentum and L2 decay.

    Equations (PyTorch's ``torch.optim.SGD``)::

        g ← g + λ θ                          (weight decay, if λ > 0)
        v ← g                                 (first step: the buffer starts as the gradient)
        v ← μ v + (1 − dampening) g           (later steps, if momentum μ > 0)
        g ← g + μ v   (Nesterov)   or   g ← v   (classical momentum)
        θ ← θ − η g

    Args:
        params: iterable of Parameter.
        lr: learning rate η (> 0).
        momentum: μ ≥ 0; 0 gives plain SGD.
        dampening: scales the new gradient in the momentum buffer; must be 0 for Nesterov.
        nesterov: look ahead along the velocity (needs momentum > 0 and dampening = 0).
        weight_decay: λ ≥ 0, added to the gradient as λ θ (L2 regularisation).
    """

    def __init__(self, params, lr: float, momentum: float = 0.0, dampening: float = 0.0,
                 nesterov: bool = False, weight_decay: float = 0.0):
        super().__init__(params, lr, weight_decay)
        self._check(momentum >= 0, f"momentum must be >= 0, got {momentum}")
        self._check(not nesterov or (momentum > 0 and dampening == 0),
                    "nesterov=True needs momentum > 0 and dampening = 0")
        self.momentum, self.dampening, self.nesterov = momentum, dampening, nesterov

    def update(self, p, g, state):
        if self.weight_decay:
            g = g + self.weight_decay * p.data
        if self.momentum:
            if "velocity" not in state:
                state["velocity"] = g.copy()
            else:
                v = state["velocity"]
                v *= self.momentum
                v += (1 - self.dampening) * g
            v = state["velocity"]
            g = g + self.momentum * v if self.nesterov else v
        p.data -= self.lr * g


class RMSprop(Optimizer):
    """Divide the step by a running root-mean-square of recent gradients.

    Equations (PyTorch's ``torch.optim.RMSprop``, all state starts at 0)::

        g ← g + λ θ                          (weight decay, if λ > 0)
        s ← α s + (1 − α) g²                  (running mean of squared gradients)
        m ← α m + (1 − α) g                   (centered only: running mean of gradients)
        d ← √(s − m²) + ε   (centered)   or   d ← √s + ε
        b ← μ b + g / d,   θ ← θ − η b       (if momentum μ > 0)
        θ ← θ − η g / d                       (otherwise)

    Args:
        lr: η (> 0, default 0.01). alpha: smoothing constant α in [0, 1).
        eps: ε > 0, keeps the division finite. momentum: μ ≥ 0.
        centered: normalise by the variance instead of the raw second moment.
        weight_decay: λ ≥ 0 (L2, added to the gradient).
    """

    def __init__(self, params, lr: float = 0.01, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False):
        super().__init__(params, lr, weight_decay)
        self._check(0 <= alpha < 1, f"alpha must be in [0, 1), got {alpha}")
        self._check(eps > 0, f"eps must be > 0, got {eps}")
        self._check(momentum >= 0, f"momentum must be >= 0, got {momentum}")
        self.alpha, self.eps, self.momentum, self.centered = alpha, eps, momentum, centered

    def update(self, p, g, state):
        if self.weight_decay:
            g = g + self.weight_decay * p.data
        a = self.alpha
        s = state.setdefault("square_avg", np.zeros_like(p.data))
        s *= a
        s += (1 - a) * g * g
        if self.centered:
            m = state.setdefault("grad_avg", np.zeros_like(p.data))
            m += (1 - a) * (g - m)             # = α m + (1 − α) g, rearranged as PyTorch writes it
            d = np.sqrt(s - m * m) + self.eps
        else:
            d = np.sqrt(s) + self.eps
        if self.momentum:
            b = state.setdefault("momentum_buffer", np.zeros_like(p.data))
            b *= self.momentum
            b += g / d
            p.data -= self.lr * b
        else:
            p.data -= self.lr * g / d


class Adam(Optimizer):
    """Adaptive moment estimation: momentum and RMSprop, with bias correction.

    Equations (PyTorch's ``torch.optim.Adam``, m and v start at 0, t counts from 1)::

        g ← g + λ θ                          (L2 weight decay, if λ > 0 — see AdamW)
        m ← β₁ m + (1 − β₁) g                 (first moment: a velocity)
        v ← β₂ v + (1 − β₂) g²                (second moment: a per-weight scale)
        m̂ = m / (1 − β₁ᵗ),   v̂ = v / (1 − β₂ᵗ)   (undo the pull towards the zero start)
        θ ← θ − η m̂ / (√v̂ + ε)

    Args:
        lr: η (> 0, default 1e-3). betas: (β₁, β₂), each in [0, 1).
        eps: ε > 0. weight_decay: λ ≥ 0, added to the gradient (coupled, as in torch.optim.Adam).
    """

    decoupled = False

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0):
        super().__init__(params, lr, weight_decay)
        self._check(len(betas) == 2 and all(0 <= b < 1 for b in betas),
                    f"betas must be two numbers in [0, 1), got {betas}")
        self._check(eps > 0, f"eps must be > 0, got {eps}")
        self.betas, self.eps = tuple(betas), eps

    def _moments(self, p, g, state):
        """Weight decay, then update and return (step t, m, v)."""
        if self.weight_decay and self.decoupled:
            p.data *= 1 - self.lr * self.weight_decay
        elif self.weight_decay:
            g = g + self.weight_decay * p.data
        b1, b2 = self.betas
        m = state.setdefault("m", np.zeros_like(p.data))
        v = state.setdefault("v", np.zeros_like(p.data))
        state["t"] = t = state.get("t", 0) + 1
        m += (1 - b1) * (g - m)              # = β₁ m + (1 − β₁) g, rearranged as PyTorch writes it
        v *= b2
        v += (1 - b2) * g * g                # v ← β₂ v + (1 − β₂) g², in place
        return t, m, v

    def update(self, p, g, state):
        t, m, v = self._moments(p, g, state)
        b1, b2 = self.betas
        m_hat = m / (1 - b1**t)
        v_hat = v / (1 - b2**t)
        p.data -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


class AdamW(Adam):
    """Adam with *decoupled* weight decay (Loshchilov & Hutter, 2019).

    Identical to :class:`Adam` except the decay shrinks θ directly instead of entering the
    gradient (where Adam's per-weight scaling would weaken it for weights with large gradients)::

        θ ← θ (1 − η λ)
        ... then the Adam step with g unchanged.

    Default ``weight_decay=1e-2`` as in ``torch.optim.AdamW``.
    """

    decoupled = True

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2):
        super().__init__(params, lr, betas, eps, weight_decay)


class RAdam(Adam):
    """Rectified Adam (Liu et al., 2020): no adaptive step until v̂ is trustworthy.

    Early on, v averages only a few squared gradients, so 1/√v̂ has a huge variance. RAdam
    estimates the length ρₜ of the "simple moving average" v approximates; while ρₜ ≤ 5 it takes
    a plain momentum step, afterwards an Adam step scaled by a rectification factor rₜ.
    Equations (PyTorch's ``torch.optim.RAdam``)::

        m, v updated as in Adam;  m̂ = m / (1 − β₁ᵗ)
        ρ∞ = 2 / (1 − β₂) − 1,    ρₜ = ρ∞ − 2 t β₂ᵗ / (1 − β₂ᵗ)
        if ρₜ > 5:  rₜ = √[(ρₜ − 4)(ρₜ − 2) ρ∞ / ((ρ∞ − 4)(ρ∞ − 2) ρₜ)]
                    θ ← θ − η m̂ rₜ √(1 − β₂ᵗ) / (√v + ε)
        else:       θ ← θ − η m̂

    Args as :class:`Adam`, plus ``decoupled_weight_decay`` (AdamW-style decay when True).
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0,
                 decoupled_weight_decay: bool = False):
        super().__init__(params, lr, betas, eps, weight_decay)
        self.decoupled = decoupled_weight_decay

    def update(self, p, g, state):
        t, m, v = self._moments(p, g, state)
        b1, b2 = self.betas
        m_hat = m / (1 - b1**t)
        rho_inf = 2 / (1 - b2) - 1
        rho_t = rho_inf - 2 * t * b2**t / (1 - b2**t)
        if rho_t > 5:
            r_t = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                            / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            adaptive = math.sqrt(1 - b2**t) / (np.sqrt(v) + self.eps)
            p.data -= self.lr * m_hat * r_t * adaptive
        else:
            p.data -= self.lr * m_hat


def clip_grad_norm(params, max_norm: float) -> float:
    """Scale all gradients together so their global L2 norm is at most ``max_norm``.

    The norm is taken over every gradient as if they were one long vector,
    ``‖g‖ = √(Σ_p Σ_i g_pi²)``; when it exceeds ``max_norm`` every gradient is multiplied by
    ``max_norm / (‖g‖ + 1e-6)`` (PyTorch's ``clip_grad_norm_``), so the direction of the step
    is unchanged and only its length shrinks. Call it between ``backward`` and ``step``.

    Returns:
        the total norm *before* clipping (useful to plot: spikes reveal exploding gradients).
    """
    if max_norm <= 0:
        raise ValueError(f"clip_grad_norm: max_norm must be > 0, got {max_norm}")
    params = list(params)
    total_norm = math.sqrt(sum(float(np.sum(np.square(p.grad, dtype=np.float64))) for p in params))
    scale = max_norm / (total_norm + 1e-6)
    if scale < 1:
        for p in params:
            p.grad *= scale
    return total_norm
