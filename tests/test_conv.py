"""Convolution and pooling: the naive loops, the fast functions and the layers.

Three references, each checked against the next: PyTorch ↔ the naive loops of
``conv2d_naive`` (the definition, as the chapter shows it) ↔ the fast im2col path; finite
differences (float64) check every gradient of the layers independently of all three.
The grid covers stride, padding, dilation, kernel shape, channels and non-square inputs.
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from nnlib.gradcheck import check_layer
from nnlib.layers.conv import (AvgPool2D, Conv2D, MaxPool2D, avg_pool2d_backward, avg_pool2d_forward,
                               col2im, conv2d_backward, conv2d_forward, conv2d_naive,
                               conv2d_naive_backward, conv_output_size, im2col, max_pool2d_backward,
                               max_pool2d_forward)


# ----------------------------------------------------------------------------- helpers
def check_gradients(layer, x, seed=0):
    """nnlib's own gradient checker (float64 finite differences of input and every parameter)."""
    result = check_layer(layer, x, seed=seed, verbose=False)
    assert set(result.errors) == {"input x"} | {p.name for p in layer.parameters()}
    return result.max_error


def pair(v):
    return (v, v) if np.isscalar(v) else tuple(v)


CONV_CASES = [  # (C_in, C_out, kernel, stride, padding, dilation, H, W)
    (1, 2, 3, 1, 0, 1, 6, 6),
    (2, 3, 3, 1, 1, 1, 5, 7),                      # 'same' padding, non-square input
    (3, 2, 3, 2, 1, 1, 7, 6),                      # stride 2, last window does not fit
    (2, 2, 2, 2, 0, 1, 6, 5),                      # even kernel = stride (patchify)
    (2, 3, 5, 3, 2, 1, 9, 8),
    (1, 1, 1, 1, 0, 1, 3, 4),                      # 1×1 kernel
    (2, 2, 3, 1, 2, 2, 6, 7),                      # dilation 2, 'same' padding for it
    (2, 3, 3, 2, 1, 2, 9, 8),                      # stride and dilation together
    (1, 2, (2, 3), (1, 2), (0, 1), (2, 1), 7, 7),  # rectangular kernel, every pair unequal
    (3, 2, (3, 2), (2, 1), (1, 0), (1, 3), 8, 9),
    (2, 2, 4, 1, 0, 1, 5, 4),                      # even kernel, stride 1
]
CASE_IDS = [f"C{c}-O{o}-k{k}-s{s}-p{p}-d{d}-{h}x{w}".replace(" ", "") for c, o, k, s, p, d, h, w in CONV_CASES]


def make_conv(C, O, k, s, p, d, seed=2, dtype=np.float64):
    conv = Conv2D(C, O, k, stride=s, padding=p, dilation=d, rng=seed, dtype=dtype)
    conv.b.data[:] = np.random.default_rng(seed + 1).standard_normal(O)
    return conv


def torch_conv(torch, x, W, b, s, p, d, G):
    """PyTorch's output and gradients (dx, dW, db) for upstream gradient G."""
    xt = torch.tensor(x, requires_grad=True)
    Wt = torch.tensor(W, requires_grad=True)            # same (C_out, C_in, kh, kw) layout
    bt = torch.tensor(b, requires_grad=True)
    yt = torch.nn.functional.conv2d(xt, Wt, bt, stride=s, padding=p, dilation=d)
    yt.backward(torch.tensor(G))
    return yt.detach().numpy(), xt.grad.numpy(), Wt.grad.numpy(), bt.grad.numpy()


# ----------------------------------------------------------------------------- output size
@settings(max_examples=60, deadline=None)
@given(H=st.integers(1, 12), k=st.integers(1, 4), s=st.integers(1, 3), p=st.integers(0, 2), d=st.integers(1, 3))
def test_conv_output_size_is_pytorchs_formula(H, k, s, p, d):
    expected = (H + 2 * p - d * (k - 1) - 1) // s + 1                   # torch.nn.Conv2d's docs
    assert conv_output_size(H, k, s, p, d) == expected
    if d == 1:
        assert conv_output_size(H, k, s, p) == (H + 2 * p - k) // s + 1  # the chapter's form


def test_conv_output_size_examples():
    assert conv_output_size(28, 5, padding=2) == 28                      # LeNet's conv1: 'same'
    assert conv_output_size(224, 7, 2, 3) == 112                         # ResNet's stem
    assert conv_output_size(7, 3, dilation=2) == 3                       # a dilated 3×3 spans 5
    assert conv_output_size(8, 3, 2, 1) == 4                             # last window dropped


# ----------------------------------------------------------------------------- the naive reference
@pytest.mark.parametrize("C, O, k, s, p, d, H, W", CONV_CASES, ids=CASE_IDS)
def test_naive_loops_match_torch(torch, C, O, k, s, p, d, H, W):
    """The teaching version is right: it IS the definition PyTorch implements."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, C, H, W))
    Wt = rng.standard_normal((O, C, *pair(k)))
    b = rng.standard_normal(O)
    y = conv2d_naive(x, Wt, b, s, p, d)
    G = rng.standard_normal(y.shape)
    y_ref, dx_ref, dW_ref, db_ref = torch_conv(torch, x, Wt, b, s, p, d, G)
    np.testing.assert_allclose(y, y_ref, atol=1e-12)
    dx, dW, db = conv2d_naive_backward(x, Wt, G, s, p, d)
    np.testing.assert_allclose(dx, dx_ref, atol=1e-12)
    np.testing.assert_allclose(dW, dW_ref, atol=1e-12)
    np.testing.assert_allclose(db, db_ref, atol=1e-12)


def test_naive_without_bias_and_a_hand_computed_example():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    W = np.array([[[[1.0, 0.0], [0.0, -1.0]]]])            # x[h, w] - x[h+1, w+1]
    np.testing.assert_array_equal(conv2d_naive(x, W), np.full((1, 1, 3, 3), -5.0))
    np.testing.assert_array_equal(conv2d_naive(x, W, dilation=2), np.full((1, 1, 2, 2), -10.0))
    np.testing.assert_array_equal(conv2d_naive(x, W, stride=2), np.full((1, 1, 2, 2), -5.0))


# ----------------------------------------------------------------------------- fast == naive
@pytest.mark.parametrize("C, O, k, s, p, d, H, W", CONV_CASES, ids=CASE_IDS)
def test_fast_functions_match_naive_loops(C, O, k, s, p, d, H, W):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, C, H, W))
    Wt = rng.standard_normal((O, C, *pair(k)))
    b = rng.standard_normal(O)
    y, cols = conv2d_forward(x, Wt, b, s, p, d)
    np.testing.assert_allclose(y, conv2d_naive(x, Wt, b, s, p, d), atol=1e-12)
    G = rng.standard_normal(y.shape)
    dx, dW, db = conv2d_backward(G, cols, Wt, x.shape, s, p, d)
    for got, want in zip((dx, dW, db), conv2d_naive_backward(x, Wt, G, s, p, d)):
        np.testing.assert_allclose(got, want, atol=1e-12)
    no_dx, dW2, db2 = conv2d_backward(G, cols, Wt, x.shape, s, p, d, need_dx=False)
    assert no_dx is None
    np.testing.assert_array_equal(dW2, dW)
    np.testing.assert_array_equal(db2, db)


@settings(max_examples=40, deadline=None)
@given(C=st.integers(1, 3), O=st.integers(1, 3), kh=st.integers(1, 4), kw=st.integers(1, 4),
       sh=st.integers(1, 3), sw=st.integers(1, 3), ph=st.integers(0, 2), pw=st.integers(0, 2),
       dh=st.integers(1, 3), dw=st.integers(1, 3), H=st.integers(1, 10), W=st.integers(1, 10),
       seed=st.integers(0, 2**16))
def test_fast_matches_naive_on_random_hyperparameters(C, O, kh, kw, sh, sw, ph, pw, dh, dw, H, W, seed):
    if conv_output_size(H, kh, sh, ph, dh) < 1 or conv_output_size(W, kw, sw, pw, dw) < 1:
        return                                              # no output: nothing to compare
    rng = np.random.default_rng(seed)
    x, Wt, b = rng.standard_normal((2, C, H, W)), rng.standard_normal((O, C, kh, kw)), rng.standard_normal(O)
    hyper = ((sh, sw), (ph, pw), (dh, dw))
    y, cols = conv2d_forward(x, Wt, b, *hyper)
    np.testing.assert_allclose(y, conv2d_naive(x, Wt, b, *hyper), atol=1e-12)
    G = rng.standard_normal(y.shape)
    for got, want in zip(conv2d_backward(G, cols, Wt, x.shape, *hyper), conv2d_naive_backward(x, Wt, G, *hyper)):
        np.testing.assert_allclose(got, want, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(C=st.integers(1, 3), k=st.integers(1, 3), s=st.integers(1, 3), p=st.integers(0, 2),
       d=st.integers(1, 2), H=st.integers(3, 9), W=st.integers(3, 9), seed=st.integers(0, 2**16))
def test_col2im_is_the_adjoint_of_im2col(C, k, s, p, d, H, W, seed):
    """<im2col(x), D> = <x, col2im(D)> for every x and D: col2im sends each column entry back
    to exactly the pixel im2col copied it from (the batch axis of D moved last for col2im)."""
    if conv_output_size(H, k, s, p, d) < 1 or conv_output_size(W, k, s, p, d) < 1:
        return
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, C, H, W))
    cols = im2col(x, k, s, p, d)                               # (N, C·k·k, P)
    D = rng.standard_normal(cols.shape)
    D_batch_last = D.transpose(1, 2, 0).reshape(cols.shape[1], -1)   # (C·k·k, P·N)
    dx = col2im(D_batch_last, x.shape, k, s, p, d)
    assert dx.shape == x.shape
    np.testing.assert_allclose(np.sum(cols * D), np.sum(x * dx), rtol=1e-12)


def test_im2col_columns_are_the_windows():
    x = np.arange(2 * 5 * 6.0).reshape(1, 2, 5, 6)
    cols = im2col(x, (2, 3), stride=(2, 1), padding=0, dilation=(1, 2))   # windows 2×5, taps 2×3
    H_out, W_out = conv_output_size(5, 2, 2), conv_output_size(6, 3, 1, 0, 2)
    assert cols.shape == (1, 2 * 2 * 3, H_out * W_out) == (1, 12, 4)
    for h in range(H_out):
        for w in range(W_out):
            window = x[0, :, 2 * h:2 * h + 2, w:w + 5:2]                      # (C, kh, kw)
            np.testing.assert_array_equal(cols[0, :, h * W_out + w], window.ravel())


# ----------------------------------------------------------------------------- the layer
@pytest.mark.parametrize("C, O, k, s, p, d, H, W", CONV_CASES, ids=CASE_IDS)
def test_conv_gradcheck(C, O, k, s, p, d, H, W):
    conv = make_conv(C, O, k, s, p, d, seed=3)
    x = np.random.default_rng(5).standard_normal((2, C, H, W))
    assert check_gradients(conv, x) < 1e-6


@pytest.mark.parametrize("C, O, k, s, p, d, H, W", CONV_CASES, ids=CASE_IDS)
def test_conv_parity_with_torch(torch, C, O, k, s, p, d, H, W):
    conv = make_conv(C, O, k, s, p, d, seed=7)
    rng = np.random.default_rng(6)
    x = rng.standard_normal((4, C, H, W))
    y = conv.forward(x)
    G = rng.standard_normal(y.shape)
    dx = conv.backward(G)
    y_ref, dx_ref, dW_ref, db_ref = torch_conv(torch, x, conv.W.data, conv.b.data, s, p, d, G)
    np.testing.assert_allclose(y, y_ref, atol=1e-12)
    np.testing.assert_allclose(dx, dx_ref, atol=1e-12)
    np.testing.assert_allclose(conv.W.grad, dW_ref, atol=1e-12)
    np.testing.assert_allclose(conv.b.grad, db_ref, atol=1e-12)


def test_conv_float32_stays_float32_and_matches_torch(torch):
    """LeNet's shapes in float32: no silent float64 anywhere (outputs, gradients, the cache)."""
    rng = np.random.default_rng(0)
    for conv, shape in ((Conv2D(1, 6, 5, padding=2, rng=0), (8, 1, 28, 28)),
                        (Conv2D(6, 16, 5, rng=1), (8, 6, 14, 14)),
                        (Conv2D(3, 4, 3, stride=2, dilation=2, rng=2), (8, 3, 11, 10))):
        conv.b.data[:] = rng.standard_normal(conv.out_channels)
        x = rng.standard_normal(shape).astype(np.float32)
        y = conv.forward(x)
        G = rng.standard_normal(y.shape).astype(np.float32)
        dx = conv.backward(G)
        assert y.dtype == dx.dtype == conv.W.grad.dtype == conv.b.grad.dtype == np.float32
        assert all(a.dtype == np.float32 for a in conv.cache if isinstance(a, np.ndarray))
        t = torch
        xt = t.tensor(x, dtype=t.float32, requires_grad=True)
        Wt = t.tensor(conv.W.data, dtype=t.float32, requires_grad=True)
        bt = t.tensor(conv.b.data, dtype=t.float32, requires_grad=True)
        yt = t.nn.functional.conv2d(xt, Wt, bt, stride=conv.stride, padding=conv.padding, dilation=conv.dilation)
        yt.backward(t.tensor(G, dtype=t.float32))
        np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(conv.W.grad, Wt.grad.numpy(), rtol=1e-4, atol=2e-3)
        np.testing.assert_allclose(conv.b.grad, bt.grad.numpy(), rtol=1e-4, atol=1e-3)


def test_conv_without_bias_has_only_W():
    conv = Conv2D(2, 3, 3, bias=False, dtype=np.float64)
    assert [p.name for p in conv.parameters()] == ["W"]
    x = np.random.default_rng(0).standard_normal((2, 2, 5, 5))
    assert check_gradients(conv, x) < 1e-6
    np.testing.assert_allclose(conv.forward(x), conv2d_naive(x, conv.W.data), atol=1e-12)


def test_conv_first_layer_skips_the_input_gradient():
    """needs_input_grad = False (set by Sequential.fit on the first layer): no dx, same dW and db."""
    conv = make_conv(2, 3, 3, 1, 1, 1)
    x = np.random.default_rng(0).standard_normal((2, 2, 6, 6))
    G = np.random.default_rng(1).standard_normal((2, 3, 6, 6))
    conv.forward(x)
    assert conv.backward(G).shape == x.shape
    dW, db = conv.W.grad.copy(), conv.b.grad.copy()
    conv.needs_input_grad = False
    assert conv.backward(G) is None
    np.testing.assert_array_equal(conv.W.grad, dW)
    np.testing.assert_array_equal(conv.b.grad, db)


def test_conv_he_init_and_reproducibility():
    conv = Conv2D(32, 64, 3)
    assert conv.W.shape == (64, 32, 3, 3) and conv.W.data.dtype == np.float32
    assert abs(conv.W.data.std() / np.sqrt(2 / (32 * 9)) - 1) < 0.05
    assert abs(conv.W.data.mean()) < 0.01
    np.testing.assert_array_equal(conv.b.data, 0)
    assert not np.array_equal(Conv2D(32, 64, 3).W.data, conv.W.data)   # None: nnlib's shared generator
    assert not np.array_equal(Conv2D(32, 64, 3, rng=1).W.data, conv.W.data)
    gen = np.random.default_rng(1)
    np.testing.assert_array_equal(Conv2D(32, 64, 3, rng=gen).W.data, Conv2D(32, 64, 3, rng=1).W.data)


# ----------------------------------------------------------------------------- the contract
@pytest.mark.parametrize("needs_input_grad", [True, False])
def test_conv_backward_is_repeatable_and_never_touches_its_arguments(needs_input_grad):
    conv = make_conv(2, 3, 3, (1, 2), 1, (2, 1))
    conv.needs_input_grad = needs_input_grad
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 2, 6, 7))
    x_before = x.copy()
    y = conv.forward(x)
    G = rng.standard_normal(y.shape)
    G_before = G.copy()
    first = conv.backward(G)
    first = None if first is None else first.copy()
    dW, db = conv.W.grad.copy(), conv.b.grad.copy()
    y[...] = 0                                          # the caller owns y ...
    second = conv.backward(G)                           # ... and backward may run again
    if needs_input_grad:
        np.testing.assert_array_equal(second, first)
    np.testing.assert_array_equal(conv.W.grad, dW)
    np.testing.assert_array_equal(conv.b.grad, db)
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(G, G_before)


def test_conv_returned_arrays_survive_later_calls():
    conv = make_conv(2, 3, 3, 1, 1, 1)
    rng = np.random.default_rng(0)
    x1, x2 = rng.standard_normal((2, 2, 5, 5)), rng.standard_normal((2, 2, 5, 5))
    y1 = conv.forward(x1)
    dx1 = conv.backward(np.ones_like(y1))
    y1_copy, dx1_copy = y1.copy(), dx1.copy()
    conv.backward(conv.forward(x2) * 3)
    np.testing.assert_array_equal(y1, y1_copy)
    np.testing.assert_array_equal(dx1, dx1_copy)


def test_conv_forward_keeps_state_in_cache_only():
    conv = Conv2D(2, 3, 3)
    assert conv.cache is None
    before = {k: v for k, v in vars(conv).items()}
    conv.forward(np.zeros((1, 2, 4, 4), np.float32))
    assert {k for k, v in vars(conv).items() if before.get(k) is not v} == {"cache"}


# ----------------------------------------------------------------------------- errors
def test_conv_wrong_channels_names_layer_and_shapes():
    conv = Conv2D(3, 8, 3)
    with pytest.raises(ValueError, match=r"^Conv2D\(3→8, k=3\): expected input \(N, 3, H, W\), got \(2, 4, 28, 28\)$"):
        conv.forward(np.zeros((2, 4, 28, 28), np.float32))
    with pytest.raises(ValueError, match=r"expected input \(N, 3, H, W\), got \(3, 28, 28\)"):
        conv.forward(np.zeros((3, 28, 28), np.float32))


def test_conv_input_too_small_explains_output_size():
    conv = Conv2D(1, 2, 5, stride=2)
    with pytest.raises(ValueError, match=r"^Conv2D\(1→2, k=5, s=2\): input 4×9 is too small for a 5×5 "
                                         r"kernel with stride 2×2 and padding 0×0: output size "
                                         r"floor\(\(H \+ 2p - k\)/s\) \+ 1 = 0×3, must be at least 1×1$"):
        conv.forward(np.zeros((1, 1, 4, 9)))
    assert Conv2D(1, 2, 5, padding=1).forward(np.zeros((1, 1, 3, 3))).shape == (1, 2, 1, 1)
    dilated = Conv2D(1, 2, 3, padding=1, dilation=(3, 1))
    with pytest.raises(ValueError, match=r"^Conv2D\(1→2, k=3, p=1, d=3×1\): input 4×4 is too small .*"
                                         r"dilation 3×1: output size floor\(\(H \+ 2p - d\(k - 1\) - 1\)/s\) "
                                         r"\+ 1 = 0×4"):
        dilated.forward(np.zeros((1, 1, 4, 4)))


def test_conv_grad_out_of_the_wrong_shape_names_layer_and_shapes():
    conv = Conv2D(2, 3, 3, padding=1)
    conv.forward(np.zeros((4, 2, 5, 6), np.float32))
    with pytest.raises(ValueError, match=r"^Conv2D\(2→3, k=3, p=1\)\.backward: expected grad_out "
                                         r"\(4, 3, 5, 6\) \(N, C_out, H_out, W_out\), got \(4, 3, 5, 5\)$"):
        conv.backward(np.zeros((4, 3, 5, 5), np.float32))


def test_conv_backward_before_forward_is_a_clear_error():
    with pytest.raises(RuntimeError, match=r"^Conv2D\(1→1, k=3\): backward\(\) called before forward\(\)$"):
        Conv2D(1, 1, 3).backward(np.zeros((1, 1, 2, 2)))


@pytest.mark.parametrize("kwargs, what", [
    (dict(in_channels=0, out_channels=2, kernel_size=3), "in_channels must be a positive int"),
    (dict(in_channels=1, out_channels=-1, kernel_size=3), "out_channels must be a positive int"),
    (dict(in_channels=1, out_channels=2, kernel_size=0), "kernel_size must be an int >= 1"),
    (dict(in_channels=1, out_channels=2, kernel_size=(3, 3, 3)), "kernel_size must be"),
    (dict(in_channels=1, out_channels=2, kernel_size=2.5), "kernel_size must be"),
    (dict(in_channels=1, out_channels=2, kernel_size=3, stride=0), "stride must be an int >= 1"),
    (dict(in_channels=1, out_channels=2, kernel_size=3, padding=-1), "padding must be an int >= 0"),
    (dict(in_channels=1, out_channels=2, kernel_size=3, dilation=0), "dilation must be an int >= 1"),
    (dict(in_channels=1, out_channels=2, kernel_size=3, dilation=(1, 2, 3)), "dilation must be"),
])
def test_conv_invalid_hyperparameters(kwargs, what):
    with pytest.raises(ValueError, match=rf"^Conv2D\(.*\): {what}"):
        Conv2D(**kwargs)


def test_pure_functions_name_themselves_in_errors():
    x, W = np.zeros((1, 1, 5, 5)), np.zeros((1, 1, 3, 3))
    with pytest.raises(ValueError, match=r"^conv2d_forward: dilation must be an int >= 1"):
        conv2d_forward(x, W, dilation=0)
    with pytest.raises(ValueError, match=r"^conv2d_naive: stride must be"):
        conv2d_naive(x, W, stride=(1, 1, 1))
    with pytest.raises(ValueError, match=r"^max_pool2d_forward: kernel_size must be"):
        max_pool2d_forward(x, 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv_extreme_inputs_stay_finite(dtype):
    conv = Conv2D(2, 4, 3, padding=1, dtype=dtype)
    x = np.random.default_rng(0).choice([-1e4, 1e4], size=(2, 2, 6, 6)).astype(dtype)
    y = conv.forward(x)
    dx = conv.backward(np.full_like(y, 1e4))
    assert np.isfinite(y).all() and np.isfinite(dx).all() and np.isfinite(conv.W.grad).all()


@settings(max_examples=30, deadline=None)
@given(H=st.integers(1, 12), W=st.integers(1, 12), k=st.integers(1, 4), s=st.integers(1, 3),
       p=st.integers(0, 2), d=st.integers(1, 3))
def test_conv_output_shape_formula(H, W, k, s, p, d):
    conv = Conv2D(1, 2, k, stride=s, padding=p, dilation=d, dtype=np.float64)
    x = np.ones((1, 1, H, W))
    H_out, W_out = conv_output_size(H, k, s, p, d), conv_output_size(W, k, s, p, d)
    if H_out < 1 or W_out < 1:
        with pytest.raises(ValueError, match="too small"):
            conv.forward(x)
    else:
        y = conv.forward(x)
        assert y.shape == (1, 2, H_out, W_out)
        assert conv.backward(np.ones_like(y)).shape == x.shape


def test_inputs_are_cast_to_the_parameter_dtype():
    """Like Dense: float64 data into a float32 network stays float32 (half the memory)."""
    conv = Conv2D(1, 2, 3)
    y = conv.forward(np.ones((1, 1, 5, 5)))                       # float64 in
    assert y.dtype == np.float32
    assert conv.backward(np.ones(y.shape)).dtype == np.float32
    assert Conv2D(1, 2, 3, dtype=np.float64).forward(np.ones((1, 1, 5, 5), np.float32)).dtype == np.float64


def test_repr_is_stable_and_shows_dilation_only_when_used():
    """The repr is part of a saved model's architecture: unchanged for undilated layers."""
    assert repr(Conv2D(1, 6, 5, padding=2)) == \
        "Conv2D(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))"
    assert repr(Conv2D(1, 6, 3, dilation=2)) == \
        "Conv2D(1, 6, kernel_size=(3, 3), stride=(1, 1), padding=(0, 0), dilation=(2, 2))"


# ----------------------------------------------------------------------------- pooling
def pool_naive(x, k, s, reduce):
    """The definition: every output is ``reduce`` (max or mean) of its window. Loops."""
    (kh, kw), (sh, sw) = pair(k), pair(s)
    N, C, H, W = x.shape
    H_out, W_out = (H - kh) // sh + 1, (W - kw) // sw + 1
    y = np.zeros((N, C, H_out, W_out))
    for n in range(N):
        for c in range(C):
            for h in range(H_out):
                for w in range(W_out):
                    y[n, c, h, w] = reduce(x[n, c, h * sh:h * sh + kh, w * sw:w * sw + kw])
    return y


def max_pool_naive_backward(x, grad_out, k, s):
    """Each window's gradient goes to the FIRST maximum in row-major order (PyTorch's rule)."""
    (kh, kw), (sh, sw) = pair(k), pair(s)
    dx = np.zeros(x.shape)
    for n, c, h, w in np.ndindex(grad_out.shape):
        window = x[n, c, h * sh:h * sh + kh, w * sw:w * sw + kw]
        i, j = np.unravel_index(np.argmax(window), window.shape)      # argmax: the first max
        dx[n, c, h * sh + i, w * sw + j] += grad_out[n, c, h, w]
    return dx


POOL_CASES = [(2, None, 6, 6), (2, None, 7, 5), (3, 2, 7, 7), (2, 1, 4, 5), (3, None, 6, 9),
              ((2, 3), (1, 3), 5, 9), ((3, 1), 2, 7, 4)]  # k, s, H, W
POOL_IDS = [f"k{k}-s{s}-{h}x{w}".replace(" ", "") for k, s, h, w in POOL_CASES]


@pytest.mark.parametrize("k, s, H, W", POOL_CASES, ids=POOL_IDS)
def test_pool_functions_match_naive_loops(k, s, H, W):
    rng = np.random.default_rng(3)
    for x in (rng.standard_normal((2, 3, H, W)),
              rng.integers(0, 2, size=(2, 3, H, W)).astype(np.float64)):    # continuous, then ties
        stride = k if s is None else s
        y = max_pool2d_forward(x, k, s)
        np.testing.assert_array_equal(y, pool_naive(x, k, stride, np.max))
        G = rng.standard_normal(y.shape)
        np.testing.assert_allclose(max_pool2d_backward(G, x, y, k, s), max_pool_naive_backward(x, G, k, stride),
                                   atol=1e-12)
        ya = avg_pool2d_forward(x, k, s)
        np.testing.assert_allclose(ya, pool_naive(x, k, stride, np.mean), atol=1e-12)
        # avg backward: finite-difference-free check, the adjoint identity <avg(x), G> = <x, dx>
        np.testing.assert_allclose(np.sum(ya * G), np.sum(x * avg_pool2d_backward(G, x.shape, k, s)), rtol=1e-12)


@pytest.mark.parametrize("k, s, H, W", POOL_CASES, ids=POOL_IDS)
@pytest.mark.parametrize("Pool", [MaxPool2D, AvgPool2D])
def test_pool_gradcheck(Pool, k, s, H, W):
    pool = Pool(k, s)
    x = np.random.default_rng(8).standard_normal((2, 3, H, W))   # continuous: no ties, no kinks
    assert check_gradients(pool, x) < 1e-6


@pytest.mark.parametrize("k, s, H, W", POOL_CASES, ids=POOL_IDS)
def test_pool_parity_with_torch(torch, k, s, H, W):
    F = torch.nn.functional
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 3, H, W))
    stride = k if s is None else s
    for pool, ref in ((MaxPool2D(k, s), F.max_pool2d), (AvgPool2D(k, s), F.avg_pool2d)):
        y = pool.forward(x)
        G = rng.standard_normal(y.shape)
        xt = torch.tensor(x, requires_grad=True)
        yt = ref(xt, k, stride)
        yt.backward(torch.tensor(G))
        np.testing.assert_allclose(y, yt.detach().numpy(), atol=1e-12)
        np.testing.assert_allclose(pool.backward(G), xt.grad.numpy(), atol=1e-12)


def test_maxpool_ties_send_gradient_to_one_element_like_torch(torch):
    x = np.random.default_rng(0).integers(0, 2, size=(2, 2, 7, 7)).astype(np.float64)  # many ties
    for k, s in ((2, 2), (3, 2), (2, 1), (3, 3)):                 # non-overlapping and overlapping
        pool = MaxPool2D(k, s)
        y = pool.forward(x)
        dx = pool.backward(np.ones_like(y))
        assert dx.sum() == y.size                       # each window's gradient goes to ONE input
        xt = torch.tensor(x, requires_grad=True)
        torch.nn.functional.max_pool2d(xt, k, s).sum().backward()
        np.testing.assert_array_equal(dx, xt.grad.numpy())


def test_maxpool_after_relu_zeros_like_torch_in_float32(torch):
    """LeNet's case: after ReLU whole windows are 0 (ties); float32 in, float32 out."""
    x = np.maximum(np.random.default_rng(1).standard_normal((4, 6, 28, 28)), 0).astype(np.float32)
    pool = MaxPool2D(2)
    y = pool.forward(x)
    G = np.random.default_rng(2).standard_normal(y.shape).astype(np.float32)
    dx = pool.backward(G)
    assert y.dtype == dx.dtype == np.float32
    xt = torch.tensor(x, requires_grad=True)
    torch.nn.functional.max_pool2d(xt, 2).backward(torch.tensor(G))
    np.testing.assert_array_equal(dx, xt.grad.numpy())


def test_maxpool_routes_gradient_to_the_max():
    x = np.array([[[[1.0, 5.0], [3.0, 2.0]]]])
    pool = MaxPool2D(2)
    assert pool.forward(x).item() == 5.0
    np.testing.assert_array_equal(pool.backward(np.array([[[[7.0]]]])), [[[[0, 7.0], [0, 0]]]])


def test_avgpool_spreads_gradient_evenly():
    pool = AvgPool2D(2)
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    np.testing.assert_array_equal(pool.forward(x), [[[[2.5, 4.5], [10.5, 12.5]]]])
    np.testing.assert_array_equal(pool.backward(np.ones((1, 1, 2, 2))), np.full((1, 1, 4, 4), 0.25))


@pytest.mark.parametrize("Pool", [MaxPool2D, AvgPool2D])
def test_pool_contract(Pool):
    """State in self.cache only; a second backward gives the same dx; changing the returned
    output in place does not change backward; arguments are untouched."""
    pool = Pool(2)
    assert pool.cache is None
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 4, 6))
    x_before = x.copy()
    before = dict(vars(pool))
    y = pool.forward(x)
    assert {k for k, v in vars(pool).items() if before.get(k) is not v} == {"cache"}
    G = rng.standard_normal(y.shape)
    dx = pool.backward(G).copy()
    y[...] = 99
    np.testing.assert_array_equal(pool.backward(G), dx)
    np.testing.assert_array_equal(x, x_before)


@pytest.mark.parametrize("Pool", [MaxPool2D, AvgPool2D])
def test_pool_bad_input_and_hyperparameters(Pool):
    name = Pool.__name__
    with pytest.raises(ValueError, match=rf"^{name}\(k=2, s=2\): expected input \(N, C, H, W\), got \(4, 4\)$"):
        Pool(2).forward(np.zeros((4, 4)))
    with pytest.raises(ValueError, match=rf"^{name}\(k=3, s=3\): input 2×5 is too small"):
        Pool(3).forward(np.zeros((1, 1, 2, 5)))
    with pytest.raises(RuntimeError, match=rf"^{name}\(k=2, s=2\): backward\(\) called before forward\(\)$"):
        Pool(2).backward(np.zeros((1, 1, 2, 2)))
    pool = Pool(2)
    pool.forward(np.zeros((1, 2, 4, 4)))
    with pytest.raises(ValueError, match=rf"^{name}\(k=2, s=2\)\.backward: expected grad_out \(1, 2, 2, 2\), "
                                         rf"got \(1, 2, 2, 3\)$"):
        pool.backward(np.zeros((1, 2, 2, 3)))
    for bad in (dict(kernel_size=0), dict(kernel_size=2, stride=0), dict(kernel_size=(2, 2, 2))):
        with pytest.raises(ValueError, match=rf"^{name}\("):
            Pool(**bad)


@pytest.mark.parametrize("Pool", [MaxPool2D, AvgPool2D])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pool_extreme_inputs_and_dtype(Pool, dtype):
    x = np.random.default_rng(0).choice([-1e4, 1e4], size=(2, 2, 6, 6)).astype(dtype)
    pool = Pool(2)
    y = pool.forward(x)
    dx = pool.backward(np.full_like(y, 1e4))
    assert y.dtype == dx.dtype == dtype
    assert np.isfinite(y).all() and np.isfinite(dx).all()
    assert pool.parameters() == []
