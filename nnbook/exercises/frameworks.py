"""Checkers for *From nnlib to PyTorch and Keras* (Chapter 16). They need neither framework.
Use: ``from nnbook.exercises import frameworks as check``.

=======================================  =========================================================
checker                                  recognises (hint given)
=======================================  =========================================================
``dense_to_linear(W, b)`` → (weight,     no transpose (nnlib's W is (D_in, D_out), a
bias)                                    ``torch.nn.Linear`` weight (D_out, D_in)); ``reshape``
                                         instead of a transpose (right shape, scrambled values);
                                         the bias reshaped to a column; a view of W (``W.T``)
                                         instead of a new array; torch tensors instead of
                                         NumPy arrays; a float32 cast
``accumulated_grad(grads, sizes)`` → g   the plain average of the micro-batch gradients
                                         (unequal sizes); the sum without dividing (what
                                         PyTorch's ``.grad`` holds after several ``backward``
                                         calls); weights by size but no division; the last
                                         micro-batch only (an overwritten gradient)
=======================================  =========================================================

nnlib is the reference: a ``Dense`` layer computes ``x @ W + b``, a ``torch.nn.Linear`` computes
``x @ weight.T + bias``, so ``weight = W.T``; and the gradient of a mean over a batch of N examples,
split into micro-batches of sizes n_k whose own mean-gradients are g_k, is Σ n_k g_k / N — the
gradient nnlib's ``Dense.backward`` gives for the whole batch at once.
"""
from __future__ import annotations

import numpy as np

from nnlib.layers import Dense

from .common import COMMON
from .core import Case, Checker, Mistake

__all__ = ["dense_to_linear", "accumulated_grad"]


def _to_linear(W, b):
    W, b = np.asarray(W, dtype=float), np.asarray(b, dtype=float)
    layer = Dense(W.shape[0], W.shape[1], dtype=np.float64)
    layer.W.data[...], layer.b.data[...] = W, b
    # a Linear layer's weight is the matrix that maps x to x @ W, written output-major
    return np.ascontiguousarray(layer.W.data.T), layer.b.data.copy()


def _lin_variant(W, b, *, no_t=False, reshape=False, col=False):
    W, b = np.asarray(W, dtype=float), np.asarray(b, dtype=float)
    w = W if no_t else (W.reshape(W.shape[1], W.shape[0]) if reshape else W.T)
    return w.copy(), (b.reshape(-1, 1) if col else b.copy())


def _vl(**m):
    return lambda *a: _lin_variant(*a, **m)


def _new_numpy_weight(o):
    """The exercise asks for NumPy arrays, and a NEW array for the weight (not a view of W)."""
    if o.mutated:                     # changed W in place: that is reported (and hinted) first
        return None
    got = o.got if isinstance(o.got, tuple) else ()
    if any(not isinstance(a, np.ndarray) for a in got):
        kinds = ", ".join(type(a).__module__.split(".")[0] + "." + type(a).__name__ for a in got)
        return (f"right numbers, but you returned {kinds}: the exercise asks for NumPy arrays "
                "(convert a tensor with `.numpy()`, or build the arrays with NumPy).")
    W = o.received[0] if o.received else None
    if got and isinstance(W, np.ndarray) and np.shares_memory(got[0], W):
        return ("right numbers, but the weight you returned is a VIEW of W (`W.T` shares W's "
                "memory), not a new array: writing into one would change the other. Return "
                "`W.T.copy()`.")
    return None


def _float32(o):
    got = o.got if isinstance(o.got, tuple) else ()
    return any(getattr(a, "dtype", None) == np.float32 for a in got) and \
        o.problem is not None and o.problem.kind == "values"


_rng = np.random.default_rng(16)
dense_to_linear = Checker(
    "dense_to_linear", _to_linear, arg_names=("W", "b"), signature="dense_to_linear(W, b)",
    output_names=("weight", "bias"), rtol=0, atol=0,
    cases=[
        Case(np.round(_rng.normal(size=(3, 2)), 2), np.array([0.5, -0.5]),
             label="Dense(3, 2): W (3, 2), b (2,)"),
        Case(np.round(_rng.normal(size=(4, 4)), 2), np.round(_rng.normal(size=4), 2),
             label="a square layer, Dense(4, 4), where a missing transpose keeps the shape"),
        Case(np.round(_rng.normal(size=(64, 10)), 2), np.zeros(10), label="Dense(64, 10)"),
    ], verify=_new_numpy_weight,
    mistakes=[
        Mistake("A VIEW: return a copy of the transpose, `W.T.copy()`, so that the caller's W "
                "and the new weight are separate arrays.",
                when=lambda o: o.problem is not None and "is a VIEW of W" in o.problem.message),
        Mistake("The values differ in the 8th digit because you converted to float32 (PyTorch's "
                "default dtype). The exercise keeps W's dtype: transpose without `astype`. "
                "(When you copy into a real torch layer, `torch.from_numpy(W.T.copy()).float()` "
                "is where the cast belongs.)", when=_float32),
        Mistake("torch.nn.Linear stores its weight as (D_out, D_in) and computes x @ weight.T: "
                "transpose nnlib's W (D_in, D_out).", part="weight", like=_vl(no_t=True)),
        Mistake("`reshape` keeps the numbers in memory order, so the shape is right but the "
                "values are scrambled: a layout change is a TRANSPOSE, `W.T`.", part="weight",
                like=_vl(reshape=True)),
        Mistake("The bias stays a vector (D_out,) in both libraries.", part="bias",
                like=_vl(col=True)),
        *COMMON,
    ])


def _accumulated(grads, sizes):
    grads = [np.asarray(g, dtype=float) for g in grads]
    sizes = np.asarray(sizes, dtype=float)
    return sum(n * g for n, g in zip(sizes, grads)) / sizes.sum()


def _acc_variant(grads, sizes, *, plain_mean=False, plain_sum=False, weighted_sum=False,
                 last=False):
    grads = [np.asarray(g, dtype=float) for g in grads]
    sizes = np.asarray(sizes, dtype=float)
    if plain_mean:
        return sum(grads) / len(grads)
    if plain_sum:
        return sum(grads)
    if weighted_sum:
        return sum(n * g for n, g in zip(sizes, grads))
    return grads[-1].copy()


def _va(**m):
    return lambda *a: _acc_variant(*a, **m)


accumulated_grad = Checker(
    "accumulated_grad", _accumulated, arg_names=("grads", "sizes"),
    signature="accumulated_grad(grads, sizes)", rtol=1e-9, atol=1e-12,
    cases=[
        Case([np.array([1.0, -2.0]), np.array([3.0, 0.0])], [32, 32],
             label="two micro-batches of 32"),
        Case([np.array([[0.5, 1.0]]), np.array([[1.5, -1.0]]), np.array([[2.0, 2.0]])],
             [32, 32, 8], label="three micro-batches, the last one shorter (8)"),
        Case([np.array([4.0])], [10], label="a single micro-batch"),
    ],
    mistakes=[
        Mistake("Each micro-batch gradient is a mean over ITS examples: weight it by its size "
                "before averaging, Σ n_k g_k / Σ n_k, or the short last batch counts as much as "
                "a full one.", like=_va(plain_mean=True)),
        Mistake("That is the sum of the micro-batch gradients, what PyTorch's .grad holds after "
                "several backward() calls without zero_grad(): divide to get the mean.",
                like=_va(plain_sum=True)),
        Mistake("Weighted by size — now divide by the total number of examples, Σ n_k.",
                like=_va(weighted_sum=True)),
        Mistake("Only the last micro-batch's gradient: the others were overwritten. Accumulate "
                "them all.", like=_va(last=True)),
        *COMMON,
    ])
