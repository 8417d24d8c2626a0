"""nnlib.augment: shifts move pixels exactly, rotations keep the image and its shape, noise has the
asked spread; inputs are never modified; bad shapes get a clear error."""
import numpy as np
import pytest

from nnlib.augment import add_noise, random_rotation, random_shift, shift


def test_shift_moves_pixels_and_fills_with_zeros():
    im = np.arange(1.0, 10.0).reshape(3, 3)
    assert np.array_equal(shift(im, 1, 0), [[0, 0, 0], [1, 2, 3], [4, 5, 6]])
    assert np.array_equal(shift(im, 0, -1), [[2, 3, 0], [5, 6, 0], [8, 9, 0]])
    assert np.array_equal(shift(im, 0, 0), im)
    assert not shift(im, 3, 0).any()                      # moved out entirely


def test_random_shift_keeps_shape_and_ink_and_is_reproducible():
    rng = np.random.default_rng(0)
    X = np.zeros((50, 8, 8))
    X[:, 3:5, 3:5] = 1.0                                  # ink away from the border
    before = X.copy()
    out = random_shift(X, max_shift=2, rng=1)
    assert out.shape == X.shape and np.array_equal(X, before)
    assert np.allclose(out.sum(axis=(1, 2)), 4.0)         # nothing lost, nothing wrapped
    assert len({o.tobytes() for o in out}) > 5            # different images got different moves
    assert np.array_equal(out, random_shift(X, max_shift=2, rng=1))
    flat = random_shift(X.reshape(50, 64), max_shift=2, shape=(8, 8), rng=1)
    assert np.array_equal(flat.reshape(50, 8, 8), out)


def test_random_rotation():
    X = np.random.default_rng(0).random((4, 9, 9))
    assert np.allclose(random_rotation(X, max_degrees=0.0, rng=0), X)
    out = random_rotation(X, max_degrees=20.0, rng=0)
    assert out.shape == X.shape and not np.allclose(out, X)
    assert np.all(np.isfinite(out))


def test_add_noise_spread_and_clipping():
    X = np.full((200, 64), 0.5)
    out = add_noise(X, std=0.1, rng=0)
    assert abs(out.std() - 0.1) < 0.01 and abs(out.mean() - 0.5) < 0.01
    assert add_noise(np.ones((10, 4)), std=1.0, rng=0).max() <= 1.0
    assert np.array_equal(X, np.full((200, 64), 0.5))


def test_bad_shapes_are_named():
    with pytest.raises(ValueError, match=r"random_shift: expected images \(N, H, W\)"):
        random_shift(np.zeros((3, 64)))
    with pytest.raises(ValueError, match=r"expected flattened images \(N, 64\)"):
        random_rotation(np.zeros((3, 63)), shape=(8, 8))
