"""Dense, Flatten, activation layers, Dropout, Embedding, Residual: gradient checks,
PyTorch parity and readable errors."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from nnlib.gradcheck import check_layer
from nnlib.layers.activation import ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from nnlib.layers.base import Layer
from nnlib.layers.dense import Dense, Flatten, linear_backward
from nnlib.layers.dropout import Dropout
from nnlib.layers.embedding import Embedding
from nnlib.layers.residual import Residual


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


def test_linear_backward_matches_finite_differences():
    from nnlib.gradcheck import numerical_gradient

    rng = np.random.default_rng(5)
    x, W, b, g = _x(4, 3), rng.normal(size=(3, 2)), rng.normal(size=2), rng.normal(size=(4, 2))
    dx, dW, db = linear_backward(x, W, g)

    def L(_):                                     # L = Σ (x W + b) ⊙ g, so dL/dz = g
        return np.sum((x @ W + b) * g)

    for analytic, array in ((dx, x), (dW, W), (db, b)):
        np.testing.assert_allclose(analytic, numerical_gradient(L, array), rtol=1e-7, atol=1e-10)
    assert linear_backward(x, W, g, need_dx=False)[0] is None
    np.testing.assert_array_equal(linear_backward(x, W, g, need_dx=False)[1], dW)


def test_linear_backward_matches_torch(torch):
    rng = np.random.default_rng(6)
    x, W, b, g = rng.normal(size=(5, 4)), rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=(5, 3))
    xt, Wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, W, b))
    (xt @ Wt + bt).backward(torch.tensor(g))
    for ours, theirs in zip(linear_backward(x, W, g), (xt, Wt, bt)):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=1e-12, atol=1e-14)


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
    assert not np.array_equal(Dense(4, 3).W.data, Dense(4, 3).W.data)   # None: the shared generator
    np.testing.assert_array_equal(Dense(4, 3, rng=1).W.data, Dense(4, 3, rng=1).W.data)
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


def test_dense_can_skip_the_input_gradient():
    layer = Dense(4, 3)
    x, g = _x(5, 4), _x(5, 3, seed=1)
    layer(x)
    dx = layer.backward(g)
    W_grad = layer.W.grad.copy()
    layer.needs_input_grad = False                  # first layer: dL/d(data) is never used
    layer(x)
    assert layer.backward(g) is None
    np.testing.assert_array_equal(layer.W.grad, W_grad)   # parameter gradients unchanged
    assert dx.shape == (5, 4)


def test_dense_on_sequences_gradcheck_and_torch(torch):
    assert check_layer(Dense(4, 3), _x(2, 5, 4), verbose=False).max_error < 1e-6
    layer = Dense(4, 3, dtype=np.float64, rng=1)
    layer.b.data[:] = _x(3, seed=3)
    lin = torch.nn.Linear(4, 3)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor(layer.W.data.T))
        lin.bias.copy_(torch.tensor(layer.b.data))
    x, g = _x(2, 5, 4), _x(2, 5, 3, seed=1)
    y_t, dx_t = _torch_grads(torch, lin, x, g)
    np.testing.assert_allclose(layer(x), y_t, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(layer.backward(g), dx_t, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(layer.W.grad, lin.weight.grad.numpy().T, rtol=1e-12)
    np.testing.assert_allclose(layer.b.grad, lin.bias.grad.numpy(), rtol=1e-12)
    with pytest.raises(ValueError, match=r"^Dense\(4→3\): expected input \(N, \.\.\., 4\), got \(2, 5, 3\)$"):
        layer(np.zeros((2, 5, 3)))


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


# --- Dropout --------------------------------------------------------------------------


@pytest.mark.parametrize("p", [1, 1.0, -0.1, 1.5, "0.5", None])
def test_dropout_rejects_invalid_p(p):
    with pytest.raises(ValueError, match=r"Dropout: p must be a probability in \[0, 1\)"):
        Dropout(p)


def test_dropout_train_statistics_and_scaling():
    x = np.ones((200, 500))
    d = Dropout(0.3, rng=1)
    y = d(x)
    assert np.mean(y == 0) == pytest.approx(0.3, abs=0.01)
    np.testing.assert_allclose(y[y != 0], 1 / 0.7)                 # inverted: survivors scaled up
    assert y.mean() == pytest.approx(1.0, abs=0.01)                 # so the expectation is kept
    g = _x(200, 500)
    np.testing.assert_allclose(d.backward(g), g * (y != 0) / 0.7, rtol=1e-15)   # same mask


def test_dropout_eval_is_identity_and_p0_is_identity():
    x = _x(4, 5)
    d = Dropout(0.5).eval()
    np.testing.assert_array_equal(d(x), x)
    np.testing.assert_array_equal(d.backward(x), x)
    np.testing.assert_array_equal(Dropout(0.0)(x), x)


def test_dropout_masks_reproducible_and_dtype_kept():
    x = _x(6, 7).astype(np.float32)
    a, b = Dropout(0.5, rng=3)(x), Dropout(0.5, rng=3)(x)
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.float32
    d = Dropout(0.5, rng=3)
    assert not np.array_equal(d(x), d(x))                            # a new mask every call


def test_dropout_gradcheck_with_fixed_mask():
    # check_layer runs every evaluation on a fresh copy of the layer, so the seeded rng
    # draws the same mask each time
    result = check_layer(Dropout(0.4, rng=5), _x(5, 6), verbose=False)
    assert result.max_error < 1e-6


def test_dropout_survivor_scale_matches_torch(torch):
    x = np.abs(_x(50, 40)) + 0.1
    yt = torch.nn.functional.dropout(torch.tensor(x), p=0.25, training=True).numpy()
    y = Dropout(0.25)(x)
    np.testing.assert_allclose(yt[yt != 0] / x[yt != 0], 1 / 0.75)
    np.testing.assert_allclose(y[y != 0] / x[y != 0], 1 / 0.75)


# --- Embedding ------------------------------------------------------------------------

def test_embedding_lookup_shapes_and_gradcheck():
    emb = Embedding(7, 3)
    ids = np.array([[0, 6, 2, 2], [1, 1, 1, 5]])
    y = emb(ids)
    assert y.shape == (2, 4, 3) and y.dtype == np.float32
    np.testing.assert_array_equal(y[1, 3], emb.W.data[5])
    result = check_layer(Embedding(7, 3), ids, verbose=False)
    assert set(result.errors) == {"W"} and result.max_error < 1e-6


def test_embedding_repeated_ids_accumulate_and_backward_returns_none():
    emb = Embedding(4, 2, dtype=np.float64)
    emb(np.array([[1, 1, 1]]))
    g = np.array([[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]])
    assert emb.backward(g) is None
    np.testing.assert_array_equal(emb.W.grad, [[0, 0], [9, 12], [0, 0], [0, 0]])


def test_embedding_matches_torch(torch):
    emb = Embedding(10, 4, dtype=np.float64, rng=2)
    ref = torch.nn.Embedding(10, 4)
    with torch.no_grad():
        ref.weight.copy_(torch.tensor(emb.W.data))
    ids = np.random.default_rng(0).integers(0, 10, size=(3, 6))
    g = _x(3, 6, 4, seed=1)
    yt = ref(torch.tensor(ids))
    yt.backward(torch.tensor(g))
    np.testing.assert_array_equal(emb(ids), yt.detach().numpy())
    emb.backward(g)
    np.testing.assert_allclose(emb.W.grad, ref.weight.grad.numpy(), rtol=1e-13)


def test_embedding_bad_input():
    emb = Embedding(5, 2)
    with pytest.raises(ValueError, match=r"^Embedding\(5, 2\): expected integer ids \(N, T\), got float64 values of shape \(2, 2\); convert with ids.astype\(int\)$"):
        emb(np.array([[0.0, 1.0], [2.0, 3.0]]))
    with pytest.raises(ValueError, match=r"ids must be in \[0, 4\], got values from 0 to 5"):
        emb(np.array([[0, 5]]))
    with pytest.raises(ValueError, match="num_embeddings and dim must be >= 1"):
        Embedding(0, 3)


# --- Residual -------------------------------------------------------------------------

class DenseTanh(Layer):
    """A two-layer block, to show Residual works with nested layers."""

    def __init__(self, d):
        self.dense, self.act = Dense(d, d, init="xavier", rng=4), Tanh()

    def forward(self, x):
        return self.act(self.dense(x))

    def backward(self, grad_out):
        return self.dense.backward(self.act.backward(grad_out))


def test_residual_gradcheck_and_parameters():
    res = Residual(DenseTanh(4))
    assert [p.name for p in res.parameters()] == ["W", "b"]
    assert check_layer(res, _x(5, 4), verbose=False).max_error < 1e-6


def test_residual_adds_identity_and_matches_torch(torch):
    res = Residual(Dense(3, 3, dtype=np.float64, rng=1))
    lin = torch.nn.Linear(3, 3)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor(res.block.W.data.T))
        lin.bias.zero_()
    x, g = _x(4, 3), _x(4, 3, seed=2)
    y_t, dx_t = _torch_grads(torch, lambda t: t + lin(t), x, g)
    np.testing.assert_allclose(res(x), y_t, rtol=1e-12)
    np.testing.assert_allclose(res.backward(g), dx_t, rtol=1e-12)
    np.testing.assert_allclose(res.block.W.grad, lin.weight.grad.numpy().T, rtol=1e-12)


def test_residual_propagates_mode_and_rejects_shape_changes():
    res = Residual(Dropout(0.5))
    res.eval()
    assert res.block.training is False
    x = _x(2, 3)
    np.testing.assert_array_equal(res(x), 2 * x)
    with pytest.raises(ValueError, match=r"block must keep the input's shape.*maps \(2, 3\) to \(2, 4\)"):
        Residual(Dense(3, 4))(x)
    with pytest.raises(ValueError, match="Residual: block must be a Layer"):
        Residual(np.tanh)


# --- properties -----------------------------------------------------------------------


PROPS = settings(max_examples=30, deadline=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture])


@PROPS
@given(n=st.integers(1, 8), d_in=st.integers(1, 6), d_out=st.integers(1, 6),
       dtype=st.sampled_from([np.float32, np.float64]), scale=st.sampled_from([1.0, 1e4]))
def test_dense_shapes_and_finiteness(n, d_in, d_out, dtype, scale):
    layer = Dense(d_in, d_out, dtype=dtype)
    x = (np.random.default_rng(n).uniform(-1, 1, size=(n, d_in)) * scale).astype(dtype)
    y = layer(x)
    assert y.shape == (n, d_out) and y.dtype == dtype and np.all(np.isfinite(y))
    dx = layer.backward(np.ones_like(y))
    assert dx.shape == x.shape and layer.W.grad.shape == (d_in, d_out) and layer.b.grad.shape == (d_out,)


@PROPS
@given(x=hnp.arrays(st.sampled_from([np.float32, np.float64]),
                    hnp.array_shapes(min_dims=2, max_dims=4, min_side=2, max_side=5),
                    elements=st.floats(-1e4, 1e4, width=32)))
def test_parameter_free_layers_keep_shape_and_stay_finite(x):
    for layer in (Sigmoid(), Tanh(), ReLU(), LeakyReLU(), ELU(), GELU(), Softmax(), LogSoftmax(),
                  Dropout(0.5), Residual(Tanh())):
        y = layer(x)
        dx = layer.backward(np.ones_like(y))
        assert y.shape == x.shape == dx.shape, repr(layer)
        assert np.all(np.isfinite(y)) and np.all(np.isfinite(dx)), repr(layer)
    flat = Flatten()(x)
    assert flat.shape == (x.shape[0], x[0].size)


def test_embedding_grad_equals_one_hot_product_for_any_ids():
    # dW = one_hot(ids)ᵀ · grad_out, for unsorted ids with repeats, unused tokens and an empty batch
    rng = np.random.default_rng(4)
    for shape in [(3, 5), (1, 1), (2, 0), (40,)]:
        emb = Embedding(6, 3, rng=0, dtype=np.float64)
        ids = rng.integers(0, 4, shape)                # tokens 4 and 5 never appear
        emb.forward(ids)
        g = rng.normal(size=ids.shape + (3,))
        emb.backward(g)
        one_hot = np.eye(6)[ids.ravel()]
        np.testing.assert_allclose(emb.W.grad, one_hot.T @ g.reshape(-1, 3), atol=1e-12)
