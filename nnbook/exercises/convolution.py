"""Checkers for Chapter 10, *Convolutions*. Use: ``from nnbook.exercises import convolution as check``.

All images are single-channel 2-D arrays ``(H, W)`` unless said otherwise; "valid" means no
padding, stride 1, every window fully inside the image (output ``(H − kh + 1, W − kw + 1)``).

==============================  ===============================================================
checker                         recognises (hint given)
==============================  ===============================================================
``convolve2d(x, w)``            no flip (that is cross-correlation); one axis flipped only;
                                ``w.T`` instead of a 180° rotation; "full" or "same" output
                                size; one window position short; rows and columns swapped
``receptive_field(layers)``     the sum of the kernel sizes; strides ignored; the layer's OWN
                                stride used for its reach; dilation ignored; ``d·k`` for the
                                dilated span; the kernel sizes multiplied; counting from 0
``max_pool_backward(x, g, k)``  average pooling's backward (g/k² everywhere); the gradient
                                copied to every pixel; the 0/1 mask without ``g``; the pooled
                                shape returned; a ReLU-style mask ``x > 0``; one max per image
``conv_input_grad(g, w)``       the kernel not flipped; one axis flipped only; ``w.T``; no
                                padding (output too small); "same" padding ``(k − 1)//2``;
                                padding on one side only
==============================  ===============================================================

Values worked out for the small CNN of exercise ex-ch10-budget (``Conv2D(1, 8, 5, padding=2)``,
ReLU, ``MaxPool2D(2)``, ``Conv2D(8, 16, 5)``, ReLU, ``MaxPool2D(2)``, ``Flatten``,
``Dense(?, 10)`` on 28 × 28 digits), each an :class:`~nnbook.exercises.core.AnswerCheck`:

==============================  ===============================================================
answer                          recognises (hint given)
==============================  ===============================================================
``flat_size`` (400)             padding of the first conv forgotten; the second conv's shrinking
                                forgotten; 8 channels instead of 16; the second pooling forgotten
``param_counts``                biases forgotten; the second conv's input channels forgotten;
(208, 3216, 4010)               k instead of k²
``mac_counts``                  the second conv counted at its input size; its input channels
(156800, 320000, 4000)          forgotten; parameters counted instead of multiply-adds
``rf_after_pool2`` (16)         strides ignored; the kernel sizes added; a layer's own stride
                                used for its reach
==============================  ===============================================================

References: SciPy's ``convolve2d`` for the true convolution; nnlib's ``MaxPool2D`` and
``Conv2D`` backward passes for the two gradients; the recursion of Section 10.6 for the
receptive field (``r ← r + d(k − 1)·j``, then ``j ← j·s``, from ``r = j = 1``).
"""
from __future__ import annotations

import numpy as np
from scipy.signal import convolve2d as _scipy_convolve2d
from scipy.signal import correlate2d as _correlate2d

from nnlib.layers import Conv2D, MaxPool2D

from .common import COMMON
from .core import AnswerCheck, Case, Checker, Mistake

__all__ = ["convolve2d", "receptive_field", "max_pool_backward", "conv_input_grad",
           "flat_size", "param_counts", "mac_counts", "rf_after_pool2"]

_rng = np.random.default_rng(10)


def _r(*shape):
    return np.round(_rng.normal(size=shape), 2)


def _distinct(*shape):
    """Values in steps of 0.1, all different: a max-pooling window never has a tie."""
    n = int(np.prod(shape))
    return ((_rng.permutation(n) - n / 2) / 10).reshape(shape)


def _shape_is(o, shape) -> bool:
    return np.shape(o.got) == tuple(shape)


# --------------------------------------------------------------------------- convolve2d
def _convolve(x, w):
    return _scipy_convolve2d(np.asarray(x, float), np.asarray(w, float), mode="valid")


def _corr(x, w):
    return _correlate2d(np.asarray(x, float), np.asarray(w, float), mode="valid")


def _valid_shape(o):
    (H, W), (kh, kw) = np.shape(o.args[0]), np.shape(o.args[1])
    return H - kh + 1, W - kw + 1


_X_EDGE = np.array([[0, 0, 1, 2, 2],
                    [0, 1, 2, 2, 1],
                    [0, 1, 2, 1, 0],
                    [1, 2, 1, 0, 0],
                    [2, 1, 0, 0, 0]], dtype=float)
_SOBEL = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=float)

convolve2d = Checker(
    "convolve2d", _convolve, arg_names=("x", "w"), signature="convolve2d(x, w)",
    cases=[
        # a non-square output first: a transposed output and a rotated one differ there
        Case(_r(4, 6), np.array([[1.0, 0, -1], [2, 0, -3]]), label="4 × 6 image, 2 × 3 kernel"),
        Case(np.array([[1.0, 2, 0], [0, 1, 3], [2, 0, 1]]), np.array([[1.0, 2], [0, 0]]),
             label="3 × 3 image, 2 × 2 kernel with one non-zero row"),
        Case(_X_EDGE, _SOBEL, label="a diagonal stroke and the Sobel kernel of Section 10.3"),
        Case(_r(3, 4), np.array([[2.5]]), label="a 1 × 1 kernel"),
        Case(_r(8, 7), _r(3, 3), label="random 8 × 7 image, random 3 × 3 kernel"),
        Case(np.arange(12).reshape(3, 4), np.array([[0.5, 0.25]]),
             label="an image of integers and a kernel of fractions"),
    ],
    mistakes=[
        Mistake("That is cross-correlation, what deep-learning libraries compute: the kernel "
                "slides unflipped. A convolution flips the kernel in BOTH axes first (a 180° "
                "rotation, `w[::-1, ::-1]`), so y[i, j] = Σ w[u, v]·x[i + kh−1−u, j + kw−1−v].",
                like=_corr),
        Mistake("You flipped the kernel upside down only (`w[::-1]`); a convolution flips it in "
                "BOTH axes: `w[::-1, ::-1]`.", like=lambda x, w: _corr(x, np.asarray(w)[::-1])),
        Mistake("You flipped the kernel left-right only (`w[:, ::-1]`); a convolution flips it in "
                "BOTH axes: `w[::-1, ::-1]`.", like=lambda x, w: _corr(x, np.asarray(w)[:, ::-1])),
        Mistake("`w.T` mirrors the kernel across its diagonal; a convolution rotates it by 180° "
                "(`w[::-1, ::-1]`). The two agree only for special kernels.",
                like=lambda x, w: _corr(x, np.asarray(w).T)),
        Mistake("You rotated the IMAGE by 180° instead of the kernel: that gives the "
                "convolution's output rotated too. Flip the kernel (`w[::-1, ::-1]`) and slide "
                "it over the image as it is.",
                like=lambda x, w: _corr(np.asarray(x, float)[::-1, ::-1], w)),
        Mistake("Your output holds integers, so the fractions were cut off: an output made with "
                "`np.zeros_like(x)` (or `dtype=x.dtype`) copies the image's integer dtype. Make it "
                "float: `np.zeros((H_out, W_out))`.",
                when=lambda o: np.issubdtype(np.asarray(o.got).dtype, np.integer)
                and not np.issubdtype(np.asarray(o.expected).dtype, np.integer)),
        Mistake("Rows and columns are swapped in your output: y[i, j] must use row i + … and "
                "column j + … of the image.",
                when=lambda o: np.ndim(o.got) == 2 and np.shape(o.got)[::-1] == _valid_shape(o)
                and np.allclose(np.asarray(o.got, float).T, o.expected)),
        Mistake("Your output has the 'full' size (H + kh − 1): it includes windows that hang off "
                "the image. This exercise wants 'valid' windows only: (H − kh + 1) × (W − kw + 1).",
                kinds=("shape",), when=lambda o: _shape_is(o, np.add(np.shape(o.args[0]),
                                                                      np.shape(o.args[1])) - 1)),
        Mistake("Your output has the input's size ('same' padding). Without padding only "
                "H − kh + 1 window positions fit along the height (and W − kw + 1 along the width).",
                kinds=("shape",), when=lambda o: _shape_is(o, np.shape(o.args[0]))),
        Mistake("One window position short: a kernel of height kh fits at H − kh + 1 positions "
                "(0, 1, …, H − kh), not H − kh. Check the ranges of your loops.",
                kinds=("shape",), when=lambda o: _shape_is(o, np.subtract(_valid_shape(o), 1))),
        *COMMON,
    ])


# --------------------------------------------------------------------------- receptive_field
def _rf(layers, reach=lambda k, d: d * (k - 1), own_stride=False, use_stride=True):
    r, j = 1, 1
    for k, s, d in layers:
        if own_stride and use_stride:
            j *= s
        r += reach(k, d) * j
        if use_stride and not own_stride:
            j *= s
    return r


def _receptive_field(layers):
    return _rf(layers)


_VGG = [(3, 1, 1), (3, 1, 1), (2, 2, 1), (3, 1, 1), (3, 1, 1), (2, 2, 1), (3, 1, 1)]
_RESNET_STEM = [(7, 2, 1), (3, 2, 1), (3, 1, 1), (3, 1, 1)]


def _rf_wrong(reach=lambda k, d: d * (k - 1), own_stride=False, use_stride=True):
    return lambda layers: _rf(layers, reach, own_stride, use_stride)


receptive_field = Checker(
    "receptive_field", _receptive_field, arg_names=("layers",),
    signature="receptive_field(layers)",
    cases=[
        Case([(3, 1, 1)], label="one 3 × 3 convolution"),
        Case([(3, 1, 1)] * 3, label="three 3 × 3 convolutions, stride 1"),
        Case([(3, 1, 1), (2, 2, 1), (3, 1, 1)], label="conv 3, 2 × 2 pooling (stride 2), conv 3"),
        Case([(3, 1, 1), (3, 1, 2), (3, 1, 4)], label="dilated 3 × 3 convolutions, d = 1, 2, 4"),
        Case(_VGG, label="a VGG-style stack: two convs, pool, two convs, pool, conv"),
        Case(_RESNET_STEM, label="ResNet's stem: conv 7 stride 2, max-pool 3 stride 2, two convs"),
        Case([], label="no layers at all: a pixel sees itself"),
        Case([(3, 1, 1), (3, 1, 1), (3, 1, 2), (3, 1, 4), (3, 1, 8)],
             label="the dilated stack of Section 10.6, d = 1, 1, 2, 4, 8: wider than a 28-pixel image"),
    ],
    mistakes=[
        Mistake("Adding up the kernel sizes double-counts: two stacked 3 × 3 layers see 5 pixels, "
                "not 6, because their windows share the centre. Each layer adds k − 1 (times the "
                "spacing of its inputs), starting from r = 1.",
                kinds=("values",), like=lambda layers: sum(k for k, _, _ in layers)),
        Mistake("Strides are ignored. After a layer with stride s, neighbouring units are s input "
                "pixels apart (the jump j multiplies by s), so every later kernel reaches j times "
                "further: r ← r + d(k − 1)·j, then j ← j·s.", like=_rf_wrong(use_stride=False), kinds=("values",)),
        Mistake("A layer's own stride does not change what ITS window covers: it sets the spacing "
                "for the layers AFTER it. Add d(k − 1)·j with the jump of the earlier layers, then "
                "update j ← j·s.", like=_rf_wrong(own_stride=True), kinds=("values",)),
        Mistake("Dilation is ignored: a kernel of size k with dilation d spans d(k − 1) + 1 "
                "inputs, so it adds d(k − 1) (times the jump).",
                like=_rf_wrong(reach=lambda k, d: k - 1), kinds=("values",)),
        Mistake("A dilated kernel spans d(k − 1) + 1 inputs, not d·k: its k taps are d apart, so "
                "there are k − 1 gaps of d. It adds d(k − 1)·j to the receptive field.",
                like=_rf_wrong(reach=lambda k, d: d * k - 1), kinds=("values",)),
        Mistake("That is the product of the kernel sizes. Receptive fields grow by addition: "
                "each layer adds d(k − 1)·j pixels to r, and only the jump j is multiplied (by "
                "each layer's stride s, not by its kernel size).",
                when=lambda o: o.got == int(np.prod([k for k, _, _ in o.args[0]])) != o.expected),
        Mistake("Start from r = 1 (a pixel sees itself), not 0.",
                kinds=("values",), when=lambda o: o.got == o.expected - 1
                and all(s == 1 for _, s, _ in o.args[0])),
        Mistake("Do not clip the receptive field to an image size: the rule counts the input "
                "positions a unit could reach, which can exceed the image (the measured table "
                "stops at 28 only because MNIST is 28 pixels wide).",
                kinds=("values",), when=lambda o: o.expected > 28 and o.got == 28),
        Mistake("Right value, but return it as a whole number (an `int`): a receptive field is a "
                "count of pixels. `/` makes a float; the recursion needs only `+` and `*`.",
                kinds=("type",), when=lambda o: isinstance(o.got, (float, np.floating))
                and o.got == o.expected),
        *COMMON,
    ])


# --------------------------------------------------------------------------- max_pool_backward
def _max_pool_backward(x, grad_out, k):
    pool = MaxPool2D(k)
    pool.forward(np.asarray(x, float))
    return pool.backward(np.asarray(grad_out, float))


def _upsample(g, k):
    return np.repeat(np.repeat(np.asarray(g, float), k, axis=2), k, axis=3)


def _winner_mask(x, k):
    x = np.asarray(x, float)
    N, C, H, W = x.shape
    m = x.reshape(N, C, H // k, k, W // k, k).max(axis=(3, 5))
    return (x == _upsample(m, k)).astype(float)


def _pooled_shape(o):
    N, C, H, W = np.shape(o.args[0])
    k = o.args[2]
    return N, C, H // k, W // k


_X_POOL = np.array([[[[1.0, 3, 2, 0],
                      [4, 2, 1, 5],
                      [0, 6, 3, 2],
                      [1, 2, 7, 4]]]])
_X_NEG = _distinct(1, 2, 4, 4) - 4.0            # every value negative

max_pool_backward = Checker(
    "max_pool_backward", _max_pool_backward, arg_names=("x", "grad_out", "k"),
    signature="max_pool_backward(x, grad_out, k)",
    cases=[
        Case(np.array([[[[1.0, -3], [4, 2]]]]), np.array([[[[10.0]]]]), 2,
             label="one 2 × 2 window"),
        Case(_X_POOL, np.array([[[[1.0, 2], [3, 4]]]]), 2, label="a 4 × 4 image, four windows"),
        Case(_X_NEG, _r(1, 2, 2, 2), 2, label="every value negative (the max is negative)"),
        Case(_distinct(2, 3, 6, 6), _r(2, 3, 2, 2), 3, label="a batch of 2, 3 channels, 3 × 3 windows"),
        Case(_distinct(2, 1, 4, 6), _r(2, 1, 2, 3), 2, label="a 4 × 6 image (more columns than rows)"),
    ],
    mistakes=[
        Mistake("That is AVERAGE pooling's backward (g/k² to every pixel of the window). A max "
                "depends only on its largest input: the whole gradient goes to that pixel, and the "
                "others get 0.", like=lambda x, g, k: _upsample(g, k) / k ** 2),
        Mistake("You copied the gradient to every pixel of its window. Only the pixel that won the "
                "max influenced the output, so only it receives grad_out; the others get 0.",
                like=lambda x, g, k: _upsample(g, k)),
        Mistake("You returned the 0/1 mask of the winners. Multiply it by the (upsampled) "
                "grad_out: dx = mask · g.", like=lambda x, g, k: _winner_mask(x, k)),
        Mistake("That mask is ReLU's (x > 0). Max pooling's mask marks the LARGEST value of each "
                "window, which may be negative, and only one pixel per window.",
                like=lambda x, g, k: (np.asarray(x) > 0) * _upsample(g, k)),
        Mistake("Your dx has the pooled shape. dx is the gradient with respect to x, so it has "
                "x's shape: spread each window's gradient back over its k × k pixels.",
                kinds=("shape",), when=lambda o: _shape_is(o, _pooled_shape(o))),
        Mistake("Take the max over each k × k window, not over the whole image (or channel): every "
                "window has its own winner.",
                like=lambda x, g, k: (np.asarray(x) == np.asarray(x).max(axis=(2, 3), keepdims=True))
                * _upsample(g, k)),
        *COMMON,
    ])


# --------------------------------------------------------------------------- conv_input_grad
def _conv_input_grad(grad_out, w):
    grad_out, w = np.asarray(grad_out, float), np.asarray(w, float)
    kh, kw = w.shape
    H, W = grad_out.shape[0] + kh - 1, grad_out.shape[1] + kw - 1
    conv = Conv2D(1, 1, (kh, kw), bias=False, dtype=np.float64)
    conv.W.data[0, 0] = w
    conv.forward(np.zeros((1, 1, H, W)))
    return conv.backward(grad_out[None, None])[0, 0]


def _pad_corr(g, w, pad=None, flip=(True, True)):
    g, w = np.asarray(g, float), np.asarray(w, float)
    kh, kw = w.shape
    ph, pw = pad if pad is not None else (kh - 1, kw - 1)
    w = w[::-1] if flip[0] else w
    w = w[:, ::-1] if flip[1] else w
    return _correlate2d(np.pad(g, ((ph, ph), (pw, pw))), w, mode="valid")


def _input_shape(o):
    (Ho, Wo), (kh, kw) = np.shape(o.args[0]), np.shape(o.args[1])
    return Ho + kh - 1, Wo + kw - 1


conv_input_grad = Checker(
    "conv_input_grad", _conv_input_grad, arg_names=("grad_out", "w"),
    signature="conv_input_grad(grad_out, w)",
    cases=[
        Case(np.array([[1.0]]), np.array([[1.0, 2], [3, 4]]),
             label="a 2 × 2 image: one output, g = 1"),
        Case(np.array([[1.0, 0], [0, 0]]), np.array([[1.0, 2], [3, 4]]),
             label="a 3 × 3 image, g = 1 at the top-left output only"),
        Case(np.array([[1.0, -1, 2], [0, 3, 1], [2, 1, 0]]), _SOBEL, label="Sobel kernel, 5 × 5 image"),
        Case(_r(2, 4), np.array([[1.0, 0, -1], [2, 5, -3]]), label="a 2 × 3 kernel, 3 × 6 image"),
        Case(_r(5, 4), _r(3, 3), label="random 3 × 3 kernel, 7 × 6 image"),
    ],
    mistakes=[
        Mistake("The kernel must be flipped (rotated by 180°, `w[::-1, ::-1]`). Write out "
                "dL/dx[a, b] = Σ g[i, j]·w[a − i, b − j]: the kernel index DEcreases as i "
                "increases, which is a correlation with the flipped kernel.",
                like=lambda g, w: _pad_corr(g, w, flip=(False, False))),
        Mistake("You flipped the kernel in one axis only; rotate it by 180°: `w[::-1, ::-1]`.",
                when=lambda o: any(np.allclose(o.got, _pad_corr(*o.args, flip=f))
                                   for f in ((True, False), (False, True)))
                if _shape_is(o, _input_shape(o)) else False),
        Mistake("`w.T` mirrors the kernel across its diagonal; the gradient needs it rotated by "
                "180° (`w[::-1, ::-1]`).",
                when=lambda o: np.shape(o.args[1])[0] == np.shape(o.args[1])[1]
                and _shape_is(o, _input_shape(o))
                and np.allclose(o.got, _pad_corr(o.args[0], np.asarray(o.args[1]).T, flip=(False, False)))),
        Mistake("Your dx has grad_out's shape, but it must have the input's shape, which is "
                "larger by kh − 1 rows and kw − 1 columns. Pad grad_out with kh − 1 rows of zeros "
                "above AND below and kw − 1 columns left AND right (padding (k − 1)//2, or on one "
                "side only, keeps grad_out's size).",
                kinds=("shape",), when=lambda o: _shape_is(o, np.shape(o.args[0]))),
        Mistake("dx must have the input's shape, (H_out + kh − 1) × (W_out + kw − 1). Pad grad_out "
                "with kh − 1 rows of zeros above AND below (kw − 1 columns left and right): the "
                "output-size formula then gives back exactly the input's size.",
                kinds=("shape",), when=lambda o: np.ndim(o.got) == 2
                and np.all(np.less(np.shape(o.got), _input_shape(o)))),
        *COMMON,
    ])


# --------------------------------------------------------------------------- the small CNN's budget
# 28 →(conv 5, p 2) 28 →(pool 2) 14 →(conv 5) 10 →(pool 2) 5; channels 1 → 8 → 16; 16·5·5 = 400.
flat_size = AnswerCheck(
    "flat_size", 16 * 5 * 5, label="the ? in Dense(?, 10): values per image after Flatten",
    mistakes=[
        Mistake("The first convolution has padding 2, so it keeps 28 × 28 (28 + 4 − 5 + 1); "
                "without the padding the maps would be 24 × 24.", like=lambda: 16 * 4 * 4),
        Mistake("The second convolution has no padding: its 5 × 5 kernel fits at 14 − 5 + 1 = 10 "
                "positions, so the maps shrink from 14 to 10 before the second pooling.",
                like=lambda: 16 * 7 * 7),
        Mistake("After the second convolution there are 16 channels, not 8: the count is "
                "channels × height × width of the last pooled maps.", like=lambda: 8 * 5 * 5),
        Mistake("There are two poolings: the second halves 10 × 10 to 5 × 5.",
                like=lambda: 16 * 10 * 10),
    ])

param_counts = AnswerCheck(
    "param_counts", (8 * (1 * 25 + 1), 16 * (8 * 25 + 1), 400 * 10 + 10),
    label="parameters of (first Conv2D, second Conv2D, Dense)",
    mistakes=[
        Mistake("Each layer also has one bias per output channel (or output unit): "
                "C_out·(C_in·k² + 1) for a convolution, (D_in + 1)·D_out for a dense layer.",
                like=lambda: (8 * 25, 16 * 8 * 25, 4000)),
        Mistake("The second convolution has one 5 × 5 kernel per PAIR of input and output "
                "channels: 16·(8·25 + 1), not 16·(25 + 1).",
                like=lambda: (208, 16 * 26, 4010)),
        Mistake("A k × k kernel has k² weights: use 25, not 5.",
                like=lambda: (8 * 6, 16 * (8 * 5 + 1), 4010)),
    ])

mac_counts = AnswerCheck(
    "mac_counts", (8 * 28 * 28 * 25, 16 * 10 * 10 * 8 * 25, 400 * 10),
    label="multiply-adds per image of (first Conv2D, second Conv2D, Dense)",
    mistakes=[
        Mistake("The second convolution produces 10 × 10 outputs per channel (no padding), not "
                "14 × 14: count C_out·H_out·W_out·C_in·k².",
                like=lambda: (156800, 16 * 14 * 14 * 8 * 25, 4000)),
        Mistake("Each output of the second convolution sums over all 8 input channels: "
                "C_out·H_out·W_out·C_in·k² = 16·10·10·8·25.",
                like=lambda: (156800, 16 * 10 * 10 * 25, 4000)),
        Mistake("Those are the parameter counts. A convolution reuses each weight at every output "
                "position: multiply-adds = C_out·H_out·W_out·C_in·k².",
                like=lambda: (200, 3200, 4000)),
        Mistake("Those are the parameter counts. A convolution reuses each weight at every output "
                "position: multiply-adds = C_out·H_out·W_out·C_in·k².",
                like=lambda: (208, 3216, 4010)),
    ])

rf_after_pool2 = AnswerCheck(
    "rf_after_pool2", 16, label="receptive field (pixels) of one unit after the second pooling",
    mistakes=[
        Mistake("Strides are ignored: after the first pooling neighbouring units are 2 pixels "
                "apart, so the second 5 × 5 convolution adds 4·2 = 8 pixels, not 4.",
                like=lambda: 1 + 4 + 1 + 4 + 1),
        Mistake("14 is what you get by adding the kernel sizes (5 + 2 + 5 + 2), which "
                "double-counts shared pixels, and also the receptive field after the second "
                "CONVOLUTION, one layer early. Each layer adds (k − 1)·jump, starting from r = 1, "
                "and the second pooling adds (2 − 1)·2 more.", like=lambda: 14),
        Mistake("A layer's own stride sets the spacing for the layers AFTER it: the first pooling "
                "adds (2 − 1)·1, and only then does the jump become 2.", like=lambda: 19),
    ])
