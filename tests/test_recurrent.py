"""RNN, LSTM, GRU: finite differences through time, PyTorch parity, bad input, extremes."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from nnlib.gradcheck import numerical_gradient, rel_error
from nnlib.layers.recurrent import GRU, LSTM, RNN

LAYERS = [RNN, LSTM, GRU]
N, T, D, H = 3, 5, 4, 6


def random_state(cls, rng, n=N, h=H):
    """A random initial state as forward() takes it: h for RNN/GRU, the pair (h, c) for LSTM."""
    if cls is LSTM:
        return (rng.standard_normal((n, h)), rng.standard_normal((n, h)))
    return rng.standard_normal((n, h))


def as_list(state):
    """The state's arrays as a list: [h] or [h, c]."""
    return list(state) if isinstance(state, tuple) else [state]


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
    """L = Σ y·G + Σ state_n·G_n: gradients for x, the initial state and every parameter."""
    rng = np.random.default_rng(1)
    layer = cls(D, H, rng=2, dtype=np.float64)
    x = rng.standard_normal((N, T, D))
    state = random_state(cls, rng) if with_state else None
    G = rng.standard_normal((N, T, H))
    G_n = [rng.standard_normal((N, H)) for _ in as_list(random_state(cls, rng))]

    def loss(_=None):
        y, final = layer.forward(x, state, return_state=True)
        return float(np.sum(y * G) + sum(np.sum(s * g) for s, g in zip(as_list(final), G_n)))

    layer.forward(x, state, return_state=True)
    grads = layer.backward(G, G_n[0] if cls is not LSTM else tuple(G_n))
    dx, d_state = grads if with_state else (grads, None)
    analytic = {"x": dx} | {p.name: p.grad.copy() for p in layer.parameters()}
    numeric = {"x": numerical_gradient(loss, x)} | {p.name: numerical_gradient(loss, p.data)
                                                     for p in layer.parameters()}
    if with_state:
        for k, (s, ds) in enumerate(zip(as_list(state), as_list(d_state))):
            analytic[f"state{k}"], numeric[f"state{k}"] = ds, numerical_gradient(loss, s)
    assert set(analytic) >= {"x", "W_ih", "W_hh", "b_ih", "b_hh"}
    for name in analytic:
        assert rel_error(analytic[name], numeric[name]) < 1e-6, name


# ----------------------------------------------------------------------------- PyTorch parity
@pytest.mark.parametrize("cls", LAYERS)
@pytest.mark.parametrize("with_state", [False, True])
def test_parity_with_torch(torch, cls, with_state):
    """Outputs, final state and every gradient (including the initial state's) match PyTorch,
    with the loss reaching both y and the final state."""
    rng = np.random.default_rng(3)
    layer = cls(D, H, rng=4, dtype=np.float64)
    ref = copy_to_torch(layer, torch)
    x = rng.standard_normal((N, T, D))
    state = random_state(cls, rng) if with_state else None
    y, final = layer.forward(x, state, return_state=True)
    G = rng.standard_normal(y.shape)
    G_n = [rng.standard_normal((N, H)) for _ in as_list(final)]
    grads = layer.backward(G, tuple(G_n) if cls is LSTM else G_n[0])
    dx, d_state = grads if with_state else (grads, None)

    xt = torch.tensor(x, requires_grad=True)
    init_t = [torch.tensor(s[None], requires_grad=True) for s in as_list(state)] if with_state else []
    if not init_t:
        yt, final_t = ref(xt)
    else:
        yt, final_t = ref(xt, tuple(init_t) if cls is LSTM else init_t[0])
    final_t = list(final_t) if cls is LSTM else [final_t]
    loss = (yt * torch.tensor(G)).sum() + sum((s[0] * torch.tensor(g)).sum() for s, g in zip(final_t, G_n))
    loss.backward()

    np.testing.assert_allclose(y, yt.detach().numpy(), atol=1e-12)
    for s_np, s_t in zip(as_list(final), final_t):
        np.testing.assert_allclose(s_np, s_t[0].detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(layer.W_ih.grad, ref.weight_ih_l0.grad.numpy().T, atol=1e-12)
    np.testing.assert_allclose(layer.W_hh.grad, ref.weight_hh_l0.grad.numpy().T, atol=1e-12)
    np.testing.assert_allclose(layer.b_ih.grad, ref.bias_ih_l0.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(layer.b_hh.grad, ref.bias_hh_l0.grad.numpy(), atol=1e-12)
    if with_state:
        assert len(as_list(d_state)) == len(init_t)
        for s_np, s_t in zip(as_list(d_state), init_t):
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


@pytest.mark.parametrize("cls", LAYERS)
def test_chunked_sequence_equals_whole_sequence(cls):
    """Carrying the returned state into the next call is the same as one long call — forward
    and backward (the second chunk's d_state is the first chunk's grad_state)."""
    rng = np.random.default_rng(7)
    x, G = rng.standard_normal((2, 10, 3)), rng.standard_normal((2, 10, 5))
    layer = cls(3, 5, dtype=np.float64)
    whole = layer.forward(x)
    dx_whole = layer.backward(G)
    grads_whole = [p.grad.copy() for p in layer.parameters()]

    first, state = layer.forward(x[:, :4], return_state=True)
    second = cls(3, 5, dtype=np.float64)                  # a second layer with the same weights
    for p, q in zip(second.parameters(), layer.parameters()):
        p.data[...] = q.data
    y2 = second.forward(x[:, 4:], state)
    np.testing.assert_allclose(np.concatenate([first, y2], axis=1), whole, atol=1e-14)

    dx2, d_state = second.backward(G[:, 4:])
    dx1 = layer.backward(G[:, :4], d_state)
    np.testing.assert_allclose(np.concatenate([dx1, dx2], axis=1), dx_whole, atol=1e-13)
    for p, q, g in zip(layer.parameters(), second.parameters(), grads_whole):
        np.testing.assert_allclose(p.grad + q.grad, g, atol=1e-13)


@pytest.mark.parametrize("cls", LAYERS)
def test_state_api_and_contract(cls):
    """One API for all three: return_state gives (y, state); backward returns d_state only
    when a state was given; a second backward repeats the first; nothing returned aliases the
    cache, and the arguments are left untouched."""
    rng = np.random.default_rng(8)
    layer = cls(3, 4, dtype=np.float64)
    x = rng.standard_normal((2, 5, 3))
    x_copy = x.copy()
    y = layer.forward(x)
    assert isinstance(y, np.ndarray) and y.shape == (2, 5, 4)
    y_s, state = layer.forward(x, return_state=True)
    np.testing.assert_array_equal(y, y_s)
    assert len(as_list(state)) == (2 if cls is LSTM else 1)
    assert isinstance(state, tuple) == (cls is LSTM)
    np.testing.assert_array_equal(as_list(state)[0], y[:, -1])       # h_n is the last output

    G = rng.standard_normal(y.shape)
    dx = layer.backward(G)                                           # no state given: dx alone
    assert isinstance(dx, np.ndarray) and dx.shape == x.shape
    first = [p.grad.copy() for p in layer.parameters()]
    y[...] = 0                                                       # the caller owns y
    for s in as_list(state):
        s[...] = 0                                                   # ...and the state
    dx_again = layer.backward(G)                                     # a second backward
    np.testing.assert_array_equal(dx_again, dx)
    for p, g in zip(layer.parameters(), first):
        np.testing.assert_array_equal(p.grad, g)
    np.testing.assert_array_equal(x, x_copy)
    G_copy = G.copy()

    # only the final state reaches the loss (a sequence classifier): grad_out may be None,
    # and it equals putting the same gradient on y's last step
    layer.forward(x, return_state=True)
    G_n = [rng.standard_normal((2, 4)) for _ in as_list(state)]
    dx_final = layer.backward(None, tuple(G_n) if cls is LSTM else G_n[0])
    if cls is not LSTM:
        G_last = np.zeros_like(G)
        G_last[:, -1] = G_n[0]
        layer.forward(x)
        np.testing.assert_allclose(layer.backward(G_last), dx_final, atol=1e-14)
    np.testing.assert_array_equal(G, G_copy)

    # a gradient for a state that forward did not return is refused
    layer.forward(x)
    with pytest.raises(ValueError, match=rf"^{cls.__name__}\(3→4\)\.backward: got a gradient for the "
                                         r"final state, but forward did not return it"):
        layer.backward(G, G_n[0] if cls is not LSTM else tuple(G_n))

    # needs_input_grad = False: the first layer skips dx
    layer.needs_input_grad = False
    layer.forward(x, random_state(cls, rng, n=2, h=4))
    dx_none, d_state = layer.backward(G)
    assert dx_none is None and len(as_list(d_state)) == len(as_list(state))


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
    bad_h0 = np.zeros((1, 2, 128))
    with pytest.raises(ValueError, match=rf"^{name}\(64→128\): expected initial state h0 of shape \(N, H\) = \(2, 128\), got \(1, 2, 128\)"):
        layer.forward(np.zeros((2, 3, 64), np.float32), (bad_h0, np.zeros((2, 128))) if cls is LSTM else bad_h0)
    if cls is LSTM:
        with pytest.raises(ValueError, match=r"^LSTM\(64→128\): the initial state is the pair \(h, c\) of \(N, H\) arrays, got an array of shape \(2, 128\)"):
            layer.forward(np.zeros((2, 3, 64), np.float32), np.zeros((2, 128)))
        with pytest.raises(ValueError, match=r"expected initial state c0 of shape \(N, H\) = \(2, 128\), got \(2, 127\)"):
            layer.forward(np.zeros((2, 3, 64), np.float32), (np.zeros((2, 128)), np.zeros((2, 127))))
    else:
        with pytest.raises(ValueError, match=rf"^{name}\(64→128\): the initial state is one array h of shape \(N, H\), got a tuple of 2"):
            layer.forward(np.zeros((2, 3, 64), np.float32), (np.zeros((2, 128)), np.zeros((2, 128))))
    with pytest.raises(RuntimeError, match="before forward"):
        cls(2, 3).backward(np.zeros((1, 1, 3)))
    layer.forward(np.zeros((2, 3, 64), np.float32))
    with pytest.raises(ValueError, match=rf"^{name}\(64→128\)\.backward: expected input \(2, 3, 128\) \(dL/dy\), got \(2, 3, 127\)"):
        layer.backward(np.zeros((2, 3, 127), np.float32))
    layer.forward(np.zeros((2, 3, 64), np.float32), return_state=True)
    with pytest.raises(ValueError, match=r"backward: expected input \(2, 128\) \(dL/dh_n\), got \(3, 128\)"):
        bad = np.zeros((3, 128), np.float32)
        layer.backward(None, (bad, None) if cls is LSTM else bad)
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
    y2, state = layer.forward(x, return_state=True)
    h_n = state[0] if which is LSTM else state
    assert y.shape == (n, t, h) and h_n.shape == (n, h)
    np.testing.assert_allclose(h_n, y[:, -1])
    assert layer.backward(np.ones_like(y)).shape == x.shape


@pytest.mark.parametrize("cls", LAYERS)
def test_inputs_and_states_are_cast_to_the_parameter_dtype(cls):
    layer = cls(2, 3)                                             # float32 parameters
    state = (np.zeros((1, 3)), np.zeros((1, 3))) if cls is LSTM else np.zeros((1, 3))
    y, final = layer.forward(np.ones((1, 4, 2)), state, return_state=True)
    assert y.dtype == np.float32 and all(s.dtype == np.float32 for s in as_list(final))
    dx, d_state = layer.backward(np.ones(y.shape), final)
    assert dx.dtype == np.float32 and all(s.dtype == np.float32 for s in as_list(d_state))


@pytest.mark.parametrize("cls", LAYERS)
def test_each_layer_learns_to_recall_the_first_symbol_from_its_final_state(cls):
    """End to end through the state API: Embedding → layer → final h → Dense, trained with
    backward(None, grad_state), recalls the first of 8 symbols (chance: 25%)."""
    from nnlib.layers import Dense, Embedding
    from nnlib.losses import cross_entropy_grad
    from nnlib.optimizers import Adam
    rng = np.random.default_rng(0)
    V, T = 4, 8
    emb, layer, out = Embedding(V, 8, rng=1), cls(8, 32, rng=2), Dense(32, V, rng=3)
    opt = Adam(emb.parameters() + layer.parameters() + out.parameters(), lr=1e-2)

    def predict(ids):
        _, state = layer(emb(ids), return_state=True)
        return out(as_list(state)[0])

    for _ in range(500):    # seed 0 escapes its plateau after ~400 steps (LSTM)
        ids = rng.integers(0, V, (64, T))
        d_h = out.backward(cross_entropy_grad(predict(ids), ids[:, 0]))
        emb.backward(layer.backward(None, (d_h, None) if cls is LSTM else d_h))
        opt.step()
    ids = rng.integers(0, V, (1000, T))
    assert (predict(ids).argmax(-1) == ids[:, 0]).mean() > 0.95
