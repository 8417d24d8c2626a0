"""nnlib.init: fans, variances, bounds, reproducibility, and agreement with PyTorch."""
import math

import numpy as np
import pytest

from nnlib import init


def test_fan_in_out_dense_and_conv():
    assert init.fan_in_out((64, 10)) == (64, 10)                 # Dense W: (in, out)
    assert init.fan_in_out((16, 8, 3, 3)) == (8 * 9, 16 * 9)     # Conv W: (C_out, C_in, kh, kw)
    with pytest.raises(ValueError, match=r"fan_in_out: .*at least 2 dimensions, got \(5,\)"):
        init.fan_in_out((5,))


def test_fans_match_torch_up_to_the_dense_transpose(torch):
    fans = torch.nn.init._calculate_fan_in_and_fan_out
    assert init.fan_in_out((64, 10)) == fans(torch.empty(10, 64))         # torch Linear: (out, in)
    assert init.fan_in_out((16, 8, 3, 3)) == fans(torch.empty(16, 8, 3, 3))


@pytest.mark.parametrize("name,param", [("linear", None), ("sigmoid", None), ("tanh", None),
                                        ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2)])
def test_calculate_gain_matches_torch(torch, name, param):
    assert init.calculate_gain(name, param) == pytest.approx(torch.nn.init.calculate_gain(name, param))


def test_calculate_gain_unknown_name():
    with pytest.raises(ValueError, match="unknown nonlinearity 'swish'"):
        init.calculate_gain("swish")


SHAPE = (400, 300)
STD = {"xavier": math.sqrt(2 / (400 + 300)), "he": math.sqrt(2 / 400)}


@pytest.mark.parametrize("fn,family", [(init.xavier_normal, "xavier"), (init.he_normal, "he"),
                                       (init.xavier_uniform, "xavier"), (init.he_uniform, "he")])
def test_standard_deviation_is_as_designed(fn, family):
    W = fn(SHAPE, rng=1)
    assert W.shape == SHAPE and W.dtype == np.float32
    assert abs(W.mean()) < 0.02 * STD[family]
    assert W.std() == pytest.approx(STD[family], rel=0.02)
    assert fn(SHAPE, rng=1, gain=3.0).std() == pytest.approx(3 * STD[family], rel=0.02)


@pytest.mark.parametrize("fn,family", [(init.xavier_uniform, "xavier"), (init.he_uniform, "he")])
def test_uniform_bounds(fn, family):
    W = fn(SHAPE, rng=2, dtype=np.float64)
    bound = math.sqrt(3) * STD[family]
    assert np.abs(W).max() <= bound
    assert np.abs(W).max() > 0.99 * bound          # and it uses the whole interval


def test_he_uniform_bound_equals_torch_kaiming_uniform(torch):
    # torch's bound for kaiming_uniform_(nonlinearity="relu") on a conv weight
    w = torch.empty(16, 8, 3, 3)
    torch.nn.init.kaiming_uniform_(w, nonlinearity="relu")
    torch_bound = math.sqrt(2) * math.sqrt(3 / (8 * 9))
    assert w.abs().max().item() <= torch_bound
    W = init.he_uniform((16, 8, 3, 3), rng=0, dtype=np.float64)
    assert np.abs(W).max() <= torch_bound and np.abs(W).max() > 0.95 * torch_bound


def test_reproducible_by_default_and_seedable():
    a, b = init.he_normal((5, 4)), init.he_normal((5, 4))
    np.testing.assert_array_equal(a, b)                          # rng=None means seed 0
    assert not np.array_equal(init.he_normal((5, 4), rng=1), a)
    g = np.random.default_rng(7)
    first, second = init.xavier_uniform((3, 3), rng=g), init.xavier_uniform((3, 3), rng=g)
    assert not np.array_equal(first, second)                     # a Generator advances
    assert init.xavier_uniform((3, 3), dtype=np.float64).dtype == np.float64


def test_he_keeps_the_signal_alive_through_a_deep_relu_net():
    # The reason He init exists: 30 ReLU layers, the activation scale stays O(1).
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 200))
    a_he, a_small = x, x
    for layer in range(30):
        a_he = np.maximum(a_he @ init.he_normal((200, 200), rng=layer, dtype=np.float64), 0)
        a_small = np.maximum(a_small @ (0.01 * rng.normal(size=(200, 200))), 0)
    assert 0.3 < np.sqrt(np.mean(a_he**2)) < 3
    assert np.sqrt(np.mean(a_small**2)) < 1e-20                # naive init: the signal vanishes


def test_as_rng():
    g = np.random.default_rng(3)
    assert init.as_rng(g) is g
    assert init.as_rng(None).random() == np.random.default_rng(0).random()
    assert init.as_rng(5).random() == np.random.default_rng(5).random()
