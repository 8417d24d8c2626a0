"""Checker for the Part I capstone (end of Chapter 6): the whole mini-batch training loop.

Use: ``from nnbook.exercises import training_loop`` and ``training_loop.train(train)``.

The reader writes ``train(W1, b1, W2, b2, X, y, epochs, batch_size, lr, seed)`` for the
network X → Dense → ReLU → Dense → softmax cross-entropy, trained with Adam (β₁ = 0.9,
β₂ = 0.999, ε = 1e-8, one step counter t = 1, 2, … over the whole run, separate moments per
parameter). At the start of every epoch, ``order = rng.permutation(N)`` with
``rng = np.random.default_rng(seed)`` created once; the batches are
``order[i:i + batch_size]`` for ``i = 0, batch_size, …`` (the last one may be shorter). Returns
the trained ``(W1, b1, W2, b2)``, new arrays (the given ones stay unchanged).

Because the data order is fixed by the seed, every classic loop bug gives a different,
reproducible result, recognised by its hint:

=====================================================  ==========================================
mistake                                                hint
=====================================================  ==========================================
shuffled once, not every epoch                         reshuffle per epoch
no shuffling at all                                    shuffle
X and y shuffled with two different permutations       one permutation for both
the last, shorter batch dropped                        keep the last batch
overlapping batches (``i:i + batch_size + 1``)         slicing off by one
gradients accumulated across batches (never reset)     fresh gradients per batch
Adam's step counter restarted every epoch              t counts every step of the run
Adam's step counter never advanced                     t counts every step of the run
the loss gradient not divided by the batch size        the 1/B of the mean
=====================================================  ==========================================
"""
from __future__ import annotations

import numpy as np

from nnlib.activations import softmax
from nnlib.layers.dense import linear_backward

from .common import COMMON
from .core import Case, Checker, Mistake

__all__ = ["train"]


def _train(W1, b1, W2, b2, X, y, epochs, batch_size, lr, seed, *, reshuffle=True, shuffle=True,
           same_perm=True, keep_last=True, overlap=0, accumulate=False, t_per_epoch=False,
           t_frozen=False, mean=True):
    """The reference (all defaults) and, with one keyword changed, each recognised mistake."""
    params = [W1.copy(), b1.copy(), W2.copy(), b2.copy()]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    grads = [np.zeros_like(p) for p in params]
    rng = np.random.default_rng(seed)
    N, t = len(X), 0
    order = np.arange(N)
    for epoch in range(epochs):
        if shuffle and (reshuffle or epoch == 0):
            order = rng.permutation(N)
        order_y = order if same_perm else rng.permutation(N)
        if t_per_epoch:
            t = 0
        stop = N if keep_last else N - N % batch_size
        for i in range(0, stop, batch_size):
            idx, idy = order[i:i + batch_size + overlap], order_y[i:i + batch_size + overlap]
            Xb, yb = X[idx], y[idy]
            W1_, b1_, W2_, b2_ = params
            Z1 = Xb @ W1_ + b1_
            A1 = np.maximum(Z1, 0)
            Z2 = A1 @ W2_ + b2_
            dZ2 = softmax(Z2)
            dZ2[np.arange(len(yb)), yb] -= 1
            if mean:
                dZ2 /= len(yb)
            dA1, dW2, db2 = linear_backward(A1, W2_, dZ2)
            dZ1 = dA1 * (Z1 > 0)
            _, dW1, db1 = linear_backward(Xb, W1_, dZ1, need_dx=False)
            new = [dW1, db1, dW2, db2]
            grads = [g + n for g, n in zip(grads, new)] if accumulate else new
            if not t_frozen:
                t += 1
            tt = max(t, 1)
            for k in range(4):
                m[k] = 0.9 * m[k] + 0.1 * grads[k]
                v[k] = 0.999 * v[k] + 0.001 * grads[k] ** 2
                m_hat = m[k] / (1 - 0.9 ** tt)
                v_hat = v[k] / (1 - 0.999 ** tt)
                params[k] = params[k] - lr * m_hat / (np.sqrt(v_hat) + 1e-8)
    return tuple(params)


def _like(**kw):
    return lambda *args: _train(*args, **kw)


def _case(seed, N, D, H, K, epochs, batch_size, lr, label):
    g = np.random.default_rng(seed)
    X = np.round(g.normal(size=(N, D)), 3)
    y = g.integers(0, K, size=N)
    W1 = np.round(g.normal(size=(D, H)) * np.sqrt(2 / D), 3)
    W2 = np.round(g.normal(size=(H, K)) * np.sqrt(1 / H), 3)
    return Case(W1, np.zeros(H), W2, np.zeros(K), X, y, epochs, batch_size, lr, seed + 100,
                label=label)


train = Checker(
    "train", _train, output_names=("W1", "b1", "W2", "b2"),
    arg_names=("W1", "b1", "W2", "b2", "X", "y", "epochs", "batch_size", "lr", "seed"),
    signature="train(W1, b1, W2, b2, X, y, epochs, batch_size, lr, seed)",
    rtol=1e-5, atol=1e-7, timeout=10.0,
    cases=[
        _case(1, 20, 4, 6, 3, 1, 5, 0.01, "one epoch, 20 examples in 4 full batches"),
        _case(2, 23, 5, 8, 4, 3, 5, 0.01,
              "3 epochs of 23 examples: 4 batches of 5 and a last one of 3"),
        _case(3, 16, 4, 5, 3, 2, 8, 0.05, "a larger learning rate, 0.05: use the lr you are given"),
    ],
    mistakes=[
        Mistake("Reshuffle at the start of EVERY epoch (`order = rng.permutation(N)` inside the "
                "epoch loop): with one order for the whole run, every epoch sees the same "
                "batches.", like=_like(reshuffle=False)),
        Mistake("Shuffle the examples: `order = rng.permutation(N)` at the start of every epoch, "
                "then take the batches from `order`. In file order, a batch can hold one class.",
                like=_like(shuffle=False)),
        Mistake("X and y must be shuffled with the SAME permutation (`X[idx]`, `y[idx]`): with "
                "two, every example gets another example's label.", like=_like(same_perm=False)),
        Mistake("Keep the last, shorter batch: `range(0, N, batch_size)` and `order[i:i + "
                "batch_size]` give it to you; dropping it skips examples every epoch.",
                like=_like(keep_last=False)),
        Mistake("Off by one in the slicing: `order[i:i + batch_size]` holds batch_size indices; "
                "`+ 1` makes neighbouring batches overlap.", like=_like(overlap=1)),
        Mistake("Each step needs the gradient of THIS batch: you added it to the previous "
                "batches' gradients (compute fresh arrays, or reset them to 0 before the "
                "backward pass).", like=_like(accumulate=True)),
        Mistake("Adam's step counter t counts every step of the run (1, 2, 3, …); you restarted "
                "it every epoch, so the bias correction starts over.",
                like=_like(t_per_epoch=True)),
        Mistake("Adam's step counter t must go up by one at every step: the bias correction "
                "uses it.", like=_like(t_frozen=True)),
        Mistake("The loss is the MEAN over the batch, so dL/dZ2 = (softmax(Z2) − Y) / B: the 1/B "
                "is missing.", like=_like(mean=False)),
        *COMMON,
    ])
