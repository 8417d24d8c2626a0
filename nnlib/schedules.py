"""Learning-rate schedules: change ``optimizer.lr`` as training goes on.

A schedule is a function ``t ↦ η_t`` of the step counter ``t`` (an epoch or a batch, whichever
you call ``step()`` after). Each class here writes that function in closed form in ``lr_at(t)``;
the object only remembers ``t`` and copies ``lr_at(t)`` into ``optimizer.lr``::

    opt = SGD(model.parameters(), lr=0.1)
    sched = CosineAnnealingLR(opt, T_max=100)
    for epoch in range(100):
        train_one_epoch(model, opt)     # uses opt.lr = η_t
        sched.step()                    # t ← t + 1, opt.lr ← η_{t+1}

Constructing a schedule sets ``opt.lr`` to ``η_0`` (the optimizer's lr is taken as the base
rate ``η_base``; OneCycleLR computes its own). Semantics and defaults follow
``torch.optim.lr_scheduler``, and the tests compare each to PyTorch. One difference: nnlib
optimizers have one learning rate, so ``get_last_lr()`` returns a float, not a list.

``lr_curve(make_schedule, steps)`` returns the whole curve without any training, for plots.
"""
from __future__ import annotations

import math

import numpy as np


class Schedule:
    """Base class: subclasses implement ``lr_at(t)``, the learning rate after ``t`` steps."""

    def __init__(self, optimizer):
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.t = 0
        self.optimizer.lr = self.lr_at(0)

    def lr_at(self, t: int) -> float:
        raise NotImplementedError

    def step(self) -> None:
        """Advance one step (an epoch or a batch) and set the optimizer's learning rate."""
        self.t += 1
        self.optimizer.lr = self.lr_at(self.t)

    def get_last_lr(self) -> float:
        """The learning rate the optimizer uses now."""
        return self.optimizer.lr

    def _check(self, ok: bool, message: str) -> None:
        if not ok:
            raise ValueError(f"{type(self).__name__}: {message}")


class StepLR(Schedule):
    """Multiply the rate by ``gamma`` every ``step_size`` steps: ``η_t = η_base γ^⌊t / step_size⌋``."""

    def __init__(self, optimizer, step_size: int, gamma: float = 0.1):
        self.step_size, self.gamma = step_size, gamma
        self._check(step_size >= 1, f"step_size must be >= 1, got {step_size}")
        self._check(gamma > 0, f"gamma must be > 0, got {gamma}")
        super().__init__(optimizer)

    def lr_at(self, t):
        return self.base_lr * self.gamma ** (t // self.step_size)


class ExponentialLR(Schedule):
    """Multiply the rate by ``gamma`` every step: ``η_t = η_base γ^t``."""

    def __init__(self, optimizer, gamma: float):
        self.gamma = gamma
        self._check(gamma > 0, f"gamma must be > 0, got {gamma}")
        super().__init__(optimizer)

    def lr_at(self, t):
        return self.base_lr * self.gamma**t


class CosineAnnealingLR(Schedule):
    """Half a cosine from ``η_base`` down to ``eta_min`` over ``T_max`` steps.

    ``η_t = η_min + (η_base − η_min) (1 + cos(π t / T_max)) / 2``. Past ``T_max`` the cosine
    continues (the rate rises again), as in PyTorch; usually you stop at ``T_max``.
    """

    def __init__(self, optimizer, T_max: int, eta_min: float = 0.0):
        self.T_max, self.eta_min = T_max, eta_min
        self._check(T_max >= 1, f"T_max must be >= 1, got {T_max}")
        self._check(eta_min >= 0, f"eta_min must be >= 0, got {eta_min}")
        super().__init__(optimizer)

    def lr_at(self, t):
        return self.eta_min + (self.base_lr - self.eta_min) * (1 + math.cos(math.pi * t / self.T_max)) / 2


class LinearWarmup(Schedule):
    """Ramp the rate linearly from ``start_factor·η_base`` to ``end_factor·η_base``, then hold.

    ``η_t = η_base (s + (e − s) min(t, warmup_steps) / warmup_steps)``. This is PyTorch's
    ``LinearLR(start_factor, end_factor, total_iters=warmup_steps)``, with the same default
    start factor 1/3; warm-ups in transformer training often start near 0 (``start_factor=0.01``).
    Large steps from a random start can wreck Adam's early moment estimates; a warm-up avoids it.
    """

    def __init__(self, optimizer, warmup_steps: int = 5, start_factor: float = 1 / 3,
                 end_factor: float = 1.0):
        self.warmup_steps, self.start_factor, self.end_factor = warmup_steps, start_factor, end_factor
        self._check(warmup_steps >= 1, f"warmup_steps must be >= 1, got {warmup_steps}")
        self._check(0 < start_factor <= 1, f"start_factor must be in (0, 1], got {start_factor}")
        self._check(0 <= end_factor <= 1, f"end_factor must be in [0, 1], got {end_factor}")
        super().__init__(optimizer)

    def lr_at(self, t):
        progress = min(t, self.warmup_steps) / self.warmup_steps
        return self.base_lr * (self.start_factor + (self.end_factor - self.start_factor) * progress)


class OneCycleLR(Schedule):
    """Smith's one-cycle policy: warm up to ``max_lr``, then anneal far below the start.

    Phases (``T = total_steps``, ``p = pct_start``), PyTorch's ``OneCycleLR``:

    1. steps 0 … pT−1: from ``max_lr / div_factor`` up to ``max_lr``;
    2. then to step T−1: from ``max_lr`` down to ``max_lr / (div_factor · final_div_factor)``.

    With ``three_phase=True`` phase 2 returns to the start rate by step 2pT−2 and a third
    phase anneals to the minimum. Each phase interpolates with half a cosine
    (``anneal_strategy="cos"``) or a straight line (``"linear"``). Step once per **batch**;
    ``total_steps = epochs × batches_per_epoch``.

    Momentum cycling (``cycle_momentum=True``, the PyTorch default): the momentum moves the
    opposite way, ``max_momentum → base_momentum → max_momentum``, because a high rate and
    high momentum together overshoot. It sets ``optimizer.momentum`` (SGD, RMSprop) or β₁ of
    ``optimizer.betas`` (Adam family). Note that, as in PyTorch, this *switches momentum on*
    for an SGD built with ``momentum=0``; pass ``cycle_momentum=False`` to leave it alone.
    """

    def __init__(self, optimizer, max_lr: float, total_steps: int, pct_start: float = 0.3,
                 anneal_strategy: str = "cos", cycle_momentum: bool = True,
                 base_momentum: float = 0.85, max_momentum: float = 0.95,
                 div_factor: float = 25.0, final_div_factor: float = 1e4,
                 three_phase: bool = False):
        self._check(max_lr > 0, f"max_lr must be > 0, got {max_lr}")
        self._check(total_steps >= 2, f"total_steps must be >= 2, got {total_steps}")
        self._check(0 < pct_start < 1, f"pct_start must be in (0, 1), got {pct_start}")
        self._check(anneal_strategy in ("cos", "linear"),
                    f"anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
        self._check(not cycle_momentum or hasattr(optimizer, "momentum") or hasattr(optimizer, "betas"),
                    "cycle_momentum=True needs an optimizer with momentum or betas")
        self.total_steps, self.cycle_momentum = total_steps, cycle_momentum
        self.anneal = _cos_interp if anneal_strategy == "cos" else _linear_interp
        start, peak = max_lr / div_factor, max_lr
        low = start / final_div_factor
        m_hi, m_lo = max_momentum, base_momentum
        up = pct_start * total_steps - 1
        # (last step of the phase, lr at its start, lr at its end, momentum start, momentum end)
        if three_phase:
            self.phases = [(up, start, peak, m_hi, m_lo),
                           (2 * pct_start * total_steps - 2, peak, start, m_lo, m_hi),
                           (total_steps - 1, start, low, m_hi, m_hi)]
        else:
            self.phases = [(up, start, peak, m_hi, m_lo),
                           (total_steps - 1, peak, low, m_lo, m_hi)]
        super().__init__(optimizer)
        self._set_momentum()

    def _at(self, t: int) -> tuple[float, float]:
        """(learning rate, momentum) after t steps."""
        if t > self.total_steps:
            raise ValueError(f"OneCycleLR: stepped {t} times but total_steps={self.total_steps}; "
                             "set total_steps = epochs × batches per epoch")
        phase_start = 0.0
        for i, (phase_end, lr0, lr1, m0, m1) in enumerate(self.phases):
            if t <= phase_end or i == len(self.phases) - 1:
                pct = (t - phase_start) / (phase_end - phase_start)
                return self.anneal(lr0, lr1, pct), self.anneal(m0, m1, pct)
            phase_start = phase_end

    def lr_at(self, t):
        return self._at(t)[0]

    def momentum_at(self, t: int) -> float:
        return self._at(t)[1]

    def step(self) -> None:
        super().step()
        self._set_momentum()

    def _set_momentum(self):
        if not self.cycle_momentum:
            return
        m = self.momentum_at(self.t)
        if hasattr(self.optimizer, "betas"):
            self.optimizer.betas = (m, *self.optimizer.betas[1:])
        else:
            self.optimizer.momentum = m


def _cos_interp(start: float, end: float, pct: float) -> float:
    """Half a cosine from ``start`` (pct = 0) to ``end`` (pct = 1)."""
    return end + (start - end) / 2 * (math.cos(math.pi * pct) + 1)


def _linear_interp(start: float, end: float, pct: float) -> float:
    return start + (end - start) * pct


def lr_curve(make_schedule, steps: int, lr: float = 0.1) -> np.ndarray:
    """The learning rate used at steps 0 … steps−1, without training anything.

    Args:
        make_schedule: a function ``optimizer -> schedule``, e.g.
            ``lambda opt: CosineAnnealingLR(opt, T_max=100)``.
        steps: how many values to return.
        lr: the base learning rate given to the stand-in optimizer.

    Returns:
        ``(steps,)`` float array, ready for ``plt.plot``.
    """
    from .layers.base import Parameter
    from .optimizers import SGD

    opt = SGD([Parameter(np.zeros(1), "dummy")], lr=lr)
    schedule = make_schedule(opt)
    curve = []
    for _ in range(steps):
        curve.append(opt.lr)
        schedule.step()
    return np.array(curve)
