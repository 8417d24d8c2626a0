"""TransformerBlock (pre-LN): finite differences, PyTorch parity, causality, the contract."""
import numpy as np
import pytest

from nnlib.gradcheck import numerical_gradient, rel_error
from nnlib.layers.transformer import TransformerBlock

N, T, D, HEADS, D_FF = 2, 5, 8, 2, 12


def randomized(block, seed=0, scale=0.4):
    """Random values for every parameter (LayerNorm's γ, β and the biases too)."""
    rng = np.random.default_rng(seed)
    for p in block.parameters():
        p.data[...] = rng.standard_normal(p.shape) * scale + (1.0 if p.name == "gamma" else 0.0)
    return block


def to_torch(block, torch):
    """torch.nn.TransformerEncoderLayer(norm_first=True, dropout=0) holding our weights."""
    ref = torch.nn.TransformerEncoderLayer(block.d_model, block.num_heads, block.d_ff, dropout=0.0,
                                           activation=type(block.act).__name__.lower(),
                                           batch_first=True, norm_first=True).double()
    a, t = block.attn, lambda arr: torch.tensor(arr)
    with torch.no_grad():
        ref.self_attn.in_proj_weight.copy_(t(np.concatenate([a.W_q.data.T, a.W_k.data.T, a.W_v.data.T])))
        ref.self_attn.in_proj_bias.copy_(t(np.concatenate([a.b_q.data, a.b_k.data, a.b_v.data])))
        ref.self_attn.out_proj.weight.copy_(t(a.W_o.data.T))
        ref.self_attn.out_proj.bias.copy_(t(a.b_o.data))
        for ours, theirs in ((block.ln1, ref.norm1), (block.ln2, ref.norm2)):
            theirs.weight.copy_(t(ours.gamma.data))
            theirs.bias.copy_(t(ours.beta.data))
        for ours, theirs in ((block.ff1, ref.linear1), (block.ff2, ref.linear2)):
            theirs.weight.copy_(t(ours.W.data.T))
            theirs.bias.copy_(t(ours.b.data))
    return ref


def test_parameters_and_defaults():
    block = TransformerBlock(16, 4, rng=0)
    assert block.d_ff == 64                                       # 4 · d_model
    names = [p.name for p in block.parameters()]
    assert names.count("gamma") == 2 and names.count("W") == 2 and len(names) == 4 + 8 + 4
    W = [p.data for p in block.parameters() if p.name in ("W_q", "W_k", "W")]
    assert not np.array_equal(W[0], W[1])                         # one rng stream, distinct draws
    again = TransformerBlock(16, 4, rng=0)
    for p, q in zip(block.parameters(), again.parameters()):      # a seed reproduces
        np.testing.assert_array_equal(p.data, q.data)


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_gradcheck_input_and_every_parameter(causal, activation):
    block = randomized(TransformerBlock(D, HEADS, D_FF, causal=causal, activation=activation,
                                        dtype=np.float64), seed=1)
    rng = np.random.default_rng(2)
    x, G = rng.standard_normal((N, T, D)), rng.standard_normal((N, T, D))
    loss = lambda _=None: float(np.sum(block.forward(x) * G))
    block.forward(x)
    dx = block.backward(G)
    assert rel_error(dx, numerical_gradient(loss, x)) < 1e-6
    for p in block.parameters():
        analytic, numeric = p.grad.copy(), numerical_gradient(loss, p.data)
        if p.name == "b_k":                    # softmax ignores a shift: exactly 0, see test_attention
            assert np.abs(analytic).max() < 1e-12
        else:
            assert rel_error(analytic, numeric) < 1e-6, p.name


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_parity_with_torch_transformer_encoder_layer_norm_first(torch, causal, activation):
    block = randomized(TransformerBlock(D, HEADS, D_FF, causal=causal, activation=activation,
                                        dtype=np.float64), seed=3)
    ref = to_torch(block, torch)
    rng = np.random.default_rng(4)
    x, G = rng.standard_normal((N, T, D)), rng.standard_normal((N, T, D))
    y = block.forward(x)
    dx = block.backward(G)
    xt = torch.tensor(x, requires_grad=True)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(T, dtype=torch.float64) if causal else None
    yt = ref(xt, src_mask=mask, is_causal=causal)
    yt.backward(torch.tensor(G))
    np.testing.assert_allclose(y, yt.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), atol=1e-12)
    a, d = block.attn, D
    W_in = ref.self_attn.in_proj_weight.grad.numpy()
    for k, W in enumerate((a.W_q, a.W_k, a.W_v)):
        np.testing.assert_allclose(W.grad, W_in[k * d:(k + 1) * d].T, atol=1e-12)
    np.testing.assert_allclose(a.W_o.grad, ref.self_attn.out_proj.weight.grad.numpy().T, atol=1e-12)
    for ours, theirs in ((block.ln1, ref.norm1), (block.ln2, ref.norm2)):
        np.testing.assert_allclose(ours.gamma.grad, theirs.weight.grad.numpy(), atol=1e-12)
        np.testing.assert_allclose(ours.beta.grad, theirs.bias.grad.numpy(), atol=1e-12)
    for ours, theirs in ((block.ff1, ref.linear1), (block.ff2, ref.linear2)):
        np.testing.assert_allclose(ours.W.grad, theirs.weight.grad.numpy().T, atol=1e-12)
        np.testing.assert_allclose(ours.b.grad, theirs.bias.grad.numpy(), atol=1e-12)


def test_float32_parity_with_torch(torch):
    block = TransformerBlock(16, 4, causal=True, rng=5)
    ref = to_torch(block, torch).float()
    x = np.random.default_rng(6).standard_normal((3, 7, 16)).astype(np.float32)
    y = block.forward(x)
    dx = block.backward(np.ones_like(y))
    assert y.dtype == dx.dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in block.parameters())
    xt = torch.tensor(x, requires_grad=True)
    yt = ref(xt, src_mask=torch.nn.Transformer.generate_square_subsequent_mask(7), is_causal=True)
    yt.sum().backward()
    np.testing.assert_allclose(y, yt.detach().numpy(), atol=1e-4)
    np.testing.assert_allclose(dx, xt.grad.numpy(), atol=1e-3)


def test_causal_block_output_ignores_later_positions():
    block = randomized(TransformerBlock(D, HEADS, D_FF, causal=True, dtype=np.float64), seed=7)
    x = np.random.default_rng(8).standard_normal((1, T, D))
    y = block.forward(x)
    x2 = x.copy()
    x2[:, 3:] += 5.0
    y2 = block.forward(x2)
    np.testing.assert_allclose(y2[:, :3], y[:, :3], atol=1e-12)
    assert not np.allclose(y2[:, 3:], y[:, 3:])


def test_residual_path_carries_the_gradient_when_sublayers_are_silent():
    """Pre-LN: with both sublayers' output weights at zero, the block is the identity and
    dL/dx = dL/dz exactly — the gradient highway through a deep stack."""
    block = TransformerBlock(D, HEADS, D_FF, dtype=np.float64)
    block.attn.W_o.data[...] = 0
    block.ff2.W.data[...] = 0
    x, G = np.random.default_rng(9).standard_normal((2, N, T, D))
    np.testing.assert_allclose(block.forward(x), x, atol=1e-15)
    np.testing.assert_allclose(block.backward(G), G, atol=1e-15)


def test_contract_second_backward_ownership_and_errors():
    block = randomized(TransformerBlock(D, HEADS, D_FF, dtype=np.float64), seed=10)
    x, G = np.random.default_rng(11).standard_normal((2, N, T, D))
    keep = x.copy(), G.copy()
    y = block.forward(x)
    dx = block.backward(G)
    grads = [p.grad.copy() for p in block.parameters()]
    y[...] = 0
    np.testing.assert_array_equal(block.backward(G), dx)
    for p, g in zip(block.parameters(), grads):
        np.testing.assert_array_equal(p.grad, g)
    np.testing.assert_array_equal(x, keep[0])
    np.testing.assert_array_equal(G, keep[1])
    with pytest.raises(ValueError, match=r"^TransformerBlock\(d_model=8, heads=2, d_ff=12, causal=False\): "
                                         r"expected input \(N, T, 8\), got \(2, 5, 7\)$"):
        block.forward(np.zeros((2, 5, 7)))
    with pytest.raises(ValueError, match=r"backward: expected input \(2, 5, 8\), got \(2, 5, 9\)"):
        block.backward(np.zeros((2, 5, 9)))
    with pytest.raises(RuntimeError, match="before forward"):
        TransformerBlock(D, HEADS).backward(G)
    with pytest.raises(ValueError, match="activation must be 'relu' or 'gelu'"):
        TransformerBlock(D, HEADS, activation="tanh")
    with pytest.raises(ValueError, match=r"num_heads must divide d_model"):
        TransformerBlock(10, 3)


def test_one_block_learns_to_reverse_and_its_attention_is_the_anti_diagonal():
    """End to end, as chapter 13 will: Embedding + positions → one block → LayerNorm → Dense
    learns to reverse 8 symbols in 200 Adam steps (~0.4 s CPU), and query i attends to i's
    mirror position T-1-i (the learned alignment)."""
    from nnlib.layers import Dense, Embedding, LayerNorm, PositionalEncoding
    from nnlib.losses import cross_entropy_grad
    from nnlib.optimizers import Adam
    rng = np.random.default_rng(0)
    V, T, d = 8, 8, 32
    emb, pos, block = Embedding(V, d, rng=1), PositionalEncoding(d, max_len=T), TransformerBlock(d, 2, 64, rng=2)
    ln, out = LayerNorm(d), Dense(d, V, rng=4)
    opt = Adam([p for layer in (emb, block, ln, out) for p in layer.parameters()], lr=3e-3)
    predict = lambda ids: out(ln(block(pos(emb(ids)))))
    for _ in range(200):
        ids = rng.integers(0, V, (64, T))
        logits = predict(ids).reshape(-1, V)
        g = cross_entropy_grad(logits, ids[:, ::-1].reshape(-1)).reshape(64, T, V)
        emb.backward(pos.backward(block.backward(ln.backward(out.backward(g)))))
        opt.step()
    ids = rng.integers(0, V, (500, T))
    assert (predict(ids).argmax(-1) == ids[:, ::-1]).mean() > 0.98
    A = block.attn.attention_weights.mean(axis=(0, 1))              # (T, T), averaged over data and heads
    np.testing.assert_array_equal(A.argmax(axis=-1), np.arange(T)[::-1])
