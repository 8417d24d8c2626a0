"""Dense, Flatten, activation layers, Dropout, Embedding, Residual: gradient checks,
PyTorch parity and readable errors."""
import numpy as np
import pytest

from nnlib.gradcheck import check_layer
from nnlib.layers.activation import ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from nnlib.layers.dense import Dense, Flatten


def _x(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


def _torch_grads(torch, module, x, g):
    """Run a torch module forward and backward with upstream gradient g; return (y, dx)."""
    xt = torch.tensor(x, requires_grad=True)
    yt = module(xt)
    yt.backward(torch.tensor(g))
    return yt.detach().numpy(), xt.grad.numpy()


# --- Dense ----------------------------------------------------------------------------

def test_dense_shapes_dtype_and_params():
    layer = Dense(5, 3)
    y = layer(_x(4, 5).astype(np.float32))
    assert y.shape == (4, 3) and y.dtype == np.float32
    assert [p.name for p in layer.parameters()] == ["W", "b"]
    assert layer.W.shape == (5, 3) and layer.b.shape == (3,)
    assert layer(_x(4, 5)).dtype == np.float32          # float64 input is cast to the layer's dtype
    dx = layer.backward(np.ones((4, 3), dtype=np.float32))
    assert dx.dtype == np.float32 and layer.W.grad.dtype == np.float32
    assert Dense(5, 3, dtype=np.float64)(_x(2, 5)).dtype == np.float64
    assert [p.name for p in Dense(5, 3, bias=False).parameters()] == ["W"]


def test_dense_gradcheck():
    assert check_layer(Dense(6, 4), _x(5, 6), verbose=False).max_error < 1e-6
    assert check_layer(Dense(6, 4, bias=False, init="xavier"), _x(5, 6), verbose=False).max_error < 1e-6


def test_dense_matches_torch_linear(torch):
    layer = Dense(6, 4, dtype=np.float64, rng=3)
    layer.b.data[:] = _x(4, seed=9)
    lin = torch.nn.Linear(6, 4)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor(layer.W.data.T))       # torch stores (out, in)
        lin.bias.copy_(torch.tensor(layer.b.data))
    x, g = _x(5, 6, seed=1), _x(5, 4, seed=2)
    y_t, dx_t = _torch_grads(torch, lin, x, g)
    np.testing.assert_allclose(layer(x), y_t, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(layer.backward(g), dx_t, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(layer.W.grad, lin.weight.grad.numpy().T, rtol=1e-12)
    np.testing.assert_allclose(layer.b.grad, lin.bias.grad.numpy(), rtol=1e-12)


def test_dense_float32_matches_torch_float32(torch):
    layer = Dense(784, 256, rng=0)
    lin = torch.nn.Linear(784, 256).float()
    with torch.no_grad():
        lin.weight.copy_(torch.tensor(layer.W.data.T))
        lin.bias.zero_()
    x = _x(32, 784).astype(np.float32)
    np.testing.assert_allclose(layer(x), lin(torch.tensor(x)).detach().numpy(), rtol=1e-4, atol=1e-4)


def test_dense_init_choices_and_reproducibility():
    np.testing.assert_array_equal(Dense(4, 3).W.data, Dense(4, 3).W.data)   # seed 0 by default
    assert not np.array_equal(Dense(4, 3, rng=1).W.data, Dense(4, 3).W.data)
    custom = Dense(4, 3, init=lambda shape, rng, dtype: np.full(shape, 0.5, dtype))
    assert np.all(custom.W.data == 0.5)
    with pytest.raises(ValueError, match="Dense: init must be 'he', 'xavier' or a function, got 'zeros'"):
        Dense(4, 3, init="zeros")
    with pytest.raises(ValueError, match="in_features and out_features must be >= 1"):
        Dense(0, 3)


def test_dense_bad_input_message():
    with pytest.raises(ValueError) as err:
        Dense(64, 10)(np.zeros((32, 63)))
    assert str(err.value) == "Dense(64→10): expected input (N, 64), got (32, 63)"
    with pytest.raises(ValueError, match=r"Dense\(64→10\): expected input \(N, 64\), got \(64,\)"):
        Dense(64, 10)(np.zeros(64))


def test_dense_backward_misuse():
    layer = Dense(3, 2)
    with pytest.raises(RuntimeError, match=r"Dense\(3→2\): backward\(\) called before forward\(\)"):
        layer.backward(np.zeros((4, 2)))
    layer(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"expected grad_out \(4, 2\), got \(4, 3\)"):
        layer.backward(np.zeros((4, 3)))


def test_dense_backward_overwrites_grads():
    layer = Dense(3, 2)
    x, g = _x(4, 3), _x(4, 2)
    layer(x)
    layer.backward(g)
    first = layer.W.grad.copy()
    layer(x)
    layer.backward(g)
    np.testing.assert_allclose(layer.W.grad, first)           # not accumulated


# --- Flatten --------------------------------------------------------------------------

def test_flatten_roundtrip_and_gradcheck():
    x = _x(2, 3, 4, 5)
    f = Flatten()
    assert f(x).shape == (2, 60)
    np.testing.assert_array_equal(f(x)[1], x[1].ravel())
    assert f.backward(np.ones((2, 60))).shape == x.shape
    assert check_layer(Flatten(), x, verbose=False).max_error < 1e-6
    with pytest.raises(ValueError, match=r"Flatten\(\): expected input \(N, \.\.\.\) with at least 2 dimensions, got \(5,\)"):
        f(np.zeros(5))


# --- activation layers ----------------------------------------------------------------

ACTIVATIONS = [
    (Sigmoid(), lambda t: t.nn.Sigmoid()), (Tanh(), lambda t: t.nn.Tanh()),
    (ReLU(), lambda t: t.nn.ReLU()), (LeakyReLU(0.1), lambda t: t.nn.LeakyReLU(0.1)),
    (ELU(0.5), lambda t: t.nn.ELU(0.5)), (GELU(), lambda t: t.nn.GELU()),
    (Softmax(), lambda t: t.nn.Softmax(dim=-1)), (Softmax(axis=0), lambda t: t.nn.Softmax(dim=0)),
    (LogSoftmax(), lambda t: t.nn.LogSoftmax(dim=-1)),
]


@pytest.mark.parametrize("layer,make_torch", ACTIVATIONS, ids=[repr(a[0]) for a in ACTIVATIONS])
def test_activation_layer_gradcheck_and_torch_parity(torch, layer, make_torch):
    x = _x(5, 4) * 2
    assert check_layer(layer, x, verbose=False).max_error < 1e-6
    g = _x(5, 4, seed=5)
    y_t, dx_t = _torch_grads(torch, make_torch(torch), x, g)
    np.testing.assert_allclose(layer(x), y_t, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(layer.backward(g), dx_t, rtol=1e-10, atol=1e-15)


def test_softmax_backward_is_not_the_elementwise_shortcut():
    layer = Softmax()
    x, g = _x(3, 4), _x(3, 4, seed=1)
    s = layer(x)
    assert not np.allclose(layer.backward(g), g * s * (1 - s))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activation_layers_extreme_inputs(dtype):
    x = np.array([[-1e4, -1.0, 0.0, 1.0, 1e4]], dtype=dtype)
    for layer, _ in ACTIVATIONS:
        y = layer(x)
        dx = layer.backward(np.ones_like(x))
        assert y.dtype == dtype and np.all(np.isfinite(y)) and np.all(np.isfinite(dx)), repr(layer)


def test_activation_hyperparameters_validated():
    with pytest.raises(ValueError, match="LeakyReLU: alpha must be >= 0"):
        LeakyReLU(-0.1)
    with pytest.raises(ValueError, match="ELU: alpha must be > 0"):
        ELU(0)
    with pytest.raises(RuntimeError, match="before forward"):
        ReLU().backward(np.ones(3))
    relu = ReLU()
    relu(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"ReLU\(\)\.backward: expected grad_out \(2, 3\), got \(3, 2\)"):
        relu.backward(np.ones((3, 2)))
