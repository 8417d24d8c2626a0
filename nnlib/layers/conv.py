"""Convolution and pooling for images in NCHW layout: the definition first, then the fast version.

Shapes: ``x`` is ``(N, C, H, W)`` (batch, channels, height, width), like PyTorch; a kernel
``W`` is ``(C_out, C_in, kh, kw)``.

Reading order
-------------
1. :func:`conv_output_size` — how big the output is (stride, padding, dilation).
2. :func:`conv2d_naive`, :func:`conv2d_naive_backward` — the definition, one output number at
   a time: four loops. The teaching version, and the reference the tests hold the fast one to.
3. :func:`im2col`, :func:`conv2d_forward`, :func:`col2im`, :func:`conv2d_backward` — the same
   numbers from matrix products (how, below).
4. :func:`max_pool2d_forward`, :func:`max_pool2d_backward`, :func:`avg_pool2d_forward`,
   :func:`avg_pool2d_backward` — pooling, vectorized over the taps of the window.
5. :class:`Conv2D`, :class:`MaxPool2D`, :class:`AvgPool2D` — thin layers over those functions:
   they check shapes, keep ``self.cache`` and own the parameters.

The definition (cross-correlation, as in every framework), with stride ``s``, zero padding
``p`` and dilation ``d``::

    y[n, o, h, w] = b[o] + Σ_{c, i, j} W[o, c, i, j] · x_pad[n, c, s·h + d·i, s·w + d·j]

How the fast version gets its speed
-----------------------------------
A convolution is a matrix product in disguise. Copy the ``C·kh·kw`` input numbers that output
pixel ``(h, w)`` looks at into one column; put the columns of all ``H_out·W_out`` pixels side
by side ("im2col"): a ``(C·kh·kw, H_out·W_out)`` matrix per image. Each output channel is then
one row of ``W`` (flattened to ``(C_out, C·kh·kw)``) times that matrix, so a single BLAS
product per image does all the multiply-adds (``np.matmul`` runs them for the whole batch).

* **im2col** is copying: ``sliding_window_view`` gives every window as a view (no copy),
  slicing picks every ``s``-th window and every ``d``-th tap, and a reshape copies them into
  columns (in two passes, width then height, which measured faster; see :func:`im2col`).
* **Backward** is the forward product transposed, as for a Dense layer: ``dW = Σ_n g_n ·
  cols_nᵀ``, ``db = Σ g`` and ``dcols = Wᵀ · g``, how much each copied number mattered. Each
  input pixel was copied into several columns (once per kernel tap that reads it), so
  **col2im** *adds* the columns back onto the image: one slice-add per kernel tap, the mirror
  of im2col.
* **One layout choice, measured.** col2im runs in a batch-LAST layout ``(C, H, W, N)``: there a
  tap's slice-add walks ``W_out·N`` contiguous numbers at a time instead of ``W_out`` (10 for
  LeNet's second convolution), and NumPy's per-row overhead stops dominating. Whole backward of
  LeNet's conv2 (batch 64, 6→16 channels, 5×5 on 14×14): 2.5 ms batch-first, 1.4 ms batch-last.
  The forward and ``dW`` products stay batch-first (one product per image): there the
  batch-last single product measured slower (forward 0.53 vs 1.0 ms on LeNet's conv1).
* The first layer of a network needs no gradient for its input (the data): with
  ``needs_input_grad = False`` backward skips ``dcols`` and col2im, as PyTorch does for a
  tensor without ``requires_grad``.

``tests/test_conv.py`` checks these functions against the naive loops, finite differences and
PyTorch; ``benchmarks/`` times them against PyTorch (LeNet-5 training step).
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..init import he_normal
from .base import Layer, Parameter, check_input


# ----------------------------------------------------------------------------- sizes
def _as_int_pair(value, what: str, owner: str, minimum: int) -> tuple[int, int]:
    """``3`` → ``(3, 3)``; ``(3, 5)`` stays (vertical, horizontal). Both must be ints >= ``minimum``,
    else a ValueError naming ``owner`` (the layer or function) and the argument."""
    pair = (value, value) if np.isscalar(value) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) and v >= minimum for v in pair):
        raise ValueError(f"{owner}: {what} must be an int >= {minimum} or a pair of them, got {value!r}")
    return int(pair[0]), int(pair[1])


def _hyperparameters(owner, stride, padding, dilation):
    """(stride, padding, dilation) as validated (vertical, horizontal) pairs."""
    return (_as_int_pair(stride, "stride", owner, 1), _as_int_pair(padding, "padding", owner, 0),
            _as_int_pair(dilation, "dilation", owner, 1))


def conv_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """The output length along one axis: ``floor((size + 2p − d·(k − 1) − 1) / s) + 1``.

    A kernel of ``k`` taps dilated by ``d`` spans ``d·(k − 1) + 1`` input positions; the padded
    input has ``size + 2p``; windows start every ``s`` positions and a window that would run
    past the edge is dropped (hence the floor). With ``d = 1`` this is the familiar
    ``floor((size + 2p − k) / s) + 1``. Pooling uses it with ``p = 0, d = 1``.
    """
    span = dilation * (kernel - 1) + 1
    return (size + 2 * padding - span) // stride + 1


def _output_hw(x_shape, kernel_size, stride, padding, dilation):
    H_in, W_in = x_shape[2:]
    return (conv_output_size(H_in, kernel_size[0], stride[0], padding[0], dilation[0]),
            conv_output_size(W_in, kernel_size[1], stride[1], padding[1], dilation[1]))


def _pad(x, padding):
    """x (N, C, H, W) with ``padding = (ph, pw)`` zeros on every side; x itself when there is none.

    Same result as ``np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))``, which cost 0.25 ms more
    per LeNet training step (6.02 vs 5.77 ms, medians of 30 timed runs; its generality has a price).
    """
    ph, pw = padding
    if not (ph or pw):
        return x
    N, C, H_in, W_in = x.shape
    x_pad = np.zeros((N, C, H_in + 2 * ph, W_in + 2 * pw), dtype=x.dtype)
    x_pad[:, :, ph:ph + H_in, pw:pw + W_in] = x
    return x_pad


# ----------------------------------------------------------------------------- the definition
def conv2d_naive(x, W, b=None, stride=1, padding=0, dilation=1):
    """The convolution layer's forward pass, one output number at a time (the teaching version).

        y[n, o, h, w] = b[o] + Σ_{c, i, j} W[o, c, i, j] · x_pad[n, c, s·h + d·i, s·w + d·j]

    Args:
        x: (N, C, H, W) images. W: (C_out, C, kh, kw) kernels. b: (C_out,) or None.
        stride, padding, dilation: an int, or a (vertical, horizontal) pair.
    Returns:
        y: (N, C_out, H_out, W_out), sizes from :func:`conv_output_size`.

    Four loops over (n, o, h, w); the sum over (c, i, j) is one NumPy product of the window
    with the kernel. Slow — N·C_out·H_out·W_out Python steps — but hard to misread.
    """
    (sh, sw), (ph, pw), (dh, dw) = _hyperparameters("conv2d_naive", stride, padding, dilation)
    N, C, H_in, W_in = x.shape
    C_out, _, kh, kw = W.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    H_out = conv_output_size(H_in, kh, sh, ph, dh)
    W_out = conv_output_size(W_in, kw, sw, pw, dw)
    y = np.zeros((N, C_out, H_out, W_out), dtype=np.result_type(x, W))
    for n in range(N):
        for o in range(C_out):
            for h in range(H_out):
                for w in range(W_out):
                    # the (C, kh, kw) input numbers this output sees: every d-th pixel from (s·h, s·w)
                    in_rows = slice(h * sh, h * sh + dh * (kh - 1) + 1, dh)
                    in_cols = slice(w * sw, w * sw + dw * (kw - 1) + 1, dw)
                    window = x_pad[n, :, in_rows, in_cols]
                    y[n, o, h, w] = np.sum(window * W[o]) + (0 if b is None else b[o])
    return y


def conv2d_naive_backward(x, W, grad_out, stride=1, padding=0, dilation=1):
    """The backward pass of :func:`conv2d_naive`, one output number at a time.

    Output number ``y[n, o, h, w] = window · W[o] + b[o]`` sends its gradient ``g`` back along
    each path: ``g · W[o]`` to the window of x it read, ``g · window`` to ``W[o]``, ``g`` to ``b[o]``.
    Windows overlap, so contributions ADD up.

    Args:
        x: (N, C, H, W); W: (C_out, C, kh, kw); grad_out: dL/dy (N, C_out, H_out, W_out).
    Returns:
        (dx, dW, db): (N, C, H, W), (C_out, C, kh, kw), (C_out,).
    """
    (sh, sw), (ph, pw), (dh, dw) = _hyperparameters("conv2d_naive_backward", stride, padding, dilation)
    N, C, H_in, W_in = x.shape
    C_out, _, kh, kw = W.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    dx_pad = np.zeros(x_pad.shape, dtype=np.result_type(x, grad_out))
    dW = np.zeros(W.shape, dtype=np.result_type(W, grad_out))
    for n in range(N):
        for o in range(C_out):
            for h in range(grad_out.shape[2]):
                for w in range(grad_out.shape[3]):
                    in_rows = slice(h * sh, h * sh + dh * (kh - 1) + 1, dh)
                    in_cols = slice(w * sw, w * sw + dw * (kw - 1) + 1, dw)
                    g = grad_out[n, o, h, w]
                    dx_pad[n, :, in_rows, in_cols] += g * W[o]
                    dW[o] += g * x_pad[n, :, in_rows, in_cols]
    db = grad_out.sum(axis=(0, 2, 3))
    return dx_pad[:, :, ph:ph + H_in, pw:pw + W_in], dW, db


# ----------------------------------------------------------------------------- the fast version
def im2col(x, kernel_size, stride=(1, 1), padding=(0, 0), dilation=(1, 1)):
    """Every window of ``x`` as a column: x (N, C, H, W) → cols (N, C·kh·kw, H_out·W_out).

    ``cols[n, (c, i, j), (h, w)] = x_pad[n, c, s·h + d·i, s·w + d·j]`` (row index c·kh·kw + i·kw + j,
    column index h·W_out + w), so that ``W.reshape(C_out, -1) @ cols[n]`` is image n's output.
    Sizes: ints or (vertical, horizontal) pairs.

    ``sliding_window_view`` shows every window without copying; slicing keeps every s-th window
    and every d-th tap. It is done in two passes, width then height, each with one copy:
    ``rows[n, c, j, r, w] = x_pad[n, c, r, s·w + d·j]`` (every row segment a window uses), then
    the windows of ``rows`` along the height. Why two: in the second copy the H_out × W_out block
    of one (c, i, j) is contiguous in ``rows`` (stride 1), so NumPy copies runs of H_out·W_out
    numbers instead of W_out: 0.49 → 0.28 ms on LeNet's conv2, 0.36 → 0.26 ms on its conv1.
    """
    kernel_size = _as_int_pair(kernel_size, "kernel_size", "im2col", 1)
    stride, padding, dilation = _hyperparameters("im2col", stride, padding, dilation)
    (kh, kw), (sh, sw), (dh, dw) = kernel_size, stride, dilation
    N, C = x.shape[:2]
    H_out, W_out = _output_hw(x.shape, kernel_size, stride, padding, dilation)
    span_h, span_w = dh * (kh - 1) + 1, dw * (kw - 1) + 1        # input pixels a window covers
    # pass 1, the width: (N, C, H_pad, W_out, kw) as a view, copied as (N, C, kw, H_pad, W_out)
    rows = sliding_window_view(_pad(x, padding), span_w, axis=3)[..., ::sw, ::dw]
    rows = rows.transpose(0, 1, 4, 2, 3).copy()
    # pass 2, the height: (N, C, kw, H_out, W_out, kh) as a view, copied as (N, C·kh·kw, H_out·W_out)
    windows = sliding_window_view(rows, span_h, axis=3)[:, :, :, ::sh, :, ::dh]
    return windows.transpose(0, 1, 5, 2, 3, 4).reshape(N, C * kh * kw, H_out * W_out)


def col2im(dcols, x_shape, kernel_size, stride=(1, 1), padding=(0, 0), dilation=(1, 1)):
    """The adjoint of :func:`im2col`: add every column entry back onto the pixel it came from.

    dcols: (C·kh·kw, H_out·W_out·N), rows ordered as in im2col but with the BATCH AXIS LAST
    (columns ordered (h, w, n)); returns dx: ``x_shape`` = (N, C, H, W).

    One slice-add per kernel tap (i, j): the tap's (C, H_out, W_out, N) block goes onto the
    pixels it was read from, ``x_pad[:, s·h + d·i, s·w + d·j, :]``. ``+=`` because a pixel sits
    in several windows. With the batch axis last each block row is ``W_out·N`` contiguous
    numbers (measured 1.5 → 0.36 ms on LeNet's conv2 against a batch-first layout; see the
    module docstring), and the final transpose back to NCHW is one small copy.
    """
    kernel_size = _as_int_pair(kernel_size, "kernel_size", "col2im", 1)
    stride, padding, dilation = _hyperparameters("col2im", stride, padding, dilation)
    N, C, H_in, W_in = x_shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    H_out, W_out = _output_hw(x_shape, kernel_size, stride, padding, dilation)
    dcols = dcols.reshape(C, kh, kw, H_out, W_out, N)
    dx_pad = np.zeros((C, H_in + 2 * ph, W_in + 2 * pw, N), dtype=dcols.dtype)
    for i in range(kh):
        for j in range(kw):
            dx_pad[:, i * dh:i * dh + sh * (H_out - 1) + 1:sh,
                   j * dw:j * dw + sw * (W_out - 1) + 1:sw] += dcols[:, i, j]
    return np.ascontiguousarray(dx_pad[:, ph:ph + H_in, pw:pw + W_in].transpose(3, 0, 1, 2))


def conv2d_forward(x, W, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1)):
    """:func:`conv2d_naive`'s numbers from one matrix product per image.

    x: (N, C, H, W); W: (C_out, C, kh, kw); b: (C_out,) or None; stride, padding, dilation:
    ints or (vertical, horizontal) pairs. Returns ``(y, cols)``: y (N, C_out, H_out, W_out) and
    the im2col matrix (N, C·kh·kw, H_out·W_out), which :func:`conv2d_backward` needs.
    """
    stride, padding, dilation = _hyperparameters("conv2d_forward", stride, padding, dilation)
    N = x.shape[0]
    C_out = W.shape[0]
    H_out, W_out = _output_hw(x.shape, W.shape[2:], stride, padding, dilation)
    cols = im2col(x, W.shape[2:], stride, padding, dilation)
    y = W.reshape(C_out, -1) @ cols               # (C_out, C·kh·kw) @ (N, C·kh·kw, P) → (N, C_out, P)
    if b is not None:
        y += b[:, None]
    return y.reshape(N, C_out, H_out, W_out), cols


def conv2d_backward(grad_out, cols, W, x_shape, stride=(1, 1), padding=(0, 0), dilation=(1, 1),
                    need_dx: bool = True):
    """The backward pass of :func:`conv2d_forward`: returns ``(dx, dW, db)``.

    grad_out: dL/dy (N, C_out, H_out, W_out); cols: forward's im2col matrix; W: (C_out, C, kh, kw);
    x_shape: (N, C, H, W). With y_n = W₂ · cols_n + b (W₂ = W flattened to (C_out, C·kh·kw)) and
    g_n = grad_out[n] flattened to (C_out, H_out·W_out), as for a Dense layer:

        dW₂ = Σ_n g_n · cols_nᵀ     db = Σ_n Σ_pixels g_n     dcols_n = W₂ᵀ · g_n → dx by col2im

    dx is None when ``need_dx`` is False (the first layer: its input is the data).
    """
    stride, padding, dilation = _hyperparameters("conv2d_backward", stride, padding, dilation)
    N, C_out = grad_out.shape[:2]
    W2 = W.reshape(C_out, -1)
    g = grad_out.reshape(N, C_out, -1)                                   # (N, C_out, P)
    db = grad_out.sum(axis=(0, 2, 3))
    # Σ_n cols_n · g_nᵀ is dW₂ᵀ: the same products in the order BLAS ran faster (0.45 vs 0.81 ms
    # on LeNet's conv2); the final transpose and reshape copy only C_out·C·kh·kw numbers.
    dW = (cols @ g.transpose(0, 2, 1)).sum(axis=0).T.reshape(W.shape)
    if not need_dx:
        return None, dW, db
    g_batch_last = grad_out.transpose(1, 2, 3, 0).reshape(C_out, -1)    # (C_out, P·N): a copy
    # dcols = W₂ᵀ · g, into rows 16 numbers longer than needed: when a row's length in bytes is a
    # multiple of 4096 (P·N a multiple of 1024, e.g. 12×12 outputs in batches of 64), every row
    # starts in the same CPU cache sets and BLAS wrote them at half speed (0.52 → 0.26 ms for the
    # 8→16-channel benchmark case).
    PN = g_batch_last.shape[1]
    dcols = np.empty((W2.shape[1], PN + 16), dtype=g_batch_last.dtype)[:, :PN]
    np.matmul(W2.T, g_batch_last, out=dcols)
    dx = col2im(dcols, x_shape, W.shape[2:], stride, padding, dilation)
    return dx, dW, db


# ----------------------------------------------------------------------------- pooling
def _pool_sizes(owner, kernel_size, stride):
    """(kernel_size, stride) as validated pairs; the stride defaults to the kernel size."""
    kernel_size = _as_int_pair(kernel_size, "kernel_size", owner, 1)
    return kernel_size, kernel_size if stride is None else _as_int_pair(stride, "stride", owner, 1)


def _taps(a, kernel_size, stride, out_hw):
    """Yield, for every tap (i, j) of the window, the (N, C, H_out, W_out) view of ``a`` holding
    pixel (i, j) of every window: ``view[n, c, h, w] = a[n, c, s·h + i, s·w + j]``.

    Pooling combines its kh·kw taps elementwise (max, mean), so its loop has kh·kw steps, each
    one whole-array operation. Writing into a view writes into ``a``.
    """
    (kh, kw), (sh, sw), (H_out, W_out) = kernel_size, stride, out_hw
    for i in range(kh):
        for j in range(kw):
            yield a[:, :, i:i + sh * (H_out - 1) + 1:sh, j:j + sw * (W_out - 1) + 1:sw]


def max_pool2d_forward(x, kernel_size, stride=None):
    """y[n, c, h, w] = the max of the kh × kw window at (s·h, s·w). x (N, C, H, W) → y (N, C, H_out, W_out).

    kernel_size, stride: ints or (vertical, horizontal) pairs; the stride defaults to the kernel.
    """
    kernel_size, stride = _pool_sizes("max_pool2d_forward", kernel_size, stride)
    out_hw = _output_hw(x.shape, kernel_size, stride, (0, 0), (1, 1))
    y = None
    for tap in _taps(x, kernel_size, stride, out_hw):
        y = tap.copy() if y is None else np.maximum(y, tap, out=y)
    return y


def max_pool2d_backward(grad_out, x, y, kernel_size, stride=None):
    """dL/dx of max pooling: each window's gradient goes to its maximum, nothing to the rest.

    grad_out, y: (N, C, H_out, W_out); x: (N, C, H, W) → dx (N, C, H, W). With ties exactly one
    element receives it, the first maximum in row-major order, as in PyTorch: ``unclaimed``
    marks the windows whose maximum the taps so far have not reached.

    (Recording each window's argmax in forward instead measured slower on LeNet's pools:
    0.73 vs 0.59 ms for forward + backward, and a reshape-and-argmax version 4.4 ms.)
    """
    kernel_size, stride = _pool_sizes("max_pool2d_backward", kernel_size, stride)
    dx = np.zeros(x.shape, dtype=np.result_type(x, grad_out, np.float32))
    grad_out = grad_out.astype(dx.dtype, copy=False)
    unclaimed = np.ones(y.shape, dtype=bool)
    won = np.empty(y.shape, dtype=bool)
    overlapping = any(s < k for s, k in zip(stride, kernel_size))
    for tap, dx_tap in zip(_taps(x, kernel_size, stride, y.shape[2:]),
                           _taps(dx, kernel_size, stride, y.shape[2:])):
        np.equal(tap, y, out=won)
        won &= unclaimed                          # the taps run in row-major order: first max wins
        unclaimed ^= won
        if overlapping:
            dx_tap += grad_out * won              # a pixel in several windows collects from each
        else:
            # Each pixel is in at most one window, so write instead of add: no read of dx and
            # no temporary (0.58 → 0.41 ms on LeNet's first pool, (64, 6, 28, 28)).
            np.multiply(grad_out, won, out=dx_tap)
    return dx


def avg_pool2d_forward(x, kernel_size, stride=None):
    """y[n, c, h, w] = the mean of the kh × kw window at (s·h, s·w). x (N, C, H, W) → y (N, C, H_out, W_out).

    kernel_size, stride: ints or (vertical, horizontal) pairs; the stride defaults to the kernel.
    """
    kernel_size, stride = _pool_sizes("avg_pool2d_forward", kernel_size, stride)
    out_hw = _output_hw(x.shape, kernel_size, stride, (0, 0), (1, 1))
    total = None
    for tap in _taps(x, kernel_size, stride, out_hw):
        if total is None:
            total = tap.astype(np.result_type(x, np.float32))   # a fresh array we may add into
        else:
            total += tap
    total /= kernel_size[0] * kernel_size[1]
    return total


def avg_pool2d_backward(grad_out, x_shape, kernel_size, stride=None):
    """dL/dx of average pooling: every pixel of a window gets ``grad_out / (kh·kw)``, summed
    over the windows it belongs to. grad_out: (N, C, H_out, W_out) → dx: ``x_shape``."""
    kernel_size, stride = _pool_sizes("avg_pool2d_backward", kernel_size, stride)
    share = grad_out / (kernel_size[0] * kernel_size[1])
    dx = np.zeros(x_shape, dtype=share.dtype)
    for dx_tap in _taps(dx, kernel_size, stride, grad_out.shape[2:]):
        dx_tap += share
    return dx


# ----------------------------------------------------------------------------- layers
def _check_image(name, x, channels, kernel_size, stride, padding=(0, 0), dilation=(1, 1)):
    """Validate an NCHW input; return the output size (H_out, W_out) or raise a ValueError
    that names the layer, the shapes and the formula."""
    expected = f"(N, {channels}, H, W)" if channels is not None else "(N, C, H, W)"
    check_input(name, x, expected, x.ndim == 4 and (channels is None or x.shape[1] == channels))
    H_out, W_out = _output_hw(x.shape, kernel_size, stride, padding, dilation)
    if H_out < 1 or W_out < 1:
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
        formula = "(H + 2p - k)/s" if (dh, dw) == (1, 1) else "(H + 2p - d(k - 1) - 1)/s"
        dilated = "" if (dh, dw) == (1, 1) else f", dilation {dh}×{dw}"
        raise ValueError(
            f"{name}: input {x.shape[2]}×{x.shape[3]} is too small for a {kh}×{kw} kernel with "
            f"stride {sh}×{sw} and padding {ph}×{pw}{dilated}: output size floor({formula}) + 1 "
            f"= {H_out}×{W_out}, must be at least 1×1")
    return H_out, W_out


def _short(pair):
    return str(pair[0]) if pair[0] == pair[1] else f"{pair[0]}×{pair[1]}"


class Conv2D(Layer):
    """2-D convolution (cross-correlation, like every framework), NCHW: a thin layer over
    :func:`conv2d_forward` and :func:`conv2d_backward`.

    ``y[n, o, h, w] = b[o] + Σ_{c,i,j} W[o, c, i, j] · x_pad[n, c, s·h + d·i, s·w + d·j]``

    Args:
        in_channels, out_channels: C_in and C_out.
        kernel_size: ``k`` or ``(kh, kw)``.
        stride, padding, dilation: an int or a (vertical, horizontal) pair; zero padding on
            every side; dilation ``d`` spaces the kernel's taps ``d`` pixels apart.
        bias: learn a per-output-channel bias ``b``.
        rng: seed or ``np.random.Generator`` for W; None draws from nnlib's shared generator.
        dtype: dtype of W and b (inputs are cast to it).

    Parameters:
        W: ``(C_out, C_in, kh, kw)`` (PyTorch's layout), He-normal: std = sqrt(2 / (C_in·kh·kw)).
        b: ``(C_out,)``, zeros.

    Shapes: x ``(N, C_in, H, W)`` → y ``(N, C_out, H_out, W_out)``, with
    ``H_out = floor((H + 2p − d·(kh − 1) − 1)/s) + 1`` (:func:`conv_output_size`).

    ``self.cache`` holds ``(x.shape, cols)``, cols being forward's im2col matrix.
    Attribute ``needs_input_grad`` (default True): False on a network's first layer makes
    backward skip dL/dx and return None (``Sequential.fit`` sets it while it trains).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, bias: bool = True, rng=None, dtype=np.float32):
        name = f"Conv2D({in_channels}→{out_channels}, k={kernel_size})"
        for what, v in (("in_channels", in_channels), ("out_channels", out_channels)):
            if not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"{name}: {what} must be a positive int, got {v!r}")
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = _as_int_pair(kernel_size, "kernel_size", name, 1)
        self.stride, self.padding, self.dilation = _hyperparameters(name, stride, padding, dilation)
        # The name in error messages: the hyperparameters that differ from the defaults.
        extras = [f"{a}={_short(v)}" for a, v, default in
                  (("s", self.stride, 1), ("p", self.padding, 0), ("d", self.dilation, 1))
                  if v != (default, default)]
        settings = ", ".join([f"k={_short(self.kernel_size)}"] + extras)
        self.name = f"Conv2D({in_channels}→{out_channels}, {settings})"
        # He/Kaiming normal (std = sqrt(2 / (C_in·kh·kw))): keeps the activation variance
        # roughly constant through ReLU layers.
        W = he_normal((out_channels, in_channels, *self.kernel_size), rng=rng, dtype=dtype)
        self.W = Parameter(W, "W")
        self.b = Parameter(np.zeros(out_channels, dtype=dtype), "b") if bias else None
        self.needs_input_grad = True
        self.cache = None

    def __repr__(self):
        dilated = "" if self.dilation == (1, 1) else f", dilation={self.dilation}"
        return (f"Conv2D({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}{dilated})")

    def _hyper(self):
        return self.stride, self.padding, self.dilation

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (N, C_in, H, W) → y: (N, C_out, H_out, W_out). x is cast to the dtype of W."""
        x = np.asarray(x, dtype=self.W.data.dtype)        # no copy when already the right dtype
        _check_image(self.name, x, self.in_channels, self.kernel_size, *self._hyper())
        y, cols = conv2d_forward(x, self.W.data, None if self.b is None else self.b.data, *self._hyper())
        self.cache = (x.shape, cols)
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray | None:
        """grad_out: (N, C_out, H_out, W_out) → dx: (N, C_in, H, W) (None if not
        ``needs_input_grad``); overwrites W.grad and b.grad."""
        if self.cache is None:
            raise RuntimeError(f"{self.name}: backward() called before forward()")
        x_shape, cols = self.cache
        out_shape = (x_shape[0], self.out_channels, *_output_hw(x_shape, self.kernel_size, *self._hyper()))
        if np.shape(grad_out) != out_shape:
            raise ValueError(f"{self.name}.backward: expected grad_out {out_shape} (N, C_out, H_out, "
                             f"W_out), got {np.shape(grad_out)}")
        grad_out = np.asarray(grad_out, dtype=self.W.data.dtype)
        dx, self.W.grad, db = conv2d_backward(grad_out, cols, self.W.data, x_shape, *self._hyper(),
                                              need_dx=self.needs_input_grad)
        if self.b is not None:
            self.b.grad = db
        return dx


class _Pool2D(Layer):
    """Shared parts of the pooling layers: kernel, stride (default: the kernel size), checks."""

    kind = "Pool2D"

    def __init__(self, kernel_size, stride=None):
        self.name = f"{self.kind}(k={kernel_size}, s={stride if stride is not None else kernel_size})"
        self.kernel_size, self.stride = _pool_sizes(self.name, kernel_size, stride)
        self.cache = None

    def __repr__(self):
        return f"{self.kind}(kernel_size={self.kernel_size}, stride={self.stride})"

    def _check_forward(self, x):
        _check_image(self.name, x, None, self.kernel_size, self.stride)

    def _check_backward(self, grad_out, x_shape):
        out_shape = (*x_shape[:2], *_output_hw(x_shape, self.kernel_size, self.stride, (0, 0), (1, 1)))
        if np.shape(grad_out) != out_shape:
            raise ValueError(f"{self.name}.backward: expected grad_out {out_shape}, "
                             f"got {np.shape(grad_out)}")
        return np.asarray(grad_out)

    def _cached(self):
        if self.cache is None:
            raise RuntimeError(f"{self.name}: backward() called before forward()")
        return self.cache


class MaxPool2D(_Pool2D):
    """Max pooling: each output is the largest value in its ``kh × kw`` window.

    Shapes: x ``(N, C, H, W)`` → y ``(N, C, H_out, W_out)``, ``H_out = floor((H - k)/s) + 1``
    (no padding; leftover rows/columns are ignored, like PyTorch). ``stride`` defaults to the
    kernel size (non-overlapping windows).

    Backward: the max depends only on its winning input, so each output's whole gradient goes
    to the maximum of its window (the first one, with ties, as in PyTorch).
    ``self.cache`` holds ``(x, y)``: the input and a private copy of the output.
    """

    kind = "MaxPool2D"

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        self._check_forward(x)
        y = max_pool2d_forward(x, self.kernel_size, self.stride)
        self.cache = (x, y.copy())           # the caller owns y and may change it
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        x, y = self._cached()
        grad_out = self._check_backward(grad_out, x.shape)
        return max_pool2d_backward(grad_out, x, y, self.kernel_size, self.stride)


class AvgPool2D(_Pool2D):
    """Average pooling: each output is the mean of its ``kh × kw`` window.

    Shapes: x ``(N, C, H, W)`` → y ``(N, C, H_out, W_out)``, ``H_out = floor((H - k)/s) + 1``;
    ``stride`` defaults to the kernel size. Backward: every input in a window gets
    ``grad_out / (kh·kw)`` (summed over the windows it belongs to).
    ``self.cache`` holds ``x.shape``.
    """

    kind = "AvgPool2D"

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        self._check_forward(x)
        self.cache = x.shape
        return avg_pool2d_forward(x, self.kernel_size, self.stride)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        x_shape = self._cached()
        grad_out = self._check_backward(grad_out, x_shape)
        return avg_pool2d_backward(grad_out, x_shape, self.kernel_size, self.stride)
