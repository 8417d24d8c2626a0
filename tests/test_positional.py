"""Sinusoidal positional encodings: the formula, its properties, the layer, bad input."""
import numpy as np
import pytest

from nnlib.gradcheck import numerical_gradient, rel_error
from nnlib.layers.attention import MultiHeadSelfAttention
from nnlib.layers.positional import PositionalEncoding, sinusoidal_positional_encoding


def naive_table(P, d, base=10000.0):
    """The paper's formula, one entry at a time: PE[pos, 2k] = sin(pos / base^(2k/d)), PE[pos, 2k+1] = cos(...)."""
    pe = np.zeros((P, d))
    for pos in range(P):
        for col in range(d):
            k2 = col - col % 2                             # 2k for both columns of a pair
            angle = pos / base ** (k2 / d)
            pe[pos, col] = np.sin(angle) if col % 2 == 0 else np.cos(angle)
    return pe


@pytest.mark.parametrize("P, d", [(1, 1), (7, 2), (50, 16), (33, 7)])
def test_table_matches_the_formula_entry_by_entry(P, d):
    np.testing.assert_allclose(sinusoidal_positional_encoding(P, d, dtype=np.float64), naive_table(P, d),
                               rtol=0, atol=1e-12)


def test_first_row_and_range_and_dtype():
    pe = sinusoidal_positional_encoding(100, 32)
    assert pe.dtype == np.float32 and pe.shape == (100, 32)
    np.testing.assert_array_equal(pe[0, 0::2], 0)           # sin 0
    np.testing.assert_array_equal(pe[0, 1::2], 1)           # cos 0
    assert np.abs(pe).max() <= 1
    np.testing.assert_allclose(pe[:, 0], np.sin(np.arange(100)), atol=1e-6)    # ω_0 = 1 rad/position


def test_a_shift_is_the_same_rotation_at_every_position():
    """PE[pos + Δ] = R(Δ) PE[pos] for each (sin, cos) pair: a linear map independent of pos."""
    d, delta = 16, 5
    pe = sinusoidal_positional_encoding(60, d, dtype=np.float64)
    omega = 10000.0 ** (-np.arange(0, d, 2) / d)
    for k, w in enumerate(omega):
        c, s = np.cos(delta * w), np.sin(delta * w)
        R = np.array([[c, -s], [s, c]])                      # acts on row vectors [sin, cos]
        pair = pe[:, 2 * k:2 * k + 2]
        np.testing.assert_allclose(pair[:-delta] @ R, pair[delta:], atol=1e-12)


def test_rows_are_distinct_and_nearby_rows_are_more_similar():
    pe = sinusoidal_positional_encoding(64, 32, dtype=np.float64)
    dist = np.linalg.norm(pe[:, None] - pe[None], axis=-1)
    assert dist[~np.eye(64, dtype=bool)].min() > 0.1
    assert dist[10, 11] < dist[10, 20] < dist[10, 40]


def test_layer_adds_the_table_and_passes_the_gradient_through():
    layer = PositionalEncoding(8, max_len=20, dtype=np.float64)
    x = np.random.default_rng(0).standard_normal((3, 6, 8))
    y = layer.forward(x)
    np.testing.assert_allclose(y - x, np.broadcast_to(layer.pe[:6], x.shape), atol=1e-15)
    G = np.random.default_rng(1).standard_normal(y.shape)
    dx = layer.backward(G)
    numeric = numerical_gradient(lambda _=None: float(np.sum(layer.forward(x) * G)), x)
    assert rel_error(dx, numeric) < 1e-8
    assert dx is not G and layer.parameters() == []
    dx[...] = 0                                              # the caller owns dx; G unchanged
    assert np.abs(G).sum() > 0


def test_astype_converts_the_table():
    layer = PositionalEncoding(6).astype(np.float64)
    y = layer.forward(np.zeros((1, 3, 6)))
    assert y.dtype == np.float64
    np.testing.assert_allclose(y[0], sinusoidal_positional_encoding(3, 6, dtype=np.float64), atol=0)


def test_positions_break_attentions_permutation_symmetry():
    """Without encodings, permuting positions permutes attention's output; with them, it does not."""
    attn = MultiHeadSelfAttention(8, 2, rng=0, dtype=np.float64)
    pe = PositionalEncoding(8, dtype=np.float64)
    x = np.random.default_rng(2).standard_normal((1, 5, 8))
    perm = np.array([4, 2, 0, 3, 1])
    np.testing.assert_allclose(attn(x[:, perm]), attn(x)[:, perm], atol=1e-12)
    assert not np.allclose(attn(pe(x[:, perm])), attn(pe(x))[:, perm], atol=1e-3)


def test_bad_input():
    layer = PositionalEncoding(8, max_len=10)
    with pytest.raises(ValueError, match=r"^PositionalEncoding\(d_model=8, max_len=10\): expected input \(N, T, 8\), got \(2, 5, 7\)$"):
        layer.forward(np.zeros((2, 5, 7)))
    with pytest.raises(ValueError, match=r"T = 11 positions but the table stops at max_len = 10"):
        layer.forward(np.zeros((2, 11, 8)))
    with pytest.raises(RuntimeError, match="before forward"):
        PositionalEncoding(4).backward(np.zeros((1, 2, 4)))
    layer.forward(np.zeros((2, 5, 8)))
    with pytest.raises(ValueError, match=r"backward: expected input \(2, 5, 8\), got \(2, 5, 7\)"):
        layer.backward(np.zeros((2, 5, 7)))
    for bad in ((0, 4), (4, 0), (4.0, 4)):
        with pytest.raises(ValueError, match="sinusoidal_positional_encoding: "):
            sinusoidal_positional_encoding(*bad)
