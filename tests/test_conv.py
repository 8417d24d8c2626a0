"""Conv2D, MaxPool2D, AvgPool2D: a naive loop reference, finite differences, PyTorch parity."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from nnlib.gradcheck import check_layer
from nnlib.layers.conv import AvgPool2D, Conv2D, MaxPool2D


# ----------------------------------------------------------------------------- helpers
def check_gradients(layer, x, seed=0):
    """nnlib's own gradient checker (float64 finite differences of input and every parameter)."""
    result = check_layer(layer, x, seed=seed, verbose=False)
    assert set(result.errors) == {"input x"} | {p.name for p in layer.parameters()}
    return result.max_error


def conv_naive(x, W, b, stride, padding):
    """The definition, one multiply-add at a time: the reference the fast version must match."""
    N, C, H, Wd = x.shape
    O, _, kh, kw = W.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    Ho = (H + 2 * padding - kh) // stride + 1
    Wo = (Wd + 2 * padding - kw) // stride + 1
    y = np.zeros((N, O, Ho, Wo))
    for n in range(N):
        for o in range(O):
            for h in range(Ho):
                for w in range(Wo):
                    patch = xp[n, :, h * stride:h * stride + kh, w * stride:w * stride + kw]
                    y[n, o, h, w] = np.sum(patch * W[o]) + b[o]
    return y


def conv_naive_backward(x, W, grad_out, stride, padding):
    """Loop backward: every output pixel sends W * grad back to each input it read."""
    N, C, H, Wd = x.shape
    O, _, kh, kw = W.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    dxp, dW = np.zeros_like(xp), np.zeros_like(W)
    for n in range(N):
        for o in range(O):
            for h in range(grad_out.shape[2]):
                for w in range(grad_out.shape[3]):
                    g = grad_out[n, o, h, w]
                    rows, cols = slice(h * stride, h * stride + kh), slice(w * stride, w * stride + kw)
                    dxp[n, :, rows, cols] += g * W[o]
                    dW[o] += g * xp[n, :, rows, cols]
    return dxp[:, :, padding:padding + H, padding:padding + Wd], dW, grad_out.sum(axis=(0, 2, 3))


CONV_CASES = [  # (C_in, C_out, kernel, stride, padding, H, W)
    (1, 2, 3, 1, 0, 6, 6),
    (2, 3, 3, 1, 1, 5, 7),
    (3, 2, 3, 2, 1, 7, 6),
    (2, 2, 2, 2, 0, 6, 5),
    (2, 3, 5, 3, 2, 9, 8),
    (1, 1, 1, 1, 0, 3, 4),
]


# ----------------------------------------------------------------------------- Conv2D
@pytest.mark.parametrize("C, O, k, s, p, H, W", CONV_CASES)
def test_conv_matches_naive_loops(C, O, k, s, p, H, W):
    rng = np.random.default_rng(1)
    conv = Conv2D(C, O, k, stride=s, padding=p, rng=2, dtype=np.float64)
    conv.b.data[:] = rng.standard_normal(O)
    x = rng.standard_normal((3, C, H, W))
    y = conv.forward(x)
    np.testing.assert_allclose(y, conv_naive(x, conv.W.data, conv.b.data, s, p), atol=1e-12)
    G = rng.standard_normal(y.shape)
    dx = conv.backward(G)
    dx_ref, dW_ref, db_ref = conv_naive_backward(x, conv.W.data, G, s, p)
    np.testing.assert_allclose(dx, dx_ref, atol=1e-12)
    np.testing.assert_allclose(conv.W.grad, dW_ref, atol=1e-12)
    np.testing.assert_allclose(conv.b.grad, db_ref, atol=1e-12)


@pytest.mark.parametrize("C, O, k, s, p, H, W", CONV_CASES[:5])
def test_conv_gradcheck(C, O, k, s, p, H, W):
    conv = Conv2D(C, O, k, stride=s, padding=p, rng=3, dtype=np.float64)
    conv.b.data[:] = np.random.default_rng(4).standard_normal(O)
    x = np.random.default_rng(5).standard_normal((2, C, H, W))
    assert check_gradients(conv, x) < 1e-6


def test_conv_gradcheck_rectangular_kernel_and_unequal_strides():
    conv = Conv2D(2, 3, (2, 3), stride=(1, 2), padding=(0, 1), rng=3, dtype=np.float64)
    x = np.random.default_rng(5).standard_normal((2, 2, 5, 7))
    assert conv.forward(x).shape == (2, 3, 4, 4)
    assert check_gradients(conv, x) < 1e-6


def test_conv_without_bias_has_only_W():
    conv = Conv2D(2, 3, 3, bias=False, dtype=np.float64)
    assert [p.name for p in conv.parameters()] == ["W"]
    x = np.random.default_rng(0).standard_normal((2, 2, 5, 5))
    assert check_gradients(conv, x) < 1e-6


@pytest.mark.parametrize("C, O, k, s, p, H, W", CONV_CASES + [(2, 3, (2, 3), (1, 2), (0, 1), 5, 7)])
def test_conv_parity_with_torch(torch, C, O, k, s, p, H, W):
    F = torch.nn.functional
    rng = np.random.default_rng(6)
    conv = Conv2D(C, O, k, stride=s, padding=p, rng=7, dtype=np.float64)
    conv.b.data[:] = rng.standard_normal(O)
    x = rng.standard_normal((4, C, H, W))
    y = conv.forward(x)
    G = rng.standard_normal(y.shape)
    dx = conv.backward(G)

    xt = torch.tensor(x, requires_grad=True)
    Wt = torch.tensor(conv.W.data, requires_grad=True)   # same (C_out, C_in, kh, kw) layout
    bt = torch.tensor(conv.b.data, requires_grad=True)
    yt = F.conv2d(xt, Wt, bt, stride=s, padding=p)
    yt.backward(torch.tensor(G))
    np.testing.assert_allclose(y, yt.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(conv.W.grad, Wt.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(conv.b.grad, bt.grad.numpy(), atol=1e-12)


def test_conv_float32_parity_with_torch(torch):
    conv = Conv2D(3, 8, 3, padding=1)                    # float32 parameters by default
    x = np.random.default_rng(0).standard_normal((8, 3, 12, 12)).astype(np.float32)
    y = conv.forward(x)
    assert y.dtype == np.float32
    dx = conv.backward(np.ones_like(y))
    assert dx.dtype == conv.W.grad.dtype == conv.b.grad.dtype == np.float32
    xt = torch.tensor(x, dtype=torch.float32, requires_grad=True)
    Wt = torch.tensor(conv.W.data, dtype=torch.float32, requires_grad=True)
    yt = torch.nn.functional.conv2d(xt, Wt, padding=1)
    yt.sum().backward()
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(conv.W.grad, Wt.grad.numpy(), rtol=1e-4, atol=1e-3)


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


def test_conv_wrong_channels_names_layer_and_shapes():
    conv = Conv2D(3, 8, 3)
    with pytest.raises(ValueError, match=r"^Conv2D\(3→8, k=3\): expected input \(N, 3, H, W\), got \(2, 4, 28, 28\)$"):
        conv.forward(np.zeros((2, 4, 28, 28), np.float32))
    with pytest.raises(ValueError, match=r"expected input \(N, 3, H, W\), got \(3, 28, 28\)"):
        conv.forward(np.zeros((3, 28, 28), np.float32))


def test_conv_input_too_small_explains_output_size():
    conv = Conv2D(1, 2, 5, stride=2)
    with pytest.raises(ValueError, match=r"Conv2D\(1→2, k=5\): input 4×9 is too small.*floor\(\(H \+ 2p - k\)/s\) \+ 1 = 0×3"):
        conv.forward(np.zeros((1, 1, 4, 9)))
    assert Conv2D(1, 2, 5, padding=1).forward(np.zeros((1, 1, 3, 3))).shape == (1, 2, 1, 1)


@pytest.mark.parametrize("kwargs", [
    dict(in_channels=0, out_channels=2, kernel_size=3),
    dict(in_channels=1, out_channels=-1, kernel_size=3),
    dict(in_channels=1, out_channels=2, kernel_size=0),
    dict(in_channels=1, out_channels=2, kernel_size=(3, 3, 3)),
    dict(in_channels=1, out_channels=2, kernel_size=2.5),
    dict(in_channels=1, out_channels=2, kernel_size=3, stride=0),
    dict(in_channels=1, out_channels=2, kernel_size=3, padding=-1),
])
def test_conv_invalid_hyperparameters(kwargs):
    with pytest.raises(ValueError, match=r"^Conv2D\("):
        Conv2D(**kwargs)


def test_conv_backward_before_forward_is_a_clear_error():
    with pytest.raises(RuntimeError, match="before forward"):
        Conv2D(1, 1, 3).backward(np.zeros((1, 1, 2, 2)))


@pytest.mark.parametrize("stride", [1, (1, 2)])
def test_conv_one_backward_per_forward_and_input_untouched(stride):
    """backward reuses the column buffer: a second backward must fail loudly, and the
    caller's x must never be written to."""
    conv = Conv2D(2, 3, 3, stride=stride, dtype=np.float64)
    x = np.random.default_rng(0).standard_normal((2, 2, 6, 7))
    x_before = x.copy()
    y = conv.forward(x)
    conv.backward(np.ones_like(y))
    np.testing.assert_array_equal(x, x_before)
    with pytest.raises(RuntimeError, match="twice after one forward"):
        conv.backward(np.ones_like(y))
    conv.forward(x)                                   # a new forward makes backward legal again
    assert conv.backward(np.ones_like(y)).shape == x.shape


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv_extreme_inputs_stay_finite(dtype):
    conv = Conv2D(2, 4, 3, padding=1, dtype=dtype)
    x = np.random.default_rng(0).choice([-1e4, 1e4], size=(2, 2, 6, 6)).astype(dtype)
    y = conv.forward(x)
    dx = conv.backward(np.full_like(y, 1e4))
    assert np.isfinite(y).all() and np.isfinite(dx).all() and np.isfinite(conv.W.grad).all()


@settings(max_examples=30, deadline=None)
@given(H=st.integers(1, 12), W=st.integers(1, 12), k=st.integers(1, 4), s=st.integers(1, 3), p=st.integers(0, 2))
def test_conv_output_shape_formula(H, W, k, s, p):
    conv = Conv2D(1, 2, k, stride=s, padding=p, dtype=np.float64)
    x = np.ones((1, 1, H, W))
    Ho, Wo = (H + 2 * p - k) // s + 1, (W + 2 * p - k) // s + 1
    if Ho < 1 or Wo < 1:
        with pytest.raises(ValueError, match="too small"):
            conv.forward(x)
    else:
        y = conv.forward(x)
        assert y.shape == (1, 2, Ho, Wo)
        assert conv.backward(np.ones_like(y)).shape == x.shape


# ----------------------------------------------------------------------------- pooling
POOL_CASES = [(2, None, 6, 6), (2, None, 7, 5), (3, 2, 7, 7), (2, 1, 4, 5), (3, None, 6, 9)]  # k, s, H, W


@pytest.mark.parametrize("k, s, H, W", POOL_CASES)
@pytest.mark.parametrize("Pool", [MaxPool2D, AvgPool2D])
def test_pool_gradcheck(Pool, k, s, H, W):
    pool = Pool(k, s)
    x = np.random.default_rng(8).standard_normal((2, 3, H, W))   # continuous: no ties, no kinks
    assert check_gradients(pool, x) < 1e-6


@pytest.mark.parametrize("k, s, H, W", POOL_CASES)
def test_pool_parity_with_torch(torch, k, s, H, W):
    F = torch.nn.functional
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 3, H, W))
    for pool, ref in ((MaxPool2D(k, s), F.max_pool2d), (AvgPool2D(k, s), F.avg_pool2d)):
        y = pool.forward(x)
        G = rng.standard_normal(y.shape)
        xt = torch.tensor(x, requires_grad=True)
        yt = ref(xt, k, s)
        yt.backward(torch.tensor(G))
        np.testing.assert_allclose(y, yt.detach().numpy(), atol=1e-12)
        np.testing.assert_allclose(pool.backward(G), xt.grad.numpy(), atol=1e-12)


def test_maxpool_ties_send_gradient_to_one_element_like_torch(torch):
    x = np.random.default_rng(0).integers(0, 2, size=(2, 2, 7, 7)).astype(np.float64)  # many ties
    for k, s in ((2, 2), (3, 2), (2, 1)):
        pool = MaxPool2D(k, s)
        y = pool.forward(x)
        dx = pool.backward(np.ones_like(y))
        assert dx.sum() == y.size                       # each window's gradient goes to ONE input
        xt = torch.tensor(x, requires_grad=True)
        torch.nn.functional.max_pool2d(xt, k, s).sum().backward()
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
def test_pool_bad_input_and_hyperparameters(Pool):
    name = Pool.__name__
    with pytest.raises(ValueError, match=rf"^{name}\(k=2, s=2\): expected input \(N, C, H, W\), got \(4, 4\)$"):
        Pool(2).forward(np.zeros((4, 4)))
    with pytest.raises(ValueError, match=rf"^{name}\(k=3, s=3\): input 2×5 is too small"):
        Pool(3).forward(np.zeros((1, 1, 2, 5)))
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


def test_inputs_are_cast_to_the_parameter_dtype():
    """Like Dense: float64 data into a float32 network stays float32 (half the memory)."""
    conv = Conv2D(1, 2, 3)
    y = conv.forward(np.ones((1, 1, 5, 5)))                       # float64 in
    assert y.dtype == np.float32
    assert conv.backward(np.ones(y.shape)).dtype == np.float32
    assert Conv2D(1, 2, 3, dtype=np.float64).forward(np.ones((1, 1, 5, 5), np.float32)).dtype == np.float64
