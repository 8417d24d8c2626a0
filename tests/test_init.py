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
    assert not np.array_equal(a, b)                              # rng=None: the shared generator
    init.seed(0)
    np.testing.assert_array_equal(init.he_normal((5, 4)), a)     # ... which seed() rewinds
    np.testing.assert_array_equal(init.he_normal((5, 4), rng=1), init.he_normal((5, 4), rng=1))
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
    assert init.as_rng(g) is g                               # an explicit Generator is used as is
    assert init.as_rng(5).random() == np.random.default_rng(5).random()
    assert init.as_rng(None) is init.default_rng()           # None: the ONE shared generator
    assert init.as_rng() is init.as_rng(None)


# ---- the shared generator: unseeded layers differ, runs reproduce ----------------------------

def _unseeded_weights():
    from nnlib.layers import Conv2D, Dense, Embedding

    return [Dense(8, 8).W.data, Dense(8, 8).W.data, Conv2D(3, 3, 3).W.data, Conv2D(3, 3, 3).W.data,
            Embedding(5, 4).W.data, Embedding(5, 4).W.data]


def test_two_unseeded_layers_differ():
    W = _unseeded_weights()
    for a, b in zip(W[::2], W[1::2]):
        assert a.shape == b.shape and not np.array_equal(a, b)


def test_seed_makes_the_same_code_reproduce():
    from nnlib.layers import Dropout

    init.seed(123)
    drop = Dropout(0.5)                                      # holds the shared generator itself
    first = _unseeded_weights() + [drop(np.ones((4, 4)))]
    init.seed(123)
    drop = Dropout(0.5)
    second = _unseeded_weights() + [drop(np.ones((4, 4)))]
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    init.seed(124)
    assert not np.array_equal(_unseeded_weights()[0], first[0])
    # seed() resets the generator in place: what already holds it sees the reset too
    g = init.default_rng()
    init.seed(7)
    assert init.default_rng() is g and g.random() == np.random.default_rng(7).random()


def test_unseeded_shuffling_uses_the_shared_generator_too():
    """nnlib.data's rng=None was fresh OS entropy (a different order every run); now it is the
    shared generator: reproducible after seed(), different from one call to the next."""
    from nnlib.data import batches

    X = np.arange(20)
    orders = []
    for _ in range(2):
        init.seed(5)
        orders.append([np.concatenate(list(batches(X, batch_size=7, rng=None))) for _ in range(2)])
    np.testing.assert_array_equal(orders[0][0], orders[1][0])
    np.testing.assert_array_equal(orders[0][1], orders[1][1])
    assert not np.array_equal(orders[0][0], orders[0][1])


def test_a_fresh_process_reproduces_unseeded_weights():
    """Seeded at import: the same script run twice prints the same weights (no seed() call)."""
    import subprocess
    import sys

    script = ("from nnlib.layers import Dense; import numpy as np; "
              "a, b = Dense(8, 8).W.data, Dense(8, 8).W.data; "
              "print(repr(a.sum()), repr(b.sum()), np.array_equal(a, b))")
    runs = [subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
            for _ in range(2)]
    assert runs[0] == runs[1] and runs[0].strip().endswith("False")


def test_an_explicit_rng_is_unchanged_and_leaves_the_shared_generator_alone():
    from nnlib.layers import Dense, Dropout, Embedding

    state = init.default_rng().bit_generator.state
    np.testing.assert_array_equal(Dense(8, 8, rng=3).W.data,
                                  init.he_normal((8, 8), rng=np.random.default_rng(3)))
    np.testing.assert_array_equal(Embedding(5, 4, rng=3).W.data,
                                  np.random.default_rng(3).normal(size=(5, 4)).astype(np.float32))
    g = np.random.default_rng(9)
    assert Dropout(0.5, rng=g).rng is g
    np.testing.assert_array_equal(Dense(8, 8, rng=3).W.data, Dense(8, 8, rng=3).W.data)
    assert init.default_rng().bit_generator.state == state   # no draw from the shared one
