"""The Part I capstone: the whole training loop, tried with a student's wrong loops. Each must
be rejected with the hint for its own bug (or with none of them), and right loops written
differently from the book's solution must pass."""
import numpy as np
import pytest

from nnbook.exercises.training_loop import train as check


def adam_step(w, grad, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad ** 2
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def gradients(W1, b1, W2, b2, Xb, yb, mean=True):
    Z1 = Xb @ W1 + b1
    A1 = np.maximum(Z1, 0)
    Z2 = A1 @ W2 + b2
    P = np.exp(Z2 - Z2.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    P[np.arange(len(yb)), yb] -= 1
    dZ2 = P / len(yb) if mean else P
    dW2, db2 = A1.T @ dZ2, dZ2.sum(axis=0)
    dZ1 = (dZ2 @ W2.T) * (Z1 > 0)
    return [Xb.T @ dZ1, dZ1.sum(axis=0), dW2, db2]


def loop(W1, b1, W2, b2, X, y, epochs, batch_size, lr, seed, *, once=False, no_shuffle=False,
         two_perms=False, drop_last=False, plus_one=False, accumulate=False, t_reset=False,
         t_stuck=False, no_mean=False, in_place=False):
    params = [W1, b1, W2, b2] if in_place else [W1.copy(), b1.copy(), W2.copy(), b2.copy()]
    ms = [np.zeros_like(p) for p in params]
    vs = [np.zeros_like(p) for p in params]
    acc = [np.zeros_like(p) for p in params]
    rng = np.random.default_rng(seed)
    N, t = len(X), 0
    order = rng.permutation(N) if once else np.arange(N)
    for epoch in range(epochs):
        if not once and not no_shuffle:
            order = rng.permutation(N)
        order_y = rng.permutation(N) if two_perms else order
        if t_reset:
            t = 0
        end = N - N % batch_size if drop_last else N
        for i in range(0, end, batch_size):
            j = i + batch_size + (1 if plus_one else 0)
            g = gradients(*params, X[order[i:j]], y[order_y[i:j]], mean=not no_mean)
            if accumulate:
                acc = [a + b for a, b in zip(acc, g)]
                g = acc
            t = t if t_stuck else t + 1
            for k in range(4):
                new, ms[k], vs[k] = adam_step(params[k], g[k], ms[k], vs[k], max(t, 1), lr)
                if in_place:
                    params[k][...] = new      # writes into the caller's arrays
                else:
                    params[k] = new
    return tuple(params)


def right_with_a_class(W1, b1, W2, b2, X, y, epochs, batch_size, lr, seed):
    class Adam:
        def __init__(self, shapes):
            self.m = [np.zeros(s) for s in shapes]
            self.v = [np.zeros(s) for s in shapes]
            self.t = 0

        def step(self, params, grads):
            self.t += 1
            out = []
            for k, (p, g) in enumerate(zip(params, grads)):
                p, self.m[k], self.v[k] = adam_step(p, g, self.m[k], self.v[k], self.t, lr)
                out.append(p)
            return out

    params = [W1, b1, W2, b2]
    opt = Adam([p.shape for p in params])
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        perm = rng.permutation(len(X))
        Xs, ys = X[perm], y[perm]
        for start in range(0, len(X), batch_size):
            sl = slice(start, start + batch_size)
            params = opt.step(params, gradients(*params, Xs[sl], ys[sl]))
    return tuple(params)


def typo(W1, b1, W2, b2, X, y, epochs, batch_size, lr, seed):
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(len(X))
        for i in range(0, len(X), batch_size):
            g = gradients(W1, b1, W2, b2, X[order[i:i + batch_size]], y[ordr[i:i + batch_size]])  # noqa: F821
    return W1, b1, W2, b2


def kw(**k):
    return lambda *a: loop(*a, **k)


WRONG = [
    (kw(once=True), "Reshuffle at the start of EVERY epoch"),
    (kw(no_shuffle=True), "Shuffle the examples"),
    (kw(two_perms=True), "SAME permutation"),
    (kw(drop_last=True), "Keep the last, shorter batch"),
    (kw(plus_one=True), "Off by one"),
    (kw(accumulate=True), "gradient of THIS batch"),
    (kw(t_reset=True), "restarted it every epoch"),
    (kw(t_stuck=True), "must go up by one"),
    (kw(no_mean=True), "the 1/B is missing"),
    (typo, None),
    (lambda *a: loop(*a)[:3], None),            # forgot to return b2
    (lambda W1, b1, W2, b2, *rest: (W1, b1, W2, b2), None),   # never trained
]
HINTS = [h for _, h in WRONG if h]


@pytest.mark.parametrize("attempt, hint", WRONG, ids=[h or f"no hint {i}" for i, (_, h) in enumerate(WRONG)])
def test_a_buggy_loop_is_rejected_with_its_own_hint(attempt, hint):
    result = check.run(attempt)
    assert result.status == "fail", result.text
    if hint is None:
        assert not any(h in (result.hint or "") for h in HINTS), result.hint
    else:
        assert hint in (result.hint or ""), result.text


def test_a_typo_is_reported_as_the_error_it_is():
    result = check.run(typo)
    assert "NameError" in result.text and "ordr" in result.text and result.hint is None


@pytest.mark.parametrize("attempt", [loop, right_with_a_class])
def test_right_loops_pass(attempt):
    assert check.run(attempt).passed, check.run(attempt).text


def test_a_loop_that_updates_the_given_arrays_in_place_is_caught():
    result = check.run(kw(in_place=True))
    assert not result.passed and "in place" in result.text
