"""Checkers for Chapter 3, *Multilayer networks and forward propagation*.

Use: ``from nnbook.exercises import multilayer as check``. Shapes follow the book's row-vector
convention: ``X`` is ``(N, D_in)``, ``W`` is ``(D_in, D_out)``, ``b`` is ``(D_out,)``, and a
layer computes ``Z = X @ W + b`` (what :class:`nnlib.layers.Dense` does).

==================================  ===========================================================
checker                             recognises (hint given)
==================================  ===========================================================
``dense_forward(X, W, b)``          PyTorch's ``X @ W.T`` (weights stored ``(D_out, D_in)``);
                                    ``W @ X``-style shape errors; ``einsum`` subscripts that
                                    do not fit; missing bias; ``X * W``
``count_parameters(layer_sizes)``   biases forgotten; a bias counted for the input layer;
                                    the last layer left out; counting neurons instead of
                                    parameters; a float answer
``mlp_forward(X, Ws, bs)``          ReLU applied to the output layer; no activation at all
                                    (a linear stack); ``np.max`` for ``np.maximum``;
                                    sigmoid instead of ReLU; biases
                                    missing; transposed weights
==================================  ===========================================================

``count_parameters([2, 3, 1])`` counts a 2 → 3 → 1 network: (2·3 + 3) + (3·1 + 1) = 13.
``mlp_forward`` applies ReLU after every layer except the last, which returns raw scores.
"""
from __future__ import annotations

import re

import numpy as np

from .common import COMMON, failing_line
from .core import Case, Checker, Mistake

__all__ = ["dense_forward", "count_parameters", "mlp_forward"]

_rng = np.random.default_rng(3)


def _r(*shape):
    return np.round(_rng.normal(size=shape), 2)


def _dense(X, W, b):
    return X @ W + b


_TRANSPOSE = ("In this book W has shape (D_in, D_out) and Z = X @ W + b (rows are examples). "
              "PyTorch stores its weight as (D_out, D_in) and computes X @ W.T: do not mix the "
              "two. Check: (N, D_in) @ (D_in, D_out) → (N, D_out).")

dense_forward = Checker(
    "dense_forward", _dense, arg_names=("X", "W", "b"), signature="dense_forward(X, W, b)",
    cases=[
        Case(_r(4, 3), _r(3, 2), _r(2), label="N = 4 examples, 3 → 2 units"),
        Case(_r(1, 5), _r(5, 3), _r(3), label="a single example as a (1, D) row"),
        Case(_r(3, 3), _r(3, 3), _r(3), label="a square W (3 → 3): transposes are silent here"),
        Case(np.array([[0, 1], [1, 1], [2, 0]]), np.array([[0.5, -1.0, 0.25], [1.5, 0.5, -0.75]]),
             np.array([0.1, 0.2, 0.3]), label="integer inputs X (like Chapter 1's corners)"),
    ],
    mistakes=[
        Mistake(_TRANSPOSE, like=lambda X, W, b: X @ W.T + b),
        Mistake(_TRANSPOSE, like=lambda X, W, b: (W @ X.T).T + b),
        Mistake("The subscripts of your `np.einsum` do not fit the arrays: W is (D_in, D_out), so "
                "the index summed over is W's FIRST axis, `np.einsum('ni,ij->nj', X, W)`. "
                "Writing W's indices as 'ji' means X @ W.T, PyTorch's storage convention.",
                when=lambda o: ("could not be broadcast" in o.error_text
                                or "does not match" in o.error_text)
                and "einsum" in failing_line(o), on_error=True),
        Mistake("The bias is missing: Z = X @ W + b (b is broadcast to every row).",
                like=lambda X, W, b: X @ W),
        Mistake("`X * W` multiplies entry by entry; a layer needs the matrix product `X @ W`.",
                when=lambda o: "could not be broadcast" in o.error_text
                and re.search(r"X\s*\*\s*W\b", failing_line(o)) is not None, on_error=True),
        Mistake("The bias is a row `(D_out,)`, added to every row of `X @ W`; a column `(D_out, 1)` "
                "lines up with the examples instead (the column convention's habit). Use `b` as "
                "given.",
                when=lambda o: "could not be broadcast" in o.error_text
                and re.search(r"reshape\(\s*-1\s*,\s*1\s*\)|\[:,\s*None\]|\.T\b", failing_line(o))
                is not None and "b" in failing_line(o), on_error=True),
        Mistake(_TRANSPOSE, when=lambda o: "matmul" in o.error_text or "not aligned" in o.error_text, on_error=True),
        *COMMON,
    ])


def _count(layer_sizes):
    return int(sum(d_in * d_out + d_out for d_in, d_out in zip(layer_sizes[:-1], layer_sizes[1:])))


count_parameters = Checker(
    "count_parameters", _count, arg_names=("layer_sizes",),
    signature="count_parameters(layer_sizes)",
    cases=[
        Case([3, 4, 2], label="a 3 → 4 → 2 network"),
        Case([2, 3, 1], label="a 2 → 3 → 1 network"),
        Case([4, 5], label="one layer, 4 → 5"),
        Case([784, 128, 64, 10], label="an MNIST MLP 784 → 128 → 64 → 10"),
        Case([7], label="only an input layer: nothing to learn"),
        Case([50_000, 50_000], label="one very wide layer: 2,500,050,000 parameters (more than "
             "a 32-bit integer holds)"),
    ],
    mistakes=[
        Mistake("The last layer is missing from your count: a network of m + 1 sizes has m "
                "layers, one for each consecutive pair of sizes (`zip(sizes[:-1], sizes[1:])`).",
                like=lambda s: int(sum(a * b + b for a, b in zip(s[:-2], s[1:-1])))),
        Mistake("Biases are parameters too: each layer has D_in·D_out weights PLUS D_out biases "
                "(one per output unit).",
                like=lambda s: int(sum(a * b for a, b in zip(s[:-1], s[1:])))),
        Mistake("The input layer has no bias (it computes nothing). Biases belong to the layers "
                "that compute: D_out per layer.",
                like=lambda s: int(sum(a * b for a, b in zip(s[:-1], s[1:])) + sum(s))),
        Mistake("That counts units (neurons), not parameters: each layer has a (D_in, D_out) "
                "weight matrix and a (D_out,) bias.", like=lambda s: int(sum(s))),
        Mistake("That counts units (neurons), not parameters: each layer has a (D_in, D_out) "
                "weight matrix and a (D_out,) bias.", like=lambda s: int(sum(s[1:]))),
        Mistake("Parameter counts are whole numbers: use `int(...)` (or avoid `/` and `np.mean`).",
                kinds=("type",), when=lambda o: isinstance(o.got, (float, np.floating))),
        *COMMON,
    ])


def _relu(Z):
    return np.maximum(Z, 0)


def _mlp(X, Ws, bs, hidden=_relu, last=lambda Z: Z, bias=True):
    A = X
    for i, (W, b) in enumerate(zip(Ws, bs)):
        Z = A @ W + (b if bias else 0)
        A = last(Z) if i == len(Ws) - 1 else hidden(Z)
    return A


_NET1 = ([_r(3, 5), _r(5, 2)], [_r(5), _r(2)])
_NET2 = ([_r(4, 4), _r(4, 4), _r(4, 3)], [_r(4), _r(4), _r(3)])
_g = np.random.default_rng(11)      # a separate stream: the cases above keep their numbers
_NEW_CASES = {
    "one_layer": (np.round(_g.normal(size=(4, 3)), 2), [np.round(_g.normal(size=(3, 2)), 2)],
                  [np.round(_g.normal(size=2), 2)]),
    "one_example": (np.round(_g.normal(size=(1, 3)), 2),
                    [np.round(_g.normal(size=(3, 4)), 2), np.round(_g.normal(size=(4, 1)), 2)],
                    [np.round(_g.normal(size=4), 2), np.round(_g.normal(size=1), 2)]),
    "same_shape": (np.round(_g.normal(size=(5, 2)), 2),
                   [np.round(_g.normal(size=(2, 2)), 2), np.round(_g.normal(size=(2, 2)), 2)],
                   [np.round(_g.normal(size=2), 2), np.round(_g.normal(size=2), 2)]),
}

mlp_forward = Checker(
    "mlp_forward", _mlp, arg_names=("X", "Ws", "bs"), signature="mlp_forward(X, Ws, bs)",
    cases=[
        Case(_r(4, 3), *_NET1, label="a 3 → 5 → 2 network, N = 4"),
        Case(_r(2, 4), *_NET2, label="a 4 → 4 → 4 → 3 network (square weights)"),
        Case(*_NEW_CASES["one_layer"], label="ONE layer, 3 → 2: it is the output layer (no ReLU)"),
        Case(*_NEW_CASES["one_example"], label="one example and one output: shape (1, 1), "
             "nothing squeezed"),
        Case(*_NEW_CASES["same_shape"], label="a 2 → 2 → 2 network: the hidden layer has the "
             "output layer's shape, so only its POSITION says it is hidden"),
    ],
    mistakes=[
        Mistake("The last layer returns raw scores: no ReLU after it (ReLU would clip every "
                "negative score to 0; softmax/sigmoid, if any, belongs to the loss).",
                like=lambda X, Ws, bs: _mlp(X, Ws, bs, last=_relu)),
        Mistake("Without an activation between layers, the network is one big linear map "
                "(X W1 W2 is just X W): apply ReLU after every hidden layer.",
                like=lambda X, Ws, bs: _mlp(X, Ws, bs, hidden=lambda Z: Z)),
        Mistake("`np.max(Z, 0)` is the largest entry of each column of Z (a reduction over the "
                "batch axis, which disappears). ReLU compares each entry with 0: "
                "`np.maximum(Z, 0)`.",
                like=lambda X, Ws, bs: _mlp(X, Ws, bs, hidden=lambda Z: np.max(Z, 0))),
        Mistake("The hidden layers here use ReLU, `np.maximum(Z, 0)`, not the sigmoid.",
                like=lambda X, Ws, bs: _mlp(X, Ws, bs, hidden=lambda Z: 1 / (1 + np.exp(-Z)))),
        Mistake("The biases are missing: each layer computes A @ W + b.",
                like=lambda X, Ws, bs: _mlp(X, Ws, bs, bias=False)),
        Mistake(_TRANSPOSE, like=lambda X, Ws, bs: _mlp(X, [W.T for W in Ws], bs)),
        Mistake("A matrix product's shapes do not agree. Walk the layers in order, first to last: "
                "the first W takes X's D_0 columns, (D_0, D_1), and each next W the previous "
                "layer's width. (And in this book W is (D_in, D_out); PyTorch stores the "
                "transpose.)", when=lambda o: "matmul" in o.error_text, on_error=True),
        *COMMON,
    ])
