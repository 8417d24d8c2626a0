"""Optimizers: 20 steps of each against torch.optim, hyperparameter validation, clipping."""
import numpy as np
import pytest

from nnlib.layers.base import Parameter
from nnlib.optimizers import SGD, Adam, AdamW, RAdam, RMSprop, clip_grad_norm

# ---------------------------------------------------------------------------------------------
# The shared problem: θ = (W, b), loss = mean((tanh(X W + b) − Y)²). Gradients are computed
# independently on each side — by hand in NumPy for nnlib, by autograd for PyTorch — so the
# trajectories only agree if the updates agree at every step.
# ---------------------------------------------------------------------------------------------
_data = np.random.default_rng(42)
X = _data.normal(size=(16, 5))
Y = _data.normal(size=(16, 3))
W0 = _data.normal(size=(5, 3))
b0 = _data.normal(size=3)


def numpy_grads(W, b):
    A = np.tanh(X @ W.data + b.data)
    dZ = 2 * (A - Y) * (1 - A**2) / A.size
    W.grad = X.T @ dZ
    b.grad = dZ.sum(axis=0)


def run_pair(torch, make_ours, make_theirs, make_our_sched=None, make_their_sched=None, steps=20):
    """Run both optimizers (and schedules) for `steps` steps; return final params and lrs."""
    W, b = Parameter(W0.copy(), "W"), Parameter(b0.copy(), "b")
    opt = make_ours([W, b])
    sched = make_our_sched(opt) if make_our_sched else None
    tW = torch.tensor(W0, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(b0, dtype=torch.float64, requires_grad=True)
    topt = make_theirs([tW, tb])
    tsched = make_their_sched(topt) if make_their_sched else None
    our_lrs, their_lrs = [], []
    for _ in range(steps):
        numpy_grads(W, b)
        opt.step()
        topt.zero_grad()
        loss = ((torch.tanh(torch.tensor(X) @ tW + tb) - torch.tensor(Y)) ** 2).mean()
        loss.backward()
        topt.step()
        if sched:
            sched.step()
            tsched.step()
        our_lrs.append(opt.lr)
        their_lrs.append(topt.param_groups[0]["lr"])
    moved = np.abs(W.data - W0).max()
    assert moved > 1e-3, "the optimizer barely moved: the parity test would be vacuous"
    np.testing.assert_allclose(W.data, tW.detach().numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(b.data, tb.detach().numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(our_lrs, their_lrs, rtol=1e-12, atol=0)
    return opt, topt


# (our class, torch name, kwargs shared by both)
CONFIGS = [
    (SGD, "SGD", dict(lr=0.5)),
    (SGD, "SGD", dict(lr=0.2, momentum=0.9)),
    (SGD, "SGD", dict(lr=0.2, momentum=0.9, dampening=0.5)),
    (SGD, "SGD", dict(lr=0.2, momentum=0.9, nesterov=True)),
    (SGD, "SGD", dict(lr=0.2, weight_decay=0.1)),
    (SGD, "SGD", dict(lr=0.2, momentum=0.8, nesterov=True, weight_decay=0.05)),
    (RMSprop, "RMSprop", dict(lr=0.01)),
    (RMSprop, "RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.9)),
    (RMSprop, "RMSprop", dict(lr=0.01, centered=True)),
    (RMSprop, "RMSprop", dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.1, eps=1e-6)),
    (Adam, "Adam", dict(lr=0.05)),
    (Adam, "Adam", dict(lr=0.05, betas=(0.5, 0.9), eps=1e-6)),
    (Adam, "Adam", dict(lr=0.05, weight_decay=0.1)),
    (AdamW, "AdamW", dict(lr=0.05)),
    (AdamW, "AdamW", dict(lr=0.05, weight_decay=0.3, betas=(0.8, 0.99))),
    (RAdam, "RAdam", dict(lr=0.05)),
    (RAdam, "RAdam", dict(lr=0.05, betas=(0.9, 0.9))),   # ρ_t > 5 from step 6 or so
    (RAdam, "RAdam", dict(lr=0.05, weight_decay=0.1)),
    (RAdam, "RAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
]


@pytest.mark.parametrize("ours, theirs, kwargs", CONFIGS,
                         ids=[f"{c[1]}-{'-'.join(f'{k}={v}' for k, v in c[2].items())}" for c in CONFIGS])
def test_twenty_steps_match_pytorch(torch, ours, theirs, kwargs):
    run_pair(torch,
             lambda params: ours(params, **kwargs),
             lambda params: getattr(torch.optim, theirs)(params, foreach=False, **kwargs))


def test_radam_takes_both_branches():
    """With β₂ = 0.9, ρ_t ≤ 5 for the first steps (plain momentum) and > 5 later."""
    b2 = 0.9
    rho_inf = 2 / (1 - b2) - 1
    rho = [rho_inf - 2 * t * b2**t / (1 - b2**t) for t in range(1, 21)]
    assert rho[0] <= 5 and rho[-1] > 5


def test_updates_are_in_place():
    W = Parameter(np.ones((2, 2)), "W")
    alias = W.data
    W.grad = np.full((2, 2), 0.5)
    Adam([W], lr=0.1).step()
    assert alias is W.data and not np.allclose(alias, 1.0)


def test_float32_parameters_stay_float32():
    W = Parameter(np.ones((3,), dtype=np.float32), "W")
    W.grad = np.ones(3, dtype=np.float32)
    for opt in (SGD([W], lr=0.1, momentum=0.9), RMSprop([W]), Adam([W]), AdamW([W]), RAdam([W])):
        opt.step()
        opt.step()
        assert W.data.dtype == np.float32


def test_state_is_per_parameter():
    a, b = Parameter(np.zeros(2), "a"), Parameter(np.zeros(2), "b")
    a.grad, b.grad = np.ones(2), -np.ones(2)
    opt = SGD([a, b], lr=1.0, momentum=0.5)
    opt.step()
    opt.step()
    np.testing.assert_allclose(a.data, [-2.5, -2.5])   # v = 1, then 1.5
    np.testing.assert_allclose(b.data, [2.5, 2.5])


def test_zero_grad():
    a = Parameter(np.zeros(3), "a")
    a.grad = np.ones(3)
    SGD([a], lr=0.1).zero_grad()
    assert np.all(a.grad == 0)


def test_lr_can_be_changed_between_steps():
    a = Parameter(np.zeros(1), "a")
    a.grad = np.ones(1)
    opt = SGD([a], lr=0.1)
    opt.step()
    opt.lr = 1.0
    opt.step()
    np.testing.assert_allclose(a.data, [-1.1])


@pytest.mark.parametrize("make, fragment", [
    (lambda p: SGD(p, lr=0), "SGD: lr must be > 0"),
    (lambda p: SGD(p, lr=-0.1), "lr must be > 0"),
    (lambda p: SGD(p, lr=0.1, momentum=-0.5), "SGD: momentum must be >= 0"),
    (lambda p: SGD(p, lr=0.1, weight_decay=-1e-4), "weight_decay must be >= 0"),
    (lambda p: SGD(p, lr=0.1, nesterov=True), "nesterov=True needs momentum > 0"),
    (lambda p: SGD(p, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "dampening"),
    (lambda p: RMSprop(p, alpha=1.0), "RMSprop: alpha"),
    (lambda p: RMSprop(p, eps=0), "RMSprop: eps must be > 0"),
    (lambda p: RMSprop(p, momentum=-1), "momentum must be >= 0"),
    (lambda p: Adam(p, betas=(0.9, 1.0)), "Adam: betas"),
    (lambda p: Adam(p, betas=(-0.1, 0.9)), "betas"),
    (lambda p: Adam(p, eps=-1e-8), "Adam: eps must be > 0"),
    (lambda p: AdamW(p, weight_decay=-0.01), "AdamW: weight_decay must be >= 0"),
    (lambda p: RAdam(p, lr=0), "RAdam: lr must be > 0"),
])
def test_invalid_hyperparameters_raise(make, fragment):
    with pytest.raises(ValueError, match=fragment):
        make([Parameter(np.zeros(2), "w")])


def test_bad_parameter_lists_are_explained():
    class FakeModel:
        def parameters(self):
            return []

    with pytest.raises(TypeError, match="model.parameters"):
        SGD(FakeModel(), lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        SGD([], lr=0.1)
    with pytest.raises(TypeError, match="expected Parameter"):
        SGD([np.zeros(3)], lr=0.1)


@pytest.mark.parametrize("max_norm", [0.1, 1.0, 100.0])
def test_clip_grad_norm_matches_pytorch(torch, max_norm):
    rng = np.random.default_rng(1)
    grads = [rng.normal(size=(4, 3)), rng.normal(size=7), rng.normal(size=(2, 2, 2))]
    params = [Parameter(np.zeros_like(g), "p") for g in grads]
    for p, g in zip(params, grads):
        p.grad = g.copy()
    tparams = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for tp, g in zip(tparams, grads):
        tp.grad = torch.tensor(g)
    total = clip_grad_norm(params, max_norm)
    ttotal = torch.nn.utils.clip_grad_norm_(tparams, max_norm)
    assert abs(total - float(ttotal)) < 1e-12
    for p, tp in zip(params, tparams):
        np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=0, atol=1e-14)
    new_norm = np.sqrt(sum(np.sum(p.grad**2) for p in params))
    assert new_norm <= max_norm + 1e-9
    if total <= max_norm:   # small gradients are left alone
        for p, g in zip(params, grads):
            np.testing.assert_array_equal(p.grad, g)


def test_clip_grad_norm_rejects_nonpositive_max_norm():
    with pytest.raises(ValueError, match="max_norm"):
        clip_grad_norm([Parameter(np.zeros(2), "w")], 0.0)
