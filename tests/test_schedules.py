"""Schedules: each one against torch.optim.lr_scheduler on the optimizer parity problem."""
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from nnlib.layers.base import Parameter
from nnlib.optimizers import SGD, Adam
from nnlib.schedules import (CosineAnnealingLR, ExponentialLR, LinearWarmup, OneCycleLR, StepLR,
                             lr_curve)

sys.path.insert(0, str(Path(__file__).parent))   # share the parity problem, whatever the import mode
from test_optimizers import run_pair  # noqa: E402

# (our schedule, torch schedule name, our kwargs, torch kwargs)
SCHEDULES = [
    (StepLR, "StepLR", dict(step_size=3, gamma=0.5), dict(step_size=3, gamma=0.5)),
    (StepLR, "StepLR", dict(step_size=1), dict(step_size=1)),
    (ExponentialLR, "ExponentialLR", dict(gamma=0.9), dict(gamma=0.9)),
    (CosineAnnealingLR, "CosineAnnealingLR", dict(T_max=20), dict(T_max=20)),
    # T_max < 20 steps: both continue the cosine past T_max
    (CosineAnnealingLR, "CosineAnnealingLR", dict(T_max=7, eta_min=0.01), dict(T_max=7, eta_min=0.01)),
    (LinearWarmup, "LinearLR", dict(warmup_steps=5), dict(total_iters=5)),
    (LinearWarmup, "LinearLR", dict(warmup_steps=8, start_factor=0.01),
     dict(total_iters=8, start_factor=0.01)),
    (LinearWarmup, "LinearLR", dict(warmup_steps=4, start_factor=0.5, end_factor=0.25),
     dict(total_iters=4, start_factor=0.5, end_factor=0.25)),
    (OneCycleLR, "OneCycleLR", dict(max_lr=0.5, total_steps=20), dict(max_lr=0.5, total_steps=20)),
    (OneCycleLR, "OneCycleLR", dict(max_lr=0.5, total_steps=25, anneal_strategy="linear"),
     dict(max_lr=0.5, total_steps=25, anneal_strategy="linear")),
    (OneCycleLR, "OneCycleLR", dict(max_lr=0.5, total_steps=20, three_phase=True, pct_start=0.25),
     dict(max_lr=0.5, total_steps=20, three_phase=True, pct_start=0.25)),
    (OneCycleLR, "OneCycleLR", dict(max_lr=0.3, total_steps=30, cycle_momentum=False, div_factor=10),
     dict(max_lr=0.3, total_steps=30, cycle_momentum=False, div_factor=10)),
]
IDS = [f"{s[1]}-{'-'.join(f'{k}={v}' for k, v in s[2].items())}" for s in SCHEDULES]


@pytest.mark.parametrize("ours, theirs, our_kw, their_kw", SCHEDULES, ids=IDS)
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_with_schedule_matches_pytorch(torch, ours, theirs, our_kw, their_kw, momentum):
    run_pair(torch,
             lambda p: SGD(p, lr=0.3, momentum=momentum),
             lambda p: torch.optim.SGD(p, lr=0.3, momentum=momentum, foreach=False),
             lambda opt: ours(opt, **our_kw),
             lambda opt: getattr(torch.optim.lr_scheduler, theirs)(opt, **their_kw))


@pytest.mark.parametrize("ours, theirs, our_kw, their_kw", SCHEDULES, ids=IDS)
def test_adam_with_schedule_matches_pytorch(torch, ours, theirs, our_kw, their_kw):
    """OneCycleLR cycles Adam's β₁ instead of a momentum."""
    opt, topt = run_pair(torch,
                         lambda p: Adam(p, lr=0.05),
                         lambda p: torch.optim.Adam(p, lr=0.05, foreach=False),
                         lambda opt: ours(opt, **our_kw),
                         lambda opt: getattr(torch.optim.lr_scheduler, theirs)(opt, **their_kw))
    assert opt.betas[0] == pytest.approx(topt.param_groups[0]["betas"][0], abs=1e-12)


def test_closed_forms():
    curve = lr_curve(lambda opt: StepLR(opt, step_size=2, gamma=0.5), 6, lr=1.0)
    np.testing.assert_allclose(curve, [1, 1, 0.5, 0.5, 0.25, 0.25])
    curve = lr_curve(lambda opt: CosineAnnealingLR(opt, T_max=4), 5, lr=1.0)
    np.testing.assert_allclose(curve, [1, (1 + math.cos(math.pi / 4)) / 2, 0.5,
                                       (1 + math.cos(3 * math.pi / 4)) / 2, 0], atol=1e-15)
    curve = lr_curve(lambda opt: LinearWarmup(opt, warmup_steps=4, start_factor=0.2), 7, lr=1.0)
    np.testing.assert_allclose(curve, [0.2, 0.4, 0.6, 0.8, 1, 1, 1])
    curve = lr_curve(lambda opt: ExponentialLR(opt, gamma=0.5), 3, lr=2.0)
    np.testing.assert_allclose(curve, [2, 1, 0.5])


def test_one_cycle_shape():
    curve = lr_curve(lambda opt: OneCycleLR(opt, max_lr=1.0, total_steps=100), 100)
    assert curve[0] == pytest.approx(1.0 / 25)
    assert np.argmax(curve) == 29 and curve.max() == pytest.approx(1.0)
    assert curve[-1] == pytest.approx(1.0 / 25 / 1e4)
    assert np.all(np.diff(curve[:30]) > 0) and np.all(np.diff(curve[29:]) < 0)


def test_one_cycle_refuses_to_run_past_total_steps():
    opt = SGD([Parameter(np.zeros(1), "w")], lr=0.1)
    sched = OneCycleLR(opt, max_lr=1.0, total_steps=5)
    for _ in range(5):
        sched.step()
    with pytest.raises(ValueError, match="total_steps"):
        sched.step()


def test_get_last_lr_is_the_optimizer_lr():
    opt = SGD([Parameter(np.zeros(1), "w")], lr=0.1)
    sched = ExponentialLR(opt, gamma=0.5)
    sched.step()
    assert sched.get_last_lr() == opt.lr == pytest.approx(0.05)


@pytest.mark.parametrize("make, fragment", [
    (lambda o: StepLR(o, step_size=0), "StepLR: step_size"),
    (lambda o: ExponentialLR(o, gamma=0), "ExponentialLR: gamma"),
    (lambda o: CosineAnnealingLR(o, T_max=0), "T_max"),
    (lambda o: LinearWarmup(o, warmup_steps=0), "warmup_steps"),
    (lambda o: LinearWarmup(o, warmup_steps=3, start_factor=0), "start_factor"),
    (lambda o: OneCycleLR(o, max_lr=1.0, total_steps=10, pct_start=1.2), "pct_start"),
    (lambda o: OneCycleLR(o, max_lr=1.0, total_steps=10, anneal_strategy="cosine"), "anneal_strategy"),
    (lambda o: OneCycleLR(o, max_lr=-1.0, total_steps=10), "max_lr"),
])
def test_invalid_arguments_raise(make, fragment):
    with pytest.raises(ValueError, match=fragment):
        make(SGD([Parameter(np.zeros(1), "w")], lr=0.1))
