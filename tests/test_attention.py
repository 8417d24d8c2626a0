"""MultiHeadSelfAttention: finite differences, PyTorch parity, masking, properties, bad input."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from nnlib.gradcheck import numerical_gradient, rel_error
from nnlib.layers.attention import MultiHeadAttention, MultiHeadSelfAttention

N, T, D, HEADS = 2, 5, 8, 2


def randomized(layer, seed=0, scale=0.5):
    """Give every parameter (biases too) random values, so no gradient is trivially zero."""
    rng = np.random.default_rng(seed)
    for p in layer.parameters():
        p.data[...] = rng.standard_normal(p.shape) * scale
    return layer


def to_torch(layer, torch):
    """nn.MultiheadAttention with our weights: in_proj stacks W_q.T, W_k.T, W_v.T."""
    dtype = torch.float64 if layer.W_q.data.dtype == np.float64 else torch.float32
    ref = torch.nn.MultiheadAttention(layer.d_model, layer.num_heads, batch_first=True,
                                      bias=layer.bias).to(dtype)
    with torch.no_grad():
        ref.in_proj_weight.copy_(torch.tensor(np.concatenate([layer.W_q.data.T, layer.W_k.data.T,
                                                              layer.W_v.data.T])))
        ref.out_proj.weight.copy_(torch.tensor(layer.W_o.data.T))
        if layer.bias:
            ref.in_proj_bias.copy_(torch.tensor(np.concatenate([layer.b_q.data, layer.b_k.data,
                                                                layer.b_v.data])))
            ref.out_proj.bias.copy_(torch.tensor(layer.b_o.data))
    return ref


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("heads", [1, 2, 4])
def test_gradcheck_input_and_every_parameter(causal, bias, heads):
    layer = randomized(MultiHeadSelfAttention(D, heads, causal=causal, bias=bias, dtype=np.float64))
    rng = np.random.default_rng(1)
    x = rng.standard_normal((N, T, D))
    G = rng.standard_normal((N, T, D))
    loss = lambda _=None: float(np.sum(layer.forward(x) * G))
    layer.forward(x)
    dx = layer.backward(G)
    assert len(layer.parameters()) == (8 if bias else 4)
    assert rel_error(dx, numerical_gradient(loss, x)) < 1e-6
    for p in layer.parameters():
        analytic, numeric = p.grad.copy(), numerical_gradient(loss, p.data)
        if p.name == "b_k":
            # b_k adds the same q·b_k to every score in a row, and softmax ignores a constant
            # shift: its true gradient is exactly 0, so only rounding noise is left to compare.
            assert np.abs(analytic).max() < 1e-12 and np.abs(numeric).max() < 1e-8
        else:
            assert rel_error(analytic, numeric) < 1e-6, p.name


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_parity_with_torch(torch, causal, bias):
    layer = randomized(MultiHeadSelfAttention(D, HEADS, causal=causal, bias=bias, dtype=np.float64), seed=2)
    ref = to_torch(layer, torch)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((N, T, D))
    y = layer.forward(x)
    G = rng.standard_normal(y.shape)
    dx = layer.backward(G)

    xt = torch.tensor(x, requires_grad=True)
    mask = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1) if causal else None  # True = may not attend
    yt, wt = ref(xt, xt, xt, attn_mask=mask, need_weights=True, average_attn_weights=False)
    yt.backward(torch.tensor(G))
    d = D
    np.testing.assert_allclose(y, yt.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(layer.attention_weights, wt.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), atol=1e-12)
    W_in_grad = ref.in_proj_weight.grad.numpy()
    for k, W in enumerate((layer.W_q, layer.W_k, layer.W_v)):
        np.testing.assert_allclose(W.grad, W_in_grad[k * d:(k + 1) * d].T, atol=1e-12)
    np.testing.assert_allclose(layer.W_o.grad, ref.out_proj.weight.grad.numpy().T, atol=1e-12)
    if bias:
        b_in_grad = ref.in_proj_bias.grad.numpy()
        for k, b in enumerate((layer.b_q, layer.b_k, layer.b_v)):
            np.testing.assert_allclose(b.grad, b_in_grad[k * d:(k + 1) * d], atol=1e-12)
        np.testing.assert_allclose(layer.b_o.grad, ref.out_proj.bias.grad.numpy(), atol=1e-12)


def test_float32_parity_with_torch(torch):
    layer = MultiHeadSelfAttention(16, 4, causal=True)           # float32, default init
    assert all(p.data.dtype == np.float32 for p in layer.parameters())
    ref = to_torch(layer, torch)
    x = np.random.default_rng(4).standard_normal((3, 7, 16)).astype(np.float32)
    y = layer.forward(x)
    dx = layer.backward(np.ones_like(y))
    assert y.dtype == dx.dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in layer.parameters())
    xt = torch.tensor(x, requires_grad=True)
    yt = ref(xt, xt, xt, attn_mask=torch.triu(torch.ones(7, 7, dtype=torch.bool), 1), need_weights=False)[0]
    yt.sum().backward()
    np.testing.assert_allclose(y, yt.detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(dx, xt.grad.numpy(), atol=1e-4)


# ----------------------------------------------------------------------------- properties
def test_attention_weights_are_distributions_and_causal_ones_ignore_the_future():
    x = np.random.default_rng(5).standard_normal((N, T, D))
    for causal in (False, True):
        layer = randomized(MultiHeadSelfAttention(D, HEADS, causal=causal, dtype=np.float64), seed=6)
        layer.forward(x)
        A = layer.attention_weights
        assert A.shape == (N, HEADS, T, T)
        np.testing.assert_allclose(A.sum(axis=-1), 1.0, atol=1e-12)
        future = A[..., np.triu_indices(T, k=1)[0], np.triu_indices(T, k=1)[1]]
        if causal:
            assert np.all(future == 0)
            np.testing.assert_allclose(A[..., 0, 0], 1.0)           # the first position sees only itself
        else:
            assert np.all(future > 0)


def test_causal_output_does_not_depend_on_later_positions():
    layer = randomized(MultiHeadSelfAttention(D, HEADS, causal=True, dtype=np.float64), seed=7)
    x = np.random.default_rng(8).standard_normal((1, T, D))
    y = layer.forward(x)
    x2 = x.copy()
    x2[:, 3:] += 10.0                                                  # change positions 3, 4
    y2 = layer.forward(x2)
    np.testing.assert_allclose(y2[:, :3], y[:, :3], atol=1e-12)
    assert not np.allclose(y2[:, 3:], y[:, 3:])


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), t=st.integers(1, 6), heads=st.sampled_from([1, 2, 4]))
def test_without_mask_attention_is_permutation_equivariant(seed, t, heads):
    """Self-attention has no notion of order: permuting positions permutes the outputs."""
    layer = randomized(MultiHeadSelfAttention(D, heads, dtype=np.float64), seed=seed)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, t, D))
    perm = rng.permutation(t)
    np.testing.assert_allclose(layer.forward(x[:, perm]), layer.forward(x)[:, perm], atol=1e-12)


def test_init_reproducible_and_biases_zero():
    a, b = MultiHeadSelfAttention(16, 4), MultiHeadSelfAttention(16, 4)
    assert not np.array_equal(a.W_k.data, b.W_k.data)                # None: nnlib's shared generator
    assert not np.array_equal(a.W_q.data, a.W_k.data)                 # each matrix its own draw
    assert not np.array_equal(MultiHeadSelfAttention(16, 4, rng=1).W_q.data, a.W_q.data)
    np.testing.assert_array_equal(a.b_q.data, 0)
    assert np.abs(a.W_q.data).max() <= np.sqrt(6 / 32)                # Xavier-uniform bound


# ----------------------------------------------------------------------------- bad input, extremes
def test_bad_input_and_hyperparameters():
    layer = MultiHeadSelfAttention(8, 2)
    with pytest.raises(ValueError, match=r"^MultiHeadSelfAttention\(d_model=8, heads=2\): expected input \(N, T, 8\), got \(2, 5, 6\)$"):
        layer.forward(np.zeros((2, 5, 6), np.float32))
    with pytest.raises(ValueError, match=r"expected input \(N, T, 8\), got \(5, 8\)"):
        layer.forward(np.zeros((5, 8), np.float32))
    with pytest.raises(ValueError, match=r"num_heads must divide d_model \(10 / 3"):
        MultiHeadSelfAttention(10, 3)
    for bad in ((0, 1), (8, 0), (8.0, 2)):
        with pytest.raises(ValueError, match=r"^MultiHeadSelfAttention\("):
            MultiHeadSelfAttention(*bad)
    with pytest.raises(RuntimeError, match="before forward"):
        MultiHeadSelfAttention(8, 2).backward(np.zeros((1, 1, 8)))
    layer.forward(np.zeros((2, 5, 8), np.float32))
    with pytest.raises(ValueError, match=r"backward: expected input \(2, 5, 8\), got \(2, 5, 7\)"):
        layer.backward(np.zeros((2, 5, 7), np.float32))


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_inputs_stay_finite_without_warnings(causal, dtype):
    layer = MultiHeadSelfAttention(D, HEADS, causal=causal, dtype=dtype)
    x = np.random.default_rng(9).choice([-1e4, 1e4], size=(N, T, D)).astype(dtype)
    y = layer.forward(x)
    dx = layer.backward(np.full_like(y, 1e4))
    assert np.isfinite(y).all() and np.isfinite(dx).all()
    assert np.isfinite(layer.attention_weights).all()
    assert all(np.isfinite(p.grad).all() for p in layer.parameters())


def test_inputs_are_cast_to_the_parameter_dtype():
    layer = MultiHeadSelfAttention(4, 2)                          # float32 parameters
    y = layer.forward(np.ones((1, 3, 4)))                         # float64 in
    assert y.dtype == layer.attention_weights.dtype == np.float32
    assert layer.backward(np.ones(y.shape)).dtype == np.float32


# ----------------------------------------------------------------------------- cross-attention
S_CTX = 7


@pytest.mark.parametrize("causal", [False, True])
def test_cross_attention_gradcheck_query_context_and_parameters(causal):
    layer = randomized(MultiHeadAttention(D, HEADS, causal=causal, dtype=np.float64), seed=11)
    rng = np.random.default_rng(12)
    x, ctx = rng.standard_normal((N, T, D)), rng.standard_normal((N, S_CTX, D))
    G = rng.standard_normal((N, T, D))
    loss = lambda _=None: float(np.sum(layer.forward(x, ctx) * G))
    layer.forward(x, ctx)
    dx, d_ctx = layer.backward(G)
    assert rel_error(dx, numerical_gradient(loss, x)) < 1e-6
    assert rel_error(d_ctx, numerical_gradient(loss, ctx)) < 1e-6
    for p in layer.parameters():
        if p.name != "b_k":                       # exactly zero, see the self-attention test
            assert rel_error(p.grad.copy(), numerical_gradient(loss, p.data)) < 1e-6, p.name


def test_cross_attention_parity_with_torch(torch):
    layer = randomized(MultiHeadAttention(D, HEADS, dtype=np.float64), seed=13)
    ref = to_torch(layer, torch)
    rng = np.random.default_rng(14)
    x, ctx = rng.standard_normal((N, T, D)), rng.standard_normal((N, S_CTX, D))
    y = layer.forward(x, ctx)
    G = rng.standard_normal(y.shape)
    dx, d_ctx = layer.backward(G)
    xt, ct = torch.tensor(x, requires_grad=True), torch.tensor(ctx, requires_grad=True)
    yt, wt = ref(xt, ct, ct, need_weights=True, average_attn_weights=False)
    yt.backward(torch.tensor(G))
    np.testing.assert_allclose(y, yt.detach().numpy(), atol=1e-12)
    assert layer.attention_weights.shape == (N, HEADS, T, S_CTX)
    np.testing.assert_allclose(layer.attention_weights, wt.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(d_ctx, ct.grad.numpy(), atol=1e-12)
    W_in_grad = ref.in_proj_weight.grad.numpy()
    for k, W in enumerate((layer.W_q, layer.W_k, layer.W_v)):
        np.testing.assert_allclose(W.grad, W_in_grad[k * D:(k + 1) * D].T, atol=1e-12)


def test_cross_attention_with_the_same_sequence_is_self_attention():
    cross = randomized(MultiHeadAttention(D, HEADS, dtype=np.float64), seed=15)
    self_ = MultiHeadSelfAttention(D, HEADS, dtype=np.float64)
    for p, q in zip(self_.parameters(), cross.parameters()):
        p.data[...] = q.data
    x = np.random.default_rng(16).standard_normal((N, T, D))
    G = np.random.default_rng(17).standard_normal((N, T, D))
    np.testing.assert_allclose(cross.forward(x, x), self_.forward(x), atol=1e-14)
    dx, d_ctx = cross.backward(G)
    np.testing.assert_allclose(dx + d_ctx, self_.backward(G), atol=1e-13)


# ----------------------------------------------------------------------------- the layer contract
def test_contract_cache_second_backward_ownership_and_errors():
    layer = randomized(MultiHeadAttention(D, HEADS, causal=True, dtype=np.float64), seed=18)
    assert layer.cache is None and layer.attention_weights is None
    rng = np.random.default_rng(19)
    x, ctx, G = rng.standard_normal((N, T, D)), rng.standard_normal((N, T, D)), rng.standard_normal((N, T, D))
    keep = [a.copy() for a in (x, ctx, G)]
    y = layer.forward(x, ctx)
    assert set(layer.cache) >= {"x", "context", "Q", "K", "V", "A", "C"}
    layer.attention_weights[...] = 0                              # a copy: the cache is untouched
    assert layer.attention_weights.sum() > 0
    dx, d_ctx = layer.backward(G)
    grads = [p.grad.copy() for p in layer.parameters()]
    y[...] = 0                                                    # the caller owns y, dx, d_ctx
    dx2, d_ctx2 = layer.backward(G)                               # a second backward repeats
    np.testing.assert_array_equal(dx2, dx)
    np.testing.assert_array_equal(d_ctx2, d_ctx)
    assert dx2 is not dx
    for p, g in zip(layer.parameters(), grads):
        np.testing.assert_array_equal(p.grad, g)
    for a, k in zip((x, ctx, G), keep):                           # arguments untouched
        np.testing.assert_array_equal(a, k)
    layer.needs_input_grad = False
    assert layer.backward(G) == (None, None)
    with pytest.raises(ValueError, match=r"^MultiHeadAttention\(d_model=8, heads=2\): expected input "
                                         r"context \(N, S, 8\), got \(2, 5, 3\)$"):
        layer.forward(x, np.zeros((2, 5, 3)))
    with pytest.raises(ValueError, match=r"same batch size N, got x \(2, 5, 8\) and context \(3, 5, 8\)"):
        layer.forward(x, np.zeros((3, 5, 8)))
    with pytest.raises(ValueError, match=r"^MultiHeadSelfAttention\(d_model=8, heads=2\): self-attention takes one input"):
        MultiHeadSelfAttention(D, HEADS).forward(x, ctx)
