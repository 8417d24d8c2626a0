"""Checkers for *CNNs that classify* (Chapter 11).
Use: ``from nnbook.exercises import cnn as check``.

Layout as in nnlib and PyTorch: images ``x: (N, C_in, H, W)``, kernels ``W: (C_out, C_in, k, k)``,
biases ``b: (C_out,)``; a convolution layer computes the cross-correlation (no kernel flip) with
zero padding ``padding`` on every side and step ``stride``. References:
:func:`nnlib.layers.conv.conv2d_forward` and nnlib's ``Conv2D`` for the parameter count.

======================================  =========================================================
checker                                 recognises (hint given)
======================================  =========================================================
``conv2d_forward(x, W, b, stride,       the bias forgotten; the kernel flipped (convolution
padding)`` → y                          instead of the cross-correlation layers compute); the
                                        input channels not summed (only channel 0 used); padding
                                        ignored; stride ignored; W's two channel axes swapped
``conv_summary(C_in, H, C_out, k,       the +1 of the output size; padding counted once; the
stride, padding)`` → (H_out, params)    bias forgotten; C_in forgotten; k instead of k² (a float
                                        output size is reported as "expected an integer")
``small_cnn(build)`` (a design)         no Conv2D layer (a dense network is not the exercise);
                                        over the parameter budget; a model that does not map
                                        (N, 1, 8, 8) to (N, 10); below the accuracy target
                                        after the fixed training recipe
======================================  =========================================================
"""
from __future__ import annotations

import numpy as np

from nnlib.layers.conv import conv2d_forward as _conv2d_forward

from .common import COMMON
from .core import Case, Checker, Mistake

__all__ = ["conv2d_forward", "conv_summary", "small_cnn", "PARAM_BUDGET", "ACCURACY_TARGET"]


# --------------------------------------------------------------------------- conv forward
def _conv(x, W, b, stride, padding):
    x, W, b = (np.asarray(a, dtype=float) for a in (x, W, b))
    return _conv2d_forward(x, W, b, (stride, stride), (padding, padding))[0]


def _conv_variant(x, W, b, stride, padding, *, no_bias=False, flip=False, first_channel=False,
                  no_pad=False, no_stride=False, swap=False):
    x, W, b = (np.asarray(a, dtype=float) for a in (x, W, b))
    if swap:
        if W.shape[0] != W.shape[1]:
            raise ValueError("shapes")
        W = W.transpose(1, 0, 2, 3)
    if flip:
        W = W[:, :, ::-1, ::-1]
    if first_channel:
        x, W = x[:, :1], W[:, :1]
    s = 1 if no_stride else stride
    p = 0 if no_pad else padding
    y = _conv2d_forward(x, W, None if no_bias else b, (s, s), (p, p))[0]
    return y


def _vc(**mistake):
    return lambda *args: _conv_variant(*args, **mistake)


_rng = np.random.default_rng(11)
_x1 = np.round(_rng.normal(size=(1, 1, 4, 4)), 1)
_W1 = np.round(_rng.normal(size=(1, 1, 3, 3)), 1)
_x2 = np.round(_rng.normal(size=(2, 2, 5, 5)), 1)
_W2 = np.round(_rng.normal(size=(2, 2, 3, 3)), 1)
_x3 = np.round(_rng.normal(size=(1, 3, 6, 6)), 1)
_W3 = np.round(_rng.normal(size=(4, 3, 2, 2)), 1)
_x4 = np.round(_rng.normal(size=(1, 2, 8, 6)), 1)        # not square; (8 − 3) / 2 is not whole
_W4 = np.round(_rng.normal(size=(3, 2, 3, 3)), 1)
_x5 = np.round(_rng.normal(size=(2, 1, 5, 5)), 1)        # C_out = W_out = 3
_W5 = np.round(_rng.normal(size=(3, 1, 3, 3)), 1)


def _bias_on_width(x, W, b, stride, padding):
    """The bias added along the LAST axis (y + b with b of shape (C_out,))."""
    y = _conv_variant(x, W, b, stride, padding, no_bias=True)
    return y + np.asarray(b, float)


def _bias_broadcast_error(o):
    b = np.shape(o.args[2])
    return "broadcast" in o.error_text and f"({b[0]},)" in o.error_text if b else False

conv2d_forward = Checker(
    "conv2d_forward", _conv, arg_names=("x", "W", "b", "stride", "padding"),
    signature="conv2d_forward(x, W, b, stride, padding)", rtol=1e-9, atol=1e-9,
    cases=[
        Case(_x1, _W1, np.array([0.5]), 1, 0, label="one 4 × 4 image, one 3 × 3 kernel, a bias"),
        Case(_x2, _W2, np.array([0.1, -0.2]), 1, 1,
             label="2 images, 2 input and 2 output channels, padding 1"),
        Case(_x3, _W3, np.array([0.0, 1.0, -1.0, 0.5]), 2, 0,
             label="3 input channels, 4 output channels, a 2 × 2 kernel, stride 2"),
        Case(_x4, _W4, np.array([0.3, -0.1, 0.2]), 2, 0,
             label="an 8 × 6 image (not square), stride 2: (8 − 3) / 2 is not a whole number"),
        Case(_x5, _W5, np.array([1.0, -2.0, 0.5]), 1, 0,
             label="3 output channels and an output 3 wide: the bias must go with the channels"),
    ],
    mistakes=[
        Mistake("Add the bias b[o] to every position of output channel o.", like=_vc(no_bias=True)),
        Mistake("The bias went along the width: `y + b` lines b, of shape (C_out,), up "
                "with the LAST axis of y (N, C_out, H_out, W_out). Add it per "
                "channel: `b[:, None, None]` or `b.reshape(1, -1, 1, 1)`.", like=_bias_on_width),
        Mistake("b has shape (C_out,) and y is (N, C_out, H_out, W_out): `y + b` lines b up with "
                "the LAST axis (the width), hence the broadcasting error. Add the bias per "
                "channel: `b[:, None, None]` or `b.reshape(1, -1, 1, 1)`.",
                when=_bias_broadcast_error, on_error=True),
        Mistake("Right to about 7 digits only: your output is float32. The inputs are float64; "
                "create the output with their dtype (`np.zeros(..., dtype=x.dtype)`) or without "
                "one (float64).",
                when=lambda o: np.asarray(o.got).dtype == np.float32
                and np.shape(o.got) == np.shape(o.expected)
                and np.allclose(o.got, o.expected, rtol=1e-5, atol=1e-6)),
        Mistake("Layers compute the cross-correlation: slide W as it is, without flipping it "
                "(Chapter 10).", like=_vc(flip=True)),
        Mistake("Sum over ALL input channels: y[n, o] = b[o] + Σ_c Σ_ij W[o, c, i, j] · x[n, c, …]. "
                "You used only the first channel.", like=_vc(first_channel=True)),
        Mistake("Pad x with `padding` zeros on every side first (np.pad on the last two axes).",
                like=_vc(no_pad=True)),
        Mistake("Move the window `stride` pixels at a time: output position h reads rows "
                "stride·h … stride·h + k − 1.", like=_vc(no_stride=True)),
        Mistake("W is (C_out, C_in, k, k): its FIRST axis is the output channel.",
                like=_vc(swap=True)),
        *COMMON,
    ])


# --------------------------------------------------------------------------- output size and params
def _summary(C_in, H, C_out, k, stride, padding):
    from nnlib.layers import Conv2D
    layer = Conv2D(C_in, C_out, k, stride=stride, padding=padding, rng=0)
    H_out = layer.forward(np.zeros((1, C_in, H, H), dtype=np.float32)).shape[2]
    return int(H_out), int(sum(p.data.size for p in layer.parameters()))


def _summary_variant(C_in, H, C_out, k, stride, padding, *, no_plus1=False, pad_once=False,
                     no_bias=False, no_cin=False, k_not_k2=False, true_div=False,
                     plus1_inside=False):
    top = H + (padding if pad_once else 2 * padding) - k
    H_out = top / stride + 1 if true_div else top // stride + (0 if no_plus1 else 1)
    if plus1_inside:
        H_out = (top + 1) // stride
    weights = C_out * (1 if no_cin else C_in) * (k if k_not_k2 else k * k)
    return H_out, weights + (0 if no_bias else C_out)


def _vs(**mistake):
    return lambda *args: _summary_variant(*args, **mistake)


conv_summary = Checker(
    "conv_summary", _summary, arg_names=("C_in", "H", "C_out", "k", "stride", "padding"),
    signature="conv_summary(C_in, H, C_out, k, stride, padding)",
    output_names=("H_out", "params"),
    cases=[
        Case(1, 28, 6, 5, 1, 2, label="LeNet's first layer: 1 → 6 channels, 5 × 5, padding 2"),
        Case(6, 14, 16, 5, 1, 0, label="LeNet's second layer: 6 → 16 channels, 5 × 5"),
        Case(3, 32, 8, 3, 2, 1, label="3 → 8 channels, 3 × 3, stride 2, padding 1"),
        Case(4, 9, 2, 4, 2, 0, label="a size that does not divide evenly: 9, k = 4, stride 2"),
        Case(1, 28, 4, 5, 1, 1, label="padding 1 with a 5 × 5 kernel: not (k − 1) / 2"),
        Case(2, 8, 3, 2, 2, 0, label="8, k = 2, stride 2: a size that divides evenly"),
    ],
    mistakes=[
        Mistake("The + 1 goes outside the floor: (H + 2·padding − k) // stride + 1. Inside, it "
                "gives one too few whenever H + 2·padding − k is a multiple of the stride.",
                part="H_out", like=_vs(plus1_inside=True)),
        Mistake("Output size: (H + 2·padding − k) // stride + 1 — you lost the + 1 (the first "
                "window position).", part="H_out", like=_vs(no_plus1=True)),
        Mistake("Padding is added on BOTH sides: H + 2·padding.", part="H_out",
                like=_vs(pad_once=True)),
        Mistake("Padding keeps the size only when padding = (k − 1)/2 and the stride is 1 (Chapter "
                "10's common mistake); use the formula (H + 2·padding − k) // stride + 1 always.",
                part="H_out", when=lambda o: isinstance(o.got, tuple) and len(o.got) == 2
                and o.got[0] == o.args[1] // o.args[4] != o.expected[0]),
        Mistake("Every output channel has one bias too: C_out · C_in · k² + C_out.",
                part="params", like=_vs(no_bias=True)),
        Mistake("Each output channel has a k × k kernel for EVERY input channel: "
                "C_out · C_in · k² weights.", part="params", like=_vs(no_cin=True)),
        Mistake("A kernel has k × k = k² weights per input channel, not k.", part="params",
                like=_vs(k_not_k2=True)),
        *COMMON,
    ])


# --------------------------------------------------------------------------- a design under a budget
PARAM_BUDGET = 3000
ACCURACY_TARGET = 0.96        # the reference design reaches at least 96.7% over 8 seeds


def _digits_split():
    from nnlib.data import load_digits, train_val_test_split
    d = load_digits()
    X = d.images[:, None].astype(np.float32)
    X_tr, y_tr, X_va, y_va, _, _ = train_val_test_split(X, d.y, val=0.2, test=0.2, seed=0,
                                                        stratify=True)
    return X_tr, y_tr, X_va, y_va


def train_and_score(model, epochs: int = 15, seed: int = 0) -> float:
    """The fixed recipe the design is judged by: Adam (lr 3e-3), batches of 32, ``epochs``
    epochs on the digits' training split (8 × 8 images as (N, 1, 8, 8)); returns the validation
    accuracy."""
    from nnlib.losses import CrossEntropyLoss
    from nnlib.optimizers import Adam
    X_tr, y_tr, X_va, y_va = _digits_split()
    model.fit(X_tr, y_tr, CrossEntropyLoss(), Adam(model.parameters(), lr=3e-3), epochs=epochs,
              batch_size=32, seed=seed)
    return float((model.predict(X_va).argmax(axis=1) == y_va).mean())


def _layers(model):
    """Every layer inside a model, including those in nested Sequential or Residual blocks."""
    for layer in getattr(model, "layers", []):
        yield layer
        yield from _layers(layer)
    block = getattr(model, "block", None)
    if block is not None:
        yield block
        yield from _layers(block)


def _verify_design(o):
    model = o.got
    if model is None:
        return "build() returned None: expected a model — did you forget `return model`?"
    if isinstance(model, type):
        return (f"build() returned the class {model.__name__} itself, not a model: call it with "
                "your layers, `Sequential([...])`")
    if not (hasattr(model, "parameters") and hasattr(model, "fit") and hasattr(model, "predict")):
        return ("build() must return an nnlib model: expected a Sequential, got "
                f"{type(model).__name__}")
    from nnlib.layers import Conv2D
    if not any(isinstance(layer, Conv2D) for layer in _layers(model)):
        return "the design must be a CNN: use at least one Conv2D layer"
    n = sum(int(np.size(p.data)) for p in model.parameters())
    if n > PARAM_BUDGET:
        return (f"your model has {n:,} parameters, over the budget of {PARAM_BUDGET:,}: use fewer "
                "channels, or pool earlier so the Dense layer sees fewer inputs")
    out = model.predict(np.zeros((2, 1, 8, 8), dtype=np.float32))
    if np.shape(out) != (2, 10):
        return (f"the model must map images (N, 1, 8, 8) to 10 scores (N, 10); it returned shape "
                f"{np.shape(out)}")
    if np.all(out >= 0) and np.allclose(np.sum(out, axis=1), 1.0, atol=1e-4):
        return ("the model ends in a softmax (its outputs are probabilities that sum to 1); the "
                "fixed recipe's CrossEntropyLoss applies its own softmax to logits, so remove "
                "the last Softmax layer")
    accuracy = train_and_score(model)
    if accuracy < ACCURACY_TARGET:
        return (f"{n:,} parameters (within budget), but validation accuracy {accuracy:.1%} after "
                f"the fixed training recipe, below the target {ACCURACY_TARGET:.0%}")
    return None


small_cnn = Checker(
    "small_cnn", None, arg_names=(), signature="build()", timeout=5.0,
    cases=[Case(label=f"build a model with at most {PARAM_BUDGET:,} parameters, train it with the "
                      f"fixed recipe, reach {ACCURACY_TARGET:.0%} validation accuracy")],
    verify=_verify_design,
    success=f"within the budget of {PARAM_BUDGET:,} parameters and above {ACCURACY_TARGET:.0%}.",
    mistakes=[*COMMON])
