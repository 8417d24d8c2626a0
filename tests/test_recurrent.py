"""RNN, LSTM, GRU: finite differences through time, PyTorch parity, bad input, extremes."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from nnlib.gradcheck import numerical_gradient, rel_error
from nnlib.layers.recurrent import GRU, LSTM, RNN

LAYERS = [RNN, LSTM, GRU]
N, T, D, H = 3, 5, 4, 6


def states(cls, rng, n=N, h=H):
    """Random initial states in the order forward() takes them."""
    k = 2 if cls is LSTM else 1
    return [rng.standard_normal((n, h)) for _ in range(k)]


def copy_to_torch(layer, torch):
    """A torch.nn.{RNN,LSTM,GRU} with our weights (PyTorch stores W as (G*H, D): transpose)."""
    cls = {"RNN": torch.nn.RNN, "LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU}[layer.kind]
    ref = cls(layer.input_size, layer.hidden_size, batch_first=True)
    dtype = torch.float64 if layer.W_ih.data.dtype == np.float64 else torch.float32
    ref = ref.to(dtype)
    with torch.no_grad():
        ref.weight_ih_l0.copy_(torch.tensor(layer.W_ih.data.T))
        ref.weight_hh_l0.copy_(torch.tensor(layer.W_hh.data.T))
        ref.bias_ih_l0.copy_(torch.tensor(layer.b_ih.data))
        ref.bias_hh_l0.copy_(torch.tensor(layer.b_hh.data))
    return ref


# ----------------------------------------------------------------------------- gradients
@pytest.mark.parametrize("cls", LAYERS)
@pytest.mark.parametrize("with_state", [False, True])
def test_gradcheck_input_state_and_every_parameter(cls, with_state):
    rng = np.random.default_rng(1)
    layer = cls(D, H, rng=2, dtype=np.float64)
    x = rng.standard_normal((N, T, D))
    init = states(cls, rng) if with_state else []
    G = rng.standard_normal((N, T, H))
    loss = lambda _=None: float(np.sum(layer.forward(x, *init) * G))

    layer.forward(x, *init)
    dx = layer.backward(G)
    analytic = {"x": dx} | {p.name: p.grad.copy() for p in layer.parameters()}
    numeric = {"x": numerical_gradient(loss, x)} | {p.name: numerical_gradient(loss, p.data)
                                                     for p in layer.parameters()}
    if with_state:
        analytic["h0"], numeric["h0"] = layer.grad_h0, numerical_gradient(loss, init[0])
        if cls is LSTM:
            analytic["c0"], numeric["c0"] = layer.grad_c0, numerical_gradient(loss, init[1])
    assert set(analytic) >= {"x", "W_ih", "W_hh", "b_ih", "b_hh"}
    for name in analytic:
        assert rel_error(analytic[name], numeric[name]) < 1e-6, name


# ----------------------------------------------------------------------------- PyTorch parity
@pytest.mark.parametrize("cls", LAYERS)
@pytest.mark.parametrize("with_state", [False, True])
def test_parity_with_torch(torch, cls, with_state):
    rng = np.random.default_rng(3)
    layer = cls(D, H, rng=4, dtype=np.float64)
    ref = copy_to_torch(layer, torch)
    x = rng.standard_normal((N, T, D))
    init = states(cls, rng) if with_state else []
    y = layer.forward(x, *init)
    G = rng.standard_normal(y.shape)
    dx = layer.backward(G)

    xt = torch.tensor(x, requires_grad=True)
    init_t = [torch.tensor(s[None], requires_grad=True) for s in init]   # torch: (layers, N, H)
    if not init_t:
        yt, final = ref(xt)
    else:
        yt, final = ref(xt, tuple(init_t) if cls is LSTM else init_t[0])
    yt.backward(torch.tensor(G))

    np.testing.assert_allclose(y, yt.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(layer.W_ih.grad, ref.weight_ih_l0.grad.numpy().T, atol=1e-12)
    np.testing.assert_allclose(layer.W_hh.grad, ref.weight_hh_l0.grad.numpy().T, atol=1e-12)
    np.testing.assert_allclose(layer.b_ih.grad, ref.bias_ih_l0.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(layer.b_hh.grad, ref.bias_hh_l0.grad.numpy(), atol=1e-12)
    h_n = final[0] if cls is LSTM else final
    np.testing.assert_allclose(layer.h_n, h_n[0].detach().numpy(), atol=1e-12)
    if cls is LSTM:
        np.testing.assert_allclose(layer.c_n, final[1][0].detach().numpy(), atol=1e-12)
    for s_np, s_t in zip([layer.grad_h0] + ([layer.grad_c0] if cls is LSTM else []), init_t):
        np.testing.assert_allclose(s_np, s_t.grad.numpy()[0], atol=1e-12)


@pytest.mark.parametrize("cls", LAYERS)
def test_float32_parity_with_torch(torch, cls):
    layer = cls(8, 16, rng=5)                               # float32 by default
    assert all(p.data.dtype == np.float32 for p in layer.parameters())
    ref = copy_to_torch(layer, torch)
    x = np.random.default_rng(6).standard_normal((4, 20, 8)).astype(np.float32)
    y = layer.forward(x)
    dx = layer.backward(np.ones_like(y))
    assert y.dtype == dx.dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in layer.parameters())
    xt = torch.tensor(x, requires_grad=True)
    yt = ref(xt)[0]
    yt.sum().backward()
    np.testing.assert_allclose(y, yt.detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(dx, xt.grad.numpy(), atol=1e-4)
    np.testing.assert_allclose(layer.W_hh.grad, ref.weight_hh_l0.grad.numpy().T, atol=1e-3, rtol=1e-4)


def test_chunked_sequence_equals_whole_sequence():
    """Carrying .h_n / .c_n into the next call is the same as one long call."""
    x = np.random.default_rng(7).standard_normal((2, 10, 3))
    lstm = LSTM(3, 5, dtype=np.float64)
    whole = lstm.forward(x)
    first = lstm.forward(x[:, :4])
    h, c = lstm.h_n, lstm.c_n
    second = lstm.forward(x[:, 4:], h, c)
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), whole, atol=1e-14)


# ----------------------------------------------------------------------------- construction
@pytest.mark.parametrize("cls, G", [(RNN, 1), (LSTM, 4), (GRU, 3)])
def test_parameter_shapes_and_pytorch_init(cls, G):
    layer = cls(10, 32)
    assert [(p.name, p.shape) for p in layer.parameters()] == [
        ("W_ih", (10, G * 32)), ("W_hh", (32, G * 32)), ("b_ih", (G * 32,)), ("b_hh", (G * 32,))]
    bound = 1 / np.sqrt(32)
    for p in layer.parameters():
        assert np.abs(p.data).max() <= bound and np.abs(p.data).max() > 0.8 * bound
    assert not np.array_equal(cls(10, 32).W_hh.data, layer.W_hh.data)    # None: nnlib's shared generator
    assert not np.array_equal(cls(10, 32, rng=1).W_hh.data, layer.W_hh.data)


@pytest.mark.parametrize("cls", LAYERS)
def test_bad_input_names_layer_and_shapes(cls):
    layer = cls(64, 128)
    name = cls.__name__
    with pytest.raises(ValueError, match=rf"^{name}\(64→128\): expected input \(N, T, 64\), got \(32, 50, 63\)$"):
        layer.forward(np.zeros((32, 50, 63), np.float32))
    with pytest.raises(ValueError, match=r"expected input \(N, T, 64\), got \(50, 64\)"):
        layer.forward(np.zeros((50, 64), np.float32))
    with pytest.raises(ValueError, match=r"empty \(T = 0\), shape \(2, 0, 64\)"):
        layer.forward(np.zeros((2, 0, 64), np.float32))
    with pytest.raises(ValueError, match=rf"^{name}\(64→128\): expected initial state h0 of shape \(N, H\) = \(2, 128\), got \(1, 2, 128\)"):
        layer.forward(np.zeros((2, 3, 64), np.float32), np.zeros((1, 2, 128)))
    with pytest.raises(RuntimeError, match="before forward"):
        cls(2, 3).backward(np.zeros((1, 1, 3)))
    layer.forward(np.zeros((2, 3, 64), np.float32))
    with pytest.raises(ValueError, match=r"backward: expected input \(2, 3, 128\)"):
        layer.backward(np.zeros((2, 3, 127), np.float32))
    for bad in ((0, 4), (4, 0), (4, 2.5)):
        with pytest.raises(ValueError, match=rf"^{name}\("):
            cls(*bad)


# ----------------------------------------------------------------------------- numerics
@pytest.mark.parametrize("cls", LAYERS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_inputs_stay_finite_without_warnings(cls, dtype):
    layer = cls(4, 8, dtype=dtype)
    x = np.random.default_rng(0).choice([-1e4, 1e4], size=(3, 6, 4)).astype(dtype)
    y = layer.forward(x)
    dx = layer.backward(np.full_like(y, 1e4))
    assert np.isfinite(y).all() and np.isfinite(dx).all()
    assert all(np.isfinite(p.grad).all() for p in layer.parameters())
    assert np.abs(y).max() <= 1                               # every hidden state is squashed


def test_lstm_keeps_a_long_range_gradient_that_rnn_loses():
    """The reason LSTMs exist: with the forget gate open (bias +5), dL/dx_0 survives 60 steps."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 60, 2))
    G = np.zeros((1, 60, 4))
    G[:, -1] = 1                                              # loss depends on the last state only
    lstm, rnn = LSTM(2, 4, dtype=np.float64), RNN(2, 4, dtype=np.float64)
    lstm.b_ih.data[4:8] = 5.0                                 # forget-gate block: f ≈ 1
    lstm.forward(x)
    rnn.forward(x)
    first_step = lambda dx: np.abs(dx[0, 0]).max()
    assert first_step(lstm.backward(G)) > 1e3 * first_step(rnn.backward(G))


@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 3), t=st.integers(1, 6), d=st.integers(1, 4), h=st.integers(1, 5),
       which=st.sampled_from(LAYERS))
def test_shapes(n, t, d, h, which):
    layer = which(d, h, dtype=np.float64)
    x = np.random.default_rng(0).standard_normal((n, t, d))
    y = layer.forward(x)
    assert y.shape == (n, t, h) and layer.h_n.shape == (n, h)
    np.testing.assert_allclose(layer.h_n, y[:, -1])
    assert layer.backward(np.ones_like(y)).shape == x.shape


@pytest.mark.parametrize("cls", LAYERS)
def test_inputs_and_states_are_cast_to_the_parameter_dtype(cls):
    layer = cls(2, 3)                                             # float32 parameters
    y = layer.forward(np.ones((1, 4, 2)), *[np.zeros((1, 3))] * (2 if cls is LSTM else 1))
    assert y.dtype == layer.h_n.dtype == np.float32
    assert layer.backward(np.ones(y.shape)).dtype == np.float32
