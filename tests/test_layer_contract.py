"""The layer contract of ``nnlib/layers/base.py``, checked on EVERY layer nnlib ships.

One registry, ``CASES``, holds a small factory for each layer (plus the containers Residual and
Sequential); every check below runs on every entry. A new layer must get an entry here
(``test_every_layer_is_registered`` fails otherwise) and then meets the contract or says why not.

What is checked (the numbers are the rules of base.py):

* backward before forward raises RuntimeError naming the layer (1);
* forward keeps what it saves in ``self.cache`` and nowhere else (1; running statistics,
  ``running_*``, are model state, not forward state, and may change too);
* two backwards after one forward give the same input gradient and parameter gradients (3);
* forward and backward leave their arguments unchanged (4);
* arrays they returned are not changed by a later forward/backward on other data, and the
  caller may change an output in place without corrupting the next backward (4);
* bad input, and a grad_out of the wrong shape, raise ValueError naming the layer (6).

Layers whose engineer has not yet applied the contract are marked ``xfail(strict=True)`` for
exactly the checks they fail today: the suite stays green, and the mark turns into a failure the
moment the layer is fixed -- delete the mark then.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pytest

import nnlib.layers
from nnlib.layers import (GRU, LSTM, RNN, AvgPool2D, BatchNorm, Conv2D, Dense, Dropout, ELU, Embedding,
                          Flatten, GELU, LayerNorm, LeakyReLU, LogSoftmax, MaxPool2D, MultiHeadAttention,
                          MultiHeadSelfAttention, PositionalEncoding, ReLU, Reparameterize, Residual, Sigmoid,
                          Softmax, Tanh, TransformerBlock)
from nnlib.layers.base import Layer
from nnlib.model import Sequential

F64 = np.float64


def _normal(*shape):
    return lambda rng: rng.normal(size=shape)


@dataclass
class Case:
    make: Callable[[], Layer]
    x: Callable[[np.random.Generator], np.ndarray]          # a valid input
    bad_x: Callable[[np.random.Generator], np.ndarray] | None = None   # one it must reject
    name: str | None = None           # what error messages must contain; default: the class name
    xfail: dict = field(default_factory=dict)   # check name -> reason, for a known failure


CASES = {
    "Dense": Case(lambda: Dense(4, 3, rng=0, dtype=F64), _normal(5, 4), _normal(5, 3)),
    "Dense-sequence": Case(lambda: Dense(4, 3, rng=0, dtype=F64), _normal(2, 3, 4), _normal(2, 3, 5),
                           name="Dense"),
    "Flatten": Case(Flatten, _normal(2, 3, 2, 2), _normal(6)),
    "Sigmoid": Case(Sigmoid, _normal(4, 5)),
    "Tanh": Case(Tanh, _normal(4, 5)),
    "ReLU": Case(ReLU, _normal(4, 5)),
    "LeakyReLU": Case(lambda: LeakyReLU(0.1), _normal(4, 5)),
    "ELU": Case(ELU, _normal(4, 5)),
    "GELU": Case(GELU, _normal(4, 5)),
    "Softmax": Case(Softmax, _normal(4, 5), lambda rng: np.float64(1.0)),
    "LogSoftmax": Case(LogSoftmax, _normal(4, 5), lambda rng: np.float64(1.0)),
    "Dropout": Case(lambda: Dropout(0.5, rng=0), _normal(4, 5)),
    "BatchNorm": Case(lambda: BatchNorm(3, dtype=F64), _normal(6, 3), _normal(6, 4)),
    "BatchNorm-image": Case(lambda: BatchNorm(3, dtype=F64), _normal(2, 3, 4, 4), _normal(2, 4, 4, 4),
                            name="BatchNorm"),
    "LayerNorm": Case(lambda: LayerNorm(5, dtype=F64), _normal(2, 3, 5), _normal(2, 3, 4)),
    "Embedding": Case(lambda: Embedding(7, 3, rng=0, dtype=F64), lambda rng: rng.integers(0, 7, (2, 4)),
                      _normal(2, 4)),
    "Residual": Case(lambda: Residual(Sequential([Dense(4, 4, rng=0, dtype=F64), Tanh()])),
                     _normal(3, 4), _normal(3, 5), name="Dense(4→4)"),
    "Sequential": Case(lambda: Sequential([Dense(4, 6, rng=0, dtype=F64), ReLU(),
                                           Dense(6, 2, rng=1, dtype=F64)]),
                       _normal(5, 4), _normal(5, 3), name="Dense(4→6)"),
    "Conv2D": Case(lambda: Conv2D(2, 3, 3, padding=1, rng=0, dtype=F64), _normal(2, 2, 5, 5),
                   _normal(2, 3, 5, 5)),
    "Conv2D-strided-dilated": Case(lambda: Conv2D(2, 3, (3, 2), stride=(2, 1), padding=1, dilation=(1, 2),
                                                  rng=0, dtype=F64), _normal(2, 2, 7, 6), _normal(2, 3, 7, 6),
                                   name="Conv2D"),
    "MaxPool2D": Case(lambda: MaxPool2D(2), _normal(2, 2, 4, 4), _normal(2, 4, 4)),
    "MaxPool2D-overlapping": Case(lambda: MaxPool2D(3, 1), _normal(2, 2, 5, 5), _normal(2, 5, 5),
                                  name="MaxPool2D"),
    "AvgPool2D": Case(lambda: AvgPool2D(2), _normal(2, 2, 4, 4), _normal(2, 4, 4)),
    # The recurrent layers' second input and output (the state) and cross-attention's context
    # are checked in test_recurrent.py and test_attention.py; here each runs with one input.
    "RNN": Case(lambda: RNN(3, 4, rng=0, dtype=F64), _normal(2, 5, 3), _normal(2, 5, 2)),
    "LSTM": Case(lambda: LSTM(3, 4, rng=0, dtype=F64), _normal(2, 5, 3), _normal(2, 5, 2)),
    "GRU": Case(lambda: GRU(3, 4, rng=0, dtype=F64), _normal(2, 5, 3), _normal(2, 5, 2)),
    "MultiHeadSelfAttention": Case(lambda: MultiHeadSelfAttention(4, 2, rng=0, dtype=F64),
                                   _normal(2, 3, 4), _normal(2, 3, 5)),
    "MultiHeadSelfAttention-causal": Case(
        lambda: MultiHeadSelfAttention(4, 2, causal=True, rng=0, dtype=F64), _normal(2, 3, 4),
        _normal(2, 3, 5), name="MultiHeadSelfAttention"),
    "MultiHeadAttention": Case(lambda: MultiHeadAttention(4, 2, rng=0, dtype=F64), _normal(2, 3, 4),
                               _normal(2, 3, 5)),
    "PositionalEncoding": Case(lambda: PositionalEncoding(4, max_len=8, dtype=F64), _normal(2, 3, 4),
                               _normal(2, 3, 5)),
    "TransformerBlock": Case(lambda: TransformerBlock(4, 2, 6, causal=True, rng=0, dtype=F64),
                             _normal(2, 3, 4), _normal(2, 3, 5)),
    "Reparameterize": Case(lambda: Reparameterize(2, rng=0), _normal(5, 4), _normal(5, 3)),
}


def _params(check: str, only=None):
    """pytest parameters over CASES (or the names in ``only``) with their xfail marks for ``check``."""
    params = []
    for key, case in CASES.items():
        if only is not None and key not in only:
            continue
        marks = ([pytest.mark.xfail(strict=True, reason=case.xfail[check])]
                 if check in case.xfail else [])
        params.append(pytest.param(key, marks=marks, id=key))
    return params


# --- helpers: a layer, its input, an upstream gradient -----------------------------------------

def _setup(key, seed=0):
    """(case, layer, x, g): a fresh layer, a valid input and a random gradient for its output."""
    case = CASES[key]
    rng = np.random.default_rng(seed)
    x = case.x(rng)
    probe = case.make()
    y = probe.forward(x.copy())
    g = tuple(rng.normal(size=np.shape(o)) for o in y) if isinstance(y, tuple) else rng.normal(size=y.shape)
    return case, case.make(), x, g


def _arrays(value):
    """A flat list of the arrays in an output or a gradient (one array, a tuple, or None)."""
    if value is None:
        return []
    if isinstance(value, tuple):
        return [v for item in value for v in _arrays(item)]
    return [np.asarray(value)]


def _copies(value):
    return [a.copy() for a in _arrays(value)]


def _assert_same(actual, expected, what):
    actual = _arrays(actual) if not isinstance(actual, list) else actual
    assert len(actual) == len(expected), what
    for a, e in zip(actual, expected):
        assert a.shape == e.shape and a.dtype == e.dtype, what
        np.testing.assert_array_equal(a, e, err_msg=what)


def _name(case, layer):
    return case.name or type(layer).__name__


def _backward(layer, g):
    return layer.backward(*g) if isinstance(g, tuple) else layer.backward(g)


# --- the registry is complete -------------------------------------------------------------------

def test_every_layer_is_registered():
    exported = {name for name in nnlib.layers.__all__
                if inspect.isclass(getattr(nnlib.layers, name))
                and issubclass(getattr(nnlib.layers, name), Layer) and name != "Layer"}
    registered = {type(case.make()).__name__ for case in CASES.values()}
    assert exported <= registered, f"add a contract case for: {sorted(exported - registered)}"


# --- rule 1: state ----------------------------------------------------------------------------

@pytest.mark.parametrize("key", _params("before_forward"))
def test_backward_before_forward_raises_runtime_error_naming_the_layer(key):
    case, layer, _, g = _setup(key)
    with pytest.raises(RuntimeError) as err:
        _backward(layer, g)
    name = {"Sequential": "Dense(6→2)"}.get(key, type(layer).__name__)   # its last layer answers
    assert name in str(err.value) and "forward" in str(err.value)


@pytest.mark.parametrize("key", _params("state"))
def test_forward_keeps_its_state_in_self_cache_only(key):
    case, layer, x, _ = _setup(key)
    assert layer.cache is None
    before = dict(vars(layer))
    layer.forward(x)
    changed = {k for k, v in vars(layer).items() if k not in before or before[k] is not v}
    changed -= {k for k in changed if k.startswith("running_")}       # BatchNorm's statistics
    allowed = set() if key == "Sequential" else {"cache"}              # its layers hold its state
    assert changed == allowed, f"forward changed {sorted(changed)}; only self.cache may change"


# --- rule 3: a second backward -----------------------------------------------------------------

@pytest.mark.parametrize("key", _params("second_backward"))
def test_two_backwards_after_one_forward_give_the_same_gradients(key):
    _, layer, x, g = _setup(key)
    layer.forward(x)
    dx_first = _copies(_backward(layer, g))
    grads_first = [p.grad.copy() for p in layer.parameters()]
    dx_second = _backward(layer, g)
    _assert_same(dx_second, dx_first, "input gradient of the second backward")
    _assert_same([p.grad for p in layer.parameters()], grads_first, "parameter gradients")


# --- rule 4: ownership --------------------------------------------------------------------------

@pytest.mark.parametrize("key", _params("arguments"))
def test_forward_and_backward_leave_their_arguments_unchanged(key):
    _, layer, x, g = _setup(key)
    x_before, g_before = x.copy(), _copies(g)
    layer.forward(x)
    _backward(layer, g)
    _assert_same([x], [x_before], "forward changed its input")
    _assert_same(_arrays(g), g_before, "backward changed its grad_out")


@pytest.mark.parametrize("key", _params("returned_arrays"))
def test_returned_arrays_are_not_changed_by_later_calls(key):
    case, layer, x, g = _setup(key)
    y = layer.forward(x)
    y_before = _copies(y)
    dx = _backward(layer, g)
    dx_before = _copies(dx)
    rng = np.random.default_rng(1)
    x2 = case.x(rng)
    if np.issubdtype(x2.dtype, np.floating):
        x2 = 10 * x2 + 3                          # different data, clearly
    y2 = layer.forward(x2)
    g2 = tuple(5 * rng.normal(size=np.shape(o)) for o in y2) if isinstance(y2, tuple) \
        else 5 * rng.normal(size=np.shape(y2))
    _backward(layer, g2)
    _assert_same(y, y_before, "an output returned earlier was overwritten")
    _assert_same(dx, dx_before, "an input gradient returned earlier was overwritten")


@pytest.mark.parametrize("key", _params("caller_owns_output"))
def test_changing_the_returned_output_in_place_does_not_change_backward(key):
    """The output belongs to the caller (rule 4): ``y *= 0`` must not corrupt the cache."""
    _, layer, x, g = _setup(key)
    y = layer.forward(x)
    expected = _copies(_backward(layer, g))
    for a in _arrays(y):
        a[...] = 0
    _assert_same(_backward(layer, g), expected, "backward after the caller changed the output")


# --- rule 6: errors ---------------------------------------------------------------------------

@pytest.mark.parametrize("key", _params("bad_input", only=[k for k, c in CASES.items() if c.bad_x]))
def test_bad_input_raises_value_error_naming_the_layer(key):
    case, layer, _, _ = _setup(key)
    bad = case.bad_x(np.random.default_rng(0))
    with pytest.raises(ValueError) as err:
        layer.forward(bad)
    assert _name(case, layer) in str(err.value)


@pytest.mark.parametrize("key", _params("bad_grad_out"))
def test_grad_out_of_the_wrong_shape_raises_value_error_naming_the_layer(key):
    case, layer, x, g = _setup(key)
    layer.forward(x)
    wrong = tuple(np.zeros(a.shape[:-1] + (a.shape[-1] + 1,)) for a in g) if isinstance(g, tuple) \
        else np.zeros(g.shape[:-1] + (g.shape[-1] + 1,))
    with pytest.raises(ValueError) as err:
        _backward(layer, wrong)
    name = type(layer).__name__ if key in ("Residual", "Sequential") else _name(case, layer)
    if key == "Sequential":
        name = "Dense(6→2)"                      # the last layer is the one grad_out must fit
    assert name in str(err.value)
