"""Checker for Chapter 5's composing exercise: the whole backward pass of a two-layer network.

Use: ``from nnbook.exercises import backprop_network`` and
``backprop_network.two_layer_backward(two_layer_backward)``.

The reader writes ``two_layer_backward(X, Y, W1, b1, W2, b2)`` for the network

    Z1 = X W1 + b1,  A1 = σ(Z1),  Ŷ = A1 W2 + b2,  L = mean over all N·K entries of (Ŷ − Y)²

(``X`` (N, D), ``W1`` (D, H), ``W2`` (H, K), ``Y`` (N, K); nnlib's ``Dense``, ``Sigmoid``,
``Dense`` and ``MSELoss``) and returns every gradient, ``(dW1, db1, dW2, db2)``. It composes the
chapter: the loss's gradient with its 1/(NK) (Chapter 4, Section 5.4), the dense layer's three
products twice (Section 5.4), and the sigmoid's derivative at the right quantity (Section 5.6).
The reference is nnlib itself: the same network built from ``Dense``/``Sigmoid``/``Dense`` and
``MSELoss``, one forward and one backward pass.

==============================================  ==============================================
mistake                                         recognised by (hint given)
==============================================  ==============================================
``A1 * (1 - A1)`` replaced by ``Z1 * (1 - Z1)``  its value (the derivative of the wrong quantity)
``sigmoid_prime(A1)``: σ applied twice           its value
the sigmoid's derivative left out                its value
the mean's 1/(NK) left out                       its value (every gradient NK times too large)
1/N where the mean is over N·K entries           its value on a case with K > 1
1/N applied twice (in dŶ and again in dW)        its value
the factor 2 of the square left out              its value
the sign flipped, (Y − Ŷ)                         its value
``db`` summed over the wrong axis or not summed  its shape (part db1 / db2)
``dZ2 @ W2`` without the transpose               the matmul error on that line (K ≠ H)
the gradients returned in another order          the shapes of the first two outputs
==============================================  ==============================================
"""
from __future__ import annotations

import numpy as np

from nnlib.activations import sigmoid as _sigmoid
from nnlib.activations import sigmoid_prime as _sigmoid_prime
from nnlib.layers import Dense, Sigmoid
from nnlib.losses import MSELoss
from nnlib.model import Sequential

from .common import COMMON, raised_on
from .core import Case, Checker, Mistake

__all__ = ["two_layer_backward"]

_NAMES = ("dW1", "db1", "dW2", "db2")


def _reference(X, Y, W1, b1, W2, b2):
    """nnlib's own backward pass of Dense → Sigmoid → Dense with MSELoss."""
    (D, H), K = W1.shape, W2.shape[1]
    net = Sequential([Dense(D, H, dtype=np.float64), Sigmoid(), Dense(H, K, dtype=np.float64)])
    net[0].W.data[...], net[0].b.data[...] = W1, b1
    net[2].W.data[...], net[2].b.data[...] = W2, b2
    loss = MSELoss()
    loss(net(np.asarray(X, np.float64)), np.asarray(Y, np.float64))
    net.backward(loss.backward())
    return tuple(p.grad.copy() for p in (net[0].W, net[0].b, net[2].W, net[2].b))


def _variant(local="a(1-a)", scale=None, sign=1.0, twice_N=False):
    """A mistaken backward pass: the local sigmoid derivative, the factor in front of (Ŷ − Y)
    (default 2/(NK)), the sign, or an extra 1/N in the weight and bias gradients."""
    def backward(X, Y, W1, b1, W2, b2):
        Z1 = X @ W1 + b1
        A1 = _sigmoid(Z1)
        Y_hat = A1 @ W2 + b2
        N, K = Y_hat.shape
        factor = 2 / (N * K) if scale is None else scale(N, K)
        dY = sign * factor * (Y_hat - Y)
        extra = 1 / N if twice_N else 1.0
        dW2, db2 = A1.T @ dY * extra, dY.sum(axis=0) * extra
        dA1 = dY @ W2.T
        slope = {"a(1-a)": A1 * (1 - A1), "z(1-z)": Z1 * (1 - Z1),
                 "sigma'(a)": _sigmoid_prime(A1), "none": np.ones_like(Z1)}[local]
        dZ1 = dA1 * slope
        return X.T @ dZ1 * extra, dZ1.sum(axis=0) * extra, dW2, db2
    return backward


def _case(rng, N, D, H, K, scale=1.0):
    X = np.round(rng.normal(size=(N, D)), 2)
    Y = np.round(rng.normal(size=(N, K)), 2)
    W1 = np.round(rng.normal(size=(D, H)) * scale, 2)
    b1 = np.round(rng.normal(size=H) * 0.5, 2)
    W2 = np.round(rng.normal(size=(H, K)), 2)
    b2 = np.round(rng.normal(size=K) * 0.5, 2)
    return X, Y, W1, b1, W2, b2


def _swapped_order(o) -> bool:
    """(dW2, db2, dW1, db1), or the weights and biases interleaved differently: the first output
    has the shape of another gradient."""
    if not isinstance(o.got, tuple) or len(o.got) != 4:
        return False
    shapes = [np.shape(e) for e in o.expected]
    got = [np.shape(g) for g in o.got]
    return len(set(shapes)) == 4 and sorted(got) == sorted(shapes) and got != shapes


_r = np.random.default_rng(11)

two_layer_backward = Checker(
    "two_layer_backward", _reference, arg_names=("X", "Y", "W1", "b1", "W2", "b2"),
    signature="two_layer_backward(X, Y, W1, b1, W2, b2)", output_names=_NAMES,
    cases=[
        Case(*_case(_r, 4, 3, 5, 2), label="N = 4 examples, D = 3 → H = 5 → K = 2 outputs"),
        Case(*_case(_r, 6, 2, 3, 1), label="one output (K = 1), 6 examples"),
        Case(*_case(_r, 5, 4, 3, 3, scale=3.0),
             label="large weights: hidden units near saturation (|Z1| up to about 10)"),
        Case(*_case(_r, 1, 3, 4, 2), label="a single example (N = 1)"),
    ],
    mistakes=[
        Mistake("The sigmoid's slope was taken of the wrong quantity: `Z1 * (1 - Z1)` is the "
                "formula for the ACTIVATION applied to the pre-activation. Use "
                "`A1 * (1 - A1)` with A1 = σ(Z1) (Section 5.6).",
                like=_variant(local="z(1-z)")),
        Mistake("σ was applied twice: `sigmoid_prime` takes the pre-activation Z1 and applies σ "
                "itself, so `sigmoid_prime(A1)` is σ′(σ(Z1)). Use `sigmoid_prime(Z1)` or "
                "`A1 * (1 - A1)` (Section 5.6).", like=_variant(local="sigma'(a)")),
        Mistake("Between dA1 and dZ1 the sigmoid's local derivative is missing: "
                "dZ1 = dA1 ⊙ σ′(Z1) = dA1 * A1 * (1 - A1).", like=_variant(local="none")),
        Mistake("Every gradient is N·K times too large: L is a MEAN over all N·K entries of "
                "(Ŷ − Y)², so ∂L/∂Ŷ = 2(Ŷ − Y)/(N·K) (nnlib's MSELoss).",
                like=_variant(scale=lambda N, K: 2.0)),
        Mistake("The mean is over all N·K entries of (Ŷ − Y)², not over the N examples only: "
                "∂L/∂Ŷ = 2(Ŷ − Y)/(N·K). Yours is K times too large.",
                like=_variant(scale=lambda N, K: 2 / N)),
        Mistake("The 1/(N·K) of the mean enters ONCE, in ∂L/∂Ŷ; the products below inherit it. "
                "Yours divides by N again in the weight and bias gradients (N times too small).",
                like=_variant(twice_N=True)),
        Mistake("∂(Ŷ − Y)²/∂Ŷ = 2(Ŷ − Y): the factor 2 of the square is missing (every gradient is "
                "half the right one).", like=_variant(scale=lambda N, K: 1 / (N * K))),
        Mistake("Every gradient has the wrong sign: ∂L/∂Ŷ = 2(Ŷ − Y)/(N·K), prediction minus "
                "target. (Gradient descent then subtracts it.)", like=_variant(sign=-1.0)),
        Mistake("Return the gradients in the order the exercise asks, `(dW1, db1, dW2, db2)`: "
                "your outputs have the right shapes in another order.", when=_swapped_order),
        Mistake("db1 must have b1's shape (H,): b1 is added to every row, so sum dZ1 over the "
                "batch axis, `dZ1.sum(axis=0)`.", part="db1", kinds=("shape",)),
        Mistake("db2 must have b2's shape (K,): b2 is added to every row, so sum dZ2 over the "
                "batch axis, `dZ2.sum(axis=0)`.", part="db2", kinds=("shape",)),
        Mistake("dW1 must have W1's shape (D, H): dW1 = Xᵀ dZ1, `X.T @ dZ1`.",
                part="dW1", kinds=("shape",)),
        Mistake("dW2 must have W2's shape (H, K): dW2 = A1ᵀ dZ2, `A1.T @ dZ2`.",
                part="dW2", kinds=("shape",)),
        Mistake("The gradient flowing back into the hidden layer is dA1 = dZ2 W2ᵀ, "
                "`dZ2 @ W2.T`: (N, K) @ (K, H) → (N, H), the shape of A1.",
                when=lambda o: ("matmul" in o.error_text or "not aligned" in o.error_text)
                and raised_on(o, "dA1", "dA", "da1", "dH", "dA_1"), on_error=True),
        *COMMON,
    ])
